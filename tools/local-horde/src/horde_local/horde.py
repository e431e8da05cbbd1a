"""The handle on one local horde: its configuration, clock, state, rate limiter and fault injector.

The ASGI app serves a :class:`LocalHorde`; tests hold the same object to reset it between tests, to move
its clock and to look inside (open requests, how often each request was created, the faults injected).
All access to the state goes through :attr:`LocalHorde.lock`, so a test thread and the server's event loop
can share it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from horde_local.clock import Clock, SystemClock
from horde_local.config import HordeConfig
from horde_local.faults import FaultInjector
from horde_local.ratelimit import RateLimiter
from horde_local.state import HordeState, Request

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
