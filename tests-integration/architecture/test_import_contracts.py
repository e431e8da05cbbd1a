"""The import-linter contracts (.importlinter) hold on the real tree and really catch violations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / ".importlinter"
ROOT_PACKAGES = ["generic_api", "generation_parameters", "deploy_config", "ai_horde_api", "worker"]


def lint_imports_executable() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert found is not None, "lint-imports (import-linter) is not installed in this environment"
    return found


def run_lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [lint_imports_executable(), str(CONFIG), "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_real_contracts_are_kept() -> None:
    result = run_lint_imports(REPO_ROOT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "0 broken" in output
    assert "6 kept" in output
    # The command line `hatch run imports` uses is current: no deprecation warning on any run.
    assert "deprecat" not in output.lower()


def make_fixture_tree(root: Path, modules: dict[str, str]) -> Path:
    """A src dir holding all five root packages (so they shadow the real ones) plus ``modules``."""
    src = root / "src"
    for package in ROOT_PACKAGES:
        package_dir = src / "horde_sdk" / package
        package_dir.mkdir(parents=True)
        (package_dir / "__init__.py").write_text("", encoding="utf-8")
    for dotted, source in modules.items():
        path = src / (dotted.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return src


def test_clean_fixture_is_kept(tmp_path: Path) -> None:
    src = make_fixture_tree(
        tmp_path,
        {
            "horde_sdk.generic_api.transport": "import httpx\n\n\ndef session():\n    import aiohttp\n",
            "horde_sdk.generic_api.client": "from horde_sdk.generic_api import transport\n",
            "horde_sdk.ai_horde_api.clients": (
                "import horde_sdk.generic_api.client\nimport horde_sdk.generation_parameters\n"
            ),
            "horde_sdk.deploy_config.config": "import horde_sdk.generation_parameters\n",
            "horde_sdk.worker.job": "import horde_sdk.ai_horde_api.clients\nimport horde_sdk.deploy_config.config\n",
        },
    )
    result = run_lint_imports(tmp_path, src)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


def test_transport_may_be_a_package(tmp_path: Path) -> None:
    src = make_fixture_tree(
        tmp_path,
        {
            "horde_sdk.generic_api.transport.__init__": "import httpx\n",
            "horde_sdk.generic_api.transport.sync": "from httpx import Client\n",
        },
    )
    result = run_lint_imports(tmp_path, src)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "source", "contract", "chain"),
    [
        (
            "horde_sdk.generic_api.models",
            "import httpx\n",
            "httpx is imported by horde_sdk.generic_api.transport only BROKEN",
            "horde_sdk.generic_api.models -> httpx",
        ),
        (
            "horde_sdk.worker.dispatch",
            "from httpx import AsyncClient\n",
            "httpx is imported by horde_sdk.generic_api.transport only BROKEN",
            "horde_sdk.worker.dispatch -> httpx",
        ),
        (
            "horde_sdk.ai_horde_api.typing_only",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\n",
            "httpx is imported by horde_sdk.generic_api.transport only BROKEN",
            "horde_sdk.ai_horde_api.typing_only -> httpx",
        ),
        (
            "horde_sdk.worker.dispatch",
            "def send():\n    import aiohttp\n",
            "aiohttp is imported by horde_sdk.generic_api.transport only BROKEN",
            "horde_sdk.worker.dispatch -> aiohttp",
        ),
        (
            "horde_sdk.generic_api.bad",
            "import horde_sdk.ai_horde_api\n",
            "generic_api imports none of the other horde_sdk distributions BROKEN",
            "horde_sdk.generic_api.bad -> horde_sdk.ai_horde_api",
        ),
        (
            "horde_sdk.generation_parameters.bad",
            "from horde_sdk.generic_api import bad2\n",
            "generation_parameters imports none of the other horde_sdk distributions BROKEN",
            "horde_sdk.generation_parameters.bad -> horde_sdk.generic_api",
        ),
        (
            "horde_sdk.deploy_config.bad",
            "import horde_sdk.worker\n",
            "deploy_config depends on generation_parameters only BROKEN",
            "horde_sdk.deploy_config.bad -> horde_sdk.worker",
        ),
        (
            "horde_sdk.ai_horde_api.bad",
            "import horde_sdk.deploy_config\n",
            "ai_horde_api depends on generic_api and generation_parameters only BROKEN",
            "horde_sdk.ai_horde_api.bad -> horde_sdk.deploy_config",
        ),
    ],
)
def test_violation_is_reported(tmp_path: Path, module: str, source: str, contract: str, chain: str) -> None:
    modules = {module: source, "horde_sdk.generic_api.transport": "import httpx\n"}
    if "bad2" in source:
        modules["horde_sdk.generic_api.bad2"] = ""
    src = make_fixture_tree(tmp_path, modules)
    result = run_lint_imports(tmp_path, src)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert contract in output
    assert chain in output
    assert "5 kept, 1 broken" in output
