"""horde_sdk.generic_api: the API-agnostic core of horde-sdk.

Request/response model bases, request building and response parsing shared by sync and async clients,
typed exceptions, retries, client-side rate limiting, redacting structured logging, and the generic
manual clients and sessions. API packages (such as ``horde_sdk.ai_horde_api``) build on it.

Names are exported lazily: ``import horde_sdk.generic_api`` is cheap, and a name's module (pydantic,
httpx) is imported the first time the name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from horde_sdk.generic_api.__about__ import __version__

if TYPE_CHECKING:
    from horde_sdk.generic_api.apimodels import (
        APIKeyAllowedInRequestMixin,
        ContainsMessageResponseMixin,
        HordeAPIData,
        HordeAPIMessage,
        HordeAPIObject,
        HordeAPIObjectBaseModel,
        HordeRequest,
        HordeResponse,
        HordeResponseBaseModel,
        HordeResponseRootModel,
        RequestErrorResponse,
        ResponseRequiringFollowUpMixin,
    )
    from horde_sdk.generic_api.consts import (
        _ANONYMOUS_MODEL,
        _OVERLOADED_MODEL,
        ANON_API_KEY,
        HTTPMethod,
        HTTPStatusCode,
        ModelStrictness,
        get_default_frozen_model_config_dict,
        get_model_strictness,
    )
    from horde_sdk.generic_api.core import FollowUpTracker, PreparedRequest, RequestCore
    from horde_sdk.generic_api.decoration import Unequatable, Unhashable
    from horde_sdk.generic_api.endpoints import GENERIC_API_ENDPOINT_SUBPATH
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
        HordeResponseTooLargeError,
        HordeResponseValidationError,
        HordeServerError,
        HordeTimeoutError,
        HordeTransportError,
        HordeUnauthorizedError,
        HordeUnexpectedResponseTypeError,
    )
    from horde_sdk.generic_api.generic_clients import (
        GenericAsyncHordeAPIManualClient,
        GenericAsyncHordeAPISession,
        GenericHordeAPIManualClient,
        GenericHordeAPISession,
    )
    from horde_sdk.generic_api.metadata import (
        GenericAcceptTypes,
        GenericHeaderFields,
        GenericPathFields,
        GenericQueryFields,
    )
    from horde_sdk.generic_api.ratelimit import ClientRateLimiter, RateLimitRule
    from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts, RetryPolicy

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "APIKeyAllowedInRequestMixin",
            "ContainsMessageResponseMixin",
            "HordeAPIData",
            "HordeAPIMessage",
            "HordeAPIObject",
            "HordeAPIObjectBaseModel",
            "HordeRequest",
            "HordeResponse",
            "HordeResponseBaseModel",
            "HordeResponseRootModel",
            "RequestErrorResponse",
            "ResponseRequiringFollowUpMixin",
        ),
        "apimodels",
    ),
    **dict.fromkeys(
        (
            "ANON_API_KEY",
            "HTTPMethod",
            "HTTPStatusCode",
            "ModelStrictness",
            "_ANONYMOUS_MODEL",
            "_OVERLOADED_MODEL",
            "get_default_frozen_model_config_dict",
            "get_model_strictness",
        ),
        "consts",
    ),
    **dict.fromkeys(("FollowUpTracker", "PreparedRequest", "RequestCore"), "core"),
    **dict.fromkeys(("Unequatable", "Unhashable"), "decoration"),
    "GENERIC_API_ENDPOINT_SUBPATH": "endpoints",
    **dict.fromkeys(
        (
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
        ),
        "exceptions",
    ),
    **dict.fromkeys(
        (
            "GenericAsyncHordeAPIManualClient",
            "GenericAsyncHordeAPISession",
            "GenericHordeAPIManualClient",
            "GenericHordeAPISession",
        ),
        "generic_clients",
    ),
    **dict.fromkeys(
        ("GenericAcceptTypes", "GenericHeaderFields", "GenericPathFields", "GenericQueryFields"), "metadata"
    ),
    **dict.fromkeys(("ClientRateLimiter", "RateLimitRule"), "ratelimit"),
    **dict.fromkeys(("HordeClientSettings", "HordeTimeouts", "RetryPolicy"), "settings"),
}

__all__ = [
    "ANON_API_KEY",
    "GENERIC_API_ENDPOINT_SUBPATH",
    "_ANONYMOUS_MODEL",
    "_OVERLOADED_MODEL",
    "APIKeyAllowedInRequestMixin",
    "ClientRateLimiter",
    "ContainsMessageResponseMixin",
    "FollowUpTracker",
    "GenericAcceptTypes",
    "GenericAsyncHordeAPIManualClient",
    "GenericAsyncHordeAPISession",
    "GenericHeaderFields",
    "GenericHordeAPIManualClient",
    "GenericHordeAPISession",
    "GenericPathFields",
    "GenericQueryFields",
    "HTTPMethod",
    "HTTPStatusCode",
    "HordeAPIData",
    "HordeAPIError",
    "HordeAPIMessage",
    "HordeAPIObject",
    "HordeAPIObjectBaseModel",
    "HordeBadRequestError",
    "HordeCleanupError",
    "HordeClientError",
    "HordeClientSettings",
    "HordeConnectionError",
    "HordeError",
    "HordeForbiddenError",
    "HordeNotFoundError",
    "HordeRateLimitedError",
    "HordeRequest",
    "HordeRequestBuildError",
    "HordeResponse",
    "HordeResponseBaseModel",
    "HordeResponseRootModel",
    "HordeResponseTooLargeError",
    "HordeResponseValidationError",
    "HordeServerError",
    "HordeTimeoutError",
    "HordeTimeouts",
    "HordeTransportError",
    "HordeUnauthorizedError",
    "HordeUnexpectedResponseTypeError",
    "ModelStrictness",
    "PreparedRequest",
    "RateLimitRule",
    "RequestCore",
    "RequestErrorResponse",
    "ResponseRequiringFollowUpMixin",
    "RetryPolicy",
    "Unequatable",
    "Unhashable",
    "__version__",
    "get_default_frozen_model_config_dict",
    "get_model_strictness",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - a lazily imported export of any kind
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
