"""Fixtures of the cross-package suite: a local AI Horde per test process, fresh state per test.

- ``local_horde_server`` (session): one :class:`horde_local.LocalHordeServer` per pytest(-xdist) process, on a
  free loopback port, served by uvicorn from a background thread.
- ``horde`` (function): that server's horde reset to :func:`horde_local.testing.test_config` (rate limits off,
  no ``check`` cache, the users of :data:`horde_local.testing.KEYS`), as a :class:`horde_local.testing.HordeEnv`
  that also builds clients and workers.
- ``asgi_horde`` (function): a separate horde served in-process through ``httpx.ASGITransport`` (async
  clients only; no sockets, so no dropped-connection faults).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from horde_local import LocalHorde, LocalHordeServer, SystemClock, create_app
from horde_local.testing import HordeEnv, test_config


@pytest.fixture(scope="session")
def local_horde_server() -> Iterator[LocalHordeServer]:
    """One local horde server per test process (xdist worker), on a free loopback port."""
    server = LocalHordeServer(LocalHorde(test_config()))
    with server:
        yield server


@pytest.fixture
def horde(local_horde_server: LocalHordeServer) -> Iterator[HordeEnv]:
    """The process's local horde over real loopback HTTP, reset for this test."""
    # A fresh configuration and a real clock: a test may have left a ManualClock (time standing still), under
    # which the next test's ttl aborts would never happen.
    local_horde_server.horde.reset(test_config(), SystemClock())
    env = HordeEnv(horde=local_horde_server.horde, base_url=local_horde_server.base_url)
    yield env
    env.close()
    local_horde_server.horde.reset(test_config(), SystemClock())


@pytest.fixture
def asgi_horde() -> Iterator[HordeEnv]:
    """A local horde served in-process (``httpx.ASGITransport``); for async clients."""
    horde = LocalHorde(test_config())
    transport = httpx.ASGITransport(app=create_app(horde))
    http_client = httpx.AsyncClient(transport=transport, base_url="http://local-horde")
    yield HordeEnv(horde=horde, base_url="http://local-horde/api", http_client=http_client)
    asyncio.run(http_client.aclose())
