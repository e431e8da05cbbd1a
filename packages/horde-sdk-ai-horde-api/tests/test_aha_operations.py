"""IP timeouts (moderators): wire form of every operations request, parsing of realistic answers, swagger agreement."""

from __future__ import annotations

import json
from typing import Any

import pytest

from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.apimodels.operations import (
    AddIPTimeoutRequest,
    AllIPTimeoutsRequest,
    BlockWorkerIPRequest,
    DeleteIPTimeoutRequest,
    DeleteWorkerIPBlockRequest,
    IPTimeoutEntry,
    IPTimeoutsResponse,
    SingleIPTimeoutRequest,
)
from horde_sdk.ai_horde_api.fields import WorkerID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import APIKeyAllowedInRequestMixin, HordeRequest
from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"
WORKER_ID = "3e2d1c0b-0000-4000-8000-000000000077"
OPERATIONS_REQUESTS: list[type[HordeRequest]] = [
    BlockWorkerIPRequest,
    DeleteWorkerIPBlockRequest,
    AllIPTimeoutsRequest,
    AddIPTimeoutRequest,
    DeleteIPTimeoutRequest,
    SingleIPTimeoutRequest,
]


def _core() -> RequestCore:
    return RequestCore(
        HordeClientSettings(api_key="moderator-key"),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


WIRE_CASES: list[Any] = [
    pytest.param(
        BlockWorkerIPRequest(worker_id=WorkerID(WORKER_ID), days=7),
        "PUT",
        f"/v2/operations/block_worker_ipaddr/{WORKER_ID}",
        {"days": 7},
        id="block-worker",
    ),
    pytest.param(
        DeleteWorkerIPBlockRequest(worker_id=WorkerID(WORKER_ID)),
        "DELETE",
        f"/v2/operations/block_worker_ipaddr/{WORKER_ID}",
        None,
        id="unblock-worker",
    ),
    pytest.param(AllIPTimeoutsRequest(), "GET", "/v2/operations/ipaddr", None, id="all"),
    pytest.param(
        AddIPTimeoutRequest(ipaddr="203.0.113.0/24", hours=24),
        "POST",
        "/v2/operations/ipaddr",
        {"ipaddr": "203.0.113.0/24", "hours": 24},
        id="add",
    ),
    pytest.param(
        DeleteIPTimeoutRequest(ipaddr="203.0.113.0/24"),
        "DELETE",
        "/v2/operations/ipaddr",
        {"ipaddr": "203.0.113.0/24"},
        id="delete",
    ),
    pytest.param(
        SingleIPTimeoutRequest(ipaddr="203.0.113.7"), "GET", "/v2/operations/ipaddr/203.0.113.7", None, id="single"
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
    assert prepared.headers["apikey"] == "moderator-key"


def test_every_operation_takes_a_moderator_key() -> None:
    for request_type in OPERATIONS_REQUESTS:
        # The MRO, not issubclass: mypy deems a HordeRequest with this pydantic mixin impossible (their
        # plugin-made __init__ signatures differ) and would flag the assertion.
        assert APIKeyAllowedInRequestMixin in request_type.__mro__, request_type.__name__


def test_timeouts_are_bounded() -> None:
    with pytest.raises(ValueError, match="less than or equal to 30"):
        BlockWorkerIPRequest(worker_id=WorkerID(WORKER_ID), days=31)
    with pytest.raises(ValueError, match="less than or equal to 720"):
        AddIPTimeoutRequest(ipaddr="203.0.113.7", hours=721)
    with pytest.raises(ValueError, match="at least 7"):
        DeleteIPTimeoutRequest(ipaddr="1.2.3")


TIMEOUTS_JSON = [{"ipaddr": "203.0.113.0/24", "seconds": 86100}, {"ipaddr": "2001:db8::/64", "seconds": 1440}]


@pytest.mark.parametrize(
    ("response_type", "data"),
    [
        pytest.param(IPTimeoutsResponse, TIMEOUTS_JSON, id="timeouts"),
        pytest.param(IPTimeoutsResponse, [], id="none"),
        pytest.param(SimpleResponse, {"message": "OK"}, id="done"),
    ],
)
def test_realistic_answers_parse_strictly_and_round_trip(response_type: Any, data: Any) -> None:
    parsed = response_type.model_validate_json(json.dumps(data))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == data
    again = response_type.model_validate(dumped)
    assert again == parsed
    assert hash(again) == hash(parsed)


def test_timeouts_answer_holds_entries() -> None:
    parsed = IPTimeoutsResponse.model_validate(TIMEOUTS_JSON)
    assert parsed.root[1] == IPTimeoutEntry(ipaddr="2001:db8::/64", seconds=1440)


def test_every_operations_operation_of_the_swagger_has_one_request(horde_swagger: dict[str, Any]) -> None:
    operations = {
        (method.upper(), path)
        for path, item in horde_swagger["paths"].items()
        if path.startswith("/v2/operations/")
        for method in item
        if method != "parameters"
    }
    claimed = [(str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) for cls in OPERATIONS_REQUESTS]
    assert sorted(claimed) == sorted(operations)


@pytest.mark.parametrize("request_type", OPERATIONS_REQUESTS, ids=lambda cls: cls.__name__)
def test_success_answers_match_the_swagger(request_type: type[HordeRequest], horde_swagger: dict[str, Any]) -> None:
    operation = horde_swagger["paths"][str(request_type.get_api_endpoint_subpath())][
        str(request_type.get_http_method()).lower()
    ]
    answers = {int(code): answer["schema"] for code, answer in operation["responses"].items() if code.startswith("2")}
    pairs = {int(code): answer for code, answer in request_type.get_success_status_response_pairs().items()}
    assert set(pairs) == set(answers)
    for code, schema in answers.items():
        expected = "_ANONYMOUS_MODEL" if schema.get("type") == "array" else schema["$ref"].rsplit("/", 1)[-1]
        assert pairs[code].get_api_model_name() == expected
    body = [parameter for parameter in operation["parameters"] if parameter["in"] == "body"]
    expected_body = body[0]["schema"]["$ref"].rsplit("/", 1)[-1] if body else None
    assert request_type.get_api_model_name() == expected_body
