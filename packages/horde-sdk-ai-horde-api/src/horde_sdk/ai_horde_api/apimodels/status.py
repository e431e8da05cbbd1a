"""The horde's own state: whether it is up, which models are served, its load, its modes and its news.

Endpoints: ``/v2/status/heartbeat``, ``/v2/status/models``, ``/v2/status/models/{model_name}``,
``/v2/status/modes`` (GET, PUT), ``/v2/status/news`` and ``/v2/status/performance``.

:class:`ActiveModelLite` lives here because teams list the models their workers serve with it.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.consts import MODEL_STATE, MODEL_TYPE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "ActiveModel",
    "ActiveModelLite",
    "AllActiveModelsRequest",
    "AllActiveModelsResponse",
    "HordeHeartbeatRequest",
    "HordeHeartbeatResponse",
    "HordeModesRequest",
    "HordeModesResponse",
    "HordePerformanceRequest",
    "HordePerformanceResponse",
    "ModifyHordeModesRequest",
    "NewsRequest",
    "NewsResponse",
    "NewspieceEntry",
    "SingleActiveModelRequest",
    "SingleActiveModelResponse",
]

KnownModelType = Annotated[MODEL_TYPE | str, KnownValue(MODEL_TYPE)]
KnownModelState = Annotated[MODEL_STATE | str, KnownValue(MODEL_STATE)]


# ------------------------------------------------------------------------------------------ heartbeat
class HordeHeartbeatResponse(HordeResponseBaseModel):
    """Proof that the server answers, with the version of the horde software it runs.

    Represents the data returned from the /v2/status/heartbeat endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    message: str = Field(default="OK", description="`OK` when the server is up.")
    version: str | None = Field(default=None, description="The version of the AI Horde server software.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class HordeHeartbeatRequest(BaseAIHordeRequest):
    """Ask whether the server is up (this endpoint is not rate limited).

    Represents a GET request to the /v2/status/heartbeat endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_heartbeat

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[HordeHeartbeatResponse]:
        return HordeHeartbeatResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# --------------------------------------------------------------------------------------------- models
class ActiveModelLite(HordeAPIObjectBaseModel):
    """A model some workers serve right now, and how many of them do.

    v2 API Model: `ActiveModelLite`
    """

    name: str | None = Field(default=None, description="The model's name.")
    count: int | None = Field(default=None, description="How many workers (threads) currently offer the model.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ActiveModelLite"


class ActiveModel(ActiveModelLite):
    """A model served right now, with its speed, its queue and how long that queue takes to clear.

    v2 API Model: `ActiveModel`
    """

    performance: float | None = Field(default=None, description="Average generation speed on this model.")
    queued: float | None = Field(
        default=None, description="Work waiting for this model (megapixelsteps for images, tokens for text)."
    )
    jobs: float | None = Field(default=None, description="How many jobs wait for this model.")
    eta: int | None = Field(default=None, description="Estimated seconds until this model's queue is empty.")
    type_: Annotated[
        KnownModelType | None, Field(alias="type", description="Whether it is an image or text model.")
    ] = None

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ActiveModel"


class AllActiveModelsResponse(HordeResponseRootModel[tuple[ActiveModel, ...]]):
    """The models currently served, with their workers, speed and queue.

    Represents the data returned from the /v2/status/models endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class AllActiveModelsRequest(BaseAIHordeRequest):
    """List the models workers serve right now, optionally filtered by kind, worker count and reference status.

    Represents a GET request to the /v2/status/models endpoint.
    """

    type_: Annotated[
        KnownModelType | None,
        Field(alias="type", description="List only image or only text models (the server's default: `image`)."),
    ] = None
    min_count: int | None = Field(default=None, description="Leave out models served by fewer workers than this.")
    max_count: int | None = Field(default=None, description="Leave out models served by more workers than this.")
    model_state: KnownModelState | None = Field(
        default=None,
        description="`known`: models of the model reference only; `custom`: the others; `all` (server default).",
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_models

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllActiveModelsResponse]:
        return AllActiveModelsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleActiveModelResponse(HordeResponseRootModel[tuple[ActiveModel, ...]]):
    """The served state of one model by name (empty when no worker serves it).

    Represents the data returned from the /v2/status/models/{model_name} endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class SingleActiveModelRequest(BaseAIHordeRequest):
    """Ask how one model is served right now: its workers, speed and queue.

    Represents a GET request to the /v2/status/models/{model_name} endpoint.
    """

    model_name: str = Field(min_length=1, description="The exact name of the model.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_model_by_name

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SingleActiveModelResponse]:
        return SingleActiveModelResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# ---------------------------------------------------------------------------------------------- modes
class HordeModesResponse(HordeResponseBaseModel):
    """Which of the horde's protective modes are switched on.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/status/modes | HordeModesRequest [GET] -> 200
        - /v2/status/modes | ModifyHordeModesRequest [PUT] -> 200

    v2 API Model: `HordeModes`
    """

    maintenance_mode: bool | None = Field(
        default=None, description="No new generation requests are accepted; queued ones still finish."
    )
    invite_only_mode: bool | None = Field(default=None, description="Only invited users may add workers.")
    raid_mode: bool | None = Field(
        default=None, description="The horde hides some details in its answers to hinder attackers."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "HordeModes"


class HordeModesRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Read which protective modes (maintenance, invite-only, raid) the horde is in.

    Represents a GET request to the /v2/status/modes endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_modes

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[HordeModesResponse]:
        return HordeModesResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class ModifyHordeModesRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Switch the horde's protective modes on or off (admins only); modes left unset keep their state.

    Represents a PUT request to the /v2/status/modes endpoint.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    maintenance_mode: bool | None = Field(default=None, description="Stop accepting new generation requests.")
    invite_only_mode: bool | None = Field(default=None, description="Accept workers of invited users only.")
    raid_mode: bool | None = Field(default=None, description="Hide details from answers while under attack.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PUT

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_modes

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[HordeModesResponse]:
        return HordeModesResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


# ----------------------------------------------------------------------------------------------- news
class NewspieceEntry(HordeAPIObjectBaseModel):
    """One announcement of the horde's operators.

    v2 API Model: `Newspiece`
    """

    date_published: str | None = Field(default=None, description="When it was published (`YYYY-MM-DD`).")
    newspiece: str | None = Field(default=None, description="The announcement's text (markdown).")
    importance: str | None = Field(default=None, description="How much it matters, e.g. `Information` or `Crisis`.")
    tags: tuple[str, ...] | None = Field(default=None, description="Topics the announcement is filed under.")
    title: str | None = Field(default=None, description="The announcement's headline.")
    more_info_urls: tuple[str, ...] | None = Field(default=None, description="Links with further details.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "Newspiece"


class NewsResponse(HordeResponseRootModel[tuple[NewspieceEntry, ...]]):
    """The horde's announcements, newest first.

    Represents the data returned from the /v2/status/news endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class NewsRequest(BaseAIHordeRequest):
    """Read the horde's announcements.

    Represents a GET request to the /v2/status/news endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_news

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[NewsResponse]:
        return NewsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# ---------------------------------------------------------------------------------------- performance
class HordePerformanceResponse(HordeResponseBaseModel):
    """The horde's current load: queued work, active workers and threads, and recent throughput.

    Represents the data returned from the /v2/status/performance endpoint with http status code 200.

    v2 API Model: `HordePerformance`
    """

    queued_requests: int | None = Field(default=None, description="Image requests waiting or in progress.")
    queued_text_requests: int | None = Field(default=None, description="Text requests waiting or in progress.")
    worker_count: int | None = Field(default=None, description="Image workers seen in the last five minutes.")
    text_worker_count: int | None = Field(default=None, description="Text workers seen in the last five minutes.")
    thread_count: int | None = Field(default=None, description="Threads of the image workers seen recently.")
    text_thread_count: int | None = Field(default=None, description="Threads of the text workers seen recently.")
    queued_megapixelsteps: float | None = Field(
        default=None, description="Megapixelsteps of the image requests waiting or in progress."
    )
    past_minute_megapixelsteps: float | None = Field(
        default=None, description="Megapixelsteps generated during the last minute."
    )
    queued_forms: float | None = Field(default=None, description="Alchemy forms waiting or in progress.")
    interrogator_count: int | None = Field(default=None, description="Alchemy workers seen in the last five minutes.")
    interrogator_thread_count: int | None = Field(
        default=None, description="Threads of the alchemy workers seen recently."
    )
    queued_tokens: float | None = Field(
        default=None, description="Tokens of the text requests waiting or in progress."
    )
    past_minute_tokens: float | None = Field(default=None, description="Tokens generated during the last minute.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "HordePerformance"


class HordePerformanceRequest(BaseAIHordeRequest):
    """Ask how loaded the horde is: queues, active workers and recent throughput.

    Represents a GET request to the /v2/status/performance endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_performance

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[HordePerformanceResponse]:
        return HordePerformanceResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
