"""`HordeWorkerJob`: the generations of one dispatched job, with the dispatch metadata and the job's settings."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from horde_sdk.worker.consts import (
    DEFAULT_ERROR_LIMITS,
    DEFAULT_RESULT_IMAGE_QUALITY,
    DEFAULT_SUBMIT_RETRIES,
    ERROR_PRONE_STATES,
    GENERATION_PROGRESS,
    KNOWN_DISPATCH_SOURCES,
    KNOWN_RESULT_IMAGE_FORMATS,
)
from horde_sdk.worker.generations_base import HordeSingleGeneration

__all__ = [
    "HordeWorkerJob",
    "WorkerJobConfig",
    "WorkerJobMetadata",
]

GenerationT = TypeVar("GenerationT", bound=HordeSingleGeneration[Any])


@dataclass(frozen=True)
class WorkerJobConfig:
    """How a worker handles a job. Every field is read by the code named in its description.

    Raises:
        ValueError: If a value is out of range.
    """

    submit_retries: int = DEFAULT_SUBMIT_RETRIES
    """How many times the worker runtime retries a failed submit before reporting the generation failed."""
    error_limits: Mapping[GENERATION_PROGRESS, int] = field(default_factory=lambda: DEFAULT_ERROR_LIMITS)
    """Per state, how many errors a generation may have before it is aborted; states not given keep
    `DEFAULT_ERROR_LIMITS`. Passed to each generation a job's `from_parameters` creates."""
    result_image_format: KNOWN_RESULT_IMAGE_FORMATS = KNOWN_RESULT_IMAGE_FORMATS.webp
    """The format the worker runtime encodes image results in before submitting them."""
    result_image_quality: int = DEFAULT_RESULT_IMAGE_QUALITY
    """The encoder quality (1-100) the worker runtime uses for image results."""

    def __post_init__(self) -> None:
        if self.submit_retries < 0:
            raise ValueError(f"submit_retries must be at least 0, got {self.submit_retries}")
        if not 1 <= self.result_image_quality <= 100:
            raise ValueError(f"result_image_quality must be from 1 to 100, got {self.result_image_quality}")
        for state, limit in self.error_limits.items():
            if state not in ERROR_PRONE_STATES:
                raise ValueError(f"{state!s} cannot fail, so it has no error limit")
            if limit < 1:
                raise ValueError(f"the error limit of {state!s} must be at least 1, got {limit}")
        object.__setattr__(self, "error_limits", MappingProxyType(dict(self.error_limits)))
        object.__setattr__(self, "result_image_format", KNOWN_RESULT_IMAGE_FORMATS(self.result_image_format))


@dataclass(frozen=True)
class WorkerJobMetadata:
    """What the dispatch source said about a job, besides the generation parameters.

    Raises:
        ValueError: If there are no generation ids, an id repeats, or the TTL is negative.
    """

    job_id: str
    """The dispatch source's id of the job."""
    generation_ids: tuple[str, ...]
    """The dispatch source's id of each expected result (for the AI Horde: the pop response's ``ids``)."""
    ttl_seconds: float | None = None
    """How long the worker has, from the pop, before the dispatch source gives the job to someone else."""
    nsfw_allowed: bool = False
    """Whether the requester accepts NSFW results."""
    censor_nsfw: bool = True
    """Whether NSFW results must be censored (passed to `HordeSingleGeneration.set_safety_results`)."""
    source: str = KNOWN_DISPATCH_SOURCES.ai_horde
    """Where the job came from; a `KNOWN_DISPATCH_SOURCES` value or another source's name."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "generation_ids", tuple(self.generation_ids))
        if not self.generation_ids:
            raise ValueError("a job needs at least one generation id")
        if len(set(self.generation_ids)) != len(self.generation_ids):
            raise ValueError(f"generation ids repeat: {self.generation_ids}")
        if self.ttl_seconds is not None and (math.isnan(self.ttl_seconds) or self.ttl_seconds < 0):
            raise ValueError(f"ttl_seconds must be at least 0, got {self.ttl_seconds}")


class HordeWorkerJob(Generic[GenerationT]):
    """One dispatched job: its generations, the dispatch metadata, its deadline and its settings.

    Args:
        metadata: What the dispatch source said about the job.
        generations: The generations the job consists of (at least one).
        config: How to handle the job (defaults: `WorkerJobConfig()`).
        popped_at: When the job was received, in seconds of `clock`; now by default. The deadline is
            `popped_at + metadata.ttl_seconds`.
        clock: Returns the current time in seconds; `time.monotonic` by default.

    Raises:
        ValueError: If there are no generations, or the number of generation ids is not the number of results
            the generations produce.
    """

    def __init__(
        self,
        metadata: WorkerJobMetadata,
        generations: Sequence[GenerationT],
        *,
        config: WorkerJobConfig | None = None,
        popped_at: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not generations:
            raise ValueError("a job needs at least one generation")
        expected = sum(generation.number_expected_results for generation in generations)
        if len(metadata.generation_ids) != expected:
            raise ValueError(
                f"the generations produce {expected} results but the job has "
                f"{len(metadata.generation_ids)} generation ids",
            )
        self._metadata = metadata
        self._generations = tuple(generations)
        self._config = config if config is not None else WorkerJobConfig()
        self._clock = clock
        self._popped_at = popped_at if popped_at is not None else clock()
        self._deadline = None if metadata.ttl_seconds is None else self._popped_at + metadata.ttl_seconds

    @property
    def metadata(self) -> WorkerJobMetadata:
        """What the dispatch source said about the job."""
        return self._metadata

    @property
    def job_id(self) -> str:
        """The dispatch source's id of the job."""
        return self._metadata.job_id

    @property
    def generation_ids(self) -> tuple[str, ...]:
        """The dispatch source's id of each expected result, in the order of the generations' results."""
        return self._metadata.generation_ids

    @property
    def source(self) -> str:
        """Where the job came from."""
        return self._metadata.source

    @property
    def nsfw_allowed(self) -> bool:
        """Whether the requester accepts NSFW results."""
        return self._metadata.nsfw_allowed

    @property
    def censor_nsfw(self) -> bool:
        """Whether NSFW results must be censored."""
        return self._metadata.censor_nsfw

    @property
    def generations(self) -> tuple[GenerationT, ...]:
        """The generations of the job."""
        return self._generations

    @property
    def config(self) -> WorkerJobConfig:
        """How the job is handled."""
        return self._config

    @property
    def ttl_seconds(self) -> float | None:
        """The time to live the dispatch source gave, or `None` for no limit."""
        return self._metadata.ttl_seconds

    @property
    def popped_at(self) -> float:
        """When the job was received, in seconds of the job's clock."""
        return self._popped_at

    @property
    def deadline(self) -> float | None:
        """When the TTL runs out, in seconds of the job's clock, or `None` for no limit."""
        return self._deadline

    def remaining_ttl(self) -> float | None:
        """Return the seconds left before the deadline (never negative), or `None` for no limit.

        Returns:
            The remaining time.
        """
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._clock())

    def is_expired(self) -> bool:
        """Return whether the deadline has passed.

        Returns:
            `True` once the TTL ran out; never for a job without a TTL.
        """
        return self._deadline is not None and self._clock() >= self._deadline

    def is_finished(self) -> bool:
        """Return whether every generation reached a final state.

        Returns:
            `True` when nothing is left to do for the job.
        """
        return all(generation.is_final for generation in self._generations)

    def generation_ids_by_generation(self) -> Iterator[tuple[GenerationT, tuple[str, ...]]]:
        """Pair each generation with the generation ids of its results, in order.

        Yields:
            ``(generation, ids)``, one pair per generation.
        """
        start = 0
        for generation in self._generations:
            end = start + generation.number_expected_results
            yield generation, self._metadata.generation_ids[start:end]
            start = end

    def __repr__(self) -> str:
        return f"{type(self).__name__}(job_id={self.job_id!r}, generations={len(self._generations)})"
