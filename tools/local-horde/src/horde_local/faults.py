"""Deterministic fault injection: which request gets a 5xx, a dropped connection, latency or a 429."""

from __future__ import annotations

import random
from dataclasses import dataclass

from horde_local.config import FaultConfig

__all__ = ["FaultDecision", "FaultInjector"]


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request.

    Attributes:
        latency: Seconds to wait before handling it.
        status_429: Answer 429 (a burst) without acting.
        status_5xx: Answer this 5xx status without acting (0: no).
        drop_before: Drop the connection without acting.
        drop_after: Act, then drop the connection instead of answering.
    """

    latency: float = 0.0
    status_429: bool = False
    status_5xx: int = 0
    drop_before: bool = False
    drop_after: bool = False

    @property
    def any(self) -> bool:
        """True when something other than latency happens."""
        return self.status_429 or bool(self.status_5xx) or self.drop_before or self.drop_after


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
