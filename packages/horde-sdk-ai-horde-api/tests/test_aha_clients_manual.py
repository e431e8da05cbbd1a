"""AI Horde manual clients and sessions: defaults, wire names, and per-kind cleanup on every exit."""

from __future__ import annotations

import anyio
import httpx
import pytest

from horde_sdk.ai_horde_api import (
    ANON_API_KEY,
    AIHordeAPIAsyncClientSession,
    AIHordeAPIAsyncManualClient,
    AIHordeAPIClientSession,
    AIHordeAPIManualClient,
)
from horde_sdk.ai_horde_api.ai_horde_clients import DEFAULT_AI_HORDE_CLIENT_AGENT
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    HordeHeartbeatRequest,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    SingleTeamDetailsRequest,
    SingleTeamDetailsResponse,
    TextGenerateAsyncRequest,
)
from horde_sdk.ai_horde_api.endpoints import API_KEY_REQUIRED_ROUTES
from horde_sdk.ai_horde_api.fields import TeamID
from horde_sdk.generic_api.exceptions import HordeForbiddenError
from horde_sdk.generic_api.settings import HordeClientSettings

JOB_PATHS = {
    "/api/v2/generate/async": "/api/v2/generate/status/",
    "/api/v2/generate/text/async": "/api/v2/generate/text/status/",
    "/api/v2/interrogate/async": "/api/v2/interrogate/status/",
}


class FakeHorde:
    """Creates jobs on the three async endpoints and records cancels, as the real server does."""

    def __init__(self) -> None:
        self.waiting: dict[str, str] = {}
        self.cancelled: list[str] = []
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if request.method == "POST" and path in JOB_PATHS:
            job_id = f"00000000-0000-4000-8000-{len(self.waiting) + len(self.cancelled):012d}"
            self.waiting[job_id] = JOB_PATHS[path]
            body: dict[str, object] = {"id": job_id}
            if "/interrogate/" not in path:  # RequestInterrogationResponse carries no kudos
                body["kudos"] = 10.0
            return httpx.Response(202, json=body)
        if request.method == "DELETE":
            job_id = path.rsplit("/", 1)[-1]
            assert self.waiting.pop(job_id) + job_id == path, "cancelled on the wrong endpoint"
            self.cancelled.append(path)
            return httpx.Response(200, json=_cancelled_status(path))
        if path.endswith("/heartbeat"):
            return httpx.Response(200, json={"message": "OK", "version": "5.1.5"})
        if "/generate/check/" in path:
            return httpx.Response(200, json=_check(done=False))
        return httpx.Response(404, json={"message": "not found", "rc": "RequestNotFound"})


def _check(*, done: bool) -> dict[str, object]:
    return {
        "finished": 0,
        "processing": 0,
        "restarted": 0,
        "waiting": 1,
        "done": done,
        "faulted": False,
        "wait_time": 0,
        "queue_position": 0,
        "kudos": 0.0,
        "is_possible": True,
    }


def _cancelled_status(path: str) -> dict[str, object]:
    if "/interrogate/" in path:
        return {"state": "partial", "forms": []}
    return {**_check(done=True), "generations": []}


def test_defaults_client_agent_public_horde_and_no_key_where_none_is_needed():
    horde = FakeHorde()
    with AIHordeAPIManualClient(http_client=httpx.Client(transport=httpx.MockTransport(horde))) as client:
        client.submit_request(HordeHeartbeatRequest())
        assert client.settings.rate_limiter is not None
    (sent,) = horde.seen
    assert str(sent.url) == "https://aihorde.net/api/v2/status/heartbeat"
    assert "apikey" not in sent.headers
    assert sent.headers["client-agent"] == DEFAULT_AI_HORDE_CLIENT_AGENT


def _team_answer(request: httpx.Request) -> httpx.Response:
    # BEHAVIOUR.md: any apikey header makes GET /v2/teams/{id} a moderator request.
    if "apikey" in request.headers:
        return httpx.Response(403, json={"message": "Only moderators can view this", "rc": "NotModerator"})
    return httpx.Response(200, json={"id": "t1", "name": "team", "worker_count": 0})


@pytest.mark.parametrize("api_key", [None, "my-own-key-123"])
def test_team_details_go_out_without_a_key(api_key):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _team_answer(request)

    options = {"api_key": api_key} if api_key else {}
    transport = httpx.MockTransport(handler)
    with AIHordeAPIManualClient(http_client=httpx.Client(transport=transport), **options) as client:
        team = client.submit_request(SingleTeamDetailsRequest(team_id=TeamID("t1")), SingleTeamDetailsResponse)
    assert team.name == "team"
    assert "apikey" not in seen[0].headers


def test_a_key_set_on_the_team_request_is_still_sent():
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _team_answer(request)

    transport = httpx.MockTransport(record)
    with (
        AIHordeAPIManualClient(http_client=httpx.Client(transport=transport)) as client,
        pytest.raises(HordeForbiddenError),
    ):
        client.submit_request(SingleTeamDetailsRequest(team_id=TeamID("t1"), apikey="moderator-key-123"))
    assert seen[0].headers["apikey"] == "moderator-key-123"


def test_the_anonymous_key_goes_only_where_a_key_is_required_and_the_callers_key_everywhere():
    horde = FakeHorde()
    with AIHordeAPIManualClient(http_client=httpx.Client(transport=httpx.MockTransport(horde))) as client:
        client.submit_request(ImageGenerateAsyncRequest(prompt="a cat"))
    assert horde.seen[0].headers["apikey"] == ANON_API_KEY
    horde = FakeHorde()
    transport = httpx.MockTransport(horde)
    with AIHordeAPIManualClient(http_client=httpx.Client(transport=transport), api_key="my-own-key-123") as client:
        client.submit_request(HordeHeartbeatRequest())
        client.submit_request(ImageGenerateAsyncRequest(prompt="a cat"))
    assert [sent.headers["apikey"] for sent in horde.seen] == ["my-own-key-123", "my-own-key-123"]


def test_explicit_options_and_settings_win():
    settings = HordeClientSettings(api_key="my-key-123", client_agent="bot:1:me@example.invalid")
    client = AIHordeAPIManualClient(settings=settings, base_url="http://127.0.0.1:7001/api", enforce_rate_limits=False)
    assert client.settings.api_key == "my-key-123"
    assert client.settings.client_agent == "bot:1:me@example.invalid"
    assert client.settings.base_url == "http://127.0.0.1:7001/api"
    assert client.settings.rate_limiter is None
    client.close()


def test_the_shared_rate_limiter_is_used_when_given():
    from horde_sdk.ai_horde_api.consts import AI_HORDE_RATE_LIMIT_RULES
    from horde_sdk.generic_api.ratelimit import ClientRateLimiter

    limiter = ClientRateLimiter(AI_HORDE_RATE_LIMIT_RULES)
    first = AIHordeAPIManualClient(rate_limiter=limiter)
    second = AIHordeAPIAsyncManualClient(rate_limiter=limiter)
    assert first.settings.rate_limiter is limiter is second.settings.rate_limiter
    first.close()


def submit_all_kinds(session: AIHordeAPIClientSession) -> None:
    session.submit_request(ImageGenerateAsyncRequest(prompt="a lighthouse at dusk"))
    session.submit_request(TextGenerateAsyncRequest(prompt="Once upon a time"))
    session.submit_request(
        AlchemyAsyncRequest(source_image="https://example.invalid/cat.webp", forms=[{"name": "caption"}])  # type: ignore[arg-type]  # raw entries on purpose: validation builds the forms
    )


def test_session_cancels_each_kind_on_its_own_endpoint_at_normal_exit():
    horde = FakeHorde()
    with AIHordeAPIClientSession(http_client=httpx.Client(transport=httpx.MockTransport(horde))) as session:
        submit_all_kinds(session)
        assert len(session.pending_follow_up_keys) == 3
    assert horde.waiting == {}
    assert sorted(path.split("/v2/")[1].split("/")[0:2][0] for path in horde.cancelled) == [
        "generate",
        "generate",
        "interrogate",
    ]


def test_session_cancels_on_exception():
    horde = FakeHorde()
    with (
        pytest.raises(RuntimeError),
        AIHordeAPIClientSession(http_client=httpx.Client(transport=httpx.MockTransport(horde))) as session,
    ):
        submit_all_kinds(session)
        raise RuntimeError("the bot crashed")
    assert horde.waiting == {}


def test_a_finished_job_is_not_cancelled():
    horde = FakeHorde()

    def finished_check(request: httpx.Request) -> httpx.Response:
        if "/generate/check/" in request.url.path:
            horde.seen.append(request)
            horde.waiting.pop(request.url.path.rsplit("/", 1)[-1])
            return httpx.Response(200, json=_check(done=True))
        return horde(request)

    with AIHordeAPIClientSession(http_client=httpx.Client(transport=httpx.MockTransport(finished_check))) as session:
        created = session.submit_request(ImageGenerateAsyncRequest(prompt="a cat"), ImageGenerateAsyncResponse)
        assert created.id_ is not None
        session.submit_request(ImageGenerateCheckRequest(id_=created.id_))
        assert session.pending_follow_up_keys == ()
    assert horde.cancelled == []


@pytest.mark.anyio
async def test_async_session_cancels_when_its_task_is_cancelled():
    horde = FakeHorde()
    started = anyio.Event()

    async def bot() -> None:
        async with AIHordeAPIAsyncClientSession(
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(horde))
        ) as session:
            await session.submit_request(ImageGenerateAsyncRequest(prompt="a lighthouse"))
            await session.submit_request(TextGenerateAsyncRequest(prompt="Hello"))
            started.set()
            await anyio.sleep_forever()

    async with anyio.create_task_group() as group:
        group.start_soon(bot)
        await started.wait()
        group.cancel_scope.cancel()
    assert horde.waiting == {}
    assert len(horde.cancelled) == 2


def test_the_key_required_table_matches_the_swagger(horde_swagger):
    required = {
        (method.upper(), path)
        for path, operations in horde_swagger["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
        for parameter in operation.get("parameters", [])
        if parameter.get("name") == "apikey" and parameter.get("in") == "header" and parameter.get("required")
    }
    assert required | {("GET", "/v2/find_user")} == API_KEY_REQUIRED_ROUTES
