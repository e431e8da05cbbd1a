"""The HTTP transport: the only module of horde_sdk that imports an HTTP library (httpx, httpcore, aiohttp).

The contract every transport (sync or async) implements
-------------------------------------------------------
The request core (:mod:`horde_sdk.generic_api.core`) decides everything; a transport only moves bytes.
A transport class is built as ``Transport(timeouts, http_client=None, *, max_body_bytes=...)`` and has:

``send(prepared, *, timeout=None, max_body_bytes=None) -> RawResponse | TransportFailure``
    Send one :class:`~horde_sdk.generic_api.core.PreparedRequest` (method, URL, query ``params``,
    ``headers``, JSON body). The drivers pass ``timeout`` and ``max_body_bytes`` from the
    :class:`~horde_sdk.generic_api.core.SendAction`.
``send_raw(method, url, *, content=None, headers=None, timeout=None, max_body_bytes=None)``
    Send a plain request (a presigned upload or download URL, a backend's URL): no API header is added.
``close()`` (sync) / ``aclose()`` (async)
    Release the connections, only those of an HTTP client the transport created.

Both sending methods must:

- **Never raise for network trouble.** Return a :class:`~horde_sdk.generic_api.core.TransportFailure`
  whose ``kind`` is ``"timeout"``, ``"connection"`` or ``"too_large"`` and whose
  ``may_have_reached_server`` is False only when no byte of the request can have left.
- **Finish within ``timeout`` seconds** (default ``timeouts.total``), counted from the call: connecting,
  sending, the response headers and the whole body together, even against a server that sends one byte
  at a time (per-phase timeouts alone do not bound that). Past it: ``TransportFailure(kind="timeout")``.
  The phase timeouts of :class:`~horde_sdk.generic_api.settings.HordeTimeouts` still apply inside.
- **Hold at most ``max_body_bytes``** of the decompressed body (default: the transport's ``max_body_bytes``),
  streaming; a declared ``Content-Length`` above the cap fails before reading. Over the cap:
  ``TransportFailure(kind="too_large")``. A body is never held whole beyond the cap, compressed or not.
- **Decode bounded.** Read the raw (still encoded) stream and decode it in steps of at most 64 KiB
  (:mod:`horde_sdk.generic_api._content_decoding`), so a small compressed chunk cannot expand in memory
  before the cap is checked; never let the HTTP library decompress. Advertise only what is decoded that way
  (``Accept-Encoding: gzip, deflate`` unless the caller set the header). An unknown encoding, corrupt or
  truncated compressed data: ``TransportFailure(kind="connection")`` saying so.
- **Keep secrets on their origin.** Redirects are followed only when the HTTP client is configured to
  follow them (an injected ``httpx.Client(follow_redirects=True)``; the clients created here do not),
  at most :data:`MAX_REDIRECTS` hops, and a hop to another origin (scheme, host, port; an
  ``http`` → ``https`` upgrade of the same host counts as the same origin) goes without the
  ``apikey``, ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` headers, whatever set them.
- Put no URL query string, header value or key in a failure's ``detail`` or in logs.

Which library sends an async request
------------------------------------
:class:`AsyncTransport` sends with aiohttp when it is installed (``pip install horde-sdk-generic-api[aiohttp]``;
horde-sdk-worker installs it), the transport created its own HTTP client and the code runs on asyncio: on
loopback aiohttp costs about a third of httpx's async path per request. Otherwise (no aiohttp, trio, or an
injected ``httpx.AsyncClient``) it sends with httpx. Pass ``backend="httpx"`` (or inject an
``httpx.AsyncClient``) to keep httpx; ``backend="aiohttp"`` insists on aiohttp. Both meet the contract above;
the aiohttp path never follows redirects (only an injected, redirect-following httpx client does).

How this module meets the deadline: the async transport runs an httpx exchange inside ``anyio.fail_after``;
an aiohttp exchange is watched by one watchdog per transport (one event-loop timer for every exchange in
flight, armed for the earliest deadline), which cancels the task of an exchange whose deadline passed.
The sync transport cannot cancel a blocking read, so it clamps every socket operation to the time left:
it wraps the connection pool's network backend (httpcore's ``NetworkBackend`` interface) so each
connect, read and write waits at most until the deadline held in a context variable for the current
call. That covers the clients created here and injected ``httpx.Client`` objects using httpx's default
transport (their pool is wrapped in place; the wrapper does nothing outside this module's calls). For
any other injected transport the deadline is checked between body chunks and every phase timeout is
clamped to the time left when the exchange starts.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib.util
import json
import logging
import math
import os
import ssl
import time
import typing
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import anyio
import httpx

from horde_sdk.generic_api._content_decoding import ACCEPT_ENCODING, BodyDecoder, ContentDecodingError
from horde_sdk.generic_api.consts import DEFAULT_MAX_RESPONSE_BYTES
from horde_sdk.generic_api.core import PreparedRequest, RawResponse, TransportFailure
from horde_sdk.generic_api.log import redact_text
from horde_sdk.generic_api.settings import HordeTimeouts

if TYPE_CHECKING:
    import aiohttp
    import httpcore

__all__ = [
    "MAX_REDIRECTS",
    "SECRET_HEADERS",
    "AsyncBackend",
    "AsyncHTTPClient",
    "AsyncTransport",
    "SyncHTTPClient",
    "SyncTransport",
    "aiohttp_available",
]

AsyncBackend: TypeAlias = Literal["auto", "httpx", "aiohttp"]
"""Which library :class:`AsyncTransport` sends with: ``auto`` picks aiohttp when it can (module docstring)."""

SyncHTTPClient: TypeAlias = httpx.Client
"""The blocking HTTP client a caller may inject (``httpx.Client``)."""
AsyncHTTPClient: TypeAlias = httpx.AsyncClient
"""The async HTTP client a caller may inject (``httpx.AsyncClient``)."""

MAX_REDIRECTS = 5
"""The most redirect hops followed (only when the HTTP client is set to follow redirects)."""

SECRET_HEADERS = frozenset({"apikey", "authorization", "proxy-authorization", "cookie"})
"""Headers (lower case) never sent to an origin other than the one a request was made for."""

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Failures that certainly happened before any byte of the request reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)
_TIMEOUTS = (httpx.TimeoutException,)

# The end (time.monotonic()) of the sync exchange running in this thread/context, read by the pool wrapper.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("horde_sdk_transport_deadline", default=None)


class _RedactHTTPXURLQueries(logging.Filter):
    """Strip query strings from the URLs httpx writes to its own ``httpx`` logger.

    httpx logs every request's full URL at INFO; a presigned upload or download URL carries its
    signature in the query string, so it is a credential. The filter only rewrites the record's
    arguments: it adds no handler and changes no level or format.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, httpx.URL | str) for arg in record.args):
            record.args = tuple(
                redact_text(str(arg)) if isinstance(arg, httpx.URL | str) else arg for arg in record.args
            )
        return True


_HTTPX_REDACTION = _RedactHTTPXURLQueries()


def _protect_httpx_log() -> None:
    """Install the redacting filter on httpx's logger once (idempotent)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _RedactHTTPXURLQueries) for existing in httpx_logger.filters):
        httpx_logger.addFilter(_HTTPX_REDACTION)


# ------------------------------------------------------------------------------- the sync deadline
def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """Clamp one socket wait to the current exchange's deadline; raise ``error`` when it has passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the exchange's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


def _httpcore() -> ModuleType:
    """httpcore, imported when first needed: only a sync client uses it here, and importing the SDK stays light."""
    import httpcore  # noqa: PLC0415 - deferred on purpose (import time of the light client)

    return httpcore


class _DeadlineStream:
    """A network stream whose every wait ends at the current exchange's deadline.

    It has the methods of ``httpcore.NetworkStream`` (httpcore's connections only call them), without subclassing
    it, so that httpcore is imported only when a sync client is made.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, _httpcore().ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, _httpcore().WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> _DeadlineStream:
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout, _httpcore().ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> Any:  # noqa: ANN401 - whatever the wrapped stream says
        return self._inner.get_extra_info(info)


class _DeadlineBackend:
    """A network backend whose connections wait at most until the current exchange's deadline.

    It has the methods of ``httpcore.NetworkBackend`` without subclassing it (see `_DeadlineStream`).
    """

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> _DeadlineStream:
        stream = self._inner.connect_tcp(
            host, port, _time_left(timeout, _httpcore().ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[Any] | None = None
    ) -> _DeadlineStream:
        stream = self._inner.connect_unix_socket(path, _time_left(timeout, _httpcore().ConnectTimeout), socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _guard_pool(transport: object) -> None:
    """Wrap the network backend of an httpx default transport's pool (idempotent; unknown ones untouched)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, _httpcore().NetworkBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]  # checked just above


def _guard_client(client: httpx.Client) -> None:
    """Make the sync client's connections honour the exchange deadline (see the module docstring)."""
    _guard_pool(getattr(client, "_transport", None))
    for mounted in getattr(client, "_mounts", {}).values():
        _guard_pool(mounted)


# ------------------------------------------------------------------------------- shared pieces
class _TooLargeError(Exception):
    """The body passed the cap (internal)."""


class _DeadlineError(Exception):
    """The exchange's deadline passed between chunks (internal)."""


@dataclass(frozen=True, slots=True)
class _Limits:
    """What one exchange may spend."""

    ends_at: float
    max_body_bytes: int

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def check_time(self) -> None:
        if self.remaining() <= 0:
            raise _DeadlineError


class _CappedBody:
    """A streamed body being decoded and collected; it never holds more than the cap.

    Raw chunks go through a :class:`~horde_sdk.generic_api._content_decoding.BodyDecoder` (steps of at most
    64 KiB for an encoded body) and each decoded piece is measured *before* it is appended.

    Raises:
        ContentDecodingError: (when made) the ``Content-Encoding`` cannot be decoded.
    """

    __slots__ = ("_body", "_cap", "_decoder")

    def __init__(self, content_encoding: str | None, limits: _Limits) -> None:
        self._decoder = BodyDecoder(content_encoding)
        self._body = bytearray()
        self._cap = limits.max_body_bytes

    @property
    def identity(self) -> bool:
        """Whether the body is not encoded."""
        return self._decoder.identity

    def add(self, chunk: bytes) -> None:
        """Decode and append one raw chunk; raise ``_TooLargeError`` when the body would pass the cap."""
        body = self._body
        for piece in self._decoder.decode(chunk):
            if len(body) + len(piece) > self._cap:
                raise _TooLargeError
            body += piece

    def content(self) -> bytes:
        """The whole decoded body, once the raw stream ended (``ContentDecodingError`` if it was cut short)."""
        self._decoder.finish()
        return bytes(self._body)


def _read_already(response: httpx.Response, limits: _Limits) -> bytes | None:
    """The body an injected httpx transport handed over already read (and decoded), measured; else None.

    ``httpx.MockTransport`` and hand-made ``httpx.Response(content=...)`` objects hold their body in memory
    before the transport sees them; their raw stream cannot be read again.
    """
    if not response.is_stream_consumed:
        return None
    content = response.content
    if len(content) > limits.max_body_bytes:
        raise _TooLargeError
    return content


def _with_accept_encoding(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The request headers plus ``Accept-Encoding`` (only encodings decoded bounded), unless the caller set it."""
    given = dict(headers or {})
    if not any(name.lower() == "accept-encoding" for name in given):
        given["Accept-Encoding"] = ACCEPT_ENCODING
    return given


def _httpx_timeout(timeouts: HordeTimeouts, remaining: float | None = None) -> httpx.Timeout:
    cap = math.inf if remaining is None else max(remaining, 0.001)
    return httpx.Timeout(
        connect=min(timeouts.connect, cap),
        read=min(timeouts.read, cap),
        write=min(timeouts.write, cap),
        pool=min(timeouts.pool, cap),
    )


def _failure(error: httpx.HTTPError) -> TransportFailure:
    kind: Any = "timeout" if isinstance(error, _TIMEOUTS) else "connection"
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return TransportFailure(kind=kind, may_have_reached_server=not isinstance(error, _NOT_SENT), detail=detail)


def _deadline_failure(started: float) -> TransportFailure:
    spent = time.monotonic() - started
    return TransportFailure(
        kind="timeout", may_have_reached_server=True, detail=f"the exchange's deadline passed after {spent:.3g} s"
    )


def _body_failure(error: _TooLargeError | ContentDecodingError, limits: _Limits) -> TransportFailure:
    """The failure of a body over the cap (``too_large``) or one that cannot be decoded (``connection``)."""
    if isinstance(error, ContentDecodingError):
        return TransportFailure(kind="connection", may_have_reached_server=True, detail=str(error))
    return TransportFailure(
        kind="too_large",
        may_have_reached_server=True,
        detail=f"the response body is larger than the {limits.max_body_bytes} bytes accepted",
    )


def _check_declared_length(response: httpx.Response, limits: _Limits) -> None:
    """Fail before reading when an unencoded body declares a length above the cap."""
    declared = response.headers.get("content-length")
    if declared is None or response.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return
    try:
        length = int(declared)
    except ValueError:
        return
    if length > limits.max_body_bytes:
        raise _TooLargeError


def _same_origin(old: httpx.URL, new: httpx.URL) -> bool:
    if old.host != new.host:
        return False
    if old.scheme == new.scheme:
        return old.port == new.port
    # http -> https on the default ports of the same host (what browsers and httpx also allow).
    return old.scheme == "http" and new.scheme == "https" and old.port in (None, 80) and new.port in (None, 443)


def _next_hop(
    client: httpx.Client | httpx.AsyncClient, request: httpx.Request, response: httpx.Response
) -> httpx.Request:
    """Build the request that follows a redirect answer, without secrets when it leaves the origin."""
    location = response.headers["location"]
    url = request.url.join(location)
    if url.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"redirect to an unsupported scheme {url.scheme!r}")
    method = request.method
    status = response.status_code
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    keep_body = method == request.method
    headers = httpx.Headers(request.headers)
    headers.pop("host", None)
    if not keep_body:
        for name in ("content-length", "content-type", "transfer-encoding"):
            headers.pop(name, None)
    content = request.content if keep_body else None
    hop = client.build_request(method, url, headers=headers, content=content, extensions=request.extensions)
    if not _same_origin(request.url, url):
        for name in SECRET_HEADERS:
            hop.headers.pop(name, None)
    return hop


def _is_redirect(client: httpx.Client | httpx.AsyncClient, response: httpx.Response) -> bool:
    return client.follow_redirects and response.status_code in _REDIRECT_STATUSES and "location" in response.headers


def _request_kwargs(prepared: PreparedRequest) -> dict[str, Any]:
    return {
        "method": prepared.method,
        "url": prepared.url,
        "params": prepared.params or None,
        "headers": _with_accept_encoding(prepared.headers),
        "json": prepared.json_body,
    }


def _raw_kwargs(method: str, url: str, content: bytes | None, headers: Mapping[str, str] | None) -> dict[str, Any]:
    return {"method": method, "url": url, "content": content, "headers": _with_accept_encoding(headers)}


# ------------------------------------------------------------------------------- the transports
class _TransportBase:
    """Timeouts and caps shared by both transports."""

    def __init__(self, timeouts: HordeTimeouts, max_body_bytes: int) -> None:
        given: object = max_body_bytes
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise ValueError(f"max_body_bytes must be a positive number of bytes, got {max_body_bytes!r}")
        _protect_httpx_log()
        self._timeouts = timeouts
        self._max_body_bytes = max_body_bytes

    @property
    def timeouts(self) -> HordeTimeouts:
        """The phase timeouts and the default total deadline of one exchange."""
        return self._timeouts

    @property
    def max_body_bytes(self) -> int:
        """The default body cap of one exchange."""
        return self._max_body_bytes

    def _limits(self, timeout: float | None, max_body_bytes: int | None) -> _Limits:
        budget = self._timeouts.total if timeout is None else timeout
        cap = self._max_body_bytes if max_body_bytes is None else max_body_bytes
        return _Limits(ends_at=time.monotonic() + budget, max_body_bytes=cap)


class SyncTransport(_TransportBase):
    """Sends requests with a blocking ``httpx.Client`` (created and owned here unless injected).

    Args:
        timeouts: Phase timeouts and the default total deadline of one exchange (``timeouts.total``).
        http_client: An ``httpx.Client`` to use; this transport does not close it.
        max_body_bytes: The default body cap (API responses).
    """

    def __init__(
        self,
        timeouts: HordeTimeouts,
        http_client: SyncHTTPClient | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__(timeouts, max_body_bytes)
        self._owned = http_client is None
        self._client = http_client if http_client is not None else httpx.Client(timeout=_httpx_timeout(timeouts))
        _guard_client(self._client)

    def send(
        self, prepared: PreparedRequest, *, timeout: float | None = None, max_body_bytes: int | None = None
    ) -> RawResponse | TransportFailure:
        """Send one prepared API request (see the module docstring for the contract)."""
        return self._exchange(_request_kwargs(prepared), self._limits(timeout, max_body_bytes))

    def send_raw(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_body_bytes: int | None = None,
    ) -> RawResponse | TransportFailure:
        """Send a plain request (a presigned upload or download URL): no API headers are added."""
        return self._exchange(_raw_kwargs(method, url, content, headers), self._limits(timeout, max_body_bytes))

    def _exchange(self, kwargs: dict[str, Any], limits: _Limits) -> RawResponse | TransportFailure:
        started = time.monotonic()
        token = _DEADLINE.set(limits.ends_at)
        try:
            request = self._client.build_request(**kwargs, timeout=_httpx_timeout(self._timeouts, limits.remaining()))
            for _ in range(MAX_REDIRECTS + 1):
                limits.check_time()
                response = self._client.send(request, stream=True, follow_redirects=False)
                try:
                    if _is_redirect(self._client, response):
                        request = _next_hop(self._client, request, response)
                        continue
                    return RawResponse(response.status_code, response.headers, self._read(response, limits))
                finally:
                    response.close()
            return TransportFailure(kind="connection", may_have_reached_server=True, detail="too many redirects")
        except httpx.HTTPError as error:
            if limits.remaining() <= 0 and isinstance(error, _TIMEOUTS):
                return _deadline_failure(started)
            return _failure(error)
        except _DeadlineError:
            return _deadline_failure(started)
        except (_TooLargeError, ContentDecodingError) as error:
            return _body_failure(error, limits)
        finally:
            _DEADLINE.reset(token)

    @staticmethod
    def _read(response: httpx.Response, limits: _Limits) -> bytes:
        _check_declared_length(response, limits)
        already = _read_already(response, limits)
        if already is not None:
            return already
        body = _CappedBody(response.headers.get("content-encoding"), limits)
        # The raw stream: httpx would decode each chunk whole, before the cap could be checked.
        for chunk in response.iter_raw():
            body.add(chunk)
            limits.check_time()
        return body.content()

    def close(self) -> None:
        """Close the HTTP client if this transport created it."""
        if self._owned:
            self._client.close()


def aiohttp_available() -> bool:
    """Return True when aiohttp (the ``aiohttp`` extra) is installed, without importing it."""
    return importlib.util.find_spec("aiohttp") is not None


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class AsyncTransport(_TransportBase):
    """Sends requests with aiohttp or an ``httpx.AsyncClient`` (created and owned here unless injected).

    Args:
        timeouts: Phase timeouts and the default total deadline of one exchange (``timeouts.total``).
        http_client: An ``httpx.AsyncClient`` to use; this transport does not close it (implies httpx).
        max_body_bytes: The default body cap (API responses).
        backend: ``auto`` (aiohttp when installed and on asyncio, else httpx), ``httpx`` or ``aiohttp``.

    Raises:
        ValueError: ``backend="aiohttp"`` with an injected httpx client, or an unknown backend.
        ImportError: ``backend="aiohttp"`` without aiohttp installed.
    """

    def __init__(
        self,
        timeouts: HordeTimeouts,
        http_client: AsyncHTTPClient | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        backend: AsyncBackend = "auto",
    ) -> None:
        super().__init__(timeouts, max_body_bytes)
        if backend not in ("auto", "httpx", "aiohttp"):
            raise ValueError(f"backend must be 'auto', 'httpx' or 'aiohttp', got {backend!r}")
        if backend == "aiohttp" and http_client is not None:
            raise ValueError("backend='aiohttp' sends with aiohttp: an httpx client cannot be injected with it")
        if backend == "aiohttp" and not aiohttp_available():
            raise ImportError("backend='aiohttp' needs aiohttp: pip install 'horde-sdk-generic-api[aiohttp]'")
        self._owned = http_client is None
        self._injected = http_client
        self._httpx_client: httpx.AsyncClient | None = http_client
        self._aiohttp: _AiohttpSender | None = None
        self._wants_aiohttp = http_client is None and (
            backend == "aiohttp" or (backend == "auto" and aiohttp_available())
        )
        self._strict_aiohttp = backend == "aiohttp"

    @property
    def _client(self) -> httpx.AsyncClient:
        """The httpx client (created on first use when this transport owns it)."""
        if self._httpx_client is None:
            self._httpx_client = httpx.AsyncClient(timeout=_httpx_timeout(self._timeouts))
        return self._httpx_client

    @property
    def backend(self) -> Literal["httpx", "aiohttp"]:
        """The library the next request on this event loop goes through."""
        return "aiohttp" if self._use_aiohttp() else "httpx"

    def _use_aiohttp(self) -> bool:
        if not self._wants_aiohttp:
            return False
        if _on_asyncio():
            return True
        if self._strict_aiohttp:
            raise RuntimeError("backend='aiohttp' runs on asyncio only; use backend='httpx' under trio")
        return False

    async def send(
        self,
        prepared: PreparedRequest,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the transport contract
        max_body_bytes: int | None = None,
    ) -> RawResponse | TransportFailure:
        """Send one prepared API request (see the module docstring for the contract)."""
        limits = self._limits(timeout, max_body_bytes)
        if self._use_aiohttp():
            # aiohttp copies the headers it is given; only a body needs a dict of our own.
            headers = prepared.headers
            body = None
            if prepared.json_body is not None:
                body = _json_bytes(prepared.json_body)
                headers = {**headers}
                headers.setdefault("Content-Type", "application/json")
            return await self._aiohttp_sender().exchange(
                prepared.method, prepared.url, params=prepared.params, headers=headers, body=body, limits=limits
            )
        return await self._exchange(_request_kwargs(prepared), limits)

    async def send_raw(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the transport contract
        max_body_bytes: int | None = None,
    ) -> RawResponse | TransportFailure:
        """Send a plain request (a presigned upload or download URL): no API headers are added."""
        limits = self._limits(timeout, max_body_bytes)
        if self._use_aiohttp():
            return await self._aiohttp_sender().exchange(
                method, url, params=None, headers=dict(headers or {}), body=content, limits=limits
            )
        return await self._exchange(_raw_kwargs(method, url, content, headers), limits)

    def _aiohttp_sender(self) -> _AiohttpSender:
        if self._aiohttp is None:
            self._aiohttp = _AiohttpSender(self._timeouts)
        return self._aiohttp

    async def _exchange(self, kwargs: dict[str, Any], limits: _Limits) -> RawResponse | TransportFailure:
        started = time.monotonic()
        try:
            with anyio.fail_after(max(limits.remaining(), 0.0)):
                return await self._follow(kwargs, limits)
        except TimeoutError:
            return _deadline_failure(started)
        except httpx.HTTPError as error:
            return _failure(error)
        except (_TooLargeError, ContentDecodingError) as error:
            return _body_failure(error, limits)

    async def _follow(self, kwargs: dict[str, Any], limits: _Limits) -> RawResponse | TransportFailure:
        client = self._client
        request = client.build_request(**kwargs, timeout=_httpx_timeout(self._timeouts, limits.remaining()))
        for _ in range(MAX_REDIRECTS + 1):
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                if _is_redirect(client, response):
                    request = _next_hop(client, request, response)
                    continue
                _check_declared_length(response, limits)
                already = _read_already(response, limits)
                if already is not None:
                    return RawResponse(response.status_code, response.headers, already)
                body = _CappedBody(response.headers.get("content-encoding"), limits)
                async for chunk in response.aiter_raw():  # raw: decoded here, bounded (see _CappedBody)
                    body.add(chunk)
                return RawResponse(response.status_code, response.headers, body.content())
            finally:
                await response.aclose()
        return TransportFailure(kind="connection", may_have_reached_server=True, detail="too many redirects")

    async def aclose(self) -> None:
        """Close the HTTP clients this transport created."""
        if self._aiohttp is not None:
            sender, self._aiohttp = self._aiohttp, None
            await sender.aclose()
        if self._owned and self._httpx_client is not None:
            client, self._httpx_client = self._httpx_client, None
            await client.aclose()


# ------------------------------------------------------------------------------- the aiohttp path
def _json_bytes(value: Any) -> bytes:  # noqa: ANN401 - any JSON-compatible body
    """The JSON body as httpx would send it (compact, UTF-8, no NaN)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _declared_length(headers: Mapping[str, str]) -> int | None:
    """The body's declared length (``Content-Length``), or None when missing, negative or not a number."""
    declared = headers.get("Content-Length")
    if declared is None:
        return None
    try:
        length = int(declared)
    except ValueError:
        return None
    return length if length >= 0 else None


def _environment_has_proxies_or_netrc() -> bool:
    """Whether the environment names a proxy or a netrc file, as httpx (``trust_env``) would read them.

    aiohttp's ``trust_env`` asks the environment on every request, in a worker thread (two thread hops
    per request); it is only switched on when there is something to find, checked once per session.
    """
    if urllib.request.getproxies() or os.environ.get("NETRC"):
        return True
    try:
        return (Path.home() / ".netrc").exists()
    except (OSError, RuntimeError):  # no home directory
        return False


class _Watch:
    """One exchange under the watchdog: its task, its deadline (``time.monotonic``) and whether it passed."""

    __slots__ = ("cancelling", "ends_at", "expired", "task")

    def __init__(self, task: asyncio.Task[Any], ends_at: float) -> None:
        self.task = task
        self.ends_at = ends_at
        self.cancelling = task.cancelling()
        self.expired = False


class _DeadlineWatchdog:
    """Ends the aiohttp exchanges whose deadline passed, with one event-loop timer for all of them.

    ``asyncio.timeout`` arms a loop timer per exchange, and a cancelled timer stays in the loop's heap until
    its time (two minutes by default): with tens of requests in flight that was the largest cost the SDK
    added to aiohttp. Here an exchange is an entry in a set; one timer is armed for the earliest deadline,
    and when it fires it cancels the tasks whose deadline passed and re-arms for the next one. The
    cancellation is accounted as ``asyncio.timeout`` does (``Task.uncancel``): :meth:`leave` says whether
    the deadline, and nothing else, cancelled the task.
    """

    __slots__ = ("_armed_at", "_handle", "_loop", "_watches")

    def __init__(self) -> None:
        self._watches: set[_Watch] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._armed_at = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None

    def enter(self, ends_at: float) -> _Watch:
        """Watch the current task until :meth:`leave`; it is cancelled once ``ends_at`` has passed."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - an exchange always runs in a task
            raise RuntimeError("an aiohttp exchange must run in an asyncio task")
        if loop is not self._loop:  # a new event loop: the old one's timer is gone with it
            self._loop, self._handle, self._armed_at = loop, None, math.inf
        watch = _Watch(task, ends_at)
        self._watches.add(watch)
        if ends_at < self._armed_at:
            self._arm(loop, ends_at)
        return watch

    def leave(self, watch: _Watch) -> bool:
        """Stop watching; return True when the deadline cancelled the task and no other cancel is pending."""
        self._watches.discard(watch)
        return watch.expired and watch.task.uncancel() <= watch.cancelling

    def _arm(self, loop: asyncio.AbstractEventLoop, ends_at: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed_at = ends_at
        self._handle = loop.call_at(loop.time() + (ends_at - time.monotonic()), self._fire)

    def _fire(self) -> None:
        self._handle, self._armed_at = None, math.inf
        now = time.monotonic()
        earliest = math.inf
        for watch in self._watches:
            if watch.expired:
                continue
            if watch.ends_at <= now:
                watch.expired = True
                watch.task.cancel()
            elif watch.ends_at < earliest:
                earliest = watch.ends_at
        if earliest < math.inf and self._loop is not None:
            self._arm(self._loop, earliest)


class _AiohttpSender:
    """One ``aiohttp.ClientSession`` (made on first use, on the running loop) and the exchange over it."""

    _CHUNK = 64 * 1024

    def __init__(self, timeouts: HordeTimeouts) -> None:
        import aiohttp  # noqa: PLC0415 (deferred: only when the aiohttp path is used)

        self._aiohttp = aiohttp
        self._timeouts = timeouts
        self._session: aiohttp.ClientSession | None = None
        self._watchdog = _DeadlineWatchdog()
        # Failures that certainly happened before any byte of the request left.
        self._not_sent: tuple[type[BaseException], ...] = (
            aiohttp.ClientConnectorError,
            aiohttp.ConnectionTimeoutError,
            aiohttp.InvalidURL,
        )

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            aiohttp = self._aiohttp
            timeouts = self._timeouts
            connector = aiohttp.TCPConnector(limit=100, ssl=httpx.create_ssl_context())
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeouts.pool + timeouts.connect,
                    sock_connect=timeouts.connect,
                    sock_read=timeouts.read,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=_environment_has_proxies_or_netrc(),
                # The body is decoded here, bounded (_CappedBody); only encodings decoded that way are asked for.
                auto_decompress=False,
                headers={"Accept-Encoding": ACCEPT_ENCODING},
            )
        return self._session

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        params: list[tuple[str, str]] | None,
        headers: dict[str, str],
        body: bytes | None,
        limits: _Limits,
    ) -> RawResponse | TransportFailure:
        """Send one request without following redirects; never raise for network trouble (module docstring)."""
        started = time.monotonic()
        session = self._client_session()
        watch = self._watchdog.enter(limits.ends_at)
        try:
            try:
                async with session.request(
                    method, url, params=params or None, headers=headers, data=body, allow_redirects=False
                ) as response:
                    return RawResponse(response.status, response.headers, await self._read(response, limits))
            finally:
                deadline_passed = self._watchdog.leave(watch)
        except asyncio.CancelledError:
            if deadline_passed:  # the watchdog cancelled this exchange, and nobody else cancelled the task
                return _deadline_failure(started)
            raise
        except TimeoutError as error:
            # aiohttp's own phase timeouts are TimeoutErrors too; the connect one means nothing was sent.
            if limits.remaining() <= 0:
                return _deadline_failure(started)
            return self._failure_of(error, kind="timeout")
        except (_TooLargeError, ContentDecodingError) as error:
            return _body_failure(error, limits)
        except self._aiohttp.ClientError as error:
            return self._failure_of(error, kind="connection")

    async def _read(self, response: aiohttp.ClientResponse, limits: _Limits) -> bytes:
        """Read and decode the body, holding at most the cap; raise ``_TooLargeError`` past it.

        The session does not decompress (``auto_decompress=False``): the raw chunks go through `_CappedBody`.
        """
        body = _CappedBody(", ".join(response.headers.getall("Content-Encoding", ())), limits)
        if body.identity:
            declared = _declared_length(response.headers)
            if declared is not None:
                if declared > limits.max_body_bytes:
                    raise _TooLargeError
                # An unencoded body of a declared length within the cap: aiohttp reads exactly that many bytes.
                return await response.read()
        async for chunk in response.content.iter_chunked(self._CHUNK):
            body.add(chunk)
        return body.content()

    def _failure_of(self, error: BaseException, *, kind: Literal["timeout", "connection"]) -> TransportFailure:
        name = type(error).__name__
        detail = redact_text(f"{name}: {error}" if str(error) else name)
        return TransportFailure(
            kind=kind, may_have_reached_server=not isinstance(error, self._not_sent), detail=detail
        )

    async def aclose(self) -> None:
        """Close the session if one was made."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
