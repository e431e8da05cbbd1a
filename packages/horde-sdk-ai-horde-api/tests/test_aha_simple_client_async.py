"""The async simple client: the same flows driven by anyio tasks; concurrency, streams and cancellation."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import httpx
import pytest

from horde_sdk.ai_horde_api import (
    AIHordeAPIAsyncSimpleClient,
    AIHordeGenerationTimeoutError,
    AIHordeJobFaultedError,
    AIHordeJobImpossibleError,
    GenerationProgress,
)
from horde_sdk.ai_horde_api.apimodels import AlchemyAsyncRequest, ImageGenerateAsyncRequest, TextGenerateAsyncRequest
from horde_sdk.ai_horde_api.job_flows import PollingPolicy
from horde_sdk.ai_horde_api.progress import JOB_KIND, JOB_STATE
from horde_sdk.ai_horde_api.results import AlchemyCaptionResult, AlchemyImageResult


def _load_fake() -> ModuleType:
    name = "aha_fake_horde"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("_fake_horde.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fake = _load_fake()
FakeHorde, Script = fake.FakeHorde, fake.Script

FAST = PollingPolicy(first_delay=0.01, floor=0.01, ceiling=0.02, backoff_start=0.01)
"""Real time, tiny waits: the async tests exercise real task scheduling."""
FAST_POLLING = {JOB_KIND.image: FAST, JOB_KIND.text: FAST, JOB_KIND.alchemy: FAST}

pytestmark = pytest.mark.anyio


def make_client(horde: Any, **options: Any) -> AIHordeAPIAsyncSimpleClient:
    options.setdefault("enforce_rate_limits", False)
    return AIHordeAPIAsyncSimpleClient(
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(horde)), polling=FAST_POLLING, **options
    )


def image_request(n: int = 1) -> ImageGenerateAsyncRequest:
    return ImageGenerateAsyncRequest.model_validate({"prompt": "a lighthouse", "params": {"n": n}})


def text_request() -> TextGenerateAsyncRequest:
    return TextGenerateAsyncRequest.model_validate({"prompt": "Hello"})


def alchemy_request(*forms: str) -> AlchemyAsyncRequest:
    return AlchemyAsyncRequest.model_validate(
        {"source_image": "https://example.invalid/cat.webp", "forms": [{"name": form} for form in forms]}
    )


async def test_image_text_and_alchemy():
    horde = FakeHorde(Script(polls_until_done=2))
    async with make_client(horde) as client:
        image = await client.image_generate_request(image_request(n=2))
        text = await client.text_generate_request(text_request())
        alchemy = await client.alchemy_request(alchemy_request("caption", "4x_AnimeSharp"))
    image_id, text_id, alchemy_id = horde.jobs
    assert image.images == [horde.image_bytes(image_id, 0), horde.image_bytes(image_id, 1)]
    assert horde.count("GET", "generate/status", image_id) == 1
    assert text.texts == [f"text 0 of {text_id[-4:]}"]
    caption, upscaled = alchemy.forms
    assert isinstance(caption, AlchemyCaptionResult)
    assert isinstance(upscaled, AlchemyImageResult)
    assert upscaled.image == horde.image_bytes(alchemy_id, "4x_AnimeSharp")
    assert horde.open_jobs() == []


async def test_many_concurrent_generations_in_one_task_group():
    horde = FakeHorde(lambda kind, index: Script(polls_until_done=1 + index % 4))
    async with make_client(horde) as client:
        with anyio.fail_after(10):
            results = await client.image_generate_requests([image_request() for _ in range(30)])
    assert len(results) == 30
    assert [result.job_id for result in results] == list(horde.jobs)
    assert all(horde.count("GET", "generate/status", job_id) == 1 for job_id in horde.jobs)
    assert horde.open_jobs() == []


async def test_single_calls_may_also_run_concurrently_from_user_tasks():
    horde = FakeHorde(Script(polls_until_done=2))
    results: list[Any] = []
    async with make_client(horde) as client:

        async def one() -> None:
            results.append(await client.text_generate_request(text_request()))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(one)
    assert len(results) == 5
    assert horde.open_jobs() == []


async def test_progress_stream_yields_events_then_the_result():
    horde = FakeHorde(Script(polls_until_done=3, queue_position=4, wait_time=7))
    events: list[GenerationProgress] = []
    async with make_client(horde) as client, client.image_generate_stream(image_request()) as stream:
        events.extend([event async for event in stream])
        result = await stream.result()
    assert next(event.state for event in events) == JOB_STATE.submitted
    assert [event.state for event in events][-1] == JOB_STATE.done
    assert any(event.queue_position == 4 and event.wait_time == 7 for event in events)
    assert len(result.generations) == 1


async def test_leaving_a_stream_early_cancels_the_job():
    horde = FakeHorde(Script(polls_until_done=1000))
    async with make_client(horde) as client:
        async with client.text_generate_stream(text_request()) as stream:
            async for event in stream:
                if event.state == JOB_STATE.waiting:
                    break
        assert horde.open_jobs() == []


async def test_stream_raises_the_job_error_from_result():
    horde = FakeHorde(Script(impossible=True))
    async with make_client(horde) as client, client.alchemy_stream(alchemy_request("caption")) as stream:
        states = [event.state async for event in stream]
        assert states[0] == JOB_STATE.submitted
        # Alchemy has no is_possible: the impossible flag does not apply; the job finishes.
        assert (await stream.result()).forms


async def test_impossible_and_faulted_are_raised():
    async with make_client(FakeHorde(Script(impossible=True, polls_until_done=50))) as client:
        with pytest.raises(AIHordeJobImpossibleError):
            await client.image_generate_request(image_request())
    horde = FakeHorde(Script(fault_at_poll=2, polls_until_done=50))
    async with make_client(horde) as client:
        with pytest.raises(AIHordeJobFaultedError):
            await client.text_generate_request(text_request())
    (job,) = horde.jobs.values()
    assert job.polls == 2
    assert job.cancelled


async def test_timeout_cancels_and_carries_partial_results():
    horde = FakeHorde(Script(polls_until_done=10_000, finished_per_poll=1))
    async with make_client(horde) as client:
        with pytest.raises(AIHordeGenerationTimeoutError) as caught:
            await client.image_generate_request(image_request(n=4), timeout=0.2)
    assert horde.open_jobs() == []
    assert caught.value.partial_result is not None
    assert 1 <= len(caught.value.partial_result.images) <= 4


async def test_cancelling_the_calling_task_cancels_every_job_on_the_server():
    horde = FakeHorde(Script(polls_until_done=10_000))
    async with make_client(horde) as client:
        with anyio.move_on_after(0.3) as scope:
            await client.image_generate_requests([image_request() for _ in range(3)])
        assert scope.cancelled_caught
        assert len(horde.jobs) == 3
        assert horde.open_jobs() == []


async def test_an_exception_elsewhere_cancels_the_jobs():
    horde = FakeHorde(Script(polls_until_done=10_000))

    async def crash_soon() -> None:
        await anyio.sleep(0.2)
        raise RuntimeError("the bot crashed")

    with pytest.raises(ExceptionGroup):
        async with make_client(horde) as client, anyio.create_task_group() as group:
            group.start_soon(crash_soon)
            await client.alchemy_requests([alchemy_request("caption"), alchemy_request("nsfw")])
    assert len(horde.jobs) == 2
    assert horde.open_jobs() == []


async def test_normal_exit_with_work_pending_cancels_it():
    horde = FakeHorde(Script(polls_until_done=10_000))
    async with make_client(horde) as client:
        await client.session.submit_request(text_request())
        assert len(horde.open_jobs()) == 1
    assert horde.open_jobs() == []


async def test_convenience_methods_are_awaitable():
    horde = FakeHorde()
    horde.extra_routes[("GET", "/api/v2/status/heartbeat")] = lambda r: httpx.Response(
        200, json={"message": "OK", "version": "5.1.5"}
    )
    horde.extra_routes[("GET", "/api/v2/find_user")] = lambda r: httpx.Response(
        200, json={"username": "me#1", "kudos": 42}
    )
    async with make_client(horde) as client:
        assert (await client.heartbeat()).version == "5.1.5"
        assert (await client.find_user()).kudos == 42
        assert (await client.image_generate_request_dry_run(image_request())).kudos == 12.5
