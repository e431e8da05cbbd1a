"""Each distribution's wheel works on its own, with only the dependencies it declares.

For every distribution: build all five wheels (once per xdist worker), create a fresh venv, install that one
wheel (siblings come from the locally built wheels, third-party packages from the index), then:

* every module of the distribution imports;
* the siblings it does not declare are not importable;
* every non-stdlib import in its code (including ``if TYPE_CHECKING:`` blocks and function bodies) is provided
  by a declared dependency, and every declared third-party dependency is imported somewhere.

Sibling edges themselves are governed by tools/check_dependency_graph.py. pytest-xdist runs without
``--dist loadgroup``, so each worker that picks up tests of this module builds its own wheelhouse (seconds,
thanks to uv's cache) instead of coordinating through a lock.
"""

from __future__ import annotations

import ast
import email.parser
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("wheel_probe.py")
DISTRIBUTIONS = sorted(p.name for p in (REPO_ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
UV = [sys.executable, "-m", "uv"]
# Names that only exist for type checkers; importing them under TYPE_CHECKING needs no distribution.
TYPING_ONLY_MODULES = {"_typeshed"}
RUNTIME_ONLY_KEY = "runtime-only-dependencies"


def import_package(dist: str) -> str:
    return "horde_sdk." + dist.removeprefix("horde-sdk-").replace("-", "_")


def uv_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def run(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd, env=uv_env(), timeout=timeout)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the five wheels in parallel; map distribution name -> wheel path."""
    out = tmp_path_factory.mktemp("wheelhouse")
    procs = [
        (
            dist,
            subprocess.Popen(
                [*UV, "build", "--wheel", "--no-config", "--out-dir", str(out), "--python", sys.executable],
                cwd=REPO_ROOT / "packages" / dist,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=uv_env(),
            ),
        )
        for dist in DISTRIBUTIONS
    ]
    failures = []
    for dist, proc in procs:
        output, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(f"{dist}:\n{output}")
    assert not failures, "building wheels failed:\n" + "\n".join(failures)
    wheels: dict[str, Path] = {}
    for wheel in out.glob("*.whl"):
        dist = canonicalize_name(wheel.name.split("-")[0])
        wheels[dist] = wheel
    assert sorted(wheels) == DISTRIBUTIONS
    return wheels


@dataclass
class WheelInfo:
    requires: list[Requirement]
    extras: list[str]
    files: dict[str, str]  # archive name -> text, for the .py files of the package

    def applicable_requirements(self) -> list[Requirement]:
        """Requirements that apply on this interpreter, with any of the wheel's extras requested."""
        return [
            req
            for req in self.requires
            if req.marker is None or any(req.marker.evaluate({"extra": extra}) for extra in ["", *self.extras])
        ]


def read_wheel(wheel: Path) -> tuple[WheelInfo, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
        files = {n: archive.read(n).decode("utf-8") for n in names if n.endswith(".py")}
    requires = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    extras = metadata.get_all("Provides-Extra") or []
    return WheelInfo(requires=requires, extras=extras, files=files), names


def runtime_only_dependencies(dist: str) -> frozenset[str]:
    """Dependencies a distribution declares on purpose without importing them (used by another dependency).

    Declared in the distribution's pyproject.toml, next to the requirement and its reason::

        [tool.horde-sdk]
        runtime-only-dependencies = ["sniffio"]
    """
    pyproject = tomllib.loads((REPO_ROOT / "packages" / dist / "pyproject.toml").read_text(encoding="utf-8"))
    names = pyproject.get("tool", {}).get("horde-sdk", {}).get(RUNTIME_ONLY_KEY, [])
    return frozenset(canonicalize_name(n) for n in names)


@dataclass
class Installed:
    dist: str
    wheel: Path
    info: WheelInfo
    archive_names: list[str]
    probe: dict[str, Any]
    undeclared_siblings: list[str]
    runtime_only: frozenset[str] = frozenset()


@pytest.fixture(scope="module", params=DISTRIBUTIONS)
def installed(
    request: pytest.FixtureRequest, wheelhouse: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Installed:
    dist: str = request.param
    work = tmp_path_factory.mktemp(f"iso-{dist}")
    wheel = wheelhouse[dist]
    info, names = read_wheel(wheel)
    declared = {canonicalize_name(r.name) for r in info.requires}
    undeclared_siblings = [import_package(d) for d in DISTRIBUTIONS if d != dist and d not in declared]

    # Pin every sibling to the wheel built here, so the index can never supply one; constraints add nothing
    # that is not required, so undeclared siblings stay out.
    constraints = work / "siblings.txt"
    constraints.write_text(
        "".join(f"{name} @ {path.as_uri()}\n" for name, path in sorted(wheelhouse.items())), encoding="utf-8"
    )
    venv = work / "venv"
    run([*UV, "venv", "--no-config", "--quiet", "--python", sys.executable, str(venv)], cwd=work)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    target = f"{dist}[{','.join(info.extras)}] @ {wheel.as_uri()}" if info.extras else str(wheel)
    run(
        [
            *UV, "pip", "install", "--no-config", "--quiet", "--python", str(python),
            "--find-links", str(wheel.parent), "--constraints", str(constraints), target,
        ],
        cwd=work,
    )  # fmt: skip
    out = work / "probe.json"
    run([str(python), "-I", "-W", "error", str(PROBE), str(out), dist, *undeclared_siblings], cwd=work)
    probe: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return Installed(dist, wheel, info, names, probe, undeclared_siblings, runtime_only_dependencies(dist))


def test_wheel_ships_only_its_own_subpackage(installed: Installed) -> None:
    own_prefix = import_package(installed.dist).replace(".", "/") + "/"
    foreign = [
        n
        for n in installed.archive_names
        if not n.split("/")[0].endswith(".dist-info") and not n.startswith(own_prefix)
    ]
    assert foreign == [], f"{installed.wheel.name} ships files outside {own_prefix}: {foreign}"
    assert own_prefix + "py.typed" in installed.archive_names
    assert own_prefix + "__about__.py" in installed.archive_names


def test_every_module_imports(installed: Installed) -> None:
    assert installed.probe["modules"], f"{installed.dist}: no modules found in the installed distribution"
    errors = installed.probe["import_errors"]
    assert not errors, f"{installed.dist}: modules fail to import in isolation:\n" + "\n".join(
        f"--- {module}\n{tb}" for module, tb in errors.items()
    )


def test_undeclared_siblings_are_not_importable(installed: Installed) -> None:
    assert installed.probe["importable_undeclared"] == [], (
        f"{installed.dist} does not declare these siblings, yet they are importable in its isolated venv: "
        f"{installed.probe['importable_undeclared']}"
    )


def test_siblings_come_from_the_local_wheels(installed: Installed) -> None:
    for name, meta in installed.probe["installed"].items():
        canonical = canonicalize_name(name)
        if not canonical.startswith("horde-sdk"):
            continue
        assert canonical == installed.dist or canonical in {
            canonicalize_name(r.name) for r in installed.info.requires
        }, f"{installed.dist}'s venv contains {name}, which it does not declare"
        assert meta["direct_url"], f"{name} was not installed from a local wheel"
        assert "wheelhouse" in json.loads(meta["direct_url"])["url"], meta


def collect_imports(source: str, filename: str) -> list[tuple[str, int]]:
    """Absolute imported module names with their line numbers; ``from horde_sdk import x`` -> ``horde_sdk.x``."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "horde_sdk":
                found.extend((f"horde_sdk.{alias.name}", node.lineno) for alias in node.names)
            else:
                found.append((node.module, node.lineno))
    return sorted(found, key=lambda item: item[1])


def dependency_problems(inst: Installed) -> tuple[list[str], list[str]]:
    """(undeclared imports, declared-but-unused third-party dependencies) of one installed wheel."""
    stdlib = set(inst.probe["stdlib"]) | {"__future__"}
    providers: dict[str, list[str]] = inst.probe["packages_distributions"]
    applicable = inst.info.applicable_requirements()
    declared = {canonicalize_name(r.name) for r in applicable}
    used: set[str] = set()
    undeclared: list[str] = []
    for filename, source in sorted(inst.info.files.items()):
        for module, lineno in collect_imports(source, filename):
            top = module.split(".")[0]
            where = f"{filename}:{lineno}"
            if top in stdlib or top in TYPING_ONLY_MODULES:
                continue
            if top == "horde_sdk":
                parts = module.split(".")
                if len(parts) < 2:
                    undeclared.append(f"{where}: bare `import horde_sdk` names no distribution")
                    continue
                sibling = canonicalize_name("horde-sdk-" + parts[1].replace("_", "-"))
                if sibling != inst.dist and sibling not in declared:
                    undeclared.append(f"{where}: imports {module} but does not declare {sibling}")
                continue
            dists = {canonicalize_name(d) for d in providers.get(top, [])}
            if not dists:
                undeclared.append(f"{where}: imports {module}, which no installed distribution provides")
            elif not dists & declared:
                undeclared.append(f"{where}: imports {module} (from {', '.join(sorted(dists))}), not declared")
            used |= dists & declared
    third_party = {d for d in declared if not d.startswith("horde-sdk")}
    hint = f"packages/{inst.dist}/pyproject.toml [tool.horde-sdk] {RUNTIME_ONLY_KEY}"
    unused = [
        f"declares {d} but never imports it (if another dependency needs it at run time, list it in {hint})"
        for d in sorted(third_party - used - inst.runtime_only)
    ]
    unused += [f"{d} is listed in {hint} but not declared" for d in sorted(inst.runtime_only - third_party)]
    unused += [f"{d} is listed in {hint} but is imported; remove it there" for d in sorted(inst.runtime_only & used)]
    return undeclared, unused


def test_every_import_is_declared(installed: Installed) -> None:
    undeclared, _ = dependency_problems(installed)
    assert undeclared == [], f"{installed.dist} imports modules it does not declare:\n" + "\n".join(undeclared)


def test_every_declared_third_party_dependency_is_imported(installed: Installed) -> None:
    _, unused = dependency_problems(installed)
    assert unused == [], f"{installed.dist}: " + "; ".join(unused)


# -- the scanner itself ------------------------------------------------------------------------------------------


def test_collect_imports_sees_type_checking_and_function_level_imports() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os.path\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from httpx import Client\n"
        "def f():\n"
        "    import yaml\n"
        "from horde_sdk import generic_api\n"
        "from horde_sdk.worker.jobs import Job\n"
        "from . import sibling\n"
    )
    assert sorted(m for m, _ in collect_imports(source, "x.py")) == [
        "__future__",
        "horde_sdk.generic_api",
        "horde_sdk.worker.jobs",
        "httpx",
        "os.path",
        "typing",
        "yaml",
    ]


def _fake(
    requires: list[str], source: str, providers: dict[str, list[str]], runtime_only: frozenset[str] = frozenset()
) -> Installed:
    info = WheelInfo(
        requires=[Requirement(r) for r in requires],
        extras=[],
        files={"horde_sdk/deploy_config/x.py": source},
    )
    probe = {"stdlib": sorted(sys.stdlib_module_names), "packages_distributions": providers}
    return Installed("horde-sdk-deploy-config", Path("x.whl"), info, [], probe, [], runtime_only)


def test_dependency_rules_on_a_synthetic_wheel() -> None:
    providers = {"yaml": ["PyYAML"], "pydantic": ["pydantic"], "horde_sdk": ["horde-sdk-generation-parameters"]}
    source = (
        "from typing import TYPE_CHECKING\n"
        "import yaml\n"
        "if TYPE_CHECKING:\n"
        "    import pydantic\n"
        "import horde_sdk.generation_parameters\n"
        "import horde_sdk.worker\n"
        "import attrs\n"
    )
    undeclared, unused = dependency_problems(
        _fake(
            ["pyyaml>=6", "horde-sdk-generation-parameters>=0.1.0,<0.2", "structlog>=24", "tomli; python_version<'3'"],
            source,
            providers,
        )
    )
    assert undeclared == [
        "horde_sdk/deploy_config/x.py:4: imports pydantic (from pydantic), not declared",
        "horde_sdk/deploy_config/x.py:6: imports horde_sdk.worker but does not declare horde-sdk-worker",
        "horde_sdk/deploy_config/x.py:7: imports attrs, which no installed distribution provides",
    ]
    # tomli's marker does not apply here, so it is not reported as unused.
    assert len(unused) == 1
    assert unused[0].startswith("declares structlog but never imports it (if another dependency needs it")


def test_runtime_only_dependencies_are_exempt_but_kept_honest() -> None:
    providers = {"yaml": ["PyYAML"], "sniffio": ["sniffio"]}
    requires = ["pyyaml>=6", "sniffio>=1.3"]
    _, unused = dependency_problems(_fake(requires, "import yaml\n", providers, frozenset({"sniffio"})))
    assert unused == []
    _, unused = dependency_problems(
        _fake(requires, "import yaml\nimport sniffio\n", providers, frozenset({"sniffio"}))
    )
    assert len(unused) == 1
    assert unused[0].startswith("sniffio is listed in")
    assert unused[0].endswith("but is imported; remove it there")
    _, unused = dependency_problems(_fake(["pyyaml>=6"], "import yaml\n", providers, frozenset({"sniffio"})))
    assert len(unused) == 1
    assert unused[0].endswith("but not declared")


WITHOUT_EXTRA_PROBE = """
import asyncio, importlib.util
from horde_sdk.generic_api.settings import HordeTimeouts
from horde_sdk.generic_api.transport import AsyncTransport, aiohttp_available

async def main():
    transport = AsyncTransport(HordeTimeouts())
    try:
        AsyncTransport(HordeTimeouts(), backend="aiohttp")
    except ImportError as error:
        refused = "horde-sdk-generic-api[aiohttp]" in str(error)
    else:
        refused = False
    print(importlib.util.find_spec("aiohttp") is None, aiohttp_available(), transport.backend, refused)
    await transport.aclose()

asyncio.run(main())
"""


def test_generic_api_without_the_aiohttp_extra_sends_with_httpx(wheelhouse: dict[str, Path], tmp_path: Path) -> None:
    # The other tests install every extra; a light client installs horde-sdk-generic-api alone.
    venv = tmp_path / "venv"
    run([*UV, "venv", "--no-config", "--quiet", "--python", sys.executable, str(venv)], cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wheel = wheelhouse["horde-sdk-generic-api"]
    run([*UV, "pip", "install", "--no-config", "--quiet", "--python", str(python), str(wheel)], cwd=tmp_path)
    result = run([str(python), "-I", "-W", "error", "-c", WITHOUT_EXTRA_PROBE], cwd=tmp_path)
    assert result.stdout.split() == ["True", "False", "httpx", "True"]
