"""The pydantic configuration shared by every model of horde_sdk.deploy_config."""

from pydantic import BaseModel, ConfigDict


def get_deploy_config_model_config() -> ConfigDict:
    """Return the pydantic configuration of every deploy-config model.

    Models are frozen (a loaded configuration cannot drift from the file), reject unknown fields when built
    directly (the loader drops and reports unknown keys before validating), keep input values out of validation
    messages (an API key must never reach a log through an error) and allow fields named ``model_*``.

    The models' base class spells this configuration out as ``ConfigDict(...)`` keywords in its class body
    (pydantic's mypy plugin reads only those); a test keeps the two equal.

    Returns:
        A fresh `ConfigDict`.
    """
    return ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        protected_namespaces=(),
        allow_inf_nan=False,
        use_attribute_docstrings=False,
        defer_build=True,
    )


class _DeployConfigModel(BaseModel):
    """The pydantic base of every deploy-config model: the configuration of `get_deploy_config_model_config`."""

    # get_deploy_config_model_config(), spelled out: pydantic's mypy plugin reads a configuration only from literal
    # keywords here, so that users' type checkers report a misspelled keyword (extra="forbid") and an assignment to
    # a field (frozen=True). tests-integration/architecture/test_model_configs.py keeps the two equal.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        protected_namespaces=(),
        allow_inf_nan=False,
        use_attribute_docstrings=False,
        defer_build=True,
    )
