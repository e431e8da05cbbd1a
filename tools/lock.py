"""Refresh ``constraints.txt``: the locked versions of every third-party package the dev environments install.

``hatch run lock`` (or ``python tools/lock.py``) resolves, with ``uv pip compile --universal``, every
dependency named by an environment in ``hatch.toml`` and by each workspace member's ``pyproject.toml``
(extras and build backend included) for Python 3.11 to 3.13, and writes the result to ``constraints.txt``.
The hatch environments install through uv with ``UV_CONSTRAINT`` and ``UV_BUILD_CONSTRAINT`` pointing at
that file, so a new release of a dependency reaches CI only when this command runs and its diff is
committed. The workspace's own distributions are never pinned: they are installed from the checkout.

``python tools/lock.py --requirements`` prints the input it would resolve, without resolving it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
HATCH_TOML = REPO_ROOT / "hatch.toml"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
#: The oldest supported Python; ``--universal`` adds markers for the newer ones.
PYTHON_FLOOR = "3.11"

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(requirement: str) -> str:
    """The normalised project name of a PEP 508 requirement string (``"Foo_Bar[x]>=1"`` -> ``"foo-bar"``)."""
    match = _NAME.match(requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def workspace_members(hatch: dict[str, Any]) -> list[Path]:
    """Every project directory named by a ``workspace.members`` entry of any environment in ``hatch.toml``."""
    members: set[Path] = set()
    for env in hatch.get("envs", {}).values():
        patterns = env.get("workspace", {}).get("members", [])
        for pattern in patterns:
            members.update(found for found in REPO_ROOT.glob(pattern) if (found / "pyproject.toml").is_file())
    return sorted(members)


def collect_requirements() -> list[str]:
    """The third-party requirements of every dev environment and workspace member, sorted and deduplicated."""
    hatch = tomllib.loads(HATCH_TOML.read_text(encoding="utf-8"))
    requirements: set[str] = set()
    for env in hatch.get("envs", {}).values():
        requirements.update(env.get("dependencies", []))
        requirements.update(env.get("extra-dependencies", []))
    local_names: set[str] = set()
    for member in workspace_members(hatch):
        project = tomllib.loads((member / "pyproject.toml").read_text(encoding="utf-8"))
        local_names.add(requirement_name(project["project"]["name"]))
        requirements.update(project["project"].get("dependencies", []))
        for extra in project["project"].get("optional-dependencies", {}).values():
            requirements.update(extra)
        requirements.update(project.get("build-system", {}).get("requires", []))
    # The editable installs of the workspace need the editables hook of hatchling.
    requirements.add("editables")
    return sorted(r for r in requirements if requirement_name(r) not in local_names)


def compile_constraints(requirements: list[str], output: Path) -> int:
    """Resolve ``requirements`` with ``uv pip compile --universal`` into ``output``; return uv's status."""
    uv = shutil.which("uv")
    if uv is None:
        print("lock: uv is not installed (it is in the default hatch environment: `hatch run lock`)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "requirements.in"
        source.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        command = [
            uv,
            "pip",
            "compile",
            "--universal",
            "--python-version",
            PYTHON_FLOOR,
            "--no-annotate",
            "--custom-compile-command",
            "hatch run lock",
            "--upgrade",
            "--output-file",
            str(output),
            str(source),
        ]
        # uv reads UV_CONSTRAINT itself: resolving against the old lock would keep every version as it is.
        env = {k: v for k, v in os.environ.items() if k not in {"UV_CONSTRAINT", "UV_BUILD_CONSTRAINT"}}
        return subprocess.run(command, check=False, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    """Refresh constraints.txt (or print the requirements with ``--requirements``); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", action="store_true", help="print the input requirements and stop")
    arguments = parser.parse_args(argv)
    requirements = collect_requirements()
    if arguments.requirements:
        print("\n".join(requirements))
        return 0
    status = compile_constraints(requirements, CONSTRAINTS)
    if status == 0:
        print(f"lock: wrote {CONSTRAINTS.relative_to(REPO_ROOT)}; commit it with the change that needed it")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
