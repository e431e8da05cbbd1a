"""AI Horde dispatch: pop requests from a deploy configuration, pop answers to jobs, faults and empty pops."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobPopResponse,
    ImageGenerateJobPopResponse,
    TextGenerateJobPopResponse,
)
from horde_sdk.ai_horde_api.consts import METADATA_TYPE, WORKER_TYPE
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.deploy_config import (
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SOURCE_PROCESSING,
    CaptionAlchemyParameters,
    FacefixAlchemyParameters,
    ImageGenerationFeatureFlags,
    UpscaleAlchemyParameters,
)
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings
from horde_sdk.worker.__about__ import __version__
from horde_sdk.worker.backends import DEMO_IMAGE_FEATURES
from horde_sdk.worker.dispatch import AIHordeDispatchParameters, DispatchedJob, DispatchFault, EmptyDispatch
from horde_sdk.worker.dispatch.ai_horde import (
    BRIDGE_AGENT_URL,
    UnreadablePopError,
    build_alchemy_pop_request,
    build_image_pop_request,
    build_text_pop_request,
    convert_alchemy_pop,
    convert_image_pop,
    convert_text_pop,
    get_bridge_agent,
    is_url,
    parse_alchemy_pop,
    parse_image_pop,
    parse_text_pop,
    raw_pop_request,
    validate_image_reference,
)

GEN_1 = "11111111-2222-4333-8444-555555555551"
GEN_2 = "11111111-2222-4333-8444-555555555552"
GEN_3 = "11111111-2222-4333-8444-555555555553"
SOURCE_URL = "https://r2.example.com/source.webp?X-Amz-Signature=secret-signature"
MASK_URL = "https://r2.example.com/mask.webp?X-Amz-Signature=secret-mask"
EXTRA_URL = "https://r2.example.com/extra.webp?X-Amz-Signature=secret-extra"
UPLOAD_1 = "https://r2.example.com/upload/1?X-Amz-Signature=u1"
UPLOAD_2 = "https://r2.example.com/upload/2?X-Amz-Signature=u2"
BASE64_IMAGE = base64.b64encode(b"RIFF....WEBPVP8 fake image bytes").decode()


def _body(request: HordeRequest) -> Any:
    core = RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )
    return core.build(request).json_body


# ------------------------------------------------------------------------------------------- pop requests
def test_bridge_agent_names_this_sdk():
    assert get_bridge_agent() == f"horde-sdk-worker:{__version__}:{BRIDGE_AGENT_URL}"
    assert get_bridge_agent("mine", "2.0", "https://example.com") == "mine:2.0:https://example.com"
    with pytest.raises(ValueError, match="':'"):
        get_bridge_agent("a:b")


def test_image_pop_request_from_a_deploy_config():
    config = ImageWorkerDeployConfig(
        dreamer_name="lighthouse-keeper",
        priority_usernames=("alice#1",),
        max_threads=2,
        max_power=32,
        nsfw=False,
        blacklist=("forbidden",),
        allow_img2img=True,
        allow_painting=False,
        allow_unsafe_ip=False,
        allow_post_processing=True,
        allow_controlnet=True,
        allow_sdxl_controlnet=False,
        allow_lora=True,
        require_upfront_kudos=True,
        extra_slow_worker=False,
        limit_max_steps=True,
    )
    request = build_image_pop_request(config, ["Deliberate", "AlbedoBase XL (SDXL)", "Deliberate"], amount=3)
    assert _body(request) == {
        "name": "lighthouse-keeper",
        "priority_usernames": ["alice#1"],
        "nsfw": False,
        "models": ["Deliberate", "AlbedoBase XL (SDXL)"],
        # An image worker's default agent is a bridge the horde knows (see bridge_capabilities), naming the SDK.
        "bridge_agent": f"SD-WebUI Stable Horde Worker Bridge:1:horde-sdk-worker {__version__} {BRIDGE_AGENT_URL}",
        "threads": 2,
        "require_upfront_kudos": True,
        "amount": 3,
        "extra_slow_worker": False,
        "max_pixels": 32 * 8 * 64 * 64,
        "blacklist": ["forbidden"],
        "allow_img2img": True,
        "allow_painting": False,
        "allow_unsafe_ipaddr": False,
        "allow_post_processing": True,
        "allow_controlnet": True,
        "allow_sdxl_controlnet": False,
        "allow_lora": True,
        "limit_max_steps": True,
    }


def test_image_pop_request_defaults_and_refusals():
    config = ImageWorkerDeployConfig(dreamer_name="w")
    body = _body(build_image_pop_request(config, ["Deliberate"], bridge_agent="custom:1:https://x"))
    assert body["bridge_agent"] == "custom:1:https://x"
    assert body["extra_slow_worker"] is False  # the configuration's default, not the API model's True
    assert body["amount"] == 1
    assert "blacklist" not in body or body["blacklist"] is None
    with pytest.raises(ValueError, match="model"):
        build_image_pop_request(config, [])
    with pytest.raises(ValueError, match="dreamer_name"):
        build_image_pop_request(ImageWorkerDeployConfig(), ["Deliberate"])
    with pytest.raises(ValidationError):
        build_image_pop_request(config, ["Deliberate"], amount=21)


def test_image_pop_asks_only_for_what_the_backend_runs():
    # Everything allowed by the configuration...
    config = ImageWorkerDeployConfig(
        dreamer_name="w", allow_controlnet=True, allow_sdxl_controlnet=True, allow_lora=True
    )
    allows = ("allow_img2img", "allow_painting", "allow_post_processing", "allow_controlnet", "allow_sdxl_controlnet")
    everything = _body(build_image_pop_request(config, ["Deliberate"], backend_features=DEMO_IMAGE_FEATURES))
    assert all(everything[key] is True for key in (*allows, "allow_lora"))
    # ...but a txt2img-only engine gets none of those jobs.
    txt2img_only = ImageGenerationFeatureFlags(samplers=("k_euler",))
    body = _body(build_image_pop_request(config, ["Deliberate"], backend_features=txt2img_only))
    assert all(body[key] is False for key in (*allows, "allow_lora"))
    # Each flag follows its own feature; LoRa jobs need textual inversions too (one pop field covers both).
    partial = ImageGenerationFeatureFlags(
        source_processing=(KNOWN_IMAGE_SOURCE_PROCESSING.inpainting,),
        post_processing=True,
        post_processors=("RealESRGAN_x4plus",),
        loras=True,
    )
    body = _body(build_image_pop_request(config, ["Deliberate"], backend_features=partial))
    assert (body["allow_img2img"], body["allow_painting"], body["allow_post_processing"]) == (False, True, True)
    assert (body["allow_controlnet"], body["allow_lora"]) == (False, False)
    # The configuration still has the last word.
    refusing = ImageWorkerDeployConfig(dreamer_name="w", allow_img2img=False, allow_post_processing=False)
    body = _body(build_image_pop_request(refusing, ["Deliberate"], backend_features=DEMO_IMAGE_FEATURES))
    assert (body["allow_img2img"], body["allow_post_processing"], body["allow_lora"]) == (False, False, False)


def test_text_pop_request_from_a_deploy_config():
    config = TextWorkerDeployConfig(
        scribe_name="scribe", model_name="koboldcpp/Llama-3", max_length=240, max_context_length=4096, max_threads=1
    )
    body = _body(build_text_pop_request(config, amount=2))
    assert body["name"] == "scribe"
    assert body["models"] == ["koboldcpp/Llama-3"]
    assert body["max_length"] == 240
    assert body["max_context_length"] == 4096
    assert body["amount"] == 2
    assert body["nsfw"] is False
    assert body["extra_slow_worker"] is False
    assert body["bridge_agent"] == get_bridge_agent()
    branded = _body(build_text_pop_request(config, ["koboldcpp/Llama-3::alice#1"], nsfw=True))
    assert branded["models"] == ["koboldcpp/Llama-3::alice#1"]
    assert branded["nsfw"] is True
    with pytest.raises(ValueError, match="model"):
        build_text_pop_request(TextWorkerDeployConfig(scribe_name="s"))


def test_text_pop_request_of_a_combined_config_uses_its_image_settings():
    config = CombinedWorkerDeployConfig(worker_name="all", model_name="m/odel", nsfw=True, extra_slow_worker=True)  # type: ignore[call-arg]  # worker_name, a former key (AliasChoices), is not a field name: only validation reads it
    body = _body(build_text_pop_request(config))
    assert (body["nsfw"], body["extra_slow_worker"]) == (True, True)


def test_alchemy_pop_request_from_a_deploy_config():
    config = AlchemyWorkerDeployConfig(alchemist_name="alchemist", forms=("caption", "nsfw"), max_threads=2)
    assert _body(build_alchemy_pop_request(config, amount=4, max_tiles=64)) == {
        "name": "alchemist",
        "forms": ["caption", "nsfw"],
        "amount": 4,
        "bridge_agent": get_bridge_agent(),
        "threads": 2,
        "max_tiles": 64,
    }
    post = build_alchemy_pop_request(AlchemyWorkerDeployConfig(alchemist_name="a", forms=("post-process",)))
    assert post.forms is not None
    assert "RealESRGAN_x2plus" in post.forms
    assert "GFPGAN" in post.forms
    with pytest.raises(ValueError, match="forms"):
        build_alchemy_pop_request(AlchemyWorkerDeployConfig(alchemist_name="a"))


# ---------------------------------------------------------------------------------- image pop conversion
def _image_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "sampler_name": "k_dpmpp_2m",
        "cfg_scale": 6.5,
        "denoising_strength": 0.75,
        "height": 1024,
        "width": 768,
        "karras": True,
        "clip_skip": 2,
        "seed": "3094862541",
        "prompt": "a lighthouse on a cliff, oil painting ### people, text",
        "ddim_steps": 28,
        "n_iter": 1,
        "use_nsfw_censor": False,
    }
    payload.update(overrides)
    return payload


def _image_pop(payload: dict[str, Any] | None = None, **overrides: Any) -> ImageGenerateJobPopResponse:
    body: dict[str, Any] = {
        "payload": payload if payload is not None else _image_payload(),
        "id": GEN_1,
        "ids": [GEN_1],
        "ttl": 150,
        "skipped": {"models": 3, "nsfw": 0},
        "model": "AlbedoBase XL (SDXL)",
        "source_processing": "img2img",
        "r2_upload": UPLOAD_1,
        "r2_uploads": [UPLOAD_1],
        "messages": [
            {"id": GEN_3, "message": "Please update.", "origin": "moderator", "expiry": "2030-01-01T00:00:00Z"}
        ],
    }
    body.update(overrides)
    return ImageGenerateJobPopResponse.model_validate(body)


def _job(outcome: object) -> DispatchedJob[Any]:
    assert isinstance(outcome, DispatchedJob), outcome
    return outcome


def test_txt2img_pop_to_parameters_and_dispatch_parameters():
    job = _job(convert_image_pop(_image_pop()))
    parameters = job.generation_parameters
    assert parameters.prompt == "a lighthouse on a cliff, oil painting"
    assert parameters.negative_prompt == "people, text"
    assert parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.txt2img
    assert parameters.model == "AlbedoBase XL (SDXL)"
    assert (parameters.width, parameters.height, parameters.steps, parameters.seed) == (768, 1024, 28, "3094862541")
    dispatch = job.dispatch_parameters
    assert dispatch == AIHordeDispatchParameters(
        worker_type=WORKER_TYPE.image,
        job_id=GEN_1,
        generation_ids=(GEN_1,),
        ttl=150,
        model="AlbedoBase XL (SDXL)",
        r2_uploads=(UPLOAD_1,),
        skipped=(("models", 3),),
        censor_nsfw=False,
        source_processing="txt2img",
        messages=("Please update.",),
    )
    assert dispatch.get_r2_upload(GEN_1) == UPLOAD_1
    with pytest.raises(KeyError):
        dispatch.get_r2_upload(GEN_2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dispatch.ttl = 1  # type: ignore[misc]  # a frozen object on purpose: the error under test


def test_presigned_urls_stay_out_of_reprs():
    job = _job(convert_image_pop(_image_pop(source_image=SOURCE_URL)))
    text = repr(job)
    assert "X-Amz-Signature" not in text
    assert "secret" not in text
    assert "upload/1" not in text


def test_batch_pop_gives_one_upload_url_per_generation():
    job = _job(
        convert_image_pop(_image_pop(_image_payload(n_iter=2), ids=[GEN_1, GEN_2], r2_uploads=[UPLOAD_1, UPLOAD_2]))
    )
    assert job.generation_parameters.batch_size == 2
    assert job.generation_parameters.get_number_expected_results() == 2
    assert job.dispatch_parameters.generation_ids == (GEN_1, GEN_2)
    assert job.dispatch_parameters.r2_uploads == (UPLOAD_1, UPLOAD_2)
    assert job.dispatch_parameters.get_r2_upload(GEN_2) == UPLOAD_2


def test_batch_pop_with_missing_upload_urls_keeps_the_ids_aligned():
    job = _job(convert_image_pop(_image_pop(ids=[GEN_1, GEN_2], r2_upload=None, r2_uploads=None)))
    assert job.dispatch_parameters.r2_uploads == (None, None)
    assert job.dispatch_parameters.get_r2_upload(GEN_2) is None


def test_img2img_pop_lists_the_source_image_to_download():
    job = _job(convert_image_pop(_image_pop(source_image=SOURCE_URL, source_processing="img2img")))
    assert job.generation_parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.img2img
    assert job.generation_parameters.img2img is not None
    assert job.generation_parameters.img2img.source_image == SOURCE_URL
    (image,) = job.dispatch_parameters.images_to_download
    assert (image.role, image.location, image.is_url) == (METADATA_TYPE.source_image, SOURCE_URL, True)


def test_inpainting_pop_with_mask_and_base64_source():
    job = _job(
        convert_image_pop(_image_pop(source_image=BASE64_IMAGE, source_mask=MASK_URL, source_processing="inpainting"))
    )
    assert job.generation_parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.inpainting
    assert job.generation_parameters.img2img is not None
    assert job.generation_parameters.img2img.source_mask == MASK_URL
    source, mask = job.dispatch_parameters.images_to_download
    assert (source.role, source.is_url) == (METADATA_TYPE.source_image, False)
    assert (mask.role, mask.is_url) == (METADATA_TYPE.source_mask, True)
    assert job.dispatch_parameters.source_processing == "inpainting"


def test_remix_pop_lists_extra_source_images_with_strengths():
    pop = _image_pop(
        source_image=SOURCE_URL,
        source_processing="remix",
        extra_source_images=[{"image": EXTRA_URL, "strength": 0.5}, {"image": BASE64_IMAGE}],
    )
    job = _job(convert_image_pop(pop))
    remix = job.generation_parameters.remix
    assert remix is not None
    assert [entry.image for entry in remix.extra_source_images] == [EXTRA_URL, BASE64_IMAGE]
    source, first, second = job.dispatch_parameters.images_to_download
    assert source.role == METADATA_TYPE.source_image
    assert (first.role, first.index, first.strength, first.is_url) == (
        METADATA_TYPE.extra_source_images,
        0,
        0.5,
        True,
    )
    assert (second.index, second.is_url) == (1, False)


def test_controlnet_and_hires_fix_pop():
    payload = _image_payload(
        control_type="canny", image_is_control=True, hires_fix=True, hires_fix_denoising_strength=0.6
    )
    job = _job(convert_image_pop(_image_pop(payload, source_image=SOURCE_URL)))
    parameters = job.generation_parameters
    assert parameters.controlnet is not None
    assert (parameters.controlnet.control_type, parameters.controlnet.image_is_control) == ("canny", True)
    assert parameters.hires_fix is not None
    assert parameters.hires_fix.denoising_strength == 0.6
    required = parameters.get_required_feature_flags()
    assert required.controlnet
    assert required.hires_fix


def test_lora_and_ti_pop():
    payload = _image_payload(
        loras=[{"name": "247778", "model": 0.8, "clip": 1.0, "inject_trigger": "any", "is_version": True}],
        tis=[{"name": "72437", "inject_ti": "negprompt", "strength": 0.5}],
    )
    parameters = _job(convert_image_pop(_image_pop(payload))).generation_parameters
    (lora,) = parameters.loras
    assert (lora.name, lora.model_strength, lora.is_version) == ("247778", 0.8, True)
    (ti,) = parameters.tis
    assert (ti.name, ti.inject_ti, ti.strength) == ("72437", "negprompt", 0.5)


def test_post_processing_chain_and_censor_flag():
    payload = _image_payload(post_processing=["RealESRGAN_x4plus", "CodeFormers"], use_nsfw_censor=True)
    job = _job(convert_image_pop(_image_pop(payload)))
    assert job.dispatch_parameters.post_processors == ("RealESRGAN_x4plus", "CodeFormers")
    assert job.dispatch_parameters.censor_nsfw is True
    assert job.generation_parameters.post_processing is not None
    assert job.generation_parameters.post_processing.post_processors == ("RealESRGAN_x4plus", "CodeFormers")


def test_prompt_without_negative_part():
    parameters = _job(convert_image_pop(_image_pop(_image_payload(prompt="just a cat")))).generation_parameters
    assert (parameters.prompt, parameters.negative_prompt) == ("just a cat", None)


def test_empty_image_pop_keeps_the_skipped_reasons():
    pop = ImageGenerateJobPopResponse.model_validate(
        {
            "payload": {"ddim_steps": 30, "n_iter": 1},
            "id": None,
            "ids": [],
            "skipped": {"models": 12, "nsfw": 2, "worker_id": 0, "post-processing": 1},
            "ttl": None,
        }
    )
    outcome = convert_image_pop(pop)
    assert outcome == EmptyDispatch(
        worker_type=WORKER_TYPE.image, skipped=(("nsfw", 2), ("models", 12), ("post-processing", 1))
    )


@pytest.mark.parametrize(
    ("overrides", "payload", "reason"),
    [
        ({"source_processing": "inpainting", "source_image": None}, None, "needs a source image"),
        ({"source_processing": "remix"}, None, "needs a source image"),
        ({}, {"prompt": "   "}, "prompt"),
        ({"source_image": "not an image at all!"}, None, "source_image is neither"),
        ({"source_image": SOURCE_URL, "source_mask": "%%%"}, None, "source_mask is neither"),
        (
            {"source_image": SOURCE_URL, "source_processing": "remix", "extra_source_images": [{"image": "***"}]},
            None,
            "extra_source_images 0 is neither",
        ),
        ({}, {"ddim_steps": 0}, "steps"),
    ],
)
def test_unusable_image_pops_become_faults(overrides, payload, reason):
    pop = _image_pop(_image_payload(**payload) if payload else None, ids=[GEN_1, GEN_2], **overrides)
    outcome = convert_image_pop(pop)
    assert isinstance(outcome, DispatchFault)
    assert outcome.worker_type == WORKER_TYPE.image
    assert (outcome.job_id, outcome.generation_ids, outcome.ttl) == (GEN_1, (GEN_1, GEN_2), 150)
    assert reason in outcome.reason
    assert "secret" not in outcome.reason


def test_image_reference_validation():
    assert is_url(SOURCE_URL)
    assert not is_url(BASE64_IMAGE)
    assert validate_image_reference(SOURCE_URL) is True
    assert validate_image_reference(BASE64_IMAGE) is False
    for bad in ("", "   ", "ftp://example.com/x.webp", "not base64!"):
        with pytest.raises(ValueError):
            validate_image_reference(bad)


# ----------------------------------------------------------------------------------- text pop conversion
def _text_pop(**overrides: Any) -> TextGenerateJobPopResponse:
    body: dict[str, Any] = {
        "payload": {
            "prompt": "Once upon a time",
            "max_length": 80,
            "max_context_length": 1024,
            "temperature": 0.7,
            "stop_sequence": ["\n\n"],
            "frmttriminc": True,
            "n": 1,
        },
        "id": GEN_1,
        "ids": [GEN_1],
        "ttl": 300,
        "model": "koboldcpp/Llama-3",
        "softprompt": None,
        "skipped": {"max_length": 2},
    }
    body.update(overrides)
    return TextGenerateJobPopResponse.model_validate(body)


def test_text_pop_to_parameters_and_dispatch_parameters():
    job = _job(convert_text_pop(_text_pop()))
    parameters = job.generation_parameters
    assert (parameters.prompt, parameters.max_length, parameters.temperature) == ("Once upon a time", 80, 0.7)
    assert parameters.stop_sequences == ("\n\n",)
    assert "frmttriminc" in parameters.formatting_options
    dispatch = job.dispatch_parameters
    assert (dispatch.worker_type, dispatch.job_id, dispatch.ttl, dispatch.model) == (
        WORKER_TYPE.text,
        GEN_1,
        300,
        "koboldcpp/Llama-3",
    )
    assert dispatch.skipped == (("max_length", 2),)
    assert dispatch.r2_uploads == ()


def test_text_batch_and_extra_source_images():
    job = _job(
        convert_text_pop(_text_pop(ids=[GEN_1, GEN_2], extra_source_images=[{"image": EXTRA_URL, "strength": 1.0}]))
    )
    assert job.generation_parameters.batch_size == 2
    assert job.dispatch_parameters.generation_ids == (GEN_1, GEN_2)
    (image,) = job.dispatch_parameters.images_to_download
    assert (image.role, image.is_url) == (METADATA_TYPE.extra_source_images, True)


def test_broken_and_empty_text_pops():
    broken = convert_text_pop(_text_pop(payload={"prompt": "   "}))
    assert isinstance(broken, DispatchFault)
    assert "prompt" in broken.reason
    bad_image = convert_text_pop(_text_pop(extra_source_images=[{"image": "!!"}]))
    assert isinstance(bad_image, DispatchFault)
    assert bad_image.generation_ids == (GEN_1,)
    empty = convert_text_pop(
        TextGenerateJobPopResponse.model_validate({"id": None, "ids": [], "skipped": {"max_context_length": 4}})
    )
    assert empty == EmptyDispatch(worker_type=WORKER_TYPE.text, skipped=(("max_context_length", 4),))


# -------------------------------------------------------------------------------- alchemy pop conversion
ALCHEMY_POP = {
    "forms": [
        {"id": GEN_1, "form": "caption", "payload": {}, "source_image": SOURCE_URL},
        {"id": GEN_2, "form": "RealESRGAN_x2plus", "payload": {}, "source_image": SOURCE_URL, "r2_upload": UPLOAD_1},
        {
            "id": GEN_3,
            "form": "GFPGAN",
            "payload": {"facefixer_strength": "0.5"},
            "source_image": SOURCE_URL,
            "r2_upload": UPLOAD_2,
        },
    ],
    "skipped": {},
}


def test_alchemy_pop_with_several_forms_gives_one_job_per_form():
    outcomes = convert_alchemy_pop(AlchemyJobPopResponse.model_validate(ALCHEMY_POP))
    assert isinstance(outcomes, tuple)
    caption, upscale, facefix = (_job(outcome) for outcome in outcomes)
    assert caption.generation_parameters.forms == (CaptionAlchemyParameters(),)
    assert upscale.generation_parameters.forms == (UpscaleAlchemyParameters(upscaler="RealESRGAN_x2plus"),)
    assert isinstance(facefix.generation_parameters.forms[0], FacefixAlchemyParameters)
    assert caption.dispatch_parameters.alchemy_form == "caption"
    assert caption.dispatch_parameters.r2_uploads == (None,)
    assert upscale.dispatch_parameters.r2_uploads == (UPLOAD_1,)
    assert upscale.dispatch_parameters.get_r2_upload(GEN_2) == UPLOAD_1
    assert (facefix.dispatch_parameters.job_id, facefix.dispatch_parameters.generation_ids) == (GEN_3, (GEN_3,))
    assert facefix.dispatch_parameters.worker_type == WORKER_TYPE.interrogation
    (image,) = caption.dispatch_parameters.images_to_download
    assert (image.role, image.is_url) == (METADATA_TYPE.source_image, True)


def test_broken_alchemy_forms_fault_alone():
    body = {
        "forms": [
            {"id": GEN_1, "form": "caption"},
            {"id": GEN_2, "form": "nsfw", "source_image": SOURCE_URL},
            {"id": GEN_3, "form": "caption", "source_image": "not-base64!"},
            {"form": "caption", "source_image": SOURCE_URL},
        ]
    }
    outcomes = convert_alchemy_pop(AlchemyJobPopResponse.model_validate(body))
    assert isinstance(outcomes, tuple)
    assert len(outcomes) == 3  # the entry without an id cannot be run or submitted
    first, second, third = outcomes
    assert isinstance(first, DispatchFault)
    assert (first.job_id, first.alchemy_form, first.worker_type) == (GEN_1, "caption", WORKER_TYPE.interrogation)
    assert "no source image" in first.reason
    assert _job(second).dispatch_parameters.alchemy_form == "nsfw"
    assert isinstance(third, DispatchFault)
    assert "source_image is neither" in third.reason


def test_empty_alchemy_pop():
    outcome = convert_alchemy_pop(AlchemyJobPopResponse.model_validate({"forms": [], "skipped": {"untrusted": 2}}))
    assert outcome == EmptyDispatch(worker_type=WORKER_TYPE.interrogation, skipped=(("untrusted", 2),))


# ---------------------------------------------------------------------------------------------------------------
# Malformed pop answers: faulted under their ids, never raised
# ---------------------------------------------------------------------------------------------------------------


def _raw_image_pop(**overrides: Any) -> dict[str, Any]:
    return {**_image_pop().model_dump(mode="json", by_alias=True, exclude_none=True), **overrides}


@pytest.mark.parametrize("ttl", [-5, 0, 10**15])
def test_a_ttl_out_of_range_is_a_fault(ttl: int) -> None:
    fault = convert_image_pop(_image_pop(ttl=ttl))
    assert isinstance(fault, DispatchFault)
    assert fault.generation_ids == (GEN_1,)
    assert "ttl" in fault.reason
    assert fault.ttl is None  # the worker's default ttl bounds the report


def test_a_repeated_id_is_a_fault_reporting_each_id_once() -> None:
    fault = convert_image_pop(_image_pop(ids=[GEN_1, GEN_2, GEN_1]))
    assert isinstance(fault, DispatchFault)
    assert fault.generation_ids == (GEN_1, GEN_2)
    assert fault.reason == "a generation id is repeated in ids"


@pytest.mark.parametrize(
    ("overrides", "ids"),
    [
        ({"ttl": "soon"}, (GEN_1,)),
        ({"payload": "garbage"}, (GEN_1,)),
        ({"ids": GEN_1}, (GEN_1,)),  # ids not a list: the id alone
        ({"ids": [GEN_1, 42, None, GEN_2]}, (GEN_1, GEN_2)),  # the text entries
    ],
)
def test_an_answer_not_matching_the_model_is_faulted_under_its_ids(
    overrides: dict[str, Any], ids: tuple[str, ...]
) -> None:
    fault = parse_image_pop(_raw_image_pop(**overrides))
    assert isinstance(fault, DispatchFault)
    assert fault.generation_ids == ids
    assert fault.reason.startswith("the pop answer does not match the API")


@pytest.mark.parametrize("raw", [["not", "a", "job"], "text", {"ids": [42], "payload": 1}, None])
def test_an_answer_without_any_id_is_unreadable(raw: object) -> None:
    with pytest.raises(UnreadablePopError):
        parse_image_pop(raw)


def test_a_well_formed_raw_answer_is_the_same_job() -> None:
    assert parse_image_pop(_raw_image_pop()) == convert_image_pop(_image_pop())
    assert isinstance(parse_image_pop({"id": None, "ids": [], "skipped": {}}), EmptyDispatch)
    text = parse_text_pop({"id": GEN_1, "ids": [GEN_1, GEN_1], "payload": {"prompt": "x"}, "ttl": 150})
    assert isinstance(text, DispatchFault)
    assert text.generation_ids == (GEN_1,)


def test_alchemy_entries_not_matching_the_model_are_faulted_one_by_one() -> None:
    good = {"id": GEN_1, "form": "caption", "source_image": "https://r2.example.invalid/s.webp"}
    outcomes = parse_alchemy_pop({"forms": [{**good, "id": GEN_2, "form": 42}, good, good, {"form": "caption"}]})
    assert isinstance(outcomes, tuple)
    assert [type(outcome).__name__ for outcome in outcomes] == ["DispatchFault", "DispatchedJob"]  # GEN_1 once
    with pytest.raises(UnreadablePopError):
        parse_alchemy_pop({"forms": "nope"})


def test_the_raw_pop_request_sends_the_same_fields() -> None:
    config = ImageWorkerDeployConfig(dreamer_name="raw-dreamer", api_key=SecretStr("a-registered-key"))
    request = build_image_pop_request(config, ["Model A"])
    raw = raw_pop_request(request)
    assert _body(raw) == _body(request)
    assert type(raw).get_api_endpoint_subpath() == type(request).get_api_endpoint_subpath()
