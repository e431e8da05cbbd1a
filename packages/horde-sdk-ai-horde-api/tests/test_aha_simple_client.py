"""The blocking simple client against a scripted fake horde: results, polling, limits, errors and cleanup."""

from __future__ import annotations

import importlib.util
import itertools
import logging
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from horde_sdk.ai_horde_api import (
    AI_HORDE_RATE_LIMIT_RULES,
    AIHordeAPISimpleClient,
    AIHordeDownloadError,
    AIHordeGenerationTimeoutError,
    AIHordeJobFaultedError,
    AIHordeJobImpossibleError,
    GenerationProgress,
)
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    ImageGenerateAsyncRequest,
    TextGenerateAsyncRequest,
)
from horde_sdk.ai_horde_api.job_flows import IMAGE_POLLING, TEXT_POLLING, PollingPolicy
from horde_sdk.ai_horde_api.progress import JOB_STATE
from horde_sdk.ai_horde_api.results import (
    AlchemyCaptionResult,
    AlchemyImageResult,
    AlchemyInterrogationResult,
    AlchemyNSFWResult,
    ImageGenerationResult,
)
from horde_sdk.generic_api.ratelimit import ClientRateLimiter


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
FakeHorde, FakeClock, Script = fake.FakeHorde, fake.FakeClock, fake.Script


def make_client(horde: Any, clock: Any, **options: Any) -> AIHordeAPISimpleClient:
    options.setdefault("enforce_rate_limits", False)
    return AIHordeAPISimpleClient(
        http_client=httpx.Client(transport=httpx.MockTransport(horde)), clock=clock, sleep=clock.sleep, **options
    )


def image_request(n: int = 1, **fields: Any) -> ImageGenerateAsyncRequest:
    return ImageGenerateAsyncRequest.model_validate({"prompt": "a lighthouse at dusk", "params": {"n": n}, **fields})


def text_request(n: int = 1) -> TextGenerateAsyncRequest:
    return TextGenerateAsyncRequest.model_validate({"prompt": "Once upon a time", "params": {"n": n}})


def alchemy_request(*forms: str) -> AlchemyAsyncRequest:
    return AlchemyAsyncRequest.model_validate(
        {"source_image": "https://example.invalid/cat.webp", "forms": [{"name": form} for form in forms]}
    )


# ------------------------------------------------------------------------------------------ images
def test_image_job_polls_check_calls_status_once_and_downloads_the_images():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=3), clock=clock)
    with make_client(horde, clock) as client:
        result = client.image_generate_request(image_request(n=2))
    (job_id,) = horde.jobs
    assert result.job_id == job_id
    assert [g.image for g in result.generations] == [horde.image_bytes(job_id, 0), horde.image_bytes(job_id, 1)]
    first = result.generations[0]
    assert isinstance(first, ImageGenerationResult)
    assert (first.seed, first.worker_name, first.model, first.censored, first.state) == (
        "1000",
        "fake worker",
        "fake-model",
        False,
        "ok",
    )
    assert result.kudos == 10.0
    assert horde.count("GET", "generate/check", job_id) == 3
    assert horde.count("GET", "generate/status", job_id) == 1
    assert horde.count("DELETE", "generate/status", job_id) == 0
    assert horde.open_jobs() == []
    # Presigned URLs never end up in results.
    assert "http" not in repr(result)


def test_image_base64_results_are_decoded():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=1, r2=False), clock=clock)
    with make_client(horde, clock) as client:
        result = client.image_generate_request(image_request(r2=False))
    (job_id,) = horde.jobs
    assert result.images == [horde.image_bytes(job_id, 0)]
    assert sum(horde.downloads.values()) == 0


def test_polling_follows_wait_time_within_floor_and_ceiling():
    clock = FakeClock()
    # wait_time 30 s is clamped to the 10 s ceiling; 0.2 s would be raised to the 1 s floor.
    horde = FakeHorde(Script(polls_until_done=4, wait_time=30), clock=clock)
    with make_client(horde, clock) as client:
        client.image_generate_request(image_request())
    (job_id,) = horde.jobs
    checks = horde.times("GET", "generate/check", job_id)
    gaps = [later - earlier for earlier, later in itertools.pairwise(checks)]
    assert checks[0] - 1000.0 == pytest.approx(IMAGE_POLLING.first_delay)
    assert gaps == [pytest.approx(IMAGE_POLLING.ceiling)] * 3

    assert IMAGE_POLLING.next_delay(0.2, None) == IMAGE_POLLING.floor
    assert IMAGE_POLLING.next_delay(0, None) == IMAGE_POLLING.backoff_start
    assert IMAGE_POLLING.next_delay(0, 8.0) == IMAGE_POLLING.ceiling


def test_requests_per_image_job_are_at_most_half_of_polling_status_every_4_seconds():
    clock = FakeClock()
    # A job the server expects to take 20 s: it is done on the third check (1 s, 11 s, 20 s).
    horde = FakeHorde(Script(polls_until_done=3, wait_time=10), clock=clock)
    with make_client(horde, clock) as client:
        client.image_generate_request(image_request())
    (job_id,) = horde.jobs
    duration = horde.times("GET", "generate/status", job_id)[0] - 1000.0
    naive = 1 + 2 * max(1, round(duration / 4))  # submit + (check + status) every 4 s
    assert horde.total_requests(job_id) <= naive / 2


def test_status_is_called_once_and_checks_stay_under_their_limit_with_the_rate_limiter_on():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=40, wait_time=0), clock=clock)
    limiter = ClientRateLimiter(AI_HORDE_RATE_LIMIT_RULES, clock=clock)
    with make_client(horde, clock, enforce_rate_limits=True, rate_limiter=limiter) as client:
        client.image_generate_requests([image_request(), image_request()])
    for job_id in horde.jobs:
        assert horde.count("GET", "generate/status", job_id) == 1
        checks = horde.times("GET", "generate/check", job_id)
        assert len(checks) == 40
        # Never two checks of one job within the server's 1 s cache (so never near 10/s either).
        assert min(later - earlier for earlier, later in itertools.pairwise(checks)) >= 1.0


def test_429_retry_after_is_obeyed():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=1, rate_limit_check_once=True, retry_after="1"))
    stamps: list[float] = []

    def stamped(request: httpx.Request) -> httpx.Response:
        if "/generate/check/" in request.url.path:
            stamps.append(time.monotonic())
        response: httpx.Response = horde(request)
        return response

    with AIHordeAPISimpleClient(
        http_client=httpx.Client(transport=httpx.MockTransport(stamped)),
        clock=clock,
        sleep=clock.sleep,
        enforce_rate_limits=False,
    ) as client:
        result = client.image_generate_request(image_request())
    assert len(result.generations) == 1
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 1.0


# ------------------------------------------------------------------------------- text and alchemy
def test_text_job_polls_text_status_and_returns_the_texts():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=3), clock=clock)
    with make_client(horde, clock) as client:
        result = client.text_generate_request(text_request(n=2))
    (job_id,) = horde.jobs
    assert result.texts == [f"text 0 of {job_id[-4:]}", f"text 1 of {job_id[-4:]}"]
    assert result.generations[0].model == "fake-llm"
    statuses = horde.times("GET", "generate/text/status", job_id)
    assert len(statuses) == 3
    assert min(b - a for a, b in itertools.pairwise(statuses)) >= TEXT_POLLING.floor
    assert horde.open_jobs() == []


def test_alchemy_job_returns_one_typed_result_per_form_and_downloads_images():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=2), clock=clock)
    with make_client(horde, clock) as client:
        result = client.alchemy_request(alchemy_request("caption", "nsfw", "RealESRGAN_x2plus"))
    (job_id,) = horde.jobs
    caption, nsfw, upscaled = result.forms
    assert isinstance(caption, AlchemyCaptionResult)
    assert caption.caption == "a lighthouse at dusk"
    assert isinstance(nsfw, AlchemyNSFWResult)
    assert nsfw.nsfw is False
    assert isinstance(upscaled, AlchemyImageResult)
    assert upscaled.image == horde.image_bytes(job_id, "RealESRGAN_x2plus")
    assert result.get("caption") is caption
    assert result.state == "done"
    assert horde.open_jobs() == []


def test_alchemy_results_an_older_worker_sent_as_text_are_read_typed():
    """BEHAVIOUR.md: the server hands back what the worker sent; `"false"` and JSON text are read as their values."""
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=1, text_form_results=True), clock=clock)
    with make_client(horde, clock) as client:
        result = client.alchemy_request(alchemy_request("nsfw", "interrogation"))
    nsfw, interrogation = result.forms
    assert isinstance(nsfw, AlchemyNSFWResult)
    assert nsfw.nsfw is False
    assert isinstance(interrogation, AlchemyInterrogationResult)
    assert interrogation.interrogation == {"tags": [{"text": "lighthouse", "confidence": 0.9}]}


def test_dry_runs_return_the_estimate_and_queue_nothing():
    clock = FakeClock()
    horde = FakeHorde(clock=clock)
    with make_client(horde, clock) as client:
        assert client.image_generate_request_dry_run(image_request()).kudos == 12.5
        assert client.text_generate_request_dry_run(text_request()).kudos == 12.5
    assert horde.jobs == {}
    assert horde.count("POST", "image/async", "dry_run") == 1
    assert horde.count("POST", "text/async", "dry_run") == 1


def test_a_dry_run_request_is_refused_by_the_generation_method():
    clock = FakeClock()
    with make_client(FakeHorde(clock=clock), clock) as client, pytest.raises(ValueError, match="dry run"):
        client.image_generate_request(image_request(dry_run=True))


# ------------------------------------------------------------------------------------- many jobs
def test_a_sync_batch_polls_round_robin_in_one_thread():
    clock = FakeClock()
    horde = FakeHorde(lambda kind, index: Script(polls_until_done=2 + index, wait_time=5), clock=clock)
    with make_client(horde, clock) as client:
        results = client.image_generate_requests([image_request() for _ in range(5)])
    assert [result.job_id for result in results] == list(horde.jobs)
    assert horde.open_jobs() == []
    # Waited as long as the slowest job, not the sum of all.
    assert clock.now - 1000.0 < 40


def test_a_failing_job_of_a_batch_cancels_the_others():
    clock = FakeClock()
    horde = FakeHorde(
        lambda kind, index: Script(polls_until_done=5, fault_at_poll=2 if index == 1 else None), clock=clock
    )
    with make_client(horde, clock) as client, pytest.raises(AIHordeJobFaultedError):
        client.image_generate_requests([image_request() for _ in range(3)])
    assert horde.open_jobs() == []
    assert all(job.cancelled for job in horde.jobs.values())


# ------------------------------------------------------------------------------------- progress
def test_progress_events_report_queue_wait_finished_and_kudos():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=3, queue_position=7, wait_time=9), clock=clock)
    events: list[GenerationProgress] = []
    with make_client(horde, clock) as client:
        client.image_generate_request(image_request(n=2), on_progress=events.append)
    states = [event.state for event in events]
    assert states == [
        JOB_STATE.submitted,
        JOB_STATE.waiting,
        JOB_STATE.processing,
        JOB_STATE.downloading,
        JOB_STATE.done,
    ]
    waiting = events[1]
    assert (waiting.queue_position, waiting.wait_time, waiting.finished, waiting.n) == (7, 9.0, 0, 2)
    assert events[0].kudos == 10.0
    assert events[-1].finished == 2
    assert events[-1].elapsed > 0


# ------------------------------------------------------------------------------ impossible/faulted
def test_is_possible_false_is_raised_within_one_poll_and_cancels():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=10, impossible=True), clock=clock)
    with make_client(horde, clock) as client, pytest.raises(AIHordeJobImpossibleError) as caught:
        client.image_generate_request(image_request())
    (job_id,) = horde.jobs
    assert horde.count("GET", "generate/check", job_id) == 1
    assert horde.count("DELETE", "generate/status", job_id) == 1
    assert caught.value.job_id == job_id
    assert job_id not in str(caught.value)
    assert horde.open_jobs() == []


def test_no_available_worker_warning_is_raised_before_any_poll():
    clock = FakeClock()
    horde = FakeHorde(Script(warnings=("NoAvailableWorker",)), clock=clock)
    with make_client(horde, clock) as client, pytest.raises(AIHordeJobImpossibleError) as caught:
        client.text_generate_request(text_request())
    (job_id,) = horde.jobs
    assert caught.value.warnings == ("NoAvailableWorker",)
    assert horde.count("GET", "generate/text/status", job_id) == 0
    assert horde.open_jobs() == []


def test_on_impossible_wait_keeps_polling_and_reports_it():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=3, impossible=True), clock=clock)
    events: list[GenerationProgress] = []
    with make_client(horde, clock) as client:
        result = client.image_generate_request(image_request(), on_impossible="wait", on_progress=events.append)
    assert len(result.generations) == 1
    assert JOB_STATE.impossible in [event.state for event in events]
    assert not next(event for event in events if event.state == JOB_STATE.impossible).is_possible


@pytest.mark.parametrize("kind", ["image", "text", "alchemy"])
def test_a_faulted_job_is_raised_within_one_poll(kind: str):
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=10, fault_at_poll=1), clock=clock)
    with make_client(horde, clock) as client, pytest.raises(AIHordeJobFaultedError):
        if kind == "image":
            client.image_generate_request(image_request())
        elif kind == "text":
            client.text_generate_request(text_request())
        else:
            client.alchemy_request(alchemy_request("caption"))
    (job,) = horde.jobs.values()
    assert job.polls == 1
    assert job.cancelled


# -------------------------------------------------------------------------------------- timeouts
def test_timeout_cancels_on_the_server_and_carries_the_finished_images():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=100, finished_per_poll=1, wait_time=5), clock=clock)
    with make_client(horde, clock) as client, pytest.raises(AIHordeGenerationTimeoutError) as caught:
        client.image_generate_request(image_request(n=3), timeout=8)
    (job_id,) = horde.jobs
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert error.timeout == 8
    assert horde.count("DELETE", "generate/status", job_id) == 1
    assert horde.open_jobs() == []
    # Polls at 1 s and 6 s finished two images; the cancel's answer carried them and they were downloaded.
    assert error.partial_result is not None
    assert error.partial_result.images == [horde.image_bytes(job_id, 0), horde.image_bytes(job_id, 1)]
    assert clock.now - 1000.0 == pytest.approx(8)


def test_text_timeout_cancels_and_never_waits_for_done_afterwards():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=100, finished_per_poll=1), clock=clock)
    with make_client(horde, clock) as client, pytest.raises(AIHordeGenerationTimeoutError) as caught:
        client.text_generate_request(text_request(n=2), timeout=5)
    (job_id,) = horde.jobs
    deleted_at = horde.times("DELETE", "generate/text/status", job_id)
    assert len(deleted_at) == 1
    assert all(t <= deleted_at[0] for t in horde.times("GET", "generate/text/status", job_id))
    assert caught.value.partial_result.texts  # what had finished came with the cancel's answer


# --------------------------------------------------------------------------------------- cleanup
def test_an_exception_in_a_callback_cancels_the_job():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=10), clock=clock)

    def explode(event: GenerationProgress) -> None:
        if event.state == JOB_STATE.waiting:
            raise RuntimeError("the bot crashed")

    with make_client(horde, clock) as client, pytest.raises(RuntimeError):
        client.alchemy_request(alchemy_request("caption"), on_progress=explode)
    assert horde.open_jobs() == []


def test_ctrl_c_cancels_the_jobs_before_propagating():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=10), clock=clock)

    def interrupt(event: GenerationProgress) -> None:
        if event.state == JOB_STATE.waiting and event.index == 1:
            raise KeyboardInterrupt

    with make_client(horde, clock) as client, pytest.raises(KeyboardInterrupt):
        client.text_generate_requests([text_request(), text_request()], on_progress=interrupt)
    assert len(horde.jobs) == 2
    assert horde.open_jobs() == []


def test_closing_the_client_normally_cancels_work_left_pending():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=10), clock=clock)
    with make_client(horde, clock) as client:
        client.session.submit_request(image_request())  # started by hand, never followed up
        assert len(horde.open_jobs()) == 1
    assert horde.open_jobs() == []


# ------------------------------------------------------------------------------------- downloads
def test_downloads_are_retried_and_failures_never_show_the_url(caplog: pytest.LogCaptureFixture):
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=1, download_failures=1), clock=clock)
    caplog.set_level(logging.DEBUG)
    with make_client(horde, clock) as client:
        result = client.image_generate_request(image_request(n=2))
    assert len(result.images) == 2
    assert set(horde.downloads.values()) == {2}

    denied = FakeHorde(Script(polls_until_done=1, download_status=403), clock=clock)
    with make_client(denied, clock) as client, pytest.raises(AIHordeDownloadError) as caught:
        client.image_generate_request(image_request())
    assert "403" in str(caught.value)
    assert fake.R2_SECRET not in str(caught.value)
    # The SDK's own log events never show a presigned URL's query (httpx's own INFO log is another matter).
    sdk_records = [record.getMessage() for record in caplog.records if record.name.startswith("horde_sdk")]
    assert sdk_records
    assert not [message for message in sdk_records if fake.R2_SECRET in message]


def test_to_pil_needs_the_pillow_extra():
    """Without Pillow (blocked from importing in a fresh interpreter), to_pil names the extra to install."""
    code = """
import importlib.abc, sys

class NoPillow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "PIL" or name.startswith("PIL."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPillow())
from horde_sdk.ai_horde_api.results import ImageGenerationResult

result = ImageGenerationResult(
    image=b"x", generation_id=None, seed=None, worker_id=None, worker_name=None, model=None,
    state="ok", censored=False,
)
try:
    result.to_pil()
except ImportError as error:
    print(error)
else:
    print("no ImportError")
"""
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert "horde-sdk-ai-horde-api[pillow]" in answer.stdout, answer.stdout


def test_custom_polling_policies_are_used():
    clock = FakeClock()
    horde = FakeHorde(Script(polls_until_done=3, wait_time=0), clock=clock)
    tight = PollingPolicy(first_delay=0.1, floor=0.1, ceiling=0.1, backoff_start=0.1)
    with make_client(horde, clock, polling={"image": tight}) as client:
        client.image_generate_request(image_request())
    assert clock.now - 1000.0 == pytest.approx(0.3)


# ------------------------------------------------------------------------------- convenience calls
def test_convenience_methods_send_typed_requests():
    clock = FakeClock()
    horde = FakeHorde(clock=clock)
    horde.extra_routes[("GET", "/api/v2/status/heartbeat")] = lambda r: httpx.Response(
        200, json={"message": "OK", "version": "5.1.5"}
    )
    horde.extra_routes[("GET", "/api/v2/workers/name/my worker")] = lambda r: httpx.Response(
        200, json={"name": "my worker", "id": fake.WORKER_ID, "type": "image", "online": True, "bridge_agent": "b:1:c"}
    )
    horde.extra_routes[("POST", "/api/v2/kudos/transfer")] = lambda r: httpx.Response(200, json={"transferred": 5})
    with make_client(horde, clock) as client:
        assert client.heartbeat().version == "5.1.5"
        assert client.worker_by_name("my worker").online is True
        assert client.kudos_transfer("someone#1", 5, idempotency_key="abc-123").transferred == 5
        assert client.image_generate_request.__doc__
    transfer = horde.requests[-1]
    assert transfer.headers["Idempotency-Key"] == "abc-123"
