"""The worker's contract: pop requests and answers (including empty pops), job to parameters, submissions."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels import (
    GENERATION_UPLOADED_TO_R2,
    AlchemyJobPopRequest,
    AlchemyJobPopResponse,
    AlchemyJobSubmitRequest,
    ImageGenerateJobPopRequest,
    ImageGenerateJobPopResponse,
    ImageGenerateJobSubmitRequest,
    ImageGenerationMetadataEntry,
    JobSubmitResponse,
    TextGenerateJobPopRequest,
    TextGenerateJobPopResponse,
    TextGenerateJobSubmitRequest,
    TextGenerationMetadataEntry,
    UnusableJobPayloadError,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, METADATA_TYPE, METADATA_VALUE
from horde_sdk.ai_horde_api.fields import GenerationID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_TEXT_FORMATTING_OPTIONS,
    CaptionAlchemyParameters,
    FacefixAlchemyParameters,
    ImageGenerationFeatureFlags,
    OtherAlchemyParameters,
    UpscaleAlchemyParameters,
)
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import PreparedRequest, RawResponse, RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

GEN_1 = "11111111-2222-4333-8444-555555555551"
GEN_2 = "11111111-2222-4333-8444-555555555552"
GEN_3 = "11111111-2222-4333-8444-555555555553"
SOURCE_URL = "https://r2.example.com/source.webp?X-Amz-Signature=secret-signature"
MASK_URL = "https://r2.example.com/mask.webp?X-Amz-Signature=secret-mask"


def _core() -> RequestCore:
    return RequestCore(
        HordeClientSettings(api_key="worker-key"),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )


def _build(request: HordeRequest) -> PreparedRequest:
    return _core().build(request)


def _parse(request: HordeRequest, body: dict[str, Any]) -> HordeResponse:
    core = _core()
    raw = RawResponse(200, {}, json.dumps(body).encode())
    return core.parse(request, core.build(request), raw)


def _round_trips(model: Any) -> None:
    assert type(model).model_validate(model.model_dump(by_alias=True)) == model


def _image_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "sampler_name": "k_dpmpp_2m",
        "cfg_scale": 6.5,
        "denoising_strength": 0.75,
        "hires_fix_denoising_strength": 0.65,
        "height": 1024,
        "width": 768,
        "post_processing": [],
        "karras": True,
        "tiling": False,
        "hires_fix": False,
        "clip_skip": 2,
        "facefixer_strength": 0.75,
        "transparent": False,
        "seed": "3094862541",
        "seed_variation": 1,
        "image_is_control": False,
        "return_control_map": False,
        "prompt": "a lighthouse on a cliff, oil painting###people, text",
        "ddim_steps": 28,
        "n_iter": 1,
        "use_nsfw_censor": False,
    }
    payload.update(overrides)
    return payload


def _image_pop(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payload": _image_payload(),
        "id": GEN_1,
        "ids": [GEN_1],
        "messages": [
            {
                "id": "9a8b7c6d-5e4f-4321-8765-4321abcdef00",
                "message": "Please update your worker.",
                "origin": "moderator",
                "expiry": "2030-01-01T12:00:00Z",
            }
        ],
        "ttl": 150,
        "skipped": {},
        "model": "AlbedoBase XL (SDXL)",
        "source_processing": "img2img",
        "r2_upload": "https://r2.example.com/upload/1?X-Amz-Signature=u1",
        "r2_uploads": ["https://r2.example.com/upload/1?X-Amz-Signature=u1"],
    }
    body.update(overrides)
    return body


POP = ImageGenerateJobPopRequest(worker_name="lighthouse-keeper")


# --------------------------------------------------------------------------------------- image pop
def test_image_pop_request_carries_every_worker_field_in_the_body():
    request = ImageGenerateJobPopRequest(
        worker_name="lighthouse-keeper",
        priority_usernames=("alice#1",),
        nsfw=True,
        models=("AlbedoBase XL (SDXL)", "Deliberate"),
        bridge_agent="AI Horde Worker reGen:9.0.0:https://github.com/Haidra-Org/horde-worker-reGen",
        threads=2,
        require_upfront_kudos=False,
        amount=4,
        max_pixels=1048576,
        blacklist=("forbidden",),
        allow_img2img=True,
        allow_painting=False,
        allow_unsafe_ipaddr=False,
        allow_post_processing=True,
        allow_controlnet=True,
        allow_sdxl_controlnet=False,
        allow_lora=True,
        extra_slow_worker=False,
        limit_max_steps=True,
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/generate/pop")
    assert prepared.params == []  # `name` is a body field here, not the query field of other endpoints
    assert prepared.headers["apikey"] == "worker-key"
    body = prepared.json_body
    assert body["name"] == "lighthouse-keeper"
    assert body["models"] == ["AlbedoBase XL (SDXL)", "Deliberate"]
    assert body["amount"] == 4
    assert body["allow_painting"] is False
    assert body["allow_sdxl_controlnet"] is False
    assert body["extra_slow_worker"] is False
    assert len(body) == 19
    with pytest.raises(ValidationError):
        ImageGenerateJobPopRequest(threads=0)
    with pytest.raises(ValidationError):
        ImageGenerateJobPopRequest(models=("ab",))


def test_image_pop_answer_keeps_every_field():
    body = _image_pop(
        ids=[GEN_1, GEN_2],
        source_image=SOURCE_URL,
        source_mask=MASK_URL,
        source_processing="inpainting",
        extra_source_images=[{"image": "https://r2.example.com/extra.webp", "strength": 0.5}],
        r2_uploads=["https://r2.example.com/upload/1?s=1", "https://r2.example.com/upload/2?s=2"],
        skipped={"models": 4, "post-processing": 1, "max_pixels": 2, "kudos": 1},
    )
    body["payload"] = _image_payload(
        loras=[{"name": "247778", "model": 0.8, "clip": 1.0, "inject_trigger": "any", "is_version": True}],
        tis=[{"name": "72437", "inject_ti": "negprompt", "strength": 0.5}],
        control_type="canny",
        extra_texts=[{"text": "https://aihorde.net", "reference": "qr_code"}],
        workflow="qr_code",
        special={"lcm": {"steps": 4}},
        n_iter=2,
    )
    response = _parse(POP, body)
    assert isinstance(response, ImageGenerateJobPopResponse)
    assert response.has_job()
    assert not response.is_empty()
    assert response.ttl == 150
    assert response.skipped is not None
    assert response.skipped.post_processing == 1
    assert response.messages is not None
    assert response.messages[0].origin == "moderator"
    assert response.get_upload_targets() == (
        (GEN_1, "https://r2.example.com/upload/1?s=1"),
        (GEN_2, "https://r2.example.com/upload/2?s=2"),
    )
    assert response.payload is not None
    assert response.payload.special is not None
    assert response.model_dump(mode="json", by_alias=True, exclude_unset=True) == body
    _round_trips(response)


def test_empty_image_pop_parses_and_says_so():
    body: dict[str, Any] = {
        "payload": {"ddim_steps": 30, "n_iter": 1, "cfg_scale": 7.5, "height": 512, "width": 512},
        "id": None,
        "ids": [],
        "skipped": {"worker_id": 0, "performance": 0, "nsfw": 2, "models": 12, "kudos": 1, "max_pixels": 3},
        "source_processing": "img2img",
        "ttl": None,
    }
    response = _parse(POP, body)
    assert isinstance(response, ImageGenerateJobPopResponse)
    assert response.is_empty()
    assert not response.has_job()
    assert response.get_generation_ids() == ()
    assert response.skipped is not None
    assert response.skipped.models == 12
    with pytest.raises(UnusableJobPayloadError, match="no job"):
        response.get_generation_parameters()
    _round_trips(response)


# -------------------------------------------------------------------------- image pop to parameters
def _image_params(**pop: Any):
    response = ImageGenerateJobPopResponse.model_validate(_image_pop(**pop))
    return response.get_generation_parameters()


def test_txt2img_job_to_parameters():
    parameters = _image_params()
    assert parameters.model == "AlbedoBase XL (SDXL)"
    assert parameters.prompt == "a lighthouse on a cliff, oil painting"
    assert parameters.negative_prompt == "people, text"
    assert (parameters.width, parameters.height, parameters.steps, parameters.cfg_scale) == (768, 1024, 28, 6.5)
    assert parameters.sampler_name == "k_dpmpp_2m"
    assert parameters.scheduler == KNOWN_IMAGE_SCHEDULERS.karras
    assert (parameters.seed, parameters.seed_variation, parameters.clip_skip) == ("3094862541", 1, 2)
    # The server sends `img2img` (its default) for jobs without a source image.
    assert parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.txt2img
    assert parameters.img2img is None
    assert parameters.batch_size == 1


def test_batched_job_to_parameters():
    payload = _image_payload(n_iter=3)
    parameters = _image_params(ids=[GEN_1, GEN_2, GEN_3], payload=payload)
    assert parameters.batch_size == 3
    assert parameters.get_number_expected_results() == 3


def test_img2img_and_inpainting_jobs_to_parameters():
    parameters = _image_params(source_image=SOURCE_URL)
    assert parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.img2img
    assert parameters.img2img is not None
    assert parameters.img2img.source_image == SOURCE_URL
    assert parameters.denoising_strength == 0.75

    parameters = _image_params(source_image=SOURCE_URL, source_mask=MASK_URL, source_processing="inpainting")
    assert parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.inpainting
    assert parameters.img2img is not None
    assert parameters.img2img.source_mask == MASK_URL


def test_remix_job_with_extra_source_images_to_parameters():
    parameters = _image_params(
        source_image=SOURCE_URL,
        source_processing="remix",
        extra_source_images=[
            {"image": "https://r2.example.com/e1.webp", "strength": 0.4},
            {"image": "https://r2.example.com/e2.webp"},
        ],
    )
    assert parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.remix
    assert parameters.remix is not None
    assert parameters.remix.source_image == SOURCE_URL
    assert [(entry.image, entry.strength) for entry in parameters.remix.extra_source_images] == [
        ("https://r2.example.com/e1.webp", 0.4),
        ("https://r2.example.com/e2.webp", 1.0),
    ]
    assert parameters.get_required_feature_flags().extra_source_images


def test_controlnet_hires_fix_loras_tis_and_post_processing_to_parameters():
    payload = _image_payload(
        control_type="depth",
        image_is_control=True,
        return_control_map=False,
        hires_fix=True,
        loras=[
            {"name": "Detail Tweaker", "model": 0.6, "clip": 0.9, "is_version": False},
            {"name": "247778", "model": 1.0, "clip": 1.0, "inject_trigger": "any", "is_version": True},
        ],
        tis=[{"name": "72437", "inject_ti": "negprompt", "strength": 0.5}],
        post_processing=["CodeFormers", "RealESRGAN_x4plus", "strip_background"],
        facefixer_strength=0.4,
        workflow="qr_code",
        extra_texts=[{"text": "https://aihorde.net", "reference": "qr_code"}],
        tiling=True,
        transparent=True,
    )
    parameters = _image_params(source_image=SOURCE_URL, payload=payload)
    assert parameters.controlnet is not None
    assert parameters.controlnet.control_type == "depth"
    assert parameters.controlnet.image_is_control is True
    assert parameters.controlnet.source_image is None  # the img2img source image is the control input
    assert parameters.img2img is not None
    assert parameters.hires_fix is not None
    assert parameters.hires_fix.denoising_strength == 0.65
    assert [(lora.name, lora.model_strength, lora.clip_strength) for lora in parameters.loras] == [
        ("Detail Tweaker", 0.6, 0.9),
        ("247778", 1.0, 1.0),
    ]
    assert parameters.loras[1].is_version
    assert parameters.loras[1].inject_trigger == "any"
    assert parameters.tis[0].inject_ti == "negprompt"
    assert parameters.post_processing is not None
    assert parameters.post_processing.post_processors == ("CodeFormers", "RealESRGAN_x4plus", "strip_background")
    assert parameters.post_processing.facefixer_strength == 0.4
    assert parameters.custom_workflow is not None
    assert parameters.custom_workflow.workflow == "qr_code"
    assert parameters.extra_texts[0].reference == "qr_code"
    assert (parameters.tiling, parameters.transparent) == (True, True)
    flags = parameters.get_required_feature_flags()
    assert (flags.controlnet, flags.hires_fix, flags.loras, flags.textual_inversion) == (True, True, True, True)


def test_broken_jobs_raise_a_typed_error_that_names_the_job_and_hides_urls():
    with pytest.raises(UnusableJobPayloadError) as caught:
        _image_params(source_processing="inpainting")
    assert caught.value.job_id == GEN_1
    assert "needs a source image" in caught.value.reason

    with pytest.raises(UnusableJobPayloadError, match="prompt"):
        _image_params(payload=_image_payload(prompt="###only a negative prompt"))

    payload = _image_payload(loras=[{"name": "not-a-number", "is_version": True}])
    with pytest.raises(UnusableJobPayloadError) as caught:
        _image_params(source_image=SOURCE_URL, payload=payload)
    assert "secret" not in str(caught.value)
    assert isinstance(caught.value, ValueError)

    with pytest.raises(UnusableJobPayloadError):
        _image_params(source_image=SOURCE_URL, source_processing="remix", extra_source_images=[{"strength": 0.3}])


def test_unknown_source_processing_is_recorded_not_fatal(caplog):
    with caplog.at_level(logging.WARNING):
        parameters = _image_params(source_image=SOURCE_URL, source_processing="uncropping")
    assert parameters.source_processing == "uncropping"
    assert any("uncropping" in record.getMessage() for record in caplog.records)
    assert parameters.img2img is not None
    worker = ImageGenerationFeatureFlags(source_processing=("img2img", "inpainting"))
    assert "source_processing: uncropping" in parameters.get_required_feature_flags().get_unmet_requirements(worker)


# ------------------------------------------------------------------------------------- image submit
def test_image_submit_wire_has_the_seed_and_r2():
    request = ImageGenerateJobSubmitRequest(
        id_=GenerationID(GEN_1),
        generation=GENERATION_UPLOADED_TO_R2,
        state=GENERATION_STATE.ok,
        seed=3094862541,
        censored=False,
        gen_metadata=(
            ImageGenerationMetadataEntry(type_=METADATA_TYPE.lora, value=METADATA_VALUE.download_failed, ref="247778"),
        ),
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/generate/submit")
    assert prepared.headers["apikey"] == "worker-key"
    assert prepared.json_body == {
        "id": GEN_1,
        "generation": "R2",
        "state": "ok",
        "seed": 3094862541,
        "censored": False,
        "gen_metadata": [{"type": "lora", "value": "download_failed", "ref": "247778"}],
    }
    minimal = _build(ImageGenerateJobSubmitRequest(id_=GenerationID(GEN_1), generation="UklGRg==", seed=7)).json_body
    assert minimal == {"id": GEN_1, "generation": "UklGRg==", "seed": 7}


def test_image_submit_requires_a_seed():
    with pytest.raises(ValidationError, match="seed"):
        ImageGenerateJobSubmitRequest(id=GenerationID(GEN_1), generation="R2")  # type: ignore[call-arg]  # no seed on purpose: the error under test


def test_faulted_submit_and_unknown_metadata(caplog):
    with caplog.at_level(logging.WARNING):
        request = ImageGenerateJobSubmitRequest(
            id_=GenerationID(GEN_1),
            state="faulted",
            seed=0,
            gen_metadata=(ImageGenerationMetadataEntry(type_="brand_new_type", value="see_ref", ref="x"),),
        )
    assert request.state == GENERATION_STATE.faulted
    assert _build(request).json_body["gen_metadata"] == [{"type": "brand_new_type", "value": "see_ref", "ref": "x"}]
    response = _parse(request, {"reward": 0})
    assert isinstance(response, JobSubmitResponse)
    assert response.reward == 0


# -------------------------------------------------------------------------------------------- text
TEXT_POP = TextGenerateJobPopRequest(worker_name="koboldcpp-box", models=("koboldcpp/Mistral-7B-Instruct",))


def _text_pop(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payload": {
            "prompt": "### Instruction:\nWrite a haiku about the sea.\n### Response:\n",
            "n": 1,
            "max_context_length": 4096,
            "max_length": 120,
            "rep_pen": 1.1,
            "rep_pen_range": 320,
            "rep_pen_slope": 0.7,
            "temperature": 0.7,
            "tfs": 1.0,
            "top_a": 0.0,
            "top_k": 100,
            "top_p": 0.92,
            "typical": 1.0,
            "sampler_order": [6, 0, 1, 3, 4, 2, 5],
            "use_default_badwordsids": False,
            "stop_sequence": ["### Instruction:"],
            "min_p": 0.0,
            "frmttriminc": True,
            "frmtrmblln": False,
            "singleline": False,
        },
        "id": GEN_1,
        "ids": [GEN_1],
        "messages": [],
        "ttl": 300,
        "extra_source_images": [],
        "skipped": {},
        "softprompt": "",
        "model": "koboldcpp/Mistral-7B-Instruct",
    }
    body.update(overrides)
    return body


def test_text_pop_request_carries_every_worker_field():
    request = TextGenerateJobPopRequest(
        worker_name="koboldcpp-box",
        models=("koboldcpp/Mistral-7B-Instruct",),
        bridge_agent="KoboldCppEmbedWorker:2:https://github.com/LostRuins/koboldcpp",
        max_length=512,
        max_context_length=8192,
        softprompts=("sp1",),
        threads=1,
        amount=2,
        nsfw=True,
        extra_slow_worker=False,
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/generate/text/pop")
    assert prepared.params == []
    assert prepared.json_body["name"] == "koboldcpp-box"
    assert prepared.json_body["max_context_length"] == 8192
    assert prepared.json_body["softprompts"] == ["sp1"]


def test_text_pop_answer_and_parameters():
    body = _text_pop(ids=[GEN_1, GEN_2], extra_source_images=[{"image": "https://r2.example.com/i.webp"}])
    response = _parse(TEXT_POP, body)
    assert isinstance(response, TextGenerateJobPopResponse)
    assert response.has_job()
    assert response.softprompt == ""
    assert response.model_dump(mode="json", by_alias=True, exclude_unset=True) == body
    _round_trips(response)

    parameters = response.get_generation_parameters()
    assert parameters.model == "koboldcpp/Mistral-7B-Instruct"
    assert parameters.prompt.startswith("### Instruction:")  # `###` means nothing special in text prompts
    assert (parameters.max_length, parameters.max_context_length) == (120, 4096)
    assert (parameters.temperature, parameters.top_k, parameters.top_p) == (0.7, 100, 0.92)
    assert parameters.stop_sequences == ("### Instruction:",)
    assert parameters.formatting_options == (KNOWN_TEXT_FORMATTING_OPTIONS.trim_incomplete_sentences,)
    assert parameters.sampler_order == (6, 0, 1, 3, 4, 2, 5)
    assert parameters.batch_size == 2
    assert parameters.extra_source_images[0].image == "https://r2.example.com/i.webp"


def test_empty_text_pop():
    body: dict[str, Any] = {
        "payload": {"n": 1, "max_context_length": 2048, "max_length": 80},
        "id": None,
        "ids": [],
        "skipped": {"max_context_length": 3, "max_length": 1, "matching_softprompt": 0, "models": 7},
        "softprompt": None,
        "model": None,
    }
    response = _parse(TEXT_POP, body)
    assert isinstance(response, TextGenerateJobPopResponse)
    assert response.is_empty()
    assert response.skipped is not None
    assert response.skipped.max_context_length == 3
    with pytest.raises(UnusableJobPayloadError):
        response.get_generation_parameters()


def test_broken_text_job():
    body = _text_pop()
    body["payload"]["prompt"] = "   "
    response = TextGenerateJobPopResponse.model_validate(body)
    with pytest.raises(UnusableJobPayloadError, match="prompt") as caught:
        response.get_generation_parameters()
    assert caught.value.job_id == GEN_1


def test_text_submit_wire():
    request = TextGenerateJobSubmitRequest(
        id_=GenerationID(GEN_1),
        generation="The sea breathes slow",
        state="ok",
        gen_metadata=(TextGenerationMetadataEntry(type_="censorship", value="csam"),),
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/generate/text/submit")
    assert prepared.json_body == {
        "id": GEN_1,
        "generation": "The sea breathes slow",
        "state": "ok",
        "gen_metadata": [{"type": "censorship", "value": "csam"}],
    }
    response = _parse(request, {"reward": 4.25})
    assert isinstance(response, JobSubmitResponse)
    assert response.reward == 4.25


# ----------------------------------------------------------------------------------------- alchemy
ALCHEMY_POP = AlchemyJobPopRequest(worker_name="alchemist", forms=("caption", "RealESRGAN_x2plus", "GFPGAN"))
ALCHEMY_POP_BODY = {
    "forms": [
        {"id": GEN_1, "form": "caption", "payload": {}, "source_image": SOURCE_URL},
        {
            "id": GEN_2,
            "form": "RealESRGAN_x2plus",
            "payload": {},
            "source_image": SOURCE_URL,
            "r2_upload": "https://r2.example.com/upload/a?X-Amz-Signature=a",
        },
        {
            "id": GEN_3,
            "form": "GFPGAN",
            "payload": {"facefixer_strength": "0.5"},
            "source_image": SOURCE_URL,
            "r2_upload": "https://r2.example.com/upload/b?X-Amz-Signature=b",
        },
    ],
    "skipped": {},
}


def test_alchemy_pop_request_carries_every_worker_field():
    request = AlchemyJobPopRequest(
        worker_name="alchemist",
        priority_usernames=("alice#1",),
        forms=("caption", "nsfw", "RealESRGAN_x4plus"),
        amount=3,
        bridge_agent="AI Horde Worker reGen:9.0.0:https://github.com/Haidra-Org/horde-worker-reGen",
        threads=2,
        max_tiles=64,
    )
    prepared = _build(request)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/interrogate/pop")
    assert prepared.params == []
    assert prepared.json_body == {
        "name": "alchemist",
        "priority_usernames": ["alice#1"],
        "forms": ["caption", "nsfw", "RealESRGAN_x4plus"],
        "amount": 3,
        "bridge_agent": "AI Horde Worker reGen:9.0.0:https://github.com/Haidra-Org/horde-worker-reGen",
        "threads": 2,
        "max_tiles": 64,
    }
    with pytest.raises(ValidationError):
        AlchemyJobPopRequest(max_tiles=0)


def test_alchemy_pop_with_several_forms_to_parameters():
    response = _parse(ALCHEMY_POP, ALCHEMY_POP_BODY)
    assert isinstance(response, AlchemyJobPopResponse)
    assert response.has_job()
    assert response.model_dump(mode="json", by_alias=True, exclude_unset=True) == ALCHEMY_POP_BODY
    _round_trips(response)
    caption, upscale, facefix = response.get_generation_parameters()
    assert caption.source_image == SOURCE_URL
    assert caption.forms == (CaptionAlchemyParameters(),)
    assert upscale.forms == (UpscaleAlchemyParameters(upscaler="RealESRGAN_x2plus"),)
    assert isinstance(facefix.forms[0], FacefixAlchemyParameters)
    assert [parameters.get_number_expected_results() for parameters in (caption, upscale, facefix)] == [1, 1, 1]
    assert response.forms is not None
    assert response.forms[1].r2_upload is not None


def test_empty_and_broken_alchemy_pops():
    empty = _parse(ALCHEMY_POP, {"forms": [], "skipped": {"worker_id": 0, "untrusted": 2, "bridge_version": 1}})
    assert isinstance(empty, AlchemyJobPopResponse)
    assert empty.is_empty()
    assert empty.get_generation_parameters() == ()

    broken = AlchemyJobPopResponse.model_validate({"forms": [{"id": GEN_1, "form": "caption"}]})
    assert broken.forms is not None
    with pytest.raises(UnusableJobPayloadError, match="no source image") as caught:
        broken.forms[0].get_generation_parameters()
    assert caught.value.job_id == GEN_1

    newer = AlchemyJobPopResponse.model_validate({"forms": [{"id": GEN_1, "form": "sketchify", "source_image": "u"}]})
    (parameters,) = newer.get_generation_parameters()
    assert parameters.forms == (OtherAlchemyParameters(form="sketchify"),)


def test_alchemy_submit_result_is_an_object_keyed_by_form_name_not_the_swaggers_string(horde_swagger):
    # The swagger says `result` is a string; the server wants an object keyed by the form name (BEHAVIOUR.md).
    body_schema = horde_swagger["paths"]["/v2/interrogate/submit"]["post"]["parameters"]
    (payload,) = [param for param in body_schema if param["in"] == "body"]
    assert payload["schema"]["properties"]["result"]["type"] == "string"

    caption = AlchemyJobSubmitRequest(id_=GenerationID(GEN_1), result={"caption": "a cat on a red sofa"}, state="ok")
    prepared = _build(caption)
    assert (prepared.method, prepared.url) == ("POST", "https://aihorde.net/api/v2/interrogate/submit")
    assert prepared.json_body == {"id": GEN_1, "result": {"caption": "a cat on a red sofa"}, "state": "ok"}

    pop = AlchemyJobPopResponse.model_validate(ALCHEMY_POP_BODY)
    assert pop.forms is not None
    uploaded = AlchemyJobSubmitRequest.for_uploaded_image(pop.forms[1], state="ok")
    assert _build(uploaded).json_body == {"id": GEN_2, "result": {"RealESRGAN_x2plus": "R2"}, "state": "ok"}

    with pytest.raises(ValidationError):
        AlchemyJobSubmitRequest(id_=GEN_1, result="a cat")  # type: ignore[arg-type]  # a text result on purpose: the error under test
    response = _parse(caption, {"reward": 1.0})
    assert isinstance(response, JobSubmitResponse)
