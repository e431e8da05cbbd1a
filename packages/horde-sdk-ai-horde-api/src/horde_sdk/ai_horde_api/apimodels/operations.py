"""Moderation operations on IP addresses: timeouts for addresses and for the address of a worker.

Endpoints: ``/v2/operations/block_worker_ipaddr/{worker_id}`` (PUT, DELETE), ``/v2/operations/ipaddr``
(GET, POST, DELETE) and ``/v2/operations/ipaddr/{ipaddr}`` (GET). Every one needs a moderator's API key.

Note: ``DELETE /v2/operations/ipaddr`` carries a JSON body (the address to release), which few HTTP
clients expect of a DELETE.
"""

from __future__ import annotations

from http import HTTPMethod

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import WorkerID
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "AddIPTimeoutRequest",
    "AllIPTimeoutsRequest",
    "BlockWorkerIPRequest",
    "DeleteIPTimeoutRequest",
    "DeleteWorkerIPBlockRequest",
    "IPTimeoutEntry",
    "IPTimeoutsResponse",
    "SingleIPTimeoutRequest",
]

_IP_MIN_LENGTH = 7
_IP_MAX_LENGTH = 40


class IPTimeoutEntry(HordeAPIObjectBaseModel):
    """An address or address range in timeout, and how long the timeout still lasts.

    v2 API Model: `IPTimeout`
    """

    ipaddr: str = Field(
        min_length=_IP_MIN_LENGTH, max_length=_IP_MAX_LENGTH, description="The address or CIDR range in timeout."
    )
    seconds: int = Field(description="The seconds left until the timeout ends.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "IPTimeout"


class IPTimeoutsResponse(HordeResponseRootModel[tuple[IPTimeoutEntry, ...]]):
    """The addresses in timeout (all of them, or those matching an address).

    Represents the data returned from the following endpoints and http status codes:
        - /v2/operations/ipaddr | AllIPTimeoutsRequest [GET] -> 200
        - /v2/operations/ipaddr/{ipaddr} | SingleIPTimeoutRequest [GET] -> 200

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class BlockWorkerIPRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Put the IP address of a worker in timeout for some days, without revealing the address (moderators only).

    Represents a PUT request to the /v2/operations/block_worker_ipaddr/{worker_id} endpoint.

    v2 API Model: `AddWorkerTimeout`
    """

    worker_id: WorkerID = Field(min_length=1, description="The worker whose address is blocked.")
    days: int = Field(ge=1, le=30, description="How many days the timeout lasts.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PUT

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_operations_block_worker_ipaddr

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "AddWorkerTimeout"


class DeleteWorkerIPBlockRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Lift the timeout on the IP address of a worker (moderators only).

    Represents a DELETE request to the /v2/operations/block_worker_ipaddr/{worker_id} endpoint.
    """

    worker_id: WorkerID = Field(min_length=1, description="The worker whose address is released.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_operations_block_worker_ipaddr

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class AllIPTimeoutsRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """List every address and range in timeout (moderators only).

    Represents a GET request to the /v2/operations/ipaddr endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_operations_ipaddr

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[IPTimeoutsResponse]:
        return IPTimeoutsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class AddIPTimeoutRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Put an IP address or CIDR range in timeout for some hours (moderators only).

    Represents a POST request to the /v2/operations/ipaddr endpoint.

    v2 API Model: `AddTimeoutIPInput`
    """

    ipaddr: str = Field(
        min_length=_IP_MIN_LENGTH, max_length=_IP_MAX_LENGTH, description="The address or CIDR range to time out."
    )
    hours: int = Field(ge=1, le=720, description="How many hours the timeout lasts.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_operations_ipaddr

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "AddTimeoutIPInput"


class DeleteIPTimeoutRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Lift the timeout on an IP address or CIDR range (moderators only); the address goes in a JSON body.

    Represents a DELETE request to the /v2/operations/ipaddr endpoint.

    v2 API Model: `DeleteTimeoutIPInput`
    """

    ipaddr: str = Field(
        min_length=_IP_MIN_LENGTH, max_length=_IP_MAX_LENGTH, description="The address or CIDR range to release."
    )

    @override
    @classmethod
    def is_delete_with_body(cls) -> bool:
        """Return True: the server reads the address to release from the JSON body of this DELETE."""
        return True

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_operations_ipaddr

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "DeleteTimeoutIPInput"


class SingleIPTimeoutRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """List the timeouts that cover one IP address (moderators only).

    Represents a GET request to the /v2/operations/ipaddr/{ipaddr} endpoint.
    """

    ipaddr: str = Field(min_length=1, description="The address to look up.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_operations_ipaddr_single

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[IPTimeoutsResponse]:
        return IPTimeoutsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
