"""`JobPipeline`: one popped job from its pop to its submit (or its ``faulted`` report), through the state machine.

Every job goes through the same steps, whatever its kind:

1. ``PRELOADING``: its input images are fetched (presigned URLs) or decoded (base64);
2. ``GENERATING``: the backend is called, bounded by `RuntimeOptions.generate_timeout` and the job's deadline;
3. ``SAFETY_CHECKING`` (images, when the backend checks): NSFW results of censored jobs and CSAM are replaced;
4. ``PENDING_SUBMIT``: image results are uploaded to their presigned URLs (retried; images fall back to base64);
5. ``SUBMITTING``: one submit per generation id, retried on transient failures until the deadline;
6. ``COMPLETE``.

A failing stage moves the generation to ``ERROR`` and is retried while the job's error limits and deadline allow;
after that, or when the job is cancelled (shutdown), every generation id is submitted ``faulted`` (shielded from
the cancellation) so that the horde hands the work to another worker at once. Only a job none of whose reports
get through before its ttl runs out (the horde refuses them, or cannot be reached) is counted ``unreported``: the
horde takes it back by itself when its ttl runs out and gives it to another worker.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobSubmitRequest,
    ImageGenerateJobSubmitRequest,
    ImageGenerationMetadataEntry,
    JobSubmitResponse,
    TextGenerateJobSubmitRequest,
)
from horde_sdk.ai_horde_api.consts import METADATA_TYPE, METADATA_VALUE, RC, WORKER_TYPE
from horde_sdk.generation_parameters import AlchemyParameters, ImageGenerationParameters, TextGenerationParameters
from horde_sdk.generic_api.exceptions import HordeAPIError, HordeError
from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPIManualClient
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.backends.base import (
    AlchemyBackend,
    AlchemyJobInput,
    ImageBackend,
    ImageJobInput,
    TextBackend,
    TextJobInput,
)
from horde_sdk.worker.consts import GENERATION_PROGRESS, OPTIONAL_GENERATION_STAGE
from horde_sdk.worker.dispatch.ai_horde import (
    AIHordeDispatchParameters,
    DispatchedJob,
    DispatchFault,
    ImageToDownload,
    R2UploadError,
    build_alchemy_job_submits,
    build_faulted_submits,
    build_image_job_submits,
    build_text_job_submits,
    image_metadata,
    upload_to_r2_async,
)
from horde_sdk.worker.generations import (
    AlchemyFormResult,
    AlchemySingleGeneration,
    ImageSingleGeneration,
    TextSingleGeneration,
)
from horde_sdk.worker.generations_base import (
    HordeSingleGeneration,
    InvalidGenerationTransitionError,
    SafetyCheckResult,
)
from horde_sdk.worker.job_base import HordeWorkerJob, WorkerJobConfig, WorkerJobMetadata
from horde_sdk.worker.jobs import AlchemyWorkerJob, ImageWorkerJob, TextWorkerJob
from horde_sdk.worker.runtime.images import check_result_image
from horde_sdk.worker.runtime.inputs import (
    InputDownloadError,
    censored_placeholder_webp,
    fetch_input_images,
    with_input_images,
)
from horde_sdk.worker.runtime.options import RuntimeOptions
from horde_sdk.worker.runtime.stats import WorkerStats

__all__ = ["JobPipeline", "SubmitRequest"]

logger = get_logger(__name__)

T = TypeVar("T")

SubmitRequest = ImageGenerateJobSubmitRequest | TextGenerateJobSubmitRequest | AlchemyJobSubmitRequest
"""A submit request of any kind."""

_P = GENERATION_PROGRESS
_SEED_RANGE = 2**32 - 1


class _JobFailedError(Exception):
    """The job cannot be finished; report it faulted with this short reason."""

    def __init__(
        self,
        reason: str,
        gen_metadata: Mapping[str, Iterable[ImageGenerationMetadataEntry]] | None = None,
        *,
        error: BaseException | None = None,
    ) -> None:
        self.reason = reason
        self.gen_metadata = gen_metadata
        self.error = error
        super().__init__(reason)


class _SubmitRefusedError(Exception):
    """The horde refused a submit for good (the answer says so); carries the server error."""

    def __init__(self, error: HordeAPIError) -> None:
        self.error = error
        super().__init__(str(error))


@dataclass
class _JobContext:
    """The state of one job while it runs."""

    job: HordeWorkerJob[Any]
    dispatch: AIHordeDispatchParameters
    kind: WORKER_TYPE
    uploaded: set[str] = field(default_factory=set)
    submits: tuple[SubmitRequest, ...] = ()
    kudos: float = 0.0

    @property
    def generation(self) -> HordeSingleGeneration[Any]:
        generation: HordeSingleGeneration[Any] = self.job.generations[0]
        return generation

    @property
    def short_id(self) -> str:
        return self.job.job_id[:8]


def _describe(error: BaseException) -> str:
    """A short, secret-free description of why a stage failed."""
    if isinstance(error, TimeoutError):
        return "timed out"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


class JobPipeline:
    """Runs popped jobs to their end; one instance serves every job of a runtime.

    Args:
        client: The worker's async AI Horde client (its key is the worker owner's).
        options: Timing and retry settings.
        stats: Where outcomes are counted.
        job_config: Error limits and submit retries of each job.
        image_backend: The image backend (None when images are not served).
        text_backend: The text backend (None when text is not served).
        alchemy_backend: The alchemy backend (None when alchemy is not served).
        clock: Returns the current time in seconds (the clock of job deadlines).
    """

    def __init__(
        self,
        client: GenericAsyncHordeAPIManualClient,
        *,
        options: RuntimeOptions,
        stats: WorkerStats,
        job_config: WorkerJobConfig,
        image_backend: ImageBackend | None = None,
        text_backend: TextBackend | None = None,
        alchemy_backend: AlchemyBackend | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._options = options
        self._stats = stats
        self._job_config = job_config
        self._image_backend = image_backend
        self._text_backend = text_backend
        self._alchemy_backend = alchemy_backend
        self._clock = clock

    # ------------------------------------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------------------------------------

    async def run(self, dispatched: DispatchedJob[Any], popped_at: float) -> None:
        """Run one job to its end: submitted, or reported faulted (also when cancelled, then shielded).

        A job that cannot even be set up (its ids, ttl or parameters refused by the job's own checks) is reported
        faulted without running.

        Args:
            dispatched: The job as the dispatch conversion gave it.
            popped_at: When it was popped (the runtime's clock).
        """
        context = await self._context_or_fault(dispatched, popped_at)
        if context is None:
            return
        log = logger.bind(job=context.short_id, kind=str(context.kind))
        try:
            await self._process(context, dispatched)
        except _JobFailedError as failure:
            await self._report_failure(context, failure.reason, failure.gen_metadata)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._report_failure(context, "shutdown")
            raise
        except Exception as error:  # a fault in a backend adapter or in this code: never lose the job
            log.exception("job failed unexpectedly", error=_describe(error))
            await self._report_failure(context, "internal error")

    async def run_cancelled(self, dispatched: DispatchedJob[Any], popped_at: float, reason: str) -> None:
        """Report a job faulted without running it (it was still queued when the worker stopped).

        Args:
            dispatched: The job.
            popped_at: When it was popped.
            reason: Why it is not run.
        """
        context = await self._context_or_fault(dispatched, popped_at)
        if context is None:
            return
        with anyio.CancelScope(shield=True):
            await self._report_failure(context, reason)

    async def report_dispatch_fault(self, fault: DispatchFault, popped_at: float) -> None:
        """Report a job the horde sent in a form the worker cannot run (shielded from cancellation).

        Never raises: a report that cannot be built or sent counts the job as unreported.

        Args:
            fault: The unusable job.
            popped_at: When it was popped.
        """
        ttl = fault.ttl if fault.ttl is not None else self._options.default_ttl
        deadline = popped_at + max(ttl, self._options.fault_timeout)
        logger.warning("job cannot be run; reporting it faulted", job=fault.job_id[:8], reason=fault.reason)
        with anyio.CancelScope(shield=True):
            try:
                reported = await self._submit_faults(build_faulted_submits(fault), deadline)
            except Exception as error:  # noqa: BLE001 - a report that cannot even be built: count it, go on
                logger.error("faulted report could not be built", job=fault.job_id[:8], error=_describe(error))  # noqa: TRY400 - the reason is enough
                reported = False
        if reported:
            self._stats.record_faulted("unusable job")
        else:
            self._stats.record_unreported()

    async def _context_or_fault(self, dispatched: DispatchedJob[Any], popped_at: float) -> _JobContext | None:
        """The job's context; None when the job cannot be set up, after reporting it faulted."""
        try:
            return self._context(dispatched, popped_at)
        except Exception as error:  # noqa: BLE001 - whatever the job holds, it is reported, never raised
            dispatch = dispatched.dispatch_parameters
            ids = tuple(dict.fromkeys(dispatch.generation_ids))
            fault = DispatchFault(
                worker_type=dispatch.worker_type,
                job_id=ids[0] if ids else dispatch.job_id,
                generation_ids=ids,
                reason=f"the job cannot be set up: {_describe(error)}",
                alchemy_form=dispatch.alchemy_form,
            )
            await self.report_dispatch_fault(fault, popped_at)
            return None

    # ------------------------------------------------------------------------------------------------
    # Building the job
    # ------------------------------------------------------------------------------------------------

    def _context(self, dispatched: DispatchedJob[Any], popped_at: float) -> _JobContext:
        dispatch = dispatched.dispatch_parameters
        parameters = dispatched.generation_parameters
        ttl = float(dispatch.ttl) if dispatch.ttl is not None else self._options.default_ttl
        metadata = WorkerJobMetadata(
            job_id=dispatch.job_id,
            generation_ids=dispatch.generation_ids,
            ttl_seconds=ttl,
            censor_nsfw=dispatch.censor_nsfw,
            nsfw_allowed=not dispatch.censor_nsfw,
        )
        common: dict[str, Any] = {
            "generation_id": dispatch.job_id,
            "requires_preloading": True,
            "requires_post_processing": False,
            "requires_submit": True,
            "error_limits": self._job_config.error_limits,
            "clock": self._clock,
        }
        job: HordeWorkerJob[Any]
        if isinstance(parameters, ImageGenerationParameters):
            runs_safety = self._image_backend is not None and self._image_backend.runs_safety_check
            image = ImageSingleGeneration(parameters, requires_safety_check=runs_safety, **common)
            job = ImageWorkerJob(metadata, [image], config=self._job_config, popped_at=popped_at, clock=self._clock)
        elif isinstance(parameters, TextGenerationParameters):
            text = TextSingleGeneration(parameters, requires_safety_check=False, **common)
            job = TextWorkerJob(metadata, [text], config=self._job_config, popped_at=popped_at, clock=self._clock)
        elif isinstance(parameters, AlchemyParameters):
            alchemy = AlchemySingleGeneration(parameters, requires_safety_check=False, **common)
            job = AlchemyWorkerJob(
                metadata, [alchemy], config=self._job_config, popped_at=popped_at, clock=self._clock
            )
        else:  # pragma: no cover - the dispatch conversion only makes these three
            raise TypeError(f"no pipeline for {type(parameters).__name__}")
        return _JobContext(job=job, dispatch=dispatch, kind=dispatch.worker_type)

    # ------------------------------------------------------------------------------------------------
    # Stages
    # ------------------------------------------------------------------------------------------------

    def _time_left(self, context: _JobContext) -> float:
        """Seconds the job may still work before it must be reported (deadline minus the margin)."""
        remaining = context.job.remaining_ttl()
        if remaining is None:  # pragma: no cover - every runtime job has a ttl
            return math.inf
        return remaining - self._options.ttl_margin

    async def _stage(
        self,
        context: _JobContext,
        enter: Callable[[], object],
        action: Callable[[], Awaitable[T]],
        *,
        limit: float,
        what: str,
    ) -> T:
        """Enter a state and run its work, retrying it after failures while the limits and the deadline allow."""
        generation = context.generation
        enter()
        while True:
            budget = min(limit, self._time_left(context))
            if budget <= 0:
                raise _JobFailedError("out of time")
            try:
                with anyio.fail_after(budget):
                    return await action()
            except _JobFailedError:
                raise
            except Exception as error:  # noqa: BLE001 - every failure of a stage is counted the same way
                reason = f"{what}: {_describe(error)}"
                state = generation.on_error(reason, error)
                if state == _P.ABORTED:
                    raise _JobFailedError(self._short_reason(error, what), error=error) from None
                if self._time_left(context) <= 0:
                    raise _JobFailedError("out of time") from None
                generation.on_retry()

    async def _check_images(self, images: Sequence[object]) -> None:
        """Refuse results that are no image, or larger than the cap, before anything is uploaded or submitted."""
        cap = self._options.max_result_image_bytes
        for image in images:
            await anyio.to_thread.run_sync(functools.partial(check_result_image, image, max_bytes=cap))

    @staticmethod
    def _short_reason(error: BaseException, what: str) -> str:
        if isinstance(error, TimeoutError):
            return f"{what} timeout"
        if isinstance(error, InputDownloadError):
            return "input download failed"
        return f"{what} error"

    async def _process(self, context: _JobContext, dispatched: DispatchedJob[Any]) -> None:
        generation = context.generation
        images = context.dispatch.images_to_download

        async def preload() -> Any:  # noqa: ANN401 - the parameters of any kind
            if not images:
                return dispatched.generation_parameters
            inputs = await fetch_input_images(
                self._client.transport,
                images,
                seconds_per_image=self._options.download_timeout,
                max_bytes=self._options.max_input_image_bytes,
            )
            return with_input_images(dispatched.generation_parameters, inputs)

        try:
            parameters = await self._stage(context, generation.on_preloading, preload, limit=math.inf, what="download")
        except _JobFailedError as failure:
            failed = failure.error.image if isinstance(failure.error, InputDownloadError) else None
            raise _JobFailedError(failure.reason, self._download_metadata(context, failed)) from None
        generation.on_preloading_complete()

        if context.kind == WORKER_TYPE.image:
            await self._generate_image(context, parameters)
        elif context.kind == WORKER_TYPE.text:
            await self._generate_text(context, parameters)
        else:
            await self._generate_alchemy(context, parameters)

        generation.on_submitting()
        await self._submit_results(context)
        generation.on_submit_complete()
        generation.on_complete()
        self._stats.record_submitted(context.job.popped_at, context.kudos)
        logger.info(
            "job submitted",
            job=context.short_id,
            kind=str(context.kind),
            kudos=round(context.kudos, 2),
            seconds=round(self._clock() - context.job.popped_at, 3),
        )

    @staticmethod
    def _download_metadata(
        context: _JobContext, failed: ImageToDownload | None
    ) -> dict[str, tuple[ImageGenerationMetadataEntry, ...]] | None:
        """Images: tell the horde which input could not be fetched (``download_failed``)."""
        if context.kind != WORKER_TYPE.image or failed is None:
            return None
        ref = str(failed.index) if failed.role == METADATA_TYPE.extra_source_images else None
        entry = image_metadata(failed.role, METADATA_VALUE.download_failed, ref)
        return dict.fromkeys(context.job.generation_ids, (entry,))

    # ------------------------------------------------------------------------------------------------
    # Per kind
    # ------------------------------------------------------------------------------------------------

    @staticmethod
    def _seeds(parameters: ImageGenerationParameters) -> tuple[int, ...]:
        """The seed of each image: the job's (text that is not a number is hashed), else a random one."""
        seed = parameters.seed.strip() if parameters.seed is not None else ""
        if seed.lstrip("-").isdigit():
            base = int(seed)
        elif seed:
            base = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:4], "big")
        else:
            base = random.randint(0, _SEED_RANGE)  # noqa: S311 - a seed, not a secret
        step = parameters.seed_variation or 1
        return tuple((base + index * step) % (_SEED_RANGE + 1) for index in range(parameters.batch_size))

    async def _generate_image(self, context: _JobContext, parameters: ImageGenerationParameters) -> None:
        backend = self._image_backend
        if backend is None:
            raise _JobFailedError("no image backend")
        generation = context.generation
        seeds = self._seeds(parameters)
        job_input = ImageJobInput(
            job_id=context.job.job_id, parameters=parameters, model=context.dispatch.model, seeds=seeds
        )

        safety: list[SafetyCheckResult] = []

        async def generate() -> None:
            result = await backend.generate_images(job_input)
            await self._check_images(result.images)
            generation.set_results(result.images)
            if backend.runs_safety_check and result.safety is None:
                raise RuntimeError("the backend announced a safety check but returned no verdicts")
            safety[:] = result.safety or ()

        await self._stage(
            context, generation.on_generating, generate, limit=self._options.generate_timeout, what="generate"
        )
        if generation.has_stage(OPTIONAL_GENERATION_STAGE.SAFETY_CHECK):
            generation.on_safety_checking()
            generation.set_safety_results(
                safety, censor_nsfw=context.job.censor_nsfw, censor_placeholder=censored_placeholder_webp()
            )
        generation.on_pending_submit()
        await self._upload_images(context, generation.results or ())
        assert isinstance(context.job, ImageWorkerJob)  # noqa: S101 - built by _context for image jobs
        context.submits = build_image_job_submits(
            context.job,
            seeds=dict(zip(context.job.generation_ids, seeds, strict=True)),
            uploaded_to_r2=context.uploaded,
        )

    async def _generate_text(self, context: _JobContext, parameters: TextGenerationParameters) -> None:
        backend = self._text_backend
        if backend is None:
            raise _JobFailedError("no text backend")
        generation = context.generation
        job_input = TextJobInput(
            job_id=context.job.job_id,
            parameters=parameters,
            model=context.dispatch.model,
            softprompt=context.dispatch.softprompt,
        )

        async def generate() -> None:
            generation.set_results(await backend.generate_texts(job_input))

        await self._stage(
            context, generation.on_generating, generate, limit=self._options.generate_timeout, what="generate"
        )
        generation.on_pending_submit()
        assert isinstance(context.job, TextWorkerJob)  # noqa: S101 - built by _context for text jobs
        context.submits = build_text_job_submits(context.job)

    async def _generate_alchemy(self, context: _JobContext, parameters: AlchemyParameters) -> None:
        backend = self._alchemy_backend
        if backend is None:
            raise _JobFailedError("no alchemy backend")
        generation = context.generation
        job_input = AlchemyJobInput(job_id=context.job.job_id, parameters=parameters)

        async def generate() -> None:
            results = await backend.run_forms(job_input)
            await self._check_images([result.result for result in results if isinstance(result.result, bytes)])
            generation.set_results(results)

        await self._stage(
            context, generation.on_generating, generate, limit=self._options.generate_timeout, what="generate"
        )
        generation.on_pending_submit()
        results: Sequence[AlchemyFormResult] = generation.results or ()
        form_id = context.job.generation_ids[0]
        image = next((result.result for result in results if isinstance(result.result, bytes)), None)
        if image is not None:
            url = context.dispatch.get_r2_upload(form_id)
            if url is None:
                raise _JobFailedError("image result without an upload URL")
            if not await self._upload(context, url, image):
                raise _JobFailedError("upload failed")
            context.uploaded.add(form_id)
        assert isinstance(context.job, AlchemyWorkerJob)  # noqa: S101 - built by _context for alchemy jobs
        context.submits = build_alchemy_job_submits(context.job, uploaded_to_r2=context.uploaded)

    # ------------------------------------------------------------------------------------------------
    # Uploads and submits
    # ------------------------------------------------------------------------------------------------

    async def _upload_images(self, context: _JobContext, images: Sequence[bytes]) -> None:
        """Upload each image to its presigned URL; an image whose upload fails is submitted as base64 instead."""
        for generation_id, image in zip(context.job.generation_ids, images, strict=True):
            url = context.dispatch.get_r2_upload(generation_id)
            if url is not None and await self._upload(context, url, image):
                context.uploaded.add(generation_id)

    async def _upload(self, context: _JobContext, url: str, content: bytes) -> bool:
        attempts = self._options.upload_retries + 1
        for attempt in range(1, attempts + 1):
            budget = min(self._options.upload_timeout, self._time_left(context))
            if budget <= 0:
                return False
            try:
                with anyio.fail_after(budget):
                    await upload_to_r2_async(self._client.transport, url, content)
            except (R2UploadError, TimeoutError) as error:
                logger.warning("upload failed", job=context.short_id, attempt=attempt, reason=_describe(error))
                if attempt < attempts:
                    await anyio.sleep(min(self._options.retry_pause(attempt), max(0.0, self._time_left(context))))
                continue
            return True
        return False

    async def _submit_results(self, context: _JobContext) -> None:
        deadline = context.job.deadline
        assert deadline is not None  # noqa: S101 - every runtime job has a ttl
        for request in context.submits:
            try:
                context.kudos += await self._submit(request, deadline, self._job_config.submit_retries)
            except _SubmitRefusedError as refused:
                raise _JobFailedError(f"submit refused ({refused.error.rc or refused.error.status_code})") from None
            except (HordeError, TimeoutError) as error:
                raise _JobFailedError(f"submit failed: {_describe(error)}") from None

    async def _submit(self, request: SubmitRequest, deadline: float, retries: int) -> float:
        """Send one submit, retrying transient failures until `retries` or the deadline; return the reward.

        A ``DuplicateGen`` answer means an earlier attempt got through (its answer was lost): that is success.
        """
        attempt = 0
        while True:
            budget = min(self._options.submit_timeout, deadline - self._clock())
            if budget <= 0:
                raise TimeoutError("no time left to submit")
            try:
                with anyio.fail_after(budget):
                    response = await self._client.submit_request(request, JobSubmitResponse)
                return float(response.reward or 0.0)
            except HordeAPIError as error:
                if error.rc == RC.DuplicateGen:
                    return 0.0
                if error.status_code < 500 and error.status_code != 429:
                    raise _SubmitRefusedError(error) from None
                failure: BaseException = error
            except (HordeError, TimeoutError) as error:
                failure = error
            attempt += 1
            pause = self._options.retry_pause(attempt)
            if attempt > retries or self._clock() + pause >= deadline:
                raise failure
            logger.info("submit failed; retrying", attempt=attempt, reason=_describe(failure))
            await anyio.sleep(pause)

    async def _submit_faults(self, requests: Sequence[SubmitRequest], deadline: float) -> bool:
        """Send ``faulted`` submits; True when every one got through (or the horde already took the job back)."""
        reported = True
        for request in requests:
            try:
                await self._submit(request, deadline, retries=max(self._job_config.submit_retries, 5))
            except _SubmitRefusedError as refused:
                # AbortedGen: the horde already took the job back; InvalidJobID: it has no such job in flight (an
                # id a malformed pop made up). Others: the horde takes the job back once its ttl runs out.
                if refused.error.rc not in (RC.AbortedGen, RC.InvalidJobID):
                    logger.warning("faulted report refused", reason=str(refused.error.rc or refused.error.status_code))
                    reported = False
            except (HordeError, TimeoutError) as error:
                logger.warning("faulted report failed", reason=_describe(error))
                reported = False
        return reported

    async def _report_failure(
        self,
        context: _JobContext,
        reason: str,
        gen_metadata: Mapping[str, Iterable[ImageGenerationMetadataEntry]] | None = None,
    ) -> None:
        generation = context.generation
        if not generation.is_final and generation.state != _P.ABORTED:
            try:
                generation.on_abort(reason)
            except InvalidGenerationTransitionError:  # pragma: no cover - ABORTED is reachable from every live state
                logger.warning("generation could not be aborted", job=context.short_id, state=str(generation.state))
        requests = build_faulted_submits(
            worker_type=context.kind, generation_ids=context.job.generation_ids, gen_metadata=gen_metadata
        )
        deadline = max(context.job.deadline or self._clock(), self._clock() + self._options.fault_timeout)
        with anyio.move_on_after(self._options.fault_timeout + self._options.ttl_margin):
            reported = await self._submit_faults(requests, deadline)
            if reported:
                self._finish_failed(generation, reported=True)
                self._stats.record_faulted(reason)
                logger.warning("job reported faulted", job=context.short_id, kind=str(context.kind), reason=reason)
                return
        self._finish_failed(generation, reported=False)
        self._stats.record_unreported()
        logger.error("job could not be reported", job=context.short_id, kind=str(context.kind), reason=reason)

    @staticmethod
    def _finish_failed(generation: HordeSingleGeneration[Any], *, reported: bool) -> None:
        if generation.is_final:
            return
        try:
            if reported:
                generation.on_reported_failed()
            else:
                generation.on_abandoned()
        except InvalidGenerationTransitionError:  # pragma: no cover - both are reachable from ABORTED
            logger.warning("generation could not be closed", state=str(generation.state))
