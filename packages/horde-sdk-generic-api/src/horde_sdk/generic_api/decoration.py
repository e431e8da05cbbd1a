"""Class decorators that mark models whose instances cannot be hashed or compared field by field.

The two decorators are always applied together (a test of each API package checks the pair). Every
request and response model that carries neither is expected to be hashable and equatable.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["Unequatable", "Unhashable", "is_unequatable", "is_unhashable"]

_T = TypeVar("_T", bound=type[Any])

_UNHASHABLE_MARK = "__horde_sdk_unhashable__"
_UNEQUATABLE_MARK = "__horde_sdk_unequatable__"


def Unhashable(cls: _T) -> _T:  # noqa: N802 - decorator named as the spec names it
    """Mark a model as unhashable (it holds lists or dicts); ``hash()`` of an instance raises TypeError."""
    setattr(cls, _UNHASHABLE_MARK, True)
    cls.__hash__ = None  # type: ignore[assignment] # marking a class unhashable is the point
    return cls


def Unequatable(cls: _T) -> _T:  # noqa: N802 - decorator named as the spec names it
    """Mark a model whose field-by-field equality is not meaningful (not checked by equality tests)."""
    setattr(cls, _UNEQUATABLE_MARK, True)
    return cls


def is_unhashable(cls: type[Any]) -> bool:
    """Return True when ``cls`` (or a base class) was marked with :func:`Unhashable`."""
    return bool(getattr(cls, _UNHASHABLE_MARK, False))


def is_unequatable(cls: type[Any]) -> bool:
    """Return True when ``cls`` (or a base class) was marked with :func:`Unequatable`."""
    return bool(getattr(cls, _UNEQUATABLE_MARK, False))
