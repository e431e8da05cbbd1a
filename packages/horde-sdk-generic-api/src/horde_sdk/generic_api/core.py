"""The I/O-free request core shared by every sync and async client.

Everything a client does except sending bytes and sleeping lives here, once:

- :meth:`RequestCore.build` turns a :class:`~horde_sdk.generic_api.apimodels.HordeRequest` into a
  :class:`PreparedRequest` (URL with path values, query, headers under their wire names, JSON body);
- :meth:`RequestCore.parse` picks the response model by the actual status code, or raises the typed
  exception of a non-2xx answer;
- :meth:`RequestCore.flow` is a generator that drives one request through rate limiting and retries
  within the call's total deadline. It *yields* actions (:class:`SendAction`, :class:`SleepAction`) and
  receives outcomes (:class:`RawResponse`, :class:`TransportFailure`); a sync client performs the
  actions with a blocking transport and :func:`time.sleep`, an async client with an async transport and
  ``anyio.sleep``. Every :class:`SendAction` carries the time left (``timeout``) and the body cap
  (``max_body_bytes``) the transport must enforce; a wait that would end after the deadline is never
  yielded: the flow raises :class:`~horde_sdk.generic_api.exceptions.HordeTimeoutError` at once;
- :class:`FollowUpTracker` remembers server-side work a session started and what cancels it.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from http import HTTPMethod, HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from horde_sdk.generic_api.apimodels import (
    _IDEMPOTENT_METHODS,
    HordeRequest,
    HordeResponse,
    ResponseRequiringFollowUpMixin,
)
from horde_sdk.generic_api.endpoints import join_url, path_placeholders, url_from_template
from horde_sdk.generic_api.exceptions import (
    HordeAPIError,
    HordeBadRequestError,
    HordeConnectionError,
    HordeRateLimitedError,
    HordeRequestBuildError,
    HordeResponseTooLargeError,
    HordeResponseValidationError,
    HordeTimeoutError,
    HordeTransportError,
    api_error_class_for_status,
)
from horde_sdk.generic_api.log import get_logger, redact_text
from horde_sdk.generic_api.metadata import (
    GenericAcceptTypes,
    GenericHeaderFields,
    GenericPathFields,
    GenericQueryFields,
)
from horde_sdk.generic_api.settings import HordeClientSettings, parse_retry_after

__all__ = [
    "Action",
    "FollowUpTracker",
    "Outcome",
    "PreparedRequest",
    "RawResponse",
    "RequestCore",
    "RequestFlow",
    "SendAction",
    "SleepAction",
    "TransportFailure",
]

_BODYLESS_METHODS = frozenset({HTTPMethod.GET, HTTPMethod.DELETE, HTTPMethod.HEAD, HTTPMethod.OPTIONS})


def _carries_body(request_type: type[HordeRequest]) -> bool:
    """Return True when the request's fields (beyond path and headers) travel in a JSON body.

    GET, HEAD and OPTIONS never do; DELETE only when the request class says so
    (:meth:`HordeRequest.is_delete_with_body`); POST, PUT and PATCH always do.
    """
    method = request_type.get_http_method()
    if method == HTTPMethod.DELETE:
        return request_type.is_delete_with_body()
    return method not in _BODYLESS_METHODS


_MAX_MESSAGE_CHARS = 500


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request ready to go over the wire. Its ``repr`` shows no header (the API key is one)."""

    method: str
    url: str
    path_template: str
    headers: dict[str, str] = field(repr=False)
    params: list[tuple[str, str]] = field(repr=False)
    json_body: Any = field(repr=False)
    idempotent: bool


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What came back over the wire."""

    status_code: int
    headers: Mapping[str, str] = field(repr=False)
    content: bytes = field(repr=False)


TransportFailureKind = Literal["timeout", "connection", "too_large"]
"""Why no usable answer arrived: see :class:`TransportFailure`."""


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """No usable answer arrived.

    Attributes:
        kind: ``"timeout"`` (a phase timeout or the exchange's deadline passed), ``"connection"`` (the
            connection failed or was dropped, the answer was not HTTP, or its body cannot be decoded: an
            encoding not asked for, corrupt or truncated compressed data), ``"too_large"`` (the body,
            decompressed, is larger than the cap; reading stopped before holding more than the cap).
        may_have_reached_server: Whether the server could have received the request.
        detail: A short description (no URL, no secret).
    """

    kind: TransportFailureKind
    may_have_reached_server: bool
    detail: str


@dataclass(frozen=True, slots=True)
class SendAction:
    """Ask the driver to send ``request`` and send back a :class:`RawResponse` or :class:`TransportFailure`.

    Attributes:
        request: What to send.
        timeout: Seconds the whole exchange may take, connect to last body byte (> 0). The driver passes
            it to the transport's ``send(..., timeout=...)``.
        max_body_bytes: The largest response body (decompressed) to accept; the driver passes it as
            ``send(..., max_body_bytes=...)``.
    """

    request: PreparedRequest
    timeout: float
    max_body_bytes: int


@dataclass(frozen=True, slots=True)
class SleepAction:
    """Ask the driver to wait ``seconds`` and send back None."""

    seconds: float


Action = SendAction | SleepAction
Outcome = RawResponse | TransportFailure | None
RequestFlow = Generator[Action, Outcome, HordeResponse]


def _wire_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


class RequestCore:
    """Builds requests, parses responses, maps errors and decides retries for one client.

    Args:
        settings: The client's settings.
        header_fields: Enum of header fields (member name: Python field, value: wire name).
        query_fields: Enum of query fields.
        path_fields: Enum of path fields (value: placeholder name in path templates).
        accept_types: Enum of accepted media types; the first member is sent as ``Accept``.
    """

    def __init__(
        self,
        settings: HordeClientSettings,
        *,
        header_fields: type[StrEnum] = GenericHeaderFields,
        query_fields: type[StrEnum] = GenericQueryFields,
        path_fields: type[StrEnum] = GenericPathFields,
        accept_types: type[StrEnum] = GenericAcceptTypes,
    ) -> None:
        self.settings = settings
        self._header_fields = {member.name: member.value for member in header_fields}
        self._query_fields = {member.name: member.value for member in query_fields}
        self._path_fields_by_placeholder = {member.value: member.name for member in path_fields}
        self._accept = next(iter(accept_types)).value if len(accept_types) else GenericAcceptTypes.json.value
        self._rng = random.Random(settings.seed)  # noqa: S311 - jitter, not cryptography
        self._secrets = tuple(secret for secret in (settings.api_key,) if secret)
        self._log = get_logger(__name__, secrets=self._secrets)
        self._stdlib_log = logging.getLogger(__name__)
        self._layout_cache: dict[type[HordeRequest], _RequestLayout] = {}
        self._statics_cache: dict[type[HordeRequest], _RequestStatics] = {}

    # ----------------------------------------------------------------------------------- building
    def _layout(self, request_type: type[HordeRequest]) -> _RequestLayout:
        layout = self._layout_cache.get(request_type)
        if layout is None:
            layout = _RequestLayout.of(
                request_type, self._header_fields, self._query_fields, self._path_fields_by_placeholder
            )
            self._layout_cache[request_type] = layout
        return layout

    def _statics(self, request_type: type[HordeRequest]) -> _RequestStatics:
        """What every request of ``request_type`` shares under the current settings (cached per class)."""
        statics = self._statics_cache.get(request_type)
        if statics is None or statics.settings is not self.settings:
            statics = _RequestStatics.of(request_type, self._layout(request_type), self.settings, self._base_headers)
            self._statics_cache[request_type] = statics
        return statics

    def _base_headers(self, request_type: type[HordeRequest]) -> dict[str, str]:
        headers = {"Accept": self._accept, "Client-Agent": self.settings.client_agent}
        key = self._client_key(request_type)
        if key is not None:
            headers["apikey"] = key
        return headers

    def build(self, request: HordeRequest) -> PreparedRequest:
        """Turn a request model into what goes over the wire.

        What depends only on the request's class and the client's settings (method, path template, the
        URL of a path without placeholders, the ``Accept``, ``Client-Agent`` and client ``apikey`` headers)
        is worked out once per class; only the request's own values are read on every call.

        Raises:
            HordeRequestBuildError: a path value is missing, a body field is declared on a bodyless
                method, or the URL still contains a brace.
        """
        request_type = type(request)
        statics = self._statics(request_type)
        layout = statics.layout
        url = statics.url
        if url is None:
            template = statics.template
            path_values: dict[str, str] = {}
            for placeholder, attribute in layout.path.items():
                value = getattr(request, attribute)
                if value is None or value == "":
                    raise HordeRequestBuildError(
                        f"{request_type.__name__}: path field {attribute!r} is empty; {template} needs it"
                    )
                path_values[placeholder] = _wire_value(value)
            try:
                path = url_from_template(template, path_values)
            except ValueError as error:
                raise HordeRequestBuildError(f"{request_type.__name__}: {error}") from None
            url = join_url(statics.base_url, path)

        headers = self._headers(request, layout, statics.headers)
        params = self._params(request, layout) if layout.query else []
        json_body = self._body(request, layout, statics.method) if layout.body else None
        return PreparedRequest(
            method=statics.method_name,
            url=url,
            path_template=statics.template,
            headers=headers,
            params=params,
            json_body=json_body,
            idempotent=statics.idempotent if statics.idempotent is not None else request.is_idempotent(),
        )

    @staticmethod
    def _headers(request: HordeRequest, layout: _RequestLayout, base: dict[str, str]) -> dict[str, str]:
        headers = base.copy()
        for attribute, wire_name in layout.headers:
            value = getattr(request, attribute)
            if value is not None:
                text = _wire_value(value)
                if "\r" in text or "\n" in text:
                    raise HordeRequestBuildError(f"{type(request).__name__}: header field {attribute!r} spans lines")
                headers[wire_name] = text
        return headers

    def _client_key(self, request_type: type[HordeRequest]) -> str | None:
        """The key the client adds to a request (a key set on the request itself replaces it).

        The caller's key goes with every request that takes the client's key; the anonymous key only
        with requests the server refuses without one, when the caller gave no key.
        """
        settings = self.settings
        if settings.api_key is not None:
            return settings.api_key if request_type.is_client_api_key_sent() else None
        if settings.anonymous_api_key is not None and request_type.is_api_key_required():
            return settings.anonymous_api_key
        return None

    @staticmethod
    def _params(request: HordeRequest, layout: _RequestLayout) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        for attribute, wire_name in layout.query:
            value = getattr(request, attribute)
            if value is None:
                continue
            if isinstance(value, list | tuple | set | frozenset):
                params.extend((wire_name, _wire_value(item)) for item in value)
            else:
                params.append((wire_name, _wire_value(value)))
        return params

    @staticmethod
    def _body(request: HordeRequest, layout: _RequestLayout, method: HTTPMethod) -> Any:  # noqa: ANN401 - JSON
        if not layout.body:
            return None
        request_type = type(request)
        if not _carries_body(request_type):
            raise HordeRequestBuildError(
                f"{request_type.__name__}: {method} requests carry no body, but fields "
                f"{sorted(layout.body)} are neither path, query nor header fields"
            )
        body: dict[str, Any] = request.model_dump(
            mode="json", by_alias=True, include=set(layout.body), exclude_unset=True
        )
        for name in (request_type.get_always_sent_fields() & layout.body) - request.model_fields_set:
            body.update(request.model_dump(mode="json", by_alias=True, include={name}))
        return body

    # ------------------------------------------------------------------------------------ parsing
    def parse(self, request: HordeRequest, prepared: PreparedRequest, raw: RawResponse) -> HordeResponse:
        """Return the response model for a 2xx answer; raise the typed error for anything else."""
        status = raw.status_code
        if not 200 <= status < 300:
            raise self.error_from_response(prepared, raw)
        request_type = type(request)
        statics = self._statics(request_type)
        response_type = statics.responses.get(status)
        if response_type is None:
            response_type = statics.default_response
            self._log.warning(
                "undeclared success status; parsing with the default response model",
                method=prepared.method,
                path=prepared.path_template,
                status_code=status,
                response_model=response_type.__name__,
            )
        content = raw.content
        if not content or content.isspace():  # (strip() would copy a whole large body)
            raise HordeResponseValidationError(
                "the body is empty",
                status_code=status,
                method=prepared.method,
                path=prepared.path_template,
                model_name=response_type.__name__,
            )
        try:
            if not issubclass(response_type, BaseModel):
                raise TypeError(f"{response_type.__name__} is not a pydantic model")
            parsed = response_type.model_validate_json(content)
        except ValidationError as error:
            raise HordeResponseValidationError(
                redact_text(str(error), self._secrets)[:2000],
                status_code=status,
                method=prepared.method,
                path=prepared.path_template,
                model_name=response_type.__name__,
            ) from None
        return parsed

    def error_from_response(self, prepared: PreparedRequest, raw: RawResponse) -> HordeAPIError:
        """Build the typed exception for a non-2xx answer from its status, body and headers."""
        message, rc, field_errors = self._read_error_body(raw.content)
        error_class = api_error_class_for_status(raw.status_code)
        common: dict[str, Any] = {
            "status_code": raw.status_code,
            "message": message,
            "method": prepared.method,
            "path": prepared.path_template,
            "rc": rc,
        }
        if error_class is HordeBadRequestError:
            return HordeBadRequestError(**common, field_errors=field_errors)
        if error_class is HordeRateLimitedError:
            return HordeRateLimitedError(**common, retry_after=parse_retry_after(raw.headers))
        return error_class(**common)

    def _read_error_body(self, content: bytes) -> tuple[str, str | None, dict[str, str]]:
        try:
            body = json.loads(content) if content.strip() else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = body.get("message")
            rc = body.get("rc")
            errors = body.get("errors")
            field_errors = {str(key): str(value) for key, value in errors.items()} if isinstance(errors, dict) else {}
            text = message if isinstance(message, str) else json.dumps(body)[:_MAX_MESSAGE_CHARS]
            return (
                redact_text(text, self._secrets)[:_MAX_MESSAGE_CHARS],
                rc if isinstance(rc, str) else None,
                {key: redact_text(value, self._secrets) for key, value in field_errors.items()},
            )
        text = content.decode("utf-8", errors="replace").strip() or "(empty body)"
        return redact_text(text, self._secrets)[:_MAX_MESSAGE_CHARS], None, {}

    def error_from_failure(self, prepared: PreparedRequest, failure: TransportFailure) -> HordeTransportError:
        """Build the typed exception for a transport failure."""
        error_class = HordeTimeoutError if failure.kind == "timeout" else HordeConnectionError
        return error_class(
            redact_text(failure.detail, self._secrets),
            method=prepared.method,
            path=prepared.path_template,
            may_have_reached_server=failure.may_have_reached_server,
        )

    # ------------------------------------------------------------------------------------ the flow
    def call_budget(self, timeout: float | None) -> float:
        """Return the total seconds one call may take: ``timeout``, or the client's ``timeouts.total``.

        Raises:
            HordeRequestBuildError: ``timeout`` is not a positive finite number (nothing is sent).
        """
        if timeout is None:
            return self.settings.timeouts.total
        given: object = timeout  # callers may pass anything; check it before anything is sent
        if isinstance(given, bool) or not isinstance(given, int | float) or not 0 < given < math.inf:
            raise HordeRequestBuildError(f"timeout must be a positive finite number of seconds, got {timeout!r}")
        return float(timeout)

    def flow(
        self,
        request: HordeRequest,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> RequestFlow:
        """Drive one request through rate limiting, sending, parsing and retries, within a total deadline.

        Yields actions for the driver to perform; returns the parsed response or raises the typed error.
        The call ends at ``clock() + timeout`` (default ``settings.timeouts.total``) or at ``deadline``
        (a moment on ``clock``, e.g. the end of a job), whichever comes first. Every send gets the time
        left; a wait (retry backoff, ``Retry-After``, the rate limiter) that would end after the deadline
        is not yielded: :class:`HordeTimeoutError` is raised at once, chained to the answer that asked
        for the wait.

        Args:
            request: The request.
            timeout: Seconds the whole call may take (default: the client's ``timeouts.total``).
            deadline: An absolute end on ``clock``; the earlier of both ends the call.
            clock: The monotonic clock the deadline is measured on (injectable for tests).

        Raises:
            HordeRequestBuildError: the request or ``timeout`` is invalid (nothing is sent).
        """
        prepared = self.build(request)
        ends_at = clock() + self.call_budget(timeout)
        if deadline is not None:
            ends_at = min(ends_at, deadline)
        limiter = self.settings.rate_limiter
        max_body_bytes = self.settings.max_response_bytes
        concrete_path = prepared.url
        debug = self._stdlib_log.isEnabledFor(logging.DEBUG)
        attempt = 1
        last_error: HordeAPIError | HordeTransportError | None = None
        reached = False
        while True:
            if limiter is not None:
                wait = limiter.reserve(prepared.method, prepared.path_template, concrete_path)
                if wait > 0:
                    self._check_wait(
                        prepared, "the client rate limiter", wait, ends_at - clock(), cause=last_error, reached=reached
                    )
                    if debug:
                        self._log.debug("rate limiter delays request", path=prepared.path_template, wait=wait)
                    yield SleepAction(wait)
            remaining = ends_at - clock()
            if remaining <= 0:
                raise self._deadline_error(prepared, "no time left to send", last_error, reached)
            if debug:
                self._log.debug(
                    "sending request", method=prepared.method, path=prepared.path_template, attempt=attempt
                )
            outcome = yield SendAction(prepared, remaining, max_body_bytes)
            if isinstance(outcome, RawResponse) and 200 <= outcome.status_code < 300:
                if debug:
                    self._log.debug(
                        "response received",
                        method=prepared.method,
                        path=prepared.path_template,
                        status_code=outcome.status_code,
                    )
                return self.parse(request, prepared, outcome)
            error, delay, reached_now = self._assess_failure(prepared, outcome, attempt)
            reached = reached or reached_now
            if delay is None:
                self._log.debug(
                    "request failed", method=prepared.method, path=prepared.path_template, error=str(error)
                )
                raise error
            last_error = error
            self._check_wait(prepared, "the retry", delay, ends_at - clock(), cause=error, reached=reached)
            self._log.info(
                "retrying request",
                method=prepared.method,
                path=prepared.path_template,
                attempt=attempt,
                delay=round(delay, 3),
                reason=str(error),
            )
            yield SleepAction(delay)
            attempt += 1

    def _assess_failure(
        self, prepared: PreparedRequest, outcome: Outcome, attempt: int
    ) -> tuple[HordeAPIError | HordeTransportError, float | None, bool]:
        """Judge a failed try.

        Returns:
            The error, the wait before the next try (None: give up), and whether the server may have acted.
        """
        if isinstance(outcome, RawResponse):
            # A 429 or 503 is a refusal before acting; any other answer may follow a server action.
            refused = outcome.status_code in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE)
            delay = self.settings.retry.delay_after_status(
                attempt=attempt,
                status_code=outcome.status_code,
                idempotent=prepared.idempotent,
                headers=outcome.headers,
                rng=self._rng,
            )
            return self.error_from_response(prepared, outcome), delay, not refused
        if isinstance(outcome, TransportFailure):
            if outcome.kind == "too_large":
                raise HordeResponseTooLargeError(
                    limit=self.settings.max_response_bytes, method=prepared.method, path=prepared.path_template
                )
            delay = self.settings.retry.delay_after_transport_failure(
                attempt=attempt,
                idempotent=prepared.idempotent,
                may_have_reached_server=outcome.may_have_reached_server,
                rng=self._rng,
            )
            return self.error_from_failure(prepared, outcome), delay, outcome.may_have_reached_server
        raise TypeError(f"request flow expected a RawResponse or TransportFailure, got {outcome!r}")  # a driver bug

    def _check_wait(
        self,
        prepared: PreparedRequest,
        what: str,
        wait: float,
        remaining: float,
        *,
        cause: HordeAPIError | HordeTransportError | None,
        reached: bool,
    ) -> None:
        """Raise the deadline error when a wait of ``wait`` seconds would not leave time to send."""
        if wait >= remaining:
            raise self._deadline_error(
                prepared,
                f"{what} would wait {wait:.3g} s with {max(0.0, remaining):.3g} s left",
                cause,
                reached,
            )

    def _deadline_error(
        self,
        prepared: PreparedRequest,
        detail: str,
        cause: HordeAPIError | HordeTransportError | None,
        reached: bool,
    ) -> HordeTimeoutError:
        error = HordeTimeoutError(
            f"the call's deadline passed: {detail}",
            method=prepared.method,
            path=prepared.path_template,
            may_have_reached_server=reached,
        )
        error.__cause__ = cause
        self._log.debug("request deadline passed", method=prepared.method, path=prepared.path_template, detail=detail)
        return error


def _default_idempotency(request_type: type[HordeRequest]) -> bool:
    """Whether ``request_type`` keeps the method-based :meth:`HordeRequest.is_idempotent`."""
    return request_type.is_idempotent is HordeRequest.is_idempotent


@dataclass(frozen=True, slots=True)
class _RequestStatics:
    """What every request of one class shares under one client's settings (see :meth:`RequestCore.build`)."""

    settings: HordeClientSettings
    layout: _RequestLayout
    method: HTTPMethod
    method_name: str
    template: str
    base_url: str
    url: str | None
    """The whole URL when the path has no placeholder, else None (filled per request)."""
    headers: dict[str, str]
    """The headers every request of the class starts from; copied per request, never handed out."""
    responses: dict[int, type[HordeResponse]]
    default_response: type[HordeResponse]
    idempotent: bool | None
    """What :meth:`HordeRequest.is_idempotent` says for the class's method, or None when the class overrides it
    (then every request is asked)."""

    @classmethod
    def of(
        cls,
        request_type: type[HordeRequest],
        layout: _RequestLayout,
        settings: HordeClientSettings,
        base_headers: Callable[[type[HordeRequest]], dict[str, str]],
    ) -> _RequestStatics:
        method = request_type.get_http_method()
        template = str(request_type.get_api_endpoint_subpath())
        base_url = settings.base_url or request_type.get_api_url()
        url: str | None = None
        if not layout.path:
            try:
                url = join_url(base_url, url_from_template(template, {}))
            except ValueError as error:
                raise HordeRequestBuildError(f"{request_type.__name__}: {error}") from None
        return cls(
            settings=settings,
            layout=layout,
            method=method,
            method_name=str(method),
            template=template,
            base_url=base_url,
            url=url,
            headers=base_headers(request_type),
            responses={int(status): kind for status, kind in request_type.get_success_status_response_pairs().items()},
            default_response=request_type.get_default_success_response_type(),
            idempotent=(method in _IDEMPOTENT_METHODS) if _default_idempotency(request_type) else None,
        )


@dataclass(frozen=True, slots=True)
class _RequestLayout:
    """Which fields of a request class go to the path, the query, the headers and the body."""

    path: dict[str, str]
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    body: frozenset[str]

    @classmethod
    def of(
        cls,
        request_type: type[HordeRequest],
        header_fields: Mapping[str, str],
        query_fields: Mapping[str, str],
        path_fields_by_placeholder: Mapping[str, str],
    ) -> _RequestLayout:
        fields = request_type.model_fields
        by_alias = {(info.alias or name): name for name, info in fields.items()}
        template = str(request_type.get_api_endpoint_subpath())
        path: dict[str, str] = {}
        for placeholder in path_placeholders(template):
            attribute = path_fields_by_placeholder.get(placeholder)
            if attribute not in fields:
                attribute = by_alias.get(placeholder) or (placeholder if placeholder in fields else None)
                if attribute is None and f"{placeholder}_" in fields:
                    attribute = f"{placeholder}_"
            if attribute is None:
                raise HordeRequestBuildError(
                    f"{request_type.__name__} has no field for the path placeholder {{{placeholder}}} of {template}"
                )
            path[placeholder] = attribute
        # A field filling a path placeholder goes nowhere else, even if the API also uses its name as
        # a query or header field on other endpoints (e.g. ``user_id``).
        in_path = set(path.values())
        headers = tuple((name, wire) for name, wire in header_fields.items() if name in fields and name not in in_path)
        # Query fields exist only on requests without a body: on POST/PUT/PATCH a field named like a
        # query parameter of another endpoint (``name``, ``filter_type``) is a body property.
        query = (
            ()
            if _carries_body(request_type)
            else tuple((name, wire) for name, wire in query_fields.items() if name in fields and name not in in_path)
        )
        routed = set(path.values()) | {name for name, _ in headers} | {name for name, _ in query}
        body = frozenset(name for name, info in fields.items() if name not in routed and not info.exclude)
        return cls(path=path, headers=headers, query=query, body=body)


class FollowUpTracker:
    """Remembers server-side work a session started and not yet settled, and what cancels it.

    Sessions call :meth:`observe` after every successful request; on exit,
    :meth:`pending_cleanup_requests` gives the requests to send for what is still open.
    """

    def __init__(self) -> None:
        self._pending: dict[str, ResponseRequiringFollowUpMixin] = {}

    def observe(self, request: HordeRequest, response: HordeResponse) -> None:
        """Record a response: track the work it started, forget the work it settled."""
        if isinstance(response, ResponseRequiringFollowUpMixin) and response.does_require_follow_up():
            self._pending[response.get_follow_up_key()] = response
        settled = request.get_follow_up_resolved_key(response)
        if settled is not None:
            self._pending.pop(settled, None)

    def settle(self, key: str) -> None:
        """Forget ``key`` (its work is finished or cancelled)."""
        self._pending.pop(key, None)

    @property
    def pending_keys(self) -> tuple[str, ...]:
        """Keys of the work started and not settled, oldest first."""
        return tuple(self._pending)

    def pending_cleanup_requests(self) -> list[tuple[str, list[HordeRequest]]]:
        """Return ``(key, cleanup requests)`` for every unsettled piece of work."""
        return [(key, response.get_follow_up_failure_cleanup_requests()) for key, response in self._pending.items()]


def iter_cleanup_failures(failures: Iterable[tuple[str, BaseException]]) -> list[str]:
    """Describe cleanup failures without exposing keys in full (a job id is a capability)."""
    return [f"{_short_key(key)}: {type(error).__name__}: {error}" for key, error in failures]


def _short_key(key: str) -> str:
    return key if len(key) <= 8 else f"{key[:8]}…"
