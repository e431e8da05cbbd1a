"""Image generation as a client sees it: submitting, checking, fetching, cancelling and rating a request.

Endpoints: ``/v2/generate/async`` (POST), ``/v2/generate/check/{id}`` (GET), ``/v2/generate/status/{id}``
(GET, DELETE) and ``/v2/generate/rate/{id}`` (POST).

Also here, because the text and worker families build on them: the payloads shared by requests and jobs
(:class:`ImageGenerationStylePayload` and its subclasses), the extra source image and extra text entries,
the generation entries of status answers, their metadata entries, the async-submission answers and
:class:`JobSubmitResponse` (the reward of a submitted job or rating).

:meth:`ImageGenerateAsyncRequest.from_generation_parameters` builds a request from an
:class:`~horde_sdk.generation_parameters.ImageGenerationParameters`.
"""

from __future__ import annotations

import base64
from http import HTTPMethod, HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest, JobRequestMixin
from horde_sdk.ai_horde_api.apimodels.common import (
    LorasPayloadEntry,
    ModelSpecialPayloadStable,
    RequestSingleWarning,
    TIPayloadEntry,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, METADATA_TYPE, METADATA_VALUE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import GenerationID, JobID, WorkerID
from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KnownImageControlnet,
    KnownImagePostProcessor,
    KnownImageSourceProcessing,
    KnownImageWorkflow,
)
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIData,
    HordeAPIObjectBaseModel,
    HordeRequest,
    HordeResponse,
    HordeResponseBaseModel,
    ResponseRequiringFollowUpMixin,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL, get_request_model_config_dict
from horde_sdk.generic_api.decoration import Unequatable, Unhashable

if TYPE_CHECKING:  # the parameter models are built only when a request is made from them
    from horde_sdk.generation_parameters import ImageGenerationParameters

__all__ = [
    "NEGATIVE_PROMPT_SEPARATOR",
    "AestheticRatingEntry",
    "DeleteImageGenerateRequest",
    "ExtraSourceImageEntry",
    "ExtraTextEntry",
    "GenerateAsyncDryRunResponse",
    "GenerateAsyncResponseMixin",
    "GenerationEntry",
    "ImageGenerateAsyncRequest",
    "ImageGenerateAsyncResponse",
    "ImageGenerateCheckRequest",
    "ImageGenerateCheckResponse",
    "ImageGenerateRateRequest",
    "ImageGenerateStatusRequest",
    "ImageGenerateStatusResponse",
    "ImageGenerationEntry",
    "ImageGenerationInputPayload",
    "ImageGenerationMetadataEntry",
    "ImageGenerationRootPayload",
    "ImageGenerationStylePayload",
    "JobSubmitResponse",
    "image_as_api_text",
    "join_prompt",
    "split_prompt",
]

NEGATIVE_PROMPT_SEPARATOR = "###"
"""The AI Horde writes a negative prompt after the first ``###`` of the prompt."""

KnownGenerationState = Annotated[GENERATION_STATE | str, KnownValue(GENERATION_STATE)]
KnownMetadataType = Annotated[METADATA_TYPE | str, KnownValue(METADATA_TYPE)]
KnownMetadataValue = Annotated[METADATA_VALUE | str, KnownValue(METADATA_VALUE)]


def split_prompt(prompt: str) -> tuple[str, str | None]:
    """Split an AI Horde prompt into its positive and negative parts.

    Everything after the first ``###`` is the negative prompt; both parts are stripped of surrounding
    whitespace and an empty negative part becomes ``None``.

    Args:
        prompt: The prompt as the API carries it.

    Returns:
        ``(positive, negative)``.
    """
    positive, separator, negative = prompt.partition(NEGATIVE_PROMPT_SEPARATOR)
    if not separator:
        return prompt.strip(), None
    return positive.strip(), negative.strip() or None


def join_prompt(prompt: str, negative_prompt: str | None) -> str:
    """Write a positive and an optional negative prompt as one AI Horde prompt (``positive###negative``).

    Args:
        prompt: The positive prompt.
        negative_prompt: The negative prompt; ``None`` or empty adds no separator.

    Returns:
        The prompt to send.
    """
    if not negative_prompt:
        return prompt
    return f"{prompt}{NEGATIVE_PROMPT_SEPARATOR}{negative_prompt}"


def image_as_api_text(image: str | bytes) -> str:
    """Return an image as the API carries it: text (a URL or base64) unchanged, raw bytes as base64."""
    if isinstance(image, bytes):
        return base64.b64encode(image).decode("ascii")
    return image


# ------------------------------------------------------------------------------------------- payloads
class ExtraSourceImageEntry(HordeAPIObjectBaseModel):
    """One additional input image (a remix reference, or an image for a multimodal text model).

    v2 API Model: `ExtraSourceImage`
    """

    image: str | None = Field(
        default=None,
        min_length=1,
        description="The image as base64 data or, in job payloads, a URL the worker downloads it from.",
    )
    strength: float = Field(default=1.0, description="How much this image weighs on the result (1.0 is neutral).")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ExtraSourceImage"


class ExtraTextEntry(HordeAPIObjectBaseModel):
    """A piece of text beyond the prompt that a workflow uses, e.g. what a QR code encodes.

    v2 API Model: `ExtraText`
    """

    text: str | None = Field(default=None, min_length=1, description="The text itself.")
    reference: str | None = Field(
        default=None, min_length=3, description="Which input of the workflow the text is meant for."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ExtraText"


@Unhashable
@Unequatable
class ImageGenerationStylePayload(HordeAPIObjectBaseModel):
    """The image generation settings that a style may also fix: sampler, size, LoRAs, post-processing and more.

    `special` is a free-form JSON object, so this class, its subclasses and the models holding them are
    marked unhashable.

    v2 API Model: `ModelPayloadStyleStable`
    """

    sampler_name: Annotated[KNOWN_IMAGE_SAMPLERS | str, KnownValue(KNOWN_IMAGE_SAMPLERS)] = Field(
        default=KNOWN_IMAGE_SAMPLERS.k_euler_a, description="The sampler that denoises the image."
    )
    cfg_scale: float = Field(default=7.5, ge=0, le=100, description="How closely the image follows the prompt.")
    denoising_strength: float | None = Field(
        default=None, ge=0.01, le=1.0, description="With a source image: how much of it is painted over (0 to 1)."
    )
    hires_fix_denoising_strength: float | None = Field(
        default=None, ge=0.01, le=1.0, description="How much the second pass of hires fix may change the image."
    )
    height: int = Field(default=512, ge=64, le=3072, multiple_of=64, description="Image height in pixels.")
    width: int = Field(default=512, ge=64, le=3072, multiple_of=64, description="Image width in pixels.")
    post_processing: tuple[KnownImagePostProcessor, ...] | None = Field(
        default=None, description="Post-processors applied to each image, in this order (each at most once)."
    )
    karras: bool = Field(default=False, description="Use the Karras noise schedule instead of the normal one.")
    tiling: bool = Field(default=False, description="Make the image tile seamlessly.")
    hires_fix: bool = Field(default=False, description="Paint at a lower size first, then upscale and refine.")
    clip_skip: int | None = Field(default=None, ge=1, le=12, description="CLIP layers to skip (1 skips none).")
    facefixer_strength: float | None = Field(
        default=None, ge=0, le=1.0, description="How strongly face-fixing post-processors act (0 to 1)."
    )
    loras: tuple[LorasPayloadEntry, ...] | None = Field(default=None, description="LoRAs applied to the model.")
    tis: tuple[TIPayloadEntry, ...] | None = Field(default=None, description="Textual inversions applied.")
    special: ModelSpecialPayloadStable | None = Field(
        default=None, description="Free-form settings of special models (only special users may send them)."
    )
    workflow: KnownImageWorkflow | None = Field(
        default=None, description="A named workflow to run instead of the default pipeline."
    )
    transparent: bool = Field(default=False, description="Produce an image with a transparent background.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelPayloadStyleStable"


class ImageGenerationRootPayload(ImageGenerationStylePayload):
    """Image generation settings shared by a client's request and a worker's job: seed and ControlNet on top of style.

    v2 API Model: `ModelPayloadRootStable`
    """

    seed: str | None = Field(default=None, description="The seed, as text; unset means a random one.")
    seed_variation: int | None = Field(
        default=None, ge=1, le=1000, description="In a batch, how much the seed grows from one image to the next."
    )
    control_type: KnownImageControlnet | None = Field(
        default=None, description="The ControlNet that guides the image from the source image."
    )
    image_is_control: bool = Field(
        default=False, description="The source image already is a control map (no annotator runs)."
    )
    return_control_map: bool = Field(
        default=False, description="Return the control map the annotator made instead of a painted image."
    )
    extra_texts: tuple[ExtraTextEntry, ...] | None = Field(
        default=None, description="Texts beyond the prompt that the chosen workflow needs."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelPayloadRootStable"


class ImageGenerationInputPayload(ImageGenerationRootPayload):
    """The `params` of an image generation request: every generation setting besides the prompt.

    v2 API Model: `ModelGenerationInputStable`
    """

    steps: int = Field(default=30, ge=1, le=500, description="How many sampling steps each image gets.")
    n: int = Field(default=1, ge=1, le=20, description="How many images to make with these settings.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelGenerationInputStable"


# ------------------------------------------------------------------------------ async submission
@Unhashable
@Unequatable
class ImageGenerateAsyncRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Ask the horde to paint one or more images; the answer carries the id to follow the request with.

    Represents a POST request to the /v2/generate/async endpoint.

    v2 API Model: `GenerationInputStable`
    """

    model_config = get_request_model_config_dict()

    prompt: str = Field(
        min_length=1, description="What to paint; text after the first `###` says what to keep out of the image."
    )
    params: ImageGenerationInputPayload | None = Field(default=None, description="The generation settings.")
    nsfw: bool = Field(default=False, description="The request may produce adult content.")
    trusted_workers: bool = Field(default=False, description="Only workers the horde trusts may serve it.")
    validated_backends: bool = Field(default=True, description="Only workers running a known-good backend serve it.")
    slow_workers: bool = Field(default=True, description="Slow workers may serve it (costs more kudos if false).")
    extra_slow_workers: bool = Field(default=False, description="Very slow workers may serve it too.")
    censor_nsfw: bool = Field(default=False, description="Black out images the worker finds to be adult content.")
    workers: tuple[str, ...] | None = Field(default=None, description="Ids of the only workers allowed to serve it.")
    worker_blacklist: bool = Field(default=False, description="Read `workers` as the workers that must not serve it.")
    models: tuple[str, ...] | None = Field(default=None, description="Models any of which may paint the image.")
    source_image: str | None = Field(
        default=None, description="An image to start from (base64 or URL), for img2img, inpainting or remix."
    )
    source_processing: KnownImageSourceProcessing = Field(
        default=KNOWN_IMAGE_SOURCE_PROCESSING.img2img, description="How the source image is used."
    )
    source_mask: str | None = Field(
        default=None, description="For inpainting: the mask of the area to repaint (base64), unless in the alpha."
    )
    extra_source_images: tuple[ExtraSourceImageEntry, ...] | None = Field(
        default=None, description="Further images, e.g. the references of a remix."
    )
    r2: bool = Field(default=True, description="Deliver images as download URLs instead of base64 text.")
    shared: bool = Field(default=False, description="Give the images to the public dataset (costs fewer kudos).")
    replacement_filter: bool = Field(
        default=True, description="Let the horde rewrite problematic words instead of refusing the prompt."
    )
    dry_run: bool = Field(default=False, description="Only estimate the kudos cost; nothing is generated.")
    proxied_account: str | None = Field(
        default=None, description="For a service account: the user of that service this request is made for."
    )
    disable_batching: bool = Field(
        default=False, description="Paint the images one at a time so the seeds are exact (trusted users only)."
    )
    allow_downgrade: bool = Field(
        default=False, description="Accept reduced settings instead of a refusal when the kudos needed are missing."
    )
    webhook: str | None = Field(
        default=None, min_length=10, max_length=1024, description="An https URL called for each finished image."
    )
    style: str | None = Field(
        default=None, min_length=3, max_length=1024, description="Name or id of an image style to apply."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_async

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageGenerateAsyncResponse]:
        return ImageGenerateAsyncResponse

    @override
    @classmethod
    def get_success_status_response_pairs(cls) -> dict[HTTPStatus, type[HordeResponse]]:
        # The swagger lists only 202; a dry run is answered with 200 and the kudos estimate alone.
        return {
            HTTPStatus.OK: GenerateAsyncDryRunResponse,
            HTTPStatus.ACCEPTED: ImageGenerateAsyncResponse,
        }

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationInputStable"

    @classmethod
    def from_generation_parameters(
        cls,
        parameters: ImageGenerationParameters,
        **routing: Any,  # noqa: ANN401 - any other field of this request
    ) -> ImageGenerateAsyncRequest:
        """Build a request that asks the horde for the generation `parameters` describe.

        The negative prompt joins the prompt after ``###``; `batch_size` becomes `n`; the model becomes the
        only entry of `models`; the scheduler becomes the `karras` flag; image inputs given as bytes are sent
        as base64.

        Args:
            parameters: What to generate.
            **routing: Other fields of the request (``nsfw``, ``trusted_workers``, ``r2``, ``apikey``, ...).

        Returns:
            The request.

        Raises:
            ValueError: `parameters` use something the AI Horde cannot express: a scheduler other than
                ``normal`` or ``karras``, or a ControlNet image besides a different img2img source image.
        """
        params = _settings_from_parameters(parameters)
        body: dict[str, Any] = {"prompt": join_prompt(parameters.prompt, parameters.negative_prompt)}
        if parameters.model is not None:
            body["models"] = (parameters.model,)
        body.update(_sources_from_parameters(parameters))
        body["params"] = ImageGenerationInputPayload.model_validate(params)
        body.update(routing)
        return cls.model_validate(body)


def _set_values(**values: Any) -> dict[str, Any]:  # noqa: ANN401 - any field value
    """Return `values` without the ``None`` ones, so that unset optional fields are not sent as ``null``."""
    return {name: value for name, value in values.items() if value is not None}


def _settings_from_parameters(parameters: ImageGenerationParameters) -> dict[str, Any]:
    """Return the `params` of a request for `parameters` (only the values that are set)."""
    scheduler = parameters.scheduler
    if scheduler not in (KNOWN_IMAGE_SCHEDULERS.normal, KNOWN_IMAGE_SCHEDULERS.karras):
        raise ValueError(f"the AI Horde only offers the normal and karras schedulers, not {str(scheduler)!r}")
    params: dict[str, Any] = {
        "sampler_name": parameters.sampler_name,
        "cfg_scale": parameters.cfg_scale,
        "height": parameters.height,
        "width": parameters.width,
        "steps": parameters.steps,
        "n": parameters.batch_size,
        "karras": scheduler == KNOWN_IMAGE_SCHEDULERS.karras,
        "tiling": parameters.tiling,
        "clip_skip": parameters.clip_skip,
        "seed": parameters.seed,
        "seed_variation": parameters.seed_variation,
        "denoising_strength": parameters.denoising_strength,
        "transparent": parameters.transparent,
    }
    if parameters.hires_fix is not None:
        params["hires_fix"] = True
        params["hires_fix_denoising_strength"] = parameters.hires_fix.denoising_strength
    if parameters.loras:
        params["loras"] = tuple(
            LorasPayloadEntry.model_validate(
                _set_values(
                    name=lora.name,
                    model=lora.model_strength,
                    clip=lora.clip_strength,
                    inject_trigger=lora.inject_trigger,
                    is_version=lora.is_version,
                )
            )
            for lora in parameters.loras
        )
    if parameters.tis:
        params["tis"] = tuple(
            TIPayloadEntry.model_validate(_set_values(name=ti.name, inject_ti=ti.inject_ti, strength=ti.strength))
            for ti in parameters.tis
        )
    if parameters.extra_texts:
        params["extra_texts"] = tuple(
            ExtraTextEntry(text=entry.text, reference=entry.reference) for entry in parameters.extra_texts
        )
    if parameters.custom_workflow is not None:
        params["workflow"] = parameters.custom_workflow.workflow
    if parameters.post_processing is not None and parameters.post_processing.post_processors:
        params["post_processing"] = parameters.post_processing.post_processors
        params["facefixer_strength"] = parameters.post_processing.facefixer_strength
    if parameters.controlnet is not None:
        params["control_type"] = parameters.controlnet.control_type
        params["image_is_control"] = parameters.controlnet.image_is_control
        params["return_control_map"] = parameters.controlnet.return_control_map
    return {name: value for name, value in params.items() if value is not None}


def _sources_from_parameters(parameters: ImageGenerationParameters) -> dict[str, Any]:
    """Return the source image fields of a request for `parameters` (the API takes one source image)."""
    body: dict[str, Any] = {}
    source_image: str | bytes | None = None
    if parameters.img2img is not None:
        source_image = parameters.img2img.source_image
        body["source_processing"] = parameters.source_processing
        if parameters.img2img.source_mask is not None:
            body["source_mask"] = image_as_api_text(parameters.img2img.source_mask)
    elif parameters.remix is not None:
        source_image = parameters.remix.source_image
        body["source_processing"] = KNOWN_IMAGE_SOURCE_PROCESSING.remix
        if parameters.remix.extra_source_images:
            body["extra_source_images"] = tuple(
                ExtraSourceImageEntry(image=image_as_api_text(entry.image), strength=entry.strength)
                for entry in parameters.remix.extra_source_images
            )
    control_image = parameters.controlnet.source_image if parameters.controlnet is not None else None
    if control_image is not None:
        if source_image is not None and source_image != control_image:
            raise ValueError("the AI Horde takes one source image; the ControlNet and img2img images differ")
        source_image = control_image
        body.setdefault("source_processing", KNOWN_IMAGE_SOURCE_PROCESSING.img2img)
    if source_image is not None:
        body["source_image"] = image_as_api_text(source_image)
    return body


class GenerateAsyncResponseMixin(HordeAPIData):
    """The fields of an accepted async image or text request: its id, the kudos estimate and any warnings."""

    id_: Annotated[JobID | None, Field(alias="id", description="The id to check, fetch or cancel the request.")] = None
    kudos: float | None = Field(default=None, description="The kudos the request is expected to cost.")
    message: str | None = Field(default=None, description="A note from the server about the request, if any.")
    warnings: tuple[RequestSingleWarning, ...] | None = Field(
        default=None, description="Why the request may be slow or served differently, e.g. no worker can take it."
    )

    def has_warnings(self) -> bool:
        """Return True when the server attached a warning (e.g. ``NoAvailableWorker``)."""
        return bool(self.warnings)


class ImageGenerateAsyncResponse(HordeResponseBaseModel, GenerateAsyncResponseMixin, ResponseRequiringFollowUpMixin):
    """The acceptance of an image request: its id, the estimated price and warnings.

    Until the request is done (or cancelled) a session cancels it on exit.

    Represents the data returned from the /v2/generate/async endpoint with http status code 202.

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
        return [DeleteImageGenerateRequest(id_=JobID(self.get_follow_up_key()))]

    @override
    def does_require_follow_up(self) -> bool:
        return self.id_ is not None


class GenerateAsyncDryRunResponse(HordeResponseBaseModel):
    """The price estimate of a dry run (``dry_run: true``); nothing was queued, so nothing needs following up.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/generate/async | ImageGenerateAsyncRequest [POST] -> 200
        - /v2/generate/text/async | TextGenerateAsyncRequest [POST] -> 200

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    kudos: float = Field(description="The kudos the request would cost.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


# ---------------------------------------------------------------------------------- check/status
class GenerationEntry(HordeAPIObjectBaseModel):
    """What every finished generation reports: which worker and model made it, and how it ended.

    v2 API Model: `Generation`
    """

    worker_id: WorkerID | None = Field(
        default=None, min_length=36, max_length=36, description="The id of the worker that made it."
    )
    worker_name: str | None = Field(default=None, description="The name of the worker that made it.")
    model: str | None = Field(default=None, description="The model that made it.")
    state: KnownGenerationState = Field(description="How it ended: `ok`, `censored` or `csam`.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "Generation"


class ImageGenerationMetadataEntry(HordeAPIObjectBaseModel):
    """A note about one image: an input that could not be used, a censorship, a score...

    v2 API Model: `GenerationMetadataStable`
    """

    type_: Annotated[
        KnownMetadataType, Field(alias="type", description="What the note is about (a LoRA, the censor...).")
    ]
    value: KnownMetadataValue = Field(description="What happened to it (download failed, nsfw...).")
    ref: str | None = Field(default=None, max_length=255, description="Which item it concerns, e.g. a LoRA name.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationMetadataStable"


class ImageGenerationEntry(GenerationEntry):
    """One finished image of a request: where to get it, its seed and id, and notes about it.

    v2 API Model: `GenerationStable`
    """

    img: str | None = Field(default=None, description="A download URL of the webp image, or the image as base64.")
    seed: str | None = Field(default=None, description="The seed the image was painted with.")
    id_: Annotated[GenerationID | None, Field(alias="id", description="The id of this image.")] = None
    censored: bool | None = Field(default=None, description="The image was replaced because it was censored.")
    gen_metadata: tuple[ImageGenerationMetadataEntry, ...] | None = Field(
        default=None, description="Notes about this image."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationStable"


class ImageGenerateCheckResponse(HordeResponseBaseModel):
    """The progress of an async request, without its results.

    Represents the data returned from the /v2/generate/check/{id} endpoint with http status code 200.

    v2 API Model: `RequestStatusCheck`
    """

    finished: int | None = Field(default=None, description="Generations delivered so far.")
    processing: int | None = Field(default=None, description="Generations a worker is making right now.")
    restarted: int | None = Field(default=None, description="Generations that timed out and were queued again.")
    waiting: int | None = Field(default=None, description="Generations no worker has picked up yet.")
    done: bool | None = Field(default=None, description="Nothing is left to make: every generation is finished.")
    faulted: bool = Field(default=False, description="The request failed and will not finish.")
    wait_time: int | None = Field(default=None, description="Estimated seconds until done (0 without data).")
    queue_position: int | None = Field(default=None, description="Place in the queue (0 without data).")
    kudos: float | None = Field(default=None, description="Kudos consumed so far.")
    is_possible: bool = Field(default=True, description="Some worker online can serve this request.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "RequestStatusCheck"


class ImageGenerateStatusResponse(ImageGenerateCheckResponse):
    """The progress of an image request and the images finished so far.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/generate/status/{id} | DeleteImageGenerateRequest [DELETE] -> 200
        - /v2/generate/status/{id} | ImageGenerateStatusRequest [GET] -> 200

    v2 API Model: `RequestStatusStable`
    """

    generations: tuple[ImageGenerationEntry, ...] | None = Field(default=None, description="The finished images.")
    shared: bool | None = Field(default=None, description="The images were given to the public dataset.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "RequestStatusStable"


class ImageGenerateCheckRequest(BaseAIHordeRequest, JobRequestMixin):
    """Ask how far an image request has come (cheap; poll this, not the status).

    Represents a GET request to the /v2/generate/check/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_check

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageGenerateCheckResponse]:
        return ImageGenerateCheckResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        if isinstance(response, ImageGenerateCheckResponse) and response.done:
            return self.id_
        return None


class ImageGenerateStatusRequest(BaseAIHordeRequest, JobRequestMixin):
    """Fetch an image request's progress and finished images (rate limited hard: call it once, at the end).

    Represents a GET request to the /v2/generate/status/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_status

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageGenerateStatusResponse]:
        return ImageGenerateStatusResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        if isinstance(response, ImageGenerateCheckResponse) and response.done:
            return self.id_
        return None


class DeleteImageGenerateRequest(BaseAIHordeRequest, JobRequestMixin):
    """Cancel an image request; the answer is its status from just before, with what was finished.

    Repeating it is harmless, and it needs no API key. Images already taken by workers may still arrive.

    Represents a DELETE request to the /v2/generate/status/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_status

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageGenerateStatusResponse]:
        return ImageGenerateStatusResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        # A cancelled request needs nothing more, whatever the answer says.
        return self.id_


# ------------------------------------------------------------------------------------------ rating
class AestheticRatingEntry(HordeAPIObjectBaseModel):
    """A rating of one image of a shared request.

    v2 API Model: `AestheticRating`
    """

    id_: Annotated[
        GenerationID, Field(alias="id", min_length=36, max_length=36, description="The id of the rated image.")
    ]
    rating: int = Field(ge=1, le=10, description="How good the image looks, from 1 (worst) to 10 (best).")
    artifacts: int | None = Field(
        default=None, ge=0, le=5, description="How many flaws it shows, from 0 (none) to 5 (ruined)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "AestheticRating"


class ImageGenerateRateRequest(BaseAIHordeRequest, JobRequestMixin):
    """Rate the images of a finished, shared image request, and earn kudos for it.

    Represents a POST request to the /v2/generate/rate/{id} endpoint.

    v2 API Model: `AestheticsPayload`
    """

    model_config = get_request_model_config_dict()

    best: GenerationID | None = Field(
        default=None, min_length=36, max_length=36, description="For a batch: the id of the best image."
    )
    ratings: tuple[AestheticRatingEntry, ...] | None = Field(default=None, description="Ratings of single images.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_rate

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[JobSubmitResponse]:
        return JobSubmitResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "AestheticsPayload"


class JobSubmitResponse(HordeResponseBaseModel):
    """The kudos earned by a submitted job or rating.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/generate/rate/{id} | ImageGenerateRateRequest [POST] -> 200
        - /v2/generate/submit | ImageGenerateJobSubmitRequest [POST] -> 200
        - /v2/generate/text/submit | TextGenerateJobSubmitRequest [POST] -> 200
        - /v2/interrogate/submit | AlchemyJobSubmitRequest [POST] -> 200

    v2 API Model: `GenerationSubmitted`
    """

    reward: float | None = Field(default=None, description="Kudos earned (0 for a faulted job).")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationSubmitted"
