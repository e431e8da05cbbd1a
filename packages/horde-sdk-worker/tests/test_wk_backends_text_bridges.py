"""The HTTP text bridges (KoboldAI, OpenAI completions) against an httpx.MockTransport server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from horde_sdk.generation_parameters import TextGenerationParameters
from horde_sdk.worker.backends import (
    BackendError,
    KoboldAITextBackend,
    OpenAICompletionsTextBackend,
    TextBackend,
    TextJobInput,
)

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1:5001"
SECRET = "sk-very-secret-key-123"
PROMPT = "The secret prompt of the user about a lighthouse"

Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """Records the requests and answers with a handler."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


def text_job(**parameters: Any) -> TextJobInput:
    parameters.setdefault("prompt", PROMPT)
    return TextJobInput(job_id="job-1", parameters=TextGenerationParameters.model_validate(parameters), model="m")


def kobold_results(request: httpx.Request) -> httpx.Response:
    n = json.loads(request.content).get("n", 1)
    return httpx.Response(200, json={"results": [{"text": f" text {i}"} for i in range(n)]})


def openai_choices(request: httpx.Request) -> httpx.Response:
    n = json.loads(request.content).get("n", 1)
    choices = [{"index": i, "text": f" choice {i}", "finish_reason": "length"} for i in reversed(range(n))]
    return httpx.Response(200, json={"id": "cmpl-1", "object": "text_completion", "choices": choices})


# --- KoboldAI ------------------------------------------------------------------------------------------------


async def test_kobold_sends_the_payload_with_only_the_set_fields() -> None:
    server = Server(kobold_results)
    job = text_job(
        max_length=80,
        max_context_length=1024,
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        rep_pen=1.1,
        rep_pen_range=320,
        sampler_order=[6, 0, 1, 3, 4, 2, 5],
        stop_sequences=["\nUser:"],
        min_p=0.05,
        use_default_badwordsids=False,
        formatting_options=["frmttriminc"],
        batch_size=2,
    )
    async with KoboldAITextBackend(URL, http_client=server.client()) as backend:
        texts = await backend.generate_texts(job)
    assert texts == (" text 0", " text 1")
    (request,) = server.requests
    assert request.method == "POST"
    assert str(request.url) == f"{URL}/api/v1/generate"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    assert server.bodies()[0] == {
        "prompt": PROMPT,
        "n": 2,
        "max_length": 80,
        "max_context_length": 1024,
        "temperature": 0.7,
        "top_p": 0.9,
        "top_k": 40,
        "rep_pen": 1.1,
        "rep_pen_range": 320,
        "sampler_order": [6, 0, 1, 3, 4, 2, 5],
        "stop_sequence": ["\nUser:"],
        "min_p": 0.05,
        "use_default_badwordsids": False,
        "frmttriminc": True,
    }


async def test_kobold_tops_up_a_short_batch() -> None:
    def one_at_a_time(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [{"text": f"#{len(server.requests)}"}]})

    server = Server(one_at_a_time)
    async with KoboldAITextBackend(URL, http_client=server.client()) as backend:
        texts = await backend.generate_texts(text_job(batch_size=3))
    assert texts == ("#1", "#2", "#3")
    assert [body["n"] for body in server.bodies()] == [3, 2, 1]


async def test_kobold_extra_results_are_cut_to_the_batch() -> None:
    server = Server(lambda request: httpx.Response(200, json={"results": [{"text": "a"}, {"text": "b"}]}))
    async with KoboldAITextBackend(URL, http_client=server.client()) as backend:
        assert await backend.generate_texts(text_job(batch_size=1)) == ("a",)


async def test_kobold_no_results_is_an_error_not_a_loop() -> None:
    server = Server(lambda request: httpx.Response(200, json={"results": []}))
    async with KoboldAITextBackend(URL, http_client=server.client()) as backend:
        with pytest.raises(BackendError, match="no text"):
            await backend.generate_texts(text_job())
    assert len(server.requests) == 1


async def test_kobold_sends_the_key_as_bearer_and_never_shows_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = Server(lambda request: httpx.Response(500, text=f"boom {PROMPT} {SECRET}"))
    backend = KoboldAITextBackend(URL, api_key=SECRET, http_client=server.client())
    assert SECRET not in repr(backend)
    assert "api_key=set" in repr(backend)
    async with backend:
        with pytest.raises(BackendError) as caught:
            await backend.generate_texts(text_job())
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    message = str(caught.value)
    assert "500" in message
    assert SECRET not in message
    assert PROMPT not in message
    assert "lighthouse" not in message
    assert caplog.records  # the refusal is logged...
    assert SECRET not in caplog.text  # ...without the key or the prompt
    assert "lighthouse" not in caplog.text


async def test_kobold_fetches_the_model_name() -> None:
    server = Server(lambda request: httpx.Response(200, json={"result": "koboldcpp/Mistral-7B"}))
    async with KoboldAITextBackend(URL + "/", http_client=server.client()) as backend:
        assert await backend.fetch_model_name() == "koboldcpp/Mistral-7B"
    (request,) = server.requests
    assert request.method == "GET"
    assert str(request.url) == f"{URL}/api/v1/model"
    assert request.content == b""


async def test_fetch_model_name_works_outside_the_async_context() -> None:
    server = Server(lambda request: httpx.Response(200, json={"result": "koboldcpp/Name"}))
    client = server.client()
    assert await KoboldAITextBackend(URL, http_client=client).fetch_model_name() == "koboldcpp/Name"
    assert not client.is_closed  # an injected client belongs to its owner
    await client.aclose()


async def test_kobold_model_answer_without_a_name_is_an_error() -> None:
    server = Server(lambda request: httpx.Response(200, json={"result": ""}))
    async with KoboldAITextBackend(URL, http_client=server.client()) as backend:
        with pytest.raises(BackendError, match="model name"):
            await backend.fetch_model_name()


# --- error mapping (shared) ----------------------------------------------------------------------------------


def raise_connect_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("timed out", request=request)


def raise_connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("handler", "pattern"),
    [
        (lambda request: httpx.Response(500, json={"detail": PROMPT}), "HTTP 500 Internal Server Error"),
        (lambda request: httpx.Response(401, json={"detail": "bad key"}), "HTTP 401 Unauthorized"),
        (lambda request: httpx.Response(200, content=b"<html>not json</html>"), "not JSON"),
        (lambda request: httpx.Response(200, json={"unexpected": True}), "malformed answer"),
        (lambda request: httpx.Response(200, json={"results": [{"txt": "x"}]}), "malformed answer"),
        (raise_connect_timeout, "timeout"),
        (raise_connect_error, "no answer \\(connection"),
    ],
)
@pytest.mark.parametrize("bridge", ["koboldai", "openai"])
async def test_errors_become_backend_errors_without_secrets(handler: Handler, pattern: str, bridge: str) -> None:
    server = Server(handler)
    backend: KoboldAITextBackend | OpenAICompletionsTextBackend
    if bridge == "koboldai":
        backend = KoboldAITextBackend(URL, api_key=SECRET, http_client=server.client())
    else:
        backend = OpenAICompletionsTextBackend(URL, model="m", api_key=SECRET, http_client=server.client())
    async with backend:
        with pytest.raises(BackendError, match=pattern) as caught:
            await backend.generate_texts(text_job())
    message = str(caught.value)
    assert message.startswith(bridge)
    assert SECRET not in message
    assert PROMPT not in message


# --- OpenAI --------------------------------------------------------------------------------------------------


async def test_openai_sends_the_completions_payload_and_orders_choices_by_index() -> None:
    server = Server(openai_choices)
    job = text_job(max_length=64, temperature=0.5, top_p=0.8, top_k=20, stop_sequences=["###"], batch_size=3)
    async with OpenAICompletionsTextBackend(URL, model="llama-3-8b", http_client=server.client()) as backend:
        texts = await backend.generate_texts(job)
    assert texts == (" choice 0", " choice 1", " choice 2")
    (request,) = server.requests
    assert str(request.url) == f"{URL}/v1/completions"
    assert "authorization" not in request.headers
    assert server.bodies()[0] == {
        "model": "llama-3-8b",
        "prompt": PROMPT,
        "max_tokens": 64,
        "n": 3,
        "temperature": 0.5,
        "top_p": 0.8,
        "top_k": 20,
        "stop": ["###"],
    }


async def test_openai_bearer_header_only_with_a_key() -> None:
    server = Server(openai_choices)
    backend = OpenAICompletionsTextBackend(URL, model="m", api_key=SECRET, http_client=server.client())
    assert SECRET not in repr(backend)
    async with backend:
        await backend.generate_texts(text_job())
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_openai_tops_up_a_short_batch() -> None:
    server = Server(lambda request: httpx.Response(200, json={"choices": [{"index": 0, "text": "x"}]}))
    async with OpenAICompletionsTextBackend(URL, model="m", http_client=server.client()) as backend:
        assert await backend.generate_texts(text_job(batch_size=2)) == ("x", "x")
    assert [body["n"] for body in server.bodies()] == [2, 1]


async def test_openai_fetches_the_first_model_id() -> None:
    answer = {"object": "list", "data": [{"id": "llama-3-8b", "object": "model"}, {"id": "other"}]}
    server = Server(lambda request: httpx.Response(200, json=answer))
    async with OpenAICompletionsTextBackend(URL, model="m", api_key=SECRET, http_client=server.client()) as backend:
        assert await backend.fetch_model_name() == "llama-3-8b"
    (request,) = server.requests
    assert request.method == "GET"
    assert str(request.url) == f"{URL}/v1/models"
    assert request.headers["authorization"] == f"Bearer {SECRET}"


async def test_openai_models_answer_without_models_is_an_error() -> None:
    server = Server(lambda request: httpx.Response(200, json={"data": []}))
    async with OpenAICompletionsTextBackend(URL, model="m", http_client=server.client()) as backend:
        with pytest.raises(BackendError, match="no model listed"):
            await backend.fetch_model_name()


def test_bridges_satisfy_the_text_backend_protocol() -> None:
    assert isinstance(KoboldAITextBackend(URL), TextBackend)
    assert isinstance(OpenAICompletionsTextBackend(URL, model="m"), TextBackend)
    assert KoboldAITextBackend.name == "koboldai"
    assert OpenAICompletionsTextBackend.name == "openai"
