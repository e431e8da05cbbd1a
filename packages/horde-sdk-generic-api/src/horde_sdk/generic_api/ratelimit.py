"""A client-side rate limiter that keeps a client under the limits a server enforces.

Rules say how many requests may be sent per period to an endpoint, counted for the path template or
for each concrete path (e.g. per job id). Before every send the request core asks the limiter for the
time its request may go; the limiter books that slot, so concurrent callers queue up instead of
tripping the server's limit. Only the waiting differs between sync and async clients.

The limiter uses a sliding window, which is at least as strict as the fixed windows servers count in.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["ClientRateLimiter", "RateLimitRule"]


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """``limit`` requests per ``period`` seconds to the endpoints this rule matches.

    Attributes:
        path_template: The endpoint path template the rule applies to.
        limit: Requests allowed per period.
        period: Window length in seconds.
        method: The HTTP method the rule applies to, or None for every method.
        per_concrete_path: Count each concrete path (``/status/abc``) apart instead of the template.
    """

    path_template: str
    limit: int
    period: float
    method: str | None = None
    per_concrete_path: bool = False

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ValueError(f"rate limit rule needs limit >= 1 and period > 0, got {self.limit}/{self.period}")

    def matches(self, method: str, path_template: str) -> bool:
        """Return True when the rule applies to a request."""
        return path_template == self.path_template and (self.method is None or self.method == method)


class ClientRateLimiter:
    """Books send slots so that no rule's limit is exceeded. Thread-safe; shared by sync and async use."""

    _PRUNE_EVERY = 256

    def __init__(self, rules: Iterable[RateLimitRule], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules = tuple(rules)
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[tuple[int, str], deque[float]] = {}
        self._calls = 0

    @property
    def rules(self) -> tuple[RateLimitRule, ...]:
        """The rules this limiter enforces."""
        return self._rules

    def reserve(self, method: str, path_template: str, concrete_path: str) -> float:
        """Book the earliest allowed send time for a request and return how long to wait for it (seconds)."""
        now = self._clock()
        with self._lock:
            keys: list[tuple[tuple[int, str], RateLimitRule]] = []
            slot = now
            for index, rule in enumerate(self._rules):
                if not rule.matches(method, path_template):
                    continue
                key = (index, concrete_path if rule.per_concrete_path else path_template)
                booked = self._slots.setdefault(key, deque())
                while booked and booked[0] <= now - rule.period:
                    booked.popleft()
                if len(booked) >= rule.limit:
                    slot = max(slot, booked[-rule.limit] + rule.period)
                keys.append((key, rule))
            for key, rule in keys:
                booked = self._slots[key]
                bisect.insort(booked, slot)
                while len(booked) > rule.limit:
                    booked.popleft()
            self._calls += 1
            if self._calls % self._PRUNE_EVERY == 0:
                self._prune(now)
        return max(0.0, slot - now)

    def _prune(self, now: float) -> None:
        longest = max((rule.period for rule in self._rules), default=0.0)
        stale = [key for key, booked in self._slots.items() if not booked or booked[-1] <= now - longest]
        for key in stale:
            del self._slots[key]

    def tracked_keys(self) -> int:
        """Return how many counters the limiter holds (bounded: idle ones are pruned)."""
        with self._lock:
            return len(self._slots)
