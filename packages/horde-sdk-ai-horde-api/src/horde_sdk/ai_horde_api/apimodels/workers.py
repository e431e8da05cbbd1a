"""Workers as seen from outside: listing and looking them up, changing and deleting them, and their messages.

Endpoints: ``/v2/workers``, ``/v2/workers/{worker_id}`` (GET, PUT, DELETE), ``/v2/workers/name/{worker_name}``,
``/v2/workers/messages`` (GET, POST) and ``/v2/workers/messages/{message_id}`` (GET, DELETE).

:class:`TeamDetailsLite` lives here (the teams module builds on this one): a worker's details name its team.

The ``/v2/workers`` list can hold hundreds of workers, so the worker models carry no validators of their
own beyond the known-value check of the worker type.
"""

from __future__ import annotations

import datetime
import email.utils
from enum import StrEnum
from http import HTTPMethod
from typing import Annotated

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.consts import WORKER_TYPE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import MessageID, TeamID, UserID, WorkerID
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "KNOWN_WORKER_MESSAGE_VALIDITY",
    "AllWorkerMessagesRequest",
    "AllWorkerMessagesResponse",
    "AllWorkersDetailsRequest",
    "AllWorkersDetailsResponse",
    "DeleteWorkerMessageRequest",
    "DeleteWorkerRequest",
    "DeleteWorkerResponse",
    "ModifyWorkerRequest",
    "ModifyWorkerResponse",
    "SendWorkerMessageRequest",
    "SingleWorkerDetailsRequest",
    "SingleWorkerDetailsResponse",
    "SingleWorkerMessageRequest",
    "SingleWorkerNameDetailsRequest",
    "TeamDetailsLite",
    "WorkerDetailsLite",
    "WorkerKudosDetails",
    "WorkerMessageResponse",
]

KnownWorkerType = Annotated[WORKER_TYPE | str, KnownValue(WORKER_TYPE)]


class KNOWN_WORKER_MESSAGE_VALIDITY(StrEnum):  # noqa: N801 - KNOWN_-style constant set
    """Which worker messages a listing includes (``validity`` query)."""

    active = "active"
    """Messages that have not expired (the server's default)."""
    expired = "expired"
    """Expired messages only."""
    all = "all"
    """Every message."""


# -------------------------------------------------------------------------------------------- parts
class TeamDetailsLite(HordeAPIObjectBaseModel):
    """A reference to a team: its name and id.

    v2 API Model: `TeamDetailsLite`
    """

    name: str | None = Field(default=None, description="The team's name.")
    id_: Annotated[TeamID | None, Field(alias="id", description="The team's id (a UUID).")] = None

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "TeamDetailsLite"


class WorkerDetailsLite(HordeAPIObjectBaseModel):
    """A reference to a worker: its kind, name and id, and whether it is online.

    v2 API Model: `WorkerDetailsLite`
    """

    type_: Annotated[
        KnownWorkerType | None,
        Field(alias="type", description="What the worker does: `image`, `text` or `interrogation` (alchemy)."),
    ] = None
    name: str | None = Field(default=None, description="The worker's name.")
    id_: Annotated[WorkerID | None, Field(alias="id", description="The worker's id (a UUID).")] = None
    online: bool | None = Field(default=None, description="The worker checked in during the last five minutes.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "WorkerDetailsLite"


class WorkerKudosDetails(HordeAPIObjectBaseModel):
    """The kudos a worker earned, split into work done and time online.

    v2 API Model: `WorkerKudosDetails`
    """

    generated: float | None = Field(default=None, description="Kudos earned by generating.")
    uptime: int | None = Field(default=None, description="Kudos earned by staying online.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "WorkerKudosDetails"


class WorkerMessageResponse(HordeResponseBaseModel):
    """A message to a worker's owner, usually from the horde's moderators, with its id and dates.

    The server answers ``created`` and ``expiry`` as date strings such as ``"Mon, 07 Dec 2026 01:50:40 -0000"``
    (RFC 822), not the hours the message was sent with; :attr:`created_at` and :attr:`expires_at` parse them.
    The swagger names this answer and the body of :class:`SendWorkerMessageRequest` alike
    (``ResponseModelMessage``) though they differ, so the models follow the server (``BEHAVIOUR.md``).

    Represents the data returned from the following endpoints and http status codes:
        - /v2/workers/messages | SendWorkerMessageRequest [POST] -> 200
        - /v2/workers/messages/{message_id} | SingleWorkerMessageRequest [GET] -> 200

    v2 API Model: `ResponseModelMessage`
    """

    id_: Annotated[MessageID, Field(alias="id", description="The message's id (for reading or deleting it).")]
    worker_id: WorkerID | None = Field(
        default=None,
        min_length=36,
        max_length=36,
        description="The worker the message is for; absent for a message to every worker of the user.",
    )
    user_id: str | None = Field(default=None, description="The numeric id of the user who owns the message, as text.")
    message: str = Field(min_length=1, max_length=10240, description="The text of the message.")
    origin: str | None = Field(
        default=None, min_length=1, max_length=255, description="Who sent it, usually the horde's moderators."
    )
    expiry: str = Field(description='When the message expires, as the server writes it ("Mon, 07 Dec 2026 ...").')
    created: str | None = Field(
        default=None, description='When the message was sent, as the server writes it ("Mon, 07 Dec 2026 ...").'
    )

    @property
    def expires_at(self) -> datetime.datetime | None:
        """:attr:`expiry` as an aware datetime (None when it is not a date the SDK can read)."""
        return _parse_http_date(self.expiry)

    @property
    def created_at(self) -> datetime.datetime | None:
        """:attr:`created` as an aware datetime (None when absent or not a date the SDK can read)."""
        return _parse_http_date(self.created)

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ResponseModelMessage"


def _parse_http_date(value: str | None) -> datetime.datetime | None:
    """Read a date as the horde writes it (RFC 822, ``"Mon, 07 Dec 2026 01:50:40 -0000"``, or ISO 8601).

    Args:
        value: The date text.

    Returns:
        An aware datetime (UTC when the text gives no zone), or None for None or text that is not a date.
    """
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


# ------------------------------------------------------------------------------------------ details
class SingleWorkerDetailsResponse(HordeResponseBaseModel, WorkerDetailsLite):
    """Everything the horde shows about a worker: what it serves, its record, its settings and its owner.

    Fields marked privileged are only set for the worker's owner and for moderators.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/workers/name/{worker_name} | SingleWorkerNameDetailsRequest [GET] -> 200
        - /v2/workers/{worker_id} | SingleWorkerDetailsRequest [GET] -> 200

    v2 API Model: `WorkerDetails`
    """

    requests_fulfilled: int | None = Field(default=None, description="Generations the worker has completed.")
    kudos_rewards: float | None = Field(default=None, description="Kudos the worker has earned in all.")
    kudos_details: WorkerKudosDetails | None = Field(default=None, description="Where the worker's kudos came from.")
    performance: str | None = Field(default=None, description="The worker's average speed, as readable text.")
    threads: int | None = Field(default=None, description="How many jobs the worker runs at once.")
    uptime: int | None = Field(default=None, description="Seconds the worker has been online on this horde.")
    maintenance_mode: bool | None = Field(default=None, description="The worker takes no new jobs.")
    paused: bool | None = Field(
        default=None, description="(Privileged) Moderators stopped giving the worker new jobs."
    )
    info: str | None = Field(default=None, description="A note from the worker's owner.")
    nsfw: bool = Field(default=False, description="The worker accepts NSFW requests.")
    owner: str | None = Field(
        default=None, description="The owner's `alias#id` (privileged, unless the owner made it public)."
    )
    ipaddr: str | None = Field(default=None, description="(Privileged) The address the worker last connected from.")
    trusted: bool | None = Field(default=None, description="The worker is trusted to return valid results.")
    flagged: bool | None = Field(
        default=None, description="The owner is flagged as suspicious; the worker gets no jobs."
    )
    suspicious: int | None = Field(default=None, description="(Privileged) The worker's suspicion score.")
    uncompleted_jobs: int | None = Field(default=None, description="Jobs the worker took and never finished.")
    models: tuple[str, ...] | None = Field(default=None, description="The models the worker serves.")
    forms: tuple[str, ...] | None = Field(default=None, description="The alchemy forms the worker serves.")
    team: TeamDetailsLite | None = Field(default=None, description="The team the worker earns kudos for.")
    contact: str | None = Field(
        default=None,
        min_length=5,
        max_length=500,
        description="(Privileged) How the horde's admins can reach the worker's owner.",
    )
    bridge_agent: str = Field(
        max_length=1000, description="The worker software as `name:version:url`, e.g. `AI Horde Worker reGen:...`."
    )
    max_pixels: int | None = Field(default=None, description="The largest image, in pixels, the worker makes.")
    megapixelsteps_generated: float | None = Field(default=None, description="Megapixelsteps generated in all.")
    img2img: bool | None = Field(default=None, description="The worker accepts image-to-image requests.")
    painting: bool | None = Field(default=None, description="The worker accepts inpainting requests.")
    post_processing: Annotated[
        bool | None, Field(alias="post-processing", description="The worker accepts post-processing.")
    ] = None
    lora: bool | None = Field(default=None, description="The worker accepts LoRAs.")
    controlnet: bool | None = Field(default=None, description="The worker accepts ControlNet requests.")
    sdxl_controlnet: bool | None = Field(default=None, description="The worker accepts SDXL ControlNet requests.")
    max_length: int | None = Field(default=None, description="The most tokens the worker generates per request.")
    max_context_length: int | None = Field(default=None, description="The most tokens of context the worker reads.")
    tokens_generated: float | None = Field(default=None, description="Tokens generated in all.")
    messages: tuple[WorkerMessageResponse, ...] | None = Field(
        default=None, description="Messages to the worker's owner (shown to privileged callers)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "WorkerDetails"


class AllWorkersDetailsResponse(HordeResponseRootModel[tuple[SingleWorkerDetailsResponse, ...]]):
    """The details of every worker (or of those matching the filters).

    Represents the data returned from the /v2/workers endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class AllWorkersDetailsRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """List the horde's workers, optionally only one kind or the one with a given name.

    A moderator's key also reveals the privileged fields.

    Represents a GET request to the /v2/workers endpoint.
    """

    type_: Annotated[
        KnownWorkerType | None,
        Field(alias="type", description="List only `image`, `text` or `interrogation` (alchemy) workers."),
    ] = None
    name: str | None = Field(default=None, description="List only the worker with this name (any letter case).")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_workers

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllWorkersDetailsResponse]:
        return AllWorkersDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleWorkerDetailsRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Get one worker's details by id, online or not; its owner and moderators see the privileged fields.

    Represents a GET request to the /v2/workers/{worker_id} endpoint.
    """

    worker_id: WorkerID = Field(min_length=1, description="The worker's id.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_worker_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SingleWorkerDetailsResponse]:
        return SingleWorkerDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleWorkerNameDetailsRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Get one worker's details by its name, online or not.

    Represents a GET request to the /v2/workers/name/{worker_name} endpoint.
    """

    worker_name: str = Field(min_length=1, description="The worker's name.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_worker_by_name

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SingleWorkerDetailsResponse]:
        return SingleWorkerDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# ----------------------------------------------------------------------------------- modify, delete
class ModifyWorkerResponse(HordeResponseBaseModel):
    """A worker's settings after a change; only what the change touched is set.

    Represents the data returned from the /v2/workers/{worker_id} endpoint with http status code 200.

    v2 API Model: `ModifyWorker`
    """

    maintenance: bool | None = Field(default=None, description="Whether the worker is now in maintenance.")
    paused: bool | None = Field(default=None, description="Whether the worker is now paused.")
    info: str | None = Field(default=None, description="The worker's note after the change.")
    name: str | None = Field(default=None, description="The worker's name after the change.")
    team: str | None = Field(default=None, description="The worker's team after the change.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModifyWorker"


class ModifyWorkerRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Change a worker's settings (its owner, or a moderator); unset fields stay as they are.

    The Python field `name_` travels as `name`: ``name`` is a query field of the AI Horde client, and a
    request field with that Python name would be sent in the query string instead of the body.

    Represents a PUT request to the /v2/workers/{worker_id} endpoint.

    v2 API Model: `ModifyWorkerInput`
    """

    worker_id: WorkerID = Field(min_length=1, description="The id of the worker to change.")
    maintenance: bool | None = Field(default=None, description="Put the worker in maintenance, or take it out.")
    maintenance_msg: str | None = Field(
        default=None, description="With `maintenance`: a message for the owner instead of the standard one."
    )
    paused: bool | None = Field(default=None, description="(Moderators) Stop giving the worker new jobs.")
    info: str | None = Field(
        default=None, max_length=1000, description="A note shown in the worker's details (no profanity)."
    )
    name_: Annotated[
        str | None, Field(alias="name", min_length=5, max_length=100, description="A new name for the worker.")
    ] = None
    team: str | None = Field(
        default=None, max_length=36, description="The id of the team the worker joins; empty text leaves its team."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PUT

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_worker_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyWorkerResponse]:
        return ModifyWorkerResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModifyWorkerInput"


class DeleteWorkerResponse(HordeResponseBaseModel):
    """The id and name of the worker that was deleted.

    Represents the data returned from the /v2/workers/{worker_id} endpoint with http status code 200.

    v2 API Model: `DeletedWorker`
    """

    deleted_id: WorkerID | None = Field(default=None, description="The deleted worker's id.")
    deleted_name: str | None = Field(default=None, description="The deleted worker's name.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "DeletedWorker"


class DeleteWorkerRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Delete a worker's entry (its owner, or a moderator).

    Represents a DELETE request to the /v2/workers/{worker_id} endpoint.
    """

    worker_id: WorkerID = Field(min_length=1, description="The id of the worker to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_worker_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[DeleteWorkerResponse]:
        return DeleteWorkerResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# ----------------------------------------------------------------------------------------- messages
class AllWorkerMessagesResponse(HordeResponseRootModel[tuple[WorkerMessageResponse, ...]]):
    """One page of messages to workers (50 a page).

    Represents the data returned from the /v2/workers/messages endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class AllWorkerMessagesRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """List messages to workers: your own, or (moderators) anyone's.

    Represents a GET request to the /v2/workers/messages endpoint.
    """

    user_id: UserID | str | None = Field(
        default=None, description="Only messages to this user's workers (numeric id; others see only their own)."
    )
    worker_id: WorkerID | None = Field(default=None, description="Only messages to this worker.")
    validity: Annotated[KNOWN_WORKER_MESSAGE_VALIDITY | str, KnownValue(KNOWN_WORKER_MESSAGE_VALIDITY)] | None = Field(
        default=None, description="`active` (the server's default), `expired` or `all` messages."
    )
    page: int | None = Field(default=None, ge=1, description="The page to return, from 1 (the server's default).")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_workers_messages

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllWorkerMessagesResponse]:
        return AllWorkerMessagesResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SendWorkerMessageRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Leave a message for a worker's owner (moderators, or the owner for their own workers).

    The Python field `worker_id_` travels as `worker_id`: ``worker_id`` is a query field of the AI Horde
    client, and a request field with that Python name would be sent in the query string instead of the body.

    The swagger names this body ``ResponseModelMessage``, like the (different) answer; the server's body has no
    name of its own, so the model is anonymous here.

    Represents a POST request to the /v2/workers/messages endpoint.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    worker_id_: Annotated[
        WorkerID | None,
        Field(alias="worker_id", min_length=36, max_length=36, description="The worker the message is for."),
    ] = None
    message: str = Field(min_length=1, max_length=10240, description="The text of the message.")
    origin: str | None = Field(
        default=None, min_length=1, max_length=255, description="Who the message is from, as shown to the owner."
    )
    expiry: int = Field(default=12, ge=1, le=720, description="Hours after which the message expires.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_workers_messages

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[WorkerMessageResponse]:
        return WorkerMessageResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class SingleWorkerMessageRequest(BaseAIHordeRequest):
    """Read one message to a worker by its id.

    Represents a GET request to the /v2/workers/messages/{message_id} endpoint.
    """

    message_id: MessageID = Field(min_length=1, description="The message's id.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_worker_message_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[WorkerMessageResponse]:
        return WorkerMessageResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class DeleteWorkerMessageRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Delete a message to a worker.

    Represents a DELETE request to the /v2/workers/messages/{message_id} endpoint.
    """

    message_id: MessageID = Field(min_length=1, description="The id of the message to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_worker_message_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
