"""Meta model entries, memory amounts, and the feature flags a configuration grants."""

from __future__ import annotations

import logging
import re

import pydantic
import pytest

from horde_sdk.deploy_config import (
    KNOWN_MODEL_META_INSTRUCTIONS,
    MODEL_META_BASELINE_WORDS,
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    MemoryAmount,
    ModelMetaInstruction,
    ModelSelection,
    TextWorkerDeployConfig,
    parse_model_entry,
)
from horde_sdk.generation_parameters.alchemy import (
    KNOWN_ALCHEMY_FORMS,
    AlchemyFeatureFlags,
    AlchemyParameters,
    CaptionAlchemyParameters,
    UpscaleAlchemyParameters,
)
from horde_sdk.generation_parameters.generic import KNOWN_IMAGE_POST_PROCESSORS
from horde_sdk.generation_parameters.image import (
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_MODEL_BASELINES,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    ControlnetGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    ImagePostProcessingParameters,
    LoRaEntry,
)
from horde_sdk.generation_parameters.text import TextGenerationFeatureFlags, TextGenerationParameters

# ---------------------------------------------------------------------------------------------------------------
# Meta entries
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "kind", "count", "baselines"),
    [
        ("top 2", KNOWN_MODEL_META_INSTRUCTIONS.top, 2, ()),
        ("Top   5", KNOWN_MODEL_META_INSTRUCTIONS.top, 5, ()),
        ("bottom 5", KNOWN_MODEL_META_INSTRUCTIONS.bottom, 5, ()),
        ("all", KNOWN_MODEL_META_INSTRUCTIONS.all, None, ()),
        ("all models", KNOWN_MODEL_META_INSTRUCTIONS.all, None, ()),
        ("ALL MODELS", KNOWN_MODEL_META_INSTRUCTIONS.all, None, ()),
        ("all sfw", KNOWN_MODEL_META_INSTRUCTIONS.all_sfw, None, ()),
        ("all nsfw", KNOWN_MODEL_META_INSTRUCTIONS.all_nsfw, None, ()),
        ("all inpainting", KNOWN_MODEL_META_INSTRUCTIONS.all_inpainting, None, ()),
        ("all sdxl", KNOWN_MODEL_META_INSTRUCTIONS.all, None, (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_xl,)),
        ("all sd15", KNOWN_MODEL_META_INSTRUCTIONS.all, None, (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_1,)),
        (
            "all sd21",
            KNOWN_MODEL_META_INSTRUCTIONS.all,
            None,
            (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_768, KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_512),
        ),
        ("all flux", KNOWN_MODEL_META_INSTRUCTIONS.all, None, (KNOWN_IMAGE_MODEL_BASELINES.flux_1,)),
        ("all cascade", KNOWN_MODEL_META_INSTRUCTIONS.all, None, (KNOWN_IMAGE_MODEL_BASELINES.stable_cascade,)),
    ],
)
def test_meta_entries(
    entry: str,
    kind: KNOWN_MODEL_META_INSTRUCTIONS,
    count: int | None,
    baselines: tuple[KNOWN_IMAGE_MODEL_BASELINES, ...],
) -> None:
    instruction = parse_model_entry(entry)
    assert instruction == ModelMetaInstruction(kind=kind, count=count, baselines=baselines, entry=entry)


def test_every_baseline_word_is_parsed() -> None:
    for word in MODEL_META_BASELINE_WORDS:
        instruction = parse_model_entry(f"all {word}")
        assert instruction is not None
        assert instruction.baselines


@pytest.mark.parametrize(
    "entry", ["Deliberate", "AlbedoBase XL (SDXL)", "Top Model", "top", "topaz 5", "stable_diffusion"]
)
def test_model_names_are_not_meta_entries(entry: str) -> None:
    assert parse_model_entry(entry) is None


def test_unknown_all_entry_is_a_name_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="horde_sdk.deploy_config"):
        assert parse_model_entry("all pixelart") is None
    assert "kept as a model name" in caplog.text


@pytest.mark.parametrize("entry", ["top 0", "bottom -1", "", "   "])
def test_invalid_meta_entries(entry: str) -> None:
    with pytest.raises(ValueError, match=r"must be a positive whole number|must not be empty"):
        parse_model_entry(entry)


def test_model_selection_splits_and_writes_back() -> None:
    selection = ModelSelection.model_validate(["Deliberate", "top 3", "  Spaced  ", "all sfw"])
    assert selection.names == ("Deliberate", "Spaced")
    assert [m.entry for m in selection.meta_instructions] == ["top 3", "all sfw"]
    dumped: object = selection.model_dump()  # the model serializer writes a list; pydantic types dumps as dict
    assert dumped == ["top 3", "all sfw", "Deliberate", "Spaced"]
    assert not selection.is_empty()
    assert ModelSelection().is_empty()
    assert ModelSelection.model_validate(selection) == selection
    assert ModelSelection.model_validate({"names": ("a",)}).names == ("a",)


# ---------------------------------------------------------------------------------------------------------------
# Memory amounts
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "written"),
    [
        ("80%", MemoryAmount(percent=80), "80%"),
        (" 12.5 % ", MemoryAmount(percent=12.5), "12.5%"),
        (4096, MemoryAmount(megabytes=4096), 4096),
        ("4096", MemoryAmount(megabytes=4096), 4096),
        ("2048MB", MemoryAmount(megabytes=2048), 2048),
        ("0%", MemoryAmount(percent=0), "0%"),
    ],
)
def test_memory_amounts(value: object, expected: MemoryAmount, written: object) -> None:
    amount = MemoryAmount.model_validate(value)
    assert amount == expected
    assert amount.model_dump() == written


@pytest.mark.parametrize("value", ["80 GB", "lots", -1, "-5%", "101%", "1.5", True, 1.5, None, [80]])
def test_invalid_memory_amounts(value: object) -> None:
    with pytest.raises(pydantic.ValidationError):
        MemoryAmount.model_validate(value)


def test_memory_amount_needs_one_unit() -> None:
    with pytest.raises(pydantic.ValidationError, match="exactly one of percent and megabytes"):
        MemoryAmount()
    with pytest.raises(pydantic.ValidationError, match="exactly one of percent and megabytes"):
        MemoryAmount(percent=1, megabytes=1)


def test_memory_amount_in_megabytes() -> None:
    assert MemoryAmount(percent=25).to_megabytes(8192) == 2048
    assert MemoryAmount(megabytes=100).to_megabytes(8192) == 100


# ---------------------------------------------------------------------------------------------------------------
# Image feature flags
# ---------------------------------------------------------------------------------------------------------------


def image(**fields: object) -> ImageGenerationParameters:
    return ImageGenerationParameters.model_validate({"prompt": "a cat", **fields})


def test_default_image_flags_follow_the_defaults() -> None:
    flags = ImageWorkerDeployConfig().image_feature_flags()
    assert isinstance(flags, ImageGenerationFeatureFlags)
    assert set(flags.source_processing) == {
        KNOWN_IMAGE_SOURCE_PROCESSING.img2img,
        KNOWN_IMAGE_SOURCE_PROCESSING.remix,
        KNOWN_IMAGE_SOURCE_PROCESSING.inpainting,
        KNOWN_IMAGE_SOURCE_PROCESSING.outpainting,
    }
    assert not flags.controlnet
    assert flags.controlnet_types == ()
    assert not flags.loras
    assert not flags.textual_inversion
    assert flags.post_processing
    assert set(flags.post_processors) == set(KNOWN_IMAGE_POST_PROCESSORS)


def test_image_flags_follow_the_allow_settings() -> None:
    config = ImageWorkerDeployConfig(
        allow_img2img=False,
        allow_painting=False,
        allow_post_processing=False,
        allow_controlnet=True,
        allow_lora=True,
    )
    flags = config.image_feature_flags()
    assert flags.source_processing == ()
    assert flags.post_processors == ()
    assert not flags.post_processing
    assert flags.controlnet
    assert set(flags.controlnet_types) == set(KNOWN_IMAGE_CONTROLNETS)
    assert flags.loras
    assert flags.textual_inversion


def test_plain_image_is_served_by_default() -> None:
    config = ImageWorkerDeployConfig()
    parameters = image()
    assert config.can_serve_image(parameters)
    assert parameters.get_required_feature_flags().is_satisfied_by(config.image_feature_flags())


def test_image_requirements_unmet_by_the_configuration() -> None:
    config = ImageWorkerDeployConfig(allow_painting=False, allow_lora=False, allow_post_processing=False)
    inpainting = image(
        source_processing="inpainting",
        img2img=Image2ImageGenerationParameters(source_image=b"image-bytes", source_mask=b"mask"),
    )
    assert config.get_unmet_image_requirements(inpainting) == ("source_processing: inpainting",)
    with_lora = image(loras=[LoRaEntry(name="some lora")])
    assert config.get_unmet_image_requirements(with_lora) == ("loras",)
    upscaled = image(post_processing=ImagePostProcessingParameters(post_processors=("RealESRGAN_x4plus",)))
    assert config.get_unmet_image_requirements(upscaled) == ("post_processing", "post_processors: RealESRGAN_x4plus")
    assert not config.can_serve_image(upscaled)


def test_image_size_and_batch_limits() -> None:
    config = ImageWorkerDeployConfig(max_power=8, max_batch=2)
    assert config.max_pixels == 262144
    assert config.can_serve_image(image(width=512, height=512, batch_size=2))
    assert config.get_unmet_image_requirements(image(width=1024, height=512)) == (
        "max_pixels: 1024x512 is more than 262144 pixels",
    )
    assert config.get_unmet_image_requirements(image(batch_size=3)) == ("max_batch: a batch of 3 is more than 2",)


def test_sdxl_controlnet_needs_its_own_permission() -> None:
    controlnet = ControlnetGenerationParameters(control_type="canny", source_image=b"control")
    sdxl = image(controlnet=controlnet, model_baseline="stable_diffusion_xl")
    sd15 = image(controlnet=controlnet, model_baseline="stable_diffusion_1")
    config = ImageWorkerDeployConfig(allow_controlnet=True)
    assert config.can_serve_image(sd15)
    assert config.get_unmet_image_requirements(sdxl) == ("allow_sdxl_controlnet: ControlNet on an SDXL model",)
    assert ImageWorkerDeployConfig(allow_controlnet=True, allow_sdxl_controlnet=True).can_serve_image(sdxl)
    assert ImageWorkerDeployConfig().get_unmet_image_requirements(sd15) == ("controlnet", "controlnet_types: canny")


# ---------------------------------------------------------------------------------------------------------------
# Alchemy and text
# ---------------------------------------------------------------------------------------------------------------


def test_alchemy_flags_list_the_forms() -> None:
    config = AlchemyWorkerDeployConfig(forms=("caption", "GFPGAN"))
    assert config.alchemy_feature_flags() == AlchemyFeatureFlags(
        alchemy_forms=(KNOWN_ALCHEMY_FORMS.caption, KNOWN_ALCHEMY_FORMS.GFPGAN)
    )
    caption = AlchemyParameters(source_image=b"img", forms=(CaptionAlchemyParameters(),))
    upscale = AlchemyParameters(source_image=b"img", forms=(UpscaleAlchemyParameters(upscaler="RealESRGAN_x4plus"),))
    assert config.can_serve_alchemy(caption)
    assert config.get_unmet_alchemy_requirements(upscale) == ("alchemy_forms: RealESRGAN_x4plus",)
    assert AlchemyWorkerDeployConfig(forms=("post-process",)).can_serve_alchemy(upscale)
    assert AlchemyWorkerDeployConfig().alchemy_feature_flags().alchemy_forms == ()


def test_unknown_form_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = AlchemyWorkerDeployConfig(forms=("brand_new_form",))
    assert config.forms == ("brand_new_form",)
    assert "brand_new_form" in caplog.text
    assert config.alchemy_feature_flags().alchemy_forms == ("brand_new_form",)


def test_text_flags_and_length_limits() -> None:
    config = TextWorkerDeployConfig(max_length=100, max_context_length=2048)
    assert isinstance(config.text_feature_flags(), TextGenerationFeatureFlags)
    fits = TextGenerationParameters(prompt="hello", max_length=100, max_context_length=2048)
    too_long = TextGenerationParameters(prompt="hello", max_length=200, max_context_length=4096)
    assert config.can_serve_text(fits)
    assert fits.get_required_feature_flags().is_satisfied_by(config.text_feature_flags())
    assert config.get_unmet_text_requirements(too_long) == (
        "max_length: 200 tokens is more than 100",
        "max_context_length: 4096 tokens is more than 2048",
    )
    assert not config.can_serve_text(too_long)


def test_combined_configuration_has_every_kind() -> None:
    config = CombinedWorkerDeployConfig(forms=("caption",), allow_lora=True)
    assert config.image_feature_flags().loras
    assert config.alchemy_feature_flags().alchemy_forms == (KNOWN_ALCHEMY_FORMS.caption,)
    assert config.text_feature_flags().stop_sequences
    fields = list(CombinedWorkerDeployConfig.model_fields)
    assert fields[:2] == ["api_key", "horde_url"]
    assert fields.index("dreamer_name") < fields.index("alchemist_name") < fields.index("scribe_name")
    with pytest.raises(pydantic.ValidationError, match="max_length"):
        CombinedWorkerDeployConfig(max_length=2000, max_context_length=1024)


@pytest.mark.parametrize("value", ["demo", "koboldai", "my_engine.horde:image_backend", " demo "])
def test_backend_names_accept_builtins_and_factory_paths(value: str) -> None:
    assert ImageWorkerDeployConfig(image_backend=value).image_backend == value.strip()


@pytest.mark.parametrize("value", ["", "Demo Backend", "my_engine.horde:", ":factory", "a:b:c"])
def test_backend_names_reject_other_text(value: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="built-in backend name"):
        ImageWorkerDeployConfig(image_backend=value)


def test_text_backend_defaults_to_koboldai() -> None:
    config = TextWorkerDeployConfig()
    assert config.text_backend == "koboldai"
    assert config.text_backend_api_key is None
    assert AlchemyWorkerDeployConfig().alchemy_backend is None


# ---------------------------------------------------------------------------------------------------------------
# bridge_agent: how the worker names itself to the horde
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("My Worker:1.2.0:https://example.com/my-worker", "My Worker:1.2.0:https://example.com/my-worker"),
        ("  AI Horde Worker reGen:9:https://x  ", "AI Horde Worker reGen:9:https://x"),
        ("mine:10.0.0-rc.1+build.5", "mine:10.0.0-rc.1+build.5"),
        ("mine:3.1:", "mine:3.1"),  # an empty url is no url: the worker adds its own third part
    ],
)
def test_bridge_agent_is_kept_as_the_horde_reads_it(value: str, expected: str) -> None:
    assert ImageWorkerDeployConfig(bridge_agent=value).bridge_agent == expected
    assert TextWorkerDeployConfig(bridge_agent=value).bridge_agent == expected
    assert ImageWorkerDeployConfig().bridge_agent is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("just-a-name", "must be 'name:version' or 'name:version:url'"),
        (":1:https://x", "must be 'name:version' or 'name:version:url'"),
        ("mine:v9:https://x", "the version 'v9' is not one the horde reads"),
        ("mine:01", "the version '01' is not one the horde reads"),
        ("mine:9.1.0.4", "is not one the horde reads"),
        ("mine :1", "must not start or end with spaces"),
        ("mine:1:" + "u" * 1000, "at most 1000 characters"),
    ],
)
def test_bridge_agent_the_horde_could_not_read_is_refused(value: str, message: str) -> None:
    # The horde takes an agent it cannot read for an unknown bridge and sends it no feature: refuse it up front.
    with pytest.raises(pydantic.ValidationError, match=re.escape(message)):
        ImageWorkerDeployConfig(bridge_agent=value)
