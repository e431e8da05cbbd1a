"""Constants of text generation: its `KNOWN_*` enums and default values."""

from enum import IntEnum, StrEnum
from typing import Annotated, TypeAlias

from horde_sdk.generation_parameters.validation import Bounds, KnownValue

__all__ = [
    "DEFAULT_TEXT_MAX_CONTEXT_LENGTH",
    "DEFAULT_TEXT_MAX_LENGTH",
    "KNOWN_TEXT_FORMATTING_OPTIONS",
    "KNOWN_TEXT_SAMPLERS",
    "KnownTextFormattingOption",
    "KnownTextSampler",
]

DEFAULT_TEXT_MAX_LENGTH = 80
"""The default number of tokens to generate (the AI Horde default)."""

DEFAULT_TEXT_MAX_CONTEXT_LENGTH = 2048
"""The default number of context tokens sent to the model (the AI Horde default)."""


class KNOWN_TEXT_FORMATTING_OPTIONS(StrEnum):  # noqa: N801 (project convention for KNOWN_ enums)
    """KoboldAI-style input/output formatting options; the values are the AI Horde field names."""

    add_leading_space = "frmtadsnsp"
    """Add a leading space to the input if the previous text does not end with whitespace."""
    remove_blank_lines = "frmtrmblln"
    """Replace runs of two or more newlines in the output with one newline."""
    remove_special_characters = "frmtrmspch"
    """Remove ``#/@%}{+=~|\\^<>`` from the output."""
    trim_incomplete_sentences = "frmttriminc"
    """Cut the output back so that it does not end mid-sentence."""
    single_line = "singleline"
    """Keep only the first line of the output."""


class KNOWN_TEXT_SAMPLERS(IntEnum):  # noqa: N801
    """The KoboldAI sampler ids used in `sampler_order` (the order in which sampling steps run)."""

    top_k = 0
    top_a = 1
    top_p = 2
    tfs = 3
    typical = 4
    temperature = 5
    repetition_penalty = 6


# The field types that accept these values: the member when known, the value itself (with a warning) when not.
KnownTextFormattingOption: TypeAlias = Annotated[
    KNOWN_TEXT_FORMATTING_OPTIONS | str,
    KnownValue(KNOWN_TEXT_FORMATTING_OPTIONS),
]
"""A text formatting option: a `KNOWN_TEXT_FORMATTING_OPTIONS` member, or unknown text (with a warning)."""

KnownTextSampler: TypeAlias = Annotated[KNOWN_TEXT_SAMPLERS | int, Bounds(minimum=0), KnownValue(KNOWN_TEXT_SAMPLERS)]
"""A text sampler's number: a `KNOWN_TEXT_SAMPLERS` member, or another non-negative number (with a warning)."""
