"""Text workers in front of real HTTP text servers: a KoboldAI-compatible and an OpenAI-compatible one.

Each fake server runs on loopback (http.server in a thread) and answers the way KoboldCpp and vLLM do; the worker
is built from a deploy configuration naming the bridge, exactly as ``horde-worker run`` builds it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv
from pydantic import SecretStr

from horde_sdk.ai_horde_api import AIHordeAPIAsyncSimpleClient
from horde_sdk.ai_horde_api.apimodels import TextGenerateAsyncRequest
from horde_sdk.deploy_config import TextWorkerDeployConfig
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime

pytestmark = pytest.mark.anyio

SERVED_MODEL = "koboldcpp/Tiny-Story-7B"
BEARER = "text-server-token-123"


class FakeTextServer(BaseHTTPRequestHandler):
    """KoboldAI: GET /api/v1/model, POST /api/v1/generate. OpenAI: GET /v1/models, POST /v1/completions."""

    received: list[tuple[str, dict[str, Any], str | None]]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        del format, args

    def _answer(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/api/v1/model":
            self._answer({"result": SERVED_MODEL})
        elif self.path == "/v1/models":
            self._answer({"object": "list", "data": [{"id": "tiny-story", "object": "model"}]})
        else:
            self._answer({"detail": "not found"}, 404)

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, payload, self.headers.get("Authorization")))
        if self.path == "/api/v1/generate":
            self._answer({"results": [{"text": f" kobold continues ({payload['max_length']} tokens)"}]})
        elif self.path == "/v1/completions":
            texts = [{"index": index, "text": f" openai continues #{index}"} for index in range(payload.get("n", 1))]
            self._answer({"object": "text_completion", "choices": texts})
        else:
            self._answer({"detail": "not found"}, 404)


@pytest.fixture
def text_server() -> Iterator[tuple[str, list[tuple[str, dict[str, Any], str | None]]]]:
    received: list[tuple[str, dict[str, Any], str | None]] = []
    handler = type("Handler", (FakeTextServer,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


async def _generate(horde: HordeEnv, runtime: WorkerRuntime, model: str, n: int = 1) -> list[str]:
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        with anyio.fail_after(10):
            await runtime.wait_ready()
        async with AIHordeAPIAsyncSimpleClient(
            base_url=horde.base_url, api_key=KEYS["alice"].key, enforce_rate_limits=False, timeouts=TIMEOUTS
        ) as client:
            result = await client.text_generate_request(
                TextGenerateAsyncRequest(prompt="The keeper said", models=(model,), params={"n": n, "max_length": 50})  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
            )
        runtime.request_stop()
    return [generation.text for generation in result.generations]


async def test_a_scribe_in_front_of_a_koboldai_server(
    horde: HordeEnv, text_server: tuple[str, list[tuple[str, dict[str, Any], str | None]]]
) -> None:
    url, received = text_server
    config = TextWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        scribe_name="kobold-scribe",
        kai_url=url,
        max_context_length=4096,
    )
    runtime = WorkerRuntime.from_config(config, options=RuntimeOptions(pop_interval=0.02))
    # No model_name in the configuration: the worker asks the server which model it runs.
    texts = await _generate(horde, runtime, SERVED_MODEL)
    assert texts == [" kobold continues (50 tokens)"]
    path, payload, authorization = received[0]
    assert path == "/api/v1/generate"
    assert payload["prompt"] == "The keeper said"
    assert authorization is None
    assert runtime.summary().submitted == 1
    assert horde.horde.worker_counts("kobold-scribe").in_flight == 0


async def test_a_scribe_in_front_of_an_openai_compatible_server(
    horde: HordeEnv, text_server: tuple[str, list[tuple[str, dict[str, Any], str | None]]]
) -> None:
    url, received = text_server
    config = TextWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        scribe_name="openai-scribe",
        kai_url=url,
        text_backend="openai",
        text_backend_api_key=SecretStr(BEARER),
        model_name="tiny-story",
        max_context_length=4096,
    )
    runtime = WorkerRuntime.from_config(config, options=RuntimeOptions(pop_interval=0.02))
    texts = await _generate(horde, runtime, "tiny-story", n=2)
    assert len(texts) == 2
    assert all(text.startswith(" openai continues #") for text in texts)
    path, payload, authorization = received[0]
    assert path == "/v1/completions"
    assert payload["model"] == "tiny-story"
    assert payload["max_tokens"] == 50
    assert authorization == f"Bearer {BEARER}"
    assert horde.horde.worker_counts("openai-scribe").in_flight == 0
