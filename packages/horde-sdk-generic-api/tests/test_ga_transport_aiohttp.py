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


def _stalling_server(answered: list[float]) -> Handler:
    """A server that reads the request, waits as long as its path asks (``/wait/SECONDS``), then answers."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head, _ = await _read_request(reader)
            seconds = float(head.split(b" ")[1].rsplit(b"/", 1)[1])
            await asyncio.sleep(seconds)
            answered.append(seconds)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up first
        finally:  # also when the loop ends while this waits: no socket is left for the garbage collector
            writer.close()

    return handler


def test_concurrent_exchanges_each_end_at_their_own_deadline() -> None:
    # One watchdog timer serves every exchange in flight: it must re-arm for the next deadline each time it
    # fires, and leave alone the exchanges whose deadline has not come (or that answered in time).
    ended: dict[str, tuple[str, float]] = {}

    async def exchange(url: str) -> object:
        transport = AsyncTransport(TIMEOUTS, backend="aiohttp")
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def one(name: str, wait: float, deadline: float) -> None:
            answer = await transport.send_raw("GET", f"{url}/wait/{wait}", timeout=deadline)
            kind = answer.kind if isinstance(answer, TransportFailure) else f"status {answer.status_code}"
            ended[name] = (kind, loop.time() - started)

        try:
            await asyncio.gather(
                one("late", 5.0, 0.6),  # armed first, ends second
                one("early", 5.0, 0.3),  # re-arms the watchdog for an earlier deadline
                one("in time", 0.1, 2.0),  # answers before its deadline
                one("later", 5.0, 0.9),  # re-armed for after the first one fired
            )
        finally:
            await transport.aclose()
        return None

    asyncio.run(_serve(_stalling_server([]), exchange))
    assert ended["in time"][0] == "status 200"
    assert [name for name, _ in sorted(ended.items(), key=lambda item: item[1][1])] == [
        "in time",
        "early",
        "late",
        "later",
    ]
    for name, deadline in (("early", 0.3), ("late", 0.6), ("later", 0.9)):
        kind, at = ended[name]
        assert kind == "timeout", name
        assert deadline <= at < deadline + 0.25, (name, at)


def test_a_cancel_from_outside_is_not_taken_for_the_deadline() -> None:
    # The watchdog accounts for its own cancellation (Task.uncancel) as asyncio.timeout does: a caller's
    # cancel (a task group, a cancel scope) during an exchange propagates as CancelledError.
    outcome: list[str] = []

    async def exchange(url: str) -> object:
        transport = AsyncTransport(TIMEOUTS, backend="aiohttp")
        try:
            task = asyncio.create_task(transport.send_raw("GET", f"{url}/wait/5", timeout=3.0))
            await asyncio.sleep(0.2)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                outcome.append("cancelled")
            # The deadline still works for the next exchange on the same transport, and the task is clean.
            answer = await transport.send_raw("GET", f"{url}/wait/5", timeout=0.2)
            outcome.append(answer.kind if isinstance(answer, TransportFailure) else "answered")
            current = asyncio.current_task()
            assert current is not None
            outcome.append(f"cancelling={current.cancelling()}")
        finally:
            await transport.aclose()
        return None

    asyncio.run(_serve(_stalling_server([]), exchange))
    assert outcome == ["cancelled", "timeout", "cancelling=0"]


def test_the_deadline_inside_an_outer_timeout_leaves_the_outer_one_working() -> None:
    # An exchange ended by its own deadline must not swallow or leak a cancel: an enclosing asyncio.timeout
    # that expires later still fires, with TimeoutError.
    outcome: list[str] = []

    async def exchange(url: str) -> object:
        transport = AsyncTransport(TIMEOUTS, backend="aiohttp")
        try:
            try:
                async with asyncio.timeout(0.5):
                    first = await transport.send_raw("GET", f"{url}/wait/5", timeout=0.1)
                    outcome.append(first.kind if isinstance(first, TransportFailure) else "answered")
                    await asyncio.sleep(5)
            except TimeoutError:
                outcome.append("outer timeout")
        finally:
            await transport.aclose()
        return None

    asyncio.run(_serve(_stalling_server([]), exchange))
    assert outcome == ["timeout", "outer timeout"]
