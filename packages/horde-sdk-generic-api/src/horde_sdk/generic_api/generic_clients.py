"""Manual clients and sessions for any Horde-style API, sync and async.

- :class:`GenericHordeAPIManualClient` / :class:`GenericAsyncHordeAPIManualClient`: typed request in,
  typed response out; no bookkeeping.
- :class:`GenericHordeAPISession` / :class:`GenericAsyncHordeAPISession`: context managers that
  remember every response that started server-side work and, on exit with work unsettled (exception,
  cancellation, Ctrl-C or normal exit), send the requests that cancel it. The async session runs its
  cleanup shielded from cancellation and bounded by ``cleanup_timeout``.

All four share one :class:`~horde_sdk.generic_api.core.RequestCore`; the sync and async variants
differ only in how they send and sleep (:func:`drive_sync`, :func:`drive_async`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

import anyio

from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import (
    FollowUpTracker,
    RequestCore,
    RequestFlow,
    SleepAction,
    iter_cleanup_failures,
)
from horde_sdk.generic_api.exceptions import (
    HordeCleanupError,
    HordeError,
    HordeNotFoundError,
    HordeUnexpectedResponseTypeError,
)
from horde_sdk.generic_api.log import get_logger
from horde_sdk.generic_api.metadata import (
    GenericAcceptTypes,
    GenericHeaderFields,
    GenericPathFields,
    GenericQueryFields,
)
from horde_sdk.generic_api.ratelimit import ClientRateLimiter
from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts, RetryPolicy
from horde_sdk.generic_api.transport import AsyncHTTPClient, AsyncTransport, SyncHTTPClient, SyncTransport

__all__ = [
    "GenericAsyncHordeAPIManualClient",
    "GenericAsyncHordeAPISession",
    "GenericHordeAPIManualClient",
    "GenericHordeAPISession",
    "drive_async",
    "drive_sync",
]

_R = TypeVar("_R", bound=HordeResponse)

DEFAULT_CLEANUP_TIMEOUT = 30.0
"""Seconds a session may spend cancelling unsettled work on exit."""


def drive_sync(
    flow: RequestFlow, transport: SyncTransport, sleep: Callable[[float], None] = time.sleep
) -> HordeResponse:
    """Run a request flow with a blocking transport: send and sleep as the flow says, nothing else."""
    try:
        action = next(flow)
        while True:
            if isinstance(action, SleepAction):
                sleep(action.seconds)
                action = flow.send(None)
            else:
                action = flow.send(
                    transport.send(action.request, timeout=action.timeout, max_body_bytes=action.max_body_bytes)
                )
    except StopIteration as finished:
        response: HordeResponse = finished.value
        return response
    finally:
        flow.close()


async def drive_async(flow: RequestFlow, transport: AsyncTransport) -> HordeResponse:
    """Run a request flow with an async transport: send and sleep as the flow says, nothing else."""
    try:
        action = next(flow)
        while True:
            if isinstance(action, SleepAction):
                await anyio.sleep(action.seconds)
                action = flow.send(None)
            else:
                action = flow.send(
                    await transport.send(action.request, timeout=action.timeout, max_body_bytes=action.max_body_bytes)
                )
    except StopIteration as finished:
        response: HordeResponse = finished.value
        return response
    finally:
        flow.close()


def _check_type(response: HordeResponse, expected: type[_R] | None) -> HordeResponse:
    if expected is not None and not isinstance(response, expected):
        raise HordeUnexpectedResponseTypeError(
            f"expected a {expected.__name__}, the server answered with a {type(response).__name__}"
        )
    return response


_HTTPClientT = TypeVar("_HTTPClientT", SyncHTTPClient, AsyncHTTPClient)
_TransportT = TypeVar("_TransportT", SyncTransport, AsyncTransport)


class _ClientCore(Generic[_HTTPClientT, _TransportT]):
    """Settings, request core and transport shared by every client (arguments: see GenericHordeAPIManualClient)."""

    _transport_type: type[_TransportT]

    def __init__(
        self,
        *,
        settings: HordeClientSettings | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        anonymous_api_key: str | None = None,
        client_agent: str | None = None,
        timeouts: HordeTimeouts | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: ClientRateLimiter | None = None,
        http_client: _HTTPClientT | None = None,
        header_fields: type[StrEnum] = GenericHeaderFields,
        query_fields: type[StrEnum] = GenericQueryFields,
        path_fields: type[StrEnum] = GenericPathFields,
        accept_types: type[StrEnum] = GenericAcceptTypes,
    ) -> None:
        overrides: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key,
            "anonymous_api_key": anonymous_api_key,
            "client_agent": client_agent,
            "timeouts": timeouts,
            "retry": retry,
            "rate_limiter": rate_limiter,
        }
        merged = dataclasses.replace(
            settings or HordeClientSettings(), **{key: value for key, value in overrides.items() if value is not None}
        )
        self._core = RequestCore(
            merged,
            header_fields=header_fields,
            query_fields=query_fields,
            path_fields=path_fields,
            accept_types=accept_types,
        )
        self._log = get_logger(type(self).__module__, secrets=[merged.api_key] if merged.api_key else [])
        self._transport: _TransportT = self._transport_type(
            merged.timeouts,
            http_client,  # type: ignore[arg-type]  # mypy cannot pair the two TypeVars
            max_body_bytes=merged.max_response_bytes,
        )

    @property
    def transport(self) -> _TransportT:
        """The transport (also used for plain requests such as presigned URL downloads)."""
        return self._transport

    @property
    def settings(self) -> HordeClientSettings:
        """The settings this client was built with."""
        return self._core.settings

    @property
    def core(self) -> RequestCore:
        """The I/O-free request core (request building, parsing, retry decisions)."""
        return self._core

    def __repr__(self) -> str:
        key = "set" if self.settings.api_key else "none"
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, api_key=<{key}>)"

    def _observe(self, request: HordeRequest, response: HordeResponse) -> None:
        """Hook called after every successful request (sessions track follow-ups here)."""


class GenericHordeAPIManualClient(_ClientCore[SyncHTTPClient, SyncTransport]):
    """A blocking client: typed request in, typed response out. Use as a context manager or call close().

    Args:
        settings: Complete settings; the keyword arguments below override its fields.
        base_url: API root, e.g. ``https://aihorde.net/api``.
        api_key: Sent as ``apikey`` unless a request carries its own or says the client's key must not go
            with it. Never logged or shown.
        anonymous_api_key: Sent only with requests that need a key, when ``api_key`` is None.
        client_agent: ``name:version:contact`` of your program.
        timeouts: Per-phase timeouts and the total deadline of one call (default: :class:`HordeTimeouts`:
            120 s per call, retries and waits included; never "no timeout").
        retry: Retry policy (default: :class:`RetryPolicy`).
        rate_limiter: Optional client-side rate limiter.
        http_client: An ``httpx.Client`` to use instead of creating one; this client does not close it.
        header_fields: The API's header-field enum.
        query_fields: The API's query-field enum.
        path_fields: The API's path-field enum.
        accept_types: The API's accepted media types.
    """

    _transport_type = SyncTransport

    @overload
    def submit_request(self, request: HordeRequest, *, timeout: float | None = None) -> HordeResponse: ...
    @overload
    def submit_request(
        self, request: HordeRequest, expected_response_type: type[_R], *, timeout: float | None = None
    ) -> _R: ...

    def submit_request(
        self,
        request: HordeRequest,
        expected_response_type: type[_R] | None = None,
        *,
        timeout: float | None = None,
    ) -> HordeResponse:
        """Send ``request`` and return its response model.

        Args:
            request: The request.
            expected_response_type: When given, the response must be of this type.
            timeout: Seconds the whole call may take, retries and waits included (default: the client's
                ``timeouts.total``).

        Raises:
            HordeRequestBuildError: the request (or ``timeout``) cannot be used as it is; nothing was sent.
            HordeAPIError: the server answered with an error status (after retries).
            HordeTimeoutError: the call's deadline passed, or a wait the server asked for would pass it.
            HordeTransportError: no usable answer (after retries).
            HordeResponseTooLargeError: the body is larger than ``max_response_bytes``.
            HordeResponseValidationError: the answer does not match its model.
            HordeUnexpectedResponseTypeError: the answer is not an ``expected_response_type``.
        """
        response = drive_sync(self._core.flow(request, timeout=timeout), self._transport)
        self._observe(request, response)
        return _check_type(response, expected_response_type)

    def close(self) -> None:
        """Release the HTTP connections (only those of an HTTP client this object created)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class GenericAsyncHordeAPIManualClient(_ClientCore[AsyncHTTPClient, AsyncTransport]):
    """An async client: typed request in, typed response out. Use ``async with`` or call aclose().

    Takes the same arguments as :class:`GenericHordeAPIManualClient`; ``http_client`` is an
    ``httpx.AsyncClient``.
    """

    _transport_type = AsyncTransport

    @overload
    async def submit_request(
        self,
        request: HordeRequest,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the core needs the deadline to plan retries and waits
    ) -> HordeResponse: ...
    @overload
    async def submit_request(
        self,
        request: HordeRequest,
        expected_response_type: type[_R],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - see above
    ) -> _R: ...

    async def submit_request(
        self,
        request: HordeRequest,
        expected_response_type: type[_R] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - see above
    ) -> HordeResponse:
        """Send ``request`` and return its response model (see the sync client for ``timeout`` and errors)."""
        response = await drive_async(self._core.flow(request, timeout=timeout), self._transport)
        self._observe(request, response)
        return _check_type(response, expected_response_type)

    async def aclose(self) -> None:
        """Release the HTTP connections (only those of an HTTP client this object created)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class _SessionBookkeeping:
    """Follow-up tracking and cleanup reporting shared by the sync and async sessions."""

    _tracker: FollowUpTracker
    _log: Any

    def _init_bookkeeping(self, cleanup_timeout: float) -> None:
        if cleanup_timeout <= 0:
            raise ValueError(f"cleanup_timeout must be positive, got {cleanup_timeout}")
        self._tracker = FollowUpTracker()
        self._cleanup_timeout = cleanup_timeout

    @property
    def pending_follow_up_keys(self) -> tuple[str, ...]:
        """Keys of server-side work started by this session and not settled yet."""
        return self._tracker.pending_keys

    def _observe(self, request: HordeRequest, response: HordeResponse) -> None:
        self._tracker.observe(request, response)

    def _record_cleanup_result(
        self, key: str, error: BaseException | None, failures: list[tuple[str, BaseException]]
    ) -> None:
        if error is None or isinstance(error, HordeNotFoundError):
            # Cancelled, or already gone from the server: nothing is left waiting.
            self._tracker.settle(key)
        else:
            failures.append((key, error))

    def _finish_cleanup(self, failures: list[tuple[str, BaseException]], exc: BaseException | None) -> None:
        if not failures:
            self._log.debug("session cleanup complete")
            return
        descriptions = iter_cleanup_failures(failures)
        if exc is None:
            raise HordeCleanupError(descriptions)
        self._log.error("session cleanup left work pending", failures=descriptions)
        exc.add_note(f"horde_sdk session cleanup also failed: {'; '.join(descriptions)}")


class GenericHordeAPISession(_SessionBookkeeping, GenericHordeAPIManualClient):
    """A blocking client session that cancels every piece of server-side work it leaves unsettled.

    Use it as a context manager; on exit (normal, exception or Ctrl-C) the cleanup requests of each
    unsettled response are sent. If cleanup fails on a normal exit, :class:`HordeCleanupError` is raised;
    if the block is already raising, the failure is logged and noted on that exception.
    """

    def __init__(self, *, cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(**kwargs)
        self._init_bookkeeping(cleanup_timeout)

    def cleanup(self) -> list[tuple[str, BaseException]]:
        """Send the cleanup requests of all unsettled work now; return the failures."""
        failures: list[tuple[str, BaseException]] = []
        deadline = time.monotonic() + self._cleanup_timeout
        for key, requests in self._tracker.pending_cleanup_requests():
            if time.monotonic() > deadline:
                failures.append((key, TimeoutError("session cleanup timed out")))
                continue
            error: BaseException | None = None
            try:
                for request in requests:
                    self.submit_request(request)
            except HordeError as caught:
                error = caught
            self._record_cleanup_result(key, error, failures)
        return failures

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            failures = self.cleanup()
        finally:
            self.close()
        self._finish_cleanup(failures, exc)


class GenericAsyncHordeAPISession(_SessionBookkeeping, GenericAsyncHordeAPIManualClient):
    """An async client session that cancels every piece of server-side work it leaves unsettled.

    Use ``async with``. On exit for any reason, including cancellation of the enclosing task, the cleanup
    requests run concurrently, shielded from cancellation, within ``cleanup_timeout`` seconds.
    """

    def __init__(self, *, cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(**kwargs)
        self._init_bookkeeping(cleanup_timeout)

    async def cleanup(self) -> list[tuple[str, BaseException]]:
        """Send the cleanup requests of all unsettled work now (shielded); return the failures."""
        failures: list[tuple[str, BaseException]] = []
        pending = self._tracker.pending_cleanup_requests()

        async def settle(key: str, requests: list[HordeRequest]) -> None:
            error: BaseException | None = None
            try:
                for request in requests:
                    await self.submit_request(request)
            except HordeError as caught:
                error = caught
            self._record_cleanup_result(key, error, failures)

        with anyio.CancelScope(shield=True), anyio.move_on_after(self._cleanup_timeout):
            async with anyio.create_task_group() as group:
                for key, requests in pending:
                    group.start_soon(settle, key, requests)
        reported = {key for key, _ in failures}
        failures.extend(
            (key, TimeoutError("session cleanup timed out"))
            for key in self._tracker.pending_keys
            if key not in reported
        )
        return failures

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            failures = await self.cleanup()
        finally:
            with anyio.CancelScope(shield=True):
                await self.aclose()
        self._finish_cleanup(failures, exc)
