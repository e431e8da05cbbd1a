"""Shared helpers of the horde-sdk-ai-horde-api tests: the swagger as the tests read it, and the SDK surface.

- :data:`SERVER_DIFFERENCES`: the machine-readable table of places where the real server differs from the
  swagger (``../shared/ai_horde/BEHAVIOUR.md``). Each entry is a patch applied to the swagger before any
  check runs, so the checks compare the models with the server's behaviour; the surface test names every
  entry in a test of its own. Extend it by adding a :class:`ServerDifference`.
- :data:`LEFT_OUT_OPERATIONS`: operations deliberately without a request class (only deprecated ones may be
  listed), with the reason.
- :data:`HEADER_RULES`: how each swagger header parameter is carried (one place for the X-Fields exclusion).
- :class:`Swagger`: ``$ref``/``allOf`` resolution and a swagger-derived example builder whose values satisfy
  the schema's enums and bounds, so strict validation of the examples is meaningful.
- :class:`Surface`: every exported model of ``horde_sdk.ai_horde_api.apimodels``, the request class of each
  (method, path) and the class of each definition name.

Tests find the swagger only through the root ``horde_swagger`` fixture; parametrizing by operation needs the
operation list while collecting, which ``pytest_generate_tests`` takes from the root conftest's own lookup.

Generated examples rather than committed example files: the swagger is not committed (it is refreshed from the
live API), so examples derived from it at test time can never disagree with the swagger being checked.
"""

from __future__ import annotations

import copy
import datetime
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pytest

SWAGGER_HTTP_METHODS = ("get", "post", "put", "patch", "delete")


# ------------------------------------------------------------------------------------------------------------------
# Known server/swagger differences
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerDifference:
    """One place where the server differs from the swagger; the models follow the server.

    Attributes:
        name: Short id, used as the test id (``interrogate-submit-result-object``).
        where: Path of keys into the swagger document. A ``dict`` segment selects the element of a list whose
            items match it (``{"in": "body"}`` selects the body parameter).
        change: ``"set"``: replace (or add) the value at ``where``; ``"require"``: add ``value`` to the
            ``required`` list of the object schema at ``where``.
        value: The server's schema fragment (``set``) or the property name (``require``).
        reason: Why, citing the ``BEHAVIOUR.md`` section that documents it or, where BEHAVIOUR.md is silent,
            the place in the AI Horde server's source (``server source: <file>``) that shows it.
        guard: The current swagger already agrees; the entry pins the server's behaviour so that a swagger which
            stops agreeing does not relax the model. Entries without ``guard`` must change the swagger.
    """

    name: str
    where: tuple[str | dict[str, str], ...]
    change: Literal["set", "require"]
    value: Any
    reason: str
    guard: bool = False

    def changes(self, document: dict[str, Any]) -> bool:
        """Return True when applying this difference alone changes ``document``."""
        return apply_server_differences(document, (self,)) != document


_DRY_RUN_ANSWER = {
    "description": "Dry run: the kudos the request would cost; nothing is queued.",
    "schema": {"type": "object", "required": ["kudos"], "properties": {"kudos": {"type": "number"}}},
}

_MESSAGE_FIELDS: dict[str, Any] = {
    "worker_id": {
        "type": "string",
        "example": "00000000-0000-0000-0000-000000000000",
        "minLength": 36,
        "maxLength": 36,
    },
    "message": {"type": "string", "example": "Hello Worker!", "minLength": 1, "maxLength": 10240},
    "origin": {"type": "string", "example": "AI Horde Moderators", "minLength": 1, "maxLength": 255},
}
_MESSAGE_INPUT = {
    "type": "object",
    "required": ["message"],
    "properties": {**_MESSAGE_FIELDS, "expiry": {"type": "integer", "default": 12, "minimum": 1, "maximum": 720}},
}
_MESSAGE_ANSWER = {
    "type": "object",
    "required": ["id", "message", "expiry"],
    "properties": {
        "id": {"type": "string", "example": "00000000-0000-0000-0000-000000000000"},
        **_MESSAGE_FIELDS,
        "user_id": {"type": "string", "example": "1"},
        "expiry": {"type": "string", "example": "Mon, 07 Dec 2026 01:50:40 -0000"},
        "created": {"type": "string", "example": "Sun, 06 Dec 2026 13:50:40 -0000"},
    },
}

SERVER_DIFFERENCES: tuple[ServerDifference, ...] = (
    ServerDifference(
        name="interrogate-submit-result-object",
        where=(
            "paths",
            "/v2/interrogate/submit",
            "post",
            "parameters",
            {"in": "body"},
            "schema",
            "properties",
            "result",
        ),
        change="set",
        value={"type": "object", "additionalProperties": {}},
        reason=(
            "BEHAVIOUR.md, 'Where the swagger is wrong': `result` is a JSON object keyed by form name "
            '({"caption": "a cat"}, {"RealESRGAN_x2plus": "R2"}), not a string; values depend on the form.'
        ),
    ),
    ServerDifference(
        name="generate-submit-seed-required",
        where=("definitions", "SubmitInputStable"),
        change="require",
        value="seed",
        reason="BEHAVIOUR.md, 'Where the swagger is wrong': `seed` is required by POST /v2/generate/submit (400 without).",
        guard=True,
    ),
    ServerDifference(
        name="generate-async-dry-run-200",
        where=("paths", "/v2/generate/async", "post", "responses", "200"),
        change="set",
        value=_DRY_RUN_ANSWER,
        reason="BEHAVIOUR.md, 'Jobs and timing': with `dry_run: true` the async submission answers 200 `{kudos}`.",
    ),
    ServerDifference(
        name="generate-text-async-dry-run-200",
        where=("paths", "/v2/generate/text/async", "post", "responses", "200"),
        change="set",
        value=_DRY_RUN_ANSWER,
        reason="BEHAVIOUR.md, 'Jobs and timing': with `dry_run: true` the async submission answers 200 `{kudos}`.",
    ),
    ServerDifference(
        name="validation-error-without-rc",
        where=("definitions", "RequestValidationError"),
        change="set",
        value={
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "rc": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        reason=(
            'BEHAVIOUR.md, \'Errors\': validation failures are `400 {"message": "Input payload validation '
            'failed", "errors": {field: reason}}` with no `rc`; the swagger requires one (via RequestError).'
        ),
    ),
    ServerDifference(
        name="users-list",
        where=("paths", "/v2/users", "get", "responses", "200", "schema"),
        change="set",
        value={"type": "array", "items": {"$ref": "#/definitions/UserDetails"}},
        reason=(
            "server source: horde/apis/v2/base.py (Users.get) marshals a list of user details "
            "(one page); the swagger documents a single UserDetails object."
        ),
    ),
    # The body of POST /v2/workers/messages keeps the swagger's shape; it is set apart first because the next
    # entry changes the definition both share (the server registers two different models under one name).
    ServerDifference(
        name="workers-messages-post-body",
        where=("paths", "/v2/workers/messages", "post", "parameters", {"in": "body"}, "schema"),
        change="set",
        value=_MESSAGE_INPUT,
        reason=(
            "server source: horde/apis/models/v2.py names the message input and the message answer both "
            "`ResponseModelMessage`; the swagger shows only the input. The body is that input shape."
        ),
    ),
    ServerDifference(
        name="workers-message-dates-and-id",
        where=("definitions", "ResponseModelMessage"),
        change="set",
        value=_MESSAGE_ANSWER,
        reason=(
            "BEHAVIOUR.md, 'Where the swagger is wrong': worker messages' `created` and `expiry` are date strings "
            'such as "Mon, 07 Dec 2026 01:50:40 -0000" (not integers), and each message has an `id`.'
        ),
    ),
    ServerDifference(
        name="filters-regex-may-lack-regex",
        where=("definitions", "FilterRegex"),
        change="set",
        value={
            "type": "object",
            "required": ["filter_type"],
            "properties": {
                "filter_type": {"type": "integer", "example": 10, "minimum": 10, "maximum": 29},
                "regex": {"type": "string"},
            },
        },
        reason="BEHAVIOUR.md, 'Where the swagger is wrong': GET /v2/filters/regex leaves `regex` out when it is empty.",
    ),
    ServerDifference(
        name="filters-suspicion-number",
        where=("definitions", "FilterPromptSuspicion"),
        change="set",
        value={
            "type": "object",
            "required": ["suspicion"],
            "properties": {
                "suspicion": {"type": "number"},
                "matches": {"type": "array", "items": {"type": "string"}},
            },
        },
        reason="BEHAVIOUR.md, 'Where the swagger is wrong': POST /v2/filters answers `suspicion` as a number.",
    ),
    ServerDifference(
        name="filters-put-200",
        where=("paths", "/v2/filters", "put", "responses", "200"),
        change="set",
        value={"description": "New Filter details", "schema": {"$ref": "#/definitions/FilterDetails"}},
        reason="BEHAVIOUR.md, 'Where the swagger is wrong': PUT /v2/filters answers 200, not 201.",
    ),
    *(
        ServerDifference(
            name=f"styles-{kind}-patch-name-required",
            where=("definitions", definition),
            change="require",
            value="name",
            reason=f"BEHAVIOUR.md, 'Where the swagger is wrong': PATCH /v2/styles/{kind}/{{id}} is a 400 without `name`.",
        )
        for kind, definition in (("image", "ModelStylePatchStable"), ("text", "ModelStylePatchKobold"))
    ),
    *(
        ServerDifference(
            name=f"styles-example-post-{field_name}-required",
            where=("paths", "/v2/styles/image/{style_id}/example", "post", "parameters", {"in": "body"}, "schema"),
            change="require",
            value=field_name,
            reason=(
                "BEHAVIOUR.md, 'Where the swagger is wrong': POST /v2/styles/image/{id}/example is a 400 without "
                "`primary`; server source: horde/apis/models/stable_v2.py requires `url` too (the swagger shows the "
                "PATCH model of the same name, where both are optional)."
            ),
        )
        for field_name in ("url", "primary")
    ),
    *(
        ServerDifference(
            name=f"kudos-{action}-username-required",
            where=("paths", f"/v2/kudos/{action}", "post", "parameters", {"in": "body"}, "schema"),
            change="require",
            value="username",
            reason=(
                f"server source: horde/apis/v2/kudos.py ({action}) rejects a body without `username`; "
                "the swagger marks nothing required."
            ),
        )
        for action in ("transfer", "award")
    ),
)

LEFT_OUT_OPERATIONS: dict[str, str] = {}
"""``"METHOD /path"`` -> reason, for operations without a request class. Only swagger-deprecated ones qualify."""

HEADER_RULES: dict[str, str] = {
    "Client-Agent": "client: every client sends it from its settings; never a request field",
    "apikey": "mixin: requests of operations that take it derive from APIKeyAllowedInRequestMixin",
    "Idempotency-Key": "field: the request field `idempotency_key`",
    "X-Fields": (
        "not modelled: a response field mask; a masked answer cannot match the typed response models "
        "(docs/development/ai_horde_api_models.md)"
    ),
}
"""How each swagger header parameter is carried. A header missing here fails the surface test."""


def apply_server_differences(document: dict[str, Any], differences: tuple[ServerDifference, ...]) -> dict[str, Any]:
    """Return a copy of the swagger document with the server's behaviour patched in."""
    patched = copy.deepcopy(document)
    for difference in differences:
        *parents, last = difference.where
        node: Any = patched
        for segment in parents:
            node = _step(node, segment, difference.name)
        if difference.change == "set":
            if isinstance(last, dict):
                raise ValueError(f"{difference.name}: a `set` must end with a key")
            node[last] = copy.deepcopy(difference.value)
        else:
            target = _step(node, last, difference.name)
            if "allOf" in target:
                target = target["allOf"][-1]
            required = target.setdefault("required", [])
            if difference.value not in required:
                required.append(difference.value)
    return patched


def _step(node: Any, segment: str | dict[str, str], name: str) -> Any:
    if isinstance(segment, dict):
        matches = [item for item in node if all(item.get(k) == v for k, v in segment.items())]
        if len(matches) != 1:
            raise KeyError(f"{name}: {segment} selects {len(matches)} items")
        return matches[0]
    if segment not in node:
        raise KeyError(f"{name}: no {segment!r} in the swagger")
    return node[segment]


# ------------------------------------------------------------------------------------------------------------------
# The swagger
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """One (method, path) of the swagger."""

    method: str
    path: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        """``"POST /v2/generate/async"``."""
        return f"{self.method} {self.path}"

    def parameters(self, where: str) -> list[dict[str, Any]]:
        """The parameters of this operation that are ``in`` ``where`` (``path``, ``query``, ``header``, ``body``)."""
        return [p for p in self.spec.get("parameters", []) if p.get("in") == where]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        """The schema of the body parameter, if any."""
        bodies = self.parameters("body")
        return bodies[0]["schema"] if bodies else None

    def success_responses(self) -> dict[int, dict[str, Any] | None]:
        """The 2xx status codes and their schemas (None when the swagger gives none)."""
        return {
            int(code): answer.get("schema")
            for code, answer in self.spec.get("responses", {}).items()
            if str(code).startswith("2")
        }


class Swagger:
    """The swagger document (with :data:`SERVER_DIFFERENCES` applied) and helpers to read it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.raw = document
        self.document = apply_server_differences(document, SERVER_DIFFERENCES)
        self.definitions: dict[str, dict[str, Any]] = self.document["definitions"]

    def operations(self) -> list[Operation]:
        """Every operation, in swagger order."""
        found = []
        for path, item in self.document["paths"].items():
            shared = item.get("parameters", [])
            for method in SWAGGER_HTTP_METHODS:
                if method in item:
                    spec = dict(item[method])
                    spec["parameters"] = [*shared, *spec.get("parameters", [])]
                    found.append(Operation(method.upper(), path, spec))
        return found

    def operation(self, key: str) -> Operation:
        """The operation ``"METHOD /path"``."""
        for operation in self.operations():
            if operation.key == key:
                return operation
        raise KeyError(key)

    @staticmethod
    def ref_name(schema: dict[str, Any]) -> str | None:
        """The definition name a ``$ref`` schema points to."""
        ref = schema.get("$ref")
        return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` until a schema without one."""
        seen = 0
        while (name := self.ref_name(schema)) is not None:
            schema = self.definitions[name]
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {name}")
        return schema

    def flatten(self, schema: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """All properties and required names of an object schema, merging ``allOf`` parts recursively.

        A ``required`` list beside a ``$ref`` (a server difference requiring more of one operation's body than the
        shared definition does) adds to the definition's required names.
        """
        required: set[str] = set(schema.get("required", [])) if "$ref" in schema else set()
        schema = self.resolve(schema)
        properties: dict[str, dict[str, Any]] = {}
        for part in schema.get("allOf", []):
            part_properties, part_required = self.flatten(part)
            properties.update(part_properties)
            required |= part_required
        properties.update(schema.get("properties", {}))
        required |= set(schema.get("required", []))
        return properties, required

    @staticmethod
    def is_wildcard(properties: dict[str, Any]) -> bool:
        """A flask-restx wildcard object: a single ``*`` property (a map with arbitrary keys)."""
        return set(properties) == {"*"}

    def all_of_parent(self, name: str) -> str | None:
        """The definition a definition extends through ``allOf`` (``None`` when it extends none)."""
        for part in self.definitions[name].get("allOf", []):
            if (parent := self.ref_name(part)) is not None:
                return parent
        return None

    # ------------------------------------------------------------------------------------------- examples
    def example(self, schema: dict[str, Any] | None, name: str = "value", depth: int = 0) -> Any:  # noqa: PLR0911, PLR0912
        """A value valid for ``schema``: swagger examples when they satisfy it, else enum values and bounds."""
        if schema is None:
            return {}
        schema = self.resolve(schema)
        if depth > 8:
            return None
        if "allOf" in schema or "properties" in schema:
            properties, _ = self.flatten(schema)
            if self.is_wildcard(properties):
                return self.example(properties["*"], name, depth + 1)
            return {key: self.example(sub, key, depth + 1) for key, sub in properties.items()}
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if "example" in schema and _satisfies(schema, schema["example"]):
            return schema["example"]
        if kind == "array":
            return [self.example(schema.get("items", {}), name, depth + 1)]
        if kind == "object":
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return {f"{name}_key": self.example(extra, name, depth + 1)}
            return {}
        if kind == "integer":
            return int(_number_example(schema, integer=True))
        if kind == "number":
            return float(_number_example(schema, integer=False))
        if kind == "boolean":
            default = schema.get("default")
            return default if isinstance(default, bool) else True
        if kind == "string":
            return _string_example(schema, name)
        return "example"


def _satisfies(schema: dict[str, Any], value: Any) -> bool:  # noqa: PLR0911
    kind = schema.get("type")
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind not in checks or not checks[kind](value):
        return False
    if kind == "string":
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            return False
        if schema.get("format") == "date-time":
            return False
    if kind in ("integer", "number"):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return False
        step = schema.get("multipleOf")
        if step and (value / step) != int(value / step):
            return False
    if kind == "array" and value:
        return all(_satisfies(schema.get("items", {}), item) for item in value if "type" in schema.get("items", {}))
    return True


def _number_example(schema: dict[str, Any], *, integer: bool) -> float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    step = schema.get("multipleOf")
    default = schema.get("default")
    if isinstance(default, int | float) and not isinstance(default, bool) and _satisfies(schema, default):
        return default
    value: float = low if low is not None else (1 if integer else 1.5)
    if high is not None and value > high:
        value = high
    if step:
        value = step * max(1, -(-value // step))
    return value


def _string_example(schema: dict[str, Any], name: str) -> str:
    if schema.get("format") == "date-time":
        return datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC).isoformat()
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    if low == 36 and high == 36:
        return "00000000-0000-4000-8000-000000000000"
    text = f"example {name}"
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None:
        text = text[:high]
    return text


# ------------------------------------------------------------------------------------------------------------------
# The SDK surface
# ------------------------------------------------------------------------------------------------------------------
APIMODELS_PACKAGE = "horde_sdk.ai_horde_api.apimodels"


@dataclass
class Surface:
    """Every exported model of the apimodels package, indexed for the checks."""

    exported: dict[str, type[Any]] = field(default_factory=dict)
    export_errors: dict[str, str] = field(default_factory=dict)
    module_errors: dict[str, str] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Surface:
        """Import every apimodels module and resolve every exported name, recording failures instead of raising."""
        surface = cls()
        package = importlib.import_module(APIMODELS_PACKAGE)
        for info in pkgutil.iter_modules(package.__path__):
            try:
                surface.modules[info.name] = importlib.import_module(f"{APIMODELS_PACKAGE}.{info.name}")
            except Exception as error:
                surface.module_errors[info.name] = f"{type(error).__name__}: {error}"
        for name in package.__all__:
            try:
                value = getattr(package, name)
            except Exception as error:
                surface.export_errors[name] = f"{type(error).__name__}: {error}"
                continue
            if inspect.isclass(value):
                surface.exported[name] = value
        return surface

    def model_classes(self) -> list[type[Any]]:
        """Exported pydantic model classes (requests, responses, sub-models, mixins)."""
        from pydantic import BaseModel

        return [c for c in self.exported.values() if issubclass(c, BaseModel)]

    def request_classes(self) -> list[type[Any]]:
        """Exported concrete request classes."""
        from horde_sdk.generic_api.apimodels import HordeRequest

        return [c for c in self.exported.values() if issubclass(c, HordeRequest) and not inspect.isabstract(c)]

    def response_classes(self) -> list[type[Any]]:
        """Exported concrete response classes."""
        from horde_sdk.generic_api.apimodels import HordeResponse

        return [c for c in self.exported.values() if issubclass(c, HordeResponse) and not inspect.isabstract(c)]

    def named_classes(self) -> list[type[Any]]:
        """Exported concrete HordeAPIObject classes (anything with an API model name)."""
        from horde_sdk.generic_api.apimodels import HordeAPIObject

        return [c for c in self.exported.values() if issubclass(c, HordeAPIObject) and not inspect.isabstract(c)]

    def requests_for(self, method: str, path: str) -> list[type[Any]]:
        """The request classes that claim (method, path)."""
        return [
            c
            for c in self.request_classes()
            if str(c.get_http_method()) == method and str(c.get_api_endpoint_subpath()) == path
        ]

    def classes_for_definition(self, name: str) -> list[type[Any]]:
        """Exported non-request classes whose API model name is ``name``."""
        from horde_sdk.generic_api.apimodels import HordeRequest

        return [c for c in self.named_classes() if not issubclass(c, HordeRequest) and _api_model_name(c) == name]

    def request_classes_for_definition(self, name: str) -> list[type[Any]]:
        """Exported request classes whose body is the definition ``name``."""
        return [c for c in self.request_classes() if _api_model_name(c) == name]

    def answering(self, response_type: type[Any]) -> list[tuple[type[Any], int]]:
        """(request class, status) pairs that answer with exactly ``response_type``."""
        pairs = []
        for request_type in self.request_classes():
            for status, answer in request_type.get_success_status_response_pairs().items():
                if answer is response_type:
                    pairs.append((request_type, int(status)))
        return pairs


def _api_model_name(cls: type[Any]) -> str | None:
    try:
        name: str | None = cls.get_api_model_name()
    except Exception:
        return None
    return name


# ------------------------------------------------------------------------------------------------------------------
# Fixtures and parametrization
# ------------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def aha_swagger(horde_swagger: dict[str, Any]) -> Swagger:
    """The AI Horde swagger with the known server differences applied."""
    return Swagger(horde_swagger)


@pytest.fixture(scope="session")
def aha_surface() -> Surface:
    """The exported models of horde_sdk.ai_horde_api.apimodels."""
    return Surface.load()


def _collection_swagger(config: pytest.Config) -> Swagger:
    """The swagger while collecting, found by the root conftest's own lookup (never a hard-coded path)."""
    for plugin in config.pluginmanager.get_plugins():
        finder = getattr(plugin, "find_swagger_path", None)
        if callable(finder):
            return _load_swagger(str(finder()))
    raise RuntimeError("the root conftest.py (find_swagger_path) is not loaded")


@cache
def _load_swagger(path: str) -> Swagger:
    return Swagger(json.loads(Path(path).read_text(encoding="utf-8")))


def _response_keys(swagger: Swagger) -> Iterator[str]:
    for operation in swagger.operations():
        for status in operation.success_responses():
            yield f"{operation.key} -> {status}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``operation_key``, ``response_key``, ``definition_name`` and ``difference_name``."""
    wanted = {"operation_key", "response_key", "definition_name", "difference_name"} & set(metafunc.fixturenames)
    if not wanted:
        return
    swagger = _collection_swagger(metafunc.config)
    if "operation_key" in wanted:
        keys = [operation.key for operation in swagger.operations()]
        metafunc.parametrize("operation_key", keys, ids=keys)
    if "response_key" in wanted:
        keys = list(_response_keys(swagger))
        metafunc.parametrize("response_key", keys, ids=keys)
    if "definition_name" in wanted:
        names = sorted(swagger.definitions)
        metafunc.parametrize("definition_name", names, ids=names)
    if "difference_name" in wanted:
        names = [difference.name for difference in SERVER_DIFFERENCES]
        metafunc.parametrize("difference_name", names, ids=names)


def server_difference(name: str) -> ServerDifference:
    """The entry of :data:`SERVER_DIFFERENCES` called ``name``."""
    return next(difference for difference in SERVER_DIFFERENCES if difference.name == name)


@pytest.fixture(scope="session")
def aha_differences() -> dict[str, ServerDifference]:
    """The known server/swagger differences by name."""
    return {difference.name: difference for difference in SERVER_DIFFERENCES}


@pytest.fixture(scope="session")
def aha_left_out_operations() -> dict[str, str]:
    """Operations deliberately without a request class, with the reason."""
    return dict(LEFT_OUT_OPERATIONS)


@pytest.fixture(scope="session")
def aha_header_rules() -> dict[str, str]:
    """How each swagger header parameter is carried."""
    return dict(HEADER_RULES)
