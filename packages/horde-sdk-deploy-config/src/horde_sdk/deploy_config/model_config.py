"""The pydantic configuration shared by every model of horde_sdk.deploy_config."""

from pydantic import ConfigDict


def get_deploy_config_model_config() -> ConfigDict:
    """Return the pydantic configuration of every deploy-config model.

    Models are frozen (a loaded configuration cannot drift from the file), reject unknown fields when built
    directly (the loader drops and reports unknown keys before validating), keep input values out of validation
    messages (an API key must never reach a log through an error) and allow fields named ``model_*``.

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
