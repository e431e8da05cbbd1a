"""Turn a finished worker job into the AI Horde submissions that report it.

This is the glue between the generation state machine (`horde_sdk.worker.jobs`) and the submit
builders of :mod:`horde_sdk.worker.dispatch.ai_horde.submit`:

- a generation that reached ``SUBMITTING`` (or later) with results gives one submission per result:
  state ``csam`` for results the safety check flagged as CSAM, ``censored`` for other censored results,
  ``ok`` otherwise; images are sent as ``"R2"`` when they were uploaded to their presigned URL, else as
  base64;
- a generation that failed (or was abandoned or aborted) gives ``faulted`` submissions for all its ids,
  so no popped job is ever left unreported.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from horde_sdk.ai_horde_api.apimodels import (
    GENERATION_UPLOADED_TO_R2,
    AlchemyJobSubmitRequest,
    ImageGenerateJobSubmitRequest,
    TextGenerateJobSubmitRequest,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, WORKER_TYPE
from horde_sdk.worker.consts import GENERATION_PROGRESS
from horde_sdk.worker.dispatch.ai_horde.submit import (
    AlchemySubmitValue,
    build_alchemy_submit,
    build_faulted_submits,
    build_image_submit,
    build_text_submit,
)
from horde_sdk.worker.generations import AlchemyFormResultValue, AlchemySingleGeneration
from horde_sdk.worker.generations_base import HordeSingleGeneration, SafetyCheckResult
from horde_sdk.worker.jobs import AlchemyWorkerJob, ImageWorkerJob, TextWorkerJob

__all__ = [
    "JobNotFinishedError",
    "build_alchemy_job_submits",
    "build_image_job_submits",
    "build_text_job_submits",
]

_READY_TO_REPORT = frozenset(
    {
        GENERATION_PROGRESS.PENDING_SUBMIT,
        GENERATION_PROGRESS.SUBMITTING,
        GENERATION_PROGRESS.SUBMIT_COMPLETE,
        GENERATION_PROGRESS.COMPLETE,
    }
)
_FAILED = frozenset(
    {
        GENERATION_PROGRESS.ABORTED,
        GENERATION_PROGRESS.REPORTED_FAILED,
        GENERATION_PROGRESS.USER_REQUESTED_ABORT,
        GENERATION_PROGRESS.USER_ABORT_COMPLETE,
        GENERATION_PROGRESS.ABANDONED,
    }
)


class JobNotFinishedError(ValueError):
    """A generation of the job is still running (or in ERROR, awaiting a retry or an abort)."""


def _result_state(safety: SafetyCheckResult | None, censored: bool) -> GENERATION_STATE:
    if safety is not None and safety.is_csam:
        return GENERATION_STATE.csam
    return GENERATION_STATE.censored if censored else GENERATION_STATE.ok


def _is_failed(generation: HordeSingleGeneration[Any]) -> bool:
    state = generation.state
    if state in _FAILED:
        return True
    if state in _READY_TO_REPORT and generation.results is not None:
        return False
    raise JobNotFinishedError(
        f"generation {generation.generation_id[:8]}… is in state {state.value}; finish, fail or abort it first"
    )


def build_image_job_submits(
    job: ImageWorkerJob,
    *,
    seeds: Mapping[str, int | str] | None = None,
    uploaded_to_r2: Collection[str] = (),
) -> tuple[ImageGenerateJobSubmitRequest, ...]:
    """Return one submission per generation id of a finished or failed image job.

    Args:
        job: The job.
        seeds: The seed each image was made with, by generation id; defaults to the parameters' seed,
            which must then be set (the server requires a seed on every image submission).
        uploaded_to_r2: The ids whose image was PUT to its upload URL (sent as ``"R2"``); the others are
            sent as base64.

    Raises:
        JobNotFinishedError: A generation is neither ready to report nor failed.
        ValueError: A successful image has no known seed.
    """
    submits: list[ImageGenerateJobSubmitRequest] = []
    for generation, ids in job.generation_ids_by_generation():
        if _is_failed(generation):
            submits.extend(
                request
                for request in build_faulted_submits(worker_type=WORKER_TYPE.image, generation_ids=ids)
                if isinstance(request, ImageGenerateJobSubmitRequest)
            )
            continue
        results = generation.results or ()
        censored = generation.censored or (False,) * len(results)
        safety: Sequence[SafetyCheckResult | None] = generation.safety_results or (None,) * len(results)
        for generation_id, image, was_censored, verdict in zip(ids, results, censored, safety, strict=True):
            seed = (seeds or {}).get(generation_id, generation.parameters.seed)
            if seed is None:
                raise ValueError(f"no seed is known for image {generation_id[:8]}…; pass it in `seeds`")
            payload = (
                GENERATION_UPLOADED_TO_R2
                if generation_id in uploaded_to_r2
                else base64.b64encode(image).decode("ascii")
            )
            submits.append(
                build_image_submit(
                    generation_id,
                    seed=seed,
                    generation=payload,
                    censored=was_censored,
                    state=_result_state(verdict, was_censored),
                )
            )
    return tuple(submits)


def build_text_job_submits(job: TextWorkerJob) -> tuple[TextGenerateJobSubmitRequest, ...]:
    """Return one submission per generation id of a finished or failed text job.

    Raises:
        JobNotFinishedError: A generation is neither ready to report nor failed.
    """
    submits: list[TextGenerateJobSubmitRequest] = []
    for generation, ids in job.generation_ids_by_generation():
        if _is_failed(generation):
            submits.extend(
                request
                for request in build_faulted_submits(worker_type=WORKER_TYPE.text, generation_ids=ids)
                if isinstance(request, TextGenerateJobSubmitRequest)
            )
            continue
        results = generation.results or ()
        censored = generation.censored or (False,) * len(results)
        safety: Sequence[SafetyCheckResult | None] = generation.safety_results or (None,) * len(results)
        for generation_id, text, was_censored, verdict in zip(ids, results, censored, safety, strict=True):
            submits.append(build_text_submit(generation_id, text, state=_result_state(verdict, was_censored)))
    return tuple(submits)


def _alchemy_value(value: AlchemyFormResultValue, form: str, *, uploaded: bool) -> AlchemySubmitValue:
    if isinstance(value, bytes):
        if not uploaded:
            raise ValueError(f"form {form!r} produced an image: upload it to the form's r2_upload URL first")
        return GENERATION_UPLOADED_TO_R2
    return value


def build_alchemy_job_submits(
    job: AlchemyWorkerJob,
    *,
    uploaded_to_r2: Collection[str] = (),
) -> tuple[AlchemyJobSubmitRequest, ...]:
    """Return one submission per form of a finished or failed alchemy job (``result`` keyed by form name).

    Args:
        job: The job (its generation ids are the forms' ids, in form order).
        uploaded_to_r2: The form ids whose image result was PUT to the form's upload URL (sent as ``"R2"``).

    Raises:
        JobNotFinishedError: The generation is neither ready to report nor failed.
        ValueError: An image result was not uploaded.
    """
    submits: list[AlchemyJobSubmitRequest] = []
    for generation, ids in job.generation_ids_by_generation():
        if _is_failed(generation):
            submits.extend(
                request
                for request in build_faulted_submits(worker_type=WORKER_TYPE.interrogation, generation_ids=ids)
                if isinstance(request, AlchemyJobSubmitRequest)
            )
            continue
        assert isinstance(generation, AlchemySingleGeneration)  # noqa: S101 - the job's generation type
        results = generation.results or ()
        censored = generation.censored or (False,) * len(results)
        for form_id, form_result, was_censored in zip(ids, results, censored, strict=True):
            value = _alchemy_value(form_result.result, form_result.form, uploaded=form_id in uploaded_to_r2)
            state = GENERATION_STATE.censored if was_censored else GENERATION_STATE.ok
            submits.append(build_alchemy_submit(form_id, form_result.form, value, state=state))
    return tuple(submits)
