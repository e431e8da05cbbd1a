"""Teams of workers: listing, creating, looking up, changing and deleting them.

Endpoints: ``/v2/teams`` (GET, POST) and ``/v2/teams/{team_id}`` (GET, PATCH, DELETE).

:class:`~horde_sdk.ai_horde_api.apimodels.workers.TeamDetailsLite` is defined in the workers module, which a
worker's details need without depending on this one.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.status import ActiveModelLite
from horde_sdk.ai_horde_api.apimodels.workers import TeamDetailsLite, WorkerDetailsLite
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import TeamID
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "AllTeamDetailsRequest",
    "AllTeamDetailsResponse",
    "CreateTeamRequest",
    "DeleteTeamRequest",
    "DeleteTeamResponse",
    "ModifyTeamRequest",
    "ModifyTeamResponse",
    "SingleTeamDetailsRequest",
    "SingleTeamDetailsResponse",
]


class SingleTeamDetailsResponse(HordeResponseBaseModel, TeamDetailsLite):
    """A team with its description, its record, its creator, its workers and the models they serve.

    Represents the data returned from the /v2/teams/{team_id} endpoint with http status code 200.

    v2 API Model: `TeamDetails`
    """

    info: str | None = Field(default=None, description="The team's description, written by its creator.")
    requests_fulfilled: int | None = Field(default=None, description="Generations the team's workers completed.")
    kudos: float | None = Field(default=None, description="Kudos the workers earned while in this team.")
    uptime: int | None = Field(default=None, description="Seconds the team's workers have been online in all.")
    creator: str | None = Field(default=None, description="The `alias#id` of the user who created the team.")
    worker_count: int | None = Field(default=None, description="How many workers belong to the team.")
    workers: tuple[WorkerDetailsLite, ...] | None = Field(default=None, description="The team's workers.")
    models: tuple[ActiveModelLite, ...] | None = Field(
        default=None, description="The models the team's workers serve, with how many serve each."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "TeamDetails"


class AllTeamDetailsResponse(HordeResponseRootModel[tuple[SingleTeamDetailsResponse, ...]]):
    """Every team with its details.

    Represents the data returned from the /v2/teams endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class AllTeamDetailsRequest(BaseAIHordeRequest):
    """List every team with its details.

    Represents a GET request to the /v2/teams endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_teams

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllTeamDetailsResponse]:
        return AllTeamDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleTeamDetailsRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Get one team's details by id.

    Represents a GET request to the /v2/teams/{team_id} endpoint.
    """

    team_id: TeamID = Field(min_length=1, description="The team's id.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_team_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SingleTeamDetailsResponse]:
        return SingleTeamDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class ModifyTeamResponse(HordeResponseBaseModel):
    """A team's id, name and description after it was created or changed.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/teams | CreateTeamRequest [POST] -> 200
        - /v2/teams/{team_id} | ModifyTeamRequest [PATCH] -> 200

    v2 API Model: `ModifyTeam`
    """

    id_: Annotated[TeamID | None, Field(alias="id", description="The team's id.")] = None
    name: str | None = Field(default=None, description="The team's name.")
    info: str | None = Field(default=None, description="The team's description.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModifyTeam"


class CreateTeamRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Create a team that workers can join and earn kudos for (trusted users only).

    The Python field `name_` travels as `name`: ``name`` is a query field of the AI Horde client, and a
    request field with that Python name would be sent in the query string instead of the body.

    Represents a POST request to the /v2/teams endpoint.

    v2 API Model: `CreateTeamInput`
    """

    name_: Annotated[
        str, Field(alias="name", min_length=3, max_length=100, description="The team's name (no profanity).")
    ]
    info: str | None = Field(
        default=None, min_length=3, max_length=1000, description="A description of the team (no profanity)."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_teams

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyTeamResponse]:
        return ModifyTeamResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "CreateTeamInput"


class ModifyTeamRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Rename a team or change its description (its creator, or a moderator); unset fields stay as they are.

    The Python field `name_` travels as `name`: ``name`` is a query field of the AI Horde client, and a
    request field with that Python name would be sent in the query string instead of the body.

    Represents a PATCH request to the /v2/teams/{team_id} endpoint.

    v2 API Model: `ModifyTeamInput`
    """

    team_id: TeamID = Field(min_length=1, description="The id of the team to change.")
    name_: Annotated[
        str | None, Field(alias="name", min_length=3, max_length=100, description="A new name (no profanity).")
    ] = None
    info: str | None = Field(
        default=None, min_length=3, max_length=1000, description="A new description (no profanity)."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_team_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyTeamResponse]:
        return ModifyTeamResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModifyTeamInput"


class DeleteTeamResponse(HordeResponseBaseModel):
    """The id and name of the team that was deleted.

    Represents the data returned from the /v2/teams/{team_id} endpoint with http status code 200.

    v2 API Model: `DeletedTeam`
    """

    deleted_id: TeamID | None = Field(default=None, description="The deleted team's id.")
    deleted_name: str | None = Field(default=None, description="The deleted team's name.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "DeletedTeam"


class DeleteTeamRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Delete a team (its creator, or a moderator).

    Represents a DELETE request to the /v2/teams/{team_id} endpoint.
    """

    team_id: TeamID = Field(min_length=1, description="The id of the team to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_team_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[DeleteTeamResponse]:
        return DeleteTeamResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
