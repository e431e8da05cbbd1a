"""Alchemy as a client uses it: async submission, status with per-form state and results, cancel."""

from __future__ import annotations

import base64

import pytest

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    AlchemyFormEntry,
    AlchemyFormPayload,
    AlchemyStatusRequest,
    AlchemyStatusResponse,
    DeleteAlchemyRequest,
)
from horde_sdk.ai_horde_api.consts import ALCHEMY_FORM_STATE, ALCHEMY_REQUEST_STATE
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generation_parameters import (
    KNOWN_ALCHEMY_FORMS,
    AlchemyParameters,
    CaptionAlchemyParameters,
    FacefixAlchemyParameters,
    UpscaleAlchemyParameters,
)
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import FollowUpTracker, PreparedRequest, RawResponse, RequestCore
from horde_sdk.generic_api.decoration import is_unequatable, is_unhashable
from horde_sdk.generic_api.settings import HordeClientSettings

JOB_ID = "c0ffee00-1234-4abc-9def-0123456789ab"


def _core() -> RequestCore:
    return RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


def _build(request: HordeRequest) -> PreparedRequest:
    return _core().build(request)


def _parse(request: HordeRequest, status: int, body: bytes) -> HordeResponse:
    core = _core()
    return core.parse(request, core.build(request), RawResponse(status, {}, body))


STATUS_PROCESSING = b"""{"state": "processing", "forms": [
  {"form": "caption", "state": "done", "result": {"caption": "a cat sleeping on a red sofa"}},
  {"form": "RealESRGAN_x2plus", "state": "processing"},
  {"form": "nsfw", "state": "waiting"}]}"""
STATUS_DONE = b"""{"state": "done", "forms": [
  {"form": "caption", "state": "done", "result": {"caption": "a cat sleeping on a red sofa"}},
  {"form": "RealESRGAN_x2plus", "state": "done",
   "result": {"RealESRGAN_x2plus": "https://r2.example.com/abc.webp?X-Amz-Signature=s"}},
  {"form": "nsfw", "state": "done", "result": {"nsfw": false}}]}"""
STATUS_PARTIAL = b"""{"state": "partial", "forms": [
  {"form": "caption", "state": "done", "result": {"caption": "a cat"}},
  {"form": "RealESRGAN_x2plus", "state": "cancelled"}]}"""


def test_async_request_builds_the_body():
    request = AlchemyAsyncRequest(
        forms=(
            AlchemyFormEntry(name="caption"),
            AlchemyFormEntry(name="RealESRGAN_x2plus"),
            AlchemyFormEntry(name="interrogation", payload=AlchemyFormPayload({"mode": "fast"})),
        ),
        source_image="https://example.com/cat.webp",
        slow_workers=False,
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/interrogate/async")
    assert prepared.json_body == {
        "forms": [
            {"name": "caption"},
            {"name": "RealESRGAN_x2plus"},
            {"name": "interrogation", "payload": {"mode": "fast"}},
        ],
        "source_image": "https://example.com/cat.webp",
        "slow_workers": False,
    }
    assert is_unhashable(AlchemyAsyncRequest)
    assert is_unequatable(AlchemyAsyncRequest)


def test_request_from_alchemy_parameters():
    parameters = AlchemyParameters(
        source_image=b"webp",
        forms=(
            CaptionAlchemyParameters(),
            UpscaleAlchemyParameters(upscaler="4x_AnimeSharp"),
            FacefixAlchemyParameters(facefixer="CodeFormers"),
        ),
    )
    request = AlchemyAsyncRequest.from_generation_parameters(parameters, slow_workers=True)
    body = _build(request).json_body
    assert body == {
        "forms": [{"name": "caption"}, {"name": "4x_AnimeSharp"}, {"name": "CodeFormers"}],
        "source_image": base64.b64encode(b"webp").decode(),
        "slow_workers": True,
    }
    assert request.forms is not None
    assert request.forms[0].name == KNOWN_ALCHEMY_FORMS.caption


def test_async_202_is_cleaned_up_with_the_alchemy_cancel():
    request = AlchemyAsyncRequest(forms=(AlchemyFormEntry(name="caption"),), source_image="https://e.com/x.webp")
    assert set(request.get_success_status_response_pairs()) == {202}
    response = _parse(request, 202, b'{"id": "' + JOB_ID.encode() + b'", "message": "Interrogation queued."}')
    assert isinstance(response, AlchemyAsyncResponse)
    assert response.get_follow_up_key() == JOB_ID
    (cleanup,) = response.get_follow_up_failure_cleanup_requests()
    assert isinstance(cleanup, DeleteAlchemyRequest)
    prepared = _build(cleanup)
    assert (prepared.method, prepared.url) == ("DELETE", f"https://aihorde.net/api/v2/interrogate/status/{JOB_ID}")
    assert type(response).model_validate(response.model_dump(by_alias=True)) == response
    hash(response)


def test_status_has_an_overall_state_and_a_state_and_result_per_form():
    response = _parse(AlchemyStatusRequest(id_=JobID(JOB_ID)), 200, STATUS_DONE)
    assert isinstance(response, AlchemyStatusResponse)
    assert response.state == ALCHEMY_REQUEST_STATE.done
    assert response.is_done()
    assert response.forms is not None
    assert [form.state for form in response.forms] == [ALCHEMY_FORM_STATE.done] * 3
    assert response.forms[0].result is not None
    assert response.forms[0].result.root == {"caption": "a cat sleeping on a red sofa"}
    assert response.get_results() == {
        "caption": "a cat sleeping on a red sofa",
        "RealESRGAN_x2plus": "https://r2.example.com/abc.webp?X-Amz-Signature=s",
        "nsfw": False,
    }
    assert type(response).model_validate(response.model_dump(by_alias=True)) == response
    assert is_unhashable(AlchemyStatusResponse)


def test_follow_up_settles_when_done_and_on_cancel():
    tracker = FollowUpTracker()
    submit = AlchemyAsyncRequest(forms=(AlchemyFormEntry(name="caption"),), source_image="https://e.com/x.webp")
    accepted = b'{"id": "' + JOB_ID.encode() + b'"}'
    tracker.observe(submit, _parse(submit, 202, accepted))
    status = AlchemyStatusRequest(id_=JobID(JOB_ID))
    tracker.observe(status, _parse(status, 200, STATUS_PROCESSING))
    assert list(tracker.pending_keys) == [JOB_ID]  # a list: mypy would keep a narrowed tuple past observe()
    tracker.observe(status, _parse(status, 200, STATUS_DONE))
    assert tracker.pending_keys == ()

    tracker.observe(submit, _parse(submit, 202, accepted))
    cancel = DeleteAlchemyRequest(id_=JobID(JOB_ID))
    cancelled = _parse(cancel, 200, STATUS_PARTIAL)
    assert isinstance(cancelled, AlchemyStatusResponse)
    assert cancelled.state == ALCHEMY_REQUEST_STATE.partial
    assert cancelled.forms is not None
    assert cancelled.forms[1].state == ALCHEMY_FORM_STATE.cancelled
    tracker.observe(cancel, cancelled)
    assert tracker.pending_keys == ()


def test_unknown_states_and_forms_are_kept():
    body = b'{"state": "shimmering", "forms": [{"form": "sketchify", "state": "glowing"}]}'
    response = _parse(AlchemyStatusRequest(id_=JobID(JOB_ID)), 200, body)
    assert isinstance(response, AlchemyStatusResponse)
    assert response.state == "shimmering"
    assert response.forms is not None
    assert (response.forms[0].form, response.forms[0].state) == ("sketchify", "glowing")
    assert not response.is_done()


@pytest.mark.parametrize("request_type", [AlchemyStatusRequest, DeleteAlchemyRequest])
def test_status_requests_are_bodyless(request_type):
    prepared = _build(request_type(id=JOB_ID))
    assert prepared.url == f"https://aihorde.net/api/v2/interrogate/status/{JOB_ID}"
    assert prepared.json_body is None
