"""Schema versions: stamped on every parameter set and template; older data is migrated before validation."""

from typing import Any

import pydantic
import pytest

from horde_sdk.generation_parameters import (
    GENERATION_PARAMETERS_SCHEMA_VERSION,
    KNOWN_IMAGE_SCHEDULERS,
    AlchemyParameters,
    ImageGenerationParameters,
    ImageGenerationParametersTemplate,
    TextGenerationParameters,
    get_registered_migration,
    migrate_to_current_schema,
    register_migration,
)

VERSION_0_IMAGE = {
    "schema_version": 0,
    "prompt": "a castle",
    "ddim_steps": 42,
    "n_iter": 2,
    "karras": True,
}


def test_current_version_is_stamped_on_every_parameter_set() -> None:
    assert GENERATION_PARAMETERS_SCHEMA_VERSION == 1
    assert ImageGenerationParameters(prompt="x").schema_version == 1
    assert TextGenerationParameters(prompt="x").schema_version == 1
    assert AlchemyParameters(source_image="u", forms=({"kind": "nsfw"},)).schema_version == 1  # type: ignore[arg-type]  # a raw mapping on purpose: the validator parses it into a form
    assert ImageGenerationParametersTemplate().schema_version == 1
    assert ImageGenerationParameters(prompt="x").model_dump()["schema_version"] == 1


def test_version_0_image_data_is_migrated() -> None:
    parameters = ImageGenerationParameters.model_validate(VERSION_0_IMAGE)
    assert parameters.schema_version == 1
    assert parameters.steps == 42
    assert parameters.batch_size == 2
    assert parameters.scheduler is KNOWN_IMAGE_SCHEDULERS.karras
    assert ImageGenerationParameters.model_validate({**VERSION_0_IMAGE, "karras": False}).scheduler == "normal"


def test_version_0_karras_is_rejected_in_current_data() -> None:
    # `karras` no longer exists at version 1: only the migration understands it.
    with pytest.raises(pydantic.ValidationError, match="karras"):
        ImageGenerationParameters.model_validate({"prompt": "a castle", "karras": True})


def test_version_0_template_is_migrated_through_its_base_class_registration() -> None:
    template = ImageGenerationParametersTemplate.model_validate({"schema_version": 0, "karras": False})
    assert template.scheduler is KNOWN_IMAGE_SCHEDULERS.normal
    assert template.schema_version == 1
    # A template which did not specify karras leaves the scheduler unspecified.
    assert ImageGenerationParametersTemplate.model_validate({"schema_version": 0}).scheduler is None


def test_migration_does_not_touch_the_input() -> None:
    data = dict(VERSION_0_IMAGE)
    ImageGenerationParameters.model_validate(data)
    assert data == VERSION_0_IMAGE


def test_migrated_data_round_trips_at_the_current_version() -> None:
    parameters = ImageGenerationParameters.model_validate(VERSION_0_IMAGE)
    assert ImageGenerationParameters.model_validate(parameters.model_dump()) == parameters


def test_classes_without_a_migration_just_take_the_new_version() -> None:
    assert get_registered_migration(TextGenerationParameters, 0) is None
    parameters = TextGenerationParameters.model_validate({"schema_version": 0, "prompt": "x"})
    assert parameters.schema_version == 1


def test_migrate_to_current_schema_function() -> None:
    migrated = migrate_to_current_schema(ImageGenerationParameters, VERSION_0_IMAGE)
    assert migrated == {"schema_version": 1, "prompt": "a castle", "steps": 42, "batch_size": 2, "scheduler": "karras"}
    current = {"prompt": "x"}
    assert migrate_to_current_schema(ImageGenerationParameters, current) == {"prompt": "x", "schema_version": 1}
    bad: dict[str, Any] = {"schema_version": "one"}
    assert migrate_to_current_schema(ImageGenerationParameters, bad) is bad


def test_future_versions_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="schema_version must be at most 1"):
        ImageGenerationParameters.model_validate({"schema_version": 2, "prompt": "x"})


def test_register_migration_rules() -> None:
    with pytest.raises(ValueError, match="from_version must be between 0 and 0"):
        register_migration(TextGenerationParameters, from_version=1)
    with pytest.raises(ValueError, match="already registered"):
        register_migration(ImageGenerationParameters, from_version=0)(lambda data: data)


def test_a_registered_migration_is_applied_to_subclasses() -> None:
    class LegacyTextParameters(TextGenerationParameters):
        """A subclass used to check that migrations registered for a class apply to it."""

    calls: list[dict[str, Any]] = []

    @register_migration(LegacyTextParameters, from_version=0)
    def rename_max_tokens(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(dict(data))
        migrated = dict(data)
        migrated["max_length"] = migrated.pop("max_tokens")
        return migrated

    class NewerLegacyTextParameters(LegacyTextParameters):
        """A subclass of the subclass."""

    parameters = NewerLegacyTextParameters.model_validate({"schema_version": 0, "prompt": "x", "max_tokens": 99})
    assert parameters.max_length == 99
    assert calls == [{"schema_version": 0, "prompt": "x", "max_tokens": 99}]
    assert get_registered_migration(NewerLegacyTextParameters, 0) is rename_max_tokens
