"""Templates: every field optional, turned into parameter sets with overrides, layered as styles."""

import pydantic
import pytest

from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SAMPLERS,
    AlchemyParameters,
    AlchemyParametersTemplate,
    BasicImageGenerationParameters,
    BasicImageGenerationParametersTemplate,
    BasicTextGenerationParameters,
    BasicTextGenerationParametersTemplate,
    CaptionAlchemyParameters,
    ImageGenerationParameters,
    ImageGenerationParametersTemplate,
    LoRaEntry,
    NSFWAlchemyParameters,
    TextGenerationParameters,
    TextGenerationParametersTemplate,
)

PAIRS = [
    (BasicImageGenerationParametersTemplate, BasicImageGenerationParameters),
    (ImageGenerationParametersTemplate, ImageGenerationParameters),
    (BasicTextGenerationParametersTemplate, BasicTextGenerationParameters),
    (TextGenerationParametersTemplate, TextGenerationParameters),
    (AlchemyParametersTemplate, AlchemyParameters),
]


@pytest.mark.parametrize(("template_cls", "parameters_cls"), PAIRS, ids=lambda cls: cls.__name__)
def test_template_mirrors_its_parameters_with_every_field_optional(
    template_cls: type[pydantic.BaseModel],
    parameters_cls: type[pydantic.BaseModel],
) -> None:
    # Basic* parameters are components (not versioned); their templates, like every template, carry a version.
    assert set(template_cls.model_fields) - {"schema_version"} == set(parameters_cls.model_fields) - {"schema_version"}
    empty = template_cls()
    for name, info in template_cls.model_fields.items():
        assert not info.is_required(), f"{template_cls.__name__}.{name} is required"
        if name != "schema_version":
            assert getattr(empty, name) is None, f"{template_cls.__name__}.{name} defaults to a value"
            assert info.description == parameters_cls.model_fields[name].description


def test_to_parameters_merges_template_and_overrides() -> None:
    style = ImageGenerationParametersTemplate(
        width=768,
        height=1024,
        sampler_name=KNOWN_IMAGE_SAMPLERS.k_dpmpp_2m,
        steps=25,
        loras=(LoRaEntry(name="GlowingRunes", model_strength=0.8),),
    )
    parameters = style.to_parameters(prompt="a wizard", steps=40)
    assert isinstance(parameters, ImageGenerationParameters)
    assert parameters.prompt == "a wizard"
    assert parameters.steps == 40  # the override wins
    assert (parameters.width, parameters.height) == (768, 1024)
    assert parameters.sampler_name is KNOWN_IMAGE_SAMPLERS.k_dpmpp_2m
    assert parameters.loras[0].name == "GlowingRunes"
    assert parameters.cfg_scale == ImageGenerationParameters.model_fields["cfg_scale"].default
    # The template itself is unchanged (frozen).
    assert style.prompt is None
    assert style.steps == 25


def test_to_parameters_validates_the_result() -> None:
    style = ImageGenerationParametersTemplate(width=512)
    with pytest.raises(pydantic.ValidationError, match="prompt"):
        style.to_parameters()
    with pytest.raises(pydantic.ValidationError, match="height must be a multiple of 64, got 100"):
        style.to_parameters(prompt="a cat", height=100)
    with pytest.raises(pydantic.ValidationError, match="requires img2img"):
        style.to_parameters(prompt="a cat", source_processing="img2img")
    with pytest.raises(pydantic.ValidationError, match="stpes"):
        style.to_parameters(prompt="a cat", stpes=30)


def test_to_parameters_accepts_historic_names_in_overrides() -> None:
    parameters = ImageGenerationParametersTemplate().to_parameters(prompt="a cat", ddim_steps=9)
    assert parameters.steps == 9


def test_merged_with_layers_styles_later_wins() -> None:
    base = ImageGenerationParametersTemplate(width=512, height=512, steps=20, negative_prompt="blurry")
    portrait = ImageGenerationParametersTemplate(height=768, steps=30)
    merged = base.merged_with(portrait)
    assert (merged.width, merged.height, merged.steps, merged.negative_prompt) == (512, 768, 30, "blurry")
    assert portrait.apply_over(base) == merged
    # Order matters: the later template wins.
    assert portrait.merged_with(base).height == 512


def test_basic_template_can_be_laid_over_a_full_template() -> None:
    full = ImageGenerationParametersTemplate(width=1024, tiling=True, transparent=True)
    basic = BasicImageGenerationParametersTemplate(width=640, prompt="a map")
    merged = full.merged_with(basic)
    assert isinstance(merged, ImageGenerationParametersTemplate)
    assert (merged.width, merged.prompt, merged.tiling, merged.transparent) == (640, "a map", True, True)
    assert basic.apply_over(full) == merged
    with pytest.raises(TypeError, match="cannot merge"):
        basic.merged_with(full)


def test_templates_of_other_kinds_cannot_be_merged() -> None:
    with pytest.raises(TypeError, match="cannot merge"):
        ImageGenerationParametersTemplate().merged_with(TextGenerationParametersTemplate())


def test_text_template() -> None:
    creative = TextGenerationParametersTemplate(temperature=1.2, top_p=0.95, max_length=200)
    precise = TextGenerationParametersTemplate(temperature=0.2)
    parameters = creative.merged_with(precise).to_parameters(prompt="Dear diary,", n=2)
    assert isinstance(parameters, TextGenerationParameters)
    assert (parameters.temperature, parameters.top_p, parameters.max_length) == (0.2, 0.95, 200)
    assert parameters.batch_size == 2
    assert isinstance(
        BasicTextGenerationParametersTemplate(top_k=5).to_parameters(prompt="x"), BasicTextGenerationParameters
    )


def test_alchemy_template() -> None:
    checks = AlchemyParametersTemplate(forms=(CaptionAlchemyParameters(), NSFWAlchemyParameters()))
    parameters = checks.to_parameters(source_image="https://example.com/a.webp")
    assert parameters.get_form_names() == ("caption", "nsfw")
    with pytest.raises(pydantic.ValidationError, match="source_image"):
        checks.to_parameters()


def test_specified_values_skip_unset_fields_and_schema_version() -> None:
    template = ImageGenerationParametersTemplate(width=512, tiling=False)
    assert template.get_specified_values() == {"width": 512, "tiling": False}
