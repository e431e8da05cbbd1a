"""Collections of styles: wire form of every collection request, parsing of realistic answers, swagger agreement."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from horde_sdk.ai_horde_api.apimodels.collections import (
    AllCollectionsRequest,
    AllCollectionsResponse,
    CollectionDetailsResponse,
    CreateCollectionRequest,
    DeleteCollectionRequest,
    ModifyCollectionRequest,
    SingleCollectionByNameRequest,
    SingleCollectionRequest,
)
from horde_sdk.ai_horde_api.apimodels.common import ResponseModelStylesShort, SimpleResponse
from horde_sdk.ai_horde_api.apimodels.styles import ModifyStyleResponse
from horde_sdk.ai_horde_api.consts import MODEL_TYPE
from horde_sdk.ai_horde_api.fields import CollectionID, StyleID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"
COLLECTION_ID = "c0ffee00-0000-4000-8000-000000000001"

COLLECTION_REQUESTS: list[type[HordeRequest]] = [
    AllCollectionsRequest,
    CreateCollectionRequest,
    SingleCollectionRequest,
    ModifyCollectionRequest,
    DeleteCollectionRequest,
    SingleCollectionByNameRequest,
]


def _core() -> RequestCore:
    return RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


WIRE_CASES: list[Any] = [
    pytest.param(
        AllCollectionsRequest(sort="age", page=3, type_="text"),
        "GET",
        "/v2/collections",
        [("page", "3"), ("sort", "age"), ("type", "text")],
        None,
        id="all",
    ),
    pytest.param(AllCollectionsRequest(), "GET", "/v2/collections", [], None, id="all-defaults"),
    pytest.param(
        CreateCollectionRequest(info="Portrait styles I like.", public=False, styles=("moody portraits", "noir")),
        "POST",
        "/v2/collections",
        [],
        {"info": "Portrait styles I like.", "public": False, "styles": ["moody portraits", "noir"]},
        id="create-without-name",
    ),
    pytest.param(
        CreateCollectionRequest(name="portraits", styles=("moody portraits",), apikey="owner-key"),
        "POST",
        "/v2/collections",
        [],
        {"name": "portraits", "styles": ["moody portraits"]},
        id="create",
    ),
    pytest.param(
        SingleCollectionRequest(collection_id=CollectionID(COLLECTION_ID)),
        "GET",
        f"/v2/collections/{COLLECTION_ID}",
        [],
        None,
        id="by-id",
    ),
    pytest.param(
        ModifyCollectionRequest(collection_id=CollectionID(COLLECTION_ID), public=True),
        "PATCH",
        f"/v2/collections/{COLLECTION_ID}",
        [],
        {"public": True},
        id="modify",
    ),
    pytest.param(
        ModifyCollectionRequest(collection_id=CollectionID(COLLECTION_ID), name="renamed"),
        "PATCH",
        f"/v2/collections/{COLLECTION_ID}",
        [],
        {"name": "renamed"},
        id="modify-name",
    ),
    pytest.param(
        DeleteCollectionRequest(collection_id=CollectionID(COLLECTION_ID), apikey="owner-key"),
        "DELETE",
        f"/v2/collections/{COLLECTION_ID}",
        [],
        None,
        id="delete",
    ),
    pytest.param(
        SingleCollectionByNameRequest(collection_name="portraits"),
        "GET",
        "/v2/collection_by_name/portraits",
        [],
        None,
        id="by-name",
    ),
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


def test_the_type_query_field_takes_its_wire_name_too() -> None:
    assert AllCollectionsRequest(type="image") == AllCollectionsRequest(type_="image")  # type: ignore[call-arg]  # the wire name on purpose: accepted at runtime, type checkers know field names


COLLECTION_JSON = {
    "id": COLLECTION_ID,
    "name": "portraits",
    "type": "image",
    "info": "Portrait styles I like.",
    "public": True,
    "styles": [
        {"name": "db0#1::style::moody portraits", "id": "5a3b1c2d-0000-4000-8000-00000000abcd"},
        {"name": "db0#1::style::noir", "id": "5a3b1c2d-0000-4000-8000-00000000abce"},
    ],
    "use_count": 87,
}


@pytest.mark.parametrize(
    ("response_type", "data"),
    [
        pytest.param(CollectionDetailsResponse, COLLECTION_JSON, id="collection"),
        pytest.param(AllCollectionsResponse, [COLLECTION_JSON, {**COLLECTION_JSON, "type": "text"}], id="list"),
        pytest.param(AllCollectionsResponse, [], id="empty-list"),
        pytest.param(ModifyStyleResponse, {"id": COLLECTION_ID, "message": "OK"}, id="created"),
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


def test_collection_answer_fields() -> None:
    collection = CollectionDetailsResponse.model_validate(COLLECTION_JSON)
    assert collection.type_ is MODEL_TYPE.image
    assert collection.styles is not None
    assert collection.styles[0] == ResponseModelStylesShort(
        name="db0#1::style::moody portraits", id_=StyleID("5a3b1c2d-0000-4000-8000-00000000abcd")
    )


def test_unknown_collection_kind_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        collection = CollectionDetailsResponse.model_validate({**COLLECTION_JSON, "type": "audio"})
    assert collection.type_ == "audio"
    assert "audio" in caplog.text


def test_collection_input_bounds() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CreateCollectionRequest(styles=("",))
    with pytest.raises(ValueError, match="at most 100"):
        CreateCollectionRequest(name="n" * 101)


def test_every_collection_operation_of_the_swagger_has_one_request(horde_swagger: dict[str, Any]) -> None:
    operations = {
        (method.upper(), path)
        for path, item in horde_swagger["paths"].items()
        if path.startswith(("/v2/collections", "/v2/collection_by_name"))
        for method in item
        if method != "parameters"
    }
    claimed = [(str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) for cls in COLLECTION_REQUESTS]
    assert sorted(claimed) == sorted(operations)


@pytest.mark.parametrize("request_type", COLLECTION_REQUESTS, ids=lambda cls: cls.__name__)
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
