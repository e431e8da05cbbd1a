"""Helpers for test suites of horde_sdk and of projects built on it.

Call :func:`enable_strict_models` once, before any model class is imported, to make every response
model reject fields it does not declare. With pytest, do it in ``pytest_configure`` of a root
``conftest.py``::

    def pytest_configure(config):
        from horde_sdk.generic_api.testing import enable_strict_models
        enable_strict_models()

This module imports no model, so importing it does not defeat its own purpose.
"""

from __future__ import annotations

from horde_sdk.generic_api.consts import ModelStrictness, _StrictnessState

__all__ = ["enable_strict_models", "strict_models_enabled"]


def enable_strict_models() -> None:
    """Switch model classes created from now on to strict mode (unknown fields rejected).

    Raises:
        RuntimeError: if model classes were already created in lenient mode; they would silently stay
            lenient, so the call is refused instead.
    """
    if _StrictnessState.mode is ModelStrictness.STRICT:
        return
    if _StrictnessState.configs_issued:
        raise RuntimeError(
            "enable_strict_models() was called after horde_sdk model classes were created in lenient mode; "
            "call it before importing any horde_sdk models (e.g. in pytest_configure of the root conftest.py)"
        )
    _StrictnessState.mode = ModelStrictness.STRICT


def strict_models_enabled() -> bool:
    """Return True when model classes are being created in strict mode."""
    return _StrictnessState.mode is ModelStrictness.STRICT
