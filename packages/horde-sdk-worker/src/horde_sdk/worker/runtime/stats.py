"""`WorkerStats`: what a running worker has done, for the periodic summary and for the caller at the end."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WorkerStats", "WorkerSummary"]


@dataclass(frozen=True, kw_only=True)
class WorkerSummary:
    """A snapshot of `WorkerStats`."""

    uptime: float
    """Seconds since the runtime started."""
    popped: int
    """Jobs received (including the ones the horde sent unusable)."""
    submitted: int
    """Jobs whose results the horde accepted."""
    faulted: int
    """Jobs reported ``faulted`` (the horde gives them to another worker)."""
    unreported: int
    """Jobs the horde refused (or could not be reached for) every report of, submit and ``faulted`` alike, until
    their ttl ran out. The worker does not keep them: the horde itself takes each back when its ttl runs out
    (about 30 s later) and hands it to another worker, so the requester still gets it, later."""
    running: int
    """Jobs being worked on now."""
    queued: int
    """Popped jobs waiting for a free thread."""
    kudos: float
    """Kudos earned."""
    pop_to_submit_mean: float | None
    """Mean seconds from pop to accepted submit, over submitted jobs (None before the first)."""
    pop_to_submit_max: float | None
    """Longest pop-to-submit time so far."""
    faults_by_reason: dict[str, int] = field(default_factory=dict)
    """How many jobs were faulted, by the short reason (``backend error``, ``timeout``, ``shutdown``...)."""
    empty_pops: int = 0
    """Pops that brought no job."""
    pop_errors: int = 0
    """Pops the horde or the network refused."""

    @property
    def finished(self) -> int:
        """Jobs that reached an end: submitted, faulted or unreported."""
        return self.submitted + self.faulted + self.unreported

    def as_log_fields(self) -> dict[str, Any]:
        """Return the summary as flat log fields (rounded for reading).

        Returns:
            A new dict.
        """
        return {
            "uptime_s": round(self.uptime, 1),
            "popped": self.popped,
            "submitted": self.submitted,
            "faulted": self.faulted,
            "unreported": self.unreported,
            "running": self.running,
            "queued": self.queued,
            "kudos": round(self.kudos, 2),
            "pop_to_submit_mean_s": None if self.pop_to_submit_mean is None else round(self.pop_to_submit_mean, 3),
            "pop_to_submit_max_s": None if self.pop_to_submit_max is None else round(self.pop_to_submit_max, 3),
            "faults_by_reason": dict(self.faults_by_reason),
            "empty_pops": self.empty_pops,
            "pop_errors": self.pop_errors,
        }


class WorkerStats:
    """Counters of one runtime. Not thread-safe: the runtime updates them from its event loop only.

    Args:
        clock: Returns the current time in seconds (`time.monotonic` by default).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        self.popped = 0
        self.submitted = 0
        self.faulted = 0
        self.unreported = 0
        self.running = 0
        self.queued = 0
        self.kudos = 0.0
        self.empty_pops = 0
        self.pop_errors = 0
        self._latencies: list[float] = []
        self._fault_reasons: Counter[str] = Counter()

    def record_submitted(self, popped_at: float, kudos: float) -> None:
        """Count a job whose results were accepted.

        Args:
            popped_at: When it was popped (same clock).
            kudos: The rewards of its submits.
        """
        self.submitted += 1
        self.kudos += kudos
        self._latencies.append(self._clock() - popped_at)

    def record_faulted(self, reason: str) -> None:
        """Count a job reported ``faulted``.

        Args:
            reason: A short reason for the summary.
        """
        self.faulted += 1
        self._fault_reasons[reason] += 1

    def record_unreported(self) -> None:
        """Count a job none of whose reports the horde took before its ttl ran out (the horde takes it back)."""
        self.unreported += 1

    def snapshot(self) -> WorkerSummary:
        """Return the counters now.

        Returns:
            A frozen summary.
        """
        latencies = self._latencies
        return WorkerSummary(
            uptime=self._clock() - self._started,
            popped=self.popped,
            submitted=self.submitted,
            faulted=self.faulted,
            unreported=self.unreported,
            running=self.running,
            queued=self.queued,
            kudos=self.kudos,
            pop_to_submit_mean=statistics.fmean(latencies) if latencies else None,
            pop_to_submit_max=max(latencies) if latencies else None,
            faults_by_reason=dict(self._fault_reasons),
            empty_pops=self.empty_pops,
            pop_errors=self.pop_errors,
        )
