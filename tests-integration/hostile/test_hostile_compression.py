"""Compressed answers from a hostile server: a gzip bomb stops at the cap without expanding in memory first.

10 MiB of zeros gzip to about 10 KiB, one network chunk. HTTP libraries decode a chunk whole, so a cap
checked on decoded chunks let that chunk become 10 MiB (a deeper bomb: any size) before the check. The
transport now reads the raw stream and decodes it in steps of at most 64 KiB, checking the cap before each
step is kept. These tests serve bombs with a 1 MiB cap to every transport (sync httpx, async httpx, aiohttp)
and every body reader (API answers, ``send_raw`` downloads, a worker's input download) and measure the peak
of Python allocations during the read (tracemalloc): it stays near the cap, where it was over 10 MiB.
They also show that honest gzip and deflate answers still parse and that broken ones are typed errors.
"""

from __future__ import annotations

import functools
import gzip
import json
import tracemalloc
import zlib
from collections.abc import Callable

import anyio
import pytest

from horde_sdk.ai_horde_api.ai_horde_clients import AIHordeAPIAsyncManualClient, AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import HordeHeartbeatRequest, HordeHeartbeatResponse
from horde_sdk.ai_horde_api.consts import METADATA_TYPE
from horde_sdk.generic_api import transport as transport_module
from horde_sdk.generic_api.core import RawResponse, TransportFailure
from horde_sdk.generic_api.exceptions import HordeConnectionError, HordeResponseTooLargeError
from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts, RetryPolicy
from horde_sdk.generic_api.transport import AsyncTransport, SyncTransport
from horde_sdk.worker.dispatch.ai_horde import ImageToDownload
from horde_sdk.worker.runtime.inputs import InputDownloadError, fetch_input_images

HEARTBEAT = "/api/v2/status/heartbeat"
OK_JSON = json.dumps({"message": "OK", "version": "4.0.0"}).encode()
CAP = 1024 * 1024
BOMB_SIZE = 10 * CAP
PEAK_ALLOWED = 3 * CAP
"""The cap, one decoding step per layer, and what the client, the server thread and the event loop allocate."""
GZIP = {"Content-Encoding": "gzip", "Content-Type": "application/json"}


@functools.cache
def _bomb(layers: int = 1) -> bytes:
    """BOMB_SIZE zero bytes, gzipped ``layers`` times (about 10 KiB for one layer, a few hundred bytes for two)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(CAP)
    data = b"".join(squeezer.compress(block) for _ in range(BOMB_SIZE // CAP)) + squeezer.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data)
    return data


def _raw_deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return squeezer.compress(data) + squeezer.flush()


# ---------------------------------------------------------------------------------------- measuring
class Peak:
    """The peak of traced Python allocations above the level when measuring started."""

    bytes = 0

    def __enter__(self) -> Peak:
        self._already_tracing = tracemalloc.is_tracing()  # e.g. under PYTHONTRACEMALLOC: leave it running
        if not self._already_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._start = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        self.bytes = tracemalloc.get_traced_memory()[1] - self._start
        if not self._already_tracing:
            tracemalloc.stop()


def _warm_then_bomb(body: bytes, headers: dict[str, str]) -> Callable[..., None]:
    """Answer the first request with a small plain JSON (it warms the client up), then with ``body``."""
    served: list[int] = []

    def handler(seen, reply) -> None:
        served.append(1)
        if len(served) == 1:
            reply.send(200, OK_JSON, {"Content-Type": "application/json"})
        else:
            reply.send(200, body, headers)

    return handler


# ---------------------------------------------------------------------------------------- API calls
def _settings(url: str) -> HordeClientSettings:
    return HordeClientSettings(
        base_url=f"{url}/api",
        api_key="hostile-gzip-key-0123456789",
        timeouts=HordeTimeouts.uniform(5.0),
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02),
        max_response_bytes=CAP,
    )


def _sync_api(url: str, peak: Peak) -> object:
    with AIHordeAPIManualClient(settings=_settings(url), enforce_rate_limits=False) as client:
        client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse)  # warm-up (plain answer)
        with peak:
            try:
                return client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse)
            except Exception as error:  # returned: the test checks its type
                return error


def _async_api(url: str, peak: Peak, *, over_httpx: bool = False) -> object:
    async def main() -> object:
        async with AIHordeAPIAsyncManualClient(settings=_settings(url), enforce_rate_limits=False) as client:
            await client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse)  # warm-up (plain answer)
            with peak:
                try:
                    return await client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse)
                except Exception as error:  # returned: the test checks its type
                    return error

    if not over_httpx:
        return anyio.run(main)
    original = transport_module.aiohttp_available
    transport_module.aiohttp_available = lambda: False  # as if aiohttp were not installed: the httpx path
    try:
        return anyio.run(main)
    finally:
        transport_module.aiohttp_available = original  # restored


API_CALLS = [
    pytest.param(_sync_api, id="sync"),
    pytest.param(_async_api, id="async"),  # aiohttp where installed (the worker's extra)
    pytest.param(functools.partial(_async_api, over_httpx=True), id="async-httpx"),
]


@pytest.mark.parametrize("call", API_CALLS)
@pytest.mark.parametrize("layers", [1, 2], ids=["gzip", "gzip-gzip"])
def test_a_gzip_bomb_api_answer_stops_at_the_cap_without_expanding_first(hostile, call, layers):
    encoding = ", ".join(["gzip"] * layers)
    hostile.route(HEARTBEAT, _warm_then_bomb(_bomb(layers), {**GZIP, "Content-Encoding": encoding}))
    peak = Peak()
    outcome = call(hostile.url, peak)
    assert isinstance(outcome, HordeResponseTooLargeError), outcome
    assert outcome.limit == CAP
    # Before: over 10 MiB (the whole chunk decoded at once, then copied into the body).
    assert peak.bytes < PEAK_ALLOWED, f"peak {peak.bytes} bytes while reading a {len(_bomb(layers))}-byte bomb"
    assert len(hostile.requests_to(HEARTBEAT)) == 2  # a body over the cap is not retried


def _honest(body: bytes, headers: dict[str, str]) -> Callable[..., None]:
    return lambda seen, reply: reply.send(200, body, headers)


ENCODED_ANSWERS = [
    pytest.param(gzip.compress(OK_JSON), "gzip", id="gzip"),
    pytest.param(gzip.compress(OK_JSON[:10]) + gzip.compress(OK_JSON[10:]), "x-gzip", id="gzip-two-members"),
    pytest.param(zlib.compress(OK_JSON), "deflate", id="deflate-zlib"),
    pytest.param(_raw_deflate(OK_JSON), "deflate", id="deflate-raw"),
    pytest.param(gzip.compress(zlib.compress(OK_JSON)), "deflate, gzip", id="deflate-then-gzip"),
    pytest.param(OK_JSON, "identity", id="identity"),
]


@pytest.mark.parametrize("call", API_CALLS)
@pytest.mark.parametrize(("body", "encoding"), ENCODED_ANSWERS)
def test_an_honest_compressed_answer_still_parses(hostile, call, body, encoding):
    hostile.route(HEARTBEAT, _warm_then_bomb(body, {**GZIP, "Content-Encoding": encoding}))
    outcome = call(hostile.url, Peak())
    assert isinstance(outcome, HordeHeartbeatResponse), outcome
    assert outcome.version == "4.0.0"
    # Only what is decoded bounded is asked for (httpx would add br and zstd where their packages are installed).
    assert {seen.headers["accept-encoding"] for seen in hostile.requests_to(HEARTBEAT)} == {"gzip, deflate"}


BROKEN_ANSWERS = [
    pytest.param(gzip.compress(OK_JSON)[:-6], "gzip", "gzip response body is truncated", id="gzip-truncated"),
    pytest.param(b"\x1f\x8b\x08\x00garbage" + bytes(40), "gzip", "gzip response body is corrupt", id="gzip-corrupt"),
    pytest.param(zlib.compress(OK_JSON)[:-3], "deflate", "deflate response body is truncated", id="deflate-truncated"),
    pytest.param(OK_JSON, "br", "decodes gzip and deflate only", id="brotli-not-asked-for"),
    pytest.param(OK_JSON, "gzip, gzip, gzip, gzip", "chains 4 content encodings", id="too-many-layers"),
]


@pytest.mark.parametrize("call", API_CALLS)
@pytest.mark.parametrize(("body", "encoding", "message"), BROKEN_ANSWERS)
def test_a_broken_compressed_answer_is_a_typed_error(hostile, call, body, encoding, message):
    hostile.route(HEARTBEAT, _warm_then_bomb(body, {**GZIP, "Content-Encoding": encoding}))
    outcome = call(hostile.url, Peak())
    assert isinstance(outcome, HordeConnectionError), outcome  # not a raw zlib.error or library error
    assert message in str(outcome)
    assert outcome.may_have_reached_server


# ---------------------------------------------------------------------------------------- downloads
def _send_raw_sync(url: str, peak: Peak) -> RawResponse | TransportFailure:
    transport = SyncTransport(HordeTimeouts.uniform(5.0))
    try:
        transport.send_raw("GET", url)  # warm-up (plain answer)
        with peak:
            return transport.send_raw("GET", url, max_body_bytes=CAP)
    finally:
        transport.close()


def _send_raw_async(url: str, peak: Peak, backend: transport_module.AsyncBackend) -> RawResponse | TransportFailure:
    async def main() -> RawResponse | TransportFailure:
        transport = AsyncTransport(HordeTimeouts.uniform(5.0), backend=backend)
        try:
            await transport.send_raw("GET", url)  # warm-up (plain answer)
            with peak:
                return await transport.send_raw("GET", url, max_body_bytes=CAP)
        finally:
            await transport.aclose()

    return anyio.run(main)


DOWNLOADS = [
    pytest.param(_send_raw_sync, id="sync"),
    pytest.param(functools.partial(_send_raw_async, backend="auto"), id="async"),
    pytest.param(functools.partial(_send_raw_async, backend="httpx"), id="async-httpx"),
]


@pytest.mark.parametrize("download", DOWNLOADS)
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_bomb_download_stops_at_the_cap_without_expanding_first(hostile, download, encoding):
    # What result downloads (presigned URLs) and worker input downloads go through: send_raw with a cap.
    body = _bomb() if encoding == "gzip" else zlib.compress(bytes(BOMB_SIZE), 9)
    hostile.route("/r2/", _warm_then_bomb(body, {"Content-Encoding": encoding, "Content-Type": "image/webp"}))
    peak = Peak()
    outcome = download(f"{hostile.url}/r2/result.webp", peak)
    assert isinstance(outcome, TransportFailure), outcome
    assert outcome.kind == "too_large"
    assert peak.bytes < PEAK_ALLOWED, f"peak {peak.bytes} bytes"


def test_a_gzip_bomb_input_image_faults_the_worker_download(hostile):
    hostile.route("/r2/", lambda seen, reply: reply.send(200, _bomb(), {"Content-Encoding": "gzip"}))
    image = ImageToDownload(role=METADATA_TYPE.source_image, location=f"{hostile.url}/r2/source.webp", is_url=True)

    async def fetch() -> None:
        transport = AsyncTransport(HordeTimeouts.uniform(5.0))
        try:
            await fetch_input_images(transport, [image], seconds_per_image=5.0, max_bytes=CAP)
        finally:
            await transport.aclose()

    with pytest.raises(InputDownloadError, match=f"larger than the cap of {CAP} bytes"):
        anyio.run(fetch)
