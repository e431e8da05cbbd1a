"""Image and text styles: wire form of every style request, parsing of realistic answers, swagger agreement."""

from __future__ import annotations

import json
import logging
from http import HTTPMethod, HTTPStatus
from typing import Any

import pytest
from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels import styles
from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.apimodels.styles import (
    AllImageStylesRequest,
    AllImageStylesResponse,
    AllTextStylesRequest,
    AllTextStylesResponse,
    CreateImageStyleExampleRequest,
    CreateImageStyleRequest,
    CreateTextStyleRequest,
    DeleteImageStyleExampleRequest,
    DeleteImageStyleRequest,
    DeleteTextStyleRequest,
    ImageStyleDetailsResponse,
    ImageStyleInputPayload,
    ImageStyleParamsPayload,
    ModifyImageStyleExampleRequest,
    ModifyImageStyleRequest,
    ModifyStyleResponse,
    ModifyTextStyleRequest,
    SingleImageStyleByNameRequest,
    SingleImageStyleRequest,
    SingleTextStyleByNameRequest,
    SingleTextStyleRequest,
    StyleExampleEntry,
    StyleExamplePayload,
    TextStyleDetailsResponse,
    TextStyleInputPayload,
)
from horde_sdk.ai_horde_api.fields import StyleExampleID, StyleID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generation_parameters import KNOWN_IMAGE_POST_PROCESSORS, KNOWN_IMAGE_SAMPLERS, KNOWN_IMAGE_WORKFLOWS
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.decoration import is_unhashable
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"
STYLE_ID = "5a3b1c2d-0000-4000-8000-00000000abcd"
EXAMPLE_ID = "9f8e7d6c-0000-4000-8000-000000001234"


def _core() -> RequestCore:
    return RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


WIRE_CASES: list[Any] = [
    pytest.param(
        AllImageStylesRequest(sort="age", page=2, tag="anime", model="AlbedoBase XL (SDXL)"),
        "GET",
        "/v2/styles/image",
        [("page", "2"), ("sort", "age"), ("tag", "anime"), ("model", "AlbedoBase XL (SDXL)")],
        None,
        id="all-image-styles",
    ),
    pytest.param(AllImageStylesRequest(), "GET", "/v2/styles/image", [], None, id="all-image-styles-defaults"),
    pytest.param(
        CreateImageStyleRequest(
            name="moody portraits",
            info="Dark portraits with rim light.",
            prompt="{p}, moody rim light###blurry, {np}",
            params=ImageStyleParamsPayload(
                sampler_name=KNOWN_IMAGE_SAMPLERS.k_dpmpp_2m, steps=25, width=832, height=1216, karras=True
            ),
            tags=("portrait", "dark"),
            models=("AlbedoBase XL (SDXL)",),
            apikey="owner-key",
        ),
        "POST",
        "/v2/styles/image",
        [],
        {
            "name": "moody portraits",
            "info": "Dark portraits with rim light.",
            "prompt": "{p}, moody rim light###blurry, {np}",
            "params": {"sampler_name": "k_dpmpp_2m", "steps": 25, "width": 832, "height": 1216, "karras": True},
            "tags": ["portrait", "dark"],
            "models": ["AlbedoBase XL (SDXL)"],
        },
        id="create-image-style",
    ),
    pytest.param(
        SingleImageStyleRequest(style_id=StyleID(STYLE_ID)),
        "GET",
        f"/v2/styles/image/{STYLE_ID}",
        [],
        None,
        id="image-by-id",
    ),
    pytest.param(
        ModifyImageStyleRequest(
            style_id=StyleID(STYLE_ID), name="noir", public=False, tags=("noir",), apikey="owner-key"
        ),
        "PATCH",
        f"/v2/styles/image/{STYLE_ID}",
        [],
        {"name": "noir", "public": False, "tags": ["noir"]},
        id="modify-image-style",
    ),
    pytest.param(
        ModifyImageStyleRequest(style_id=StyleID(STYLE_ID), name="renamed"),
        "PATCH",
        f"/v2/styles/image/{STYLE_ID}",
        [],
        {"name": "renamed"},
        id="modify-image-style-name",
    ),
    pytest.param(
        DeleteImageStyleRequest(style_id=StyleID(STYLE_ID), apikey="owner-key"),
        "DELETE",
        f"/v2/styles/image/{STYLE_ID}",
        [],
        None,
        id="delete-image-style",
    ),
    pytest.param(
        CreateImageStyleExampleRequest(style_id=StyleID(STYLE_ID), url="https://example.com/a.webp", primary=True),
        "POST",
        f"/v2/styles/image/{STYLE_ID}/example",
        [],
        {"url": "https://example.com/a.webp", "primary": True},
        id="create-example",
    ),
    pytest.param(
        ModifyImageStyleExampleRequest(
            style_id=StyleID(STYLE_ID), example_id=StyleExampleID(EXAMPLE_ID), primary=False
        ),
        "PATCH",
        f"/v2/styles/image/{STYLE_ID}/example/{EXAMPLE_ID}",
        [],
        {"primary": False},
        id="modify-example",
    ),
    pytest.param(
        DeleteImageStyleExampleRequest(style_id=StyleID(STYLE_ID), example_id=StyleExampleID(EXAMPLE_ID)),
        "DELETE",
        f"/v2/styles/image/{STYLE_ID}/example/{EXAMPLE_ID}",
        [],
        None,
        id="delete-example",
    ),
    pytest.param(
        SingleImageStyleByNameRequest(style_name="db0#1::style::moody portraits"),
        "GET",
        "/v2/styles/image_by_name/db0%231%3A%3Astyle%3A%3Amoody%20portraits",
        [],
        None,
        id="image-by-name",
    ),
    pytest.param(AllTextStylesRequest(tag="rp"), "GET", "/v2/styles/text", [("tag", "rp")], None, id="all-text"),
    pytest.param(
        CreateTextStyleRequest(name="terse narrator", prompt="Narrate briefly: {p}", params={"temperature": 0.7}),  # type: ignore[arg-type]  # a plain mapping: validation builds the payload
        "POST",
        "/v2/styles/text",
        [],
        {"name": "terse narrator", "prompt": "Narrate briefly: {p}", "params": {"temperature": 0.7}},
        id="create-text-style",
    ),
    pytest.param(
        SingleTextStyleRequest(style_id=StyleID(STYLE_ID)),
        "GET",
        f"/v2/styles/text/{STYLE_ID}",
        [],
        None,
        id="text-by-id",
    ),
    pytest.param(
        ModifyTextStyleRequest(style_id=StyleID(STYLE_ID), name="terse", nsfw=True, params={"top_k": 40}),  # type: ignore[arg-type]  # a plain mapping: validation builds the payload
        "PATCH",
        f"/v2/styles/text/{STYLE_ID}",
        [],
        {"name": "terse", "nsfw": True, "params": {"top_k": 40}},
        id="modify-text-style",
    ),
    pytest.param(
        DeleteTextStyleRequest(style_id=StyleID(STYLE_ID)),
        "DELETE",
        f"/v2/styles/text/{STYLE_ID}",
        [],
        None,
        id="delete-text",
    ),
    pytest.param(
        SingleTextStyleByNameRequest(style_name="db0#1::style::terse"),
        "GET",
        "/v2/styles/text_by_name/db0%231%3A%3Astyle%3A%3Aterse",
        [],
        None,
        id="text-by-name",
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
    assert "Client-Agent" in prepared.headers


def test_the_api_key_travels_as_a_header_and_never_in_the_body() -> None:
    prepared = _core().build(DeleteImageStyleRequest(style_id=StyleID(STYLE_ID), apikey="owner-key"))
    assert prepared.headers["apikey"] == "owner-key"
    assert "owner-key" not in repr(DeleteImageStyleRequest(style_id=StyleID(STYLE_ID), apikey="owner-key"))


def test_create_style_defaults_are_the_servers_and_are_not_sent() -> None:
    request = CreateImageStyleRequest(name="plain")
    assert (request.prompt, request.public, request.nsfw) == ("{p}{np}", True, False)
    dumped = request.model_dump(by_alias=True, exclude_unset=True, exclude={"apikey"})
    assert dumped == {"name": "plain"}


def test_style_params_reject_out_of_bounds_and_warn_on_unknown_values(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match="multiple"):
        ImageStyleParamsPayload(width=500)
    with pytest.raises(ValueError, match="less than or equal"):
        ImageStyleParamsPayload(steps=501)
    with pytest.raises(ValueError, match="at least 10"):
        CreateImageStyleRequest(name="x", info="short")
    with pytest.raises(ValueError, match="at most 25"):
        CreateImageStyleRequest(name="x", tags=("t" * 26,))
    with caplog.at_level(logging.WARNING):
        params = ImageStyleParamsPayload(
            sampler_name="k_brand_new", post_processing=("GFPGAN", "NewUpscaler"), workflow="qr_code"
        )
    assert params.sampler_name == "k_brand_new"
    assert params.post_processing == (KNOWN_IMAGE_POST_PROCESSORS.GFPGAN, "NewUpscaler")
    assert params.workflow is KNOWN_IMAGE_WORKFLOWS.qr_code
    assert "k_brand_new" in caplog.text
    assert "NewUpscaler" in caplog.text


IMAGE_STYLE_JSON = {
    "name": "db0#1::style::moody portraits",
    "info": "Dark portraits with rim light.",
    "prompt": "{p}, moody rim light###blurry, {np}",
    "params": {
        "sampler_name": "k_dpmpp_2m",
        "cfg_scale": 6.5,
        "height": 1216,
        "width": 832,
        "steps": 25,
        "karras": True,
        "hires_fix": False,
        "clip_skip": 2,
        "post_processing": ["RealESRGAN_x2plus"],
        "loras": [{"name": "247778", "model": 0.8, "clip": 1.0, "is_version": True}],
        "tis": [{"name": "72437", "inject_ti": "negprompt", "strength": 1.0}],
    },
    "public": True,
    "nsfw": False,
    "tags": ["portrait", "dark"],
    "models": ["AlbedoBase XL (SDXL)"],
    "id": STYLE_ID,
    "use_count": 1342,
    "creator": "db0#1",
    "examples": [{"id": EXAMPLE_ID, "url": "https://example.com/a.webp", "primary": True}],
    "shared_key": {
        "id": "11111111-2222-4333-8444-555555555555",
        "username": "db0#1",
        "name": "styles budget",
        "kudos": 50000,
        "expiry": "2025-07-01T00:00:00",
        "utilized": 1200,
        "max_image_pixels": 1048576,
        "max_image_steps": 40,
        "max_text_tokens": -1,
    },
}

TEXT_STYLE_JSON = {
    "name": "db0#1::style::terse narrator",
    "info": "Narrates in short sentences.",
    "prompt": "Narrate briefly: {p}",
    "params": {"temperature": 0.7, "top_p": 0.9, "rep_pen": 1.1, "stop_sequence": ["\n\n"], "sampler_order": [6, 0]},
    "public": False,
    "nsfw": False,
    "tags": ["rp"],
    "models": ["koboldcpp/Llama-3-8B"],
    "id": STYLE_ID,
    "use_count": 12,
    "creator": "db0#1",
}

MODIFY_JSON = {
    "id": STYLE_ID,
    "message": "OK",
    "warnings": [{"code": "StepsTooMany", "message": "The steps of this style exceed what its models need."}],
}

RESPONSE_CASES: list[Any] = [
    pytest.param(ImageStyleDetailsResponse, IMAGE_STYLE_JSON, id="image-style"),
    pytest.param(AllImageStylesResponse, [IMAGE_STYLE_JSON, {"name": "x::style::bare"}], id="image-style-list"),
    pytest.param(TextStyleDetailsResponse, TEXT_STYLE_JSON, id="text-style"),
    pytest.param(AllTextStylesResponse, [TEXT_STYLE_JSON], id="text-style-list"),
    pytest.param(ModifyStyleResponse, MODIFY_JSON, id="modify"),
    pytest.param(ModifyStyleResponse, {"id": STYLE_ID, "message": "OK"}, id="modify-no-warnings"),
]


@pytest.mark.parametrize(("response_type", "data"), RESPONSE_CASES)
def test_realistic_answers_parse_strictly_and_round_trip(response_type: Any, data: Any) -> None:
    parsed = response_type.model_validate_json(json.dumps(data))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == data
    again = response_type.model_validate(dumped)
    assert again == parsed
    if not is_unhashable(response_type):
        assert hash(again) == hash(parsed)


def test_image_style_answer_exposes_nested_models() -> None:
    style = ImageStyleDetailsResponse.model_validate(IMAGE_STYLE_JSON)
    assert isinstance(style, ImageStyleInputPayload)
    assert style.id_ == STYLE_ID
    assert style.params is not None
    assert style.params.sampler_name is KNOWN_IMAGE_SAMPLERS.k_dpmpp_2m
    assert style.params.loras is not None
    assert style.params.loras[0].is_version is True
    assert style.examples == (
        StyleExampleEntry(id_=StyleExampleID(EXAMPLE_ID), url="https://example.com/a.webp", primary=True),
    )
    assert isinstance(style.examples[0], StyleExamplePayload)
    assert style.shared_key is not None
    assert style.shared_key.max_text_tokens == -1
    assert isinstance(TextStyleDetailsResponse.model_validate(TEXT_STYLE_JSON), TextStyleInputPayload)


def test_a_style_id_must_be_a_uuid_long() -> None:
    with pytest.raises(ValueError, match="at least 36"):
        ImageStyleDetailsResponse.model_validate({"name": "x", "id": "short"})


def test_answers_reject_undeclared_fields_in_strict_mode() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        ModifyStyleResponse.model_validate({"id": STYLE_ID, "surprise": 1})


def test_requests_are_frozen_hashable_and_reject_unknown_fields() -> None:
    request = ModifyTextStyleRequest(style_id=StyleID(STYLE_ID), name="a", tags=("a",))
    assert hash(request) == hash(ModifyTextStyleRequest(style_id=StyleID(STYLE_ID), name="a", tags=("a",)))
    with pytest.raises(ValueError, match="frozen"):
        request.nsfw = True  # type: ignore[misc]  # assigning to a frozen model on purpose: the error under test
    with pytest.raises(ValueError, match="Extra inputs"):
        ModifyTextStyleRequest(style_id=StyleID(STYLE_ID), name="a", colour="red")  # type: ignore[call-arg]  # an unknown field on purpose: the error under test


@pytest.mark.parametrize("request_type", [ModifyImageStyleRequest, ModifyTextStyleRequest])
def test_a_style_change_without_a_name_is_refused_before_sending(request_type: Any) -> None:
    """The server answers 400 to a style PATCH without `name` (BEHAVIOUR.md): the model refuses it first."""
    with pytest.raises(ValidationError, match="name\\n  Field required"):
        request_type(style_id=STYLE_ID, public=False)


@pytest.mark.parametrize("missing", ["primary", "url"])
def test_a_new_style_example_needs_its_url_and_primary(missing: str) -> None:
    """The server answers 400 to an example POST without `primary` (BEHAVIOUR.md): the model refuses it first."""
    arguments: dict[str, Any] = {"style_id": STYLE_ID, "url": "https://example.com/a.webp", "primary": False}
    del arguments[missing]
    with pytest.raises(ValidationError, match=f"{missing}\\n  Field required"):
        CreateImageStyleExampleRequest(**arguments)
    # Changing an example still needs neither.
    assert (
        ModifyImageStyleExampleRequest(style_id=StyleID(STYLE_ID), example_id=StyleExampleID("e" * 36)).primary is None
    )


STYLE_REQUESTS: list[type[HordeRequest]] = [
    AllImageStylesRequest,
    CreateImageStyleRequest,
    SingleImageStyleRequest,
    ModifyImageStyleRequest,
    DeleteImageStyleRequest,
    CreateImageStyleExampleRequest,
    ModifyImageStyleExampleRequest,
    DeleteImageStyleExampleRequest,
    SingleImageStyleByNameRequest,
    AllTextStylesRequest,
    CreateTextStyleRequest,
    SingleTextStyleRequest,
    ModifyTextStyleRequest,
    DeleteTextStyleRequest,
    SingleTextStyleByNameRequest,
]


def test_every_style_operation_of_the_swagger_has_one_request(horde_swagger: dict[str, Any]) -> None:
    operations = {
        (method.upper(), path)
        for path, item in horde_swagger["paths"].items()
        if path.startswith("/v2/styles/")
        for method in item
        if method != "parameters"
    }
    claimed = [(str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) for cls in STYLE_REQUESTS]
    assert sorted(claimed) == sorted(operations)
    exported = {getattr(styles, name) for name in styles.__all__}
    assert set(STYLE_REQUESTS) <= exported


@pytest.mark.parametrize("request_type", STYLE_REQUESTS, ids=lambda cls: cls.__name__)
def test_success_answers_match_the_swagger(request_type: type[HordeRequest], horde_swagger: dict[str, Any]) -> None:
    operation = horde_swagger["paths"][str(request_type.get_api_endpoint_subpath())][
        str(request_type.get_http_method()).lower()
    ]
    codes = {int(code) for code in operation["responses"] if code.startswith("2")}
    pairs = request_type.get_success_status_response_pairs()
    assert {int(code) for code in pairs} == codes
    for answer in pairs.values():
        schema = operation["responses"]["200"]["schema"]
        expected = schema["items"]["$ref"] if schema.get("type") == "array" else schema["$ref"]
        if schema.get("type") == "array":
            assert answer.get_api_model_name() == "_ANONYMOUS_MODEL"
        else:
            assert answer.get_api_model_name() == expected.rsplit("/", 1)[-1]
    body = [parameter for parameter in operation["parameters"] if parameter["in"] == "body"]
    if body:
        assert request_type.get_api_model_name() == body[0]["schema"]["$ref"].rsplit("/", 1)[-1]
    else:
        assert request_type.get_api_model_name() is None


def test_deletions_answer_with_a_simple_response() -> None:
    for request_type in (DeleteImageStyleRequest, DeleteImageStyleExampleRequest, DeleteTextStyleRequest):
        assert request_type.get_default_success_response_type() is SimpleResponse
        assert request_type.get_http_method() is HTTPMethod.DELETE
        assert request_type.get_success_status_response_pairs() == {HTTPStatus.OK: SimpleResponse}
