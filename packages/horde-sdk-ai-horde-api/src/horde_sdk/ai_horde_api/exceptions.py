"""The exceptions AI Horde clients raise.

The transport and API errors are defined in ``horde_sdk.generic_api.exceptions`` and re-exported here so
that client code imports everything from ``horde_sdk.ai_horde_api``. Every :class:`HordeAPIError` carries
the server's ``rc``; compare it with :class:`horde_sdk.ai_horde_api.consts.RC`.

The simple clients add the outcomes of a whole generation job, all under :class:`AIHordeGenerationError`:

- :class:`AIHordeJobImpossibleError`: no worker can serve the request now (``is_possible: false`` or a
  ``NoAvailableWorker`` warning);
- :class:`AIHordeJobFaultedError`: the server marked the request faulted;
- :class:`AIHordeGenerationTimeoutError`: the client's deadline passed; the job was cancelled on the server
  and ``partial_result`` holds what had finished;
- :class:`AIHordeDownloadError`: a finished result could not be downloaded (too large, or, as
  :class:`AIHordeInvalidImageError`, not an image: an HTML page, a truncated file).

Each of them was raised after the job was cancelled on the server. A job id is a capability (anyone who
knows it may cancel the request), so messages show only its first eight characters; ``job_id`` holds it.
"""

from __future__ import annotations

from typing import Any

from horde_sdk.generic_api.exceptions import (
    HordeAPIError,
    HordeBadRequestError,
    HordeCleanupError,
    HordeClientError,
    HordeConnectionError,
    HordeError,
    HordeForbiddenError,
    HordeNotFoundError,
    HordeRateLimitedError,
    HordeRequestBuildError,
    HordeResponseValidationError,
    HordeServerError,
    HordeTimeoutError,
    HordeTransportError,
    HordeUnauthorizedError,
    HordeUnexpectedResponseTypeError,
)

__all__ = [
    "AIHordeDownloadError",
    "AIHordeGenerationError",
    "AIHordeGenerationTimeoutError",
    "AIHordeInvalidImageError",
    "AIHordeJobFaultedError",
    "AIHordeJobImpossibleError",
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
    "HordeResponseValidationError",
    "HordeServerError",
    "HordeTimeoutError",
    "HordeTransportError",
    "HordeUnauthorizedError",
    "HordeUnexpectedResponseTypeError",
]


def _short_id(job_id: str | None) -> str:
    if not job_id:
        return "(not submitted)"
    return job_id if len(job_id) <= 8 else f"{job_id[:8]}…"


class AIHordeGenerationError(HordeError):
    """A generation job of a simple client ended without its full result (the job was cancelled on the server).

    Attributes:
        job_id: The id of the request on the server (None when it was never accepted).
        kind: ``"image"``, ``"text"`` or ``"alchemy"``.
        partial_result: The typed job result holding what had finished (None when nothing had).
    """

    def __init__(self, reason: str, *, job_id: str | None, kind: str, partial_result: Any = None) -> None:  # noqa: ANN401 - any job result
        self.reason = reason
        self.job_id = job_id
        self.kind = kind
        self.partial_result = partial_result
        super().__init__(f"{kind} job {_short_id(job_id)}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_generation_error, (type(self), self.__dict__.copy()))


def _rebuild_generation_error(cls: type[AIHordeGenerationError], state: dict[str, object]) -> AIHordeGenerationError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, f"{error.kind} job {_short_id(error.job_id)}: {error.reason}")
    return error


class AIHordeJobImpossibleError(AIHordeGenerationError):
    """No worker online can serve the request (``is_possible: false`` or a ``NoAvailableWorker`` warning).

    Raised within one poll unless the caller chose ``on_impossible="wait"``.

    Attributes:
        warnings: The warning codes the server attached, if any.
    """

    def __init__(
        self,
        reason: str,
        *,
        job_id: str | None,
        kind: str,
        partial_result: Any = None,  # noqa: ANN401 - any job result
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.warnings = warnings
        super().__init__(reason, job_id=job_id, kind=kind, partial_result=partial_result)


class AIHordeJobFaultedError(AIHordeGenerationError):
    """The server reported the request (or, for alchemy, one of its forms) as faulted."""


class AIHordeGenerationTimeoutError(AIHordeGenerationError, TimeoutError):
    """The job did not finish within the client's timeout; it was cancelled and ``partial_result`` holds what had.

    Attributes:
        timeout: The timeout in seconds that passed.
    """

    def __init__(
        self,
        reason: str,
        *,
        job_id: str | None,
        kind: str,
        partial_result: Any = None,  # noqa: ANN401 - any job result
        timeout: float = 0.0,
    ) -> None:
        self.timeout = timeout
        super().__init__(reason, job_id=job_id, kind=kind, partial_result=partial_result)


class AIHordeDownloadError(AIHordeGenerationError):
    """A finished result could not be downloaded (after retries). The URL is never part of the message."""


class AIHordeInvalidImageError(AIHordeDownloadError):
    """A downloaded (or base64) result is not a usable image: no WebP/PNG/JPEG signature, or it does not decode.

    Checked before a client returns an image (:func:`horde_sdk.ai_horde_api.results.check_image`).
    """
