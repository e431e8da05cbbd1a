"""Every test directory is type-checked by `hatch run types`, and every `# type: ignore` in tests says why."""

from __future__ import annotations

import configparser
import io
import re
import shlex
import tokenize
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_MYPY_FLAGS = ("--allow-untyped-defs", "--allow-incomplete-defs")
# Test directories whose type check is still to come, each with the reason; empty when all are checked.
NOT_YET_TYPE_CHECKED: dict[str, str] = {}
# `# type: ignore[code]` followed, in the same comment, by `  # ` and a reason of some words.
IGNORE = re.compile(r"^#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")
REASON = re.compile(r"^\s+#\s*\S+(\s+\S+){2,}")


def suite_test_paths() -> list[str]:
    """pytest.ini's testpaths: every directory of tests the suite runs."""
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "pytest.ini", encoding="utf-8")
    return parser["pytest"]["testpaths"].split()


def type_checked_test_dirs() -> list[str]:
    """The test directories the `types` script hands to mypy with the tests' flags."""
    hatch = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))
    script = hatch["envs"]["default"]["scripts"]["types"]
    checked: list[str] = []
    for command in [script] if isinstance(script, str) else script:
        words = [word for word in shlex.split(command) if "=" not in word]  # MYPYPATH=... sets the module bases
        if words[0] == "mypy" and all(flag in words for flag in TEST_MYPY_FLAGS):
            checked.extend(word for word in words[1:] if not word.startswith("-"))
    return checked


def covered(path: str, checked: set[str]) -> bool:
    """Whether mypy checks every Python file under ``path``: itself, or each of its entries, is checked."""
    if path in checked:
        return True
    directory = REPO_ROOT / path
    if not directory.is_dir():
        return False
    entries = [
        entry
        for entry in sorted(directory.iterdir())
        if entry.suffix == ".py" or (entry.is_dir() and any(entry.rglob("*.py")))
    ]
    return bool(entries) and all(covered(entry.relative_to(REPO_ROOT).as_posix(), checked) for entry in entries)


def unexplained_ignores(text: str) -> list[int]:
    """Line numbers of `# type: ignore` comments without an error code or without a reason after them."""
    bad: list[int] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        found = IGNORE.match(token.string) if token.type == tokenize.COMMENT else None
        if found and (not found["codes"] or not REASON.match(found["rest"])):
            bad.append(token.start[0])
    return bad


def test_every_test_directory_is_type_checked_or_says_why_not() -> None:
    checked = type_checked_test_dirs()
    assert checked, "the types script runs mypy on no test directory"
    assert len(checked) == len(set(checked)), checked
    for path in checked:
        assert (REPO_ROOT / path).exists(), path
    accounted = set(checked) | set(NOT_YET_TYPE_CHECKED)
    left_out = [path for path in suite_test_paths() if not covered(path, accounted)]
    assert left_out == [], f"test directories neither type-checked nor listed with a reason: {left_out}"
    stale = sorted(set(checked) & set(NOT_YET_TYPE_CHECKED))
    assert stale == [], f"type-checked now, drop them from NOT_YET_TYPE_CHECKED: {stale}"


def test_mypy_config_makes_every_ignore_count() -> None:
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "mypy.ini", encoding="utf-8")
    mypy = parser["mypy"]
    assert mypy.getboolean("strict"), "strict brings warn_unused_ignores: each ignore left must be needed"
    assert "ignore-without-code" in mypy["enable_error_code"]


def test_every_ignore_in_type_checked_tests_says_why() -> None:
    unexplained = [
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for directory in type_checked_test_dirs()
        for path in sorted((REPO_ROOT / directory).rglob("*.py"))
        for line in unexplained_ignores(path.read_text(encoding="utf-8"))
    ]
    assert unexplained == [], f"`# type: ignore[code]  # reason` expected at {unexplained}"


def test_a_directory_is_covered_only_when_all_its_entries_are() -> None:
    everything = {"tests-integration/conftest.py"} | {
        path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "tests-integration").iterdir() if path.is_dir()
    }
    assert covered("tests-integration", everything)
    assert not covered("tests-integration", everything - {"tests-integration/conftest.py"})
    assert not covered("tests-integration", everything - {"tests-integration/architecture"})


def test_the_ignore_rule_tells_reasons_from_bare_codes() -> None:
    assert unexplained_ignores("x = 1  # type: ignore[misc]  # frozen model: the error under test\n") == []
    assert unexplained_ignores("x = 1  # type: ignore[misc]\ny = 2\n") == [1]
    assert unexplained_ignores("x = 1  # type: ignore  # no code given here\n") == [1]
    assert unexplained_ignores("x = 1  # type: ignore[misc]  # why\n") == [1]
    assert unexplained_ignores('x = "# type: ignore[misc]"  # a string is no comment\n') == []
