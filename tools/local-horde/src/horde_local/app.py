"""The HTTP face of a local horde: an ASGI app (built with Starlette's request and response objects).

Every request body and path value it accepts is validated with the SDK's request model of the endpoint, and
every JSON answer with the SDK's response model (error bodies with ``RequestErrorResponse``) before it is
sent. Bad input gets a 4xx with a JSON ``message`` (never a 500): 400 for invalid JSON or a payload failing
validation, 401/403 for keys, 404 for unknown routes and ids, 405 for a wrong method, 413 for a body over the
limit, 415 for a body that is not JSON, 429 for rate limits.

Routes live under ``/api`` (the client's ``base_url`` is ``http://HOST:PORT/api``); the presigned image URLs
are ``/r2/<key>.webp?X-Amz-Signature=...`` (PUT by workers, GET by requesters).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from horde_local.enums import enum_errors
from horde_local.horde import LocalHorde
from horde_local.state import HordeFailure, validation_failure
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    AlchemyJobPopRequest,
    AlchemyJobPopResponse,
    AlchemyJobSubmitRequest,
    AlchemyStatusRequest,
    AlchemyStatusResponse,
    AllActiveModelsRequest,
    AllActiveModelsResponse,
    AllUsersDetailsRequest,
    AllUsersDetailsResponse,
    AllWorkerMessagesRequest,
    AllWorkerMessagesResponse,
    AllWorkersDetailsRequest,
    AllWorkersDetailsResponse,
    DeleteAlchemyRequest,
    DeleteImageGenerateRequest,
    DeleteTextGenerateRequest,
    DeleteWorkerMessageRequest,
    FindUserRequest,
    GenerateAsyncDryRunResponse,
    HordeHeartbeatResponse,
    HordePerformanceResponse,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateJobPopRequest,
    ImageGenerateJobPopResponse,
    ImageGenerateJobSubmitRequest,
    ImageGenerateStatusRequest,
    ImageGenerateStatusResponse,
    JobSubmitResponse,
    ModifyWorkerRequest,
    ModifyWorkerResponse,
    NewsResponse,
    SendWorkerMessageRequest,
    SimpleResponse,
    SingleActiveModelRequest,
    SingleActiveModelResponse,
    SingleUserDetailsRequest,
    SingleWorkerDetailsRequest,
    SingleWorkerDetailsResponse,
    SingleWorkerMessageRequest,
    SingleWorkerNameDetailsRequest,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateJobPopRequest,
    TextGenerateJobPopResponse,
    TextGenerateJobSubmitRequest,
    TextGenerateStatusRequest,
    TextGenerateStatusResponse,
    UserDetailsResponse,
    WorkerMessageResponse,
)
from horde_sdk.ai_horde_api.consts import RC
from horde_sdk.generic_api.apimodels import HordeRequest, RequestErrorResponse

__all__ = ["ConnectionDropped", "LocalHordeApp", "create_app"]

SERVER_VERSION = "local-horde-0.1.0"
_MAX_JSON_DEPTH = 64
_MAX_REPORTED_ERRORS = 20
_log = logging.getLogger("horde_local")


class ConnectionDropped(Exception):  # noqa: N818 - it is an event, not an error of the server
    """Raised on purpose after a partial answer, so that the HTTP server closes the connection."""


class _DropFilter(logging.Filter):
    """Keeps the HTTP server's log free of the tracebacks of connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


@dataclass
class Context:
    """What a route handler gets: the horde, path values, query, parsed body and the ``apikey`` header."""

    horde: LocalHorde
    path: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    apikey: str | None
    base_url: str


Answer = tuple[int, Any, type[BaseModel]]
Handler = Callable[[Context], Answer]


def _errors_of(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in error.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in problem["loc"]) or "payload"
        errors.setdefault(where, problem["msg"])
        if len(errors) >= _MAX_REPORTED_ERRORS:
            break
    return errors


_M = TypeVar("_M", bound=HordeRequest)


def parse(model: type[_M], data: dict[str, Any]) -> _M:
    """Validate ``data`` with an SDK request model; a failure is the server's 400 validation answer."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_failure(_errors_of(error)) from None


def _query(model: type[BaseModel], query: dict[str, str]) -> dict[str, Any]:
    """Keep the query parameters ``model`` knows (by alias or name); the server ignores the others."""
    known = {info.alias or name for name, info in model.model_fields.items()} | set(model.model_fields)
    return {key: value for key, value in query.items() if key in known}


# ----------------------------------------------------------------------------------------------- handlers
def _user(ctx: Context) -> Any:  # noqa: ANN401 - a state.User
    return ctx.horde.state.user_for_key(ctx.apikey)


def image_async(ctx: Context) -> Answer:
    body = parse(ImageGenerateAsyncRequest, ctx.body)
    answer = ctx.horde.state.create_image_request(_user(ctx), body)
    if body.dry_run:
        return 200, answer, GenerateAsyncDryRunResponse
    return 202, answer, ImageGenerateAsyncResponse


def image_check(ctx: Context) -> Answer:
    request = parse(ImageGenerateCheckRequest, ctx.path)
    return 200, ctx.horde.state.check_image(request.id_), ImageGenerateCheckResponse


def image_status(ctx: Context) -> Answer:
    request = parse(ImageGenerateStatusRequest, ctx.path)
    return 200, ctx.horde.state.image_status(request.id_, ctx.base_url), ImageGenerateStatusResponse


def image_cancel(ctx: Context) -> Answer:
    request = parse(DeleteImageGenerateRequest, ctx.path)
    return 200, ctx.horde.state.cancel_image(request.id_, ctx.base_url), ImageGenerateStatusResponse


def _with_messages(ctx: Context, answer: dict[str, Any], worker_name: str | None) -> dict[str, Any]:
    """Add the worker's active messages to a pop answer (image and text pops carry them, empty or not)."""
    answer["messages"] = ctx.horde.state.pop_messages(worker_name or "")
    return answer


def image_pop(ctx: Context) -> Answer:
    body = parse(ImageGenerateJobPopRequest, ctx.body)
    answer = ctx.horde.state.pop_image(_user(ctx), body, ctx.base_url)
    return 200, _with_messages(ctx, answer, body.worker_name), ImageGenerateJobPopResponse


def image_submit(ctx: Context) -> Answer:
    body = parse(ImageGenerateJobSubmitRequest, ctx.body)
    try:
        user = _user(ctx)
    except HordeFailure as failure:
        if failure.rc != RC.InvalidAPIKey:
            raise
        # The real server fails here with a 500 (a server bug, BEHAVIOUR.md): clients must not retry it.
        raise HordeFailure(500, "Internal Server Error") from None
    return 200, ctx.horde.state.submit_image(user, body), JobSubmitResponse


def text_async(ctx: Context) -> Answer:
    body = parse(TextGenerateAsyncRequest, ctx.body)
    answer = ctx.horde.state.create_text_request(_user(ctx), body)
    if body.dry_run:
        return 200, answer, GenerateAsyncDryRunResponse
    return 202, answer, TextGenerateAsyncResponse


def text_status(ctx: Context) -> Answer:
    request = parse(TextGenerateStatusRequest, ctx.path)
    return 200, ctx.horde.state.text_status(request.id_), TextGenerateStatusResponse


def text_cancel(ctx: Context) -> Answer:
    request = parse(DeleteTextGenerateRequest, ctx.path)
    return 200, ctx.horde.state.cancel_text(request.id_), TextGenerateStatusResponse


def text_pop(ctx: Context) -> Answer:
    body = parse(TextGenerateJobPopRequest, ctx.body)
    answer = ctx.horde.state.pop_text(_user(ctx), body)
    return 200, _with_messages(ctx, answer, body.worker_name), TextGenerateJobPopResponse


def text_submit(ctx: Context) -> Answer:
    body = parse(TextGenerateJobSubmitRequest, ctx.body)
    return 200, ctx.horde.state.submit_text(_user(ctx), body), JobSubmitResponse


def alchemy_async(ctx: Context) -> Answer:
    body = parse(AlchemyAsyncRequest, ctx.body)
    return 202, ctx.horde.state.create_alchemy_request(_user(ctx), body), AlchemyAsyncResponse


def alchemy_status(ctx: Context) -> Answer:
    request = parse(AlchemyStatusRequest, ctx.path)
    return 200, ctx.horde.state.alchemy_status(request.id_, ctx.base_url), AlchemyStatusResponse


def alchemy_cancel(ctx: Context) -> Answer:
    request = parse(DeleteAlchemyRequest, ctx.path)
    return 200, ctx.horde.state.cancel_alchemy(request.id_, ctx.base_url), AlchemyStatusResponse


def alchemy_pop(ctx: Context) -> Answer:
    body = parse(AlchemyJobPopRequest, ctx.body)
    return 200, ctx.horde.state.pop_alchemy(_user(ctx), body, ctx.base_url), AlchemyJobPopResponse


def alchemy_submit(ctx: Context) -> Answer:
    body = parse(AlchemyJobSubmitRequest, ctx.body)
    return 200, ctx.horde.state.submit_alchemy(_user(ctx), body), JobSubmitResponse


def heartbeat(ctx: Context) -> Answer:  # noqa: ARG001 - every handler takes the context
    return 200, {"message": "OK", "version": SERVER_VERSION}, HordeHeartbeatResponse


def performance(ctx: Context) -> Answer:
    return 200, ctx.horde.state.performance(), HordePerformanceResponse


def models(ctx: Context) -> Answer:
    request = parse(AllActiveModelsRequest, _query(AllActiveModelsRequest, ctx.query))
    found = ctx.horde.state.active_models(str(request.type_ or "image"))
    if request.min_count is not None:
        found = [model for model in found if model["count"] >= request.min_count]
    if request.max_count is not None:
        found = [model for model in found if model["count"] <= request.max_count]
    return 200, found, AllActiveModelsResponse


def single_model(ctx: Context) -> Answer:
    request = parse(SingleActiveModelRequest, ctx.path)
    found = ctx.horde.state.active_models("image", request.model_name) or ctx.horde.state.active_models(
        "text", request.model_name
    )
    return 200, found, SingleActiveModelResponse


NEWS = [
    {
        "date_published": "2024-05-01",
        "newspiece": "This is a local AI Horde for tests: nothing generated here leaves this machine.",
        "importance": "Information",
        "tags": ["local"],
        "title": "Local horde",
        "more_info_urls": [],
    }
]


def news(ctx: Context) -> Answer:  # noqa: ARG001 - every handler takes the context
    return 200, NEWS, NewsResponse


def find_user(ctx: Context) -> Answer:
    parse(FindUserRequest, {})
    return 200, ctx.horde.state.find_user(ctx.apikey), UserDetailsResponse


def users(ctx: Context) -> Answer:
    request = parse(AllUsersDetailsRequest, _query(AllUsersDetailsRequest, ctx.query))
    return 200, ctx.horde.state.all_users(request.page or 1), AllUsersDetailsResponse


def single_user(ctx: Context) -> Answer:
    request = parse(SingleUserDetailsRequest, ctx.path)
    try:
        user_id = int(request.user_id)
    except ValueError:
        raise HordeFailure(404, f"User with ID '{request.user_id}' not found.", RC.UserNotFound) from None
    return 200, ctx.horde.state.single_user(user_id), UserDetailsResponse


def workers(ctx: Context) -> Answer:
    request = parse(AllWorkersDetailsRequest, _query(AllWorkersDetailsRequest, ctx.query))
    worker_type = str(request.type_) if request.type_ is not None else None
    return 200, ctx.horde.state.all_workers(worker_type, request.name), AllWorkersDetailsResponse


def worker_by_id(ctx: Context) -> Answer:
    request = parse(SingleWorkerDetailsRequest, ctx.path)
    return 200, ctx.horde.state.worker_by_id(request.worker_id), SingleWorkerDetailsResponse


def modify_worker(ctx: Context) -> Answer:
    body = parse(ModifyWorkerRequest, {**ctx.body, **ctx.path})
    return 200, ctx.horde.state.modify_worker(_user(ctx), body), ModifyWorkerResponse


def worker_by_name(ctx: Context) -> Answer:
    request = parse(SingleWorkerNameDetailsRequest, ctx.path)
    return 200, ctx.horde.state.worker_by_name(request.worker_name), SingleWorkerDetailsResponse


def worker_messages(ctx: Context) -> Answer:
    request = parse(AllWorkerMessagesRequest, _query(AllWorkerMessagesRequest, ctx.query))
    user = ctx.horde.state.user_for_key(ctx.apikey)
    assert user is not None  # noqa: S101 - a key is required
    found = ctx.horde.state.worker_messages(
        user,
        str(request.user_id) if request.user_id is not None else None,
        request.worker_id,
        str(request.validity) if request.validity is not None else None,
        request.page or 1,
    )
    return 200, found, AllWorkerMessagesResponse


def send_worker_message(ctx: Context) -> Answer:
    body = parse(SendWorkerMessageRequest, ctx.body)
    return 200, ctx.horde.state.send_worker_message(_user(ctx), body), WorkerMessageResponse


def worker_message(ctx: Context) -> Answer:
    request = parse(SingleWorkerMessageRequest, ctx.path)
    return 200, ctx.horde.state.worker_message(request.message_id), WorkerMessageResponse


def delete_worker_message(ctx: Context) -> Answer:
    request = parse(DeleteWorkerMessageRequest, ctx.path)
    return 200, ctx.horde.state.delete_worker_message(_user(ctx), request.message_id), SimpleResponse


_SEGMENT = r"(?P<{name}>[^/]+)"


def _route(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{(\w+)\}", lambda match: _SEGMENT.format(name=match.group(1)), template)
    return re.compile(pattern)


_ROUTE_TABLE: tuple[tuple[str, dict[str, Handler]], ...] = (
    ("/v2/generate/async", {"POST": image_async}),
    ("/v2/generate/check/{id}", {"GET": image_check}),
    ("/v2/generate/status/{id}", {"GET": image_status, "DELETE": image_cancel}),
    ("/v2/generate/pop", {"POST": image_pop}),
    ("/v2/generate/submit", {"POST": image_submit}),
    ("/v2/generate/text/async", {"POST": text_async}),
    ("/v2/generate/text/status/{id}", {"GET": text_status, "DELETE": text_cancel}),
    ("/v2/generate/text/pop", {"POST": text_pop}),
    ("/v2/generate/text/submit", {"POST": text_submit}),
    ("/v2/interrogate/async", {"POST": alchemy_async}),
    ("/v2/interrogate/status/{id}", {"GET": alchemy_status, "DELETE": alchemy_cancel}),
    ("/v2/interrogate/pop", {"POST": alchemy_pop}),
    ("/v2/interrogate/submit", {"POST": alchemy_submit}),
    ("/v2/status/heartbeat", {"GET": heartbeat}),
    ("/v2/status/performance", {"GET": performance}),
    ("/v2/status/models", {"GET": models}),
    ("/v2/status/models/{model_name}", {"GET": single_model}),
    ("/v2/status/news", {"GET": news}),
    ("/v2/find_user", {"GET": find_user}),
    ("/v2/users", {"GET": users}),
    ("/v2/users/{user_id}", {"GET": single_user}),
    ("/v2/workers", {"GET": workers}),
    # Before /v2/workers/{worker_id}, which would take "messages" for a worker id.
    ("/v2/workers/messages", {"GET": worker_messages, "POST": send_worker_message}),
    ("/v2/workers/messages/{message_id}", {"GET": worker_message, "DELETE": delete_worker_message}),
    ("/v2/workers/{worker_id}", {"GET": worker_by_id, "PUT": modify_worker}),
    ("/v2/workers/name/{worker_name}", {"GET": worker_by_name}),
)
ROUTES: tuple[tuple[re.Pattern[str], str, dict[str, Handler]], ...] = tuple(
    (_route("/api" + template), template, handlers) for template, handlers in _ROUTE_TABLE
)
"""Every implemented API route: path pattern, path template and handler per method."""

_R2_ROUTE = re.compile(r"/r2/(?P<key>[0-9a-f-]{36})\.webp")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _json_depth_ok(value: Any) -> bool:  # noqa: ANN401 - any JSON value
    """Return False when ``value`` nests deeper than the limit (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > _MAX_JSON_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True


def _refuse_constant(name: str) -> Any:  # noqa: ANN401 - json's parse_constant hook
    """Refuse ``NaN`` and ``Infinity``: they are not JSON, and an answer containing them could not be sent."""
    raise ValueError(f"{name} is not a JSON value")


@dataclass
class _Outcome:
    status: int
    body: Any
    model: type[BaseModel] | None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    media_type: str = "application/json"


def _error(status: int, message: str, rc: str | None = None, headers: dict[str, str] | None = None) -> _Outcome:
    return _Outcome(status, HordeFailure(status, message, rc).body(), RequestErrorResponse, dict(headers or {}))


class _TooLarge(Exception):  # noqa: N818 - control flow
    pass


class LocalHordeApp:
    """The ASGI application serving one :class:`LocalHorde`.

    Args:
        horde: The horde to serve.
    """

    def __init__(self, horde: LocalHorde) -> None:
        self.horde = horde

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (HTTP; lifespan events are acknowledged)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = HTTPRequest(scope, receive)
        outcome, drop_after = await self._handle(request, send)
        if outcome is None:
            return
        if drop_after:
            await self._drop(send)
        if outcome.raw is not None:
            response: Response = Response(outcome.raw, outcome.status, outcome.headers, media_type=outcome.media_type)
        else:
            response = JSONResponse(outcome.body, outcome.status, outcome.headers)
        await response(scope, receive, send)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _drop(send: Send) -> None:
        """Start an answer that promises a body, then fail: the HTTP server closes the connection."""
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
        await send(start)
        raise ConnectionDropped("connection dropped on purpose by the local horde's fault injection")

    async def _handle(self, request: HTTPRequest, send: Send) -> tuple[_Outcome | None, bool]:
        horde = self.horde
        method = request.method
        path = request.url.path
        drop_after = False
        with horde.lock:
            horde.requests_served += 1
            faults = horde.faults
            # The random draw happens whatever is scripted, so the random faults stay those of the seed.
            decision = faults.decide(method, path) if faults.applies_to(path) else None
            scripted = horde.scripted.take(method, path)
        if scripted is not None:
            decision = scripted.decision(decision.latency if decision is not None else 0.0)
        if decision is not None:
            if decision.latency > 0:
                await asyncio.sleep(decision.latency)
            if decision.status_429:
                retry = decision.retry_after if decision.retry_after is not None else faults.config.burst_retry_after
                return _error(429, "Too many requests; slow down.", None, {"Retry-After": str(retry)}), False
            if decision.error_status:
                default = "The server failed" if decision.status_5xx else "The request was refused"
                message = decision.message or f"{default} (injected fault)."
                return _error(decision.error_status, message, decision.rc), False
            if decision.drop_before:
                await self._drop(send)
            drop_after = decision.drop_after
        try:
            outcome = await self._dispatch(request, method, path)
        except Exception:
            _log.exception("local horde failed on %s %s", method, path)
            outcome = _error(500, "Internal Server Error")
        return self._checked(outcome), drop_after

    @staticmethod
    def _checked(outcome: _Outcome) -> _Outcome:
        """Validate a JSON answer with its SDK model; a mismatch is a bug of the local horde (500)."""
        if outcome.model is None:
            return outcome
        try:
            outcome.model.model_validate(outcome.body)
        except ValidationError as error:
            _log.error("answer does not match %s: %s", outcome.model.__name__, error)
            return _error(500, f"The local horde built an answer that does not match {outcome.model.__name__}.")
        return outcome

    async def _dispatch(self, request: HTTPRequest, method: str, path: str) -> _Outcome:
        r2 = _R2_ROUTE.fullmatch(path)
        if r2 is not None:
            return await self._r2(request, method, r2.group("key"))
        for pattern, template, handlers in ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            handler = handlers.get(method)
            if handler is None:
                allowed = ", ".join(sorted(handlers))
                return _error(405, f"The method {method} is not allowed for this URL.", None, {"Allow": allowed})
            outcome = await self._api(request, method, path, match.groupdict(), handler, template=template)
            if 200 <= outcome.status < 300 and outcome.raw is None:
                with self.horde.lock:
                    rewritten, body = self.horde.rewrites.apply(method, path, outcome.body)
                if rewritten:  # sent as the test made it: no answer-model check
                    outcome = _Outcome(outcome.status, body, None, outcome.headers)
            with self.horde.lock:
                if self.horde.recorded is not None:
                    self.horde.recorded.append((method, template, outcome.status, outcome.body))
            return outcome
        return _error(404, "The requested URL was not found on the server.")

    async def _read_body(self, request: HTTPRequest, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise _TooLarge
            except ValueError:
                pass
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def _api(  # noqa: PLR0911 - one early answer per kind of bad input
        self,
        request: HTTPRequest,
        method: str,
        path: str,
        path_values: dict[str, str],
        handler: Handler,
        *,
        template: str,
    ) -> _Outcome:
        horde = self.horde
        apikey = request.headers.get("apikey")
        headers: dict[str, str] = {}
        if horde.config.rate_limits:
            client = request.client.host if request.client else "unknown"
            with horde.lock:
                limit = horde.limiter.hit(method, path, client, apikey, horde.clock.now())
            if limit is not None:
                headers = {
                    "X-Ratelimit-Limit": str(limit.limit),
                    "X-Ratelimit-Remaining": str(limit.remaining),
                    "X-Ratelimit-Reset": str(math.ceil(limit.reset_at)),
                }
                if not limit.allowed:
                    headers["Retry-After"] = str(limit.retry_after)
                    return _error(429, f"Rate limit exceeded: {limit.limit} per window on this route.", None, headers)
        try:
            raw = await self._read_body(request, horde.config.max_body_bytes)
        except _TooLarge:
            return _error(
                413, f"The request body is larger than {horde.config.max_body_bytes} bytes.", RC.BadRequest, headers
            )
        body: dict[str, Any] = {}
        if method in _BODY_METHODS:
            content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
            if content_type != "application/json":
                return _error(
                    415, "The request body must be JSON (Content-Type: application/json).", RC.BadRequest, headers
                )
            try:
                parsed = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant) if raw.strip() else {}
            except (ValueError, RecursionError) as error:
                reason = type(error).__name__ if isinstance(error, RecursionError) else str(error)[:200]
                return _error(400, f"The request body is not valid JSON: {reason}", RC.BadRequest, headers)
            if not _json_depth_ok(parsed):
                return _error(
                    400, f"The request body nests deeper than {_MAX_JSON_DEPTH} levels.", RC.BadRequest, headers
                )
            if not isinstance(parsed, dict):
                failure = validation_failure({"payload": "The request body must be a JSON object"})
                return _Outcome(400, failure.body(), RequestErrorResponse, headers)
            body = parsed
            # The swagger's enumerations are enforced before anything else looks at the body (BEHAVIOUR.md).
            outside = enum_errors(method, template, body)
            if outside:
                return _Outcome(400, validation_failure(outside).body(), RequestErrorResponse, headers)
        context = Context(
            horde=horde,
            path=path_values,
            query=dict(request.query_params),
            body=body,
            apikey=apikey,
            base_url=f"{request.url.scheme}://{request.url.netloc}",
        )
        try:
            with horde.lock:
                horde.state.tick()
                status, answer, model = handler(context)
        except HordeFailure as failure:
            return _Outcome(failure.status, failure.body(), RequestErrorResponse, headers)
        return _Outcome(status, answer, model, headers)

    async def _r2(self, request: HTTPRequest, method: str, key: str) -> _Outcome:
        horde = self.horde
        signature = request.query_params.get("X-Amz-Signature", "")
        try:
            if method == "PUT":
                try:
                    data = await self._read_body(request, horde.config.max_upload_bytes)
                except _TooLarge:
                    return _error(413, "The upload is too large.", RC.BadRequest)
                with horde.lock:
                    horde.state.put_image(key, signature, data)
                return _Outcome(200, None, None, raw=b"", media_type="application/octet-stream")
            if method == "GET":
                with horde.lock:
                    data = horde.state.get_image(key, signature)
                return _Outcome(200, None, None, raw=data, media_type="image/webp")
        except HordeFailure as failure:
            return _Outcome(failure.status, failure.body(), RequestErrorResponse)
        return _error(405, f"The method {method} is not allowed for this URL.", None, {"Allow": "GET, PUT"})


def create_app(horde: LocalHorde | None = None) -> LocalHordeApp:
    """Return the ASGI app of ``horde`` (a new one with the default configuration when not given)."""
    return LocalHordeApp(horde or LocalHorde())
