"""tools/check_dependency_graph.py: passes on the real tree, and detects every kind of breakage on fixtures."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / "tools" / "check_dependency_graph.py"

# The diagram, restated independently of the tool so a wrong ALLOWED_GRAPH is caught too.
DIAGRAM: dict[str, list[str]] = {
    "horde-sdk-generic-api": [],
    "horde-sdk-generation-parameters": [],
    "horde-sdk-deploy-config": ["horde-sdk-generation-parameters"],
    "horde-sdk-ai-horde-api": ["horde-sdk-generic-api", "horde-sdk-generation-parameters"],
    "horde-sdk-worker": [
        "horde-sdk-ai-horde-api",
        "horde-sdk-generic-api",
        "horde-sdk-generation-parameters",
        "horde-sdk-deploy-config",
    ],
}


def _load_tool() -> ModuleType:
    name = "check_dependency_graph_under_test"
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


def _module(dist: str) -> str:
    return dist.removeprefix("horde-sdk-").replace("-", "_")


def write_package(
    root: Path,
    dist: str,
    *,
    version: str = "0.1.0",
    dependencies: list[str] | None = None,
    extra_pyproject: str = "",
) -> Path:
    pkg = root / "packages" / dist
    module_dir = pkg / "src" / "horde_sdk" / _module(dist)
    module_dir.mkdir(parents=True)
    (module_dir / "__init__.py").write_text('"""Fixture."""\n', encoding="utf-8")
    (module_dir / "__about__.py").write_text(f'"""About."""\n\n__version__ = "{version}"\n', encoding="utf-8")
    (module_dir / "py.typed").write_text("", encoding="utf-8")
    (pkg / "README.md").write_text(f"# {dist}\n", encoding="utf-8")
    (pkg / "CHANGELOG.md").write_text("# Changelog\n", encoding="utf-8")
    (pkg / "tests").mkdir()
    deps = dependencies if dependencies is not None else [f"{d}>=0.1.0,<0.2" for d in DIAGRAM[dist]]
    deps_toml = ", ".join(f'"{d}"' for d in [*deps, "pydantic>=2.7,<3"])
    (pkg / "pyproject.toml").write_text(
        f"""[build-system]
requires = ["hatchling>=1.27"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
dynamic = ["version"]
requires-python = ">=3.11"
dependencies = [{deps_toml}]
{extra_pyproject}
[tool.hatch.version]
path = "src/horde_sdk/{_module(dist)}/__about__.py"
""",
        encoding="utf-8",
    )
    return pkg


@pytest.fixture
def good_repo(tmp_path: Path) -> Path:
    for dist in DIAGRAM:
        write_package(tmp_path, dist)
    return tmp_path


def run_tool(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = tool.main(["--root", str(root)])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if "ERROR" in line]
    return code, errors, captured.out


def assert_single_problem(root: Path, capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    code, errors, out = run_tool(root, capsys)
    assert code == 1
    assert "OK" not in out
    assert len(errors) == 1, errors
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


# ---------------------------------------------------------------------------------------------------------------
# The real repository
# ---------------------------------------------------------------------------------------------------------------


def test_real_repository_passes_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(TOOL)], capture_output=True, text=True, check=False, cwd=REPO_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK (5 distributions" in result.stdout


def test_tool_graph_matches_the_documented_diagram() -> None:
    assert {k: set(v) for k, v in tool.ALLOWED_GRAPH.items()} == {k: set(v) for k, v in DIAGRAM.items()}


# ---------------------------------------------------------------------------------------------------------------
# Fixtures: a good tree passes, each breakage is reported on exactly one clear line
# ---------------------------------------------------------------------------------------------------------------


def test_good_fixture_passes(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, errors, out = run_tool(good_repo, capsys)
    assert (code, errors) == (0, [])
    assert "OK (5 distributions" in out
    assert "horde-sdk-worker 0.1.0" in out


def test_pin_that_does_not_admit_the_sibling_version(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    about = good_repo / "packages/horde-sdk-generic-api/src/horde_sdk/generic_api/__about__.py"
    about.write_text('__version__ = "0.2.0"\n', encoding="utf-8")
    code, errors, _ = run_tool(good_repo, capsys)
    assert code == 1
    # ai-horde-api and worker both pin generic-api to <0.2.
    assert len(errors) == 2, errors
    assert all("does not admit horde-sdk-generic-api's current version 0.2.0" in e for e in errors)
    assert {e.removeprefix("dependency-graph: ERROR ").split(":")[0] for e in errors} == {
        "horde-sdk-ai-horde-api",
        "horde-sdk-worker",
    }


@pytest.mark.parametrize(
    ("requirement", "needle"),
    [
        ("horde-sdk-generation-parameters>=0.1.0", "must be exactly"),
        ("horde-sdk-generation-parameters", "must be exactly"),
        ("horde-sdk-generation-parameters==0.1.0", "must be exactly"),
        ("horde-sdk-generation-parameters~=0.1.0", "must be exactly"),
        ("horde-sdk-generation-parameters>=0.1.0,<1", "should be <0.2"),
        ("horde-sdk-generation-parameters>=0.1.0,<0.3", "should be <0.2"),
        ("horde-sdk-generation-parameters>=0.1.0rc1,<0.2", "not a released version"),
        ("horde-sdk-generation-parameters>=0.1.0.dev0,<0.2", "not a released version"),
        ("horde-sdk-generation-parameters>=0.1,<0.2", "not a released version"),
        ("horde-sdk-generation-parameters @ file:///tmp/x.whl", "direct reference"),
        ("horde-sdk-generation-parameters>=0.1.0,<0.2; python_version>='3.12'", "environment marker"),
    ],
)
def test_pin_that_is_not_a_compatible_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], requirement: str, needle: str
) -> None:
    for dist in DIAGRAM:
        deps = [requirement] if dist == "horde-sdk-deploy-config" else None
        write_package(tmp_path, dist, dependencies=deps)
    line = assert_single_problem(tmp_path, capsys, "horde-sdk-deploy-config", needle)
    assert line.startswith("dependency-graph: ERROR horde-sdk-deploy-config:")


def test_compatible_ranges_from_one_point_oh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for dist, siblings in DIAGRAM.items():
        version = "1.4.2" if dist == "horde-sdk-generation-parameters" else "0.1.0"
        deps = [f"{d}>=1.4.0,<2" if d == "horde-sdk-generation-parameters" else f"{d}>=0.1.0,<0.2" for d in siblings]
        write_package(tmp_path, dist, version=version, dependencies=deps)
    code, errors, _ = run_tool(tmp_path, capsys)
    assert (code, errors) == (0, [])

    pyproject = tmp_path / "packages/horde-sdk-deploy-config/pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("<2", "<1.5"), encoding="utf-8")
    assert_single_problem(tmp_path, capsys, "horde-sdk-deploy-config", "should be <2")


def test_missing_edge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for dist in DIAGRAM:
        deps = ["horde-sdk-generic-api>=0.1.0,<0.2"] if dist == "horde-sdk-ai-horde-api" else None
        write_package(tmp_path, dist, dependencies=deps)
    assert_single_problem(
        tmp_path, capsys, "horde-sdk-ai-horde-api", "missing dependency on horde-sdk-generation-parameters"
    )


def test_extra_edge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for dist in DIAGRAM:
        deps = ["horde-sdk-ai-horde-api>=0.1.0,<0.2"] if dist == "horde-sdk-generic-api" else None
        write_package(tmp_path, dist, dependencies=deps)
    assert_single_problem(
        tmp_path, capsys, "horde-sdk-generic-api", "depends on horde-sdk-ai-horde-api", "does not allow"
    )


def test_dependency_on_the_old_monolith_is_an_extra_edge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for dist in DIAGRAM:
        deps = ["horde-sdk>=0.17.0,<0.18"] if dist == "horde-sdk-generic-api" else None
        write_package(tmp_path, dist, dependencies=deps)
    assert_single_problem(tmp_path, capsys, "horde-sdk-generic-api", "depends on horde-sdk,")


def test_sibling_in_an_extra(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for dist in DIAGRAM:
        extra = ""
        if dist == "horde-sdk-deploy-config":
            extra = '[project.optional-dependencies]\nfull = ["horde-sdk-worker>=0.1.0,<0.2"]\n'
        write_package(tmp_path, dist, extra_pyproject=extra)
    assert_single_problem(tmp_path, capsys, "horde-sdk-deploy-config", "extra 'full' depends on horde-sdk-worker")


@pytest.mark.parametrize(("declared", "problems"), [("aiohttp", 0), ("speedups", 1)])
def test_a_sibling_extra_must_be_one_the_sibling_declares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], declared: str, problems: int
) -> None:
    # horde-sdk-worker depends on horde-sdk-generic-api[aiohttp]: an extra adds third-party packages only.
    for dist in DIAGRAM:
        deps = None
        extra = ""
        if dist == "horde-sdk-ai-horde-api":
            deps = ["horde-sdk-generic-api[aiohttp]>=0.1.0,<0.2", "horde-sdk-generation-parameters>=0.1.0,<0.2"]
        if dist == "horde-sdk-generic-api":
            extra = f'[project.optional-dependencies]\n{declared} = ["aiohttp>=3.10,<4"]\n'
        write_package(tmp_path, dist, dependencies=deps, extra_pyproject=extra)
    if problems:
        assert_single_problem(tmp_path, capsys, "horde-sdk-ai-horde-api", "requests extras", "['aiohttp']")
    else:
        code, errors, _ = run_tool(tmp_path, capsys)
        assert (code, errors) == (0, [])


def _remove(path: Path) -> None:
    if path.is_dir():
        path.rmdir()
    else:
        path.unlink()


@pytest.mark.parametrize(
    ("relative", "needle"),
    [
        ("src/horde_sdk/deploy_config/py.typed", "missing file src/horde_sdk/deploy_config/py.typed"),
        ("src/horde_sdk/deploy_config/__about__.py", "missing file src/horde_sdk/deploy_config/__about__.py"),
        ("README.md", "missing file README.md"),
        ("CHANGELOG.md", "missing file CHANGELOG.md"),
        ("tests", "missing dir tests"),
    ],
)
def test_missing_required_file(
    good_repo: Path, capsys: pytest.CaptureFixture[str], relative: str, needle: str
) -> None:
    _remove(good_repo / "packages/horde-sdk-deploy-config" / relative)
    assert_single_problem(good_repo, capsys, "horde-sdk-deploy-config", needle)


def test_about_without_a_version(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    about = good_repo / "packages/horde-sdk-worker/src/horde_sdk/worker/__about__.py"
    about.write_text('"""No version here."""\n', encoding="utf-8")
    assert_single_problem(good_repo, capsys, "horde-sdk-worker", "__version__")


def test_version_path_pointing_elsewhere(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = good_repo / "packages/horde-sdk-worker/pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace("worker/__about__.py", "worker/_version.py")
    pyproject.write_text(text, encoding="utf-8")
    assert_single_problem(good_repo, capsys, "horde-sdk-worker", "[tool.hatch.version] path")


@pytest.mark.parametrize(
    "location",
    [
        "packages/horde-sdk-generic-api/src/horde_sdk/__init__.py",
        "packages/horde-sdk-worker/src/horde_sdk/__init__.py",
    ],
)
def test_namespace_init_is_reported(good_repo: Path, capsys: pytest.CaptureFixture[str], location: str) -> None:
    (good_repo / location).write_text("", encoding="utf-8")
    assert_single_problem(good_repo, capsys, location, "namespace")


@pytest.mark.parametrize("dist", list(DIAGRAM))
def test_missing_distribution(tmp_path: Path, capsys: pytest.CaptureFixture[str], dist: str) -> None:
    for other in DIAGRAM:
        if other != dist:
            write_package(tmp_path, other)
    code, errors, _ = run_tool(tmp_path, capsys)
    assert code == 1
    assert any(f"{dist}: distribution is missing" in e for e in errors), errors


def test_unknown_distribution(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_package(good_repo, "horde-sdk-extra-thing", dependencies=[])
    assert_single_problem(good_repo, capsys, "horde-sdk-extra-thing", "not in the package diagram")


def test_project_name_must_match_directory(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = good_repo / "packages/horde-sdk-generic-api/pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        'name = "horde-sdk-generic-api"', 'name = "Horde_SDK.Generic-API"'
    )
    pyproject.write_text(text, encoding="utf-8")
    # A non-canonical spelling of the same name is fine (PEP 503 normalisation).
    code, errors, _ = run_tool(good_repo, capsys)
    assert (code, errors) == (0, [])
    pyproject.write_text(text.replace("Horde_SDK.Generic-API", "horde-sdk-generic"), encoding="utf-8")
    code, errors, _ = run_tool(good_repo, capsys)
    assert code == 1
    assert any("does not match its directory name" in e for e in errors), errors


def test_every_problem_gets_its_own_line(good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (good_repo / "packages/horde-sdk-worker/README.md").unlink()
    (good_repo / "packages/horde-sdk-generic-api/src/horde_sdk/__init__.py").write_text("")
    (good_repo / "packages/horde-sdk-deploy-config/CHANGELOG.md").unlink()
    code, errors, _ = run_tool(good_repo, capsys)
    assert code == 1
    assert len(errors) == 3, errors
    assert any("horde-sdk-worker: missing file README.md" in e for e in errors)
    assert any("horde_sdk/__init__.py: must not exist" in e for e in errors)
    assert any("horde-sdk-deploy-config: missing file CHANGELOG.md" in e for e in errors)


def test_script_exit_code_on_a_broken_tree(good_repo: Path) -> None:
    (good_repo / "packages/horde-sdk-worker/CHANGELOG.md").unlink()
    result = subprocess.run(
        [sys.executable, str(TOOL), "--root", str(good_repo)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 1
    assert "horde-sdk-worker: missing file CHANGELOG.md" in result.stderr
    assert "OK" not in result.stdout
