"""Users and kudos: wire form of every request, idempotent transfers, parsing of realistic answers."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import pytest
from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.apimodels.kudos import (
    KudosAwardRequest,
    KudosAwardResponse,
    KudosTransferRequest,
    KudosTransferResponse,
)
from horde_sdk.ai_horde_api.apimodels.users import (
    KNOWN_USER_SORT,
    AllUsersDetailsRequest,
    AllUsersDetailsResponse,
    DeleteUserRequest,
    FindUserRequest,
    ModifyUserRequest,
    ModifyUserResponse,
    ResponseModelStylesUser,
    SingleUserDetailsRequest,
    UserDetailsResponse,
)
from horde_sdk.ai_horde_api.consts import MODEL_TYPE
from horde_sdk.ai_horde_api.fields import UserID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import PreparedRequest, RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"


def _build(request: HordeRequest) -> PreparedRequest:
    core = RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )
    return core.build(request)


WIRE_CASES: list[Any] = [
    pytest.param(FindUserRequest(apikey="my-key"), "GET", "/v2/find_user", [], None, id="find-user"),
    pytest.param(AllUsersDetailsRequest(), "GET", "/v2/users", [], None, id="users-defaults"),
    pytest.param(
        AllUsersDetailsRequest(page=3, sort=KNOWN_USER_SORT.age),
        "GET",
        "/v2/users",
        [("page", "3"), ("sort", "age")],
        None,
        id="users-page",
    ),
    pytest.param(
        SingleUserDetailsRequest(user_id=UserID(6572)), "GET", "/v2/users/6572", [], None, id="user-by-int-id"
    ),
    pytest.param(SingleUserDetailsRequest(user_id="6572"), "GET", "/v2/users/6572", [], None, id="user-by-text-id"),
    pytest.param(
        ModifyUserRequest(
            user_id=UserID(6572),
            kudos=-250.5,
            concurrency=40,
            usage_multiplier=1.5,
            trusted=True,
            username="renamed user",
            admin_comment="Ran a faulty worker for a week.",
            apikey="my-key",
        ),
        "PUT",
        "/v2/users/6572",
        [],
        {
            "kudos": -250.5,
            "concurrency": 40,
            "usage_multiplier": 1.5,
            "trusted": True,
            "username": "renamed user",
            "admin_comment": "Ran a faulty worker for a week.",
        },
        id="modify-user",
    ),
    pytest.param(
        ModifyUserRequest(user_id=UserID(6572), generate_proxy_passkey=True),
        "PUT",
        "/v2/users/6572",
        [],
        {"generate_proxy_passkey": True},
        id="modify-user-passkey",
    ),
    pytest.param(
        DeleteUserRequest(user_id=UserID(6572), apikey="my-key"), "DELETE", "/v2/users/6572", [], None, id="delete"
    ),
    pytest.param(
        KudosAwardRequest(username="db0#1", amount=5000, apikey="my-key"),
        "POST",
        "/v2/kudos/award",
        [],
        {"username": "db0#1", "amount": 5000},
        id="award",
    ),
    pytest.param(
        KudosTransferRequest(username="Tazlin#6572", amount=250, apikey="my-key"),
        "POST",
        "/v2/kudos/transfer",
        [],
        {"username": "Tazlin#6572", "amount": 250},
        id="transfer",
    ),
    pytest.param(
        KudosTransferRequest(username="Tazlin#6572"),
        "POST",
        "/v2/kudos/transfer",
        [],
        {"username": "Tazlin#6572"},
        id="transfer-server-default-amount",
    ),
]


@pytest.mark.parametrize(("request_model", "method", "path", "params", "body"), WIRE_CASES)
def test_request_wire_form(
    request_model: HordeRequest, method: str, path: str, params: list[tuple[str, str]], body: Any
) -> None:
    prepared = _build(request_model)
    assert prepared.method == method
    assert prepared.url == API + path
    assert sorted(prepared.params) == sorted(params)
    assert prepared.json_body == body
    if getattr(request_model, "apikey", None):
        assert prepared.headers["apikey"] == "my-key"
    assert "Idempotency-Key" not in prepared.headers


# ------------------------------------------------------------------------------------- idempotency
def test_transfer_with_an_idempotency_key_is_safe_to_retry() -> None:
    request = KudosTransferRequest(username="Tazlin#6572", amount=100, idempotency_key="a3f9e2c4-transfer-1")
    assert request.is_idempotent() is True
    prepared = _build(request)
    assert prepared.headers["Idempotency-Key"] == "a3f9e2c4-transfer-1"
    assert prepared.json_body == {"username": "Tazlin#6572", "amount": 100}
    assert "idempotency_key" not in prepared.json_body


def test_a_keyed_transfer_is_prepared_as_retryable() -> None:
    request = KudosTransferRequest(username="Tazlin#6572", amount=100, idempotency_key="a3f9e2c4-transfer-1")
    assert _build(request).idempotent is True


def test_transfer_without_an_idempotency_key_is_never_retried() -> None:
    request = KudosTransferRequest(username="Tazlin#6572", amount=100)
    assert request.is_idempotent() is False
    prepared = _build(request)
    assert prepared.idempotent is False
    assert "Idempotency-Key" not in prepared.headers


def test_award_is_never_idempotent() -> None:
    assert KudosAwardRequest(username="db0#1", amount=1).is_idempotent() is False


def test_transfer_needs_a_receiver() -> None:
    with pytest.raises(ValidationError):
        KudosTransferRequest(amount=5)  # type: ignore[call-arg]  # no receiver on purpose: the error under test


def test_unknown_sort_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        request = AllUsersDetailsRequest(sort="worker_count")
    assert request.sort == "worker_count"
    assert any("worker_count" in record.getMessage() for record in caplog.records)


def test_modify_user_bounds_are_enforced() -> None:
    with pytest.raises(ValidationError):
        ModifyUserRequest(user_id=UserID(1), concurrency=501)
    with pytest.raises(ValidationError):
        ModifyUserRequest(user_id=UserID(1), usage_multiplier=0.05)
    with pytest.raises(ValidationError):
        ModifyUserRequest(user_id=UserID(1), username="ab")


# --------------------------------------------------------------------------------------- responses
USER_DETAILS: dict[str, Any] = {
    "username": "Tazlin#6572",
    "id": 6572,
    "kudos": 1_204_332.0,
    "evaluating_kudos": 0.0,
    "concurrency": 30,
    "worker_invited": 3,
    "moderator": False,
    "kudos_details": {
        "accumulated": 2_033_104.5,
        "gifted": -12_000.0,
        "donated": 0.0,
        "admin": 500_000.0,
        "received": 1_250.0,
        "recurring": 60_000.0,
        "awarded": 3_210.0,
        "styled": 44.0,
    },
    "worker_count": 5,
    "worker_ids": ["dc0704ab-5b42-4c65-8471-561be16ad696", "7fe3b2d1-0f4a-4b9e-9cb2-51c6a7e2f0d4"],
    "styles": [
        {"name": "Tazlin::style::moody portraits", "id": "5a3b1c2d-0000-4000-8000-00000000abcd", "type": "image"},
        {"name": "Tazlin::style::pirate speak", "id": "6b4c2d3e-0000-4000-8000-00000000bcde", "type": "text"},
    ],
    "sharedkey_ids": ["0c6b7e31-9a2f-4e44-9d0e-17f1a1c6e0aa"],
    "active_generations": {
        "text": [],
        "image": ["b7f1c2a4-3d5e-4f60-8a91-0b2c3d4e5f60"],
        "alchemy": [],
    },
    "monthly_kudos": {"amount": 10_000, "last_received": "2024-10-01T00:00:12.034512"},
    "trusted": True,
    "flagged": False,
    "vpn": False,
    "service": False,
    "education": False,
    "customizer": True,
    "special": False,
    "deleted": False,
    "suspicious": 0,
    "pseudonymous": False,
    "contact": "tazlin@example.com",
    "admin_comment": "Runs the reGen worker reference setup.",
    "account_age": 48_211_043,
    "usage": {"megapixelsteps": 2_104_311.4, "requests": 88_302},
    "contributions": {"megapixelsteps": 30_221_004.2, "fulfillments": 1_203_344},
    "records": {
        "usage": {"megapixelsteps": 2_104_311.4, "tokens": 1_204_000},
        "contribution": {"megapixelsteps": 30_221_004.2, "tokens": 88_204_113},
        "fulfillment": {"image": 1_203_344, "text": 402_113, "interrogation": 18_022},
        "request": {"image": 88_302, "text": 2_011, "interrogation": 120},
        "style": {"image": 44, "text": 0, "interrogation": 0},
    },
}
PUBLIC_USER: dict[str, Any] = {
    "username": "db0#1",
    "id": 1,
    "kudos": 98_220_113.0,
    "concurrency": 30,
    "worker_invited": 0,
    "moderator": True,
    "kudos_details": {
        "accumulated": 1.0,
        "gifted": 0.0,
        "donated": 0.0,
        "admin": 0.0,
        "received": 0.0,
        "recurring": 0.0,
        "awarded": 0.0,
        "styled": 0.0,
    },
    "worker_count": 12,
    "trusted": True,
    "pseudonymous": False,
    "account_age": 78_000_000,
}

RESPONSE_CASES: list[Any] = [
    pytest.param(UserDetailsResponse, USER_DETAILS, id="user-details-privileged"),
    pytest.param(UserDetailsResponse, PUBLIC_USER, id="user-details-public"),
    pytest.param(AllUsersDetailsResponse, [USER_DETAILS, PUBLIC_USER], id="users-page"),
    pytest.param(AllUsersDetailsResponse, [], id="users-past-the-end"),
    pytest.param(
        ModifyUserResponse,
        {"new_kudos": 1_203_081.5, "concurrency": 40, "trusted": True, "admin_comment": "Ran a faulty worker."},
        id="modify-user",
    ),
    pytest.param(ModifyUserResponse, {"proxy_passkey": "Zx81kQ02mLp4Rt7W", "service": True}, id="modify-user-passkey"),
    pytest.param(SimpleResponse, {"message": "OK"}, id="delete-user"),
    pytest.param(KudosAwardResponse, {"awarded": 5000.0}, id="award"),
    pytest.param(KudosTransferResponse, {"transferred": 250.0}, id="transfer"),
]


@pytest.mark.parametrize(("response_type", "data"), RESPONSE_CASES)
def test_response_parses_strictly_and_round_trips(response_type: type[Any], data: Any) -> None:
    parsed = response_type.model_validate_json(json.dumps(data))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped == data
    again = response_type.model_validate(dumped)
    assert again == parsed
    assert hash(again) == hash(parsed)


def test_user_details_nest_their_parts() -> None:
    user = UserDetailsResponse.model_validate(USER_DETAILS)
    assert user.id_ == 6572
    assert user.kudos_details is not None
    assert user.kudos_details.styled == 44.0
    assert user.records is not None
    assert user.records.fulfillment is not None
    assert user.records.fulfillment.interrogation == 18_022
    assert user.styles is not None
    assert isinstance(user.styles[1], ResponseModelStylesUser)
    assert user.styles[1].type_ is MODEL_TYPE.text
    assert user.active_generations is not None
    assert user.active_generations.image == ("b7f1c2a4-3d5e-4f60-8a91-0b2c3d4e5f60",)


def test_kudos_details_default_to_zero_like_the_server() -> None:
    user = UserDetailsResponse.model_validate({"username": "x#2", "kudos_details": {}})
    assert user.kudos_details is not None
    assert user.kudos_details.accumulated == 0


def test_the_users_list_is_a_list_as_the_server_sends_it() -> None:
    page = AllUsersDetailsResponse.model_validate_json(json.dumps([PUBLIC_USER, USER_DETAILS]))
    assert [user.username for user in page.root] == ["db0#1", "Tazlin#6572"]


REQUEST_RESPONSES: list[tuple[type[HordeRequest], type[HordeResponse]]] = [
    (FindUserRequest, UserDetailsResponse),
    (AllUsersDetailsRequest, AllUsersDetailsResponse),
    (SingleUserDetailsRequest, UserDetailsResponse),
    (ModifyUserRequest, ModifyUserResponse),
    (DeleteUserRequest, SimpleResponse),
    (KudosAwardRequest, KudosAwardResponse),
    (KudosTransferRequest, KudosTransferResponse),
]


@pytest.mark.parametrize(("request_type", "response_type"), REQUEST_RESPONSES, ids=lambda c: c.__name__)
def test_each_request_answers_with_its_response(
    request_type: type[HordeRequest], response_type: type[HordeResponse]
) -> None:
    assert request_type.get_success_status_response_pairs() == {HTTPStatus.OK: response_type}


def test_requests_are_hashable_and_equatable() -> None:
    first = ModifyUserRequest(user_id=UserID(1), trusted=True)
    assert first == ModifyUserRequest(user_id=UserID(1), trusted=True)
    assert hash(first) == hash(ModifyUserRequest(user_id=UserID(1), trusted=True))
    transfer = KudosTransferRequest(username="a#1", amount=3, idempotency_key="k")
    assert hash(transfer) == hash(KudosTransferRequest(username="a#1", amount=3, idempotency_key="k"))
    assert transfer != KudosTransferRequest(username="a#1", amount=3, idempotency_key="other")
