"""HordeWorkerJob and the image, text and alchemy jobs."""

from __future__ import annotations

import pytest

from horde_sdk.generation_parameters import (
    AlchemyParameters,
    CaptionAlchemyParameters,
    ImageGenerationParameters,
    TextGenerationParameters,
)
from horde_sdk.worker.consts import DEFAULT_ERROR_LIMIT, GENERATION_PROGRESS, KNOWN_RESULT_IMAGE_FORMATS
from horde_sdk.worker.generations import ImageSingleGeneration
from horde_sdk.worker.job_base import HordeWorkerJob, WorkerJobConfig, WorkerJobMetadata
from horde_sdk.worker.jobs import AlchemyWorkerJob, ImageWorkerJob, TextWorkerJob

P = GENERATION_PROGRESS


class FakeClock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


def test_image_job_from_parameters_has_one_id_per_image_and_the_config_limits() -> None:
    clock = FakeClock()
    metadata = WorkerJobMetadata(
        job_id="job-1", generation_ids=("a", "b", "c"), ttl_seconds=30, nsfw_allowed=True, censor_nsfw=False
    )
    config = WorkerJobConfig(error_limits={P.SUBMITTING: 7})
    job = ImageWorkerJob.from_parameters(
        metadata, ImageGenerationParameters(prompt="cat", batch_size=3), config=config, clock=clock
    )
    (generation,) = job.generations
    assert isinstance(generation, ImageSingleGeneration)
    assert generation.generation_id == "job-1"
    assert generation.error_limits[P.SUBMITTING] == 7
    assert generation.error_limits[P.GENERATING] == DEFAULT_ERROR_LIMIT
    assert job.job_id == "job-1"
    assert job.generation_ids == ("a", "b", "c")
    assert job.nsfw_allowed
    assert not job.censor_nsfw
    assert job.source == "ai_horde"
    assert job.config is config
    assert list(job.generation_ids_by_generation()) == [(generation, ("a", "b", "c"))]
    assert repr(job) == "ImageWorkerJob(job_id='job-1', generations=1)"


def test_ttl_deadline_and_expiry_follow_the_clock() -> None:
    clock = FakeClock()
    job = TextWorkerJob.from_parameters(
        WorkerJobMetadata(job_id="t", generation_ids=("t1",), ttl_seconds=5.0),
        TextGenerationParameters(prompt="Once"),
        clock=clock,
    )
    assert job.popped_at == 10.0
    assert job.deadline == 15.0
    assert job.remaining_ttl() == 5.0
    assert not job.is_expired()
    clock.now = 14.0
    assert job.remaining_ttl() == 1.0
    clock.now = 15.0
    assert job.is_expired()
    clock.now = 99.0
    assert job.remaining_ttl() == 0.0


def test_a_job_without_ttl_never_expires() -> None:
    job = TextWorkerJob.from_parameters(
        WorkerJobMetadata(job_id="t", generation_ids=("t1",)), TextGenerationParameters(prompt="Once"), popped_at=1.0
    )
    assert job.deadline is None
    assert job.remaining_ttl() is None
    assert not job.is_expired()


def test_alchemy_job_has_one_id_per_form_and_finishes_with_its_generation() -> None:
    parameters = AlchemyParameters(source_image=b"img", forms=(CaptionAlchemyParameters(),))
    job = AlchemyWorkerJob.from_parameters(WorkerJobMetadata(job_id="al", generation_ids=("f1",)), parameters)
    assert not job.is_finished()
    job.generations[0].on_abandoned()
    assert job.is_finished()
    with pytest.raises(ValueError, match="produce 1 results but the job has 2"):
        AlchemyWorkerJob.from_parameters(WorkerJobMetadata(job_id="al", generation_ids=("f1", "f2")), parameters)


def test_a_job_of_several_generations_splits_the_ids_in_order() -> None:
    generations = [
        ImageSingleGeneration(ImageGenerationParameters(prompt="a", batch_size=2)),
        ImageSingleGeneration(ImageGenerationParameters(prompt="b")),
    ]
    job = HordeWorkerJob(WorkerJobMetadata(job_id="j", generation_ids=("1", "2", "3")), generations)
    assert [ids for _, ids in job.generation_ids_by_generation()] == [("1", "2"), ("3",)]
    with pytest.raises(ValueError, match="at least one generation"):
        HordeWorkerJob(WorkerJobMetadata(job_id="j", generation_ids=("1",)), [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generation_ids": ()}, "at least one generation id"),
        ({"generation_ids": ("a", "a")}, "repeat"),
        ({"generation_ids": ("a",), "ttl_seconds": -1}, "ttl_seconds"),
        ({"generation_ids": ("a",), "ttl_seconds": float("nan")}, "ttl_seconds"),
    ],
)
def test_metadata_is_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkerJobMetadata(job_id="j", **kwargs)  # type: ignore[arg-type]  # bad values on purpose: the error under test


def test_config_defaults_and_validation() -> None:
    config = WorkerJobConfig()
    assert config.submit_retries == 3
    assert config.result_image_format == KNOWN_RESULT_IMAGE_FORMATS.webp
    assert config.result_image_quality == 95
    assert WorkerJobConfig(result_image_format="png").result_image_format is KNOWN_RESULT_IMAGE_FORMATS.png  # type: ignore[arg-type]  # text on purpose: validation turns it into the enum member
    with pytest.raises(ValueError, match="submit_retries"):
        WorkerJobConfig(submit_retries=-1)
    with pytest.raises(ValueError, match="result_image_quality"):
        WorkerJobConfig(result_image_quality=0)
    with pytest.raises(ValueError, match="cannot fail"):
        WorkerJobConfig(error_limits={P.COMPLETE: 1})
    with pytest.raises(ValueError, match="at least 1"):
        WorkerJobConfig(error_limits={P.GENERATING: 0})
    with pytest.raises(ValueError, match="gif"):
        WorkerJobConfig(result_image_format="gif")  # type: ignore[arg-type]  # a wrong value on purpose: the error under test
