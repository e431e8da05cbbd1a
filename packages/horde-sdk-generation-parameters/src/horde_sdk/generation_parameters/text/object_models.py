"""API-agnostic descriptions of a text generation.

`BasicTextGenerationParameters` holds what every text backend understands (prompt, lengths, common samplers);
`TextGenerationParameters` adds the less common samplers and extra images, and is the parameter set clients,
workers and deploy-config exchange. `TextGenerationParametersTemplate` is its all-optional twin, and
`TextGenerationFeatureFlags` describes what a parameter set requires or what a worker supports.
"""

from typing import Annotated, Any, TypeAlias

from pydantic import Field

from horde_sdk.generation_parameters.generic.object_models import (
    ComposedParameterSetBase,
    ExtraSourceImageEntry,
    GenerationFeatureFlags,
    GenerationParameterComponentBase,
    ParametersTemplateBase,
)
from horde_sdk.generation_parameters.text.consts import (
    DEFAULT_TEXT_MAX_CONTEXT_LENGTH,
    DEFAULT_TEXT_MAX_LENGTH,
    KnownTextFormattingOption,
    KnownTextSampler,
)
from horde_sdk.generation_parameters.validation import Bounds, NotBlank, NotEmpty, field_with_former_names

__all__ = [
    "BasicTextGenerationParameters",
    "BasicTextGenerationParametersTemplate",
    "TextGenerationFeatureFlags",
    "TextGenerationParameters",
    "TextGenerationParametersTemplate",
    "get_text_feature_flags_required",
]

_AtLeastOne: TypeAlias = Annotated[int, Bounds(minimum=1)]
_NonNegativeInt: TypeAlias = Annotated[int, Bounds(minimum=0)]
_NonNegativeFloat: TypeAlias = Annotated[float, Bounds(minimum=0)]
_PositiveFloat: TypeAlias = Annotated[float, Bounds(minimum=0, exclusive_minimum=True)]
_UnitInterval: TypeAlias = Annotated[float, Bounds(minimum=0, maximum=1)]
_StopSequence: TypeAlias = Annotated[str, NotEmpty()]


_D_MODEL = "The name of the model to use; None lets the server or backend choose."
_D_PROMPT = "The text to continue. Must not be empty."
_D_MAX_LENGTH = "The number of tokens to generate, at least 1 (the AI Horde allows 16 to 4096)."
_D_MAX_CONTEXT_LENGTH = (
    "The number of tokens of context sent to the model, at least 1 (the AI Horde allows 80 or more)."
)
_D_TEMPERATURE = "The sampling temperature, at least 0; None uses the backend default."
_D_TOP_P = "Top-p (nucleus) sampling, from 0 to 1; None uses the backend default."
_D_TOP_K = "Top-k sampling, at least 0 (0 disables it); None uses the backend default."
_D_TOP_A = "Top-a sampling, at least 0 (0 disables it); None uses the backend default."
_D_TYPICAL = "Typical sampling, from 0 to 1; None uses the backend default."
_D_TFS = "Tail-free sampling, from 0 to 1; None uses the backend default."
_D_REP_PEN = "The repetition penalty, above 0 (1 is neutral); None uses the backend default."
_D_REP_PEN_RANGE = "How many recent tokens the repetition penalty looks at, at least 0."
_D_REP_PEN_SLOPE = "The slope of the repetition penalty over its range, at least 0."
_D_SAMPLER_ORDER = "The order in which samplers run, as KNOWN_TEXT_SAMPLERS ids; None uses the backend default."
_D_STOP_SEQUENCES = "Texts which end the generation when produced (each must not be empty). Formerly `stop_sequence`."
_D_FORMATTING = "The formatting options to apply, KNOWN_TEXT_FORMATTING_OPTIONS values."
_D_BATCH_SIZE = "How many texts one run produces, at least 1 (the AI Horde allows up to 20). Also accepted as `n`."
_D_MIN_P = "Min-p sampling, from 0 to 1 (0 disables it); None uses the backend default."
_D_SMOOTHING = "Quadratic sampling (smoothing factor), at least 0 (0 disables it); None uses the backend default."
_D_DYNATEMP_RANGE = "The dynamic temperature range, at least 0 (0 disables it); None uses the backend default."
_D_DYNATEMP_EXPONENT = "The dynamic temperature exponent, at least 0; None uses the backend default."
_D_BADWORDS = "Whether to use the backend's default list of banned tokens; None uses the backend default."
_D_EXTRA_SOURCE_IMAGES = "Images given to a multimodal model along with the prompt."


class BasicTextGenerationParameters(GenerationParameterComponentBase):
    """The parameters virtually every text generation backend understands."""

    model: Annotated[str, NotBlank()] | None = Field(default=None, description=_D_MODEL)
    prompt: Annotated[str, NotBlank()] = Field(description=_D_PROMPT)
    max_length: _AtLeastOne = Field(default=DEFAULT_TEXT_MAX_LENGTH, description=_D_MAX_LENGTH)
    max_context_length: _AtLeastOne = Field(default=DEFAULT_TEXT_MAX_CONTEXT_LENGTH, description=_D_MAX_CONTEXT_LENGTH)
    temperature: _NonNegativeFloat | None = Field(default=None, description=_D_TEMPERATURE)
    top_p: _UnitInterval | None = Field(default=None, description=_D_TOP_P)
    top_k: _NonNegativeInt | None = Field(default=None, description=_D_TOP_K)
    top_a: _NonNegativeFloat | None = Field(default=None, description=_D_TOP_A)
    typical: _UnitInterval | None = Field(default=None, description=_D_TYPICAL)
    tfs: _UnitInterval | None = Field(default=None, description=_D_TFS)
    rep_pen: _PositiveFloat | None = Field(default=None, description=_D_REP_PEN)
    rep_pen_range: _NonNegativeInt | None = Field(default=None, description=_D_REP_PEN_RANGE)
    rep_pen_slope: _NonNegativeFloat | None = Field(default=None, description=_D_REP_PEN_SLOPE)
    sampler_order: tuple[KnownTextSampler, ...] | None = Field(default=None, description=_D_SAMPLER_ORDER)
    stop_sequences: tuple[_StopSequence, ...] = field_with_former_names(
        "stop_sequences", "stop_sequence", default=(), description=_D_STOP_SEQUENCES
    )
    formatting_options: tuple[KnownTextFormattingOption, ...] = Field(default=(), description=_D_FORMATTING)
    batch_size: _AtLeastOne = field_with_former_names("batch_size", "n", default=1, description=_D_BATCH_SIZE)


class TextGenerationFeatureFlags(GenerationFeatureFlags):
    """Text features a parameter set requires, or that a text worker or backend supports."""

    extra_source_images: bool = Field(default=False, description="Images given along with the prompt.")
    stop_sequences: bool = Field(default=False, description="Stop sequences.")
    custom_sampler_order: bool = Field(default=False, description="A caller-chosen sampler order.")
    formatting_options: tuple[KnownTextFormattingOption, ...] = Field(default=(), description="Formatting options.")
    min_p: bool = Field(default=False, description="Min-p sampling.")
    smoothing_factor: bool = Field(default=False, description="Quadratic sampling.")
    dynamic_temperature: bool = Field(default=False, description="Dynamic temperature.")

    @classmethod
    def required_for(cls, parameters: "TextGenerationParameters") -> "TextGenerationFeatureFlags":
        """Return the features `parameters` requires (same as `get_text_feature_flags_required`).

        Args:
            parameters: The parameter set to inspect.

        Returns:
            The required feature flags.
        """
        return get_text_feature_flags_required(parameters)


class TextGenerationParameters(BasicTextGenerationParameters, ComposedParameterSetBase):
    """A complete, validated description of one text generation (one run of inference)."""

    min_p: _UnitInterval | None = Field(default=None, description=_D_MIN_P)
    smoothing_factor: _NonNegativeFloat | None = Field(default=None, description=_D_SMOOTHING)
    dynatemp_range: _NonNegativeFloat | None = Field(default=None, description=_D_DYNATEMP_RANGE)
    dynatemp_exponent: _NonNegativeFloat | None = Field(default=None, description=_D_DYNATEMP_EXPONENT)
    use_default_badwordsids: bool | None = Field(default=None, description=_D_BADWORDS)
    extra_source_images: tuple[ExtraSourceImageEntry, ...] = Field(default=(), description=_D_EXTRA_SOURCE_IMAGES)

    def get_number_expected_results(self) -> int:
        """Return the number of texts one run produces (`batch_size`).

        Returns:
            The batch size.
        """
        return self.batch_size

    def get_required_feature_flags(self) -> TextGenerationFeatureFlags:
        """Return the features a worker or backend needs to run this generation.

        Returns:
            The required text feature flags.
        """
        return get_text_feature_flags_required(self)


def get_text_feature_flags_required(parameters: TextGenerationParameters) -> TextGenerationFeatureFlags:
    """Derive the feature flags a worker or backend must support to run `parameters`.

    Args:
        parameters: The text parameter set to inspect.

    Returns:
        Flags with each used feature set. Samplers set to the value that disables them are not required.
    """
    # The values were validated (and unknown ones warned about) when `parameters` was built: construct directly.
    return TextGenerationFeatureFlags.model_construct(
        extra_source_images=len(parameters.extra_source_images) > 0,
        stop_sequences=len(parameters.stop_sequences) > 0,
        custom_sampler_order=parameters.sampler_order is not None,
        formatting_options=tuple(dict.fromkeys(parameters.formatting_options)),
        min_p=bool(parameters.min_p),
        smoothing_factor=bool(parameters.smoothing_factor),
        dynamic_temperature=bool(parameters.dynatemp_range),
    )


class BasicTextGenerationParametersTemplate(ParametersTemplateBase):
    """`BasicTextGenerationParameters` with every field optional (None means "not specified")."""

    model: Annotated[str, NotBlank()] | None = Field(default=None, description=_D_MODEL)
    prompt: Annotated[str, NotBlank()] | None = Field(default=None, description=_D_PROMPT)
    max_length: _AtLeastOne | None = Field(default=None, description=_D_MAX_LENGTH)
    max_context_length: _AtLeastOne | None = Field(default=None, description=_D_MAX_CONTEXT_LENGTH)
    temperature: _NonNegativeFloat | None = Field(default=None, description=_D_TEMPERATURE)
    top_p: _UnitInterval | None = Field(default=None, description=_D_TOP_P)
    top_k: _NonNegativeInt | None = Field(default=None, description=_D_TOP_K)
    top_a: _NonNegativeFloat | None = Field(default=None, description=_D_TOP_A)
    typical: _UnitInterval | None = Field(default=None, description=_D_TYPICAL)
    tfs: _UnitInterval | None = Field(default=None, description=_D_TFS)
    rep_pen: _PositiveFloat | None = Field(default=None, description=_D_REP_PEN)
    rep_pen_range: _NonNegativeInt | None = Field(default=None, description=_D_REP_PEN_RANGE)
    rep_pen_slope: _NonNegativeFloat | None = Field(default=None, description=_D_REP_PEN_SLOPE)
    sampler_order: tuple[KnownTextSampler, ...] | None = Field(default=None, description=_D_SAMPLER_ORDER)
    stop_sequences: tuple[_StopSequence, ...] | None = field_with_former_names(
        "stop_sequences", "stop_sequence", default=None, description=_D_STOP_SEQUENCES
    )
    formatting_options: tuple[KnownTextFormattingOption, ...] | None = Field(default=None, description=_D_FORMATTING)
    batch_size: _AtLeastOne | None = field_with_former_names(
        "batch_size", "n", default=None, description=_D_BATCH_SIZE
    )

    def to_parameters(self, **overrides: Any) -> BasicTextGenerationParameters:  # noqa: ANN401
        """Merge this template with `overrides` (which win) and validate the result.

        Args:
            **overrides: Field values of `BasicTextGenerationParameters` taking precedence over the template.

        Returns:
            The validated basic parameters.

        Raises:
            pydantic.ValidationError: If the merged values are incomplete (no prompt) or invalid.
        """
        return self._build_parameters(BasicTextGenerationParameters, overrides)


class TextGenerationParametersTemplate(BasicTextGenerationParametersTemplate):
    """`TextGenerationParameters` with every field optional, for styles and chaining."""

    min_p: _UnitInterval | None = Field(default=None, description=_D_MIN_P)
    smoothing_factor: _NonNegativeFloat | None = Field(default=None, description=_D_SMOOTHING)
    dynatemp_range: _NonNegativeFloat | None = Field(default=None, description=_D_DYNATEMP_RANGE)
    dynatemp_exponent: _NonNegativeFloat | None = Field(default=None, description=_D_DYNATEMP_EXPONENT)
    use_default_badwordsids: bool | None = Field(default=None, description=_D_BADWORDS)
    extra_source_images: tuple[ExtraSourceImageEntry, ...] | None = Field(
        default=None,
        description=_D_EXTRA_SOURCE_IMAGES,
    )

    def to_parameters(self, **overrides: Any) -> TextGenerationParameters:  # noqa: ANN401
        """Merge this template with `overrides` (which win) and validate the result.

        Args:
            **overrides: Field values of `TextGenerationParameters` taking precedence over the template.

        Returns:
            The validated parameter set.

        Raises:
            pydantic.ValidationError: If the merged values are incomplete (no prompt) or invalid.
        """
        return self._build_parameters(TextGenerationParameters, overrides)
