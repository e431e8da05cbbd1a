"""The horde-worker-config command."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from horde_sdk.deploy_config import SECRET_MASK, load_deploy_config
from horde_sdk.deploy_config.cli import main

DATA = Path(__file__).parent / "data"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_worker_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("HORDE_WORKER_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("dreamer_bridgeData.yaml", "dreamer"),
        ("alchemist_bridgeData.yaml", "alchemist"),
        ("scribe_bridgeData.yaml", "scribe"),
        ("combined_bridgeData.yaml", "combined"),
        ("dreamer_bridgeData.toml", "dreamer"),
    ],
)
def test_check_prints_the_effective_configuration(name: str, kind: str) -> None:
    path = DATA / name
    code, out, err = run("check", str(path))
    assert (code, err) == (0, "")
    assert out.startswith(f"# Effective {kind} configuration of {path} (secrets masked).\n")
    effective = yaml.safe_load(out)
    assert effective["api_key"] == SECRET_MASK
    assert effective == load_deploy_config(path, environ={}).effective_config()


def test_check_shows_derived_values_and_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORDE_WORKER_MAX_POWER", "16")
    code, out, _ = run("check", str(DATA / "dreamer_bridgeData.yaml"))
    assert code == 0
    assert "# Set by the environment: max_power (HORDE_WORKER_MAX_POWER)\n" in out
    assert f"# Derived: max_pixels = {8 * 64 * 64 * 16}\n" in out
    assert yaml.safe_load(out)["max_power"] == 16
    code, out, _ = run("check", "--no-env", str(DATA / "dreamer_bridgeData.yaml"))
    assert yaml.safe_load(out)["max_power"] == 32


def test_check_with_explicit_kind() -> None:
    code, out, err = run("check", "--kind", "scribe", str(DATA / "combined_bridgeData.yaml"))
    assert code == 0
    assert out.startswith("# Effective scribe configuration")
    assert "warning:" in err
    assert "is a setting of dreamer workers, not of a scribe configuration; ignored" in err


READY = 'api_key: "a-registered-key"\ndreamer_name: d\nimage_backend: demo\nmodels_to_load: [A]\n'
"""What an image worker's file needs to pass the check: a key, a name, a backend and models."""


def test_check_warns_about_unknown_keys_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(READY + "max_thread: 3\nnsfw: false\n", encoding="utf-8")
    code, out, err = run("check", str(path))
    assert code == 0
    assert err == f"warning: {path}: max_thread: unknown key, ignored (did you mean 'max_threads'?)\n", err
    assert yaml.safe_load(out)["nsfw"] is False


def test_check_reports_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("max_threads: 0\nnsfw: perhaps\nmax_thread: 1\n", encoding="utf-8")
    code, out, err = run("check", str(path))
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"error: {path}: max_threads: must be at least 1, got 0",
        f"error: {path}: nsfw: Input should be a valid boolean, unable to interpret input",
    ]


def test_check_missing_file(tmp_path: Path) -> None:
    code, out, err = run("check", str(tmp_path / "missing.yaml"))
    assert (code, out) == (1, "")
    assert err == f"error: {tmp_path / 'missing.yaml'}: file not found\n"


def test_command_line_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["check", "x.yaml", "--kind", "painter"])
    assert caught.value.code == 2
    capsys.readouterr()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("horde-worker-config 0.")


def test_console_script_is_declared() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["horde-worker-config"] == "horde_sdk.deploy_config.cli:main"


def test_runs_as_a_program(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(READY.replace("a-registered-key", "not-shown-anywhere"), encoding="utf-8")
    code = "import sys; from horde_sdk.deploy_config.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", code, "check", "--no-env", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "not-shown-anywhere" not in result.stdout + result.stderr
    assert "api_key: '**********'" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["api_key", "dreamer_name", "image_backend", "models_to_load"]),
        (READY.replace('api_key: "a-registered-key"\n', ""), ["api_key"]),
        (READY.replace("image_backend: demo", "image_backend: no-such-engine"), ["image_backend"]),
        ('api_key: "k"\nalchemist_name: a\nalchemy_backend: demo\n', ["forms"]),
        ('api_key: "k"\nscribe_name: s\ntext_backend: nope\n', ["text_backend"]),
        ('api_key: "k"\nworker_name: w\nmodel_name: m\nforms: [caption]\nalchemy_backend: demo\n', ["worker_name"]),
    ],
)
def test_check_refuses_what_cannot_run_a_worker(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run("check", "--no-env", str(path))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert [line.split(": ")[2] for line in lines] == expected  # "error: FILE: key: rule"
    assert all(line.startswith(f"error: {path}: ") for line in lines)
    assert "Config" not in err


def test_check_takes_the_file_as_an_option_too(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(READY, encoding="utf-8")
    assert run("check", "--config", str(path), "--no-env")[0] == 0
    assert run("check", str(path), "--no-env")[0] == 0
