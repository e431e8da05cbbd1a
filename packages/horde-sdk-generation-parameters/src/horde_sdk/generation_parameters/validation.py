"""Field constraints shared by every parameter model of horde_sdk (public: API packages reuse them).

Each constraint is an annotation used inside `typing.Annotated`. They exist so that a rejected value produces
an error that names the field and the broken rule (for example ``width must be a multiple of 64, got 500``),
and so that values outside a `KNOWN_*` enum are logged instead of rejected.
"""

import functools
import math
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import AfterValidator, AliasChoices, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo

if TYPE_CHECKING:
    import structlog
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

UNKNOWN_KNOWN_VALUE_EVENT = "is not a value this version of horde-sdk knows"
"""The phrase of the warning logged when a value is not a member of the field's `KNOWN_*` enum.

The whole message reads, for example, ``sampler_name 'k_new' is not a value this version of horde-sdk knows;
it is passed through unchanged (if the AI Horde added it, upgrading horde-sdk may add it)``. It is logged once
per enum and value in a process (a client polling the same answer does not repeat it); the record also
carries `field`, `value` and `known_enum` attributes.
"""

_reported_unknown_values: set[tuple[str, object]] = set()
"""The (enum name, value) pairs already warned about in this process."""


def forget_reported_unknown_values() -> None:
    """Warn again about unknown `KNOWN_*` values already reported in this process (for tests and long runs)."""
    _reported_unknown_values.clear()


KNOWN_VALUES_LOGGER_NAME = "horde_sdk.generation_parameters"
"""The stdlib logger name which receives the unknown-value warnings."""


@functools.cache
def _known_values_logger() -> "structlog.stdlib.BoundLogger":
    """Create the package logger on first use, so that importing the models does not import structlog."""
    from horde_sdk.generation_parameters._logging import get_logger  # noqa: PLC0415 (deferred: import time)

    return get_logger(KNOWN_VALUES_LOGGER_NAME)


def _field_name(info: ValidationInfo) -> str:
    """Return the name of the field being validated, or a placeholder outside of a model."""
    return info.field_name or "value"


def resolve_known_value(value: Any, known: type[Enum], field_name: str) -> Any:  # noqa: ANN401 (str or int enums)
    """Return the member of `known` equal to `value`, or `value` itself after warning (once per value).

    Args:
        value: The validated value (a `str` for `StrEnum`, an `int` for `IntEnum`).
        known: The `KNOWN_*` enum the value is expected to belong to.
        field_name: The name of the field, used in the warning.

    Returns:
        The enum member when `value` is known, otherwise `value` unchanged. Unknown values are never rejected.
    """
    try:
        return known(value)
    except ValueError:
        key = (known.__name__, value)
        if key not in _reported_unknown_values:
            _reported_unknown_values.add(key)
            # Plain words: applications (the `horde` command among them) often print only the message.
            _known_values_logger().warning(
                f"{field_name} {value!r} {UNKNOWN_KNOWN_VALUE_EVENT}; it is passed through unchanged "
                "(if the AI Horde added it, upgrading horde-sdk may add it)",
                field=field_name,
                value=value,
                known_enum=known.__name__,
            )
        return value


class _AfterCheck:
    """Base of the constraint annotations: runs `check` after pydantic's own type validation.

    The annotations are plain slotted classes (not dataclasses) because they are created at import time.
    """

    __slots__ = ()

    def check(self, value: Any, info: ValidationInfo) -> Any:  # noqa: ANN401 (one hook for any field type)
        """Validate `value` (already of the field's type) and return it, or raise `ValueError`."""
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source_type: Any, handler: GetCoreSchemaHandler) -> "CoreSchema":  # noqa: ANN401
        return AfterValidator(self.check).__get_pydantic_core_schema__(source_type, handler)


class Bounds(_AfterCheck):
    """Numeric bounds (and optionally a required multiple) enforced with messages naming the field.

    Args:
        minimum: The smallest allowed value, if any.
        maximum: The largest allowed value, if any.
        exclusive_minimum: Whether `minimum` itself is excluded.
        multiple_of: If set, the value must be a multiple of this number.
    """

    __slots__ = ("exclusive_minimum", "maximum", "minimum", "multiple_of")

    def __init__(
        self,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        multiple_of: int | None = None,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive_minimum = exclusive_minimum
        self.multiple_of = multiple_of

    def __repr__(self) -> str:
        return (
            f"Bounds(minimum={self.minimum!r}, maximum={self.maximum!r}, "
            f"exclusive_minimum={self.exclusive_minimum!r}, multiple_of={self.multiple_of!r})"
        )

    def check(self, value: Any, info: ValidationInfo) -> Any:  # noqa: ANN401
        """Raise `ValueError` naming the field and the rule when `value` is out of bounds."""
        name = _field_name(info)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        if self.minimum is not None:
            if self.exclusive_minimum and value <= self.minimum:
                raise ValueError(f"{name} must be greater than {self.minimum:g}, got {value}")
            if not self.exclusive_minimum and value < self.minimum:
                raise ValueError(f"{name} must be at least {self.minimum:g}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{name} must be at most {self.maximum:g}, got {value}")
        if self.multiple_of is not None and value % self.multiple_of != 0:
            raise ValueError(f"{name} must be a multiple of {self.multiple_of}, got {value}")
        return value

    def __get_pydantic_json_schema__(self, schema: "CoreSchema", handler: GetJsonSchemaHandler) -> "JsonSchemaValue":
        json_schema = handler(schema)
        if self.minimum is not None:
            json_schema["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            json_schema["maximum"] = self.maximum
        if self.multiple_of is not None:
            json_schema["multipleOf"] = self.multiple_of
        return json_schema


class NotBlank(_AfterCheck):
    """Rejects text which is empty or only whitespace."""

    __slots__ = ()

    def check(self, value: Any, info: ValidationInfo) -> Any:  # noqa: ANN401
        """Raise `ValueError` when `value` is empty or whitespace only."""
        if not value.strip():
            raise ValueError(f"{_field_name(info)} must not be empty or whitespace only")
        return value

    def __get_pydantic_json_schema__(self, schema: "CoreSchema", handler: GetJsonSchemaHandler) -> "JsonSchemaValue":
        json_schema = handler(schema)
        json_schema["minLength"] = 1
        return json_schema


class NotEmpty(_AfterCheck):
    """Rejects an empty `str`, `bytes` or tuple value."""

    __slots__ = ()

    def check(self, value: Any, info: ValidationInfo) -> Any:  # noqa: ANN401
        """Raise `ValueError` when `value` has no content."""
        if len(value) == 0:
            raise ValueError(f"{_field_name(info)} must not be empty")
        return value


class KnownValue(_AfterCheck):
    """Warns (never rejects) when the value is not a member of a `KNOWN_*` enum; known values become members.

    Args:
        known: The `KNOWN_*` enum of the field.
    """

    __slots__ = ("known",)

    def __init__(self, known: type[Enum]) -> None:
        self.known = known

    def __repr__(self) -> str:
        return f"KnownValue({self.known.__name__})"

    def check(self, value: Any, info: ValidationInfo) -> Any:  # noqa: ANN401
        """Return the enum member for a known value; log and return an unknown value unchanged."""
        return resolve_known_value(value, self.known, _field_name(info))

    def __get_pydantic_core_schema__(self, source_type: Any, handler: GetCoreSchemaHandler) -> "CoreSchema":  # noqa: ANN401
        """Try the enum first in pydantic-core; only a value it does not know reaches :meth:`check`.

        Response lists (``/v2/workers``) hold a known value per entry; resolving it in Rust keeps Python out
        of the per-entry path. Whatever the enum rejects is validated as before (the annotated type, then
        :meth:`check`), so an unknown value is still accepted and logged.
        """
        from pydantic_core import core_schema  # noqa: PLC0415 (deferred: only when a model is built)

        fallback = super().__get_pydantic_core_schema__(source_type, handler)
        return core_schema.union_schema([handler.generate_schema(self.known), fallback], mode="left_to_right")


def field_with_former_names(name: str, *former_names: str, default: Any, description: str) -> Any:  # noqa: ANN401
    """Return a `Field` which also accepts the former (API) names of the field on input.

    Dumps always use `name`, so data round-trips. The pydantic mypy plugin sees a plain default here, so the
    generated `__init__` keeps the field's own name as its keyword.

    Args:
        name: The field's own name (always accepted).
        *former_names: Older names still accepted on input, for example ``ddim_steps`` for ``steps``.
        default: The field's default value.
        description: The field's description.

    Returns:
        The pydantic field definition.
    """
    return Field(default=default, validation_alias=AliasChoices(name, *former_names), description=description)
