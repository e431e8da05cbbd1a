"""Private logging helpers of horde_sdk.worker.

The package never configures logging globally: its structlog loggers hand every event to a stdlib logger,
so the application decides where (and whether) the events go.
"""

import logging

import structlog


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger that hands its events to the stdlib logger `name`, never touching global config."""
    logger: structlog.stdlib.BoundLogger = structlog.wrap_logger(
        logging.getLogger(name),
        processors=[structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger
