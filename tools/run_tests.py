"""``hatch run test``: every check, once, on the Python interpreters this machine has.

It runs, in order: lint, strict type checks, the whole test suite (which holds the dependency-graph and
import-contract checks) on the interpreter of the default environment, the unit suites again on every other
supported interpreter found on ``PATH`` (never downloaded), the per-distribution isolation suites
(``iso-*``) and the documentation build. It goes on after a failure, then ends with a summary naming each
step's outcome, the interpreters that ran and those that were not found, and exits non-zero if any step
failed (pytest's "no tests collected", exit 5, included).

The commands come from ``hatch.toml``'s scripts, so ``hatch run lint`` and the step named "lint" here are
the same command. Arguments (``hatch run test -x -k name``) go to pytest's run of the whole suite.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
HATCH_TOML = REPO_ROOT / "hatch.toml"
_VERSION_PROBE = "import sys; print('.'.join(map(str, sys.version_info[:3])))"


def load_hatch_config(path: Path = HATCH_TOML) -> dict[str, Any]:
    """``hatch.toml`` as a dict."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def supported_pythons(hatch: dict[str, Any]) -> list[str]:
    """The ``X.Y`` versions of the ``py`` matrix in ``hatch.toml``: the interpreters the project supports."""
    envs = hatch["envs"]
    versions: list[str] = []
    for row in envs["py"]["matrix"]:
        versions.extend(row.get("python", []))
    return versions


def find_interpreter(version: str, path: str | None = None, timeout: float = 30.0) -> tuple[str, str] | None:
    """The executable and full version of a working ``python<version>`` on ``path`` (default ``$PATH``).

    The candidate is run, not only looked up: a pyenv shim for a version pyenv does not currently select
    exists on ``PATH`` but fails, and a misnamed interpreter reports another version; both count as not found.
    """
    executable = shutil.which(f"python{version}", path=path)
    if executable is None:
        return None
    try:
        probe = subprocess.run(
            [executable, "-c", _VERSION_PROBE],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = probe.stdout.strip()
    if probe.returncode != 0 or not found.startswith(f"{version}."):
        return None
    return executable, found


def discover(versions: Sequence[str], path: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Which of ``versions`` this machine has: ``({"3.12": "3.12.1", ...}, [versions not found])``."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for version in versions:
        hit = find_interpreter(version, path)
        if hit is None:
            missing.append(version)
        else:
            found[version] = hit[1]
    return found, missing


def script_commands(hatch: dict[str, Any], name: str, args: Sequence[str] = ()) -> list[str]:
    """The shell commands of the default environment's script ``name``, expanded like hatch expands them."""
    envs = hatch["envs"]
    scripts: dict[str, str | list[str]] = envs["default"]["scripts"]
    script = scripts[name]
    commands: list[str] = []
    for command in [script] if isinstance(script, str) else script:
        first, _, rest = command.partition(" ")
        if first in scripts and first != name:
            commands.extend(script_commands(hatch, first, shlex.split(rest.replace("{args}", ""))))
            continue
        joined = shlex.join(args)
        commands.append(command.replace("{args}", joined).strip() if "{args}" in command else command)
    return commands


@dataclass
class Step:
    """One check of the run: a label and the shell commands it runs in order (it stops at the first failure)."""

    label: str
    commands: list[str]
    status: int | None = None
    seconds: float = field(default=0.0)


Runner = Callable[[str], int]


def run_shell(command: str) -> int:
    """Run ``command`` through the shell in the repository root; return its exit status."""
    print(f"\n$ {command}", flush=True)
    return subprocess.run(command, shell=True, cwd=REPO_ROOT, check=False).returncode  # noqa: S602


def plan(hatch: dict[str, Any], pytest_args: Sequence[str], current: str, others: Sequence[str]) -> list[Step]:
    """The steps of a full run on the ``current`` interpreter (``X.Y.Z``) plus the ``others`` (``X.Y``) found."""
    hatch_command = shlex.quote(shutil.which("hatch") or "hatch")
    envs = hatch["envs"]
    iso_envs = sorted(name for name in envs if name.startswith("iso-") and "test" in envs[name].get("scripts", {}))
    steps = [
        Step("lint", script_commands(hatch, "lint")),
        Step("types", script_commands(hatch, "types")),
        Step(f"every test on Python {current}", script_commands(hatch, "suite", pytest_args)),
    ]
    steps.extend(Step(f"unit tests on Python {v}", [f"{hatch_command} run py.py{v}:unit -q"]) for v in others)
    steps.extend(Step(f"{name} alone", [f"{hatch_command} run {name}:test -q"]) for name in iso_envs)
    steps.append(Step("docs build", [f"{hatch_command} run docs:build"]))
    return steps


def execute(steps: Sequence[Step], runner: Runner = run_shell, clock: Callable[[], float] = time.monotonic) -> None:
    """Run every step (each stops at its first failing command); record statuses and durations."""
    for step in steps:
        started = clock()
        step.status = 0
        for command in step.commands:
            step.status = runner(command)
            if step.status != 0:
                break
        step.seconds = clock() - started


def summary(steps: Sequence[Step], ran: dict[str, str], missing: Sequence[str]) -> str:
    """The closing report: each step's outcome and time, the interpreters that ran and those not found."""
    lines = ["", "test summary:"]
    for step in steps:
        outcome = "passed" if step.status == 0 else f"FAILED (exit {step.status})"
        lines.append(f"  {outcome:<16} {step.label} ({step.seconds:.0f} s)")
    lines.append("interpreters ran: " + ", ".join(f"Python {full}" for full in ran.values()))
    if missing:
        names = ", ".join(f"Python {v}" for v in missing)
        lines.append(f"interpreters not found (their unit tests did not run): {names}")
        lines.append("  put python3.X on PATH (or select it with pyenv) to test on it too; nothing is downloaded")
    else:
        lines.append("interpreters not found: none")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, runner: Runner = run_shell) -> int:
    """Run every check with ``runner``; print the summary; return 0 only if every step passed."""
    pytest_args = list(sys.argv[1:] if argv is None else argv)
    hatch = load_hatch_config()
    current_minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    current = f"{current_minor}.{sys.version_info.micro}"
    others = [v for v in supported_pythons(hatch) if v != current_minor]
    print(f"test: this environment runs Python {current}; looking for {', '.join(others)} on PATH", flush=True)
    found, missing = discover(others, os.environ.get("PATH"))
    steps = plan(hatch, pytest_args, current, list(found))
    execute(steps, runner)
    print(summary(steps, {current_minor: current, **found}, missing), flush=True)
    return 0 if all(step.status == 0 for step in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
