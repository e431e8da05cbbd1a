"""Root pytest configuration shared by every distribution's tests and the integration suite.

It does four things only:

* switches horde_sdk models to strict mode (unknown fields rejected) before any test module imports
  them, through the documented API of ``horde_sdk.generic_api.testing`` (never an environment variable);
* provides the one fixture through which tests find the AI Horde swagger document;
* makes each test see the once-per-process warnings about unknown ``KNOWN_*`` values afresh;
* provides ``user_mypy``, which type-checks files the way an SDK user's project would, for the tests of every
  distribution that ships models (a fixture, so that no distribution's tests import another's).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent
SHARED_SWAGGER = REPO_ROOT.parent / "shared" / "ai_horde" / "swagger.json"
CACHED_SWAGGER = REPO_ROOT / "tools" / ".cache" / "swagger.json"


def _enable_strict_models() -> None:
    """Turn on strict models when generic_api is installed (isolation environments may lack it)."""
    if importlib.util.find_spec("horde_sdk.generic_api") is None:
        return
    from horde_sdk.generic_api.testing import enable_strict_models

    enable_strict_models()


# Done while pytest loads this file, which happens before it loads any deeper conftest.py or test
# module: model classes read the strictness when they are created.
_enable_strict_models()


def find_swagger_path() -> Path:
    """Locate swagger.json: $HORDE_SWAGGER_JSON, else ../shared/ai_horde/swagger.json, else the refresh cache."""
    from_env = os.environ.get("HORDE_SWAGGER_JSON")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise FileNotFoundError(f"HORDE_SWAGGER_JSON points to {path}, which is not a file")
        return path
    for candidate in (SHARED_SWAGGER, CACHED_SWAGGER):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "No AI Horde swagger.json found. Set HORDE_SWAGGER_JSON, place ../shared/ai_horde/swagger.json beside "
        "the checkout, or run `hatch run python tools/refresh_swagger.py` once (it caches a download)."
    )


@pytest.fixture(scope="session")
def horde_swagger_path() -> Path:
    """Path of the AI Horde swagger document the tests verify against."""
    return find_swagger_path()


@pytest.fixture(scope="session")
def horde_swagger(horde_swagger_path: Path) -> dict[str, Any]:
    """The parsed AI Horde swagger document (treat as read-only)."""
    data: dict[str, Any] = json.loads(horde_swagger_path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(autouse=True)
def _fresh_unknown_value_warnings() -> None:
    """Each test starts with no unknown KNOWN_ value reported yet (the warning is once per value per process)."""
    validation = sys.modules.get("horde_sdk.generation_parameters.validation")
    if validation is not None:
        validation.forget_reported_unknown_values()


USER_MYPY_SETTINGS: dict[str, str] = {
    "pydantic-plugin-defaults": "[mypy]\nstrict = True\nplugins = pydantic.mypy\n",
    "no-plugin": "[mypy]\nstrict = True\n",
}
"""The mypy settings of an SDK user's project that ``user_mypy`` runs with, by name.

- ``pydantic-plugin-defaults``: pydantic's mypy plugin with its defaults (``init_forbid_extra`` and ``init_typed``
  off); it reads a model's configuration only from literal ``ConfigDict(...)`` keywords in class bodies.
- ``no-plugin``: mypy's ``dataclass_transform`` reading of pydantic models, the one pyright does too.

The third setting, the plugin with ``init_forbid_extra`` and ``init_typed`` on, is this repository's ``mypy.ini``:
``hatch run types`` checks every test directory with it, the user scripts included.
"""

_MYPY_ERROR = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*)$", re.MULTILINE)


@pytest.fixture(params=list(USER_MYPY_SETTINGS))
def user_mypy_settings(request: pytest.FixtureRequest) -> str:
    """The name of one of `USER_MYPY_SETTINGS`: a test using ``user_mypy`` runs once with each."""
    settings: str = request.param
    return settings


@pytest.fixture
def user_mypy(
    request: pytest.FixtureRequest, user_mypy_settings: str, tmp_path: Path
) -> Callable[[Path, dict[str, str], dict[str, dict[str, tuple[str, ...]]]], None]:
    """A check that mypy, set up as an SDK user's project, accepts a user's script and reports mistakes made in a copy.

    The check takes the script, ``mistakes`` (lines of the script, each mapped to a mistaken version made in a copy
    of it) and ``reports`` (for each name of `USER_MYPY_SETTINGS`, the mistaken lines mypy must report, each mapped
    to words its message holds). It asserts that mypy finds no error in the script and, in the copy, errors on
    exactly the expected lines: the negative control, which shows that the check can fail.

    mypy runs in a subprocess from outside the repository, with only the ``user_mypy_settings`` configuration and
    the installed packages (not this repository's ``mypy.ini`` or ``MYPYPATH``). Its cache is kept in pytest's
    cache directory, one per test module and setting (parallel workers never share one): a first run costs a few
    seconds, later ones about one. Skips the test where mypy is not installed (the iso-* environments).
    """
    pytest.importorskip("mypy", reason="mypy is a development tool: only the default environment has it")
    cache = getattr(request.config, "cache", None)
    cache_dir = tmp_path / "mypy-cache"
    if cache is not None:
        cache_dir = cache.mkdir("mypy-user-typing") / f"{request.node.path.stem}-{user_mypy_settings}"
    project = tmp_path / "user-project"
    project.mkdir()
    ini = project / "mypy.ini"
    ini.write_text(USER_MYPY_SETTINGS[user_mypy_settings], encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key not in {"MYPYPATH", "MYPY_CACHE_DIR"}}

    def check(script: Path, mistakes: dict[str, str], reports: dict[str, dict[str, tuple[str, ...]]]) -> None:
        assert set(reports) == set(USER_MYPY_SETTINGS), reports
        text = script.read_text(encoding="utf-8")
        lines = text.splitlines()
        for correct in mistakes:
            assert lines.count(correct) == 1, f"not exactly one line of {script.name}: {correct}"
        mistaken_lines = [mistakes.get(line, line) for line in lines]
        mistaken = project / f"{script.stem}_with_mistakes.py"
        mistaken.write_text("\n".join(mistaken_lines) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "mypy", "--config-file", str(ini), "--cache-dir", str(cache_dir)]
        result = subprocess.run(
            [*command, "--no-error-summary", str(script), str(mistaken)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode in (0, 1), output  # 2 is a crash or a usage error
        errors = [(Path(m["file"]), int(m["line"]), m["message"]) for m in _MYPY_ERROR.finditer(result.stdout)]
        assert [error for error in errors if error[0].name == script.name] == [], output
        reported = {line: message for path, line, message in errors if path.name == mistaken.name}
        expected = {mistaken_lines.index(line) + 1: words for line, words in reports[user_mypy_settings].items()}
        missed = [mistaken_lines[line - 1].strip() for line in sorted(set(expected) - set(reported))]
        assert missed == [], f"mypy did not report these mistakes ({user_mypy_settings}):\n{output}"
        assert sorted(reported) == sorted(expected), output
        for line, words in expected.items():
            assert all(word in reported[line] for word in words), (words, output)

    return check
