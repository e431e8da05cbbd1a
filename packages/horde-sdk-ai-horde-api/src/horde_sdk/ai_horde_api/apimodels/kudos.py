"""Moving kudos between users: transfers by any user, awards by privileged accounts.

Endpoints: ``/v2/kudos/award`` and ``/v2/kudos/transfer``.

A transfer is not idempotent by itself: sent twice, it moves the kudos twice. With an
``Idempotency-Key`` the server applies one transfer per key, so :class:`KudosTransferRequest` with
:attr:`~KudosTransferRequest.idempotency_key` set is safe to retry after a failure that may have reached
the server.

The server requires ``username`` on both requests although the swagger marks nothing as required, and
transfers or awards 100 kudos when ``amount`` is left out.
"""

from __future__ import annotations

from http import HTTPMethod

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.generic_api.apimodels import APIKeyAllowedInRequestMixin, HordeResponseBaseModel
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL

__all__ = [
    "KudosAwardRequest",
    "KudosAwardResponse",
    "KudosTransferRequest",
    "KudosTransferResponse",
]


class KudosAwardResponse(HordeResponseBaseModel):
    """How many kudos an award gave.

    Represents the data returned from the /v2/kudos/award endpoint with http status code 200.

    v2 API Model: `KudosAwarded`
    """

    awarded: float | None = Field(default=None, description="The kudos the user received.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "KudosAwarded"


class KudosAwardRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Award kudos to a user out of nothing (only accounts allowed to award may do this).

    Represents a POST request to the /v2/kudos/award endpoint.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    username: str = Field(min_length=1, description="The receiving user, as `alias#id`.")
    amount: int | None = Field(default=None, description="The kudos to award (the server's default: 100).")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_kudos_award

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[KudosAwardResponse]:
        return KudosAwardResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class KudosTransferResponse(HordeResponseBaseModel):
    """How many kudos a transfer moved.

    Represents the data returned from the /v2/kudos/transfer endpoint with http status code 200.

    v2 API Model: `KudosTransferred`
    """

    transferred: float | None = Field(default=None, description="The kudos that left the sender's balance.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "KudosTransferred"


class KudosTransferRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Give some of your kudos to another user.

    Set :attr:`idempotency_key` (any unique text, e.g. a UUID) to make the transfer safe to retry: the
    server applies one transfer per key, and this request then reports itself idempotent.

    Represents a POST request to the /v2/kudos/transfer endpoint.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    username: str = Field(min_length=1, description="The receiving user, as `alias#id`.")
    amount: int | None = Field(default=None, description="The kudos to give (the server's default: 100).")
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        description="A key unique to this transfer; repeats with the same key are applied only once.",
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_kudos_transfer

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[KudosTransferResponse]:
        return KudosTransferResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL

    @override
    def is_idempotent(self) -> bool:
        """Return True only when this transfer carries an idempotency key (the server applies it once)."""
        return self.idempotency_key is not None
