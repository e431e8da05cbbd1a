"""Every closed value set (`enum`) of the AI Horde swagger is accounted for.

Each enum found in the swagger maps, through the explicit table below, either to a `KNOWN_*` enum of this package
whose values are a superset of the swagger's, or to an API-level entry with a reason (those enums describe the API
itself, not a generation, and belong to `horde_sdk.ai_horde_api.consts`). An enum missing from the table fails, and
so does a table entry no longer found in the swagger.
"""

from enum import Enum
from typing import Any

import pytest

from horde_sdk.generation_parameters import (
    KNOWN_ALCHEMY_FORMS,
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_IMAGE_WORKFLOWS,
    KNOWN_TI_INJECT_LOCATIONS,
)

_API_LEVEL = "API-level enum, belongs to horde_sdk.ai_horde_api.consts (issue [models])"

# Swagger location -> KNOWN_* enum of this package, or (API-level marker, reason).
ENUM_COVERAGE: dict[str, type[Enum] | tuple[str, str]] = {
    # Generation parameters: this package.
    "definitions.GenerationInputStable.source_processing": KNOWN_IMAGE_SOURCE_PROCESSING,
    "definitions.GenerationPayloadStable.source_processing": KNOWN_IMAGE_SOURCE_PROCESSING,
    "definitions.ModelPayloadRootStable.control_type": KNOWN_IMAGE_CONTROLNETS,
    "definitions.ModelPayloadStyleStable.sampler_name": KNOWN_IMAGE_SAMPLERS,
    "definitions.ModelPayloadStyleStable.post_processing[]": KNOWN_IMAGE_POST_PROCESSORS,
    "definitions.ModelPayloadStyleStable.workflow": KNOWN_IMAGE_WORKFLOWS,
    "definitions.ModelStyleInputParamsStableNoDefaults.sampler_name": KNOWN_IMAGE_SAMPLERS,
    "definitions.ModelStyleInputParamsStableNoDefaults.post_processing[]": KNOWN_IMAGE_POST_PROCESSORS,
    "definitions.ModelStyleInputParamsStableNoDefaults.workflow": KNOWN_IMAGE_WORKFLOWS,
    "definitions.ModelPayloadTextualInversionsStable.inject_ti": KNOWN_TI_INJECT_LOCATIONS,
    "definitions.ModelInterrogationFormStable.name": KNOWN_ALCHEMY_FORMS,
    "definitions.InterrogationPopInput.forms[]": KNOWN_ALCHEMY_FORMS,
    "definitions.InterrogationPopFormPayload.form": KNOWN_ALCHEMY_FORMS,
    # The API itself: horde_sdk.ai_horde_api.
    "definitions.RequestError.rc": (_API_LEVEL, "error return codes of API responses"),
    "definitions.RequestSingleWarning.code": (_API_LEVEL, "warning codes attached to accepted requests"),
    "definitions.Generation.state": (_API_LEVEL, "state of a delivered generation (ok/censored/csam)"),
    "definitions.SubmitInput.state": (_API_LEVEL, "state a worker reports when submitting a job result"),
    "definitions.GenerationMetadataStable.type": (_API_LEVEL, "kinds of metadata a worker attaches to a result"),
    "definitions.GenerationMetadataStable.value": (_API_LEVEL, "metadata values a worker attaches to a result"),
    "definitions.GenerationMetadataKobold.type": (_API_LEVEL, "kinds of metadata a worker attaches to a result"),
    "definitions.GenerationMetadataKobold.value": (_API_LEVEL, "metadata values a worker attaches to a result"),
    "definitions.ResponseModelCollection.type": (_API_LEVEL, "kind of a style collection"),
    "definitions.ResponseModelStylesUser.type": (_API_LEVEL, "kind of a user's style"),
    "definitions.WorkerDetailsLite.type": (_API_LEVEL, "worker type"),
    "definitions.ActiveModel.type": (_API_LEVEL, "model type in the model status list"),
}


def _location(path: tuple[Any, ...]) -> str:
    """Name an enum's place in the swagger readably: definitions.Model.property, [] for array items."""
    if len(path) >= 2 and path[0] == "definitions":
        parts = ["definitions", str(path[1])]
        index = 2
        while index < len(path):
            key = path[index]
            if key == "properties" and index + 1 < len(path):
                parts.append(str(path[index + 1]))
                index += 2
                continue
            if key == "items":
                parts[-1] += "[]"
            elif key == "additionalProperties":
                parts[-1] += "{}"
            index += 1
        return ".".join(parts)
    if len(path) >= 3 and path[0] == "paths" and "parameters" in path:
        # paths./v2/x.get.parameters.<n>: name it by the parameter's own name, added by the walker.
        return ".".join(str(part) for part in path)
    return "/".join(str(part) for part in path)


def _find_enums(node: Any, path: tuple[Any, ...] = ()) -> dict[str, list[Any]]:
    """Every `enum` anywhere in the document (definitions, path parameters, responses, ...), by location."""
    found: dict[str, list[Any]] = {}
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            location = _location(path)
            if path[:1] == ("paths",) and "name" in node:
                location = f"{location}({node['name']})"
            found[location] = list(node["enum"])
        for key, value in node.items():
            if key != "enum":
                found.update(_find_enums(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.update(_find_enums(value, (*path, index)))
    return found


def test_walker_sees_path_parameter_enums() -> None:
    document = {
        "paths": {"/v2/x": {"get": {"parameters": [{"name": "sort", "in": "query", "enum": ["a", "b"]}]}}},
        "definitions": {"M": {"allOf": [{"properties": {"p": {"type": "array", "items": {"enum": ["c"]}}}}]}},
    }
    found = _find_enums(document)
    assert found == {"paths./v2/x.get.parameters.0(sort)": ["a", "b"], "definitions.M.p[]": ["c"]}


def test_every_swagger_enum_is_mapped(horde_swagger: dict[str, Any]) -> None:
    found = _find_enums(horde_swagger)
    assert found, "the walker found no enum at all in the swagger"
    unmapped = sorted(set(found) - set(ENUM_COVERAGE))
    assert not unmapped, (
        f"swagger enums without an entry in ENUM_COVERAGE: {unmapped}; map each to a KNOWN_* enum or to an "
        "API-level entry with a reason"
    )


def test_no_stale_table_entries(horde_swagger: dict[str, Any]) -> None:
    stale = sorted(set(ENUM_COVERAGE) - set(_find_enums(horde_swagger)))
    assert not stale, f"ENUM_COVERAGE entries not found in the swagger any more: {stale}"


@pytest.mark.parametrize("location", sorted(ENUM_COVERAGE))
def test_mapped_enum_is_covered(location: str, horde_swagger: dict[str, Any]) -> None:
    swagger_values = _find_enums(horde_swagger).get(location)
    assert swagger_values is not None, f"{location} is not in the swagger"
    target = ENUM_COVERAGE[location]
    if isinstance(target, tuple):
        marker, reason = target
        assert marker == _API_LEVEL
        assert reason.strip(), f"{location}: an API-level entry needs a reason"
        return
    known_values = {member.value for member in target}
    missing = sorted(set(swagger_values) - known_values)
    assert not missing, f"{target.__name__} lacks swagger values of {location}: {missing}"
    # Values are the exact wire strings: no auto(), case kept.
    assert all(isinstance(value, str) for value in known_values)
