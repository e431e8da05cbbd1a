"""Private logging helpers of horde_sdk.deploy_config.

Events go through structlog to a stdlib logger; the package never configures logging itself, so the
application decides where (and whether) they are shown.
"""

import logging

import structlog

DEPLOY_CONFIG_LOGGER_NAME = "horde_sdk.deploy_config"
"""The stdlib logger receiving this package's events (unknown keys, meta entries it kept as model names)."""


def get_logger(name: str = DEPLOY_CONFIG_LOGGER_NAME) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger writing to the stdlib logger `name`, leaving structlog's global setup alone."""
    logger: structlog.stdlib.BoundLogger = structlog.wrap_logger(
        logging.getLogger(name),
        processors=[structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger
