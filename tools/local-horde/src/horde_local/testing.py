"""Helpers for test suites that run clients and workers against a local horde (used by tests-integration).

- :data:`KEYS`: the users of a test horde (plus the anonymous key ``0000000000``);
- :func:`test_config`: the configuration of test hordes;
- :class:`HordeEnv`: a horde under test with helpers that build clients, sessions and scripted workers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from horde_local.clock import Clock
from horde_local.config import ApiKey, HordeConfig, Role
from horde_local.faults import ScriptedFault
from horde_local.horde import LocalHorde
from horde_local.worker import AsyncScriptedWorker, ScriptedWorker
from horde_sdk.ai_horde_api import (
    AIHordeAPIAsyncClientSession,
    AIHordeAPIAsyncManualClient,
    AIHordeAPIClientSession,
    AIHordeAPIManualClient,
)
from horde_sdk.generic_api.exceptions import HordeError
from horde_sdk.generic_api.settings import HordeTimeouts

__all__ = ["KEYS", "TIMEOUTS", "HordeEnv", "test_config"]

KEYS: dict[str, ApiKey] = {
    "alice": ApiKey("alice", "alice-key-000001", Role.registered, 1000.0),
    "poor": ApiKey("poor", "poor-key-0000002", Role.registered, 5.0),
    "trusty": ApiKey("trusty", "trusty-key-00003", Role.trusted, 1000.0),
    "mod": ApiKey("mod", "mod-key-00000004", Role.moderator, 1000.0),
    "worker": ApiKey("workerowner", "worker-key-00005", Role.trusted, 0.0),
}
"""The users every test horde knows (plus the anonymous key ``0000000000``)."""

TIMEOUTS = HordeTimeouts.uniform(20.0)


def test_config(**changes: Any) -> HordeConfig:  # noqa: ANN401 - any HordeConfig field
    """The configuration of test hordes: the real server's rules, rate limits off and no check cache."""
    values: dict[str, Any] = {
        "api_keys": tuple(KEYS.values()),
        "rate_limits": False,
        "check_cache_seconds": 0.0,
    }
    values.update(changes)
    return HordeConfig(**values)


test_config.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


@dataclass
class HordeEnv:
    """A local horde under test, with helpers that build clients and workers for it."""

    horde: LocalHorde
    base_url: str
    http_client: httpx.AsyncClient | None = None
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        """Close the clients this object made."""
        for close in self._closers:
            close()
        self._closers.clear()

    def reset(self, config: HordeConfig | None = None, clock: Clock | None = None) -> None:
        """Reset the horde (a new configuration, a manual clock...)."""
        self.horde.reset(config or test_config(), clock)

    def script_faults(self, *faults: ScriptedFault) -> None:
        """Queue faults for the next matching requests (see :meth:`LocalHorde.script_faults`)."""
        self.horde.script_faults(*faults)

    def client(self, user: str = "alice", **options: Any) -> AIHordeAPIManualClient:  # noqa: ANN401 - client options
        """A blocking manual client with ``user``'s key (closed after the test)."""
        options.setdefault("enforce_rate_limits", False)
        options.setdefault("api_key", KEYS[user].key)
        client = AIHordeAPIManualClient(base_url=self.base_url, timeouts=TIMEOUTS, **options)
        self._closers.append(client.close)
        return client

    def session(self, user: str = "alice", **options: Any) -> AIHordeAPIClientSession:  # noqa: ANN401 - client options
        """A blocking client session (use it in a ``with`` block)."""
        options.setdefault("enforce_rate_limits", False)
        options.setdefault("api_key", KEYS[user].key)
        return AIHordeAPIClientSession(base_url=self.base_url, timeouts=TIMEOUTS, **options)

    def async_client(self, user: str = "alice", **options: Any) -> AIHordeAPIAsyncManualClient:  # noqa: ANN401 - client options
        """An async manual client (use ``async with``)."""
        options.setdefault("enforce_rate_limits", False)
        options.setdefault("api_key", KEYS[user].key)
        if self.http_client is not None:
            options.setdefault("http_client", self.http_client)
        return AIHordeAPIAsyncManualClient(base_url=self.base_url, timeouts=TIMEOUTS, **options)

    def async_session(self, user: str = "alice", **options: Any) -> AIHordeAPIAsyncClientSession:  # noqa: ANN401 - client options
        """An async client session (use ``async with``)."""
        options.setdefault("enforce_rate_limits", False)
        options.setdefault("api_key", KEYS[user].key)
        if self.http_client is not None:
            options.setdefault("http_client", self.http_client)
        return AIHordeAPIAsyncClientSession(base_url=self.base_url, timeouts=TIMEOUTS, **options)

    def worker(self, name: str = "scripted-worker", **options: Any) -> ScriptedWorker:  # noqa: ANN401 - client options
        """A blocking scripted worker owned by the ``worker`` user."""
        return ScriptedWorker(self.client("worker"), name=name, **options)

    def async_worker(
        self,
        client: AIHordeAPIAsyncManualClient,
        name: str = "scripted-worker",
        **options: Any,  # noqa: ANN401 - worker options
    ) -> AsyncScriptedWorker:
        """An async scripted worker using ``client`` (open it with ``async with`` first)."""
        return AsyncScriptedWorker(client, name=name, **options)

    @contextmanager
    def serving_workers(self, prefix: str) -> Iterator[list[ScriptedWorker]]:
        """Serve images, text and alchemy with three scripted workers in a background thread, for the block.

        Args:
            prefix: Start of the workers' names (``{prefix}-image``, ``{prefix}-text``, ``{prefix}-alchemy``).

        Yields:
            The image, text and alchemy workers (the text one serves ``koboldcpp/tiny``).
        """
        workers = [
            self.worker(f"{prefix}-image"),
            self.worker(f"{prefix}-text", models=("koboldcpp/tiny",)),
            self.worker(f"{prefix}-alchemy", amount=4),
        ]
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    handled = workers[0].work_image() + workers[1].work_text() + workers[2].work_alchemy()
                except HordeError:
                    handled = 0
                if not handled:
                    stop.wait(0.02)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield workers
        finally:
            stop.set()
            thread.join(10)
