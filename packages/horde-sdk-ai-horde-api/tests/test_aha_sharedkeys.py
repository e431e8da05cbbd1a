"""Shared keys: wire form of every shared key request, parsing of realistic answers, swagger agreement."""

from __future__ import annotations

import json
from typing import Any

import pytest

from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.apimodels.sharedkeys import (
    CreateSharedKeyRequest,
    DeleteSharedKeyRequest,
    ModifySharedKeyRequest,
    SharedKeyDetailsResponse,
    SingleSharedKeyRequest,
)
from horde_sdk.ai_horde_api.fields import SharedKeyID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import APIKeyAllowedInRequestMixin, HordeRequest
from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"
KEY_ID = "11111111-2222-4333-8444-555555555555"
SHAREDKEY_REQUESTS: list[type[HordeRequest]] = [
    CreateSharedKeyRequest,
    SingleSharedKeyRequest,
    ModifySharedKeyRequest,
    DeleteSharedKeyRequest,
]


def _core(api_key: str | None = None) -> RequestCore:
    return RequestCore(
        HordeClientSettings(api_key=api_key),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


WIRE_CASES: list[Any] = [
    pytest.param(
        CreateSharedKeyRequest(kudos=20000, expiry=30, max_image_steps=40),
        "PUT",
        "/v2/sharedkeys",
        {"kudos": 20000, "expiry": 30, "max_image_steps": 40},
        id="create",
    ),
    pytest.param(CreateSharedKeyRequest(), "PUT", "/v2/sharedkeys", {}, id="create-with-server-defaults"),
    pytest.param(
        CreateSharedKeyRequest(name="Mutual aid", kudos=-1),
        "PUT",
        "/v2/sharedkeys",
        {"name": "Mutual aid", "kudos": -1},
        id="create-named",
    ),
    pytest.param(
        SingleSharedKeyRequest(sharedkey_id=SharedKeyID(KEY_ID)), "GET", f"/v2/sharedkeys/{KEY_ID}", None, id="get"
    ),
    pytest.param(
        ModifySharedKeyRequest(sharedkey_id=SharedKeyID(KEY_ID), max_text_tokens=300, expiry=-1),
        "PATCH",
        f"/v2/sharedkeys/{KEY_ID}",
        {"max_text_tokens": 300, "expiry": -1},
        id="modify",
    ),
    pytest.param(
        DeleteSharedKeyRequest(sharedkey_id=SharedKeyID(KEY_ID)),
        "DELETE",
        f"/v2/sharedkeys/{KEY_ID}",
        None,
        id="delete",
    ),
]


@pytest.mark.parametrize(("request_model", "method", "path", "body"), WIRE_CASES)
def test_request_goes_on_the_wire_as_documented(
    request_model: HordeRequest, method: str, path: str, body: Any
) -> None:
    prepared = _core().build(request_model)
    assert prepared.method == method
    assert prepared.url == f"{API}{path}"
    assert prepared.params == []
    assert prepared.json_body == body


def test_only_the_owner_operations_take_an_api_key() -> None:
    assert not issubclass(SingleSharedKeyRequest, APIKeyAllowedInRequestMixin)
    for request_type in (CreateSharedKeyRequest, ModifySharedKeyRequest, DeleteSharedKeyRequest):
        assert issubclass(request_type, APIKeyAllowedInRequestMixin)
    prepared = _core(api_key="client-key").build(
        DeleteSharedKeyRequest(sharedkey_id=SharedKeyID(KEY_ID), apikey="owner-key")
    )
    assert prepared.headers["apikey"] == "owner-key"


def test_shared_key_limits_are_bounded() -> None:
    with pytest.raises(ValueError, match="greater than or equal to -1"):
        CreateSharedKeyRequest(kudos=-2)
    with pytest.raises(ValueError, match="less than or equal to 500"):
        ModifySharedKeyRequest(sharedkey_id=SharedKeyID(KEY_ID), max_image_steps=501)
    with pytest.raises(ValueError, match="at least 3"):
        CreateSharedKeyRequest(name="ab")


DETAILS_JSON = {
    "id": KEY_ID,
    "username": "db0#1",
    "name": "Mutual aid",
    "kudos": 20000,
    "expiry": "2025-07-01T12:00:00",
    "utilized": 350,
    "max_image_pixels": 1048576,
    "max_image_steps": 40,
    "max_text_tokens": -1,
}


@pytest.mark.parametrize(
    ("response_type", "data"),
    [
        pytest.param(SharedKeyDetailsResponse, DETAILS_JSON, id="details"),
        pytest.param(SharedKeyDetailsResponse, {"id": KEY_ID, "username": "db0#1", "kudos": 5000}, id="sparse"),
        pytest.param(SimpleResponse, {"message": "OK"}, id="deleted"),
    ],
)
def test_realistic_answers_parse_strictly_and_round_trip(response_type: Any, data: Any) -> None:
    parsed = response_type.model_validate_json(json.dumps(data))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == data
    again = response_type.model_validate(dumped)
    assert again == parsed
    assert hash(again) == hash(parsed)


def test_every_sharedkey_operation_of_the_swagger_has_one_request(horde_swagger: dict[str, Any]) -> None:
    operations = {
        (method.upper(), path)
        for path, item in horde_swagger["paths"].items()
        if path.startswith("/v2/sharedkeys")
        for method in item
        if method != "parameters"
    }
    claimed = [(str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) for cls in SHAREDKEY_REQUESTS]
    assert sorted(claimed) == sorted(operations)


@pytest.mark.parametrize("request_type", SHAREDKEY_REQUESTS, ids=lambda cls: cls.__name__)
def test_success_answers_match_the_swagger(request_type: type[HordeRequest], horde_swagger: dict[str, Any]) -> None:
    operation = horde_swagger["paths"][str(request_type.get_api_endpoint_subpath())][
        str(request_type.get_http_method()).lower()
    ]
    answers = {int(code): answer["schema"] for code, answer in operation["responses"].items() if code.startswith("2")}
    pairs = {int(code): answer for code, answer in request_type.get_success_status_response_pairs().items()}
    assert set(pairs) == set(answers)
    for code, schema in answers.items():
        assert pairs[code].get_api_model_name() == schema["$ref"].rsplit("/", 1)[-1]
    body = [parameter for parameter in operation["parameters"] if parameter["in"] == "body"]
    expected_body = body[0]["schema"]["$ref"].rsplit("/", 1)[-1] if body else None
    assert request_type.get_api_model_name() == expected_body
