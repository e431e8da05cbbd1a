"""Every answer the local horde gives matches the swagger, so it cannot drift from the contract silently.

A scripted run reaches every implemented route; each recorded 2xx answer is checked against the schema the
swagger gives that operation and status, after applying the documented server/swagger differences
(``SERVER_DIFFERENCES`` of the ai-horde-api tests, imported from that file: one source of truth). Error
answers are checked against the swagger's error schemas where it declares the status.

Checking rules: an undocumented field is an error; a required field must be present and not null; optional
fields may be null (the real server marshals missing values as null); a flask-restx wildcard (``*``) of type
object accepts any JSON value (the real server puts strings there, e.g. alchemy results).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from horde_local import Behaviour
from horde_local.app import ROUTES
from horde_local.testing import HordeEnv

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    AlchemyStatusRequest,
    AllActiveModelsRequest,
    AllUsersDetailsRequest,
    AllWorkerMessagesRequest,
    AllWorkerMessagesResponse,
    AllWorkersDetailsRequest,
    AllWorkersDetailsResponse,
    DeleteAlchemyRequest,
    DeleteImageGenerateRequest,
    DeleteTextGenerateRequest,
    DeleteWorkerMessageRequest,
    FindUserRequest,
    HordeHeartbeatRequest,
    HordePerformanceRequest,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateStatusRequest,
    ModifyWorkerRequest,
    NewsRequest,
    SendWorkerMessageRequest,
    SimpleResponse,
    SingleActiveModelRequest,
    SingleUserDetailsRequest,
    SingleWorkerDetailsRequest,
    SingleWorkerDetailsResponse,
    SingleWorkerMessageRequest,
    SingleWorkerNameDetailsRequest,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateStatusRequest,
    WorkerMessageResponse,
)
from horde_sdk.ai_horde_api.exceptions import HordeError
from horde_sdk.ai_horde_api.fields import JobID, UserID, WorkerID

_AHA_CONFTEST = Path(__file__).resolve().parents[2] / "packages" / "horde-sdk-ai-horde-api" / "tests" / "conftest.py"


def _aha_tests_conftest() -> ModuleType:
    """The ai-horde-api tests' conftest (SERVER_DIFFERENCES and the Swagger helper), loaded by path."""
    name = "_aha_tests_conftest_for_local_horde"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _AHA_CONFTEST)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def problems(swagger: Any, value: Any, schema: dict[str, Any], where: str) -> list[str]:  # noqa: PLR0911, PLR0912
    """Return why ``value`` does not match ``schema`` (empty when it does)."""
    schema = swagger.resolve(schema)
    if "allOf" in schema or "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        properties, required = swagger.flatten(schema)
        if swagger.is_wildcard(properties):
            wildcard = swagger.resolve(properties["*"])
            if wildcard.get("type") == "object":
                return []
            return [p for key, item in value.items() for p in problems(swagger, item, wildcard, f"{where}.{key}")]
        found = [f"{where}: required {name!r} missing or null" for name in sorted(required) if value.get(name) is None]
        for key, item in value.items():
            if key not in properties:
                found.append(f"{where}: undocumented field {key!r}")
            elif item is not None:
                found.extend(problems(swagger, item, properties[key], f"{where}.{key}"))
        return found
    kind = schema.get("type")
    if kind is None:
        return []
    expected = _TYPES[kind]
    if not isinstance(value, expected) or (kind in ("integer", "number") and isinstance(value, bool)):
        return [f"{where}: expected {kind}, got {type(value).__name__} {value!r:.60}"]
    if kind == "array":
        return [
            p
            for i, item in enumerate(value)
            for p in problems(swagger, item, schema.get("items", {}), f"{where}[{i}]")
        ]
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return [p for key, item in value.items() for p in problems(swagger, item, extra, f"{where}.{key}")]
        return []
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of the swagger's enum values"]
    if kind in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return [f"{where}: {value} below the minimum {schema['minimum']}"]
        if "maximum" in schema and value > schema["maximum"]:
            return [f"{where}: {value} above the maximum {schema['maximum']}"]
    return []


def _exercise_every_route(horde: HordeEnv) -> None:
    """Reach every implemented route with answers of every shape (jobs, empty pops, cancels, errors)."""
    client = horde.client()
    worker = horde.worker(models=("stable_diffusion",))
    text_worker = horde.worker("text-worker", models=("koboldcpp/tiny",))
    alchemist = horde.worker("alchemist", amount=3)
    worker.pop_image()
    text_worker.pop_text()
    alchemist.pop_alchemy()
    client.submit_request(ImageGenerateAsyncRequest(prompt="dry", dry_run=True))
    client.submit_request(TextGenerateAsyncRequest(prompt="dry", dry_run=True))
    image = client.submit_request(
        ImageGenerateAsyncRequest.model_validate({"prompt": "an owl", "params": {"n": 2, "loras": [{"name": "x"}]}}),
        ImageGenerateAsyncResponse,
    )
    assert image.id_ is not None
    plain = client.submit_request(ImageGenerateAsyncRequest(prompt="plain", r2=False), ImageGenerateAsyncResponse)
    assert plain.id_ is not None
    text = client.submit_request(TextGenerateAsyncRequest(prompt="a story"), TextGenerateAsyncResponse)
    assert text.id_ is not None
    alchemy = client.submit_request(
        AlchemyAsyncRequest.model_validate(
            {
                "source_image": base64.b64encode(b"img").decode(),
                "forms": [{"name": "caption"}, {"name": "RealESRGAN_x2plus"}, {"name": "nsfw"}],
            }
        ),
        AlchemyAsyncResponse,
    )
    assert alchemy.id_ is not None
    client.submit_request(ImageGenerateCheckRequest(id_=image.id_), ImageGenerateCheckResponse)
    worker.work_image()
    horde.worker("censor", behaviour=Behaviour.censored).work_image()
    worker.work_image()
    text_worker.work_text()
    alchemist.work_alchemy()
    for request in (
        ImageGenerateStatusRequest(id_=image.id_),
        ImageGenerateStatusRequest(id_=plain.id_),
        DeleteImageGenerateRequest(id_=image.id_),
        TextGenerateStatusRequest(id_=text.id_),
        DeleteTextGenerateRequest(id_=text.id_),
        AlchemyStatusRequest(id_=alchemy.id_),
        DeleteAlchemyRequest(id_=alchemy.id_),
        HordeHeartbeatRequest(),
        HordePerformanceRequest(),
        AllActiveModelsRequest(),
        AllActiveModelsRequest(type_="text"),
        SingleActiveModelRequest(model_name="stable_diffusion"),
        NewsRequest(),
        FindUserRequest(),
        AllUsersDetailsRequest(),
        SingleUserDetailsRequest(user_id=UserID(1)),
        AllWorkersDetailsRequest(),
        SingleWorkerNameDetailsRequest(worker_name="alchemist"),
    ):
        client.submit_request(request)
    for listed in client.submit_request(AllWorkersDetailsRequest(), AllWorkersDetailsResponse).root:
        assert listed.id_ is not None
        client.submit_request(SingleWorkerDetailsRequest(worker_id=listed.id_), SingleWorkerDetailsResponse)
    owner = horde.client("worker")
    alchemist_id = client.submit_request(
        SingleWorkerNameDetailsRequest(worker_name="alchemist"), SingleWorkerDetailsResponse
    ).id_
    assert alchemist_id is not None
    for change in (
        ModifyWorkerRequest(worker_id=alchemist_id, maintenance=True, maintenance_msg="back soon", info="a note"),
        ModifyWorkerRequest(worker_id=alchemist_id, maintenance=False),
    ):
        owner.submit_request(change)
    message = owner.submit_request(
        SendWorkerMessageRequest(worker_id_=alchemist_id, message="hello"), WorkerMessageResponse
    )
    owner.submit_request(AllWorkerMessagesRequest(), AllWorkerMessagesResponse)
    client.submit_request(SingleWorkerMessageRequest(message_id=message.id_), WorkerMessageResponse)
    owner.submit_request(DeleteWorkerMessageRequest(message_id=message.id_), SimpleResponse)
    for failing in (
        ImageGenerateCheckRequest(id_=JobID("no-such-request")),
        SingleWorkerNameDetailsRequest(worker_name="nobody"),
        ModifyWorkerRequest(worker_id=WorkerID("00000000-0000-4000-8000-000000000000"), maintenance=True),
        ModifyWorkerRequest(worker_id=alchemist_id, paused=True),
        ImageGenerateAsyncRequest(prompt="x", params={"steps": 200}, apikey="poor-key-0000002"),  # type: ignore[arg-type]  # a plain mapping as users write it: validation builds the payload
    ):
        with contextlib.suppress(HordeError):
            client.submit_request(failing)


def test_every_answer_matches_the_swagger(horde: HordeEnv, horde_swagger: dict[str, Any]) -> None:
    aha = _aha_tests_conftest()
    swagger = aha.Swagger(horde_swagger)
    horde.horde.recorded = []
    _exercise_every_route(horde)
    recorded = list(horde.horde.recorded)
    found: list[str] = []
    reached: set[tuple[str, str]] = set()
    for method, template, status, body in recorded:
        operation = swagger.operation(f"{method} {template}")
        answers = operation.spec.get("responses", {})
        where = f"{method} {template} -> {status}"
        if 200 <= status < 300:
            reached.add((method, template))
            assert str(status) in answers, f"{where}: the swagger declares no such status"
            schema = answers[str(status)].get("schema")
            if schema is not None:
                found.extend(problems(swagger, body, schema, where))
        elif str(status) in answers and answers[str(status)].get("schema") is not None:
            found.extend(problems(swagger, body, answers[str(status)]["schema"], where))
        else:
            assert isinstance(body, dict), where
            assert isinstance(body.get("message"), str), where
    assert found == []
    implemented = {(method, template) for _, template, handlers in ROUTES for method in handlers}
    assert implemented - reached == set()


def test_the_swagger_knows_every_implemented_route(horde_swagger: dict[str, Any]) -> None:
    swagger = _aha_tests_conftest().Swagger(horde_swagger)
    for _, template, handlers in ROUTES:
        for method in handlers:
            swagger.operation(f"{method} {template}")


def test_the_checker_catches_drift(horde_swagger: dict[str, Any]) -> None:
    swagger = _aha_tests_conftest().Swagger(horde_swagger)
    schema = swagger.operation("GET /v2/generate/check/{id}").spec["responses"]["200"]["schema"]
    assert problems(swagger, {"done": True, "finished": 1}, schema, "check") == []
    assert problems(swagger, {"done": "yes"}, schema, "check") != []
    assert problems(swagger, {"done": True, "surprise": 1}, schema, "check") == [
        "check: undocumented field 'surprise'"
    ]
    pop = swagger.operation("POST /v2/generate/pop").spec["responses"]["200"]["schema"]
    assert problems(swagger, {"ids": [1]}, pop, "pop") != []
