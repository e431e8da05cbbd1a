"""The model hierarchy that every request and response of a Horde-style API derives from.

- :class:`HordeAPIObject` (abstract, not a pydantic model): any named model of an API; knows its API
  model name and can dump itself safely for logs.

  - :class:`HordeAPIObjectBaseModel`: frozen pydantic base of named sub-models.
  - :class:`HordeAPIMessage`: marker of requests and responses.

    - :class:`HordeResponse`: marker of responses; records when it was constructed.

      - :class:`HordeResponseBaseModel`: a response that is a JSON object.
      - :class:`HordeResponseRootModel`: a response that is a JSON list (or other root value).

    - :class:`HordeRequest`: a request, with the request protocol methods.

- :class:`HordeAPIData`: frozen pydantic base of unnamed data and of ``*Mixin`` classes.

Mixins here: :class:`ResponseRequiringFollowUpMixin` (a response that started server-side work which a
session must finish or cancel), :class:`ContainsMessageResponseMixin`,
:class:`APIKeyAllowedInRequestMixin`.
"""

from __future__ import annotations

import time
import types
import typing
from abc import ABC, abstractmethod
from enum import StrEnum
from http import HTTPMethod, HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, Strict

from horde_sdk.generic_api.consts import _extra_for_new_model_class
from horde_sdk.generic_api.decoration import Unequatable, Unhashable
from horde_sdk.generic_api.log import SENSITIVE_KEYS, redact_value

__all__ = [
    "APIKeyAllowedInRequestMixin",
    "ContainsMessageResponseMixin",
    "HordeAPIData",
    "HordeAPIMessage",
    "HordeAPIObject",
    "HordeAPIObjectBaseModel",
    "HordeRequest",
    "HordeResponse",
    "HordeResponseBaseModel",
    "HordeResponseRootModel",
    "HordeResponseT",
    "RequestErrorResponse",
    "ResponseRequiringFollowUpMixin",
]

_IDEMPOTENT_METHODS = frozenset({HTTPMethod.GET, HTTPMethod.HEAD, HTTPMethod.PUT, HTTPMethod.DELETE})


class HordeAPIObject(ABC):
    """Any model that the API names (in its swagger definitions or as an anonymous/overloaded payload)."""

    _sensitive_fields: ClassVar[frozenset[str]] = SENSITIVE_KEYS
    """Field names (and aliases) whose values :meth:`log_safe_model_dump` hides."""

    @classmethod
    @abstractmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model (``None`` for a request without a payload)."""

    def log_safe_model_dump(self) -> dict[str, Any]:
        """Return a JSON-compatible dump with sensitive fields and URL query strings hidden."""
        if not isinstance(self, BaseModel):
            return {}
        dumped: Any = self.model_dump(mode="json", by_alias=True)
        if not isinstance(dumped, dict):
            dumped = {"root": dumped}
        hidden = {key: ("<redacted>" if key in self._sensitive_fields else value) for key, value in dumped.items()}
        result: dict[str, Any] = redact_value(hidden)
        return result


def _is_boolean(annotation: object) -> bool:
    """Return True for ``bool`` and ``bool | None``."""
    if annotation is bool:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [arg for arg in typing.get_args(annotation) if arg is not type(None)] == [bool]
    return False


def _strict_booleans(model: type[BaseModel]) -> None:
    """Make the boolean fields of ``model`` accept only JSON ``true``/``false`` (or Python ``bool``).

    pydantic's default (lax) mode reads ``"yes"``, ``"true"``, ``"1"`` and ``1`` as True; a server that sends
    ``"done": "yes"`` must not make a client believe a job is done. The ``Strict`` marker is added to the
    fields' metadata when the class is created, before its validator is built (models build lazily), so it
    costs nothing at parse time.
    """
    changed = False
    for info in model.model_fields.values():
        if _is_boolean(info.annotation) and not any(isinstance(marker, Strict) for marker in info.metadata):
            info.metadata.append(Strict())
            changed = True
    if changed and model.__pydantic_complete__:
        model.model_rebuild(force=True)


class _FrozenAPIModel(BaseModel):
    """The configuration and the strict booleans shared by the bases below (not exported)."""

    # get_default_frozen_model_config_dict(), spelled out: pydantic's mypy plugin reads only literal keywords
    # here, and without validate_by_name it would type `__init__` with the aliases (`id=`) instead of the field
    # names (`id_=`). test_ga_models.py keeps the copies in this module equal to the function's result.
    model_config = ConfigDict(
        frozen=True,
        extra=_extra_for_new_model_class(),
        from_attributes=True,
        validate_by_name=True,
        validate_by_alias=True,
        use_attribute_docstrings=False,
        defer_build=True,
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - pydantic's hook signature
        super().__pydantic_init_subclass__(**kwargs)
        _strict_booleans(cls)


class HordeAPIObjectBaseModel(HordeAPIObject, _FrozenAPIModel):
    """Frozen pydantic base of named sub-models (entries and payloads inside requests and responses).

    Boolean fields are strict: only ``true``/``false`` are booleans (see :func:`_strict_booleans`).
    """


class HordeAPIData(_FrozenAPIModel):
    """Frozen pydantic base of unnamed data objects and of the ``*Mixin`` classes (strict booleans too)."""


class HordeAPIMessage(HordeAPIObject):
    """Marker base of every request and response."""


_TIME_CONSTRUCTED = "_time_constructed"
_T = TypeVar("_T")


def _stamp_constructed(instance: object) -> float:
    """Record ``time.monotonic()`` as the construction time of ``instance`` unless it has one; return it.

    The time is kept in pydantic's slot for private values. It is not a declared private attribute: one
    of those would make pydantic run a post-init hook on every instance, nested ones included, which
    doubled the cost of parsing a list of hundreds of entries.
    """
    private: dict[str, Any] | None = object.__getattribute__(instance, "__pydantic_private__")
    if private is None:
        private = {}
        object.__setattr__(instance, "__pydantic_private__", private)
    recorded: float | None = private.get(_TIME_CONSTRUCTED)
    if recorded is None:
        recorded = private[_TIME_CONSTRUCTED] = time.monotonic()
    return recorded


def _stamped(instance: _T) -> _T:
    _stamp_constructed(instance)
    return instance


class HordeResponse(HordeAPIMessage):
    """Marker base of every response.

    Concrete bases record the monotonic time at which the response object was built
    (:attr:`time_constructed`); it is not a field and takes no part in equality or hashing.
    """

    @property
    def time_constructed(self) -> float:
        """``time.monotonic()`` when this response object was constructed.

        The time is taken when a response is built by a call (its constructor, ``model_validate``,
        ``model_validate_json``, ``model_validate_strings`` or ``model_construct``), which is how a client
        builds every answer. A response nested inside another one (an entry of a list answer) is built by
        the validator alone and takes no time stamp then, so that a long list parses without per-entry
        Python work; it is stamped the first time this property is read.
        """
        return _stamp_constructed(self)

    _time_constructed = time_constructed
    """The same as :attr:`time_constructed` (the name the style guide gives it)."""

    def __eq__(self, other: object) -> bool:
        """Compare by type, fields and extra fields (pydantic would also compare private attributes)."""
        if type(self) is not type(other) or not isinstance(self, BaseModel) or not isinstance(other, BaseModel):
            return NotImplemented if not isinstance(other, HordeResponse) else False
        fields = type(self).model_fields
        return all(getattr(self, name) == getattr(other, name) for name in fields) and (
            self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment] # pydantic gives each frozen model a field-based hash


class _TimeStampedModel(BaseModel):
    """Stamps :attr:`HordeResponse.time_constructed` on the models that a call builds, not on nested ones.

    The overrides keep pydantic's signatures (the type checker sees pydantic's own); each calls pydantic's
    method and records the time on the object it returns.
    """

    model_config = ConfigDict(defer_build=True)

    if not TYPE_CHECKING:

        def __init__(self, /, **data: Any) -> None:  # noqa: ANN401 - pydantic's own signature
            super().__init__(**data)
            _stamp_constructed(self)

        # pydantic calls a model's own ``__init__`` for every nested instance unless the method says it is the
        # base one (pydantic's RootModel says so the same way); nested instances are what must stay cheap.
        __init__.__pydantic_base_init__ = True

        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - pydantic's signature
            """Validate ``obj`` (see pydantic's ``BaseModel.model_validate``) and record when."""
            return _stamped(super().model_validate(obj, **kwargs))

        @classmethod
        def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Any:  # noqa: ANN401
            """Validate JSON text (see pydantic's ``BaseModel.model_validate_json``) and record when."""
            return _stamped(super().model_validate_json(json_data, **kwargs))

        @classmethod
        def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            """Validate string data (see pydantic's ``BaseModel.model_validate_strings``) and record when."""
            return _stamped(super().model_validate_strings(obj, **kwargs))

        @classmethod
        def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Any:  # noqa: ANN401
            """Build without validation (see pydantic's ``BaseModel.model_construct``) and record when."""
            return _stamped(super().model_construct(_fields_set, **values))


class HordeResponseBaseModel(HordeResponse, _TimeStampedModel, _FrozenAPIModel):
    """A response whose JSON is an object. Boolean fields are strict: ``"yes"`` or ``1`` is not True."""


_RootT = TypeVar("_RootT")


class HordeResponseRootModel(HordeResponse, RootModel[_RootT], _TimeStampedModel):
    """A response whose JSON is a list (or another non-object value), held in ``root``."""

    model_config = ConfigDict(frozen=True, from_attributes=True, use_attribute_docstrings=False, defer_build=True)

    if not TYPE_CHECKING:  # RootModel's own __init__ comes before _TimeStampedModel's; stamp here too

        def __init__(self, /, *args: Any, **data: Any) -> None:  # noqa: ANN401 - RootModel's own signature
            super().__init__(*args, **data)
            _stamp_constructed(self)

        __init__.__pydantic_base_init__ = True


HordeResponseT = TypeVar("HordeResponseT", bound=HordeResponse)


if TYPE_CHECKING:
    from pydantic._internal._model_construction import ModelMetaclass as _ModelMetaclass
else:
    _ModelMetaclass = type(BaseModel)  # pydantic's metaclass, without importing a private module


class _HordeRequestMetaclass(_ModelMetaclass):
    """Makes every request class reject unknown fields, whatever its bases' configurations say.

    pydantic merges ``model_config`` from the bases in order, so a lenient mixin listed after the
    request base would otherwise make a request accept (and send) misspelled keywords in production.
    """

    def __new__(
        mcs,
        name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        **kwargs: Any,  # noqa: ANN401 - forwarded to pydantic's metaclass
    ) -> type:
        config = dict(namespace.get("model_config", {}))
        config["extra"] = "forbid"
        namespace["model_config"] = config
        return super().__new__(mcs, name, bases, namespace, **kwargs)


if TYPE_CHECKING:
    # Type checkers see pydantic's metaclass itself: mypy looks for pydantic's `dataclass_transform` on a class's
    # metaclass but not on the metaclass's bases, so without pydantic's plugin it would give request classes no
    # field-aware `__init__` at all.
    _RequestMetaclass = _ModelMetaclass
else:
    _RequestMetaclass = _HordeRequestMetaclass


class HordeRequest(HordeAPIMessage, BaseModel, metaclass=_RequestMetaclass):
    """A request to a Horde-style API: the request protocol methods plus the fields that are sent.

    Fields named in a client's header, query or path enums travel there; every other field goes in the
    JSON body under its alias (only on methods that carry a body). Only fields the caller set, required
    fields and those listed in :attr:`_always_sent_fields` are sent.
    """

    # get_request_model_config_dict(), spelled out for pydantic's mypy plugin (see HordeAPIObjectBaseModel);
    # with extra="forbid" the plugin reports a misspelled keyword even where `init_forbid_extra` is off.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        from_attributes=True,
        validate_by_name=True,
        validate_by_alias=True,
        use_attribute_docstrings=False,
        defer_build=True,
    )

    _always_sent_fields: ClassVar[frozenset[str]] = frozenset()
    """Body fields sent even when the caller left them at their default."""

    @classmethod
    @abstractmethod
    def get_http_method(cls) -> HTTPMethod:
        """Return the HTTP method of this request."""

    @classmethod
    @abstractmethod
    def get_api_endpoint_subpath(cls) -> StrEnum:
        """Return the endpoint path template (a member of the API's endpoint enum)."""

    @classmethod
    @abstractmethod
    def get_default_success_response_type(cls) -> type[HordeResponse]:
        """Return the response class of the usual success status code."""

    @classmethod
    def get_success_status_response_pairs(cls) -> dict[HTTPStatus, type[HordeResponse]]:
        """Map each success status code to its response class (default: 200 to the default type)."""
        return {HTTPStatus.OK: cls.get_default_success_response_type()}

    @classmethod
    def get_api_url(cls) -> str:
        """Return the API's base URL for this request; clients may override it per instance."""
        raise NotImplementedError(f"{cls.__name__} has no default API URL; give the client a base_url")

    def is_idempotent(self) -> bool:
        """Return True when sending this request twice has the effect of sending it once.

        Idempotent requests may be retried after a failure that could have reached the server;
        others (a POST creating a paid job) never are. It is asked of the request itself, so a POST made
        safe by an idempotency key it carries can say so.
        """
        return type(self).get_http_method() in _IDEMPOTENT_METHODS

    @classmethod
    def is_api_key_required(cls) -> bool:
        """Return True when the server refuses this request without an ``apikey`` header (default False).

        Only such requests get the client's ``anonymous_api_key`` when the caller gave no key.
        """
        return False

    @classmethod
    def is_client_api_key_sent(cls) -> bool:
        """Return False when the client's key must not go with this request (default True).

        For a route where any key changes the meaning (the AI Horde's ``GET /v2/teams/{id}`` reads a key as a
        moderator request); a key set on the request itself is still sent.
        """
        return True

    @classmethod
    def is_delete_with_body(cls) -> bool:
        """Return True for the rare DELETE request whose fields travel in a JSON body (default False)."""
        return False

    @classmethod
    def get_always_sent_fields(cls) -> frozenset[str]:
        """Return the names of body fields sent even when left at their default."""
        return cls._always_sent_fields

    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        """Return the follow-up key this request's response settles (the job is done or cancelled).

        Sessions call this after every successful request to stop tracking work that needs no cleanup any
        more. The default settles nothing.
        """
        del response
        return None


class ResponseRequiringFollowUpMixin(HordeAPIData):
    """A response that started server-side work which must be finished or cancelled.

    Sessions remember every such response and, when they exit with the work unsettled, send the
    requests from :meth:`get_follow_up_failure_cleanup_requests`.
    """

    @abstractmethod
    def get_follow_up_key(self) -> str:
        """Return the identity of the started work (a job id), used to settle it later."""

    @abstractmethod
    def get_follow_up_failure_cleanup_requests(self) -> list[HordeRequest]:
        """Return the requests that cancel the started work when it will not be finished."""

    def does_require_follow_up(self) -> bool:
        """Return False when this particular response started nothing (e.g. a dry run)."""
        return True


class ContainsMessageResponseMixin(HordeAPIData):
    """A response that may carry a human-readable message from the server."""

    message: str | None = Field(default=None, description="A message from the server, if any.")


class APIKeyAllowedInRequestMixin(HordeAPIData):
    """A request that may carry its own API key, overriding the client's.

    The key is sent as the ``apikey`` header; it is excluded from dumps and from ``repr``.
    """

    apikey: str | None = Field(
        default=None,
        repr=False,
        exclude=True,
        description="The API key for this request; the client's key is used when not set.",
    )


@Unhashable
@Unequatable
class RequestErrorResponse(HordeResponseBaseModel):
    """The body of an error answer: a message, a return code and, for validation failures, field errors."""

    message: str = Field(default="", description="What went wrong, as the server says it.")
    rc: str | None = Field(default=None, description="The server's return code, e.g. `InvalidAPIKey`.")
    errors: dict[str, str] | None = Field(
        default=None, description="For validation failures: the reason per invalid field."
    )

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "RequestError"
