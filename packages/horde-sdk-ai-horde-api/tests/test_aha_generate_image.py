"""Image generation as a client uses it: async submission, check, status, cancel and rating.

Also the table of the seventeen operations of the generation-job families against the swagger.
"""

from __future__ import annotations

import base64
import logging
from http import HTTPMethod, HTTPStatus
from typing import Any

import pytest
from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels import (
    AestheticRatingEntry,
    AlchemyAsyncRequest,
    AlchemyJobPopRequest,
    AlchemyJobSubmitRequest,
    AlchemyStatusRequest,
    DeleteAlchemyRequest,
    DeleteImageGenerateRequest,
    DeleteTextGenerateRequest,
    GenerateAsyncDryRunResponse,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateJobPopRequest,
    ImageGenerateJobSubmitRequest,
    ImageGenerateRateRequest,
    ImageGenerateStatusRequest,
    ImageGenerateStatusResponse,
    ImageGenerationInputPayload,
    JobSubmitResponse,
    LorasPayloadEntry,
    TextGenerateAsyncRequest,
    TextGenerateJobPopRequest,
    TextGenerateJobSubmitRequest,
    TextGenerateStatusRequest,
    join_prompt,
    split_prompt,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, METADATA_TYPE, METADATA_VALUE, WARNING_CODE
from horde_sdk.ai_horde_api.fields import GenerationID, JobID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SCHEDULERS,
    ControlnetGenerationParameters,
    CustomWorkflowGenerationParameters,
    ExtraSourceImageEntry,
    ExtraTextEntry,
    HiresFixGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationParameters,
    ImagePostProcessingParameters,
    LoRaEntry,
    RemixGenerationParameters,
    TIEntry,
)
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import FollowUpTracker, PreparedRequest, RawResponse, RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

JOB_ID = "8b0f1a52-3c1e-4a8f-9d2b-6f7e5c4d3b2a"
GEN_ID_1 = "0d7a9c4e-1b2f-4e3d-8c5a-9f6b7e8d1c20"
GEN_ID_2 = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"
WORKER_ID = "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9"


def _core(**settings: Any) -> RequestCore:
    return RequestCore(
        HordeClientSettings(**settings),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


def _parse(request: HordeRequest, status: int, body: bytes) -> HordeResponse:
    core = _core()
    prepared = core.build(request)
    return core.parse(request, prepared, RawResponse(status, {}, body))


def _build(request: HordeRequest) -> PreparedRequest:
    return _core().build(request)


# ---------------------------------------------------------------------------- the operations table
OPERATIONS = [
    ("post", "/v2/generate/async", ImageGenerateAsyncRequest),
    ("get", "/v2/generate/check/{id}", ImageGenerateCheckRequest),
    ("get", "/v2/generate/status/{id}", ImageGenerateStatusRequest),
    ("delete", "/v2/generate/status/{id}", DeleteImageGenerateRequest),
    ("post", "/v2/generate/rate/{id}", ImageGenerateRateRequest),
    ("post", "/v2/generate/pop", ImageGenerateJobPopRequest),
    ("post", "/v2/generate/submit", ImageGenerateJobSubmitRequest),
    ("post", "/v2/generate/text/async", TextGenerateAsyncRequest),
    ("get", "/v2/generate/text/status/{id}", TextGenerateStatusRequest),
    ("delete", "/v2/generate/text/status/{id}", DeleteTextGenerateRequest),
    ("post", "/v2/generate/text/pop", TextGenerateJobPopRequest),
    ("post", "/v2/generate/text/submit", TextGenerateJobSubmitRequest),
    ("post", "/v2/interrogate/async", AlchemyAsyncRequest),
    ("get", "/v2/interrogate/status/{id}", AlchemyStatusRequest),
    ("delete", "/v2/interrogate/status/{id}", DeleteAlchemyRequest),
    ("post", "/v2/interrogate/pop", AlchemyJobPopRequest),
    ("post", "/v2/interrogate/submit", AlchemyJobSubmitRequest),
]

# Where the model follows the server instead of the swagger (../shared/ai_horde/BEHAVIOUR.md).
DRY_RUN_200 = {"/v2/generate/async", "/v2/generate/text/async"}


def test_every_operation_of_the_family_has_one_request_class(horde_swagger):
    family = {
        (method, path)
        for path, item in horde_swagger["paths"].items()
        if path.startswith(("/v2/generate/", "/v2/interrogate/"))
        for method in item
        if method != "parameters"
    }
    assert family == {(method, path) for method, path, _ in OPERATIONS}
    assert len(OPERATIONS) == 17


@pytest.mark.parametrize(("method", "path", "request_type"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_request_class_matches_the_swagger_operation(horde_swagger, method, path, request_type):
    operation = horde_swagger["paths"][path][method]
    assert request_type.get_http_method() == HTTPMethod(method.upper())
    assert str(request_type.get_api_endpoint_subpath()) == path

    body = [param for param in operation.get("parameters", []) if param["in"] == "body"]
    if body:
        ref = body[0]["schema"].get("$ref")
        expected = ref.rsplit("/", 1)[1] if ref else "_ANONYMOUS_MODEL"
        assert request_type.get_api_model_name() == expected
    else:
        assert request_type.get_api_model_name() is None

    swagger_2xx = {int(code): spec for code, spec in operation["responses"].items() if code.startswith("2")}
    pairs = request_type.get_success_status_response_pairs()
    codes = {int(code) for code in pairs}
    if path in DRY_RUN_200:
        assert codes == set(swagger_2xx) | {200}
        assert pairs[HTTPStatus.OK] is GenerateAsyncDryRunResponse
    else:
        assert codes == set(swagger_2xx)
    for code, spec in swagger_2xx.items():
        assert pairs[HTTPStatus(code)].get_api_model_name() == spec["schema"]["$ref"].rsplit("/", 1)[1]

    headers = {param["name"] for param in operation.get("parameters", []) if param["in"] == "header"}
    assert ("apikey" in headers) == ("apikey" in request_type.model_fields)


@pytest.mark.parametrize("request_type", [request_type for _, _, request_type in OPERATIONS])
def test_requests_reject_unknown_fields_whatever_the_strictness(request_type):
    # Mixins carry the lenient response configuration; each request class restores the request one.
    assert request_type.model_config["extra"] == "forbid"
    assert request_type.model_config["frozen"] is True


# ------------------------------------------------------------------------------------ async submit
def test_async_request_sends_only_what_the_caller_set():
    request = ImageGenerateAsyncRequest(
        prompt="a lighthouse at dusk###blurry",
        params=ImageGenerationInputPayload(steps=25, n=2, width=768, height=512, sampler_name="k_dpmpp_2m"),
        models=("AlbedoBase XL (SDXL)",),
        r2=True,
        apikey="my-own-key",
    )
    prepared = _build(request)
    assert prepared.method == "POST"
    assert prepared.url == "https://aihorde.net/api/v2/generate/async"
    assert prepared.headers["apikey"] == "my-own-key"
    assert "Client-Agent" in prepared.headers
    assert prepared.params == []
    assert prepared.json_body == {
        "prompt": "a lighthouse at dusk###blurry",
        "params": {"steps": 25, "n": 2, "width": 768, "height": 512, "sampler_name": "k_dpmpp_2m"},
        "models": ["AlbedoBase XL (SDXL)"],
        "r2": True,
    }
    assert not prepared.idempotent


def test_async_request_refuses_out_of_bounds_values():
    with pytest.raises(ValidationError):
        ImageGenerationInputPayload(width=500)
    with pytest.raises(ValidationError):
        ImageGenerationInputPayload(n=21)
    with pytest.raises(ValidationError):
        ImageGenerateAsyncRequest(prompt="")
    with pytest.raises(ValidationError):
        ImageGenerateAsyncRequest(prompt="x", unknown_field=1)  # type: ignore[call-arg]  # an unknown field on purpose: the error under test


ASYNC_202 = (
    b'{"id": "' + JOB_ID.encode() + b'", "kudos": 21.0, "message": "Request accepted.", '
    b'"warnings": [{"code": "NoAvailableWorker", "message": "No worker can serve this request right now."}]}'
)


def test_async_202_starts_work_that_the_cancel_request_cleans_up():
    request = ImageGenerateAsyncRequest(prompt="a cat")
    response = _parse(request, 202, ASYNC_202)
    assert isinstance(response, ImageGenerateAsyncResponse)
    assert response.id_ == JOB_ID
    assert response.kudos == 21.0
    assert response.has_warnings()
    assert response.warnings is not None
    assert response.warnings[0].code == WARNING_CODE.NoAvailableWorker
    assert response.does_require_follow_up()
    assert response.get_follow_up_key() == JOB_ID
    (cleanup,) = response.get_follow_up_failure_cleanup_requests()
    assert isinstance(cleanup, DeleteImageGenerateRequest)
    prepared = _build(cleanup)
    assert (prepared.method, prepared.url) == ("DELETE", f"https://aihorde.net/api/v2/generate/status/{JOB_ID}")
    assert prepared.json_body is None
    assert type(response).model_validate(response.model_dump(by_alias=True)) == response


def test_dry_run_answer_is_200_and_needs_no_follow_up():
    request = ImageGenerateAsyncRequest(prompt="a cat", dry_run=True)
    assert _build(request).json_body == {"prompt": "a cat", "dry_run": True}
    response = _parse(request, 200, b'{"kudos": 12.0}')
    assert isinstance(response, GenerateAsyncDryRunResponse)
    assert response.kudos == 12.0
    tracker = FollowUpTracker()
    tracker.observe(request, response)
    assert tracker.pending_keys == ()


CHECK_WAITING = (
    b'{"finished": 0, "processing": 1, "restarted": 0, "waiting": 1, "done": false, "faulted": false, '
    b'"wait_time": 14, "queue_position": 3, "kudos": 0.0, "is_possible": true}'
)
CHECK_DONE = (
    b'{"finished": 2, "processing": 0, "restarted": 0, "waiting": 0, "done": true, "faulted": false, '
    b'"wait_time": 0, "queue_position": 0, "kudos": 21.0, "is_possible": true}'
)


def _status_body(done: bool) -> bytes:
    return (
        b'{"finished": 2, "processing": 0, "restarted": 1, "waiting": 0, "done": '
        + (b"true" if done else b"false")
        + b', "faulted": false, "wait_time": 0, "queue_position": 0, "kudos": 21.0, "is_possible": true, '
        b'"shared": false, "generations": ['
        b'{"worker_id": "' + WORKER_ID.encode() + b'", "worker_name": "lighthouse-keeper", '
        b'"model": "AlbedoBase XL (SDXL)", "state": "ok", '
        b'"img": "https://r2.example.com/' + GEN_ID_1.encode() + b'.webp?X-Amz-Signature=abc", '
        b'"seed": "1234567", "id": "' + GEN_ID_1.encode() + b'", "censored": false, '
        b'"gen_metadata": [{"type": "lora", "value": "download_failed", "ref": "247778"}]},'
        b'{"worker_id": "' + WORKER_ID.encode() + b'", "worker_name": "lighthouse-keeper", '
        b'"model": "AlbedoBase XL (SDXL)", "state": "censored", "img": "https://r2.example.com/x.webp", '
        b'"seed": "1234568", "id": "' + GEN_ID_2.encode() + b'", "censored": true, '
        b'"gen_metadata": [{"type": "censorship", "value": "nsfw"}]}]}'
    )


def test_check_and_status_parse_every_field_the_server_sends():
    check = _parse(ImageGenerateCheckRequest(id_=JobID(JOB_ID)), 200, CHECK_WAITING)
    assert isinstance(check, ImageGenerateCheckResponse)
    assert (check.finished, check.processing, check.restarted, check.waiting) == (0, 1, 0, 1)
    assert (check.done, check.faulted, check.is_possible) == (False, False, True)
    assert (check.wait_time, check.queue_position, check.kudos) == (14, 3, 0.0)

    status = _parse(ImageGenerateStatusRequest(id_=JobID(JOB_ID)), 200, _status_body(done=True))
    assert isinstance(status, ImageGenerateStatusResponse)
    assert status.shared is False
    assert status.restarted == 1
    assert status.generations is not None
    first, second = status.generations
    assert first.id_ == GEN_ID_1
    assert first.seed == "1234567"
    assert first.state == GENERATION_STATE.ok
    assert first.gen_metadata is not None
    assert first.gen_metadata[0].type_ == METADATA_TYPE.lora
    assert first.gen_metadata[0].value == METADATA_VALUE.download_failed
    assert second.censored is True
    for model in (check, status):
        assert type(model).model_validate(model.model_dump(by_alias=True)) == model
        hash(model)


def test_check_and_status_requests_are_bodyless_gets():
    for request, path in (
        (ImageGenerateCheckRequest(id_=JobID(JOB_ID)), "check"),
        (ImageGenerateStatusRequest(id_=JobID(JOB_ID)), "status"),
    ):
        prepared = _build(request)
        assert prepared.method == "GET"
        assert prepared.url == f"https://aihorde.net/api/v2/generate/{path}/{JOB_ID}"
        assert prepared.json_body is None
        assert prepared.idempotent
    with pytest.raises(ValidationError):
        ImageGenerateCheckRequest(id_=JobID(""))


def test_unknown_metadata_values_are_kept_with_a_warning(caplog):
    body = _status_body(done=True).replace(b'"download_failed"', b'"some_new_reason"')
    with caplog.at_level(logging.WARNING):
        status = _parse(ImageGenerateStatusRequest(id_=JobID(JOB_ID)), 200, body)
    assert isinstance(status, ImageGenerateStatusResponse)
    assert status.generations is not None
    assert status.generations[0].gen_metadata is not None
    assert status.generations[0].gen_metadata[0].value == "some_new_reason"


def test_follow_up_is_settled_by_a_done_check_or_status_and_by_the_cancel():
    tracker = FollowUpTracker()
    submit = ImageGenerateAsyncRequest(prompt="a cat")
    tracker.observe(submit, _parse(submit, 202, ASYNC_202))
    assert list(tracker.pending_keys) == [JOB_ID]  # a list: mypy would keep a narrowed tuple past observe()

    check = ImageGenerateCheckRequest(id_=JobID(JOB_ID))
    tracker.observe(check, _parse(check, 200, CHECK_WAITING))
    assert list(tracker.pending_keys) == [JOB_ID]  # a list: mypy would keep a narrowed tuple past observe()
    ((key, (cleanup,)),) = tracker.pending_cleanup_requests()
    assert key == JOB_ID
    assert isinstance(cleanup, DeleteImageGenerateRequest)

    tracker.observe(check, _parse(check, 200, CHECK_DONE))
    assert tracker.pending_keys == ()

    tracker.observe(submit, _parse(submit, 202, ASYNC_202))
    status = ImageGenerateStatusRequest(id_=JobID(JOB_ID))
    tracker.observe(status, _parse(status, 200, _status_body(done=False)))
    assert list(tracker.pending_keys) == [JOB_ID]  # a list: mypy would keep a narrowed tuple past observe()
    tracker.observe(status, _parse(status, 200, _status_body(done=True)))
    assert tracker.pending_keys == ()

    # The cancel answers with the status from before the cancel (done: false) and still settles the job.
    tracker.observe(submit, _parse(submit, 202, ASYNC_202))
    cancel = DeleteImageGenerateRequest(id_=JobID(JOB_ID))
    cancelled = _parse(cancel, 200, _status_body(done=False))
    assert isinstance(cancelled, ImageGenerateStatusResponse)
    tracker.observe(cancel, cancelled)
    assert tracker.pending_keys == ()


# ------------------------------------------------------------------------------------------ rating
def test_rate_request_posts_the_ratings_without_an_api_key_field():
    request = ImageGenerateRateRequest(
        id_=JobID(JOB_ID),
        best=GenerationID(GEN_ID_1),
        ratings=(
            AestheticRatingEntry(id_=GenerationID(GEN_ID_1), rating=8, artifacts=1),
            AestheticRatingEntry(id_=GenerationID(GEN_ID_2), rating=3),
        ),
    )
    prepared = _build(request)
    assert prepared.url == f"https://aihorde.net/api/v2/generate/rate/{JOB_ID}"
    assert prepared.json_body == {
        "best": GEN_ID_1,
        "ratings": [{"id": GEN_ID_1, "rating": 8, "artifacts": 1}, {"id": GEN_ID_2, "rating": 3}],
    }
    with pytest.raises(ValidationError):
        AestheticRatingEntry(id_=GenerationID(GEN_ID_1), rating=11)
    with pytest.raises(ValidationError):
        AestheticRatingEntry(id_=GenerationID("short"), rating=5)
    response = _parse(request, 200, b'{"reward": 5.0}')
    assert isinstance(response, JobSubmitResponse)
    assert response.reward == 5.0


# --------------------------------------------------------------------- from generation parameters
def test_prompt_split_and_join_follow_the_horde_convention():
    assert split_prompt("a cat ### dogs, blurry") == ("a cat", "dogs, blurry")
    assert split_prompt("a cat###dogs###more") == ("a cat", "dogs###more")
    assert split_prompt("a cat") == ("a cat", None)
    assert split_prompt("a cat###") == ("a cat", None)
    assert join_prompt("a cat", "dogs") == "a cat###dogs"
    assert join_prompt("a cat", None) == "a cat"


def test_request_from_txt2img_parameters():
    parameters = ImageGenerationParameters(
        model="AlbedoBase XL (SDXL)",
        prompt="a lighthouse",
        negative_prompt="people",
        width=1024,
        height=768,
        steps=40,
        cfg_scale=6.0,
        sampler_name="k_dpmpp_sde",
        scheduler=KNOWN_IMAGE_SCHEDULERS.karras,
        seed="42",
        clip_skip=2,
        tiling=True,
        batch_size=4,
        loras=(LoRaEntry(name="247778", model_strength=0.8, clip_strength=0.9, is_version=True),),
        tis=(TIEntry(name="72437", inject_ti="negprompt", strength=0.5),),
        hires_fix=HiresFixGenerationParameters(denoising_strength=0.6),
        post_processing=ImagePostProcessingParameters(post_processors=("RealESRGAN_x2plus", "GFPGAN")),
        extra_texts=(ExtraTextEntry(text="https://aihorde.net", reference="qr_code"),),
        custom_workflow=CustomWorkflowGenerationParameters(workflow="qr_code"),
    )
    request = ImageGenerateAsyncRequest.from_generation_parameters(parameters, nsfw=False, trusted_workers=True)
    body = _build(request).json_body
    assert body["prompt"] == "a lighthouse###people"
    assert body["models"] == ["AlbedoBase XL (SDXL)"]
    assert body["nsfw"] is False
    assert body["trusted_workers"] is True
    assert "source_image" not in body
    assert "source_processing" not in body
    params = body["params"]
    assert params["n"] == 4
    assert params["steps"] == 40
    assert params["karras"] is True
    assert (params["width"], params["height"], params["cfg_scale"], params["clip_skip"]) == (1024, 768, 6.0, 2)
    assert params["seed"] == "42"
    assert params["tiling"] is True
    assert params["hires_fix"] is True
    assert params["hires_fix_denoising_strength"] == 0.6
    assert params["loras"] == [{"name": "247778", "model": 0.8, "clip": 0.9, "is_version": True}]
    assert params["tis"] == [{"name": "72437", "inject_ti": "negprompt", "strength": 0.5}]
    assert params["post_processing"] == ["RealESRGAN_x2plus", "GFPGAN"]
    assert params["extra_texts"] == [{"text": "https://aihorde.net", "reference": "qr_code"}]
    assert params["workflow"] == "qr_code"
    assert isinstance(request.params, ImageGenerationInputPayload)
    assert request.params.loras == (LorasPayloadEntry(name="247778", model=0.8, clip=0.9, is_version=True),)


def test_request_from_img2img_inpainting_remix_and_controlnet_parameters():
    png = b"\x89PNG\r\n\x1a\nfake"
    inpainting = ImageGenerationParameters(
        prompt="a red door",
        source_processing="inpainting",
        img2img=Image2ImageGenerationParameters(source_image=png, source_mask="bWFzaw=="),
        denoising_strength=0.7,
    )
    body = _build(ImageGenerateAsyncRequest.from_generation_parameters(inpainting)).json_body
    assert body["source_image"] == base64.b64encode(png).decode()
    assert body["source_mask"] == "bWFzaw=="
    assert body["source_processing"] == "inpainting"
    assert body["params"]["denoising_strength"] == 0.7

    remix = ImageGenerationParameters(
        prompt="mix them",
        source_processing="remix",
        remix=RemixGenerationParameters(
            source_image="https://example.com/a.webp",
            extra_source_images=(ExtraSourceImageEntry(image="https://example.com/b.webp", strength=0.5),),
        ),
    )
    body = _build(ImageGenerateAsyncRequest.from_generation_parameters(remix)).json_body
    assert body["source_processing"] == "remix"
    assert body["source_image"] == "https://example.com/a.webp"
    assert body["extra_source_images"] == [{"image": "https://example.com/b.webp", "strength": 0.5}]

    controlnet = ImageGenerationParameters(
        prompt="a house",
        controlnet=ControlnetGenerationParameters(
            control_type="canny", source_image="https://example.com/edges.png", image_is_control=True
        ),
    )
    body = _build(ImageGenerateAsyncRequest.from_generation_parameters(controlnet)).json_body
    assert body["source_image"] == "https://example.com/edges.png"
    assert body["source_processing"] == "img2img"
    assert body["params"]["control_type"] == "canny"
    assert body["params"]["image_is_control"] is True


def test_request_from_parameters_refuses_what_the_horde_cannot_express():
    with pytest.raises(ValueError, match="schedulers"):
        ImageGenerateAsyncRequest.from_generation_parameters(
            ImageGenerationParameters(prompt="x", scheduler=KNOWN_IMAGE_SCHEDULERS.exponential)
        )
    two_images = ImageGenerationParameters(
        prompt="x",
        img2img=Image2ImageGenerationParameters(source_image="https://example.com/a.png"),
        source_processing="img2img",
        controlnet=ControlnetGenerationParameters(control_type="depth", source_image="https://example.com/b.png"),
    )
    with pytest.raises(ValueError, match="one source image"):
        ImageGenerateAsyncRequest.from_generation_parameters(two_images)
