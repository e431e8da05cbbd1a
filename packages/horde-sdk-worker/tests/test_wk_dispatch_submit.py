"""AI Horde dispatch: submit requests of finished and faulted generations, checked on the wire.

The expectations follow the real server (shared/ai_horde/BEHAVIOUR.md): image submits need `seed` (even
faulted ones); `generation: "R2"` after a PUT to the presigned URL, base64 accepted; a faulted submit is
`state: "faulted"`; alchemy `result` is an object keyed by the form's name.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobPopResponse,
    AlchemyJobSubmitRequest,
    ImageGenerateJobPopResponse,
    ImageGenerateJobSubmitRequest,
    TextGenerateJobSubmitRequest,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, METADATA_TYPE, METADATA_VALUE, WORKER_TYPE
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.core import RawResponse, RequestCore, TransportFailure
from horde_sdk.generic_api.settings import HordeClientSettings
from horde_sdk.worker.dispatch import DispatchedJob, DispatchFault
from horde_sdk.worker.dispatch.ai_horde import (
    FAULTED_IMAGE_SEED,
    R2_UPLOAD_CONTENT_TYPE,
    R2UploadError,
    build_alchemy_submit,
    build_faulted_submits,
    build_image_submit,
    build_text_submit,
    convert_alchemy_pop,
    convert_image_pop,
    image_metadata,
    text_metadata,
    upload_to_r2,
    upload_to_r2_async,
)

GEN_1 = "11111111-2222-4333-8444-555555555551"
GEN_2 = "11111111-2222-4333-8444-555555555552"
UPLOAD_URL = "https://r2.example.com/upload/1?X-Amz-Signature=secret-upload"


def _core() -> RequestCore:
    return RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


def _wire(request: HordeRequest) -> tuple[str, str, Any]:
    prepared = _core().build(request)
    return prepared.method, prepared.url, prepared.json_body


# ------------------------------------------------------------------------------------------------ image
def test_image_submit_after_r2_upload():
    request = build_image_submit(GEN_1, seed="3094862541")
    assert isinstance(request, ImageGenerateJobSubmitRequest)
    method, url, body = _wire(request)
    assert (method, url) == ("POST", "https://aihorde.net/api/v2/generate/submit")
    assert body == {"id": GEN_1, "generation": "R2", "state": "ok", "seed": 3094862541, "censored": False}


def test_image_submit_base64_censored_with_metadata():
    image = base64.b64encode(b"webp bytes").decode()
    request = build_image_submit(
        GEN_2,
        seed=42,
        generation=image,
        censored=True,
        gen_metadata=[
            image_metadata(METADATA_TYPE.censorship, METADATA_VALUE.nsfw),
            image_metadata("lora", "download_failed", "247778"),
        ],
    )
    assert _wire(request)[2] == {
        "id": GEN_2,
        "generation": image,
        "state": "censored",
        "seed": 42,
        "censored": True,
        "gen_metadata": [
            {"type": "censorship", "value": "nsfw"},
            {"type": "lora", "value": "download_failed", "ref": "247778"},
        ],
    }


def test_image_submit_explicit_csam_state():
    body = _wire(build_image_submit(GEN_1, seed=1, censored=True, state=GENERATION_STATE.csam))[2]
    assert (body["state"], body["censored"]) == ("csam", True)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"seed": "abc"}, ValueError),
        ({"seed": True}, TypeError),
        ({"seed": 1, "generation": ""}, ValueError),
        ({"seed": 1, "state": GENERATION_STATE.faulted}, ValueError),
    ],
)
def test_image_submit_refuses_bad_values(kwargs, error):
    with pytest.raises(error):
        build_image_submit(GEN_1, **kwargs)


def test_submit_of_every_image_of_a_batch_job():
    pop = ImageGenerateJobPopResponse.model_validate(
        {
            "payload": {"prompt": "a cat", "seed": "7", "n_iter": 2},
            "id": GEN_1,
            "ids": [GEN_1, GEN_2],
            "r2_uploads": [UPLOAD_URL, UPLOAD_URL + "2"],
            "model": "Deliberate",
        }
    )
    job = convert_image_pop(pop)
    assert isinstance(job, DispatchedJob)
    seed = job.generation_parameters.seed
    assert seed is not None
    bodies = [_wire(build_image_submit(gid, seed=seed))[2] for gid in job.dispatch_parameters.generation_ids]
    assert [(body["id"], body["seed"], body["generation"]) for body in bodies] == [(GEN_1, 7, "R2"), (GEN_2, 7, "R2")]


# ------------------------------------------------------------------------------------------------- text
def test_text_submit():
    request = build_text_submit(GEN_1, "The sea breathes slow")
    assert isinstance(request, TextGenerateJobSubmitRequest)
    method, url, body = _wire(request)
    assert (method, url) == ("POST", "https://aihorde.net/api/v2/generate/text/submit")
    assert body == {"id": GEN_1, "generation": "The sea breathes slow", "state": "ok"}


def test_text_submit_censored_with_metadata():
    request = build_text_submit(
        GEN_1,
        "",
        state=GENERATION_STATE.csam,
        gen_metadata=[text_metadata(METADATA_TYPE.censorship, METADATA_VALUE.csam)],
    )
    assert _wire(request)[2] == {
        "id": GEN_1,
        "generation": "",
        "state": "csam",
        "gen_metadata": [{"type": "censorship", "value": "csam"}],
    }
    with pytest.raises(ValueError, match="faulted"):
        build_text_submit(GEN_1, "x", state=GENERATION_STATE.faulted)


# ---------------------------------------------------------------------------------------------- alchemy
def test_alchemy_submit_result_is_an_object_keyed_by_form_name():
    caption = build_alchemy_submit(GEN_1, "caption", "a cat on a mat")
    assert isinstance(caption, AlchemyJobSubmitRequest)
    method, url, body = _wire(caption)
    assert (method, url) == ("POST", "https://aihorde.net/api/v2/interrogate/submit")
    assert body == {"id": GEN_1, "result": {"caption": "a cat on a mat"}, "state": "ok"}
    upscaled = _wire(build_alchemy_submit(GEN_2, "RealESRGAN_x2plus", "R2"))[2]
    assert upscaled == {"id": GEN_2, "result": {"RealESRGAN_x2plus": "R2"}, "state": "ok"}
    with pytest.raises(ValueError, match="form_name"):
        build_alchemy_submit(GEN_1, "", "x")
    with pytest.raises(ValueError, match="faulted"):
        build_alchemy_submit(GEN_1, "caption", "x", state=GENERATION_STATE.faulted)


TERMS = {"tags": [{"text": "cat", "confidence": 31.5}], "artists": []}


@pytest.mark.parametrize(
    ("form", "result", "sent"),
    [
        pytest.param("nsfw", False, False, id="nsfw-bool"),
        pytest.param("nsfw", "true", True, id="nsfw-text-read-as-bool"),
        pytest.param("interrogation", TERMS, TERMS, id="interrogation-object"),
        pytest.param("interrogation", json.dumps(TERMS), TERMS, id="interrogation-json-text-parsed"),
        pytest.param("caption", "a cat", "a cat", id="caption-text"),
        pytest.param("4x_AnimeSharp", "R2", "R2", id="post-processor-r2"),
    ],
)
def test_alchemy_results_travel_as_json_of_the_forms_kind(form: str, result: Any, sent: Any) -> None:
    """BEHAVIOUR.md: `nsfw` a boolean, `interrogation` an object, `caption` a string, a post-processor "R2"."""
    body = _wire(build_alchemy_submit(GEN_1, form, result))[2]
    assert body == {"id": GEN_1, "result": {form: sent}, "state": "ok"}


@pytest.mark.parametrize(
    ("form", "result"),
    [("nsfw", "maybe"), ("interrogation", "cat, sofa"), ("interrogation", "[1]"), ("caption", TERMS), ("GFPGAN", "x")],
)
def test_alchemy_results_of_another_kind_are_refused_before_sending(form: str, result: Any) -> None:
    with pytest.raises(ValueError, match=form):
        build_alchemy_submit(GEN_1, form, result)


def test_alchemy_submits_for_several_popped_forms():
    pop = AlchemyJobPopResponse.model_validate(
        {
            "forms": [
                {"id": GEN_1, "form": "caption", "source_image": "https://r2.example.com/s.webp"},
                {
                    "id": GEN_2,
                    "form": "RealESRGAN_x2plus",
                    "source_image": "https://r2.example.com/s.webp",
                    "r2_upload": UPLOAD_URL,
                },
            ]
        }
    )
    outcomes = convert_alchemy_pop(pop)
    assert isinstance(outcomes, tuple)
    results = {"caption": "a cat", "RealESRGAN_x2plus": "R2"}
    bodies = []
    for outcome in outcomes:
        assert isinstance(outcome, DispatchedJob)
        dispatch = outcome.dispatch_parameters
        assert dispatch.alchemy_form is not None
        bodies.append(
            _wire(build_alchemy_submit(dispatch.job_id, dispatch.alchemy_form, results[dispatch.alchemy_form]))[2]
        )
    assert bodies == [
        {"id": GEN_1, "result": {"caption": "a cat"}, "state": "ok"},
        {"id": GEN_2, "result": {"RealESRGAN_x2plus": "R2"}, "state": "ok"},
    ]


# ----------------------------------------------------------------------------------------------- faults
def test_faulted_image_submits_still_carry_a_seed():
    fault = DispatchFault(worker_type=WORKER_TYPE.image, job_id=GEN_1, generation_ids=(GEN_1, GEN_2), reason="x")
    requests = build_faulted_submits(
        fault, gen_metadata={GEN_2: [image_metadata(METADATA_TYPE.source_image, METADATA_VALUE.download_failed)]}
    )
    assert [_wire(request)[2] for request in requests] == [
        {"id": GEN_1, "state": "faulted", "seed": FAULTED_IMAGE_SEED},
        {
            "id": GEN_2,
            "state": "faulted",
            "seed": FAULTED_IMAGE_SEED,
            "gen_metadata": [{"type": "source_image", "value": "download_failed"}],
        },
    ]


def test_faulted_text_and_alchemy_submits():
    text = build_faulted_submits(worker_type=WORKER_TYPE.text, generation_ids=(GEN_1,))
    assert [_wire(request)[1:] for request in text] == [
        ("https://aihorde.net/api/v2/generate/text/submit", {"id": GEN_1, "state": "faulted"})
    ]
    fault = DispatchFault(
        worker_type=WORKER_TYPE.interrogation,
        job_id=GEN_2,
        generation_ids=(GEN_2,),
        reason="x",
        alchemy_form="caption",
    )
    (alchemy,) = build_faulted_submits(fault)
    assert _wire(alchemy)[1:] == ("https://aihorde.net/api/v2/interrogate/submit", {"id": GEN_2, "state": "faulted"})
    with pytest.raises(ValueError, match="worker type"):
        build_faulted_submits()


def test_fault_from_an_unusable_pop_round_trips_to_faulted_submits():
    pop = ImageGenerateJobPopResponse.model_validate(
        {"payload": {"prompt": "x"}, "id": GEN_1, "ids": [GEN_1], "source_processing": "inpainting", "ttl": 150}
    )
    fault = convert_image_pop(pop)
    assert isinstance(fault, DispatchFault)
    (request,) = build_faulted_submits(fault)
    assert _wire(request)[2] == {"id": GEN_1, "state": "faulted", "seed": 0}


# ---------------------------------------------------------------------------------------------- uploads
class _FakeTransport:
    def __init__(self, answer: RawResponse | TransportFailure) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, bytes | None, dict[str, str] | None]] = []

    def send_raw(self, method: str, url: str, *, content: bytes | None = None, headers: Any = None) -> Any:
        self.calls.append((method, url, content, dict(headers) if headers else None))
        return self.answer


class _FakeAsyncTransport(_FakeTransport):
    async def send_raw(self, method: str, url: str, *, content: bytes | None = None, headers: Any = None) -> Any:
        return _FakeTransport.send_raw(self, method, url, content=content, headers=headers)


def test_upload_to_r2_puts_webp_bytes():
    transport = _FakeTransport(RawResponse(200, {}, b""))
    upload_to_r2(transport, UPLOAD_URL, b"webp")  # type: ignore[arg-type]  # a duck-typed fake transport stands in for the SDK transport
    assert transport.calls == [("PUT", UPLOAD_URL, b"webp", {"Content-Type": R2_UPLOAD_CONTENT_TYPE})]


def test_upload_failures_never_show_the_url():
    with pytest.raises(R2UploadError) as caught:
        upload_to_r2(_FakeTransport(RawResponse(403, {}, b"denied")), UPLOAD_URL, b"webp")  # type: ignore[arg-type]  # a duck-typed fake transport stands in for the SDK transport
    assert caught.value.status_code == 403
    assert "secret" not in str(caught.value)
    failure = TransportFailure(kind="timeout", may_have_reached_server=True, detail="read timed out")
    with pytest.raises(R2UploadError, match="timeout"):
        upload_to_r2(_FakeTransport(failure), UPLOAD_URL, b"webp")  # type: ignore[arg-type]  # a duck-typed fake transport stands in for the SDK transport


def test_async_upload_to_r2():
    transport = _FakeAsyncTransport(RawResponse(204, {}, b""))
    asyncio.run(upload_to_r2_async(transport, UPLOAD_URL, b"webp"))  # type: ignore[arg-type]  # a duck-typed fake transport stands in for the SDK transport
    assert transport.calls[0][:3] == ("PUT", UPLOAD_URL, b"webp")
    with pytest.raises(R2UploadError):
        asyncio.run(upload_to_r2_async(_FakeAsyncTransport(RawResponse(500, {}, b"")), UPLOAD_URL, b"x"))  # type: ignore[arg-type]  # a duck-typed fake transport stands in for the SDK transport
