"""Text generation parameters, templates, feature flags and the `KNOWN_*` enums of text generation."""

from horde_sdk.generation_parameters.text.consts import (
    DEFAULT_TEXT_MAX_CONTEXT_LENGTH,
    DEFAULT_TEXT_MAX_LENGTH,
    KNOWN_TEXT_FORMATTING_OPTIONS,
    KNOWN_TEXT_SAMPLERS,
)
from horde_sdk.generation_parameters.text.object_models import (
    BasicTextGenerationParameters,
    BasicTextGenerationParametersTemplate,
    KnownTextFormattingOption,
    KnownTextSampler,
    TextGenerationFeatureFlags,
    TextGenerationParameters,
    TextGenerationParametersTemplate,
    get_text_feature_flags_required,
)

__all__ = [
    "DEFAULT_TEXT_MAX_CONTEXT_LENGTH",
    "DEFAULT_TEXT_MAX_LENGTH",
    "KNOWN_TEXT_FORMATTING_OPTIONS",
    "KNOWN_TEXT_SAMPLERS",
    "BasicTextGenerationParameters",
    "BasicTextGenerationParametersTemplate",
    "KnownTextFormattingOption",
    "KnownTextSampler",
    "TextGenerationFeatureFlags",
    "TextGenerationParameters",
    "TextGenerationParametersTemplate",
    "get_text_feature_flags_required",
]
