"""Type checkers know every SDK model field by its Python name, with pydantic's mypy plugin or without it.

A type checker reads `Field(alias=...)` on the right of `=` as the keyword of the generated `__init__` (the
`dataclass_transform` rule), so `id_: JobID = Field(alias="id")` would make `Model(id_=...)` an error for users
without pydantic's plugin (and for users with it, unless the class body's `ConfigDict` literal says
`validate_by_name=True`). Inside `Annotated[...]` only pydantic reads the alias, which is pydantic's documented way
to keep field names for type checkers; at runtime both spellings make the same field.
`packages/horde-sdk-ai-horde-api/tests/test_aha_user_typing.py` type-checks a user's script against the result.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def aliases_type_checkers_read(source: str) -> list[int]:
    """Line numbers of fields declared as `name: T = Field(..., alias=...)`."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.value, ast.Call):
            continue
        callee = node.value.func
        name = callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(callee, ast.Attribute) else ""
        if name == "Field" and any(keyword.arg == "alias" for keyword in node.value.keywords):
            lines.append(node.lineno)
    return lines


def test_no_sdk_model_field_shows_its_alias_to_type_checkers() -> None:
    sources = sorted((REPO_ROOT / "packages").glob("*/src/**/*.py"))
    assert len(sources) > 50
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for path in sources
        for line in aliases_type_checkers_read(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "declare these as `name: Annotated[T, Field(alias=...)] = default`"


def test_the_rule_tells_the_two_spellings_apart() -> None:
    source = (
        "class M(BaseModel):\n"
        '    id_: JobID = Field(alias="id")\n'
        '    type_: str | None = pydantic.Field(default=None, alias="type")\n'
        '    kept_: Annotated[JobID, Field(alias="kept")]\n'
        '    name: str = Field(description="no alias")\n'
    )
    assert aliases_type_checkers_read(source) == [2, 3]
