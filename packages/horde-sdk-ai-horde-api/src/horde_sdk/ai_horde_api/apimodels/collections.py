"""Collections: named groups of styles of one kind (image or text) that can be used like a style.

Endpoints: ``/v2/collections`` (GET, POST), ``/v2/collections/{collection_id}`` (GET, PATCH, DELETE) and
``/v2/collection_by_name/{collection_name}`` (GET). Creating or changing a collection is answered with
:class:`~horde_sdk.ai_horde_api.apimodels.styles.ModifyStyleResponse`.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated

from annotated_types import MinLen
from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import ResponseModelStylesShort, SimpleResponse
from horde_sdk.ai_horde_api.apimodels.styles import ModifyStyleResponse
from horde_sdk.ai_horde_api.consts import MODEL_TYPE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import CollectionID
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIData,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "AllCollectionsRequest",
    "AllCollectionsResponse",
    "CollectionDetailsResponse",
    "CollectionInputMixin",
    "CreateCollectionRequest",
    "DeleteCollectionRequest",
    "ModifyCollectionRequest",
    "SingleCollectionByNameRequest",
    "SingleCollectionRequest",
]

KnownModelType = Annotated[MODEL_TYPE | str, KnownValue(MODEL_TYPE)]

StyleReference = Annotated[str, MinLen(1)]
"""A style named in a collection: its id or its unique name."""


class CollectionDetailsResponse(HordeResponseBaseModel):
    """A collection: its id, name, kind, the styles it groups and how often it was used.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/collection_by_name/{collection_name} | SingleCollectionByNameRequest [GET] -> 200
        - /v2/collections/{collection_id} | SingleCollectionRequest [GET] -> 200

    v2 API Model: `ResponseModelCollection`
    """

    id_: Annotated[CollectionID | None, Field(alias="id", description="The collection's id.")] = None
    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="The collection's name; unique per user."
    )
    type_: Annotated[
        KnownModelType | None, Field(alias="type", description="The kind of styles it groups (`image` or `text`).")
    ] = None
    info: str | None = Field(default=None, min_length=1, max_length=1000, description="What the collection is about.")
    public: bool | None = Field(default=None, description="Whether the collection is listed publicly.")
    styles: tuple[ResponseModelStylesShort, ...] | None = Field(default=None, description="The styles it groups.")
    use_count: int | None = Field(default=None, description="How many generations used the collection.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ResponseModelCollection"


class AllCollectionsResponse(HordeResponseRootModel[tuple[CollectionDetailsResponse, ...]]):
    """One page of collections.

    Represents the data returned from the /v2/collections endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class CollectionInputMixin(HordeAPIData):
    """The fields of a collection as it is created or changed (every one optional; unset ones are not sent).

    The kind of a collection (image or text) follows from the styles it groups.
    """

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The name; case-sensitive, unique per user.",
    )
    info: str | None = Field(default=None, min_length=1, max_length=1000, description="What the collection is about.")
    public: bool | None = Field(
        default=None,
        description="List the collection publicly (the server's default on creation); otherwise only its id or name "
        "finds it.",
    )
    styles: tuple[StyleReference, ...] | None = Field(
        default=None, description="The styles to group, by id or unique name; all of one kind."
    )


class AllCollectionsRequest(BaseAIHordeRequest):
    """List the public collections, one page at a time, optionally only those of one kind.

    Represents a GET request to the /v2/collections endpoint.
    """

    sort: str | None = Field(
        default=None, description="The order: `popular` (most used first, the server's default) or `age`."
    )
    page: int | None = Field(default=None, description="Which page of results (the server starts at 1).")
    type_: Annotated[
        str | None,
        Field(alias="type", description="Only collections of this kind: `image`, `text` or `all` (default)."),
    ] = None

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_collections

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllCollectionsResponse]:
        return AllCollectionsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class CreateCollectionRequest(CollectionInputMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Create a collection of styles owned by the caller.

    Represents a POST request to the /v2/collections endpoint.

    v2 API Model: `InputModelCollection`
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_collections

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InputModelCollection"


class SingleCollectionRequest(BaseAIHordeRequest):
    """Fetch one collection by its id.

    Represents a GET request to the /v2/collections/{collection_id} endpoint.
    """

    collection_id: CollectionID = Field(min_length=1, description="The collection to fetch.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_collection_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[CollectionDetailsResponse]:
        return CollectionDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class ModifyCollectionRequest(CollectionInputMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Change a collection the caller owns; fields left unset keep their current values.

    Represents a PATCH request to the /v2/collections/{collection_id} endpoint.

    v2 API Model: `InputModelCollection`
    """

    collection_id: CollectionID = Field(min_length=1, description="The collection to change.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_collection_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InputModelCollection"


class DeleteCollectionRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Delete a collection the caller owns (its styles stay).

    Represents a DELETE request to the /v2/collections/{collection_id} endpoint.
    """

    collection_id: CollectionID = Field(min_length=1, description="The collection to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_collection_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleCollectionByNameRequest(BaseAIHordeRequest):
    """Fetch one collection by its name.

    Represents a GET request to the /v2/collection_by_name/{collection_name} endpoint.
    """

    collection_name: str = Field(min_length=1, description="The collection's name.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_collection_by_name

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[CollectionDetailsResponse]:
        return CollectionDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
