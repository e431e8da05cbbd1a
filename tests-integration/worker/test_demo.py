"""The project's main job (``hatch run demo``) runs end to end and writes its results."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

DEMO = Path(__file__).resolve().parents[2] / "tools" / "demo" / "run_demo.py"


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_writes_an_image_a_text_and_a_caption(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = load_demo()
    assert demo.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert str(tmp_path) in printed
    with Image.open(tmp_path / "lighthouse.webp") as image:
        assert image.format == "WEBP"
        assert image.size == (512, 512)
    assert "demo text" in (tmp_path / "story.txt").read_text(encoding="utf-8")
    assert "512x512" in (tmp_path / "caption.txt").read_text(encoding="utf-8")
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert log.count("job submitted") == 3
    assert "worker stopped" in log
    assert "submitted=3 faulted=0 unreported=0" in log
    # The worker guide shows these lines: the same events, logger and level, in the same format.
    assert events(log) == events(guide_log_block())


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "worker" / "getting_started.md"


def guide_log_block() -> str:
    """The log lines of docs/worker/getting_started.md (the block marked as tested by this file)."""
    text = GUIDE.read_text(encoding="utf-8")
    marker = "<!-- tested: tests-integration/worker/test_demo.py -->\n```text\n"
    return text.split(marker, 1)[1].split("```", 1)[0]


def events(log: str) -> set[str]:
    """``LEVEL logger: event`` of each line (timestamps and field values differ from run to run)."""
    found = set()
    for line in log.splitlines():
        match = re.search(r"(DEBUG|INFO|WARNING|ERROR)\s+(\S+): (.+?)  ", line)
        assert match is not None, line
        found.add(" ".join(match.groups()))
    return found
