"""SDK users' type checkers accept models built by field name (`id_=`, `type_=`, `worker_name=`), plugin or not.

`user_typing/by_name.py` is a user's script. mypy checks it in a subprocess the way a user's project would: the
installed packages (not this repository's `mypy.ini`), `strict = True`, and either

- `plugins = pydantic.mypy` with the plugin's defaults (`init_forbid_extra` and `init_typed` off), or
- no plugin: mypy's `dataclass_transform` reading of pydantic models, the one pyright does too.

The third setting, the plugin with `init_forbid_extra` and `init_typed` on (this repository's `mypy.ini`), is
`hatch run types`, which checks this directory, the script included; there the tests' own deliberate mistakes
(`# type: ignore[call-arg]  # an unknown field on purpose`) are the negative control, as mypy reports an ignore
that is no longer needed.

Each run also checks a copy of the script with one keyword misspelled, which must be reported, so the check can
fail. mypy's cache lives in pytest's cache directory: a first run takes about ten seconds per setting, later ones one or two.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

USER_SCRIPT = Path(__file__).parent / "user_typing" / "by_name.py"
CORRECT_CALL = "check = ImageGenerateCheckRequest(id_=JOB)"
MISSPELLED_CALL = "check = ImageGenerateCheckRequest(idd_=JOB)"

MYPY_SETTINGS = {
    "pydantic-plugin-defaults": "[mypy]\nstrict = True\nplugins = pydantic.mypy\n",
    "no-plugin": "[mypy]\nstrict = True\n",
}

_ERROR = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*)$", re.MULTILINE)


def _run_mypy(config: str, workdir: Path, cache_dir: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    """Run mypy as a user would: from outside the repository, with only ``config`` and the installed packages."""
    ini = workdir / "mypy.ini"
    ini.write_text(config, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key not in {"MYPYPATH", "MYPY_CACHE_DIR"}}
    command = [sys.executable, "-m", "mypy", "--config-file", str(ini), "--cache-dir", str(cache_dir)]
    return subprocess.run(
        [*command, "--no-error-summary", *map(str, files)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def mypy_cache(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A mypy cache directory kept between test runs where pytest's cache is enabled."""
    cache = getattr(request.config, "cache", None)
    if cache is None:
        return tmp_path / "mypy-cache"
    path: Path = cache.mkdir("mypy-user-typing")
    settings: str = request.node.callspec.id
    return path / settings


def test_the_user_script_runs() -> None:
    runpy.run_path(str(USER_SCRIPT), run_name="user_script")


def test_the_negative_control_changes_exactly_one_call() -> None:
    assert USER_SCRIPT.read_text(encoding="utf-8").count(CORRECT_CALL) == 1


@pytest.mark.parametrize("settings", list(MYPY_SETTINGS))
def test_models_built_by_field_name_type_check_for_users(settings: str, tmp_path: Path, mypy_cache: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is a development tool: only the default environment has it")
    script = USER_SCRIPT.read_text(encoding="utf-8")
    mistaken = tmp_path / "user_with_a_typo.py"
    mistaken.write_text(script.replace(CORRECT_CALL, MISSPELLED_CALL), encoding="utf-8")
    typo_line = next(number for number, line in enumerate(script.splitlines(), 1) if CORRECT_CALL in line)

    result = _run_mypy(MYPY_SETTINGS[settings], tmp_path, mypy_cache, USER_SCRIPT, mistaken)

    errors = [(Path(m["file"]).name, int(m["line"]), m["message"]) for m in _ERROR.finditer(result.stdout)]
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2 would be a crash or a usage error
    assert [error for error in errors if error[0] == USER_SCRIPT.name] == [], result.stdout
    typo_errors = [error for error in errors if error[0] == mistaken.name]
    assert typo_errors, f"the misspelled keyword was not reported:\n{result.stdout}{result.stderr}"
    assert {line for _, line, _ in typo_errors} == {typo_line}, result.stdout
    assert any('"idd_"' in message and "[call-arg]" in message for _, _, message in typo_errors), result.stdout
