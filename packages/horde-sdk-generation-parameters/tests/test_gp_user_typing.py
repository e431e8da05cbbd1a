"""SDK users' type checkers know the parameter models: keywords by field name, misspellings and assignments reported.

pydantic's mypy plugin reads a model's configuration only from literal `ConfigDict(...)` keywords in a class body.
`GenerationParameterBaseModel` spells out `get_generation_parameters_model_config()` there (the function stays the
one public definition; tests-integration/architecture/test_model_configs.py keeps the literal equal to it). Here,
every model has that configuration, and users get what it promises:

- `user_typing/gp_by_name.py`, a user's script building every kind of model by field name, type-checks without an
  error with the plugin at its defaults and without the plugin (the root conftest's `user_mypy`), and runs;
- a copy with a misspelled keyword and an assignment to a (frozen) field gets both reported with the plugin, and
  the misspelling without it. Without the plugin, type checkers read `frozen` only from a class keyword
  (`class M(BaseModel, frozen=True)`), never from `model_config`, so the assignment goes unreported there.

`hatch run types` checks the script with this repository's settings (the plugin's `init_forbid_extra` and
`init_typed` on).
"""

from __future__ import annotations

import importlib
import pkgutil
import runpy
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

import horde_sdk.generation_parameters as gp
from horde_sdk.generation_parameters.generic import (
    GenerationParameterBaseModel,
    get_generation_parameters_model_config,
)

USER_SCRIPT = Path(__file__).parent / "user_typing" / "gp_by_name.py"
MISSPELLED = 'lora = LoRaEntry(name="247778", model_strenght=0.8, clip_strength=0.9, is_version=True)'
ASSIGNED = "lora.model_strength = 0.5"
MISTAKES = {
    'lora = LoRaEntry(name="247778", model_strength=0.8, clip_strength=0.9, is_version=True)': MISSPELLED,
    "strength: float = lora.model_strength": ASSIGNED,
}
REPORTS: dict[str, dict[str, tuple[str, ...]]] = {
    "pydantic-plugin-defaults": {
        MISSPELLED: ('"model_strenght"', "[call-arg]"),
        ASSIGNED: ('"model_strength"', "read-only", "[misc]"),
    },
    "no-plugin": {MISSPELLED: ('"model_strenght"', "[call-arg]")},
}


def every_model_class() -> list[type[BaseModel]]:
    """Every pydantic model class defined in horde_sdk.generation_parameters (public or not)."""
    found: dict[str, type[BaseModel]] = {}
    for module_info in pkgutil.walk_packages(gp.__path__, "horde_sdk.generation_parameters."):
        for value in vars(importlib.import_module(module_info.name)).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__.startswith(gp.__name__):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def test_every_model_inherits_the_configuration() -> None:
    models = every_model_class()
    assert len(models) > 40
    expected = dict(get_generation_parameters_model_config())
    assert [model.__name__ for model in models if dict(model.model_config) != expected] == []
    assert [model.__name__ for model in models if not issubclass(model, GenerationParameterBaseModel)] == []


def test_the_user_script_runs() -> None:
    runpy.run_path(str(USER_SCRIPT), run_name="user_script")


def test_parameters_built_by_field_name_type_check_for_users(
    user_mypy: Callable[[Path, dict[str, str], dict[str, dict[str, tuple[str, ...]]]], None],
) -> None:
    user_mypy(USER_SCRIPT, MISTAKES, REPORTS)
