"""The fenced code blocks of the README and the docs, and which test or tested example vouches for each.

Every code block must be one of:

* an include of a tested file (``--8<-- "docs/examples/x.py"``, pymdownx snippets);
* marked by an HTML comment on the line before it, ``<!-- tested: PATH -->``, where ``PATH`` is the test (or
  the CI script) that runs or checks that very block; the test reads the block from the page, so an edit of
  the block is what gets tested.

``python tools/docs/code_blocks.py`` lists the blocks that are neither and exits 1 if there are any
(``tests-integration/docs/test_code_blocks.py`` runs the same check).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<lang>[\w+-]*)")
_MARKER = re.compile(r"^\s*<!-- tested: (?P<path>\S+) -->\s*$")
_INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: where it is, its language, its text (indentation removed) and its ``tested:`` marker."""

    page: Path
    line: int
    lang: str
    text: str
    tested_by: str | None

    @property
    def includes(self) -> list[str]:
        """The files the block includes with pymdownx snippets (empty if it has other content)."""
        lines = [line for line in self.text.splitlines() if line.strip()]
        found = [m.group("path") for m in map(_INCLUDE.match, lines) if m is not None]
        return found if found and len(found) == len(lines) else []

    def where(self) -> str:
        """``page:line`` relative to the repository."""
        return f"{self.page.relative_to(REPO_ROOT)}:{self.line}"


def included_file(include: str) -> str:
    """The file of a snippets include: ``docs/examples/x.py:section`` names ``docs/examples/x.py``."""
    path, _, section = include.rpartition(":")
    return path if path and section.isidentifier() else include


def code_blocks(page: Path) -> list[CodeBlock]:
    """Every fenced code block of the Markdown file ``page``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = len(opening.group("indent")), opening.group("fence")
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in lines[index + 1 : end])
        previous = lines[index - 1] if index > 0 else ""
        marker = _MARKER.match(previous)
        blocks.append(
            CodeBlock(page, index + 1, opening.group("lang"), body + "\n", marker.group("path") if marker else None)
        )
        index = end + 1
    return blocks


def documentation_pages() -> list[Path]:
    """The README and every page of the docs site."""
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]


def blocks_tested_by(test_file: str, page: Path = REPO_ROOT / "README.md") -> list[CodeBlock]:
    """The blocks of ``page`` whose marker names ``test_file`` (a path relative to the repository)."""
    return [block for block in code_blocks(page) if block.tested_by == test_file]


def problems() -> list[str]:
    """Each block that is neither an include of an existing file nor marked with an existing test."""
    found: list[str] = []
    for page in documentation_pages():
        for block in code_blocks(page):
            if block.includes:
                found.extend(
                    f"{block.where()}: includes {path}, which does not exist"
                    for path in block.includes
                    if not (REPO_ROOT / included_file(path)).is_file()
                )
            elif block.tested_by is None:
                found.append(f"{block.where()}: a {block.lang or 'plain'} block that no test runs")
            elif not (REPO_ROOT / block.tested_by).is_file():
                found.append(f"{block.where()}: marked as tested by {block.tested_by}, which does not exist")
    return found


def main() -> int:
    """Print every untested block; return 1 if there is any."""
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
