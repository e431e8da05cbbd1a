"""Finished worker jobs become the submissions the AI Horde expects (BEHAVIOUR.md)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pytest

from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generation_parameters import (
    AlchemyParameters,
    CaptionAlchemyParameters,
    ImageGenerationParameters,
    TextGenerationParameters,
)
from horde_sdk.generation_parameters.alchemy import get_alchemy_form_parameters
from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings
from horde_sdk.worker.consts import GENERATION_PROGRESS as P
from horde_sdk.worker.dispatch.ai_horde import (
    JobNotFinishedError,
    build_alchemy_job_submits,
    build_image_job_submits,
    build_text_job_submits,
)
from horde_sdk.worker.generations import AlchemyFormResult
from horde_sdk.worker.generations_base import HordeSingleGeneration, SafetyCheckResult
from horde_sdk.worker.job_base import WorkerJobMetadata
from horde_sdk.worker.jobs import AlchemyWorkerJob, ImageWorkerJob, TextWorkerJob

CORE = RequestCore(
    HordeClientSettings(),
    header_fields=AIHordeHeaderFields,
    query_fields=AIHordeQueryFields,
    path_fields=AIHordePathFields,
)


def wire(request: Any) -> dict[str, Any]:
    body: dict[str, Any] = CORE.build(request).json_body
    return body


def finish(
    generation: HordeSingleGeneration[Any],
    results: Sequence[Any],
    safety: Sequence[SafetyCheckResult] | None = None,
    *,
    censor_nsfw: bool = False,
    placeholder: Any = None,
) -> None:
    """Walk a generation through whatever stages it has, up to PENDING_SUBMIT."""
    for step in (P.PRELOADING, P.PRELOADING_COMPLETE, P.GENERATING, P.POST_PROCESSING, P.SAFETY_CHECKING):
        if generation.state == P.GENERATING and generation.results is None:
            generation.set_results(results)
        if step in generation.allowed_next_states():
            generation.transition(step)
    if generation.state == P.GENERATING:
        generation.set_results(results)
    if generation.state == P.SAFETY_CHECKING:
        verdicts = safety or [SafetyCheckResult(is_nsfw=False, is_csam=False)] * len(results)
        generation.set_safety_results(verdicts, censor_nsfw=censor_nsfw, censor_placeholder=placeholder)
    generation.transition(P.PENDING_SUBMIT)


def image_job(batch: int = 3, seed: str | None = "42") -> ImageWorkerJob:
    ids = tuple(f"gen-{index}" for index in range(batch))
    return ImageWorkerJob.from_parameters(
        WorkerJobMetadata(job_id="job-1", generation_ids=ids, censor_nsfw=True),
        ImageGenerationParameters(prompt="a lighthouse", batch_size=batch, seed=seed),
    )


def test_image_batch_reports_each_image_with_its_state_seed_and_payload():
    job = image_job()
    safety = [
        SafetyCheckResult(is_nsfw=False, is_csam=False),
        SafetyCheckResult(is_nsfw=True, is_csam=False),
        SafetyCheckResult(is_nsfw=True, is_csam=True),
    ]
    finish(job.generations[0], [b"img-0", b"img-1", b"img-2"], safety, censor_nsfw=True, placeholder=b"censored")
    submits = build_image_job_submits(job, uploaded_to_r2={"gen-0", "gen-1"})
    bodies = [wire(request) for request in submits]
    assert [body["id"] for body in bodies] == ["gen-0", "gen-1", "gen-2"]
    assert [body["state"] for body in bodies] == ["ok", "censored", "csam"]
    assert [body["censored"] for body in bodies] == [False, True, True]
    assert all(body["seed"] == 42 for body in bodies)  # BEHAVIOUR.md: seed is required on image submit
    assert bodies[0]["generation"] == "R2"
    assert bodies[1]["generation"] == "R2"
    assert base64.b64decode(bodies[2]["generation"]) == b"censored"  # not uploaded: the censored image as base64


def test_seeds_per_image_override_the_parameters_and_a_missing_seed_is_an_error():
    job = image_job(batch=2, seed=None)
    finish(job.generations[0], [b"a", b"b"])
    submits = build_image_job_submits(job, seeds={"gen-0": 7, "gen-1": "8"}, uploaded_to_r2={"gen-0", "gen-1"})
    assert [wire(request)["seed"] for request in submits] == [7, 8]
    with pytest.raises(ValueError, match="no seed is known"):
        build_image_job_submits(job)


def test_a_failed_image_job_is_reported_faulted_for_every_id():
    job = image_job(batch=2)
    generation = job.generations[0]
    generation.on_abort("backend crashed")
    generation.on_reported_failed()
    bodies = [wire(request) for request in build_image_job_submits(job)]
    assert [body["state"] for body in bodies] == ["faulted", "faulted"]
    assert all("seed" in body for body in bodies)
    assert all("generation" not in body for body in bodies)


def test_an_unfinished_job_cannot_be_reported():
    job = image_job(batch=1)
    job.generations[0].on_preloading()
    with pytest.raises(JobNotFinishedError, match="preloading"):
        build_image_job_submits(job)


def test_text_job_reports_its_text():
    job = TextWorkerJob.from_parameters(
        WorkerJobMetadata(job_id="t", generation_ids=("t1",)), TextGenerationParameters(prompt="Once")
    )
    finish(job.generations[0], ["upon a time"])
    (body,) = [wire(request) for request in build_text_job_submits(job)]
    assert body == {"id": "t1", "generation": "upon a time", "state": "ok"}


def test_alchemy_results_are_objects_keyed_by_form_name():
    upscaler = get_alchemy_form_parameters("RealESRGAN_x2plus")
    parameters = AlchemyParameters(source_image=b"src", forms=(CaptionAlchemyParameters(), upscaler))  # type: ignore[arg-type]  # the factory returns the base form class; the field names the union of concrete forms
    job = AlchemyWorkerJob.from_parameters(WorkerJobMetadata(job_id="al", generation_ids=("f1", "f2")), parameters)
    finish(
        job.generations[0],
        [
            AlchemyFormResult(form="caption", result="a cat"),
            AlchemyFormResult(form="RealESRGAN_x2plus", result=b"png"),
        ],
    )
    bodies = [wire(request) for request in build_alchemy_job_submits(job, uploaded_to_r2={"f2"})]
    assert bodies == [
        {"id": "f1", "result": {"caption": "a cat"}, "state": "ok"},
        {"id": "f2", "result": {"RealESRGAN_x2plus": "R2"}, "state": "ok"},
    ]
    with pytest.raises(ValueError, match="upload it"):
        build_alchemy_job_submits(job)


def test_alchemy_verdicts_and_terms_are_submitted_as_json_values():
    """The nsfw verdict travels as a boolean and the interrogation as an object, not as JSON text."""
    forms = (get_alchemy_form_parameters("nsfw"), get_alchemy_form_parameters("interrogation"))
    parameters = AlchemyParameters(source_image=b"src", forms=forms)  # type: ignore[arg-type]  # the factory returns the base form class; the field names the union of concrete forms
    job = AlchemyWorkerJob.from_parameters(WorkerJobMetadata(job_id="al", generation_ids=("f1", "f2")), parameters)
    terms = {"tags": [{"text": "cat", "confidence": 30.0}]}
    finish(
        job.generations[0],
        [AlchemyFormResult(form="nsfw", result=False), AlchemyFormResult(form="interrogation", result=terms)],
    )
    assert [wire(request) for request in build_alchemy_job_submits(job)] == [
        {"id": "f1", "result": {"nsfw": False}, "state": "ok"},
        {"id": "f2", "result": {"interrogation": terms}, "state": "ok"},
    ]
