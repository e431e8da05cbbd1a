"""The ``horde-worker`` command: check-config, run's refusals, and its log lines. No worker ever starts here."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from horde_sdk.worker.__about__ import __version__
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.cli import EventLineFormatter, configure_logging, main

API_KEY = "cli-test-key-do-not-print-0123"
VALID_SCRIBE = f"""
horde_url: "http://horde.invalid"
api_key: "{API_KEY}"
scribe_name: "cli-scribe"
model_name: "cli/model"
text_backend: demo
max_threads: 2
"""
VALID_DREAMER = f"""
horde_url: "http://horde.invalid"
api_key: "{API_KEY}"
dreamer_name: "cli-dreamer"
models_to_load: ["Deliberate"]
image_backend: demo
"""


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`horde-worker run` configures the root logger: put it back after each test."""
    root = logging.getLogger()
    httpx_logger = logging.getLogger("httpx")
    handlers, level, httpx_level = root.handlers[:], root.level, httpx_logger.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    httpx_logger.setLevel(httpx_level)


def _write(tmp_path: Path, text: str, name: str = "bridgeData.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


# --- check-config ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [VALID_SCRIBE, VALID_DREAMER])
def test_check_config_prints_the_effective_config_with_the_key_masked(tmp_path: Path, text: str) -> None:
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 0, err
    assert out.startswith("# Effective ")
    assert "api_key:" in out
    assert API_KEY not in out
    assert API_KEY not in err
    assert "horde.invalid" in out


def test_check_config_says_in_one_line_what_the_horde_will_never_send(tmp_path: Path) -> None:
    # An agent the horde does not know: not even the default image request of every client reaches the worker.
    text = VALID_DREAMER + 'bridge_agent: "My Engine:1.0:https://example.com"\nallow_post_processing: false\n'
    status, _out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 0, err
    lines = [line for line in err.splitlines() if "the horde will never send" in line]
    assert len(lines) == 1
    assert lines[0].startswith(
        "warning: the horde will never send this worker r2 image requests (the default of every client), img2img, "
    )
    assert "post-processing" not in lines[0]  # the configuration turned it off: nothing is lost
    assert "because it does not know the bridge 'My Engine'; set bridge_agent to 'AI Horde Worker reGen:" in lines[0]
    # The default agent receives the default request; the line says what it still does not get and why.
    status, _out, err = _main("check-config", _write(tmp_path, VALID_DREAMER), "--no-env")
    line = next(line for line in err.splitlines() if "the horde will never send" in line)
    assert "r2 image requests" not in line
    assert "(the default: the horde does not know the bridge 'horde-sdk-worker')" in line
    # A text worker hears about validated backends.
    status, _out, err = _main("check-config", _write(tmp_path, VALID_SCRIBE), "--no-env")
    assert "warning: the horde will never send this worker text requests that ask for validated backends" in err


def test_check_config_of_a_combined_file(tmp_path: Path) -> None:
    text = VALID_SCRIBE + 'alchemist_name: "cli-alchemist"\nalchemy_backend: demo\nforms: ["caption"]\n'
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 0, err
    assert "combined" in out.splitlines()[0]
    assert API_KEY not in out


def test_check_config_with_an_explicit_kind(tmp_path: Path) -> None:
    status, out, err = _main("check-config", _write(tmp_path, VALID_SCRIBE), "--kind", "scribe", "--no-env")
    assert status == 0, err
    assert "scribe" in out.splitlines()[0]


@pytest.mark.parametrize(
    "text",
    [
        f'api_key: "{API_KEY}"\nscribe_name: "s"\ntext_backend: demo\nmax_threads: 0\n',
        f'api_key: "{API_KEY}"\nscribe_name: "s"\ntext_backend: demo\nmax_length: "lots"\n',
        "scribe_name: [unclosed\n",
    ],
)
def test_check_config_of_an_invalid_file(tmp_path: Path, text: str) -> None:
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert out == ""
    lines = err.splitlines()
    assert lines
    assert all(line.startswith(("error: ", "warning: ")) for line in lines)
    assert any(line.startswith("error: ") for line in lines)
    assert API_KEY not in err


def test_check_config_of_a_missing_file(tmp_path: Path) -> None:
    status, out, err = _main("check-config", str(tmp_path / "nowhere.yaml"), "--no-env")
    assert status == 1
    assert out == ""
    assert err.startswith("error: ")


def test_check_config_with_an_unknown_backend_name(tmp_path: Path) -> None:
    text = VALID_DREAMER.replace("image_backend: demo", "image_backend: no-such-engine")
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert out == ""
    assert err.startswith("error: image_backend 'no-such-engine' is not a built-in backend")
    assert "'demo'" in err
    assert API_KEY not in err


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("no_such_module_for_cli_tests:factory", "cannot import module 'no_such_module_for_cli_tests'"),
        ("json:no_such_factory", "'json' has no attribute 'no_such_factory'"),
        ("builtins:str", "returned a str, which does not implement the TextBackend protocol"),
        ("json:__doc__", "is not callable"),
    ],
)
def test_check_config_with_a_bad_factory_path(tmp_path: Path, backend: str, expected: str) -> None:
    text = VALID_SCRIBE.replace("text_backend: demo", f'text_backend: "{backend}"')
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1, out
    assert out == ""
    assert err.startswith("error: text_backend ")
    assert expected in err


def test_check_config_with_a_malformed_backend_path(tmp_path: Path) -> None:
    text = VALID_SCRIBE.replace("text_backend: demo", 'text_backend: ":factory"')
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert out == ""
    assert err.startswith("error: ")
    assert "text_backend: must be a built-in backend name" in err


def test_check_config_with_a_factory_that_raises(tmp_path: Path) -> None:
    text = VALID_SCRIBE.replace("text_backend: demo", 'text_backend: "json:loads"')
    status, _out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert err.startswith("error: text_backend 'json:loads'")


def test_check_config_of_a_config_that_serves_nothing(tmp_path: Path) -> None:
    text = VALID_DREAMER.replace("image_backend: demo\n", "")
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert out == ""
    assert err.startswith("error: ")
    assert "serves nothing" in err


def test_check_config_refuses_one_name_for_several_kinds(tmp_path: Path) -> None:
    text = (
        f'api_key: "{API_KEY}"\nworker_name: "same"\nmodel_name: "m"\ntext_backend: demo\n'
        'alchemy_backend: demo\nforms: ["caption"]\n'
    )
    status, _out, err = _main("check-config", _write(tmp_path, text), "--kind", "combined", "--no-env")
    assert status == 1
    assert "several kinds" in err


# --- command line ----------------------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"horde-worker {__version__}"


@pytest.mark.parametrize("argv", [[], ["run"], ["frobnicate"], ["check-config"], ["run", "--config"]])
def test_wrong_command_lines_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: horde-worker" in capsys.readouterr().err


# --- run (refusals only: nothing may reach a horde) ------------------------------------------------------------


def test_run_with_an_invalid_config(tmp_path: Path) -> None:
    path = _write(tmp_path, f'api_key: "{API_KEY}"\nscribe_name: "s"\nmax_threads: -3\n')
    status, out, err = _main("run", "--config", path, "--no-env")
    assert status == 1
    assert out == ""
    assert "error: " in err
    assert API_KEY not in err


def test_run_with_an_unbuildable_backend(tmp_path: Path) -> None:
    text = VALID_DREAMER.replace("image_backend: demo", 'image_backend: "no_such_module_for_cli_tests:make"')
    status, _out, err = _main("run", "--config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert "error: image_backend 'no_such_module_for_cli_tests:make': cannot import module" in err
    assert API_KEY not in err


@pytest.mark.parametrize("option", ["--shutdown-grace", "--pop-interval"])
def test_run_with_a_negative_duration(tmp_path: Path, option: str) -> None:
    status, _out, err = _main("run", "--config", _write(tmp_path, VALID_SCRIBE), "--no-env", option, "-1")
    assert status == 2
    assert "error: " in err
    assert "must be a finite number of at least 0" in err


# --- log lines -------------------------------------------------------------------------------------------------


def _record(**fields: object) -> logging.LogRecord:
    return logging.makeLogRecord(
        {
            "name": "horde_sdk.worker.runtime.worker",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "job submitted",
            "created": 1_700_000_000.0,
            **fields,
        }
    )


def test_text_line_holds_the_event_and_its_fields() -> None:
    line = EventLineFormatter().format(_record(job_id="abc-123", kudos=12.5, kinds=["image", "text"]))
    assert "\n" not in line
    assert " INFO    horde_sdk.worker.runtime.worker: job submitted  " in line
    assert line.endswith("job_id=abc-123 kudos=12.5 kinds=['image', 'text']")


def test_text_line_without_fields_has_no_trailing_space() -> None:
    line = EventLineFormatter().format(_record())
    assert line.endswith("horde_sdk.worker.runtime.worker: job submitted")


def test_json_line_holds_the_event_and_its_fields() -> None:
    line = EventLineFormatter(as_json=True).format(_record(job_id="abc-123", kudos=12.5, path=Path("/x")))
    payload = json.loads(line)
    assert payload["level"] == "info"
    assert payload["logger"] == "horde_sdk.worker.runtime.worker"
    assert payload["event"] == "job submitted"
    assert payload["job_id"] == "abc-123"
    assert payload["kudos"] == 12.5
    assert payload["path"] == "/x"  # not JSON: written as text
    assert "time" in payload
    assert not {"msg", "args", "levelno", "created", "taskName", "exc_info"} & set(payload)


def test_exceptions_are_appended() -> None:
    try:
        raise RuntimeError("backend exploded")
    except RuntimeError:
        import sys

        record = _record(exc_info=sys.exc_info())
    assert "RuntimeError: backend exploded" in EventLineFormatter().format(record)
    assert "RuntimeError: backend exploded" in json.loads(EventLineFormatter(as_json=True).format(record))["exception"]


@pytest.mark.parametrize("as_json", [False, True])
def test_configure_logging_routes_worker_events_to_the_stream(as_json: bool) -> None:
    stream = io.StringIO()
    configure_logging("INFO", as_json=as_json, stream=stream)
    logger = get_logger("horde_sdk.worker.runtime.worker")
    logger.info("worker started", kinds=["image"], threads=2)
    logger.debug("not shown at INFO")
    logging.getLogger("httpx").info("HTTP Request: GET http://horde.invalid/api?apikey=x")
    text = stream.getvalue()
    lines = text.splitlines()
    assert len(lines) == 1
    if as_json:
        payload = json.loads(lines[0])
        assert payload["event"] == "worker started"
        assert payload["kinds"] == ["image"]
        assert payload["threads"] == 2
    else:
        assert "worker started" in lines[0]
        assert "kinds=['image'] threads=2" in lines[0]


def test_configure_logging_at_debug_keeps_httpx_lines() -> None:
    stream = io.StringIO()
    configure_logging("debug", stream=stream)
    logging.getLogger("httpx").debug("an httpx line")
    assert "an httpx line" in stream.getvalue()


def test_run_refused_after_loading_never_shows_the_api_key(tmp_path: Path) -> None:
    # The refusal path of `run` logs and prints with the configuration loaded: the key never shows. (The
    # running path, at DEBUG, is tests-integration/worker/test_worker_command.py.)
    text = VALID_DREAMER.replace("image_backend: demo", "image_backend: nope")
    status, out, err = _main("run", "--config", _write(tmp_path, text), "--no-env", "--json-logs")
    assert status == 1
    assert API_KEY not in out + err


@pytest.mark.parametrize("as_json", [False, True])
def test_formatter_hides_sensitive_fields(as_json: bool) -> None:
    line = EventLineFormatter(as_json=as_json).format(_record(apikey=API_KEY, headers={"apikey": API_KEY}))
    assert API_KEY not in line
