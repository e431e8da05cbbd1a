"""Generation-kind independent base classes, constants and the schema-migration registry."""

from horde_sdk.generation_parameters.generic.consts import (
    GENERATION_PARAMETERS_SCHEMA_VERSION,
    KNOWN_FACEFIXERS,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_MISC_POST_PROCESSORS,
    KNOWN_UPSCALERS,
    get_generation_parameters_model_config,
    is_facefixer,
    is_upscaler,
)
from horde_sdk.generation_parameters.generic.object_models import (
    ComposedParameterSetBase,
    ExtraSourceImageEntry,
    GenerationFeatureFlags,
    GenerationParameterBaseModel,
    GenerationParameterComponentBase,
    GenerationSourceImage,
    ParametersTemplateBase,
    SchemaMigration,
    VersionedGenerationParametersBase,
    get_registered_migration,
    migrate_to_current_schema,
    register_migration,
)

__all__ = [
    "GENERATION_PARAMETERS_SCHEMA_VERSION",
    "KNOWN_FACEFIXERS",
    "KNOWN_IMAGE_POST_PROCESSORS",
    "KNOWN_MISC_POST_PROCESSORS",
    "KNOWN_UPSCALERS",
    "ComposedParameterSetBase",
    "ExtraSourceImageEntry",
    "GenerationFeatureFlags",
    "GenerationParameterBaseModel",
    "GenerationParameterComponentBase",
    "GenerationSourceImage",
    "ParametersTemplateBase",
    "SchemaMigration",
    "VersionedGenerationParametersBase",
    "get_generation_parameters_model_config",
    "get_registered_migration",
    "is_facefixer",
    "is_upscaler",
    "migrate_to_current_schema",
    "register_migration",
]
