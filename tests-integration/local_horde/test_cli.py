"""The ``local-horde`` command: its options build the configuration, and it serves on loopback."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
from horde_local import ApiKey, Role, parse_api_key
from horde_local.cli import build_config, parse_args


def test_options_build_the_configuration() -> None:
    args = parse_args(
        [
            "--port", "0", "--seed", "9", "--no-rate-limits", "--api-key", "al:k-1:moderator:5",
            "--fault-5xx", "0.1", "--fault-drop-after", "0.05", "--fault-429", "0.01", "--job-ttl", "2",
        ]
    )  # fmt: skip
    config = build_config(args)
    assert config.api_keys == (ApiKey("al", "k-1", Role.moderator, 5.0),)
    assert not config.rate_limits
    assert config.job_ttl == 2
    assert (config.faults.seed, config.faults.error_5xx, config.faults.drop_after) == (9, 0.1, 0.05)
    assert config.faults.burst_429 == 0.01


@pytest.mark.parametrize("text", ["nokey", "a:b", "a:b:king", "a:b:registered:lots", "::registered"])
def test_bad_api_keys_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|role|could not convert"):
        parse_api_key(text)


def test_the_command_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "horde_local", "--port", "0", "--no-rate-limits"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("local-horde: serving http://127.0.0.1:")
        base_url = line.split()[2]
        deadline = time.monotonic() + 10
        while True:
            try:
                assert httpx.get(f"{base_url}/v2/status/heartbeat").json()["message"] == "OK"
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()
