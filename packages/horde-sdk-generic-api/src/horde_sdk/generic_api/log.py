"""Structured logging for horde_sdk that never configures logging and never shows a secret.

:func:`get_logger` returns a structlog logger bound to a standard-library logger of the same name, so
events go wherever the application sends ``logging`` output (nowhere, by default) and structlog's
global configuration is never touched. Every event passes through :class:`Redactor`, which:

- replaces the values of sensitive keys (``apikey``, ``api_key``, ``authorization``, ...);
- replaces every occurrence of the secrets the logger was given (a client's API key);
- strips the query string from URLs (presigned upload/download URLs are credentials).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import structlog

__all__ = ["REDACTED", "SENSITIVE_KEYS", "Redactor", "get_logger", "redact_text", "redact_value"]

REDACTED = "<redacted>"
"""What a hidden value is replaced by."""

SENSITIVE_KEYS = frozenset(
    {"apikey", "api_key", "authorization", "password", "secret", "token", "client_secret", "x-api-key"}
)
"""Keys (compared case-insensitively) whose values are never logged."""

_URL_QUERY = re.compile(r"(?P<base>\bhttps?://[^\s?#\"'<>]+)\?[^\s#\"'<>]*")


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every secret and every URL query string replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    if "?" in text and "://" in text:
        text = _URL_QUERY.sub(lambda match: f"{match.group('base')}?{REDACTED}", text)
    return text


def redact_value(value: Any, secrets: Iterable[str] = ()) -> Any:  # noqa: ANN401 - any loggable value
    """Return a copy of ``value`` (str, mapping, sequence or scalar) with secrets and sensitive keys hidden."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(key, str) and key.lower() in SENSITIVE_KEYS and item is not None
            else redact_value(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(redact_value(item, secrets) for item in value)
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}", secrets)
    return value


class Redactor:
    """structlog processor that hides secrets, sensitive keys and URL query strings in every event."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(secret for secret in secrets if secret)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secret(s)>)"

    def __call__(
        self, _logger: object, _method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Redact ``event_dict`` in place and return it."""
        for key, value in list(event_dict.items()):
            if key.lower() in SENSITIVE_KEYS and value is not None:
                event_dict[key] = REDACTED
            else:
                event_dict[key] = redact_value(value, self._secrets)
        return event_dict


def get_logger(name: str, *, secrets: Iterable[str] = ()) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger writing to the stdlib logger ``name``, with ``secrets`` redacted.

    Args:
        name: The stdlib logger name (use the module's ``__name__``).
        secrets: Exact strings (an API key) that must never appear in an event.
    """
    import structlog  # noqa: PLC0415 - imported by the first logger made, not by importing the SDK's models

    return structlog.wrap_logger(  # type: ignore[no-any-return]
        logging.getLogger(name),
        processors=[Redactor(secrets), structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
