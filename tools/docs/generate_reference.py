"""Write the API reference: one page per public module of each distribution, and mkdocs.yml's reference nav.

``python tools/docs/generate_reference.py`` writes, for each distribution, an overview page
``docs/reference/<package>.md`` (what the distribution is for, and a link to every module page) and one page
``docs/reference/<package>/<module>.md`` per public module (a ``.py`` file whose path has no part starting with
``_``; a package's ``__init__`` counts as the package), then the "API reference" section of ``mkdocs.yml``'s
nav between its two marker comments. A module added to a package gets its page the next time this runs;
``--check`` exits 1 (and writes nothing) when a page or the nav is not what it would write.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
REFERENCE = DOCS / "reference"
MKDOCS = REPO_ROOT / "mkdocs.yml"
NAV_START = "  # api-reference-nav: start (tools/docs/generate_reference.py writes this part)"
NAV_END = "  # api-reference-nav: end"


@dataclass(frozen=True)
class Section:
    """One overview page: its file stem, title, introduction and the package whose modules it lists."""

    stem: str
    title: str
    intro: str
    package: str
    excluded: str | None = None  # a subpackage listed on its own overview page instead
    # Whether a subpackage's page documents the names it exports (the worker's documentation links to
    # them there, e.g. horde_sdk.worker.runtime.WorkerRuntime); otherwise only its docstring.
    package_members: bool = False


SECTIONS = [
    Section(
        "generic_api",
        "horde-sdk-generic-api",
        "The foundation every Horde-style API client builds on: request/response model bases, the sans-IO "
        "request core, transports, settings, rate limiting and the exception hierarchy.",
        "horde_sdk.generic_api",
    ),
    Section(
        "generation_parameters",
        "horde-sdk-generation-parameters",
        "Descriptions of image, text and alchemy generations that do not depend on any API.",
        "horde_sdk.generation_parameters",
    ),
    Section(
        "deploy_config",
        "horde-sdk-deploy-config",
        "Reading and validating a worker's `bridgeData.yaml`.",
        "horde_sdk.deploy_config",
    ),
    Section(
        "ai_horde_api",
        "horde-sdk-ai-horde-api",
        "The AI Horde clients (simple, session and manual; sync and async), their results, progress events, job "
        "flows, constants and exceptions. The request and response models are on "
        "[their own page](ai_horde_api_models.md).",
        "horde_sdk.ai_horde_api",
        excluded="horde_sdk.ai_horde_api.apimodels",
    ),
    Section(
        "ai_horde_api_models",
        "horde-sdk-ai-horde-api: models",
        "Every request and response model of the AI Horde API, one page per endpoint family. All of them are "
        "importable from `horde_sdk.ai_horde_api.apimodels`; the "
        "[endpoint coverage table](../ai_horde_api/endpoints.md) maps each operation to its classes.",
        "horde_sdk.ai_horde_api.apimodels",
    ),
    Section(
        "worker",
        "horde-sdk-worker",
        "The worker toolkit: generations and their state machine, jobs, feature flags, dispatch, backends and "
        "the runtime.",
        "horde_sdk.worker",
        package_members=True,
    ),
]


def source_root(package: str) -> Path:
    """The ``src`` folder of the distribution holding ``package``."""
    distribution = "horde-sdk-" + package.split(".")[1].replace("_", "-")
    return REPO_ROOT / "packages" / distribution / "src"


def public_modules(package: str, excluded: str | None = None) -> list[str]:
    """Every public module below ``package`` (not the package itself), in file order; ``excluded`` left out."""
    root = source_root(package)
    folder = root / Path(*package.split("."))
    found: list[str] = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts) or ".".join(parts) == package:
            continue
        name = ".".join(parts)
        if excluded is not None and (name == excluded or name.startswith(excluded + ".")):
            continue
        found.append(name)
    return found


def is_package(module: str) -> bool:
    """Whether ``module`` is a package (its names are documented on the pages of the modules defining them)."""
    return (source_root(module) / Path(*module.split(".")) / "__init__.py").is_file()


def module_page(section: Section, module: str) -> str:
    """The page of one module; a package's page may show its docstring only (its members are re-exports)."""
    members = "      members: false\n" if is_package(module) and not section.package_members else ""
    return f"# `{module}`\n\n::: {module}\n    options:\n      show_root_heading: false\n{members}"


def page_path(section: Section, module: str) -> Path:
    """Where the page of ``module`` goes."""
    return REFERENCE / section.stem / (module.removeprefix(section.package + ".") + ".md")


def overview_page(section: Section) -> str:
    """The overview page of one section: introduction, the package's own docstring, links to each module."""
    links = "\n".join(
        f"- [`{module}`]({page_path(section, module).relative_to(REFERENCE).as_posix()})"
        for module in public_modules(section.package, section.excluded)
    )
    return (
        f"# `{section.title}`\n\n{section.intro}\n\n"
        f"::: {section.package}\n    options:\n      members: false\n      show_root_heading: true\n\n"
        f"## Modules\n\nEach module has its own page:\n\n{links}\n"
    )


def nav() -> str:
    """The "API reference" part of mkdocs.yml's nav."""
    lines = [NAV_START, "  - API reference:"]
    for section in SECTIONS:
        lines.append(f'      - "{section.title}":')
        lines.append(f"          - reference/{section.stem}.md")
        lines.extend(
            f"          - {module}: {page_path(section, module).relative_to(DOCS).as_posix()}"
            for module in public_modules(section.package, section.excluded)
        )
    lines.append(NAV_END)
    return "\n".join(lines) + "\n"


def with_nav(mkdocs: str) -> str:
    """``mkdocs`` (mkdocs.yml's text) with its reference nav replaced by what `nav` returns."""
    before, rest = mkdocs.split(NAV_START + "\n", 1)
    _, after = rest.split(NAV_END + "\n", 1)
    return before + nav() + after


def expected_files() -> dict[Path, str]:
    """Every file this tool writes, with its content."""
    files: dict[Path, str] = {REFERENCE / f"{section.stem}.md": overview_page(section) for section in SECTIONS}
    for section in SECTIONS:
        for module in public_modules(section.package, section.excluded):
            files[page_path(section, module)] = module_page(section, module)
    files[MKDOCS] = with_nav(MKDOCS.read_text(encoding="utf-8"))
    return files


def stale_files() -> list[str]:
    """Pages and nav that differ from what this tool writes, plus module pages no module has any more."""
    expected = expected_files()
    stale = [
        str(path.relative_to(REPO_ROOT))
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    stale += [
        f"{path.relative_to(REPO_ROOT)} (no such module any more)"
        for section in SECTIONS
        for path in sorted((REFERENCE / section.stem).rglob("*.md"))
        if path not in expected
    ]
    return stale


def main(argv: list[str] | None = None) -> int:
    """Write the reference pages and nav, or check them with ``--check``; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a page or the nav is out of date")
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = stale_files()
        for entry in stale:
            print(f"out of date: {entry} (run python tools/docs/generate_reference.py)")
        return 1 if stale else 0
    for section in SECTIONS:
        for path in (REFERENCE / section.stem).rglob("*.md"):
            path.unlink()
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote the API reference ({len(expected_files()) - 1} pages) and the nav of mkdocs.yml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
