"""docs/worker/state_machine.md is what tools/export_state_machine.py draws from the current tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TOOL = REPO / "tools" / "export_state_machine.py"


@pytest.mark.skipif(not TOOL.is_file(), reason="runs in the monorepo only (the tool is not shipped)")
def test_the_committed_state_machine_document_is_current() -> None:
    completed = subprocess.run(
        [sys.executable, str(TOOL), "--check"], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.skipif(not TOOL.is_file(), reason="runs in the monorepo only (the tool is not shipped)")
def test_the_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "state_machine.md"
    stale.write_text("# old\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(TOOL), "--check", "--output", str(stale)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1
    assert "out of date" in completed.stdout
