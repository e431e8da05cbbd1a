"""Helpers shared by the benchmark scripts: subprocess timing and a loopback server process."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent


REPO = HERE.parent.parent


def cold_import_ms(statement: str, runs: int = 7, python: str = sys.executable) -> float:
    """Median wall time in ms of a fresh interpreter running ``statement`` minus an empty interpreter."""

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([python, "-c", code], check=True)
        return (time.perf_counter() - started) * 1000

    baseline = statistics.median(once("pass") for _ in range(runs))
    measured = statistics.median(once(statement) for _ in range(runs))
    return measured - baseline


def importtime_ms(module: str) -> float:
    """Cumulative import time of ``module`` in ms as reported by ``python -X importtime`` (median of 5)."""
    values = []
    for _ in range(5):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
        )
        total = 0
        for line in result.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[2].strip() == module:
                total = int(parts[1])
        values.append(total / 1000)
    return statistics.median(values)


@contextlib.contextmanager
def loopback_server() -> Iterator[str]:
    """Start the tiny keep-alive server in another process; yield its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        process = subprocess.Popen([sys.executable, str(HERE / "_loopback_server.py"), str(port_file)])
        try:
            deadline = time.monotonic() + 10
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline:
                    raise RuntimeError("benchmark server did not start")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port_file.read_text()}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def cpu_count() -> int:
    """Number of CPUs available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def clean_venv(*distributions: str) -> Iterator[str]:
    """Yield the python of a fresh venv holding only the given packages/ distributions (and their deps).

    Import-time figures are taken there: a development environment holds extra packages (click, rich)
    that httpx imports when present, which a client author's light install does not have.
    """
    with tempfile.TemporaryDirectory() as folder:
        venv = Path(folder) / "venv"
        subprocess.run([sys.executable, "-m", "uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        python = str(venv / "bin" / "python")
        paths = [str(REPO / "packages" / name) for name in distributions]
        subprocess.run(
            [sys.executable, "-m", "uv", "pip", "install", "-q", "--compile-bytecode", "--python", python, *paths],
            check=True,
        )
        yield python


BASELINE_COMMIT = "f38b277e1e5dcdf5c7703de1cf40aad2bf0ea06f"
"""The main branch before the speed work (issue 16): the reference of the parsing and import figures."""


def summary(values: list[float]) -> str:
    """``median (min .. max)`` of ``values``, rounded for a table."""
    return f"{statistics.median(values):8.1f} (min {min(values):8.1f}, max {max(values):8.1f})"


def ratio_line(label: str, ours: list[float], reference: list[float], unit: str = "µs") -> str:
    """One line comparing two interleaved series: both medians and the per-round ratio's median, min and max.

    ``ours[i]`` and ``reference[i]`` were measured in the same round, so their ratio cancels most of the
    machine's drift between rounds; the ratio's spread says how far a single round can be trusted.
    """
    ratios = [mine / theirs for mine, theirs in zip(ours, reference, strict=True)]
    return (
        f"  {label:<44} {statistics.median(ours):9.1f} {unit} vs {statistics.median(reference):9.1f} {unit}   "
        f"ratio median {statistics.median(ratios):5.2f} (min {min(ratios):5.2f}, max {max(ratios):5.2f}, "
        f"{len(ratios)} rounds)"
    )


@contextlib.contextmanager
def baseline_sources(commit: str = BASELINE_COMMIT) -> Iterator[list[str] | None]:
    """Yield the ``src`` folders of every distribution at ``commit`` (extracted with git), or None without git.

    Put them first on ``PYTHONPATH`` of a child interpreter to import that commit's ``horde_sdk`` instead of
    the working tree's (the editable installs are plain path entries, which come after ``PYTHONPATH``).
    """
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", commit, "packages"], capture_output=True, check=False
        )
        if archive.returncode != 0:
            yield None
            return
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield [str(path) for path in sorted(Path(folder).glob("packages/*/src"))]
