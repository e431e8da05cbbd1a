"""Each base class whose configuration a helper function defines spells it out as literal `ConfigDict(...)` keywords.

pydantic's mypy plugin reads a model's configuration only from `model_config = ConfigDict(...)` keywords in a class
body; a configuration returned by a function (`model_config = get_..._config()`) looks empty to it, so users'
type checkers would not report a misspelled keyword (`extra="forbid"`) nor an assignment to a field
(`frozen=True`). The helpers stay the public definition; these bases repeat it in the only form the plugin reads,
and this test keeps each copy equal to its helper as the plugin would read it (the source, not the runtime value).
The user-typing tests of each distribution (`test_*_user_typing.py`) show what users get from it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from horde_sdk.deploy_config.model_config import get_deploy_config_model_config
from horde_sdk.generation_parameters.generic.consts import get_generation_parameters_model_config
from horde_sdk.generic_api.consts import get_request_model_config_dict

SPELLED_OUT_BASES: dict[tuple[str, str], Callable[[], Any]] = {
    ("horde_sdk.generation_parameters.generic.object_models", "GenerationParameterBaseModel"): (
        get_generation_parameters_model_config
    ),
    ("horde_sdk.deploy_config.model_config", "_DeployConfigModel"): get_deploy_config_model_config,
    ("horde_sdk.generic_api.apimodels", "HordeRequest"): get_request_model_config_dict,
}


def literal_config(source: str, class_name: str) -> dict[str, object]:
    """The `model_config = ConfigDict(...)` keywords in the body of the module-level class `class_name`."""
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for statement in node.body:
            if not isinstance(statement, ast.Assign):
                continue
            if [ast.unparse(target) for target in statement.targets] != ["model_config"]:
                continue
            call = statement.value
            spelled = ast.unparse(call)
            assert isinstance(call, ast.Call), f"not a literal: {spelled}"
            assert ast.unparse(call.func) == "ConfigDict", f"not a literal: {spelled}"
            assert not call.args, f"pydantic's mypy plugin reads keywords only: {spelled}"
            assert all(keyword.arg for keyword in call.keywords), f"pydantic's mypy plugin reads no **: {spelled}"
            return {str(keyword.arg): ast.literal_eval(keyword.value) for keyword in call.keywords}
        raise AssertionError(f"{class_name} sets no model_config in its class body")
    raise AssertionError(f"no class {class_name}")


@pytest.mark.parametrize(("module", "base"), list(SPELLED_OUT_BASES), ids=[base for _, base in SPELLED_OUT_BASES])
def test_the_base_spells_out_its_helpers_configuration(module: str, base: str) -> None:
    source = inspect.getsource(importlib.import_module(module))
    assert literal_config(source, base) == dict(SPELLED_OUT_BASES[module, base]())


def test_the_rule_tells_a_literal_from_a_call() -> None:
    source = (
        "class Literal(BaseModel):\n"
        '    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())\n'
        "class Called(BaseModel):\n"
        "    model_config = get_config()\n"
        "class Unpacked(BaseModel):\n"
        "    model_config = ConfigDict(**get_config())\n"
    )
    assert literal_config(source, "Literal") == {"frozen": True, "extra": "forbid", "protected_namespaces": ()}
    with pytest.raises(AssertionError, match="not a literal"):
        literal_config(source, "Called")
    with pytest.raises(AssertionError, match="no \\*\\*"):
        literal_config(source, "Unpacked")
