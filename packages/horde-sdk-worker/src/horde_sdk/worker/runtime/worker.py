"""`WorkerRuntime`: the long-running worker a GPU host operator starts and leaves running.

From a deploy configuration and one backend per kind served, it

* pops jobs for every kind it serves (image, text, alchemy), as fast as free room allows and the horde's rate
  limits permit, pausing after empty pops, backing off after failures and pausing while the worker or the horde is
  in maintenance;
* runs at most ``max_threads`` jobs at once and holds at most ``queue_size`` more, popped and waiting;
* hands each job to the `JobPipeline` (download, backend, safety, upload, submit), which ends every job submitted
  or reported ``faulted``;
* logs a summary every ``stats_output_frequency`` seconds and at the end;
* stops gracefully on `request_stop` (or SIGINT/SIGTERM with ``run(handle_signals=True)``): popping stops, queued
  jobs are reported faulted at once, running jobs finish within their ttl (or `RuntimeOptions.shutdown_grace`)
  and are reported faulted if they cannot. A second request (or signal) stops at once, faulting what runs.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any

import anyio
from anyio.abc import TaskGroup

from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient
from horde_sdk.ai_horde_api.apimodels import FindUserRequest, UserDetailsResponse
from horde_sdk.ai_horde_api.consts import RC, WORKER_TYPE
from horde_sdk.deploy_config import (
    ANONYMOUS_API_KEY,
    KNOWN_WORKER_KINDS,
    AlchemyWorkerDeployConfig,
    BaseWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.generic_api.exceptions import HordeAPIError, HordeError
from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPIManualClient
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.backends.base import AlchemyBackend, ImageBackend, TextBackend
from horde_sdk.worker.backends.loading import load_alchemy_backend, load_image_backend, load_text_backend
from horde_sdk.worker.bridge_capabilities import (
    bridge_agent_for,
    describe_image_bridge,
    describe_text_bridge,
    describe_unrunnable_image_requests,
    parse_bridge_agent,
)
from horde_sdk.worker.dispatch.ai_horde import (
    DispatchedJob,
    DispatchFault,
    EmptyDispatch,
    RawPopAnswer,
    UnreadablePopError,
    build_alchemy_pop_request,
    build_image_pop_request,
    build_text_pop_request,
    fetch_and_resolve_models_async,
    get_bridge_agent,
    parse_alchemy_pop,
    parse_image_pop,
    parse_text_pop,
    raw_pop_request,
)
from horde_sdk.worker.feature_flags import ImageWorkerFeatureFlags
from horde_sdk.worker.job_base import WorkerJobConfig
from horde_sdk.worker.runtime.options import RuntimeOptions
from horde_sdk.worker.runtime.pipeline import JobPipeline
from horde_sdk.worker.runtime.stats import WorkerStats, WorkerSummary

__all__ = ["MAINTENANCE_RCS", "TEMPORARY_REFUSAL_RCS", "WorkerRuntime", "WorkerRuntimeError", "horde_api_url"]

logger = get_logger(__name__)

MAINTENANCE_RCS = frozenset({RC.WorkerMaintenance, RC.WorkerFlaggedMaintenance, RC.MaintenanceMode})
"""Pop answers that mean "not now": the runtime pauses popping for `RuntimeOptions.maintenance_pause`."""

TEMPORARY_REFUSAL_RCS = frozenset(
    {RC.TimeoutIP, RC.TooManyNewIPs, RC.TooManySameIPs, RC.UnsafeIP, RC.UntrustedUnsafeIP}
)
"""Pop refusals tied to the worker's IP address, which may lift by themselves: popping pauses as in maintenance,
instead of stopping the worker as other refusals (a wrong key, a name owned by someone else) do."""

_Outcome = DispatchedJob[Any] | DispatchFault


class WorkerRuntimeError(RuntimeError):
    """The worker cannot work at all (its key is refused, its configuration cannot serve anything...)."""


def _what_to_set(config: BaseWorkerDeployConfig) -> str:
    """Which settings would make a configuration serve something, in words."""
    wanted = []
    if isinstance(config, ImageWorkerDeployConfig):
        wanted.append("image_backend (what generates images)")
    if isinstance(config, TextWorkerDeployConfig):
        wanted.append("text_backend (what generates text)")
    if isinstance(config, AlchemyWorkerDeployConfig):
        wanted.append("alchemy_backend (what runs alchemy forms)")
    names = "dreamer_name, scribe_name or alchemist_name" if isinstance(config, CombinedWorkerDeployConfig) else ""
    return "set " + " or ".join(wanted) + (f", with the worker name of that kind ({names})" if names else "")


def horde_api_url(horde_url: str) -> str:
    """Return the API root of a horde: ``https://aihorde.net`` -> ``https://aihorde.net/api``.

    Args:
        horde_url: The configuration's `horde_url` (with or without ``/api``).

    Returns:
        The URL the AI Horde client takes as `base_url`.
    """
    url = horde_url.rstrip("/")
    return url if url.endswith("/api") else f"{url}/api"


def _runnable_models(
    backend: ImageBackend | None, config: ImageWorkerDeployConfig, resolved: tuple[str, ...]
) -> tuple[str, ...]:
    """The models to offer: `resolved`, narrowed to what the backend can run when it says (`available_models`).

    An engine backend (``comfyui``, ``sdwebui``) knows which horde models its engine has; with an empty
    `models_to_load` the worker then offers all of them (minus `models_to_skip`).
    """
    runnable = getattr(backend, "available_models", None)
    if runnable is None:
        return resolved
    if not config.models_to_load.names and not config.models_to_load.meta_instructions:
        skipped = set(config.models_to_skip.names)
        return tuple(model for model in runnable if model not in skipped)
    missing = [model for model in resolved if model not in runnable]
    if missing:
        logger.warning("models the image backend cannot run are not offered", models=missing)
    return tuple(model for model in resolved if model in runnable)


_DEPLOY_KINDS = {
    WORKER_TYPE.image: KNOWN_WORKER_KINDS.dreamer,
    WORKER_TYPE.text: KNOWN_WORKER_KINDS.scribe,
    WORKER_TYPE.interrogation: KNOWN_WORKER_KINDS.alchemist,
}


class _Room:
    """How many popped jobs the worker may hold (running plus queued); pops wait for room."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._changed = anyio.Event()

    async def take(self) -> None:
        while self.held >= self.limit:
            await self._changed.wait()
        self.held += 1

    def take_now(self) -> None:
        self.held += 1

    def release(self) -> None:
        self.held -= 1
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_empty(self) -> None:
        while self.held:
            await self._changed.wait()


class WorkerRuntime:
    """A worker: pops, runs and submits jobs until stopped.

    Args:
        config: The deploy configuration. Its class decides the kinds served (image, text, alchemy or all).
        image_backend: Generates images (required to serve images).
        text_backend: Generates text (required to serve text).
        alchemy_backend: Runs alchemy forms (required to serve alchemy).
        options: Timing and retry settings.
        job_config: Error limits and submit retries of every job.
        client: An async AI Horde client to use (not closed here); by default one is made from the configuration
            (`api_key`, `horde_url`) and closed at the end.
        text_model: The text model name to offer (by default the configuration's `model_name`).
        clock: Returns the current time in seconds.

    Raises:
        WorkerRuntimeError: If the configuration and backends serve no kind at all.
    """

    def __init__(
        self,
        config: BaseWorkerDeployConfig,
        *,
        image_backend: ImageBackend | None = None,
        text_backend: TextBackend | None = None,
        alchemy_backend: AlchemyBackend | None = None,
        options: RuntimeOptions | None = None,
        job_config: WorkerJobConfig | None = None,
        client: GenericAsyncHordeAPIManualClient | None = None,
        text_model: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._options = options if options is not None else RuntimeOptions()
        self._job_config = job_config if job_config is not None else WorkerJobConfig()
        self._client = client
        self._clock = clock
        self._image_backend = image_backend if isinstance(config, ImageWorkerDeployConfig) else None
        self._text_backend = text_backend if isinstance(config, TextWorkerDeployConfig) else None
        self._alchemy_backend = alchemy_backend if isinstance(config, AlchemyWorkerDeployConfig) else None
        self._text_model = text_model
        kinds = []
        if self._image_backend is not None:
            kinds.append(WORKER_TYPE.image)
        if self._text_backend is not None:
            kinds.append(WORKER_TYPE.text)
        if self._alchemy_backend is not None:
            kinds.append(WORKER_TYPE.interrogation)
        if not kinds:
            raise WorkerRuntimeError(f"the configuration serves nothing: {_what_to_set(config)}")
        self._kinds = tuple(kinds)
        self._check_names()
        alchemy_config = config if isinstance(config, AlchemyWorkerDeployConfig) else None
        if self._alchemy_backend is not None and alchemy_config is not None and not alchemy_config.get_alchemy_forms():
            raise WorkerRuntimeError("set forms: an alchemy worker without forms has nothing to offer")
        self.stats = WorkerStats(clock)
        """What the worker has done so far."""
        self._stop_flag = False
        self._stop_requested: anyio.Event | None = None
        self._immediate = False
        self._jobs_scope: anyio.CancelScope | None = None
        self._queued_scopes: set[anyio.CancelScope] = set()
        self._fatal: WorkerRuntimeError | None = None
        self._threads: anyio.Semaphore | None = None
        self._room: _Room | None = None
        self._image_models: tuple[str, ...] = ()
        self._pipeline: JobPipeline | None = None
        self._ready: anyio.Event | None = None
        self._ready_kinds: set[WORKER_TYPE] = set()

    @classmethod
    def from_config(
        cls,
        config: BaseWorkerDeployConfig,
        *,
        import_paths: Sequence[str | os.PathLike[str]] = (),
        **options: Any,  # noqa: ANN401
    ) -> WorkerRuntime:
        """Build a worker with the backends its configuration names (`image_backend`, `text_backend`...).

        Args:
            config: The deploy configuration.
            import_paths: Directories searched first for the modules of backend factory paths (the current
                directory only when it is one of them; see `horde_sdk.worker.backends.loading`).
            **options: Any other keyword argument of `WorkerRuntime` (`options`, `job_config`, `client`...).

        Returns:
            The worker (not started).

        Raises:
            BackendConfigError: If a configured backend cannot be built.
            WorkerRuntimeError: If nothing would be served.
        """
        names = config.get_worker_names()

        def serves(kind_config: type[BaseWorkerDeployConfig], kind: KNOWN_WORKER_KINDS) -> bool:
            # A combined configuration serves a kind only when that kind has a worker name.
            return isinstance(config, kind_config) and (
                not isinstance(config, CombinedWorkerDeployConfig) or bool(names.get(kind))
            )

        paths = {"import_paths": import_paths}
        image = (
            load_image_backend(config, **paths)  # type: ignore[arg-type]  # serves() checked the class
            if serves(ImageWorkerDeployConfig, KNOWN_WORKER_KINDS.dreamer)
            else None
        )
        text = (
            load_text_backend(config, **paths)  # type: ignore[arg-type]  # serves() checked the class
            if serves(TextWorkerDeployConfig, KNOWN_WORKER_KINDS.scribe)
            else None
        )
        alchemy = (
            load_alchemy_backend(config, **paths)  # type: ignore[arg-type]  # serves() checked the class
            if serves(AlchemyWorkerDeployConfig, KNOWN_WORKER_KINDS.alchemist)
            else None
        )
        return cls(config, image_backend=image, text_backend=text, alchemy_backend=alchemy, **options)

    # ------------------------------------------------------------------------------------------------
    # Public
    # ------------------------------------------------------------------------------------------------

    @property
    def kinds(self) -> tuple[WORKER_TYPE, ...]:
        """The kinds of job this worker pops."""
        return self._kinds

    @property
    def stopping(self) -> bool:
        """Whether a stop was requested."""
        return self._stop_flag

    def request_stop(self, *, immediate: bool = False) -> None:
        """Ask the worker to stop (call it from the event loop the worker runs in).

        Args:
            immediate: Do not wait for running jobs: cancel them (each is reported ``faulted``). A second
                graceful request also stops at once.
        """
        if self._stop_flag or immediate:
            self._immediate = True
            if self._jobs_scope is not None:
                self._jobs_scope.cancel()
        self._stop_flag = True
        if self._stop_requested is not None:
            self._stop_requested.set()
        for scope in tuple(self._queued_scopes):
            scope.cancel()

    async def wait_ready(self) -> None:
        """Wait until the horde has answered one pop of every kind served.

        The worker is then registered, and requests for its models are possible. Call it from the event loop
        that runs (or is about to run) `run`.
        """
        await self._ready_event().wait()

    def _ready_event(self) -> anyio.Event:
        # Events belong to the event loop that runs the worker: made on first use there, never in __init__.
        if self._ready is None:
            self._ready = anyio.Event()
        return self._ready

    @property
    def image_feature_flags(self) -> ImageWorkerFeatureFlags | None:
        """What this worker serves of images.

        Its configuration narrowed to its backend's `features` (and, once started, to its models); None when it
        serves no images.
        """
        config = self._config
        if self._image_backend is None or not isinstance(config, ImageWorkerDeployConfig):
            return None
        return ImageWorkerFeatureFlags.from_deploy_config(
            config, backend_flags=self._image_backend.features, models=self._image_models or None
        )

    def bridge_agent(self, kind: WORKER_TYPE) -> str:
        """Return the bridge agent this worker announces in the pops of `kind`.

        Args:
            kind: The kind of pop.

        Returns:
            The configuration's ``bridge_agent``, or the default (see `horde_sdk.worker.bridge_capabilities`).
        """
        return bridge_agent_for(self._config, _DEPLOY_KINDS[kind])

    def bridge_report(self) -> tuple[str, ...]:
        """Say, in one line per kind the agent matters to, which requests the horde will never send this worker.

        Image workers: the requests it could serve (configuration and backend) that the horde does not trust its
        bridge with, and what to change; plus a line naming what the horde may send that the backend does not
        declare, when there is any. Text workers: whether requests asking for validated backends reach it. Alchemy is
        not
        gated by bridge.

        Returns:
            The lines, in plain words.
        """
        return tuple(line for _kind, line in self._bridge_lines())

    def _bridge_lines(self) -> list[tuple[WORKER_TYPE, str]]:
        lines: list[tuple[WORKER_TYPE, str]] = []
        flags = self.image_feature_flags
        if flags is not None and self._image_backend is not None and not self._image_backend.features.samplers:
            # An engine backend learns what it runs from its engine when it starts (no sampler declared yet).
            name, version = parse_bridge_agent(self.bridge_agent(WORKER_TYPE.image))
            waiting = (
                f"bridge agent: announced as {name!r} version {version}; the image backend declares what it runs "
                "when it starts, and the start of run says then which requests the horde will never send"
            )
            lines.append((WORKER_TYPE.image, waiting))
        elif flags is not None and self._image_backend is not None:
            agent = self.bridge_agent(WORKER_TYPE.image)
            configured = self._config.bridge_agent is not None
            lines.append((WORKER_TYPE.image, describe_image_bridge(agent, flags.served, configured=configured)))
            unrunnable = describe_unrunnable_image_requests(agent, self._image_backend.features)
            if unrunnable is not None:
                lines.append((WORKER_TYPE.image, unrunnable))
        if self._text_backend is not None:
            lines.append((WORKER_TYPE.text, describe_text_bridge(self.bridge_agent(WORKER_TYPE.text))))
        return lines

    def summary(self) -> WorkerSummary:
        """Return what the worker has done so far.

        Returns:
            A snapshot of `stats`.
        """
        return self.stats.snapshot()

    async def run(self, *, handle_signals: bool = False) -> WorkerSummary:
        """Work until `request_stop` (or a signal), then drain and return what was done.

        Args:
            handle_signals: Stop gracefully on the first SIGINT or SIGTERM and at once on the second (only in
                the main thread of a program: the ``horde-worker`` command does it).

        Returns:
            The final summary (also logged).

        Raises:
            WorkerRuntimeError: If the horde refused the worker for good (bad key, not allowed to work); every
                job popped before was still submitted or reported faulted.
        """
        # Events and semaphores belong to the event loop that runs the worker: made here, not in __init__.
        self._stop_requested = anyio.Event()
        if self._stop_flag:
            self._stop_requested.set()
        self._ready_event()
        self._threads = anyio.Semaphore(self._config.max_threads)
        self._room = _Room(self._config.max_threads + self._config.queue_size)
        async with AsyncExitStack() as stack:
            client = self._client
            if client is None:
                if self._config.api_key.get_secret_value() == ANONYMOUS_API_KEY:
                    raise WorkerRuntimeError(
                        "api_key is not set: a worker needs the API key of a registered account (the anonymous "
                        "key cannot run a worker)"
                    )
                client = await stack.enter_async_context(
                    AIHordeAPIAsyncManualClient(
                        base_url=horde_api_url(self._config.horde_url),
                        api_key=self._config.api_key.get_secret_value(),
                        client_agent=get_bridge_agent(),
                    )
                )
            for backend in (self._image_backend, self._text_backend, self._alchemy_backend):
                if backend is not None:
                    await stack.enter_async_context(backend)
            await self._prepare(client)
            self._pipeline = JobPipeline(
                client,
                options=self._options,
                stats=self.stats,
                job_config=self._job_config,
                image_backend=self._image_backend,
                text_backend=self._text_backend,
                alchemy_backend=self._alchemy_backend,
                clock=self._clock,
            )
            logger.info("worker started", kinds=[str(kind) for kind in self._kinds], threads=self._config.max_threads)
            for kind, line in self._bridge_lines():
                log = logger.info if line.startswith("bridge agent:") else logger.warning
                log(line, bridge_agent=self.bridge_agent(kind))
            async with anyio.create_task_group() as helpers:
                if handle_signals:
                    helpers.start_soon(self._watch_signals)
                interval = self._summary_interval()
                if interval:
                    helpers.start_soon(self._log_summaries, interval)
                await self._work(client)
                helpers.cancel_scope.cancel()
        summary = self.stats.snapshot()
        logger.info("worker stopped", **summary.as_log_fields())
        if self._fatal is not None:
            raise self._fatal
        return summary

    # ------------------------------------------------------------------------------------------------
    # Start-up
    # ------------------------------------------------------------------------------------------------

    def _check_names(self) -> None:
        """The horde keeps one name per worker whatever its kind: a combined worker needs one name per kind."""
        names = [name for name in self._config.get_worker_names().values() if name]
        used = [name for name in names if names.count(name) > 1]
        if len(self._kinds) > 1 and used:
            raise WorkerRuntimeError(
                f"the worker name {used[0]!r} is set for several kinds; the horde refuses one name for workers of "
                "different kinds: set dreamer_name, scribe_name and alchemist_name to different names"
            )

    async def _prepare(self, client: GenericAsyncHordeAPIManualClient) -> None:
        config = self._config
        if self._image_backend is not None and isinstance(config, ImageWorkerDeployConfig):
            if not isinstance(client, AIHordeAPIAsyncManualClient):
                raise WorkerRuntimeError("the worker needs an AI Horde client (AIHordeAPIAsyncManualClient)")
            resolved = await fetch_and_resolve_models_async(client, config)
            if resolved.unresolved:
                logger.warning("model entries not resolved", entries=list(resolved.unresolved))
            models = _runnable_models(self._image_backend, config, resolved.models)
            if not models:
                raise WorkerRuntimeError("models_to_load resolves to no model: nothing to offer")
            self._image_models = models
        if self._text_backend is not None and isinstance(config, TextWorkerDeployConfig):
            if self._text_model is None:
                self._text_model = config.model_name
            if self._text_model is None:
                fetch = getattr(self._text_backend, "fetch_model_name", None)
                if fetch is None:
                    raise WorkerRuntimeError("set model_name: the text backend cannot tell which model it runs")
                self._text_model = str(await fetch())
            if config.branded_model and "::" not in self._text_model:
                # A branded model carries its owner's name, as text workers announce it: "model::alias#id".
                owner = await client.submit_request(FindUserRequest(), UserDetailsResponse)
                if not owner.username:
                    raise WorkerRuntimeError("branded_model is set but the horde did not tell the key's user name")
                self._text_model = f"{self._text_model}::{owner.username}"

    def _summary_interval(self) -> float:
        if self._options.summary_interval is not None:
            return self._options.summary_interval
        return float(self._config.stats_output_frequency)

    # ------------------------------------------------------------------------------------------------
    # Main loop
    # ------------------------------------------------------------------------------------------------

    async def _work(self, client: GenericAsyncHordeAPIManualClient) -> None:
        assert self._stop_requested is not None  # noqa: S101 - made by run()
        assert self._room is not None  # noqa: S101
        async with anyio.create_task_group() as jobs:
            self._jobs_scope = jobs.cancel_scope
            if self._immediate:
                jobs.cancel_scope.cancel()
            async with anyio.create_task_group() as pops:
                for kind in self._kinds:
                    pops.start_soon(self._pop_loop, client, kind, jobs)
                await self._stop_requested.wait()
                pops.cancel_scope.cancel()
            logger.info("worker stopping", running=self.stats.running, queued=self.stats.queued)
            for scope in tuple(self._queued_scopes):
                scope.cancel()
            grace = self._options.shutdown_grace
            if grace is not None and not self._immediate:
                with anyio.move_on_after(grace) as drained:
                    await self._room.wait_empty()
                if drained.cancelled_caught:
                    logger.warning("shutdown grace over; faulting the jobs still running", running=self.stats.running)
                    jobs.cancel_scope.cancel()
        self._jobs_scope = None

    async def _pop(self, client: GenericAsyncHordeAPIManualClient, kind: WORKER_TYPE) -> tuple[_Outcome, ...]:
        """Pop once; every job in the answer comes back as a job to run or a fault to report, never an exception.

        The answer is read as raw JSON and checked here (`parse_image_pop`...), so that an answer that does not
        match the API model is still reported faulted under the ids it holds.
        """
        config = self._config
        if kind == WORKER_TYPE.image:
            assert isinstance(config, ImageWorkerDeployConfig)  # noqa: S101 - kinds come from the config class
            assert self._image_backend is not None  # noqa: S101 - the image kind needs its backend
            request: Any = build_image_pop_request(
                config,
                self._image_models,
                bridge_agent=self.bridge_agent(kind),
                backend_features=self._image_backend.features,
            )
        elif kind == WORKER_TYPE.text:
            assert isinstance(config, TextWorkerDeployConfig)  # noqa: S101
            models = (self._text_model,) if self._text_model else None
            request = build_text_pop_request(config, models, bridge_agent=self.bridge_agent(kind))
        else:
            assert isinstance(config, AlchemyWorkerDeployConfig)  # noqa: S101
            request = build_alchemy_pop_request(config, bridge_agent=self.bridge_agent(kind))
        answer = await client.submit_request(raw_pop_request(request), RawPopAnswer)
        outcomes: tuple[_Outcome | EmptyDispatch, ...]
        if kind == WORKER_TYPE.image:
            outcomes = (parse_image_pop(answer.root),)
        elif kind == WORKER_TYPE.text:
            outcomes = (parse_text_pop(answer.root),)
        else:
            forms = parse_alchemy_pop(answer.root)
            outcomes = () if isinstance(forms, EmptyDispatch) else forms
        return tuple(self._screen(outcome) for outcome in outcomes if not isinstance(outcome, EmptyDispatch))

    def _screen(self, outcome: _Outcome) -> _Outcome:
        """Fault a job this worker was never offered: a model it does not serve, an image larger than max_pixels."""
        if isinstance(outcome, DispatchFault):
            return outcome
        dispatch = outcome.dispatch_parameters
        parameters = outcome.generation_parameters
        reason = None
        if dispatch.worker_type == WORKER_TYPE.image and isinstance(self._config, ImageWorkerDeployConfig):
            pixels = parameters.width * parameters.height
            if dispatch.model not in self._image_models:
                reason = "the job asks for a model this worker does not offer"
            elif pixels > self._config.max_pixels:
                reason = f"the job asks for {parameters.width}x{parameters.height}, more than max_pixels"
        elif dispatch.worker_type == WORKER_TYPE.text and self._text_model and dispatch.model != self._text_model:
            reason = "the job asks for a model this worker does not offer"
        if reason is None:
            return outcome
        return DispatchFault(
            worker_type=dispatch.worker_type,
            job_id=dispatch.job_id,
            generation_ids=dispatch.generation_ids,
            reason=reason,
            ttl=dispatch.ttl,
            alchemy_form=dispatch.alchemy_form,
        )

    async def _pop_loop(self, client: GenericAsyncHordeAPIManualClient, kind: WORKER_TYPE, jobs: TaskGroup) -> None:
        room = self._room
        assert room is not None  # noqa: S101 - made by run()
        failures = 0
        while True:
            await room.take()
            if self._stop_flag:
                # A stop frees room (queued jobs are faulted) before this loop is cancelled: never pop then.
                room.release()
                return
            try:
                popped_at = self._clock()
                # Shielded: a pop cancelled after the horde acted would hand out a job nobody runs or reports.
                # The client's timeouts bound it; a stop lands right after, and what was popped gets faulted.
                with anyio.CancelScope(shield=True):
                    outcomes = await self._pop(client, kind)
            except HordeAPIError as error:
                room.release()
                self.stats.pop_errors += 1
                if error.rc in MAINTENANCE_RCS or error.rc in TEMPORARY_REFUSAL_RCS:
                    logger.warning(
                        "horde refuses pops for now; pausing",
                        kind=str(kind),
                        rc=error.rc,
                        seconds=self._options.maintenance_pause,
                    )
                    await anyio.sleep(self._options.maintenance_pause)
                    continue
                if error.status_code in (400, 401, 403, 404):
                    self._fatal = WorkerRuntimeError(f"the horde refuses this worker's pops: {error}")
                    logger.error(  # noqa: TRY400 - an expected refusal: its traceback tells nothing
                        "pop refused for good; stopping", kind=str(kind), rc=error.rc, status=error.status_code
                    )
                    self.request_stop()
                    return
                failures += 1
                await self._back_off(kind, failures, error)
                continue
            except Exception as error:  # the network, an unreadable answer, or a bug met reading it: go on
                room.release()
                self.stats.pop_errors += 1
                failures += 1
                if not isinstance(error, HordeError | TimeoutError | UnreadablePopError):
                    logger.exception("pop could not be handled", kind=str(kind))
                await self._back_off(kind, failures, error)
                continue
            except BaseException:
                room.release()
                raise
            failures = 0
            self._mark_ready(kind)
            if not outcomes:
                room.release()
                self.stats.empty_pops += 1
                await anyio.sleep(self._options.pop_interval)
                continue
            for index, outcome in enumerate(outcomes):
                if index:
                    room.take_now()  # an alchemy pop can bring several forms: all are held
                self.stats.popped += 1
                jobs.start_soon(self._handle, outcome, popped_at)

    def _mark_ready(self, kind: WORKER_TYPE) -> None:
        if kind in self._ready_kinds or self._ready is None:
            return
        self._ready_kinds.add(kind)
        if self._ready_kinds == set(self._kinds):
            logger.info("worker registered with the horde", kinds=[str(kind) for kind in self._kinds])
            self._ready.set()

    async def _back_off(self, kind: WORKER_TYPE, failures: int, error: BaseException) -> None:
        pause = min(self._options.pop_error_backoff_max, self._options.pop_error_backoff * 2 ** (failures - 1))
        logger.warning("pop failed; backing off", kind=str(kind), failures=failures, seconds=pause, error=str(error))
        await anyio.sleep(pause)

    async def _handle(self, outcome: _Outcome, popped_at: float) -> None:
        pipeline, threads, room = self._pipeline, self._threads, self._room
        assert pipeline is not None  # noqa: S101 - made by run()
        assert threads is not None  # noqa: S101
        assert room is not None  # noqa: S101
        try:
            if isinstance(outcome, DispatchFault):
                await pipeline.report_dispatch_fault(outcome, popped_at)
                return
            acquired = False
            self.stats.queued += 1
            try:
                with anyio.CancelScope() as waiting:
                    self._queued_scopes.add(waiting)
                    if self._stop_flag:
                        waiting.cancel()
                    await threads.acquire()
                    acquired = True
            except anyio.get_cancelled_exc_class():
                # The whole worker stops at once: the job never ran; report it (shielded) and go on stopping.
                await pipeline.run_cancelled(outcome, popped_at, "shutdown")
                raise
            finally:
                self._queued_scopes.discard(waiting)
                self.stats.queued -= 1
            if not acquired:
                await pipeline.run_cancelled(outcome, popped_at, "shutdown")
                return
            self.stats.running += 1
            try:
                await pipeline.run(outcome, popped_at)
            finally:
                self.stats.running -= 1
                threads.release()
        finally:
            room.release()

    # ------------------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------------------

    async def _log_summaries(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            logger.info("worker summary", **self.stats.snapshot().as_log_fields())

    async def _watch_signals(self) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for received in signals:
                immediate = self._stop_flag
                logger.warning(
                    "signal received; stopping",
                    signal=signal.Signals(received).name,
                    running_jobs="faulted now" if immediate else "finish first",
                )
                self.request_stop(immediate=immediate)
