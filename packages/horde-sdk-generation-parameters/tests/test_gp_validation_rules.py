"""Values no server can accept are rejected with an error naming the field and the rule; the rest are kept."""

import enum
import json
import logging
import math
from typing import Annotated, Any

import pydantic
import pytest

from horde_sdk.generation_parameters import (
    AlchemyParameters,
    AlchemyParametersTemplate,
    BasicImageGenerationParameters,
    ControlnetGenerationParameters,
    ExtraSourceImageEntry,
    ExtraTextEntry,
    FacefixAlchemyParameters,
    HiresFixGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationParameters,
    ImageGenerationParametersTemplate,
    ImagePostProcessingParameters,
    LoRaEntry,
    RemixGenerationParameters,
    TextGenerationParameters,
    TextGenerationParametersTemplate,
    TIEntry,
)
from horde_sdk.generation_parameters.validation import KnownValue

IMAGE = {"prompt": "a lighthouse at dusk"}
TEXT = {"prompt": "The lighthouse keeper said"}
ALCHEMY = {"source_image": "https://example.com/a.webp", "forms": [{"kind": "caption"}]}

# (model, input, exact message the error must contain) -- each message names the field and the rule.
BAD_INPUTS: list[tuple[type[pydantic.BaseModel], dict[str, Any], str]] = [
    # Image sizes.
    (ImageGenerationParameters, {**IMAGE, "width": 500}, "width must be a multiple of 64, got 500"),
    (ImageGenerationParameters, {**IMAGE, "height": 1000}, "height must be a multiple of 64, got 1000"),
    (ImageGenerationParameters, {**IMAGE, "width": 0}, "width must be greater than 0, got 0"),
    (ImageGenerationParameters, {**IMAGE, "height": -64}, "height must be greater than 0, got -64"),
    (BasicImageGenerationParameters, {**IMAGE, "width": 65}, "width must be a multiple of 64, got 65"),
    # Image sampling.
    (ImageGenerationParameters, {**IMAGE, "steps": 0}, "steps must be at least 1, got 0"),
    (ImageGenerationParameters, {**IMAGE, "steps": -5}, "steps must be at least 1, got -5"),
    (ImageGenerationParameters, {**IMAGE, "ddim_steps": -5}, "steps must be at least 1, got -5"),
    (ImageGenerationParameters, {**IMAGE, "cfg_scale": -0.5}, "cfg_scale must be at least 0, got -0.5"),
    (ImageGenerationParameters, {**IMAGE, "denoising_strength": 1.5}, "denoising_strength must be at most 1, got 1.5"),
    (ImageGenerationParameters, {**IMAGE, "denoising_strength": -0.1}, "denoising_strength must be at least 0"),
    (ImageGenerationParameters, {**IMAGE, "clip_skip": 0}, "clip_skip must be at least 1, got 0"),
    (ImageGenerationParameters, {**IMAGE, "batch_size": 0}, "batch_size must be at least 1, got 0"),
    (ImageGenerationParameters, {**IMAGE, "n": -1}, "batch_size must be at least 1, got -1"),
    (ImageGenerationParameters, {**IMAGE, "seed_variation": 0}, "seed_variation must be at least 1, got 0"),
    (ImageGenerationParameters, {**IMAGE, "cfg_scale": math.nan}, "finite number"),
    (ImageGenerationParameters, {**IMAGE, "cfg_scale": math.inf}, "finite number"),
    # Prompts and names.
    (ImageGenerationParameters, {"prompt": ""}, "prompt must not be empty or whitespace only"),
    (ImageGenerationParameters, {"prompt": " \n\t"}, "prompt must not be empty or whitespace only"),
    (ImageGenerationParameters, {**IMAGE, "model": " "}, "model must not be empty or whitespace only"),
    (LoRaEntry, {"name": ""}, "name must not be empty or whitespace only"),
    (LoRaEntry, {"name": "Magnagothica", "is_version": True}, "name must be an integer CivitAI version id"),
    (LoRaEntry, {"name": "x", "inject_trigger": ""}, "inject_trigger must not be empty"),
    (TIEntry, {"name": "  "}, "name must not be empty or whitespace only"),
    (ExtraTextEntry, {"text": "", "reference": "qr_code"}, "text must not be empty"),
    (ExtraTextEntry, {"text": "t", "reference": ""}, "reference must not be empty or whitespace only"),
    # Images.
    (Image2ImageGenerationParameters, {"source_image": b""}, "source_image must not be empty"),
    (Image2ImageGenerationParameters, {"source_image": ""}, "source_image must not be empty"),
    (Image2ImageGenerationParameters, {"source_image": "x", "source_mask": b""}, "source_mask must not be empty"),
    (RemixGenerationParameters, {"source_image": ""}, "source_image must not be empty"),
    (ExtraSourceImageEntry, {"image": b""}, "image must not be empty"),
    (ControlnetGenerationParameters, {"control_type": "canny", "source_image": ""}, "source_image must not be empty"),
    # Features.
    (HiresFixGenerationParameters, {"denoising_strength": 1.01}, "denoising_strength must be at most 1, got 1.01"),
    (HiresFixGenerationParameters, {"hires_fix_denoising_strength": -1}, "denoising_strength must be at least 0"),
    (HiresFixGenerationParameters, {"first_pass_width": 100}, "first_pass_width must be a multiple of 64, got 100"),
    (HiresFixGenerationParameters, {"first_pass_height": 0}, "first_pass_height must be greater than 0, got 0"),
    (ImagePostProcessingParameters, {"facefixer_strength": 2}, "facefixer_strength must be at most 1, got 2"),
    # Consistency between fields.
    (
        ImageGenerationParameters,
        {**IMAGE, "source_processing": "inpainting"},
        "source_processing 'inpainting' requires img2img (a source image)",
    ),
    (
        ImageGenerationParameters,
        {**IMAGE, "source_processing": "img2img"},
        "source_processing 'img2img' requires img2img (a source image)",
    ),
    (ImageGenerationParameters, {**IMAGE, "source_processing": "remix"}, "source_processing 'remix' requires remix"),
    (
        ImageGenerationParameters,
        {**IMAGE, "img2img": {"source_image": "x"}},
        "img2img is only used with source_processing 'img2img', 'inpainting' or 'outpainting', got 'txt2img'",
    ),
    (
        ImageGenerationParameters,
        {**IMAGE, "source_processing": "img2img", "img2img": {"source_image": "x"}, "remix": {"source_image": "x"}},
        "remix is only used with source_processing 'remix', got 'img2img'",
    ),
    (
        ImageGenerationParameters,
        {**IMAGE, "controlnet": {"control_type": "canny"}},
        "controlnet requires a source image",
    ),
    # Templates enforce the field rules on what they specify.
    (ImageGenerationParametersTemplate, {"width": 500}, "width must be a multiple of 64, got 500"),
    (ImageGenerationParametersTemplate, {"prompt": "  "}, "prompt must not be empty or whitespace only"),
    (ImageGenerationParametersTemplate, {"ddim_steps": 0}, "steps must be at least 1, got 0"),
    # Text.
    (TextGenerationParameters, {"prompt": ""}, "prompt must not be empty or whitespace only"),
    (TextGenerationParameters, {**TEXT, "max_length": 0}, "max_length must be at least 1, got 0"),
    (TextGenerationParameters, {**TEXT, "max_context_length": -1}, "max_context_length must be at least 1, got -1"),
    (TextGenerationParameters, {**TEXT, "temperature": -0.1}, "temperature must be at least 0, got -0.1"),
    (TextGenerationParameters, {**TEXT, "top_p": 1.5}, "top_p must be at most 1, got 1.5"),
    (TextGenerationParameters, {**TEXT, "top_k": -1}, "top_k must be at least 0, got -1"),
    (TextGenerationParameters, {**TEXT, "top_a": -1}, "top_a must be at least 0"),
    (TextGenerationParameters, {**TEXT, "typical": 2}, "typical must be at most 1, got 2"),
    (TextGenerationParameters, {**TEXT, "tfs": -0.5}, "tfs must be at least 0, got -0.5"),
    (TextGenerationParameters, {**TEXT, "rep_pen": 0}, "rep_pen must be greater than 0, got 0"),
    (TextGenerationParameters, {**TEXT, "rep_pen_range": -1}, "rep_pen_range must be at least 0, got -1"),
    (TextGenerationParameters, {**TEXT, "rep_pen_slope": -1}, "rep_pen_slope must be at least 0"),
    (TextGenerationParameters, {**TEXT, "sampler_order": [0, -1]}, "sampler_order must be at least 0, got -1"),
    (TextGenerationParameters, {**TEXT, "stop_sequence": ["\n", ""]}, "stop_sequences must not be empty"),
    (TextGenerationParameters, {**TEXT, "n": 0}, "batch_size must be at least 1, got 0"),
    (TextGenerationParameters, {**TEXT, "min_p": 1.1}, "min_p must be at most 1, got 1.1"),
    (TextGenerationParameters, {**TEXT, "smoothing_factor": -1}, "smoothing_factor must be at least 0"),
    (TextGenerationParameters, {**TEXT, "dynatemp_range": -1}, "dynatemp_range must be at least 0"),
    (TextGenerationParameters, {**TEXT, "dynatemp_exponent": -1}, "dynatemp_exponent must be at least 0"),
    (TextGenerationParametersTemplate, {"max_length": 0}, "max_length must be at least 1, got 0"),
    # Alchemy.
    (AlchemyParameters, {**ALCHEMY, "forms": []}, "forms must not be empty"),
    (AlchemyParameters, {**ALCHEMY, "source_image": b""}, "source_image must not be empty"),
    (AlchemyParametersTemplate, {"forms": []}, "forms must not be empty"),
    (
        FacefixAlchemyParameters,
        {"facefixer": "GFPGAN", "facefixer_strength": -1},
        "facefixer_strength must be at least",
    ),
    # Schema versions.
    (ImageGenerationParameters, {**IMAGE, "schema_version": -1}, "schema_version must be at least 0, got -1"),
    (ImageGenerationParameters, {**IMAGE, "schema_version": 99}, "schema_version must be at most 1"),
]


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    BAD_INPUTS,
    ids=[f"{cls.__name__}-{message[:40]}" for cls, _, message in BAD_INPUTS],
)
def test_bad_input_is_rejected_with_a_named_rule(
    cls: type[pydantic.BaseModel], data: dict[str, Any], message: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        cls.model_validate(data)
    messages = [error["msg"] for error in caught.value.errors()]
    assert any(message in text for text in messages), messages


def test_rules_also_apply_to_keyword_construction() -> None:
    with pytest.raises(pydantic.ValidationError, match="width must be a multiple of 64, got 500"):
        ImageGenerationParameters(prompt="a cat", width=500)


def test_multiple_problems_are_all_reported() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        ImageGenerationParameters.model_validate({"prompt": "", "width": 500, "steps": 0})
    assert {error["loc"][0] for error in caught.value.errors()} == {"prompt", "width", "steps"}


def test_unknown_kind_of_alchemy_form_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="kind"):
        AlchemyParameters.model_validate({**ALCHEMY, "forms": [{"kind": "teleport"}]})


GOOD_EDGE_INPUTS: list[tuple[type[pydantic.BaseModel], dict[str, Any]]] = [
    (ImageGenerationParameters, {**IMAGE, "width": 64, "height": 3072, "steps": 1, "cfg_scale": 0}),
    (ImageGenerationParameters, {**IMAGE, "width": 4096, "height": 4096, "steps": 1000, "clip_skip": 24}),
    (ImageGenerationParameters, {**IMAGE, "denoising_strength": 0.0}),
    (ImageGenerationParameters, {**IMAGE, "denoising_strength": 1.0, "batch_size": 64}),
    (
        ImageGenerationParameters,
        {**IMAGE, "source_processing": "outpainting", "img2img": {"source_image": "x", "source_mask": b"m"}},
    ),
    (ImageGenerationParameters, {**IMAGE, "source_processing": "remix", "remix": {"source_image": "x"}}),
    (
        ImageGenerationParameters,
        {
            **IMAGE,
            "source_processing": "img2img",
            "img2img": {"source_image": "x"},
            "controlnet": {"control_type": "depth"},
        },
    ),
    # An unknown source processing mode is accepted (with a warning) and not cross-checked.
    (ImageGenerationParameters, {**IMAGE, "source_processing": "sketch2img", "img2img": {"source_image": "x"}}),
    (LoRaEntry, {"name": "12345", "is_version": True, "model_strength": -5, "clip_strength": 5}),
    (TextGenerationParameters, {**TEXT, "max_length": 1, "max_context_length": 1_048_576, "temperature": 0}),
    (TextGenerationParameters, {**TEXT, "top_p": 0, "top_k": 0, "typical": 1, "tfs": 1, "rep_pen": 0.5}),
]


@pytest.mark.parametrize(("cls", "data"), GOOD_EDGE_INPUTS)
def test_edge_values_valid_somewhere_are_accepted(cls: type[pydantic.BaseModel], data: dict[str, Any]) -> None:
    instance = cls.model_validate(data)
    for name, value in data.items():
        if name in cls.model_fields and not isinstance(value, dict):
            assert getattr(instance, name) == value


def test_values_are_never_turned_into_none() -> None:
    parameters = ImageGenerationParameters(prompt="a cat", negative_prompt="", seed="")
    assert parameters.negative_prompt == ""
    assert parameters.seed == ""
    template = ImageGenerationParametersTemplate(negative_prompt="", seed="")
    assert template.negative_prompt == ""
    assert template.seed == ""


def test_integer_seeds_become_text() -> None:
    assert ImageGenerationParameters(prompt="a cat", seed=42).seed == "42"  # type: ignore[arg-type]  # an int seed on purpose: the validator turns it into text
    assert ImageGenerationParameters(prompt="a cat", seed="The little seed that could").seed == (
        "The little seed that could"
    )
    with pytest.raises(pydantic.ValidationError):
        ImageGenerationParameters.model_validate({**IMAGE, "seed": True})


def test_historic_names_are_accepted_and_dumps_use_current_names() -> None:
    parameters = ImageGenerationParameters.model_validate({**IMAGE, "ddim_steps": 12, "n_iter": 3})
    assert (parameters.steps, parameters.batch_size) == (12, 3)
    dumped = parameters.model_dump()
    assert dumped["steps"] == 12
    assert dumped["batch_size"] == 3
    assert "ddim_steps" not in dumped
    assert "n_iter" not in dumped
    text = TextGenerationParameters.model_validate({**TEXT, "n": 2, "stop_sequence": ["\n"]})
    assert (text.batch_size, text.stop_sequences) == (2, ("\n",))
    hires = HiresFixGenerationParameters.model_validate({"hires_fix_denoising_strength": 0.4})
    assert hires.denoising_strength == 0.4


def test_images_keep_their_form() -> None:
    raw = Image2ImageGenerationParameters(source_image=b"\x89PNG\r\n")
    assert raw.source_image == b"\x89PNG\r\n"
    url = Image2ImageGenerationParameters(source_image="https://example.com/a.webp")
    assert url.source_image == "https://example.com/a.webp"


def test_json_dump_writes_bytes_as_base64_text() -> None:
    parameters = ImageGenerationParameters(
        prompt="a cat",
        source_processing="img2img",
        img2img=Image2ImageGenerationParameters(source_image=b"\xff\x00"),
    )
    restored = ImageGenerationParameters.model_validate_json(parameters.model_dump_json())
    assert restored.img2img is not None
    assert restored.img2img.source_image == "/wA="


class _CountingKnownValue(KnownValue):
    """A KnownValue that counts how often its Python check runs."""

    __slots__ = ("calls",)

    def __init__(self, known: type[enum.Enum]) -> None:
        super().__init__(known)
        self.calls = 0

    def check(self, value: Any, info: pydantic.ValidationInfo) -> Any:
        self.calls += 1
        return super().check(value, info)


class _Colour(enum.StrEnum):
    red = "red"
    blue = "blue"


def test_known_values_in_a_long_list_are_resolved_without_a_python_call_per_entry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counting = _CountingKnownValue(_Colour)

    class Entry(pydantic.BaseModel):
        colour: Annotated[_Colour | str, counting]

    entries = pydantic.TypeAdapter(list[Entry]).validate_json(
        json.dumps([{"colour": "red"}, {"colour": "blue"}] * 100 + [{"colour": "mauve"}])
    )
    assert counting.calls == 1  # the unknown value only
    assert type(entries[0].colour) is _Colour
    assert entries[-1].colour == "mauve"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "mauve" in warnings[0]
    assert Entry.model_json_schema()["properties"]["colour"]["anyOf"][1] == {"type": "string"}
