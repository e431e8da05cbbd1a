"""A canary secret never shows in a repr, a dump, an error, a log record or the command's output."""

from __future__ import annotations

import io
import logging
import traceback
from pathlib import Path

import pydantic
import pytest

from horde_sdk.deploy_config import (
    SECRET_MASK,
    CombinedWorkerDeployConfig,
    DeployConfigError,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
    load_deploy_config,
    load_deploy_config_with_report,
    parse_deploy_config,
)
from horde_sdk.deploy_config.cli import main

CANARY = "CANARY-7f3a9c1e-SECRET"
TOKEN = "TOKEN-c2b8d4-SECRET"


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text
        assert TOKEN not in text
        # Fragments are not leaked either (a secret cut in half by a message is still a leak).
        assert "7f3a9c1e" not in text
        assert "c2b8d4" not in text


def write(tmp_path: Path, text: str, name: str = "bridgeData.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def exception_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)


def test_repr_str_and_dumps_mask_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path, f"api_key: {CANARY}\ncivitai_api_token: {TOKEN}\nmodels_to_load: [top 2]\nforms: [caption]\n"
    )
    report = load_deploy_config_with_report(path, environ={})
    config = report.config
    assert isinstance(config, CombinedWorkerDeployConfig)
    assert config.api_key.get_secret_value() == CANARY
    dumped = config.effective_config()
    assert dumped["api_key"] == SECRET_MASK
    assert dumped["civitai_api_token"] == SECRET_MASK
    assert_no_secret(
        repr(config),
        str(config),
        repr(report),
        str(dumped),
        config.model_dump_json(),
        str(config.model_dump()),
        str(config.image_feature_flags()),
        format(config),
    )


def test_text_backend_key_is_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path, f"api_key: {CANARY}\ntext_backend: openai\ntext_backend_api_key: {TOKEN}\n")
    config = load_deploy_config_with_report(path, "scribe", environ={}).config
    assert isinstance(config, TextWorkerDeployConfig)
    assert config.text_backend_api_key is not None
    assert config.text_backend_api_key.get_secret_value() == TOKEN
    assert config.effective_config()["text_backend_api_key"] == SECRET_MASK
    assert_no_secret(repr(config), str(config.effective_config()), config.model_dump_json())


def test_unset_secret_dumps_as_null() -> None:
    assert ImageWorkerDeployConfig().effective_config()["civitai_api_token"] is None


BAD_FILES = [
    # the secret is fine, other values are not
    f"api_key: {CANARY}\ncivitai_api_token: {TOKEN}\nmax_threads: 0\nnsfw: perhaps\n",
    # the secret itself is of the wrong type
    f"api_key: [{CANARY}]\ncivitai_api_token: {{{TOKEN}: 1}}\n",
    # YAML syntax errors on the secret's line
    f'api_key: "{CANARY}\ncivitai_api_token: {TOKEN}\n',
    f"api_key: {CANARY}: {TOKEN}\n",
    f"api_key: [{CANARY}\n",
    f"api_key: {CANARY}\n\tcivitai_api_token: {TOKEN}\n",
    # a secret where a number or a URL is expected
    f"max_threads: {CANARY}\nhorde_url: {TOKEN}\nram_to_leave_free: {CANARY}\n",
    f"horde_url: https://user:{CANARY}@\n",
    f"kai_url: http://user:{CANARY}@localhost:5000\n",
    f"models_to_load: [top {CANARY}, '']\nblacklist: [{{{TOKEN}: 1}}]\n",
]


@pytest.mark.parametrize("text", BAD_FILES)
def test_errors_and_logs_never_hold_secrets(tmp_path: Path, text: str, all_logs: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DeployConfigError) as caught:
        load_deploy_config(path, environ={})
    assert_no_secret(exception_text(caught.value), *(str(p) for p in caught.value.problems), log_text(all_logs))


def test_bad_toml_never_holds_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, f'api_key = "{CANARY}\n', "worker.toml")
    with pytest.raises(DeployConfigError) as caught:
        load_deploy_config(path, environ={})
    assert_no_secret(exception_text(caught.value))


def test_secrets_from_environment_and_variables_never_leak(all_logs: pytest.LogCaptureFixture) -> None:
    environ = {
        "HORDE_WORKER_API_KEY": CANARY,
        "MY_TOKEN": TOKEN,
        "HORDE_WORKER_MAX_THREAD": CANARY,  # an unknown variable holding a secret-looking value
        "HORDE_WORKER_QUEUE_SIZE": TOKEN,  # a bad value
    }
    with pytest.raises(DeployConfigError) as caught:
        parse_deploy_config({"civitai_api_token": "${MY_TOKEN}", "unknown": CANARY}, "dreamer", environ=environ)
    assert_no_secret(exception_text(caught.value), log_text(all_logs))
    del environ["HORDE_WORKER_QUEUE_SIZE"]
    config = parse_deploy_config({"civitai_api_token": "${MY_TOKEN}", "unknown": CANARY}, "dreamer", environ=environ)
    assert config.api_key.get_secret_value() == CANARY
    assert_no_secret(repr(config), str(config.effective_config()), log_text(all_logs))
    assert all_logs.records  # the unknown key and variable were logged, without their values


def test_direct_construction_errors_hide_input() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        ImageWorkerDeployConfig.model_validate({"api_key": [CANARY], "civitai_api_token": 1})
    assert_no_secret(str(caught.value), repr(caught.value))


@pytest.mark.parametrize("text", [f"api_key: {CANARY}\ncivitai_api_token: {TOKEN}\nmax_thread: 2\n", *BAD_FILES])
def test_command_output_never_holds_secrets(tmp_path: Path, text: str, all_logs: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, text)
    out, err = io.StringIO(), io.StringIO()
    main(["check", str(path)], out=out, err=err)
    assert_no_secret(out.getvalue(), err.getvalue(), log_text(all_logs))
    assert out.getvalue() or err.getvalue()
