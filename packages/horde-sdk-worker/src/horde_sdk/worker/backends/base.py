"""The backend protocols: what the worker runtime asks of the engine that does the actual work.

A backend is the only part of a worker that touches a model. The runtime (`horde_sdk.worker.runtime`) pops
jobs, downloads their input images, calls the backend with a `*JobInput`, and then checks, uploads and submits
what the backend returned. A backend never talks to the AI Horde.

* `ImageBackend`: ``generate_images(job) -> ImageBackendResult`` (encoded images, optionally safety verdicts).
* `TextBackend`: ``generate_texts(job) -> tuple[str, ...]``.
* `AlchemyBackend`: ``run_forms(job) -> tuple[AlchemyFormResult, ...]``.

Every method is a coroutine. A backend that computes on the CPU or GPU in a blocking call should run it with
``anyio.to_thread.run_sync`` so that the runtime stays responsive; the runtime bounds every call with a
timeout and treats an exception, a timeout or a wrong number of results as a failed generation (it retries
within the job's error limits and time to live, then reports the job ``faulted``).

A backend is an async context manager: the runtime enters it once before popping the first job (load models,
open connections) and leaves it when it stops.

What an image backend can do is data, not guesswork: `ImageBackend.features` is an
`ImageGenerationFeatureFlags` of the *supported* side (``horde_sdk.generation_parameters``): the source-image modes
(`source_processing`: img2img, inpainting, outpainting, remix), `post_processing` and the `post_processors`, `loras`,
`textual_inversion`, `controlnet` (and `controlnet_types`), `hires_fix`, `tiling`, `clip_skip`, `samplers`,
`schedulers`, `extra_source_images`, ... The runtime intersects it with the deploy configuration: the pop only asks
the horde for what both allow (``allow_img2img`` needs img2img or remix here, ``allow_painting`` inpainting or
outpainting, ``allow_post_processing`` post-processing, ``allow_lora`` LoRas, ``allow_controlnet`` ControlNet), and
`ImageWorkerDeployConfig`'s other limits still apply. Declare only what the engine really runs: a feature left out is
a job the horde is not asked for, a feature claimed but not run is a wrong image delivered to a user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from horde_sdk.generation_parameters import (
    AlchemyParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    TextGenerationParameters,
)
from horde_sdk.worker.generations import AlchemyFormResult
from horde_sdk.worker.generations_base import SafetyCheckResult

__all__ = [
    "AlchemyBackend",
    "AlchemyJobInput",
    "BackendError",
    "ImageBackend",
    "ImageBackendResult",
    "ImageJobInput",
    "TextBackend",
    "TextJobInput",
    "WorkerBackend",
]


class BackendError(RuntimeError):
    """A backend could not do what was asked; the message says why (and never holds prompts or secrets)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageJobInput:
    """One image job as the backend sees it: the parameters with every input image downloaded."""

    job_id: str
    """The id of the job (for logs)."""
    parameters: ImageGenerationParameters = field(repr=False)
    """What to generate. Input images (img2img source and mask, remix and ControlNet images) are `bytes`."""
    model: str | None
    """The model to run, as the horde named it."""
    seeds: tuple[int, ...]
    """The seed of each image of the batch; ``len(seeds)`` images are expected, in this order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageBackendResult:
    """What an image backend made."""

    images: tuple[bytes, ...] = field(repr=False)
    """One encoded image per seed, in the order of `ImageJobInput.seeds`; WebP is what the horde stores."""
    safety: tuple[SafetyCheckResult, ...] | None = None
    """One verdict per image when the backend ran a safety check; None when it did not (see
    `ImageBackend.runs_safety_check`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TextJobInput:
    """One text job as the backend sees it."""

    job_id: str
    """The id of the job (for logs)."""
    parameters: TextGenerationParameters = field(repr=False)
    """What to generate: the prompt, the sampling settings, `batch_size` texts. Extra images are `bytes`."""
    model: str | None
    """The model the horde asked for (the one the worker announced)."""
    softprompt: str | None = None
    """The soft prompt to load, if any."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlchemyJobInput:
    """One alchemy job (one or more forms over one source image) as the backend sees it."""

    job_id: str
    """The id of the job (for logs)."""
    parameters: AlchemyParameters = field(repr=False)
    """The forms to run; `parameters.source_image` is the downloaded image (`bytes`)."""


class WorkerBackend(Protocol):
    """What every backend has: a name for logs, and an async context for loading and unloading."""

    name: str
    """A short name for logs and the summary (``demo``, ``koboldai``, an engine's name)."""

    async def __aenter__(self) -> Self:
        """Load what the backend needs (models, connections) before the first job."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Release what the backend holds."""
        ...


@runtime_checkable
class ImageBackend(WorkerBackend, Protocol):
    """Generates images."""

    runs_safety_check: bool
    """Whether `ImageBackendResult.safety` is filled: the runtime then censors what must be censored. When False,
    the worker announces no safety check of its own and submits the images as they are."""

    features: ImageGenerationFeatureFlags
    """What the backend can run (the supported side of the flags; see the module docstring). The pop asks the horde
    only for jobs both this and the deploy configuration allow; txt2img is always supported."""

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        """Generate ``len(job.seeds)`` images (post-processors included, see `parameters.post_processing`).

        Args:
            job: What to generate.

        Returns:
            The encoded images, and their safety verdicts when `runs_safety_check`.

        Raises:
            BackendError: If the images cannot be made (any other exception counts the same).
        """
        ...


@runtime_checkable
class TextBackend(WorkerBackend, Protocol):
    """Generates text."""

    async def generate_texts(self, job: TextJobInput) -> tuple[str, ...]:
        """Generate ``job.parameters.batch_size`` continuations of the prompt.

        Args:
            job: What to generate.

        Returns:
            One text per batch entry.

        Raises:
            BackendError: If the texts cannot be made (any other exception counts the same).
        """
        ...


@runtime_checkable
class AlchemyBackend(WorkerBackend, Protocol):
    """Runs alchemy forms (captions, interrogation, NSFW checks, upscaling, background removal...)."""

    async def run_forms(self, job: AlchemyJobInput) -> tuple[AlchemyFormResult, ...]:
        """Run every form of ``job.parameters.forms`` over the source image.

        Args:
            job: The forms and the source image.

        Returns:
            One `AlchemyFormResult` per form, in form order, named with the form's wire name
            (``form.get_form_name()``). Image results (upscalers, face fixers, strip_background) are encoded
            image `bytes`; the runtime uploads them. Text results are `str`; structured results are mappings.

        Raises:
            BackendError: If the forms cannot be run (any other exception counts the same).
        """
        ...
