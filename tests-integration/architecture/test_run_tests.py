"""tools/run_tests.py (`hatch run test`): which interpreters exist, what runs, and how the run ends."""

from __future__ import annotations

import importlib.util
import stat
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / "tools" / "run_tests.py"


def _load_tool() -> ModuleType:
    name = "run_tests_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def fake_python(directory: Path, name: str, body: str) -> None:
    """An executable ``name`` in ``directory`` running the shell ``body``."""
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_discovery_runs_each_candidate_and_keeps_only_working_ones(tmp_path: Path) -> None:
    # 3.12 works; 3.13 is a pyenv shim for a version pyenv does not select; "3.11" is really a 3.10.
    fake_python(tmp_path, "python3.12", 'echo "3.12.4"')
    fake_python(tmp_path, "python3.13", 'echo "pyenv: python3.13: command not found" >&2; exit 127')
    fake_python(tmp_path, "python3.11", 'echo "3.10.9"')
    found, missing = tool.discover(["3.11", "3.12", "3.13", "3.14"], str(tmp_path))
    assert found == {"3.12": "3.12.4"}
    assert missing == ["3.11", "3.13", "3.14"]


def test_supported_pythons_are_the_py_matrix_and_the_oldest_is_the_requires_python_floor() -> None:
    hatch = tool.load_hatch_config()
    versions = tool.supported_pythons(hatch)
    assert versions == ["3.11", "3.12", "3.13"]
    for pyproject in (REPO_ROOT / "packages").glob("*/pyproject.toml"):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        assert project["requires-python"] == f">={versions[0]}", pyproject


def test_no_environment_pins_one_interpreter_outside_the_py_matrix() -> None:
    # A pin (python = "3.11") makes hatch fail with a traceback on a machine that has only another version.
    envs = tool.load_hatch_config()["envs"]
    pinned = {name for name, config in envs.items() if "python" in config}
    assert pinned == set()


def test_plan_runs_each_check_once_and_the_other_interpreters_found() -> None:
    hatch = tool.load_hatch_config()
    steps = tool.plan(hatch, ["-x"], "3.12.1", ["3.11"])
    commands = [command for step in steps for command in step.commands]
    assert len(commands) == len(set(commands))
    assert "ruff check ." in commands
    assert "mypy" in commands
    assert "pytest -n auto -x" in commands
    assert any(c.endswith("run py.py3.11:unit -q") for c in commands)
    assert not any("py.py3.13" in c or "py.py3.12" in c for c in commands)
    assert any(c.endswith("run docs:build") for c in commands)
    iso = {c.split()[-2] for c in commands if ":test" in c}
    assert iso == {f"iso-{d.name.removeprefix('horde-sdk-')}:test" for d in (REPO_ROOT / "packages").iterdir()}
    # The dependency graph and the import contracts are tests of the suite: no step runs them again.
    assert not any("check_dependency_graph" in c or "lint-imports" in c for c in commands)
    suite = (REPO_ROOT / "tests-integration" / "architecture").glob("test_*.py")
    assert {"test_dependency_graph.py", "test_import_contracts.py"} <= {p.name for p in suite}


def test_a_failing_step_fails_the_run_and_the_summary_names_what_did_not_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[str] = []

    def runner(command: str) -> int:
        ran.append(command)
        return 5 if command.startswith("pytest") else 0  # pytest: "no tests collected"

    monkeypatch.setattr(tool, "discover", lambda versions, path=None: ({}, list(versions)))
    status = tool.main([], runner)
    output = capsys.readouterr().out
    assert status == 1
    assert "FAILED (exit 5)" in output
    assert "every test on Python" in output
    others = [v for v in ("3.11", "3.12", "3.13") if v != f"{sys.version_info.major}.{sys.version_info.minor}"]
    assert f"interpreters not found (their unit tests did not run): Python {others[0]}, Python {others[1]}" in output
    assert "Traceback" not in output
    # It went on after the failure: the docs build still ran.
    assert any(command.endswith("run docs:build") for command in ran)


def test_every_step_passing_passes_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tool, "discover", lambda versions, path=None: ({versions[0]: versions[0] + ".0"}, []))
    assert tool.main([], lambda command: 0) == 0
    output = capsys.readouterr().out
    assert "interpreters not found: none" in output
    assert "FAILED" not in output
