"""Typed configuration of an AI Horde worker deployment, loaded from the ``bridgeData.yaml`` files workers use.

`load_deploy_config` reads a YAML (or TOML) file, applies ``HORDE_WORKER_*`` environment overrides and ``${VAR}``
references, warns about unknown keys and returns a frozen configuration of the worker's kind:
`ImageWorkerDeployConfig` (dreamer), `AlchemyWorkerDeployConfig` (alchemist), `TextWorkerDeployConfig` (scribe)
or `CombinedWorkerDeployConfig`. The configuration tells what it lets the worker serve as the feature flags of
`horde_sdk.generation_parameters`. The ``horde-worker-config check FILE`` command prints the effective
configuration with secrets masked.
"""

from horde_sdk.deploy_config.__about__ import __version__
from horde_sdk.deploy_config.consts import (
    ALCHEMY_POST_PROCESS_FORMS_ENTRY,
    ANONYMOUS_API_KEY,
    BRIDGE_AGENT_MAX_LENGTH,
    BRIDGE_AGENT_VERSION_PATTERN,
    BUILTIN_BACKEND_NAMES,
    DEFAULT_HORDE_URL,
    DEFAULT_KAI_URL,
    DEFAULT_SCRIBE_MAX_CONTEXT_LENGTH,
    DEFAULT_SCRIBE_MAX_LENGTH,
    DEPLOY_CONFIG_ENV_PREFIX,
    KNOWN_MODEL_META_INSTRUCTIONS,
    KNOWN_WORKER_KINDS,
    PIXELS_PER_MAX_POWER,
    SECRET_MASK,
)
from horde_sdk.deploy_config.exceptions import DeployConfigError, DeployConfigProblem, DeployConfigWarning
from horde_sdk.deploy_config.loading import (
    DEFAULT_MAX_CONFIG_BYTES,
    DEFAULT_MAX_CONFIG_VALUES,
    MAPPING_SOURCE,
    DeployConfigLoadReport,
    get_accepted_keys,
    get_readiness_problems,
    infer_worker_kind,
    load_deploy_config,
    load_deploy_config_with_report,
    parse_deploy_config,
    parse_deploy_config_with_report,
    read_config_file,
)
from horde_sdk.deploy_config.model_config import get_deploy_config_model_config
from horde_sdk.deploy_config.model_selection import (
    MODEL_META_BASELINE_WORDS,
    ModelMetaInstruction,
    ModelSelection,
    parse_model_entry,
)
from horde_sdk.deploy_config.object_models import (
    WORKER_DEPLOY_CONFIG_CLASSES,
    AlchemyWorkerDeployConfig,
    BaseWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    FrozenNameMap,
    ImageWorkerDeployConfig,
    MemoryAmount,
    TextWorkerDeployConfig,
)

__all__ = [
    "ALCHEMY_POST_PROCESS_FORMS_ENTRY",
    "ANONYMOUS_API_KEY",
    "BRIDGE_AGENT_MAX_LENGTH",
    "BRIDGE_AGENT_VERSION_PATTERN",
    "BUILTIN_BACKEND_NAMES",
    "DEFAULT_HORDE_URL",
    "DEFAULT_KAI_URL",
    "DEFAULT_MAX_CONFIG_BYTES",
    "DEFAULT_MAX_CONFIG_VALUES",
    "DEFAULT_SCRIBE_MAX_CONTEXT_LENGTH",
    "DEFAULT_SCRIBE_MAX_LENGTH",
    "DEPLOY_CONFIG_ENV_PREFIX",
    "KNOWN_MODEL_META_INSTRUCTIONS",
    "KNOWN_WORKER_KINDS",
    "MAPPING_SOURCE",
    "MODEL_META_BASELINE_WORDS",
    "PIXELS_PER_MAX_POWER",
    "SECRET_MASK",
    "WORKER_DEPLOY_CONFIG_CLASSES",
    "AlchemyWorkerDeployConfig",
    "BaseWorkerDeployConfig",
    "CombinedWorkerDeployConfig",
    "DeployConfigError",
    "DeployConfigLoadReport",
    "DeployConfigProblem",
    "DeployConfigWarning",
    "FrozenNameMap",
    "ImageWorkerDeployConfig",
    "MemoryAmount",
    "ModelMetaInstruction",
    "ModelSelection",
    "TextWorkerDeployConfig",
    "__version__",
    "get_accepted_keys",
    "get_deploy_config_model_config",
    "get_readiness_problems",
    "infer_worker_kind",
    "load_deploy_config",
    "load_deploy_config_with_report",
    "parse_deploy_config",
    "parse_deploy_config_with_report",
    "parse_model_entry",
    "read_config_file",
]
