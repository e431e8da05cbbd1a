"""Text generation as a client sees it: submitting, fetching and cancelling a request.

Endpoints: ``/v2/generate/text/async`` (POST) and ``/v2/generate/text/status/{id}`` (GET, DELETE). There is
no text ``check`` endpoint: progress comes only from the status.

Cancelling text differs from images: the server only stops handing out new generations, and a cancelled
request with nothing finished keeps answering ``done: false`` until it expires. So
:class:`DeleteTextGenerateRequest` settles a session's follow-up by itself; never wait for ``done`` after
cancelling.

:meth:`TextGenerateAsyncRequest.from_generation_parameters` builds a request from a
:class:`~horde_sdk.generation_parameters.TextGenerationParameters`.
"""

from __future__ import annotations

from http import HTTPMethod, HTTPStatus
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest, JobRequestMixin
from horde_sdk.ai_horde_api.apimodels.common import ModelPayloadStyleKobold
from horde_sdk.ai_horde_api.apimodels.generate_image import (
    ExtraSourceImageEntry,
    GenerateAsyncDryRunResponse,
    GenerateAsyncResponseMixin,
    GenerationEntry,
    ImageGenerateCheckResponse,
    KnownMetadataType,
    KnownMetadataValue,
    image_as_api_text,
)
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.generation_parameters import KNOWN_TEXT_FORMATTING_OPTIONS, TextGenerationParameters
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeRequest,
    HordeResponse,
    HordeResponseBaseModel,
    ResponseRequiringFollowUpMixin,
)
from horde_sdk.generic_api.consts import get_request_model_config_dict

__all__ = [
    "DeleteTextGenerateRequest",
    "TextGenerateAsyncRequest",
    "TextGenerateAsyncResponse",
    "TextGenerateStatusRequest",
    "TextGenerateStatusResponse",
    "TextGenerationEntry",
    "TextGenerationInputPayload",
    "TextGenerationMetadataEntry",
    "TextGenerationRootPayload",
]

_FORMATTING_FIELDS = frozenset(option.value for option in KNOWN_TEXT_FORMATTING_OPTIONS)
"""The formatting options are boolean fields of the text payload, named by the options' values."""


class TextGenerationRootPayload(ModelPayloadStyleKobold):
    """Text generation settings shared by a client's request and a worker's job: lengths and batch on top of sampling.

    v2 API Model: `ModelPayloadRootKobold`
    """

    n: int | None = Field(default=None, ge=1, le=20, description="How many texts to write with these settings.")
    max_context_length: int = Field(
        default=2048, ge=80, le=1048576, description="How many tokens of the prompt the model reads at most."
    )
    max_length: int = Field(default=80, ge=16, le=4096, description="How many tokens to write at most.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelPayloadRootKobold"


class TextGenerationInputPayload(TextGenerationRootPayload):
    """The `params` of a text generation request: every setting besides the prompt.

    v2 API Model: `ModelGenerationInputKobold`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelGenerationInputKobold"


class TextGenerateAsyncRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Ask the horde to write text continuing a prompt; the answer carries the id to follow the request with.

    Represents a POST request to the /v2/generate/text/async endpoint.

    v2 API Model: `GenerationInputKobold`
    """

    model_config = get_request_model_config_dict()

    prompt: str | None = Field(default=None, description="The text to continue.")
    params: TextGenerationInputPayload | None = Field(default=None, description="The generation settings.")
    softprompt: str | None = Field(default=None, min_length=1, description="A soft prompt the worker should load.")
    trusted_workers: bool = Field(default=False, description="Only workers the horde trusts may serve it.")
    validated_backends: bool = Field(
        default=False,
        description=(
            "Only workers whose bridge the horde lists as a validated backend serve it. Not sent unless set, and "
            "the server reads an absent field as false (the swagger says true; BEHAVIOUR.md)."
        ),
    )
    slow_workers: bool = Field(default=True, description="Slow workers may serve it.")
    workers: tuple[str, ...] | None = Field(default=None, description="Ids of the only workers allowed to serve it.")
    worker_blacklist: bool = Field(default=False, description="Read `workers` as the workers that must not serve it.")
    models: tuple[str, ...] | None = Field(default=None, description="Models any of which may write the text.")
    dry_run: bool = Field(default=False, description="Only estimate the kudos cost; nothing is generated.")
    proxied_account: str | None = Field(
        default=None, description="For a service account: the user of that service this request is made for."
    )
    extra_source_images: tuple[ExtraSourceImageEntry, ...] | None = Field(
        default=None, description="Images for a multimodal model to look at along with the prompt."
    )
    disable_batching: bool = Field(default=False, description="Write the texts one at a time (trusted users only).")
    allow_downgrade: bool = Field(
        default=False, description="Accept reduced settings instead of a refusal when kudos are missing."
    )
    webhook: str | None = Field(default=None, description="An https URL called for each finished text.")
    style: str | None = Field(
        default=None, min_length=3, max_length=1024, description="Name or id of a text style to apply."
    )
    extra_slow_workers: bool = Field(default=False, description="Very slow workers may serve it too.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_text_async

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[TextGenerateAsyncResponse]:
        return TextGenerateAsyncResponse

    @override
    @classmethod
    def get_success_status_response_pairs(cls) -> dict[HTTPStatus, type[HordeResponse]]:
        # The swagger lists only 202; a dry run is answered with 200 and the kudos estimate alone.
        return {
            HTTPStatus.OK: GenerateAsyncDryRunResponse,
            HTTPStatus.ACCEPTED: TextGenerateAsyncResponse,
        }

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationInputKobold"

    @classmethod
    def from_generation_parameters(
        cls,
        parameters: TextGenerationParameters,
        **routing: Any,  # noqa: ANN401 - any other field of this request
    ) -> TextGenerateAsyncRequest:
        """Build a request that asks the horde for the generation `parameters` describe.

        `batch_size` becomes `n`, `stop_sequences` the `stop_sequence` list, each formatting option its
        boolean field, the model the only entry of `models`; images given as bytes are sent as base64.

        Args:
            parameters: What to generate.
            **routing: Other fields of the request (``trusted_workers``, ``softprompt``, ``apikey``, ...).

        Returns:
            The request.

        Raises:
            ValueError: A formatting option the AI Horde does not know, or a value outside the API's bounds
                (e.g. ``max_length`` below 16).
        """
        params: dict[str, Any] = {
            "n": parameters.batch_size,
            "max_length": parameters.max_length,
            "max_context_length": parameters.max_context_length,
            "temperature": parameters.temperature,
            "top_p": parameters.top_p,
            "top_k": parameters.top_k,
            "top_a": parameters.top_a,
            "typical": parameters.typical,
            "tfs": parameters.tfs,
            "rep_pen": parameters.rep_pen,
            "rep_pen_range": parameters.rep_pen_range,
            "rep_pen_slope": parameters.rep_pen_slope,
            "sampler_order": parameters.sampler_order,
            "min_p": parameters.min_p,
            "smoothing_factor": parameters.smoothing_factor,
            "dynatemp_range": parameters.dynatemp_range,
            "dynatemp_exponent": parameters.dynatemp_exponent,
            "use_default_badwordsids": parameters.use_default_badwordsids,
        }
        if parameters.stop_sequences:
            params["stop_sequence"] = parameters.stop_sequences
        for option in parameters.formatting_options:
            if str(option) not in _FORMATTING_FIELDS:
                raise ValueError(f"the AI Horde has no formatting option {str(option)!r}")
            params[str(option)] = True
        body: dict[str, Any] = {
            "prompt": parameters.prompt,
            "params": TextGenerationInputPayload.model_validate(
                {name: value for name, value in params.items() if value is not None}
            ),
        }
        if parameters.model is not None:
            body["models"] = (parameters.model,)
        if parameters.extra_source_images:
            body["extra_source_images"] = tuple(
                ExtraSourceImageEntry(image=image_as_api_text(entry.image), strength=entry.strength)
                for entry in parameters.extra_source_images
            )
        body.update(routing)
        return cls.model_validate(body)


class TextGenerateAsyncResponse(HordeResponseBaseModel, GenerateAsyncResponseMixin, ResponseRequiringFollowUpMixin):
    """The acceptance of a text request: its id, the estimated price and warnings.

    Until the request is done (or cancelled) a session cancels it on exit.

    Represents the data returned from the /v2/generate/text/async endpoint with http status code 202.

    v2 API Model: `RequestAsync`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "RequestAsync"

    @override
    def get_follow_up_key(self) -> str:
        if self.id_ is None:
            raise ValueError("this answer carries no request id; nothing was started")
        return self.id_

    @override
    def get_follow_up_failure_cleanup_requests(self) -> list[HordeRequest]:
        return [DeleteTextGenerateRequest(id_=JobID(self.get_follow_up_key()))]

    @override
    def does_require_follow_up(self) -> bool:
        return self.id_ is not None


class TextGenerationMetadataEntry(HordeAPIObjectBaseModel):
    """A note about one generated text, e.g. that it was censored.

    v2 API Model: `GenerationMetadataKobold`
    """

    type_: Annotated[KnownMetadataType, Field(alias="type", description="What the note is about (`censorship`).")]
    value: KnownMetadataValue = Field(description="What happened (`csam`).")
    ref: str | None = Field(default=None, max_length=255, description="Which item it concerns, if any.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationMetadataKobold"


class TextGenerationEntry(GenerationEntry):
    """One finished text of a request, with its seed and notes.

    v2 API Model: `GenerationKobold`
    """

    text: str | None = Field(default=None, min_length=0, description="The text the model wrote.")
    seed: int | None = Field(default=None, description="The seed the text was written with.")
    gen_metadata: tuple[TextGenerationMetadataEntry, ...] | None = Field(
        default=None, description="Notes about this text."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationKobold"


class TextGenerateStatusResponse(ImageGenerateCheckResponse):
    """The progress of a text request and the texts finished so far.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/generate/text/status/{id} | DeleteTextGenerateRequest [DELETE] -> 200
        - /v2/generate/text/status/{id} | TextGenerateStatusRequest [GET] -> 200

    v2 API Model: `RequestStatusKobold`
    """

    generations: tuple[TextGenerationEntry, ...] | None = Field(default=None, description="The finished texts.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "RequestStatusKobold"


class TextGenerateStatusRequest(BaseAIHordeRequest, JobRequestMixin):
    """Fetch a text request's progress and finished texts (the only way to follow a text request).

    Represents a GET request to the /v2/generate/text/status/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_text_status

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[TextGenerateStatusResponse]:
        return TextGenerateStatusResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        if isinstance(response, TextGenerateStatusResponse) and response.done:
            return self.id_
        return None


class DeleteTextGenerateRequest(BaseAIHordeRequest, JobRequestMixin):
    """Cancel a text request; the answer is its status with the texts finished so far.

    The request may keep saying ``done: false`` afterwards; this request settles a session's follow-up itself.

    Represents a DELETE request to the /v2/generate/text/status/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_text_status

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[TextGenerateStatusResponse]:
        return TextGenerateStatusResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        # A cancelled text request may never report done; the cancel itself ends the follow-up.
        return self.id_
