"""Bounded content decoding: memory held while reading a gzip bomb, and the cost of decoding in steps; asserts nothing.

1. **Peak memory of a bomb** (tracemalloc, Python allocations during one read): a loopback server answers
   with ``BOMB`` MiB of zeros, gzip-compressed, and the reader has a 1 MiB cap. Measured for each transport
   of the SDK (``SyncTransport``, ``AsyncTransport`` over aiohttp where installed and over httpx) and, for
   comparison, for what the transport did before: httpx's decoded stream (``iter_bytes``) checked chunk by
   chunk against the same cap.
2. **Decoding speed** of an honest compressed body (a JSON listing of about 4 MiB, gzip): the SDK's
   ``BodyDecoder`` (64 KiB steps) against ``zlib`` decoding each network chunk whole (what httpx does),
   in MB/s of decoded output, median of ``--rounds``.

Usage: ``hatch run python tools/bench/bench_decoding.py [--bomb MIB] [--rounds N]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import socket
import statistics
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Literal

import httpx

from horde_sdk.generic_api._content_decoding import BodyDecoder
from horde_sdk.generic_api.settings import HordeTimeouts
from horde_sdk.generic_api.transport import AsyncTransport, SyncTransport, aiohttp_available

CAP = 1024 * 1024
NETWORK_CHUNK = 64 * 1024


def _gzip_zeros(size: int) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    return b"".join(squeezer.compress(block) for _ in range(size // len(block))) + squeezer.flush()


@contextmanager
def _server(body: bytes) -> Iterator[str]:
    """A loopback server answering every request with ``body`` as gzip, one connection per request."""
    listener = socket.create_server(("127.0.0.1", 0))
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                with suppress(OSError):  # the reader may hang up at its cap
                    conn.sendall(head + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/bomb"
    finally:
        listener.close()


@contextmanager
def _traced_peak() -> Iterator[list[int]]:
    """Trace Python allocations inside the block; the list gets their peak in bytes once it ends."""
    figure: list[int] = []
    tracemalloc.start()  # counts only what is allocated from here on
    try:
        yield figure
    finally:
        figure.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def _before(url: str) -> tuple[int, object]:
    """What the transport did before: httpx decodes each chunk whole, then the cap is checked."""
    with httpx.Client() as client:
        client.get(url)  # warm-up: the pool
        with _traced_peak() as peak, client.stream("GET", url) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > CAP:
                    break
        return peak[0], f"too large, {len(body)} bytes held"


def _sync(url: str) -> tuple[int, object]:
    transport = SyncTransport(HordeTimeouts.uniform(10.0))
    try:
        transport.send_raw("GET", url, max_body_bytes=CAP)  # warm-up: the pool
        with _traced_peak() as peak:
            outcome = transport.send_raw("GET", url, max_body_bytes=CAP)
        return peak[0], outcome
    finally:
        transport.close()


def _async(url: str, backend: Literal["httpx", "aiohttp"]) -> tuple[int, object]:
    async def main() -> tuple[int, object]:
        transport = AsyncTransport(HordeTimeouts.uniform(10.0), backend=backend)
        try:
            await transport.send_raw("GET", url, max_body_bytes=CAP)  # warm-up: the session or client
            with _traced_peak() as peak:
                outcome = await transport.send_raw("GET", url, max_body_bytes=CAP)
            return peak[0], outcome
        finally:
            await transport.aclose()

    return asyncio.run(main())


def _outcome(result: object) -> str:
    kind = getattr(result, "kind", None)
    return f"failure {kind!r}" if kind else str(result)


def bomb_figures(bomb_mib: int) -> None:
    """Print the peak memory of reading a bomb with each reader."""
    body = _gzip_zeros(bomb_mib * 1024 * 1024)
    print(f"bomb: {bomb_mib} MiB of zeros as {len(body)} bytes of gzip; cap {CAP} bytes")
    readers: dict[str, Callable[[str], tuple[int, object]]] = {
        "before: httpx iter_bytes, cap checked per decoded chunk": _before,
        "SyncTransport (httpx)": _sync,
        "AsyncTransport (httpx)": functools.partial(_async, backend="httpx"),
    }
    if aiohttp_available():
        readers["AsyncTransport (aiohttp)"] = functools.partial(_async, backend="aiohttp")
    with _server(body) as url:
        for label, read in readers.items():
            peak, outcome = read(url)
            print(f"  {label:56s} peak {peak / 1024 / 1024:7.2f} MiB  ({_outcome(outcome)})")


def speed_figures(rounds: int) -> None:
    """Print decoded MB/s of an honest gzip body: bounded steps against whole-chunk zlib."""
    listing = [
        {"name": f"model {index}", "count": index, "eta": index % 97, "queued": 1.5 * index} for index in range(40_000)
    ]
    plain = json.dumps(listing).encode()
    encoded = zlib.compress(plain, 6, wbits=16 + zlib.MAX_WBITS)
    chunks = [encoded[offset : offset + NETWORK_CHUNK] for offset in range(0, len(encoded), NETWORK_CHUNK)]

    def whole() -> int:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return sum(len(decompressor.decompress(chunk)) for chunk in chunks) + len(decompressor.flush())

    def bounded() -> int:
        decoder = BodyDecoder("gzip")
        size = sum(len(piece) for chunk in chunks for piece in decoder.decode(chunk))
        decoder.finish()
        return size

    print(f"speed: {len(plain) / 1e6:.1f} MB of JSON as {len(encoded) / 1e6:.2f} MB of gzip, {rounds} rounds")
    figures: dict[str, list[float]] = {"zlib, each chunk whole (httpx)": [], "BodyDecoder, 64 KiB steps": []}
    for _ in range(rounds):
        for label, decode in (("zlib, each chunk whole (httpx)", whole), ("BodyDecoder, 64 KiB steps", bounded)):
            started = time.perf_counter()
            size = decode()
            figures[label].append(size / (time.perf_counter() - started) / 1e6)
    for label, values in figures.items():
        print(f"  {label:32s} {statistics.median(values):8.0f} MB/s (min {min(values):.0f}, max {max(values):.0f})")


def main() -> None:
    """Parse the arguments and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb", type=int, default=64, help="MiB of zeros in the bomb (default 64)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the speed figures (default 15)")
    arguments = parser.parse_args()
    bomb_figures(arguments.bomb)
    speed_figures(arguments.rounds)


if __name__ == "__main__":
    main()
