"""Fault injection: which request gets an error status, a dropped connection, latency or a 429.

- :class:`FaultInjector` draws faults at random (deterministic under a seed) from a :class:`FaultConfig`;
- :class:`ScriptedFaults` hands out faults a test asked for (:class:`ScriptedFault`: "fail the next N requests
  matching this method and path prefix"), in order; they take precedence over the random ones;
- :class:`ScriptedRewrite` turns the next matching JSON answers into whatever a test wants (a malformed pop
  answer...), sent without the answer-model check (``LocalHorde.script_rewrites``).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from horde_local.config import FaultConfig

__all__ = [
    "FaultDecision",
    "FaultInjector",
    "ScriptedFault",
    "ScriptedFaultHit",
    "ScriptedFaults",
    "ScriptedRewrite",
    "ScriptedRewrites",
]

_API_PREFIX = "/api"
_MIN_ERROR_STATUS = 400
_MAX_ERROR_STATUS = 599
_TOO_MANY_REQUESTS = 429
_SERVER_ERROR = 500


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request.

    Attributes:
        latency: Seconds to wait before handling it.
        status_429: Answer 429 (a burst) without acting.
        status_5xx: Answer this 5xx status without acting (0: no).
        drop_before: Drop the connection without acting.
        drop_after: Act, then drop the connection instead of answering.
        status_4xx: Answer this 4xx status (other than 429) without acting (0: no); scripted faults only.
        rc: The ``rc`` of the error body of ``status_5xx`` / ``status_4xx`` (None: no ``rc``).
        message: The ``message`` of that error body (None: a standard one).
        retry_after: The ``Retry-After`` of a 429 (None: the fault configuration's ``burst_retry_after``).
    """

    latency: float = 0.0
    status_429: bool = False
    status_5xx: int = 0
    drop_before: bool = False
    drop_after: bool = False
    status_4xx: int = 0
    rc: str | None = None
    message: str | None = None
    retry_after: int | None = None

    @property
    def any(self) -> bool:
        """True when something other than latency happens."""
        return self.status_429 or bool(self.status_5xx) or bool(self.status_4xx) or self.drop_before or self.drop_after

    @property
    def error_status(self) -> int:
        """The status of an error answered without acting (0: none; 429s are apart)."""
        return self.status_5xx or self.status_4xx


class FaultInjector:
    """Draws a :class:`FaultDecision` per request from a generator seeded with the config's seed.

    Every decision consumes exactly six random numbers, so the faults met by the n-th request depend only
    on the seed and n. Not thread-safe: the owner serialises access.
    """

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - test faults, not cryptography
        self._burst_left = 0
        self.log: list[tuple[str, str, FaultDecision]] = []

    def applies_to(self, path: str) -> bool:
        """True when ``path`` is one that gets faults."""
        return self.config.active and path.startswith(self.config.path_prefixes)

    def decide(self, method: str, path: str) -> FaultDecision:
        """Return the faults for the next request (and record them in :attr:`log`)."""
        config = self.config
        draws = [self._rng.random() for _ in range(6)]
        latency = config.latency + draws[0] * config.latency_jitter
        decision: FaultDecision
        if self._burst_left > 0:
            self._burst_left -= 1
            decision = FaultDecision(latency=latency, status_429=True)
        elif draws[1] < config.burst_429:
            self._burst_left = max(0, config.burst_length - 1)
            decision = FaultDecision(latency=latency, status_429=True)
        elif draws[2] < config.error_5xx:
            statuses = config.error_statuses or (500,)
            decision = FaultDecision(
                latency=latency, status_5xx=statuses[int(draws[5] * len(statuses)) % len(statuses)]
            )
        elif draws[3] < config.drop_before:
            decision = FaultDecision(latency=latency, drop_before=True)
        elif draws[4] < config.drop_after:
            decision = FaultDecision(latency=latency, drop_after=True)
        else:
            decision = FaultDecision(latency=latency)
        self.log.append((method, path, decision))
        return decision


@dataclass(frozen=True)
class ScriptedFault:
    """A fault a test asks for: the next ``count`` requests matching ``method`` and ``path_prefix`` get it.

    Give either an error ``status`` (a 5xx; a 4xx with an ``rc``, e.g. 400 and ``RC.BadRequest``; 429 with
    ``retry_after``), answered without acting, or ``drop``: ``"before"`` drops the connection without acting,
    ``"after"`` acts and then drops it (the client never sees the answer).

    Attributes:
        method: HTTP method (``POST``...); ``"*"`` for any.
        path_prefix: Paths starting with it match, e.g. ``/api/v2/generate/submit``; a prefix starting with
            ``/v2/`` is taken under ``/api``. Presigned image URLs (``/r2/``) can be matched too.
        count: How many matching requests get the fault.
        status: The error status (0 with ``drop``).
        rc: The ``rc`` of the error body.
        message: The ``message`` of the error body (None: a standard one).
        drop: Drop the connection ``"before"`` or ``"after"`` acting, instead of answering with ``status``.
        retry_after: The ``Retry-After`` of a 429, in whole seconds.
    """

    method: str
    path_prefix: str
    count: int = 1
    status: int = 0
    rc: str | None = None
    message: str | None = None
    drop: Literal["before", "after"] | None = None
    retry_after: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count}")
        if (self.drop is None) == (self.status == 0):
            raise ValueError("give either an error status or drop='before'/'after'")
        if self.drop is not None and self.drop not in ("before", "after"):
            raise ValueError(f"drop must be 'before' or 'after', got {self.drop!r}")
        if self.status and not _MIN_ERROR_STATUS <= self.status <= _MAX_ERROR_STATUS:
            raise ValueError(f"status must be a 4xx or 5xx, got {self.status}")
        if not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must start with '/', got {self.path_prefix!r}")

    @property
    def full_prefix(self) -> str:
        """The prefix matched against request paths (``/v2/...`` becomes ``/api/v2/...``)."""
        if self.path_prefix.startswith("/v2/") or self.path_prefix == "/v2":
            return _API_PREFIX + self.path_prefix
        return self.path_prefix

    def matches(self, method: str, path: str) -> bool:
        """True when a request with ``method`` and ``path`` gets this fault."""
        return (self.method == "*" or self.method.upper() == method.upper()) and path.startswith(self.full_prefix)

    def decision(self, latency: float = 0.0) -> FaultDecision:
        """The :class:`FaultDecision` applying this fault."""
        if self.drop == "before":
            return FaultDecision(latency=latency, drop_before=True)
        if self.drop == "after":
            return FaultDecision(latency=latency, drop_after=True)
        if self.status == _TOO_MANY_REQUESTS:
            return FaultDecision(latency=latency, status_429=True, retry_after=self.retry_after)
        if self.status >= _SERVER_ERROR:
            return FaultDecision(latency=latency, status_5xx=self.status, rc=self.rc, message=self.message)
        return FaultDecision(latency=latency, status_4xx=self.status, rc=self.rc, message=self.message)


@dataclass(frozen=True)
class ScriptedFaultHit:
    """A scripted fault that was applied: to which request, and which fault."""

    method: str
    path: str
    fault: ScriptedFault


@dataclass
class _Pending:
    fault: ScriptedFault
    left: int


@dataclass
class ScriptedFaults:
    """The scripted faults of a horde: those still to apply, in order, and those applied.

    Not thread-safe: the owner (:class:`horde_local.horde.LocalHorde`) serialises access.
    """

    _pending: list[_Pending] = field(default_factory=list)
    consumed: list[ScriptedFaultHit] = field(default_factory=list)
    """Every application of a scripted fault, in order."""

    def add(self, *faults: ScriptedFault) -> None:
        """Queue faults after those already queued."""
        self._pending.extend(_Pending(fault, fault.count) for fault in faults)

    def clear(self) -> None:
        """Drop the faults not applied yet (the record of applied ones stays)."""
        self._pending.clear()

    def take(self, method: str, path: str) -> ScriptedFault | None:
        """Return (and use up once) the first queued fault matching the request; None when none does."""
        for index, pending in enumerate(self._pending):
            if pending.fault.matches(method, path):
                pending.left -= 1
                if pending.left == 0:
                    del self._pending[index]
                self.consumed.append(ScriptedFaultHit(method, path, pending.fault))
                return pending.fault
        return None

    def pending(self) -> list[tuple[ScriptedFault, int]]:
        """The faults still queued, with how many more requests each will get."""
        return [(pending.fault, pending.left) for pending in self._pending]


def _always(_body: Any) -> bool:  # noqa: ANN401 - any JSON answer
    return True


@dataclass(frozen=True)
class ScriptedRewrite:
    """Rewrite the next ``count`` successful JSON answers matching ``method``, ``path_prefix`` and ``applies``.

    The horde acts as usual (a pop hands the job out); the answer's JSON is then given (a deep copy) to
    ``rewrite`` and whatever it returns is sent as the answer, *without* the SDK answer-model check: this is how a
    test hands a worker a malformed pop answer for a real job (``ttl: -5``, repeated ids, wrong types...).

    Attributes:
        method: HTTP method (``POST``...); ``"*"`` for any.
        path_prefix: As in :class:`ScriptedFault` (``/v2/...`` is taken under ``/api``).
        rewrite: Takes the answer's JSON, returns the JSON to send instead (any JSON value).
        count: How many matching answers are rewritten.
        applies: Which answers count as matching (e.g. only pops that hold a job); every one by default.
    """

    method: str
    path_prefix: str
    rewrite: Callable[[Any], Any]
    count: int = 1
    applies: Callable[[Any], bool] = _always

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count}")
        if not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must start with '/', got {self.path_prefix!r}")

    def matches(self, method: str, path: str, body: Any) -> bool:  # noqa: ANN401 - any JSON answer
        """True when the answer of a request with ``method`` and ``path`` and this ``body`` gets rewritten."""
        prefix = _API_PREFIX + self.path_prefix if self.path_prefix.startswith("/v2/") else self.path_prefix
        return (
            (self.method == "*" or self.method.upper() == method.upper())
            and path.startswith(prefix)
            and self.applies(body)
        )


@dataclass
class _PendingRewrite:
    rewrite: ScriptedRewrite
    left: int


@dataclass
class ScriptedRewrites:
    """The answer rewrites of a horde still to apply, in order, and how many were applied.

    Not thread-safe: the owner (:class:`horde_local.horde.LocalHorde`) serialises access.
    """

    _pending: list[_PendingRewrite] = field(default_factory=list)
    applied: int = 0
    """How many answers were rewritten so far."""

    def add(self, *rewrites: ScriptedRewrite) -> None:
        """Queue rewrites after those already queued."""
        self._pending.extend(_PendingRewrite(rewrite, rewrite.count) for rewrite in rewrites)

    def apply(self, method: str, path: str, body: Any) -> tuple[bool, Any]:  # noqa: ANN401 - any JSON answer
        """Rewrite ``body`` with the first queued rewrite matching it: ``(True, new body)``, else ``(False, body)``."""
        for index, pending in enumerate(self._pending):
            if pending.rewrite.matches(method, path, body):
                pending.left -= 1
                if pending.left == 0:
                    del self._pending[index]
                self.applied += 1
                return True, pending.rewrite.rewrite(copy.deepcopy(body))
        return False, body

    def pending(self) -> int:
        """How many more answers the queued rewrites will change."""
        return sum(pending.left for pending in self._pending)
