"""Turn AI Horde pop answers into what a worker runs: generation parameters plus dispatch parameters.

Each pop answer becomes one of:

* `DispatchedJob`: the job's generation parameters (from the pop model's own ``get_generation_parameters``)
  and its `AIHordeDispatchParameters` (ids, ttl, presigned upload URLs, images to download, ...);
* `DispatchFault`: the job cannot be run (its payload is unusable, a source image is neither a URL nor
  base64...). The worker does not stop: it submits the job's ids with ``state: "faulted"``
  (see `horde_sdk.worker.dispatch.ai_horde.submit.build_faulted_submits`);
* `EmptyDispatch`: the horde had no job for the worker (an empty pop), with the reasons it skipped requests.

Alchemy pops hold one form per entry, each with its own id: each becomes its own job or fault.

A pop answer is checked before it becomes a job: a ``ttl`` that is not a number of seconds between 1 and
`MAX_JOB_TTL`, a generation id repeated in ``ids``, more than `MAX_GENERATION_IDS` ids or an id that is not text
make it a `DispatchFault` (its ids deduplicated, so that each is reported once). `parse_image_pop`,
`parse_text_pop` and `parse_alchemy_pop` take the answer as raw JSON (what `raw_pop_request` asks the client
for): an answer that does not even match the API model is still reported faulted under the ids it holds; only an
answer in which no id can be found raises `UnreadablePopError` (there is nothing to report).

Presigned URLs are credentials: the dataclasses here keep them out of their ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobPopRequest,
    AlchemyJobPopResponse,
    AlchemyPopFormEntry,
    ImageGenerateJobPopRequest,
    ImageGenerateJobPopResponse,
    TextGenerateJobPopRequest,
    TextGenerateJobPopResponse,
    UnusableJobPayloadError,
    describe_validation_error,
)
from horde_sdk.ai_horde_api.consts import METADATA_TYPE, WORKER_TYPE
from horde_sdk.generation_parameters import (
    AlchemyParameters,
    ComposedParameterSetBase,
    ImageGenerationParameters,
    TextGenerationParameters,
)
from horde_sdk.generic_api.apimodels import HordeAPIObjectBaseModel, HordeResponseRootModel

__all__ = [
    "MAX_GENERATION_IDS",
    "MAX_JOB_TTL",
    "AIHordeDispatchParameters",
    "DispatchFault",
    "DispatchOutcome",
    "DispatchedJob",
    "EmptyDispatch",
    "ImageToDownload",
    "RawPopAnswer",
    "UnreadablePopError",
    "convert_alchemy_pop",
    "convert_image_pop",
    "convert_text_pop",
    "is_url",
    "parse_alchemy_pop",
    "parse_image_pop",
    "parse_text_pop",
    "raw_pop_request",
    "salvage_generation_ids",
    "validate_image_reference",
]

MAX_JOB_TTL = 86_400
"""The longest ``ttl`` (seconds) a pop answer may give; the horde gives at least 150 and far less than a day.
A larger value (or one of 0 or less) is a malformed answer: the job is reported faulted."""

MAX_GENERATION_IDS = 20
"""The most generation ids one job may hold: the horde hands out at most 20 (the most a pop's ``amount`` or a
request's ``n`` asks for). More is a malformed answer: the job is reported faulted."""

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


class UnreadablePopError(ValueError):
    """A pop answer in which no generation id can be found: nothing can be run, nothing can be reported."""


def _job_problem(generation_ids: Sequence[str], ttl: object) -> str | None:
    """Why a job's ids or ttl make it unusable (None when they are fine)."""
    if len(set(generation_ids)) != len(generation_ids):
        return "a generation id is repeated in ids"
    if len(generation_ids) > MAX_GENERATION_IDS:
        return f"the job holds {len(generation_ids)} generation ids, more than {MAX_GENERATION_IDS}"
    number = isinstance(ttl, int | float) and not isinstance(ttl, bool)
    if ttl is not None and (not number or not math.isfinite(ttl) or not 0 < ttl <= MAX_JOB_TTL):  # type: ignore[arg-type, operator]  # a number once `number` holds
        return f"ttl is not a number of seconds from 1 to {MAX_JOB_TTL}"
    return None


def _usable_ttl(ttl: object) -> int | None:
    """The ttl when it is usable for reporting a fault, else None (the worker's default then applies)."""
    if isinstance(ttl, int) and not isinstance(ttl, bool) and 0 < ttl <= MAX_JOB_TTL:
        return ttl
    return None


def _fault(
    worker_type: WORKER_TYPE, generation_ids: Sequence[str], reason: str, ttl: object = None, form: str | None = None
) -> DispatchFault:
    """A fault for the ids (each once, in order)."""
    unique = tuple(dict.fromkeys(generation_ids))
    return DispatchFault(
        worker_type=worker_type,
        job_id=unique[0],
        generation_ids=unique,
        reason=reason,
        ttl=_usable_ttl(ttl),
        alchemy_form=form,
    )


def convert_image_pop(
    response: ImageGenerateJobPopResponse,
) -> DispatchedJob[ImageGenerationParameters] | DispatchFault | EmptyDispatch:
    """Convert an image pop answer.

    Args:
        response: The answer of ``/v2/generate/pop``.

    Returns:
        The job; a fault when its ids, ttl, payload or an input image is unusable; `EmptyDispatch` for an empty
        pop.
    """
    skipped = _skipped(response.skipped)
    if not response.has_job():
        return EmptyDispatch(worker_type=WORKER_TYPE.image, skipped=skipped, messages=_messages(response))
    generation_ids = tuple(str(generation_id) for generation_id in response.get_generation_ids())
    problem = _job_problem(generation_ids, response.ttl)
    if problem is not None:
        return _fault(WORKER_TYPE.image, generation_ids, problem, response.ttl)
    try:
        images = _image_inputs(response)
        parameters = response.get_generation_parameters()
    except UnusableJobPayloadError as error:
        return _fault(WORKER_TYPE.image, generation_ids, error.reason, response.ttl)
    except ValueError as error:
        return _fault(WORKER_TYPE.image, generation_ids, str(error), response.ttl)
    post_processors = parameters.post_processing.post_processors if parameters.post_processing is not None else ()
    payload = response.payload
    return DispatchedJob(
        generation_parameters=parameters,
        dispatch_parameters=AIHordeDispatchParameters(
            worker_type=WORKER_TYPE.image,
            job_id=generation_ids[0],
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
        The job; a fault when its ids, ttl, payload or an input image is unusable; `EmptyDispatch` for an empty
        pop.
    """
    skipped = _skipped(response.skipped)
    if not response.has_job():
        return EmptyDispatch(worker_type=WORKER_TYPE.text, skipped=skipped, messages=_messages(response))
    generation_ids = tuple(str(generation_id) for generation_id in response.get_generation_ids())
    problem = _job_problem(generation_ids, response.ttl)
    if problem is not None:
        return _fault(WORKER_TYPE.text, generation_ids, problem, response.ttl)
    try:
        images = tuple(
            _input(METADATA_TYPE.extra_source_images, entry.image or "", index=index, strength=entry.strength)
            for index, entry in enumerate(response.extra_source_images or ())
        )
        parameters = response.get_generation_parameters()
    except UnusableJobPayloadError as error:
        return _fault(WORKER_TYPE.text, generation_ids, error.reason, response.ttl)
    except ValueError as error:
        return _fault(WORKER_TYPE.text, generation_ids, str(error), response.ttl)
    return DispatchedJob(
        generation_parameters=parameters,
        dispatch_parameters=AIHordeDispatchParameters(
            worker_type=WORKER_TYPE.text,
            job_id=generation_ids[0],
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
    return _fault(WORKER_TYPE.interrogation, (form_id,), reason, form=form_name)


def convert_alchemy_pop(
    response: AlchemyJobPopResponse,
) -> tuple[DispatchedJob[AlchemyParameters] | DispatchFault, ...] | EmptyDispatch:
    """Convert an alchemy pop answer: one job (or fault) per form entry, in order.

    Entries without an id (nothing could be submitted for them) are left out; an id given to several entries is
    run once (its first entry) and the other entries are dropped, since the horde takes one result per id.

    Args:
        response: The answer of ``/v2/interrogate/pop``.

    Returns:
        One outcome per form; `EmptyDispatch` for an empty pop.
    """
    skipped = _skipped(response.skipped)
    if not response.has_job():
        return EmptyDispatch(worker_type=WORKER_TYPE.interrogation, skipped=skipped)
    outcomes: dict[str, DispatchedJob[AlchemyParameters] | DispatchFault] = {}
    for entry in response.forms or ():
        outcome = _convert_alchemy_form(entry, skipped)
        if outcome is not None:
            job_id = outcome.job_id if isinstance(outcome, DispatchFault) else outcome.dispatch_parameters.job_id
            outcomes.setdefault(job_id, outcome)
    return tuple(outcomes.values())


# ---------------------------------------------------------------------------------------------------------------
# Raw pop answers: still reported when they do not match the API model
# ---------------------------------------------------------------------------------------------------------------


class RawPopAnswer(HordeResponseRootModel[Any]):
    """A pop answer as raw JSON, before it is checked against the API model (see `raw_pop_request`)."""

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return None: the raw answer is no model of the API."""
        return None


PopRequestT = TypeVar("PopRequestT", ImageGenerateJobPopRequest, TextGenerateJobPopRequest, AlchemyJobPopRequest)


def _raw_answer_type(cls: type[PopRequestT]) -> type[PopRequestT]:
    """A subclass of a pop request class whose answer is read as `RawPopAnswer` instead of its model."""

    class _RawAnswerRequest(cls):  # type: ignore[valid-type,misc]  # a subclass of the one class given
        @classmethod
        def get_default_success_response_type(cls) -> type[RawPopAnswer]:
            return RawPopAnswer

    _RawAnswerRequest.__name__ = _RawAnswerRequest.__qualname__ = f"Raw{cls.__name__}"
    return _RawAnswerRequest


_RAW_REQUEST_TYPES: dict[type[Any], type[Any]] = {
    request_type: _raw_answer_type(request_type)
    for request_type in (ImageGenerateJobPopRequest, TextGenerateJobPopRequest, AlchemyJobPopRequest)
}


def raw_pop_request(request: PopRequestT) -> PopRequestT:
    """Return the same pop request, asking the client for the answer as `RawPopAnswer` (raw JSON).

    The worker then checks the answer itself (`parse_image_pop`...), so that an answer which does not match the
    API model is still reported faulted under the ids it holds instead of being dropped as a client error.

    Args:
        request: A pop request (image, text or alchemy).

    Returns:
        A request sending the same fields to the same endpoint.
    """
    raw_type: type[PopRequestT] = _RAW_REQUEST_TYPES[type(request)]
    return raw_type.model_construct(
        _fields_set=set(request.model_fields_set),
        **{name: getattr(request, name) for name in type(request).model_fields},
    )


def _text_ids(values: object) -> list[str]:
    """The non-empty text values of a JSON list (anything else gives none)."""
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, str) and value.strip()]


def salvage_generation_ids(raw: object) -> tuple[str, ...]:
    """Find the generation ids in a raw image or text pop answer that does not match its model.

    Args:
        raw: The answer's JSON.

    Returns:
        The text values of ``ids`` (or ``id`` alone), each once, in order; empty when there is none.
    """
    if not isinstance(raw, Mapping):
        return ()
    ids = _text_ids(raw.get("ids"))
    single = raw.get("id")
    if not ids and isinstance(single, str) and single.strip():
        ids = [single]
    return tuple(dict.fromkeys(ids))


_ResponseT = TypeVar("_ResponseT", ImageGenerateJobPopResponse, TextGenerateJobPopResponse)


def _parse_generation_pop(
    raw: object,
    model: type[_ResponseT],
    worker_type: WORKER_TYPE,
    convert: Callable[[_ResponseT], DispatchOutcome[Any]],
) -> DispatchOutcome[Any]:
    try:
        response = model.model_validate(raw)
    except ValidationError as error:
        ids = salvage_generation_ids(raw)
        if not ids:
            reason = f"the pop answer holds no usable id ({describe_validation_error(error)})"
            raise UnreadablePopError(reason) from None
        ttl = raw.get("ttl") if isinstance(raw, Mapping) else None
        reason = f"the pop answer does not match the API: {describe_validation_error(error)}"
        return _fault(worker_type, ids, reason, ttl)
    try:
        return convert(response)
    except Exception as error:  # noqa: BLE001 - a conversion bug must not lose the job
        ids = tuple(str(generation_id) for generation_id in response.get_generation_ids())
        if not ids:
            raise UnreadablePopError(f"the pop answer cannot be converted ({type(error).__name__})") from None
        return _fault(worker_type, ids, f"the pop answer cannot be converted ({type(error).__name__})", response.ttl)


def parse_image_pop(raw: object) -> DispatchedJob[ImageGenerationParameters] | DispatchFault | EmptyDispatch:
    """Check a raw image pop answer against the API model and convert it (see `convert_image_pop`).

    Args:
        raw: The JSON of the ``/v2/generate/pop`` answer (`RawPopAnswer.root`).

    Returns:
        The job, a fault (also for an answer that does not match the model but holds ids), or `EmptyDispatch`.

    Raises:
        UnreadablePopError: If the answer does not match the model and holds no id.
    """
    outcome: Any = _parse_generation_pop(raw, ImageGenerateJobPopResponse, WORKER_TYPE.image, convert_image_pop)
    return outcome  # type: ignore[no-any-return]  # convert_image_pop's result, or a fault


def parse_text_pop(raw: object) -> DispatchedJob[TextGenerationParameters] | DispatchFault | EmptyDispatch:
    """Check a raw text pop answer against the API model and convert it (see `convert_text_pop`).

    Args:
        raw: The JSON of the ``/v2/generate/text/pop`` answer (`RawPopAnswer.root`).

    Returns:
        The job, a fault (also for an answer that does not match the model but holds ids), or `EmptyDispatch`.

    Raises:
        UnreadablePopError: If the answer does not match the model and holds no id.
    """
    outcome: Any = _parse_generation_pop(raw, TextGenerateJobPopResponse, WORKER_TYPE.text, convert_text_pop)
    return outcome  # type: ignore[no-any-return]  # convert_text_pop's result, or a fault


def _raw_form(
    entry: object, skipped: tuple[tuple[str, int], ...]
) -> DispatchedJob[AlchemyParameters] | DispatchFault | None:
    """One raw form entry: converted, or faulted under its id when it does not match the model."""
    try:
        form = AlchemyPopFormEntry.model_validate(entry)
    except ValidationError as error:
        form_id = entry.get("id") if isinstance(entry, Mapping) else None
        if not isinstance(form_id, str) or not form_id.strip():
            return None
        reason = f"the pop answer does not match the API: {describe_validation_error(error)}"
        return _fault(WORKER_TYPE.interrogation, (form_id,), reason)
    try:
        return _convert_alchemy_form(form, skipped)
    except Exception as error:  # noqa: BLE001 - a conversion bug must not lose the form
        if form.id_ is None:
            return None
        reason = f"the pop answer cannot be converted ({type(error).__name__})"
        return _fault(WORKER_TYPE.interrogation, (str(form.id_),), reason)


def parse_alchemy_pop(raw: object) -> tuple[DispatchedJob[AlchemyParameters] | DispatchFault, ...] | EmptyDispatch:
    """Check a raw alchemy pop answer against the API model, form by form, and convert it.

    A form entry that does not match the model is faulted under its id (the other forms still run).

    Args:
        raw: The JSON of the ``/v2/interrogate/pop`` answer (`RawPopAnswer.root`).

    Returns:
        One outcome per form (each id once); `EmptyDispatch` for an empty pop.

    Raises:
        UnreadablePopError: If the answer is not an object, or its ``forms`` is not a list.
    """
    try:
        return convert_alchemy_pop(AlchemyJobPopResponse.model_validate(raw))
    except ValidationError:
        pass
    forms = raw.get("forms") if isinstance(raw, Mapping) else None
    if not isinstance(forms, list):
        raise UnreadablePopError("the alchemy pop answer holds no list of forms")
    outcomes: dict[str, DispatchedJob[AlchemyParameters] | DispatchFault] = {}
    for entry in forms:
        outcome = _raw_form(entry, ())
        if outcome is not None:
            job_id = outcome.job_id if isinstance(outcome, DispatchFault) else outcome.dispatch_parameters.job_id
            outcomes.setdefault(job_id, outcome)
    if not outcomes:
        raise UnreadablePopError("the alchemy pop answer holds no form with a usable id")
    return tuple(outcomes.values())
