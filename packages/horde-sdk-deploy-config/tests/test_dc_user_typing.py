"""SDK users' type checkers know the deploy-config models: keywords by field name, misspellings and assignments reported.

pydantic's mypy plugin reads a model's configuration only from literal `ConfigDict(...)` keywords in a class body.
Every model here derives from one base spelling out `get_deploy_config_model_config()` there (the function stays the
one public definition; tests-integration/architecture/test_model_configs.py keeps the literal equal to it). Here,
every model has that configuration, and users get what it promises:

- `user_typing/dc_by_name.py`, a user's script building each kind of configuration by field name, type-checks
  without an error with the plugin at its defaults and without the plugin (the root conftest's `user_mypy`), and
  runs;
- a copy with a misspelled keyword and an assignment to a (frozen) field gets both reported with the plugin, and
  the misspelling without it (type checkers read `frozen` from `model_config` only through the plugin).

A configuration file's former keys (`worker_name` for `dreamer_name`, ...) are validation aliases, not field names:
type checkers refuse them as keywords, so the script reads them through `parse_deploy_config` and `model_validate`.
`hatch run types` checks the script with this repository's settings (the plugin's `init_forbid_extra` and
`init_typed` on).
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

import horde_sdk.deploy_config as dc
from horde_sdk.deploy_config import get_deploy_config_model_config

USER_SCRIPT = Path(__file__).parent / "user_typing" / "dc_by_name.py"
MISSPELLED = 'alchemy = AlchemyWorkerDeployConfig(alchemist_nmae="alchemist", forms=("caption", "post-process"))'
ASSIGNED = "image.max_power = 32"
MISTAKES = {
    'alchemy = AlchemyWorkerDeployConfig(alchemist_name="alchemist", forms=("caption", "post-process"))': MISSPELLED,
    "max_power: int = image.max_power": ASSIGNED,
}
REPORTS: dict[str, dict[str, tuple[str, ...]]] = {
    "pydantic-plugin-defaults": {
        MISSPELLED: ('"alchemist_nmae"', "[call-arg]"),
        ASSIGNED: ('"max_power"', "read-only", "[misc]"),
    },
    "no-plugin": {MISSPELLED: ('"alchemist_nmae"', "[call-arg]")},
}


def test_every_exported_model_has_the_configuration() -> None:
    exported = [getattr(dc, name) for name in dc.__all__]
    models = [value for value in exported if isinstance(value, type) and issubclass(value, BaseModel)]
    assert len(models) == 8
    expected = dict(get_deploy_config_model_config())
    assert {model.__name__: dict(model.model_config) == expected for model in models} == {
        model.__name__: True for model in models
    }


def test_the_user_script_runs() -> None:
    runpy.run_path(str(USER_SCRIPT), run_name="user_script")


def test_configurations_built_by_field_name_type_check_for_users(
    user_mypy: Callable[[Path, dict[str, str], dict[str, dict[str, tuple[str, ...]]]], None],
) -> None:
    user_mypy(USER_SCRIPT, MISTAKES, REPORTS)
