"""Helpers shared by the benchmark scripts: subprocess timing and a loopback server process."""

from __future__ import annotations

import contextlib
import json
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


_MARK = "--- horde-sdk bench: the statement starts here ---"
_CPU = "--- horde-sdk bench: CPU seconds of the statement: "


def importtime_ms(statement: str, python: str = sys.executable) -> tuple[float, float]:
    """Import cost in ms of ``statement`` in a fresh interpreter: ``-X importtime``'s sum and the CPU time.

    The interpreter's own start-up imports are left out: a marker is written to stderr just before the
    statement runs, and the cumulative times of the top-level imports after it are added up. The second
    figure is the process CPU time the statement took; on a machine shared with other work it moves far less
    than wall time, which is what ``-X importtime`` reports.
    """
    code = (
        f"import sys, time\nsys.stderr.write({_MARK!r} + '\\n')\n_started = time.process_time()\n{statement}\n"
        f"sys.stderr.write({_CPU!r} + repr(time.process_time() - _started) + '\\n')"
    )
    # Byte code caches are written (a user's install has them; PYTHONDONTWRITEBYTECODE would time compiling).
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [python, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    after_mark = result.stderr.split(_MARK, 1)[1]
    total = 0
    cpu = 0.0
    for line in after_mark.splitlines():
        if line.startswith(_CPU):
            cpu = float(line.removeprefix(_CPU))
        parts = line.split("|")
        # Top-level imports have one space before the name; nested ones are indented further.
        if len(parts) == 3 and parts[2].startswith(" ") and not parts[2].startswith("  "):
            total += int(parts[1])
    return total / 1000, cpu * 1000


def import_samples(
    statements: dict[str, str], python: str, rounds: int = 9
) -> dict[str, tuple[list[float], list[float]]]:
    """Interleaved ``importtime_ms`` samples of each statement, one fresh interpreter each.

    Returns, per label, the ``-X importtime`` series and the CPU series (round ``i`` of every label was
    measured in the same pass, so their ratios cancel drift in the machine's load).
    """
    samples: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in statements}
    for statement in statements.values():
        importtime_ms(statement, python)  # writes the byte code caches of a fresh venv
    for _ in range(rounds):
        for label, statement in statements.items():
            wall, cpu = importtime_ms(statement, python)
            samples[label][0].append(wall)
            samples[label][1].append(cpu)
    return samples


def print_import_ratios(
    statements: dict[str, str], floors: dict[str, str], python: str, rounds: int = 9, *, heading: str = ""
) -> None:
    """Print each statement's import cost against each floor: CPU time, and ``-X importtime``'s wall time."""
    samples = import_samples({**floors, **statements}, python, rounds)
    if heading:
        print(heading)
    for label in floors:
        wall, cpu = samples[label]
        print(f"  floor {label}: CPU {summary(cpu)} ms, -X importtime {summary(wall)} ms")
    for label in statements:
        wall, cpu = samples[label]
        for floor in floors:
            print(ratio_line(f"{label} / {floor} (CPU)", cpu, samples[floor][1], "ms"))
        print(f"    -X importtime (wall, moves with the machine's load): {summary(wall)} ms")


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
def clean_venv(*distributions: str, packages: Path | None = None) -> Iterator[str]:
    """Yield the python of a fresh venv holding only the given packages/ distributions (and their deps).

    ``packages`` is the folder holding the distributions (default: this tree's ``packages/``).

    Import-time figures are taken there: a development environment holds extra packages (click, rich)
    that httpx imports when present, which a client author's light install does not have.
    """
    with tempfile.TemporaryDirectory() as folder:
        venv = Path(folder) / "venv"
        subprocess.run([sys.executable, "-m", "uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        python = str(venv / "bin" / "python")
        paths = [str((packages or REPO / "packages") / name) for name in distributions]
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


def child_figures(command: list[str], environment: dict[str, str]) -> dict[str, float]:
    """Run a measuring child process and return the JSON object it prints on its last line."""
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures
