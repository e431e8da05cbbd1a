"""Base classes shared by the image, text and alchemy parameter models.

The pattern every generation kind follows:

* `Basic*Parameters` hold the fields virtually every backend of that kind understands;
* `*Parameters` extend them with optional features and are `ComposedParameterSetBase` subclasses: they know how
  many results they produce and which feature flags they require;
* `*ParametersTemplate` mirror `*Parameters` with every field optional, for styles and chaining;
* `*FeatureFlags` describe what a parameter set requires or what a worker supports.

Parameter sets and templates carry a `schema_version`. Data stamped with an older version is brought up to date
by the migrations registered with `register_migration` before it is validated.
"""

import base64
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Self, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from horde_sdk.generation_parameters.generic.consts import GENERATION_PARAMETERS_SCHEMA_VERSION
from horde_sdk.generation_parameters.validation import Bounds, NotEmpty

__all__ = [
    "ComposedParameterSetBase",
    "ExtraSourceImageEntry",
    "GenerationFeatureFlags",
    "GenerationParameterBaseModel",
    "GenerationParameterComponentBase",
    "GenerationSourceImage",
    "ParametersTemplateBase",
    "SchemaMigration",
    "VersionedGenerationParametersBase",
    "get_registered_migration",
    "migrate_to_current_schema",
    "register_migration",
]


def _image_as_json_text(image: bytes | str) -> str:
    """Write raw image bytes as standard (not URL-safe) base64 text in JSON; text is written unchanged."""
    if isinstance(image, bytes):
        return base64.b64encode(image).decode("ascii")
    return image


# `str` comes first so that JSON strings validate as `str` (pydantic would otherwise turn them into bytes).
GenerationSourceImage: TypeAlias = Annotated[
    str | bytes,
    NotEmpty(),
    PlainSerializer(_image_as_json_text, return_type=str, when_used="json"),
]
"""An input image: raw image bytes, or a `str` holding either a URL to download it from or base64 image data.

Clients usually hold a file's bytes or a URL; a worker fills these fields with the bytes it downloaded. Python-mode
dumps keep the value as it is. JSON dumps write `bytes` as standard base64 text, which validates back as the
equivalent `str` form.
"""

SchemaMigration: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]
"""A function taking the data of a model at schema version N and returning it at version N + 1."""

_MIGRATIONS: dict[tuple[type, int], SchemaMigration] = {}


class GenerationParameterBaseModel(BaseModel):
    """The frozen pydantic base of every model in `horde_sdk.generation_parameters`.

    Unknown fields are rejected, instances are immutable and hashable, and sequences are tuples.
    """

    # get_generation_parameters_model_config(), spelled out: pydantic's mypy plugin reads a configuration only from
    # literal keywords here, so that users' type checkers report a misspelled keyword (extra="forbid") and an
    # assignment to a field (frozen=True). tests-integration/architecture/test_model_configs.py keeps the two equal.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        from_attributes=True,
        use_attribute_docstrings=False,
        protected_namespaces=(),
        allow_inf_nan=False,
        defer_build=True,
    )


class GenerationParameterComponentBase(GenerationParameterBaseModel):
    """A part of a parameter set: an entry (a LoRa), a feature's settings (ControlNet) or the basic fields.

    Components are not versioned: the parameter set containing them carries the `schema_version`.
    """


class VersionedGenerationParametersBase(GenerationParameterBaseModel):
    """A model stamped with `schema_version`, whose older data is migrated before validation."""

    schema_version: Annotated[int, Bounds(minimum=0)] = Field(
        default=GENERATION_PARAMETERS_SCHEMA_VERSION,
        description=(
            "The layout version of this data. Data without it is taken to be current; older data is migrated "
            "with the registered migrations before validation."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def migrate_older_schema_versions(cls, data: Any) -> Any:  # noqa: ANN401 (pydantic passes raw input)
        """Bring a mapping stamped with an older `schema_version` up to the current layout.

        Args:
            data: The raw input of the validation.

        Returns:
            The (possibly migrated) input.
        """
        if isinstance(data, Mapping) and data.get("schema_version", GENERATION_PARAMETERS_SCHEMA_VERSION) != (
            GENERATION_PARAMETERS_SCHEMA_VERSION
        ):
            return migrate_to_current_schema(cls, data)
        return data


def register_migration(
    model_cls: type[VersionedGenerationParametersBase],
    from_version: int,
) -> Callable[[SchemaMigration], SchemaMigration]:
    """Register a function migrating the data of `model_cls` (and subclasses) from `from_version` to the next version.

    Use as a decorator; stack it to register the same function for several classes. Versions without a registered
    migration are taken to be unchanged for that class.

    Args:
        model_cls: The versioned model class whose data the function migrates.
        from_version: The schema version the function accepts; it returns data at `from_version + 1`.

    Returns:
        A decorator registering the function and returning it unchanged.

    Raises:
        ValueError: If `from_version` is not an older version, or a migration is already registered for it.
    """
    if not 0 <= from_version < GENERATION_PARAMETERS_SCHEMA_VERSION:
        raise ValueError(
            f"from_version must be between 0 and {GENERATION_PARAMETERS_SCHEMA_VERSION - 1}, got {from_version}"
        )

    def decorator(migration: SchemaMigration) -> SchemaMigration:
        key = (model_cls, from_version)
        if key in _MIGRATIONS:
            raise ValueError(f"a migration from version {from_version} is already registered for {model_cls.__name__}")
        _MIGRATIONS[key] = migration
        return migration

    return decorator


def get_registered_migration(model_cls: type[BaseModel], from_version: int) -> SchemaMigration | None:
    """Return the migration applying to `model_cls` from `from_version`, looking through its base classes.

    Args:
        model_cls: A versioned model class.
        from_version: The schema version to migrate from.

    Returns:
        The most specific registered migration, or None if the layout did not change at that version.
    """
    for klass in model_cls.__mro__:
        migration = _MIGRATIONS.get((klass, from_version))
        if migration is not None:
            return migration
    return None


def migrate_to_current_schema(model_cls: type[BaseModel], data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Apply, in order, every migration between the data's `schema_version` and the current version.

    Args:
        model_cls: The class the data is meant for.
        data: The raw data; a missing `schema_version` means the current version.

    Returns:
        The migrated data stamped with the current version. Data whose `schema_version` is not a non-negative
        integer is returned unchanged, so that field validation reports the problem.

    Raises:
        ValueError: If the data comes from a newer schema version than this package understands.
    """
    version = data.get("schema_version", GENERATION_PARAMETERS_SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return data
    if version > GENERATION_PARAMETERS_SCHEMA_VERSION:
        raise ValueError(
            f"schema_version must be at most {GENERATION_PARAMETERS_SCHEMA_VERSION} (the newest this package "
            f"understands), got {version}"
        )
    migrated = dict(data)
    while version < GENERATION_PARAMETERS_SCHEMA_VERSION:
        migration = get_registered_migration(model_cls, version)
        if migration is not None:
            migrated = migration(migrated)
        version += 1
    migrated["schema_version"] = GENERATION_PARAMETERS_SCHEMA_VERSION
    return migrated


class GenerationFeatureFlags(GenerationParameterBaseModel):
    """The base of every feature-flag model.

    The same class describes both sides of a match: the features a parameter set requires, and the features a
    worker or backend supports. Boolean fields mean "requires"/"supports" the feature; tuple fields list the
    values (samplers, post-processors, ...) required or supported.
    """

    def get_unmet_requirements(self, supported: Self) -> tuple[str, ...]:
        """Return a description of every requirement in `self` that `supported` does not satisfy.

        A required boolean feature needs the supported flag to be True; every value of a required tuple must
        appear in the supported tuple. Fields of other types are not compared.

        Args:
            supported: The flags of a worker or backend, of the class of `self` (or a subclass of it).

        Returns:
            One entry per unmet field, such as ``"loras"`` or ``"samplers: k_lms"``; empty when all are met.

        Raises:
            TypeError: If `supported` is not an instance of the class of `self`.
        """
        if not isinstance(supported, type(self)):
            raise TypeError(f"cannot compare {type(self).__name__} with {type(supported).__name__}")
        unmet: list[str] = []
        for name in type(self).model_fields:
            required = getattr(self, name)
            available = getattr(supported, name)
            if isinstance(required, bool):
                if required and not available:
                    unmet.append(name)
            elif isinstance(required, tuple):
                missing = [str(value) for value in required if value not in available]
                if missing:
                    unmet.append(f"{name}: {', '.join(missing)}")
        return tuple(unmet)

    def is_satisfied_by(self, supported: Self) -> bool:
        """Return whether `supported` meets every requirement in `self`.

        Args:
            supported: The flags of a worker or backend, of the same class as `self`.

        Returns:
            True when `get_unmet_requirements` finds nothing.
        """
        return not self.get_unmet_requirements(supported)


class ComposedParameterSetBase(VersionedGenerationParametersBase, ABC):
    """A complete description of one generation: everything a backend needs to run a single inference.

    Subclasses know how many results the generation yields and which features it requires.
    """

    @abstractmethod
    def get_number_expected_results(self) -> int:
        """Return how many results (images, texts, alchemy results) a single run of this generation produces."""

    @abstractmethod
    def get_required_feature_flags(self) -> GenerationFeatureFlags:
        """Return the feature flags a worker or backend must support to run this generation."""


_TemplateT = TypeVar("_TemplateT", bound="ParametersTemplateBase")
_ParametersT = TypeVar("_ParametersT", bound=GenerationParameterBaseModel)


class ParametersTemplateBase(VersionedGenerationParametersBase):
    """A parameter set with every field optional, used for styles, defaults and chaining.

    A field left as None means "not specified by this template". Templates can be layered (the later one wins
    field by field) and turned into a concrete parameter set with overrides.
    """

    def get_specified_values(self) -> dict[str, Any]:
        """Return the fields this template specifies (those not None), without `schema_version`.

        Returns:
            A new dict of field name to value.
        """
        specified: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name == "schema_version":
                continue
            value = getattr(self, name)
            if value is not None:
                specified[name] = value
        return specified

    def merged_with(self, other: "ParametersTemplateBase") -> Self:
        """Return a copy of this template with every field specified by `other` taking precedence.

        Args:
            other: A template of the same class as `self` or of one of its base classes (for example a basic
                template laid over a full one).

        Returns:
            A new template of the class of `self`.

        Raises:
            TypeError: If `other` has fields this template does not have.
        """
        if not isinstance(self, type(other)):
            raise TypeError(f"cannot merge a {type(other).__name__} into a {type(self).__name__}")
        return self.model_copy(update=other.get_specified_values())

    def apply_over(self, base: _TemplateT) -> _TemplateT:
        """Lay this template over `base` (this template wins where both specify a field).

        Args:
            base: The template underneath, of the class of `self` or a subclass of it.

        Returns:
            A new template of the class of `base`.
        """
        return base.merged_with(self)

    @classmethod
    def from_parameters(cls, parameters: GenerationParameterBaseModel) -> Self:
        """Return a template specifying every field of `parameters` which is not None.

        Args:
            parameters: A concrete parameter set (or template) whose fields this template class has, for example
                a parameter set to save as a style.

        Returns:
            The equivalent template.
        """
        values = {name: getattr(parameters, name) for name in type(parameters).model_fields}
        return cls.model_validate({name: value for name, value in values.items() if value is not None})

    def _build_parameters(self, parameters_cls: type[_ParametersT], overrides: Mapping[str, Any]) -> _ParametersT:
        """Validate this template's values updated with `overrides` into `parameters_cls`."""
        data = self.get_specified_values()
        data.update(overrides)
        return parameters_cls.model_validate(data)


class ExtraSourceImageEntry(GenerationParameterComponentBase):
    """An additional input image, such as a remix reference image or an image given to a multimodal text model."""

    image: GenerationSourceImage = Field(
        description="The image: raw bytes, or a str holding a URL or base64 image data.",
    )
    strength: float = Field(
        default=1.0,
        description="How strongly the image influences the generation (backend specific, 1.0 is neutral).",
    )
