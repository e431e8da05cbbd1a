"""Fixtures of the hostile-server suite: a loopback HTTP server that drips, stalls, floods, redirects and lies.

Each test registers handlers by path (``server.route("/v2/x", handler)``); a handler gets the parsed
request and a :class:`Reply` to write raw bytes with. Every connection is answered by its own thread and
closed after one exchange. Dripping and stalling handlers wait on the server's stop event, so
:meth:`HostileServer.close` ends them at once and no test leaves a thread behind.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class SeenRequest:
    """One request the server read."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """Writes an answer on the connection."""

    sock: socket.socket
    stop: threading.Event

    def raw(self, data: bytes) -> None:
        """Write bytes as they are."""
        self.sock.sendall(data)

    def send(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, *, length: int | None = None
    ) -> None:
        """Write a complete answer (``length`` overrides the Content-Length header)."""
        lines = [f"HTTP/1.1 {status} X"]
        all_headers = {"Content-Length": str(len(body) if length is None else length), "Connection": "close"}
        all_headers.update(headers or {})
        lines.extend(f"{name}: {value}" for name, value in all_headers.items())
        self.raw(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Write a JSON answer."""
        self.send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    def drip(self, data: bytes, interval: float) -> None:
        """Write ``data`` one byte every ``interval`` seconds, until done or the server stops."""
        for index in range(len(data)):
            if self.stop.wait(interval):
                return
            self.sock.sendall(data[index : index + 1])

    def stall(self) -> None:
        """Say nothing until the server stops."""
        self.stop.wait()


Handler = Callable[[SeenRequest, Reply], None]


@dataclass
class HostileServer:
    """The server; use as a context manager. ``url`` is its base URL."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests whose path (without query) starts with ``path`` with ``handler``."""
        self.routes[path] = handler

    def requests_to(self, prefix: str) -> list[SeenRequest]:
        """The requests read so far whose path starts with ``prefix``."""
        return [seen for seen in list(self.seen) if seen.path.startswith(prefix)]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                seen = self._read_request(conn)
                if seen is None:
                    return
                self.seen.append(seen)
                path = seen.path.split("?", 1)[0]
                prefixes = sorted(self.routes, key=len, reverse=True)
                handler = next((self.routes[prefix] for prefix in prefixes if path.startswith(prefix)), None)
                reply = Reply(conn, self._stop)
                if handler is None:
                    reply.json(404, {"message": "no route", "rc": "NotFound"})
                else:
                    handler(seen, reply)
            except OSError:
                return

    @staticmethod
    def _read_request(conn: socket.socket) -> SeenRequest | None:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return SeenRequest(method=method, path=target, headers=headers, body=body)

    def close(self) -> None:
        """Stop every handler and the listener."""
        self._stop.set()
        self._listener.close()
        self._acceptor.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """A fresh hostile server for one test."""
    with HostileServer() as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """A second server: another origin (another port) for redirect tests."""
    with HostileServer() as server:
        yield server
