"""Properties every public model shares: frozen, hashable, strict about unknown fields, lenient about KNOWN_ values.

The classes and their `KNOWN_*` fields are discovered from the package's `__all__`, so a new class or field is
covered (or the completeness checks fail) without editing these tests.
"""

import inspect
import logging
import subprocess
import sys
import typing
from enum import Enum, IntEnum
from typing import Any

import pydantic
import pytest

import horde_sdk.generation_parameters as gp
from horde_sdk.generation_parameters.validation import KNOWN_VALUES_LOGGER_NAME, UNKNOWN_KNOWN_VALUE_EVENT, KnownValue

PUBLIC_MODELS: list[type[pydantic.BaseModel]] = sorted(
    {
        value
        for value in (getattr(gp, name) for name in gp.__all__)
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel) and not inspect.isabstract(value)
    },
    key=lambda cls: cls.__name__,
)

# The smallest valid input of each public model class.
MINIMAL_INPUT: dict[str, dict[str, Any]] = {
    "AestheticAlchemyParameters": {},
    "AlchemyFeatureFlags": {},
    "AlchemyParameters": {"source_image": "https://example.com/cat.webp", "forms": [{"kind": "caption"}]},
    "AlchemyParametersTemplate": {},
    "BasicImageGenerationParameters": {"prompt": "a cat"},
    "BasicImageGenerationParametersTemplate": {},
    "BasicTextGenerationParameters": {"prompt": "Once upon a time"},
    "BasicTextGenerationParametersTemplate": {},
    "CaptionAlchemyParameters": {},
    "ControlnetGenerationParameters": {"control_type": "canny", "source_image": b"\x89PNG"},
    "CustomWorkflowGenerationParameters": {"workflow": "qr_code"},
    "DescribeAlchemyParameters": {},
    "ExtraSourceImageEntry": {"image": b"\x00\x01"},
    "ExtraTextEntry": {"text": "https://aihorde.net", "reference": "qr_code"},
    "FacefixAlchemyParameters": {"facefixer": "CodeFormers"},
    "GenerationFeatureFlags": {},
    "GenerationParameterBaseModel": {},
    "GenerationParameterComponentBase": {},
    "HiresFixGenerationParameters": {},
    "Image2ImageGenerationParameters": {"source_image": "https://example.com/cat.webp"},
    "ImageGenerationFeatureFlags": {},
    "ImageGenerationParameters": {"prompt": "a cat"},
    "ImageGenerationParametersTemplate": {},
    "ImagePostProcessingParameters": {},
    "InterrogateAlchemyParameters": {},
    "LoRaEntry": {"name": "GlowingRunes"},
    "NSFWAlchemyParameters": {},
    "OtherAlchemyParameters": {"form": "caption"},
    "PaletteAlchemyParameters": {},
    "ParametersTemplateBase": {},
    "RemixGenerationParameters": {"source_image": b"\x00"},
    "StripBackgroundAlchemyParameters": {},
    "TIEntry": {"name": "7808"},
    "TextGenerationFeatureFlags": {},
    "TextGenerationParameters": {"prompt": "Once upon a time"},
    "TextGenerationParametersTemplate": {},
    "UpscaleAlchemyParameters": {"upscaler": "RealESRGAN_x4plus"},
    "VectorizeAlchemyParameters": {},
    "VersionedGenerationParametersBase": {},
}


def _known_value_enums(annotation: Any) -> list[type[Enum]]:
    """The KNOWN_ enums attached (through KnownValue) anywhere inside a field annotation."""
    found: list[type[Enum]] = []
    if typing.get_origin(annotation) is typing.Annotated:
        found.extend(meta.known for meta in annotation.__metadata__ if isinstance(meta, KnownValue))
    for argument in typing.get_args(annotation):
        if argument is not Ellipsis:
            found.extend(_known_value_enums(argument))
    return found


def _is_tuple_field(annotation: Any) -> bool:
    if typing.get_origin(annotation) is tuple:
        return True
    return any(_is_tuple_field(argument) for argument in typing.get_args(annotation) if argument is not Ellipsis)


def _known_fields() -> list[tuple[type[pydantic.BaseModel], str, type[Enum]]]:
    fields: list[tuple[type[pydantic.BaseModel], str, type[Enum]]] = []
    for cls in PUBLIC_MODELS:
        for name, info in cls.model_fields.items():
            enums = _known_value_enums(info.annotation) + [
                meta.known for meta in info.metadata if isinstance(meta, KnownValue)
            ]
            fields.extend((cls, name, enum) for enum in dict.fromkeys(enums))
    return fields


KNOWN_FIELDS = _known_fields()


def _unknown_value(enum: type[Enum]) -> Any:
    return 987 if issubclass(enum, IntEnum) else "SomethingNewOnTheServer"


def _with_value(cls: type[pydantic.BaseModel], field: str, value: Any) -> dict[str, Any]:
    data = dict(MINIMAL_INPUT[cls.__name__])
    data[field] = (value,) if _is_tuple_field(cls.model_fields[field].annotation) else value
    return data


def test_every_public_model_has_a_minimal_input() -> None:
    assert {cls.__name__ for cls in PUBLIC_MODELS} == set(MINIMAL_INPUT)


def test_known_fields_were_discovered() -> None:
    names = {(cls.__name__, field) for cls, field, _ in KNOWN_FIELDS}
    # A few fields which must be among them, to prove the discovery works.
    assert ("ImageGenerationParameters", "sampler_name") in names
    assert ("ImagePostProcessingParameters", "post_processors") in names
    assert ("TextGenerationParameters", "sampler_order") in names
    assert ("AlchemyFeatureFlags", "alchemy_forms") in names
    assert len(KNOWN_FIELDS) >= 35


@pytest.mark.parametrize("cls", PUBLIC_MODELS, ids=lambda cls: cls.__name__)
def test_model_is_frozen_hashable_and_equatable(cls: type[pydantic.BaseModel]) -> None:
    first = cls.model_validate(MINIMAL_INPUT[cls.__name__])
    second = cls.model_validate(MINIMAL_INPUT[cls.__name__])
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    assert cls.model_config.get("frozen") is True
    if cls.model_fields:
        field = next(iter(cls.model_fields))
        with pytest.raises(pydantic.ValidationError, match="frozen"):
            setattr(first, field, getattr(first, field))


@pytest.mark.parametrize("cls", PUBLIC_MODELS, ids=lambda cls: cls.__name__)
def test_model_rejects_unknown_fields(cls: type[pydantic.BaseModel]) -> None:
    with pytest.raises(pydantic.ValidationError, match="stpes"):
        cls.model_validate({**MINIMAL_INPUT[cls.__name__], "stpes": 30})


@pytest.mark.parametrize("cls", PUBLIC_MODELS, ids=lambda cls: cls.__name__)
def test_every_field_has_a_description(cls: type[pydantic.BaseModel]) -> None:
    assert cls.__doc__
    for name, info in cls.model_fields.items():
        assert info.description, f"{cls.__name__}.{name} has no description"
    assert cls.model_json_schema()["type"] == "object"


@pytest.mark.parametrize(
    ("cls", "field", "enum"),
    KNOWN_FIELDS,
    ids=[f"{cls.__name__}.{field}" for cls, field, _ in KNOWN_FIELDS],
)
def test_unknown_known_value_warns_and_is_kept(
    cls: type[pydantic.BaseModel],
    field: str,
    enum: type[Enum],
    caplog: pytest.LogCaptureFixture,
) -> None:
    value = _unknown_value(enum)
    with caplog.at_level(logging.WARNING, logger=KNOWN_VALUES_LOGGER_NAME):
        instance = cls.model_validate(_with_value(cls, field, value))
    stored = getattr(instance, field)
    assert (value in stored) if isinstance(stored, tuple) else (stored == value)
    records = [record for record in caplog.records if UNKNOWN_KNOWN_VALUE_EVENT in record.getMessage()]
    assert len(records) == 1, [record.getMessage() for record in caplog.records]
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.name == KNOWN_VALUES_LOGGER_NAME
    assert record.field == field  # type: ignore[attr-defined]  # structlog's extra fields are set on the LogRecord at run time
    assert record.value == value  # type: ignore[attr-defined]  # structlog's extra fields are set on the LogRecord at run time
    assert record.known_enum == enum.__name__  # type: ignore[attr-defined]  # structlog's extra fields are set on the LogRecord at run time
    assert field in record.getMessage()


@pytest.mark.parametrize(
    ("cls", "field", "enum"),
    KNOWN_FIELDS,
    ids=[f"{cls.__name__}.{field}" for cls, field, _ in KNOWN_FIELDS],
)
def test_known_value_is_silent_and_becomes_a_member(
    cls: type[pydantic.BaseModel],
    field: str,
    enum: type[Enum],
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = next(iter(enum))
    with caplog.at_level(logging.WARNING):
        instance = cls.model_validate(_with_value(cls, field, member.value))
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    stored = getattr(instance, field)
    stored_value = stored[0] if isinstance(stored, tuple) else stored
    assert stored_value == member
    assert type(stored_value) is enum


PLAIN_WORDS = (
    "is not a value this version of horde-sdk knows; it is passed through unchanged "
    "(if the AI Horde added it, upgrading horde-sdk may add it)"
)


def test_an_unknown_value_is_reported_once_per_value_in_plain_words(caplog: pytest.LogCaptureFixture) -> None:
    # A client polling a job sees the same answer over and over: one line per new value, not one per poll.
    with caplog.at_level(logging.WARNING, logger=KNOWN_VALUES_LOGGER_NAME):
        for _ in range(50):
            gp.ImageGenerationParameters(prompt="x", sampler_name="k_new")
        gp.ImageGenerationParameters(prompt="x", sampler_name="k_newer")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [f"sampler_name {name!r} {PLAIN_WORDS}" for name in ("k_new", "k_newer")]


def test_an_application_without_logging_setup_prints_one_line_for_many_polls() -> None:
    """What the `horde` command shows: it configures no logging, so Python prints the bare message once."""
    code = (
        "import horde_sdk.generation_parameters as gp\n"
        "for _ in range(123):\n"
        "    gp.ImageGenerationParameters(prompt='x', sampler_name='k_new')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"sampler_name 'k_new' {PLAIN_WORDS}"]
