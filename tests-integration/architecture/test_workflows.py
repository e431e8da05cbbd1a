"""The GitHub workflows cannot run here, so they are validated statically.

* Every file validates against the GitHub-workflow JSON schema vendored in check-jsonschema (offline).
* Our own job-graph rules (``workflow_problems``): ``needs`` point at existing jobs and form no cycle; every
  job with steps has ``timeout-minutes``; every ``hatch run [env:]script`` names an environment and a script
  defined in hatch.toml; third-party actions are pinned to a major version; only publish jobs may get
  ``id-token: write``, they must have one and a deployment environment, and they may not live in a reusable
  workflow (PyPI trusted publishing does not support that); no job other than a publish job touches
  ``secrets.``.
* The release workflows: one per distribution, triggered only by its own ``<dist>-vX.Y.Z`` tags.

The rules are proven on synthetic workflows as well as applied to the real ones.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
DISTRIBUTIONS = sorted(p.name for p in (REPO_ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+|release/v\d+)$")
HATCH_RUN = re.compile(r"\bhatch\s+run\s+((?:-\S+\s+)*)((?:[^\s$]|\$\{\{[^}]*\}\}|\$)+)")
MATRIX_EXPR = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")


# ---------------------------------------------------------------------------------------------------------------
# hatch.toml: environments and their scripts, with template inheritance and matrices
# ---------------------------------------------------------------------------------------------------------------


def hatch_scripts(hatch_toml: dict[str, Any]) -> dict[str, set[str]]:
    """Map every runnable environment name (matrix base names too) to the scripts it defines or inherits."""
    envs: dict[str, dict[str, Any]] = hatch_toml.get("envs", {})
    envs.setdefault("default", {})

    def chain(name: str) -> list[str]:
        seen = [name]
        while True:
            config = envs.get(seen[-1], {})
            parent = config.get("template", "default" if seen[-1] != "default" else seen[-1])
            if parent == seen[-1] or parent in seen:
                return seen
            seen.append(parent)

    result: dict[str, set[str]] = {}
    for name, config in envs.items():
        scripts: set[str] = set()
        for ancestor in chain(name):
            scripts |= set(envs.get(ancestor, {}).get("scripts", {}))
        result[name] = scripts
        for entry in config.get("matrix", []):
            variables = [
                [f"py{v}" if key in {"python", "py"} else str(v) for v in values] for key, values in entry.items()
            ]
            for combo in itertools.product(*variables):
                result[f"{name}.{'-'.join(combo)}"] = scripts
    return result


def load_hatch_scripts() -> dict[str, set[str]]:
    return hatch_scripts(tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------------------------


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def expand_matrix(text: str, job: dict[str, Any]) -> list[str]:
    """Every value ``text`` takes over the job's matrix (lists only; include/exclude are not used here)."""
    names = MATRIX_EXPR.findall(text)
    if "${{" in MATRIX_EXPR.sub("", text):
        return []
    if not names:
        return [text]
    matrix = job.get("strategy", {}).get("matrix", {})
    if not isinstance(matrix, dict) or not all(isinstance(matrix.get(n), list) for n in names):
        return []
    expanded = []
    for combo in itertools.product(*(matrix[n] for n in names)):
        values = dict(zip(names, combo, strict=True))

        def substitute(match: re.Match[str], values: dict[str, object] = values) -> str:
            return str(values[match.group(1)])

        expanded.append(MATRIX_EXPR.sub(substitute, text))
    return expanded


def is_publish_job(job: dict[str, Any]) -> bool:
    return any(str(step.get("uses", "")).startswith(PUBLISH_ACTION + "@") for step in job.get("steps", []))


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def hatch_run_problems(where: str, job: dict[str, Any], scripts: dict[str, set[str]]) -> list[str]:
    problems = []
    for step in job.get("steps", []):
        for match in HATCH_RUN.finditer(str(step.get("run", ""))):
            options, target = match.groups()
            if options.strip():
                problems.append(f"{where}: `hatch run {options}{target}`: pass the env as ENV:SCRIPT, not options")
                continue
            expanded = expand_matrix(target, job)
            if not expanded:
                problems.append(f"{where}: cannot resolve the matrix expression in `hatch run {target}`")
            for resolved in expanded:
                env, _, script = resolved.rpartition(":")
                env = env or "default"
                if env not in scripts:
                    problems.append(f"{where}: `hatch run {resolved}`: no environment {env!r} in hatch.toml")
                elif script not in scripts[env]:
                    problems.append(f"{where}: `hatch run {resolved}`: environment {env!r} has no script {script!r}")
    return problems


def job_problems(
    where: str, job: dict[str, Any], jobs: dict[str, Any], scripts: dict[str, set[str]], reusable: bool
) -> list[str]:
    problems = [f"{where}: needs unknown job {n!r}" for n in as_list(job.get("needs")) if n not in jobs]
    if "steps" in job and "timeout-minutes" not in job:
        problems.append(f"{where}: has no timeout-minutes")
    uses = job.get("uses")
    if uses is not None:
        if str(uses).startswith("./"):
            if not (REPO_ROOT / str(uses)).is_file():
                problems.append(f"{where}: calls missing reusable workflow {uses}")
        elif not PINNED_ACTION.match(str(uses)):
            problems.append(f"{where}: reusable workflow {uses} is not pinned to a major version")
        if job.get("secrets") == "inherit":
            problems.append(f"{where}: passes `secrets: inherit`")
    for step in job.get("steps", []):
        action = step.get("uses")
        if action and not str(action).startswith("./") and not PINNED_ACTION.match(str(action)):
            problems.append(f"{where}: action {action} is not pinned to a major version (@vN)")
    problems += hatch_run_problems(where, job, scripts)
    problems += permission_problems(where, job, reusable)
    return problems


def permission_problems(where: str, job: dict[str, Any], reusable: bool) -> list[str]:
    problems = []
    permissions = job.get("permissions") or {}
    id_token = isinstance(permissions, dict) and permissions.get("id-token") == "write"
    if permissions == "write-all":
        problems.append(f"{where}: permissions write-all")
    if is_publish_job(job):
        if not id_token:
            problems.append(f"{where}: publish job lacks `permissions: id-token: write`")
        if not job.get("environment"):
            problems.append(f"{where}: publish job has no (protected) environment")
        if reusable:
            problems.append(f"{where}: publishes from a reusable workflow, which PyPI trusted publishing rejects")
    else:
        if id_token:
            problems.append(f"{where}: only publish jobs may get id-token: write")
        if "secrets." in json.dumps(job):
            problems.append(f"{where}: uses secrets outside a publish job")
    return problems


def workflow_problems(path: Path, scripts: dict[str, set[str]]) -> list[str]:
    """Every rule violation in one workflow file, one line each."""
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = path.name
    jobs: dict[str, Any] = workflow.get("jobs") or {}
    if not jobs:
        return [f"{name}: has no jobs"]
    reusable = "workflow_call" in triggers(workflow)
    problems: list[str] = []
    top_permissions = workflow.get("permissions")
    if isinstance(top_permissions, dict) and top_permissions.get("id-token") == "write":
        problems.append(f"{name}: grants id-token: write to every job; grant it to the publish job only")
    if top_permissions == "write-all":
        problems.append(f"{name}: permissions write-all")
    for job_id, job in jobs.items():
        problems += job_problems(f"{name}: job {job_id}", job, jobs, scripts, reusable)
    cycle = find_cycle({job_id: [n for n in as_list(job.get("needs")) if n in jobs] for job_id, job in jobs.items()})
    if cycle:
        problems.append(f"{name}: needs form a cycle: {' -> '.join(cycle)}")
    return problems


def release_problems(workflows_dir: Path, distributions: list[str]) -> list[str]:
    """One release workflow per distribution, triggered only by that distribution's own tags."""
    problems = []
    for dist in distributions:
        short = dist.removeprefix("horde-sdk-")
        path = workflows_dir / f"release-{dist}.yml"
        if not path.is_file():
            problems.append(f"{dist}: no release workflow {path.name}")
            continue
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        on = triggers(workflow)
        tags = as_list((on.get("push") or {}).get("tags"))
        if set(on) != {"push"} or not tags or set(on["push"]) != {"tags"}:
            problems.append(f"{path.name}: must be triggered by tag pushes only, got {on}")
        for pattern in tags:
            if not fnmatch.fnmatchcase(f"{dist}-v1.2.3", pattern):
                problems.append(f"{path.name}: tag pattern {pattern!r} does not match {dist}-v1.2.3")
            if fnmatch.fnmatchcase(f"{dist}-1.2.3", pattern):
                problems.append(f"{path.name}: tag pattern {pattern!r} accepts tags without the -v")
            problems += [
                f"{path.name}: tag pattern {pattern!r} also matches {other}'s tags"
                for other in distributions
                if other != dist and fnmatch.fnmatchcase(f"{other}-v1.2.3", pattern)
            ]
        jobs: dict[str, Any] = workflow.get("jobs") or {}
        builds = [j for j, job in jobs.items() if str(job.get("uses", "")).endswith("/_release-build.yml")]
        publishes = [j for j, job in jobs.items() if is_publish_job(job)]
        if len(builds) != 1 or len(publishes) != 1:
            problems.append(f"{path.name}: needs exactly one _release-build.yml call and one publish job")
            continue
        build, publish = jobs[builds[0]], jobs[publishes[0]]
        if (build.get("with") or {}).get("package") != dist:
            problems.append(f"{path.name}: builds {(build.get('with') or {}).get('package')!r}, not {dist!r}")
        if builds[0] not in as_list(publish.get("needs")):
            problems.append(f"{path.name}: publish job does not need the build job")
        environment = publish.get("environment")
        env_name = environment.get("name") if isinstance(environment, dict) else environment
        if env_name != f"pypi-{short}":
            problems.append(f"{path.name}: publish environment is {env_name!r}, expected 'pypi-{short}'")
        downloads = [
            (s.get("with") or {}).get("name")
            for s in publish.get("steps", [])
            if str(s.get("uses", "")).startswith("actions/download-artifact@")
        ]
        if downloads != [f"dist-{dist}"]:
            problems.append(f"{path.name}: publish job downloads {downloads}, expected ['dist-{dist}']")
    extra = {p.name for p in workflows_dir.glob("release-*.yml")} - {f"release-{d}.yml" for d in distributions}
    problems += [f"{name}: release workflow for an unknown distribution" for name in sorted(extra)]
    return problems


# ---------------------------------------------------------------------------------------------------------------
# The real workflows
# ---------------------------------------------------------------------------------------------------------------


def test_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "_release-build.yml"} <= names
    assert {f"release-{d}.yml" for d in DISTRIBUTIONS} <= names


def run_check_jsonschema(files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_workflows_match_the_github_schema() -> None:
    result = run_check_jsonschema(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_rules(path: Path) -> None:
    assert workflow_problems(path, load_hatch_scripts()) == []


def test_release_workflows() -> None:
    assert release_problems(WORKFLOWS_DIR, DISTRIBUTIONS) == []


def test_ci_runs_every_check_and_every_isolation_env() -> None:
    workflow = yaml.safe_load((WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8"))
    commands = set()
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            for match in HATCH_RUN.finditer(str(step.get("run", ""))):
                commands.update(expand_matrix(match.group(2), job))
    expected = {"lint", "types", "docs:build"}
    expected |= {f"py.py{v}:suite" for v in ("3.11", "3.12", "3.13")}
    expected |= {f"iso-{d.removeprefix('horde-sdk-')}:test" for d in DISTRIBUTIONS}
    assert expected <= commands, sorted(expected - commands)
    assert {"push", "pull_request"} <= set(triggers(workflow))


def test_hatch_env_parser_agrees_with_hatch() -> None:
    hatch = shutil.which("hatch")
    if hatch is None:
        pytest.skip("hatch is not on PATH")
    result = subprocess.run(
        [hatch, "env", "show", "--json"], capture_output=True, text=True, check=False, cwd=REPO_ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    shown = {name: set(cfg.get("scripts", {})) for name, cfg in json.loads(result.stdout).items()}
    ours = load_hatch_scripts()
    for name, scripts in ours.items():
        if name in shown:
            assert scripts == shown[name], name
    assert {n for n in ours if "." in n or n.startswith("iso-") or n == "default"} <= set(shown)


# ---------------------------------------------------------------------------------------------------------------
# The rules catch violations
# ---------------------------------------------------------------------------------------------------------------

SCRIPTS = {"default": {"test", "lint"}, "iso-a": {"test"}, "py.py3.11": {"test"}, "py.py3.12": {"test"}}


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "wf.yml"
    path.write_text(text, encoding="utf-8")
    return workflow_problems(path, SCRIPTS)


GOOD_JOB = """
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
      - run: hatch run test
"""


PUBLISH_JOB = (
    "on: {on}\njobs:\n  p:\n    runs-on: x\n    timeout-minutes: 5\n{extra}"
    "    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
)


def test_rules_accept_a_good_workflow(tmp_path: Path) -> None:
    text = f"on: push\njobs:\n  a:{GOOD_JOB}  b:\n    needs: [a]{GOOD_JOB}"
    assert problems_of(tmp_path, text) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (f"on: push\njobs:\n  a:\n    needs: [nope]{GOOD_JOB}", "needs unknown job 'nope'"),
        (f"on: push\njobs:\n  a:\n    needs: b{GOOD_JOB}  b:\n    needs: [a]{GOOD_JOB}", "cycle: a -> b -> a"),
        ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n", "no timeout-minutes"),
        (f"on: push\njobs:\n  a:{GOOD_JOB.replace('hatch run test', 'hatch run nope')}", "no script 'nope'"),
        (f"on: push\njobs:\n  a:{GOOD_JOB.replace('hatch run test', 'hatch run iso-b:test')}", "no environment"),
        (f"on: push\njobs:\n  a:{GOOD_JOB.replace('hatch run test', 'hatch run iso-a:lint')}", "no script 'lint'"),
        (
            "on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        py: ['3.11', '3.13']"
            + GOOD_JOB.replace("hatch run test", "hatch run py.py${{ matrix.py }}:test"),
            "`hatch run py.py3.13:test`: no environment 'py.py3.13'",
        ),
        (
            f"on: push\njobs:\n  a:{GOOD_JOB.replace('hatch run test', 'hatch run iso-${{ inputs.x }}:test')}",
            "cannot resolve",
        ),
        (f"on: push\njobs:\n  a:{GOOD_JOB.replace('checkout@v4', 'checkout@main')}", "not pinned"),
        (f"on: push\njobs:\n  a:{GOOD_JOB.replace('checkout@v4', 'checkout@v4.1.1')}", "not pinned"),
        (
            f"on: push\njobs:\n  a:{GOOD_JOB}      - run: echo ${{{{ secrets.TOKEN }}}}\n",
            "uses secrets outside a publish job",
        ),
        (f"on: push\npermissions:\n  id-token: write\njobs:\n  a:{GOOD_JOB}", "to the publish job only"),
        (
            f"on: push\njobs:\n  a:\n    permissions:\n      id-token: write{GOOD_JOB}",
            "only publish jobs may get id-token",
        ),
        (
            PUBLISH_JOB.format(on="push", extra="    environment: pypi-x\n"),
            "lacks `permissions: id-token: write`",
        ),
        (
            PUBLISH_JOB.format(on="push", extra="    permissions:\n      id-token: write\n"),
            "no (protected) environment",
        ),
        (
            PUBLISH_JOB.format(
                on="workflow_call", extra="    environment: pypi-x\n    permissions:\n      id-token: write\n"
            ),
            "reusable workflow",
        ),
        ("on: push\njobs:\n  a:\n    uses: ./.github/workflows/missing.yml\n", "missing reusable workflow"),
        ("on: push\njobs:\n  a:\n    uses: ./.github/workflows/ci.yml\n    secrets: inherit\n", "secrets: inherit"),
    ],
)
def test_rules_catch(tmp_path: Path, text: str, needle: str) -> None:
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    assert needle in problems[0], problems


def test_release_rules_catch(tmp_path: Path) -> None:
    for path in WORKFLOWS_DIR.glob("release-*.yml"):
        shutil.copy(path, tmp_path / path.name)
    assert release_problems(tmp_path, DISTRIBUTIONS) == []

    worker = tmp_path / "release-horde-sdk-worker.yml"
    text = worker.read_text(encoding="utf-8")
    worker.write_text(text.replace('"horde-sdk-worker-v*"', '"horde-sdk-*"'), encoding="utf-8")
    problems = release_problems(tmp_path, DISTRIBUTIONS)
    assert any("accepts tags without the -v" in p for p in problems), problems
    assert any("also matches horde-sdk-generic-api's tags" in p for p in problems), problems

    worker.write_text(text.replace("name: pypi-worker", "name: pypi"), encoding="utf-8")
    assert release_problems(tmp_path, DISTRIBUTIONS) == [
        "release-horde-sdk-worker.yml: publish environment is 'pypi', expected 'pypi-worker'"
    ]

    worker.write_text(text.replace("package: horde-sdk-worker", "package: horde-sdk-generic-api"), encoding="utf-8")
    assert release_problems(tmp_path, DISTRIBUTIONS) == [
        "release-horde-sdk-worker.yml: builds 'horde-sdk-generic-api', not 'horde-sdk-worker'"
    ]

    worker.write_text(text.replace("dist-horde-sdk-worker", "dist"), encoding="utf-8")
    assert release_problems(tmp_path, DISTRIBUTIONS) == [
        "release-horde-sdk-worker.yml: publish job downloads ['dist'], expected ['dist-horde-sdk-worker']"
    ]

    worker.unlink()
    assert release_problems(tmp_path, DISTRIBUTIONS) == [
        "horde-sdk-worker: no release workflow release-horde-sdk-worker.yml"
    ]


def test_schema_check_rejects_an_invalid_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: soon\n", encoding="utf-8")
    result = run_check_jsonschema([bad])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors" in result.stdout + result.stderr
