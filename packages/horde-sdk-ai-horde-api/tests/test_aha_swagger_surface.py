"""The AI Horde models against the swagger: every operation, definition, field, docstring and example.

Per operation (ids like ``POST /v2/generate/async``; ``-k "/v2/workers"`` selects a family):

- exactly one concrete request class claims it (or it is a deprecated operation left out with a reason);
- path placeholders, ``in: query`` parameters and ``in: header`` parameters equal the fields the real request
  builder routes there (``_RequestLayout``); ``apikey`` comes from ``APIKeyAllowedInRequestMixin``;
- the body fields equal the body schema's properties: aliases, types, required flags, enums and bounds;
- ``get_api_model_name()`` names the body definition (``None`` without body, ``_ANONYMOUS_MODEL`` inline);
- the success status codes equal the swagger's 2xx codes; the docstring follows the request template;
- a request built from a swagger-derived example goes through ``RequestCore.build`` and a real
  ``GenericHordeAPIManualClient`` over ``httpx.MockTransport``: no brace in the URL, no body on GET/DELETE
  (except a DELETE whose swagger operation has a body and whose class says ``is_delete_with_body()``),
  ``apikey``/``Client-Agent`` (and ``Idempotency-Key``) under their wire names; it is hashable and equatable
  unless marked with the ``@Unhashable``/``@Unequatable`` pair.

Per success answer (``POST /v2/generate/async -> 202``): the response class's fields equal the schema's properties
(the item model's for list answers), its docstring follows the response template, and the swagger-derived example
validates in strict mode and round-trips.

Per definition: some exported class models it (``get_api_model_name()``), with the definition's fields, the
sub-model docstring, and the class of its ``allOf`` parent as a base.

Plus: exports complete, a description on every field, the decorator pair, the header rules, the table of known
server/swagger differences (each named by a test), and the generated endpoint table is up to date.
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import json
import subprocess
import sys
import types
from enum import Enum
from http import HTTPMethod, HTTPStatus
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import httpx
import pytest
from pydantic import BaseModel, RootModel, StringConstraints
from pydantic.fields import FieldInfo

from horde_sdk.ai_horde_api import apimodels
from horde_sdk.ai_horde_api.metadata import (
    AIHordeAcceptTypes,
    AIHordeHeaderFields,
    AIHordePathFields,
    AIHordeQueryFields,
)
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIData,
    HordeAPIObject,
    HordeRequest,
    HordeResponse,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL, _OVERLOADED_MODEL
from horde_sdk.generic_api.core import RequestCore, _RequestLayout
from horde_sdk.generic_api.decoration import is_unequatable, is_unhashable
from horde_sdk.generic_api.exceptions import HordeRequestBuildError, HordeResponseValidationError
from horde_sdk.generic_api.generic_clients import GenericHordeAPIManualClient
from horde_sdk.generic_api.settings import HordeClientSettings, RetryPolicy

REPO = Path(__file__).resolve().parents[3]
CLIENT_KEY = "client-key-0123456789"
REQUEST_KEY = "request-key-0123456789"
CLIENT_AGENT = "surface-test:1.0:nobody@example.invalid"
BASE_URL = "https://horde.test/api"
IDEMPOTENCY_KEY = "surface-test-idempotency-key"
NONE_TYPE = type(None)

HEADER_FIELDS = {member.name: member.value for member in AIHordeHeaderFields}
QUERY_FIELDS = {member.name: member.value for member in AIHordeQueryFields}
PATH_FIELDS_BY_PLACEHOLDER = {member.value: member.name for member in AIHordePathFields}


# ==================================================================================================================
# Annotation analysis
# ==================================================================================================================
def unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated``, ``NewType`` and type aliases; return the core type and the collected metadata."""
    metadata: list[Any] = []
    while True:
        if get_origin(annotation) is Annotated:
            metadata.extend(annotation.__metadata__)
            annotation = get_args(annotation)[0]
        elif hasattr(annotation, "__supertype__"):
            annotation = annotation.__supertype__
        elif type(annotation).__name__ == "TypeAliasType":
            annotation = annotation.__value__
        else:
            return annotation, metadata


def options_of(annotation: Any) -> list[tuple[Any, list[Any]]]:
    """The members of a (possibly nested, annotated) union, each with its metadata; ``None`` included."""
    core, metadata = unwrap(annotation)
    if get_origin(core) in (Union, types.UnionType):
        found: list[tuple[Any, list[Any]]] = []
        for arg in get_args(core):
            found.extend((member, metadata + more) for member, more in options_of(arg))
        return found
    return [(core, metadata)]


def show(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation).replace("typing.", "")


def model_bounds(metadata: list[Any]) -> dict[str, float]:  # noqa: PLR0912
    """Bounds found in field metadata, keyed by the swagger's names."""
    bounds: dict[str, float] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            bounds.update(model_bounds(list(item.metadata)))
        elif isinstance(item, annotated_types.Len):
            bounds["minLength"] = float(item.min_length)
            if item.max_length is not None:
                bounds["maxLength"] = float(item.max_length)
        elif isinstance(item, annotated_types.Interval | StringConstraints):
            for attribute, key in (
                ("ge", "minimum"),
                ("le", "maximum"),
                ("min_length", "minLength"),
                ("max_length", "maxLength"),
            ):
                if getattr(item, attribute, None) is not None:
                    bounds[key] = float(getattr(item, attribute))
        elif isinstance(item, annotated_types.Ge):
            bounds["minimum"] = float(item.ge)  # type: ignore[arg-type]  # annotated_types types bounds as comparable protocols; these are numbers
        elif isinstance(item, annotated_types.Gt):
            bounds["exclusiveMinimum"] = float(item.gt)  # type: ignore[arg-type]  # annotated_types types bounds as comparable protocols; these are numbers
        elif isinstance(item, annotated_types.Le):
            bounds["maximum"] = float(item.le)  # type: ignore[arg-type]  # annotated_types types bounds as comparable protocols; these are numbers
        elif isinstance(item, annotated_types.Lt):
            bounds["exclusiveMaximum"] = float(item.lt)  # type: ignore[arg-type]  # annotated_types types bounds as comparable protocols; these are numbers
        elif isinstance(item, annotated_types.MinLen):
            bounds["minLength"] = float(item.min_length)
        elif isinstance(item, annotated_types.MaxLen):
            bounds["maxLength"] = float(item.max_length)
        elif isinstance(item, annotated_types.MultipleOf):
            bounds["multipleOf"] = float(item.multiple_of)  # type: ignore[arg-type]  # annotated_types types bounds as comparable protocols; these are numbers
    return bounds


SWAGGER_BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "multipleOf")
PYTHON_BOUND_NAMES = {
    "minimum": "ge",
    "maximum": "le",
    "minLength": "min_length",
    "maxLength": "max_length",
    "multipleOf": "multiple_of",
}


class Checker:
    """Compares annotations and model classes with swagger schemas; collects readable problems."""

    def __init__(self, swagger: Any, surface: Any) -> None:
        self.swagger = swagger
        self.surface = surface

    # ----------------------------------------------------------------------------------------------- types
    def type_problems(
        self,
        schema: dict[str, Any],
        annotation: Any,
        where: str,
        metadata: list[Any] | tuple[Any, ...] = (),
    ) -> list[str]:
        """Problems of ``annotation`` (plus field ``metadata``) as a model of ``schema``."""
        options = [(member, more) for member, more in options_of(annotation) if member is not NONE_TYPE]
        if not options:
            return [f"{where}: annotated as None only"]
        all_metadata = [*metadata, *(item for _, more in options for item in more)]
        ref = self.swagger.ref_name(schema)
        resolved = self.swagger.resolve(schema)
        if ref is not None:
            return self._ref_problems(ref, resolved, options, where)
        kind = resolved.get("type") or ("object" if "properties" in resolved else None)
        problems: list[str] = []
        for option, _ in options:
            problems += self._kind_problems(kind, resolved, option, where)
        if "enum" in resolved:
            problems += self._enum_problems(resolved["enum"], options, all_metadata, where)
        problems += self._bound_problems(resolved, all_metadata, where)
        return problems

    def _ref_problems(
        self, ref: str, resolved: dict[str, Any], options: list[tuple[Any, list[Any]]], where: str
    ) -> list[str]:
        modelled = self.surface.classes_for_definition(ref)
        if not modelled:
            return [f"{where}: `{ref}` is not modelled by any exported class (get_api_model_name() == {ref!r})"]
        properties, _ = self.swagger.flatten(resolved)
        problems = []
        for option, _ in options:
            if self.swagger.is_wildcard(properties) and get_origin(option) is dict:
                continue
            if not (inspect.isclass(option) and any(issubclass(option, cls) for cls in modelled)):
                expected = " or ".join(cls.__name__ for cls in modelled)
                problems.append(f"{where}: swagger `$ref {ref}`, annotated {show(option)} (expected {expected})")
        return problems

    def _kind_problems(self, kind: str | None, schema: dict[str, Any], option: Any, where: str) -> list[str]:  # noqa: PLR0911, PLR0912
        origin = get_origin(option)
        is_class = inspect.isclass(option)
        wrong = [f"{where}: swagger type `{kind}`, annotated {show(option)}"]
        if option is Any:
            free_object = kind == "object" and "properties" not in schema and "additionalProperties" not in schema
            return [] if free_object else [f"{where}: annotated Any; the swagger says `{kind}`"]
        if kind == "integer":
            return [] if is_class and issubclass(option, int) and not issubclass(option, bool) else wrong
        if kind == "number":
            return [] if is_class and issubclass(option, int | float) and not issubclass(option, bool) else wrong
        if kind == "boolean":
            return [] if option is bool else wrong
        if kind == "string":
            if origin is Literal:
                return [] if all(isinstance(value, str) for value in get_args(option)) else wrong
            if is_class and issubclass(option, Enum):
                return [] if all(isinstance(member.value, str) for member in option) else wrong
            if is_class and issubclass(option, str):
                return []
            if schema.get("format") == "date-time" and option is datetime.datetime:
                return []
            return wrong
        if kind == "array":
            if origin not in (tuple, list, set, frozenset):
                return wrong
            args = get_args(option)
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                return [f"{where}: a swagger array must be tuple[T, ...], not {show(option)}"]
            item = args[0] if args else Any
            return self.type_problems(schema.get("items", {}), item, f"{where}[]")
        if kind == "object":
            extra = schema.get("additionalProperties")
            if origin is dict:
                key, value = get_args(option) or (str, Any)
                if key is not str:
                    return [f"{where}: dict keys must be str, not {show(key)}"]
                if isinstance(extra, dict) and extra.get("type"):
                    return self.type_problems(extra, value, f"{where}{{}}")
                return []
            if is_class and issubclass(option, BaseModel) and "properties" in schema:
                return self.field_problems(option, schema, where)
            return wrong
        return [f"{where}: the swagger gives no type; annotated {show(option)}"]

    @staticmethod
    def _enum_problems(
        values: list[Any], options: list[tuple[Any, list[Any]]], metadata: list[Any], where: str
    ) -> list[str]:
        enums = [option for option, _ in options if inspect.isclass(option) and issubclass(option, Enum)]
        enums += [
            item.known
            for item in metadata
            if inspect.isclass(getattr(item, "known", None)) and issubclass(item.known, Enum)
        ]
        known = {member.value for enum in enums for member in enum}
        known |= {value for option, _ in options if get_origin(option) is Literal for value in get_args(option)}
        if not known:
            return [f"{where}: the swagger has enum {values}; annotate with a KNOWN_* enum (KnownValue)"]
        missing = [value for value in values if value not in known]
        return [f"{where}: enum lacks the swagger's values {missing}"] if missing else []

    @staticmethod
    def _bound_problems(schema: dict[str, Any], metadata: list[Any], where: str) -> list[str]:
        have = model_bounds(metadata)
        problems = []
        for key in SWAGGER_BOUNDS:
            if key in schema and have.get(key) != float(schema[key]):
                python = PYTHON_BOUND_NAMES[key]
                problems.append(f"{where}: swagger {key}={schema[key]}, model {python}={have.get(key)}")
        return problems

    # ---------------------------------------------------------------------------------------------- fields
    def field_problems(
        self, cls: type[BaseModel], schema: dict[str, Any], where: str, only: frozenset[str] | None = None
    ) -> list[str]:
        """Problems of ``cls``'s fields (``only`` these, when given) as the properties of ``schema``."""
        properties, required = self.swagger.flatten(schema)
        fields = {name: info for name, info in cls.model_fields.items() if only is None or name in only}
        if self.swagger.is_wildcard(properties):
            if not issubclass(cls, RootModel):
                return [f"{where}: a wildcard map (`*`) must be a RootModel[dict[str, ...]]"]
            return self.type_problems(properties["*"], fields["root"].annotation, f"{where}.root")
        by_wire = {wire_name(name, info): (name, info) for name, info in fields.items()}
        problems = [
            f"{where}: swagger property `{prop}` has no field" for prop in sorted(set(properties) - set(by_wire))
        ]
        problems += [
            f"{where}: field `{by_wire[wire][0]}` (wire `{wire}`) is not in the swagger"
            for wire in sorted(set(by_wire) - set(properties))
        ]
        for wire in sorted(set(by_wire) & set(properties)):
            name, info = by_wire[wire]
            label = f"{where}.{name}"
            problems += self.type_problems(properties[wire], info.annotation, label, info.metadata)
            if (wire in required) != info.is_required():
                state = "required" if wire in required else "optional"
                problems.append(f"{label}: the swagger says {state}, the model says the opposite")
        return problems


def wire_name(name: str, info: FieldInfo) -> str:
    return info.serialization_alias or info.alias or name


# ==================================================================================================================
# Docstring templates
# ==================================================================================================================
def request_tail(cls: type[HordeRequest]) -> str:
    lines = [f"Represents a {cls.get_http_method()} request to the {cls.get_api_endpoint_subpath()} endpoint."]
    name = cls.get_api_model_name()
    if name is not None:
        lines += ["", f"v2 API Model: `{name}`"]
    return "\n".join(lines)


def response_tail(cls: type[HordeResponse], surface: Any) -> str:
    answering = surface.answering(cls)
    if len(answering) == 1:
        request_type, status = answering[0]
        path = request_type.get_api_endpoint_subpath()
        lines = [f"Represents the data returned from the {path} endpoint with http status code {status}."]
    else:
        lines = ["Represents the data returned from the following endpoints and http status codes:"]
        lines += sorted(
            (
                f"    - {request_type.get_api_endpoint_subpath()} | {request_type.__name__} "
                f"[{request_type.get_http_method()}] -> {status}"
            )
            for request_type, status in answering
        )
    return "\n".join([*lines, "", f"v2 API Model: `{cls.get_api_model_name()}`"])


def named_tail(cls: type[HordeAPIObject]) -> str:
    return f"v2 API Model: `{cls.get_api_model_name()}`"


def docstring_problems(cls: type[Any], tail: str) -> list[str]:
    raw = cls.__dict__.get("__doc__") or ""
    doc = inspect.cleandoc(raw)
    head = doc[: -len(tail)] if doc.endswith(tail) else None
    if head is not None and head.endswith("\n\n") and head.strip() and raw.rstrip(" ").endswith("\n"):
        return []
    summary = doc.split("\n\n", 1)[0].strip() if doc and not doc.startswith(tail[:20]) else "<summary>"
    return [
        (
            f"{cls.__name__}: the docstring must end with the template (after a summary in our own words); "
            f"expected:\n\n{summary}\n\n{tail}\n"
        )
    ]


# ==================================================================================================================
# Fixtures and helpers
# ==================================================================================================================
@pytest.fixture(scope="module")
def checker(aha_swagger: Any, aha_surface: Any) -> Checker:
    return Checker(aha_swagger, aha_surface)


def layout(cls: type[HordeRequest]) -> _RequestLayout:
    return _RequestLayout.of(cls, HEADER_FIELDS, QUERY_FIELDS, PATH_FIELDS_BY_PLACEHOLDER)


def request_class_for(operation: Any, surface: Any) -> type[HordeRequest]:
    classes = surface.requests_for(operation.method, operation.path)
    if len(classes) != 1:
        names = [cls.__name__ for cls in classes]
        pytest.fail(f"{operation.key}: expected exactly one request class, found {names or 'none'}")
    found: type[HordeRequest] = classes[0]
    return found


def core() -> RequestCore:
    settings = HordeClientSettings(base_url=BASE_URL, api_key=CLIENT_KEY, client_agent=CLIENT_AGENT)
    return RequestCore(
        settings,
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
        accept_types=AIHordeAcceptTypes,
    )


def field_example(info: FieldInfo, placeholder: str) -> Any:
    """A path value that satisfies the field: an int for int fields, a UUID for 36-character ids."""
    options = [member for member, _ in options_of(info.annotation) if member is not NONE_TYPE]
    if options and inspect.isclass(options[0]) and issubclass(options[0], int):
        return 1
    bounds = model_bounds(list(info.metadata))
    if bounds.get("minLength") == 36:
        return "00000000-0000-4000-8000-000000000000"
    return f"example-{placeholder}"


def example_request(operation: Any, cls: type[HordeRequest], swagger: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(arguments of the request, the JSON body the swagger example gives)."""
    routing = layout(cls)
    fields = cls.model_fields
    arguments: dict[str, Any] = {}
    for placeholder, attribute in routing.path.items():
        arguments[attribute] = field_example(fields[attribute], placeholder)
    query_attributes = {wire: attribute for attribute, wire in routing.query}
    for parameter in operation.parameters("query"):
        query_attribute = query_attributes.get(parameter["name"])
        if query_attribute is not None:
            arguments[query_attribute] = swagger.example(parameter, parameter["name"])
    header_attributes = {wire: attribute for attribute, wire in routing.headers}
    if "Idempotency-Key" in header_attributes:
        arguments[header_attributes["Idempotency-Key"]] = IDEMPOTENCY_KEY
    # The MRO, not issubclass: the pydantic plugin gives HordeRequest and the mixin __init__ signatures mypy
    # cannot join, so it would think no such class exists and skip the branch.
    if APIKeyAllowedInRequestMixin in cls.__mro__:
        arguments["apikey"] = REQUEST_KEY
    body = swagger.example(operation.body_schema, "body") if operation.body_schema is not None else {}
    arguments.update(body)
    return arguments, body


def normalise(value: Any) -> Any:
    return json.loads(json.dumps(value))


# ==================================================================================================================
# Per operation
# ==================================================================================================================
def test_operation_has_one_request_class(operation_key, aha_swagger, aha_surface, aha_left_out_operations):
    operation = aha_swagger.operation(operation_key)
    if operation_key in aha_left_out_operations:
        assert operation.spec.get("deprecated"), f"{operation_key} is left out but the swagger does not deprecate it"
        assert aha_left_out_operations[operation_key].strip()
        assert not aha_surface.requests_for(operation.method, operation.path)
        return
    request_class_for(operation, aha_surface)


def _modelled(
    operation_key: str, aha_swagger: Any, aha_surface: Any, aha_left_out_operations: dict[str, str]
) -> tuple[Any, type[HordeRequest]]:
    if operation_key in aha_left_out_operations:
        pytest.skip(f"left out: {aha_left_out_operations[operation_key]}")
    operation = aha_swagger.operation(operation_key)
    return operation, request_class_for(operation, aha_surface)


def test_request_routing_matches_parameters(operation_key, aha_swagger, aha_surface, aha_left_out_operations):
    operation, cls = _modelled(operation_key, aha_swagger, aha_surface, aha_left_out_operations)
    try:
        routing = layout(cls)
    except HordeRequestBuildError as error:
        pytest.fail(str(error))
    problems = []
    placeholders = {parameter["name"] for parameter in operation.parameters("path")}
    if set(routing.path) != placeholders:
        problems.append(f"path fields {sorted(routing.path)} != swagger path parameters {sorted(placeholders)}")
    for placeholder, attribute in routing.path.items():
        expected = PATH_FIELDS_BY_PLACEHOLDER.get(placeholder)
        if attribute != expected:
            problems.append(f"path {{{placeholder}}} is filled by `{attribute}`; AIHordePathFields names `{expected}`")
    query = {wire for _, wire in routing.query}
    swagger_query = {parameter["name"] for parameter in operation.parameters("query")}
    if query != swagger_query:
        problems.append(f"query fields {sorted(query)} != swagger query parameters {sorted(swagger_query)}")
    headers = {wire for _, wire in routing.headers}
    swagger_headers = {parameter["name"] for parameter in operation.parameters("header")}
    expected_headers = swagger_headers - {"Client-Agent", "X-Fields"}
    if headers != expected_headers:
        problems.append(f"header fields {sorted(headers)} != swagger headers {sorted(expected_headers)}")
    takes_key = "apikey" in swagger_headers
    if takes_key != issubclass(cls, APIKeyAllowedInRequestMixin):
        problems.append(
            f"the swagger {'lists' if takes_key else 'does not list'} `apikey`: "
            f"{'derive from' if takes_key else 'do not derive from'} APIKeyAllowedInRequestMixin"
        )
    delete_body = operation.method == HTTPMethod.DELETE.value and operation.body_schema is not None
    if cls.is_delete_with_body() != delete_body:
        problems.append(
            f"is_delete_with_body() must be {delete_body}: the swagger {'gives' if delete_body else 'gives no'} DELETE body"
        )
    if "Idempotency-Key" in swagger_headers and "idempotency_key" not in cls.model_fields:
        problems.append("the swagger lists `Idempotency-Key`: add the field `idempotency_key`")
    assert not problems, f"{cls.__name__} ({operation_key}):\n" + "\n".join(problems)


def test_request_body_matches_schema(operation_key, aha_swagger, aha_surface, aha_left_out_operations, checker):
    operation, cls = _modelled(operation_key, aha_swagger, aha_surface, aha_left_out_operations)
    body_fields = layout(cls).body
    schema = operation.body_schema
    problems: list[str] = []
    if schema is None:
        if body_fields:
            problems.append(f"the swagger has no body, but {sorted(body_fields)} would be sent in one")
    else:
        problems += checker.field_problems(cls, schema, cls.__name__, only=body_fields)
    expected_name = None if schema is None else (aha_swagger.ref_name(schema) or _ANONYMOUS_MODEL)
    if cls.get_api_model_name() != expected_name:
        problems.append(f"get_api_model_name() is {cls.get_api_model_name()!r}, the swagger says {expected_name!r}")
    assert not problems, f"{operation_key}:\n" + "\n".join(problems)


def test_request_success_codes_match(operation_key, aha_swagger, aha_surface, aha_left_out_operations):
    operation, cls = _modelled(operation_key, aha_swagger, aha_surface, aha_left_out_operations)
    pairs = cls.get_success_status_response_pairs()
    declared = set(operation.success_responses())
    assert {int(status) for status in pairs} == declared, (
        f"{cls.__name__}: codes {sorted(pairs)} != {sorted(declared)}"
    )
    assert cls.get_default_success_response_type() in pairs.values()


def test_request_docstring(operation_key, aha_swagger, aha_surface, aha_left_out_operations):
    _, cls = _modelled(operation_key, aha_swagger, aha_surface, aha_left_out_operations)
    problems = docstring_problems(cls, request_tail(cls))
    assert not problems, problems[0]


def test_request_goes_over_the_wire(operation_key, aha_swagger, aha_surface, aha_left_out_operations):
    operation, cls = _modelled(operation_key, aha_swagger, aha_surface, aha_left_out_operations)
    arguments, body = example_request(operation, cls, aha_swagger)
    request = cls.model_validate(arguments)
    swagger_headers = {parameter["name"] for parameter in operation.parameters("header")}
    swagger_query = {parameter["name"] for parameter in operation.parameters("query")}

    bodyless = operation.method == HTTPMethod.GET.value or (
        operation.method == HTTPMethod.DELETE.value and not cls.is_delete_with_body()
    )
    prepared = core().build(request)
    assert "{" not in prepared.url, prepared.url
    assert "}" not in prepared.url, prepared.url
    if bodyless:
        assert prepared.json_body is None
    else:
        sent_body, expected_body = normalise(prepared.json_body) or {}, normalise(body)
        differing = sorted(
            key for key in set(sent_body) | set(expected_body) if sent_body.get(key) != expected_body.get(key)
        )
        assert not differing, f"body properties not sent as given (misrouted to query/header?): {differing}"
    assert prepared.headers["Client-Agent"] == CLIENT_AGENT
    assert prepared.headers["apikey"] == (REQUEST_KEY if "apikey" in swagger_headers else CLIENT_KEY)
    if "Idempotency-Key" in swagger_headers:
        assert prepared.headers["Idempotency-Key"] == IDEMPOTENCY_KEY
    assert {name for name, _ in prepared.params} == swagger_query

    status = min(operation.success_responses())
    schema = operation.success_responses()[status]
    answer = aha_swagger.example(schema, "answer") if schema is not None else {}
    wire: list[httpx.Request] = []

    def handler(sent: httpx.Request) -> httpx.Response:
        wire.append(sent)
        return httpx.Response(status, json=answer)

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        GenericHordeAPIManualClient(
            base_url=BASE_URL,
            api_key=CLIENT_KEY,
            client_agent=CLIENT_AGENT,
            retry=RetryPolicy.disabled(),
            http_client=http,
            header_fields=AIHordeHeaderFields,
            query_fields=AIHordeQueryFields,
            path_fields=AIHordePathFields,
            accept_types=AIHordeAcceptTypes,
        ) as client,
    ):
        response: HordeResponse | None = None
        with contextlib.suppress(HordeResponseValidationError) if schema is None else contextlib.nullcontext():
            response = client.submit_request(request)
    (sent,) = wire
    assert sent.method == operation.method
    assert "{" not in sent.url.path, str(sent.url)
    assert "%7B" not in str(sent.url).upper(), str(sent.url)
    assert sent.url.path == "/api" + httpx.URL(prepared.url).path.removeprefix("/api")
    if bodyless:
        assert sent.content == b""
    assert sent.headers["Client-Agent"] == CLIENT_AGENT
    assert sent.headers["apikey"] == prepared.headers["apikey"]
    if "Idempotency-Key" in swagger_headers:
        assert sent.headers["Idempotency-Key"] == IDEMPOTENCY_KEY
    if schema is not None:
        assert type(response) is cls.get_success_status_response_pairs()[HTTPStatus(status)]

    if not is_unhashable(cls):
        hash(request)
    if not is_unequatable(cls):
        assert request == cls.model_validate(arguments)


# ==================================================================================================================
# Per success answer
# ==================================================================================================================
def _answer(
    response_key: str, aha_swagger: Any, aha_surface: Any, aha_left_out_operations: dict[str, str]
) -> tuple[dict[str, Any], type[Any]]:
    operation_key, _, status_text = response_key.rpartition(" -> ")
    operation, cls = _modelled(operation_key, aha_swagger, aha_surface, aha_left_out_operations)
    status = int(status_text)
    response_type = cls.get_success_status_response_pairs().get(HTTPStatus(status))
    if response_type is None:
        pytest.fail(f"{cls.__name__}.get_success_status_response_pairs() has no {status}")
    return operation.success_responses()[status], response_type


def response_problems(checker: Checker, schema: dict[str, Any], response_type: type[Any]) -> list[str]:
    """Problems of ``response_type`` as the answer ``schema`` (name, fields or list item, docstring)."""
    name = response_type.get_api_model_name()
    ref = checker.swagger.ref_name(schema)
    problems: list[str] = []
    if ref is not None:
        if name != ref:
            problems.append(f"{response_type.__name__}.get_api_model_name() is {name!r}, the swagger says {ref!r}")
        problems += checker.field_problems(response_type, schema, response_type.__name__)
    elif schema.get("type") == "array":
        if not issubclass(response_type, HordeResponseRootModel):
            problems.append(f"{response_type.__name__}: a list answer derives from HordeResponseRootModel")
        else:
            root = response_type.model_fields["root"]
            problems += checker.type_problems(schema, root.annotation, f"{response_type.__name__}.root")
        if name != _ANONYMOUS_MODEL:
            problems.append(f"{response_type.__name__}.get_api_model_name() must be _ANONYMOUS_MODEL for a list")
    else:
        if name != _ANONYMOUS_MODEL:
            problems.append(f"{response_type.__name__}.get_api_model_name() must be _ANONYMOUS_MODEL (inline schema)")
        problems += checker.field_problems(response_type, schema, response_type.__name__)
    problems += docstring_problems(response_type, response_tail(response_type, checker.surface))
    return problems


def test_response_matches_schema(response_key, aha_swagger, aha_surface, aha_left_out_operations, checker):
    schema, response_type = _answer(response_key, aha_swagger, aha_surface, aha_left_out_operations)
    if schema is None:
        pytest.skip("the swagger gives no schema for this answer")
    problems = response_problems(checker, schema, response_type)
    assert not problems, f"{response_key}:\n" + "\n".join(problems)


def test_response_example_validates_and_round_trips(response_key, aha_swagger, aha_surface, aha_left_out_operations):
    schema, response_type = _answer(response_key, aha_swagger, aha_surface, aha_left_out_operations)
    if schema is None:
        pytest.skip("the swagger gives no schema for this answer")
    example = aha_swagger.example(schema, "answer")
    parsed = response_type.model_validate_json(json.dumps(example))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert normalise(dumped) == normalise(example)
    again = response_type.model_validate_json(parsed.model_dump_json(by_alias=True, exclude_unset=True))
    if not is_unequatable(response_type):
        assert again == parsed
    if not is_unhashable(response_type):
        hash(parsed)


# ==================================================================================================================
# Per definition
# ==================================================================================================================
def test_definition_is_modelled(definition_name, aha_swagger, aha_surface, checker):
    classes = aha_surface.classes_for_definition(definition_name)
    bodies = aha_surface.request_classes_for_definition(definition_name)
    assert classes or bodies, f"no exported class has get_api_model_name() == {definition_name!r}"
    # One class per definition; only responses may share one (their follow-up behaviour differs per endpoint).
    shared = [cls.__name__ for cls in classes if not issubclass(cls, HordeResponse)]
    assert len(classes) <= 1 or not shared, (
        f"{definition_name} is modelled by several classes: {[c.__name__ for c in classes]}"
    )
    problems: list[str] = []
    schema = {"$ref": f"#/definitions/{definition_name}"}
    for cls in classes:
        problems += checker.field_problems(cls, schema, cls.__name__)
        if not issubclass(cls, HordeResponse) or not aha_surface.answering(cls):
            problems += docstring_problems(cls, named_tail(cls))
        parent = aha_swagger.all_of_parent(definition_name)
        parents = aha_surface.classes_for_definition(parent) if parent else []
        if parents and not issubclass(cls, parents[0]):
            problems.append(
                f"{cls.__name__}: `{definition_name}` extends `{parent}`; derive from {parents[0].__name__}"
            )
    assert not problems, f"{definition_name}:\n" + "\n".join(problems)


# ==================================================================================================================
# The whole surface
# ==================================================================================================================
def test_every_apimodels_module_imports(aha_surface):
    assert not aha_surface.module_errors
    assert not aha_surface.export_errors


def test_every_model_class_is_exported(aha_surface):
    missing = []
    for module_name, module in aha_surface.modules.items():
        exported = set(getattr(module, "__all__", ()))
        for name, value in vars(module).items():
            if not (inspect.isclass(value) and value.__module__ == module.__name__) or "[" in name:
                continue  # imported from elsewhere, or a parametrized generic pydantic registers in the module
            if not issubclass(value, HordeAPIObject | HordeAPIData):
                continue
            if name not in exported or name not in apimodels.__all__:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"not in __all__ (run tools/generate_exports.py after adding them): {missing}"


def test_every_field_has_a_description(aha_surface):
    undocumented = [
        f"{cls.__name__}.{name}"
        for cls in aha_surface.model_classes()
        if not issubclass(cls, RootModel)
        for name, info in cls.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert not undocumented, undocumented


def test_unhashable_and_unequatable_come_together(aha_surface):
    lonely = [cls.__name__ for cls in aha_surface.exported.values() if is_unhashable(cls) != is_unequatable(cls)]
    assert not lonely, f"@Unhashable and @Unequatable are always applied together: {lonely}"


def test_every_request_class_is_a_swagger_operation(aha_swagger, aha_surface):
    operations = {operation.key for operation in aha_swagger.operations()}
    unknown = [
        f"{cls.__name__}: {cls.get_http_method()} {cls.get_api_endpoint_subpath()}"
        for cls in aha_surface.request_classes()
        if f"{cls.get_http_method()} {cls.get_api_endpoint_subpath()}" not in operations
    ]
    assert not unknown, unknown


def test_api_model_names_are_swagger_definitions(aha_swagger, aha_surface):
    allowed = set(aha_swagger.definitions) | {_ANONYMOUS_MODEL, _OVERLOADED_MODEL}
    wrong = [
        f"{cls.__name__}: {cls.get_api_model_name()!r}"
        for cls in aha_surface.named_classes()
        if cls.get_api_model_name() not in allowed
        and not (issubclass(cls, HordeRequest) and cls.get_api_model_name() is None)
    ]
    assert not wrong, wrong


def test_every_swagger_header_has_a_rule(aha_swagger, aha_header_rules):
    headers = {
        parameter["name"] for operation in aha_swagger.operations() for parameter in operation.parameters("header")
    }
    assert headers <= set(aha_header_rules), sorted(headers - set(aha_header_rules))
    assert "X-Fields" not in {member.value for member in AIHordeHeaderFields}
    assert AIHordeHeaderFields.idempotency_key.value == "Idempotency-Key"


def test_left_out_operations_are_deprecated_swagger_operations(aha_swagger, aha_left_out_operations):
    operations = {operation.key: operation for operation in aha_swagger.operations()}
    for key, reason in aha_left_out_operations.items():
        assert key in operations, f"{key} is left out but is not in the swagger any more"
        assert operations[key].spec.get("deprecated"), f"{key} may only be left out while deprecated"
        assert reason.strip()


# ==================================================================================================================
# Known server/swagger differences: one test names each
# ==================================================================================================================
def test_server_difference(difference_name, aha_differences, aha_swagger, aha_surface, checker):
    """The model follows the server where BEHAVIOUR.md (or the server's source) shows the swagger is wrong."""
    difference = aha_differences[difference_name]
    assert "BEHAVIOUR.md" in difference.reason or "server source: " in difference.reason, (
        "cite the BEHAVIOUR.md section, or the server source file where BEHAVIOUR.md is silent"
    )
    if not difference.guard:
        assert difference.changes(aha_swagger.raw), (
            f"{difference_name}: the swagger now agrees with the server; drop the entry or mark it guard=True"
        )
    where = difference.where
    if where[0] == "paths":
        path, method = where[1], str(where[2]).upper()
        operation = aha_swagger.operation(f"{method} {path}")
        cls = request_class_for(operation, aha_surface)
        if len(where) >= 5 and where[3] == "responses":
            status = int(where[4])
            response_type = cls.get_success_status_response_pairs().get(HTTPStatus(status))
            assert response_type is not None, f"{cls.__name__} does not answer {status}"
            schema = operation.success_responses()[status]
            problems = response_problems(checker, schema, response_type)
            assert not problems, "\n".join(problems)
            return
        if difference.change == "set" and where[-1] == "schema" and where[-2] == {"in": "body"}:
            problems = checker.field_problems(cls, operation.body_schema, cls.__name__, only=layout(cls).body)
            assert not problems, "\n".join(problems)
            return
        if difference.change == "require":
            by_wire = {wire_name(name, info): info for name, info in cls.model_fields.items()}
            assert difference.value in by_wire, f"{cls.__name__} has no field for `{difference.value}`"
            assert by_wire[difference.value].is_required(), f"{cls.__name__}.{difference.value} must be required"
            return
        if where[-2] == "properties":
            prop = str(where[-1])
            by_wire = {wire_name(name, info): info for name, info in cls.model_fields.items()}
            assert prop in by_wire, f"{cls.__name__} has no field for `{prop}`"
            info = by_wire[prop]
            follows = checker.type_problems(difference.value, info.annotation, prop, info.metadata)
            assert not follows, follows
            return
    if where[0] == "definitions" and difference.change == "set" and len(where) == 2:
        name = str(where[1])
        classes = aha_surface.classes_for_definition(name)
        assert classes, f"`{name}` is not modelled"
        problems = []
        for cls in classes:
            problems += checker.field_problems(cls, {"$ref": f"#/definitions/{name}"}, cls.__name__)
        assert not problems, "\n".join(problems)
        return
    if where[0] == "definitions" and difference.change == "require":
        name = str(where[1])
        classes = aha_surface.classes_for_definition(name) + aha_surface.request_classes_for_definition(name)
        assert classes, f"`{name}` is not modelled"
        for cls in classes:
            by_wire = {wire_name(field_name, info): info for field_name, info in cls.model_fields.items()}
            assert by_wire[difference.value].is_required(), f"{cls.__name__}.{difference.value} must be required"
        return
    pytest.fail(f"teach test_server_difference to check a difference at {where}")


# ==================================================================================================================
# The generated endpoint table
# ==================================================================================================================
def test_endpoint_table_is_up_to_date(horde_swagger_path):
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "generate_endpoint_table.py"),
            "--swagger",
            str(horde_swagger_path),
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ==================================================================================================================
# tools/refresh_swagger.py (hermetic: a local file and a server on 127.0.0.1)
# ==================================================================================================================
def run_refresh(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(REPO / "tools" / "refresh_swagger.py"), *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_refresh_swagger_reads_a_file_and_prints_what_changed(tmp_path, horde_swagger):
    source, output = tmp_path / "source.json", tmp_path / "cache" / "swagger.json"
    source.write_text(json.dumps(horde_swagger), encoding="utf-8")
    first = run_refresh("--source", str(source), "--output", str(output))
    assert first.returncode == 0, first.stderr
    assert "no previous file" in first.stdout
    assert json.loads(output.read_text(encoding="utf-8")) == horde_swagger

    changed = json.loads(json.dumps(horde_swagger))
    removed_path = "/v2/status/news"
    del changed["paths"][removed_path]
    changed["paths"]["/v2/status/heartbeat"]["post"] = {"responses": {"200": {"description": "new"}}}
    changed["definitions"]["SurfaceTestAdded"] = {"type": "object", "properties": {}}
    changed["definitions"]["SimpleResponse"]["properties"]["extra"] = {"type": "string"}
    source.write_text(json.dumps(changed), encoding="utf-8")
    second = run_refresh("--source", str(source), "--output", str(output))
    assert second.returncode == 0, second.stderr
    lines = set(second.stdout.splitlines())
    assert {
        f"- path {removed_path}",
        "~ path /v2/status/heartbeat",
        f"- operation GET {removed_path}",
        "+ operation POST /v2/status/heartbeat",
        "+ definition SurfaceTestAdded",
        "~ definition SimpleResponse",
    } <= lines
    assert not any(line.startswith("~ operation GET /v2/status/heartbeat") for line in lines)

    third = run_refresh("--source", str(source), "--output", str(output))
    assert "no change in paths, operations or definitions" in third.stdout


def test_refresh_swagger_rejects_what_is_not_a_swagger(tmp_path):
    source, output = tmp_path / "source.json", tmp_path / "swagger.json"
    source.write_text('{"openapi": "3.0.0"}', encoding="utf-8")
    result = run_refresh("--source", str(source), "--output", str(output))
    assert result.returncode == 1
    assert "not a Swagger 2.0 document" in result.stderr
    assert not output.exists()


def test_refresh_swagger_fetches_over_http(tmp_path, horde_swagger):
    import http.server
    import threading

    payload = json.dumps(horde_swagger).encode("utf-8")
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/swagger.json"
        output = tmp_path / "swagger.json"
        result = run_refresh("--source", url, "--output", str(output))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert result.returncode == 0, result.stderr
    assert seen == ["/api/swagger.json"]
    assert json.loads(output.read_text(encoding="utf-8")) == horde_swagger
