"""Serving a local horde over loopback HTTP with uvicorn, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

from horde_local.app import create_app
from horde_local.horde import LocalHorde

__all__ = ["LocalHordeServer"]


class LocalHordeServer:
    """A local horde served by uvicorn on ``127.0.0.1`` from a background thread.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        horde: The horde to serve (a default one when not given).
        port: The port (0: a free one, chosen by the system).
        host: The address to listen on (loopback by default).
    """

    def __init__(self, horde: LocalHorde | None = None, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self.horde = horde or LocalHorde()
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose protocol says TCP, and without it
        # every answer waits ~40 ms for a delayed ACK (the headers and the body are written apart).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.horde),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
            limit_concurrency=1000,
            backlog=1024,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the root of the presigned image URLs."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api``: the ``base_url`` to give AI Horde clients."""
        return f"{self.url}/api"

    def start(self, timeout: float = 10.0) -> Self:
        """Start serving in a daemon thread; return once the server accepts connections.

        Raises:
            RuntimeError: the server did not start within ``timeout`` seconds.
        """
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"local-horde-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local horde did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C)."""
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
