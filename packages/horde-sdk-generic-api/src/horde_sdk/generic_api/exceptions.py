"""The exceptions raised by horde_sdk clients.

Everything derives from :class:`HordeError`:

- :class:`HordeRequestBuildError` (also a ``ValueError``): the request is wrong; nothing was sent.
- :class:`HordeAPIError`: the server answered with a non-2xx status. Subclasses by status:
  :class:`HordeBadRequestError` (400, with ``field_errors``), :class:`HordeUnauthorizedError` (401),
  :class:`HordeForbiddenError` (403), :class:`HordeNotFoundError` (404),
  :class:`HordeRateLimitedError` (429, with ``retry_after``), other 4xx as :class:`HordeClientError`,
  and :class:`HordeServerError` (5xx).
- :class:`HordeTransportError`: no usable answer: :class:`HordeTimeoutError`,
  :class:`HordeConnectionError`. ``may_have_reached_server`` tells whether the server could have acted.
  A call that runs out of its total deadline (including a retry or rate-limit wait that would end after
  it) raises :class:`HordeTimeoutError`.
- :class:`HordeResponseTooLargeError`: a body larger than the client's cap; reading stopped at the cap.
- :class:`HordeResponseValidationError`: a 2xx answer that does not match its model (an empty body
  included where the model expects content).
- :class:`HordeUnexpectedResponseTypeError`: a valid answer of another type than the caller expected.
- :class:`HordeCleanupError`: a session could not cancel all the work it started.

Every exception carries the HTTP method and the endpoint's path *template* (``/v2/generate/status/{id}``),
never the concrete URL (ids are capabilities) and never an API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

__all__ = [
    "HordeAPIError",
    "HordeBadRequestError",
    "HordeCleanupError",
    "HordeClientError",
    "HordeConnectionError",
    "HordeError",
    "HordeForbiddenError",
    "HordeNotFoundError",
    "HordeRateLimitedError",
    "HordeRequestBuildError",
    "HordeResponseTooLargeError",
    "HordeResponseValidationError",
    "HordeServerError",
    "HordeTimeoutError",
    "HordeTransportError",
    "HordeUnauthorizedError",
    "HordeUnexpectedResponseTypeError",
    "api_error_class_for_status",
]


class HordeError(Exception):
    """Base of every exception raised by horde_sdk."""


class HordeRequestBuildError(HordeError, ValueError):
    """The request cannot be built (missing path value, misdeclared field, bad setting); nothing was sent."""


class HordeAPIError(HordeError):
    """The server answered with a non-2xx status code.

    Attributes:
        status_code: The HTTP status code.
        rc: The server's return code (``"InvalidAPIKey"``, ...) when it sent one.
        message: The server's message (or the start of a non-JSON body).
        method: The HTTP method of the request.
        path: The endpoint's path template.
    """

    def __init__(
        self,
        *,
        status_code: int,
        message: str,
        method: str,
        path: str,
        rc: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.rc = rc
        self.message = message
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        try:
            phrase = HTTPStatus(self.status_code).phrase
        except ValueError:
            phrase = "Unknown status"
        rc = f" [{self.rc}]" if self.rc else ""
        return f"{self.method} {self.path} -> {self.status_code} {phrase}{rc}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_api_error, (type(self), self.__dict__.copy()))


def _rebuild_api_error(cls: type[HordeAPIError], state: dict[str, object]) -> HordeAPIError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


class HordeClientError(HordeAPIError):
    """The server rejected the request (4xx)."""


class HordeBadRequestError(HordeClientError):
    """400: the server found the request invalid.

    Attributes:
        field_errors: ``{field: reason}`` from the server's validation, empty when it gave none.
    """

    def __init__(
        self,
        *,
        status_code: int,
        message: str,
        method: str,
        path: str,
        rc: str | None = None,
        field_errors: Mapping[str, str] | None = None,
    ) -> None:
        self.field_errors: dict[str, str] = dict(field_errors or {})
        super().__init__(status_code=status_code, message=message, method=method, path=path, rc=rc)

    def _describe(self) -> str:
        text = super()._describe()
        if self.field_errors:
            details = "; ".join(f"{field}: {reason}" for field, reason in sorted(self.field_errors.items()))
            text = f"{text} ({details})"
        return text


class HordeUnauthorizedError(HordeClientError):
    """401: the API key is missing or invalid."""


class HordeForbiddenError(HordeClientError):
    """403: the key is valid but may not do this (e.g. not enough upfront kudos, not a moderator)."""


class HordeNotFoundError(HordeClientError):
    """404: the resource (request, worker, user, ...) does not exist or has expired."""


class HordeRateLimitedError(HordeClientError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked to wait, when it said.
    """

    def __init__(
        self,
        *,
        status_code: int,
        message: str,
        method: str,
        path: str,
        rc: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status_code=status_code, message=message, method=method, path=path, rc=rc)

    def _describe(self) -> str:
        text = super()._describe()
        if self.retry_after is not None:
            text = f"{text} (retry after {self.retry_after:g} s)"
        return text


class HordeServerError(HordeAPIError):
    """5xx: the server failed."""


_STATUS_CLASSES: dict[int, type[HordeAPIError]] = {
    400: HordeBadRequestError,
    401: HordeUnauthorizedError,
    403: HordeForbiddenError,
    404: HordeNotFoundError,
    429: HordeRateLimitedError,
}


def api_error_class_for_status(status_code: int) -> type[HordeAPIError]:
    """Return the exception class that represents a non-2xx status code."""
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if 400 <= status_code < 500:
        return HordeClientError
    if status_code >= 500:
        return HordeServerError
    return HordeAPIError


class HordeTransportError(HordeError):
    """No usable answer arrived.

    Attributes:
        method: The HTTP method of the request.
        path: The endpoint's path template.
        may_have_reached_server: False when the request certainly never left (connection refused, pool
            timeout); True when the server may have received and acted on it (read timeout, dropped
            connection after sending).
    """

    def __init__(self, detail: str, *, method: str, path: str, may_have_reached_server: bool) -> None:
        self.detail = detail
        self.method = method
        self.path = path
        self.may_have_reached_server = may_have_reached_server
        reached = "may have reached the server" if may_have_reached_server else "never reached the server"
        super().__init__(f"{method} {path}: {detail} ({reached})")

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_transport_error,
            (type(self), self.detail, self.method, self.path, self.may_have_reached_server),
        )


def _rebuild_transport_error(
    cls: type[HordeTransportError], detail: str, method: str, path: str, reached: bool
) -> HordeTransportError:
    return cls(detail, method=method, path=path, may_have_reached_server=reached)


class HordeTimeoutError(HordeTransportError):
    """The call ran out of time.

    A phase timed out, the call's total deadline passed, or a retry or rate-limit wait would have ended
    after that deadline (then the error is raised at once and its ``__cause__`` is the answer that asked
    for the wait, e.g. a :class:`HordeRateLimitedError`).
    """


class HordeConnectionError(HordeTransportError):
    """The connection failed or was dropped."""


class HordeResponseTooLargeError(HordeError):
    """A response body is larger than the client accepts; reading stopped at the cap.

    Attributes:
        limit: The cap in bytes (``HordeClientSettings.max_response_bytes`` or ``max_download_bytes``).
        method: The HTTP method of the request.
        path: The endpoint's path template (for a download: ``"(download)"``; a presigned URL is a secret).
    """

    def __init__(self, *, limit: int, method: str, path: str) -> None:
        self.limit = limit
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: the response body is larger than the {limit} bytes accepted")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_too_large, (self.limit, self.method, self.path))


def _rebuild_too_large(limit: int, method: str, path: str) -> HordeResponseTooLargeError:
    return HordeResponseTooLargeError(limit=limit, method=method, path=path)


class HordeResponseValidationError(HordeError):
    """A 2xx response does not match the model declared for it."""

    def __init__(self, detail: str, *, status_code: int, method: str, path: str, model_name: str) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.model_name = model_name
        super().__init__(f"{method} {path} -> {status_code}: response does not match {model_name}: {detail}")


class HordeUnexpectedResponseTypeError(HordeError, TypeError):
    """The server's answer is valid but of another type than the caller asked for."""


class HordeCleanupError(HordeError):
    """A session could not cancel or finish every piece of server-side work it started.

    Attributes:
        failures: One line per work item that may still be pending on the server.
    """

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        listing = "; ".join(self.failures)
        super().__init__(f"{len(self.failures)} pending item(s) could not be cleaned up: {listing}")
