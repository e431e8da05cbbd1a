"""SDK users' type checkers accept models built by field name (`id_=`, `type_=`, `worker_name=`), plugin or not.

`user_typing/by_name.py` is a user's script. The root conftest's `user_mypy` fixture type-checks it in a subprocess
the way a user's project would: the installed packages (not this repository's `mypy.ini`), `strict = True`, and
either pydantic's mypy plugin at its defaults or no plugin (see `USER_MYPY_SETTINGS` there).

The third setting, the plugin with `init_forbid_extra` and `init_typed` on (this repository's `mypy.ini`), is
`hatch run types`, which checks this directory, the script included; there the tests' own deliberate mistakes
(`# type: ignore[call-arg]  # an unknown field on purpose`) are the negative control, as mypy reports an ignore
that is no longer needed.

Each run also checks a copy of the script with one keyword misspelled, which must be reported (the negative
control), so the check can fail.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

USER_SCRIPT = Path(__file__).parent / "user_typing" / "by_name.py"
MISTAKES = {"check = ImageGenerateCheckRequest(id_=JOB)": "check = ImageGenerateCheckRequest(idd_=JOB)"}
REPORTED: dict[str, tuple[str, ...]] = {"check = ImageGenerateCheckRequest(idd_=JOB)": ('"idd_"', "[call-arg]")}


def test_the_user_script_runs() -> None:
    runpy.run_path(str(USER_SCRIPT), run_name="user_script")


def test_models_built_by_field_name_type_check_for_users(
    user_mypy: Callable[[Path, dict[str, str], dict[str, dict[str, tuple[str, ...]]]], None],
) -> None:
    user_mypy(USER_SCRIPT, MISTAKES, {"pydantic-plugin-defaults": REPORTED, "no-plugin": REPORTED})
