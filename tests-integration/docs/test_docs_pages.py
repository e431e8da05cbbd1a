"""The documentation pages agree with the code: generated pages are current, named things exist.

- ``docs/concepts/packages.md`` is what ``tools/docs/generate_package_diagram.py`` writes from the pyprojects;
- every "new name" of the migration guide's table is importable from the module it names, and every name the
  guide says stayed is still exported by ``horde_sdk.ai_horde_api.apimodels``;
- each API reference page documents every public module of its distribution.

(The endpoint table and the state machine page have their own ``--check`` tests in their packages; the strict
docs build, part of ``hatch run test``, fails on any broken link or cross-reference.)
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
MIGRATION = DOCS / "client" / "migration.md"


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_package_page_is_current() -> None:
    tool = REPO / "tools" / "docs" / "generate_package_diagram.py"
    result = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_page_check_fails_when_stale(tmp_path: Path) -> None:
    tool = REPO / "tools" / "docs" / "generate_package_diagram.py"
    stale = tmp_path / "packages.md"
    stale.write_text("# old\n", encoding="utf-8")
    command = [sys.executable, str(tool), "--check", "--output", str(stale)]
    assert subprocess.run(command, capture_output=True, text=True, check=False).returncode == 1


def migration_rows() -> list[tuple[str, str, str]]:
    """(old, new name, new module) for each row of the migration table."""
    table = _between(MIGRATION.read_text(encoding="utf-8"), "<!-- migration-table", "<!-- end of migration-table")
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        new_name = re.findall(r"`([^`]+)`", cells[1])[0]
        module = re.findall(r"`([^`]+)`", cells[2])[0]
        rows.append((cells[0], new_name, module))
    return rows


def test_migration_table_has_rows() -> None:
    assert len(migration_rows()) > 40


@pytest.mark.parametrize(("old", "new_name", "module"), migration_rows())
def test_migration_new_name_is_importable(old: str, new_name: str, module: str) -> None:
    assert hasattr(importlib.import_module(module), new_name), f"{old} -> {module}.{new_name} does not exist"


def test_migration_unchanged_names_are_still_exported() -> None:
    from horde_sdk.ai_horde_api import apimodels

    text = _between(MIGRATION.read_text(encoding="utf-8"), "<!-- unchanged-names", "<!-- end of unchanged-names")
    names = re.findall(r"`([A-Za-z_]+)`", text)
    assert len(names) > 50
    missing = [name for name in names if name not in apimodels.__all__]
    assert not missing, f"the guide says these stayed, but apimodels does not export them: {missing}"


@pytest.mark.parametrize(
    ("page", "package"),
    [
        ("generic_api", "generic_api"),
        ("generation_parameters", "generation_parameters"),
        ("deploy_config", "deploy_config"),
        ("ai_horde_api", "ai_horde_api"),
        ("worker", "worker"),
    ],
)
def test_reference_page_documents_every_public_module(page: str, package: str) -> None:
    distribution = "horde-sdk-" + package.replace("_", "-")
    source = REPO / "packages" / distribution / "src"
    modules = {
        ".".join(path.relative_to(source).with_suffix("").parts)
        for path in (source / "horde_sdk" / package).rglob("*.py")
        if not any(part.startswith("_") for part in path.relative_to(source).parts)
    }
    pages = [*(DOCS / "reference").glob(f"{page}*.md"), *(DOCS / "reference").glob(f"{page}*/**/*.md")]
    documented = {match for path in pages for match in re.findall(r"^::: (\S+)", path.read_text(), re.MULTILINE)}
    missing = sorted(modules - documented)
    assert not missing, f"add these modules to docs/reference/{page}*.md: {missing}"


REFERENCE_TOOL = REPO / "tools" / "docs" / "generate_reference.py"


def test_reference_pages_and_nav_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REFERENCE_TOOL), "--check"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_reference_check_fails_for_a_module_without_its_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("generate_reference_under_test", REFERENCE_TOOL)
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(tool)
    assert tool.stale_files() == []
    real = tool.public_modules
    monkeypatch.setattr(
        tool, "public_modules", lambda package, excluded=None: [*real(package, excluded), f"{package}.brand_new"]
    )
    stale = tool.stale_files()
    assert "docs/reference/worker/brand_new.md" in stale
    assert "docs/reference/worker.md" in stale  # the overview links every module
    assert "mkdocs.yml" in stale  # and so does the nav


def test_each_module_page_documents_one_module() -> None:
    for page in (DOCS / "reference").glob("*/**/*.md"):
        assert len(re.findall(r"^::: ", page.read_text(encoding="utf-8"), re.MULTILINE)) == 1, page


SNIPPET_LINE = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"$')


def test_every_snippet_include_is_well_formed_and_points_at_a_file() -> None:
    """A mangled include line (a formatter once turned `--8<--` into `--8 < --`) would print as text."""
    includes = 0
    for page in sorted((REPO / "docs").rglob("*.md")):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if "--8" not in line or line.lstrip().startswith("#"):
                continue
            match = SNIPPET_LINE.match(line.strip())
            assert match, f"{page.relative_to(REPO)}:{number}: malformed snippet include {line!r}"
            target = REPO / match["path"]
            assert target.is_file(), f"{page.relative_to(REPO)}:{number}: {match['path']} does not exist"
            if match["section"]:
                assert f"--8<-- [start:{match['section']}]" in target.read_text(encoding="utf-8")
            includes += 1
    assert includes >= 10
