"""hatch.toml's iso-<package> environments install one distribution plus exactly the siblings it declares."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
HATCH = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))
DISTRIBUTIONS = sorted(p.name for p in (REPO_ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())


def env_setting(env: str, key: str) -> object:
    """A setting of a hatch environment, following its template chain like hatch does."""
    envs = HATCH["envs"]
    seen: list[str] = []
    while env not in seen:
        seen.append(env)
        config = envs.get(env, {})
        value = config
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
        env = config.get("template", "default")
    return None


def declared_siblings(dist: str) -> set[str]:
    project = tomllib.loads((REPO_ROOT / "packages" / dist / "pyproject.toml").read_text(encoding="utf-8"))
    names = {canonicalize_name(Requirement(r).name) for r in project["project"].get("dependencies", [])}
    return {n for n in names if n.startswith("horde-sdk-")}


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_iso_env_members_are_the_package_and_its_declared_siblings(dist: str) -> None:
    env = "iso-" + dist.removeprefix("horde-sdk-")
    assert env in HATCH["envs"], f"hatch.toml has no {env} environment"
    members = env_setting(env, "workspace.members")
    assert isinstance(members, list)
    installed = {p.name for pattern in members for p in REPO_ROOT.glob(pattern) if (p / "pyproject.toml").is_file()}
    assert installed == {dist} | declared_siblings(dist)
    assert env_setting(env, "skip-install") is True
    assert env_setting(env, "python-sources") == ["external"]


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_iso_env_tests_its_own_package(dist: str) -> None:
    env = "iso-" + dist.removeprefix("horde-sdk-")
    script = env_setting(env, "scripts.test")
    assert isinstance(script, str)
    assert f"packages/{dist}/tests" in script
    assert script.split()[0] == "pytest"


def test_iso_envs_install_no_dev_tools() -> None:
    for dist in DISTRIBUTIONS:
        deps = env_setting("iso-" + dist.removeprefix("horde-sdk-"), "dependencies")
        assert isinstance(deps, list)
        names = {canonicalize_name(Requirement(d).name) for d in deps}
        assert names.isdisjoint({"import-linter", "mypy", "ruff"}), names
        assert not any(n.startswith("horde-sdk") for n in names), names
