"""horde_sdk is one PEP 420 namespace that every distribution contributes a portion to."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

import horde_sdk

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = sorted(p for p in (REPO_ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
DISTRIBUTIONS = [p.name for p in PACKAGE_DIRS]


def test_there_are_five_distributions() -> None:
    assert DISTRIBUTIONS == [
        "horde-sdk-ai-horde-api",
        "horde-sdk-deploy-config",
        "horde-sdk-generation-parameters",
        "horde-sdk-generic-api",
        "horde-sdk-worker",
    ]


def test_no_horde_sdk_init_anywhere_under_packages() -> None:
    offenders = [p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "packages").glob("*/src/**/horde_sdk/*")]
    offenders = [p for p in offenders if p.endswith(("/__init__.py", "/__init__.pyi"))]
    assert offenders == [], f"horde_sdk must stay a PEP 420 namespace; remove {offenders}"


def test_horde_sdk_is_a_namespace_package() -> None:
    spec = importlib.util.find_spec("horde_sdk")
    assert spec is not None
    assert spec.origin in (None, "namespace"), f"horde_sdk is a regular package from {spec.origin}"
    assert getattr(horde_sdk, "__file__", None) is None


def test_namespace_path_spans_exactly_the_five_src_portions() -> None:
    expected = {(p / "src" / "horde_sdk").resolve() for p in PACKAGE_DIRS}
    actual = {Path(entry).resolve() for entry in horde_sdk.__path__}
    assert actual == expected, (
        f"missing portions: {sorted(map(str, expected - actual))}; "
        f"foreign portions (stale install of another horde_sdk?): {sorted(map(str, actual - expected))}"
    )


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_each_portion_comes_from_its_own_src_dir(dist: str) -> None:
    module = "horde_sdk." + dist.removeprefix("horde-sdk-").replace("-", "_")
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"{module} is not importable in the dev environment"
    locations = [Path(p).resolve() for p in spec.submodule_search_locations or []]
    assert locations == [(REPO_ROOT / "packages" / dist / "src" / module.replace(".", "/")).resolve()]


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_each_distribution_is_installed_at_the_source_version(dist: str) -> None:
    module = "horde_sdk." + dist.removeprefix("horde-sdk-").replace("-", "_")
    about = importlib.import_module(f"{module}.__about__")
    assert importlib.metadata.version(dist) == about.__version__
