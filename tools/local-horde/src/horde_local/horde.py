"""The handle on one local horde: its configuration, clock, state, rate limiter and fault injector.

The ASGI app serves a :class:`LocalHorde`; tests hold the same object to reset it between tests, to move
its clock and to look inside (open requests, how often each request was created, the faults injected).
All access to the state goes through :attr:`LocalHorde.lock`, so a test thread and the server's event loop
can share it.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from typing import Any

from horde_local.clock import Clock, SystemClock
from horde_local.config import HordeConfig
from horde_local.faults import (
    FaultInjector,
    ScriptedFault,
    ScriptedFaultHit,
    ScriptedFaults,
    ScriptedRewrite,
    ScriptedRewrites,
)
from horde_local.ratelimit import RateLimiter
from horde_local.state import Generation, HordeFailure, HordeState, Request, Worker, WorkerCounts

__all__ = ["LocalHorde"]


class LocalHorde:
    """A local AI Horde's state and switches (served over HTTP by :func:`horde_local.app.create_app`).

    Args:
        config: The configuration (default: the real server's numbers, rate limits on, no faults).
        clock: Where time comes from (default: the system clock).
    """

    def __init__(self, config: HordeConfig | None = None, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.config = config or HordeConfig()
        self.clock: Clock = clock or SystemClock()
        self.state = HordeState(self.config, self.clock)
        self.limiter = RateLimiter()
        self.faults = FaultInjector(self.config.faults)
        self.scripted = ScriptedFaults()
        """Faults scripted by tests (:meth:`script_faults`); they take precedence over :attr:`faults`."""
        self.rewrites = ScriptedRewrites()
        """Answer rewrites scripted by tests (:meth:`script_rewrites`)."""
        self.requests_served = 0
        self.recorded: list[tuple[str, str, int, Any]] | None = None
        """When a list: every API answer is appended as (method, path template, status, JSON body)."""

    def reset(self, config: HordeConfig | None = None, clock: Clock | None = None) -> None:
        """Forget everything and start again (with a new configuration and clock when given)."""
        with self.lock:
            if config is not None:
                self.config = config
            if clock is not None:
                self.clock = clock
            self.state = HordeState(self.config, self.clock)
            self.limiter = RateLimiter()
            self.faults = FaultInjector(self.config.faults)
            self.scripted = ScriptedFaults()
            self.rewrites = ScriptedRewrites()
            self.requests_served = 0
            self.recorded = None

    def configure(self, **changes: object) -> None:
        """Change configuration fields in place, keeping the state (e.g. ``rate_limits=False``)."""
        with self.lock:
            self.config = replace(self.config, **changes)  # type: ignore[arg-type]
            self.state.config = self.config
            if "faults" in changes:
                self.faults = FaultInjector(self.config.faults)

    def tick(self) -> None:
        """Apply the expiries that are due (the server also does it before every request)."""
        with self.lock:
            self.state.tick()

    def open_requests(self) -> list[Request]:
        """Requests still waiting for work after applying due expiries."""
        with self.lock:
            self.state.tick()
            return self.state.open_requests()

    # ---------------------------------------------------------------------------------- scripted faults
    def script_faults(self, *faults: ScriptedFault) -> None:
        """Queue faults for the next matching requests, after those already queued.

        A request gets the first queued fault matching its method and path (each fault ``count`` times);
        scripted faults take precedence over the random ones of the fault configuration. :meth:`reset`
        clears them.
        """
        with self.lock:
            self.scripted.add(*faults)

    def script_rewrites(self, *rewrites: ScriptedRewrite) -> None:
        """Queue answer rewrites (:class:`ScriptedRewrite`) for the next matching answers; :meth:`reset` clears them.

        The horde acts as usual; the answer sent is what the rewrite makes of it, unchecked (a malformed pop
        answer for a real job, for instance).
        """
        with self.lock:
            self.rewrites.add(*rewrites)

    def scripted_rewrites_pending(self) -> int:
        """How many more answers the queued rewrites will change."""
        with self.lock:
            return self.rewrites.pending()

    def clear_scripted_faults(self) -> None:
        """Drop the scripted faults not applied yet."""
        with self.lock:
            self.scripted.clear()

    def scripted_faults_pending(self) -> list[tuple[ScriptedFault, int]]:
        """The scripted faults still queued, with how many more requests each will get."""
        with self.lock:
            return self.scripted.pending()

    def scripted_faults_consumed(self) -> list[ScriptedFaultHit]:
        """Every application of a scripted fault so far, in order."""
        with self.lock:
            return list(self.scripted.consumed)

    # ---------------------------------------------------------------------------------------- workers
    def set_worker_maintenance(self, name: str, on: bool, message: str | None = None) -> None:
        """Put the worker ``name`` in maintenance (its pops get 403 ``WorkerMaintenance``) or take it out.

        Raises:
            KeyError: no worker has that name (workers are created by their first pop).
        """
        with self.lock:
            worker = self._worker(name)
            worker.maintenance = on
            worker.maintenance_msg = message if on else None

    def worker_counts(self, name: str) -> WorkerCounts:
        """What happened to the generations handed out to the worker ``name`` (after due expiries).

        Raises:
            KeyError: no worker has that name.
        """
        with self.lock:
            self.state.tick()
            return self.state.worker_counts(self._worker(name))

    def all_worker_counts(self) -> dict[str, WorkerCounts]:
        """:meth:`worker_counts` of every worker, by name."""
        with self.lock:
            self.state.tick()
            return {worker.name: self.state.worker_counts(worker) for worker in self.state.workers.values()}

    def _worker(self, name: str) -> Worker:
        try:
            return self.state.find_worker(name)
        except HordeFailure:
            raise KeyError(name) from None

    # -------------------------------------------------------------------------------------- inspection
    def in_flight_generations(self) -> list[Generation]:
        """Generations popped and not yet submitted, faulted nor taken back (after due expiries)."""
        with self.lock:
            self.state.tick()
            return self.state.in_flight_generations()

    def generation_states(self) -> Counter[str]:
        """How many known generations are in each state (after due expiries)."""
        with self.lock:
            self.state.tick()
            return self.state.generation_states()
