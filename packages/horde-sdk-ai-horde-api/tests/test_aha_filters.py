"""Prompt filters (moderators): wire form of every filter request, parsing of realistic answers, swagger agreement."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import pytest

from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.apimodels.filters import (
    AllFilterRegexesRequest,
    AllFilterRegexesResponse,
    AllFiltersRequest,
    AllFiltersResponse,
    CheckPromptSuspicionRequest,
    CreateFilterRequest,
    DeleteFilterRequest,
    FilterDetailsResponse,
    FilterPromptSuspicionResponse,
    FilterRegexEntry,
    ModifyFilterRequest,
    SingleFilterRequest,
    SingleFilterResponse,
)
from horde_sdk.ai_horde_api.fields import FilterID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.core import RawResponse, RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"
FILTER_REQUESTS: list[type[HordeRequest]] = [
    AllFiltersRequest,
    CheckPromptSuspicionRequest,
    CreateFilterRequest,
    AllFilterRegexesRequest,
    SingleFilterRequest,
    ModifyFilterRequest,
    DeleteFilterRequest,
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
        AllFiltersRequest(filter_type=10, contains="loli"),
        "GET",
        "/v2/filters",
        [("contains", "loli"), ("filter_type", "10")],
        None,
        id="all",
    ),
    pytest.param(AllFiltersRequest(), "GET", "/v2/filters", [], None, id="all-unfiltered"),
    pytest.param(
        CheckPromptSuspicionRequest(prompt="a cat in a hat"),
        "POST",
        "/v2/filters",
        [],
        {"prompt": "a cat in a hat"},
        id="check",
    ),
    pytest.param(
        CheckPromptSuspicionRequest(prompt="a cat in a hat", filter_type=20),
        "POST",
        "/v2/filters",
        [],
        {"prompt": "a cat in a hat", "filter_type": 20},
        id="check-one-type",
    ),
    pytest.param(
        CreateFilterRequest(regex="ac.*", filter_type=10, description="test filter"),
        "PUT",
        "/v2/filters",
        [],
        {"regex": "ac.*", "filter_type": 10, "description": "test filter"},
        id="create",
    ),
    pytest.param(
        AllFilterRegexesRequest(filter_type=11), "GET", "/v2/filters/regex", [("filter_type", "11")], None, id="regex"
    ),
    pytest.param(SingleFilterRequest(filter_id=FilterID("42")), "GET", "/v2/filters/42", [], None, id="single"),
    pytest.param(
        ModifyFilterRequest(filter_id=FilterID("42"), regex="ab.*", replacement="cat"),
        "PATCH",
        "/v2/filters/42",
        [],
        {"regex": "ab.*", "replacement": "cat"},
        id="modify",
    ),
    pytest.param(
        ModifyFilterRequest(filter_id=FilterID("42"), filter_type=12),
        "PATCH",
        "/v2/filters/42",
        [],
        {"filter_type": 12},
        id="modify-type",
    ),
    pytest.param(DeleteFilterRequest(filter_id=FilterID("42")), "DELETE", "/v2/filters/42", [], None, id="delete"),
]


@pytest.mark.parametrize(("request_model", "method", "path", "params", "body"), WIRE_CASES)
def test_request_goes_on_the_wire_as_documented(
    request_model: HordeRequest, method: str, path: str, params: list[tuple[str, str]], body: Any
) -> None:
    prepared = _core().build(request_model)
    assert prepared.method == method
    assert prepared.url == f"{API}{path}"
    assert sorted(prepared.params) == sorted(params)
    assert prepared.json_body == body
    assert prepared.headers["apikey"] == "moderator-key"


def test_new_filters_keep_to_the_documented_types() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 10"):
        CreateFilterRequest(regex="x", filter_type=9)
    with pytest.raises(ValueError, match="less than or equal to 29"):
        ModifyFilterRequest(filter_id=FilterID("1"), filter_type=30)
    assert CreateFilterRequest(regex="x", filter_type=29).replacement == ""


FILTER_JSON = {
    "id": "42",
    "regex": "ac.*",
    "filter_type": 10,
    "description": "test filter",
    "replacement": "",
    "user": "db0#1",
}


@pytest.mark.parametrize(
    ("response_type", "data"),
    [
        pytest.param(FilterDetailsResponse, FILTER_JSON, id="details"),
        pytest.param(FilterDetailsResponse, {"id": "7", "regex": "x", "filter_type": 20, "user": "m#2"}, id="sparse"),
        pytest.param(AllFiltersResponse, [FILTER_JSON, {**FILTER_JSON, "id": "43"}], id="list"),
        pytest.param(SingleFilterResponse, [FILTER_JSON], id="single-as-documented"),
        pytest.param(AllFilterRegexesResponse, [{"filter_type": 10, "regex": "ac.*|ab.*"}], id="regexes"),
        # The real server's answers (BEHAVIOUR.md): `suspicion` is a number, and a filter type without filters
        # has no `regex` in the regex list.
        pytest.param(FilterPromptSuspicionResponse, {"suspicion": 2, "matches": ["loli"]}, id="suspicion"),
        pytest.param(FilterPromptSuspicionResponse, {"suspicion": 0, "matches": []}, id="no-suspicion"),
        pytest.param(
            AllFilterRegexesResponse, [{"filter_type": 10, "regex": "ac.*"}, {"filter_type": 11}], id="regex-absent"
        ),
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


def test_a_single_filter_sent_as_a_bare_object_becomes_a_list_of_one() -> None:
    parsed = SingleFilterResponse.model_validate_json(json.dumps(FILTER_JSON))
    assert parsed.root == (FilterDetailsResponse.model_validate(FILTER_JSON),)


def test_the_regex_list_holds_entries() -> None:
    parsed = AllFilterRegexesResponse.model_validate([{"filter_type": 10, "regex": "a"}])
    assert parsed.root == (FilterRegexEntry(filter_type=10, regex="a"),)


def test_the_suspicion_is_a_number_as_the_server_sends_it() -> None:
    parsed = FilterPromptSuspicionResponse.model_validate_json(b'{"suspicion": 3, "matches": ["a", "b"]}')
    assert parsed.suspicion == 3.0
    assert parsed.suspicion >= 2  # a number compares as one: no text to convert first


def test_a_filter_type_without_filters_has_no_regex() -> None:
    parsed = AllFilterRegexesResponse.model_validate_json(
        b'[{"filter_type": 10, "regex": "ac.*"}, {"filter_type": 11}]'
    )
    assert [(entry.filter_type, entry.regex) for entry in parsed.root] == [(10, "ac.*"), (11, None)]


def test_a_new_filter_is_parsed_whether_the_server_says_201_or_200(caplog: pytest.LogCaptureFixture) -> None:
    core = _core()
    request = CreateFilterRequest(regex="ac.*", filter_type=10)
    assert CreateFilterRequest.get_success_status_response_pairs() == {
        HTTPStatus.OK: FilterDetailsResponse,
        HTTPStatus.CREATED: FilterDetailsResponse,
    }
    prepared = core.build(request)
    with caplog.at_level(logging.WARNING):
        for status in (201, 200):
            raw = RawResponse(status_code=status, headers={}, content=json.dumps(FILTER_JSON).encode())
            assert core.parse(request, prepared, raw) == FilterDetailsResponse.model_validate(FILTER_JSON)
    # The server answers 200 (BEHAVIOUR.md): a declared status, so no "undeclared success status" warning.
    assert "undeclared success status" not in caplog.text


def test_every_filter_operation_of_the_swagger_has_one_request(horde_swagger: dict[str, Any]) -> None:
    operations = {
        (method.upper(), path)
        for path, item in horde_swagger["paths"].items()
        if path.startswith("/v2/filters")
        for method in item
        if method != "parameters"
    }
    claimed = [(str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) for cls in FILTER_REQUESTS]
    assert sorted(claimed) == sorted(operations)


@pytest.mark.parametrize("request_type", FILTER_REQUESTS, ids=lambda cls: cls.__name__)
def test_success_answers_match_the_swagger(request_type: type[HordeRequest], aha_swagger: Any) -> None:
    """Against the swagger with the server's known differences applied (``conftest.SERVER_DIFFERENCES``)."""
    operation = aha_swagger.document["paths"][str(request_type.get_api_endpoint_subpath())][
        str(request_type.get_http_method()).lower()
    ]
    answers = {int(code): answer["schema"] for code, answer in operation["responses"].items() if code.startswith("2")}
    pairs = {int(code): answer for code, answer in request_type.get_success_status_response_pairs().items()}
    assert set(pairs) == set(answers)
    for code, schema in answers.items():
        expected = "_ANONYMOUS_MODEL" if schema.get("type") == "array" else schema["$ref"].rsplit("/", 1)[-1]
        assert pairs[code].get_api_model_name() == expected
    body = [parameter for parameter in operation["parameters"] if parameter["in"] == "body"]
    if not body:
        assert request_type.get_api_model_name() is None
    elif "$ref" in body[0]["schema"]:
        assert request_type.get_api_model_name() == body[0]["schema"]["$ref"].rsplit("/", 1)[-1]
    else:
        assert request_type.get_api_model_name() == "_ANONYMOUS_MODEL"
        assert set(body[0]["schema"]["properties"]) == set(request_type.model_fields) - {"apikey"}
