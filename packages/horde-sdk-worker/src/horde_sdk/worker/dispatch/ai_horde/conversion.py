"""Turn AI Horde pop answers into what a worker runs: generation parameters plus dispatch parameters.

Each pop answer becomes one of:

* `DispatchedJob`: the job's generation parameters (from the pop model's own ``get_generation_parameters``)
  and its `AIHordeDispatchParameters` (ids, ttl, presigned upload URLs, images to download, ...);
* `DispatchFault`: the job cannot be run (its payload is unusable, a source image is neither a URL nor
  base64...). The worker does not stop: it submits the job's ids with ``state: "faulted"``
  (see `horde_sdk.worker.dispatch.ai_horde.submit.build_faulted_submits`);
* `EmptyDispatch`: the horde had no job for the worker (an empty pop), with the reasons it skipped requests.

Alchemy pops hold one form per entry, each with its own id: each becomes its own job or fault.

Presigned URLs are credentials: the dataclasses here keep them out of their ``repr``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobPopResponse,
    AlchemyPopFormEntry,
    ImageGenerateJobPopResponse,
    TextGenerateJobPopResponse,
    UnusableJobPayloadError,
)
from horde_sdk.ai_horde_api.consts import METADATA_TYPE, WORKER_TYPE
from horde_sdk.generation_parameters import (
    AlchemyParameters,
    ComposedParameterSetBase,
    ImageGenerationParameters,
    TextGenerationParameters,
)
from horde_sdk.generic_api.apimodels import HordeAPIObjectBaseModel

__all__ = [
    "AIHordeDispatchParameters",
    "DispatchFault",
    "DispatchOutcome",
    "DispatchedJob",
    "EmptyDispatch",
    "ImageToDownload",
    "convert_alchemy_pop",
    "convert_image_pop",
    "convert_text_pop",
    "is_url",
    "validate_image_reference",
]

ParametersT = TypeVar("ParametersT", bound=ComposedParameterSetBase)


def is_url(value: str) -> bool:
    """Return whether `value` is an http(s) URL with a host (rather than base64 image data).

    Args:
        value: A source image reference from a pop answer.

    Returns:
        True for ``http://`` and ``https://`` URLs.
    """
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_image_reference(value: str) -> bool:
    """Return whether `value` is usable as an input image: an http(s) URL or base64 data.

    Args:
        value: A source image reference from a pop answer.

    Returns:
        True for a URL (see `is_url`).

    Raises:
        ValueError: If `value` is empty or neither a URL nor valid base64 (the message never repeats it).
    """
    if not value.strip():
        raise ValueError("is empty")
    if is_url(value):
        return True
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is neither an http(s) URL nor base64 image data") from None
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageToDownload:
    """An input image of a job: where it is (a URL to download, or base64 data) and what it is for.

    `role` is the ``gen_metadata`` type to report when it cannot be fetched (``source_image``,
    ``source_mask`` or ``extra_source_images``), with value ``download_failed``.
    """

    role: METADATA_TYPE
    """``source_image``, ``source_mask`` or ``extra_source_images``."""
    location: str = field(repr=False)
    """The presigned URL, or the base64 data (never shown in ``repr``)."""
    is_url: bool
    """True when `location` is a URL to download, False when it is base64 data."""
    index: int = 0
    """The position among the job's images of the same role."""
    strength: float | None = None
    """For extra source images: how strongly the image counts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AIHordeDispatchParameters:
    """What the AI Horde told the worker about a job, besides the generation parameters."""

    worker_type: WORKER_TYPE
    """The kind of job (``image``, ``text`` or ``interrogation`` for alchemy)."""
    job_id: str
    """The id of the job (its first generation id; for alchemy, the form's id)."""
    generation_ids: tuple[str, ...]
    """The id of every result to submit, in order."""
    ttl: int | None = None
    """Seconds the worker has to submit before the job is taken back (None when not given)."""
    model: str | None = None
    """The model to run (None for alchemy)."""
    r2_uploads: tuple[str | None, ...] = field(default=(), repr=False)
    """Presigned PUT URLs, one per generation id (None where there is none). Never shown in ``repr``."""
    images_to_download: tuple[ImageToDownload, ...] = ()
    """The input images (source image, mask, extra source images), in that order."""
    skipped: tuple[tuple[str, int], ...] = ()
    """Why the horde passed over other queued requests: (reason, count) for every non-zero count."""
    censor_nsfw: bool = False
    """Images: whether NSFW results must be censored (the requester or the horde asks for it)."""
    source_processing: str | None = None
    """Images: how the source image is used (``txt2img`` when there is none)."""
    post_processors: tuple[str, ...] = ()
    """Images: the post-processing chain to apply, in order."""
    softprompt: str | None = None
    """Text: the soft prompt to load, if any."""
    alchemy_form: str | None = None
    """Alchemy: the name of the form (the key of the submitted `result`)."""
    messages: tuple[str, ...] = ()
    """Messages to the worker's owner delivered with the pop."""

    def get_r2_upload(self, generation_id: str) -> str | None:
        """Return the presigned upload URL of `generation_id` (None when there is none).

        Args:
            generation_id: One of `generation_ids`.

        Returns:
            The URL or None.

        Raises:
            KeyError: If `generation_id` is not an id of this job.
        """
        if generation_id not in self.generation_ids:
            raise KeyError(f"{generation_id} is not a generation of job {self.job_id}")
        index = self.generation_ids.index(generation_id)
        return self.r2_uploads[index] if index < len(self.r2_uploads) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchedJob(Generic[ParametersT]):
    """A job to run: what to generate and how to hand it back."""

    generation_parameters: ParametersT = field(repr=False)
    """What to generate (input image URLs inside are still to be downloaded)."""
    dispatch_parameters: AIHordeDispatchParameters
    """Ids, ttl, upload URLs and other dispatch details."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchFault:
    """A popped job that cannot be run; submit its ids with ``state: "faulted"`` so the horde re-queues it."""

    worker_type: WORKER_TYPE
    """The kind of job."""
    job_id: str
    """The id of the job (its first generation id; for alchemy, the form's id)."""
    generation_ids: tuple[str, ...]
    """The ids to submit as faulted."""
    reason: str
    """Why the job cannot be run (never contains input values such as URLs)."""
    ttl: int | None = None
    """Seconds left to submit the fault."""
    alchemy_form: str | None = None
    """Alchemy: the name of the form, when the entry had one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EmptyDispatch:
    """An empty pop: no job for the worker, only why queued requests were passed over."""

    worker_type: WORKER_TYPE
    """The kind of worker that popped."""
    skipped: tuple[tuple[str, int], ...] = ()
    """(reason, count) for every non-zero count."""
    messages: tuple[str, ...] = ()
    """Messages to the worker's owner delivered with the pop."""


DispatchOutcome = DispatchedJob[ParametersT] | DispatchFault | EmptyDispatch
"""What converting one pop answer (or alchemy form) gives."""


def _skipped(skipped: HordeAPIObjectBaseModel | None) -> tuple[tuple[str, int], ...]:
    """Return the non-zero (reason, count) pairs of a `skipped` object, under their wire names."""
    if skipped is None:
        return ()
    counts = skipped.model_dump(by_alias=True, exclude_none=True)
    return tuple(
        (name, count)
        for name, count in counts.items()
        if isinstance(count, int) and not isinstance(count, bool) and count
    )


def _messages(
    response: ImageGenerateJobPopResponse | TextGenerateJobPopResponse,
) -> tuple[str, ...]:
    return tuple(entry.message for entry in response.messages or ())


def _image_inputs(response: ImageGenerateJobPopResponse) -> tuple[ImageToDownload, ...]:
    """Return the input images of an image job; raise `ValueError` naming the first unusable one."""
    images: list[ImageToDownload] = []
    if response.source_image is not None:
        images.append(_input(METADATA_TYPE.source_image, response.source_image))
    if response.source_mask is not None:
        images.append(_input(METADATA_TYPE.source_mask, response.source_mask))
    for index, entry in enumerate(response.extra_source_images or ()):
        images.append(
            _input(METADATA_TYPE.extra_source_images, entry.image or "", index=index, strength=entry.strength)
        )
    return tuple(images)


def _input(role: METADATA_TYPE, location: str, *, index: int = 0, strength: float | None = None) -> ImageToDownload:
    try:
        url = validate_image_reference(location)
    except ValueError as error:
        suffix = f" {index}" if role == METADATA_TYPE.extra_source_images else ""
        raise ValueError(f"{role.value}{suffix} {error}") from None
    return ImageToDownload(role=role, location=location, is_url=url, index=index, strength=strength)


def convert_image_pop(
    response: ImageGenerateJobPopResponse,
) -> DispatchedJob[ImageGenerationParameters] | DispatchFault | EmptyDispatch:
    """Convert an image pop answer.

    Args:
        response: The answer of ``/v2/generate/pop``.

    Returns:
        The job; a fault when its payload or an input image is unusable; `EmptyDispatch` for an empty pop.
    """
    skipped = _skipped(response.skipped)
    if not response.has_job():
        return EmptyDispatch(worker_type=WORKER_TYPE.image, skipped=skipped, messages=_messages(response))
    generation_ids = tuple(str(generation_id) for generation_id in response.get_generation_ids())
    job_id = generation_ids[0]
    try:
        images = _image_inputs(response)
        parameters = response.get_generation_parameters()
    except UnusableJobPayloadError as error:
        return DispatchFault(
            worker_type=WORKER_TYPE.image,
            job_id=job_id,
            generation_ids=generation_ids,
            reason=error.reason,
            ttl=response.ttl,
        )
    except ValueError as error:
        return DispatchFault(
            worker_type=WORKER_TYPE.image,
            job_id=job_id,
            generation_ids=generation_ids,
            reason=str(error),
            ttl=response.ttl,
        )
    post_processors = parameters.post_processing.post_processors if parameters.post_processing is not None else ()
    payload = response.payload
    return DispatchedJob(
        generation_parameters=parameters,
        dispatch_parameters=AIHordeDispatchParameters(
            worker_type=WORKER_TYPE.image,
            job_id=job_id,
            generation_ids=generation_ids,
            ttl=response.ttl,
            model=response.model,
            r2_uploads=tuple(url for _, url in response.get_upload_targets()),
            images_to_download=images,
            skipped=skipped,
            censor_nsfw=bool(payload is not None and payload.use_nsfw_censor),
            source_processing=str(parameters.source_processing),
            post_processors=tuple(str(name) for name in post_processors),
            messages=_messages(response),
        ),
    )


def convert_text_pop(
    response: TextGenerateJobPopResponse,
) -> DispatchedJob[TextGenerationParameters] | DispatchFault | EmptyDispatch:
    """Convert a text pop answer.

    Args:
        response: The answer of ``/v2/generate/text/pop``.

    Returns:
        The job; a fault when its payload or an input image is unusable; `EmptyDispatch` for an empty pop.
    """
    skipped = _skipped(response.skipped)
    if not response.has_job():
        return EmptyDispatch(worker_type=WORKER_TYPE.text, skipped=skipped, messages=_messages(response))
    generation_ids = tuple(str(generation_id) for generation_id in response.get_generation_ids())
    job_id = generation_ids[0]
    try:
        images = tuple(
            _input(METADATA_TYPE.extra_source_images, entry.image or "", index=index, strength=entry.strength)
            for index, entry in enumerate(response.extra_source_images or ())
        )
        parameters = response.get_generation_parameters()
    except UnusableJobPayloadError as error:
        return DispatchFault(
            worker_type=WORKER_TYPE.text,
            job_id=job_id,
            generation_ids=generation_ids,
            reason=error.reason,
            ttl=response.ttl,
        )
    except ValueError as error:
        return DispatchFault(
            worker_type=WORKER_TYPE.text,
            job_id=job_id,
            generation_ids=generation_ids,
            reason=str(error),
            ttl=response.ttl,
        )
    return DispatchedJob(
        generation_parameters=parameters,
        dispatch_parameters=AIHordeDispatchParameters(
            worker_type=WORKER_TYPE.text,
            job_id=job_id,
            generation_ids=generation_ids,
            ttl=response.ttl,
            model=response.model,
            images_to_download=images,
            skipped=skipped,
            softprompt=response.softprompt,
            messages=_messages(response),
        ),
    )


def _convert_alchemy_form(
    entry: AlchemyPopFormEntry, skipped: tuple[tuple[str, int], ...]
) -> DispatchedJob[AlchemyParameters] | DispatchFault | None:
    if entry.id_ is None:
        return None  # nothing to submit, so nothing to run or fault
    form_id = str(entry.id_)
    form_name = str(entry.form) if entry.form is not None else None
    try:
        images = (_input(METADATA_TYPE.source_image, entry.source_image),) if entry.source_image else ()
        parameters = entry.get_generation_parameters()
    except UnusableJobPayloadError as error:
        reason = error.reason
    except ValueError as error:
        reason = str(error)
    else:
        return DispatchedJob(
            generation_parameters=parameters,
            dispatch_parameters=AIHordeDispatchParameters(
                worker_type=WORKER_TYPE.interrogation,
                job_id=form_id,
                generation_ids=(form_id,),
                r2_uploads=(entry.r2_upload,),
                images_to_download=images,
                skipped=skipped,
                alchemy_form=form_name,
            ),
        )
    return DispatchFault(
        worker_type=WORKER_TYPE.interrogation,
        job_id=form_id,
        generation_ids=(form_id,),
        reason=reason,
        alchemy_form=form_name,
    )


def convert_alchemy_pop(
    response: AlchemyJobPopResponse,
) -> tuple[DispatchedJob[AlchemyParameters] | DispatchFault, ...] | EmptyDispatch:
    """Convert an alchemy pop answer: one job (or fault) per form entry, in order.

    Entries without an id (nothing could be submitted for them) are left out.

    Args:
        response: The answer of ``/v2/interrogate/pop``.

    Returns:
        One outcome per form; `EmptyDispatch` for an empty pop.
    """
    skipped = _skipped(response.skipped)
    if not response.has_job():
        return EmptyDispatch(worker_type=WORKER_TYPE.interrogation, skipped=skipped)
    outcomes = (_convert_alchemy_form(entry, skipped) for entry in response.forms or ())
    return tuple(outcome for outcome in outcomes if outcome is not None)
