"""The simple AI Horde clients: one call from a request to its typed result.

- :class:`AIHordeAPISimpleClient` (blocking) and :class:`AIHordeAPIAsyncSimpleClient` (async) take the
  client settings once (base URL, API key, client agent, timeouts, retries; see
  :class:`~horde_sdk.ai_horde_api.ai_horde_clients.AIHordeClientOptions`) and offer
  ``image_generate_request``, ``text_generate_request``, ``alchemy_request`` (and ``*_requests`` for many at
  once, ``*_dry_run`` for kudos estimates), plus convenience methods for the rest of the API (heartbeat,
  news, workers, users, styles, kudos transfer...).
- Both are defined once, in :class:`BaseAIHordeSimpleClient`: every method builds a plan of jobs whose
  logic lives in the sans-IO flows of :mod:`horde_sdk.ai_horde_api.job_flows`; the sync client runs the plan
  with a round-robin driver in the calling thread, the async client with one task per job in an anyio task
  group. Only sending and sleeping differ.
- Each client holds an AI Horde client *session*: when a call ends for any reason (result, error, timeout,
  cancellation, Ctrl-C) the jobs it started and did not finish are cancelled on the server right away, and
  closing the client (leaving its ``with`` block) cancels anything still left, as sessions do.

Presigned result URLs are credentials: they are fetched with the transport's plain ``send_raw`` (no API
key sent), never logged (the SDK's logger strips URL query strings) and never kept in results.
"""

from __future__ import annotations

import contextlib
import functools
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar, overload

import anyio
from typing_extensions import Unpack

from horde_sdk.ai_horde_api import apimodels as _models
from horde_sdk.ai_horde_api._lazy import lazy_module
from horde_sdk.ai_horde_api.consts import DEFAULT_JOB_TIMEOUT, JOB_CANCEL_TIMEOUT, MODEL_STATE, MODEL_TYPE, WORKER_TYPE
from horde_sdk.ai_horde_api.fields import CollectionID, MessageID, SharedKeyID, StyleID, TeamID, UserID, WorkerID
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.exceptions import HordeError, HordeNotFoundError
from horde_sdk.generic_api.log import get_logger

# The machinery that runs a job (sessions, transports, the request core, the job flows) is loaded when a
# client is first used: importing the client class (to annotate with it, or in a CLI's start-up) needs
# none of it, and it was most of what the README example paid at import.
if TYPE_CHECKING:
    import anyio.abc

    from horde_sdk.ai_horde_api import ai_horde_clients as _sessions
    from horde_sdk.ai_horde_api import job_flows as _flows
    from horde_sdk.ai_horde_api import progress as _progress
    from horde_sdk.ai_horde_api.ai_horde_clients import (
        AIHordeAPIAsyncClientSession,
        AIHordeAPIClientSession,
        AIHordeClientOptions,
    )
    from horde_sdk.ai_horde_api.job_flows import (
        DownloadAction,
        FlowContext,
        GenerationJob,
        ImpossiblePolicy,
        JobFlow,
        PollingPolicy,
    )
    from horde_sdk.ai_horde_api.progress import JOB_KIND, GenerationProgress, ProgressCallback
    from horde_sdk.generic_api import core as _core
    from horde_sdk.generic_api.core import RawResponse, TransportFailure
    from horde_sdk.generic_api.settings import HordeClientSettings
    from horde_sdk.generic_api.transport import AsyncHTTPClient, AsyncTransport, SyncHTTPClient, SyncTransport
else:
    _sessions = lazy_module("horde_sdk.ai_horde_api.ai_horde_clients")
    _flows = lazy_module("horde_sdk.ai_horde_api.job_flows")
    _progress = lazy_module("horde_sdk.ai_horde_api.progress")
    _core = lazy_module("horde_sdk.generic_api.core")

# Request and response models are looked up on first use through the lazy ``apimodels`` package: importing
# them all here made the client cost more at import than every model a script actually uses.
if TYPE_CHECKING:
    from horde_sdk.ai_horde_api.apimodels.alchemy import AlchemyAsyncRequest
    from horde_sdk.ai_horde_api.apimodels.collections import (
        AllCollectionsResponse,
        CollectionDetailsResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
    from horde_sdk.ai_horde_api.apimodels.filters import (
        AllFiltersResponse,
        FilterPromptSuspicionResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.generate_image import GenerateAsyncDryRunResponse, ImageGenerateAsyncRequest
    from horde_sdk.ai_horde_api.apimodels.generate_text import TextGenerateAsyncRequest
    from horde_sdk.ai_horde_api.apimodels.kudos import KudosTransferResponse
    from horde_sdk.ai_horde_api.apimodels.sharedkeys import (
        CreateSharedKeyRequest,
        ModifySharedKeyRequest,
        SharedKeyDetailsResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.stats import (
        ImageStatsModelsResponse,
        ImageStatsTotalsResponse,
        TextStatsModelsResponse,
        TextStatsTotalsResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.status import (
        AllActiveModelsResponse,
        HordeHeartbeatResponse,
        HordePerformanceResponse,
        NewsResponse,
        SingleActiveModelResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.styles import (
        AllImageStylesResponse,
        AllTextStylesResponse,
        ImageStyleDetailsResponse,
        TextStyleDetailsResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.teams import (
        AllTeamDetailsResponse,
        SingleTeamDetailsResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.users import (
        ModifyUserRequest,
        ModifyUserResponse,
        UserDetailsResponse,
    )
    from horde_sdk.ai_horde_api.apimodels.workers import (
        AllWorkerMessagesResponse,
        AllWorkersDetailsResponse,
        DeleteWorkerResponse,
        ModifyWorkerResponse,
        SingleWorkerDetailsResponse,
        WorkerMessageResponse,
    )
    from horde_sdk.ai_horde_api.results import AlchemyJobResult, ImageGenerationJobResult, TextGenerationJobResult

__all__ = [
    "AIHordeAPIAsyncSimpleClient",
    "AIHordeAPISimpleClient",
    "BaseAIHordeSimpleClient",
    "GenerationStream",
]

_T = TypeVar("_T")
_R = TypeVar("_R", bound=HordeResponse)
_P = ParamSpec("_P")


def _log_cancel_failure(error: BaseException) -> None:
    """Log that cancelling an abandoned job failed (the logger, and structlog, are made on this rare path)."""
    get_logger(__name__).warning("cancelling an abandoned job failed", error=type(error).__name__)


_MAX_PARALLEL_DOWNLOADS = 4
"""How many result downloads the blocking client runs at once (in threads) for one job."""


class _Job(Protocol):
    """What a driver runs: a flow, and the requests that cancel its server-side work if it is abandoned."""

    def run(self) -> JobFlow[Any]: ...
    def cleanup_requests(self) -> list[HordeRequest]: ...


class _Plan(Generic[_T]):
    """What one client method does: run ``jobs`` (concurrently), then ``finish`` their outcomes.

    (A plain class rather than a dataclass: a dataclass costs about half a millisecond at import.)
    """

    __slots__ = ("finish", "jobs", "on_progress")

    def __init__(
        self, jobs: Sequence[_Job], finish: Callable[[list[Any]], _T], on_progress: ProgressCallback | None = None
    ) -> None:
        self.jobs = jobs
        self.finish = finish
        self.on_progress = on_progress


def _first(outcomes: list[Any]) -> Any:  # noqa: ANN401 - the one outcome of a one-job plan
    return outcomes[0]


def _call(request: HordeRequest, expected: type[_R]) -> _Plan[_R]:
    return _Plan([_flows.CallJob(request, expected)], _first)


class _FlowJob(Generic[_T]):
    """A job made of a flow that starts nothing on the server (dry runs)."""

    def __init__(self, flow: Callable[[], JobFlow[_T]]) -> None:
        self._flow = flow

    def run(self) -> JobFlow[_T]:
        return self._flow()

    def cleanup_requests(self) -> list[HordeRequest]:
        return []


class _Operation(Generic[_P, _T]):
    """A client method defined once: bound to the sync client it returns ``_T``, to the async one an awaitable."""

    def __init__(self, build: Callable[Concatenate[Any, _P], _Plan[_T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__
        self.__name__ = getattr(build, "__name__", "operation")
        self.__wrapped__ = build

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: AIHordeAPISimpleClient, owner: type[Any]) -> Callable[_P, _T]: ...
    @overload
    def __get__(
        self, client: AIHordeAPIAsyncSimpleClient, owner: type[Any]
    ) -> Callable[_P, Coroutine[Any, Any, _T]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        if client is None:
            return self
        return client._bind(self._build)


def _operation(build: Callable[Concatenate[Any, _P], _Plan[_T]]) -> _Operation[_P, _T]:
    return _Operation(build)


class BaseAIHordeSimpleClient:
    """Every method of the simple clients, defined once; see :class:`AIHordeAPISimpleClient`.

    Generation methods take these keyword arguments:

    - ``timeout``: seconds before the job is cancelled on the server and
      :class:`~horde_sdk.ai_horde_api.exceptions.AIHordeGenerationTimeoutError` (carrying what had finished)
      is raised; default 20 minutes, the life of a request on the AI Horde;
    - ``on_progress``: called with a :class:`~horde_sdk.ai_horde_api.progress.GenerationProgress` when the
      job is accepted, after each poll and when it ends;
    - ``on_impossible``: ``"raise"`` (default) cancels a job no worker can serve and raises
      :class:`~horde_sdk.ai_horde_api.exceptions.AIHordeJobImpossibleError` within one poll; ``"wait"`` keeps
      waiting (events say ``impossible``) until a worker comes or the timeout passes.

    A faulted job raises :class:`~horde_sdk.ai_horde_api.exceptions.AIHordeJobFaultedError` within one poll.
    The ``*_requests`` methods run many jobs at once and return their results in order; the first job that
    fails cancels the others (on the server) and its error is raised.
    """

    _context: FlowContext
    _polling: Mapping[JOB_KIND, PollingPolicy]

    def _bind(self, build: Callable[..., _Plan[Any]]) -> Callable[..., Any]:
        raise NotImplementedError

    def _flow_context(self, settings: HordeClientSettings, clock: Callable[[], float]) -> FlowContext:
        return _flows.FlowContext(
            retry=settings.retry,
            clock=clock,
            rng=random.Random(settings.seed),  # noqa: S311 - jitter, not cryptography
            call_timeout=settings.timeouts.total,
            max_download_bytes=settings.max_download_bytes,
        )

    def _job_options(self, timeout: float, on_impossible: ImpossiblePolicy, index: int) -> dict[str, Any]:
        return {"context": self._context, "timeout": timeout, "on_impossible": on_impossible, "index": index}

    def _with_polling(self, job: GenerationJob[Any]) -> GenerationJob[Any]:
        policy = self._polling.get(job.kind)
        if policy is not None:
            job.polling = policy
        return job

    def _jobs_plan(
        self,
        make: Callable[[int], GenerationJob[Any]],
        count: int,
        on_progress: ProgressCallback | None,
        finish: Callable[[list[Any]], Any],
    ) -> _Plan[Any]:
        return _Plan([self._with_polling(make(index)) for index in range(count)], finish, on_progress)

    # ------------------------------------------------------------------------------------- images
    @_operation
    def image_generate_request(
        self,
        request: ImageGenerateAsyncRequest,
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        on_impossible: ImpossiblePolicy = "raise",
    ) -> _Plan[ImageGenerationJobResult]:
        """Generate the images of ``request`` and return them downloaded (see the class for the options)."""
        options = self._job_options(timeout, on_impossible, 0)
        return self._jobs_plan(lambda _: _flows.ImageJob(request, **options), 1, on_progress, _first)

    @_operation
    def image_generate_requests(
        self,
        requests: Sequence[ImageGenerateAsyncRequest],
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        on_impossible: ImpossiblePolicy = "raise",
    ) -> _Plan[list[ImageGenerationJobResult]]:
        """Run many image requests at once; return their results in the order of ``requests``."""
        return self._jobs_plan(
            lambda i: _flows.ImageJob(requests[i], **self._job_options(timeout, on_impossible, i)),
            len(requests),
            on_progress,
            list,
        )

    @_operation
    def image_generate_request_dry_run(self, request: ImageGenerateAsyncRequest) -> _Plan[GenerateAsyncDryRunResponse]:
        """Return what ``request`` would cost in kudos; nothing is queued."""
        return _Plan([_FlowJob(lambda: _flows.dry_run_flow(request))], _first)

    # --------------------------------------------------------------------------------------- text
    @_operation
    def text_generate_request(
        self,
        request: TextGenerateAsyncRequest,
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        on_impossible: ImpossiblePolicy = "raise",
    ) -> _Plan[TextGenerationJobResult]:
        """Generate the texts of ``request`` and return them (see the class for the options)."""
        options = self._job_options(timeout, on_impossible, 0)
        return self._jobs_plan(lambda _: _flows.TextJob(request, **options), 1, on_progress, _first)

    @_operation
    def text_generate_requests(
        self,
        requests: Sequence[TextGenerateAsyncRequest],
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        on_impossible: ImpossiblePolicy = "raise",
    ) -> _Plan[list[TextGenerationJobResult]]:
        """Run many text requests at once; return their results in the order of ``requests``."""
        return self._jobs_plan(
            lambda i: _flows.TextJob(requests[i], **self._job_options(timeout, on_impossible, i)),
            len(requests),
            on_progress,
            list,
        )

    @_operation
    def text_generate_request_dry_run(self, request: TextGenerateAsyncRequest) -> _Plan[GenerateAsyncDryRunResponse]:
        """Return what ``request`` would cost in kudos; nothing is queued."""
        return _Plan([_FlowJob(lambda: _flows.dry_run_flow(request))], _first)

    # ------------------------------------------------------------------------------------ alchemy
    @_operation
    def alchemy_request(
        self,
        request: AlchemyAsyncRequest,
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> _Plan[AlchemyJobResult]:
        """Apply the forms of ``request`` and return one result per form (post-processed images downloaded).

        Alchemy has no dry run on the AI Horde API and no ``is_possible`` verdict.
        """
        options = self._job_options(timeout, "raise", 0)
        return self._jobs_plan(lambda _: _flows.AlchemyJob(request, **options), 1, on_progress, _first)

    @_operation
    def alchemy_requests(
        self,
        requests: Sequence[AlchemyAsyncRequest],
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> _Plan[list[AlchemyJobResult]]:
        """Run many alchemy requests at once; return their results in the order of ``requests``."""
        return self._jobs_plan(
            lambda i: _flows.AlchemyJob(requests[i], **self._job_options(timeout, "raise", i)),
            len(requests),
            on_progress,
            list,
        )

    # ------------------------------------------------------------------------------------- status
    @_operation
    def heartbeat(self) -> _Plan[HordeHeartbeatResponse]:
        """Return the server's heartbeat (is it up, which version)."""
        return _call(_models.HordeHeartbeatRequest(), _models.HordeHeartbeatResponse)

    @_operation
    def news(self) -> _Plan[NewsResponse]:
        """Return the horde's news, newest first."""
        return _call(_models.NewsRequest(), _models.NewsResponse)

    @_operation
    def performance(self) -> _Plan[HordePerformanceResponse]:
        """Return the horde's queue sizes, worker counts and throughput."""
        return _call(_models.HordePerformanceRequest(), _models.HordePerformanceResponse)

    @_operation
    def models_status(
        self,
        model_type: MODEL_TYPE | str = MODEL_TYPE.image,
        *,
        min_count: int | None = None,
        max_count: int | None = None,
        model_state: MODEL_STATE | str | None = None,
    ) -> _Plan[AllActiveModelsResponse]:
        """Return the models workers serve now, with their queues and ETAs."""
        request = _models.AllActiveModelsRequest(
            type_=model_type, min_count=min_count, max_count=max_count, model_state=model_state
        )
        return _call(request, _models.AllActiveModelsResponse)

    @_operation
    def model_status(self, model_name: str) -> _Plan[SingleActiveModelResponse]:
        """Return the status of one model."""
        return _call(_models.SingleActiveModelRequest(model_name=model_name), _models.SingleActiveModelResponse)

    # -------------------------------------------------------------------------------------- stats
    @_operation
    def image_stats_totals(self) -> _Plan[ImageStatsTotalsResponse]:
        """Return how many images the horde made (per minute, hour, day, month, total)."""
        return _call(_models.ImageStatsTotalsRequest(), _models.ImageStatsTotalsResponse)

    @_operation
    def image_stats_models(self, model_state: MODEL_STATE | str | None = None) -> _Plan[ImageStatsModelsResponse]:
        """Return how many images each model made."""
        return _call(_models.ImageStatsModelsRequest(model_state=model_state), _models.ImageStatsModelsResponse)

    @_operation
    def text_stats_totals(self) -> _Plan[TextStatsTotalsResponse]:
        """Return how many texts and tokens the horde made."""
        return _call(_models.TextStatsTotalsRequest(), _models.TextStatsTotalsResponse)

    @_operation
    def text_stats_models(self) -> _Plan[TextStatsModelsResponse]:
        """Return how many texts each model made."""
        return _call(_models.TextStatsModelsRequest(), _models.TextStatsModelsResponse)

    # ------------------------------------------------------------------------------------ workers
    @_operation
    def workers(
        self, worker_type: WORKER_TYPE | str | None = None, *, name: str | None = None
    ) -> _Plan[AllWorkersDetailsResponse]:
        """Return the workers online (of one type, or whose name is ``name``)."""
        return _call(_models.AllWorkersDetailsRequest(type_=worker_type, name=name), _models.AllWorkersDetailsResponse)

    @_operation
    def worker_by_id(self, worker_id: str) -> _Plan[SingleWorkerDetailsResponse]:
        """Return one worker by id."""
        return _call(
            _models.SingleWorkerDetailsRequest(worker_id=WorkerID(worker_id)), _models.SingleWorkerDetailsResponse
        )

    @_operation
    def worker_by_name(self, worker_name: str) -> _Plan[SingleWorkerDetailsResponse]:
        """Return one worker by name."""
        return _call(
            _models.SingleWorkerNameDetailsRequest(worker_name=worker_name), _models.SingleWorkerDetailsResponse
        )

    @_operation
    def modify_worker(
        self,
        worker_id: str,
        *,
        maintenance: bool | None = None,
        maintenance_msg: str | None = None,
        paused: bool | None = None,
        info: str | None = None,
        name: str | None = None,
        team: str | None = None,
    ) -> _Plan[ModifyWorkerResponse]:
        """Change one of your workers (or, as a moderator, any): maintenance, info, name, team..."""
        changes = {
            "maintenance": maintenance,
            "maintenance_msg": maintenance_msg,
            "paused": paused,
            "info": info,
            "name": name,
            "team": team,
        }
        request = _models.ModifyWorkerRequest.model_validate(
            {"worker_id": worker_id, **{key: value for key, value in changes.items() if value is not None}}
        )
        return _call(request, _models.ModifyWorkerResponse)

    @_operation
    def delete_worker(self, worker_id: str) -> _Plan[DeleteWorkerResponse]:
        """Delete one of your workers."""
        return _call(_models.DeleteWorkerRequest(worker_id=WorkerID(worker_id)), _models.DeleteWorkerResponse)

    @_operation
    def worker_messages(
        self, *, worker_id: str | None = None, user_id: str | None = None, page: int | None = None
    ) -> _Plan[AllWorkerMessagesResponse]:
        """Return messages to your workers (or to one worker, or, as a moderator, to a user's)."""
        request = _models.AllWorkerMessagesRequest(
            worker_id=WorkerID(worker_id) if worker_id else None, user_id=user_id, page=page
        )
        return _call(request, _models.AllWorkerMessagesResponse)

    @_operation
    def send_worker_message(
        self, message: str, *, worker_id: str | None = None, origin: str | None = None, expiry: int | None = None
    ) -> _Plan[WorkerMessageResponse]:
        """Send a message to a worker (moderators; ``worker_id`` None writes to every worker)."""
        body: dict[str, Any] = {"message": message, "worker_id": worker_id, "origin": origin, "expiry": expiry}
        request = _models.SendWorkerMessageRequest.model_validate(
            {key: value for key, value in body.items() if value is not None}
        )
        return _call(request, _models.WorkerMessageResponse)

    @_operation
    def delete_worker_message(self, message_id: str) -> _Plan[SimpleResponse]:
        """Delete a worker message."""
        return _call(_models.DeleteWorkerMessageRequest(message_id=MessageID(message_id)), _models.SimpleResponse)

    # -------------------------------------------------------------------------------------- users
    @_operation
    def find_user(self) -> _Plan[UserDetailsResponse]:
        """Return the user of this client's API key (kudos, usage, workers...)."""
        return _call(_models.FindUserRequest(), _models.UserDetailsResponse)

    @_operation
    def user_details(self, user_id: int | str) -> _Plan[UserDetailsResponse]:
        """Return one user's public details (and private ones for your own key or as a moderator)."""
        return _call(_models.SingleUserDetailsRequest(user_id=UserID(int(user_id))), _models.UserDetailsResponse)

    @_operation
    def modify_user(self, request: ModifyUserRequest) -> _Plan[ModifyUserResponse]:
        """Change a user (moderators; users may change some of their own fields)."""
        return _call(request, _models.ModifyUserResponse)

    # --------------------------------------------------------------------------------------- teams
    @_operation
    def teams(self) -> _Plan[AllTeamDetailsResponse]:
        """Return every team."""
        return _call(_models.AllTeamDetailsRequest(), _models.AllTeamDetailsResponse)

    @_operation
    def team_by_id(self, team_id: str) -> _Plan[SingleTeamDetailsResponse]:
        """Return one team."""
        return _call(_models.SingleTeamDetailsRequest(team_id=TeamID(team_id)), _models.SingleTeamDetailsResponse)

    # -------------------------------------------------------------------------- styles, collections
    @_operation
    def image_styles(
        self, *, page: int | None = None, tag: str | None = None, model: str | None = None, sort: str | None = None
    ) -> _Plan[AllImageStylesResponse]:
        """Return a page of image styles."""
        return _call(
            _models.AllImageStylesRequest(page=page, tag=tag, model=model, sort=sort), _models.AllImageStylesResponse
        )

    @_operation
    def image_style(self, style_id: str) -> _Plan[ImageStyleDetailsResponse]:
        """Return one image style by id."""
        return _call(_models.SingleImageStyleRequest(style_id=StyleID(style_id)), _models.ImageStyleDetailsResponse)

    @_operation
    def image_style_by_name(self, style_name: str) -> _Plan[ImageStyleDetailsResponse]:
        """Return one image style by name."""
        return _call(_models.SingleImageStyleByNameRequest(style_name=style_name), _models.ImageStyleDetailsResponse)

    @_operation
    def text_styles(
        self, *, page: int | None = None, tag: str | None = None, model: str | None = None, sort: str | None = None
    ) -> _Plan[AllTextStylesResponse]:
        """Return a page of text styles."""
        return _call(
            _models.AllTextStylesRequest(page=page, tag=tag, model=model, sort=sort), _models.AllTextStylesResponse
        )

    @_operation
    def text_style(self, style_id: str) -> _Plan[TextStyleDetailsResponse]:
        """Return one text style by id."""
        return _call(_models.SingleTextStyleRequest(style_id=StyleID(style_id)), _models.TextStyleDetailsResponse)

    @_operation
    def text_style_by_name(self, style_name: str) -> _Plan[TextStyleDetailsResponse]:
        """Return one text style by name."""
        return _call(_models.SingleTextStyleByNameRequest(style_name=style_name), _models.TextStyleDetailsResponse)

    @_operation
    def collections(
        self, *, page: int | None = None, collection_type: str | None = None, sort: str | None = None
    ) -> _Plan[AllCollectionsResponse]:
        """Return a page of style collections."""
        return _call(
            _models.AllCollectionsRequest(page=page, type_=collection_type, sort=sort), _models.AllCollectionsResponse
        )

    @_operation
    def collection(self, collection_id: str) -> _Plan[CollectionDetailsResponse]:
        """Return one collection by id."""
        return _call(
            _models.SingleCollectionRequest(collection_id=CollectionID(collection_id)),
            _models.CollectionDetailsResponse,
        )

    @_operation
    def collection_by_name(self, collection_name: str) -> _Plan[CollectionDetailsResponse]:
        """Return one collection by name."""
        return _call(
            _models.SingleCollectionByNameRequest(collection_name=collection_name), _models.CollectionDetailsResponse
        )

    # --------------------------------------------------------------------------------- shared keys
    @_operation
    def shared_key(self, sharedkey_id: str) -> _Plan[SharedKeyDetailsResponse]:
        """Return one shared key."""
        return _call(
            _models.SingleSharedKeyRequest(sharedkey_id=SharedKeyID(sharedkey_id)), _models.SharedKeyDetailsResponse
        )

    @_operation
    def create_shared_key(self, request: CreateSharedKeyRequest) -> _Plan[SharedKeyDetailsResponse]:
        """Create a shared key of your account."""
        return _call(request, _models.SharedKeyDetailsResponse)

    @_operation
    def modify_shared_key(self, request: ModifySharedKeyRequest) -> _Plan[SharedKeyDetailsResponse]:
        """Change one of your shared keys."""
        return _call(request, _models.SharedKeyDetailsResponse)

    @_operation
    def delete_shared_key(self, sharedkey_id: str) -> _Plan[SimpleResponse]:
        """Delete one of your shared keys."""
        return _call(_models.DeleteSharedKeyRequest(sharedkey_id=SharedKeyID(sharedkey_id)), _models.SimpleResponse)

    # --------------------------------------------------------------------------------------- kudos
    @_operation
    def kudos_transfer(
        self, username: str, amount: int, *, idempotency_key: str | None = None
    ) -> _Plan[KudosTransferResponse]:
        """Give ``amount`` kudos to ``username`` (``name#id``).

        Pass an ``idempotency_key`` (any unique string, e.g. a UUID you store) to make retrying safe: the
        server performs a transfer with a key it has seen only once.
        """
        request = _models.KudosTransferRequest(username=username, amount=amount, idempotency_key=idempotency_key)
        return _call(request, _models.KudosTransferResponse)

    # ------------------------------------------------------------------------------------- filters
    @_operation
    def filters(self, *, filter_type: int | None = None, contains: str | None = None) -> _Plan[AllFiltersResponse]:
        """Return the prompt filters (moderators)."""
        return _call(_models.AllFiltersRequest(filter_type=filter_type, contains=contains), _models.AllFiltersResponse)

    @_operation
    def check_prompt_suspicion(
        self, prompt: str, *, filter_type: int | None = None
    ) -> _Plan[FilterPromptSuspicionResponse]:
        """Return how suspicious the filters find ``prompt`` (moderators)."""
        request = _models.CheckPromptSuspicionRequest(prompt=prompt, filter_type=filter_type)
        return _call(request, _models.FilterPromptSuspicionResponse)


# -------------------------------------------------------------------------------------- sync driver
class _Slot:
    """One job being driven: its flow, when it wakes, what it is sent next and how it ended."""

    __slots__ = ("failed", "finished", "flow", "job", "outcome", "send", "throw", "wake_at")

    def __init__(self, job: _Job, flow: JobFlow[Any]) -> None:
        self.job = job
        self.flow = flow
        self.wake_at = 0.0
        self.send: Any = None
        self.throw: BaseException | None = None
        self.finished = False
        self.outcome: Any = None
        self.failed = False


def _download_sync(transport: SyncTransport, action: DownloadAction) -> tuple[RawResponse | TransportFailure, ...]:
    def fetch(url: str) -> RawResponse | TransportFailure:
        return transport.send_raw("GET", url, timeout=action.timeout, max_body_bytes=action.max_body_bytes)

    if len(action.urls) <= 1:
        return tuple(fetch(url) for url in action.urls)
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only blocking downloads of batches use threads

    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL_DOWNLOADS, len(action.urls))) as pool:
        return tuple(pool.map(fetch, action.urls))


def _drive_sync(
    plan: _Plan[Any],
    session: AIHordeAPIClientSession,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> list[Any]:
    """Run the plan's flows round-robin in this thread: always advance the job whose sleep ends first.

    On any exit other than every job succeeding (a job's error, Ctrl-C), the jobs not finished are cancelled
    on the server before the exception propagates.
    """
    slots = [_Slot(job, job.run()) for job in plan.jobs]
    try:
        while True:
            live = [slot for slot in slots if not slot.finished]
            if not live:
                return [slot.outcome for slot in slots]
            slot = min(live, key=lambda candidate: candidate.wake_at)
            wait = slot.wake_at - clock()
            if wait > 0:
                sleep(wait)
            _advance_sync(slot, plan, session, clock)
            if slot.failed:
                raise slot.outcome
    finally:
        _cleanup_sync(slots, session)


def _advance_sync(slot: _Slot, plan: _Plan[Any], session: AIHordeAPIClientSession, clock: Callable[[], float]) -> None:
    """Run one job's flow until it sleeps or ends."""
    while True:
        try:
            action = slot.flow.throw(slot.throw) if slot.throw is not None else slot.flow.send(slot.send)
        except StopIteration as stop:
            slot.finished, slot.outcome = True, stop.value
            return
        except Exception as error:  # noqa: BLE001 - the job's error, raised by the driver
            slot.finished, slot.failed, slot.outcome = True, True, error
            return
        slot.send, slot.throw = None, None
        if isinstance(action, _core.SleepAction):
            slot.wake_at = clock() + action.seconds
            return
        if isinstance(action, _flows.ApiCallAction):
            try:
                slot.send = session.submit_request(action.request, timeout=action.timeout)
            except HordeError as error:
                slot.throw = error
        elif isinstance(action, _flows.DownloadAction):
            slot.send = _download_sync(session.transport, action)
        elif isinstance(action, _flows.EmitAction):
            if plan.on_progress is not None:
                plan.on_progress(action.event)
        else:  # pragma: no cover - a flow bug
            raise TypeError(f"unknown flow action {action!r}")


def _cleanup_sync(slots: list[_Slot], session: AIHordeAPIClientSession) -> None:
    for slot in slots:
        slot.flow.close()
        if slot.finished and not slot.failed:
            continue
        for request in slot.job.cleanup_requests():
            try:
                session.submit_request(request, timeout=JOB_CANCEL_TIMEOUT)
            except HordeNotFoundError:
                pass  # already gone from the server: nothing is left waiting
            except HordeError as error:
                # The session retries on close; nothing more to do here.
                _log_cancel_failure(error)


# ------------------------------------------------------------------------------------- async driver
async def _download_async(
    transport: AsyncTransport, action: DownloadAction
) -> tuple[RawResponse | TransportFailure, ...]:
    results: list[RawResponse | TransportFailure | None] = [None] * len(action.urls)

    async def fetch(index: int, url: str) -> None:
        results[index] = await transport.send_raw(
            "GET", url, timeout=action.timeout, max_body_bytes=action.max_body_bytes
        )

    async with anyio.create_task_group() as group:
        for index, url in enumerate(action.urls):
            group.start_soon(fetch, index, url)
    return tuple(result for result in results if result is not None)


async def _perform_async(
    action: object,
    plan: _Plan[Any],
    session: AIHordeAPIAsyncClientSession,
    sleep: Callable[[float], Awaitable[None]],
) -> tuple[Any, BaseException | None]:
    """Perform one flow action; return what to send into the flow, or the error to throw into it."""
    if isinstance(action, _core.SleepAction):
        await sleep(action.seconds)
    elif isinstance(action, _flows.ApiCallAction):
        try:
            return await session.submit_request(action.request, timeout=action.timeout), None
        except HordeError as error:
            return None, error
    elif isinstance(action, _flows.DownloadAction):
        return await _download_async(session.transport, action), None
    elif isinstance(action, _flows.EmitAction):
        if plan.on_progress is not None:
            plan.on_progress(action.event)
    else:  # pragma: no cover - a flow bug
        raise TypeError(f"unknown flow action {action!r}")
    return None, None


async def _drive_one_async(
    job: _Job,
    plan: _Plan[Any],
    session: AIHordeAPIAsyncClientSession,
    sleep: Callable[[float], Awaitable[None]],
    cleanup_timeout: float,
) -> Any:  # noqa: ANN401 - the job's result
    """Run one job's flow; if it is abandoned (cancellation, error), cancel its job on the server, shielded."""
    flow = job.run()
    send: Any = None
    throw: BaseException | None = None
    succeeded = False
    try:
        while True:
            try:
                action = flow.throw(throw) if throw is not None else flow.send(send)
            except StopIteration as stop:
                succeeded = True
                return stop.value
            send, throw = await _perform_async(action, plan, session, sleep)
    finally:
        flow.close()
        if not succeeded:
            requests = job.cleanup_requests()
            if requests:
                with anyio.CancelScope(shield=True), anyio.move_on_after(cleanup_timeout):
                    for request in requests:
                        try:
                            await session.submit_request(request, timeout=JOB_CANCEL_TIMEOUT)
                        except HordeNotFoundError:
                            pass  # already gone from the server: nothing is left waiting
                        except HordeError as error:
                            _log_cancel_failure(error)


async def _drive_async(
    plan: _Plan[Any],
    session: AIHordeAPIAsyncClientSession,
    sleep: Callable[[float], Awaitable[None]],
    cleanup_timeout: float,
) -> list[Any]:
    """Run every job of the plan in its own task of one task group; the first failure cancels the rest."""
    if len(plan.jobs) == 1:
        return [await _drive_one_async(plan.jobs[0], plan, session, sleep, cleanup_timeout)]
    outcomes: list[Any] = [None] * len(plan.jobs)
    failure: list[BaseException] = []

    async with anyio.create_task_group() as group:

        async def run(index: int, job: _Job) -> None:
            try:
                outcomes[index] = await _drive_one_async(job, plan, session, sleep, cleanup_timeout)
            except Exception as error:  # noqa: BLE001 - re-raised after the group ends
                if not failure:
                    failure.append(error)
                    group.cancel_scope.cancel()

        for index, job in enumerate(plan.jobs):
            group.start_soon(run, index, job)
    if failure:
        raise failure[0]
    return outcomes


# ------------------------------------------------------------------------------------------ clients
class AIHordeAPISimpleClient(BaseAIHordeSimpleClient):
    """The blocking simple client: one call from a request to its typed, downloaded result.

    Use it as a context manager (or call :meth:`close`)::

        with AIHordeAPISimpleClient(api_key="...", client_agent="my-bot:1.0:me@example.org") as client:
            result = client.image_generate_request(ImageGenerateAsyncRequest(prompt="a lighthouse at dusk"))
            Path("lighthouse.webp").write_bytes(result.generations[0].image)

    Args:
        cleanup_timeout: Seconds closing the client may spend cancelling leftover jobs.
        http_client: An ``httpx.Client`` to use instead of creating one (not closed by this client).
        polling: Polling policies to use instead of the defaults, by job kind (e.g. a tighter one against a
            local horde with instant workers). The server's limits still apply through the rate limiter.
        clock: The monotonic clock the flows read (tests pass a fake one along with ``sleep``).
        sleep: How to wait between polls.
        **options: Client settings; see :class:`~horde_sdk.ai_horde_api.ai_horde_clients.AIHordeClientOptions`.
    """

    def __init__(
        self,
        *,
        cleanup_timeout: float = 30.0,
        http_client: SyncHTTPClient | None = None,
        polling: Mapping[JOB_KIND, PollingPolicy] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        **options: Unpack[AIHordeClientOptions],
    ) -> None:
        self._session = _sessions.AIHordeAPIClientSession(
            cleanup_timeout=cleanup_timeout, http_client=http_client, **options
        )
        self._context = self._flow_context(self._session.settings, clock)
        self._polling = dict(polling or {})
        self._clock = clock
        self._sleep = sleep

    @property
    def session(self) -> AIHordeAPIClientSession:
        """The client session underneath: send any typed request with ``session.submit_request``."""
        return self._session

    @property
    def settings(self) -> HordeClientSettings:
        """The client's settings."""
        return self._session.settings

    def _bind(self, build: Callable[..., _Plan[Any]]) -> Callable[..., Any]:
        @functools.wraps(build)
        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - the operation's own signature
            plan = build(self, *args, **kwargs)
            return plan.finish(_drive_sync(plan, self._session, sleep=self._sleep, clock=self._clock))

        return call

    def close(self) -> None:
        """Cancel every job still open on the server and release the connections."""
        self._session.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._session.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._session!r})"


class GenerationStream(Generic[_T]):
    """The progress events of a running job, then its result.

    Made by :meth:`AIHordeAPIAsyncSimpleClient.image_generate_stream` and its text and alchemy twins.

    ``async for event in stream`` yields :class:`~horde_sdk.ai_horde_api.progress.GenerationProgress`
    events until the job ends; ``await stream.result()`` returns the result or raises the job's error.
    """

    def __init__(self, events: anyio.abc.ObjectReceiveStream[GenerationProgress]) -> None:
        self._events = events
        self._ended = anyio.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def __aiter__(self) -> AsyncIterator[GenerationProgress]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[GenerationProgress]:
        async for event in self._events:
            yield event

    @property
    def ended(self) -> bool:
        """True once the job has a result or an error."""
        return self._ended.is_set()

    async def result(self) -> _T:
        """Wait for the job to end; return its result or raise its error."""
        await self._ended.wait()
        if self._error is not None:
            raise self._error
        value: _T = self._value
        return value

    def _finish(self, value: Any = None, error: BaseException | None = None) -> None:  # noqa: ANN401
        self._value, self._error = value, error
        self._ended.set()


class AIHordeAPIAsyncSimpleClient(BaseAIHordeSimpleClient):
    """The async simple client: the same methods as :class:`AIHordeAPISimpleClient`, awaited.

    ``*_requests`` run their jobs concurrently in one anyio task group; many single calls may also run at
    once from your own tasks. Cancelling a call (or the task running it) cancels its jobs on the server,
    shielded from the cancellation. Use ``async with`` (or call :meth:`aclose`)::

        async with AIHordeAPIAsyncSimpleClient(api_key="...") as client:
            results = await client.image_generate_requests([request_a, request_b])

    Takes the same arguments as the blocking client; ``http_client`` is an ``httpx.AsyncClient`` and
    ``sleep`` an async function.
    """

    def __init__(
        self,
        *,
        cleanup_timeout: float = 30.0,
        http_client: AsyncHTTPClient | None = None,
        polling: Mapping[JOB_KIND, PollingPolicy] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        **options: Unpack[AIHordeClientOptions],
    ) -> None:
        self._session = _sessions.AIHordeAPIAsyncClientSession(
            cleanup_timeout=cleanup_timeout, http_client=http_client, **options
        )
        self._context = self._flow_context(self._session.settings, clock)
        self._polling = dict(polling or {})
        self._sleep = sleep
        self._cleanup_timeout = cleanup_timeout

    @property
    def session(self) -> AIHordeAPIAsyncClientSession:
        """The client session underneath: send any typed request with ``await session.submit_request``."""
        return self._session

    @property
    def settings(self) -> HordeClientSettings:
        """The client's settings."""
        return self._session.settings

    def _bind(self, build: Callable[..., _Plan[Any]]) -> Callable[..., Any]:
        @functools.wraps(build)
        async def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - the operation's own signature
            plan = build(self, *args, **kwargs)
            return plan.finish(await _drive_async(plan, self._session, self._sleep, self._cleanup_timeout))

        return call

    @contextlib.asynccontextmanager
    async def _stream(self, plan: _Plan[_T]) -> AsyncIterator[GenerationStream[_T]]:
        send, receive = anyio.create_memory_object_stream[_progress.GenerationProgress](math.inf)
        stream: GenerationStream[_T] = GenerationStream(receive)
        user_hook = plan.on_progress

        def hook(event: GenerationProgress) -> None:
            if user_hook is not None:
                user_hook(event)
            send.send_nowait(event)

        hooked = _Plan(plan.jobs, plan.finish, hook)

        async def runner() -> None:
            with send:
                try:
                    outcomes = await _drive_async(hooked, self._session, self._sleep, self._cleanup_timeout)
                except Exception as error:  # noqa: BLE001 - raised by stream.result()
                    stream._finish(error=error)
                else:
                    stream._finish(hooked.finish(outcomes))

        with receive:
            async with anyio.create_task_group() as group:
                group.start_soon(runner)
                try:
                    yield stream
                finally:
                    if not stream.ended:
                        group.cancel_scope.cancel()

    def image_generate_stream(
        self,
        request: ImageGenerateAsyncRequest,
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_impossible: ImpossiblePolicy = "raise",
    ) -> contextlib.AbstractAsyncContextManager[GenerationStream[ImageGenerationJobResult]]:
        """Start an image job and iterate its progress.

        Example::

            async with client.image_generate_stream(request) as stream:
                async for event in stream:
                    print(event.state, event.queue_position, event.wait_time)
                result = await stream.result()

        Leaving the block before the job ends cancels it on the server.
        """
        options = self._job_options(timeout, on_impossible, 0)
        return self._stream(self._jobs_plan(lambda _: _flows.ImageJob(request, **options), 1, None, _first))

    def text_generate_stream(
        self,
        request: TextGenerateAsyncRequest,
        *,
        timeout: float = DEFAULT_JOB_TIMEOUT,
        on_impossible: ImpossiblePolicy = "raise",
    ) -> contextlib.AbstractAsyncContextManager[GenerationStream[TextGenerationJobResult]]:
        """Start a text job and iterate its progress (see :meth:`image_generate_stream`)."""
        options = self._job_options(timeout, on_impossible, 0)
        return self._stream(self._jobs_plan(lambda _: _flows.TextJob(request, **options), 1, None, _first))

    def alchemy_stream(
        self, request: AlchemyAsyncRequest, *, timeout: float = DEFAULT_JOB_TIMEOUT
    ) -> contextlib.AbstractAsyncContextManager[GenerationStream[AlchemyJobResult]]:
        """Start an alchemy job and iterate its progress (see :meth:`image_generate_stream`)."""
        options = self._job_options(timeout, "raise", 0)
        return self._stream(self._jobs_plan(lambda _: _flows.AlchemyJob(request, **options), 1, None, _first))

    async def aclose(self) -> None:
        """Cancel every job still open on the server and release the connections."""
        await self._session.__aexit__(None, None, None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._session.__aexit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._session!r})"
