"""Units of the worker runtime without a horde: options, stats, input images, construction and stopping."""

from __future__ import annotations

import base64
import io
import json
import math
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image

from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient
from horde_sdk.ai_horde_api.consts import METADATA_TYPE, WORKER_TYPE
from horde_sdk.deploy_config import (
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    ModelSelection,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import (
    AlchemyParameters,
    CaptionAlchemyParameters,
    ExtraSourceImageEntry,
    Image2ImageGenerationParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    RemixGenerationParameters,
    TextGenerationParameters,
)
from horde_sdk.generic_api.settings import HordeTimeouts
from horde_sdk.generic_api.transport import AsyncTransport
from horde_sdk.worker.backends import DemoAlchemyBackend, DemoImageBackend, DemoTextBackend
from horde_sdk.worker.dispatch.ai_horde.conversion import AIHordeDispatchParameters, DispatchedJob, ImageToDownload
from horde_sdk.worker.job_base import WorkerJobConfig
from horde_sdk.worker.runtime import (
    InputDownloadError,
    JobPipeline,
    RuntimeOptions,
    WorkerRuntime,
    WorkerRuntimeError,
    WorkerStats,
    censored_placeholder_webp,
    fetch_input_images,
    horde_api_url,
    with_input_images,
)

SOURCE_URL = "https://r2.example.invalid/source.webp?X-Amz-Signature=source-sig"
MASK_URL = "https://r2.example.invalid/mask.webp?X-Amz-Signature=mask-sig"
EXTRA_URL = "https://r2.example.invalid/extra.webp?X-Amz-Signature=extra-sig"
PNG_B64 = base64.b64encode(b"\x89PNG fake image bytes").decode()
HORDE = "http://horde.invalid/api"
WORKER_KEY = "worker-key-for-unit-tests"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- RuntimeOptions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pop_interval": -1.0}, "pop_interval"),
        ({"download_timeout": math.inf}, "download_timeout"),
        ({"generate_timeout": math.nan}, "generate_timeout"),
        ({"upload_retries": -1}, "upload_retries"),
        ({"shutdown_grace": -0.5}, "shutdown_grace"),
        ({"summary_interval": -1.0}, "summary_interval"),
        ({"pop_error_backoff": 5.0, "pop_error_backoff_max": 4.0}, "pop_error_backoff_max"),
        ({"default_ttl": 10.0, "ttl_margin": 10.0}, "default_ttl"),
        ({"default_ttl": 5.0}, "default_ttl"),
    ],
)
def test_runtime_options_refuse_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuntimeOptions(**changes)


def test_runtime_options_accept_zero_and_none() -> None:
    options = RuntimeOptions(pop_interval=0, shutdown_grace=None, summary_interval=0, upload_retries=0)
    assert options.pop_interval == 0
    assert options.shutdown_grace is None
    assert RuntimeOptions(pop_error_backoff=3.0, pop_error_backoff_max=3.0).pop_error_backoff_max == 3.0


def test_runtime_options_are_frozen() -> None:
    options = RuntimeOptions()
    with pytest.raises(AttributeError):
        options.pop_interval = 3.0  # type: ignore[misc]  # a frozen object on purpose: the error under test


@pytest.mark.parametrize(
    ("delay", "attempt", "expected"),
    [(1.0, 0, 1.0), (1.0, 1, 1.0), (1.0, 2, 2.0), (1.0, 3, 4.0), (1.0, 5, 16.0), (1.0, 6, 30.0), (0.5, 4, 4.0)],
)
def test_retry_pause_doubles_up_to_thirty_seconds(delay: float, attempt: int, expected: float) -> None:
    pause = RuntimeOptions(retry_delay=delay).retry_pause(attempt)
    assert pause == expected
    assert isinstance(pause, float)


def test_retry_pause_is_capped_even_for_a_long_delay() -> None:
    assert RuntimeOptions(retry_delay=45.0).retry_pause(1) == 30.0
    assert RuntimeOptions(retry_delay=0.0).retry_pause(10) == 0.0


# --- WorkerStats -----------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_stats_start_empty() -> None:
    clock = FakeClock()
    summary = WorkerStats(clock).snapshot()
    assert (summary.popped, summary.submitted, summary.faulted, summary.unreported, summary.finished) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert summary.uptime == 0.0
    assert summary.pop_to_submit_mean is None
    assert summary.pop_to_submit_max is None
    assert summary.faults_by_reason == {}
    fields = summary.as_log_fields()
    assert fields["pop_to_submit_mean_s"] is None
    assert fields["pop_to_submit_max_s"] is None


def test_stats_count_and_time_jobs_on_the_given_clock() -> None:
    clock = FakeClock(100.0)
    stats = WorkerStats(clock)
    stats.popped = 5
    stats.running = 1
    stats.queued = 2
    stats.empty_pops = 7
    stats.pop_errors = 1
    clock.now = 102.0
    stats.record_submitted(popped_at=101.0, kudos=10.25)  # 1 s
    clock.now = 105.0
    stats.record_submitted(popped_at=102.0, kudos=4.5)  # 3 s
    stats.record_faulted("backend error")
    stats.record_faulted("timeout")
    stats.record_faulted("backend error")
    stats.record_unreported()
    clock.now = 112.34567

    summary = stats.snapshot()

    assert summary.uptime == pytest.approx(12.34567)
    assert summary.submitted == 2
    assert summary.faulted == 3
    assert summary.unreported == 1
    assert summary.finished == 6
    assert summary.kudos == pytest.approx(14.75)
    assert summary.pop_to_submit_mean == pytest.approx(2.0)
    assert summary.pop_to_submit_max == pytest.approx(3.0)
    assert summary.faults_by_reason == {"backend error": 2, "timeout": 1}
    assert (summary.running, summary.queued, summary.empty_pops, summary.pop_errors) == (1, 2, 7, 1)
    assert summary.as_log_fields() == {
        "uptime_s": 12.3,
        "popped": 5,
        "submitted": 2,
        "faulted": 3,
        "unreported": 1,
        "running": 1,
        "queued": 2,
        "kudos": 14.75,
        "pop_to_submit_mean_s": 2.0,
        "pop_to_submit_max_s": 3.0,
        "faults_by_reason": {"backend error": 2, "timeout": 1},
        "empty_pops": 7,
        "pop_errors": 1,
    }


def test_snapshots_are_independent_of_later_counting() -> None:
    clock = FakeClock()
    stats = WorkerStats(clock)
    stats.record_faulted("shutdown")
    first = stats.snapshot()
    first.faults_by_reason["shutdown"] = 99
    stats.record_faulted("shutdown")
    assert stats.snapshot().faults_by_reason == {"shutdown": 2}
    assert first.faulted == 1
    fields = first.as_log_fields()
    fields["faults_by_reason"]["other"] = 1
    assert "other" not in first.faults_by_reason


def test_log_fields_round_for_reading() -> None:
    clock = FakeClock(0.0)
    stats = WorkerStats(clock)
    clock.now = 1.23456
    stats.record_submitted(popped_at=0.0, kudos=1.23456)
    fields = stats.snapshot().as_log_fields()
    assert fields["kudos"] == 1.23
    assert fields["pop_to_submit_mean_s"] == 1.235
    assert fields["uptime_s"] == 1.2


# --- horde_api_url ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://aihorde.net", "https://aihorde.net/api"),
        ("https://aihorde.net/", "https://aihorde.net/api"),
        ("https://aihorde.net/api", "https://aihorde.net/api"),
        ("https://aihorde.net/api/", "https://aihorde.net/api"),
        ("http://127.0.0.1:7001", "http://127.0.0.1:7001/api"),
        ("http://127.0.0.1:7001/api", "http://127.0.0.1:7001/api"),
        ("https://example.invalid/horde", "https://example.invalid/horde/api"),
    ],
)
def test_horde_api_url(url: str, expected: str) -> None:
    assert horde_api_url(url) == expected


def test_horde_api_url_of_a_config() -> None:
    config = ImageWorkerDeployConfig(horde_url="http://127.0.0.1:7001")
    assert horde_api_url(config.horde_url) == "http://127.0.0.1:7001/api"


# --- with_input_images -----------------------------------------------------------------------------------------

INPUTS = {SOURCE_URL: b"source-bytes", MASK_URL: b"mask-bytes", EXTRA_URL: b"extra-bytes", PNG_B64: b"b64-bytes"}


def test_img2img_source_and_mask_are_replaced() -> None:
    parameters = ImageGenerationParameters(
        prompt="a lighthouse",
        source_processing="img2img",
        img2img=Image2ImageGenerationParameters(source_image=SOURCE_URL, source_mask=PNG_B64),
    )
    replaced = with_input_images(parameters, INPUTS)
    assert replaced.img2img is not None
    assert replaced.img2img.source_image == b"source-bytes"
    assert replaced.img2img.source_mask == b"b64-bytes"
    assert replaced.prompt == "a lighthouse"
    assert replaced.width == parameters.width
    # The original is untouched (frozen models are copied).
    assert parameters.img2img is not None
    assert parameters.img2img.source_image == SOURCE_URL


def test_remix_source_and_extra_images_are_replaced_unknown_ones_kept() -> None:
    unknown = "https://elsewhere.invalid/not-fetched.webp"
    parameters = ImageGenerationParameters(
        prompt="a remix",
        source_processing="remix",
        remix=RemixGenerationParameters(
            source_image=SOURCE_URL,
            extra_source_images=(
                ExtraSourceImageEntry(image=EXTRA_URL, strength=0.5),
                ExtraSourceImageEntry(image=unknown),
            ),
        ),
    )
    replaced = with_input_images(parameters, INPUTS)
    assert replaced.remix is not None
    assert replaced.remix.source_image == b"source-bytes"
    first, second = replaced.remix.extra_source_images
    assert first.image == b"extra-bytes"
    assert first.strength == 0.5
    assert second.image == unknown


def test_text_extra_source_images_are_replaced() -> None:
    parameters = TextGenerationParameters(
        prompt="describe this",
        extra_source_images=(ExtraSourceImageEntry(image=PNG_B64), ExtraSourceImageEntry(image=EXTRA_URL)),
    )
    replaced = with_input_images(parameters, INPUTS)
    assert [entry.image for entry in replaced.extra_source_images] == [b"b64-bytes", b"extra-bytes"]
    assert replaced.prompt == "describe this"


def test_alchemy_source_image_is_replaced() -> None:
    parameters = AlchemyParameters(source_image=SOURCE_URL, forms=(CaptionAlchemyParameters(),))
    replaced = with_input_images(parameters, INPUTS)
    assert replaced.source_image == b"source-bytes"
    assert replaced.forms == parameters.forms


def test_nothing_to_replace_gives_the_same_object() -> None:
    parameters = ImageGenerationParameters(prompt="plain txt2img")
    assert with_input_images(parameters, INPUTS) is parameters
    alchemy = AlchemyParameters(source_image=SOURCE_URL, forms=(CaptionAlchemyParameters(),))
    assert with_input_images(alchemy, {}) is alchemy
    assert with_input_images(alchemy, {EXTRA_URL: b"x"}) is alchemy


# --- fetch_input_images ----------------------------------------------------------------------------------------

Handler = Callable[[httpx.Request], Any]


def _transport(handler: Handler) -> AsyncTransport:
    return AsyncTransport(
        HordeTimeouts.uniform(5.0), http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )


def _url(location: str, role: METADATA_TYPE = METADATA_TYPE.source_image, index: int = 0) -> ImageToDownload:
    return ImageToDownload(role=role, location=location, is_url=True, index=index)


def _b64(location: str, role: METADATA_TYPE = METADATA_TYPE.source_mask) -> ImageToDownload:
    return ImageToDownload(role=role, location=location, is_url=False)


@pytest.mark.anyio
async def test_fetch_downloads_urls_and_decodes_base64() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"bytes of " + request.url.path.encode())

    wrapped = PNG_B64[:10] + "\n" + PNG_B64[10:]  # whitespace inside base64 is allowed
    images = [
        _url(SOURCE_URL),
        _url(EXTRA_URL, METADATA_TYPE.extra_source_images, 1),
        _b64(wrapped),
    ]
    results = await fetch_input_images(_transport(handler), images, seconds_per_image=5.0)
    assert results == {
        SOURCE_URL: b"bytes of /source.webp",
        EXTRA_URL: b"bytes of /extra.webp",
        wrapped: b"\x89PNG fake image bytes",
    }
    assert len(seen) == 2
    # Presigned URLs get no API headers.
    assert all("apikey" not in request.headers for request in seen)


@pytest.mark.anyio
async def test_fetch_nothing() -> None:
    assert await fetch_input_images(_transport(lambda _: httpx.Response(500)), [], seconds_per_image=1.0) == {}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404, content=b"missing"), "download answered HTTP 404"),
        (httpx.Response(500), "download answered HTTP 500"),
        (httpx.Response(200, content=b""), "download was empty"),
    ],
)
async def test_fetch_failures_name_the_role_not_the_url(response: httpx.Response, reason: str) -> None:
    with pytest.raises(InputDownloadError) as caught:
        await fetch_input_images(_transport(lambda _: response), [_url(SOURCE_URL)], seconds_per_image=5.0)
    message = str(caught.value)
    assert message == f"source_image: {reason}"
    assert "r2.example.invalid" not in message
    assert "source-sig" not in message
    assert caught.value.image.location == SOURCE_URL
    assert caught.value.reason == reason


@pytest.mark.anyio
async def test_fetch_failure_of_an_extra_image_names_its_index() -> None:
    with pytest.raises(InputDownloadError, match=r"^extra_source_images 2: download answered HTTP 403$"):
        await fetch_input_images(
            _transport(lambda _: httpx.Response(403)),
            [_url(EXTRA_URL, METADATA_TYPE.extra_source_images, 2)],
            seconds_per_image=5.0,
        )


@pytest.mark.anyio
async def test_fetch_network_failure_is_an_input_download_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(InputDownloadError) as caught:
        await fetch_input_images(
            _transport(handler), [_url(MASK_URL, METADATA_TYPE.source_mask)], seconds_per_image=5.0
        )
    assert str(caught.value).startswith("source_mask: ")
    assert "mask-sig" not in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize("text", ["not base64 at all!", "abc", "@@@@"])
async def test_fetch_invalid_base64(text: str) -> None:
    with pytest.raises(InputDownloadError, match=r"^source_mask: is not valid base64$"):
        await fetch_input_images(_transport(lambda _: httpx.Response(500)), [_b64(text)], seconds_per_image=5.0)


@pytest.mark.anyio
async def test_fetch_times_out() -> None:
    async def slow(_request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return httpx.Response(200, content=b"late")

    with anyio.fail_after(5):
        with pytest.raises(InputDownloadError, match=r"^source_image: download timed out after 0.05 s$"):
            await fetch_input_images(_transport(slow), [_url(SOURCE_URL)], seconds_per_image=0.05)


@pytest.mark.anyio
async def test_fetch_raises_the_first_failure_when_one_of_several_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/mask.webp":
            return httpx.Response(404)
        return httpx.Response(200, content=b"ok")

    with pytest.raises(InputDownloadError, match=r"^source_mask: "):
        await fetch_input_images(
            _transport(handler), [_url(SOURCE_URL), _url(MASK_URL, METADATA_TYPE.source_mask)], seconds_per_image=5.0
        )


# --- censored placeholder --------------------------------------------------------------------------------------


def test_censored_placeholder_is_a_cached_webp() -> None:
    data = censored_placeholder_webp()
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP"
        assert image.size == (64, 64)
    assert censored_placeholder_webp() is data


# --- WorkerRuntime: construction -------------------------------------------------------------------------------


def test_runtime_without_the_backend_of_its_kind_serves_nothing() -> None:
    with pytest.raises(WorkerRuntimeError) as image:
        WorkerRuntime(ImageWorkerDeployConfig())
    assert str(image.value) == "the configuration serves nothing: set image_backend (what generates images)"
    # A backend of another kind than the configuration's is ignored.
    with pytest.raises(WorkerRuntimeError, match=r"set text_backend \(what generates text\)$"):
        WorkerRuntime(TextWorkerDeployConfig(), image_backend=DemoImageBackend())


def test_runtime_kinds_follow_the_config_class_and_backends() -> None:
    assert WorkerRuntime(ImageWorkerDeployConfig(), image_backend=DemoImageBackend()).kinds == (WORKER_TYPE.image,)
    assert WorkerRuntime(TextWorkerDeployConfig(), text_backend=DemoTextBackend()).kinds == (WORKER_TYPE.text,)
    alchemy = WorkerRuntime(AlchemyWorkerDeployConfig(forms=("caption",)), alchemy_backend=DemoAlchemyBackend())
    assert alchemy.kinds == (WORKER_TYPE.interrogation,)
    combined = WorkerRuntime(
        CombinedWorkerDeployConfig(forms=("caption",)),
        image_backend=DemoImageBackend(),
        text_backend=DemoTextBackend(),
        alchemy_backend=DemoAlchemyBackend(),
    )
    assert combined.kinds == (WORKER_TYPE.image, WORKER_TYPE.text, WORKER_TYPE.interrogation)
    assert not combined.stopping
    assert combined.summary().popped == 0


def test_from_config_builds_the_named_demo_backends() -> None:
    image = WorkerRuntime.from_config(ImageWorkerDeployConfig(dreamer_name="d", image_backend="demo"))
    assert image.kinds == (WORKER_TYPE.image,)
    text = WorkerRuntime.from_config(TextWorkerDeployConfig(scribe_name="s", text_backend="demo"))
    assert text.kinds == (WORKER_TYPE.text,)
    alchemy = WorkerRuntime.from_config(
        AlchemyWorkerDeployConfig(alchemist_name="a", alchemy_backend="demo", forms=("caption",))
    )
    assert alchemy.kinds == (WORKER_TYPE.interrogation,)


def test_from_config_without_a_backend_serves_nothing() -> None:
    with pytest.raises(WorkerRuntimeError):
        WorkerRuntime.from_config(ImageWorkerDeployConfig(dreamer_name="d"))


@pytest.mark.parametrize(
    ("names", "kinds"),
    [
        ({"dreamer_name": "d"}, (WORKER_TYPE.image,)),
        ({"scribe_name": "s", "alchemist_name": "a"}, (WORKER_TYPE.text, WORKER_TYPE.interrogation)),
        (
            {"dreamer_name": "d", "scribe_name": "s", "alchemist_name": "a"},
            (WORKER_TYPE.image, WORKER_TYPE.text, WORKER_TYPE.interrogation),
        ),
    ],
)
def test_from_config_combined_serves_only_the_named_kinds(
    names: dict[str, Any], kinds: tuple[WORKER_TYPE, ...]
) -> None:
    config = CombinedWorkerDeployConfig(
        image_backend="demo", text_backend="demo", alchemy_backend="demo", forms=("caption",), **names
    )
    assert WorkerRuntime.from_config(config).kinds == kinds


def test_from_config_combined_without_names_serves_nothing() -> None:
    config = CombinedWorkerDeployConfig(image_backend="demo", text_backend="demo", alchemy_backend="demo")
    with pytest.raises(WorkerRuntimeError):
        WorkerRuntime.from_config(config)


# --- WorkerRuntime: running against a scripted horde -----------------------------------------------------------

EMPTY_TEXT_POP: dict[str, Any] = {"payload": {}, "id": None, "ids": [], "skipped": {}, "model": None, "ttl": None}
EMPTY_ALCHEMY_POP: dict[str, Any] = {"forms": [], "skipped": {}}


class ScriptedHorde:
    """Answers every text and alchemy pop with an empty pop (or with `refuse`) and counts them."""

    def __init__(self, refuse: httpx.Response | None = None) -> None:
        self.refuse = refuse
        self.pops: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        assert request.url.host == "horde.invalid", "the runtime must only talk to the scripted horde"
        self.pops.append(path)
        if self.refuse is not None:
            return self.refuse
        if path.endswith("/generate/text/pop"):
            return httpx.Response(200, json=EMPTY_TEXT_POP)
        if path.endswith("/interrogate/pop"):
            return httpx.Response(200, json=EMPTY_ALCHEMY_POP)
        return httpx.Response(404, json={"message": f"not scripted: {path}"})


def _client(horde: ScriptedHorde) -> AIHordeAPIAsyncManualClient:
    return AIHordeAPIAsyncManualClient(
        base_url=HORDE,
        api_key=WORKER_KEY,
        enforce_rate_limits=False,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(horde)),
    )


def _text_runtime(horde: ScriptedHorde, **config: Any) -> WorkerRuntime:
    values: dict[str, Any] = {"scribe_name": "unit-scribe", "model_name": "unit/model", "text_backend": "demo"}
    values.update(config)
    return WorkerRuntime.from_config(
        TextWorkerDeployConfig(**values),
        client=_client(horde),
        options=RuntimeOptions(pop_interval=0.01, summary_interval=0),
    )


@pytest.mark.anyio
async def test_request_stop_before_run_returns_promptly() -> None:
    horde = ScriptedHorde()
    runtime = _text_runtime(horde)
    runtime.request_stop()
    assert runtime.stopping
    with anyio.fail_after(5):
        summary = await runtime.run()
    assert summary.popped == 0
    assert summary.finished == 0


@pytest.mark.anyio
async def test_empty_pops_until_stopped() -> None:
    horde = ScriptedHorde()
    runtime = _text_runtime(horde)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            await runtime.wait_ready()
            for _ in range(500):
                if runtime.stats.empty_pops >= 3:
                    break
                await anyio.sleep(0.01)
            runtime.request_stop()
    summary = runtime.summary()
    assert summary.empty_pops >= 3
    assert summary.popped == 0
    assert summary.pop_errors == 0
    assert horde.pops
    assert all(path == "/api/v2/generate/text/pop" for path in horde.pops)


@pytest.mark.anyio
async def test_pop_refused_for_good_raises_worker_runtime_error() -> None:
    horde = ScriptedHorde(refuse=httpx.Response(401, json={"message": "Invalid API Key", "rc": "InvalidAPIKey"}))
    runtime = _text_runtime(horde)
    with anyio.fail_after(10), pytest.raises(WorkerRuntimeError, match="refuses this worker's pops"):
        await runtime.run()
    assert runtime.stopping
    assert runtime.summary().pop_errors == 1


def test_combined_worker_with_one_name_for_several_kinds_is_refused_before_running() -> None:
    config = CombinedWorkerDeployConfig.model_validate(
        {"worker_name": "same-name", "text_backend": "demo", "alchemy_backend": "demo", "model_name": "unit/model"}
    )
    # Refused when the worker is built (so `horde-worker check-config` reports it too), before any pop.
    with pytest.raises(WorkerRuntimeError, match="'same-name' is set for several kinds"):
        WorkerRuntime.from_config(config, options=RuntimeOptions(summary_interval=0))


@pytest.mark.anyio
async def test_combined_worker_with_distinct_names_pops_both_kinds() -> None:
    horde = ScriptedHorde()
    config = CombinedWorkerDeployConfig(
        scribe_name="unit-scribe",
        alchemist_name="unit-alchemist",
        text_backend="demo",
        alchemy_backend="demo",
        forms=("caption",),
    )
    # No model_name in the configuration: the text model is given to the runtime.
    runtime = WorkerRuntime.from_config(
        config,
        client=_client(horde),
        text_model="unit/model",
        options=RuntimeOptions(pop_interval=0.01, summary_interval=0),
    )
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            await runtime.wait_ready()
            runtime.request_stop()
    assert {"/api/v2/generate/text/pop", "/api/v2/interrogate/pop"} <= set(horde.pops)


def test_alchemy_worker_without_forms_is_refused_before_running() -> None:
    with pytest.raises(WorkerRuntimeError, match="forms"):
        WorkerRuntime.from_config(
            AlchemyWorkerDeployConfig(alchemist_name="unit-alchemist", alchemy_backend="demo"),
            options=RuntimeOptions(summary_interval=0),
        )


@pytest.mark.parametrize(
    ("seed", "variation", "batch", "expected"),
    [
        ("42", None, 3, (42, 43, 44)),
        ("7", 10, 2, (7, 17)),
        (str(2**32 - 1), None, 2, (2**32 - 1, 0)),
    ],
)
def test_image_seeds_follow_the_job_seed_and_variation(
    seed: str, variation: int | None, batch: int, expected: tuple[int, ...]
) -> None:
    parameters = ImageGenerationParameters(prompt="p", seed=seed, seed_variation=variation, batch_size=batch)
    assert JobPipeline._seeds(parameters) == expected


def test_a_text_seed_is_hashed_the_same_way_every_time() -> None:
    parameters = ImageGenerationParameters(prompt="p", seed="lighthouse", batch_size=2)
    first = JobPipeline._seeds(parameters)
    assert first == JobPipeline._seeds(parameters)
    assert first[1] == (first[0] + 1) % 2**32
    assert all(0 <= seed < 2**32 for seed in first)


def test_without_a_seed_each_job_gets_a_random_one() -> None:
    parameters = ImageGenerationParameters(prompt="p", batch_size=1)
    seeds = {JobPipeline._seeds(parameters)[0] for _ in range(20)}
    assert len(seeds) > 1


class UnusableJobHorde:
    """Hands out one text job whose extra image is neither a URL nor base64, then empty pops; records submits."""

    JOB_ID = "00000000-0000-4000-8000-000000000001"

    def __init__(self) -> None:
        self.handed_out = False
        self.submits: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/generate/text/submit"):
            self.submits.append(json.loads(request.content))
            return httpx.Response(200, json={"reward": 0})
        if path.endswith("/generate/text/pop") and not self.handed_out:
            self.handed_out = True
            job = {
                "payload": {"prompt": "a story", "max_length": 40, "max_context_length": 1024},
                "id": self.JOB_ID,
                "ids": [self.JOB_ID],
                "skipped": {},
                "model": "unit/model",
                "ttl": 150,
                "extra_source_images": [{"image": "this is !!! not an image"}],
            }
            return httpx.Response(200, json=job)
        return httpx.Response(200, json=EMPTY_TEXT_POP)


@pytest.mark.anyio
async def test_an_unusable_job_is_reported_faulted_without_running() -> None:
    horde = UnusableJobHorde()
    runtime = WorkerRuntime.from_config(
        TextWorkerDeployConfig(scribe_name="unit-scribe", model_name="unit/model", text_backend="demo"),
        client=AIHordeAPIAsyncManualClient(
            base_url=HORDE,
            api_key=WORKER_KEY,
            enforce_rate_limits=False,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(horde)),
        ),
        options=RuntimeOptions(pop_interval=0.01, summary_interval=0),
    )
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            while runtime.summary().faulted < 1:  # noqa: ASYNC110 - polls the runtime's counters
                await anyio.sleep(0.01)
            runtime.request_stop()
    assert horde.submits == [{"id": UnusableJobHorde.JOB_ID, "state": "faulted"}]
    summary = runtime.summary()
    assert (summary.popped, summary.faulted, summary.submitted) == (1, 1, 0)
    assert summary.faults_by_reason == {"unusable job": 1}


class RecordingSubmits:
    """Answers every submit with a reward of 0 and records its body."""

    def __init__(self) -> None:
        self.submits: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.submits.append(json.loads(request.content))
        return httpx.Response(200, json={"reward": 0})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("ids", "ttl"),
    [
        (("gen-a", "gen-a"), 150),  # the job's own checks refuse a repeated id
        (("gen-a",), -5),  # ... and a negative ttl
    ],
)
async def test_a_job_that_cannot_be_set_up_is_reported_faulted_not_raised(ids: tuple[str, ...], ttl: int) -> None:
    horde = RecordingSubmits()
    stats = WorkerStats()
    async with AIHordeAPIAsyncManualClient(
        base_url=HORDE,
        api_key=WORKER_KEY,
        enforce_rate_limits=False,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(horde)),
    ) as client:
        pipeline = JobPipeline(
            client,
            options=RuntimeOptions(),
            stats=stats,
            job_config=WorkerJobConfig(),
            text_backend=DemoTextBackend(),
        )
        job = DispatchedJob(
            generation_parameters=TextGenerationParameters(prompt="a story", max_length=40, max_context_length=1024),
            dispatch_parameters=AIHordeDispatchParameters(
                worker_type=WORKER_TYPE.text, job_id=ids[0], generation_ids=ids, ttl=ttl, model="unit/model"
            ),
        )
        with anyio.fail_after(5):
            await pipeline.run(job, popped_at=time.monotonic())
    assert horde.submits == [{"id": "gen-a", "state": "faulted"}]  # each id once
    assert (stats.faulted, stats.unreported) == (1, 0)


# --- size caps and result checks -------------------------------------------------------------------------------


class Streamed(httpx.AsyncByteStream):
    """An endless answer body, counting what was read of it."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> Any:
        chunk = b"\0" * 65536
        while True:
            self.sent += len(chunk)
            yield chunk


@pytest.mark.anyio
async def test_a_download_stops_at_the_input_cap() -> None:
    body = Streamed()
    transport = _transport(lambda request: httpx.Response(200, stream=body))
    with anyio.fail_after(10), pytest.raises(InputDownloadError, match="is larger than the cap of 100000 bytes"):
        await fetch_input_images(transport, [_url(SOURCE_URL)], seconds_per_image=5.0, max_bytes=100_000)
    assert body.sent < 1_000_000  # reading stopped near the cap, not at the end of the (endless) body


@pytest.mark.anyio
async def test_base64_over_the_input_cap_is_refused_before_decoding() -> None:
    big = base64.b64encode(b"\0" * 3000).decode()
    transport = _transport(lambda request: httpx.Response(500))
    with pytest.raises(InputDownloadError, match="larger than the cap of 1000 bytes"):
        await fetch_input_images(transport, [_b64(big)], seconds_per_image=1.0, max_bytes=1000)
    assert await fetch_input_images(transport, [_b64(big)], seconds_per_image=1.0, max_bytes=3000) == {
        big: b"\0" * 3000
    }


def _webp(size: int = 16) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (10, 200, 30)).save(buffer, format="WEBP")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>not an image</html>", "no image signature"),
        (b"", "no image signature"),
        ("a text", "is a str, not image bytes"),
        (b"RIFF\0\0\0\0WEBPVP8 truncated", "not a decodable webp image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not a decodable png image"),
    ],
)
def test_a_result_that_is_no_image_is_refused(data: object, message: str) -> None:
    from horde_sdk.worker.runtime.images import ResultImageError, check_result_image

    with pytest.raises(ResultImageError, match=message):
        check_result_image(data)


def test_a_result_over_the_cap_is_refused_and_an_image_passes() -> None:
    from horde_sdk.worker.runtime.images import ResultImageError, check_result_image

    image = _webp()
    assert check_result_image(image) == "webp"
    with pytest.raises(ResultImageError, match=f"the result is {len(image)} bytes, more than the cap of 10"):
        check_result_image(image, max_bytes=10)


# --- bridge report ----------------------------------------------------------------------------------------------


class _NotYetEnteredEngine(DemoImageBackend):
    """An engine backend before it asked its engine what it runs: it declares nothing yet."""

    features = ImageGenerationFeatureFlags()


def test_bridge_report_waits_for_an_engine_to_declare_its_features() -> None:
    config = ImageWorkerDeployConfig(dreamer_name="d", models_to_load=ModelSelection.model_validate(["m"]))
    report = WorkerRuntime(config, image_backend=_NotYetEnteredEngine()).bridge_report()
    expected = (
        "bridge agent: announced as 'SD-WebUI Stable Horde Worker Bridge' version 1; the image backend declares "
        "what it runs when it starts, and the start of run says then which requests the horde will never send"
    )
    assert report == (expected,)
    demo = WorkerRuntime(config, image_backend=DemoImageBackend()).bridge_report()
    assert demo[0].startswith("the horde will never send this worker img2img")
