"""Retry decisions: 429 with Retry-After, 5xx, transport failures, and never a blind POST retry."""

from __future__ import annotations

import random
import time

import httpx
import pytest

from horde_sdk.generic_api.core import RawResponse, RequestCore, SendAction, SleepAction, TransportFailure
from horde_sdk.generic_api.exceptions import (
    HordeConnectionError,
    HordeRateLimitedError,
    HordeRequestBuildError,
    HordeResponseTooLargeError,
    HordeServerError,
    HordeTimeoutError,
)
from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPIManualClient, GenericHordeAPIManualClient
from horde_sdk.generic_api.ratelimit import ClientRateLimiter, RateLimitRule
from horde_sdk.generic_api.settings import HordeClientSettings, RetryPolicy

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


def run_flow(core: RequestCore, request, outcomes):
    """Drive a request flow by hand; return (result or exception, list of actions seen)."""
    actions = []
    flow = core.flow(request)
    outcomes = list(outcomes)
    try:
        action = next(flow)
        while True:
            actions.append(action)
            action = flow.send(None if isinstance(action, SleepAction) else outcomes.pop(0))
    except StopIteration as done:
        return done.value, actions
    except Exception as error:
        return error, actions


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> RawResponse:
    import json

    return RawResponse(status_code=status, headers=headers or {}, content=json.dumps(body).encode())


@pytest.fixture
def core(api):
    return RequestCore(HordeClientSettings(seed=1), path_fields=api.FakePathFields)


def test_429_waits_what_retry_after_says_then_succeeds(core, api):
    result, actions = run_flow(
        core,
        api.HeartbeatRequest(),
        [json_response(429, {"message": "slow"}, {"Retry-After": "3"}), json_response(200, {"message": "ok"})],
    )
    assert isinstance(result, api.HeartbeatResponse)
    sleeps = [action.seconds for action in actions if isinstance(action, SleepAction)]
    assert len(sleeps) == 1
    assert 3.0 <= sleeps[0] < 3.2
    assert sum(isinstance(action, SendAction) for action in actions) == 2


def test_429_on_a_post_is_retried_because_the_server_did_not_act(core, api):
    result, _ = run_flow(
        core,
        api.CreateJobRequest(prompt="a"),
        [
            json_response(429, {"message": "slow"}, {"X-Ratelimit-Reset": "1"}),
            json_response(202, {"id": "j", "kudos": 1}),
        ],
    )
    assert isinstance(result, api.JobCreatedResponse)
    assert result.id_ == "j"  # the answer to the second send


def test_retry_after_longer_than_allowed_raises_instead_of_waiting(api):
    core = RequestCore(HordeClientSettings(retry=RetryPolicy(max_retry_after=5)), path_fields=api.FakePathFields)
    result, actions = run_flow(
        core, api.HeartbeatRequest(), [json_response(429, {"message": "x"}, {"Retry-After": "600"})]
    )
    assert result.retry_after == 600
    assert not any(isinstance(action, SleepAction) for action in actions)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_for_idempotent_requests(core, api, status):
    result, actions = run_flow(
        core, api.HeartbeatRequest(), [json_response(status, {"message": "x"}), json_response(200, {"message": "ok"})]
    )
    assert isinstance(result, api.HeartbeatResponse)
    assert sum(isinstance(action, SleepAction) for action in actions) == 1


@pytest.mark.parametrize("status", [502, 504, 500])
def test_post_that_may_have_been_processed_is_not_retried(core, api, status):
    result, actions = run_flow(core, api.CreateJobRequest(prompt="a"), [json_response(status, {"message": "x"})])
    assert isinstance(result, HordeServerError)
    assert sum(isinstance(action, SendAction) for action in actions) == 1


def test_post_read_timeout_is_never_retried(core, api):
    failure = TransportFailure(kind="timeout", may_have_reached_server=True, detail="ReadTimeout")
    result, actions = run_flow(core, api.CreateJobRequest(prompt="a"), [failure])
    assert isinstance(result, HordeTimeoutError)
    assert result.may_have_reached_server
    assert sum(isinstance(action, SendAction) for action in actions) == 1


def test_post_connection_refused_is_retried(core, api):
    failure = TransportFailure(kind="connection", may_have_reached_server=False, detail="ConnectError")
    result, _ = run_flow(
        core, api.CreateJobRequest(prompt="a"), [failure, json_response(202, {"id": "j", "kudos": 1})]
    )
    assert isinstance(result, api.JobCreatedResponse)
    assert result.id_ == "j"  # the answer to the second send


def test_attempts_are_bounded(api):
    core = RequestCore(HordeClientSettings(retry=FAST), path_fields=api.FakePathFields)
    failure = TransportFailure(kind="connection", may_have_reached_server=True, detail="dropped")
    result, actions = run_flow(core, api.HeartbeatRequest(), [failure] * 5)
    assert isinstance(result, HordeConnectionError)
    assert sum(isinstance(action, SendAction) for action in actions) == 3


def test_backoff_grows_exponentially_with_bounded_jitter():
    policy = RetryPolicy(backoff_base=1, backoff_max=8)
    rng = random.Random(5)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (9, 8)]:
        for _ in range(50):
            delay = policy.backoff(attempt, rng)
            assert ceiling / 2 <= delay <= ceiling


def test_sync_client_obeys_retry_after_over_the_wire(server, api, client_kwargs):
    server.add(
        "GET /api/v2/status/heartbeat",
        httpx.Response(429, headers={"Retry-After": "0.2"}, json={"message": "slow down"}),
        httpx.Response(200, json={"message": "ok"}),
    )
    with GenericHordeAPIManualClient(http_client=server.sync_client(), **client_kwargs) as client:
        started = time.monotonic()
        response = client.submit_request(api.HeartbeatRequest(), api.HeartbeatResponse)
        elapsed = time.monotonic() - started
    assert response.message == "ok"
    assert server.count("GET /api/v2/status/heartbeat") == 2
    assert elapsed >= 0.2


def test_sync_client_does_not_retry_post_after_read_timeout(server, api, client_kwargs):
    server.add("POST /api/v2/jobs", httpx.ReadTimeout("read timed out"))
    client = GenericHordeAPIManualClient(http_client=server.sync_client(), **client_kwargs)
    with client, pytest.raises(HordeTimeoutError):
        client.submit_request(api.CreateJobRequest(prompt="a"))
    assert server.count("POST /api/v2/jobs") == 1


@pytest.mark.anyio
async def test_async_client_retries_get_after_read_timeout(server, api, client_kwargs):
    server.add("GET /api/v2/jobs/j", httpx.ReadTimeout("slow"), httpx.Response(200, json={"done": False}))
    async with GenericAsyncHordeAPIManualClient(
        http_client=server.async_client(), retry=FAST, **client_kwargs
    ) as client:
        status = await client.submit_request(api.JobStatusRequest(id_="j"), api.JobStatusResponse)
    assert status.done is False
    assert server.count("GET /api/v2/jobs/j") == 2


@pytest.mark.anyio
async def test_async_client_obeys_retry_after(server, api, client_kwargs):
    server.add(
        "POST /api/v2/jobs",
        httpx.Response(429, headers={"Retry-After": "0.15"}, json={"message": "slow"}),
        httpx.Response(202, json={"id": "j9", "kudos": 2}),
    )
    async with GenericAsyncHordeAPIManualClient(http_client=server.async_client(), **client_kwargs) as client:
        started = time.monotonic()
        created = await client.submit_request(api.CreateJobRequest(prompt="a"), api.JobCreatedResponse)
    assert created.id_ == "j9"
    assert time.monotonic() - started >= 0.15


class SteppingClock:
    """A monotonic clock that advances only when the flow is told a sleep or a send took time."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run_timed_flow(core: RequestCore, request, outcomes, *, timeout, send_cost=0.0):
    """Like run_flow, with a clock that sleeps and sends advance; return (result, actions)."""
    clock = SteppingClock()
    actions = []
    flow = core.flow(request, timeout=timeout, clock=clock)
    outcomes = list(outcomes)
    try:
        action = next(flow)
        while True:
            actions.append(action)
            if isinstance(action, SleepAction):
                clock.now += action.seconds
                action = flow.send(None)
            else:
                clock.now += send_cost
                action = flow.send(outcomes.pop(0))
    except StopIteration as done:
        return done.value, actions
    except Exception as error:
        return error, actions


def test_each_send_gets_the_time_left_and_the_body_cap(core, api):
    fail = TransportFailure(kind="connection", may_have_reached_server=False, detail="refused")
    result, actions = run_timed_flow(
        core, api.HeartbeatRequest(), [fail, json_response(200, {"message": "ok"})], timeout=10.0, send_cost=2.0
    )
    assert isinstance(result, api.HeartbeatResponse)
    sends = [action for action in actions if isinstance(action, SendAction)]
    sleeps = [action.seconds for action in actions if isinstance(action, SleepAction)]
    assert sends[0].timeout == 10.0
    assert sends[1].timeout == pytest.approx(10.0 - 2.0 - sleeps[0])
    assert {send.max_body_bytes for send in sends} == {core.settings.max_response_bytes}


def test_a_retry_after_past_the_deadline_raises_the_timeout_error_without_waiting(core, api):
    result, actions = run_timed_flow(
        core, api.HeartbeatRequest(), [json_response(429, {"message": "slow"}, {"Retry-After": "30"})], timeout=5.0
    )
    assert isinstance(result, HordeTimeoutError)
    assert isinstance(result.__cause__, HordeRateLimitedError)
    assert not any(isinstance(action, SleepAction) for action in actions)


def test_retries_stop_when_the_deadline_is_spent(core, api):
    timeouts = [TransportFailure(kind="timeout", may_have_reached_server=True, detail="read")] * 4
    result, actions = run_timed_flow(core, api.HeartbeatRequest(), timeouts, timeout=7.0, send_cost=3.0)
    assert isinstance(result, HordeTimeoutError)
    assert sum(isinstance(action, SendAction) for action in actions) == 2  # the third try would start too late


def test_a_rate_limiter_wait_past_the_deadline_raises_at_once(api):
    limiter = ClientRateLimiter([RateLimitRule("/v2/status/heartbeat", limit=1, period=60.0)])
    core = RequestCore(HordeClientSettings(seed=1, rate_limiter=limiter), path_fields=api.FakePathFields)
    run_timed_flow(core, api.HeartbeatRequest(), [json_response(200, {"message": "ok"})], timeout=5.0)
    result, actions = run_timed_flow(core, api.HeartbeatRequest(), [], timeout=5.0)
    assert isinstance(result, HordeTimeoutError)
    assert "rate limiter" in str(result)
    assert actions == []


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
def test_a_bad_call_timeout_is_refused_before_sending(core, api, bad):
    result, actions = run_timed_flow(core, api.HeartbeatRequest(), [], timeout=bad)
    assert isinstance(result, HordeRequestBuildError)
    assert actions == []


def test_an_over_cap_body_is_a_typed_error_and_not_retried(core, api):
    big = TransportFailure(kind="too_large", may_have_reached_server=True, detail="big")
    result, actions = run_timed_flow(core, api.HeartbeatRequest(), [big], timeout=5.0)
    assert isinstance(result, HordeResponseTooLargeError)
    assert result.limit == core.settings.max_response_bytes
    assert len(actions) == 1


def test_retry_after_zero_with_the_reset_ahead_waits_until_the_reset(core, api):
    # BEHAVIOUR.md "Rate limits": near the end of a fixed window the server says Retry-After: 0 while
    # X-Ratelimit-Reset (epoch seconds) is still ahead; retrying at once burnt every retry in milliseconds.
    reset = time.time() + 3
    limited = json_response(429, {"message": "slow"}, {"Retry-After": "0", "X-Ratelimit-Reset": f"{reset:.3f}"})
    result, actions = run_timed_flow(
        core, api.HeartbeatRequest(), [limited, json_response(200, {"message": "ok"})], timeout=30.0
    )
    assert isinstance(result, api.HeartbeatResponse)
    (sleep,) = [action.seconds for action in actions if isinstance(action, SleepAction)]
    assert 2.5 < sleep < 3.2
