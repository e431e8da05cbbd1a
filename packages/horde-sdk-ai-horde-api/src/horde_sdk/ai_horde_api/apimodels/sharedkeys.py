"""Shared keys: keys that let others spend part of a user's kudos, within limits the owner sets.

Endpoints: ``/v2/sharedkeys`` (PUT) and ``/v2/sharedkeys/{sharedkey_id}`` (GET, PATCH, DELETE).
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import SharedKeyID
from horde_sdk.generic_api.apimodels import APIKeyAllowedInRequestMixin, HordeAPIData, HordeResponseBaseModel

__all__ = [
    "CreateSharedKeyRequest",
    "DeleteSharedKeyRequest",
    "ModifySharedKeyRequest",
    "SharedKeyDetailsResponse",
    "SharedKeyInputMixin",
    "SingleSharedKeyRequest",
]


class SharedKeyDetailsResponse(HordeResponseBaseModel):
    """A shared key as its owner sees it: its limits and how much of its kudos budget is used.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/sharedkeys | CreateSharedKeyRequest [PUT] -> 200
        - /v2/sharedkeys/{sharedkey_id} | ModifySharedKeyRequest [PATCH] -> 200
        - /v2/sharedkeys/{sharedkey_id} | SingleSharedKeyRequest [GET] -> 200

    v2 API Model: `SharedKeyDetails`
    """

    id_: Annotated[SharedKeyID | None, Field(alias="id", description="The shared key itself (its id).")] = None
    username: str | None = Field(default=None, description="The owner, as `alias#id`.")
    name: str | None = Field(default=None, description="The label the owner gave the key.")
    kudos: int | None = Field(default=None, description="The kudos the key may spend in all (-1: no limit).")
    expiry: str | None = Field(default=None, description="When the key stops working (ISO 8601 date and time).")
    utilized: int | None = Field(default=None, description="The kudos spent through the key so far.")
    max_image_pixels: int | None = Field(
        default=None, description="The most pixels one image job may ask for through the key (-1: no limit)."
    )
    max_image_steps: int | None = Field(
        default=None, description="The most steps one image job may ask for through the key (-1: no limit)."
    )
    max_text_tokens: int | None = Field(
        default=None, description="The most tokens one text job may ask for through the key (-1: no limit)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "SharedKeyDetails"


class SharedKeyInputMixin(HordeAPIData):
    """The settings of a shared key, as sent to create or change one (every one is optional).

    Unset settings are not sent: on creation the server applies its defaults (5000 kudos, no expiry, no
    per-job limits), on a change it keeps the current values.
    """

    kudos: int | None = Field(
        default=None, ge=-1, le=50_000_000, description="The kudos the key may spend in all (-1: no limit)."
    )
    expiry: int | None = Field(
        default=None, ge=-1, description="In how many days the key stops working (-1: it never expires)."
    )
    name: str | None = Field(default=None, min_length=3, max_length=255, description="A label for the key.")
    max_image_pixels: int | None = Field(
        default=None, ge=-1, le=4_194_304, description="The most pixels one image job may ask for (-1: no limit)."
    )
    max_image_steps: int | None = Field(
        default=None, ge=-1, le=500, description="The most steps one image job may ask for (-1: no limit)."
    )
    max_text_tokens: int | None = Field(
        default=None, ge=-1, le=500, description="The most tokens one text job may ask for (-1: no limit)."
    )


class CreateSharedKeyRequest(SharedKeyInputMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Create a shared key that spends the caller's kudos within the given limits.

    Represents a PUT request to the /v2/sharedkeys endpoint.

    v2 API Model: `SharedKeyInput`
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PUT

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_sharedkeys

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SharedKeyDetailsResponse]:
        return SharedKeyDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "SharedKeyInput"


class SingleSharedKeyRequest(BaseAIHordeRequest):
    """Look up one shared key by its id (no API key needed: the id is the secret).

    Represents a GET request to the /v2/sharedkeys/{sharedkey_id} endpoint.
    """

    sharedkey_id: SharedKeyID = Field(min_length=1, description="The shared key to look up.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_sharedkey_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SharedKeyDetailsResponse]:
        return SharedKeyDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class ModifySharedKeyRequest(SharedKeyInputMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Change the limits or label of one of the caller's shared keys; settings left unset stay as they are.

    Represents a PATCH request to the /v2/sharedkeys/{sharedkey_id} endpoint.

    v2 API Model: `SharedKeyInput`
    """

    sharedkey_id: SharedKeyID = Field(min_length=1, description="The shared key to change.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_sharedkey_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SharedKeyDetailsResponse]:
        return SharedKeyDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "SharedKeyInput"


class DeleteSharedKeyRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Delete one of the caller's shared keys; it stops working at once.

    Represents a DELETE request to the /v2/sharedkeys/{sharedkey_id} endpoint.
    """

    sharedkey_id: SharedKeyID = Field(min_length=1, description="The shared key to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_sharedkey_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
