"""The project's main job (``hatch run demo``) runs end to end and writes its results."""

from __future__ import annotations

import importlib.util
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
    assert "submitted=3 faulted=0 lost=0" in log
