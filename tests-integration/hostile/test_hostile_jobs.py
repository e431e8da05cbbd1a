"""A simple client's job ``timeout`` bounds everything inside the job, against a hostile horde.

The server accepts the job and then drips its progress answers, or refuses the submission with a long
``Retry-After``. The job must end at its timeout with ``AIHordeGenerationTimeoutError``, and a job that
was accepted must be cancelled on the server (a DELETE was sent), so nothing is left running.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable

import anyio
import pytest

from horde_sdk.ai_horde_api.apimodels import AlchemyAsyncRequest, ImageGenerateAsyncRequest, TextGenerateAsyncRequest
from horde_sdk.ai_horde_api.exceptions import (
    AIHordeDownloadError,
    AIHordeGenerationTimeoutError,
    AIHordeInvalidImageError,
)
from horde_sdk.ai_horde_api.job_flows import PollingPolicy
from horde_sdk.ai_horde_api.progress import JOB_KIND
from horde_sdk.ai_horde_api.simple_clients import AIHordeAPIAsyncSimpleClient, AIHordeAPISimpleClient
from horde_sdk.generic_api.apimodels import HordeRequest
from horde_sdk.generic_api.exceptions import (
    HordeResponseTooLargeError,
    HordeResponseValidationError,
    HordeTimeoutError,
)
from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts

JOB_ID = "00000000-1111-2222-3333-444444444444"
JOB_TIMEOUT = 1.2  # well above a loaded machine's submit time, well below the 5 s drip
QUICK = PollingPolicy(first_delay=0.05, floor=0.05, ceiling=0.1, backoff_start=0.05)
PROGRESS = {
    "finished": 0,
    "processing": 0,
    "restarted": 0,
    "waiting": 1,
    "done": False,
    "faulted": False,
    "wait_time": 0,
    "queue_position": 1,
    "kudos": 0,
    "is_possible": True,
}

KINDS: dict[str, tuple[str, str, str, Callable[[], HordeRequest], str]] = {
    "image": (
        "/api/v2/generate/async",
        "/api/v2/generate/check/",
        "/api/v2/generate/status/",
        lambda: ImageGenerateAsyncRequest(prompt="a dripping tap"),
        "image_generate_request",
    ),
    "text": (
        "/api/v2/generate/text/async",
        "/api/v2/generate/text/status/",
        "/api/v2/generate/text/status/",
        lambda: TextGenerateAsyncRequest(prompt="a dripping tap"),
        "text_generate_request",
    ),
    "alchemy": (
        "/api/v2/interrogate/async",
        "/api/v2/interrogate/status/",
        "/api/v2/interrogate/status/",
        lambda: AlchemyAsyncRequest(source_image="https://example.invalid/a.webp", forms=[{"name": "caption"}]),  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
        "alchemy_request",
    ),
}


def _options(url: str, **settings: object) -> dict[str, object]:
    return {
        "settings": HordeClientSettings(
            base_url=f"{url}/api",
            api_key="hostile-job-key-0123456789",
            timeouts=HordeTimeouts.uniform(5.0),
            **settings,  # type: ignore[arg-type]  # settings are keyword arguments of the settings model, passed through untyped
        ),
        "enforce_rate_limits": False,
        "polling": dict.fromkeys(JOB_KIND, QUICK),
    }


def _run(url: str, method: str, request: object, *, asynchronous: bool, **settings: object) -> object:
    if not asynchronous:
        with AIHordeAPISimpleClient(**_options(url, **settings)) as client:  # type: ignore[arg-type]  # settings are keyword arguments of the settings model, passed through untyped
            return getattr(client, method)(request, timeout=JOB_TIMEOUT)

    async def main() -> object:
        async with AIHordeAPIAsyncSimpleClient(**_options(url, **settings)) as client:  # type: ignore[arg-type]  # settings are keyword arguments of the settings model, passed through untyped
            return await getattr(client, method)(request, timeout=JOB_TIMEOUT)

    return anyio.run(main)


def _drip_json(payload: object, cancelled: object):
    body = json.dumps(payload).encode()

    def handler(seen, reply) -> None:
        if seen.method == "DELETE":
            reply.json(200, cancelled)
            return
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        reply.drip(head.encode() + body, 0.02)  # a valid answer saying "done", in about 5 s

    return handler


DONE = {**PROGRESS, "finished": 1, "waiting": 0, "done": True}
TEXT_DONE = {**DONE, "generations": [{"text": "drip", "worker_id": "w", "worker_name": "w", "model": "m"}]}
ALCHEMY_DONE = {"state": "done", "forms": [{"form": "caption", "state": "done", "result": {"caption": "drip"}}]}


def _finished_answer(kind: str) -> object:
    """What the dripping poll says: the job is done (so, without a deadline, the job would succeed)."""
    if kind == "alchemy":
        return ALCHEMY_DONE
    if kind == "text":
        return TEXT_DONE
    return DONE


def _cancelled_answer(kind: str) -> object:
    if kind == "alchemy":
        return {"state": "cancelled", "forms": []}
    return {**PROGRESS, "generations": []}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("kind", ["image", "text", "alchemy"])
def test_a_dripping_poll_ends_the_job_at_its_timeout_and_cancels_it(hostile, kind, asynchronous):
    submit, poll, cancel, make, method = KINDS[kind]
    accepted = {"id": JOB_ID} if kind == "alchemy" else {"id": JOB_ID, "kudos": 1}
    hostile.route(submit, lambda seen, reply: reply.json(202, accepted))
    hostile.route(poll, _drip_json(_finished_answer(kind), _cancelled_answer(kind)))
    if cancel != poll:  # image: the status route answers the cancel (and, without a deadline, the result)
        hostile.route(cancel, lambda seen, reply: reply.json(200, {**DONE, "generations": []}))
    with pytest.raises(AIHordeGenerationTimeoutError) as caught:
        _run(hostile.url, method, make(), asynchronous=asynchronous)
    assert caught.value.job_id == JOB_ID
    assert [seen.method for seen in hostile.requests_to(cancel) if seen.method == "DELETE"] == ["DELETE"]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_long_retry_after_on_submit_is_the_jobs_timeout_not_a_rate_limit_error(hostile, asynchronous):
    hostile.route(
        "/api/v2/generate/async",
        lambda seen, reply: reply.json(429, {"message": "Too many requests"}, {"Retry-After": "30"}),
    )
    with pytest.raises(AIHordeGenerationTimeoutError) as caught:
        _run(hostile.url, "image_generate_request", KINDS["image"][3](), asynchronous=asynchronous)
    assert isinstance(caught.value.__cause__, HordeTimeoutError)
    assert len(hostile.requests_to("/api/v2/generate/async")) == 1


def _image_job_answering(hostile, check: object, status: object) -> None:
    hostile.route("/api/v2/generate/async", lambda seen, reply: reply.json(202, {"id": JOB_ID, "kudos": 1}))
    hostile.route("/api/v2/generate/check/", lambda seen, reply: reply.json(200, check))
    hostile.route("/api/v2/generate/status/", lambda seen, reply: reply.json(200, status))


def _status_with_image_at(url: str) -> dict[str, object]:
    worker = "00000000-0000-4000-8000-00000000beef"
    entry = {"img": url, "seed": "1", "id": JOB_ID, "censored": False, "worker_id": worker, "worker_name": "w"}
    return {**DONE, "generations": [{**entry, "model": "m", "state": "ok"}], "shared": False}


def test_a_text_boolean_is_not_a_boolean(hostile):
    # "done": "yes" must not read as done (lenient parsing made it True and fetched a result that is not there).
    _image_job_answering(hostile, {**PROGRESS, "done": "yes"}, _status_with_image_at(f"{hostile.url}/r2/never"))
    with pytest.raises(HordeResponseValidationError, match="done"):
        _run(hostile.url, "image_generate_request", KINDS["image"][3](), asynchronous=False)
    assert hostile.requests_to("/r2/") == []
    assert [seen.method for seen in hostile.requests_to("/api/v2/generate/status/")] == ["DELETE"]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_an_html_page_at_the_result_url_is_not_returned_as_an_image(hostile, asynchronous):
    _image_job_answering(hostile, DONE, _status_with_image_at(f"{hostile.url}/r2/result.webp?X-Amz-Signature=s"))
    page = b"<!DOCTYPE html><html><body>Access denied</body></html>"
    hostile.route("/r2/", lambda seen, reply: reply.send(200, page, {"Content-Type": "text/html"}))
    with pytest.raises(AIHordeInvalidImageError, match="HTML"):
        _run(hostile.url, "image_generate_request", KINDS["image"][3](), asynchronous=asynchronous)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_result_over_the_download_cap_is_a_typed_error(hostile, asynchronous):
    _image_job_answering(hostile, DONE, _status_with_image_at(f"{hostile.url}/r2/huge.webp"))
    hostile.route("/r2/", lambda seen, reply: reply.send(200, b"RIFF" + b"\0" * 300_000))
    options = {"max_download_bytes": 100_000}
    with pytest.raises(AIHordeDownloadError) as caught:
        _run(hostile.url, "image_generate_request", KINDS["image"][3](), asynchronous=asynchronous, **options)
    assert isinstance(caught.value.__cause__, HordeResponseTooLargeError)
    assert len(hostile.requests_to("/r2/")) == 1  # not retried


BOMB_CAP = {"max_download_bytes": 1024 * 1024}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_gzip_bomb_at_the_result_url_stops_at_the_download_cap(hostile, asynchronous):
    # 32 MiB of zeros in 32 KiB of gzip, a 1 MiB cap: the cap is on the decompressed size and reading stops
    # there. The peak of the whole job (its first-use imports included) stayed near 3 MiB (sync) and 7 MiB
    # (async); when httpx decoded each chunk whole, the sync job peaked at the bomb's size twice over.
    _image_job_answering(hostile, DONE, _status_with_image_at(f"{hostile.url}/r2/bomb.webp"))
    bomb = gzip.compress(bytes(32 * 1024 * 1024), 9)
    hostile.route("/r2/", lambda seen, reply: reply.send(200, bomb, {"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        with pytest.raises(AIHordeDownloadError) as caught:
            _run(hostile.url, "image_generate_request", KINDS["image"][3](), asynchronous=asynchronous, **BOMB_CAP)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(caught.value.__cause__, HordeResponseTooLargeError)
    assert caught.value.__cause__.limit == BOMB_CAP["max_download_bytes"]
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes"
