"""Prompt filters: the regular expressions moderators maintain to screen prompts (moderators only).

Endpoints: ``/v2/filters`` (GET, POST, PUT), ``/v2/filters/regex`` (GET) and ``/v2/filters/{filter_id}``
(GET, PATCH, DELETE). A filter's type is a number from 10 to 29 that groups filters by purpose.
"""

from __future__ import annotations

from http import HTTPMethod, HTTPStatus
from typing import Annotated, Any

from pydantic import Field, model_validator
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import FilterID
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponse,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "AllFilterRegexesRequest",
    "AllFilterRegexesResponse",
    "AllFiltersRequest",
    "AllFiltersResponse",
    "CheckPromptSuspicionRequest",
    "CreateFilterRequest",
    "DeleteFilterRequest",
    "FilterDetailsResponse",
    "FilterPromptSuspicionResponse",
    "FilterRegexEntry",
    "ModifyFilterRequest",
    "SingleFilterRequest",
    "SingleFilterResponse",
]

_FILTER_TYPE_MIN = 10
_FILTER_TYPE_MAX = 29


class FilterDetailsResponse(HordeResponseBaseModel):
    """One prompt filter: its regular expression, type, replacement text and the moderator who last set it.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/filters | CreateFilterRequest [PUT] -> 200
        - /v2/filters | CreateFilterRequest [PUT] -> 201
        - /v2/filters/{filter_id} | ModifyFilterRequest [PATCH] -> 200

    v2 API Model: `FilterDetails`
    """

    id_: Annotated[FilterID, Field(alias="id", description="The filter's id.")]
    regex: str = Field(description="The regular expression matched against prompts.")
    filter_type: int = Field(
        ge=_FILTER_TYPE_MIN, le=_FILTER_TYPE_MAX, description="The filter's type (10 to 29), grouping it by purpose."
    )
    description: str | None = Field(default=None, description="What the filter is for, in the moderators' words.")
    replacement: str = Field(
        default="", description="The text a match is replaced with when the replacement filter applies."
    )
    user: str = Field(description="The moderator who added or last changed the filter.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "FilterDetails"


class AllFiltersResponse(HordeResponseRootModel[tuple[FilterDetailsResponse, ...]]):
    """The filters that match a listing's criteria.

    Represents the data returned from the /v2/filters endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class SingleFilterResponse(HordeResponseRootModel[tuple[FilterDetailsResponse, ...]]):
    """The filter asked for by id, as a list of one.

    The swagger documents a list; a server that answers with the bare filter object is accepted too, and
    the object becomes the only entry.

    Represents the data returned from the /v2/filters/{filter_id} endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @model_validator(mode="before")
    @classmethod
    def _accept_a_bare_filter(cls, data: Any) -> Any:  # noqa: ANN401 - raw JSON before validation
        if isinstance(data, dict):
            return [data]
        return data

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class FilterRegexEntry(HordeAPIObjectBaseModel):
    """The combined regular expression the server applies for one filter type.

    v2 API Model: `FilterRegex`
    """

    filter_type: int = Field(ge=_FILTER_TYPE_MIN, le=_FILTER_TYPE_MAX, description="The filter type (10 to 29).")
    regex: str | None = Field(
        default=None,
        description=(
            "Every filter of this type joined into one regular expression; absent (None) when the type has no "
            "filter, so nothing of that type matches."
        ),
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "FilterRegex"


class AllFilterRegexesResponse(HordeResponseRootModel[tuple[FilterRegexEntry, ...]]):
    """The combined regular expression of each filter type.

    Represents the data returned from the /v2/filters/regex endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class FilterPromptSuspicionResponse(HordeResponseBaseModel):
    """How suspicious the filters find a prompt, and which parts of it matched.

    Represents the data returned from the /v2/filters endpoint with http status code 200.

    v2 API Model: `FilterPromptSuspicion`
    """

    suspicion: float = Field(
        description="The prompt's suspicion score (2 or more means it would be refused); the server sends a number."
    )
    matches: tuple[str, ...] | None = Field(default=None, description="The parts of the prompt that matched filters.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "FilterPromptSuspicion"


# --------------------------------------------------------------------------------------- requests
class AllFiltersRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """List the prompt filters, optionally only one type or those containing a word (moderators only).

    Represents a GET request to the /v2/filters endpoint.
    """

    filter_type: int | None = Field(default=None, description="Only filters of this type.")
    contains: str | None = Field(
        default=None, description="Only filters whose regular expression or description contains this text."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filters

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllFiltersResponse]:
        return AllFiltersResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class CheckPromptSuspicionRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Ask how suspicious the filters find a prompt, without generating anything (moderators only).

    Represents a POST request to the /v2/filters endpoint.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    prompt: str | None = Field(default=None, description="The prompt to check.")
    filter_type: int | None = Field(default=None, description="Check only against the filters of this type.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filters

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[FilterPromptSuspicionResponse]:
        return FilterPromptSuspicionResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class CreateFilterRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Add a prompt filter (moderators only); an identical existing filter is returned instead of a copy.

    Represents a PUT request to the /v2/filters endpoint.

    v2 API Model: `PutNewFilter`
    """

    regex: str = Field(description="The regular expression to match against prompts.")
    filter_type: int = Field(ge=_FILTER_TYPE_MIN, le=_FILTER_TYPE_MAX, description="The filter's type (10 to 29).")
    description: str | None = Field(default=None, description="What the filter is for.")
    replacement: str = Field(
        default="", description="The text a match is replaced with when the replacement filter applies."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PUT

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filters

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[FilterDetailsResponse]:
        return FilterDetailsResponse

    @override
    @classmethod
    def get_success_status_response_pairs(cls) -> dict[HTTPStatus, type[HordeResponse]]:
        # The server answers 200 (BEHAVIOUR.md); the swagger's 201 is kept in case it is ever followed.
        return {HTTPStatus.OK: FilterDetailsResponse, HTTPStatus.CREATED: FilterDetailsResponse}

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "PutNewFilter"


class AllFilterRegexesRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Fetch the combined regular expression of every filter type, or of one (moderators only).

    Represents a GET request to the /v2/filters/regex endpoint.
    """

    filter_type: int | None = Field(default=None, description="Only this filter type.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filters_regex

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllFilterRegexesResponse]:
        return AllFilterRegexesResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleFilterRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Fetch one prompt filter by its id (moderators only).

    Represents a GET request to the /v2/filters/{filter_id} endpoint.
    """

    filter_id: FilterID = Field(min_length=1, description="The filter to fetch.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filter_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SingleFilterResponse]:
        return SingleFilterResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class ModifyFilterRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Change a prompt filter (moderators only); fields left unset keep their current values.

    Represents a PATCH request to the /v2/filters/{filter_id} endpoint.

    v2 API Model: `PatchExistingFilter`
    """

    filter_id: FilterID = Field(min_length=1, description="The filter to change.")
    regex: str | None = Field(default=None, description="A new regular expression.")
    filter_type: int | None = Field(
        default=None, ge=_FILTER_TYPE_MIN, le=_FILTER_TYPE_MAX, description="A new filter type (10 to 29)."
    )
    description: str | None = Field(default=None, description="A new description.")
    replacement: str | None = Field(default=None, description="A new replacement text.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filter_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[FilterDetailsResponse]:
        return FilterDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "PatchExistingFilter"


class DeleteFilterRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Delete a prompt filter (moderators only).

    Represents a DELETE request to the /v2/filters/{filter_id} endpoint.
    """

    filter_id: FilterID = Field(min_length=1, description="The filter to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_filter_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
