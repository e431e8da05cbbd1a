"""A scripted worker: pops jobs and submits made-up results, built only from the SDK's own models and clients.

It does what a real worker does over the wire (pop with its capabilities, PUT each image to its presigned
``r2_upload`` URL and submit ``generation: "R2"``, or submit base64; submit texts and alchemy results), with
no model behind it. Its :class:`Behaviour` says how each generation ends: ``ok``, ``censored``,
``faulted`` or ``never_submit`` (it pops and never answers: the job's ttl runs out).

:class:`ScriptedWorker` uses a blocking :class:`~horde_sdk.ai_horde_api.AIHordeAPIManualClient`,
:class:`AsyncScriptedWorker` an async one. Submissions that fail on the way (a 5xx, a dropped connection) are
sent again, up to ``submit_attempts`` times; a ``DuplicateGen`` answer then means the first one arrived.

Both run the same sans-IO flow (as the SDK's clients do): a generator yields ``_Submit`` and
``_Upload`` actions and gets back each one's result (or its exception, thrown in); each class only
performs the actions, with its own client.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any, Generic, TypeVar

from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient, AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobPopRequest,
    AlchemyJobPopResponse,
    AlchemyJobSubmitRequest,
    AlchemyPopFormEntry,
    ImageGenerateJobPopRequest,
    ImageGenerateJobPopResponse,
    ImageGenerateJobSubmitRequest,
    TextGenerateJobPopRequest,
    TextGenerateJobPopResponse,
    TextGenerateJobSubmitRequest,
)
from horde_sdk.ai_horde_api.apimodels.generate_image_worker import GENERATION_UPLOADED_TO_R2
from horde_sdk.ai_horde_api.consts import RC
from horde_sdk.generation_parameters import KNOWN_IMAGE_POST_PROCESSORS
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.core import RawResponse
from horde_sdk.generic_api.exceptions import HordeAPIError, HordeError, HordeUnexpectedResponseTypeError

__all__ = [
    "SCRIPTED_WORKER_BRIDGE_AGENT",
    "AsyncScriptedWorker",
    "Behaviour",
    "ScriptedWorker",
    "WorkerTally",
    "fake_image",
]

SCRIPTED_WORKER_BRIDGE_AGENT = "AI Horde Worker reGen:13.0.0:local-horde scripted worker"
"""The bridge agent of scripted workers: the newest bridge of the horde's table, which is sent every image feature."""

_POST_PROCESSORS = frozenset(str(member) for member in KNOWN_IMAGE_POST_PROCESSORS)
_GIVE_UP_RCS = frozenset({RC.DuplicateGen, RC.AbortedGen, RC.InvalidJobID})


class Behaviour(StrEnum):
    """How the scripted worker ends each generation."""

    ok = "ok"
    censored = "censored"
    faulted = "faulted"
    never_submit = "never_submit"


_TINY_WEBP = (
    b'RIFF\x1e\x00\x00\x00WEBPVP8L\x11\x00\x00\x00/\x00\x00\x00\x00\x07P\x8f"\x17\xa5\xff\x81\x88\xe8\x7f\x00\x00'
)
"""A lossless 1x1 WebP image (38 bytes): clients check that what they download is an image that decodes."""


def fake_image(generation_id: str) -> bytes:
    """Return a real (1x1) WebP naming the generation after its RIFF chunk (so tests can tell images apart)."""
    return _TINY_WEBP + f"local-horde:{generation_id}".encode()


@dataclass
class WorkerTally:
    """What a scripted worker did."""

    popped: int = 0
    submitted: int = 0
    failed_submits: int = 0
    uploads: int = 0
    job_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Planned:
    """One submission to make: an optional upload first, then the submit request."""

    request: HordeRequest
    upload_url: str | None = None
    upload: bytes | None = None


@dataclass(frozen=True)
class _Submit:
    """Ask the driver to send ``request`` and send back its response model (or throw in the error)."""

    request: HordeRequest


@dataclass(frozen=True)
class _Upload:
    """Ask the driver to PUT ``content`` to the presigned ``url`` and send back what the transport returned."""

    url: str
    content: bytes


_Action = _Submit | _Upload
_T = TypeVar("_T")
_Flow = Generator[_Action, object, _T]
_JobT = TypeVar("_JobT", ImageGenerateJobPopResponse, TextGenerateJobPopResponse, AlchemyJobPopResponse)
_ClientT = TypeVar("_ClientT", AIHordeAPIManualClient, AIHordeAPIAsyncManualClient)


def _upload_ok(outcome: object) -> bool:
    return isinstance(outcome, RawResponse) and 200 <= outcome.status_code < 300


class _Run(Generic[_T]):
    """A flow being driven: hands it each action's result (or exception) and keeps what it returns."""

    def __init__(self, flow: _Flow[_T]) -> None:
        self._flow = flow
        self._resume: Callable[[], _Action] = partial(next, flow)
        self.result: _T

    def next_action(self) -> _Action | None:
        """Resume the flow; return its next action, or None once it has returned (see :attr:`result`)."""
        try:
            return self._resume()
        except StopIteration as finished:
            self.result = finished.value
            return None

    def answer(self, outcome: object) -> None:
        self._resume = partial(self._flow.send, outcome)

    def fail(self, error: Exception) -> None:
        self._resume = partial(self._flow.throw, error)


class _Script(Generic[_ClientT]):
    """What both workers share: the pop requests, the submissions a popped job calls for and the flows."""

    def __init__(
        self,
        client: _ClientT,
        *,
        name: str = "scripted-worker",
        models: Sequence[str] = ("stable_diffusion",),
        forms: Sequence[str] = ("caption", "nsfw", "RealESRGAN_x2plus"),
        behaviour: Behaviour = Behaviour.ok,
        use_r2: bool = True,
        amount: int = 1,
        max_pixels: int = 1024 * 1024,
        max_length: int = 512,
        max_context_length: int = 4096,
        submit_attempts: int = 5,
        bridge_agent: str = SCRIPTED_WORKER_BRIDGE_AGENT,
    ) -> None:
        self.client: _ClientT = client
        self.bridge_agent = bridge_agent
        self.name = name
        self.models = tuple(models)
        self.forms = tuple(forms)
        self.behaviour = behaviour
        self.use_r2 = use_r2
        self.amount = amount
        self.max_pixels = max_pixels
        self.max_length = max_length
        self.max_context_length = max_context_length
        self.submit_attempts = submit_attempts
        self.tally = WorkerTally()

    def image_pop(self) -> ImageGenerateJobPopRequest:
        return ImageGenerateJobPopRequest(
            worker_name=self.name,
            models=self.models,
            max_pixels=self.max_pixels,
            amount=self.amount,
            bridge_agent=self.bridge_agent,
        )

    def text_pop(self) -> TextGenerateJobPopRequest:
        return TextGenerateJobPopRequest(
            worker_name=self.name,
            models=self.models,
            max_length=self.max_length,
            max_context_length=self.max_context_length,
            amount=self.amount,
            bridge_agent=self.bridge_agent,
        )

    def alchemy_pop(self) -> AlchemyJobPopRequest:
        return AlchemyJobPopRequest(
            worker_name=self.name, forms=self.forms, amount=self.amount, bridge_agent=self.bridge_agent
        )

    def image_plan(self, job: ImageGenerateJobPopResponse) -> list[_Planned]:
        if job.is_empty() or self.behaviour is Behaviour.never_submit:
            return []
        seed = (
            int(job.payload.seed) if job.payload is not None and job.payload.seed and job.payload.seed.isdigit() else 0
        )
        planned = []
        for index, (generation_id, upload_url) in enumerate(job.get_upload_targets()):
            if self.behaviour is Behaviour.faulted:
                planned.append(_Planned(ImageGenerateJobSubmitRequest(id_=generation_id, seed=seed, state="faulted")))
                continue
            image = fake_image(generation_id)
            state = "censored" if self.behaviour is Behaviour.censored else "ok"
            if self.use_r2 and upload_url:
                submit = ImageGenerateJobSubmitRequest(
                    id_=generation_id, seed=seed + index, generation=GENERATION_UPLOADED_TO_R2, state=state
                )
                planned.append(_Planned(submit, upload_url, image))
            else:
                text = base64.b64encode(image).decode("ascii")
                planned.append(
                    _Planned(
                        ImageGenerateJobSubmitRequest(
                            id_=generation_id, seed=seed + index, generation=text, state=state
                        )
                    )
                )
        return planned

    def text_plan(self, job: TextGenerateJobPopResponse) -> list[_Planned]:
        if job.is_empty() or self.behaviour is Behaviour.never_submit:
            return []
        prompt = job.payload.prompt if job.payload is not None and job.payload.prompt else ""
        planned = []
        for generation_id in job.get_generation_ids():
            if self.behaviour is Behaviour.faulted:
                planned.append(_Planned(TextGenerateJobSubmitRequest(id_=generation_id, state="faulted")))
            else:
                state = "censored" if self.behaviour is Behaviour.censored else "ok"
                text = f"{prompt} ... and so the story went on ({generation_id[:8]})"
                planned.append(_Planned(TextGenerateJobSubmitRequest(id_=generation_id, generation=text, state=state)))
        return planned

    def alchemy_plan(self, job: AlchemyJobPopResponse) -> list[_Planned]:
        if job.is_empty() or self.behaviour is Behaviour.never_submit:
            return []
        return [self._form_plan(form) for form in job.forms or ()]

    def _form_plan(self, form: AlchemyPopFormEntry) -> _Planned:
        if self.behaviour is Behaviour.faulted:
            return _Planned(AlchemyJobSubmitRequest(id_=form.id_, state="faulted"))
        name = str(form.form)
        if name in _POST_PROCESSORS and form.r2_upload:
            return _Planned(
                AlchemyJobSubmitRequest.for_uploaded_image(form, state="ok"),
                form.r2_upload,
                fake_image(form.id_ or ""),
            )
        # JSON of each form's kind, as the real server expects it (BEHAVIOUR.md).
        results: dict[str, Any] = {
            "caption": "a picture of something",
            "nsfw": False,
            "interrogation": {"tags": [{"text": "something", "confidence": 20.5}]},
        }
        return _Planned(AlchemyJobSubmitRequest(id_=form.id_, result={name: results.get(name, "done")}, state="ok"))

    def finished(self, error: HordeError | None) -> bool:
        """Return True when a submission needs no retry (it arrived, or retrying cannot help)."""
        if error is None:
            self.tally.submitted += 1
            return True
        if isinstance(error, HordeAPIError) and error.rc in _GIVE_UP_RCS:
            if error.rc == RC.DuplicateGen:
                self.tally.submitted += 1
            return True
        if isinstance(error, HordeAPIError) and error.status_code < 500 and error.status_code != 429:
            self.tally.failed_submits += 1
            return True
        return False

    def _pop_flow(self, request: HordeRequest, expected: type[_JobT]) -> _Flow[_JobT]:
        """Pop once and count what came."""
        job = yield _Submit(request)
        if not isinstance(job, expected):
            raise HordeUnexpectedResponseTypeError(
                f"expected a {expected.__name__}, the server answered with a {type(job).__name__}"
            )
        if isinstance(job, AlchemyJobPopResponse):
            self.tally.popped += len(job.forms or ())
            self.tally.job_ids.extend(form.id_ for form in job.forms or () if form.id_)
        elif job.has_job():
            self.tally.popped += len(job.get_generation_ids())
            self.tally.job_ids.extend(job.get_generation_ids())
        return job

    def _carry_out_flow(self, planned: list[_Planned]) -> _Flow[int]:
        """Upload and submit each planned item (retrying failed submissions); return how many there were."""
        for item in planned:
            if item.upload_url is not None and item.upload is not None:
                outcome = yield _Upload(item.upload_url, item.upload)
                if _upload_ok(outcome):
                    self.tally.uploads += 1
            for _ in range(self.submit_attempts):
                error: HordeError | None = None
                try:
                    yield _Submit(item.request)
                except HordeError as caught:
                    error = caught
                if self.finished(error):
                    break
        return len(planned)

    def _work_flow(
        self, request: HordeRequest, expected: type[_JobT], plan: Callable[[_JobT], list[_Planned]]
    ) -> _Flow[int]:
        """Pop once and deliver what came; return how many generations (or forms) were handled."""
        job = yield from self._pop_flow(request, expected)
        return (yield from self._carry_out_flow(plan(job)))


class ScriptedWorker(_Script[AIHordeAPIManualClient]):
    """A blocking scripted worker.

    Args:
        client: The client to pop and submit with (its API key owns the worker).
        name: The worker's name.
        models: The models it offers (image and text).
        forms: The alchemy forms it offers.
        behaviour: How it ends each generation.
        use_r2: PUT images to the presigned URL and submit ``R2`` (else submit base64).
        amount: How many generations it takes per pop (batching).
        max_pixels: The largest image it takes.
        max_length: The longest text it writes.
        max_context_length: The longest context it reads.
        submit_attempts: How often a failed submission is sent.
        bridge_agent: The agent of its pops; by default `SCRIPTED_WORKER_BRIDGE_AGENT`, a bridge the horde sends
            every image feature (an unknown one is sent no ``r2`` request, no img2img...: see `horde_local.bridges`).
    """

    def _drive(self, flow: _Flow[_T]) -> _T:
        run = _Run(flow)
        while (action := run.next_action()) is not None:
            try:
                if isinstance(action, _Upload):
                    run.answer(self.client.transport.send_raw("PUT", action.url, content=action.content))
                else:
                    run.answer(self.client.submit_request(action.request))
            except Exception as error:  # thrown into the flow, which re-raises what it does not handle
                run.fail(error)
        return run.result

    def pop_image(self) -> ImageGenerateJobPopResponse:
        """Pop once for an image job (registers the worker on its first call)."""
        return self._drive(self._pop_flow(self.image_pop(), ImageGenerateJobPopResponse))

    def pop_text(self) -> TextGenerateJobPopResponse:
        """Pop once for a text job."""
        return self._drive(self._pop_flow(self.text_pop(), TextGenerateJobPopResponse))

    def pop_alchemy(self) -> AlchemyJobPopResponse:
        """Pop once for alchemy forms."""
        return self._drive(self._pop_flow(self.alchemy_pop(), AlchemyJobPopResponse))

    def _carry_out(self, planned: list[_Planned]) -> int:
        return self._drive(self._carry_out_flow(planned))

    def work_image(self) -> int:
        """Pop one image job and deliver it; return how many generations were handled (0: empty pop)."""
        return self._drive(self._work_flow(self.image_pop(), ImageGenerateJobPopResponse, self.image_plan))

    def work_text(self) -> int:
        """Pop one text job and deliver it; return how many generations were handled."""
        return self._drive(self._work_flow(self.text_pop(), TextGenerateJobPopResponse, self.text_plan))

    def work_alchemy(self) -> int:
        """Pop alchemy forms and deliver them; return how many forms were handled."""
        return self._drive(self._work_flow(self.alchemy_pop(), AlchemyJobPopResponse, self.alchemy_plan))


class AsyncScriptedWorker(_Script[AIHordeAPIAsyncManualClient]):
    """The async twin of :class:`ScriptedWorker` (same arguments, with an async client)."""

    async def _drive(self, flow: _Flow[_T]) -> _T:
        run = _Run(flow)
        while (action := run.next_action()) is not None:
            try:
                if isinstance(action, _Upload):
                    run.answer(await self.client.transport.send_raw("PUT", action.url, content=action.content))
                else:
                    run.answer(await self.client.submit_request(action.request))
            except Exception as error:  # thrown into the flow, which re-raises what it does not handle
                run.fail(error)
        return run.result

    async def _carry_out(self, planned: list[_Planned]) -> int:
        return await self._drive(self._carry_out_flow(planned))

    async def work_image(self) -> int:
        """Pop one image job and deliver it; return how many generations were handled (0: empty pop)."""
        return await self._drive(self._work_flow(self.image_pop(), ImageGenerateJobPopResponse, self.image_plan))

    async def work_text(self) -> int:
        """Pop one text job and deliver it; return how many generations were handled."""
        return await self._drive(self._work_flow(self.text_pop(), TextGenerateJobPopResponse, self.text_plan))

    async def work_alchemy(self) -> int:
        """Pop alchemy forms and deliver them; return how many forms were handled."""
        return await self._drive(self._work_flow(self.alchemy_pop(), AlchemyJobPopResponse, self.alchemy_plan))
