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
    path = _write(tmp_path, text)
    status, out, err = _main("check-config", path, "--no-env")
    assert status == 1
    assert out == ""
    assert err == (
        f"error: {path}: image_backend: 'no-such-engine' is not a built-in backend (comfyui, sdwebui, demo) nor a "
        "'package.module:attribute' factory path\n"
    )


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("no_such_module_for_cli_tests:factory", "cannot import module 'no_such_module_for_cli_tests'"),
        ("json:no_such_factory", "'json' has no attribute 'no_such_factory'"),
        ("builtins:str", "is neither a backend class (one with the methods of TextBackend) nor a function marked"),
        ("json:__doc__", "is not callable"),
    ],
)
def test_check_config_with_a_bad_factory_path(tmp_path: Path, backend: str, expected: str) -> None:
    text = VALID_SCRIBE.replace("text_backend: demo", f'text_backend: "{backend}"')
    path = _write(tmp_path, text)
    status, out, err = _main("check-config", path, "--no-env")
    assert status == 1, out
    assert out == ""
    module = backend.partition(":")[0]
    assert err.startswith(f"note: {path}: text_backend: imports the Python module '{module}' and runs its code")
    assert f"error: {path}: text_backend " in err
    assert expected in err


def test_check_config_with_a_malformed_backend_path(tmp_path: Path) -> None:
    text = VALID_SCRIBE.replace("text_backend: demo", 'text_backend: ":factory"')
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert out == ""
    assert err.startswith("error: ")
    assert "text_backend: must be a built-in backend name" in err


def test_check_config_with_a_backend_class_that_raises(tmp_path: Path) -> None:
    # A backend class that takes no configuration: called, it fails; the error says so.
    text = VALID_SCRIBE.replace("text_backend: demo", 'text_backend: "horde_sdk.worker.backends.demo:DemoTextBackend"')
    path = _write(tmp_path, text)
    status, _out, err = _main("check-config", path, "--no-env")
    assert status == 1
    assert f"error: {path}: text_backend 'horde_sdk.worker.backends.demo:DemoTextBackend': the factory failed" in err


def test_check_config_of_a_config_without_its_backend(tmp_path: Path) -> None:
    text = VALID_DREAMER.replace("image_backend: demo\n", "")
    path = _write(tmp_path, text)
    status, out, err = _main("check-config", path, "--no-env")
    assert status == 1
    assert out == ""
    assert err.startswith(f"error: {path}: image_backend: is not set: name what generates images")


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
    path = _write(tmp_path, text)
    status, _out, err = _main("run", "--config", path, "--no-env")
    assert status == 1
    assert f"error: {path}: image_backend 'no_such_module_for_cli_tests:make': cannot import module" in err
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


# --- one verdict: horde-worker check-config agrees with horde-worker-config check, then builds the backends ---------


def _both(*argv: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """Run ``horde-worker check-config`` and ``horde-worker-config check`` on the same arguments."""
    from horde_sdk.deploy_config.cli import main as config_main

    worker_status, _out, worker_err = _main("check-config", *argv)
    out, err = io.StringIO(), io.StringIO()
    config_status = config_main(["check", *argv], out=out, err=err)
    return (worker_status, worker_err), (config_status, err.getvalue())


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "api_key"),  # an empty file
        (VALID_DREAMER.replace("image_backend: demo", "image_backend: no-such-engine"), "image_backend"),
        (VALID_DREAMER.replace(f'api_key: "{API_KEY}"\n', ""), "api_key"),
        (VALID_DREAMER.replace('dreamer_name: "cli-dreamer"\n', ""), "dreamer_name"),
        (VALID_DREAMER.replace('models_to_load: ["Deliberate"]\n', ""), "models_to_load"),
    ],
)
def test_both_checkers_refuse_the_same_files_naming_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, text)
    (worker_status, worker_err), (config_status, config_err) = _both(path, "--no-env")
    assert (worker_status, config_status) == (1, 1)
    assert worker_err == config_err  # word for word: the worker's checks come after these
    assert f"error: {path}: {key}: " in worker_err
    assert "Config" not in worker_err  # plain words, no class names
    assert API_KEY not in worker_err


def test_an_empty_file_says_everything_it_lacks_in_plain_words(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    _worker, (status, err) = _both(path, "--no-env")
    assert status == 1
    assert err.splitlines() == [
        (
            f"error: {path}: api_key: is not set: a worker needs the API key of a registered account (the "
            "anonymous key 0000000000 cannot run a worker); set it in the file or in HORDE_WORKER_API_KEY"
        ),
        f"error: {path}: dreamer_name: is not set: the horde needs a name for the worker (or set worker_name)",
        (
            f"error: {path}: image_backend: is not set: name what generates images, one of the built-in backends "
            "(comfyui, sdwebui, demo) or the 'package.module:attribute' path of a backend factory"
        ),
        (
            f"error: {path}: models_to_load: is empty: list the models to offer (names, or entries like 'top 5'), "
            "or map them to an engine's files with image_model_map"
        ),
    ]


def test_both_checkers_pass_a_valid_file(tmp_path: Path) -> None:
    (worker_status, worker_err), (config_status, config_err) = _both(_write(tmp_path, VALID_DREAMER), "--no-env")
    assert (worker_status, config_status) == (0, 0), (worker_err, config_err)


def test_run_refuses_a_file_without_api_key_before_starting(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID_DREAMER.replace(f'api_key: "{API_KEY}"\n', ""))
    status, _out, err = _main("run", "--config", path, "--no-env")
    assert status == 1
    assert f"error: {path}: api_key: is not set" in err
    assert "AnonForbiddenWorker" not in err


@pytest.mark.parametrize("command", ["run", "check-config"])
def test_every_command_takes_the_file_both_ways(tmp_path: Path, command: str) -> None:
    path = _write(tmp_path, VALID_DREAMER.replace(f'api_key: "{API_KEY}"\n', ""))
    by_option = _main(command, "--config", path, "--no-env")
    by_position = _main(command, path, "--no-env")
    assert by_option[0] == by_position[0] == 1
    assert f"error: {path}: api_key: is not set" in by_option[2]
    assert f"error: {path}: api_key: is not set" in by_position[2]


def test_a_file_given_twice_differently_is_a_wrong_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check-config", "a.yaml", "--config", "b.yaml"])
    assert exited.value.code == 2
    assert "give the configuration file once" in capsys.readouterr().err


# --- factory paths: code runs only from what declares itself a backend ------------------------------------------


@pytest.mark.parametrize("path", ["os:system", "builtins:exec", "subprocess:Popen", "builtins:eval"])
def test_arbitrary_callables_are_refused_before_being_called(
    tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins
    import os
    import subprocess

    called: list[str] = []
    for module, name in ((os, "system"), (builtins, "exec"), (builtins, "eval"), (subprocess, "Popen")):
        target = getattr(module, name)

        def record(*_args: object, _name: str = name, **_kwargs: object) -> None:
            called.append(_name)

        if isinstance(target, type):
            monkeypatch.setattr(module, name, type(name, (), {"__init__": record}))
        else:
            monkeypatch.setattr(module, name, record)
    text = VALID_DREAMER.replace("image_backend: demo", f'image_backend: "{path}"')
    status, out, err = _main("check-config", _write(tmp_path, text), "--no-env")
    assert status == 1
    assert out == ""
    assert "is neither a backend class" in err
    assert "refused without being called" in err
    assert called == []


def test_the_current_directory_is_not_searched_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    module = "cwd_backend_for_cli_tests"
    (tmp_path / f"{module}.py").write_text(
        "from horde_sdk.worker.backends import backend_factory, DemoImageBackend\n"
        "IMPORTED = True\n"
        "@backend_factory\n"
        "def make(config):\n"
        "    return DemoImageBackend()\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")  # as `python -m horde_sdk.worker.cli` puts the current directory first
    monkeypatch.delitem(sys.modules, module, raising=False)
    text = VALID_DREAMER.replace("image_backend: demo", f'image_backend: "{module}:make"')
    config = _write(tmp_path, text)
    status, _out, err = _main("check-config", config, "--no-env")
    assert status == 1
    assert f"cannot import module '{module}'" in err
    assert module not in sys.modules
    status, _out, err = _main("check-config", config, "--no-env", "--import-path", ".")
    assert status == 0, err
    assert f"note: {config}: image_backend: imports the Python module '{module}'" in err
    monkeypatch.delitem(sys.modules, module, raising=False)
