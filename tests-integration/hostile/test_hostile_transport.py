"""API calls against a server that drips, stalls, floods, redirects and asks for long waits.

Each exchange is bounded by the call's total deadline (short here, so the suite stays fast), a body
by the client's cap, and the API key by its origin. Phase timeouts are kept long (5 s) so that only the
total deadline can end a dripping exchange in time.
"""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from horde_sdk.ai_horde_api.ai_horde_clients import AIHordeAPIAsyncManualClient, AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import HordeHeartbeatRequest, HordeHeartbeatResponse
from horde_sdk.generic_api import transport as transport_module
from horde_sdk.generic_api.core import TransportFailure
from horde_sdk.generic_api.exceptions import (
    HordeRateLimitedError,
    HordeResponseTooLargeError,
    HordeResponseValidationError,
    HordeTimeoutError,
)
from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts, RetryPolicy
from horde_sdk.generic_api.transport import AsyncTransport, SyncTransport

KEY = "hostile-test-key-0123456789"
HEARTBEAT = "/api/v2/status/heartbeat"
OK_BODY = json.dumps({"message": "OK", "version": "4.0.0"}).encode()
DEADLINE = 1.0


def _options(server_url: str, **settings: object) -> dict[str, object]:
    return {
        "settings": HordeClientSettings(
            base_url=f"{server_url}/api",
            api_key=KEY,
            timeouts=HordeTimeouts.uniform(5.0),
            retry=RetryPolicy(max_attempts=4, backoff_base=0.05, backoff_max=0.1),
            **settings,  # type: ignore[arg-type]  # settings are keyword arguments of the settings model, passed through untyped
        ),
        "enforce_rate_limits": False,
    }


def _sync_call(server_url: str, *, http_client: httpx.Client | None = None, **settings: object) -> object:
    with AIHordeAPIManualClient(http_client=http_client, **_options(server_url, **settings)) as client:  # type: ignore[arg-type]  # settings are keyword arguments of the settings model, passed through untyped
        return client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse, timeout=DEADLINE)


def _async_call(server_url: str, *, http_client: httpx.AsyncClient | None = None, **settings: object) -> object:
    async def main() -> object:
        async with AIHordeAPIAsyncManualClient(http_client=http_client, **_options(server_url, **settings)) as client:  # type: ignore[arg-type]  # settings are keyword arguments of the settings model, passed through untyped
            return await client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse, timeout=DEADLINE)

    return anyio.run(main)


def _async_call_over_httpx(
    server_url: str, *, http_client: httpx.AsyncClient | None = None, **settings: object
) -> object:
    """The async call with the transport's httpx path even where aiohttp is installed (its created client)."""
    original = transport_module.aiohttp_available
    transport_module.aiohttp_available = lambda: False  # as if aiohttp were not installed
    try:
        return _async_call(server_url, http_client=http_client, **settings)
    finally:
        transport_module.aiohttp_available = original  # restored


# "async" sends with aiohttp where it is installed (the worker's extra), "async-httpx" always with httpx.
CALLS = [
    pytest.param(_sync_call, id="sync"),
    pytest.param(_async_call, id="async"),
    pytest.param(_async_call_over_httpx, id="async-httpx"),
]


def test_the_async_call_goes_through_aiohttp_where_it_is_installed():
    async def backends() -> tuple[str, str]:
        async with AIHordeAPIAsyncManualClient(base_url="http://127.0.0.1:9/api") as client:
            first = client.transport.backend
        original = transport_module.aiohttp_available
        transport_module.aiohttp_available = lambda: False  # as if not installed
        try:
            async with AIHordeAPIAsyncManualClient(base_url="http://127.0.0.1:9/api") as client:
                return first, client.transport.backend
        finally:
            transport_module.aiohttp_available = original  # restored

    expected = "aiohttp" if transport_module.aiohttp_available() else "httpx"
    assert anyio.run(backends) == (expected, "httpx")


def _complete_answer() -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(OK_BODY)}\r\n\r\n"
    return head.encode() + OK_BODY


@pytest.mark.parametrize("call", CALLS)
def test_dripping_headers_end_at_the_calls_deadline(hostile, call):
    # A valid answer, one byte every 50 ms: about 5 s in all. Every single read is quick, so only the
    # total deadline can stop it; without one the call returned the heartbeat after 5 s.
    hostile.route(HEARTBEAT, lambda seen, reply: reply.drip(_complete_answer(), 0.05))
    with pytest.raises(HordeTimeoutError, match="deadline"):
        call(hostile.url)


@pytest.mark.parametrize("call", CALLS)
def test_dripping_body_ends_at_the_calls_deadline(hostile, call):
    def handler(seen, reply) -> None:
        body = OK_BODY + b" " * 100
        reply.raw(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        reply.drip(body, 0.05)

    hostile.route(HEARTBEAT, handler)
    with pytest.raises(HordeTimeoutError):
        call(hostile.url)


@pytest.mark.parametrize("call", CALLS)
def test_retry_after_beyond_the_deadline_fails_at_once_with_the_timeout_error(hostile, call):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.json(429, {"message": "slow down"}, {"Retry-After": "30"}))
    with pytest.raises(HordeTimeoutError) as caught:
        call(hostile.url)
    assert isinstance(caught.value.__cause__, HordeRateLimitedError)
    assert caught.value.may_have_reached_server is False
    assert len(hostile.requests_to(HEARTBEAT)) == 1  # no retry was sent, no wait was started


@pytest.mark.parametrize("call", CALLS)
def test_a_body_over_the_cap_is_a_typed_error(hostile, call):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.send(200, b"[" + b"0," * 600_000 + b"0]"))
    with pytest.raises(HordeResponseTooLargeError) as caught:
        call(hostile.url, max_response_bytes=1_000_000)
    assert caught.value.limit == 1_000_000


@pytest.mark.parametrize("call", CALLS)
def test_an_endless_chunked_body_stops_at_the_cap(hostile, call):
    def flood(seen, reply) -> None:
        reply.raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        while not reply.stop.is_set():
            reply.raw(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    hostile.route(HEARTBEAT, flood)
    with pytest.raises(HordeResponseTooLargeError):
        call(hostile.url, max_response_bytes=256 * 1024)


@pytest.mark.parametrize("call", CALLS)
def test_an_empty_200_body_is_an_error(hostile, call):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.send(200, b"", {"Content-Type": "application/json"}))
    with pytest.raises(HordeResponseValidationError, match="empty"):
        call(hostile.url)


def _call_with_following_client(call, url: str) -> None:
    """Call through an injected HTTP client that follows redirects (the risky configuration)."""
    injected = (httpx.Client if call is _sync_call else httpx.AsyncClient)(follow_redirects=True)
    call = _async_call if call is _async_call_over_httpx else call  # an injected httpx client is httpx anyway
    try:
        call(url, http_client=injected)
    finally:
        if isinstance(injected, httpx.Client):
            injected.close()
        else:
            anyio.run(injected.aclose)


@pytest.mark.parametrize("call", CALLS)
def test_the_key_does_not_follow_a_redirect_to_another_origin(hostile, elsewhere, call):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.send(307, headers={"Location": f"{elsewhere.url}{HEARTBEAT}"}))
    elsewhere.route(HEARTBEAT, lambda seen, reply: reply.json(200, {"message": "OK", "version": "4"}))
    _call_with_following_client(call, hostile.url)
    assert hostile.requests_to(HEARTBEAT)[0].headers["apikey"] == KEY
    followed = elsewhere.requests_to(HEARTBEAT)
    assert len(followed) == 1
    assert "apikey" not in followed[0].headers


@pytest.mark.parametrize("call", CALLS)
def test_a_same_origin_redirect_keeps_the_key(hostile, call):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.send(308, headers={"Location": "/api/v2/moved/heartbeat"}))
    hostile.route("/api/v2/moved", lambda seen, reply: reply.json(200, {"message": "OK", "version": "4"}))
    _call_with_following_client(call, hostile.url)
    assert hostile.requests_to("/api/v2/moved")[0].headers["apikey"] == KEY


def test_a_client_that_does_not_follow_redirects_reports_the_redirect(hostile, elsewhere):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.send(307, headers={"Location": f"{elsewhere.url}{HEARTBEAT}"}))
    with pytest.raises(Exception, match="307"):
        _sync_call(hostile.url)
    assert elsewhere.seen == []


def test_an_injected_sync_client_is_held_to_the_deadline_too(hostile):
    hostile.route(HEARTBEAT, lambda seen, reply: reply.drip(_complete_answer(), 0.05))
    injected = httpx.Client()
    try:
        with pytest.raises(HordeTimeoutError, match="deadline"):
            _sync_call(hostile.url, http_client=injected)
    finally:
        injected.close()


@pytest.mark.parametrize("transport_type", [SyncTransport, AsyncTransport])
def test_send_raw_takes_a_deadline_and_a_body_cap(hostile, transport_type):
    # What a worker downloading an input image relies on: a cap and a deadline per plain GET.
    hostile.route("/big", lambda seen, reply: reply.send(200, b"x" * 50_000))
    hostile.route("/slow", lambda seen, reply: reply.drip(_complete_answer(), 0.05))
    transport = transport_type(HordeTimeouts.uniform(5.0))

    async def both() -> tuple[object, object]:
        big = transport.send_raw("GET", f"{hostile.url}/big", max_body_bytes=10_000)
        slow = transport.send_raw("GET", f"{hostile.url}/slow", timeout=DEADLINE)
        if transport_type is AsyncTransport:
            big, slow = await big, await slow
            await transport.aclose()
        else:
            transport.close()
        return big, slow

    big, slow = anyio.run(both)
    assert isinstance(big, TransportFailure)
    assert big.kind == "too_large"
    assert isinstance(slow, TransportFailure)
    assert slow.kind == "timeout"
