"""Benchmarks of horde_sdk.ai_horde_api. Prints figures; asserts nothing.

- cold ``import horde_sdk.ai_horde_api`` (target: at most 0.3 s), measured in a clean venv holding only
  horde-sdk-ai-horde-api and its sibling distributions (horde-sdk-generic-api, horde-sdk-generation-parameters);
- cold import of the whole model surface: ``horde_sdk.ai_horde_api.apimodels`` with every exported name touched;
- parsing ``GET /v2/workers``: a production-shaped answer of 113 workers (``_workers_payload.py``; the public
  horde listed 113 when the figures were taken), with ``model_validate`` and ``model_validate_json``, in child
  interpreters, rounds interleaved with the same measurement on the baseline commit (the main branch before
  issue 16, extracted with ``git archive``) when git is there; it prints both and their ratio.

Today's figure, kept here as the reference (baseline f38b277e, this machine, 2 shared cores, 7 interleaved
rounds): ``validate`` 1,155 µs (min 986, max 2,171), ``validate_json`` 1,515 µs (min 1,222); issue 16 measured
1,168 / 1,299 µs. Most of it was per-worker Python: a post-init hook for the ``_time_constructed`` private
attribute on every response model instance and the ``KNOWN_`` check of each worker's type. Target: at least
1.5x faster. After (two runs on the loaded machine): ``validate`` 656 / 634 µs (ratio to the baseline
measured in the same run 0.56 / 0.67), ``validate_json`` 865 / 811 µs (0.57 / 0.70); the per-entry Python
calls are gone (cProfile shows only pydantic-core), the rest is pydantic-core's own work.

Usage: ``hatch run python tools/bench/bench_ai_horde_api.py [--workers N] [--rounds N] [--loops N] [--skip-imports]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BASELINE_COMMIT,
    baseline_sources,
    child_figures,
    clean_venv,
    cold_import_ms,
    print_import_ratios,
    ratio_line,
    summary,
)
from _workers_payload import PRODUCTION_WORKER_COUNT, production_workers_json

DISTRIBUTIONS = ("horde-sdk-ai-horde-api", "horde-sdk-generic-api", "horde-sdk-generation-parameters")
TODAY_VALIDATE_US = 1155
TODAY_VALIDATE_JSON_US = 1515
TOUCH_EVERY_NAME = "import horde_sdk.ai_horde_api.apimodels as m\nfor n in m.__all__:\n    getattr(m, n)"


def _parse_child(count: int, loops: int) -> None:
    """In a child interpreter: print the median µs of ``validate`` and ``validate_json`` of the workers answer."""
    from horde_sdk.ai_horde_api.apimodels import AllWorkersDetailsResponse

    payload = production_workers_json(count)
    data = json.loads(payload)
    AllWorkersDetailsResponse.model_validate_json(payload)  # builds the validators
    parsers: dict[str, Callable[[], object]] = {
        "validate": lambda: AllWorkersDetailsResponse.model_validate(data),
        "validate_json": lambda: AllWorkersDetailsResponse.model_validate_json(payload),
    }
    figures = {}
    for name, parse in parsers.items():
        timings = []
        for _ in range(loops):
            started = time.perf_counter()
            parse()
            timings.append((time.perf_counter() - started) * 1e6)
        figures[name] = statistics.median(timings)
    print(json.dumps(figures))


def _parse_round(count: int, loops: int, sources: list[str] | None) -> dict[str, float]:
    environment = dict(os.environ)
    if sources:
        environment["PYTHONPATH"] = os.pathsep.join([*sources, environment.get("PYTHONPATH", "")])
    return child_figures([sys.executable, __file__, "--parse-child", str(count), str(loops)], environment)


def measure_parse(count: int, rounds: int, loops: int) -> None:
    """Print the ``GET /v2/workers`` parse figures, next to the baseline commit's in the same run when git can."""
    size_kib = len(production_workers_json(count)) // 1024
    print(
        f"parse GET /v2/workers ({count} production-shaped workers, {size_kib} KiB), "
        f"µs per answer, median of {loops} parses per round, {rounds} interleaved rounds:"
    )
    with baseline_sources() as sources:
        ours: dict[str, list[float]] = {"validate": [], "validate_json": []}
        before: dict[str, list[float]] = {"validate": [], "validate_json": []}
        for _ in range(rounds):
            for name, value in _parse_round(count, loops, None).items():
                ours[name].append(value)
            if sources is not None:
                for name, value in _parse_round(count, loops, sources).items():
                    before[name].append(value)
    for name, mine in ours.items():
        if sources is None:
            print(f"  {name:<14} {summary(mine)} µs (no git: baseline {BASELINE_COMMIT[:8]} not measured)")
        else:
            print(ratio_line(f"{name} (this tree vs {BASELINE_COMMIT[:8]})", mine, before[name]))
            print(f"    this tree {summary(mine)}   baseline {summary(before[name])}")
    print(
        f"  reference (issue 16, {PRODUCTION_WORKER_COUNT} workers): before {TODAY_VALIDATE_US} µs validate and "
        f"{TODAY_VALIDATE_JSON_US} µs validate_json; target: at least 1.5x faster (ratio <= 0.67)"
    )


README_EXAMPLE_IMPORTS = (
    "from horde_sdk.ai_horde_api import AIHordeAPISimpleClient\n"
    "from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest"
)
IMPORT_STATEMENTS = {
    "README client example": README_EXAMPLE_IMPORTS,
    # The example's imports load neither httpx nor the job machinery (they load when a client is first
    # used), so the two lines below say what that leaves out: the same imports after the floor's libraries,
    # and the imports followed by what the example does before its first request goes out.
    "floor libraries + README example": f"import pydantic, httpx, anyio, structlog\n{README_EXAMPLE_IMPORTS}",
    "README example + client made + request built": (
        f"{README_EXAMPLE_IMPORTS}\n"
        "client = AIHordeAPISimpleClient(api_key='0000000000', client_agent='bench:1:bench')\n"
        "request = ImageGenerateAsyncRequest(prompt='a lighthouse at dusk')\n"
        "client.close()"
    ),
    "manual client + two models": (
        "from horde_sdk.ai_horde_api import AIHordeAPIManualClient\n"
        "from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, ImageGenerateStatusRequest"
    ),
    "every apimodels export": TOUCH_EVERY_NAME,
}
IMPORT_FLOORS = {
    "bare": "import pydantic, httpx, anyio, structlog",
    "in-use": "from pydantic import BaseModel\nimport httpx, anyio, structlog",
}
"""``bare`` is the issue's floor; pydantic imports its model machinery lazily, so ``in-use`` (BaseModel
imported, as by any code that defines a model) is what a library of models can be held to."""


def measure_imports(rounds: int) -> None:
    """Print the import figures of this tree and of the baseline commit, each in its own clean venv."""
    print(f"import cost in clean venvs holding {', '.join(DISTRIBUTIONS)}; target: README example <= 1.5x floor")
    with baseline_sources() as sources:
        trees: list[tuple[str, Path | None]] = [("this tree", None)]
        if sources:
            trees.append((f"baseline {BASELINE_COMMIT[:8]}", Path(sources[0]).parent.parent))
        for label, packages in trees:
            with clean_venv(*DISTRIBUTIONS, packages=packages) as python:
                package_ms = cold_import_ms("import horde_sdk.ai_horde_api", python=python)
                print_import_ratios(
                    IMPORT_STATEMENTS,
                    IMPORT_FLOORS,
                    python,
                    rounds,
                    heading=f"{label}: bare `import horde_sdk.ai_horde_api` {package_ms:.0f} ms wall; "
                    f"CPU ms of each statement, {rounds} interleaved rounds:",
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=PRODUCTION_WORKER_COUNT, help="workers in the parsed answer")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (each one child per tree)")
    parser.add_argument("--loops", type=int, default=60, help="timed parses per round")
    parser.add_argument("--skip-imports", action="store_true", help="skip the clean-venv import timings")
    parser.add_argument("--parse-child", nargs=2, type=int, metavar=("COUNT", "LOOPS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.parse_child:
        _parse_child(*arguments.parse_child)
        return 0
    if not arguments.skip_imports:
        measure_imports(arguments.rounds)
    measure_parse(arguments.workers, arguments.rounds, arguments.loops)
    return 0


if __name__ == "__main__":
    sys.exit(main())
