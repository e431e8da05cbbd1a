"""Refresh the worker's copy of the AI Horde's bridge reference (which features the horde grants which bridge).

The AI Horde decides what to send a worker from the name and version in its pop's ``bridge_agent``, with a table
kept in the server's source (``horde/bridge_reference.py`` of Haidra-Org/AI-Horde). horde-sdk-worker keeps that
table as data in ``packages/horde-sdk-worker/src/horde_sdk/worker/bridge_reference_data.py``, which this tool
writes. The server's file is read as text and its three tables (``BRIDGE_CAPABILITIES``, ``BRIDGE_SAMPLERS``,
``LLM_VALIDATED_BACKENDS``) are evaluated as literals (``ast.literal_eval``): nothing of it is executed.

Usage (from the repository root)::

    git clone https://github.com/Haidra-Org/AI-Horde /tmp/AI-Horde
    python tools/refresh_bridge_reference.py --checkout /tmp/AI-Horde          # rewrite the data module
    python tools/refresh_bridge_reference.py --checkout /tmp/AI-Horde --check  # exit 1 if out of date

``--checkout`` reads the committed file (a bare clone works too), the commit, its date and the server version
(``HORDE_VERSION`` of ``horde/consts.py``) from a git checkout. Without it, ``--url`` (by default the file on the
``main`` branch on GitHub) is downloaded and the commit is recorded as the branch name. The tool prints what
changed (bridges, features, samplers and versions added or removed).

What the table does not hold is code: an unknown bridge is treated like ``AI Horde Worker`` 23 for samplers and
post-processors (``UNKNOWN_BRIDGE_SAMPLERS_AS`` in ``bridge_capabilities.py``). Read the server's
``get_supported_samplers`` after a refresh and update that constant by hand if it changed; then update
``../shared/ai_horde/BEHAVIOUR.md`` (section "What the horde sends to which worker") to match.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import difflib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "packages/horde-sdk-worker/src/horde_sdk/worker/bridge_reference_data.py"
SERVER_REPOSITORY = "Haidra-Org/AI-Horde"
SERVER_PATH = "horde/bridge_reference.py"
DEFAULT_URL = f"https://raw.githubusercontent.com/{SERVER_REPOSITORY}/main/{SERVER_PATH}"

Features = dict[str, dict[str, str]]
Samplers = dict[str, dict[str, tuple[str | None, str | None]]]


def _literal_tables(source: str) -> dict[str, Any]:
    """Return the values of the module-level assignments of `source` that are literals."""
    tables: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                tables[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return tables


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _names(values: object) -> set[str]:
    """The server writes an empty set as ``{}`` (an empty dict) in places."""
    if isinstance(values, dict) and not values:
        return set()
    if not isinstance(values, set | frozenset | list | tuple):
        raise TypeError(f"expected a set of names, got {values!r}")
    return {str(value) for value in values}


def features_from(capabilities: dict[str, dict[int, object]]) -> Features:
    """Return, per bridge, each capability and the lowest version granting it."""
    table: Features = {}
    for bridge, by_version in capabilities.items():
        first: dict[str, str] = {}
        for version in sorted(by_version, key=lambda v: _version_key(str(v))):
            for capability in sorted(_names(by_version[version])):
                first.setdefault(capability, str(version))
        table[str(bridge)] = dict(sorted(first.items(), key=lambda item: (_version_key(item[1]), item[0])))
    return table


def samplers_from(samplers: dict[str, dict[int, dict[str, object]]]) -> Samplers:
    """Return, per bridge, each sampler and (lowest version usable with karras, lowest usable without)."""
    table: Samplers = {}
    for bridge, by_version in samplers.items():
        with_karras: dict[str, str] = {}
        without: dict[str, str] = {}
        for version in sorted(by_version, key=lambda v: _version_key(str(v))):
            sets = by_version[version]
            for sampler in sorted(_names(sets.get("karras", set()))):
                with_karras.setdefault(sampler, str(version))
                without.setdefault(sampler, str(version))
            for sampler in sorted(_names(sets.get("no karras", set()))):
                without.setdefault(sampler, str(version))
        table[str(bridge)] = {
            sampler: (with_karras.get(sampler), without.get(sampler))
            for sampler in sorted(set(with_karras) | set(without))
        }
    return table


def _q(text: str) -> str:
    return json.dumps(text)


def _grant(grant: tuple[str | None, str | None]) -> str:
    return "(" + ", ".join("None" if version is None else _q(version) for version in grant) + ")"


def render(
    features: Features, samplers: Samplers, validated: tuple[str, ...], *, commit: str, date: str, server: str
) -> str:
    """Return the text of the data module (formatted as ``ruff format`` writes it)."""
    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    lines = [
        '"""The AI Horde bridge reference as data: what the horde sends a worker, by bridge name and version.',
        "",
        f"Source: {SERVER_REPOSITORY}, ``{SERVER_PATH}``",
        f"at commit {commit} ({date}; server version {server}).",
        f"Refreshed on {today}; read it through `horde_sdk.worker.bridge_capabilities`.",
        "",
        "This file is generated by ``tools/refresh_bridge_reference.py``; do not edit it by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "__all__: list[str] = []  # data read through horde_sdk.worker.bridge_capabilities: nothing re-exported",
        "",
        f"SOURCE: Final = {_q(SERVER_REPOSITORY + '/' + SERVER_PATH)}",
        '"""Where the table comes from (the source of the AI Horde server)."""',
        f"SOURCE_COMMIT: Final = {_q(commit)}",
        '"""The commit of the server source the table was read from."""',
        f"SOURCE_DATE: Final = {_q(date)}",
        '"""The date of that commit."""',
        f"SOURCE_SERVER_VERSION: Final = {_q(server)}",
        '"""The server version at that commit."""',
        "",
        "BRIDGE_FEATURES: Final[dict[str, dict[str, str]]] = {",
    ]
    for bridge, first in features.items():
        lines.append(f"    {_q(bridge)}: {{")
        lines.extend(f"        {_q(capability)}: {_q(version)}," for capability, version in first.items())
        lines.append("    },")
    lines += [
        "}",
        '"""Per bridge name: each capability (feature or post-processor) and the version from which it is granted."""',
        "",
        "BRIDGE_SAMPLERS: Final[dict[str, dict[str, tuple[str | None, str | None]]]] = {",
    ]
    for bridge, by_sampler in samplers.items():
        lines.append(f"    {_q(bridge)}: {{")
        lines.extend(f"        {_q(sampler)}: {_grant(grant)}," for sampler, grant in by_sampler.items())
        lines.append("    },")
    lines += [
        "}",
        '"""Per bridge name: each sampler and the versions from which it is granted with the karras schedule (first)',
        'and without it (second); None when never."""',
        "",
        "VALIDATED_TEXT_BACKENDS: Final[tuple[str, ...]] = (",
        *(f"    {_q(name)}," for name in validated),
        ")",
        '"""The text bridges the horde sends ``validated_backends`` requests to (the others earn less kudos)."""',
        "",
    ]
    return "\n".join(lines)


def _git(checkout: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def read_source(arguments: argparse.Namespace) -> tuple[str, str, str, str]:
    """Return the server file's text, its commit, the commit's date and the server version."""
    if arguments.checkout is not None:
        # Read from git (the committed HEAD), so that a bare clone works too.
        checkout = Path(arguments.checkout)
        text = _git(checkout, "show", f"HEAD:{SERVER_PATH}")
        commit = _git(checkout, "rev-parse", "HEAD")
        date = _git(checkout, "log", "-1", "--format=%cs")
        consts = _literal_tables(_git(checkout, "show", "HEAD:horde/consts.py"))
        return text, commit, date, str(consts.get("HORDE_VERSION", "unknown"))
    with urllib.request.urlopen(arguments.url, timeout=30) as answer:  # noqa: S310 - a fixed https URL by default
        text = answer.read().decode("utf-8")
    return text, arguments.url.rsplit("/", 3)[-3], datetime.datetime.now(tz=datetime.UTC).date().isoformat(), "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checkout", help="a git checkout of Haidra-Org/AI-Horde")
    parser.add_argument("--url", default=DEFAULT_URL, help="where to download the file without a checkout")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if the data module is out of date")
    parser.add_argument("--output", default=str(TARGET), help="the data module to write")
    arguments = parser.parse_args(argv)
    text, commit, date, server = read_source(arguments)
    tables = _literal_tables(text)
    features = features_from(tables["BRIDGE_CAPABILITIES"])
    samplers = samplers_from(tables["BRIDGE_SAMPLERS"])
    validated = tuple(sorted(_names(tables.get("LLM_VALIDATED_BACKENDS", set()))))
    new = render(features, samplers, validated, commit=commit, date=date, server=server)
    output = Path(arguments.output)
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    # The refresh date line alone is no change.
    significant = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and "Refreshed on" not in line
    ]
    for line in significant:
        print(line)
    if not significant:
        print(f"{output.relative_to(REPO) if output.is_relative_to(REPO) else output} is up to date")
        return 0
    if arguments.check:
        return 1
    output.write_text(new, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
