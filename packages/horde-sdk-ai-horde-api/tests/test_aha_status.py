"""Status, stats and documents: wire form of every request, parsing of realistic answers, hashing."""

from __future__ import annotations

import json
import logging
from http import HTTPMethod, HTTPStatus
from typing import Any
from urllib.parse import quote

import pytest

from horde_sdk.ai_horde_api.apimodels.documents import (
    KNOWN_DOCUMENT_FORMAT,
    HordeDocumentResponse,
    PrivacyPolicyRequest,
    SponsorsRequest,
    TermsRequest,
)
from horde_sdk.ai_horde_api.apimodels.stats import (
    ImageStatsModelsRequest,
    ImageStatsModelsResponse,
    ImageStatsTotalsRequest,
    ImageStatsTotalsResponse,
    TextStatsModelsRequest,
    TextStatsModelsResponse,
    TextStatsTotalsRequest,
    TextStatsTotalsResponse,
)
from horde_sdk.ai_horde_api.apimodels.status import (
    ActiveModel,
    ActiveModelLite,
    AllActiveModelsRequest,
    AllActiveModelsResponse,
    HordeHeartbeatRequest,
    HordeHeartbeatResponse,
    HordeModesRequest,
    HordeModesResponse,
    HordePerformanceRequest,
    HordePerformanceResponse,
    ModifyHordeModesRequest,
    NewsRequest,
    NewsResponse,
    SingleActiveModelRequest,
    SingleActiveModelResponse,
)
from horde_sdk.ai_horde_api.consts import MODEL_STATE, MODEL_TYPE
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL
from horde_sdk.generic_api.core import PreparedRequest, RequestCore
from horde_sdk.generic_api.decoration import is_unequatable, is_unhashable
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
    pytest.param(HordeHeartbeatRequest(), "GET", "/v2/status/heartbeat", [], None, id="heartbeat"),
    pytest.param(AllActiveModelsRequest(), "GET", "/v2/status/models", [], None, id="models-defaults"),
    pytest.param(
        AllActiveModelsRequest(type_=MODEL_TYPE.text, min_count=2, max_count=40, model_state=MODEL_STATE.known),
        "GET",
        "/v2/status/models",
        [("max_count", "40"), ("min_count", "2"), ("model_state", "known"), ("type", "text")],
        None,
        id="models-filtered",
    ),
    pytest.param(
        SingleActiveModelRequest(model_name="AlbedoBase XL (SDXL)"),
        "GET",
        "/v2/status/models/AlbedoBase XL (SDXL)",
        [],
        None,
        id="model-by-name",
    ),
    pytest.param(HordeModesRequest(apikey="admin-key"), "GET", "/v2/status/modes", [], None, id="modes"),
    pytest.param(
        ModifyHordeModesRequest(maintenance_mode=True, apikey="admin-key"),
        "PUT",
        "/v2/status/modes",
        [],
        {"maintenance_mode": True},
        id="modify-modes",
    ),
    pytest.param(NewsRequest(), "GET", "/v2/status/news", [], None, id="news"),
    pytest.param(HordePerformanceRequest(), "GET", "/v2/status/performance", [], None, id="performance"),
    pytest.param(ImageStatsModelsRequest(), "GET", "/v2/stats/img/models", [], None, id="img-models"),
    pytest.param(
        ImageStatsModelsRequest(model_state="custom"),
        "GET",
        "/v2/stats/img/models",
        [("model_state", "custom")],
        None,
        id="img-models-custom",
    ),
    pytest.param(ImageStatsTotalsRequest(), "GET", "/v2/stats/img/totals", [], None, id="img-totals"),
    pytest.param(TextStatsModelsRequest(), "GET", "/v2/stats/text/models", [], None, id="text-models"),
    pytest.param(TextStatsTotalsRequest(), "GET", "/v2/stats/text/totals", [], None, id="text-totals"),
    pytest.param(PrivacyPolicyRequest(), "GET", "/v2/documents/privacy", [], None, id="privacy"),
    pytest.param(
        SponsorsRequest(format_=KNOWN_DOCUMENT_FORMAT.markdown),
        "GET",
        "/v2/documents/sponsors",
        [("format", "markdown")],
        None,
        id="sponsors-markdown",
    ),
    pytest.param(
        TermsRequest(format_="html"), "GET", "/v2/documents/terms", [("format", "html")], None, id="terms-html"
    ),
]


@pytest.mark.parametrize(("request_model", "method", "path", "params", "body"), WIRE_CASES)
def test_request_wire_form(
    request_model: HordeRequest, method: str, path: str, params: list[tuple[str, str]], body: Any
) -> None:
    prepared = _build(request_model)
    assert prepared.method == method
    assert prepared.url == API + quote(path, safe="/")
    assert sorted(prepared.params) == sorted(params)
    assert prepared.json_body == body
    assert "Client-Agent" in prepared.headers
    if getattr(request_model, "apikey", None):
        assert prepared.headers["apikey"] == "admin-key"
    assert "X-Fields" not in prepared.headers


def test_modes_change_is_idempotent_and_reads_are_too() -> None:
    assert ModifyHordeModesRequest().is_idempotent()
    assert HordeModesRequest().is_idempotent()
    assert ModifyHordeModesRequest.get_api_model_name() == _ANONYMOUS_MODEL
    assert ModifyHordeModesRequest.get_http_method() is HTTPMethod.PUT


def test_unknown_model_type_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        request = AllActiveModelsRequest(type_="video")
    assert request.type_ == "video"
    assert any("video" in record.getMessage() for record in caplog.records)
    assert _build(request).params == [("type", "video")]


def test_known_values_become_enum_members() -> None:
    assert AllActiveModelsRequest(model_state="all").model_state is MODEL_STATE.all
    assert PrivacyPolicyRequest(format_="markdown").format_ is KNOWN_DOCUMENT_FORMAT.markdown


# ------------------------------------------------------------------------------------------ responses
ACTIVE_MODELS = [
    {
        "name": "AlbedoBase XL (SDXL)",
        "count": 23,
        "performance": 1187432.6,
        "queued": 41943040.0,
        "jobs": 37.0,
        "eta": 52,
        "type": "image",
    },
    {
        "name": "koboldcpp/L3-8B-Stheno-v3.2",
        "count": 4,
        "performance": 14.8,
        "queued": 3600.0,
        "jobs": 12.0,
        "eta": 61,
        "type": "text",
    },
]
PERFORMANCE = {
    "queued_requests": 148,
    "queued_text_requests": 21,
    "worker_count": 97,
    "text_worker_count": 44,
    "thread_count": 121,
    "text_thread_count": 52,
    "queued_megapixelsteps": 2431.7,
    "past_minute_megapixelsteps": 1893.2,
    "queued_forms": 3.0,
    "interrogator_count": 6,
    "interrogator_thread_count": 9,
    "queued_tokens": 61440.0,
    "past_minute_tokens": 28733.0,
}
NEWS = [
    {
        "date_published": "2024-11-02",
        "newspiece": "Workers can now serve **Flux** models.",
        "importance": "Information",
        "tags": ["flux", "workers"],
        "title": "Flux support",
        "more_info_urls": ["https://example.com/flux"],
    }
]
IMG_TOTALS = {
    period: {"images": images, "ps": images * 1_310_720}
    for period, images in (("minute", 410), ("hour", 24_310), ("day", 590_113), ("month", 17_204_551))
} | {"total": {"images": 512_004_388, "ps": 9_203_441_112_004}}
TXT_TOTALS = {
    period: {"requests": requests, "tokens": requests * 190}
    for period, requests in (
        ("minute", 96),
        ("hour", 5_102),
        ("day", 120_033),
        ("month", 3_506_117),
        ("total", 91_002),
    )
}

RESPONSE_CASES: list[Any] = [
    pytest.param(HordeHeartbeatResponse, {"message": "OK", "version": "5.1.5"}, id="heartbeat"),
    pytest.param(AllActiveModelsResponse, ACTIVE_MODELS, id="models"),
    pytest.param(SingleActiveModelResponse, ACTIVE_MODELS[:1], id="model-by-name"),
    pytest.param(SingleActiveModelResponse, [], id="model-by-name-unserved"),
    pytest.param(
        HordeModesResponse, {"maintenance_mode": False, "invite_only_mode": False, "raid_mode": True}, id="modes"
    ),
    pytest.param(NewsResponse, NEWS, id="news"),
    pytest.param(HordePerformanceResponse, PERFORMANCE, id="performance"),
    pytest.param(
        ImageStatsModelsResponse,
        {
            "day": {"AlbedoBase XL (SDXL)": 61_022, "Deliberate": 12_004},
            "month": {"AlbedoBase XL (SDXL)": 1_820_334, "Deliberate": 402_118},
            "total": {"AlbedoBase XL (SDXL)": 9_102_443, "Deliberate": 20_551_780},
        },
        id="img-models",
    ),
    pytest.param(ImageStatsTotalsResponse, IMG_TOTALS, id="img-totals"),
    pytest.param(
        TextStatsModelsResponse,
        {"day": {"koboldcpp/L3-8B-Stheno-v3.2": 3_302}, "month": {}, "total": {"koboldcpp/L3-8B-Stheno-v3.2": 90_210}},
        id="text-models",
    ),
    pytest.param(TextStatsTotalsResponse, TXT_TOTALS, id="text-totals"),
    pytest.param(HordeDocumentResponse, {"html": "<h1>Terms</h1><p>Be nice.</p>"}, id="document-html"),
    pytest.param(HordeDocumentResponse, {"markdown": "# Privacy\n\nWe keep little."}, id="document-markdown"),
]


@pytest.mark.parametrize(("response_type", "data"), RESPONSE_CASES)
def test_response_parses_strictly_and_round_trips(response_type: type[Any], data: Any) -> None:
    parsed = response_type.model_validate_json(json.dumps(data))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped == data
    again = response_type.model_validate(dumped)
    if is_unequatable(response_type):
        assert again.model_dump(by_alias=True) == parsed.model_dump(by_alias=True)
    else:
        assert again == parsed
    if is_unhashable(response_type):
        with pytest.raises(TypeError):
            hash(parsed)
    else:
        assert hash(again) == hash(parsed)


def test_response_models_reject_unknown_fields_in_tests() -> None:
    with pytest.raises(ValueError, match="extra"):
        HordePerformanceResponse.model_validate({**PERFORMANCE, "surprise": 1})


def test_active_model_extends_the_lite_form() -> None:
    parsed = AllActiveModelsResponse.model_validate(ACTIVE_MODELS)
    first = parsed.root[0]
    assert isinstance(first, ActiveModelLite)
    assert isinstance(first, ActiveModel)
    assert first.type_ is MODEL_TYPE.image
    assert first.eta == 52
    assert parsed.root[1].type_ is MODEL_TYPE.text


def test_totals_nest_their_periods() -> None:
    totals = ImageStatsTotalsResponse.model_validate(IMG_TOTALS)
    assert totals.total is not None
    assert totals.total.images == 512_004_388
    text = TextStatsTotalsResponse.model_validate(TXT_TOTALS)
    assert text.minute is not None
    assert text.minute.tokens == 96 * 190


REQUEST_RESPONSES: list[tuple[type[HordeRequest], type[HordeResponse]]] = [
    (HordeHeartbeatRequest, HordeHeartbeatResponse),
    (AllActiveModelsRequest, AllActiveModelsResponse),
    (SingleActiveModelRequest, SingleActiveModelResponse),
    (HordeModesRequest, HordeModesResponse),
    (ModifyHordeModesRequest, HordeModesResponse),
    (NewsRequest, NewsResponse),
    (HordePerformanceRequest, HordePerformanceResponse),
    (ImageStatsModelsRequest, ImageStatsModelsResponse),
    (ImageStatsTotalsRequest, ImageStatsTotalsResponse),
    (TextStatsModelsRequest, TextStatsModelsResponse),
    (TextStatsTotalsRequest, TextStatsTotalsResponse),
    (PrivacyPolicyRequest, HordeDocumentResponse),
    (SponsorsRequest, HordeDocumentResponse),
    (TermsRequest, HordeDocumentResponse),
]


@pytest.mark.parametrize(("request_type", "response_type"), REQUEST_RESPONSES, ids=lambda c: c.__name__)
def test_each_request_answers_with_its_response(
    request_type: type[HordeRequest], response_type: type[HordeResponse]
) -> None:
    assert request_type.get_success_status_response_pairs() == {HTTPStatus.OK: response_type}
    assert request_type.get_api_model_name() in (None, _ANONYMOUS_MODEL)


def test_requests_are_hashable_and_equatable() -> None:
    assert AllActiveModelsRequest(type_="image") == AllActiveModelsRequest(type_="image")
    assert hash(AllActiveModelsRequest(type_="image")) == hash(AllActiveModelsRequest(type_="image"))
    assert hash(TermsRequest(format_="markdown")) == hash(TermsRequest(format_="markdown"))
    assert hash(ModifyHordeModesRequest(raid_mode=True)) == hash(ModifyHordeModesRequest(raid_mode=True))
