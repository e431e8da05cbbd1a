"""The aiohttp path of AsyncTransport (the ``aiohttp`` extra): what it sends and how it fails.

The deadline, the body cap and redirects are exercised against hostile servers for both paths in
tests-integration/hostile; these tests cover what only the aiohttp code does: its request bytes, and
telling a failure before sending from one after.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from horde_sdk.generic_api import transport as transport_module
from horde_sdk.generic_api.core import PreparedRequest, RawResponse, TransportFailure
from horde_sdk.generic_api.settings import HordeTimeouts
from horde_sdk.generic_api.transport import AsyncTransport

pytestmark = pytest.mark.skipif(not transport_module.aiohttp_available(), reason="the aiohttp extra is not installed")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TIMEOUTS = HordeTimeouts.uniform(5.0)


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


async def _serve(handler: Handler, exchange: Callable[[str], Awaitable[object]]) -> object:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await exchange(f"http://127.0.0.1:{port}")
    finally:
        server.close()


def test_a_post_goes_out_as_compact_json_with_query_and_headers() -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        body = b'{"id": "x"}'
        writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def exchange(url: str) -> object:
        transport = AsyncTransport(TIMEOUTS, backend="aiohttp")
        prepared = PreparedRequest(
            method="POST",
            url=f"{url}/api/v2/generate/async",
            path_template="/v2/generate/async",
            idempotent=False,
            headers={"apikey": "k", "Client-Agent": "t:1:x"},
            params=[("a", "1"), ("b", "two words")],
            json_body={"prompt": "é", "n": 2},
        )
        try:
            return await transport.send(prepared)
        finally:
            await transport.aclose()

    answer = asyncio.run(_serve(handler, exchange))
    assert isinstance(answer, RawResponse)
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (
        202,
        b'{"id": "x"}',
        "application/json",
    )
    head, body = seen[0]
    assert head.startswith(b"POST /api/v2/generate/async?a=1&b=two+words HTTP/1.1\r\n")
    assert b"\r\napikey: k\r\n" in head
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert body == json.dumps({"prompt": "é", "n": 2}, ensure_ascii=False, separators=(",", ":")).encode()


def test_a_connection_dropped_after_the_request_may_have_reached_the_server() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()  # the server acted (maybe) and hung up without answering

    async def exchange(url: str) -> object:
        transport = AsyncTransport(TIMEOUTS, backend="aiohttp")
        try:
            return await transport.send_raw("POST", f"{url}/upload?X-Amz-Signature=secret", content=b"x")
        finally:
            await transport.aclose()

    failure = asyncio.run(_serve(handler, exchange))
    assert isinstance(failure, TransportFailure)
    assert (failure.kind, failure.may_have_reached_server) == ("connection", True)
    assert "secret" not in failure.detail


def test_a_refused_connection_never_reached_the_server() -> None:
    async def exchange() -> object:
        transport = AsyncTransport(TIMEOUTS, backend="aiohttp")
        try:
            return await transport.send_raw("POST", "http://127.0.0.1:9/nothing-listens-here", content=b"x")
        finally:
            await transport.aclose()

    failure = asyncio.run(exchange())
    assert isinstance(failure, TransportFailure)
    assert (failure.kind, failure.may_have_reached_server) == ("connection", False)


def test_backend_choice_is_checked_before_anything_is_sent() -> None:
    import httpx

    with pytest.raises(ValueError, match="backend must be"):
        AsyncTransport(TIMEOUTS, backend="requests")  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(ValueError, match="cannot be injected"):
        AsyncTransport(TIMEOUTS, httpx.AsyncClient(), backend="aiohttp")

    async def chosen() -> tuple[str, str, str]:
        auto = AsyncTransport(TIMEOUTS)
        forced = AsyncTransport(TIMEOUTS, backend="httpx")
        injected = AsyncTransport(TIMEOUTS, httpx.AsyncClient())
        return auto.backend, forced.backend, injected.backend

    assert asyncio.run(chosen()) == ("aiohttp", "httpx", "httpx")
    assert AsyncTransport(TIMEOUTS).backend == "httpx"  # no running asyncio loop: httpx (trio, threads)


def test_the_environment_is_read_per_request_only_when_it_names_a_proxy_or_netrc(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # aiohttp's trust_env costs two thread hops per request; it is on only when there is something to find.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    async def trusts() -> bool:
        sender = transport_module._AiohttpSender(TIMEOUTS)
        try:
            return sender._client_session().trust_env
        finally:
            await sender.aclose()

    assert asyncio.run(trusts()) is False
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert asyncio.run(trusts()) is True
    monkeypatch.delenv("HTTPS_PROXY")
    (tmp_path / ".netrc").write_text("machine example.org login a password b\n", encoding="utf-8")
    assert asyncio.run(trusts()) is True
