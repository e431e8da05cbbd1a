"""The swagger's enumerations of request bodies, enforced as the real server enforces them.

The real server validates request bodies against its swagger: a value outside an enumeration gets
``400 {"message": "Input payload validation failed", "errors": {"forms.0.name": "'nope' is not one of [...]"}}``
(BEHAVIOUR.md, "Where the swagger is wrong"). The SDK's ``KNOWN_`` enumerations only warn, so without this the
local horde would accept (and queue forever) what the real one refuses.

The enumerations of the routes the local horde serves are kept in ``swagger_enums.json`` beside this module,
extracted from the swagger by :func:`extract_body_enums`; refresh it after a swagger refresh with
``hatch run python -m horde_local.enums [path/to/swagger.json]`` (a test fails while it is stale).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["body_enums", "enum_errors", "extract_body_enums"]

_TABLE = "swagger_enums.json"
_MAX_DEPTH = 12
BodyEnums = dict[str, dict[str, list[Any]]]
"""``"METHOD /path"`` -> {``field.path`` (``*`` for list items) -> allowed values, in the swagger's order}."""


def extract_body_enums(swagger: dict[str, Any], routes: Iterable[tuple[str, str]]) -> BodyEnums:
    """Return the enumerations in the body schemas of ``routes`` (``(METHOD, /path)``) of a swagger document.

    Args:
        swagger: The parsed swagger document.
        routes: The routes to look at.

    Returns:
        The enumerations of each route that has any.
    """
    definitions: dict[str, Any] = swagger.get("definitions", {})
    found: BodyEnums = {}
    for method, path in routes:
        operation = swagger.get("paths", {}).get(path, {}).get(method.lower())
        if not operation:
            continue
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "body":
                enums: dict[str, list[Any]] = {}
                _collect(parameter.get("schema", {}), definitions, (), enums, 0)
                if enums:
                    found[f"{method} {path}"] = enums
    return found


def _resolve(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema.get("$ref"), str):
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _collect(
    schema: dict[str, Any], definitions: dict[str, Any], where: tuple[str, ...], out: dict[str, list[Any]], depth: int
) -> None:
    if depth > _MAX_DEPTH:
        return
    schema = _resolve(schema, definitions)
    if "enum" in schema:
        out[".".join(where)] = list(schema["enum"])
    for part in schema.get("allOf", []):
        _collect(part, definitions, where, out, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        _collect(sub, definitions, (*where, name), out, depth + 1)
    if isinstance(schema.get("items"), dict):
        _collect(schema["items"], definitions, (*where, "*"), out, depth + 1)


@cache
def body_enums() -> BodyEnums:
    """The committed table of enumerations (``swagger_enums.json``)."""
    text = resources.files("horde_local").joinpath(_TABLE).read_text(encoding="utf-8")
    table: BodyEnums = json.loads(text)
    return table


def enum_errors(method: str, path_template: str, body: Any) -> dict[str, str]:  # noqa: ANN401 - parsed JSON
    """Return the server's validation errors for values of ``body`` outside the route's enumerations.

    Args:
        method: The HTTP method.
        path_template: The route's path template (``/v2/interrogate/async``).
        body: The parsed JSON body.

    Returns:
        ``{"forms.0.name": "'nope' is not one of ['caption', ...]"}``; empty when every value is allowed.
    """
    errors: dict[str, str] = {}
    for pattern, allowed in body_enums().get(f"{method} {path_template}", {}).items():
        for where, value in _values_at(body, pattern.split(".") if pattern else []):
            if value not in allowed:
                errors[where or "payload"] = f"{value!r} is not one of {allowed!r}"
    return errors


def _values_at(node: Any, parts: list[str], where: str = "") -> Iterable[tuple[str, Any]]:  # noqa: ANN401 - JSON
    """Yield (dotted path, value) for every value of ``node`` at ``parts`` (``*`` matches each list item)."""
    if not parts:
        if node is not None and not isinstance(node, dict | list):
            yield where, node
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from _values_at(item, rest, f"{where}.{index}" if where else str(index))
    elif isinstance(node, dict) and head in node:
        yield from _values_at(node[head], rest, f"{where}.{head}" if where else head)


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``swagger_enums.json`` from a swagger document (default ``../shared/ai_horde/swagger.json``)."""
    from horde_local.app import ROUTES

    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[4]
    source = Path(args[0]) if args else root.parent / "shared" / "ai_horde" / "swagger.json"
    swagger = json.loads(source.read_text(encoding="utf-8"))
    routes = [(method, template) for _, template, handlers in ROUTES for method in handlers]
    table = extract_body_enums(swagger, routes)
    target = Path(__file__).with_name(_TABLE)
    target.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target} ({sum(len(enums) for enums in table.values())} enumerations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
