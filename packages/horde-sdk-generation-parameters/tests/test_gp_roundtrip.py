"""Property tests: every parameter class round-trips through `model_dump`/`model_validate` and stays hashable.

Strategies generate valid instances of every public concrete model; a completeness check makes sure a new class
gets a strategy.
"""

import inspect
from enum import Enum
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import horde_sdk.generation_parameters as gp
from horde_sdk.generation_parameters import (
    KNOWN_ALCHEMY_FORMS,
    KNOWN_FACEFIXERS,
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_MODEL_BASELINES,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_IMAGE_WORKFLOWS,
    KNOWN_TEXT_FORMATTING_OPTIONS,
    KNOWN_TEXT_SAMPLERS,
    KNOWN_TI_INJECT_LOCATIONS,
    KNOWN_UPSCALERS,
)

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def known(enum: type[Enum]) -> st.SearchStrategy[Any]:
    """Members of `enum`, given either as members or as their plain wire values."""
    members = list(enum)
    return st.sampled_from(members) | st.sampled_from([member.value for member in members])


def known_tuple(enum: type[Enum], max_size: int = 4) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(known(enum), max_size=max_size).map(tuple)


non_blank = st.text(min_size=1, max_size=24).filter(lambda text: text.strip() != "")
short_text = st.text(max_size=24)
unit = st.floats(min_value=0, max_value=1)
strength = st.floats(min_value=-5, max_value=5)
non_negative = st.floats(min_value=0, max_value=100)
dimension = st.integers(min_value=1, max_value=48).map(lambda multiple: multiple * 64)
image_data = st.binary(min_size=1, max_size=32) | st.text(min_size=1, max_size=40)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def tuples_of(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(strategy, max_size=max_size).map(tuple)


# ----------------------------------------------------------------------------------------------- generic
extra_source_images = st.builds(gp.ExtraSourceImageEntry, image=image_data, strength=strength)

# ----------------------------------------------------------------------------------------------- image
img2img = st.builds(gp.Image2ImageGenerationParameters, source_image=image_data, source_mask=optional(image_data))
remix = st.builds(
    gp.RemixGenerationParameters,
    source_image=image_data,
    extra_source_images=tuples_of(extra_source_images),
)
controlnet_with_image = st.builds(
    gp.ControlnetGenerationParameters,
    control_type=known(KNOWN_IMAGE_CONTROLNETS),
    source_image=image_data,
    image_is_control=st.booleans(),
    return_control_map=st.booleans(),
)
controlnet_without_image = st.builds(
    gp.ControlnetGenerationParameters,
    control_type=known(KNOWN_IMAGE_CONTROLNETS),
    image_is_control=st.booleans(),
    return_control_map=st.booleans(),
)
hires_fix = st.builds(
    gp.HiresFixGenerationParameters,
    denoising_strength=optional(unit),
    first_pass_width=optional(dimension),
    first_pass_height=optional(dimension),
)
loras = st.one_of(
    st.builds(
        gp.LoRaEntry,
        name=non_blank,
        model_strength=strength,
        clip_strength=strength,
        inject_trigger=optional(st.text(min_size=1, max_size=30) | st.just("any")),
        is_version=st.just(False),
    ),
    st.builds(gp.LoRaEntry, name=st.integers(0, 10**7).map(str), is_version=st.just(True)),
)
tis = st.builds(
    gp.TIEntry,
    name=non_blank,
    inject_ti=optional(known(KNOWN_TI_INJECT_LOCATIONS)),
    strength=strength,
)
extra_texts = st.builds(gp.ExtraTextEntry, text=st.text(min_size=1, max_size=24), reference=non_blank)
custom_workflow = st.builds(gp.CustomWorkflowGenerationParameters, workflow=known(KNOWN_IMAGE_WORKFLOWS))
post_processing = st.builds(
    gp.ImagePostProcessingParameters,
    post_processors=known_tuple(KNOWN_IMAGE_POST_PROCESSORS),
    facefixer_strength=optional(unit),
)

BASIC_IMAGE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "model": optional(non_blank),
    "model_baseline": optional(known(KNOWN_IMAGE_MODEL_BASELINES)),
    "prompt": non_blank,
    "negative_prompt": optional(short_text),
    "width": dimension,
    "height": dimension,
    "steps": st.integers(min_value=1, max_value=500),
    "cfg_scale": st.floats(min_value=0, max_value=100),
    "sampler_name": known(KNOWN_IMAGE_SAMPLERS),
    "scheduler": known(KNOWN_IMAGE_SCHEDULERS),
    "seed": optional(short_text),
    "seed_variation": optional(st.integers(min_value=1, max_value=1000)),
    "denoising_strength": optional(unit),
    "clip_skip": st.integers(min_value=1, max_value=12),
    "tiling": st.booleans(),
    "batch_size": st.integers(min_value=1, max_value=20),
}
basic_image = st.builds(gp.BasicImageGenerationParameters, **BASIC_IMAGE_FIELDS)


@st.composite
def image_parameters(draw: st.DrawFn) -> gp.ImageGenerationParameters:
    """A valid image parameter set: sources consistent with source_processing, ControlNet with an image."""
    processing = draw(st.sampled_from(list(KNOWN_IMAGE_SOURCE_PROCESSING)))
    uses_img2img = processing in {"img2img", "inpainting", "outpainting"}
    img2img_value = draw(img2img) if uses_img2img else None
    controlnet_choices = controlnet_with_image | controlnet_without_image if uses_img2img else controlnet_with_image
    return gp.ImageGenerationParameters(
        **{name: draw(strategy) for name, strategy in BASIC_IMAGE_FIELDS.items()},
        source_processing=processing,
        img2img=img2img_value,
        remix=draw(remix) if processing == "remix" else None,
        controlnet=draw(optional(controlnet_choices)),
        hires_fix=draw(optional(hires_fix)),
        loras=draw(tuples_of(loras)),
        tis=draw(tuples_of(tis)),
        extra_texts=draw(tuples_of(extra_texts)),
        custom_workflow=draw(optional(custom_workflow)),
        post_processing=draw(optional(post_processing)),
        transparent=draw(st.booleans()),
        schema_version=draw(st.just(1) | st.just(1)),
    )


image_feature_flags = st.builds(
    gp.ImageGenerationFeatureFlags,
    source_processing=known_tuple(KNOWN_IMAGE_SOURCE_PROCESSING),
    extra_source_images=st.booleans(),
    controlnet=st.booleans(),
    controlnet_types=known_tuple(KNOWN_IMAGE_CONTROLNETS),
    hires_fix=st.booleans(),
    loras=st.booleans(),
    textual_inversion=st.booleans(),
    tiling=st.booleans(),
    transparency=st.booleans(),
    clip_skip=st.booleans(),
    post_processing=st.booleans(),
    post_processors=known_tuple(KNOWN_IMAGE_POST_PROCESSORS),
    samplers=known_tuple(KNOWN_IMAGE_SAMPLERS),
    schedulers=known_tuple(KNOWN_IMAGE_SCHEDULERS),
    extra_texts=st.booleans(),
    workflows=known_tuple(KNOWN_IMAGE_WORKFLOWS),
    baselines=known_tuple(KNOWN_IMAGE_MODEL_BASELINES),
)

# ----------------------------------------------------------------------------------------------- text
BASIC_TEXT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "model": optional(non_blank),
    "prompt": non_blank,
    "max_length": st.integers(min_value=1, max_value=4096),
    "max_context_length": st.integers(min_value=1, max_value=1_048_576),
    "temperature": optional(st.floats(min_value=0, max_value=5)),
    "top_p": optional(unit),
    "top_k": optional(st.integers(min_value=0, max_value=200)),
    "top_a": optional(unit),
    "typical": optional(unit),
    "tfs": optional(unit),
    "rep_pen": optional(st.floats(min_value=0.01, max_value=3)),
    "rep_pen_range": optional(st.integers(min_value=0, max_value=4096)),
    "rep_pen_slope": optional(st.floats(min_value=0, max_value=10)),
    "sampler_order": optional(st.permutations(list(KNOWN_TEXT_SAMPLERS)).map(tuple)),
    "stop_sequences": tuples_of(st.text(min_size=1, max_size=8)),
    "formatting_options": known_tuple(KNOWN_TEXT_FORMATTING_OPTIONS),
    "batch_size": st.integers(min_value=1, max_value=20),
}
TEXT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    **BASIC_TEXT_FIELDS,
    "min_p": optional(unit),
    "smoothing_factor": optional(st.floats(min_value=0, max_value=10)),
    "dynatemp_range": optional(st.floats(min_value=0, max_value=5)),
    "dynatemp_exponent": optional(st.floats(min_value=0, max_value=5)),
    "use_default_badwordsids": optional(st.booleans()),
    "extra_source_images": tuples_of(extra_source_images),
}
basic_text = st.builds(gp.BasicTextGenerationParameters, **BASIC_TEXT_FIELDS)
text_parameters = st.builds(gp.TextGenerationParameters, **TEXT_FIELDS)
text_feature_flags = st.builds(
    gp.TextGenerationFeatureFlags,
    extra_source_images=st.booleans(),
    stop_sequences=st.booleans(),
    custom_sampler_order=st.booleans(),
    formatting_options=known_tuple(KNOWN_TEXT_FORMATTING_OPTIONS),
    min_p=st.booleans(),
    smoothing_factor=st.booleans(),
    dynamic_temperature=st.booleans(),
)

# ----------------------------------------------------------------------------------------------- alchemy
alchemy_forms = st.one_of(
    st.builds(gp.UpscaleAlchemyParameters, upscaler=known(KNOWN_UPSCALERS)),
    st.builds(gp.FacefixAlchemyParameters, facefixer=known(KNOWN_FACEFIXERS), facefixer_strength=optional(unit)),
    st.builds(gp.StripBackgroundAlchemyParameters),
    st.builds(gp.CaptionAlchemyParameters),
    st.builds(gp.InterrogateAlchemyParameters),
    st.builds(gp.NSFWAlchemyParameters),
    st.builds(gp.DescribeAlchemyParameters),
    st.builds(gp.AestheticAlchemyParameters),
    st.builds(gp.PaletteAlchemyParameters),
    st.builds(gp.VectorizeAlchemyParameters),
    st.builds(gp.OtherAlchemyParameters, form=known(KNOWN_ALCHEMY_FORMS)),
)
alchemy_parameters = st.builds(
    gp.AlchemyParameters,
    source_image=image_data,
    forms=st.lists(alchemy_forms, min_size=1, max_size=5).map(tuple),
)
alchemy_feature_flags = st.builds(gp.AlchemyFeatureFlags, alchemy_forms=known_tuple(KNOWN_ALCHEMY_FORMS, 8))


# ----------------------------------------------------------------------------------------------- templates
def template_from(template_cls: type[Any], parameters: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Templates specifying a random subset of the fields of a valid parameter set."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        values = draw(parameters)
        chosen = {
            name: getattr(values, name)
            for name in template_cls.model_fields
            if name != "schema_version" and draw(st.booleans())
        }
        return template_cls.model_validate(chosen)

    return build()


STRATEGIES: dict[type[pydantic.BaseModel], st.SearchStrategy[Any]] = {
    gp.GenerationParameterBaseModel: st.builds(gp.GenerationParameterBaseModel),
    gp.GenerationParameterComponentBase: st.builds(gp.GenerationParameterComponentBase),
    gp.VersionedGenerationParametersBase: st.builds(gp.VersionedGenerationParametersBase),
    gp.ParametersTemplateBase: st.builds(gp.ParametersTemplateBase),
    gp.GenerationFeatureFlags: st.builds(gp.GenerationFeatureFlags),
    gp.ExtraSourceImageEntry: extra_source_images,
    gp.Image2ImageGenerationParameters: img2img,
    gp.RemixGenerationParameters: remix,
    gp.ControlnetGenerationParameters: controlnet_with_image | controlnet_without_image,
    gp.HiresFixGenerationParameters: hires_fix,
    gp.LoRaEntry: loras,
    gp.TIEntry: tis,
    gp.ExtraTextEntry: extra_texts,
    gp.CustomWorkflowGenerationParameters: custom_workflow,
    gp.ImagePostProcessingParameters: post_processing,
    gp.BasicImageGenerationParameters: basic_image,
    gp.ImageGenerationParameters: image_parameters(),
    gp.ImageGenerationFeatureFlags: image_feature_flags,
    gp.BasicImageGenerationParametersTemplate: template_from(gp.BasicImageGenerationParametersTemplate, basic_image),
    gp.ImageGenerationParametersTemplate: template_from(gp.ImageGenerationParametersTemplate, image_parameters()),
    gp.BasicTextGenerationParameters: basic_text,
    gp.TextGenerationParameters: text_parameters,
    gp.TextGenerationFeatureFlags: text_feature_flags,
    gp.BasicTextGenerationParametersTemplate: template_from(gp.BasicTextGenerationParametersTemplate, basic_text),
    gp.TextGenerationParametersTemplate: template_from(gp.TextGenerationParametersTemplate, text_parameters),
    gp.UpscaleAlchemyParameters: st.builds(gp.UpscaleAlchemyParameters, upscaler=known(KNOWN_UPSCALERS)),
    gp.FacefixAlchemyParameters: st.builds(
        gp.FacefixAlchemyParameters,
        facefixer=known(KNOWN_FACEFIXERS),
        facefixer_strength=optional(unit),
    ),
    gp.StripBackgroundAlchemyParameters: st.builds(gp.StripBackgroundAlchemyParameters),
    gp.CaptionAlchemyParameters: st.builds(gp.CaptionAlchemyParameters),
    gp.InterrogateAlchemyParameters: st.builds(gp.InterrogateAlchemyParameters),
    gp.NSFWAlchemyParameters: st.builds(gp.NSFWAlchemyParameters),
    gp.DescribeAlchemyParameters: st.builds(gp.DescribeAlchemyParameters),
    gp.AestheticAlchemyParameters: st.builds(gp.AestheticAlchemyParameters),
    gp.PaletteAlchemyParameters: st.builds(gp.PaletteAlchemyParameters),
    gp.VectorizeAlchemyParameters: st.builds(gp.VectorizeAlchemyParameters),
    gp.OtherAlchemyParameters: st.builds(gp.OtherAlchemyParameters, form=known(KNOWN_ALCHEMY_FORMS)),
    gp.AlchemyParameters: alchemy_parameters,
    gp.AlchemyFeatureFlags: alchemy_feature_flags,
    gp.AlchemyParametersTemplate: template_from(gp.AlchemyParametersTemplate, alchemy_parameters),
}

CLASSES = sorted(STRATEGIES, key=lambda cls: cls.__name__)


def test_every_public_model_has_a_strategy() -> None:
    public = {
        value
        for value in (getattr(gp, name) for name in gp.__all__)
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel) and not inspect.isabstract(value)
    }
    assert public == set(STRATEGIES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_model_dump_then_validate_round_trips(cls: type[pydantic.BaseModel], data: st.DataObject) -> None:
    instance = data.draw(STRATEGIES[cls])
    assert type(instance) is cls
    restored = cls.model_validate(instance.model_dump())
    assert restored == instance
    assert hash(restored) == hash(instance)
    # Validating an instance's attributes (from_attributes) gives the same object too.
    assert cls.model_validate(instance, from_attributes=True) == instance


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_json_round_trip_without_raw_bytes(cls: type[pydantic.BaseModel], data: st.DataObject) -> None:
    instance = data.draw(STRATEGIES[cls])
    if any(isinstance(value, bytes) for value in _walk(instance)):
        # Raw bytes come back as the equivalent base64 `str` form; see test_json_dump_writes_bytes_as_base64_text.
        return
    assert cls.model_validate_json(instance.model_dump_json()) == instance


def _walk(value: Any) -> list[Any]:
    """Every leaf value inside a model (through nested models and tuples)."""
    if isinstance(value, pydantic.BaseModel):
        return [leaf for name in type(value).model_fields for leaf in _walk(getattr(value, name))]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _walk(item)]
    return [value]


@PROPERTY_SETTINGS
@given(parameters=image_parameters())
def test_image_template_from_parameters_rebuilds_them(parameters: gp.ImageGenerationParameters) -> None:
    template = gp.ImageGenerationParametersTemplate.from_parameters(parameters)
    assert template.to_parameters() == parameters


@PROPERTY_SETTINGS
@given(parameters=text_parameters)
def test_text_template_from_parameters_rebuilds_them(parameters: gp.TextGenerationParameters) -> None:
    template = gp.TextGenerationParametersTemplate.from_parameters(parameters)
    assert template.to_parameters() == parameters


@PROPERTY_SETTINGS
@given(
    first=STRATEGIES[gp.ImageGenerationParametersTemplate],
    second=STRATEGIES[gp.ImageGenerationParametersTemplate],
)
def test_merged_template_takes_each_field_from_the_later_one(
    first: gp.ImageGenerationParametersTemplate,
    second: gp.ImageGenerationParametersTemplate,
) -> None:
    merged = first.merged_with(second)
    assert merged == second.apply_over(first)
    for name in gp.ImageGenerationParametersTemplate.model_fields:
        later = getattr(second, name)
        assert getattr(merged, name) == (later if later is not None else getattr(first, name))


@PROPERTY_SETTINGS
@given(parameters=image_parameters())
def test_required_flags_are_met_by_a_worker_supporting_them(parameters: gp.ImageGenerationParameters) -> None:
    required = parameters.get_required_feature_flags()
    assert required.is_satisfied_by(required)
    assert hash(required) == hash(gp.ImageGenerationFeatureFlags.model_validate(required.model_dump()))
    nothing = gp.ImageGenerationFeatureFlags()
    # A worker supporting nothing still lacks at least the sampler and scheduler.
    assert {"samplers", "schedulers"} <= {entry.split(":")[0] for entry in required.get_unmet_requirements(nothing)}


@PROPERTY_SETTINGS
@given(parameters=image_parameters() | text_parameters | alchemy_parameters)
def test_number_of_expected_results(parameters: gp.ComposedParameterSetBase) -> None:
    expected = len(parameters.forms) if isinstance(parameters, gp.AlchemyParameters) else parameters.batch_size  # type: ignore[attr-defined]  # only image and text parameters have batch_size; the isinstance picks them
    assert parameters.get_number_expected_results() == expected >= 1
