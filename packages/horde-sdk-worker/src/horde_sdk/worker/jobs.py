"""The concrete jobs: `ImageWorkerJob`, `TextWorkerJob` and `AlchemyWorkerJob`.

Each can be built directly from its generations, or with `from_parameters` from one parameter set; the
generation created then takes the job's configured error limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Self

from horde_sdk.generation_parameters import AlchemyParameters, ImageGenerationParameters, TextGenerationParameters
from horde_sdk.worker.generations import AlchemySingleGeneration, ImageSingleGeneration, TextSingleGeneration
from horde_sdk.worker.generations_base import GenerationOptions
from horde_sdk.worker.job_base import HordeWorkerJob, WorkerJobConfig, WorkerJobMetadata

__all__ = [
    "AlchemyWorkerJob",
    "ImageWorkerJob",
    "TextWorkerJob",
]


def _generation_options(
    metadata: WorkerJobMetadata, config: WorkerJobConfig, *, black_box: bool, clock: Callable[[], float]
) -> GenerationOptions:
    """Options of the one generation a `from_parameters` job creates: the job's id and configured error limits."""
    return {
        "generation_id": metadata.job_id,
        "black_box": black_box,
        "error_limits": config.error_limits,
        "clock": clock,
    }


class ImageWorkerJob(HordeWorkerJob[ImageSingleGeneration]):
    """An image job: one generation id per image of the batch."""

    @classmethod
    def from_parameters(
        cls,
        metadata: WorkerJobMetadata,
        parameters: ImageGenerationParameters,
        *,
        config: WorkerJobConfig | None = None,
        black_box: bool = False,
        popped_at: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Self:
        """Build a job with one generation of `parameters` (id: the job id; error limits: the config's).

        Args:
            metadata: What the dispatch source said about the job.
            parameters: What to generate.
            config: How to handle the job (defaults: `WorkerJobConfig()`).
            black_box: Whether the backend only reports "generating" and "done".
            popped_at: When the job was received (now by default).
            clock: The clock of the job and its generation.

        Returns:
            The job.
        """
        config = config if config is not None else WorkerJobConfig()
        generation = ImageSingleGeneration(
            parameters, **_generation_options(metadata, config, black_box=black_box, clock=clock)
        )
        return cls(metadata, [generation], config=config, popped_at=popped_at, clock=clock)


class TextWorkerJob(HordeWorkerJob[TextSingleGeneration]):
    """A text job: one generation id per text of the batch."""

    @classmethod
    def from_parameters(
        cls,
        metadata: WorkerJobMetadata,
        parameters: TextGenerationParameters,
        *,
        config: WorkerJobConfig | None = None,
        black_box: bool = False,
        popped_at: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Self:
        """Build a job with one generation of `parameters` (id: the job id; error limits: the config's).

        Args:
            metadata: What the dispatch source said about the job.
            parameters: What to generate.
            config: How to handle the job (defaults: `WorkerJobConfig()`).
            black_box: Whether the backend only reports "generating" and "done".
            popped_at: When the job was received (now by default).
            clock: The clock of the job and its generation.

        Returns:
            The job.
        """
        config = config if config is not None else WorkerJobConfig()
        generation = TextSingleGeneration(
            parameters, **_generation_options(metadata, config, black_box=black_box, clock=clock)
        )
        return cls(metadata, [generation], config=config, popped_at=popped_at, clock=clock)


class AlchemyWorkerJob(HordeWorkerJob[AlchemySingleGeneration]):
    """An alchemy job: one generation id per form."""

    @classmethod
    def from_parameters(
        cls,
        metadata: WorkerJobMetadata,
        parameters: AlchemyParameters,
        *,
        config: WorkerJobConfig | None = None,
        black_box: bool = False,
        popped_at: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Self:
        """Build a job with one generation of `parameters` (id: the job id; error limits: the config's).

        Args:
            metadata: What the dispatch source said about the job.
            parameters: The forms and their source image.
            config: How to handle the job (defaults: `WorkerJobConfig()`).
            black_box: Whether the backend only reports "generating" and "done".
            popped_at: When the job was received (now by default).
            clock: The clock of the job and its generation.

        Returns:
            The job.
        """
        config = config if config is not None else WorkerJobConfig()
        generation = AlchemySingleGeneration(
            parameters, **_generation_options(metadata, config, black_box=black_box, clock=clock)
        )
        return cls(metadata, [generation], config=config, popped_at=popped_at, clock=clock)
