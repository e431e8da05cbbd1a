"""Private logging helpers of horde_sdk.worker.

The package never configures logging globally: its structlog loggers hand every event to a stdlib logger,
so the application decides where (and whether) the events go. Events pass through generic_api's redaction
first: sensitive keys (API keys, tokens) and URL query strings (presigned signatures) never reach a handler.
"""

import structlog

from horde_sdk.generic_api.log import get_logger as _redacting_logger


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a redacting structlog logger that hands its events to the stdlib logger `name`."""
    return _redacting_logger(name)
