"""Endpoint sub-paths and URL assembly.

``GENERIC_API_ENDPOINT_SUBPATH`` has no members; an API package subclasses it with one member per
endpoint path template (``"/v2/generate/status/{id}"``). Templates may have any number of
``{placeholder}`` parts, filled from the request's path fields by the request builder.
"""

from __future__ import annotations

import string
from enum import StrEnum
from urllib.parse import quote

__all__ = ["GENERIC_API_ENDPOINT_SUBPATH", "join_url", "path_placeholders", "url_from_template"]


class GENERIC_API_ENDPOINT_SUBPATH(StrEnum):  # noqa: N801 - name fixed by the project's style guide
    """Base of an API's endpoint sub-path enum. Has no members of its own."""


_FORMATTER = string.Formatter()


def path_placeholders(template: str) -> tuple[str, ...]:
    """Return the placeholder names of a path template, in order (``"/a/{x}/b/{y}"`` gives ``("x", "y")``)."""
    return tuple(name for _, name, _, _ in _FORMATTER.parse(template) if name is not None)


def url_from_template(template: str, values: dict[str, str]) -> str:
    """Fill a path template, percent-encoding every value so it stays one path segment.

    Raises:
        ValueError: when a placeholder has no value, or braces remain after filling.
    """
    missing = [name for name in path_placeholders(template) if name not in values]
    if missing:
        raise ValueError(f"path {template!r} needs a value for {', '.join(missing)}")
    path = template.format_map({name: quote(value, safe="") for name, value in values.items()})
    if "{" in path or "}" in path:
        raise ValueError(f"path {template!r} still contains a brace after filling its placeholders")
    return path


def join_url(base_url: str, path: str) -> str:
    """Join a base URL (``https://host/api``) and an absolute sub-path (``/v2/x``) with exactly one slash."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")
