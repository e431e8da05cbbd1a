"""Constants and the shared pydantic model configuration of every Horde-style API package.

Model strictness
----------------
Response models are *lenient* in production: a field the server added after this SDK was released is
kept (``extra="allow"``) instead of breaking the client. Test suites want the opposite, so that a model
that misses a field fails loudly. Strictness is a process-wide switch made through
:func:`horde_sdk.generic_api.testing.enable_strict_models`, which a test suite calls (for example from
a pytest ``conftest.py``) *before* any model class is imported: the configuration is read when a model
class is created. Nothing here reads an environment variable.

Request models are always strict: an unknown keyword passed to a request is a caller's typo and is
rejected before anything goes over the wire.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPMethod, HTTPStatus
from typing import Literal

from pydantic import ConfigDict

__all__ = [
    "ANON_API_KEY",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "DEFAULT_WRITE_TIMEOUT",
    "MAX_IMAGE_SIDE",
    "_ANONYMOUS_MODEL",
    "_OVERLOADED_MODEL",
    "HTTPMethod",
    "HTTPStatusCode",
    "ModelStrictness",
    "get_default_frozen_model_config_dict",
    "get_model_strictness",
    "get_request_model_config_dict",
]

HTTPStatusCode = HTTPStatus
"""HTTP status codes (the standard library's :class:`http.HTTPStatus`)."""

ANON_API_KEY = "0000000000"
"""The API key of the anonymous user shared by everyone without an account."""

_ANONYMOUS_MODEL = "_ANONYMOUS_MODEL"
"""Returned by ``get_api_model_name()`` for a payload the API describes without naming it."""

_OVERLOADED_MODEL = "_OVERLOADED_MODEL"
"""Returned by ``get_api_model_name()`` for a payload with two or more conflicting API representations."""

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a TCP/TLS connection."""
DEFAULT_READ_TIMEOUT = 60.0
"""Seconds to wait for response bytes once the request was sent."""
DEFAULT_WRITE_TIMEOUT = 60.0
"""Seconds to wait while sending the request body (image uploads can be large)."""
DEFAULT_POOL_TIMEOUT = 10.0
"""Seconds to wait for a free connection from the pool."""
DEFAULT_TOTAL_TIMEOUT = 120.0
"""Seconds one call may take in all: connecting, sending, receiving, every retry and every wait.

Two read timeouts' worth: a call whose first try stalls can still be retried once. Before the total
deadline existed, a server that never answered held a call for 4 tries x 60 s = 243 s.
"""

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The largest API response body read (32 MiB), decompressed.

The biggest legitimate AI Horde answers are model and worker listings (a few MiB) and image status with
base64 images when a request asked for ``r2: false``; raise the cap for that case with many large images.
"""

MAX_IMAGE_SIDE = 3072
"""The largest width or height in pixels of an image the AI Horde generates (swagger: width/height ≤ 3072)."""

DEFAULT_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
"""The largest result download read (64 MiB).

The AI Horde generates images of at most 3072 x 3072 pixels (:data:`MAX_IMAGE_SIDE`), whose uncompressed
RGBA size is 36 MiB; results come as lossy WebP, far smaller. Post-processed (upscaled) alchemy results
can be larger images, still compressed: 64 MiB leaves room for both while a hostile URL cannot make the
client hold more.
"""


class ModelStrictness(StrEnum):
    """How response models treat fields they do not declare."""

    LENIENT = "lenient"
    """Production: unknown fields are kept (forward compatible with newer servers)."""
    STRICT = "strict"
    """Tests: unknown fields are rejected (catches incomplete model definitions)."""


class _StrictnessState:
    """Process-wide strictness switch; changed only through ``horde_sdk.generic_api.testing``."""

    mode: ModelStrictness = ModelStrictness.LENIENT
    configs_issued: int = 0


def get_model_strictness() -> ModelStrictness:
    """Return the strictness that model classes created from now on will get."""
    return _StrictnessState.mode


def _extra_for_new_model_class() -> Literal["allow", "forbid"]:
    """Return the ``extra`` setting of a model class being created now (see :func:`get_model_strictness`).

    Counted as an issued configuration: :func:`horde_sdk.generic_api.testing.enable_strict_models` refuses to
    switch once a class was created in lenient mode.
    """
    _StrictnessState.configs_issued += 1
    return "forbid" if _StrictnessState.mode is ModelStrictness.STRICT else "allow"


def get_default_frozen_model_config_dict() -> ConfigDict:
    """Return the pydantic configuration every horde_sdk API model uses.

    Models are frozen (hashable, immutable), accept both field names and aliases, and read attributes of
    other objects (``from_attributes``). Whether unknown fields are kept or rejected depends on
    :func:`get_model_strictness` at the moment the model class is created.

    Field descriptions are given with ``Field(description=...)`` rather than attribute docstrings:
    pydantic's ``use_attribute_docstrings`` reads every class's source file at import, which makes a
    large API package slow to import. Validators are built on a model's first use (``defer_build``),
    so importing a module of many models costs little until they are used.

    The base classes of :mod:`horde_sdk.generic_api.apimodels` spell this configuration out as
    ``ConfigDict(...)`` keywords in their class bodies (pydantic's mypy plugin reads only those); a test
    keeps them equal to this function's result.
    """
    return ConfigDict(
        frozen=True,
        extra=_extra_for_new_model_class(),
        from_attributes=True,
        validate_by_name=True,
        validate_by_alias=True,
        use_attribute_docstrings=False,
        defer_build=True,
    )


def get_request_model_config_dict() -> ConfigDict:
    """Return the configuration of request models: frozen and always rejecting unknown fields."""
    config = get_default_frozen_model_config_dict()
    config["extra"] = "forbid"
    return config
