"""The I/O-free generation flows behind the simple clients: one generator per job kind.

A flow is a generator that *yields* actions and receives their outcomes, exactly like
:meth:`horde_sdk.generic_api.core.RequestCore.flow` one level down:

- :class:`ApiCallAction`: send this typed request through the client session within ``timeout`` seconds;
  the driver sends back the response model, or *throws* the
  :class:`~horde_sdk.generic_api.exceptions.HordeError` into the flow;
- :class:`DownloadAction`: GET these (presigned) URLs with no API header, each within ``timeout`` seconds
  and ``max_body_bytes``; the driver sends back one :class:`~horde_sdk.generic_api.core.RawResponse` or
  :class:`~horde_sdk.generic_api.core.TransportFailure` per URL, in order (it may fetch them concurrently);
- :class:`~horde_sdk.generic_api.core.SleepAction`: wait, then send back None;
- :class:`EmitAction`: hand a progress event to the caller's hook, then send back None.

The flow returns the typed job result or raises a typed error. Everything that decides something (when to
poll, when a job is impossible, faulted or late, what to cancel, how to retry a download, how to turn answers
into results) lives here once; :mod:`horde_sdk.ai_horde_api.simple_clients` drives the same flows with a
blocking round-robin driver and with an async driver.

A job's ``timeout`` bounds everything inside it: every call and download gets the smaller of the client's
call deadline and the time the job has left, so a retry sleep, a ``Retry-After`` or a rate-limit wait that
would pass the job's end fails the job at once (:class:`AIHordeGenerationTimeoutError`). Cancelling the job
afterwards has its own small budget (:data:`JOB_CANCEL_TIMEOUT`).

A flow that ends by raising has already cancelled its job on the server. A flow that is abandoned (the
driver stops it: another job's error, task cancellation, Ctrl-C) cannot yield any more, so the driver asks
:meth:`GenerationJob.cleanup_requests` what to send instead.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar

from horde_sdk.ai_horde_api import apimodels as _models
from horde_sdk.ai_horde_api._lazy import lazy_module
from horde_sdk.ai_horde_api.consts import (
    ALCHEMY_FORM_STATE,
    ALCHEMY_REQUEST_STATE,
    DEFAULT_JOB_TIMEOUT,
    JOB_CANCEL_TIMEOUT,
    WARNING_CODE,
)
from horde_sdk.ai_horde_api.exceptions import (
    AIHordeDownloadError,
    AIHordeGenerationError,
    AIHordeGenerationTimeoutError,
    AIHordeInvalidImageError,
    AIHordeJobFaultedError,
    AIHordeJobImpossibleError,
)
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.ai_horde_api.progress import JOB_KIND, JOB_STATE, GenerationProgress
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.consts import DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_TOTAL_TIMEOUT
from horde_sdk.generic_api.core import RawResponse, SleepAction, TransportFailure
from horde_sdk.generic_api.exceptions import (
    HordeError,
    HordeNotFoundError,
    HordeResponseTooLargeError,
    HordeTimeoutError,
    HordeUnexpectedResponseTypeError,
)
from horde_sdk.generic_api.log import get_logger
from horde_sdk.generic_api.settings import RetryPolicy

# Request and response models are looked up on first use through the lazy ``apimodels`` package: importing
# them all here made the client cost more at import than every model a script actually uses.
if TYPE_CHECKING:
    from horde_sdk.ai_horde_api import results as _results
    from horde_sdk.ai_horde_api.results import (
        AlchemyJobResult,
        AlchemyResult,
        ImageGenerationJobResult,
        TextGenerationJobResult,
    )
else:
    _results = lazy_module("horde_sdk.ai_horde_api.results")

if TYPE_CHECKING:
    from horde_sdk.ai_horde_api.apimodels.alchemy import (
        AlchemyAsyncRequest,
        AlchemyStatusResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.generate_image import (
        GenerateAsyncDryRunResponse,
        ImageGenerateAsyncRequest,
        ImageGenerateAsyncResponse,
        ImageGenerateCheckResponse,
        ImageGenerateStatusResponse,
        ImageGenerationEntry,
    )
    from horde_sdk.ai_horde_api.apimodels.generate_text import (
        TextGenerateAsyncRequest,
        TextGenerateAsyncResponse,
        TextGenerateStatusResponse,
    )

__all__ = [
    "ALCHEMY_POLLING",
    "IMAGE_POLLING",
    "TEXT_POLLING",
    "AlchemyJob",
    "ApiCallAction",
    "CallJob",
    "DownloadAction",
    "EmitAction",
    "FlowContext",
    "GenerationJob",
    "ImageJob",
    "ImpossiblePolicy",
    "JobAction",
    "JobFlow",
    "PollingPolicy",
    "TextJob",
    "call_flow",
    "dry_run_flow",
]

_T = TypeVar("_T")
_R = TypeVar("_R", bound=HordeResponse)

_log = get_logger(__name__)

ImpossiblePolicy = Literal["raise", "wait"]
"""What to do when no worker can serve a request: raise :class:`AIHordeJobImpossibleError` (after cancelling
the request) within one poll, or keep waiting (progress events then say ``impossible``)."""


# ------------------------------------------------------------------------------------------- actions
@dataclass(frozen=True, slots=True)
class ApiCallAction:
    """Send ``request`` through the client session; the driver sends back the response or throws the error.

    Attributes:
        request: The request.
        timeout: Seconds the whole call may take, retries and waits included (None: the client's default).
    """

    request: HordeRequest
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class DownloadAction:
    """GET each URL without API headers; the driver sends back one outcome per URL, in order.

    ``repr`` hides the URLs: presigned URLs are credentials.

    Attributes:
        urls: The URLs.
        timeout: Seconds each download may take (None: the transport's default).
        max_body_bytes: The largest body accepted per URL (None: the client's ``max_download_bytes``).
    """

    urls: tuple[str, ...] = field(repr=False)
    timeout: float | None = None
    max_body_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class EmitAction:
    """Hand ``event`` to the caller's progress hook."""

    event: GenerationProgress


JobAction = ApiCallAction | DownloadAction | EmitAction | SleepAction
JobFlow = Generator[JobAction, Any, _T]
"""A generation flow: yields :data:`JobAction` s, returns ``_T``."""


# ------------------------------------------------------------------------------------------- polling
@dataclass(frozen=True, slots=True)
class PollingPolicy:
    """How long a flow waits before each poll.

    The first poll comes ``first_delay`` after submission. After that the wait is the server's estimate
    (``wait_time``) clamped to ``[floor, ceiling]``; while the server has no estimate (``wait_time`` 0, or no
    such field), the wait starts at ``backoff_start`` and grows by ``backoff_factor`` up to ``ceiling``.

    Attributes:
        first_delay: Seconds from submission to the first poll.
        floor: The shortest wait between two polls of one job.
        ceiling: The longest wait between two polls of one job (keeps progress fresh).
        backoff_start: The first wait without an estimate.
        backoff_factor: How much each wait without an estimate grows.
    """

    first_delay: float
    floor: float
    ceiling: float
    backoff_start: float
    backoff_factor: float = 1.5

    def __post_init__(self) -> None:
        if not 0 < self.floor <= self.ceiling:
            raise ValueError(f"need 0 < floor <= ceiling, got {self.floor} and {self.ceiling}")
        if self.first_delay < 0 or self.backoff_start <= 0 or self.backoff_factor < 1:
            raise ValueError("first_delay >= 0, backoff_start > 0 and backoff_factor >= 1 are required")

    def next_delay(self, wait_time: float | None, previous: float | None) -> float:
        """Return the wait before the next poll, given the server's estimate and the previous wait."""
        if wait_time is not None and wait_time > 0:
            return min(self.ceiling, max(self.floor, float(wait_time)))
        if previous is None or previous < self.backoff_start:
            return min(self.ceiling, max(self.floor, self.backoff_start))
        return min(self.ceiling, max(self.floor, previous * self.backoff_factor))


IMAGE_POLLING = PollingPolicy(first_delay=1.0, floor=1.0, ceiling=10.0, backoff_start=2.0)
"""Image jobs poll ``/v2/generate/check/{id}``, then call ``/v2/generate/status/{id}`` once.

- floor 1 s: the server caches a check answer for 1 s, so polling faster only returns the same answer (and
  the check limit, 10/s per id, is never near);
- ceiling 10 s: a job's progress (queue position, finished of n) is never more than 10 s old, and a job
  finished early is noticed within 10 s;
- first poll after 1 s: fast workers finish small jobs in seconds, and the first check also brings the
  first ``is_possible`` verdict, so an impossible job is reported about a second after submission;
- in between the wait follows ``wait_time``. For a 20 s job that is about 3 checks and 1 status call,
  against 5 checks and 5 status calls when polling status every 4 s.

The status endpoint allows only 10 calls a minute per id: it is called exactly once per job, after
``check`` says done.
"""

TEXT_POLLING = PollingPolicy(first_delay=2.0, floor=2.0, ceiling=10.0, backoff_start=2.0)
"""Text jobs poll ``/v2/generate/text/status/{id}`` (there is no text ``check``).

That route allows 60 calls a minute; a 2 s floor uses a third of it per job, leaves room for other jobs
and never returns a cached answer. Ceiling 10 s as for images.
"""

ALCHEMY_POLLING = PollingPolicy(first_delay=1.0, floor=1.0, ceiling=5.0, backoff_start=1.0)
"""Alchemy jobs poll ``/v2/interrogate/status/{id}`` (10 calls a second allowed).

Alchemy answers carry no ``wait_time``, so the wait grows from 1 s by half each poll up to 5 s: forms such
as captions finish in seconds, upscales take longer, and 5 s bounds how late a finished form is noticed.
"""


@dataclass(frozen=True, slots=True)
class FlowContext:
    """What flows need from their client besides I/O.

    Attributes:
        retry: The retry policy (downloads follow it, treating a GET as idempotent).
        clock: A monotonic clock in seconds.
        rng: Random source of retry jitter.
        call_timeout: The client's deadline of one call (``timeouts.total``); a job gives each call the
            smaller of this and the time the job has left.
        max_download_bytes: The largest result download accepted.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    call_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES


# ---------------------------------------------------------------------------------- plain API calls
def call_flow(request: HordeRequest, expected: type[_R]) -> JobFlow[_R]:
    """A flow of one API call whose answer must be an ``expected``."""
    response = yield ApiCallAction(request)
    if not isinstance(response, expected):
        raise HordeUnexpectedResponseTypeError(
            f"expected a {expected.__name__}, the server answered with a {type(response).__name__}"
        )
    return response


class CallJob(Generic[_R]):
    """One API call run by a simple client's driver like a job (it starts nothing to clean up)."""

    def __init__(self, request: HordeRequest, expected: type[_R]) -> None:
        self.request = request
        self.expected = expected

    def run(self) -> JobFlow[_R]:
        """Return the flow."""
        return call_flow(self.request, self.expected)

    def cleanup_requests(self) -> list[HordeRequest]:
        """Nothing to clean up."""
        return []


# ------------------------------------------------------------------------------------------- jobs
class GenerationJob(Generic[_T]):
    """What every generation flow shares: submission, deadline, progress, cancelling and download retries.

    Args:
        context: The client's flow context.
        timeout: Seconds after which the job is cancelled and :class:`AIHordeGenerationTimeoutError` raised.
        on_impossible: See :data:`ImpossiblePolicy`.
        index: The job's position in its batch (reported in progress events).
    """

    kind: JOB_KIND
    polling: PollingPolicy

    def __init__(
        self,
        *,
        context: FlowContext,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_impossible: ImpossiblePolicy = "raise",
        index: int = 0,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if on_impossible not in ("raise", "wait"):
            raise ValueError(f"on_impossible must be 'raise' or 'wait', got {on_impossible!r}")
        self.context = context
        self.timeout = float(timeout)
        self.on_impossible = on_impossible
        self.index = index
        self.job_id: str | None = None
        self.kudos = 0.0
        self.n = 1
        self.settled = False
        """True once the job needs nothing more on the server (finished or cancelled)."""
        self.polls = 0
        self._started = 0.0
        self._deadline = 0.0
        self._ending = False

    # --- what each kind defines
    def _cancel_request(self, job_id: JobID) -> HordeRequest:
        raise NotImplementedError

    # --- shared pieces
    def cleanup_requests(self) -> list[HordeRequest]:
        """Return the requests that cancel this job on the server, if it is still open there."""
        if self.job_id is None or self.settled:
            return []
        return [self._cancel_request(JobID(self.job_id))]

    def _start_clock(self) -> None:
        self._started = self.context.clock()
        self._deadline = self._started + self.timeout

    def _event(
        self,
        state: JOB_STATE,
        *,
        finished: int = 0,
        queue_position: int | None = None,
        wait_time: float | None = None,
        kudos: float | None = None,
        is_possible: bool = True,
    ) -> EmitAction:
        return EmitAction(
            GenerationProgress(
                kind=self.kind,
                job_id=self.job_id or "",
                index=self.index,
                state=state,
                finished=finished,
                n=self.n,
                queue_position=queue_position or 0,
                wait_time=float(wait_time or 0),
                kudos=float(kudos if kudos is not None else self.kudos),
                is_possible=is_possible,
                elapsed=round(self.context.clock() - self._started, 3),
            )
        )

    def _call(self, request: HordeRequest) -> Generator[JobAction, Any, Any]:
        """Send ``request`` within the job's time; a call the job's end cut short times the job out."""
        remaining = self._deadline - self.context.clock()
        if remaining <= 0:
            return (yield from self._timed_out())
        bounded_by_job = remaining < self.context.call_timeout
        try:
            return (yield ApiCallAction(request, timeout=min(remaining, self.context.call_timeout)))
        except HordeTimeoutError as error:
            if bounded_by_job and not self._ending:
                return (yield from self._timed_out(error))
            raise

    def _time_left(self) -> float:
        return self._deadline - self.context.clock()

    def _wait(self, delay: float) -> Generator[JobAction, Any, bool]:
        """Sleep ``delay`` or until the deadline; return False when the deadline has passed."""
        remaining = self._deadline - self.context.clock()
        if remaining <= 0:
            return False
        yield SleepAction(min(delay, remaining))
        return self.context.clock() < self._deadline

    def _cancel(self) -> Generator[JobAction, Any, HordeResponse | None]:
        """Cancel the job on the server; return the answer (None when the server no longer knows the job)."""
        if self.job_id is None or self.settled:
            return None
        try:
            answer: HordeResponse = yield ApiCallAction(
                self._cancel_request(JobID(self.job_id)), timeout=max(self._time_left(), 0.001)
            )
        except HordeNotFoundError:
            self.settled = True
            return None
        self.settled = True
        return answer

    def _download(self, urls: Sequence[str]) -> Generator[JobAction, Any, list[bytes]]:
        """Download every URL, retrying what failed as the retry policy says (URLs never appear in errors)."""
        results: dict[int, bytes] = {}
        pending = list(range(len(urls)))
        attempt = 1
        policy = self.context.retry
        while pending:
            remaining = self._time_left()
            if remaining <= 0:
                return (yield from self._timed_out())
            bounded_by_job = remaining < self.context.call_timeout
            outcomes: Sequence[RawResponse | TransportFailure] = yield DownloadAction(
                tuple(urls[i] for i in pending),
                timeout=min(remaining, self.context.call_timeout),
                max_body_bytes=self.context.max_download_bytes,
            )
            failed: list[int] = []
            delays: list[float | None] = []
            reason = ""
            for position, outcome in zip(pending, outcomes, strict=True):
                if isinstance(outcome, RawResponse) and 200 <= outcome.status_code < 300:
                    results[position] = outcome.content
                    continue
                failed.append(position)
                if isinstance(outcome, RawResponse):
                    reason = f"HTTP {outcome.status_code}"
                    delays.append(
                        policy.delay_after_status(
                            attempt=attempt,
                            status_code=outcome.status_code,
                            idempotent=True,
                            headers=outcome.headers,
                            rng=self.context.rng,
                        )
                    )
                elif outcome.kind == "too_large":
                    raise AIHordeDownloadError(
                        f"a result is larger than the {self.context.max_download_bytes} bytes accepted",
                        job_id=self.job_id,
                        kind=self.kind,
                    ) from HordeResponseTooLargeError(
                        limit=self.context.max_download_bytes, method="GET", path="(download)"
                    )
                elif outcome.kind == "timeout" and bounded_by_job and not self._ending:
                    return (yield from self._timed_out())
                else:
                    reason = f"{outcome.kind}: {outcome.detail}"
                    delays.append(
                        policy.delay_after_transport_failure(
                            attempt=attempt,
                            idempotent=True,
                            may_have_reached_server=outcome.may_have_reached_server,
                            rng=self.context.rng,
                        )
                    )
            if failed:
                if any(delay is None for delay in delays):
                    raise AIHordeDownloadError(
                        f"downloading {len(failed)} result(s) failed after {attempt} attempt(s) ({reason})",
                        job_id=self.job_id,
                        kind=self.kind,
                    )
                wait = max(delay for delay in delays if delay is not None)
                if wait >= self._time_left() and not self._ending:
                    return (yield from self._timed_out())
                yield SleepAction(wait)
                attempt += 1
            pending = failed
        return [results[i] for i in range(len(urls))]

    def _checked_image(self, data: bytes) -> bytes:
        """Return ``data`` when it is an image (:func:`~horde_sdk.ai_horde_api.results.check_image`)."""
        try:
            _results.check_image(data)
        except ValueError as error:
            raise AIHordeInvalidImageError(str(error), job_id=self.job_id, kind=self.kind) from None
        return data

    def _fail(
        self,
        error_type: type[AIHordeGenerationError],
        reason: str,
        **extra: Any,  # noqa: ANN401 - error fields
    ) -> Generator[JobAction, Any, NoReturn]:
        """Cancel the job, gather what had finished, report ``cancelled`` or ``faulted`` and raise.

        Ending gets its own budget: at most :data:`JOB_CANCEL_TIMEOUT` seconds from now.
        """
        self._ending = True
        self._deadline = self.context.clock() + JOB_CANCEL_TIMEOUT
        cause: BaseException | None = extra.pop("cause", None)
        answer = None
        try:
            answer = yield from self._cancel()
        except HordeError as error:
            if error_type is not AIHordeGenerationTimeoutError:
                raise
            # The driver and the session try again on their way out; the timeout is the news.
            _log.warning("cancelling a timed-out job failed", error=type(error).__name__)
        partial = None
        if answer is not None:
            try:
                partial = yield from self._partial_result(answer)
            except (AIHordeDownloadError, HordeError):
                partial = None
        state = JOB_STATE.faulted if error_type is AIHordeJobFaultedError else JOB_STATE.cancelled
        yield self._event(state)
        raise error_type(reason, job_id=self.job_id, kind=self.kind, partial_result=partial, **extra) from cause

    def _timed_out(self, cause: BaseException | None = None) -> Generator[JobAction, Any, NoReturn]:
        return self._fail(
            AIHordeGenerationTimeoutError,
            f"not finished within {self.timeout:g} s; cancelled on the server",
            timeout=self.timeout,
            cause=cause,
        )

    def _partial_result(self, answer: HordeResponse) -> Generator[JobAction, Any, _T | None]:
        """Turn a cancel answer into the job result holding what had finished (None: nothing usable)."""
        del answer
        yield from ()
        return None

    def run(self) -> JobFlow[_T]:
        """Return the job's flow."""
        raise NotImplementedError

    def _check_warnings(
        self, response: ImageGenerateAsyncResponse | TextGenerateAsyncResponse
    ) -> Generator[JobAction, Any, None]:
        codes = tuple(str(warning.code) for warning in response.warnings or () if warning.code)
        if WARNING_CODE.NoAvailableWorker in codes and self.on_impossible == "raise":
            yield from self._fail(
                AIHordeJobImpossibleError,
                "no worker can serve this request now (NoAvailableWorker); cancelled on the server",
                warnings=codes,
            )

    def _poll_verdict(self, answer: ImageGenerateCheckResponse) -> Generator[JobAction, Any, bool]:
        """Report progress of an image or text poll, raise for faulted/impossible; return True when done."""
        finished = answer.finished or 0
        if answer.done and not answer.faulted:
            return True
        if answer.faulted:
            yield from self._fail(AIHordeJobFaultedError, "the server reports the request as faulted")
        if not answer.is_possible:
            if self.on_impossible == "raise":
                yield from self._fail(
                    AIHordeJobImpossibleError,
                    "no worker can serve this request now (is_possible: false); cancelled on the server",
                )
            state = JOB_STATE.impossible
        elif (answer.processing or 0) > 0 or finished > 0:
            state = JOB_STATE.processing
        else:
            state = JOB_STATE.waiting
        yield self._event(
            state,
            finished=finished,
            queue_position=answer.queue_position,
            wait_time=answer.wait_time,
            kudos=answer.kudos,
            is_possible=answer.is_possible,
        )
        return False


def _metadata(entries: Sequence[Any] | None) -> tuple[tuple[str, str, str | None], ...]:
    return tuple((str(entry.type_), str(entry.value), entry.ref) for entry in entries or ())


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


class ImageJob(GenerationJob["ImageGenerationJobResult"]):
    """An image request from submission to downloaded images (see :data:`IMAGE_POLLING`)."""

    kind = JOB_KIND.image
    polling = IMAGE_POLLING

    def __init__(self, request: ImageGenerateAsyncRequest, **options: Any) -> None:  # noqa: ANN401 - see base
        if request.dry_run:
            raise ValueError("this request is a dry run; use the *_dry_run method for a kudos estimate")
        super().__init__(**options)
        self.request = request
        self.n = request.params.n if request.params is not None else 1

    def _cancel_request(self, job_id: JobID) -> HordeRequest:
        return _models.DeleteImageGenerateRequest(id_=job_id)

    def run(self) -> JobFlow[ImageGenerationJobResult]:
        """Submit, poll ``check``, fetch ``status`` once, download the images."""
        self._start_clock()
        accepted = yield from self._call(self.request)
        if not isinstance(accepted, _models.ImageGenerateAsyncResponse) or accepted.id_ is None:
            raise HordeUnexpectedResponseTypeError(f"the server did not queue the request ({type(accepted).__name__})")
        self.job_id = accepted.id_
        self.kudos = accepted.kudos or 0.0
        yield self._event(JOB_STATE.submitted)
        yield from self._check_warnings(accepted)
        delay: float | None = None
        while True:
            if not (yield from self._wait(self.polling.first_delay if delay is None else delay)):
                return (yield from self._timed_out())
            check = yield from self._call(_models.ImageGenerateCheckRequest(id_=JobID(self.job_id)))
            self.polls += 1
            if (yield from self._poll_verdict(check)):
                break
            delay = self.polling.next_delay(check.wait_time, delay)
        # The check said done: the follow-up is settled (nothing left to cancel), images may be fetched.
        self.settled = True
        status = yield from self._call(_models.ImageGenerateStatusRequest(id_=JobID(self.job_id)))
        yield self._event(JOB_STATE.downloading, finished=len(status.generations or ()), kudos=status.kudos)
        result = yield from self._result(status)
        yield self._event(JOB_STATE.done, finished=len(result.generations), kudos=result.kudos)
        return result

    def _result(self, status: ImageGenerateStatusResponse) -> Generator[JobAction, Any, ImageGenerationJobResult]:
        entries = list(status.generations or ())
        images = yield from self._images(entries)
        generations = tuple(
            _results.ImageGenerationResult(
                image=image,
                generation_id=entry.id_,
                seed=entry.seed,
                worker_id=entry.worker_id,
                worker_name=entry.worker_name,
                model=entry.model,
                state=str(entry.state),
                censored=bool(entry.censored),
                gen_metadata=_metadata(entry.gen_metadata),
            )
            for entry, image in zip(entries, images, strict=True)
        )
        kudos = status.kudos if status.kudos else self.kudos
        return _results.ImageGenerationJobResult(
            job_id=self.job_id or "", generations=generations, kudos=kudos, shared=bool(status.shared)
        )

    def _images(self, entries: list[ImageGenerationEntry]) -> Generator[JobAction, Any, list[bytes]]:
        urls = [entry.img for entry in entries if _is_url(entry.img)]
        downloaded = iter((yield from self._download([url for url in urls if url is not None])) if urls else [])
        images: list[bytes] = []
        for entry in entries:
            if _is_url(entry.img):
                images.append(self._checked_image(next(downloaded)))
            elif entry.img:
                try:
                    decoded = base64.b64decode(entry.img, validate=True)
                except (binascii.Error, ValueError):
                    raise AIHordeDownloadError(
                        "an image is neither a URL nor valid base64", job_id=self.job_id, kind=self.kind
                    ) from None
                images.append(self._checked_image(decoded))
            else:
                images.append(b"")
        return images

    def _partial_result(self, answer: HordeResponse) -> Generator[JobAction, Any, ImageGenerationJobResult | None]:
        if not isinstance(answer, _models.ImageGenerateStatusResponse):
            return None
        return (yield from self._result(answer))


class TextJob(GenerationJob["TextGenerationJobResult"]):
    """A text request from submission to finished texts (see :data:`TEXT_POLLING`).

    A cancelled text request may keep answering ``done: false``; this flow never waits for ``done`` after
    cancelling: the cancel's answer is the final word.
    """

    kind = JOB_KIND.text
    polling = TEXT_POLLING

    def __init__(self, request: TextGenerateAsyncRequest, **options: Any) -> None:  # noqa: ANN401 - see base
        if request.dry_run:
            raise ValueError("this request is a dry run; use the *_dry_run method for a kudos estimate")
        super().__init__(**options)
        self.request = request
        self.n = (request.params.n if request.params is not None else None) or 1

    def _cancel_request(self, job_id: JobID) -> HordeRequest:
        return _models.DeleteTextGenerateRequest(id_=job_id)

    def run(self) -> JobFlow[TextGenerationJobResult]:
        """Submit, poll the text status until done."""
        self._start_clock()
        accepted = yield from self._call(self.request)
        if not isinstance(accepted, _models.TextGenerateAsyncResponse) or accepted.id_ is None:
            raise HordeUnexpectedResponseTypeError(f"the server did not queue the request ({type(accepted).__name__})")
        self.job_id = accepted.id_
        self.kudos = accepted.kudos or 0.0
        yield self._event(JOB_STATE.submitted)
        yield from self._check_warnings(accepted)
        delay: float | None = None
        while True:
            if not (yield from self._wait(self.polling.first_delay if delay is None else delay)):
                return (yield from self._timed_out())
            status = yield from self._call(_models.TextGenerateStatusRequest(id_=JobID(self.job_id)))
            self.polls += 1
            if (yield from self._poll_verdict(status)):
                break
            delay = self.polling.next_delay(status.wait_time, delay)
        self.settled = True
        result = self._result(status)
        yield self._event(JOB_STATE.done, finished=len(result.generations), kudos=result.kudos)
        return result

    def _result(self, status: TextGenerateStatusResponse) -> TextGenerationJobResult:
        generations = tuple(
            _results.TextGenerationResult(
                text=entry.text or "",
                seed=entry.seed,
                worker_id=entry.worker_id,
                worker_name=entry.worker_name,
                model=entry.model,
                state=str(entry.state),
                gen_metadata=_metadata(entry.gen_metadata),
            )
            for entry in status.generations or ()
        )
        return _results.TextGenerationJobResult(
            job_id=self.job_id or "", generations=generations, kudos=status.kudos if status.kudos else self.kudos
        )

    def _partial_result(self, answer: HordeResponse) -> Generator[JobAction, Any, TextGenerationJobResult | None]:
        yield from ()
        if not isinstance(answer, _models.TextGenerateStatusResponse):
            return None
        return self._result(answer)


_TERMINAL_ALCHEMY = frozenset({ALCHEMY_REQUEST_STATE.partial, ALCHEMY_REQUEST_STATE.cancelled})


class AlchemyJob(GenerationJob["AlchemyJobResult"]):
    """An alchemy request from submission to one result per form (see :data:`ALCHEMY_POLLING`).

    Post-processor forms (upscalers, face fixers, background removal) deliver a URL of the new image; it is
    downloaded into :class:`AlchemyImageResult`.
    """

    kind = JOB_KIND.alchemy
    polling = ALCHEMY_POLLING

    def __init__(self, request: AlchemyAsyncRequest, **options: Any) -> None:  # noqa: ANN401 - see base
        super().__init__(**options)
        self.request = request
        self.n = len(request.forms or ()) or 1

    def _cancel_request(self, job_id: JobID) -> HordeRequest:
        return _models.DeleteAlchemyRequest(id_=job_id)

    def run(self) -> JobFlow[AlchemyJobResult]:
        """Submit, poll the interrogation status until every form is done, download post-processed images."""
        self._start_clock()
        accepted = yield from self._call(self.request)
        if not isinstance(accepted, _models.AlchemyAsyncResponse) or accepted.id_ is None:
            raise HordeUnexpectedResponseTypeError(f"the server did not queue the request ({type(accepted).__name__})")
        self.job_id = accepted.id_
        yield self._event(JOB_STATE.submitted)
        delay: float | None = None
        while True:
            if not (yield from self._wait(self.polling.first_delay if delay is None else delay)):
                return (yield from self._timed_out())
            status: AlchemyStatusResponse = yield from self._call(_models.AlchemyStatusRequest(id_=JobID(self.job_id)))
            self.polls += 1
            forms = status.forms or ()
            finished = sum(1 for form in forms if form.state == ALCHEMY_FORM_STATE.done)
            if status.is_done():
                break
            if status.state == ALCHEMY_REQUEST_STATE.faulted or any(
                form.state == ALCHEMY_FORM_STATE.faulted for form in forms
            ):
                return (yield from self._fail(AIHordeJobFaultedError, "the server reports a form as faulted"))
            if status.state in _TERMINAL_ALCHEMY:
                return (
                    yield from self._fail(AIHordeGenerationError, f"the request ended as {status.state} (cancelled?)")
                )
            processing = finished > 0 or any(form.state == ALCHEMY_FORM_STATE.processing for form in forms)
            yield self._event(JOB_STATE.processing if processing else JOB_STATE.waiting, finished=finished)
            delay = self.polling.next_delay(None, delay)
        self.settled = True
        yield self._event(JOB_STATE.downloading, finished=finished)
        result = yield from self._result(status)
        yield self._event(JOB_STATE.done, finished=finished)
        return result

    def _result(self, status: AlchemyStatusResponse) -> Generator[JobAction, Any, AlchemyJobResult]:
        forms = list(status.forms or ())
        urls: list[str] = []
        for form in forms:
            value = _form_value(form.form, form.result.root if form.result is not None else None)
            if _is_url(value) and form.state == ALCHEMY_FORM_STATE.done:
                urls.append(value)
        downloaded = iter((yield from self._download(urls)) if urls else [])
        results: list[AlchemyResult] = []
        for form in forms:
            name = str(form.form or "")
            state = str(form.state or "")
            raw = form.result.root if form.result is not None else None
            value = _typed_form_value(name, _form_value(form.form, raw))
            if state != ALCHEMY_FORM_STATE.done:
                results.append(_results.AlchemyOtherResult(form=name, state=state, result=raw))
            elif _is_url(value):
                image = self._checked_image(next(downloaded))
                results.append(_results.AlchemyImageResult(form=name, state=state, image=image))
            elif name == "caption" and isinstance(value, str):
                results.append(_results.AlchemyCaptionResult(form=name, state=state, caption=value))
            elif name == "nsfw" and isinstance(value, bool):
                results.append(_results.AlchemyNSFWResult(form=name, state=state, nsfw=value))
            elif name == "interrogation" and isinstance(value, dict):
                results.append(_results.AlchemyInterrogationResult(form=name, state=state, interrogation=value))
            else:
                results.append(_results.AlchemyOtherResult(form=name, state=state, result=raw))
        return _results.AlchemyJobResult(job_id=self.job_id or "", forms=tuple(results), state=str(status.state or ""))

    def _partial_result(self, answer: HordeResponse) -> Generator[JobAction, Any, AlchemyJobResult | None]:
        if not isinstance(answer, _models.AlchemyStatusResponse):
            return None
        return (yield from self._result(answer))


def _form_value(form: object, raw: dict[str, Any] | None) -> Any:  # noqa: ANN401 - a form's result value
    """Return the value of a form's result: the entry named like the form, or the only entry."""
    if not raw:
        return None
    name = str(form) if form is not None else ""
    if name in raw:
        return raw[name]
    if len(raw) == 1:
        return next(iter(raw.values()))
    return raw


_TRUTH_WORDS = {"true": True, "false": False}


def _typed_form_value(name: str, value: Any) -> Any:  # noqa: ANN401 - a form's result value
    """Read the result of a worker that sent JSON text instead of JSON (``"false"``, ``'{"tags": ...}'``).

    Workers should submit ``nsfw`` as a boolean and ``interrogation`` as an object (BEHAVIOUR.md); the server
    stores whatever it gets, so text from older workers is read as the value it spells. Anything else is
    returned unchanged.
    """
    if not isinstance(value, str):
        return value
    if name == "nsfw":
        return _TRUTH_WORDS.get(value.strip().lower(), value)
    if name == "interrogation":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict) else value
    return value


def dry_run_flow(
    request: ImageGenerateAsyncRequest | TextGenerateAsyncRequest,
) -> JobFlow[GenerateAsyncDryRunResponse]:
    """A flow asking the server what ``request`` would cost (it is sent with ``dry_run: true``; nothing queues)."""
    return call_flow(request.model_copy(update={"dry_run": True}), _models.GenerateAsyncDryRunResponse)
