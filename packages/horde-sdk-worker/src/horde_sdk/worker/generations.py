"""The concrete generations: image (`bytes` results), text (`str` results) and alchemy (one result per form).

They only add what differs per kind to `HordeSingleGeneration`: the typed parameters, the default optional
stages, and what a valid result is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, Unpack

from horde_sdk.generation_parameters import AlchemyParameters, ImageGenerationParameters, TextGenerationParameters
from horde_sdk.generation_parameters.generic import ComposedParameterSetBase
from horde_sdk.worker.consts import OPTIONAL_GENERATION_STAGE
from horde_sdk.worker.generations_base import GenerationOptions, GenerationResultsError, HordeSingleGeneration

__all__ = [
    "AlchemyFormResult",
    "AlchemyFormResultValue",
    "AlchemySingleGeneration",
    "ImageSingleGeneration",
    "TextSingleGeneration",
]


class ImageSingleGeneration(HordeSingleGeneration[bytes]):
    """One image generation: `batch_size` images, each the encoded image `bytes`.

    By default it has every optional stage, post-processing only when the parameters ask for post-processors
    (and never in black-box mode).
    """

    def __init__(self, parameters: ImageGenerationParameters, **options: Unpack[GenerationOptions]) -> None:
        super().__init__(parameters, **options)
        self._image_parameters = parameters

    @property
    def parameters(self) -> ImageGenerationParameters:
        """What is generated."""
        return self._image_parameters

    @classmethod
    def default_optional_stages(
        cls,
        parameters: ComposedParameterSetBase,
        *,
        black_box: bool,
    ) -> frozenset[OPTIONAL_GENERATION_STAGE]:
        """Return the base class's defaults, plus post-processing when post-processors are requested.

        Args:
            parameters: The generation's parameters.
            black_box: Whether the generation is in black-box mode.

        Returns:
            The default optional stages.
        """
        stages = super().default_optional_stages(parameters, black_box=black_box)
        post_processing = getattr(parameters, "post_processing", None)
        if not black_box and post_processing is not None and post_processing.post_processors:
            stages |= {OPTIONAL_GENERATION_STAGE.POST_PROCESSING}
        return stages

    def validate_result(self, index: int, result: bytes) -> None:
        """Accept non-empty `bytes`.

        Args:
            index: The position of the result in the batch.
            result: The encoded image.

        Raises:
            GenerationResultsError: If the result is not non-empty bytes.
        """
        if not isinstance(result, bytes):
            raise GenerationResultsError(f"image result {index} must be bytes, got {type(result).__name__}")
        if not result:
            raise GenerationResultsError(f"image result {index} is empty")


class TextSingleGeneration(HordeSingleGeneration[str]):
    """One text generation: `batch_size` texts.

    By default: preloading (not in black-box mode), safety check and submit; no post-processing.
    """

    def __init__(self, parameters: TextGenerationParameters, **options: Unpack[GenerationOptions]) -> None:
        super().__init__(parameters, **options)
        self._text_parameters = parameters

    @property
    def parameters(self) -> TextGenerationParameters:
        """What is generated."""
        return self._text_parameters

    def validate_result(self, index: int, result: str) -> None:
        """Accept any `str` (an empty text is a valid generation).

        Args:
            index: The position of the result in the batch.
            result: The text.

        Raises:
            GenerationResultsError: If the result is not a string.
        """
        if not isinstance(result, str):
            raise GenerationResultsError(f"text result {index} must be a str, got {type(result).__name__}")


AlchemyFormResultValue: TypeAlias = str | bytes | bool | Mapping[str, Any]
"""What one alchemy form yields: text (a caption), bytes (an image), a verdict (``nsfw``) or structured data
(the interrogation's scores)."""


@dataclass(frozen=True)
class AlchemyFormResult:
    """The result of one alchemy form."""

    form: str
    """The wire name of the form (as `AlchemyFormParametersBase.get_form_name()` returns it)."""
    result: AlchemyFormResultValue
    """What the form yielded."""


class AlchemySingleGeneration(HordeSingleGeneration[AlchemyFormResult]):
    """One alchemy generation: the forms applied to one source image, one `AlchemyFormResult` per form.

    By default: preloading (not in black-box mode) and submit; no post-processing and no safety check (enable it
    with ``requires_safety_check=True``). A censored form keeps its form name and takes the placeholder's result.
    """

    def __init__(self, parameters: AlchemyParameters, **options: Unpack[GenerationOptions]) -> None:
        super().__init__(parameters, **options)
        self._alchemy_parameters = parameters
        self._form_names = parameters.get_form_names()

    @property
    def parameters(self) -> AlchemyParameters:
        """What is generated."""
        return self._alchemy_parameters

    @classmethod
    def default_optional_stages(
        cls,
        parameters: ComposedParameterSetBase,
        *,
        black_box: bool,
    ) -> frozenset[OPTIONAL_GENERATION_STAGE]:
        """Return the base class's defaults without the safety check.

        Args:
            parameters: The generation's parameters.
            black_box: Whether the generation is in black-box mode.

        Returns:
            The default optional stages.
        """
        return super().default_optional_stages(parameters, black_box=black_box) - {
            OPTIONAL_GENERATION_STAGE.SAFETY_CHECK,
        }

    def validate_result(self, index: int, result: AlchemyFormResult) -> None:
        """Accept an `AlchemyFormResult` for the form at the same position.

        Args:
            index: The position of the result (and of its form).
            result: The form's result.

        Raises:
            GenerationResultsError: If the result is of another type or for another form.
        """
        if not isinstance(result, AlchemyFormResult):
            raise GenerationResultsError(
                f"alchemy result {index} must be an AlchemyFormResult, got {type(result).__name__}",
            )
        if result.form != self._form_names[index]:
            raise GenerationResultsError(
                f"alchemy result {index} is for form {result.form!r}, expected {self._form_names[index]!r}",
            )

    def censor_result(
        self, index: int, result: AlchemyFormResult, placeholder: AlchemyFormResult
    ) -> AlchemyFormResult:
        """Keep the form name of the censored result and take the placeholder's value.

        Args:
            index: The position of the result.
            result: The censored result.
            placeholder: The placeholder the caller provided (its form name is ignored).

        Returns:
            The replacement.
        """
        del index
        return AlchemyFormResult(form=result.form, result=placeholder.result)
