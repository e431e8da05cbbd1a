"""A small fake Horde-style API and a scripted HTTP server double for the generic_api tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPMethod, HTTPStatus
from types import SimpleNamespace
from typing import Annotated, Any, ClassVar

import httpx
import pytest
from pydantic import Field

from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeRequest,
    HordeResponse,
    HordeResponseBaseModel,
    ResponseRequiringFollowUpMixin,
)
from horde_sdk.generic_api.endpoints import GENERIC_API_ENDPOINT_SUBPATH
from horde_sdk.generic_api.metadata import GenericPathFields, GenericQueryFields

BASE_URL = "https://horde.test/api"


class FakeEndpoints(GENERIC_API_ENDPOINT_SUBPATH):
    heartbeat = "/v2/status/heartbeat"
    jobs = "/v2/jobs"
    job = "/v2/jobs/{id}"
    team_member = "/v2/teams/{team_id}/members/{member_id}"


class FakeHeaderFields(StrEnum):
    apikey = "apikey"
    client_agent = "Client-Agent"
    accept = "Accept"
    trace_id = "X-Trace-Id"


class FakeQueryFields(GenericQueryFields):
    page = "page"
    tags = "tag"
    include_details = "details"


class FakePathFields(GenericPathFields):
    id_ = "id"
    team_id = "team_id"
    member_id = "member_id"


class _FakeRequest(HordeRequest):
    @classmethod
    def get_api_url(cls) -> str:
        return BASE_URL


class HeartbeatResponse(HordeResponseBaseModel):
    message: str = Field(description="ok")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "Heartbeat"


class HeartbeatRequest(_FakeRequest):
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @classmethod
    def get_api_endpoint_subpath(cls) -> FakeEndpoints:
        return FakeEndpoints.heartbeat

    @classmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        return HeartbeatResponse


class DryRunResponse(HordeResponseBaseModel):
    kudos: float

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "DryRun"


class CancelJobResponse(HordeResponseBaseModel):
    cancelled: bool = True

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "Cancelled"


class JobCreatedResponse(HordeResponseBaseModel, ResponseRequiringFollowUpMixin):
    id_: Annotated[str, Field(alias="id")]
    kudos: float

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "JobCreated"

    def get_follow_up_key(self) -> str:
        return self.id_

    def get_follow_up_failure_cleanup_requests(self) -> list[HordeRequest]:
        return [CancelJobRequest(id_=self.id_)]


class JobStatusResponse(HordeResponseBaseModel):
    done: bool
    finished: int = 0

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "JobStatus"


class CreateJobRequest(_FakeRequest, APIKeyAllowedInRequestMixin):
    _always_sent_fields: ClassVar[frozenset[str]] = frozenset({"r2"})

    prompt: str
    n: int = 1
    model_name: Annotated[str, Field(alias="model")] = "stable"
    r2: bool = True
    webhook: str | None = None
    dry_run: bool = False
    trace_id: str | None = None

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "JobInput"

    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @classmethod
    def get_api_endpoint_subpath(cls) -> FakeEndpoints:
        return FakeEndpoints.jobs

    @classmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        return JobCreatedResponse

    @classmethod
    def get_success_status_response_pairs(cls) -> dict[HTTPStatus, type[HordeResponse]]:
        return {HTTPStatus.OK: DryRunResponse, HTTPStatus.ACCEPTED: JobCreatedResponse}


class JobStatusRequest(_FakeRequest):
    id_: Annotated[str, Field(alias="id")]

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @classmethod
    def get_api_endpoint_subpath(cls) -> FakeEndpoints:
        return FakeEndpoints.job

    @classmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        return JobStatusResponse

    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        if isinstance(response, JobStatusResponse) and response.done:
            return self.id_
        return None


class CancelJobRequest(_FakeRequest):
    id_: Annotated[str, Field(alias="id")]

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @classmethod
    def get_api_endpoint_subpath(cls) -> FakeEndpoints:
        return FakeEndpoints.job

    @classmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        return CancelJobResponse

    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        return self.id_


class TeamMemberRequest(_FakeRequest):
    team_id: str
    member_id: int
    page: int | None = None
    tags: tuple[str, ...] | None = None
    include_details: bool | None = None

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @classmethod
    def get_api_endpoint_subpath(cls) -> FakeEndpoints:
        return FakeEndpoints.team_member

    @classmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        return HeartbeatResponse


class GetWithBodyRequest(_FakeRequest):
    """Misdeclared on purpose: a GET with a field that is neither path, query nor header."""

    stray: str = "x"

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @classmethod
    def get_api_endpoint_subpath(cls) -> FakeEndpoints:
        return FakeEndpoints.heartbeat

    @classmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        return HeartbeatResponse


FAKE_API = SimpleNamespace(
    BASE_URL=BASE_URL,
    FakeEndpoints=FakeEndpoints,
    FakeHeaderFields=FakeHeaderFields,
    FakeQueryFields=FakeQueryFields,
    FakePathFields=FakePathFields,
    HeartbeatRequest=HeartbeatRequest,
    HeartbeatResponse=HeartbeatResponse,
    CreateJobRequest=CreateJobRequest,
    JobCreatedResponse=JobCreatedResponse,
    DryRunResponse=DryRunResponse,
    JobStatusRequest=JobStatusRequest,
    JobStatusResponse=JobStatusResponse,
    CancelJobRequest=CancelJobRequest,
    CancelJobResponse=CancelJobResponse,
    TeamMemberRequest=TeamMemberRequest,
    GetWithBodyRequest=GetWithBodyRequest,
)


@pytest.fixture
def api() -> SimpleNamespace:
    """The fake API's classes."""
    return FAKE_API


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class ScriptedServer:
    """Answers requests from per-route queues of scripted replies and records every request it saw.

    A route is ``"METHOD /path"``; ``default`` answers anything unscripted. An Exception reply is raised
    (simulating a transport failure), a callable is called with the request.
    """

    routes: dict[str, list[Reply]] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)
    default: Reply | None = None

    def add(self, route: str, *replies: Reply) -> None:
        self.routes.setdefault(route, []).extend(replies)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        route = f"{request.method} {request.url.path}"
        queue = self.routes.get(route)
        reply = queue.pop(0) if queue else self.default
        if reply is None:
            return httpx.Response(404, json={"message": f"no scripted reply for {route}", "rc": "NotScripted"})
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    def count(self, route: str) -> int:
        return sum(1 for request in self.seen if f"{request.method} {request.url.path}" == route)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    @staticmethod
    def body(request: httpx.Request) -> Any:
        return json.loads(request.content) if request.content else None


@pytest.fixture
def server() -> ScriptedServer:
    return ScriptedServer()


@pytest.fixture
def client_kwargs(api: SimpleNamespace) -> dict[str, Any]:
    """Keyword arguments that point a generic client at the fake API."""
    return {
        "header_fields": api.FakeHeaderFields,
        "query_fields": api.FakeQueryFields,
        "path_fields": api.FakePathFields,
        "client_agent": "tests:1.0:tests@example.invalid",
    }
