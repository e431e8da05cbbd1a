"""Hostile configuration files: each is refused at once with a clear error, never read whole into memory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from horde_sdk.deploy_config import (
    DEFAULT_MAX_CONFIG_BYTES,
    DeployConfigError,
    ImageWorkerDeployConfig,
    load_deploy_config,
    read_config_file,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="devices, symbolic links and pipes of POSIX systems")


def _rules(error: pytest.ExceptionInfo[DeployConfigError]) -> list[str]:
    return [f"{problem.key}: {problem.rule}" if problem.key else problem.rule for problem in error.value.problems]


def _billion_laughs(levels: int = 9) -> str:
    lines = ["lol: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]" for level in range(1, levels)]
    lines.append(f"models_to_load: [*l{levels - 1}, *l{levels - 1}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_in_a_list_key_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(_billion_laughs(), encoding="utf-8")
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(path, environ={})
    assert _rules(error) == [
        (
            "expands to more than 100000 values (YAML aliases repeating an anchor?); write the values out or use "
            "fewer aliases"
        )
    ]


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("dreamer_name: &n aliased\nworker_name_copy: *n\nmodels_to_load: &m [A, B]\n", encoding="utf-8")
    assert read_config_file(path)["worker_name_copy"] == "aliased"


def test_a_repeated_key_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("max_threads: 1\ndreamer_name: twice\n# a comment\nmax_threads: 2\n", encoding="utf-8")
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(path, environ={})
    assert _rules(error) == ["max_threads: is given twice (lines 1 and 4); keep one"]
    assert str(path) in str(error.value)


def test_a_repeated_key_in_a_nested_mapping_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("ram_to_leave_free:\n  percent: 10\n  percent: 20\n", encoding="utf-8")
    with pytest.raises(DeployConfigError, match=r"percent: is given twice \(lines 2 and 3\)"):
        read_config_file(path)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    with path.open("wb") as handle:
        handle.truncate(DEFAULT_MAX_CONFIG_BYTES + 1)  # sparse: no disk space, no time
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(path, environ={})
    assert _rules(error) == [
        f"is larger than {DEFAULT_MAX_CONFIG_BYTES} bytes; a worker configuration is a few kilobytes"
    ]


def test_the_size_limit_is_settable(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("dreamer_name: small\n", encoding="utf-8")
    with pytest.raises(DeployConfigError, match="larger than 10 bytes"):
        read_config_file(path, max_bytes=10)
    assert read_config_file(path, max_bytes=100) == {"dreamer_name": "small"}


@posix_only
def test_a_symbolic_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.symlink_to("/dev/zero")
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(path, environ={})
    assert _rules(error) == [
        "is not a regular file (a device, a pipe or a socket): give the configuration file itself"
    ]


@posix_only
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    os.mkfifo(path)
    with pytest.raises(DeployConfigError, match="is not a regular file"):
        read_config_file(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployConfigError, match="is a directory, not a file"):
        read_config_file(tmp_path)


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000 + "]" * 100_000, "a: " + "{b: " * 5_000 + "}" * 5_000])
def test_deep_nesting_is_refused_at_once(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(DeployConfigError, match="nests lists or mappings more than 50 levels deep"):
        read_config_file(path)


def test_a_regular_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("dreamer_name: fine\nmodels_to_load: [A]\n", encoding="utf-8")
    config = load_deploy_config(path, ImageWorkerDeployConfig, environ={})
    assert config.dreamer_name == "fine"
