"""Worker feature flags: built from a deploy configuration, answering with every reason a generation is refused."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from horde_sdk.deploy_config import (
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import (
    AlchemyFeatureFlags,
    AlchemyParameters,
    CaptionAlchemyParameters,
    ControlnetGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    LoRaEntry,
    TextGenerationFeatureFlags,
    TextGenerationParameters,
    UpscaleAlchemyParameters,
)
from horde_sdk.worker.feature_flags import (
    BACKEND_REASON_PREFIX,
    AlchemyWorkerFeatureFlags,
    ImageWorkerFeatureFlags,
    SupportResult,
    TextWorkerFeatureFlags,
)

SOURCE = "https://r2.example.com/source.webp"


def _image(**values: object) -> ImageGenerationParameters:
    return ImageGenerationParameters.model_validate({"prompt": "a lighthouse", "model": "Deliberate", **values})


def test_support_result_keeps_every_reason_once_and_is_truthy_when_supported():
    assert SupportResult.from_reasons([]) == SupportResult(supported=True, reasons=())
    assert SupportResult.from_reasons([])
    result = SupportResult.from_reasons(["loras", "max_pixels: x", "loras"])
    assert not result
    assert result.reasons == ("loras", "max_pixels: x")


def test_image_flags_come_from_the_deploy_config_and_are_frozen():
    config = ImageWorkerDeployConfig(dreamer_name="w", max_power=32, max_batch=4, allow_lora=True)
    flags = ImageWorkerFeatureFlags.from_deploy_config(config)
    assert flags.flags == config.image_feature_flags()
    assert flags.max_pixels == config.max_pixels == 32 * 8 * 64 * 64
    assert flags.max_batch == 4
    assert flags.worker_kind == "dreamer"
    with pytest.raises(dataclasses.FrozenInstanceError):
        flags.models = ("x",)  # type: ignore[misc]  # a frozen object on purpose: the error under test


def test_image_check_lists_every_reason_not_only_the_first():
    config = ImageWorkerDeployConfig(
        dreamer_name="w", max_power=8, max_batch=1, allow_lora=False, allow_painting=False, allow_controlnet=False
    )
    flags = ImageWorkerFeatureFlags.from_deploy_config(config, models=("AlbedoBase XL (SDXL)",))
    parameters = _image(
        width=1024,
        height=1024,
        batch_size=3,
        loras=(LoRaEntry(name="247778"),),
        source_processing="inpainting",
        img2img=Image2ImageGenerationParameters(source_image=SOURCE),
        controlnet=ControlnetGenerationParameters(control_type="canny"),
    )
    result = flags.check(parameters)
    assert not result.supported
    # The configuration's own reasons (reused, not re-implemented) come first, then the model.
    assert result.reasons[:-1] == config.get_unmet_image_requirements(parameters)
    assert result.reasons[-1] == "model: Deliberate is not served"
    joined = " | ".join(result.reasons)
    for expected in ("source_processing: inpainting", "controlnet", "loras", "max_pixels", "max_batch"):
        assert expected in joined
    assert not flags.supports(parameters)


def test_image_check_of_a_supported_generation():
    flags = ImageWorkerFeatureFlags.from_deploy_config(
        ImageWorkerDeployConfig(dreamer_name="w"), models=("Deliberate",)
    )
    assert flags.check(_image()) == SupportResult(supported=True, reasons=())
    assert flags.supports(_image())


def test_image_check_of_required_flags_only_skips_limits_and_models():
    flags = ImageWorkerFeatureFlags.from_deploy_config(ImageWorkerDeployConfig(dreamer_name="w"), models=())
    required = _image(width=4096, height=4096, loras=(LoRaEntry(name="x"),)).get_required_feature_flags()
    assert flags.check(required).reasons == ("loras",)


def test_backend_flags_narrow_what_the_configuration_allows():
    config = ImageWorkerDeployConfig(dreamer_name="w", allow_lora=True)
    backend = ImageGenerationFeatureFlags(samplers=("k_euler",), schedulers=("karras", "normal"), loras=False)
    flags = ImageWorkerFeatureFlags.from_deploy_config(config, backend_flags=backend)
    result = flags.check(_image(loras=(LoRaEntry(name="x"),), sampler_name="k_dpmpp_2m"))
    assert result.reasons == (f"{BACKEND_REASON_PREFIX}loras", f"{BACKEND_REASON_PREFIX}samplers: k_dpmpp_2m")


def test_sdxl_controlnet_limit_is_reported_from_the_configuration():
    config = ImageWorkerDeployConfig(dreamer_name="w", allow_controlnet=True, allow_sdxl_controlnet=False)
    parameters = _image(
        model_baseline="stable_diffusion_xl",
        source_processing="img2img",
        img2img=Image2ImageGenerationParameters(source_image=SOURCE),
        controlnet=ControlnetGenerationParameters(control_type="canny"),
    )
    assert ImageWorkerFeatureFlags.from_deploy_config(config).check(parameters).reasons == (
        "allow_sdxl_controlnet: ControlNet on an SDXL model",
    )


def test_text_flags_check_lengths_features_and_models():
    config = TextWorkerDeployConfig(scribe_name="s", max_length=80, max_context_length=1024)
    flags = TextWorkerFeatureFlags.from_deploy_config(
        config, models=("koboldcpp/Llama-3",), backend_flags=TextGenerationFeatureFlags(stop_sequences=False)
    )
    assert flags.max_length == 80
    assert flags.max_context_length == 1024
    parameters = TextGenerationParameters(
        prompt="Once", model="other", max_length=200, max_context_length=4096, stop_sequences=("\n",)
    )
    result = flags.check(parameters)
    assert result.reasons == (
        "max_length: 200 tokens is more than 80",
        "max_context_length: 4096 tokens is more than 1024",
        f"{BACKEND_REASON_PREFIX}stop_sequences",
        "model: other is not served",
    )
    assert flags.check(
        TextGenerationParameters(prompt="Once", model="koboldcpp/Llama-3", max_context_length=1024)
    ).supported


def test_alchemy_flags_check_every_unserved_form():
    config = AlchemyWorkerDeployConfig(alchemist_name="a", forms=("caption",))
    flags = AlchemyWorkerFeatureFlags.from_deploy_config(config)
    assert flags.forms == ("caption",)
    parameters = AlchemyParameters(
        source_image=SOURCE,
        forms=(CaptionAlchemyParameters(), UpscaleAlchemyParameters(upscaler="RealESRGAN_x2plus")),
    )
    result = flags.check(parameters)
    assert result.reasons == config.get_unmet_alchemy_requirements(parameters)
    assert "RealESRGAN_x2plus" in result.reasons[0]
    assert flags.check(AlchemyFeatureFlags(alchemy_forms=("caption",))).supported


def test_alchemy_post_process_entry_and_backend_narrowing():
    config = AlchemyWorkerDeployConfig(alchemist_name="a", forms=("caption", "post-process"))
    backend = AlchemyFeatureFlags(alchemy_forms=("caption",))
    flags = AlchemyWorkerFeatureFlags.from_deploy_config(config, backend_flags=backend)
    parameters = AlchemyParameters(
        source_image=SOURCE, forms=(UpscaleAlchemyParameters(upscaler="RealESRGAN_x2plus"),)
    )
    assert flags.check(parameters).reasons == (f"{BACKEND_REASON_PREFIX}alchemy_forms: RealESRGAN_x2plus",)


def test_combined_configuration_builds_every_kind():
    config = CombinedWorkerDeployConfig(worker_name="all", forms=("caption",), allow_lora=True)  # type: ignore[call-arg]  # worker_name, a former key (AliasChoices), is not a field name: only validation reads it
    assert ImageWorkerFeatureFlags.from_deploy_config(config).flags.loras
    assert TextWorkerFeatureFlags.from_deploy_config(config).max_length == config.max_length
    assert AlchemyWorkerFeatureFlags.from_deploy_config(config).forms == ("caption",)


def test_check_refuses_flags_of_another_kind():
    flags = ImageWorkerFeatureFlags.from_deploy_config(ImageWorkerDeployConfig(dreamer_name="w"))
    with pytest.raises(TypeError):
        flags.check(TextGenerationFeatureFlags())  # type: ignore[arg-type]  # flags of another kind on purpose: the error under test


def test_check_refuses_parameters_of_another_kind():
    flags = ImageWorkerFeatureFlags.from_deploy_config(ImageWorkerDeployConfig(dreamer_name="w"))
    with pytest.raises(TypeError, match="TextGenerationParameters"):
        flags.check(TextGenerationParameters(prompt="x"))  # type: ignore[arg-type]  # parameters of another kind on purpose: the error under test


def test_using_the_feature_flags_does_not_import_yaml(tmp_path) -> None:
    # PyYAML is for reading a configuration file; building flags from a config object never needs it.
    config_file = tmp_path / "bridgeData.yaml"
    config_file.write_text("dreamer_name: w\nmax_power: 8\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from horde_sdk.deploy_config import ImageWorkerDeployConfig, load_deploy_config\n"
        "from horde_sdk.worker.feature_flags import ImageWorkerFeatureFlags\n"
        "flags = ImageWorkerFeatureFlags.from_deploy_config(ImageWorkerDeployConfig(dreamer_name='w', max_power=8))\n"
        "print(flags.max_pixels > 0, 'yaml' in sys.modules)\n"
        f"load_deploy_config({str(config_file)!r})\n"
        "print('yaml' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False", "True"]


def test_served_is_the_configuration_narrowed_to_the_backend() -> None:
    config = ImageWorkerDeployConfig(allow_lora=True, allow_post_processing=True, allow_img2img=False)
    backend = ImageGenerationFeatureFlags(
        source_processing=("img2img", "inpainting"),
        loras=True,
        post_processing=True,
        post_processors=("GFPGAN", "not-a-known-one"),
        samplers=("k_euler_a",),
    )
    served = ImageWorkerFeatureFlags.from_deploy_config(config, backend_flags=backend).served
    assert served.source_processing == ("inpainting",)  # img2img: the configuration says no
    assert (served.loras, served.textual_inversion, served.post_processing) == (True, False, True)
    assert served.post_processors == ("GFPGAN",)
    assert served.samplers == ("k_euler_a",)
    assert ImageWorkerFeatureFlags.from_deploy_config(config).served == config.image_feature_flags()
