"""Refresh the AI Horde swagger document the tests verify against, and print what changed.

Fetches ``https://aihorde.net/api/swagger.json`` (or reads ``--source``, a URL or a local file), checks that it is
a Swagger 2.0 document, writes it to ``tools/.cache/swagger.json`` (gitignored; the root ``conftest.py`` falls back
to it when ``../shared/ai_horde/swagger.json`` is absent, as on CI) and prints the paths, operations and definitions
added, removed or changed since the previous file at that place. The swagger is never committed.

Standard library only, so CI can run it before any environment exists.

Usage: ``python tools/refresh_swagger.py [--source URL_OR_FILE] [--output PATH] [--timeout SECONDS]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = "https://aihorde.net/api/swagger.json"
DEFAULT_OUTPUT = REPO / "tools" / ".cache" / "swagger.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
USER_AGENT = "horde-sdk-refresh-swagger:1:https://github.com/Haidra-Org/horde-sdk"


class SwaggerError(Exception):
    """The source could not be read or is not a Swagger 2.0 document."""


def read_source(source: str, timeout: float) -> bytes:
    """Return the bytes of ``source``: an http(s) URL or a local file path."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})  # noqa: S310 - scheme checked above
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - scheme checked above
                data: bytes = answer.read()
        except OSError as error:
            raise SwaggerError(f"cannot fetch {source}: {error}") from error
        return data
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise SwaggerError(f"cannot read {source}: {error}") from error


def parse(data: bytes, source: str) -> dict[str, Any]:
    """Parse and sanity-check a swagger document."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise SwaggerError(f"{source} is not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("swagger") != "2.0":
        raise SwaggerError(f"{source} is not a Swagger 2.0 document")
    if not isinstance(document.get("paths"), dict) or not isinstance(document.get("definitions"), dict):
        raise SwaggerError(f"{source} has no paths or no definitions")
    return document


def operations(document: dict[str, Any]) -> dict[str, Any]:
    """``"METHOD /path"`` -> the operation object (with the path's shared parameters)."""
    found: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                found[f"{method.upper()} {path}"] = {"shared": item.get("parameters"), "operation": item[method]}
    return found


def _changes(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    lines = [f"+ {kind} {key}" for key in sorted(after.keys() - before.keys())]
    lines += [f"- {kind} {key}" for key in sorted(before.keys() - after.keys())]
    lines += [
        f"~ {kind} {key}"
        for key in sorted(before.keys() & after.keys())
        if json.dumps(before[key], sort_keys=True) != json.dumps(after[key], sort_keys=True)
    ]
    return lines


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Lines naming what was added (+), removed (-) or changed (~): paths, operations, definitions."""
    if before is None:
        return []
    return [
        *_changes("path", before.get("paths", {}), after["paths"]),
        *_changes("operation", operations(before), operations(after)),
        *_changes("definition", before.get("definitions", {}), after["definitions"]),
    ]


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".swagger-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refresh(source: str, output: Path, timeout: float) -> list[str]:
    """Fetch ``source`` into ``output``; return the diff lines against the previous ``output``."""
    document = parse(read_source(source, timeout), source)
    previous: dict[str, Any] | None = None
    if output.is_file():
        try:
            previous = json.loads(output.read_bytes())
        except ValueError:
            previous = None
    write_atomically(output, (json.dumps(document, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return diff(previous, document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="URL or file to read (default: the live API)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write it (the tests' cache)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the download")
    arguments = parser.parse_args(argv)
    existed = arguments.output.is_file()
    try:
        lines = refresh(arguments.source, arguments.output, arguments.timeout)
    except SwaggerError as error:
        print(f"refresh_swagger: {error}", file=sys.stderr)
        return 1
    document = json.loads(arguments.output.read_bytes())
    print(
        f"wrote {arguments.output} ({len(document['paths'])} paths, {len(operations(document))} operations, "
        f"{len(document['definitions'])} definitions) from {arguments.source}"
    )
    if not existed:
        print("no previous file: nothing to compare")
    elif lines:
        print("\n".join(lines))
    else:
        print("no change in paths, operations or definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
