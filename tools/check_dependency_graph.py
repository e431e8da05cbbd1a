"""Check the horde-sdk monorepo's distribution layout and the dependency graph between its siblings.

Run it from anywhere (``python tools/check_dependency_graph.py``; ``--root`` points at another checkout).
It reads every ``packages/*/pyproject.toml`` and the ``__about__.py`` of each distribution and reports, one
line per problem, when:

* a distribution is missing, unexpected, or lacks ``py.typed``, ``__about__.py``, ``README.md``,
  ``CHANGELOG.md`` or its ``tests/`` directory;
* a ``horde_sdk/__init__.py`` exists (``horde_sdk`` is a PEP 420 namespace shared by every distribution);
* the sibling dependencies declared differ from the package diagram (a missing or an extra edge);
* a sibling requirement is not a compatible range (``>=X.Y.Z,<X.(Y+1)`` on 0.x, ``>=X.Y.Z,<(X+1)`` from 1.0),
  or does not admit the sibling's current version.

Exit status: 0 and a short summary when everything holds, 1 with the problems otherwise.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import Specifier
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

DIST_PREFIX = "horde-sdk-"

#: The package diagram (docs/package_structure): distribution -> the siblings it may (and must) depend on.
ALLOWED_GRAPH: dict[str, frozenset[str]] = {
    "horde-sdk-generic-api": frozenset(),
    "horde-sdk-generation-parameters": frozenset(),
    "horde-sdk-deploy-config": frozenset({"horde-sdk-generation-parameters"}),
    "horde-sdk-ai-horde-api": frozenset({"horde-sdk-generic-api", "horde-sdk-generation-parameters"}),
    "horde-sdk-worker": frozenset(
        {
            "horde-sdk-ai-horde-api",
            "horde-sdk-generic-api",
            "horde-sdk-generation-parameters",
            "horde-sdk-deploy-config",
        }
    ),
}


def import_name_of(dist_name: str) -> str:
    """Return the subpackage of ``horde_sdk`` a distribution ships (``horde-sdk-generic-api`` -> ``generic_api``)."""
    return dist_name.removeprefix(DIST_PREFIX).replace("-", "_")


@dataclass
class PackageInfo:
    """What the check learned about one distribution under ``packages/``."""

    directory: Path
    name: str
    version: Version | None = None
    sibling_requirements: dict[str, Requirement] = field(default_factory=dict)
    extras: frozenset[str] = frozenset()


@dataclass
class Report:
    """Problems found, in discovery order."""

    problems: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        """Record one problem found at ``where``."""
        self.problems.append(f"{where}: {message}")


def read_about_version(about: Path) -> str | None:
    """Return the string literal assigned to ``__version__`` in an ``__about__.py``, or ``None``."""
    tree = ast.parse(about.read_text(encoding="utf-8"), filename=str(about))
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if (
                any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                return node.value.value
    return None


def expected_upper_bound(lower: Version) -> Version:
    """Return the first version a compatible range starting at ``lower`` must exclude."""
    if lower.major == 0:
        return Version(f"0.{lower.minor + 1}")
    return Version(f"{lower.major + 1}")


def is_release_version(version: Version) -> bool:
    """Whether ``version`` looks like a plain release (no pre/post/dev/local segment, three components)."""
    return (
        not version.is_prerelease
        and not version.is_postrelease
        and version.local is None
        and version.epoch == 0
        and len(version.release) == 3
    )


def _bounds_problem(lower_spec: Specifier, upper_spec: Specifier) -> str | None:
    """Check the two bounds of a sibling range; ``None`` when they form a compatible range."""
    try:
        lower = Version(lower_spec.version)
        upper = Version(upper_spec.version)
    except InvalidVersion:
        return "has a bound that is not a valid version"
    if not is_release_version(lower):
        return f"lower bound {lower_spec.version} is not a released version X.Y.Z"
    wanted = expected_upper_bound(lower)
    if upper != wanted:
        return f"upper bound <{upper_spec.version} should be <{wanted} for lower bound {lower}"
    return None


def range_problem(requirement: Requirement) -> str | None:
    """Explain why a sibling requirement is not a compatible range, or return ``None`` when it is one."""
    problem: str | None = None
    specs: list[Specifier] = list(requirement.specifier)
    lowers = [s for s in specs if s.operator == ">="]
    uppers = [s for s in specs if s.operator == "<"]
    if requirement.url:
        problem = f"is a direct reference ({requirement.url}), not a version range"
    elif requirement.marker is not None:
        problem = f"has an environment marker ({requirement.marker}); sibling dependencies must be unconditional"
    elif len(specs) != 2 or len(lowers) != 1 or len(uppers) != 1:
        problem = "must be exactly `>=X.Y.Z,<X.(Y+1)` (0.x) or `>=X.Y.Z,<(X+1)` (>=1.0)"
    else:
        problem = _bounds_problem(lowers[0], uppers[0])
    return problem


def find_namespace_inits(packages_dir: Path) -> list[Path]:
    """Every ``horde_sdk/__init__.py`` below ``packages/`` (there must be none)."""
    return sorted(
        p
        for p in packages_dir.glob("**/horde_sdk/__init__.py")
        if not any(part.startswith(".") or part in {"build", "dist"} for part in p.relative_to(packages_dir).parts)
    )


def check_package_files(info: PackageInfo, pyproject: dict[str, object], report: Report) -> Path | None:
    """Check the files every distribution must ship; return the ``__about__.py`` path when it exists."""
    where = info.name
    module_dir = info.directory / "src" / "horde_sdk" / import_name_of(info.name)
    about = module_dir / "__about__.py"
    tool = pyproject.get("tool")
    hatch_version = tool.get("hatch", {}).get("version", {}) if isinstance(tool, dict) else {}
    version_path = hatch_version.get("path") if isinstance(hatch_version, dict) else None
    expected_rel = about.relative_to(info.directory).as_posix()
    if version_path != expected_rel:
        report.add(where, f"[tool.hatch.version] path is {version_path!r}, expected {expected_rel!r}")
    for required, kind in (
        (module_dir / "py.typed", "file"),
        (about, "file"),
        (info.directory / "README.md", "file"),
        (info.directory / "CHANGELOG.md", "file"),
        (info.directory / "tests", "dir"),
    ):
        present = required.is_dir() if kind == "dir" else required.is_file()
        if not present:
            report.add(where, f"missing {kind} {required.relative_to(info.directory).as_posix()}")
    return about if about.is_file() else None


def load_package(directory: Path, report: Report) -> PackageInfo | None:
    """Read one distribution's pyproject.toml and __about__.py, recording problems on the way."""
    pyproject_path = directory / "pyproject.toml"
    where = directory.name
    try:
        pyproject = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        report.add(where, f"pyproject.toml is not valid TOML: {exc}")
        return None
    project = pyproject.get("project", {})
    raw_name = project.get("name")
    if not isinstance(raw_name, str):
        report.add(where, "pyproject.toml has no [project] name")
        return None
    name = canonicalize_name(raw_name)
    if name != directory.name:
        report.add(where, f"project name {raw_name!r} does not match its directory name {directory.name!r}")
    info = PackageInfo(directory=directory, name=name)

    about = check_package_files(info, pyproject, report)
    if about is not None:
        raw_version = read_about_version(about)
        if raw_version is None:
            report.add(name, f"{about.name} does not assign a string literal to __version__")
        else:
            try:
                info.version = Version(raw_version)
            except InvalidVersion:
                report.add(name, f"__version__ {raw_version!r} is not a valid version")

    read_sibling_requirements(info, project, report)
    return info


def read_sibling_requirements(info: PackageInfo, project: dict[str, Any], report: Report) -> None:
    """Collect the sibling requirements of ``[project]``; siblings in extras are problems."""
    name = info.name
    for requirement_text in project.get("dependencies", []):
        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as exc:
            report.add(name, f"invalid requirement {requirement_text!r}: {exc}")
            continue
        dep = canonicalize_name(requirement.name)
        if dep.startswith(DIST_PREFIX) or dep == "horde-sdk":
            if dep in info.sibling_requirements:
                report.add(name, f"declares {dep} more than once")
            info.sibling_requirements[dep] = requirement
    info.extras = frozenset(canonicalize_name(group) for group in project.get("optional-dependencies", {}))
    for group, requirements in project.get("optional-dependencies", {}).items():
        for requirement_text in requirements:
            try:
                dep = canonicalize_name(Requirement(requirement_text).name)
            except InvalidRequirement as exc:
                report.add(name, f"invalid requirement {requirement_text!r} in extra {group!r}: {exc}")
                continue
            if dep.startswith(DIST_PREFIX) or dep == "horde-sdk":
                report.add(name, f"extra {group!r} depends on {dep}; sibling dependencies belong in [project]")


def check_graph(packages: dict[NormalizedName, PackageInfo], report: Report) -> None:
    """Compare declared sibling edges with the diagram and check each pin against the sibling's version."""
    for name, info in packages.items():
        allowed = ALLOWED_GRAPH.get(name)
        if allowed is None:
            continue
        declared = set(info.sibling_requirements)
        for missing in sorted(allowed - declared):
            report.add(name, f"missing dependency on {missing} (the package diagram requires it)")
        for extra in sorted(declared - allowed):
            report.add(name, f"depends on {extra}, which the package diagram does not allow")
        for dep, requirement in sorted(info.sibling_requirements.items()):
            problem = range_problem(requirement)
            if problem is not None:
                report.add(name, f"requirement `{requirement}` {problem}")
            sibling = packages.get(canonicalize_name(dep))
            # An extra of a sibling adds third-party packages only (siblings in extras are problems), so
            # requesting one keeps the graph as drawn; it must be one the sibling declares.
            unknown = sorted(
                canonicalize_name(e)
                for e in requirement.extras
                if sibling is not None and canonicalize_name(e) not in sibling.extras
            )
            if unknown:
                report.add(name, f"requirement `{requirement}` requests extras {dep} does not declare: {unknown}")
            if (
                sibling is not None
                and sibling.version is not None
                and not requirement.url
                and not requirement.specifier.contains(sibling.version, prereleases=True)
            ):
                report.add(
                    name, f"requirement `{requirement}` does not admit {dep}'s current version {sibling.version}"
                )


def check_repository(root: Path) -> tuple[Report, dict[NormalizedName, PackageInfo]]:
    """Run every check on the monorepo at ``root``."""
    report = Report()
    packages_dir = root / "packages"
    packages: dict[NormalizedName, PackageInfo] = {}
    if not packages_dir.is_dir():
        report.add(str(root), "has no packages/ directory")
        return report, packages
    for init in find_namespace_inits(packages_dir):
        report.add(
            init.relative_to(root).as_posix(),
            "must not exist: horde_sdk is a PEP 420 namespace package shared by every distribution",
        )
    for pyproject in sorted(packages_dir.glob("*/pyproject.toml")):
        info = load_package(pyproject.parent, report)
        if info is not None:
            packages[canonicalize_name(info.name)] = info
    for expected in sorted(set(ALLOWED_GRAPH) - set(packages)):
        report.add(expected, f"distribution is missing (no packages/{expected}/pyproject.toml)")
    for unexpected in sorted(set(packages) - set(ALLOWED_GRAPH)):
        report.add(unexpected, "is not in the package diagram; add it to ALLOWED_GRAPH and the docs first")
    check_graph(packages, report)
    return report, packages


def main(argv: list[str] | None = None) -> int:
    """Entry point: print problems (exit 1) or a one-line summary per distribution (exit 0)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="monorepo root (default: the checkout containing this script)",
    )
    args = parser.parse_args(argv)
    report, packages = check_repository(args.root)
    if report.problems:
        for problem in report.problems:
            print(f"dependency-graph: ERROR {problem}", file=sys.stderr)
        print(f"dependency-graph: {len(report.problems)} problem(s) found", file=sys.stderr)
        return 1
    for name, info in sorted(packages.items()):
        deps = ", ".join(f"{d} {r.specifier}" for d, r in sorted(info.sibling_requirements.items())) or "-"
        print(f"dependency-graph: {name} {info.version}: {deps}")
    print(f"dependency-graph: OK ({len(packages)} distributions, graph matches the package diagram)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
