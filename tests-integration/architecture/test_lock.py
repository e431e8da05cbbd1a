"""constraints.txt locks every third-party dependency the hatch environments install (tools/lock.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / "tools" / "lock.py"
HATCH = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))


def _load_tool() -> ModuleType:
    name = "lock_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def locked() -> dict[str, list[Requirement]]:
    """constraints.txt as ``{name: [pinned requirement, ...]}`` (one per marker branch)."""
    pins: dict[str, list[Requirement]] = {}
    for line in (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            pins.setdefault(tool.requirement_name(requirement.name), []).append(requirement)
    return pins


def test_every_requirement_is_pinned_to_one_version_that_satisfies_it() -> None:
    pins = locked()
    problems = []
    for line in tool.collect_requirements():
        requirement = Requirement(line)
        name = tool.requirement_name(requirement.name)
        if name not in pins:
            problems.append(f"{line}: not in constraints.txt")
            continue
        for pin in pins[name]:
            (spec,) = pin.specifier
            assert spec.operator == "==", pin
            if not requirement.specifier.contains(Version(spec.version)):
                problems.append(f"{line}: constraints.txt has {pin}")
    assert not problems, "run `hatch run lock` and commit constraints.txt:\n" + "\n".join(problems)


def test_the_workspace_distributions_are_never_pinned() -> None:
    assert not [name for name in locked() if name.startswith("horde-sdk") or name == "horde-local"]


def test_the_lock_was_written_by_the_lock_command_for_every_supported_python() -> None:
    header = (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()[:2]
    assert header[1].strip() == "#    hatch run lock"
    assert HATCH["envs"]["default"]["scripts"]["lock"] == "python tools/lock.py {args}"
    # --universal resolves for 3.11 and every newer Python (markers where they differ).
    assert tool.PYTHON_FLOOR == "3.11"


def test_every_environment_installs_through_the_lock() -> None:
    envs = HATCH["envs"]
    roots = [name for name, config in envs.items() if "template" not in config]
    assert set(roots) == {"default", "docs", "iso-base"}
    for name in roots:
        env_vars = envs[name].get("env-vars", {})
        assert env_vars.get("UV_CONSTRAINT") == "{root}/constraints.txt", name
        assert env_vars.get("UV_BUILD_CONSTRAINT") == "{root}/constraints.txt", name
        assert envs[name].get("installer") == "uv", name
    # Every other environment inherits from one of those and does not override the variables.
    for name, config in envs.items():
        assert "UV_CONSTRAINT" not in config.get("env-vars", {}) or name in roots, name


def test_requirement_names_are_normalised() -> None:
    assert tool.requirement_name("Foo_Bar.baz[x]>=1 ; python_version < '3.12'") == "foo-bar-baz"
    assert re.fullmatch(r"[a-z0-9-]+", tool.requirement_name("mkdocstrings[python]>=0.27"))
