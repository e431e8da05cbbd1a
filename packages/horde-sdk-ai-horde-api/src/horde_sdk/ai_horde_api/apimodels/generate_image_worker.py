"""Image generation as a worker sees it: asking for a job (pop) and handing back its images (submit).

Endpoints: ``/v2/generate/pop`` (POST) and ``/v2/generate/submit`` (POST).

The pop answer is the worker's contract: :class:`ImageGenerateJobPopResponse` keeps every field the server
sends (ids, payload, source images as download URLs, presigned ``r2_upload`` URLs, ``ttl``, messages, the
reasons requests were skipped). An empty pop (``id: null, ids: []``, a skeleton payload) parses too; ask
:meth:`~ImageGenerateJobPopResponse.has_job` before using it.

:meth:`ImageGenerateJobPopResponse.get_generation_parameters` turns a job into an
:class:`~horde_sdk.generation_parameters.ImageGenerationParameters`. A job that cannot be expressed that way
(no job, a blank prompt, inpainting without a source image, values the parameter set refuses) raises
:class:`UnusableJobPayloadError`, never a bare pydantic error: the worker records the reason and submits the
job's ids with ``state: "faulted"``. A ``source_processing`` this SDK does not know is kept (with a logged
warning), so that the worker's feature flags decide whether it can run it.

Also here because the text worker family uses them too: :class:`WorkerPopMessageEntry`,
:class:`NoValidRequestFound`, :class:`JobPopInput` and :class:`JobSubmitInput`.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated, Any

from annotated_types import MaxLen, MinLen
from pydantic import Field, ValidationError
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.generate_image import (
    ExtraSourceImageEntry,
    ImageGenerationMetadataEntry,
    ImageGenerationRootPayload,
    JobSubmitResponse,
    KnownGenerationState,
    split_prompt,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import GenerationID, MessageID
from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    ControlnetGenerationParameters,
    CustomWorkflowGenerationParameters,
    HiresFixGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationParameters,
    ImagePostProcessingParameters,
    KnownImageSourceProcessing,
    LoRaEntry,
    RemixGenerationParameters,
    TIEntry,
)
from horde_sdk.generation_parameters import ExtraSourceImageEntry as ExtraSourceImageParameters
from horde_sdk.generation_parameters import ExtraTextEntry as ExtraTextParameters
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponseBaseModel,
)
from horde_sdk.generic_api.consts import get_request_model_config_dict
from horde_sdk.generic_api.decoration import Unequatable, Unhashable

__all__ = [
    "GENERATION_UPLOADED_TO_R2",
    "ImageGenerateJobPopRequest",
    "ImageGenerateJobPopResponse",
    "ImageGenerateJobSubmitRequest",
    "ImageGenerationJobPayload",
    "JobPopInput",
    "JobSubmitInput",
    "NoValidRequestFound",
    "NoValidRequestFoundStable",
    "UnusableJobPayloadError",
    "WorkerPopMessageEntry",
    "describe_validation_error",
]

GENERATION_UPLOADED_TO_R2 = "R2"
"""The `generation` a worker submits after it PUT the result to the job's presigned `r2_upload` URL."""

_NEEDS_SOURCE_IMAGE = frozenset(
    {
        KNOWN_IMAGE_SOURCE_PROCESSING.inpainting,
        KNOWN_IMAGE_SOURCE_PROCESSING.outpainting,
        KNOWN_IMAGE_SOURCE_PROCESSING.remix,
    }
)


class UnusableJobPayloadError(ValueError):
    """A popped job cannot be turned into generation parameters.

    The worker should record :attr:`reason` and submit the job's ids as faulted rather than stop. The
    message never contains input values (source image URLs are presigned credentials).

    Args:
        reason: Why the job cannot be used.
        job_id: The id of the popped job, when there is one.
    """

    def __init__(self, reason: str, *, job_id: str | None = None) -> None:
        self.reason = reason
        self.job_id = job_id
        super().__init__(f"unusable job {job_id}: {reason}" if job_id else f"unusable job: {reason}")


def describe_validation_error(error: ValueError) -> str:
    """Describe why values were refused, without repeating the values (they may be presigned URLs).

    Args:
        error: A pydantic ``ValidationError`` or another ``ValueError``.

    Returns:
        One ``location: message`` per problem, joined with ``; `` (for a plain ``ValueError``: its text).
    """
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'value'}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False, include_context=False)
        )
    return str(error)


# ------------------------------------------------------------------------------- shared worker bits
class WorkerPopMessageEntry(HordeAPIObjectBaseModel):
    """A message to the worker (usually from the moderators), delivered with a pop answer.

    v2 API Model: `ResponseModelMessagePop`
    """

    id_: Annotated[MessageID, Field(alias="id", description="The id of the message.")]
    message: str = Field(description="What the message says.")
    origin: str | None = Field(default=None, description="Who sent it, typically the moderators.")
    expiry: str = Field(description='When the message expires, as the server writes it ("Mon, 07 Dec 2026 ...").')

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ResponseModelMessagePop"


class NoValidRequestFound(HordeAPIObjectBaseModel):
    """Why queued requests were not given to this worker, counted per reason.

    v2 API Model: `NoValidRequestFound`
    """

    worker_id: int | None = Field(default=None, ge=0, description="Requests limited to other workers.")
    performance: int | None = Field(default=None, ge=0, description="Requests needing a faster worker.")
    nsfw: int | None = Field(default=None, ge=0, description="Adult requests this worker does not take.")
    blacklist: int | None = Field(default=None, ge=0, description="Requests with words this worker refuses.")
    untrusted: int | None = Field(default=None, ge=0, description="Requests needing a trusted worker.")
    models: int | None = Field(default=None, ge=0, description="Requests for models this worker lacks.")
    bridge_version: int | None = Field(
        default=None, ge=0, description="Requests needing a newer version of the worker software."
    )
    kudos: int | None = Field(default=None, description="Requests skipped because the user lacks upfront kudos.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "NoValidRequestFound"


class NoValidRequestFoundStable(NoValidRequestFound):
    """Why queued image requests were not given to this worker, counted per reason.

    v2 API Model: `NoValidRequestFoundStable`
    """

    max_pixels: int | None = Field(default=None, description="Requests larger than the worker's `max_pixels`.")
    step_count: int | None = Field(default=None, description="Requests with more steps than the worker allows.")
    unsafe_ip: int | None = Field(default=None, description="Requests with source images it may not download.")
    img2img: int | None = Field(default=None, description="Requests with a source image (img2img not allowed).")
    painting: int | None = Field(default=None, description="Inpainting requests (painting not allowed).")
    post_processing: Annotated[
        int | None, Field(alias="post-processing", description="Requests with post-processing (not allowed).")
    ] = None
    lora: int | None = Field(default=None, description="Requests with LoRAs (not allowed).")
    controlnet: int | None = Field(default=None, description="Requests with ControlNet (not allowed).")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "NoValidRequestFoundStable"


class JobPopInput(HordeAPIObjectBaseModel):
    """What every worker says when it asks for jobs: who it is and what it may take.

    The image and text pop requests derive from it. The Python field `worker_name` travels as `name`: ``name``
    is a query field of the AI Horde client, and a request field with that Python name would be sent in the
    query string instead of the body.

    v2 API Model: `PopInput`
    """

    worker_name: Annotated[str | None, Field(alias="name", description="The worker's unique name.")] = None
    priority_usernames: tuple[str, ...] | None = Field(
        default=None, description="Users (`name#id`) whose requests this worker serves first."
    )
    nsfw: bool = Field(default=False, description="The worker takes adult requests.")
    models: tuple[Annotated[str, MinLen(3), MaxLen(255)], ...] | None = Field(
        default=None, description="The models the worker runs."
    )
    bridge_agent: str = Field(
        default="unknown:0:unknown", max_length=1000, description="The worker software as `name:version:url`."
    )
    threads: int = Field(default=1, ge=1, le=50, description="How many jobs the worker runs at the same time.")
    require_upfront_kudos: bool = Field(
        default=False, description="Only take requests from users who can pay up front."
    )
    amount: int = Field(default=1, ge=1, le=20, description="How many jobs to take at once (a batch).")
    extra_slow_worker: bool = Field(
        default=True, description="The worker is very slow; only requests accepting that are given to it."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "PopInput"


class JobSubmitInput(HordeAPIObjectBaseModel):
    """What every worker hands back for one generation: its id, the result and how it ended.

    The image and text submit requests derive from it.

    v2 API Model: `SubmitInput`
    """

    id_: Annotated[GenerationID, Field(alias="id", description="The id of the generation (one of the pop's `ids`).")]
    generation: str | None = Field(
        default=None, description="The result: `R2` after uploading it to `r2_upload`, else base64 or text."
    )
    state: KnownGenerationState = Field(
        default=GENERATION_STATE.ok, description="How the generation ended (`faulted` re-queues the request)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "SubmitInput"


# -------------------------------------------------------------------------------------------- pop
class ImageGenerateJobPopRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin, JobPopInput):
    """Ask for an image job, saying what this worker can do.

    Represents a POST request to the /v2/generate/pop endpoint.

    v2 API Model: `PopInputStable`
    """

    model_config = get_request_model_config_dict()

    max_pixels: int = Field(default=262144, description="The largest image (width times height) it paints.")
    blacklist: tuple[str, ...] | None = Field(default=None, description="Words whose requests the worker refuses.")
    allow_img2img: bool = Field(default=True, description="It takes requests with a source image.")
    allow_painting: bool = Field(default=True, description="It takes inpainting and outpainting requests.")
    allow_unsafe_ipaddr: bool = Field(
        default=True, description="It takes requests coming from addresses the horde marked unsafe."
    )
    allow_post_processing: bool = Field(default=True, description="It takes requests with post-processing.")
    allow_controlnet: bool = Field(default=True, description="It takes ControlNet requests.")
    allow_sdxl_controlnet: bool = Field(default=True, description="It takes ControlNet requests for SDXL models.")
    allow_lora: bool = Field(default=True, description="It takes requests with LoRAs and textual inversions.")
    limit_max_steps: bool = Field(
        default=True, description="Refuse requests with more steps than is usual for the model."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_pop

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageGenerateJobPopResponse]:
        return ImageGenerateJobPopResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "PopInputStable"


class ImageGenerationJobPayload(ImageGenerationRootPayload):
    """The generation settings of an image job as the worker receives them.

    v2 API Model: `ModelPayloadStable`
    """

    prompt: str | None = Field(
        default=None, description="What to paint; text after the first `###` is the negative prompt."
    )
    ddim_steps: int = Field(default=30, description="How many sampling steps to run.")
    n_iter: int = Field(default=1, description="How many images one run makes (the batch).")
    use_nsfw_censor: bool | None = Field(
        default=None, description="Black out adult content (the requester or the worker forbids it)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelPayloadStable"


@Unhashable
@Unequatable
class ImageGenerateJobPopResponse(HordeResponseBaseModel):
    """An image job for this worker, or (with no id) the reasons there was none.

    Represents the data returned from the /v2/generate/pop endpoint with http status code 200.

    v2 API Model: `GenerationPayloadStable`
    """

    payload: ImageGenerationJobPayload | None = Field(
        default=None, description="The generation settings (a skeleton when there is no job)."
    )
    id_: Annotated[GenerationID | None, Field(alias="id", description="The id of the first generation.")] = None
    ids: tuple[GenerationID, ...] | None = Field(
        default=None, description="One id per image to make; each is submitted on its own."
    )
    messages: tuple[WorkerPopMessageEntry, ...] | None = Field(
        default=None, description="Messages to the worker's owner."
    )
    ttl: int | None = Field(default=None, description="Seconds the worker has before the job is taken back.")
    skipped: NoValidRequestFoundStable | None = Field(
        default=None, description="How many queued requests were passed over, per reason."
    )
    model: str | None = Field(default=None, description="The model to paint with.")
    source_image: str | None = Field(default=None, description="URL to download the source image from.")
    source_processing: KnownImageSourceProcessing = Field(
        default=KNOWN_IMAGE_SOURCE_PROCESSING.img2img,
        description="How the source image is used (meaningless without one).",
    )
    source_mask: str | None = Field(default=None, description="URL to download the inpainting mask from.")
    extra_source_images: tuple[ExtraSourceImageEntry, ...] | None = Field(
        default=None, description="Further images (remix references), as download URLs."
    )
    r2_upload: str | None = Field(
        default=None, description="Presigned URL to PUT the first image to (then submit `R2`)."
    )
    r2_uploads: tuple[str, ...] | None = Field(
        default=None, description="Presigned upload URLs, one per id, in the order of `ids`."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "GenerationPayloadStable"

    def has_job(self) -> bool:
        """Return True when the answer holds a job (an id), False for an empty pop."""
        return self.id_ is not None or bool(self.ids)

    def is_empty(self) -> bool:
        """Return True for an empty pop: no job, only the skipped reasons and a skeleton payload."""
        return not self.has_job()

    def get_generation_ids(self) -> tuple[GenerationID, ...]:
        """Return the id of every image to submit (`ids`, or `id` alone when `ids` is missing)."""
        if self.ids:
            return self.ids
        return (self.id_,) if self.id_ is not None else ()

    def get_upload_targets(self) -> tuple[tuple[GenerationID, str | None], ...]:
        """Return ``(generation id, presigned upload URL or None)`` for every image to submit."""
        ids = self.get_generation_ids()
        uploads: tuple[str | None, ...] = self.r2_uploads or ((self.r2_upload,) if self.r2_upload else ())
        return tuple((generation_id, uploads[i] if i < len(uploads) else None) for i, generation_id in enumerate(ids))

    def get_batch_size(self) -> int:
        """Return how many images the job asks for: one per id (the payload's `n_iter` when no id is given)."""
        ids = self.get_generation_ids()
        if ids:
            return len(ids)
        return self.payload.n_iter if self.payload is not None else 1

    def get_generation_parameters(self) -> ImageGenerationParameters:
        """Describe this job as image generation parameters.

        The prompt is split at the first ``###`` (the rest is the negative prompt); `ddim_steps` becomes
        `steps`, `karras` the scheduler and the batch size is one image per id. The source image, mask and
        extra source images stay URLs: download them and replace them (``model_copy``) before inference.

        Returns:
            The parameter set.

        Raises:
            UnusableJobPayloadError: The answer holds no job, or its values cannot form a valid parameter set.
        """
        job_id = self.id_ or (self.ids[0] if self.ids else None)
        if self.is_empty() or self.payload is None:
            raise UnusableJobPayloadError("the pop answer holds no job", job_id=job_id)
        try:
            return self._build_generation_parameters(self.payload)
        except UnusableJobPayloadError:
            raise
        except ValueError as error:
            raise UnusableJobPayloadError(describe_validation_error(error), job_id=job_id) from None

    def _build_generation_parameters(self, payload: ImageGenerationJobPayload) -> ImageGenerationParameters:
        job_id = self.id_
        positive, negative = split_prompt(payload.prompt or "")
        processing: Any = self.source_processing
        values: dict[str, Any] = {}
        if self.source_image is None:
            if processing in _NEEDS_SOURCE_IMAGE:
                raise UnusableJobPayloadError(
                    f"source_processing {str(processing)!r} needs a source image, and the job has none", job_id=job_id
                )
            # The server sends `img2img` (its default) even for jobs without a source image.
            processing = KNOWN_IMAGE_SOURCE_PROCESSING.txt2img
        elif processing == KNOWN_IMAGE_SOURCE_PROCESSING.remix:
            values["remix"] = RemixGenerationParameters(
                source_image=self.source_image,
                extra_source_images=tuple(
                    ExtraSourceImageParameters.model_validate({"image": entry.image, "strength": entry.strength})
                    for entry in self.extra_source_images or ()
                ),
            )
        else:
            values["img2img"] = Image2ImageGenerationParameters(
                source_image=self.source_image, source_mask=self.source_mask
            )
        if payload.control_type is not None:
            values["controlnet"] = ControlnetGenerationParameters(
                control_type=payload.control_type,
                image_is_control=payload.image_is_control,
                return_control_map=payload.return_control_map,
            )
        if payload.hires_fix:
            values["hires_fix"] = HiresFixGenerationParameters(denoising_strength=payload.hires_fix_denoising_strength)
        if payload.loras:
            values["loras"] = tuple(
                LoRaEntry(
                    name=lora.name,
                    model_strength=lora.model,
                    clip_strength=lora.clip,
                    inject_trigger=lora.inject_trigger,
                    is_version=lora.is_version,
                )
                for lora in payload.loras
            )
        if payload.tis:
            values["tis"] = tuple(
                TIEntry(name=ti.name, inject_ti=ti.inject_ti, strength=ti.strength) for ti in payload.tis
            )
        if payload.extra_texts:
            values["extra_texts"] = tuple(
                ExtraTextParameters.model_validate({"text": entry.text, "reference": entry.reference})
                for entry in payload.extra_texts
            )
        if payload.workflow is not None:
            values["custom_workflow"] = CustomWorkflowGenerationParameters(workflow=payload.workflow)
        if payload.post_processing:
            values["post_processing"] = ImagePostProcessingParameters(
                post_processors=payload.post_processing, facefixer_strength=payload.facefixer_strength
            )
        return ImageGenerationParameters(
            model=self.model,
            prompt=positive,
            negative_prompt=negative,
            width=payload.width,
            height=payload.height,
            steps=payload.ddim_steps,
            cfg_scale=payload.cfg_scale,
            sampler_name=payload.sampler_name,
            scheduler=KNOWN_IMAGE_SCHEDULERS.karras if payload.karras else KNOWN_IMAGE_SCHEDULERS.normal,
            seed=payload.seed,
            seed_variation=payload.seed_variation,
            denoising_strength=payload.denoising_strength,
            clip_skip=payload.clip_skip if payload.clip_skip is not None else 1,
            tiling=payload.tiling,
            batch_size=self.get_batch_size(),
            source_processing=processing,
            transparent=payload.transparent,
            **values,
        )


# ----------------------------------------------------------------------------------------- submit
class ImageGenerateJobSubmitRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin, JobSubmitInput):
    """Hand back one finished image of a job, with the seed it was painted with.

    The server refuses a submission without `seed` (400). For `generation`, PUT the webp bytes to the job's
    presigned upload URL and send :data:`GENERATION_UPLOADED_TO_R2`, or send the image as base64.

    Represents a POST request to the /v2/generate/submit endpoint.

    v2 API Model: `SubmitInputStable`
    """

    model_config = get_request_model_config_dict()

    seed: int = Field(description="The seed the image was painted with (required by the server).")
    censored: bool = Field(default=False, description="The worker replaced the image because it was censored.")
    gen_metadata: tuple[ImageGenerationMetadataEntry, ...] | None = Field(
        default=None, description="Notes about the image, e.g. a LoRA that failed to download."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_submit

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[JobSubmitResponse]:
        return JobSubmitResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "SubmitInputStable"
