"""Benchmarks of horde_sdk.ai_horde_api. Prints figures; asserts nothing.

- cold ``import horde_sdk.ai_horde_api`` (target: at most 0.3 s), measured in a clean venv holding only
  horde-sdk-ai-horde-api and its sibling distributions (horde-sdk-generic-api, horde-sdk-generation-parameters);
- cold import of the whole model surface: ``horde_sdk.ai_horde_api.apimodels`` with every exported name touched;
- parsing ``GET /v2/workers``: a production-shaped answer of 113 workers (``_workers_payload.py``; the public
  horde listed 113 when the figures were taken), with ``model_validate`` and ``model_validate_json``, in child
  interpreters, rounds interleaved with the same measurement on the baseline commit (the main branch before
  issue 16, extracted with ``git archive``) when git is there; it prints both and their ratio, and (``floor``
  lines) the same answer validated by parsers that check nothing, against the same baseline figures.

Imports (CPU ms of a fresh interpreter, clean venvs, 9 interleaved rounds, ratio to the floor measured in
the same round; issue 16's floor is ``import pydantic, httpx, anyio, structlog``). Before (f38b277): the
README client example 2.76x (2.23..3.13). After: 1.29x (0.97..1.83), because importing the example's names
builds only the models it names (no generation-parameter models) and loads neither the job machinery
(sessions, request core, transports, httpx, job flows) nor structlog until a client is used. What that
leaves out is printed too: with the floor's libraries imported first the same statement costs 1.72x
(f38b277: 2.64x), of which pydantic's own model machinery (``BaseModel``, ``pydantic.fields``, the plugin
discovery that its first model build runs) is about 0.45x; with the client made and the request built, 2.36x
(f38b277: 3.21x).

Today's figure, kept here as the reference (baseline f38b277e, this machine, 2 shared cores, 7 interleaved
rounds): ``validate`` 1,155 µs (min 986, max 2,171), ``validate_json`` 1,515 µs (min 1,222); issue 16 measured
1,168 / 1,299 µs. Most of it was per-worker Python: a post-init hook for the ``_time_constructed`` private
attribute on every response model instance and the ``KNOWN_`` check of each worker's type. Target: at least
1.5x faster. After (pydantic 2.14.4 / pydantic-core 2.50.5, five runs of 7 interleaved rounds on the loaded
machine; per-round ratio to the baseline measured in the same run, median (min..max)): ``validate`` 635 / 664 /
619 / 622 / 667 µs against 956 / 986 / 926 / 945 / 952, ratio 0.67 (0.42..0.88) / 0.67 (0.37..1.09) / 0.68
(0.66..1.08) / 0.66 (0.58..0.71) / 0.71 (0.62..1.02); ``validate_json`` 908 / 792 / 772 / 789 / 804 µs against
1,101 / 1,125 / 1,082 / 1,150 / 1,172, ratio 0.73 (0.53..0.85) / 0.70 (0.42..0.74) / 0.71 (0.69..1.11) / 0.70
(0.65..0.74) / 0.70 (0.59..1.01). No Python runs per entry (cProfile shows only pydantic-core). The ``floor``
lines say what is left: the same answer validated into models that check nothing (every field ``Any``, the
same fields, aliases, nested models and kept extras) measured 523 / 527 µs (``validate``, ratio 0.55 / 0.57) and
802 / 806 µs (``validate_json``, ratio 0.70 / 0.70), so ``validate_json`` is pydantic-core building the objects
(339 model instances, each with its field dict, fields-set set and extras dict, 3,041 model-name strings and
about 4,300 field values per answer; about 50 µs of it is the cyclic garbage collector running over them)
and no schema shape makes it 1.5x faster than the baseline; ``validate`` spends about 100 µs above its floor,
mostly building the ``models`` tuples (about 70 µs). Plain dicts: 117 and 487 µs.
Plain pydantic (``BaseModel`` classes with the same fields and types, as a program without the SDK would write
them; no kept extras, no frozen instances, no ``KNOWN_`` handling) measured in the same run as 758 / 619 µs
for the SDK: 742 µs ``validate_json`` (the SDK's models cost 1.02x that) and 511 µs ``validate`` (1.21x,
the kept extras and the ``models`` tuples).

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


def _unchecked_parsers(payload: bytes, data: object) -> dict[str, Callable[[], object]]:
    """Parsers of the same answer without the SDK: plain pydantic, and parsers that check nothing at all.

    ``plain pydantic`` is what a program would write without the SDK: plain ``BaseModel`` classes with the same
    fields and types (no kept extras, no frozen instances, no ``KNOWN_`` handling, no strict booleans);
    ``unchecked models`` builds the objects the SDK builds (a model per worker, its kudos and its team, with the
    fields, aliases and kept extras of the SDK's models) with every field typed ``Any``; ``plain dicts`` builds
    dicts.
    """
    from typing import Any

    from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

    from horde_sdk.ai_horde_api.apimodels import (
        SingleWorkerDetailsResponse,
        TeamDetailsLite,
        WorkerKudosDetails,
    )

    def unchecked(model: type[BaseModel], nested: dict[str, Any]) -> Any:  # noqa: ANN401 (a class built at run time)
        fields: dict[str, Any] = {
            name: (nested.get(name, Any), Field(default=None, alias=info.alias))
            for name, info in model.model_fields.items()
        }
        config = ConfigDict(extra="allow", frozen=True, validate_by_name=True, validate_by_alias=True)
        return create_model(f"Unchecked{model.__name__}", __config__=config, **fields)

    def plain(model: type[BaseModel], nested: dict[str, Any]) -> Any:  # noqa: ANN401 (a class built at run time)
        fields: dict[str, Any] = {
            name: (nested.get(name, info.annotation), Field(default=None, alias=info.alias))
            for name, info in model.model_fields.items()
        }
        config = ConfigDict(validate_by_name=True, validate_by_alias=True)
        return create_model(f"Plain{model.__name__}", __config__=config, **fields)

    worker = unchecked(
        SingleWorkerDetailsResponse,
        {"kudos_details": unchecked(WorkerKudosDetails, {}) | None, "team": unchecked(TeamDetailsLite, {}) | None},
    )
    plain_worker = plain(
        SingleWorkerDetailsResponse,
        {"kudos_details": plain(WorkerKudosDetails, {}) | None, "team": plain(TeamDetailsLite, {}) | None},
    )
    variadic: Any = tuple  # ``tuple[worker, ...]`` of a class built at run time, which a type checker cannot see
    models = TypeAdapter(variadic[worker, ...])
    plain_models = TypeAdapter(variadic[plain_worker, ...])
    dicts = TypeAdapter(tuple[dict[str, Any], ...])
    return {
        "plain pydantic validate": lambda: plain_models.validate_python(data),
        "plain pydantic validate_json": lambda: plain_models.validate_json(payload),
        "unchecked models validate": lambda: models.validate_python(data),
        "unchecked models validate_json": lambda: models.validate_json(payload),
        "plain dicts validate": lambda: dicts.validate_python(data),
        "plain dicts validate_json": lambda: dicts.validate_json(payload),
    }


def _parse_child(count: int, loops: int, unchecked: bool) -> None:
    """In a child interpreter: print the median µs of ``validate`` and ``validate_json`` of the workers answer.

    With ``unchecked`` it also times the parsers of :func:`_unchecked_parsers`.
    """
    from horde_sdk.ai_horde_api.apimodels import AllWorkersDetailsResponse

    payload = production_workers_json(count)
    data = json.loads(payload)
    AllWorkersDetailsResponse.model_validate_json(payload)  # builds the validators
    parsers: dict[str, Callable[[], object]] = {
        "validate": lambda: AllWorkersDetailsResponse.model_validate(data),
        "validate_json": lambda: AllWorkersDetailsResponse.model_validate_json(payload),
    }
    if unchecked:
        parsers.update(_unchecked_parsers(payload, data))
    figures = {}
    for name, parse in parsers.items():
        parse()
        timings = []
        for _ in range(loops):
            started = time.perf_counter()
            parse()
            timings.append((time.perf_counter() - started) * 1e6)
        figures[name] = statistics.median(timings)
    print(json.dumps(figures))


def _parse_round(count: int, loops: int, sources: list[str] | None) -> dict[str, float]:
    """Run one measuring child: this tree's (with the unchecked parsers) without ``sources``, else the baseline."""
    environment = dict(os.environ)
    command = [sys.executable, __file__, "--parse-child", str(count), str(loops)]
    if sources:
        environment["PYTHONPATH"] = os.pathsep.join([*sources, environment.get("PYTHONPATH", "")])
    else:
        command.append("--unchecked")
    return child_figures(command, environment)


def measure_parse(count: int, rounds: int, loops: int) -> None:
    """Print the ``GET /v2/workers`` parse figures, next to the baseline commit's in the same run when git can."""
    size_kib = len(production_workers_json(count)) // 1024
    print(
        f"parse GET /v2/workers ({count} production-shaped workers, {size_kib} KiB), "
        f"µs per answer, median of {loops} parses per round, {rounds} interleaved rounds:"
    )
    with baseline_sources() as sources:
        ours: dict[str, list[float]] = {}
        before: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name, value in _parse_round(count, loops, None).items():
                ours.setdefault(name, []).append(value)
            if sources is not None:
                for name, value in _parse_round(count, loops, sources).items():
                    before.setdefault(name, []).append(value)
    for name, mine in ours.items():
        reference = name.rsplit(" ", 1)[-1]  # an unchecked parser is compared with the baseline's own parser
        if sources is None:
            print(f"  {name:<14} {summary(mine)} µs (no git: baseline {BASELINE_COMMIT[:8]} not measured)")
        elif name == reference:
            print(ratio_line(f"{name} (this tree vs {BASELINE_COMMIT[:8]})", mine, before[name]))
            print(f"    this tree {summary(mine)}   baseline {summary(before[name])}")
        else:
            print(ratio_line(f"  floor: {name}", mine, before[reference]))
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
    parser.add_argument("--unchecked", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.parse_child:
        count, loops = arguments.parse_child
        _parse_child(count, loops, unchecked=arguments.unchecked)
        return 0
    if not arguments.skip_imports:
        measure_imports(arguments.rounds)
    measure_parse(arguments.workers, arguments.rounds, arguments.loops)
    return 0


if __name__ == "__main__":
    sys.exit(main())
