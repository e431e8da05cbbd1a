"""Model hierarchy, strict/lenient configuration, frozen models and the (un)hashable markers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from pydantic import ValidationError

from horde_sdk.generic_api.apimodels import (
    HordeAPIData,
    HordeAPIObjectBaseModel,
    HordeRequest,
    HordeResponseBaseModel,
    HordeResponseRootModel,
    RequestErrorResponse,
)
from horde_sdk.generic_api.consts import (
    ModelStrictness,
    get_default_frozen_model_config_dict,
    get_model_strictness,
    get_request_model_config_dict,
)
from horde_sdk.generic_api.decoration import Unequatable, Unhashable, is_unequatable, is_unhashable
from horde_sdk.generic_api.testing import enable_strict_models, strict_models_enabled


def test_the_test_suite_runs_in_strict_mode():
    assert strict_models_enabled()
    assert get_model_strictness() is ModelStrictness.STRICT
    assert get_default_frozen_model_config_dict()["extra"] == "forbid"
    enable_strict_models()  # idempotent once strict


def test_strict_models_reject_unknown_fields(api):
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        api.JobStatusResponse.model_validate({"done": True, "surprise": 1})


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False)


def test_production_models_are_lenient_and_keep_unknown_fields():
    result = run_python(
        """
        from pydantic import Field
        from horde_sdk.generic_api.apimodels import HordeResponseBaseModel
        class Status(HordeResponseBaseModel):
            done: bool = Field(description="d")
            @classmethod
            def get_api_model_name(cls): return "Status"
        parsed = Status.model_validate({"done": True, "new_server_field": 3})
        print(parsed.done, parsed.model_extra)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True {'new_server_field': 3}"


def test_enabling_strict_mode_after_models_exist_is_refused():
    result = run_python(
        """
        import horde_sdk.generic_api.apimodels
        from horde_sdk.generic_api.testing import enable_strict_models
        try:
            enable_strict_models()
        except RuntimeError as error:
            print("refused:", "before importing" in str(error))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused: True"


# The base classes spell their configuration out as `ConfigDict(...)` keywords, the only form pydantic's mypy plugin
# reads; these keep those copies equal to the helpers, the one definition users and subclasses call.
SPELLED_OUT_BASES = {
    "HordeAPIObjectBaseModel": "get_default_frozen_model_config_dict",
    "HordeAPIData": "get_default_frozen_model_config_dict",
    "HordeResponseBaseModel": "get_default_frozen_model_config_dict",
    "HordeRequest": "get_request_model_config_dict",
}


def test_the_spelled_out_base_configurations_equal_the_helpers():
    bases = {
        cls.__name__: cls for cls in (HordeAPIObjectBaseModel, HordeAPIData, HordeResponseBaseModel, HordeRequest)
    }
    helpers = {"get_default_frozen_model_config_dict": get_default_frozen_model_config_dict}
    helpers["get_request_model_config_dict"] = get_request_model_config_dict
    for base, helper in SPELLED_OUT_BASES.items():
        assert dict(bases[base].model_config) == dict(helpers[helper]()), base


def test_the_spelled_out_base_configurations_equal_the_helpers_in_production():
    result = run_python(
        f"""
        from horde_sdk.generic_api import apimodels, consts
        for base, helper in {SPELLED_OUT_BASES!r}.items():
            print(base, dict(getattr(apimodels, base).model_config) == dict(getattr(consts, helper)()))
        print(apimodels.HordeAPIData.model_config["extra"])
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [word for base in SPELLED_OUT_BASES for word in (base, "True")] + ["allow"]


def test_requests_are_strict_even_in_production():
    result = run_python(
        """
        from http import HTTPMethod
        from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponseBaseModel
        class R(HordeRequest):
            prompt: str
            @classmethod
            def get_api_model_name(cls): return None
            @classmethod
            def get_http_method(cls): return HTTPMethod.POST
            @classmethod
            def get_api_endpoint_subpath(cls): return "/x"
            @classmethod
            def get_default_success_response_type(cls): return HordeResponseBaseModel
        try:
            R(prompt="a", promtp="typo")
        except ValueError:
            print("rejected")
        """
    )
    assert result.stdout.strip() == "rejected", result.stderr


def test_models_are_frozen_hashable_and_equal_by_fields(api):
    first = api.JobStatusResponse(done=True, finished=2)
    second = api.JobStatusResponse.model_validate_json(first.model_dump_json())
    assert first == second
    assert hash(first) == hash(second)
    assert first.time_constructed <= second.time_constructed
    with pytest.raises(ValidationError, match="frozen"):
        first.done = False
    request = api.JobStatusRequest(id_="x")
    assert request == api.JobStatusRequest.model_validate(request.model_dump())
    assert hash(request) == hash(api.JobStatusRequest(id_="x"))


def test_root_model_responses_are_equatable_and_hashable():
    class Names(HordeResponseRootModel[tuple[str, ...]]):
        @classmethod
        def get_api_model_name(cls) -> str | None:
            return "_ANONYMOUS_MODEL"

    first = Names.model_validate(["a", "b"])
    assert first == Names.model_validate_json('["a", "b"]')
    assert hash(first) == hash(Names(("a", "b")))
    assert first.root == ("a", "b")


def test_unhashable_and_unequatable_mark_a_class():
    assert is_unhashable(RequestErrorResponse)
    assert is_unequatable(RequestErrorResponse)
    with pytest.raises(TypeError):
        hash(RequestErrorResponse(message="m", errors={"a": "b"}))

    @Unhashable
    @Unequatable
    class Marked:
        pass

    assert is_unhashable(Marked)
    assert is_unequatable(Marked)
    assert not is_unhashable(object)


def test_log_safe_dump_hides_keys_and_presigned_queries(api):
    request = api.CreateJobRequest(prompt="see https://r2.example/x.webp?X-Amz-Signature=abc", apikey="secret-1")
    dumped = request.log_safe_model_dump()
    assert "secret-1" not in repr(dumped)
    assert "X-Amz-Signature" not in repr(dumped)
    assert "secret-1" not in repr(request)
    assert dumped["prompt"].startswith("see https://r2.example/x.webp?")


def test_a_lenient_mixin_after_the_request_base_cannot_make_a_request_lenient():
    result = run_python(
        """
        from http import HTTPMethod
        from pydantic import Field
        from horde_sdk.generic_api.apimodels import HordeAPIData, HordeRequest, HordeResponseBaseModel
        class LenientMixin(HordeAPIData):
            note: str | None = Field(default=None, description="n")
        class R(HordeRequest, LenientMixin):
            prompt: str
            @classmethod
            def get_api_model_name(cls): return None
            @classmethod
            def get_http_method(cls): return HTTPMethod.POST
            @classmethod
            def get_api_endpoint_subpath(cls): return "/x"
            @classmethod
            def get_default_success_response_type(cls): return HordeResponseBaseModel
        print(LenientMixin.model_config["extra"], R.model_config["extra"])
        try:
            R(prompt="a", promtp="typo")
        except ValueError:
            print("rejected")
        """
    )
    assert result.stdout.split() == ["allow", "forbid", "rejected"], result.stderr


class _Entry(HordeResponseBaseModel):
    name: str

    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "Entry"


class _Entries(HordeResponseRootModel[tuple[_Entry, ...]]):
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "_ANONYMOUS_MODEL"


def test_nested_responses_are_built_without_a_python_hook_per_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    # A declared private attribute (or a custom __init__ pydantic calls) runs Python for every entry of a list.
    for cls in (_Entry, _Entries, RequestErrorResponse):
        assert cls.__pydantic_post_init__ is None, cls
        assert not cls.__pydantic_custom_init__, cls
    clock = iter([10.0, 20.0, 30.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    listing = _Entries.model_validate_json(json.dumps([{"name": str(i)} for i in range(50)]))
    assert listing.time_constructed == 10.0  # stamped by the call, once
    assert listing.root[0].__pydantic_private__ is None  # entries untouched while parsing
    assert listing.root[3].time_constructed == 20.0  # an entry is stamped when first asked
    assert listing.root[3].time_constructed == 20.0
    assert listing == _Entries.model_validate([{"name": str(i)} for i in range(50)])


@pytest.mark.parametrize(
    "build",
    [
        lambda: _Entry(name="a"),
        lambda: _Entry.model_validate({"name": "a"}),
        lambda: _Entry.model_validate_json('{"name": "a"}'),
        lambda: _Entry.model_validate_strings({"name": "a"}),
        lambda: _Entry.model_construct(name="a"),
        lambda: _Entries([_Entry(name="a")]),  # type: ignore[arg-type]  # a list on purpose: validation makes it the tuple
        lambda: _Entries.model_validate_json('[{"name": "a"}]'),
    ],
)
def test_every_way_of_building_a_response_stamps_it(build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "monotonic", lambda: 7.0)
    built = build()
    monkeypatch.setattr(time, "monotonic", lambda: 99.0)
    assert built.time_constructed == 7.0
    assert built._time_constructed == 7.0
    assert built.model_copy().time_constructed == 7.0
