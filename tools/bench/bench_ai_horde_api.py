"""Benchmarks of horde_sdk.ai_horde_api. Prints figures; asserts nothing.

- cold ``import horde_sdk.ai_horde_api`` (target: at most 0.3 s), measured in a clean venv holding only
  horde-sdk-ai-horde-api and its sibling distributions (horde-sdk-generic-api, horde-sdk-generation-parameters);
- cold import of the whole model surface: ``horde_sdk.ai_horde_api.apimodels`` with every exported name touched;
- parse throughput of a large answer: the ``GET /v2/workers`` list with 300 workers built from the swagger's
  ``WorkerDetails`` example, parsed with ``model_validate_json`` (first parse, which builds the validators, apart).

Usage: ``hatch run python tools/bench/bench_ai_horde_api.py [--workers N] [--rounds N] [--swagger PATH]``
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, clean_venv, cold_import_ms

DISTRIBUTIONS = ("horde-sdk-ai-horde-api", "horde-sdk-generic-api", "horde-sdk-generation-parameters")
IMPORT_TARGET_MS = 300.0
TOUCH_EVERY_NAME = "import horde_sdk.ai_horde_api.apimodels as m\nfor n in m.__all__:\n    getattr(m, n)"


def find_swagger() -> Path:
    """Locate the swagger the way the root conftest does."""
    from_env = os.environ.get("HORDE_SWAGGER_JSON")
    candidates = [Path(from_env)] if from_env else []
    candidates += [REPO.parent / "shared" / "ai_horde" / "swagger.json", REPO / "tools" / ".cache" / "swagger.json"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SystemExit("no swagger.json found; run `python tools/refresh_swagger.py` first")


class Examples:
    """A small swagger example builder: swagger examples, first enum values, values within the bounds."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:  # noqa: ANN401, PLR0911 - JSON by type
        """Return an example value for ``schema``."""
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[-1]]
        if depth > 8:
            return None
        if "allOf" in schema or "properties" in schema:
            merged: dict[str, Any] = {}
            for part in schema.get("allOf", []):
                merged.update(self.value(part, depth + 1))
            merged.update({k: self.value(v, depth + 1) for k, v in schema.get("properties", {}).items()})
            return merged
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "array":
            return [self.value(schema.get("items", {}), depth + 1)]
        if kind == "object":
            extra = schema.get("additionalProperties")
            return {"key": self.value(extra, depth + 1)} if isinstance(extra, dict) else {}
        if "example" in schema and kind != "string":
            return schema["example"]
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return float(schema.get("minimum", 1.5))
        if kind == "boolean":
            return True
        text = str(schema.get("example", "example"))
        if schema.get("format") == "date-time":
            return "2024-05-01T12:00:00Z"
        text = text.ljust(schema.get("minLength", 0), "x")
        return text[: schema["maxLength"]] if "maxLength" in schema else text


def workers_response_type() -> type[Any]:
    """The response class of ``GET /v2/workers``."""
    from horde_sdk.ai_horde_api import apimodels
    from horde_sdk.generic_api.apimodels import HordeRequest

    for name in apimodels.__all__:
        value = getattr(apimodels, name)
        if (
            inspect.isclass(value)
            and issubclass(value, HordeRequest)
            and not inspect.isabstract(value)
            and str(value.get_http_method()) == "GET"
            and str(value.get_api_endpoint_subpath()) == "/v2/workers"
        ):
            answer: type[Any] = value.get_default_success_response_type()
            return answer
    raise SystemExit("no request class for GET /v2/workers yet")


def workers_payload(swagger: dict[str, Any], count: int) -> bytes:
    """A ``GET /v2/workers`` answer of ``count`` workers from the swagger example (distinct ids and names)."""
    examples = Examples(swagger["definitions"])
    template = examples.value({"$ref": "#/definitions/WorkerDetails"})
    workers = []
    for index in range(count):
        worker = json.loads(json.dumps(template))
        worker["id"] = f"00000000-0000-4000-8000-{index:012d}"
        worker["name"] = f"bench-worker-{index}"
        workers.append(worker)
    return json.dumps(workers).encode("utf-8")


def measure_parse(swagger: dict[str, Any], count: int, rounds: int) -> None:
    response_type = workers_response_type()
    payload = workers_payload(swagger, count)
    started = time.perf_counter()
    response_type.model_validate_json(payload)
    first_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response_type.model_validate_json(payload)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(f"parse GET /v2/workers ({count} workers, {len(payload) / 1024:.0f} KiB) with {response_type.__name__}:")
    print(f"  first parse (builds the validators): {first_ms:.1f} ms")
    print(
        f"  steady state: {median * 1000:.2f} ms per answer (median of {rounds}), "
        f"{count / median:,.0f} workers/s, {len(payload) / median / 1e6:.1f} MB/s"
    )


def measure_imports() -> None:
    print(f"creating a clean venv with {', '.join(DISTRIBUTIONS)} ...", flush=True)
    with clean_venv(*DISTRIBUTIONS) as python:
        package_ms = cold_import_ms("import horde_sdk.ai_horde_api", python=python)
        verdict = "within" if package_ms <= IMPORT_TARGET_MS else "OVER"
        print(
            f"cold import horde_sdk.ai_horde_api: {package_ms:.0f} ms ({verdict} the {IMPORT_TARGET_MS:.0f} ms target)"
        )
        surface_ms = cold_import_ms(TOUCH_EVERY_NAME, python=python)
        print(f"cold import of every apimodels name: {surface_ms:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=300, help="workers in the parsed answer")
    parser.add_argument("--rounds", type=int, default=50, help="timed parses")
    parser.add_argument("--swagger", type=Path, default=None, help="swagger.json to build the example from")
    parser.add_argument("--skip-imports", action="store_true", help="skip the clean-venv import timings")
    arguments = parser.parse_args(argv)
    if not arguments.skip_imports:
        measure_imports()
    swagger = json.loads((arguments.swagger or find_swagger()).read_text(encoding="utf-8"))
    measure_parse(swagger, arguments.workers, arguments.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
