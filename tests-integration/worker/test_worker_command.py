"""``horde-worker run`` as an operator runs it: a subprocess against the local horde, stopped with SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from horde_local.testing import KEYS, HordeEnv

from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, ImageGenerateAsyncResponse
from horde_sdk.ai_horde_api.cli import main as horde_cli

BACKENDS = Path(__file__).parent / "backends_for_subprocess"
MODEL = "Test Model"
NAME = "sigint-dreamer"


def wait_for(predicate: Callable[[], bool], worker: subprocess.Popen[str], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert worker.poll() is None, worker.communicate()[1]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def start_worker(
    horde: HordeEnv, tmp_path: Path, delay: float, *options: str, backend: str = "slow_backends:slow_image"
) -> subprocess.Popen[str]:
    config = tmp_path / "bridgeData.yaml"
    config.write_text(
        f'api_key: "{KEYS["worker"].key}"\n'
        f'horde_url: "{horde.base_url}"\n'
        f'dreamer_name: "{NAME}"\n'
        f'models_to_load: ["{MODEL}"]\n'
        "max_threads: 1\n"
        "queue_size: 2\n"
        f'image_backend: "{backend}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(BACKENDS), "SLOW_BACKEND_DELAY": str(delay), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "horde_sdk.worker.cli",
            "run",
            "--config",
            str(config),
            "--pop-interval",
            "0.05",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def three_jobs_in_hand(horde: HordeEnv, worker: subprocess.Popen[str]) -> None:
    wait_for(lambda: NAME in horde.horde.all_worker_counts(), worker)
    client = horde.client("alice")
    for index in range(3):
        client.submit_request(
            ImageGenerateAsyncRequest(prompt=f"job {index}", models=(MODEL,)), ImageGenerateAsyncResponse
        )
    wait_for(lambda: horde.horde.worker_counts(NAME).in_flight == 3, worker)


def test_sigint_finishes_the_running_job_and_faults_the_queued(horde: HordeEnv, tmp_path: Path) -> None:
    worker = start_worker(horde, tmp_path, delay=1.5)
    three_jobs_in_hand(horde, worker)
    worker.send_signal(signal.SIGINT)
    _, log = worker.communicate(timeout=60)
    assert worker.returncode == 0, log
    assert "signal received; stopping" in log
    assert "worker stopped" in log
    counts = horde.horde.worker_counts(NAME)
    assert (counts.submitted, counts.faulted, counts.in_flight, counts.aborted) == (1, 2, 0, 0), counts
    assert KEYS["worker"].key not in log


def test_a_running_worker_never_logs_its_api_key_even_at_debug(horde: HordeEnv, tmp_path: Path) -> None:
    """The running path (pops, a job, its submit, the stop) at DEBUG; the refusal path is a unit test."""
    worker = start_worker(horde, tmp_path, 0.0, "--log-level", "DEBUG")
    wait_for(lambda: NAME in horde.horde.all_worker_counts(), worker)
    client = horde.client("alice")
    client.submit_request(ImageGenerateAsyncRequest(prompt="a job", models=(MODEL,)), ImageGenerateAsyncResponse)
    wait_for(lambda: horde.horde.worker_counts(NAME).submitted == 1, worker)
    worker.send_signal(signal.SIGINT)
    out, log = worker.communicate(timeout=60)
    assert worker.returncode == 0, log
    assert "job submitted" in log
    assert "DEBUG" in log
    assert KEYS["worker"].key not in out + log


def test_second_sigint_faults_the_running_job_too(horde: HordeEnv, tmp_path: Path) -> None:
    worker = start_worker(horde, tmp_path, delay=60.0)
    three_jobs_in_hand(horde, worker)
    worker.send_signal(signal.SIGINT)
    wait_for(lambda: horde.horde.worker_counts(NAME).faulted == 2, worker)
    worker.send_signal(signal.SIGINT)
    _, log = worker.communicate(timeout=60)
    assert worker.returncode == 0, log
    counts = horde.horde.worker_counts(NAME)
    assert (counts.submitted, counts.faulted, counts.in_flight) == (0, 3, 0), counts


def test_check_config_names_a_bad_backend(tmp_path: Path) -> None:
    config = tmp_path / "bridgeData.yaml"
    config.write_text(
        'api_key: "k-123"\ndreamer_name: "x"\nmodels_to_load: ["m"]\nimage_backend: "no_such_module:factory"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "horde_sdk.worker.cli", "check-config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "no_such_module" in result.stderr


def test_horde_image_is_served_by_a_worker_with_the_default_bridge_agent(horde: HordeEnv, tmp_path: Path) -> None:
    # The horde sends r2 requests (the default of every client) only to bridges it knows: the worker's default
    # agent is one, so `horde image` completes instead of waiting for its timeout.
    worker = start_worker(horde, tmp_path, delay=0.0, backend="demo")
    try:
        wait_for(lambda: NAME in horde.horde.all_worker_counts(), worker)
        argv = ["image", "a lighthouse at dusk", "--model", MODEL, "--out", str(tmp_path / "images")]
        argv += ["--api-url", horde.base_url, "--api-key", KEYS["alice"].key, "--timeout", "30"]
        assert horde_cli(argv) == 0
        assert len(list((tmp_path / "images").iterdir())) == 1
        assert horde.horde.worker_counts(NAME).submitted == 1
    finally:
        worker.send_signal(signal.SIGINT)
        _, log = worker.communicate(timeout=60)
    # The worker said at start which requests it will never be sent, and why, in one line.
    assert "the horde will never send this worker img2img" in log
    assert "(the default: the horde does not know the bridge 'horde-sdk-worker')" in log


def test_python_dash_m_does_not_import_a_module_from_the_current_directory(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "stray_engine.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef factory(config):\n    return None\n", encoding="utf-8"
    )
    config = tmp_path / "bridgeData.yaml"
    config.write_text(
        'api_key: "k-123"\ndreamer_name: "x"\nmodels_to_load: ["m"]\nimage_backend: "stray_engine:factory"\n'
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "horde_sdk.worker.cli", "check-config", "--config", "bridgeData.yaml", "--no-env"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot import module 'stray_engine'" in result.stderr
    assert "note: bridgeData.yaml: image_backend: imports the Python module 'stray_engine'" in result.stderr
    assert not marker.exists()
