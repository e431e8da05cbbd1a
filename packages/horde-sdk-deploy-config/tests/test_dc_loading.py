"""Loading real-shaped bridgeData files of every worker kind, and the loader's rules."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from horde_sdk.deploy_config import (
    DEPLOY_CONFIG_ENV_PREFIX,
    KNOWN_MODEL_META_INSTRUCTIONS,
    KNOWN_WORKER_KINDS,
    WORKER_DEPLOY_CONFIG_CLASSES,
    AlchemyWorkerDeployConfig,
    BaseWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    DeployConfigError,
    ImageWorkerDeployConfig,
    MemoryAmount,
    TextWorkerDeployConfig,
    get_accepted_keys,
    infer_worker_kind,
    load_deploy_config,
    load_deploy_config_with_report,
    parse_deploy_config,
    parse_deploy_config_with_report,
)
from horde_sdk.generation_parameters.alchemy import KNOWN_ALCHEMY_FORMS
from horde_sdk.generation_parameters.image import KNOWN_IMAGE_MODEL_BASELINES

DATA = Path(__file__).parent / "data"
NO_ENV: dict[str, str] = {}


def data_file(name: str) -> Path:
    return DATA / name


def file_keys(*names: str) -> set[str]:
    keys: set[str] = set()
    for name in names:
        keys |= set(yaml.safe_load(data_file(name).read_text(encoding="utf-8")) or {})
    return keys


# ---------------------------------------------------------------------------------------------------------------
# The sample files cover every key and alias
# ---------------------------------------------------------------------------------------------------------------

SAMPLES = {
    ImageWorkerDeployConfig: ("dreamer_bridgeData.yaml", "dreamer_aliases_bridgeData.yaml"),
    AlchemyWorkerDeployConfig: ("alchemist_bridgeData.yaml", "alchemist_aliases_bridgeData.yaml"),
    TextWorkerDeployConfig: ("scribe_bridgeData.yaml", "scribe_aliases_bridgeData.yaml"),
}


@pytest.mark.parametrize("config_type", list(SAMPLES))
def test_sample_files_use_every_key_and_alias_of_their_kind(config_type: type[BaseWorkerDeployConfig]) -> None:
    main, aliases = SAMPLES[config_type]
    accepted = {key for keys in get_accepted_keys(config_type).values() for key in keys}
    assert accepted - file_keys(main, aliases) == set()
    # The main file uses every field under its own name.
    assert set(config_type.model_fields) <= file_keys(main)


@pytest.mark.parametrize("config_type", list(SAMPLES))
def test_main_sample_sets_every_field_away_from_its_default(config_type: type[BaseWorkerDeployConfig]) -> None:
    config = load_deploy_config(data_file(SAMPLES[config_type][0]), config_type, environ=NO_ENV)
    default = config_type()
    same = [name for name in config_type.model_fields if getattr(config, name) == getattr(default, name)]
    # horde_url is the default horde (spelled differently in the alchemist file), and a few values are the defaults
    # an operator writes out anyway.
    assert set(same) <= {"horde_url", "max_threads", "allow_img2img", "allow_post_processing", "allow_sdxl_controlnet"}


# ---------------------------------------------------------------------------------------------------------------
# Each kind
# ---------------------------------------------------------------------------------------------------------------


def test_dreamer_file_loads_every_field() -> None:
    config = load_deploy_config(data_file("dreamer_bridgeData.yaml"), ImageWorkerDeployConfig, environ=NO_ENV)
    assert isinstance(config, ImageWorkerDeployConfig)
    assert config.api_key.get_secret_value() == "dreamer-test-key-1234"
    assert config.dreamer_name == "Test Dreamer"
    assert config.get_worker_names() == {KNOWN_WORKER_KINDS.dreamer: "Test Dreamer"}
    assert (config.max_threads, config.queue_size, config.max_batch, config.max_power) == (2, 2, 4, 32)
    assert config.max_pixels == 8 * 64 * 64 * 32
    assert config.models_to_load.names == ("Deliberate", "AlbedoBase XL (SDXL)")
    top, sdxl = config.models_to_load.meta_instructions
    assert (top.kind, top.count) == (KNOWN_MODEL_META_INSTRUCTIONS.top, 5)
    assert (sdxl.kind, sdxl.baselines) == (
        KNOWN_MODEL_META_INSTRUCTIONS.all,
        (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_xl,),
    )
    assert config.models_to_skip.names == ("pix2pix",)
    assert config.models_to_skip.meta_instructions[0].kind == KNOWN_MODEL_META_INSTRUCTIONS.all_nsfw
    assert config.blacklist == ("badword", "another bad word")
    assert config.censorlist == ("censorme",)
    assert (config.nsfw, config.censor_nsfw, config.allow_painting, config.allow_lora) == (False, True, False, True)
    assert config.max_lora_cache_size == 50
    assert config.horde_model_stickiness == 0.25
    assert config.civitai_api_token is not None
    assert config.civitai_api_token.get_secret_value() == "civitai-test-token-5678"
    assert config.cache_home == Path("/models")
    assert config.image_backend_url == "http://127.0.0.1:8188"
    assert config.image_model_map == {"Deliberate": "deliberate_v2.safetensors"}
    assert config.temp_dir == Path("/scratch/horde")
    assert config.ram_to_leave_free == MemoryAmount(percent=60)
    assert config.vram_to_leave_free == MemoryAmount(megabytes=2048)
    assert config.priority_usernames == ("db0#1",)


def test_dreamer_aliases_and_every_meta_entry() -> None:
    config = load_deploy_config(data_file("dreamer_aliases_bridgeData.yaml"), environ=NO_ENV)
    assert isinstance(config, ImageWorkerDeployConfig)
    assert config.dreamer_name == "Alias Dreamer"
    assert config.models_to_load.names == ()
    kinds = [(m.kind, m.count, m.baselines) for m in config.models_to_load.meta_instructions]
    assert kinds == [
        (KNOWN_MODEL_META_INSTRUCTIONS.all, None, ()),
        (KNOWN_MODEL_META_INSTRUCTIONS.bottom, 3, ()),
        (KNOWN_MODEL_META_INSTRUCTIONS.all_inpainting, None, ()),
        (KNOWN_MODEL_META_INSTRUCTIONS.all_sfw, None, ()),
        (KNOWN_MODEL_META_INSTRUCTIONS.all, None, (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_1,)),
        (
            KNOWN_MODEL_META_INSTRUCTIONS.all,
            None,
            (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_768, KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_512),
        ),
        (KNOWN_MODEL_META_INSTRUCTIONS.top, 2, ()),
        (KNOWN_MODEL_META_INSTRUCTIONS.all, None, ()),
    ]
    # The entries are written back as they were written.
    assert config.effective_config()["models_to_load"][0] == "ALL MODELS"


def test_alchemist_file() -> None:
    config = load_deploy_config(data_file("alchemist_bridgeData.yaml"), environ=NO_ENV)
    assert isinstance(config, AlchemyWorkerDeployConfig)
    assert type(config) is AlchemyWorkerDeployConfig
    assert config.alchemist_name == "Test Alchemist"
    assert config.forms == (
        KNOWN_ALCHEMY_FORMS.caption,
        KNOWN_ALCHEMY_FORMS.interrogation,
        KNOWN_ALCHEMY_FORMS.nsfw,
        KNOWN_ALCHEMY_FORMS.RealESRGAN_x4plus,
        KNOWN_ALCHEMY_FORMS.GFPGAN,
        KNOWN_ALCHEMY_FORMS.strip_background,
    )
    assert config.horde_url == "https://aihorde.net/"
    assert config.ram_to_leave_free.to_megabytes(16000) == 4096
    assert config.vram_to_leave_free.to_megabytes(8000) == 4000


def test_alchemist_aliases_and_post_process_entry() -> None:
    config = load_deploy_config(data_file("alchemist_aliases_bridgeData.yaml"), "alchemist", environ=NO_ENV)
    assert isinstance(config, AlchemyWorkerDeployConfig)
    assert config.alchemist_name == "Alias Alchemist"
    assert config.forms == ("post-process", KNOWN_ALCHEMY_FORMS.caption)
    forms = config.get_alchemy_forms()
    assert KNOWN_ALCHEMY_FORMS.RealESRGAN_x4plus in forms
    assert KNOWN_ALCHEMY_FORMS.CodeFormers in forms
    assert forms[-1] == KNOWN_ALCHEMY_FORMS.caption
    assert len(forms) == len(set(forms))


def test_scribe_file() -> None:
    config = load_deploy_config(data_file("scribe_bridgeData.yaml"), environ=NO_ENV)
    assert isinstance(config, TextWorkerDeployConfig)
    assert (config.scribe_name, config.kai_url, config.model_name) == (
        "Test Scribe",
        "http://localhost:5001",
        "koboldcpp/Llama-3-8B",
    )
    assert (config.max_length, config.max_context_length, config.branded_model) == (512, 4096, True)
    assert config.get_worker_names() == {KNOWN_WORKER_KINDS.scribe: "Test Scribe"}


def test_scribe_aliases_and_defaults() -> None:
    config = load_deploy_config(data_file("scribe_aliases_bridgeData.yaml"), environ=NO_ENV)
    assert isinstance(config, TextWorkerDeployConfig)
    assert config.scribe_name == "Alias Scribe"
    assert (config.max_length, config.max_context_length) == (80, 1024)


def test_combined_file_shares_worker_name_where_a_kind_has_no_own_name() -> None:
    config = load_deploy_config(data_file("combined_bridgeData.yaml"), environ=NO_ENV)
    assert isinstance(config, CombinedWorkerDeployConfig)
    assert config.get_worker_names() == {
        KNOWN_WORKER_KINDS.dreamer: "Combined Dreamer",
        KNOWN_WORKER_KINDS.alchemist: "Shared Name",
        KNOWN_WORKER_KINDS.scribe: "Shared Name",
    }
    assert config.max_pixels == 8 * 64 * 64 * 16
    assert KNOWN_ALCHEMY_FORMS.GFPGAN in config.alchemy_feature_flags().alchemy_forms
    assert config.image_feature_flags().loras


def test_toml_file() -> None:
    config = load_deploy_config(data_file("dreamer_bridgeData.toml"), environ=NO_ENV)
    assert isinstance(config, ImageWorkerDeployConfig)
    assert config.dreamer_name == "TOML Dreamer"
    assert config.models_to_load.names == ("Deliberate",)
    assert config.models_to_load.meta_instructions[0].count == 3
    assert config.blacklist == ("word",)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file_gives_the_defaults(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_deploy_config(path, environ=NO_ENV)
    assert config == ImageWorkerDeployConfig()
    assert config.horde_url == "https://aihorde.net"
    assert config.api_key.get_secret_value() == "0000000000"


def test_empty_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    assert load_deploy_config(path, TextWorkerDeployConfig, environ=NO_ENV) == TextWorkerDeployConfig()


def test_null_values_mean_the_default() -> None:
    config = parse_deploy_config({"blacklist": None, "nsfw": None, "max_threads": None}, environ=NO_ENV)
    assert config == ImageWorkerDeployConfig()


@pytest.mark.parametrize(
    ("keys", "kind"),
    [
        ({}, KNOWN_WORKER_KINDS.dreamer),
        ({"api_key": "x", "max_threads": 1}, KNOWN_WORKER_KINDS.dreamer),
        ({"worker_name": "x"}, KNOWN_WORKER_KINDS.dreamer),
        ({"dreamer_name": "x"}, KNOWN_WORKER_KINDS.dreamer),
        ({"alchemist_name": "x"}, KNOWN_WORKER_KINDS.alchemist),
        ({"forms": []}, KNOWN_WORKER_KINDS.alchemist),
        ({"kai_url": "http://x"}, KNOWN_WORKER_KINDS.scribe),
        ({"models_to_load": [], "forms": []}, KNOWN_WORKER_KINDS.combined),
    ],
)
def test_infer_worker_kind(keys: dict[str, Any], kind: KNOWN_WORKER_KINDS) -> None:
    assert infer_worker_kind(keys) == kind
    assert type(parse_deploy_config(keys, environ=NO_ENV)) is WORKER_DEPLOY_CONFIG_CLASSES[kind]


# ---------------------------------------------------------------------------------------------------------------
# Unknown keys warn and never fail
# ---------------------------------------------------------------------------------------------------------------


def test_unknown_keys_warn_with_a_hint_and_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("max_thread: 4\nallow_loras: true\ntotally_new_setting: 1\nnsfw: false\n", encoding="utf-8")
    report = load_deploy_config_with_report(path, environ=NO_ENV)
    assert report.config.max_threads == 1
    assert isinstance(report.config, ImageWorkerDeployConfig)
    assert report.config.nsfw is False
    messages = {warning.key: warning.message for warning in report.warnings}
    assert messages["max_thread"] == "unknown key, ignored (did you mean 'max_threads'?)"
    assert messages["allow_loras"] == "unknown key, ignored (did you mean 'allow_lora'?)"
    assert messages["totally_new_setting"] == "unknown key, ignored"
    assert all(warning.source == str(path) for warning in report.warnings)
    assert str(report.warnings[0]) == f"{path}: max_thread: unknown key, ignored (did you mean 'max_threads'?)"


def test_unknown_keys_are_logged_by_load_deploy_config(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("max_thread: 4\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="horde_sdk.deploy_config"):
        load_deploy_config(path, environ=NO_ENV)
    assert any("did you mean 'max_threads'?" in record.getMessage() for record in caplog.records)


def test_key_of_another_kind_is_named_as_such() -> None:
    report = parse_deploy_config_with_report({"kai_url": "http://x"}, ImageWorkerDeployConfig, environ=NO_ENV)
    assert report.warnings[0].message == "is a setting of scribe workers, not of a dreamer configuration; ignored"


def test_non_text_keys_are_unknown() -> None:
    report = parse_deploy_config_with_report({1: "x"}, ImageWorkerDeployConfig, environ=NO_ENV)  # type: ignore[dict-item]  # an int key on purpose: the case under test
    assert report.warnings[0].key == "1"


# ---------------------------------------------------------------------------------------------------------------
# Bad values fail with the source, the key and the rule
# ---------------------------------------------------------------------------------------------------------------


BAD_VALUES: list[tuple[type[BaseWorkerDeployConfig], str, str, str]] = [
    (ImageWorkerDeployConfig, "max_threads: 0", "max_threads", "must be at least 1, got 0"),
    (ImageWorkerDeployConfig, "max_threads: many", "max_threads", "Input should be a valid integer"),
    (ImageWorkerDeployConfig, "queue_size: -1", "queue_size", "must be at least 0, got -1"),
    (ImageWorkerDeployConfig, "max_power: 0", "max_power", "must be at least 1, got 0"),
    (ImageWorkerDeployConfig, "max_batch: 2.5", "max_batch", "Input should be a valid integer"),
    (ImageWorkerDeployConfig, "nsfw: maybe", "nsfw", "Input should be a valid boolean"),
    (ImageWorkerDeployConfig, "blacklist: badword", "blacklist", "Input should be a valid tuple"),
    (ImageWorkerDeployConfig, "blacklist: [ok, '  ']", "blacklist entry 2", "must not be empty or whitespace only"),
    (ImageWorkerDeployConfig, "models_to_load: ['top 0']", "models_to_load", "'top N' entry must be a positive"),
    (ImageWorkerDeployConfig, "models_to_load: top 5", "models_to_load", "must be a list of model names"),
    (ImageWorkerDeployConfig, "models_to_load: [5]", "models_to_load", "entry 1 must be text"),
    (ImageWorkerDeployConfig, "models_to_skip: ['']", "models_to_skip", "must not be empty"),
    (ImageWorkerDeployConfig, "horde_model_stickiness: 2", "horde_model_stickiness", "less than or equal to 1"),
    (ImageWorkerDeployConfig, "horde_url: aihorde.net", "horde_url", "must be an http:// or https:// URL"),
    (ImageWorkerDeployConfig, "horde_url: 'https://:80'", "horde_url", "must be an http:// or https:// URL"),
    (ImageWorkerDeployConfig, "horde_url: 'http://host:99999'", "horde_url", "must be an http:// or https:// URL"),
    (ImageWorkerDeployConfig, "horde_url: 'https://u:p@host'", "horde_url", "must not contain a user name or"),
    (ImageWorkerDeployConfig, "ram_to_leave_free: 80 GB", "ram_to_leave_free", "must be a percentage such as"),
    (ImageWorkerDeployConfig, "ram_to_leave_free: '120%'", "ram_to_leave_free", "between 0% and 100%"),
    (ImageWorkerDeployConfig, "vram_to_leave_free: true", "vram_to_leave_free", "must be a percentage such as"),
    (ImageWorkerDeployConfig, "dreamer_name: ''", "dreamer_name", "must not be empty or whitespace only"),
    (ImageWorkerDeployConfig, "worker_name: [a]", "worker_name", "Input should be a valid string"),
    (ImageWorkerDeployConfig, "api_key: 12345", "api_key", "must be text (quote the value in YAML"),
    (ImageWorkerDeployConfig, "api_key: '  '", "api_key", "must not be empty"),
    (ImageWorkerDeployConfig, "civitai_api_token: 42", "civitai_api_token", "must be text"),
    (AlchemyWorkerDeployConfig, "forms: caption", "forms", "Input should be a valid tuple"),
    (AlchemyWorkerDeployConfig, "forms: ['']", "forms entry 1", "must not be empty"),
    (AlchemyWorkerDeployConfig, "alchemist_name: {a: 1}", "alchemist_name", "Input should be a valid string"),
    (TextWorkerDeployConfig, "kai_url: localhost:5000", "kai_url", "must be an http:// or https:// URL"),
    (TextWorkerDeployConfig, "max_length: 0", "max_length", "must be at least 1, got 0"),
    (TextWorkerDeployConfig, "max_context_length: lots", "max_context_length", "Input should be a valid integer"),
    (TextWorkerDeployConfig, "branded_model: 7", "branded_model", "Input should be a valid boolean"),
    (TextWorkerDeployConfig, "max_length: 2048\nmax_context_length: 1024", "", "max_length (2048) must be smaller"),
]


@pytest.mark.parametrize(("config_type", "text", "key", "rule"), BAD_VALUES)
def test_bad_value_names_file_key_and_rule(
    tmp_path: Path, config_type: type[BaseWorkerDeployConfig], text: str, key: str, rule: str
) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(DeployConfigError) as caught:
        load_deploy_config(path, config_type, environ=NO_ENV)
    (problem,) = caught.value.problems
    assert problem.source == str(path)
    assert problem.key == key
    assert rule in problem.rule
    assert str(problem) in str(caught.value)
    assert str(caught.value).startswith("the worker configuration is invalid:\n")
    assert isinstance(caught.value, ValueError)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("max_threads: 0\nqueue_size: -2\nnsfw: perhaps\n", encoding="utf-8")
    with pytest.raises(DeployConfigError) as caught:
        load_deploy_config(path, environ=NO_ENV)
    assert [p.key for p in caught.value.problems] == ["max_threads", "queue_size", "nsfw"]
    assert str(caught.value).startswith("3 problems in the worker configuration:\n")
    assert len(str(caught.value).splitlines()) == 4


@pytest.mark.parametrize(
    ("name", "text", "rule"),
    [
        ("bad.yaml", "max_threads: [1\n", "is not valid YAML: "),
        ("bad.yaml", "- a\n- b\n", "must hold a mapping of keys to values"),
        ("bad.yaml", "just text\n", "must hold a mapping of keys to values"),
        ("bad.toml", "max_threads = \n", "is not valid TOML: "),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, text: str, rule: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeployConfigError) as caught:
        load_deploy_config(path, environ=NO_ENV)
    (problem,) = caught.value.problems
    assert (problem.source, problem.key) == (str(path), "")
    assert problem.rule.startswith(rule)


def test_yaml_error_gives_the_position(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text("nsfw: true\nmax_threads: [1\n", encoding="utf-8")
    with pytest.raises(DeployConfigError, match=r"line \d+, column \d+"):
        load_deploy_config(path, environ=NO_ENV)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DeployConfigError, match="file not found"):
        load_deploy_config(tmp_path / "nope.yaml", environ=NO_ENV)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_bytes(b"dreamer_name: \xff\xfe\n")
    with pytest.raises(DeployConfigError, match="is not UTF-8 text"):
        load_deploy_config(path, environ=NO_ENV)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(DeployConfigError, match="is a directory, not a file"):
        load_deploy_config(tmp_path, environ=NO_ENV)


def test_mapping_required() -> None:
    with pytest.raises(DeployConfigError, match="<mapping>: must hold a mapping"):
        parse_deploy_config(["a"], environ=NO_ENV)  # type: ignore[call-overload]  # a list on purpose: the error under test


# ---------------------------------------------------------------------------------------------------------------
# Environment overrides and ${VAR}
# ---------------------------------------------------------------------------------------------------------------


def test_environment_overrides_file_values() -> None:
    environ = {
        "HORDE_WORKER_MAX_THREADS": "3",
        "HORDE_WORKER_API_KEY": "from-env-key",
        "HORDE_WORKER_NSFW": "false",
        "HORDE_WORKER_BLACKLIST": "one, two ,,three",
        "HORDE_WORKER_MODELS_TO_LOAD": '["top 3", "Deliberate"]',
        "HORDE_WORKER_RAM_TO_LEAVE_FREE": "50%",
        "HORDE_WORKER_CACHE_HOME": "/elsewhere",
        "HORDE_WORKER_QUEUE_SIZE": "",  # empty variables are ignored
    }
    report = load_deploy_config_with_report(data_file("dreamer_bridgeData.yaml"), environ=environ)
    config = report.config
    assert isinstance(config, ImageWorkerDeployConfig)
    assert config.max_threads == 3
    assert config.api_key.get_secret_value() == "from-env-key"
    assert config.nsfw is False
    assert config.blacklist == ("one", "two", "three")
    assert config.models_to_load.names == ("Deliberate",)
    assert config.models_to_load.meta_instructions[0].count == 3
    assert config.ram_to_leave_free == MemoryAmount(percent=50)
    assert config.cache_home == Path("/elsewhere")
    assert config.queue_size == 2
    assert ("max_threads", "HORDE_WORKER_MAX_THREADS") in report.environment_overrides
    assert len(report.environment_overrides) == 7


def test_environment_alias_and_own_name() -> None:
    data = {"dreamer_name": "From File"}
    by_alias = parse_deploy_config(data, environ={"HORDE_WORKER_WORKER_NAME": "Env Alias"})
    assert isinstance(by_alias, ImageWorkerDeployConfig)
    assert by_alias.dreamer_name == "Env Alias"
    both = parse_deploy_config(
        data, environ={"HORDE_WORKER_WORKER_NAME": "Env Alias", "HORDE_WORKER_DREAMER_NAME": "Env Own"}
    )
    assert isinstance(both, ImageWorkerDeployConfig)
    assert both.dreamer_name == "Env Own"


def test_environment_replaces_a_key_written_under_its_alias() -> None:
    config = parse_deploy_config(
        {"image_models_to_load": ["top 1"]}, environ={"HORDE_WORKER_MODELS_TO_LOAD": "Deliberate"}
    )
    assert isinstance(config, ImageWorkerDeployConfig)
    assert config.models_to_load.names == ("Deliberate",)
    assert config.models_to_load.meta_instructions == ()


def test_environment_bad_value_names_the_variable() -> None:
    with pytest.raises(DeployConfigError) as caught:
        parse_deploy_config({}, environ={"HORDE_WORKER_MAX_THREADS": "zero"})
    (problem,) = caught.value.problems
    assert problem.source == "environment variable HORDE_WORKER_MAX_THREADS"
    assert problem.key == "max_threads"
    assert "valid integer" in problem.rule


def test_environment_bad_list_names_the_variable() -> None:
    with pytest.raises(DeployConfigError) as caught:
        parse_deploy_config({}, environ={"HORDE_WORKER_BLACKLIST": "[unclosed"})
    (problem,) = caught.value.problems
    assert problem.source == "environment variable HORDE_WORKER_BLACKLIST"
    assert problem.rule == "must be a comma-separated list or a YAML/JSON list"
    with pytest.raises(DeployConfigError, match="must be a comma-separated list"):
        parse_deploy_config({}, environ={"HORDE_WORKER_BLACKLIST": "[a]x: 1"})


def test_unknown_environment_variables_warn() -> None:
    report = parse_deploy_config_with_report({}, environ={"HORDE_WORKER_MAX_THREAD": "2", "OTHER": "x"})
    (warning,) = report.warnings
    assert (warning.source, warning.key) == ("environment", "HORDE_WORKER_MAX_THREAD")
    assert "did you mean 'max_threads'?" in warning.message
    # A key of another kind is no warning (one environment may serve several workers).
    assert parse_deploy_config_with_report({}, "dreamer", environ={"HORDE_WORKER_KAI_URL": "http://x"}).warnings == ()


def test_env_prefix_is_documented_value() -> None:
    assert DEPLOY_CONFIG_ENV_PREFIX == "HORDE_WORKER_"


def test_variable_references_are_replaced(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(
        'api_key: "${MY_KEY}"\ndreamer_name: "worker-${HOST}"\nblacklist: ["${WORD}", "$${LITERAL}"]\n',
        encoding="utf-8",
    )
    config = load_deploy_config(path, environ={"MY_KEY": "secret-from-var", "HOST": "gpu1", "WORD": "w"})
    assert isinstance(config, ImageWorkerDeployConfig)
    assert config.api_key.get_secret_value() == "secret-from-var"
    assert config.dreamer_name == "worker-gpu1"
    assert config.blacklist == ("w", "${LITERAL}")


def test_unset_variable_is_an_error_naming_key_and_variable(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text('api_key: "${HORDE_KEY_NOT_SET}"\ncivitai_api_token: "${BAD NAME}"\n', encoding="utf-8")
    with pytest.raises(DeployConfigError) as caught:
        load_deploy_config(path, environ={})
    first, second = caught.value.problems
    assert (first.source, first.key) == (str(path), "api_key")
    assert first.rule == "refers to environment variable HORDE_KEY_NOT_SET, which is not set"
    assert second.key == "civitai_api_token"
    assert "is not a valid environment variable reference" in second.rule


def test_variable_references_in_toml(tmp_path: Path) -> None:
    path = tmp_path / "worker.toml"
    path.write_text('api_key = "${K}"\n', encoding="utf-8")
    config = load_deploy_config(path, environ={"K": "toml-secret"})
    assert config.api_key.get_secret_value() == "toml-secret"


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORDE_WORKER_MAX_THREADS", "5")
    assert parse_deploy_config({}).max_threads == 5


# ---------------------------------------------------------------------------------------------------------------
# Mutation-free and frozen
# ---------------------------------------------------------------------------------------------------------------


def test_loading_never_changes_the_callers_data() -> None:
    data: dict[Any, Any] = yaml.safe_load(data_file("dreamer_bridgeData.yaml").read_text(encoding="utf-8"))
    data["api_key"] = "${KEY}"
    data["unknown_key"] = {"nested": ["x"]}
    data["nsfw"] = None
    before = copy.deepcopy(data)
    environ = {"KEY": "k", "HORDE_WORKER_MAX_THREADS": "7", "HORDE_WORKER_BLACKLIST": "a,b"}
    before_environ = dict(environ)
    config = parse_deploy_config(data, environ=environ)
    assert data == before
    assert environ == before_environ
    assert config.max_threads == 7


def test_failed_loading_never_changes_the_callers_data() -> None:
    data = {"max_threads": 0, "blacklist": ["a"], "api_key": "${NOPE}"}
    before = copy.deepcopy(data)
    with pytest.raises(DeployConfigError):
        parse_deploy_config(data, environ={})
    assert data == before


@pytest.mark.parametrize("config_type", list(WORKER_DEPLOY_CONFIG_CLASSES.values()))
def test_configurations_are_frozen_and_hashable(config_type: type[BaseWorkerDeployConfig]) -> None:
    config = config_type()
    with pytest.raises(pydantic.ValidationError):
        config.max_threads = 4  # type: ignore[misc]  # a frozen object on purpose: the error under test
    assert hash(config) == hash(config_type())
    assert config.model_copy() == config


def test_nested_values_are_immutable() -> None:
    config = load_deploy_config(data_file("dreamer_bridgeData.yaml"), ImageWorkerDeployConfig, environ=NO_ENV)
    assert isinstance(config.blacklist, tuple)
    assert isinstance(config.models_to_load.names, tuple)
    with pytest.raises(pydantic.ValidationError):
        config.models_to_load.names = ()  # type: ignore[misc]  # a frozen object on purpose: the error under test
    with pytest.raises(pydantic.ValidationError):
        config.ram_to_leave_free.percent = 1  # type: ignore[misc]  # a frozen object on purpose: the error under test


def test_direct_construction_rejects_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        ImageWorkerDeployConfig(kai_url="http://x")  # type: ignore[call-arg]  # an unknown field on purpose: the error under test


def test_effective_config_round_trips() -> None:
    for name in ("dreamer_bridgeData.yaml", "alchemist_bridgeData.yaml", "scribe_bridgeData.yaml"):
        config = load_deploy_config(data_file(name), environ=NO_ENV)
        dumped = config.effective_config()
        # Secrets are masked in the dump, so they are put back to compare the rest.
        dumped["api_key"] = config.api_key.get_secret_value()
        if isinstance(config, ImageWorkerDeployConfig) and config.civitai_api_token is not None:
            dumped["civitai_api_token"] = config.civitai_api_token.get_secret_value()
        if isinstance(config, TextWorkerDeployConfig) and config.text_backend_api_key is not None:
            dumped["text_backend_api_key"] = config.text_backend_api_key.get_secret_value()
        assert parse_deploy_config(dumped, type(config), environ=NO_ENV) == config
