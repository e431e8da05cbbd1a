"""The worker runtime end to end: a `WorkerRuntime` and real clients against the local horde over loopback.

After every test, every job a worker popped was submitted or reported faulted on the horde: nothing is left in
flight (`assert_nothing_lost`).
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Self

import anyio
import pytest
from horde_local import ScriptedFault
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv
from PIL import Image
from pydantic import SecretStr

from horde_sdk.ai_horde_api import AIHordeAPIAsyncSimpleClient
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    SingleWorkerDetailsResponse,
    SingleWorkerNameDetailsRequest,
    TextGenerateAsyncRequest,
)
from horde_sdk.ai_horde_api.results import AlchemyCaptionResult, AlchemyImageResult
from horde_sdk.deploy_config import (
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    ModelSelection,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import ImageGenerationFeatureFlags, ImageGenerationParameters
from horde_sdk.worker.backends import (
    DEMO_IMAGE_FEATURES,
    DemoAlchemyBackend,
    DemoImageBackend,
    DemoTextBackend,
    ImageBackendResult,
    ImageJobInput,
)
from horde_sdk.worker.consts import GENERATION_PROGRESS
from horde_sdk.worker.job_base import WorkerJobConfig
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime, WorkerRuntimeError

pytestmark = pytest.mark.anyio

MODEL = "Test Model"
TEXT_MODEL = "test/text-model"
IMG2IMG_BRIDGE = "AI Horde Worker reGen:13"
"""A bridge agent the horde sends img2img (and every other feature) to."""
FAST = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, pop_error_backoff=0.05, maintenance_pause=0.05)


def image_config(horde: HordeEnv, name: str = "runtime-dreamer", **changes: Any) -> ImageWorkerDeployConfig:
    values: dict[str, Any] = {
        "api_key": KEYS["worker"].key,
        "horde_url": horde.base_url,
        "dreamer_name": name,
        "models_to_load": [MODEL],
        "max_threads": 1,
        "queue_size": 0,
    }
    values.update(changes)
    return ImageWorkerDeployConfig(**values)


def client(horde: HordeEnv) -> AIHordeAPIAsyncSimpleClient:
    return AIHordeAPIAsyncSimpleClient(
        base_url=horde.base_url, api_key=KEYS["alice"].key, enforce_rate_limits=False, timeouts=TIMEOUTS
    )


def assert_nothing_lost(horde: HordeEnv, *names: str) -> None:
    """Every generation handed to these workers was submitted, faulted (or taken back): none is in flight."""
    for name in names:
        counts = horde.horde.worker_counts(name)
        assert counts.balanced, counts
        assert counts.in_flight == 0, counts
        assert counts.aborted == 0, counts  # none had to be taken back by the horde: the worker reported all
    assert horde.horde.in_flight_generations() == []


@asynccontextmanager
async def running(runtime: WorkerRuntime) -> AsyncIterator[WorkerRuntime]:
    """Run the worker in the background; stop it (gracefully) when the block ends."""
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        with anyio.fail_after(10):
            await runtime.wait_ready()
        try:
            yield runtime
        finally:
            runtime.request_stop()


async def wait_until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    with anyio.fail_after(seconds):
        while not predicate():  # noqa: ASYNC110 - polls the horde's and the worker's state, no event to wait for
            await anyio.sleep(0.02)


async def create_image_request(horde: HordeEnv, prompt: str = "a test") -> str:
    """Create an image request without waiting for it (a manual client: no cleanup, no NoAvailableWorker check)."""
    async with horde.async_client("alice") as manual:
        answer = await manual.submit_request(
            ImageGenerateAsyncRequest(prompt=prompt, models=(MODEL,)), ImageGenerateAsyncResponse
        )
    return str(answer.id_)


class ProgrammableImageBackend:
    """A test backend: the demo images, after `delay` seconds, failing the first `failures` calls (or hanging)."""

    name = "programmable"
    runs_safety_check = False
    features = DEMO_IMAGE_FEATURES

    def __init__(self, *, delay: float = 0.0, failures: int = 0, hang: bool = False) -> None:
        self.delay = delay
        self.failures = failures
        self.hang = hang
        self.calls = 0
        self.running = 0
        self.peak = 0
        self._demo = DemoImageBackend()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        self.calls += 1
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            if self.hang:
                await anyio.sleep_forever()
            await anyio.sleep(self.delay)
            if self.calls <= self.failures:
                raise RuntimeError("the GPU caught fire (test)")
            result = await self._demo.generate_images(job)
            return ImageBackendResult(images=result.images)
        finally:
            self.running -= 1


# ------------------------------------------------------------------------------------------------------------
# All three kinds
# ------------------------------------------------------------------------------------------------------------


async def test_all_three_kinds_end_to_end(horde: HordeEnv) -> None:
    config = CombinedWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        dreamer_name="e2e-dreamer",
        scribe_name="e2e-scribe",
        alchemist_name="e2e-alchemist",
        models_to_load=ModelSelection.model_validate([MODEL]),
        model_name=TEXT_MODEL,
        max_context_length=4096,
        max_length=200,
        forms=("caption", "post-process"),
        max_threads=2,
    )
    runtime = WorkerRuntime(
        config,
        image_backend=DemoImageBackend(),
        text_backend=DemoTextBackend(),
        alchemy_backend=DemoAlchemyBackend(),
        options=FAST,
    )
    async with running(runtime), client(horde) as requester:
        image_result = await requester.image_generate_request(
            ImageGenerateAsyncRequest(prompt="a lighthouse", models=(MODEL,), params={"n": 2, "width": 256})  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
        )
        text_result = await requester.text_generate_request(
            TextGenerateAsyncRequest(prompt="Once upon a time", models=(TEXT_MODEL,))
        )
        source = base64.b64encode(image_result.generations[0].image).decode("ascii")
        alchemy_result = await requester.alchemy_request(
            AlchemyAsyncRequest(forms=[{"name": "caption"}, {"name": "RealESRGAN_x2plus"}], source_image=source)  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
        )

    assert len(image_result.generations) == 2
    assert {generation.worker_name for generation in image_result.generations} == {"e2e-dreamer"}
    for generation in image_result.generations:
        assert generation.image[:4] == b"RIFF"
        assert generation.image[8:12] == b"WEBP"
        assert Image.open(io.BytesIO(generation.image)).size == (256, 512)
    assert text_result.generations[0].worker_name == "e2e-scribe"
    assert "demo text" in text_result.generations[0].text
    caption = alchemy_result.get("caption")
    assert isinstance(caption, AlchemyCaptionResult)
    assert "256x512" in caption.caption
    upscaled = alchemy_result.get("RealESRGAN_x2plus")
    assert isinstance(upscaled, AlchemyImageResult)
    assert Image.open(io.BytesIO(upscaled.image)).size == (512, 1024)

    summary = runtime.summary()
    # Two images (one job each, or one job of two), one text, two forms: every job popped was submitted.
    assert summary.submitted == summary.popped
    assert summary.popped in (4, 5)
    assert summary.faulted == summary.unreported == 0
    assert summary.kudos > 0
    assert_nothing_lost(horde, "e2e-dreamer", "e2e-scribe", "e2e-alchemist")


async def test_a_branded_text_model_carries_the_owner_name(horde: HordeEnv) -> None:
    config = TextWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        scribe_name="branded-scribe",
        model_name=TEXT_MODEL,
        branded_model=True,
        max_context_length=4096,
    )
    runtime = WorkerRuntime(config, text_backend=DemoTextBackend(), options=FAST)
    branded = f"{TEXT_MODEL}::{KEYS['worker'].name}#5"
    async with running(runtime), client(horde) as requester:
        result = await requester.text_generate_request(TextGenerateAsyncRequest(prompt="Hello", models=(branded,)))
    assert result.generations[0].model == branded
    assert_nothing_lost(horde, "branded-scribe")


class Txt2ImgOnlyBackend(ProgrammableImageBackend):
    """Runs txt2img only: no img2img, painting, post-processing, LoRAs or ControlNet."""

    features = ImageGenerationFeatureFlags(samplers=("k_euler_a",), schedulers=("normal",))


async def test_the_pop_carries_the_configured_agent_and_asks_only_for_what_the_backend_runs(horde: HordeEnv) -> None:
    config = image_config(
        horde, name="narrow-dreamer", bridge_agent="My Engine:2.1.0:https://example.com", allow_lora=True
    )
    runtime = WorkerRuntime(config, image_backend=Txt2ImgOnlyBackend(), options=FAST)
    served = runtime.image_feature_flags
    assert served is not None
    assert served.served.source_processing == ()  # the configuration allows img2img, the backend does not
    assert not served.served.loras
    assert served.check(ImageGenerationParameters(prompt="p", model=MODEL)).supported
    async with running(runtime), horde.async_client("alice") as manual:
        details = await manual.submit_request(
            SingleWorkerNameDetailsRequest(worker_name="narrow-dreamer"), SingleWorkerDetailsResponse
        )
    assert details.bridge_agent == "My Engine:2.1.0:https://example.com"
    assert (details.img2img, details.painting, details.post_processing, details.lora) == (False, False, False, False)
    assert runtime.bridge_report()[0].startswith(
        "the horde will never send this worker r2 image requests (the default of every client), because it does "
        "not know the bridge 'My Engine'"
    )


async def test_an_img2img_source_is_downloaded_and_used(horde: HordeEnv) -> None:
    source = io.BytesIO()
    Image.new("RGB", (64, 64), (250, 10, 10)).save(source, format="WEBP")
    # img2img needs a bridge agent the horde trusts with it (the default one is not).
    config = image_config(horde, bridge_agent=IMG2IMG_BRIDGE)
    runtime = WorkerRuntime(config, image_backend=DemoImageBackend(), options=FAST)
    request = ImageGenerateAsyncRequest(
        prompt="a red square, repainted",
        models=(MODEL,),
        source_image=base64.b64encode(source.getvalue()).decode("ascii"),
        source_processing="img2img",
        params={"width": 64, "height": 64, "denoising_strength": 0.01},  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
    )
    async with running(runtime), client(horde) as requester:
        result = await requester.image_generate_request(request)
    with Image.open(io.BytesIO(result.generations[0].image)) as image:
        red, green, _ = image.convert("RGB").getpixel((32, 32))  # type: ignore[misc]  # Pillow types getpixel as a union of pixel shapes; this image is RGB
    assert red > 200 > green  # the source shows through (a low denoising keeps it)
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_a_source_that_cannot_be_downloaded_faults_the_job(horde: HordeEnv) -> None:
    horde.horde.script_faults(ScriptedFault(method="GET", path_prefix="/r2/", count=100, status=503))
    runtime = WorkerRuntime(
        image_config(horde, bridge_agent=IMG2IMG_BRIDGE),
        image_backend=DemoImageBackend(),
        options=FAST,
        job_config=WorkerJobConfig(error_limits={GENERATION_PROGRESS.PRELOADING: 2}),
    )
    async with running(runtime), horde.async_client("alice") as manual:
        await manual.submit_request(
            ImageGenerateAsyncRequest(
                prompt="unreachable source",
                models=(MODEL,),
                source_image=base64.b64encode(b"not used").decode("ascii"),
                source_processing="img2img",
            ),
            ImageGenerateAsyncResponse,
        )
        await wait_until(lambda: runtime.summary().faulted >= 1)
        horde.horde.clear_scripted_faults()
    assert runtime.summary().faults_by_reason.get("input download failed", 0) >= 1
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_the_summary_is_logged_periodically(horde: HordeEnv, caplog: pytest.LogCaptureFixture) -> None:
    options = RuntimeOptions(pop_interval=0.02, summary_interval=0.1)
    runtime = WorkerRuntime(image_config(horde), image_backend=DemoImageBackend(), options=options)
    with caplog.at_level(logging.INFO, logger="horde_sdk.worker.runtime.worker"):
        async with running(runtime), client(horde) as requester:
            await requester.image_generate_request(ImageGenerateAsyncRequest(prompt="count me", models=(MODEL,)))
            await anyio.sleep(0.3)
    summaries = [record for record in caplog.records if record.getMessage() == "worker summary"]
    assert len(summaries) >= 2
    last = summaries[-1].__dict__
    assert last["submitted"] == 1
    assert last["kudos"] > 0
    assert last["pop_to_submit_mean_s"] is not None
    assert KEYS["worker"].key not in caplog.text


# ------------------------------------------------------------------------------------------------------------
# Concurrency
# ------------------------------------------------------------------------------------------------------------


async def test_max_threads_jobs_run_at_once(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(delay=0.4)
    runtime = WorkerRuntime(image_config(horde, max_threads=3, queue_size=0), image_backend=backend, options=FAST)
    results: list[bytes] = []
    async with running(runtime), client(horde) as requester:

        async def one(index: int) -> None:
            result = await requester.image_generate_request(
                ImageGenerateAsyncRequest(prompt=f"picture {index}", models=(MODEL,))
            )
            results.append(result.generations[0].image)

        async with anyio.create_task_group() as group:
            for index in range(6):
                group.start_soon(one, index)

    assert len(results) == 6
    assert backend.peak == 3
    assert runtime.summary().submitted == 6
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_queue_size_bounds_the_jobs_held(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(delay=0.3)
    runtime = WorkerRuntime(image_config(horde, max_threads=1, queue_size=1), image_backend=backend, options=FAST)
    held: list[int] = []
    async with running(runtime):
        for index in range(4):
            await create_image_request(horde, f"queued {index}")

        def sample() -> bool:
            held.append(horde.horde.worker_counts("runtime-dreamer").in_flight)
            return runtime.summary().submitted == 4

        await wait_until(sample)
    assert max(held) == 2  # one running plus one queued, never more
    assert backend.peak == 1
    assert_nothing_lost(horde, "runtime-dreamer")


# ------------------------------------------------------------------------------------------------------------
# Backend faults
# ------------------------------------------------------------------------------------------------------------


async def test_backend_error_is_retried_within_the_error_limit(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(failures=1)
    runtime = WorkerRuntime(image_config(horde), image_backend=backend, options=FAST)
    async with running(runtime), client(horde) as requester:
        result = await requester.image_generate_request(ImageGenerateAsyncRequest(prompt="retry me", models=(MODEL,)))
    assert result.generations[0].image
    assert backend.calls == 2
    assert runtime.summary().faulted == 0
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_backend_that_keeps_raising_gets_the_job_faulted(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(failures=1000)
    runtime = WorkerRuntime(
        image_config(horde),
        image_backend=backend,
        options=FAST,
        job_config=WorkerJobConfig(error_limits={GENERATION_PROGRESS.GENERATING: 2}),
    )
    async with running(runtime):
        await create_image_request(horde, "doomed")
        await wait_until(lambda: runtime.summary().faulted >= 1)
    summary = runtime.summary()
    assert summary.faults_by_reason.get("generate error", 0) >= 1
    assert summary.submitted == 0
    counts = horde.horde.worker_counts("runtime-dreamer")
    assert counts.faulted >= 1
    assert backend.calls >= 2  # retried once before giving up
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_hanging_backend_times_out_and_the_job_is_faulted(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(hang=True)
    options = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, generate_timeout=0.3)
    runtime = WorkerRuntime(
        image_config(horde),
        image_backend=backend,
        options=options,
        job_config=WorkerJobConfig(error_limits={GENERATION_PROGRESS.GENERATING: 1}),
    )
    async with running(runtime):
        await create_image_request(horde, "hang")
        await wait_until(lambda: runtime.summary().faulted >= 1)
    assert runtime.summary().faults_by_reason.get("generate timeout", 0) >= 1
    assert_nothing_lost(horde, "runtime-dreamer")


# ------------------------------------------------------------------------------------------------------------
# Network faults
# ------------------------------------------------------------------------------------------------------------


async def test_a_submit_that_fails_then_succeeds(horde: HordeEnv) -> None:
    horde.horde.script_faults(ScriptedFault(method="POST", path_prefix="/v2/generate/submit", count=2, status=503))
    runtime = WorkerRuntime(image_config(horde), image_backend=DemoImageBackend(), options=FAST)
    async with running(runtime), client(horde) as requester:
        result = await requester.image_generate_request(ImageGenerateAsyncRequest(prompt="persist", models=(MODEL,)))
    assert result.generations[0].image
    assert len(horde.horde.scripted_faults_consumed()) == 2
    assert runtime.summary().submitted == 1
    assert runtime.summary().faulted == 0
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_dropped_connections_lose_nothing(horde: HordeEnv) -> None:
    horde.horde.script_faults(
        ScriptedFault(method="POST", path_prefix="/v2/generate/pop", count=2, drop="before"),
        # The upload fails three times: the image is sent as base64 instead.
        ScriptedFault(method="PUT", path_prefix="/r2/", count=3, drop="before"),
        # The horde accepts the submit but the answer is lost: the re-submit is answered DuplicateGen.
        ScriptedFault(method="POST", path_prefix="/v2/generate/submit", count=1, drop="after"),
    )
    runtime = WorkerRuntime(image_config(horde), image_backend=DemoImageBackend(), options=FAST)
    async with running(runtime), client(horde) as requester:
        result = await requester.image_generate_request(ImageGenerateAsyncRequest(prompt="dropped", models=(MODEL,)))
    assert result.generations[0].image[8:12] == b"WEBP"
    assert len(horde.horde.scripted_faults_consumed()) == 6
    summary = runtime.summary()
    assert summary.submitted == 1
    assert summary.pop_errors >= 2
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_maintenance_pauses_popping_until_lifted(horde: HordeEnv) -> None:
    runtime = WorkerRuntime(image_config(horde), image_backend=DemoImageBackend(), options=FAST)
    async with running(runtime):
        horde.horde.set_worker_maintenance("runtime-dreamer", on=True)
        await wait_until(lambda: runtime.summary().pop_errors >= 2)
        await create_image_request(horde, "while in maintenance")
        await anyio.sleep(0.3)
        assert runtime.summary().popped == 0
        horde.horde.set_worker_maintenance("runtime-dreamer", on=False)
        await wait_until(lambda: runtime.summary().submitted == 1)
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_an_ip_refusal_pauses_popping_instead_of_stopping(horde: HordeEnv) -> None:
    runtime = WorkerRuntime(image_config(horde), image_backend=DemoImageBackend(), options=FAST)
    async with running(runtime):
        horde.horde.script_faults(
            ScriptedFault(method="POST", path_prefix="/v2/generate/pop", count=3, status=403, rc="TimeoutIP")
        )
        await create_image_request(horde, "after the timeout")
        await wait_until(lambda: runtime.summary().submitted == 1)
    assert runtime.summary().pop_errors == 3
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_a_refused_key_stops_the_worker_with_a_clear_error(horde: HordeEnv) -> None:
    runtime = WorkerRuntime(
        image_config(horde, api_key="not-a-known-key-123"), image_backend=DemoImageBackend(), options=FAST
    )
    with anyio.fail_after(10), pytest.raises(WorkerRuntimeError, match="refuses this worker"):
        await runtime.run()


# ------------------------------------------------------------------------------------------------------------
# Stopping
# ------------------------------------------------------------------------------------------------------------


async def _three_jobs_in_hand(horde: HordeEnv, runtime: WorkerRuntime) -> None:
    for index in range(3):
        await create_image_request(horde, f"stop {index}")
    await wait_until(lambda: runtime.summary().popped == 3 and runtime.summary().running == 1)


async def test_graceful_stop_finishes_the_running_job_and_faults_the_queued(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(delay=1.0)
    runtime = WorkerRuntime(image_config(horde, max_threads=1, queue_size=2), image_backend=backend, options=FAST)
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        await runtime.wait_ready()
        await _three_jobs_in_hand(horde, runtime)
        runtime.request_stop()
    summary = runtime.summary()
    assert (summary.submitted, summary.faulted, summary.unreported) == (1, 2, 0)
    assert summary.faults_by_reason == {"shutdown": 2}
    counts = horde.horde.worker_counts("runtime-dreamer")
    assert (counts.submitted, counts.faulted) == (1, 2)
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_second_stop_request_faults_the_running_job_too(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(delay=30.0)
    runtime = WorkerRuntime(image_config(horde, max_threads=1, queue_size=2), image_backend=backend, options=FAST)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            await runtime.wait_ready()
            await _three_jobs_in_hand(horde, runtime)
            runtime.request_stop()
            runtime.request_stop()
    summary = runtime.summary()
    assert (summary.submitted, summary.faulted, summary.unreported) == (0, 3, 0)
    assert horde.horde.worker_counts("runtime-dreamer").faulted == 3
    assert_nothing_lost(horde, "runtime-dreamer")


async def test_shutdown_grace_bounds_the_wait_for_running_jobs(horde: HordeEnv) -> None:
    backend = ProgrammableImageBackend(delay=30.0)
    options = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, shutdown_grace=0.3)
    runtime = WorkerRuntime(image_config(horde), image_backend=backend, options=options)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            await runtime.wait_ready()
            await create_image_request(horde, "too slow")
            await wait_until(lambda: runtime.summary().running == 1)
            runtime.request_stop()
    assert runtime.summary().faults_by_reason == {"shutdown": 1}
    assert_nothing_lost(horde, "runtime-dreamer")
