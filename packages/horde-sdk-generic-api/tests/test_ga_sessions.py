"""Sessions cancel unsettled server-side work on every kind of exit, sync and async."""

from __future__ import annotations

import anyio
import httpx
import pytest

from horde_sdk.generic_api.exceptions import HordeCleanupError
from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPISession, GenericHordeAPISession
from horde_sdk.generic_api.settings import RetryPolicy


class JobServer:
    """A fake server that creates jobs and tracks which are still waiting."""

    def __init__(self, *, fail_cancel: bool = False) -> None:
        self.waiting: set[str] = set()
        self.created = 0
        self.cancels = 0
        self.fail_cancel = fail_cancel

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/api/v2/jobs":
            self.created += 1
            job_id = f"job-{self.created}"
            self.waiting.add(job_id)
            return httpx.Response(202, json={"id": job_id, "kudos": 1})
        job_id = path.rsplit("/", 1)[-1]
        if request.method == "DELETE":
            self.cancels += 1
            if self.fail_cancel:
                return httpx.Response(500, json={"message": "down", "rc": "InternalServerError"})
            if job_id not in self.waiting:
                return httpx.Response(404, json={"message": "gone", "rc": "RequestNotFound"})
            self.waiting.discard(job_id)
            return httpx.Response(200, json={"cancelled": True})
        if request.method == "GET":
            done = job_id.endswith("-done")
            return httpx.Response(200, json={"done": done})
        return httpx.Response(405, json={"message": "no"})


def sync_session(server: JobServer, client_kwargs, **extra) -> GenericHordeAPISession:
    return GenericHordeAPISession(
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        retry=RetryPolicy.disabled(),
        **client_kwargs,
        **extra,
    )


def async_session(server: JobServer, client_kwargs, **extra) -> GenericAsyncHordeAPISession:
    return GenericAsyncHordeAPISession(
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
        retry=RetryPolicy.disabled(),
        **client_kwargs,
        **extra,
    )


def test_sync_session_cancels_pending_work_on_normal_exit(api, client_kwargs):
    server = JobServer()
    with sync_session(server, client_kwargs) as session:
        session.submit_request(api.CreateJobRequest(prompt="a"))
        session.submit_request(api.CreateJobRequest(prompt="b"))
        assert session.pending_follow_up_keys == ("job-1", "job-2")
    assert server.created == 2
    assert server.waiting == set()


def test_sync_session_cancels_pending_work_on_exception(api, client_kwargs):
    server = JobServer()
    with pytest.raises(RuntimeError, match="boom"), sync_session(server, client_kwargs) as session:
        session.submit_request(api.CreateJobRequest(prompt="a"))
        raise RuntimeError("boom")
    assert server.waiting == set()


def test_sync_session_cancels_on_keyboard_interrupt(api, client_kwargs):
    server = JobServer()
    with pytest.raises(KeyboardInterrupt), sync_session(server, client_kwargs) as session:
        session.submit_request(api.CreateJobRequest(prompt="a"))
        raise KeyboardInterrupt
    assert server.waiting == set()


def test_settled_work_is_not_cancelled(api, client_kwargs):
    server = JobServer()
    with sync_session(server, client_kwargs) as session:
        created = session.submit_request(api.CreateJobRequest(prompt="a"), api.JobCreatedResponse)
        session.submit_request(api.CancelJobRequest(id_=created.id_))
        assert session.pending_follow_up_keys == ()
    assert server.cancels == 1  # the caller's own cancel; the session sent none
    assert server.waiting == set()


def test_dry_runs_start_nothing(api, client_kwargs):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"kudos": 5})

    with GenericHordeAPISession(
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), **client_kwargs
    ) as session:
        session.submit_request(api.CreateJobRequest(prompt="a", dry_run=True))
        assert session.pending_follow_up_keys == ()


def test_cleanup_failure_on_normal_exit_raises(api, client_kwargs):
    server = JobServer(fail_cancel=True)
    with pytest.raises(HordeCleanupError) as caught, sync_session(server, client_kwargs) as session:
        session.submit_request(api.CreateJobRequest(prompt="a"))
    assert len(caught.value.failures) == 1
    assert "HordeServerError" in caught.value.failures[0]


def test_cleanup_failure_during_an_exception_is_noted_not_masking(api, client_kwargs):
    server = JobServer(fail_cancel=True)
    with pytest.raises(ValueError, match="original") as caught, sync_session(server, client_kwargs) as session:
        session.submit_request(api.CreateJobRequest(prompt="a"))
        raise ValueError("original")
    assert any("cleanup also failed" in note for note in caught.value.__notes__)


@pytest.mark.anyio
async def test_async_session_cancels_on_normal_exit(api, client_kwargs):
    server = JobServer()
    async with async_session(server, client_kwargs) as session:
        for prompt in "abc":
            await session.submit_request(api.CreateJobRequest(prompt=prompt))
    assert server.created == 3
    assert server.waiting == set()


@pytest.mark.anyio
async def test_async_session_cancels_on_exception(api, client_kwargs):
    server = JobServer()
    with pytest.raises(RuntimeError):
        async with async_session(server, client_kwargs) as session:
            await session.submit_request(api.CreateJobRequest(prompt="a"))
            raise RuntimeError("boom")
    assert server.waiting == set()


@pytest.mark.anyio
async def test_async_session_cancels_when_its_task_is_cancelled(api, client_kwargs):
    server = JobServer()
    entered = anyio.Event()

    async def worker() -> None:
        async with async_session(server, client_kwargs) as session:
            await session.submit_request(api.CreateJobRequest(prompt="a"))
            await session.submit_request(api.CreateJobRequest(prompt="b"))
            entered.set()
            await anyio.sleep_forever()

    async with anyio.create_task_group() as group:
        group.start_soon(worker)
        await entered.wait()
        group.cancel_scope.cancel()
    assert server.created == 2
    assert server.waiting == set()


@pytest.mark.anyio
async def test_async_session_cleanup_is_bounded_by_its_timeout(api, client_kwargs):
    created = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            created.append(1)
            return httpx.Response(202, json={"id": f"j{len(created)}", "kudos": 1})
        await anyio.sleep(10)
        return httpx.Response(200, json={"cancelled": True})

    session = GenericAsyncHordeAPISession(
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        cleanup_timeout=0.2,
        **client_kwargs,
    )
    with pytest.raises(HordeCleanupError) as caught:
        async with session:
            await session.submit_request(api.CreateJobRequest(prompt="a"))
    assert "timed out" in str(caught.value)
