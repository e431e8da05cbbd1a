"""Users: looking them up (by id, by API key, or page by page), changing them (admins) and deleting them.

Endpoints: ``/v2/find_user``, ``/v2/users`` and ``/v2/users/{user_id}`` (GET, PUT, DELETE).

The server answers ``GET /v2/users`` with a JSON *list* of user details, although its swagger describes a
single object; :class:`AllUsersDetailsResponse` follows the server.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPMethod
from typing import Annotated

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import ResponseModelStylesShort, SimpleResponse
from horde_sdk.ai_horde_api.consts import MODEL_TYPE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import JobID, SharedKeyID, UserID, WorkerID
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "KNOWN_USER_SORT",
    "AllUsersDetailsRequest",
    "AllUsersDetailsResponse",
    "ContributionsDetails",
    "DeleteUserRequest",
    "FindUserRequest",
    "ModifyUserRequest",
    "ModifyUserResponse",
    "MonthlyKudos",
    "ResponseModelStylesUser",
    "SingleUserDetailsRequest",
    "UsageDetails",
    "UserActiveGenerations",
    "UserAmountRecords",
    "UserDetailsResponse",
    "UserKudosDetails",
    "UserRecords",
    "UserThingRecords",
]


class KNOWN_USER_SORT(StrEnum):  # noqa: N801 - KNOWN_-style constant set
    """How the user list can be ordered (``sort`` query); the server falls back to ``kudos`` for others."""

    kudos = "kudos"
    """Most kudos first."""
    age = "age"
    """Oldest account first."""


# ------------------------------------------------------------------------------------- details parts
class ResponseModelStylesUser(ResponseModelStylesShort):
    """A style a user owns: its name, id and whether it is an image or a text style.

    v2 API Model: `ResponseModelStylesUser`
    """

    type_: Annotated[
        Annotated[MODEL_TYPE | str, KnownValue(MODEL_TYPE)] | None,
        Field(alias="type", description="Whether the style is for images or for text."),
    ] = None

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ResponseModelStylesUser"


class UserKudosDetails(HordeAPIObjectBaseModel):
    """Where a user's kudos came from and went to, by kind.

    v2 API Model: `UserKudosDetails`
    """

    accumulated: float = Field(default=0, description="Kudos earned by the user's workers minus kudos spent.")
    gifted: float = Field(default=0, description="Kudos the user transferred to other users.")
    donated: float = Field(default=0, description="Kudos the user gave to shared causes such as education accounts.")
    admin: float = Field(default=0, description="Kudos granted (or removed) by the horde's admins.")
    received: float = Field(default=0, description="Kudos other users transferred to this user.")
    recurring: float = Field(default=0, description="Kudos from the monthly allowance.")
    awarded: float = Field(default=0, description="Kudos awarded, e.g. for rating images.")
    styled: float = Field(default=0, description="Kudos earned when others used the user's styles.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UserKudosDetails"


class MonthlyKudos(HordeAPIObjectBaseModel):
    """The kudos a user receives every month, and when they last arrived.

    v2 API Model: `MonthlyKudos`
    """

    amount: int | None = Field(default=None, description="Kudos added every month.")
    last_received: str | None = Field(default=None, description="When the last monthly kudos arrived (ISO 8601).")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "MonthlyKudos"


class UserActiveGenerations(HordeAPIObjectBaseModel):
    """The ids of a user's requests still in progress, by kind (shown to privileged callers only).

    v2 API Model: `UserActiveGenerations`
    """

    text: tuple[JobID, ...] | None = Field(default=None, description="Text requests in progress.")
    image: tuple[JobID, ...] | None = Field(default=None, description="Image requests in progress.")
    alchemy: tuple[JobID, ...] | None = Field(default=None, description="Alchemy requests in progress.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UserActiveGenerations"


class UsageDetails(HordeAPIObjectBaseModel):
    """What a user has asked the horde to generate (older, image-only counters).

    v2 API Model: `UsageDetails`
    """

    megapixelsteps: float | None = Field(default=None, description="Megapixelsteps the user requested.")
    requests: int | None = Field(default=None, description="Images the user requested.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UsageDetails"


class ContributionsDetails(HordeAPIObjectBaseModel):
    """What a user's workers have generated (older, image-only counters).

    v2 API Model: `ContributionsDetails`
    """

    megapixelsteps: float | None = Field(default=None, description="Megapixelsteps the user's workers generated.")
    fulfillments: int | None = Field(default=None, description="Images the user's workers generated.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ContributionsDetails"


class UserThingRecords(HordeAPIObjectBaseModel):
    """Amounts of work, in megapixelsteps for images and tokens for text.

    v2 API Model: `UserThingRecords`
    """

    megapixelsteps: float = Field(default=0, description="Megapixelsteps generated or requested.")
    tokens: int = Field(default=0, description="Tokens generated or requested.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UserThingRecords"


class UserAmountRecords(HordeAPIObjectBaseModel):
    """Counts of generations by kind: images, texts and alchemy forms.

    v2 API Model: `UserAmountRecords`
    """

    image: int = Field(default=0, description="Images counted.")
    text: int = Field(default=0, description="Texts counted.")
    interrogation: int = Field(default=0, description="Alchemy forms counted.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UserAmountRecords"


class UserRecords(HordeAPIObjectBaseModel):
    """A user's running totals: work requested and contributed, and generations fulfilled, requested and styled.

    v2 API Model: `UserRecords`
    """

    usage: UserThingRecords | None = Field(default=None, description="Work the user requested.")
    contribution: UserThingRecords | None = Field(default=None, description="Work the user's workers did.")
    fulfillment: UserAmountRecords | None = Field(default=None, description="Generations the user's workers did.")
    request: UserAmountRecords | None = Field(default=None, description="Generations the user requested.")
    style: UserAmountRecords | None = Field(default=None, description="Generations made with the user's styles.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UserRecords"


# ------------------------------------------------------------------------------------------- details
class UserDetailsResponse(HordeResponseBaseModel):
    """Everything the horde shows about a user; fields marked privileged are only set for the user or moderators.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/find_user | FindUserRequest [GET] -> 200
        - /v2/users/{user_id} | SingleUserDetailsRequest [GET] -> 200

    v2 API Model: `UserDetails`
    """

    username: str | None = Field(default=None, description="The user's unique name, `alias#id`.")
    id_: Annotated[UserID | None, Field(alias="id", description="The user's numeric id.")] = None
    kudos: float | None = Field(default=None, description="The user's kudos balance; it sets their queue priority.")
    evaluating_kudos: float | None = Field(
        default=None, description="(Privileged) Kudos counted towards automatic trust for an untrusted user."
    )
    concurrency: int | None = Field(default=None, description="How many requests the user may have at once.")
    worker_invited: int | None = Field(
        default=None, description="How many more workers the user may add while workers are invite-only (0: none)."
    )
    moderator: bool | None = Field(default=None, description="The user is a horde moderator.")
    kudos_details: UserKudosDetails | None = Field(default=None, description="Where the user's kudos came from.")
    worker_count: int | None = Field(default=None, description="Workers the user has ever created.")
    worker_ids: tuple[Annotated[WorkerID, Field(min_length=36, max_length=36)], ...] | None = Field(
        default=None, description="The user's worker ids (privileged, unless the user made them public)."
    )
    styles: tuple[ResponseModelStylesUser, ...] | None = Field(default=None, description="Styles the user owns.")
    sharedkey_ids: tuple[SharedKeyID, ...] | None = Field(
        default=None, description="(Privileged) Ids of the shared keys the user created."
    )
    active_generations: UserActiveGenerations | None = Field(
        default=None, description="(Privileged) The user's requests in progress."
    )
    monthly_kudos: MonthlyKudos | None = Field(default=None, description="The user's monthly kudos allowance.")
    trusted: bool | None = Field(default=None, description="The user is trusted.")
    flagged: bool | None = Field(default=None, description="(Privileged) The user is flagged as suspicious.")
    vpn: bool | None = Field(default=None, description="(Privileged) The user may run workers behind a VPN.")
    service: bool | None = Field(default=None, description="The account is a service proxying other users.")
    education: bool | None = Field(default=None, description="The account belongs to a school or university.")
    customizer: bool | None = Field(
        default=None, description="The user may serve custom models that are not in the model reference."
    )
    special: bool | None = Field(default=None, description="(Privileged) The user may send special payloads.")
    deleted: bool | None = Field(default=None, description="The account is marked for deletion.")
    suspicious: int | None = Field(default=None, description="(Privileged) The user's suspicion score.")
    pseudonymous: bool | None = Field(default=None, description="The user registered without an OAuth account.")
    contact: str | None = Field(default=None, description="(Privileged) How the horde's admins can reach the user.")
    admin_comment: str | None = Field(default=None, description="(Privileged) The admins' notes about the user.")
    proxy_passkey: str | None = Field(default=None, description="(Privileged) The passkey of a service account.")
    account_age: int | None = Field(default=None, description="Seconds since the account was created.")
    usage: UsageDetails | None = Field(default=None, description="What the user requested (image-only counters).")
    contributions: ContributionsDetails | None = Field(
        default=None, description="What the user's workers generated (image-only counters)."
    )
    records: UserRecords | None = Field(default=None, description="The user's running totals by kind.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "UserDetails"


class FindUserRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Look up the user an API key belongs to (the request's key, or else the client's).

    Represents a GET request to the /v2/find_user endpoint.
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_find_user

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[UserDetailsResponse]:
        return UserDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class AllUsersDetailsResponse(HordeResponseRootModel[tuple[UserDetailsResponse, ...]]):
    """One page of users with their details (25 a page).

    Represents the data returned from the /v2/users endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class AllUsersDetailsRequest(BaseAIHordeRequest):
    """List the registered users, one page of 25 at a time.

    Represents a GET request to the /v2/users endpoint.
    """

    page: int | None = Field(default=None, ge=1, description="The page to return, from 1 (the server's default).")
    sort: Annotated[KNOWN_USER_SORT | str, KnownValue(KNOWN_USER_SORT)] | None = Field(
        default=None, description="The order of the list: `kudos` (the server's default) or `age`."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_users

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllUsersDetailsResponse]:
        return AllUsersDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleUserDetailsRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Get one user's details by id; the user, moderators and admins also see the privileged fields.

    Represents a GET request to the /v2/users/{user_id} endpoint.
    """

    user_id: UserID | str = Field(description="The user's numeric id (the part after `#` in their name).")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_user_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[UserDetailsResponse]:
        return UserDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# -------------------------------------------------------------------------------------------- modify
class ModifyUserResponse(HordeResponseBaseModel):
    """The user's settings after a change; only what the change touched is set.

    Represents the data returned from the /v2/users/{user_id} endpoint with http status code 200.

    v2 API Model: `ModifyUser`
    """

    new_kudos: float | None = Field(default=None, description="The user's kudos balance after the change.")
    concurrency: int | None = Field(default=None, description="The user's concurrency after the change.")
    usage_multiplier: float | None = Field(
        default=None, description="The factor applied to the kudos the user spends."
    )
    worker_invited: int | None = Field(default=None, description="Workers the user may still add when invite-only.")
    moderator: bool | None = Field(default=None, description="Whether the user is now a moderator.")
    public_workers: bool | None = Field(default=None, description="Whether the user's worker ids are now public.")
    username: str | None = Field(default=None, description="The user's name after the change.")
    monthly_kudos: int | None = Field(default=None, description="The user's monthly kudos after the change.")
    trusted: bool | None = Field(default=None, description="Whether the user is now trusted.")
    flagged: bool | None = Field(default=None, description="Whether the user is now flagged.")
    customizer: bool | None = Field(default=None, description="Whether the user now has the customizer role.")
    vpn: bool | None = Field(default=None, description="Whether the user now has the VPN role.")
    service: bool | None = Field(default=None, description="Whether the account is now a service account.")
    education: bool | None = Field(default=None, description="Whether the account is now an education account.")
    special: bool | None = Field(default=None, description="Whether the user now has the special role.")
    undeleted: bool | None = Field(default=None, description="True when this change cancelled the user's deletion.")
    new_suspicion: int | None = Field(default=None, description="The user's suspicion score after the change.")
    contact: str | None = Field(default=None, description="The user's contact details after the change.")
    admin_comment: str | None = Field(
        default=None, min_length=5, max_length=500, description="The admins' note about the user after the change."
    )
    proxy_passkey: str | None = Field(
        default=None, min_length=16, max_length=16, description="The service account's new proxy passkey."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModifyUser"


class ModifyUserRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Change a user's kudos, limits, roles or details (admins and moderators); unset fields stay as they are.

    Represents a PUT request to the /v2/users/{user_id} endpoint.

    v2 API Model: `ModifyUserInput`
    """

    user_id: UserID | str = Field(description="The numeric id of the user to change.")
    kudos: float | None = Field(default=None, description="Kudos to add to the user's balance (negative: remove).")
    concurrency: int | None = Field(default=None, ge=0, le=500, description="Requests the user may have at once.")
    usage_multiplier: float | None = Field(
        default=None, ge=0.1, le=10, description="Factor applied to the kudos the user spends."
    )
    worker_invited: int | None = Field(
        default=None, description="Workers the user may add while the horde only admits invited workers."
    )
    moderator: bool | None = Field(default=None, description="Make the user a moderator, or stop them being one.")
    public_workers: bool | None = Field(default=None, description="Show the user's worker ids to everyone.")
    monthly_kudos: int | None = Field(default=None, description="Start giving the user this many kudos a month.")
    username: str | None = Field(
        default=None, min_length=3, max_length=100, description="A new name for the user (no profanity)."
    )
    trusted: bool | None = Field(default=None, description="Trust the user: suspicion no longer affects them.")
    flagged: bool | None = Field(
        default=None, description="Flag the user: no kudos transfers, and their workers stay in maintenance."
    )
    customizer: bool | None = Field(default=None, description="Let the user serve models outside the model reference.")
    vpn: bool | None = Field(default=None, description="Let the user run workers behind a VPN until they are trusted.")
    service: bool | None = Field(default=None, description="Mark the account as a service proxying other users.")
    education: bool | None = Field(default=None, description="Mark the account as an education account.")
    special: bool | None = Field(default=None, description="Let the user send special payloads.")
    undelete: bool | None = Field(default=None, description="Cancel a pending deletion of the account.")
    filtered: bool | None = Field(default=None, description="Always apply the prompt replacement filter to the user.")
    reset_suspicion: bool | None = Field(default=None, description="Set the user's suspicion score back to zero.")
    generate_proxy_passkey: bool = Field(
        default=False, description="Create a new proxy passkey for a service account."
    )
    contact: str | None = Field(
        default=None,
        min_length=5,
        max_length=500,
        description="How admins can reach the user (moderators only see it).",
    )
    admin_comment: str | None = Field(
        default=None, min_length=5, max_length=500, description="A note about the user for the other admins."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PUT

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_user_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyUserResponse]:
        return ModifyUserResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModifyUserInput"


class DeleteUserRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Mark a user for deletion (the user themselves or a moderator).

    Represents a DELETE request to the /v2/users/{user_id} endpoint.
    """

    user_id: UserID | str = Field(description="The numeric id of the user to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_user_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
