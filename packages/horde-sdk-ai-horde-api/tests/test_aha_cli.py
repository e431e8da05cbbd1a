"""The ``horde`` command end to end against the scripted fake horde (MockTransport injected by a factory)."""

from __future__ import annotations

import errno
import importlib.util
import io
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from horde_sdk.ai_horde_api import AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.cli import main
from horde_sdk.ai_horde_api.progress import JOB_STATE


def _load_fake() -> ModuleType:
    name = "aha_fake_horde"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("_fake_horde.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fake = _load_fake()


class Harness:
    """Runs ``horde`` with a fake horde and a fake clock; remembers the options the CLI built."""

    def __init__(self, script: Any = None) -> None:
        self.clock = fake.FakeClock()
        self.horde = fake.FakeHorde(script or fake.Script(polls_until_done=2), clock=self.clock)
        self.options: dict[str, Any] = {}
        self.horde.extra_routes[("GET", "/api/v2/status/heartbeat")] = lambda r: httpx.Response(
            200, json={"message": "OK", "version": "5.1.5"}
        )
        self.horde.extra_routes[("GET", "/api/v2/status/performance")] = lambda r: httpx.Response(
            200, json={"queued_requests": 12, "worker_count": 3, "queued_text_requests": 1, "text_worker_count": 2}
        )
        self.horde.extra_routes[("GET", "/api/v2/status/news")] = lambda r: httpx.Response(
            200,
            json=[{"date_published": "2024-05-01", "newspiece": "Something   happened", "importance": "Information"}],
        )
        self.horde.extra_routes[("GET", "/api/v2/workers")] = lambda r: httpx.Response(
            200,
            json=[{"name": "w1", "id": fake.WORKER_ID, "type": "image", "online": True, "bridge_agent": "b:1:c"}],
        )
        self.horde.extra_routes[("GET", "/api/v2/find_user")] = lambda r: httpx.Response(
            200, json={"username": "me#1", "kudos": 42, "worker_count": 0}
        )

    def factory(self, options: dict[str, Any]) -> AIHordeAPISimpleClient:
        self.options = options
        return AIHordeAPISimpleClient(
            http_client=httpx.Client(transport=httpx.MockTransport(self.horde)),
            clock=self.clock,
            sleep=self.clock.sleep,
            enforce_rate_limits=False,
            **options,
        )

    def run(self, *argv: str) -> int:
        return main(list(argv), client_factory=self.factory)


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AI_HORDE_API_KEY", raising=False)
    monkeypatch.delenv("AI_HORDE_URL", raising=False)


def test_image_writes_files_and_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    harness = Harness()
    code = harness.run("image", "a lighthouse at dusk", "-n", "2", "--model", "fake-model", "--out", str(tmp_path))
    assert code == 0
    (job_id,) = harness.horde.jobs
    files = sorted(tmp_path.iterdir())
    assert [path.name for path in files] == [
        f"a-lighthouse-at-dusk_{job_id[:8]}_1.webp",
        f"a-lighthouse-at-dusk_{job_id[:8]}_2.webp",
    ]
    assert files[0].read_bytes() == harness.horde.image_bytes(job_id, 0)
    captured = capsys.readouterr()
    assert str(files[0]) in captured.out
    assert "2 image(s)" in captured.out
    assert captured.err == ""  # not a terminal: no progress
    body = harness.horde.requests[0]
    assert b'"models":["fake-model"]' in body.content
    assert "api_key" not in harness.options  # the client adds the anonymous key where one is needed
    assert body.headers["apikey"] == "0000000000"
    assert harness.options["base_url"] == "https://aihorde.net/api"


def test_api_key_and_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("AI_HORDE_API_KEY", "env-key-123")
    monkeypatch.setenv("AI_HORDE_URL", "http://127.0.0.1:7001/api")
    harness = Harness()
    assert harness.run("text", "Once upon a time") == 0
    assert harness.options["api_key"] == "env-key-123"
    assert harness.options["base_url"] == "http://127.0.0.1:7001/api"
    assert harness.run("user", "--api-key", "flag-key-456") == 0
    assert harness.options["api_key"] == "flag-key-456"


def test_text_prints_and_optionally_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    harness = Harness()
    assert harness.run("text", "Once upon a time", "--out", str(tmp_path)) == 0
    (job_id,) = harness.horde.jobs
    assert f"text 0 of {job_id[-4:]}" in capsys.readouterr().out
    assert len(list(tmp_path.iterdir())) == 1


def test_alchemy_on_a_local_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source = tmp_path / "photo.webp"
    source.write_bytes(b"RIFF-source")
    harness = Harness()
    code = harness.run(
        "alchemy", "--form", "caption", "--form", "RealESRGAN_x2plus", str(source), "--out", str(tmp_path)
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "caption: a lighthouse at dusk" in out
    assert (tmp_path / "photo_RealESRGAN_x2plus.webp").exists()
    assert b'"source_image":"UklGRi1zb3VyY2U="' in harness.horde.requests[0].content


def test_status_workers_user_and_kudos_estimate(capsys: pytest.CaptureFixture[str]):
    harness = Harness()
    assert harness.run("status") == 0
    out = capsys.readouterr().out
    assert "AI Horde 5.1.5" in out
    assert "12 queued, 3 workers" in out
    assert "Something happened" in out
    assert harness.run("workers", "--type", "image") == 0
    assert "w1\timage\tonline" in capsys.readouterr().out
    assert harness.run("user") == 0
    assert "me#1: 42 kudos" in capsys.readouterr().out
    assert harness.run("kudos", "estimate", "image", "a cat", "--steps", "40") == 0
    assert capsys.readouterr().out == "12.5 kudos\n"
    assert harness.horde.jobs == {}


def test_an_error_exits_1_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    harness = Harness(fake.Script(impossible=True, polls_until_done=10))
    code = harness.run("image", "a cat", "--out", str(tmp_path))
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("horde: error: image job ")
    assert "no worker can serve" in err
    assert err.count("\n") == 1
    assert harness.horde.open_jobs() == []


def test_invalid_input_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]):
    harness = Harness()
    assert harness.run("image", "a cat", "--width", "500") == 1
    err = capsys.readouterr().err
    assert err.startswith("horde: error: invalid request: params.width")
    assert err.count("\n") == 1


def test_ctrl_c_cancels_on_the_server_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    harness = Harness(fake.Script(polls_until_done=100))

    def interrupt(seconds: float) -> None:
        if harness.horde.jobs:
            raise KeyboardInterrupt

    harness.clock.sleep = interrupt
    assert harness.run("text", "Once upon a time") == 130
    assert "interrupted" in capsys.readouterr().err
    assert len(harness.horde.jobs) == 1
    assert harness.horde.open_jobs() == []


def test_live_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    harness = Harness(fake.Script(polls_until_done=3, queue_position=5, wait_time=12))
    assert harness.run("image", "a cat", "-n", "2", "--out", str(tmp_path)) == 0
    shown = terminal.getvalue()
    assert "queue 5" in shown
    assert "ETA 12 s" in shown
    assert "0/2 finished" in shown
    assert f"{JOB_STATE.done}, 2/2 finished" in shown
    assert shown.endswith("\n")


def test_the_console_script_is_declared():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["horde"] == "horde_sdk.ai_horde_api.cli:main"
    assert pyproject["project"]["optional-dependencies"]["pillow"] == ["pillow>=10"]


@pytest.mark.parametrize("command", [["image", "a lighthouse"], ["text", "Once upon a time"]])
def test_an_unwritable_output_directory_fails_before_any_job_is_submitted(tmp_path: Path, capsys, command):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the output directory should be")
    harness = Harness()
    code = harness.run(*command, "--out", str(blocker / "pictures"))
    assert code == 1
    assert harness.horde.jobs == {}  # no kudos spent
    assert "horde: error:" in capsys.readouterr().err


def test_a_failed_write_leaves_no_partial_or_empty_file(tmp_path: Path, monkeypatch, capsys):
    real_fsync = os.fsync
    calls: list[int] = []

    def disk_full_after_the_check(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 1:  # the write check passes; the disk fills up while the image is written
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_after_the_check)
    harness = Harness()
    code = harness.run("image", "a lighthouse at dusk", "--out", str(tmp_path))
    assert code == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the image (empty or partial) nor a temporary file
