"""Loading a worker deployment configuration from a file (YAML or TOML), a mapping and the environment.

The steps, in order:

1. The file is read: ``.toml`` files as TOML, anything else as YAML (``bridgeData.yaml``). An empty file is an
   empty configuration. Only a regular file of at most `DEFAULT_MAX_CONFIG_BYTES` is read (a device such as
   ``/dev/zero``, a pipe or a directory is refused before anything is read); a key given twice in one mapping is
   an error naming both lines; YAML aliases may not expand the file past `DEFAULT_MAX_CONFIG_VALUES` values (a
   "billion laughs" file fails at once instead of filling the memory).
2. ``${VAR}`` in text values is replaced with the environment variable ``VAR`` (``$${VAR}`` keeps a literal
   ``${VAR}``). An unset variable is an error naming the key and the variable.
3. Keys whose value is empty (``null`` in YAML) are left out, so that the default applies.
4. Unknown keys are dropped with a warning carrying a "did you mean" hint; they never fail the load.
5. Environment variables ``HORDE_WORKER_<KEY>`` (see `DEPLOY_CONFIG_ENV_PREFIX`) override the file. List
   settings take comma-separated values or a YAML/JSON list; empty variables are ignored.
6. The result is validated. Every broken rule is reported at once in a `DeployConfigError`, one
   ``source: key: rule`` line each, never with the value of a secret.

The caller's data is never modified.
"""

import copy
import difflib
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, get_args, get_origin, overload

from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo

from horde_sdk.deploy_config._logging import get_logger
from horde_sdk.deploy_config.consts import (
    ANONYMOUS_API_KEY,
    BUILTIN_BACKEND_NAMES,
    DEPLOY_CONFIG_ENV_PREFIX,
    KNOWN_WORKER_KINDS,
)
from horde_sdk.deploy_config.exceptions import DeployConfigError, DeployConfigProblem, DeployConfigWarning
from horde_sdk.deploy_config.model_selection import ModelSelection
from horde_sdk.deploy_config.object_models import (
    WORKER_DEPLOY_CONFIG_CLASSES,
    AlchemyWorkerDeployConfig,
    BaseWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)

ConfigT = TypeVar("ConfigT", bound=BaseWorkerDeployConfig)

MAPPING_SOURCE = "<mapping>"
"""The source named in messages when a configuration is parsed from a mapping rather than a file."""

DEFAULT_MAX_CONFIG_BYTES = 1_048_576
"""The largest configuration file read (1 MiB). A ``bridgeData.yaml`` is a few kilobytes, a long model list some
tens; a larger file is refused with a clear error instead of being read into memory."""

DEFAULT_MAX_CONFIG_VALUES = 100_000
"""The most values (mappings, lists and scalars, counting each expansion of a YAML alias) a configuration may
hold. Aliases that repeat an anchor over and over ("billion laughs") pass it at once and are refused."""

_VARIABLE_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PYDANTIC_VALUE_ERROR_PREFIX = "Value error, "


@dataclass(frozen=True)
class DeployConfigLoadReport(Generic[ConfigT]):
    """A loaded configuration, with what the loader ignored and which keys the environment set."""

    config: ConfigT
    """The validated configuration."""
    source: str
    """The file the configuration was read from (or `MAPPING_SOURCE`)."""
    warnings: tuple[DeployConfigWarning, ...]
    """Everything ignored (unknown keys and environment variables), in the order found."""
    environment_overrides: tuple[tuple[str, str], ...]
    """``(key, environment variable)`` for every key an environment variable set."""


# ---------------------------------------------------------------------------------------------------------------
# What each configuration class accepts
# ---------------------------------------------------------------------------------------------------------------


def get_accepted_keys(config_type: type[BaseWorkerDeployConfig]) -> dict[str, tuple[str, ...]]:
    """Return, for each field of `config_type`, every key it is read from (its own name first, then aliases).

    Args:
        config_type: A configuration class.

    Returns:
        A new dict of field name to accepted keys.
    """
    accepted: dict[str, tuple[str, ...]] = {}
    for name, info in config_type.model_fields.items():
        keys = [name]
        if isinstance(info.validation_alias, AliasChoices):
            keys += [choice for choice in info.validation_alias.choices if isinstance(choice, str)]
        elif isinstance(info.validation_alias, str):
            keys.append(info.validation_alias)
        accepted[name] = tuple(dict.fromkeys(keys))
    return accepted


def _all_keys(config_type: type[BaseWorkerDeployConfig]) -> set[str]:
    return {key for keys in get_accepted_keys(config_type).values() for key in keys}


def _is_list_field(info: FieldInfo) -> bool:
    """Whether the field holds a list in the configuration (so an environment value is split on commas)."""
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, ModelSelection):
        return True
    return get_origin(annotation) is tuple or any(get_origin(arg) is tuple for arg in get_args(annotation))


def infer_worker_kind(data: Mapping[str, Any]) -> KNOWN_WORKER_KINDS:
    """Guess the kind of worker a configuration is for, from the keys only one kind has.

    Args:
        data: The raw configuration.

    Returns:
        The one kind whose own keys appear; `KNOWN_WORKER_KINDS.combined` when several kinds' keys appear;
        `KNOWN_WORKER_KINDS.dreamer` (the ``bridgeData.yaml`` of image workers) when none do.
    """
    shared = _all_keys(BaseWorkerDeployConfig) | {"worker_name"}
    found = [
        kind
        for kind, config_type in WORKER_DEPLOY_CONFIG_CLASSES.items()
        if kind != KNOWN_WORKER_KINDS.combined and (_all_keys(config_type) - shared) & set(data)
    ]
    if len(found) == 1:
        return found[0]
    return KNOWN_WORKER_KINDS.combined if found else KNOWN_WORKER_KINDS.dreamer


def _resolve_config_type(
    config_type: type[BaseWorkerDeployConfig] | KNOWN_WORKER_KINDS | str | None,
    data: Mapping[str, Any],
) -> type[BaseWorkerDeployConfig]:
    if config_type is None:
        return WORKER_DEPLOY_CONFIG_CLASSES[infer_worker_kind(data)]
    if isinstance(config_type, str):
        return WORKER_DEPLOY_CONFIG_CLASSES[KNOWN_WORKER_KINDS(config_type)]
    return config_type


# ---------------------------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------------------------


def _substitute(value: Any, environ: Mapping[str, str], missing: list[str]) -> Any:  # noqa: ANN401
    """Return `value` with ``${VAR}`` references replaced in every string it holds; record unset variables."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            escaped, name = match.groups()
            if escaped:
                return "${" + name + "}"
            if not _VARIABLE_NAME.match(name):
                missing.append(f"${{{name}}} is not a valid environment variable reference")
                return ""
            if name not in environ:
                missing.append(f"refers to environment variable {name}, which is not set")
                return ""
            return environ[name]

        return _VARIABLE_REFERENCE.sub(replace, value)
    if isinstance(value, list):
        return [_substitute(item, environ, missing) for item in value]
    if isinstance(value, dict):
        return {k: _substitute(v, environ, missing) for k, v in value.items()}
    return value


def _suggestion(key: str, known: set[str]) -> str:
    matches = difflib.get_close_matches(key.lower(), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def _kind_owning(key: str) -> KNOWN_WORKER_KINDS | None:
    for kind, config_type in WORKER_DEPLOY_CONFIG_CLASSES.items():
        if kind != KNOWN_WORKER_KINDS.combined and key in _all_keys(config_type):
            return kind
    return None


def _parse_environment_value(raw: str, is_list: bool) -> Any:  # noqa: ANN401 (validated afterwards)
    """Turn an environment value into what the configuration file would hold for the key."""
    if not is_list:
        return raw
    text = raw.strip()
    if text.startswith("["):
        import yaml  # noqa: PLC0415 (deferred: only a file or a list value needs PyYAML)

        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ValueError("must be a comma-separated list or a YAML/JSON list") from None
        if not isinstance(parsed, list):
            raise ValueError("must be a comma-separated list or a YAML/JSON list")
        return parsed
    return [item.strip() for item in text.split(",") if item.strip()]


def _rule_text(message: str, field_names: tuple[str, ...]) -> str:
    """Shorten a pydantic message to the rule: no "Value error, " prefix, no repetition of the key."""
    rule = message.removeprefix(_PYDANTIC_VALUE_ERROR_PREFIX)
    for name in field_names:
        if rule.startswith(f"{name} "):
            return rule[len(name) + 1 :]
    return rule


def _key_text(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"entry {part + 1}")
        else:
            parts.append(part)
    return " ".join(parts)


def _validation_problems(
    error: ValidationError,
    source: str,
    key_sources: Mapping[str, str],
    accepted: Mapping[str, tuple[str, ...]],
) -> list[DeployConfigProblem]:
    field_of_key = {key: name for name, keys in accepted.items() for key in keys}
    problems: list[DeployConfigProblem] = []
    for item in error.errors(include_url=False, include_input=False):
        location = tuple(item["loc"])
        top = str(location[0]) if location else ""
        field = field_of_key.get(top, top)
        names = tuple(dict.fromkeys((top, field)))
        problems.append(
            DeployConfigProblem(
                source=key_sources.get(top, source),
                key=_key_text(location),
                rule=_rule_text(item["msg"], names),
            )
        )
    return problems


@dataclass
class _LoadState:
    """What the loading steps build up for one configuration class and source."""

    config_type: type[BaseWorkerDeployConfig]
    source: str
    accepted: dict[str, tuple[str, ...]] = field(init=False)
    known_keys: set[str] = field(init=False)
    prepared: dict[str, Any] = field(default_factory=dict)
    problems: list[DeployConfigProblem] = field(default_factory=list)
    warnings: list[DeployConfigWarning] = field(default_factory=list)
    key_sources: dict[str, str] = field(default_factory=dict)
    overrides: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.accepted = get_accepted_keys(self.config_type)
        self.known_keys = {key for keys in self.accepted.values() for key in keys}


def _take_file_keys(state: _LoadState, data: Mapping[Any, Any], environment: Mapping[str, str]) -> None:
    """Copy the known keys of `data` (with ``${VAR}`` replaced, without nulls) into `state`; warn about the rest."""
    every_key = _all_keys(CombinedWorkerDeployConfig)
    for raw_key, raw_value in copy.deepcopy(dict(data)).items():
        key = str(raw_key)
        if key not in state.known_keys:
            owner = _kind_owning(key) if key in every_key else None
            if owner is not None:
                kind = state.config_type.worker_kind
                message = f"is a setting of {owner} workers, not of a {kind} configuration; ignored"
            else:
                message = f"unknown key, ignored{_suggestion(key, state.known_keys)}"
            state.warnings.append(DeployConfigWarning(state.source, key, message))
            continue
        missing: list[str] = []
        value = _substitute(raw_value, environment, missing)
        if missing:
            state.problems += [DeployConfigProblem(state.source, key, rule) for rule in missing]
        elif value is not None:
            state.prepared[key] = value


def _apply_environment(state: _LoadState, environment: Mapping[str, str]) -> None:
    """Let ``HORDE_WORKER_<KEY>`` variables replace the file's values; warn about unknown such variables."""
    for field_name, keys in state.accepted.items():
        for key in keys:
            variable = DEPLOY_CONFIG_ENV_PREFIX + key.upper()
            raw = environment.get(variable, "")
            if not raw:
                continue
            origin = f"environment variable {variable}"
            for other in keys:
                state.prepared.pop(other, None)
            is_list = _is_list_field(state.config_type.model_fields[field_name])
            try:
                state.prepared[field_name] = _parse_environment_value(raw, is_list)
            except ValueError as error:
                state.problems.append(DeployConfigProblem(origin, field_name, str(error)))
            state.key_sources[field_name] = origin
            state.overrides.append((field_name, variable))
            break
    every_variable = {DEPLOY_CONFIG_ENV_PREFIX + key.upper() for key in _all_keys(CombinedWorkerDeployConfig)}
    for variable in environment:
        if variable.startswith(DEPLOY_CONFIG_ENV_PREFIX) and variable not in every_variable:
            hint = _suggestion(variable.removeprefix(DEPLOY_CONFIG_ENV_PREFIX), state.known_keys)
            state.warnings.append(
                DeployConfigWarning("environment", variable, f"not a configuration key, ignored{hint}")
            )


@overload
def parse_deploy_config_with_report(
    data: Mapping[str, Any],
    config_type: type[ConfigT],
    *,
    source: str = ...,
    environ: Mapping[str, str] | None = ...,
) -> DeployConfigLoadReport[ConfigT]: ...


@overload
def parse_deploy_config_with_report(
    data: Mapping[str, Any],
    config_type: KNOWN_WORKER_KINDS | str | None = ...,
    *,
    source: str = ...,
    environ: Mapping[str, str] | None = ...,
) -> DeployConfigLoadReport[BaseWorkerDeployConfig]: ...


def parse_deploy_config_with_report(
    data: Mapping[str, Any],
    config_type: type[ConfigT] | KNOWN_WORKER_KINDS | str | None = None,
    *,
    source: str = MAPPING_SOURCE,
    environ: Mapping[str, str] | None = None,
) -> DeployConfigLoadReport[Any]:
    """Validate a raw configuration mapping (as read from a file) and report what was ignored.

    Args:
        data: The raw configuration; it is copied, never modified.
        config_type: The configuration class, a worker kind (``"dreamer"``, ``"alchemist"``, ``"scribe"``,
            ``"combined"``), or None to infer the kind from the keys (see `infer_worker_kind`).
        source: The name used for the data in messages, usually the file path.
        environ: The environment for ``${VAR}`` references and ``HORDE_WORKER_*`` overrides; None uses
            `os.environ`, an empty mapping turns both off.

    Returns:
        The report holding the configuration. Warnings are not logged (see `parse_deploy_config`).

    Raises:
        DeployConfigError: If the data is not a mapping, a ``${VAR}`` is not set, or a value breaks a rule.
    """
    environment: Mapping[str, str] = os.environ if environ is None else environ
    if not isinstance(data, Mapping):
        raise DeployConfigError([DeployConfigProblem(source, "", "must hold a mapping of keys to values")])
    resolved_type = _resolve_config_type(config_type, data)
    state = _LoadState(resolved_type, source)
    _take_file_keys(state, data, environment)
    _apply_environment(state, environment)
    config: BaseWorkerDeployConfig | None = None
    try:
        config = resolved_type.model_validate(state.prepared)
    except ValidationError as error:
        state.problems += _validation_problems(error, source, state.key_sources, state.accepted)
    if state.problems or config is None:
        # Raised outside the `except` block so that pydantic's error (which may hold input) is not chained.
        raise DeployConfigError(state.problems)
    return DeployConfigLoadReport(
        config=config,
        source=source,
        warnings=tuple(state.warnings),
        environment_overrides=tuple(state.overrides),
    )


def _read_limited(file: Path, source: str, max_bytes: int) -> bytes:
    """Read at most `max_bytes` of a regular file; refuse anything else before reading it."""
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer (the type is checked right after).
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DeployConfigError([DeployConfigProblem(source, "", "file not found")]) from None
    except IsADirectoryError:
        raise DeployConfigError([DeployConfigProblem(source, "", "is a directory, not a file")]) from None
    except OSError as error:
        raise DeployConfigError([DeployConfigProblem(source, "", f"cannot be read ({error.strerror})")]) from None
    info = os.fstat(descriptor)
    rule = None
    if stat.S_ISDIR(info.st_mode):
        rule = "is a directory, not a file"
    elif not stat.S_ISREG(info.st_mode):
        rule = "is not a regular file (a device, a pipe or a socket): give the configuration file itself"
    elif info.st_size > max_bytes:
        rule = f"is larger than {max_bytes} bytes; a worker configuration is a few kilobytes"
    if rule is not None:
        os.close(descriptor)
        raise DeployConfigError([DeployConfigProblem(source, "", rule)])
    too_large = f"is larger than {max_bytes} bytes; a worker configuration is a few kilobytes"
    with os.fdopen(descriptor, "rb") as handle:
        try:
            content = handle.read(max_bytes + 1)
        except OSError as error:
            raise DeployConfigError([DeployConfigProblem(source, "", f"cannot be read ({error.strerror})")]) from None
    if len(content) > max_bytes:  # it grew while being read
        raise DeployConfigError([DeployConfigProblem(source, "", too_large)])
    return content


def read_config_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_CONFIG_BYTES,
    max_values: int = DEFAULT_MAX_CONFIG_VALUES,
) -> dict[str, Any]:
    """Read a configuration file: ``.toml`` as TOML, anything else as YAML. An empty file gives an empty dict.

    Args:
        path: The file to read (a symbolic link is followed; what it points to must be a regular file).
        max_bytes: The largest file read.
        max_values: The most values the YAML document may expand to (each alias counted as a copy).

    Returns:
        The raw configuration.

    Raises:
        DeployConfigError: If the file cannot be read, is not a regular file, is larger than `max_bytes`, is not
            valid YAML/TOML, gives a key twice in one mapping, expands past `max_values`, or does not hold a
            mapping.
    """
    file = Path(path)
    source = str(file)
    content = _read_limited(file, source, max_bytes)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise DeployConfigError([DeployConfigProblem(source, "", "is not UTF-8 text")]) from None
    data: Any
    if file.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise DeployConfigError([DeployConfigProblem(source, "", f"is not valid TOML: {error}")]) from None
        except RecursionError:
            raise DeployConfigError([DeployConfigProblem(source, "", "nests lists or tables too deeply")]) from None
    else:
        # Deferred: using the configuration classes must not import PyYAML.
        from horde_sdk.deploy_config._yaml_reader import parse_yaml_text  # noqa: PLC0415

        data = parse_yaml_text(text, source, max_values)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DeployConfigError([DeployConfigProblem(source, "", "must hold a mapping of keys to values")])
    return data


def _log_warnings(warnings: tuple[DeployConfigWarning, ...]) -> None:
    logger = get_logger()
    for warning in warnings:
        logger.warning(str(warning), source=warning.source, key=warning.key)


@overload
def parse_deploy_config(
    data: Mapping[str, Any],
    config_type: type[ConfigT],
    *,
    source: str = ...,
    environ: Mapping[str, str] | None = ...,
) -> ConfigT: ...


@overload
def parse_deploy_config(
    data: Mapping[str, Any],
    config_type: KNOWN_WORKER_KINDS | str | None = ...,
    *,
    source: str = ...,
    environ: Mapping[str, str] | None = ...,
) -> BaseWorkerDeployConfig: ...


def parse_deploy_config(
    data: Mapping[str, Any],
    config_type: type[ConfigT] | KNOWN_WORKER_KINDS | str | None = None,
    *,
    source: str = MAPPING_SOURCE,
    environ: Mapping[str, str] | None = None,
) -> BaseWorkerDeployConfig:
    """Validate a raw configuration mapping; warnings are logged to the ``horde_sdk.deploy_config`` logger.

    See `parse_deploy_config_with_report` for the arguments and errors.
    """
    report = parse_deploy_config_with_report(data, config_type, source=source, environ=environ)
    _log_warnings(report.warnings)
    config: BaseWorkerDeployConfig = report.config
    return config


@overload
def load_deploy_config_with_report(
    path: str | os.PathLike[str],
    config_type: type[ConfigT],
    *,
    environ: Mapping[str, str] | None = ...,
) -> DeployConfigLoadReport[ConfigT]: ...


@overload
def load_deploy_config_with_report(
    path: str | os.PathLike[str],
    config_type: KNOWN_WORKER_KINDS | str | None = ...,
    *,
    environ: Mapping[str, str] | None = ...,
) -> DeployConfigLoadReport[BaseWorkerDeployConfig]: ...


def load_deploy_config_with_report(
    path: str | os.PathLike[str],
    config_type: type[ConfigT] | KNOWN_WORKER_KINDS | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> DeployConfigLoadReport[Any]:
    """Read and validate a configuration file, reporting what was ignored (nothing is logged).

    Args:
        path: The ``bridgeData.yaml`` (or ``.toml``) file.
        config_type: The configuration class, a worker kind, or None to infer the kind from the keys.
        environ: The environment for ``${VAR}`` and ``HORDE_WORKER_*``; None uses `os.environ`.

    Returns:
        The report holding the configuration.

    Raises:
        DeployConfigError: If the file cannot be read or parsed, or a value breaks a rule.
    """
    data = read_config_file(path)
    return parse_deploy_config_with_report(data, config_type, source=str(path), environ=environ)


@overload
def load_deploy_config(
    path: str | os.PathLike[str],
    config_type: type[ConfigT],
    *,
    environ: Mapping[str, str] | None = ...,
) -> ConfigT: ...


@overload
def load_deploy_config(
    path: str | os.PathLike[str],
    config_type: KNOWN_WORKER_KINDS | str | None = ...,
    *,
    environ: Mapping[str, str] | None = ...,
) -> BaseWorkerDeployConfig: ...


def load_deploy_config(
    path: str | os.PathLike[str],
    config_type: type[ConfigT] | KNOWN_WORKER_KINDS | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> BaseWorkerDeployConfig:
    """Read and validate a configuration file; warnings are logged to the ``horde_sdk.deploy_config`` logger.

    Args:
        path: The ``bridgeData.yaml`` (or ``.toml``) file.
        config_type: The configuration class (the return type follows it), a worker kind, or None to infer the
            kind from the keys.
        environ: The environment for ``${VAR}`` and ``HORDE_WORKER_*``; None uses `os.environ`.

    Returns:
        The validated, frozen configuration.

    Raises:
        DeployConfigError: If the file cannot be read or parsed, or a value breaks a rule.
    """
    report = load_deploy_config_with_report(path, config_type, environ=environ)
    _log_warnings(report.warnings)
    config: BaseWorkerDeployConfig = report.config
    return config


# ---------------------------------------------------------------------------------------------------------------
# Can it run a worker?
# ---------------------------------------------------------------------------------------------------------------

_KIND_WORDS = {
    KNOWN_WORKER_KINDS.dreamer: ("dreamer_name", "image_backend", "generates images"),
    KNOWN_WORKER_KINDS.scribe: ("scribe_name", "text_backend", "generates text"),
    KNOWN_WORKER_KINDS.alchemist: ("alchemist_name", "alchemy_backend", "runs alchemy forms"),
}
_KIND_CLASSES: dict[KNOWN_WORKER_KINDS, type[BaseWorkerDeployConfig]] = {
    KNOWN_WORKER_KINDS.dreamer: ImageWorkerDeployConfig,
    KNOWN_WORKER_KINDS.scribe: TextWorkerDeployConfig,
    KNOWN_WORKER_KINDS.alchemist: AlchemyWorkerDeployConfig,
}


def _backend_problem(kind: KNOWN_WORKER_KINDS, value: str | None) -> str | None:
    """Why a backend setting cannot name a backend (None when it can)."""
    builtins = ", ".join(BUILTIN_BACKEND_NAMES[kind])
    if value is None:
        return (
            f"is not set: name what {_KIND_WORDS[kind][2]}, one of the built-in backends ({builtins}) or the "
            "'package.module:attribute' path of a backend factory"
        )
    if value not in BUILTIN_BACKEND_NAMES[kind] and ":" not in value:
        return f"'{value}' is not a built-in backend ({builtins}) nor a 'package.module:attribute' factory path"
    return None


def _kind_problems(config: BaseWorkerDeployConfig, kind: KNOWN_WORKER_KINDS) -> list[tuple[str, str]]:
    name_key, backend_key, _ = _KIND_WORDS[kind]
    problems: list[tuple[str, str]] = []
    if not config.get_worker_names().get(kind):
        problems.append((name_key, "is not set: the horde needs a name for the worker (or set worker_name)"))
    backend = _backend_problem(kind, getattr(config, backend_key))
    if backend is not None:
        problems.append((backend_key, backend))
    image = config if isinstance(config, ImageWorkerDeployConfig) and kind == KNOWN_WORKER_KINDS.dreamer else None
    if image is not None and not (
        image.models_to_load.names or image.models_to_load.meta_instructions or image.image_model_map
    ):
        problems.append(
            (
                "models_to_load",
                (
                    "is empty: list the models to offer (names, or entries like 'top 5'), or map them to an "
                    "engine's files with image_model_map"
                ),
            )
        )
    if isinstance(config, AlchemyWorkerDeployConfig) and kind == KNOWN_WORKER_KINDS.alchemist and not config.forms:
        problems.append(("forms", "is empty: list the alchemy forms to offer (for example caption, or post-process)"))
    return problems


def _served_kinds(config: CombinedWorkerDeployConfig) -> list[KNOWN_WORKER_KINDS]:
    """The kinds a combined configuration serves: those with a worker name and a backend."""
    names = config.get_worker_names()
    return [
        kind
        for kind, (_, backend_key, _) in _KIND_WORDS.items()
        if names.get(kind) and getattr(config, backend_key) is not None
    ]


def get_readiness_problems(
    config: BaseWorkerDeployConfig, *, source: str = MAPPING_SOURCE
) -> tuple[DeployConfigProblem, ...]:
    """Return what keeps a valid configuration from running a worker (empty when nothing does).

    Loading checks each value; this checks the configuration as a whole, as ``horde-worker-config check``,
    ``horde-worker check-config`` and ``horde-worker run`` all do: a registered `api_key` (the anonymous key cannot
    run a worker), and for each kind served a worker name and a backend (a built-in name or a factory path), the
    models of an image worker and the forms of an alchemy worker. A combined configuration serves the kinds that
    have both a name and a backend, each under its own name.

    Args:
        config: A loaded configuration.
        source: The name of its file, for the messages.

    Returns:
        One problem per key, in the order above.
    """
    problems: list[tuple[str, str]] = []
    if config.api_key.get_secret_value() == ANONYMOUS_API_KEY:
        problems.append(
            (
                "api_key",
                (
                    "is not set: a worker needs the API key of a registered account (the anonymous key "
                    f"{ANONYMOUS_API_KEY} cannot run a worker); set it in the file or in "
                    f"{DEPLOY_CONFIG_ENV_PREFIX}API_KEY"
                ),
            )
        )
    if isinstance(config, CombinedWorkerDeployConfig):
        served = _served_kinds(config)
        if not served:
            problems.append(
                (
                    "worker_name",
                    (
                        "the configuration serves nothing: give each kind to serve its worker name and its backend "
                        "(dreamer_name and image_backend, scribe_name and text_backend, alchemist_name and "
                        "alchemy_backend)"
                    ),
                )
            )
        names = [config.get_worker_names()[kind] for kind in served]
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            problems.append(
                (
                    "worker_name",
                    (
                        f"the name '{repeated[0]}' is given to several kinds; the horde keeps one name per worker: "
                        "set dreamer_name, scribe_name and alchemist_name to different names"
                    ),
                )
            )
        for kind in served:
            problems += [problem for problem in _kind_problems(config, kind) if problem[0] != _KIND_WORDS[kind][1]]
    else:
        for kind, kind_class in _KIND_CLASSES.items():
            if isinstance(config, kind_class):
                problems += _kind_problems(config, kind)
    return tuple(DeployConfigProblem(source, key, rule) for key, rule in problems)
