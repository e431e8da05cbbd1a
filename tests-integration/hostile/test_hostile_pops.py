"""Hostile pops: a running worker handed malformed pop answers for real jobs keeps working and reports each job.

The local horde hands out a real job and a `ScriptedRewrite` turns its pop answer into a malformed one (a negative
ttl, a repeated id, wrong types, a missing payload, an absurd size, a model never offered...). For every shape
the same worker keeps running and the job's generation id ends reported (``faulted``, or submitted when the
shape is harmless); only an answer in which no id can be found cannot be reported, and it costs one pop error.
"""

from __future__ import annotations

import base64
import functools
import io
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from horde_local import ScriptedRewrite
from horde_local.testing import KEYS, HordeEnv
from PIL import Image
from pydantic import SecretStr

from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    DeleteAlchemyRequest,
    DeleteImageGenerateRequest,
    DeleteTextGenerateRequest,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
)
from horde_sdk.deploy_config import CombinedWorkerDeployConfig, ModelSelection
from horde_sdk.worker.backends import (
    DemoAlchemyBackend,
    DemoImageBackend,
    DemoTextBackend,
    ImageBackendResult,
    ImageJobInput,
)
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime, censored_placeholder_webp

pytestmark = pytest.mark.anyio

MODEL = "Test Model"
TEXT_MODEL = "test/text-model"
FAST = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, pop_error_backoff=0.02, summary_interval=0)
FAULTED = frozenset({"faulted"})
SUBMITTED = frozenset({"done"})
REPORTED = FAULTED | SUBMITTED
"""Harmless shapes: the job runs (or, under the test suite's strict models that refuse unknown fields, is faulted)."""

Rewrite = Callable[[dict[str, Any]], Any]


def _set(**values: Any) -> Rewrite:
    def rewrite(body: dict[str, Any]) -> Any:
        body.update(values)
        return body

    return rewrite


def _payload(**values: Any) -> Rewrite:
    def rewrite(body: dict[str, Any]) -> Any:
        body["payload"].update(values)
        return body

    return rewrite


def _without(key: str) -> Rewrite:
    def rewrite(body: dict[str, Any]) -> Any:
        del body[key]
        return body

    return rewrite


def _ids(make: Callable[[str], Any]) -> Rewrite:
    def rewrite(body: dict[str, Any]) -> Any:
        body["ids"] = make(body["ids"][0])
        return body

    return rewrite


IMAGE_SHAPES: dict[str, tuple[Rewrite, frozenset[str]]] = {
    "negative ttl": (_set(ttl=-5), FAULTED),
    "zero ttl": (_set(ttl=0), FAULTED),
    "huge ttl": (_set(ttl=10**15), FAULTED),
    "ttl as text": (_set(ttl="soon"), FAULTED),
    "fractional ttl": (_set(ttl=150.5), FAULTED),
    "repeated id": (_ids(lambda first: [first, first]), FAULTED),
    "ids as text": (_ids(lambda first: first), FAULTED),
    "ids holding a number": (_ids(lambda first: [first, 42]), FAULTED),
    "more ids than the horde hands out": (
        _ids(lambda first: [first, *(str(uuid.uuid4()) for _ in range(20))]),
        FAULTED,
    ),
    "ids without id": (_without("id"), SUBMITTED),  # ids is what counts; id is its first entry
    "no payload": (_without("payload"), FAULTED),
    "payload as text": (_set(payload="garbage"), FAULTED),
    "garbage fields": (_set(zz_garbage={"nested": [1, 2, {"x": None}]}, another=[None]), REPORTED),
    "absurd size": (_payload(width=10**6, height=10**6), FAULTED),
    "absurd n": (_payload(n_iter=10**9), SUBMITTED),  # the job is one image per id; n_iter is not used
    "wrong type of steps": (_payload(ddim_steps="many"), FAULTED),
    "unknown model": (_set(model="A Model Nobody Offered"), FAULTED),
    "source image neither URL nor base64": (_set(source_image="ftp://example.invalid/x.png"), FAULTED),
    "source image URL without a host": (_set(source_image="http://"), FAULTED),
    "unknown source processing without a source": (_set(source_processing="inpainting"), FAULTED),
}

TEXT_SHAPES: dict[str, tuple[Rewrite, frozenset[str]]] = {
    "negative ttl": (_set(ttl=-5), FAULTED),
    "repeated id": (_ids(lambda first: [first, first, first]), FAULTED),
    "unknown model": (_set(model="someone/else"), FAULTED),
    "payload as a list": (_set(payload=[1, 2]), FAULTED),
}

ALCHEMY_SHAPES: dict[str, tuple[Rewrite, frozenset[str]]] = {
    "form of the wrong type, its id repeated": (
        lambda body: {**body, "forms": [{**body["forms"][0], "form": 42}, body["forms"][0]]},
        FAULTED,
    ),
}


class InstantImageBackend(DemoImageBackend):
    """The same small WebP for every image, at once: the jobs of this test are about pops, not pictures."""

    runs_safety_check = False

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        return ImageBackendResult(images=tuple(censored_placeholder_webp() for _ in job.seeds))


def _has_job(body: Any) -> bool:
    return isinstance(body, dict) and bool(body.get("ids") or body.get("forms"))


class Recorder:
    """Wraps a rewrite; remembers the generation id of the pop it changed."""

    def __init__(self, rewrite: Rewrite) -> None:
        self.rewrite = rewrite
        self.ids: list[str] = []

    def __call__(self, body: dict[str, Any]) -> Any:
        if "forms" in body:
            self.ids += [form["id"] for form in body["forms"]]
        else:
            self.ids.append(body["ids"][0])
        return self.rewrite(body)


def _state(horde: HordeEnv, generation_id: str) -> str | None:
    with horde.horde.lock:
        generation = horde.horde.state.generations.get(generation_id)
        return None if generation is None else generation.state


async def _wait_for(predicate: Callable[[], bool], what: Callable[[], str], seconds: float = 10.0) -> None:
    try:
        with anyio.fail_after(seconds):
            while not predicate():  # noqa: ASYNC110 - polls the horde's state, no event to wait for
                await anyio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what()}") from None


def _config(horde: HordeEnv) -> CombinedWorkerDeployConfig:
    return CombinedWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        dreamer_name="hostile-dreamer",
        scribe_name="hostile-scribe",
        alchemist_name="hostile-alchemist",
        models_to_load=ModelSelection.model_validate([MODEL]),
        model_name=TEXT_MODEL,
        max_context_length=4096,
        max_length=200,
        forms=("caption",),
        max_threads=4,
        queue_size=0,
    )


async def _ask(requester: AIHordeAPIAsyncManualClient, kind: str) -> Any:
    """Create a request of `kind`; return the request that cancels it."""
    if kind == "image":
        image = await requester.submit_request(
            ImageGenerateAsyncRequest(prompt="a hostile test", models=(MODEL,), params={"width": 64, "height": 64}),  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
            ImageGenerateAsyncResponse,
        )
        assert image.id_ is not None
        return DeleteImageGenerateRequest(id_=image.id_)
    if kind == "text":
        text = await requester.submit_request(
            TextGenerateAsyncRequest(prompt="Once", models=(TEXT_MODEL,), params={"max_length": 16}),  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
            TextGenerateAsyncResponse,
        )
        assert text.id_ is not None
        return DeleteTextGenerateRequest(id_=text.id_)
    alchemy = await requester.submit_request(
        AlchemyAsyncRequest(forms=[{"name": "caption"}], source_image=_png_b64()),  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
        AlchemyAsyncResponse,
    )
    assert alchemy.id_ is not None
    return DeleteAlchemyRequest(id_=alchemy.id_)


def _png_b64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def _shapes(horde: HordeEnv, kind: str, path: str, shapes: dict[str, tuple[Rewrite, frozenset[str]]]) -> None:
    """Hand the worker one malformed pop per shape (all at once); wait until each job ended as expected."""
    recorders = {name: Recorder(rewrite) for name, (rewrite, _) in shapes.items()}
    horde.horde.script_rewrites(
        *(ScriptedRewrite("POST", path, recorder, applies=_has_job) for recorder in recorders.values())
    )
    async with horde.async_client("alice") as requester:
        cancels = [await _ask(requester, kind) for _ in shapes]
        for name, (_, expected) in shapes.items():
            recorder = recorders[name]
            await _wait_for(lambda recorder=recorder: bool(recorder.ids), lambda name=name: f"{kind} {name}: its pop")  # type: ignore[misc]  # a default argument pins the loop variable; mypy cannot type such a lambda
            for generation_id in recorder.ids:
                state = functools.partial(_state, horde, generation_id)
                await _wait_for(
                    lambda state=state, expected=expected: state() in expected,  # type: ignore[misc]  # a default argument pins the loop variable; mypy cannot type such a lambda
                    lambda state=state, name=name, expected=expected: (  # type: ignore[misc]  # a default argument pins the loop variable; mypy cannot type such a lambda
                        f"{kind} {name}: a generation to be {sorted(expected)} (it is {state()})"
                    ),
                )
        for cancel in cancels:  # the faulted jobs would be handed out again
            await requester.submit_request(cancel)


async def test_the_worker_survives_every_malformed_pop_and_reports_each_job(horde: HordeEnv) -> None:
    runtime = WorkerRuntime(
        _config(horde),
        image_backend=InstantImageBackend(),
        text_backend=DemoTextBackend(),
        alchemy_backend=DemoAlchemyBackend(),
        options=FAST,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        with anyio.fail_after(10):
            await runtime.wait_ready()
        await _shapes(horde, "image", "/v2/generate/pop", IMAGE_SHAPES)
        await _shapes(horde, "text", "/v2/generate/text/pop", TEXT_SHAPES)
        await _shapes(horde, "alchemy", "/v2/interrogate/pop", ALCHEMY_SHAPES)
        # An answer holding no id cannot be reported: it costs a pop error, and the worker goes on.
        errors_before = runtime.summary().pop_errors
        horde.horde.script_rewrites(ScriptedRewrite("POST", "/v2/generate/pop", lambda _body: ["not", "a", "job"]))
        await _wait_for(
            lambda: runtime.summary().pop_errors > errors_before, lambda: "the unreadable pop to be counted"
        )
        # Still working: a plain job is submitted.
        await _shapes(horde, "image", "/v2/generate/pop", {"a plain job": (lambda body: body, SUBMITTED)})
        runtime.request_stop()
    summary = runtime.summary()
    shapes = (*IMAGE_SHAPES.values(), *TEXT_SHAPES.values(), *ALCHEMY_SHAPES.values())
    faulted_shapes = sum(expected == FAULTED for _, expected in shapes)
    assert summary.faulted >= faulted_shapes, summary
    assert summary.unreported == 0, summary
