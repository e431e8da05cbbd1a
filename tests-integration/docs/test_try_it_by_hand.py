"""The README's "Try it by hand" section, run as written: a local horde, a worker, ``horde image``.

The blocks are read from the README (those whose ``tested:`` marker names this file).
``hatch run NAME ...`` is run as hatch runs it (less the shell in between), without hatch: a script of
hatch.toml's default environment becomes its command line, any other name the environment's console script;
the README's port 7001 becomes a free one. Then Ctrl-C (SIGINT to each process group) stops the worker and
the horde cleanly.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from types import ModuleType
from typing import IO

import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
THIS = "tests-integration/docs/test_try_it_by_hand.py"
SCRIPTS: dict[str, str] = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))["envs"]["default"][
    "scripts"
]


def _load_code_blocks() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "code_blocks_for_try_it", REPO_ROOT / "tools" / "docs" / "code_blocks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def as_hatch_runs_it(line: str) -> str:
    """``hatch run NAME args`` as the shell command hatch would run in the default environment."""
    words = shlex.split(line)
    assert words[:2] == ["hatch", "run"], line
    name, rest = words[2], shlex.join(words[3:])
    if name in SCRIPTS:
        return SCRIPTS[name].replace("{args}", rest)
    return shlex.join([str(Path(sys.executable).parent / name), *words[3:]])


def start(command: str, cwd: Path, log: IO[str] | None = None) -> subprocess.Popen[str]:
    """``command`` (split like the shell does) in a new session; its output piped, or written to ``log``."""
    return subprocess.Popen(
        shlex.split(command),
        cwd=cwd,
        stdout=subprocess.PIPE if log is None else log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])},
    )


def ctrl_c(process: subprocess.Popen[str]) -> str:
    """SIGINT to the process group (what a terminal's Ctrl-C does); return the piped output once it ended."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise AssertionError(f"still running 60 s after Ctrl-C:\n{output}") from None
    return output or ""


def wait_for_line(log: Path, text: str, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    """Wait until ``text`` appears in ``log`` (what the README tells the reader to wait for)."""
    deadline = time.monotonic() + timeout
    while text not in log.read_text(encoding="utf-8"):
        assert process.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{log.read_text(encoding='utf-8')}"
        time.sleep(0.05)


@pytest.mark.slow
def test_the_try_it_by_hand_section_works_as_written(tmp_path: Path) -> None:
    blocks = _load_code_blocks().blocks_tested_by(THIS)
    assert [block.lang for block in blocks] == ["bash", "yaml", "bash", "bash"]
    port = str(free_port())
    horde_line, bridge_data, worker_line, image_line = (block.text.replace("7001", port) for block in blocks)
    assert "--api-key" in horde_line
    assert "worker-key-00005" in bridge_data

    horde = start(as_hatch_runs_it(horde_line.strip()), tmp_path)
    worker: subprocess.Popen[str] | None = None
    try:
        assert horde.stdout is not None
        assert f"serving http://127.0.0.1:{port}/api" in horde.stdout.readline()
        (tmp_path / "bridgeData.yaml").write_text(bridge_data, encoding="utf-8")
        worker_log = tmp_path / "worker.log"
        with worker_log.open("w", encoding="utf-8") as log:
            worker = start(as_hatch_runs_it(worker_line.strip()), tmp_path, log)
        wait_for_line(worker_log, "worker registered with the horde", worker)
        asked = subprocess.run(
            shlex.split(as_hatch_runs_it(image_line.strip())),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert asked.returncode == 0, asked.stdout + asked.stderr
        (image_path,) = (tmp_path / "images").iterdir()
        with Image.open(image_path) as image:
            assert image.size == (512, 512)
        ctrl_c(worker)
        worker_output = worker_log.read_text(encoding="utf-8")
        assert worker.returncode == 0, worker_output
        assert "job submitted" in worker_output
        assert "worker stopped" in worker_output
    finally:
        for process in (worker, horde):
            if process is not None and process.poll() is None:
                ctrl_c(process)
    assert horde.returncode == 0
