"""Ctrl-C through ``hatch run demo`` and ``hatch run local-horde`` stops every process they started.

Each test runs the hatch script's own command line (read from hatch.toml) through ``/bin/sh -c`` in a new
session, as hatch runs it, records the whole process tree once the children are up, delivers the signal
and then checks that no process of that tree is left. (hatch itself ignores SIGINT while its child runs and
exits with the child's status, so the shell and below is what a Ctrl-C reaches.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS: dict[str, str] = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))["envs"]["default"][
    "scripts"
]
PROC = Path("/proc")

pytestmark = pytest.mark.skipif(
    not PROC.is_dir() or sys.platform != "linux", reason="reads the process table in /proc"
)


def children_of() -> dict[int, list[int]]:
    """Every live process's children, from /proc (zombies count as gone)."""
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    """``pid`` and every live process below it."""
    tree = children_of()
    found = {pid}
    stack = [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) process."""
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    """The command line of ``pid`` ("" once it is gone)."""
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_script(name: str, args: str, tmp_path: Path) -> subprocess.Popen[str]:
    """The hatch script ``name`` run as hatch runs it: ``/bin/sh -c`` in this environment, a new session."""
    command = SCRIPTS[name].replace("{args}", args)
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop_and_collect(shell: subprocess.Popen[str], tree: set[int], deliver: Callable[[], None]) -> str:
    """Deliver the signal, wait for the shell to end, return its output; fail if any process of ``tree`` lives."""
    deliver()
    try:
        output, _ = shell.communicate(timeout=90)
    finally:
        survivors = {pid: command_line(pid) for pid in tree if alive(pid)}
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
    assert not survivors, f"still running after the signal: {survivors}"
    return output


def worker_started(shell: subprocess.Popen[str]) -> Callable[[], bool]:
    return lambda: any("horde_sdk.worker.cli" in command_line(pid) for pid in descendants(shell.pid))


def demo_python(shell: subprocess.Popen[str]) -> int:
    (pid,) = [pid for pid in descendants(shell.pid) if "run_demo.py" in command_line(pid) and pid != shell.pid]
    return pid


@pytest.mark.slow
def test_ctrl_c_to_the_demo_stops_the_demo_the_worker_and_the_horde(tmp_path: Path) -> None:
    shell = start_script("demo", f"--out {tmp_path}", tmp_path)
    wait_until(worker_started(shell), "the demo's worker process")
    tree = descendants(shell.pid)
    assert len(tree) >= 3  # the shell, the demo, the worker
    output = stop_and_collect(shell, tree, lambda: os.killpg(shell.pid, signal.SIGINT))
    assert "Traceback" not in output
    assert "demo: interrupted" in output
    # The demo exits with 130; the shell above it may itself die of the SIGINT the terminal sent it.
    assert shell.returncode in {130, -signal.SIGINT}


@pytest.mark.slow
def test_sigterm_to_the_demo_alone_stops_its_worker(tmp_path: Path) -> None:
    shell = start_script("demo", f"--out {tmp_path}", tmp_path)
    wait_until(worker_started(shell), "the demo's worker process")
    tree = descendants(shell.pid)
    demo = demo_python(shell)
    output = stop_and_collect(shell, tree, lambda: os.kill(demo, signal.SIGTERM))
    assert "Traceback" not in output
    assert "demo: interrupted" in output
    assert shell.returncode == 130


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c-to-the-group", "sigterm-to-the-server"])
def test_the_local_horde_stops_on_ctrl_c_and_on_sigterm(tmp_path: Path, sent: signal.Signals) -> None:
    shell = start_script("local-horde", "--port 0", tmp_path)
    assert shell.stdout is not None
    first_line = shell.stdout.readline()
    assert "local-horde: serving http://127.0.0.1:" in first_line
    tree = descendants(shell.pid)
    (server,) = [pid for pid in tree if "horde_local" in command_line(pid) and pid != shell.pid]
    if sent == signal.SIGINT:
        output = stop_and_collect(shell, tree, lambda: os.killpg(shell.pid, signal.SIGINT))
    else:
        output = stop_and_collect(shell, tree, lambda: os.kill(server, signal.SIGTERM))
    assert "Traceback" not in output
    assert "local-horde: stopped" in output
