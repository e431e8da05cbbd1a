"""The exceptions AI Horde clients raise (defined in ``horde_sdk.generic_api.exceptions``).

They are re-exported here so that client code imports everything from ``horde_sdk.ai_horde_api``.
Every :class:`HordeAPIError` carries the server's ``rc``; compare it with
:class:`horde_sdk.ai_horde_api.consts.RC`.
"""

from __future__ import annotations

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
