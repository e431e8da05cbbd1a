"""Text generation as a client uses it: async submission, status and cancel (there is no text check)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels import (
    DeleteTextGenerateRequest,
    GenerateAsyncDryRunResponse,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateStatusRequest,
    TextGenerateStatusResponse,
    TextGenerationInputPayload,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, METADATA_TYPE, METADATA_VALUE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generation_parameters import (
    KNOWN_TEXT_FORMATTING_OPTIONS,
    ExtraSourceImageEntry,
    TextGenerationParameters,
)
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import FollowUpTracker, PreparedRequest, RawResponse, RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

JOB_ID = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
WORKER_ID = "a1b2c3d4-e5f6-4789-8abc-def012345678"


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


def _status(done: bool, finished: int = 1) -> bytes:
    generations = (
        b'[{"worker_id": "' + WORKER_ID.encode() + b'", "worker_name": "koboldcpp-box", '
        b'"model": "koboldcpp/Mistral-7B-Instruct", "state": "ok", "text": " and the sea was calm.", "seed": 0, '
        b'"gen_metadata": []}]'
        if finished
        else b"[]"
    )
    return (
        b'{"finished": ' + str(finished).encode() + b', "processing": 0, "restarted": 0, "waiting": 0, '
        b'"done": ' + (b"true" if done else b"false") + b', "faulted": false, "wait_time": 0, '
        b'"queue_position": 0, "kudos": 6.0, "is_possible": true, "generations": ' + generations + b"}"
    )


def test_async_request_builds_the_body():
    request = TextGenerateAsyncRequest(
        prompt="Once upon a time",
        params=TextGenerationInputPayload(n=1, max_length=120, max_context_length=4096, temperature=0.8),
        models=("koboldcpp/Mistral-7B-Instruct",),
        apikey="k",
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/generate/text/async")
    assert prepared.headers["apikey"] == "k"
    assert prepared.json_body == {
        "prompt": "Once upon a time",
        "params": {"n": 1, "max_length": 120, "max_context_length": 4096, "temperature": 0.8},
        "models": ["koboldcpp/Mistral-7B-Instruct"],
    }
    with pytest.raises(ValidationError):
        TextGenerationInputPayload(max_length=8)


def test_there_is_no_text_check_endpoint():
    assert not any("text/check" in member.value for member in AI_HORDE_API_ENDPOINT_SUBPATH)


def test_async_202_is_cleaned_up_with_the_text_cancel():
    request = TextGenerateAsyncRequest(prompt="Once upon a time")
    response = _parse(request, 202, b'{"id": "' + JOB_ID.encode() + b'", "kudos": 6.0}')
    assert isinstance(response, TextGenerateAsyncResponse)
    assert response.get_follow_up_key() == JOB_ID
    (cleanup,) = response.get_follow_up_failure_cleanup_requests()
    assert isinstance(cleanup, DeleteTextGenerateRequest)
    prepared = _build(cleanup)
    assert (prepared.method, prepared.url) == ("DELETE", f"https://aihorde.net/api/v2/generate/text/status/{JOB_ID}")
    assert type(response).model_validate(response.model_dump(by_alias=True)) == response


def test_dry_run_needs_no_follow_up():
    request = TextGenerateAsyncRequest(prompt="x", dry_run=True)
    response = _parse(request, 200, b'{"kudos": 3.0}')
    assert isinstance(response, GenerateAsyncDryRunResponse)
    tracker = FollowUpTracker()
    tracker.observe(request, response)
    assert tracker.pending_keys == ()


def test_status_parses_every_field():
    response = _parse(TextGenerateStatusRequest(id_=JobID(JOB_ID)), 200, _status(done=True))
    assert isinstance(response, TextGenerateStatusResponse)
    assert response.done is True
    assert response.kudos == 6.0
    assert response.generations is not None
    (generation,) = response.generations
    assert generation.text == " and the sea was calm."
    assert generation.seed == 0
    assert generation.state == GENERATION_STATE.ok
    assert type(response).model_validate(response.model_dump(by_alias=True)) == response
    censored = _status(done=True).replace(
        b'"gen_metadata": []', b'"gen_metadata": [{"type": "censorship", "value": "csam"}]'
    )
    parsed = _parse(TextGenerateStatusRequest(id_=JobID(JOB_ID)), 200, censored)
    assert isinstance(parsed, TextGenerateStatusResponse)
    assert parsed.generations is not None
    assert parsed.generations[0].gen_metadata is not None
    entry = parsed.generations[0].gen_metadata[0]
    assert (entry.type_, entry.value) == (METADATA_TYPE.censorship, METADATA_VALUE.csam)


def test_cancelled_text_request_that_keeps_saying_not_done_is_still_settled():
    tracker = FollowUpTracker()
    submit = TextGenerateAsyncRequest(prompt="x")
    tracker.observe(submit, _parse(submit, 202, b'{"id": "' + JOB_ID.encode() + b'", "kudos": 6.0}'))
    status = TextGenerateStatusRequest(id_=JobID(JOB_ID))
    tracker.observe(status, _parse(status, 200, _status(done=False, finished=0)))
    assert list(tracker.pending_keys) == [JOB_ID]  # a list: mypy would keep a narrowed tuple past observe()
    cancel = DeleteTextGenerateRequest(id_=JobID(JOB_ID))
    answer = _parse(cancel, 200, _status(done=False, finished=0))
    assert isinstance(answer, TextGenerateStatusResponse)
    assert answer.done is False
    tracker.observe(cancel, answer)
    assert tracker.pending_keys == ()
    # and a later status still saying done: false does not resurrect it
    tracker.observe(status, _parse(status, 200, _status(done=False, finished=0)))
    assert tracker.pending_keys == ()


def test_done_status_settles_the_follow_up():
    tracker = FollowUpTracker()
    submit = TextGenerateAsyncRequest(prompt="x")
    tracker.observe(submit, _parse(submit, 202, b'{"id": "' + JOB_ID.encode() + b'", "kudos": 6.0}'))
    status = TextGenerateStatusRequest(id_=JobID(JOB_ID))
    tracker.observe(status, _parse(status, 200, _status(done=True)))
    assert tracker.pending_keys == ()


def test_request_from_text_generation_parameters():
    parameters = TextGenerationParameters(
        model="koboldcpp/Mistral-7B-Instruct",
        prompt="Once upon a time",
        max_length=200,
        max_context_length=4096,
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        rep_pen=1.1,
        sampler_order=(6, 0, 1, 3, 4, 2, 5),
        stop_sequences=("\nUser:",),
        formatting_options=(
            KNOWN_TEXT_FORMATTING_OPTIONS.trim_incomplete_sentences,
            KNOWN_TEXT_FORMATTING_OPTIONS.single_line,
        ),
        batch_size=2,
        min_p=0.05,
        extra_source_images=(ExtraSourceImageEntry(image=b"webp-bytes"),),
    )
    request = TextGenerateAsyncRequest.from_generation_parameters(parameters, softprompt="sp1", trusted_workers=True)
    body = _build(request).json_body
    assert body["prompt"] == "Once upon a time"
    assert body["models"] == ["koboldcpp/Mistral-7B-Instruct"]
    assert body["softprompt"] == "sp1"
    assert body["trusted_workers"] is True
    assert body["extra_source_images"] == [{"image": "d2VicC1ieXRlcw==", "strength": 1.0}]
    params = body["params"]
    assert params["n"] == 2
    assert (params["max_length"], params["max_context_length"]) == (200, 4096)
    assert (params["temperature"], params["top_p"], params["top_k"], params["rep_pen"]) == (0.7, 0.9, 40, 1.1)
    assert params["sampler_order"] == [6, 0, 1, 3, 4, 2, 5]
    assert params["stop_sequence"] == ["\nUser:"]
    assert params["frmttriminc"] is True
    assert params["singleline"] is True
    assert "frmtadsnsp" not in params
    assert params["min_p"] == 0.05
    assert "top_a" not in params


def test_request_from_parameters_refuses_values_outside_the_api_bounds():
    with pytest.raises(ValidationError):
        TextGenerateAsyncRequest.from_generation_parameters(TextGenerationParameters(prompt="x", max_length=4))
    with pytest.raises(ValueError, match="formatting option"):
        TextGenerateAsyncRequest.from_generation_parameters(
            TextGenerationParameters(prompt="x", formatting_options=("shout",))
        )
