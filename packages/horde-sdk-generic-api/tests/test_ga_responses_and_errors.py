"""Response model choice by status code and the typed exceptions of every failure."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from horde_sdk.generic_api.exceptions import (
    HordeAPIError,
    HordeBadRequestError,
    HordeClientError,
    HordeConnectionError,
    HordeForbiddenError,
    HordeNotFoundError,
    HordeRateLimitedError,
    HordeResponseValidationError,
    HordeServerError,
    HordeTimeoutError,
    HordeUnauthorizedError,
    HordeUnexpectedResponseTypeError,
)
from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPIManualClient, GenericHordeAPIManualClient
from horde_sdk.generic_api.settings import RetryPolicy

if TYPE_CHECKING:
    from conftest import ScriptedServer

NO_RETRY = RetryPolicy.disabled()


def make_client(server: ScriptedServer, client_kwargs: dict[str, Any], **extra: Any) -> GenericHordeAPIManualClient:
    return GenericHordeAPIManualClient(http_client=server.sync_client(), retry=NO_RETRY, **client_kwargs, **extra)


def test_202_selects_the_job_model_and_200_the_dry_run_model(server, api, client_kwargs):
    server.add("POST /api/v2/jobs", httpx.Response(202, json={"id": "j1", "kudos": 12.5}))
    server.add("POST /api/v2/jobs", httpx.Response(200, json={"kudos": 3}))
    with make_client(server, client_kwargs) as client:
        created = client.submit_request(api.CreateJobRequest(prompt="a"))
        estimate = client.submit_request(api.CreateJobRequest(prompt="a", dry_run=True))
    assert isinstance(created, api.JobCreatedResponse)
    assert created.id_ == "j1"
    assert isinstance(estimate, api.DryRunResponse)
    assert estimate.kudos == 3


def test_expected_type_is_enforced(server, api, client_kwargs):
    server.add("POST /api/v2/jobs", httpx.Response(200, json={"kudos": 3}))
    with make_client(server, client_kwargs) as client, pytest.raises(HordeUnexpectedResponseTypeError):
        client.submit_request(api.CreateJobRequest(prompt="a"), api.JobCreatedResponse)


def test_undeclared_success_status_falls_back_to_default_model(server, api, client_kwargs):
    server.add("GET /api/v2/status/heartbeat", httpx.Response(203, json={"message": "ok"}))
    with make_client(server, client_kwargs) as client:
        response = client.submit_request(api.HeartbeatRequest())
    assert isinstance(response, api.HeartbeatResponse)
    assert response.message == "ok"


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (401, {"message": "Invalid API Key", "rc": "InvalidAPIKey"}, HordeUnauthorizedError),
        (403, {"message": "requires 50 kudos", "rc": "KudosUpfront"}, HordeForbiddenError),
        (404, {"message": "Request Not Found", "rc": "RequestNotFound"}, HordeNotFoundError),
        (409, {"message": "conflict", "rc": "Conflict"}, HordeClientError),
        (500, {"message": "Internal Server Error", "rc": "InternalServerError"}, HordeServerError),
    ],
)
def test_status_codes_map_to_typed_exceptions(server, api, client_kwargs, status, body, error_type):
    server.add("POST /api/v2/jobs", httpx.Response(status, json=body))
    with make_client(server, client_kwargs) as client, pytest.raises(error_type) as caught:
        client.submit_request(api.CreateJobRequest(prompt="a"))
    error = caught.value
    assert isinstance(error, HordeAPIError)
    assert error.status_code == status
    assert error.rc == body["rc"]
    assert error.message == body["message"]
    assert error.method == "POST"
    assert error.path == "/v2/jobs"
    assert body["message"] in str(error)
    assert body["rc"] in str(error)


def test_bad_request_carries_field_errors(server, api, client_kwargs):
    body = {"message": "Input payload validation failed", "errors": {"params.steps": "600 is greater than 500"}}
    server.add("POST /api/v2/jobs", httpx.Response(400, json=body))
    with make_client(server, client_kwargs) as client, pytest.raises(HordeBadRequestError) as caught:
        client.submit_request(api.CreateJobRequest(prompt="a"))
    assert caught.value.field_errors == {"params.steps": "600 is greater than 500"}
    assert "params.steps: 600 is greater than 500" in str(caught.value)
    assert caught.value.rc is None


def test_rate_limited_carries_retry_after(server, api, client_kwargs):
    server.add(
        "GET /api/v2/status/heartbeat", httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow"})
    )
    with make_client(server, client_kwargs) as client, pytest.raises(HordeRateLimitedError) as caught:
        client.submit_request(api.HeartbeatRequest())
    assert caught.value.retry_after == 7
    assert "retry after 7 s" in str(caught.value)


def test_non_json_error_body_becomes_the_message(server, api, client_kwargs):
    server.add("GET /api/v2/status/heartbeat", httpx.Response(502, text="<html>Bad gateway</html>"))
    with make_client(server, client_kwargs) as client, pytest.raises(HordeServerError) as caught:
        client.submit_request(api.HeartbeatRequest())
    assert caught.value.message == "<html>Bad gateway</html>"
    assert caught.value.rc is None


def test_invalid_success_body_raises_validation_error(server, api, client_kwargs):
    server.add("GET /api/v2/jobs/j1", httpx.Response(200, json={"done": "not-a-bool"}))
    with make_client(server, client_kwargs) as client, pytest.raises(HordeResponseValidationError) as caught:
        client.submit_request(api.JobStatusRequest(id_="j1"))
    assert caught.value.model_name == "JobStatusResponse"
    assert caught.value.status_code == 200


def test_timeout_and_connection_errors_are_typed(server, api, client_kwargs):
    server.add("GET /api/v2/status/heartbeat", httpx.ReadTimeout("timed out"))
    server.add("GET /api/v2/status/heartbeat", httpx.ConnectError("refused"))
    with make_client(server, client_kwargs) as client:
        with pytest.raises(HordeTimeoutError) as timeout:
            client.submit_request(api.HeartbeatRequest())
        with pytest.raises(HordeConnectionError) as connection:
            client.submit_request(api.HeartbeatRequest())
    assert timeout.value.may_have_reached_server is True
    assert connection.value.may_have_reached_server is False
    assert timeout.value.path == "/v2/status/heartbeat"


@pytest.mark.parametrize(
    "error",
    [
        HordeBadRequestError(status_code=400, message="m", method="POST", path="/p", field_errors={"a": "b"}),
        HordeRateLimitedError(status_code=429, message="m", method="GET", path="/p", retry_after=3),
        HordeNotFoundError(status_code=404, message="m", method="GET", path="/p", rc="RequestNotFound"),
        HordeTimeoutError("slow", method="GET", path="/p", may_have_reached_server=True),
    ],
)
def test_exceptions_survive_pickling(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)


@pytest.mark.anyio
async def test_async_client_maps_errors_the_same_way(server, api, client_kwargs):
    server.add("GET /api/v2/jobs/x", httpx.Response(404, json={"message": "gone", "rc": "RequestNotFound"}))
    server.add("GET /api/v2/jobs/y", httpx.Response(200, json={"done": True, "finished": 1}))
    async with GenericAsyncHordeAPIManualClient(
        http_client=server.async_client(), retry=NO_RETRY, **client_kwargs
    ) as client:
        with pytest.raises(HordeNotFoundError):
            await client.submit_request(api.JobStatusRequest(id_="x"))
        status = await client.submit_request(api.JobStatusRequest(id_="y"), api.JobStatusResponse)
    assert status.done is True
    assert status.finished == 1
