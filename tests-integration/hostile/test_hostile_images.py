"""Hostile images: what a backend returns is checked before it earns kudos, inputs and results have size caps.

A worker in front of a backend that returns non-image bytes (an HTML page, a truncated WebP) never submits them
as ``ok``: the generation fails, is retried within its error limits, and the job is reported faulted. A result or
an input image larger than its cap faults the job too, without being read whole.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import anyio
import pytest
from horde_local.testing import KEYS, HordeEnv
from PIL import Image
from pydantic import SecretStr

from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, ImageGenerateAsyncResponse
from horde_sdk.deploy_config import ImageWorkerDeployConfig, ModelSelection
from horde_sdk.worker.backends import DemoImageBackend, ImageBackendResult, ImageJobInput
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime, WorkerSummary

pytestmark = pytest.mark.anyio

MODEL = "Test Model"
IMG2IMG_BRIDGE = "AI Horde Worker reGen:9.0.0:https://github.com/Haidra-Org/horde-worker-reGen"
"""A bridge the horde sends img2img jobs to (it sends none to a bridge it does not know)."""
FAST = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, summary_interval=0)


class FixedBackend(DemoImageBackend):
    """Returns the same bytes for every image, counting its calls."""

    runs_safety_check = False

    def __init__(self, image: bytes) -> None:
        super().__init__()
        self.image = image
        self.calls = 0

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        self.calls += 1
        return ImageBackendResult(images=tuple(self.image for _ in job.seeds))


def _webp(side: int, noise: bool = False) -> bytes:
    image = Image.effect_noise((side, side), 100).convert("RGB") if noise else Image.new("RGB", (side, side))
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", lossless=noise)
    return buffer.getvalue()


async def _one_job(
    horde: HordeEnv, name: str, backend: FixedBackend, options: RuntimeOptions, **params: Any
) -> WorkerSummary:
    """Run a worker until the horde has its first job back; return the worker's summary."""
    config = ImageWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        dreamer_name=name,
        models_to_load=ModelSelection.model_validate([MODEL]),
        max_threads=1,
        queue_size=0,
        bridge_agent=IMG2IMG_BRIDGE,
    )
    runtime = WorkerRuntime(config, image_backend=backend, options=options)
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        with anyio.fail_after(10):
            await runtime.wait_ready()  # the horde knows the worker from its first pop
        async with horde.async_client("alice") as requester:
            request = ImageGenerateAsyncRequest(
                prompt="hostile",
                models=(MODEL,),
                params={"width": 64, "height": 64},  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
                **params,
            )
            await requester.submit_request(request, ImageGenerateAsyncResponse)
        with anyio.fail_after(15):
            while not (counts := horde.horde.worker_counts(name)).faulted + counts.submitted:  # noqa: ASYNC110 - polls the horde
                await anyio.sleep(0.02)
        runtime.request_stop()
    return runtime.summary()


@pytest.mark.parametrize(
    "image",
    [b"<html><body>502 Bad Gateway</body></html>", b"RIFF\x10\x00\x00\x00WEBPVP8 truncated right here"],
    ids=["an html page", "a truncated webp"],
)
async def test_a_backend_returning_no_image_never_earns_kudos(horde: HordeEnv, image: bytes) -> None:
    backend = FixedBackend(image)
    summary = await _one_job(horde, "no-image-dreamer", backend, FAST)
    counts = horde.horde.worker_counts("no-image-dreamer")
    assert counts.submitted == 0
    assert counts.faulted >= 1  # (the horde may hand the faulted job out again before the worker stops)
    assert backend.calls >= 3  # retried within the generating state's error limit, then faulted
    assert summary.submitted == 0
    assert "generate error" in summary.faults_by_reason


async def test_a_result_over_the_cap_is_faulted_not_submitted(horde: HordeEnv) -> None:
    image = _webp(256, noise=True)
    options = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, summary_interval=0, max_result_image_bytes=10_000)
    assert len(image) > 10_000
    await _one_job(horde, "big-result-dreamer", FixedBackend(image), options)
    counts = horde.horde.worker_counts("big-result-dreamer")
    assert counts.submitted == 0
    assert counts.faulted >= 1


async def test_an_input_image_over_the_cap_faults_the_job(horde: HordeEnv) -> None:
    source = base64.b64encode(_webp(256, noise=True)).decode("ascii")
    options = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, summary_interval=0, max_input_image_bytes=10_000)
    backend = FixedBackend(_webp(64))
    summary = await _one_job(horde, "big-input-dreamer", backend, options, source_image=source)
    counts = horde.horde.worker_counts("big-input-dreamer")
    assert counts.submitted == 0
    assert counts.faulted >= 1
    assert backend.calls == 0  # the backend never saw the job
    assert "input download failed" in summary.faults_by_reason  # (a job handed out again may end "shutdown")
