"""The HTTP transport: the only module of horde_sdk that imports httpx.

A transport sends a :class:`~horde_sdk.generic_api.core.PreparedRequest` and returns what came back
as a :class:`~horde_sdk.generic_api.core.RawResponse`, or a
:class:`~horde_sdk.generic_api.core.TransportFailure` that says whether the request may have reached
the server. It never raises for network trouble, so the request core decides what happens next. To
use another HTTP library, replace this module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeAlias

import httpx

from horde_sdk.generic_api.core import PreparedRequest, RawResponse, TransportFailure
from horde_sdk.generic_api.log import redact_text
from horde_sdk.generic_api.settings import HordeTimeouts

__all__ = ["AsyncHTTPClient", "AsyncTransport", "SyncHTTPClient", "SyncTransport"]

SyncHTTPClient: TypeAlias = httpx.Client
"""The blocking HTTP client a caller may inject (``httpx.Client``)."""
AsyncHTTPClient: TypeAlias = httpx.AsyncClient
"""The async HTTP client a caller may inject (``httpx.AsyncClient``)."""

# Failures that certainly happened before any byte of the request reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)
_TIMEOUTS = (httpx.TimeoutException,)


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


def _httpx_timeout(timeouts: HordeTimeouts) -> httpx.Timeout:
    return httpx.Timeout(connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool)


def _failure(error: httpx.HTTPError) -> TransportFailure:
    kind: Any = "timeout" if isinstance(error, _TIMEOUTS) else "connection"
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return TransportFailure(kind=kind, may_have_reached_server=not isinstance(error, _NOT_SENT), detail=detail)


def _request_kwargs(prepared: PreparedRequest, timeout: httpx.Timeout) -> dict[str, Any]:
    return {
        "method": prepared.method,
        "url": prepared.url,
        "params": prepared.params or None,
        "headers": prepared.headers,
        "json": prepared.json_body,
        "timeout": timeout,
    }


def _raw_kwargs(
    method: str, url: str, content: bytes | None, headers: Mapping[str, str] | None, timeout: httpx.Timeout
) -> dict[str, Any]:
    return {"method": method, "url": url, "content": content, "headers": dict(headers or {}), "timeout": timeout}


def _raw(response: httpx.Response) -> RawResponse:
    return RawResponse(status_code=response.status_code, headers=response.headers, content=response.content)


class SyncTransport:
    """Sends requests with a blocking ``httpx.Client`` (created and owned here unless injected)."""

    def __init__(self, timeouts: HordeTimeouts, http_client: SyncHTTPClient | None = None) -> None:
        _protect_httpx_log()
        self._timeout = _httpx_timeout(timeouts)
        self._owned = http_client is None
        self._client = http_client if http_client is not None else httpx.Client(timeout=self._timeout)

    def send(self, prepared: PreparedRequest) -> RawResponse | TransportFailure:
        """Send one prepared API request."""
        try:
            return _raw(self._client.request(**_request_kwargs(prepared, self._timeout)))
        except httpx.HTTPError as error:
            return _failure(error)

    def send_raw(
        self, method: str, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> RawResponse | TransportFailure:
        """Send a plain request (a presigned upload or download URL): no API headers are added."""
        try:
            return _raw(self._client.request(**_raw_kwargs(method, url, content, headers, self._timeout)))
        except httpx.HTTPError as error:
            return _failure(error)

    def close(self) -> None:
        """Close the HTTP client if this transport created it."""
        if self._owned:
            self._client.close()


class AsyncTransport:
    """Sends requests with an ``httpx.AsyncClient`` (created and owned here unless injected)."""

    def __init__(self, timeouts: HordeTimeouts, http_client: AsyncHTTPClient | None = None) -> None:
        _protect_httpx_log()
        self._timeout = _httpx_timeout(timeouts)
        self._owned = http_client is None
        self._client = http_client if http_client is not None else httpx.AsyncClient(timeout=self._timeout)

    async def send(self, prepared: PreparedRequest) -> RawResponse | TransportFailure:
        """Send one prepared API request."""
        try:
            return _raw(await self._client.request(**_request_kwargs(prepared, self._timeout)))
        except httpx.HTTPError as error:
            return _failure(error)

    async def send_raw(
        self, method: str, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> RawResponse | TransportFailure:
        """Send a plain request (a presigned upload or download URL): no API headers are added."""
        try:
            return _raw(await self._client.request(**_raw_kwargs(method, url, content, headers, self._timeout)))
        except httpx.HTTPError as error:
            return _failure(error)

    async def aclose(self) -> None:
        """Close the HTTP client if this transport created it."""
        if self._owned:
            await self._client.aclose()
