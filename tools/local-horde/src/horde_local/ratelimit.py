"""The server's rate limits: fixed windows keyed by client address and path (BEHAVIOUR.md's table)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["LimitDecision", "RateLimiter", "ServerRule", "rules_for"]


@dataclass(frozen=True)
class ServerRule:
    """``limit`` requests per ``period`` seconds, counted per ``scope``.

    ``scope``: ``"ip_path"`` (client address and concrete path), ``"path"`` (the concrete path, whoever
    asks: the per-id limits), or ``"key_path"`` (API key and path).
    """

    limit: int
    period: float
    scope: str = "ip_path"


@dataclass(frozen=True)
class LimitDecision:
    """The outcome of counting one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after: int


_ID = r"[^/]+"
_ASYNC = (ServerRule(90, 60.0), ServerRule(2, 1.0), ServerRule(2, 1.0, "key_path"))
_POP_SUBMIT = (ServerRule(60, 1.0),)
_TABLE: tuple[tuple[str, re.Pattern[str], tuple[ServerRule, ...] | None], ...] = (
    ("GET", re.compile(r"/api/v2/status/heartbeat"), None),
    ("POST", re.compile(r"/api/v2/generate/async"), _ASYNC),
    ("POST", re.compile(r"/api/v2/generate/text/async"), _ASYNC),
    ("GET", re.compile(rf"/api/v2/generate/check/{_ID}"), (ServerRule(10, 1.0, "path"),)),
    ("GET", re.compile(rf"/api/v2/generate/status/{_ID}"), (ServerRule(10, 60.0, "path"),)),
    ("DELETE", re.compile(rf"/api/v2/generate/status/{_ID}"), (ServerRule(10, 60.0, "path"),)),
    ("GET", re.compile(rf"/api/v2/generate/text/status/{_ID}"), (ServerRule(60, 60.0),)),
    ("GET", re.compile(rf"/api/v2/interrogate/status/{_ID}"), (ServerRule(10, 1.0),)),
    ("POST", re.compile(r"/api/v2/(generate|generate/text|interrogate)/(pop|submit)"), _POP_SUBMIT),
)
_DEFAULT = (ServerRule(90, 60.0),)


def rules_for(method: str, path: str) -> tuple[ServerRule, ...]:
    """Return the rules that limit ``method path`` (empty for exempt routes)."""
    for rule_method, pattern, rules in _TABLE:
        if rule_method == method and pattern.fullmatch(path):
            return rules or ()
    return _DEFAULT


class RateLimiter:
    """Counts requests in fixed windows. Not thread-safe: the owner serialises access."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, ...], tuple[float, int]] = {}

    def hit(self, method: str, path: str, client: str, apikey: str | None, now: float) -> LimitDecision | None:
        """Count one request; return the decision of its tightest rule, or None for an exempt route."""
        rules = rules_for(method, path)
        if not rules:
            return None
        if len(self._windows) > 50_000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        tightest: LimitDecision | None = None
        for index, rule in enumerate(rules):
            if rule.scope == "key_path" and not apikey:
                continue
            who = {"ip_path": client, "path": "*", "key_path": f"key:{apikey}"}[rule.scope]
            key = (str(index), method, path, who, str(rule.period), str(rule.limit))
            window_end, count = self._windows.get(key, (0.0, 0))
            if now >= window_end:
                window_end = (math.floor(now / rule.period) + 1) * rule.period
                count = 0
            count += 1
            self._windows[key] = (window_end, count)
            decision = LimitDecision(
                allowed=count <= rule.limit,
                limit=rule.limit,
                remaining=max(0, rule.limit - count),
                reset_at=window_end,
                # Whole seconds left, rounded down as the server does: 0 in a window's last second, while
                # X-Ratelimit-Reset is still ahead (BEHAVIOUR.md, "Rate limits").
                retry_after=max(0, math.floor(window_end - now)),
            )
            if (
                tightest is None
                or (not decision.allowed and tightest.allowed)
                or (decision.allowed == tightest.allowed and decision.remaining < tightest.remaining)
            ):
                tightest = decision
        return tightest
