"""Text generation as a worker sees it: asking for a job (pop) and handing back its texts (submit).

Endpoints: ``/v2/generate/text/pop`` (POST) and ``/v2/generate/text/submit`` (POST).

:meth:`TextGenerateJobPopResponse.get_generation_parameters` turns a job into a
:class:`~horde_sdk.generation_parameters.TextGenerationParameters`; a job that cannot be expressed that way
raises :class:`~horde_sdk.ai_horde_api.apimodels.generate_image_worker.UnusableJobPayloadError` (the worker
records the reason and submits the ids as faulted). An empty pop parses; ask
:meth:`~TextGenerateJobPopResponse.has_job` first.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.generate_image import ExtraSourceImageEntry, JobSubmitResponse
from horde_sdk.ai_horde_api.apimodels.generate_image_worker import (
    JobPopInput,
    JobSubmitInput,
    NoValidRequestFound,
    UnusableJobPayloadError,
    WorkerPopMessageEntry,
    describe_validation_error,
)
from horde_sdk.ai_horde_api.apimodels.generate_text import TextGenerationMetadataEntry, TextGenerationRootPayload
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import GenerationID
from horde_sdk.generation_parameters import KNOWN_TEXT_FORMATTING_OPTIONS, TextGenerationParameters
from horde_sdk.generation_parameters import ExtraSourceImageEntry as ExtraSourceImageParameters
from horde_sdk.generic_api.apimodels import APIKeyAllowedInRequestMixin, HordeResponseBaseModel
from horde_sdk.generic_api.consts import get_request_model_config_dict

__all__ = [
    "NoValidRequestFoundKobold",
    "TextGenerateJobPopRequest",
    "TextGenerateJobPopResponse",
    "TextGenerateJobSubmitRequest",
    "TextGenerationJobPayload",
]

_SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "top_a",
    "typical",
    "tfs",
    "rep_pen",
    "rep_pen_range",
    "rep_pen_slope",
    "sampler_order",
    "min_p",
    "smoothing_factor",
    "dynatemp_range",
    "dynatemp_exponent",
    "use_default_badwordsids",
)
"""Fields with the same name and meaning in the text payload and in `TextGenerationParameters`."""


class NoValidRequestFoundKobold(NoValidRequestFound):
    """Why queued text requests were not given to this worker, counted per reason.

    v2 API Model: `NoValidRequestFoundKobold`
    """

    max_context_length: int | None = Field(
        default=None, description="Requests wanting more context than the worker offers."
    )
    max_length: int | None = Field(default=None, description="Requests wanting longer texts than the worker writes.")
    matching_softprompt: int | None = Field(
        default=None, description="Requests for a soft prompt the worker does not have."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "NoValidRequestFoundKobold"


class TextGenerateJobPopRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin, JobPopInput):
    """Ask for a text job, saying what this worker can do.

    Represents a POST request to the /v2/generate/text/pop endpoint.

    v2 API Model: `PopInputKobold`
    """

    model_config = get_request_model_config_dict()

    max_length: int = Field(default=512, description="The most tokens the worker writes per text.")
    max_context_length: int = Field(default=2048, description="The most tokens of prompt the worker's model reads.")
    softprompts: tuple[str, ...] | None = Field(default=None, description="The soft prompts the worker has.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_text_pop

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[TextGenerateJobPopResponse]:
        return TextGenerateJobPopResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "PopInputKobold"


class TextGenerationJobPayload(TextGenerationRootPayload):
    """The generation settings of a text job as the worker receives them, with the prompt.

    v2 API Model: `ModelPayloadKobold`
    """

    prompt: str | None = Field(default=None, description="The text to continue.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelPayloadKobold"


class TextGenerateJobPopResponse(HordeResponseBaseModel):
    """A text job for this worker, or (with no id) the reasons there was none.

    Represents the data returned from the /v2/generate/text/pop endpoint with http status code 200.

    v2 API Model: `GenerationPayloadKobold`
    """

    payload: TextGenerationJobPayload | None = Field(
        default=None, description="The generation settings (a skeleton when there is no job)."
    )
    id_: Annotated[GenerationID | None, Field(alias="id", description="The id of the first generation.")] = None
    ids: tuple[GenerationID, ...] | None = Field(
        default=None, description="One id per text to write; each is submitted on its own."
    )
    messages: tuple[WorkerPopMessageEntry, ...] | None = Field(
        default=None, description="Messages to the worker's owner."
    )
    ttl: int | None = Field(default=None, description="Seconds the worker has before the job is taken back.")
    extra_source_images: tuple[ExtraSourceImageEntry, ...] | None = Field(
        default=None, description="Images for a multimodal model, as download URLs."
    )
    skipped: NoValidRequestFoundKobold | None = Field(
        default=None, description="How many queued requests were passed over, per reason."
    )
    softprompt: str | None = Field(default=None, description="The soft prompt to load, if any.")
    model: str | None = Field(default=None, description="The model to write with.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationPayloadKobold"

    def has_job(self) -> bool:
        """Return True when the answer holds a job (an id), False for an empty pop."""
        return self.id_ is not None or bool(self.ids)

    def is_empty(self) -> bool:
        """Return True for an empty pop: no job, only the skipped reasons and a skeleton payload."""
        return not self.has_job()

    def get_generation_ids(self) -> tuple[GenerationID, ...]:
        """Return the id of every text to submit (`ids`, or `id` alone when `ids` is missing)."""
        if self.ids:
            return self.ids
        return (self.id_,) if self.id_ is not None else ()

    def get_batch_size(self) -> int:
        """Return how many texts the job asks for: one per id (the payload's `n` when no id is given)."""
        ids = self.get_generation_ids()
        if ids:
            return len(ids)
        return self.payload.n if self.payload is not None and self.payload.n is not None else 1

    def get_generation_parameters(self) -> TextGenerationParameters:
        """Describe this job as text generation parameters.

        `stop_sequence` becomes `stop_sequences`, each formatting flag that is set a formatting option, and the
        batch size is one text per id. The soft prompt has no equivalent; read :attr:`softprompt`.

        Returns:
            The parameter set.

        Raises:
            UnusableJobPayloadError: The answer holds no job, or its values cannot form a valid parameter set.
        """
        job_id = self.id_ or (self.ids[0] if self.ids else None)
        payload = self.payload
        if self.is_empty() or payload is None:
            raise UnusableJobPayloadError("the pop answer holds no job", job_id=job_id)
        values: dict[str, Any] = {name: getattr(payload, name) for name in _SAMPLING_FIELDS}
        values = {name: value for name, value in values.items() if value is not None}
        try:
            return TextGenerationParameters.model_validate(
                {
                    **values,
                    "model": self.model,
                    "prompt": payload.prompt or "",
                    "max_length": payload.max_length,
                    "max_context_length": payload.max_context_length,
                    "stop_sequences": payload.stop_sequence or (),
                    "formatting_options": tuple(
                        option for option in KNOWN_TEXT_FORMATTING_OPTIONS if getattr(payload, option.value) is True
                    ),
                    "batch_size": self.get_batch_size(),
                    "extra_source_images": tuple(
                        ExtraSourceImageParameters.model_validate({"image": entry.image, "strength": entry.strength})
                        for entry in self.extra_source_images or ()
                    ),
                }
            )
        except ValueError as error:
            raise UnusableJobPayloadError(describe_validation_error(error), job_id=job_id) from None


class TextGenerateJobSubmitRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin, JobSubmitInput):
    """Hand back one finished text of a job.

    Represents a POST request to the /v2/generate/text/submit endpoint.

    v2 API Model: `SubmitInputKobold`
    """

    model_config = get_request_model_config_dict()

    gen_metadata: tuple[TextGenerationMetadataEntry, ...] | None = Field(
        default=None, description="Notes about the text, e.g. that it was censored."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_text_submit

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[JobSubmitResponse]:
        return JobSubmitResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "SubmitInputKobold"
