"""The simple clients, sync and async, against the local horde over loopback HTTP with scripted workers."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from horde_local import Behaviour, ScriptedWorker, fake_image
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv

from horde_sdk.ai_horde_api import AIHordeAPIAsyncSimpleClient, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import AlchemyAsyncRequest, ImageGenerateAsyncRequest, TextGenerateAsyncRequest
from horde_sdk.ai_horde_api.exceptions import AIHordeJobFaultedError, AIHordeJobImpossibleError
from horde_sdk.ai_horde_api.job_flows import PollingPolicy
from horde_sdk.ai_horde_api.progress import JOB_KIND

FAST = PollingPolicy(first_delay=0.02, floor=0.02, ceiling=0.2, backoff_start=0.02)
POLLING = dict.fromkeys(JOB_KIND, FAST)


def _options(horde: HordeEnv) -> dict[str, Any]:
    return {
        "base_url": horde.base_url,
        "api_key": KEYS["alice"].key,
        "enforce_rate_limits": False,
        "timeouts": TIMEOUTS,
        "polling": POLLING,
    }


@pytest.fixture
def busy_workers(horde: HordeEnv) -> Iterator[list[ScriptedWorker]]:
    """An image, a text and an alchemy worker serving in a background thread."""
    with horde.serving_workers("simple") as workers:
        yield workers


def test_sync_simple_client_image_text_alchemy(horde: HordeEnv, busy_workers: list[ScriptedWorker]) -> None:
    with AIHordeAPISimpleClient(**_options(horde)) as client:
        image = client.image_generate_request(ImageGenerateAsyncRequest(prompt="a simple lighthouse"))
        assert len(image.generations) == 1
        generation = image.generations[0]
        assert generation.image == fake_image(generation.generation_id or "")
        text = client.text_generate_request(TextGenerateAsyncRequest(prompt="Simply put"))
        assert text.generations[0].text.startswith("Simply put")
        alchemy = client.alchemy_request(
            AlchemyAsyncRequest.model_validate(
                {"source_image": base64.b64encode(b"img").decode(), "forms": [{"name": "caption"}]}
            )
        )
        assert alchemy.state == "done"
        assert [form.form for form in alchemy.forms] == ["caption"]
    assert horde.horde.open_requests() == []


def test_sync_simple_client_raises_for_impossible_and_faulted_jobs(horde: HordeEnv) -> None:
    with AIHordeAPISimpleClient(**_options(horde)) as client:
        with pytest.raises(AIHordeJobImpossibleError):
            client.image_generate_request(ImageGenerateAsyncRequest(prompt="nobody can paint this"))
        assert horde.horde.open_requests() == []  # the simple client cancelled it
        faulty = horde.worker("faulty", behaviour=Behaviour.faulted)
        faulty.pop_image()
        stop = threading.Event()

        def fault_everything() -> None:
            while not stop.is_set():
                if not faulty.work_image():
                    stop.wait(0.02)

        thread = threading.Thread(target=fault_everything, daemon=True)
        thread.start()
        try:
            with pytest.raises(AIHordeJobFaultedError):
                client.image_generate_request(ImageGenerateAsyncRequest(prompt="cursed"))
        finally:
            stop.set()
            thread.join(10)


@pytest.mark.anyio
async def test_async_simple_client_many_images(horde: HordeEnv) -> None:
    async with horde.async_client("worker") as worker_client:
        worker = horde.async_worker(worker_client, "async-simple", amount=3)
        await worker.work_image()  # registers the worker
        done = anyio.Event()

        async def serve() -> None:
            while not done.is_set():
                if not await worker.work_image():
                    await anyio.sleep(0.02)

        async with anyio.create_task_group() as group, AIHordeAPIAsyncSimpleClient(**_options(horde)) as client:
            group.start_soon(serve)
            results = await client.image_generate_requests(
                [ImageGenerateAsyncRequest(prompt=f"async simple {i}") for i in range(5)]
            )
            done.set()
    assert [len(result.generations) for result in results] == [1] * 5
    assert all(result.generations[0].image.startswith(b"RIFF") for result in results)
    assert horde.horde.open_requests() == []
