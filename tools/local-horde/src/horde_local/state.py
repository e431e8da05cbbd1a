"""The local horde's state and rules: users, workers, requests, generations, kudos and stored images.

Nothing here knows HTTP. Every method takes validated SDK request models (or plain values) and returns
JSON-ready dictionaries; a refusal is a :class:`HordeFailure` carrying the status, ``rc`` and message
the real server would answer with. Time comes from a clock object; expiries (job ``ttl``, request
lifetime) are applied lazily by :meth:`HordeState.tick`, which the app calls before every request.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import hmac
import math
import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from horde_local.bridges import bridge_refusal
from horde_local.clock import Clock
from horde_local.config import ANONYMOUS_KEY, HordeConfig, Role
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyJobPopRequest,
    AlchemyJobSubmitRequest,
    ImageGenerateAsyncRequest,
    ImageGenerateJobPopRequest,
    ImageGenerateJobSubmitRequest,
    ModifyWorkerRequest,
    SendWorkerMessageRequest,
    TextGenerateAsyncRequest,
    TextGenerateJobPopRequest,
    TextGenerateJobSubmitRequest,
)
from horde_sdk.ai_horde_api.consts import RC
from horde_sdk.generation_parameters import KNOWN_IMAGE_POST_PROCESSORS

__all__ = [
    "VALIDATED_TEXT_BACKENDS",
    "Generation",
    "HordeFailure",
    "HordeState",
    "Kind",
    "Request",
    "User",
    "Worker",
    "WorkerCounts",
    "WorkerMessage",
]

Kind = Literal["image", "text", "alchemy"]
_WORKER_TYPE: dict[Kind, str] = {"image": "image", "text": "text", "alchemy": "interrogation"}
_POST_PROCESSOR_FORMS = frozenset(str(member) for member in KNOWN_IMAGE_POST_PROCESSORS)
_R2_GENERATION = "R2"
_UPFRONT_STEPS = 40
_UPFRONT_PIXELS = 1024 * 1024
_BASE_PIXELS = 512 * 512
VALIDATED_TEXT_BACKENDS = frozenset(
    {
        "AI Horde Worker",
        "AI Horde Worker~aphrodite~oai",
        "AI Horde Worker~aphrodite~kai",
        "KoboldCppEmbedWorker",
        "TabbyAPI",
    }
)
"""Bridge names (the part of ``bridge_agent`` before the first ``:``) of the validated text backends."""
_UNCOUNTED_BRIDGE_REASON = "bridge_version"
_MESSAGE_MAX_HOURS = 30 * 24
_POP_MESSAGE_KEYS = frozenset({"id", "message", "origin", "expiry"})


class HordeFailure(Exception):  # noqa: N818 - an answer of the server, not an error of this program
    """A refusal, as the real server would answer it.

    Attributes:
        status: HTTP status code.
        message: The ``message`` of the error body.
        rc: The ``rc`` of the error body (None for validation failures and 429s).
        errors: ``{field: reason}`` for validation failures.
    """

    def __init__(self, status: int, message: str, rc: str | None = None, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.rc = rc
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON error body."""
        body: dict[str, Any] = {"message": self.message}
        if self.rc is not None:
            body["rc"] = self.rc
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def validation_failure(errors: dict[str, str]) -> HordeFailure:
    """Return the 400 a request failing input validation gets."""
    return HordeFailure(400, "Input payload validation failed", errors=errors)


@dataclass
class User:
    """A user: an API key with a role and a kudos balance."""

    id: int
    name: str
    key: str
    role: Role
    kudos: float
    created: float
    kudos_accumulated: float = 0.0
    requested: Counter[str] = field(default_factory=Counter)
    fulfilled: Counter[str] = field(default_factory=Counter)
    megapixelsteps_requested: float = 0.0
    megapixelsteps_generated: float = 0.0
    tokens_requested: int = 0
    tokens_generated: int = 0
    worker_ids: list[str] = field(default_factory=list)

    @property
    def username(self) -> str:
        """``name#id``."""
        return f"{self.name}#{self.id}"

    @property
    def anonymous(self) -> bool:
        """True for the shared anonymous user."""
        return self.role is Role.anonymous

    @property
    def trusted(self) -> bool:
        """Trusted users and moderators."""
        return self.role in (Role.trusted, Role.moderator)


@dataclass
class Worker:
    """A worker, created by its first pop."""

    id: str
    name: str
    kind: Kind
    owner: User
    created: float
    last_seen: float
    models: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    threads: int = 1
    nsfw: bool = False
    max_pixels: int = 0
    max_length: int = 0
    max_context_length: int = 0
    bridge_agent: str = "unknown"
    allow_img2img: bool = True
    allow_painting: bool = True
    allow_post_processing: bool = True
    allow_lora: bool = True
    allow_controlnet: bool = True
    fulfilled: int = 0
    kudos: float = 0.0
    uncompleted: int = 0
    megapixelsteps: float = 0.0
    tokens: int = 0
    maintenance: bool = False
    maintenance_msg: str | None = None
    paused: bool = False
    info: str | None = None
    cancelled: int = 0
    """Popped alchemy forms cancelled before their submit."""
    pops: int = 0
    """Generations (images, texts, alchemy forms) handed out to this worker by pops."""
    submits: Counter[str] = field(default_factory=Counter)
    """Accepted submits by outcome: ``ok``, ``censored``, ``faulted``."""

    def maintenance_message(self) -> str:
        """The message of the 403 its pops get while in maintenance."""
        return self.maintenance_msg or (
            f"Worker {self.name} is in maintenance mode: it gets no new jobs until its owner "
            "(or a moderator) takes it out of maintenance."
        )


@dataclass
class WorkerMessage:
    """A message to a worker's owner (``/v2/workers/messages``)."""

    id: str
    user: User
    worker_id: str | None
    message: str
    origin: str
    created: float
    expiry: float

    def details(self) -> dict[str, Any]:
        """The answer's form: dates as the server writes them (``"Mon, 07 Dec 2026 01:50:40 -0000"``)."""
        answer: dict[str, Any] = {
            "id": self.id,
            "user_id": str(self.user.id),
            "message": self.message,
            "origin": self.origin,
            "expiry": email.utils.formatdate(self.expiry),
            "created": email.utils.formatdate(self.created),
        }
        if self.worker_id is not None:
            answer["worker_id"] = self.worker_id
        return answer


@dataclass(frozen=True)
class WorkerCounts:
    """What happened to the generations handed out to one worker (a snapshot).

    Every popped generation is in exactly one of the other counts, so ``popped == submitted + faulted +
    aborted + cancelled + in_flight`` (see :attr:`balanced`).

    Attributes:
        name: The worker's name.
        popped: Generations handed out by pops.
        submitted: Submits accepted as results (``ok`` or ``censored``).
        faulted: Submits accepted with ``state: "faulted"``.
        aborted: Generations taken back after their ttl ran out.
        cancelled: Popped alchemy forms cancelled with their request before being submitted.
        in_flight: Generations popped and not yet submitted nor taken back.
        submits: Accepted submits by outcome (``ok``, ``censored``, ``faulted``).
    """

    name: str
    popped: int
    submitted: int
    faulted: int
    aborted: int
    cancelled: int
    in_flight: int
    submits: dict[str, int]

    @property
    def balanced(self) -> bool:
        """True when every popped generation is accounted for."""
        return self.popped == self.submitted + self.faulted + self.aborted + self.cancelled + self.in_flight


GenerationState = Literal["waiting", "processing", "done", "faulted", "aborted", "cancelled"]


@dataclass
class Generation:
    """One image, text or alchemy form: made by one worker and submitted on its own."""

    id: str
    request: Request
    state: GenerationState
    form: str | None = None
    worker: Worker | None = None
    model: str | None = None
    popped_at: float = 0.0
    result: Any = None
    image_key: str | None = None
    seed: int | None = None
    censored: bool = False
    gen_metadata: list[dict[str, Any]] | None = None


@dataclass
class Request:
    """A requester's async request (image, text or alchemy)."""

    id: str
    kind: Kind
    user: User
    created: float
    expires: float
    marker: str
    n: int
    cost_per_generation: float
    model_input: Any
    models: tuple[str, ...] = ()
    waiting: int = 0
    restarted: int = 0
    cancelled: bool = False
    faulted: bool = False
    consumed: float = 0.0
    r2: bool = True
    seed_base: int = 0
    seed_fixed: bool = False
    """Images: the request gave a seed (or a ``seed_variation``): jobs derive theirs from ``seed_base``."""
    seed_variation: int = 0
    jobs_started: int = 0
    validated_backends: bool = False
    """Text: only workers of a validated backend may take it (the field was sent as true)."""
    """Images: how many jobs (pops) of the request were handed out; job k's seed uses it."""
    width: int = 0
    height: int = 0
    steps: int = 0
    source_key: str | None = None
    generations: list[Generation] = field(default_factory=list)
    forms: list[Generation] = field(default_factory=list)

    def counts(self) -> tuple[int, int]:
        """Return (finished, processing) generations."""
        finished = sum(1 for g in self.generations if g.state == "done")
        processing = sum(1 for g in self.generations if g.state == "processing")
        return finished, processing

    def is_done(self) -> bool:
        """Whether check and status say ``done``, following each kind's rules."""
        if self.faulted:
            return False
        finished, processing = self.counts()
        if self.kind == "image":
            return self.cancelled or (self.waiting == 0 and processing == 0)
        if self.kind == "text":
            # A cancelled text request with nothing finished keeps saying done: false.
            return self.waiting == 0 and processing == 0 and finished > 0
        return all(form.state in ("done", "faulted", "cancelled") for form in self.forms)

    def is_open(self) -> bool:
        """True while the request still waits for work: not finished, cancelled nor faulted."""
        if self.faulted or self.cancelled:
            return False
        if self.kind == "alchemy":
            return not self.is_done()
        _finished, processing = self.counts()
        return self.waiting > 0 or processing > 0


def _new_id() -> str:
    return str(uuid.uuid4())


class HordeState:
    """Everything the local horde holds. Not thread-safe: the owner serialises access.

    Args:
        config: The horde's configuration.
        clock: Where time comes from.
    """

    def __init__(self, config: HordeConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.rng = random.Random(config.seed)  # noqa: S311 - seeds for images, not secrets
        self._signing_key = secrets.token_bytes(32)
        now = clock.now()
        self.users_by_key: dict[str, User] = {}
        self.users_by_id: dict[int, User] = {}
        self._add_user(User(id=0, name="Anonymous", key=ANONYMOUS_KEY, role=Role.anonymous, kudos=0.0, created=now))
        for index, api_key in enumerate(config.api_keys, start=1):
            self._add_user(
                User(id=index, name=api_key.name, key=api_key.key, role=api_key.role, kudos=api_key.kudos, created=now)
            )
        self.workers: dict[str, Worker] = {}
        self.requests: dict[str, Request] = {}
        self.generations: dict[str, Generation] = {}
        self.expired_requests: set[str] = set()
        self.images: dict[str, bytes] = {}
        self.uploads_pending: set[str] = set()
        self.creations: Counter[tuple[str, Kind, str]] = Counter()
        self.never_submitting_workers: set[str] = set()
        self.messages: dict[str, WorkerMessage] = {}
        self._check_cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._minute_log: list[tuple[float, Kind, float]] = []

    def _add_user(self, user: User) -> None:
        if user.key in self.users_by_key:
            raise ValueError(f"API key of {user.name!r} is configured twice")
        self.users_by_key[user.key] = user
        self.users_by_id[user.id] = user

    # ------------------------------------------------------------------------------------------- helpers
    def user_for_key(self, apikey: str | None, *, required: bool = True) -> User | None:
        """Return the user of an ``apikey`` header.

        Raises:
            HordeFailure: 400 without a key (when required), 401 ``InvalidAPIKey`` for an unknown one.
        """
        if apikey is None or apikey == "":
            if required:
                raise validation_failure({"apikey": "Missing required parameter in the HTTP headers"})
            return None
        user = self.users_by_key.get(apikey)
        if user is None:
            raise HordeFailure(
                401,
                "No user matching sent API Key. Have you remembered to register at https://aihorde.net/register ?",
                RC.InvalidAPIKey,
            )
        return user

    def sign(self, method: str, key: str) -> str:
        """Return the signature of a presigned URL for ``method`` on the stored object ``key``."""
        return hmac.new(self._signing_key, f"{method}:{key}".encode(), hashlib.sha256).hexdigest()

    def signature_ok(self, method: str, key: str, signature: str) -> bool:
        """Check a presigned URL's signature in constant time."""
        return hmac.compare_digest(self.sign(method, key), signature)

    def presigned(self, base_url: str, method: str, key: str) -> str:
        """Return a presigned-style URL for ``key`` that this server serves itself."""
        return f"{base_url}/r2/{key}.webp?X-Amz-Signature={self.sign(method, key)}"

    def _store_source_image(self, text: str, field_name: str) -> str:
        """Store a base64 source image; return its object key. URLs are refused (nothing is fetched)."""
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise HordeFailure(
                400, f"The {field_name} is neither valid base64 nor reachable.", RC.SourceImageUnreadable
            ) from None
        if not data:
            raise HordeFailure(400, f"The {field_name} is empty.", RC.SourceImageUnreadable)
        key = _new_id()
        self.images[key] = data
        return key

    def _worker_fresh(self, worker: Worker, now: float) -> bool:
        return now - worker.last_seen <= self.config.stale_worker_after

    # ---------------------------------------------------------------------------------------- expiry
    def tick(self) -> None:
        """Apply every expiry that is due: abort late jobs, forget expired requests."""
        now = self.clock.now()
        deadline = self.config.job_ttl + self.config.abort_grace
        for generation in list(self.generations.values()):
            if generation.state == "processing" and now - generation.popped_at > deadline:
                self._abort(generation)
        for request in list(self.requests.values()):
            if now > request.expires:
                self._expire(request)
        self._minute_log = [entry for entry in self._minute_log if now - entry[0] <= 60]

    def _abort(self, generation: Generation) -> None:
        generation.state = "aborted"
        request = generation.request
        if generation.worker is not None:
            generation.worker.uncompleted += 1
        if request.kind == "alchemy":
            if not request.cancelled:
                generation.state = "waiting"
                generation.worker = None
                request.restarted += 1
            return
        self._requeue(request)

    def _requeue(self, request: Request) -> None:
        request.restarted += 1
        if request.restarted > self.config.max_restarts:
            request.faulted = True
            request.waiting = 0
        elif not request.cancelled:
            request.waiting += 1

    def _expire(self, request: Request) -> None:
        del self.requests[request.id]
        self.expired_requests.add(request.id)
        for generation in request.generations + request.forms:
            self.generations.pop(generation.id, None)
        self._check_cache.pop(request.id, None)

    def get_request(self, request_id: str, kind: Kind) -> Request:
        """Return a live request of ``kind``.

        Raises:
            HordeFailure: 404 ``RequestNotFound``.
        """
        request = self.requests.get(request_id)
        if request is None or request.kind != kind:
            raise HordeFailure(404, f"Request with ID '{request_id}' not found.", RC.RequestNotFound)
        return request

    # --------------------------------------------------------------------------------------- pricing
    @staticmethod
    def image_cost(width: int, height: int, steps: int) -> float:
        """Kudos of one image: 10 for 512x512 at 30 steps, in proportion to pixels and steps."""
        return round(max(1.0, 10.0 * (width * height / _BASE_PIXELS) * (steps / 30)), 2)

    @staticmethod
    def text_cost(max_length: int) -> float:
        """Kudos of one text: 1 per 40 tokens asked for, at least 1."""
        return round(max(1.0, max_length / 40), 2)

    @staticmethod
    def form_cost(form: str) -> float:
        """Kudos of one alchemy form: 1, post-processors 3."""
        return 3.0 if form in _POST_PROCESSOR_FORMS else 1.0

    def _upfront_ok(self, user: User, cost: float) -> bool:
        floor = self.config.anonymous_kudos_floor if user.anonymous else 0.0
        return user.kudos - cost >= floor

    def _charge(self, request: Request, worker: Worker, amount: float) -> None:
        user = request.user
        user.kudos -= amount
        if user.anonymous:
            user.kudos = max(user.kudos, self.config.anonymous_kudos_floor)
        request.consumed += amount
        worker.owner.kudos += amount
        worker.owner.kudos_accumulated += amount
        worker.kudos += amount

    # ------------------------------------------------------------------------------- async requests
    def create_image_request(self, user: User, body: ImageGenerateAsyncRequest) -> dict[str, Any]:
        """Accept (or price, for a dry run) an image request.

        Raises:
            HordeFailure: 403 ``KudosUpfront``; 400 for an unreadable source image.
        """
        params = body.params
        width = params.width if params is not None else 512
        height = params.height if params is not None else 512
        steps = params.steps if params is not None else 30
        n = params.n if params is not None else 1
        expensive = steps > _UPFRONT_STEPS or width * height > _UPFRONT_PIXELS or not body.slow_workers
        cost = self.image_cost(width, height, steps)
        if expensive and not self._upfront_ok(user, cost * n):
            if not body.allow_downgrade:
                raise HordeFailure(
                    403,
                    "Due to heavy demand, requests over 50 steps, large images or with slow_workers disabled need "
                    f"their kudos upfront: this request requires {cost * n:g} kudos to fulfil.",
                    RC.KudosUpfront,
                )
            steps = min(steps, _UPFRONT_STEPS)
            if width * height > _UPFRONT_PIXELS:
                scale = math.sqrt(_UPFRONT_PIXELS / (width * height))
                width = max(64, int(width * scale) // 64 * 64)
                height = max(64, int(height * scale) // 64 * 64)
            cost = self.image_cost(width, height, steps)
        if body.dry_run:
            return {"kudos": round(cost * n, 2)}
        source_key = self._store_source_image(body.source_image, "source_image") if body.source_image else None
        now = self.clock.now()
        seed_text = params.seed if params is not None else None
        seed_variation = params.seed_variation if params is not None and params.seed_variation else 0
        seed_base = self._seed_from_text(seed_text)
        request = Request(
            id=_new_id(),
            kind="image",
            user=user,
            created=now,
            expires=now + self.config.request_lifetime,
            marker=body.prompt,
            n=n,
            waiting=n,
            cost_per_generation=cost,
            model_input=body,
            models=tuple(body.models or ()),
            r2=body.r2,
            seed_base=seed_base,
            seed_fixed=bool(seed_text) or bool(seed_variation),
            seed_variation=seed_variation,
            width=width,
            height=height,
            steps=steps,
            source_key=source_key,
        )
        return self._register(request)

    def _seed_from_text(self, seed_text: str | None) -> int:
        if seed_text is not None and seed_text.strip().isdigit():
            return int(seed_text.strip()) % (2**32)
        if seed_text:
            return int(hashlib.sha256(seed_text.encode()).hexdigest()[:8], 16)
        return self.rng.randrange(2**32)

    def create_text_request(self, user: User, body: TextGenerateAsyncRequest) -> dict[str, Any]:
        """Accept (or price) a text request.

        Raises:
            HordeFailure: 400 without a prompt.
        """
        if not body.prompt:
            raise validation_failure({"prompt": "A prompt is required"})
        params = body.params
        n = params.n if params is not None and params.n is not None else 1
        max_length = params.max_length if params is not None else 80
        cost = self.text_cost(max_length)
        if body.dry_run:
            return {"kudos": round(cost * n, 2)}
        now = self.clock.now()
        request = Request(
            id=_new_id(),
            kind="text",
            user=user,
            created=now,
            expires=now + self.config.request_lifetime,
            marker=body.prompt,
            n=n,
            waiting=n,
            cost_per_generation=cost,
            model_input=body,
            models=tuple(body.models or ()),
            seed_base=self.rng.randrange(2**32),
            # The server reads an absent field as false, whatever the swagger's default says (BEHAVIOUR.md).
            validated_backends="validated_backends" in body.model_fields_set and body.validated_backends,
        )
        return self._register(request)

    def create_alchemy_request(self, user: User, body: AlchemyAsyncRequest) -> dict[str, Any]:
        """Accept an alchemy request.

        Raises:
            HordeFailure: 400 without forms or without a (base64) source image.
        """
        if not body.forms:
            raise validation_failure({"forms": "At least one form is required"})
        if not body.source_image:
            raise validation_failure({"source_image": "A source image is required"})
        names = [str(form.name) for form in body.forms]
        if len(set(names)) != len(names):
            raise HordeFailure(400, "Each form may be requested once.", RC.BadRequest)
        source_key = self._store_source_image(body.source_image, "source_image")
        now = self.clock.now()
        request = Request(
            id=_new_id(),
            kind="alchemy",
            user=user,
            created=now,
            expires=now + self.config.request_lifetime,
            marker=body.source_image[:64],
            n=len(names),
            cost_per_generation=0.0,
            model_input=body,
            source_key=source_key,
        )
        for name in names:
            form = Generation(id=_new_id(), request=request, state="waiting", form=name)
            request.forms.append(form)
            self.generations[form.id] = form
        return self._register(request)

    def _register(self, request: Request) -> dict[str, Any]:
        self.requests[request.id] = request
        request.user.requested[request.kind] += request.n
        self.creations[(request.user.key, request.kind, request.marker)] += 1
        answer: dict[str, Any] = {"id": request.id}
        if request.kind != "alchemy":
            answer["kudos"] = round(request.cost_per_generation * request.n, 2)
            if not self.is_possible(request):
                answer["warnings"] = [
                    {
                        "code": "NoAvailableWorker",
                        "message": "No worker currently online can serve this request; it will wait for one.",
                    }
                ]
        return answer

    # ------------------------------------------------------------------------------- check / status
    def is_possible(self, request: Request) -> bool:
        """True when a fresh worker could serve the request as it is now."""
        now = self.clock.now()
        for worker in self.workers.values():
            if worker.kind != request.kind or not self._worker_fresh(worker, now):
                continue
            if request.kind == "alchemy":
                if any(self._form_matches(worker, form) for form in request.forms):
                    return True
            elif self._skip_reason(worker, request, None) is None:
                return True
        return False

    def _progress(self, request: Request) -> dict[str, Any]:
        finished, processing = request.counts()
        return {
            "finished": finished,
            "processing": processing,
            "restarted": request.restarted,
            "waiting": request.waiting,
            "done": request.is_done(),
            "faulted": request.faulted,
            "wait_time": 0,
            "queue_position": self._queue_position(request),
            "kudos": round(request.consumed, 2),
            "is_possible": request.is_done() or self.is_possible(request),
        }

    def _queue_position(self, request: Request) -> int:
        if request.waiting == 0:
            return 0
        ahead = [
            r
            for r in self.requests.values()
            if r.kind == request.kind and r.waiting > 0 and r.created < request.created
        ]
        return len(ahead)

    def check_image(self, request_id: str) -> dict[str, Any]:
        """The progress of an image request (served from a 1 s cache, as the real server does)."""
        request = self.get_request(request_id, "image")
        now = self.clock.now()
        cached = self._check_cache.get(request_id)
        if cached is not None and now - cached[0] < self.config.check_cache_seconds:
            return cached[1]
        answer = self._progress(request)
        self._check_cache[request_id] = (now, answer)
        return answer

    def image_status(self, request_id: str, base_url: str) -> dict[str, Any]:
        """The progress and finished images of an image request."""
        request = self.get_request(request_id, "image")
        answer = self._progress(request)
        answer["generations"] = [self._image_entry(g, base_url) for g in request.generations if g.state == "done"]
        answer["shared"] = bool(getattr(request.model_input, "shared", False))
        return answer

    def _image_entry(self, generation: Generation, base_url: str) -> dict[str, Any]:
        assert generation.image_key is not None  # noqa: S101 - done images always have one
        if generation.request.r2:
            img = self.presigned(base_url, "GET", generation.image_key)
        else:
            img = base64.b64encode(self.images[generation.image_key]).decode("ascii")
        worker = generation.worker
        entry: dict[str, Any] = {
            "img": img,
            "seed": str(generation.seed),
            "id": generation.id,
            "censored": generation.censored,
            "worker_id": worker.id if worker else None,
            "worker_name": worker.name if worker else None,
            "model": generation.model,
            "state": "censored" if generation.censored else "ok",
        }
        if generation.gen_metadata:
            entry["gen_metadata"] = generation.gen_metadata
        else:
            entry["gen_metadata"] = []
        return entry

    def cancel_image(self, request_id: str, base_url: str) -> dict[str, Any]:
        """Cancel an image request: answer its status from before, then zero what remains."""
        request = self.get_request(request_id, "image")
        answer = self.image_status(request_id, base_url)
        request.cancelled = True
        request.waiting = 0
        self._check_cache.pop(request_id, None)
        return answer

    def text_status(self, request_id: str) -> dict[str, Any]:
        """The progress and finished texts of a text request."""
        request = self.get_request(request_id, "text")
        answer = self._progress(request)
        answer["generations"] = [
            {
                "text": g.result,
                "seed": g.seed,
                "worker_id": g.worker.id if g.worker else None,
                "worker_name": g.worker.name if g.worker else None,
                "model": g.model,
                "state": "censored" if g.censored else "ok",
                "gen_metadata": g.gen_metadata or [],
            }
            for g in request.generations
            if g.state == "done"
        ]
        return answer

    def cancel_text(self, request_id: str) -> dict[str, Any]:
        """Cancel a text request: only ``n`` is zeroed (it may keep saying ``done: false``)."""
        request = self.get_request(request_id, "text")
        request.cancelled = True
        request.waiting = 0
        return self.text_status(request_id)

    def alchemy_status(self, request_id: str, base_url: str) -> dict[str, Any]:
        """The overall state and each form's state and result."""
        request = self.get_request(request_id, "alchemy")
        forms = []
        for form in request.forms:
            entry: dict[str, Any] = {"form": form.form, "state": form.state}
            if form.state == "done":
                assert form.form is not None  # noqa: S101 - alchemy generations always name their form
                value: Any = form.result
                if form.image_key is not None:
                    value = self.presigned(base_url, "GET", form.image_key)
                entry["result"] = {form.form: value}
            forms.append(entry)
        return {"state": self._alchemy_state(request), "forms": forms}

    @staticmethod
    def _alchemy_state(request: Request) -> str:
        states = [form.state for form in request.forms]
        if all(state == "done" for state in states):
            return "done"
        if "processing" in states:
            return "processing"
        if all(state == "waiting" for state in states):
            return "waiting"
        if all(state == "faulted" for state in states):
            return "faulted"
        if "waiting" in states:
            return "processing"
        return "partial"

    def cancel_alchemy(self, request_id: str, base_url: str) -> dict[str, Any]:
        """Cancel an alchemy request: unfinished forms become ``cancelled``, the request ``partial``."""
        request = self.get_request(request_id, "alchemy")
        request.cancelled = True
        for form in request.forms:
            if form.state == "processing" and form.worker is not None:
                form.worker.cancelled += 1
            if form.state in ("waiting", "processing"):
                form.state = "cancelled"
        return self.alchemy_status(request_id, base_url)

    # ------------------------------------------------------------------------------------- workers
    def _worker_for_pop(self, user: User, name: str | None, kind: Kind) -> Worker:
        if user.anonymous:
            raise HordeFailure(403, "Anonymous users cannot run workers; register an API key.", RC.AnonForbiddenWorker)
        if not name:
            raise validation_failure({"name": "A worker name is required"})
        now = self.clock.now()
        for worker in self.workers.values():
            if worker.name.lower() == name.lower():
                if worker.owner is not user:
                    raise HordeFailure(403, "Wrong credentials to submit as this worker.", RC.WrongCredentials)
                if worker.kind != kind:
                    raise HordeFailure(
                        400,
                        f"Worker name '{name}' is already used by a worker of another type.",
                        RC.PolymorphicNameConflict,
                    )
                worker.last_seen = now
                if worker.maintenance:
                    raise HordeFailure(403, worker.maintenance_message(), RC.WorkerMaintenance)
                return worker
        worker = Worker(id=_new_id(), name=name, kind=kind, owner=user, created=now, last_seen=now)
        self.workers[worker.id] = worker
        user.worker_ids.append(worker.id)
        return worker

    def _skip_reason(  # noqa: PLR0911, PLR0912 - one rule per skipped reason, as the server has them
        self, worker: Worker, request: Request, pop: ImageGenerateJobPopRequest | TextGenerateJobPopRequest | None
    ) -> str | None:
        """Why ``worker`` may not take ``request``, as a ``skipped`` key; None when it may."""
        body: Any = request.model_input
        if body.workers:
            listed = worker.id in body.workers
            if listed == body.worker_blacklist:
                return "worker_id"
        if body.trusted_workers and not worker.owner.trusted:
            return "untrusted"
        if request.models and worker.models and not set(request.models) & set(worker.models):
            return "models"
        if request.models and not worker.models:
            return "models"
        if request.kind == "image":
            params = body.params
            if request.width * request.height > worker.max_pixels:
                return "max_pixels"
            if body.nsfw and not worker.nsfw:
                return "nsfw"
            if body.source_image and not worker.allow_img2img:
                return "img2img"
            if str(body.source_processing) in ("inpainting", "outpainting") and not worker.allow_painting:
                return "painting"
            if params is not None and params.post_processing and not worker.allow_post_processing:
                return "post-processing"
            if params is not None and (params.loras or params.tis) and not worker.allow_lora:
                return "lora"
            if params is not None and params.control_type is not None and not worker.allow_controlnet:
                return "controlnet"
            if isinstance(pop, ImageGenerateJobPopRequest):
                if pop.blacklist and any(word.lower() in request.marker.lower() for word in pop.blacklist):
                    return "blacklist"
                if pop.require_upfront_kudos and not self._upfront_ok(request.user, request.cost_per_generation):
                    return "kudos"
        if request.kind == "text":
            params = body.params
            max_length = params.max_length if params is not None else 80
            max_context = params.max_context_length if params is not None else 2048
            if max_length > worker.max_length:
                return "max_length"
            if max_context > worker.max_context_length:
                return "max_context_length"
            if request.validated_backends and worker.bridge_agent.split(":", 1)[0] not in VALIDATED_TEXT_BACKENDS:
                return _UNCOUNTED_BRIDGE_REASON
            if (
                body.softprompt
                and isinstance(pop, TextGenerateJobPopRequest)
                and body.softprompt not in (pop.softprompts or ())
            ):
                return "matching_softprompt"
        return None

    def _pick_model(self, worker: Worker, request: Request) -> str:
        if request.models:
            for model in request.models:
                if not worker.models or model in worker.models:
                    return model
        if worker.models:
            return worker.models[0]
        return "stable_diffusion" if request.kind == "image" else "koboldcpp/local"

    def _candidates(self, kind: Kind, priority: tuple[str, ...], worker: Worker) -> list[Request]:
        if worker.paused:
            return []
        waiting = [
            r for r in self.requests.values() if r.kind == kind and r.waiting > 0 and not r.cancelled and not r.faulted
        ]
        return sorted(waiting, key=lambda r: (r.user.username not in priority, r.created))

    def _start_generations(self, request: Request, worker: Worker, count: int, model: str) -> list[Generation]:
        now = self.clock.now()
        started = []
        for _ in range(count):
            generation = Generation(
                id=_new_id(), request=request, state="processing", worker=worker, model=model, popped_at=now
            )
            request.generations.append(generation)
            self.generations[generation.id] = generation
            started.append(generation)
        request.waiting -= count
        worker.pops += count
        request.expires = now + self.config.request_lifetime
        return started

    def pop_image(self, user: User, body: ImageGenerateJobPopRequest, base_url: str) -> dict[str, Any]:
        """Give an image job (or an empty pop with the ``skipped`` reasons) to a worker."""
        worker = self._worker_for_pop(user, body.worker_name, "image")
        worker.models = tuple(body.models or ())
        worker.threads = body.threads
        worker.nsfw = body.nsfw
        worker.max_pixels = body.max_pixels
        worker.bridge_agent = body.bridge_agent
        worker.allow_img2img = body.allow_img2img
        worker.allow_painting = body.allow_painting
        worker.allow_post_processing = body.allow_post_processing
        worker.allow_lora = body.allow_lora
        worker.allow_controlnet = body.allow_controlnet
        skipped: Counter[str] = Counter()
        for request in self._candidates("image", tuple(body.priority_usernames or ()), worker):
            if bridge_refusal(worker.bridge_agent, request.model_input) is not None:
                continue  # passed over silently, as the real horde does: no skipped counter says so
            reason = self._skip_reason(worker, request, body)
            if reason is not None:
                skipped[reason] += 1
                continue
            request_body: ImageGenerateAsyncRequest = request.model_input
            count = 1 if request_body.disable_batching else min(body.amount, request.waiting)
            model = self._pick_model(worker, request)
            generations = self._start_generations(request, worker, count, model)
            return self._image_job(request, generations, model, base_url)
        return {
            "payload": {},
            "id": None,
            "ids": [],
            "skipped": dict(skipped),
            "model": None,
            "source_image": None,
            "source_mask": None,
            "r2_upload": None,
            "r2_uploads": None,
            "ttl": None,
        }

    def _image_job(self, request: Request, generations: list[Generation], model: str, base_url: str) -> dict[str, Any]:
        body: ImageGenerateAsyncRequest = request.model_input
        payload: dict[str, Any] = (
            body.params.model_dump(mode="json", by_alias=True, exclude_none=True) if body.params is not None else {}
        )
        payload.pop("steps", None)
        payload.pop("n", None)
        payload.update(
            prompt=request.marker,
            ddim_steps=request.steps,
            n_iter=len(generations),
            width=request.width,
            height=request.height,
            seed=str(self._job_seed(request)),
            use_nsfw_censor=body.censor_nsfw or not body.nsfw,
        )
        uploads = []
        for generation in generations:
            generation.image_key = _new_id()
            self.uploads_pending.add(generation.image_key)
            uploads.append(self.presigned(base_url, "PUT", generation.image_key))
        return {
            "payload": payload,
            "id": generations[0].id,
            "ids": [g.id for g in generations],
            "skipped": {},
            "model": model,
            "source_image": self.presigned(base_url, "GET", request.source_key) if request.source_key else None,
            "source_processing": str(body.source_processing),
            "source_mask": None,
            "r2_upload": uploads[0],
            "r2_uploads": uploads,
            "ttl": int(self.config.job_ttl),
        }

    def _job_seed(self, request: Request) -> int:
        """The seed of the request's next job (BEHAVIOUR.md, seeds of a request with ``n > 1``).

        No seed: each job its own random seed. A seed without ``seed_variation``: every job that seed. With
        ``seed_variation``: job k gets seed + k * variation, wrapped below 2**32 (a request with a variation and no
        seed gets a random base once).
        """
        k = request.jobs_started
        request.jobs_started += 1
        if not request.seed_fixed:
            return self.rng.randrange(2**32)
        return (request.seed_base + k * request.seed_variation) % (2**32)

    def pop_text(self, user: User, body: TextGenerateJobPopRequest) -> dict[str, Any]:
        """Give a text job (or an empty pop) to a worker."""
        worker = self._worker_for_pop(user, body.worker_name, "text")
        worker.models = tuple(body.models or ())
        worker.threads = body.threads
        worker.nsfw = body.nsfw
        worker.max_length = body.max_length
        worker.max_context_length = body.max_context_length
        worker.bridge_agent = body.bridge_agent
        skipped: Counter[str] = Counter()
        for request in self._candidates("text", tuple(body.priority_usernames or ()), worker):
            reason = self._skip_reason(worker, request, body)
            if reason is not None:
                if reason != _UNCOUNTED_BRIDGE_REASON:  # the server filters these out before counting
                    skipped[reason] += 1
                continue
            request_body: TextGenerateAsyncRequest = request.model_input
            count = 1 if request_body.disable_batching else min(body.amount, request.waiting)
            model = self._pick_model(worker, request)
            generations = self._start_generations(request, worker, count, model)
            payload: dict[str, Any] = (
                request_body.params.model_dump(mode="json", by_alias=True, exclude_none=True)
                if request_body.params is not None
                else {}
            )
            payload.update(prompt=request.marker, n=len(generations))
            return {
                "payload": payload,
                "id": generations[0].id,
                "ids": [g.id for g in generations],
                "skipped": {},
                "softprompt": request_body.softprompt,
                "model": model,
                "ttl": int(self.config.job_ttl),
            }
        return {"payload": {}, "id": None, "ids": [], "skipped": dict(skipped), "model": None, "ttl": None}

    def _form_matches(self, worker: Worker, form: Generation) -> bool:
        return form.state == "waiting" and (not worker.forms or form.form in worker.forms)

    def pop_alchemy(self, user: User, body: AlchemyJobPopRequest, base_url: str) -> dict[str, Any]:
        """Give alchemy forms (or none, with the ``skipped`` reasons) to a worker."""
        worker = self._worker_for_pop(user, body.worker_name, "alchemy")
        worker.forms = tuple(str(form) for form in body.forms or ())
        worker.threads = body.threads
        worker.bridge_agent = body.bridge_agent
        now = self.clock.now()
        given: list[dict[str, Any]] = []
        requests = sorted(
            (r for r in self.requests.values() if r.kind == "alchemy" and not r.cancelled), key=lambda r: r.created
        )
        for request in [] if worker.paused else requests:
            for form in request.forms:
                if len(given) >= body.amount:
                    break
                if not self._form_matches(worker, form):
                    continue
                assert form.form is not None  # noqa: S101 - set at creation
                assert request.source_key is not None  # noqa: S101 - set at creation
                form.state = "processing"
                form.worker = worker
                form.popped_at = now
                worker.pops += 1
                request.expires = now + self.config.request_lifetime
                entry: dict[str, Any] = {
                    "id": form.id,
                    "form": form.form,
                    "source_image": self.presigned(base_url, "GET", request.source_key),
                }
                if form.form in _POST_PROCESSOR_FORMS:
                    form.image_key = _new_id()
                    self.uploads_pending.add(form.image_key)
                    entry["r2_upload"] = self.presigned(base_url, "PUT", form.image_key)
                given.append(entry)
        return {"forms": given, "skipped": {}}

    # -------------------------------------------------------------------------------------- submits
    def _generation_for_submit(self, user: User, generation_id: str, kind: Kind) -> Generation:
        generation = self.generations.get(generation_id)
        if generation is None or generation.request.kind != kind:
            raise HordeFailure(404, f"Processing generation with ID {generation_id} does not exist.", RC.InvalidJobID)
        if generation.worker is None or generation.worker.owner is not user:
            raise HordeFailure(403, "Wrong credentials to submit as this worker.", RC.WrongCredentials)
        if generation.state == "aborted":
            raise HordeFailure(400, "This generation appears to have been aborted (it took too long).", RC.AbortedGen)
        if generation.state != "processing":
            raise HordeFailure(400, "This generation has already been submitted.", RC.DuplicateGen)
        return generation

    def _finish(self, generation: Generation, reward: float) -> dict[str, Any]:
        worker = generation.worker
        assert worker is not None  # noqa: S101 - checked in _generation_for_submit
        request = generation.request
        worker.last_seen = self.clock.now()
        request.expires = self.clock.now() + self.config.request_lifetime
        if generation.state == "faulted":
            worker.submits["faulted"] += 1
            if request.kind == "alchemy":
                return {"reward": 0}
            self._requeue(request)
            return {"reward": 0}
        generation.state = "done"
        worker.submits["censored" if generation.censored else "ok"] += 1
        worker.fulfilled += 1
        worker.owner.fulfilled[request.kind] += 1
        self._charge(request, worker, reward)
        self._minute_log.append(
            (self.clock.now(), request.kind, float(request.width * request.height * request.steps))
        )
        return {"reward": round(reward, 2)}

    def submit_image(self, user: User, body: ImageGenerateJobSubmitRequest) -> dict[str, Any]:
        """Accept one image of a job (R2 upload or base64), a censored one, or a fault."""
        generation = self._generation_for_submit(user, body.id_, "image")
        state = str(body.state)
        if state == "faulted":
            generation.state = "faulted"
            if generation.image_key is not None:
                self.uploads_pending.discard(generation.image_key)
            return self._finish(generation, 0.0)
        if body.generation == _R2_GENERATION:
            if generation.image_key is None or generation.image_key not in self.images:
                raise HordeFailure(
                    400, "The image was not uploaded to its R2 URL before submitting.", RC.ImageValidationFailed
                )
        else:
            try:
                data = base64.b64decode(body.generation or "", validate=True)
            except (binascii.Error, ValueError):
                data = b""
            if not data:
                raise HordeFailure(
                    400, "The submitted generation is neither R2 nor a valid base64 image.", RC.ImageValidationFailed
                )
            if generation.image_key is None:
                generation.image_key = _new_id()
            self.images[generation.image_key] = data
            self.uploads_pending.discard(generation.image_key)
        generation.seed = body.seed
        generation.censored = body.censored or state == "censored"
        generation.gen_metadata = (
            [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in body.gen_metadata]
            if body.gen_metadata
            else None
        )
        assert generation.worker is not None  # noqa: S101 - checked in _generation_for_submit
        request = generation.request
        megapixelsteps = request.width * request.height * request.steps / 1_000_000
        generation.worker.megapixelsteps += megapixelsteps
        request.user.megapixelsteps_requested += megapixelsteps
        generation.worker.owner.megapixelsteps_generated += megapixelsteps
        return self._finish(generation, request.cost_per_generation)

    def submit_text(self, user: User, body: TextGenerateJobSubmitRequest) -> dict[str, Any]:
        """Accept one text of a job, or a fault."""
        generation = self._generation_for_submit(user, body.id_, "text")
        state = str(body.state)
        if state == "faulted":
            generation.state = "faulted"
            return self._finish(generation, 0.0)
        generation.result = body.generation or ""
        generation.censored = state == "censored"
        generation.seed = generation.request.seed_base
        generation.gen_metadata = (
            [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in body.gen_metadata]
            if body.gen_metadata
            else None
        )
        assert generation.worker is not None  # noqa: S101 - checked in _generation_for_submit
        tokens = max(1, len(generation.result.split()))
        generation.worker.tokens += tokens
        generation.worker.owner.tokens_generated += tokens
        generation.request.user.tokens_requested += tokens
        return self._finish(generation, generation.request.cost_per_generation)

    def submit_alchemy(self, user: User, body: AlchemyJobSubmitRequest) -> dict[str, Any]:
        """Accept one alchemy form's result (a value, or ``R2`` after an upload), or a fault."""
        if body.id_ is None:
            raise validation_failure({"id": "The id of the form is required"})
        form = self._generation_for_submit(user, body.id_, "alchemy")
        assert form.form is not None  # noqa: S101 - alchemy generations always name their form
        if body.state == "faulted":
            form.state = "faulted"
            return self._finish(form, 0.0)
        if not body.result or form.form not in body.result:
            raise validation_failure({"result": f"The result must be an object keyed by the form name {form.form!r}"})
        value = body.result[form.form]
        if form.form in _POST_PROCESSOR_FORMS:
            if value != _R2_GENERATION or form.image_key is None or form.image_key not in self.images:
                raise HordeFailure(
                    400, "The post-processed image was not uploaded to its R2 URL.", RC.ImageValidationFailed
                )
        else:
            form.image_key = None
            form.result = value
        return self._finish(form, self.form_cost(form.form))

    # ---------------------------------------------------------------------------------- R2 storage
    def put_image(self, key: str, signature: str, data: bytes) -> None:
        """Store an image a worker PUT to a presigned upload URL.

        Raises:
            HordeFailure: 403 for a bad signature or a key no job handed out, 400 for an empty body.
        """
        if key not in self.uploads_pending or not self.signature_ok("PUT", key, signature):
            raise HordeFailure(403, "SignatureDoesNotMatch", RC.Forbidden)
        if not data:
            raise HordeFailure(400, "An empty upload is not an image.", RC.ImageValidationFailed)
        self.images[key] = data

    def get_image(self, key: str, signature: str) -> bytes:
        """Return a stored image for a presigned download URL.

        Raises:
            HordeFailure: 403 for a bad signature, 404 for an unknown key.
        """
        if not self.signature_ok("GET", key, signature):
            raise HordeFailure(403, "SignatureDoesNotMatch", RC.Forbidden)
        data = self.images.get(key)
        if data is None:
            raise HordeFailure(404, "NoSuchKey", RC.BadRequest)
        return data

    # ------------------------------------------------------------------------------ other endpoints
    def user_details(self, user: User) -> dict[str, Any]:
        """The details of a user."""
        active: dict[str, list[str]] = {"image": [], "text": [], "alchemy": []}
        for request in self.requests.values():
            if request.user is user and request.is_open():
                active[request.kind].append(request.id)
        return {
            "username": user.username,
            "id": user.id,
            "kudos": round(user.kudos, 2),
            "concurrency": 30,
            "worker_invited": 1 if not user.anonymous else 0,
            "moderator": user.role is Role.moderator,
            "trusted": user.trusted,
            "pseudonymous": False,
            "kudos_details": {
                "accumulated": round(user.kudos_accumulated, 2),
                "gifted": 0,
                "donated": 0,
                "admin": 0,
                "received": 0,
                "recurring": 0,
                "awarded": 0,
                "styled": 0,
            },
            "worker_count": len(user.worker_ids),
            "worker_ids": list(user.worker_ids),
            "active_generations": active,
            "account_age": int(self.clock.now() - user.created),
            "usage": {"megapixelsteps": round(user.megapixelsteps_requested, 3), "requests": user.requested["image"]},
            "contributions": {
                "megapixelsteps": round(user.megapixelsteps_generated, 3),
                "fulfillments": user.fulfilled["image"],
            },
            "records": {
                "usage": {"megapixelsteps": round(user.megapixelsteps_requested, 3), "tokens": user.tokens_requested},
                "contribution": {
                    "megapixelsteps": round(user.megapixelsteps_generated, 3),
                    "tokens": user.tokens_generated,
                },
                "fulfillment": {
                    "image": user.fulfilled["image"],
                    "text": user.fulfilled["text"],
                    "interrogation": user.fulfilled["alchemy"],
                },
                "request": {
                    "image": user.requested["image"],
                    "text": user.requested["text"],
                    "interrogation": user.requested["alchemy"],
                },
            },
        }

    def find_user(self, apikey: str | None) -> dict[str, Any]:
        """The details of the user owning ``apikey``.

        Raises:
            HordeFailure: 404 for an unknown key (400 without one).
        """
        if not apikey:
            raise validation_failure({"apikey": "Missing required parameter in the HTTP headers"})
        user = self.users_by_key.get(apikey)
        if user is None:
            raise HordeFailure(404, "User not found.", RC.UserNotFound)
        return self.user_details(user)

    def single_user(self, user_id: int) -> dict[str, Any]:
        """The details of the user with ``user_id``."""
        user = self.users_by_id.get(user_id)
        if user is None:
            raise HordeFailure(404, f"User with ID '{user_id}' not found.", RC.UserNotFound)
        return self.user_details(user)

    def all_users(self, page: int) -> list[dict[str, Any]]:
        """One page (25) of users, by id."""
        users = sorted(self.users_by_id.values(), key=lambda u: u.id)
        return [self.user_details(user) for user in users[(page - 1) * 25 : page * 25]]

    def worker_details(self, worker: Worker) -> dict[str, Any]:
        """The details of a worker."""
        now = self.clock.now()
        details: dict[str, Any] = {
            "type": _WORKER_TYPE[worker.kind],
            "name": worker.name,
            "id": worker.id,
            "online": self._worker_fresh(worker, now),
            "requests_fulfilled": worker.fulfilled,
            "kudos_rewards": round(worker.kudos, 2),
            "kudos_details": {"generated": round(worker.kudos, 2), "uptime": 0},
            "performance": "0 seconds per request" if worker.fulfilled == 0 else "1 seconds per request",
            "threads": worker.threads,
            "uptime": int(now - worker.created),
            "maintenance_mode": worker.maintenance,
            "paused": worker.paused,
            "info": worker.info,
            "nsfw": worker.nsfw,
            "owner": worker.owner.username,
            "trusted": worker.owner.trusted,
            "flagged": False,
            "uncompleted_jobs": worker.uncompleted,
            "team": {"name": None, "id": None},
            "bridge_agent": worker.bridge_agent,
        }
        if worker.kind == "image":
            details.update(
                models=list(worker.models),
                max_pixels=worker.max_pixels,
                megapixelsteps_generated=round(worker.megapixelsteps, 3),
                img2img=worker.allow_img2img,
                painting=worker.allow_painting,
                lora=worker.allow_lora,
                controlnet=worker.allow_controlnet,
            )
            details["post-processing"] = worker.allow_post_processing
        elif worker.kind == "text":
            details.update(
                models=list(worker.models),
                max_length=worker.max_length,
                max_context_length=worker.max_context_length,
                tokens_generated=worker.tokens,
            )
        else:
            details["forms"] = list(worker.forms)
        return details

    def all_workers(self, worker_type: str | None, name: str | None) -> list[dict[str, Any]]:
        """Workers seen recently, optionally of one type or with one name."""
        now = self.clock.now()
        found = []
        for worker in self.workers.values():
            if not self._worker_fresh(worker, now):
                continue
            if worker_type is not None and _WORKER_TYPE[worker.kind] != worker_type:
                continue
            if name is not None and worker.name.lower() != name.lower():
                continue
            found.append(self.worker_details(worker))
        return found

    def worker_by_id(self, worker_id: str) -> dict[str, Any]:
        """The details of one worker by id."""
        worker = self.workers.get(worker_id)
        if worker is None:
            raise HordeFailure(404, f"Worker with ID '{worker_id}' not found.", RC.WorkerNotFound)
        return self.worker_details(worker)

    def worker_by_name(self, name: str) -> dict[str, Any]:
        """The details of one worker by name."""
        return self.worker_details(self.find_worker(name))

    def find_worker(self, name: str) -> Worker:
        """The worker named ``name`` (case-insensitive).

        Raises:
            HordeFailure: 404 ``WorkerNotFound``.
        """
        for worker in self.workers.values():
            if worker.name.lower() == name.lower():
                return worker
        raise HordeFailure(404, f"Worker with name '{name}' not found.", RC.WorkerNotFound)

    def modify_worker(self, user: User, body: ModifyWorkerRequest) -> dict[str, Any]:
        """Change a worker's settings, as ``PUT /v2/workers/{worker_id}``; answer what changed.

        Its owner or a moderator may set ``maintenance`` (with ``maintenance_msg``), ``info`` and ``name``;
        only a moderator may set ``paused``. Teams do not exist here: ``team`` may only be ``""`` (no team).

        Raises:
            HordeFailure: 404 ``WorkerNotFound``; 403 ``NotOwner`` / ``NotModerator``; 400 ``NoValidActions``
                when nothing is asked, ``WorkerNameAlreadyExists`` for a taken name; 404 ``TeamNotFound``.
        """
        worker = self.workers.get(body.worker_id)
        if worker is None:
            raise HordeFailure(404, f"Worker with ID '{body.worker_id}' not found.", RC.WorkerNotFound)
        owner_or_mod = user is worker.owner or user.role is Role.moderator

        def require_owner() -> None:
            if not owner_or_mod:
                raise HordeFailure(
                    403, f"User '{user.username}' is not the owner of worker '{worker.name}'.", RC.NotOwner
                )

        changed: dict[str, Any] = {}
        if body.maintenance is not None:
            require_owner()
            worker.maintenance = body.maintenance
            worker.maintenance_msg = body.maintenance_msg if body.maintenance else None
            changed["maintenance"] = worker.maintenance
        if body.info is not None:
            require_owner()
            worker.info = body.info
            changed["info"] = worker.info
        if body.paused is not None:
            if user.role is not Role.moderator:
                raise HordeFailure(403, f"User '{user.username}' is not a moderator.", RC.NotModerator)
            worker.paused = body.paused
            changed["paused"] = worker.paused
        if body.name_ is not None:
            require_owner()
            taken = any(w is not worker and w.name.lower() == body.name_.lower() for w in self.workers.values())
            if taken:
                raise HordeFailure(400, f"A worker named '{body.name_}' already exists.", RC.WorkerNameAlreadyExists)
            worker.name = body.name_
            changed["name"] = worker.name
        if body.team is not None:
            require_owner()
            if body.team:
                raise HordeFailure(404, f"Team with ID '{body.team}' not found.", RC.TeamNotFound)
            changed["team"] = "None"
        if not changed:
            raise HordeFailure(400, "No worker modification selected!", RC.NoValidActions)
        return changed

    # --------------------------------------------------------------------------------- worker messages
    def send_worker_message(self, user: User, body: SendWorkerMessageRequest) -> dict[str, Any]:
        """Leave a message for a worker's owner (``POST /v2/workers/messages``).

        Moderators may write to any worker (or to none) and choose the origin; others only to their own
        workers, and the origin is their user id. ``expiry`` is in hours (at most 30 days).

        Raises:
            HordeFailure: 403 ``AnonForbidden`` / ``MessagesOnlyOwnWorkers``; 404 ``WorkerNotFound``.
        """
        if user.anonymous:
            raise HordeFailure(403, "Anonymous user is forbidden from performing this operation", RC.AnonForbidden)
        worker = None
        if body.worker_id_ is not None:
            worker = self.workers.get(body.worker_id_)
            if worker is None:
                raise HordeFailure(404, f"Worker with ID '{body.worker_id_}' not found.", RC.WorkerNotFound)
        origin = body.origin or "AI Horde Moderators"
        if user.role is not Role.moderator:
            origin = str(user.id)
            if worker is not None and worker.owner is not user:
                raise HordeFailure(403, "You can only send messages to your own workers.", RC.MessagesOnlyOwnWorkers)
        now = self.clock.now()
        message = WorkerMessage(
            id=_new_id(),
            user=user,
            worker_id=body.worker_id_,
            message=body.message,
            origin=origin,
            created=now,
            expiry=now + min(body.expiry, _MESSAGE_MAX_HOURS) * 3600,
        )
        self.messages[message.id] = message
        return message.details()

    def worker_messages(
        self, user: User, user_id: str | None, worker_id: str | None, validity: str | None, page: int
    ) -> list[dict[str, Any]]:
        """One page (50) of messages (``GET /v2/workers/messages``); non-moderators see only their own.

        Raises:
            HordeFailure: 403 ``Forbidden`` for another user's messages; 400 ``BadRequest`` for a bad validity.
        """
        wanted = user_id if user_id is not None else None
        if user.role is not Role.moderator:
            if wanted is not None and wanted != str(user.id):
                raise HordeFailure(403, "You can only view your own messages.", RC.Forbidden)
            wanted = str(user.id)
        validity = validity or "active"
        if validity not in ("active", "expired", "all"):
            raise HordeFailure(400, "validity can only be one of 'active, 'expired', or 'all'", RC.BadRequest)
        now = self.clock.now()
        found = [
            message
            for message in self.messages.values()
            if (wanted is None or str(message.user.id) == wanted)
            and (worker_id is None or message.worker_id == worker_id)
            and (validity == "all" or (message.expiry > now) == (validity == "active"))
        ]
        found.sort(key=lambda message: message.created)
        return [message.details() for message in found[(page - 1) * 50 : page * 50]]

    def pop_messages(self, worker_name: str) -> list[dict[str, Any]]:
        """The active messages a pop answer carries: those to this worker and those to no worker in particular.

        Each in the pop's short form (``id``, ``message``, ``origin``, ``expiry`` as an RFC 822 date).
        """
        now = self.clock.now()
        worker_id = next((w.id for w in self.workers.values() if w.name.lower() == worker_name.lower()), None)
        return [
            {key: value for key, value in message.details().items() if key in _POP_MESSAGE_KEYS}
            for message in sorted(self.messages.values(), key=lambda message: message.created)
            if message.expiry > now and message.worker_id in (None, worker_id)
        ]

    def _message(self, message_id: str) -> WorkerMessage:
        message = self.messages.get(message_id)
        if message is None:
            # The server's generic "thing not found", with its rc spelled as the server spells it.
            raise HordeFailure(404, f"Workermessage with ID '{message_id}' not found.", "WorkermessageNotFound")
        return message

    def worker_message(self, message_id: str) -> dict[str, Any]:
        """One message by id (``GET /v2/workers/messages/{id}``; no key needed)."""
        return self._message(message_id).details()

    def delete_worker_message(self, user: User, message_id: str) -> dict[str, Any]:
        """Delete a message: its sender or a moderator (``DELETE /v2/workers/messages/{id}``).

        Raises:
            HordeFailure: 404 for an unknown message; 403 ``Forbidden`` for another user's.
        """
        message = self._message(message_id)
        if message.user is not user and user.role is not Role.moderator:
            raise HordeFailure(403, "You can only delete your own messages.", RC.Forbidden)
        del self.messages[message_id]
        return {"message": "OK"}

    def worker_counts(self, worker: Worker) -> WorkerCounts:
        """What happened to the generations handed out to ``worker``."""
        in_flight = sum(1 for g in self.generations.values() if g.state == "processing" and g.worker is worker)
        return WorkerCounts(
            name=worker.name,
            popped=worker.pops,
            submitted=worker.submits["ok"] + worker.submits["censored"],
            faulted=worker.submits["faulted"],
            aborted=worker.uncompleted,
            cancelled=worker.cancelled,
            in_flight=in_flight,
            submits=dict(worker.submits),
        )

    def performance(self) -> dict[str, Any]:
        """Queue sizes and worker counts."""
        now = self.clock.now()
        fresh = [w for w in self.workers.values() if self._worker_fresh(w, now)]
        open_requests = [r for r in self.requests.values() if r.is_open()]

        def queued(kind: Kind) -> list[Request]:
            return [r for r in open_requests if r.kind == kind]

        def workers(kind: Kind) -> list[Worker]:
            return [w for w in fresh if w.kind == kind]

        return {
            "queued_requests": sum(r.waiting + r.counts()[1] for r in queued("image")),
            "queued_text_requests": sum(r.waiting + r.counts()[1] for r in queued("text")),
            "worker_count": len(workers("image")),
            "text_worker_count": len(workers("text")),
            "thread_count": sum(w.threads for w in workers("image")),
            "text_thread_count": sum(w.threads for w in workers("text")),
            "queued_megapixelsteps": round(
                sum(r.waiting * r.width * r.height * r.steps for r in queued("image")) / 1_000_000, 3
            ),
            "past_minute_megapixelsteps": round(
                sum(amount for _, kind, amount in self._minute_log if kind == "image") / 1_000_000, 3
            ),
            "queued_forms": float(sum(1 for r in queued("alchemy") for f in r.forms if f.state == "waiting")),
            "interrogator_count": len(workers("alchemy")),
            "interrogator_thread_count": sum(w.threads for w in workers("alchemy")),
            "queued_tokens": float(
                sum(
                    r.waiting * (r.model_input.params.max_length if r.model_input.params else 80)
                    for r in queued("text")
                )
            ),
            "past_minute_tokens": float(sum(1 for _, kind, _ in self._minute_log if kind == "text")),
        }

    def active_models(self, model_type: str, name: str | None = None) -> list[dict[str, Any]]:
        """Models offered by recent workers of ``model_type`` (``image`` or ``text``), with their queues."""
        kind: Kind = "text" if model_type == "text" else "image"
        now = self.clock.now()
        counts: Counter[str] = Counter()
        for worker in self.workers.values():
            if worker.kind == kind and self._worker_fresh(worker, now):
                for model in worker.models:
                    counts[model] += worker.threads
        jobs: Counter[str] = Counter()
        for request in self.requests.values():
            if request.kind == kind and request.is_open():
                for model in request.models:
                    jobs[model] += request.waiting
        names = sorted(set(counts) | set(jobs))
        if name is not None:
            names = [model for model in names if model == name]
        return [
            {
                "name": model,
                "count": counts[model],
                "performance": 0.0,
                "queued": float(jobs[model]),
                "jobs": float(jobs[model]),
                "eta": 0,
                "type": model_type,
            }
            for model in names
        ]

    # ------------------------------------------------------------------------------ test inspection
    def open_requests(self) -> list[Request]:
        """Requests still waiting for work (not finished, cancelled, faulted or expired)."""
        return [request for request in self.requests.values() if request.is_open()]

    def duplicate_creations(self) -> dict[tuple[str, Kind, str], int]:
        """(API key, kind, marker) created more than once, with the count."""
        return {marker: count for marker, count in self.creations.items() if count > 1}

    def in_flight_generations(self) -> list[Generation]:
        """Generations popped and not yet submitted, faulted nor taken back (state ``processing``)."""
        return [generation for generation in self.generations.values() if generation.state == "processing"]

    def generation_states(self) -> Counter[str]:
        """How many known generations are in each state (those of expired requests are forgotten)."""
        return Counter(generation.state for generation in self.generations.values())
