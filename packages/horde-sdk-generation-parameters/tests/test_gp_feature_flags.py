"""Feature flags derived from parameter sets, and the comparison with what a worker supports."""

import logging

import pytest

from horde_sdk.generation_parameters import (
    KNOWN_ALCHEMY_FORMS,
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    AlchemyFeatureFlags,
    AlchemyParameters,
    CaptionAlchemyParameters,
    ControlnetGenerationParameters,
    CustomWorkflowGenerationParameters,
    ExtraSourceImageEntry,
    ExtraTextEntry,
    FacefixAlchemyParameters,
    HiresFixGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    ImagePostProcessingParameters,
    LoRaEntry,
    OtherAlchemyParameters,
    RemixGenerationParameters,
    TextGenerationFeatureFlags,
    TextGenerationParameters,
    TIEntry,
    UpscaleAlchemyParameters,
    get_alchemy_feature_flags_required,
    get_alchemy_form_parameters,
    get_image_feature_flags_required,
    get_text_feature_flags_required,
)


def test_plain_txt2img_requires_only_its_sampler_and_scheduler() -> None:
    flags = get_image_feature_flags_required(ImageGenerationParameters(prompt="a cat"))
    assert flags == ImageGenerationFeatureFlags(
        samplers=(KNOWN_IMAGE_SAMPLERS.k_euler_a,),
        schedulers=(KNOWN_IMAGE_SCHEDULERS.normal,),
    )


def test_full_image_parameter_set_requires_each_feature_it_uses() -> None:
    parameters = ImageGenerationParameters(
        prompt="a cat",
        model_baseline="stable_diffusion_xl",
        sampler_name="k_dpmpp_sde",
        scheduler="karras",
        clip_skip=2,
        tiling=True,
        transparent=True,
        source_processing="inpainting",
        img2img=Image2ImageGenerationParameters(source_image=b"img", source_mask=b"mask"),
        controlnet=ControlnetGenerationParameters(control_type="depth"),
        hires_fix=HiresFixGenerationParameters(denoising_strength=0.5),
        loras=(LoRaEntry(name="a"), LoRaEntry(name="b")),
        tis=(TIEntry(name="7808", inject_ti="negprompt"),),
        extra_texts=(ExtraTextEntry(text="hello", reference="qr_text"),),
        custom_workflow=CustomWorkflowGenerationParameters(workflow="qr_code"),
        post_processing=ImagePostProcessingParameters(
            post_processors=("RealESRGAN_x4plus", "CodeFormers", "RealESRGAN_x4plus"),
        ),
    )
    flags = ImageGenerationFeatureFlags.required_for(parameters)
    assert flags == parameters.get_required_feature_flags()
    assert flags.source_processing == (KNOWN_IMAGE_SOURCE_PROCESSING.inpainting,)
    assert flags.controlnet
    assert flags.controlnet_types == (KNOWN_IMAGE_CONTROLNETS.depth,)
    assert flags.hires_fix
    assert flags.loras
    assert flags.textual_inversion
    assert flags.tiling
    assert flags.transparency
    assert flags.clip_skip
    assert flags.post_processing
    assert flags.post_processors == (
        KNOWN_IMAGE_POST_PROCESSORS.RealESRGAN_x4plus,
        KNOWN_IMAGE_POST_PROCESSORS.CodeFormers,
    )
    assert flags.samplers == ("k_dpmpp_sde",)
    assert flags.schedulers == ("karras",)
    assert flags.extra_texts
    assert flags.workflows == ("qr_code",)
    assert flags.baselines == ("stable_diffusion_xl",)
    assert not flags.extra_source_images
    # The derived flags equal validated ones (they are built without re-validation).
    assert flags == ImageGenerationFeatureFlags.model_validate(flags.model_dump())


def test_remix_requires_extra_source_images_only_when_given() -> None:
    without = ImageGenerationParameters(
        prompt="x",
        source_processing="remix",
        remix=RemixGenerationParameters(source_image="u"),
    )
    assert without.get_required_feature_flags().source_processing == ("remix",)
    assert not without.get_required_feature_flags().extra_source_images
    with_images = without.model_copy(
        update={
            "remix": RemixGenerationParameters(
                source_image="u", extra_source_images=(ExtraSourceImageEntry(image="v"),)
            )
        },
    )
    assert with_images.get_required_feature_flags().extra_source_images


def test_worker_support_comparison() -> None:
    required = ImageGenerationFeatureFlags(
        loras=True, samplers=("k_euler",), post_processors=("GFPGAN", "NewUpscaler")
    )
    worker = ImageGenerationFeatureFlags(
        loras=True,
        controlnet=True,
        samplers=tuple(KNOWN_IMAGE_SAMPLERS),
        post_processors=("GFPGAN",),
    )
    assert required.get_unmet_requirements(worker) == ("post_processors: NewUpscaler",)
    assert not required.is_satisfied_by(worker)
    assert worker.model_copy(update={"loras": False}).get_unmet_requirements(worker) == ()
    basic_worker = ImageGenerationFeatureFlags(samplers=("k_euler",), post_processors=("GFPGAN", "NewUpscaler"))
    assert required.get_unmet_requirements(basic_worker) == ("loras",)


def test_comparing_different_kinds_of_flags_is_an_error() -> None:
    with pytest.raises(TypeError, match="cannot compare"):
        ImageGenerationFeatureFlags().get_unmet_requirements(TextGenerationFeatureFlags())  # type: ignore[arg-type]  # flags of another kind, the error under test


def test_text_feature_flags() -> None:
    assert get_text_feature_flags_required(TextGenerationParameters(prompt="x")) == TextGenerationFeatureFlags()
    parameters = TextGenerationParameters(
        prompt="x",
        stop_sequences=("\n",),
        sampler_order=(6, 0, 1, 3, 4, 2, 5),
        formatting_options=("frmttriminc", "singleline"),
        min_p=0.1,
        smoothing_factor=0.0,
        dynatemp_range=1.0,
        extra_source_images=(ExtraSourceImageEntry(image=b"png"),),
    )
    flags = TextGenerationFeatureFlags.required_for(parameters)
    assert flags == parameters.get_required_feature_flags()
    assert flags.stop_sequences
    assert flags.custom_sampler_order
    assert flags.formatting_options == ("frmttriminc", "singleline")
    assert flags.min_p
    assert not flags.smoothing_factor  # 0 disables it
    assert flags.dynamic_temperature
    assert flags.extra_source_images
    assert flags.get_unmet_requirements(TextGenerationFeatureFlags(stop_sequences=True)) == (
        "extra_source_images",
        "custom_sampler_order",
        "formatting_options: frmttriminc, singleline",
        "min_p",
        "dynamic_temperature",
    )


def test_alchemy_feature_flags_and_form_names() -> None:
    parameters = AlchemyParameters(
        source_image="https://example.com/a.webp",
        forms=(
            CaptionAlchemyParameters(),
            UpscaleAlchemyParameters(upscaler="4x_AnimeSharp"),
            FacefixAlchemyParameters(facefixer="GFPGANv1.3"),
            CaptionAlchemyParameters(),
        ),
    )
    assert parameters.get_number_expected_results() == 4
    assert parameters.get_form_names() == ("caption", "4x_AnimeSharp", "GFPGANv1.3", "caption")
    flags = get_alchemy_feature_flags_required(parameters)
    assert flags == AlchemyFeatureFlags.required_for(parameters) == parameters.get_required_feature_flags()
    assert flags.alchemy_forms == (
        KNOWN_ALCHEMY_FORMS.caption,
        KNOWN_ALCHEMY_FORMS._4x_AnimeSharp,
        KNOWN_ALCHEMY_FORMS.GFPGANv1_3,
    )
    assert flags.is_satisfied_by(AlchemyFeatureFlags(alchemy_forms=tuple(KNOWN_ALCHEMY_FORMS)))
    assert flags.get_unmet_requirements(AlchemyFeatureFlags(alchemy_forms=("caption",))) == (
        "alchemy_forms: 4x_AnimeSharp, GFPGANv1.3",
    )


@pytest.mark.parametrize("form", list(KNOWN_ALCHEMY_FORMS), ids=str)
def test_every_known_form_has_a_dedicated_class(form: KNOWN_ALCHEMY_FORMS) -> None:
    parameters = get_alchemy_form_parameters(form.value)
    assert not isinstance(parameters, OtherAlchemyParameters)
    assert parameters.get_form_name() == form.value
    built = AlchemyParameters(source_image="u", forms=(parameters,))  # type: ignore[arg-type]  # the factory returns the base form class; the field names the union of concrete forms
    assert AlchemyParameters.model_validate(built.model_dump()) == built


def test_unknown_form_becomes_other_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        parameters = get_alchemy_form_parameters("colorize")
    assert isinstance(parameters, OtherAlchemyParameters)
    assert parameters.get_form_name() == "colorize"
    assert len([record for record in caplog.records if record.levelno == logging.WARNING]) == 1
    assert parameters == OtherAlchemyParameters.model_validate({"form": "colorize"})
