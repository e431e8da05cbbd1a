"""What the fake engines share: a threaded loopback HTTP server, JSON answers, and real PNG images.

Every image a fake makes is a solid colour computed from its seed (`seed_colour`), so a test that gets an image
back can tell which seed made it, and of the requested size.
"""

from __future__ import annotations

import base64
import io
import json
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from PIL import Image

HANG_LIMIT = 5.0
"""The longest a fake keeps a request hanging (it is released earlier by an interrupt or the server's stop)."""


_SSL_CONTEXT = ssl.create_default_context()


@asynccontextmanager
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a backend under test, sharing one SSL context (making one costs ~80 ms per client)."""
    async with httpx.AsyncClient(verify=_SSL_CONTEXT) as client:
        yield client


def seed_colour(seed: int) -> tuple[int, int, int]:
    """The colour of every image the fakes make for `seed`."""
    return (seed * 67 + 11) % 256, (seed * 131 + 89) % 256, (seed * 29 + 173) % 256


def png(width: int, height: int, colour: tuple[int, int, int] = (0, 0, 0), *, mode: str = "RGB") -> bytes:
    """A real PNG of `width` x `height`, filled with `colour`."""
    fill: Any = colour if mode != "L" else colour[0]
    image = Image.new(mode, (width, height), fill)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def image_of(data: bytes) -> Image.Image:
    """Decode an image (raises if it is not one)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def colour_is_close(actual: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    """Whether a (lossily encoded) pixel has the expected colour."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual[:3], expected, strict=True))


class FakeHandler(BaseHTTPRequestHandler):
    """Routes requests to the fake (``self.server.fake``), which answers with `send_json`/`send_bytes`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        del format, args

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]  # the fake rides on the server object as an extra attribute

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, body: object) -> None:
        self.send_bytes(status, json.dumps(body).encode(), "application/json")

    def drop(self) -> None:
        """Close the connection without answering (a crashed or restarted engine)."""
        self.close_connection = True

    def _dispatch(self, method: str) -> None:
        try:
            self.fake.handle(self, method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout, a cancelled job): nothing to answer
        except Exception as error:  # a bug of the fake: answer 500 with it, as the real servers do
            self.fake.errors.append(f"{type(error).__name__}: {error}")
            self.send_bytes(500, f"fake error: {type(error).__name__}: {error}".encode(), "text/plain")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")


class FakeServerBase:
    """A fake engine: `handle` answers each request; `failure` makes the next jobs fail the way real engines do."""

    def __init__(self) -> None:
        self.failure: str | None = None
        self.requests: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.url = ""

    def handle(self, request: FakeHandler, method: str) -> None:
        raise NotImplementedError

    def hang(self) -> None:
        """Keep the request waiting until an interrupt, the server's stop, or `HANG_LIMIT`."""
        self.released.wait(HANG_LIMIT)

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free loopback port; yield the base URL."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHandler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]  # the fake rides on the server object as an extra attribute
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self.url
        finally:
            self.released.set()
            server.shutdown()
            server.server_close()
