"""Request building: URLs with 0-2 path values, query/header placement, JSON bodies, bad input."""

from __future__ import annotations

import httpx
import pytest

from horde_sdk.generic_api.core import RequestCore
from horde_sdk.generic_api.exceptions import HordeRequestBuildError
from horde_sdk.generic_api.generic_clients import GenericHordeAPIManualClient
from horde_sdk.generic_api.settings import HordeClientSettings


@pytest.fixture
def core(api) -> RequestCore:
    return RequestCore(
        HordeClientSettings(api_key="client-key-123", client_agent="tests:1:x"),
        header_fields=api.FakeHeaderFields,
        query_fields=api.FakeQueryFields,
        path_fields=api.FakePathFields,
    )


def test_url_without_path_values(core, api):
    prepared = core.build(api.HeartbeatRequest())
    assert prepared.url == "https://horde.test/api/v2/status/heartbeat"
    assert prepared.method == "GET"
    assert prepared.json_body is None
    assert prepared.params == []


def test_url_with_one_path_value_uses_alias_and_encodes(core, api):
    prepared = core.build(api.JobStatusRequest(id_="abc/../d?x=1"))
    assert prepared.url == "https://horde.test/api/v2/jobs/abc%2F..%2Fd%3Fx%3D1"
    assert prepared.path_template == "/v2/jobs/{id}"
    assert "{" not in prepared.url


def test_url_with_two_path_values(core, api):
    prepared = core.build(api.TeamMemberRequest(team_id="t-1", member_id=7))
    assert prepared.url == "https://horde.test/api/v2/teams/t-1/members/7"


def test_query_fields_go_to_the_query_string(core, api):
    prepared = core.build(
        api.TeamMemberRequest(team_id="t", member_id=1, page=2, tags=("a", "b"), include_details=True)
    )
    assert prepared.params == [("page", "2"), ("tag", "a"), ("tag", "b"), ("details", "true")]
    assert prepared.json_body is None


def test_headers_use_wire_names(core, api):
    prepared = core.build(api.CreateJobRequest(prompt="a cat", trace_id="trace-9"))
    assert prepared.headers["apikey"] == "client-key-123"
    assert prepared.headers["Client-Agent"] == "tests:1:x"
    assert prepared.headers["X-Trace-Id"] == "trace-9"
    assert prepared.headers["Accept"] == "application/json"
    assert "trace_id" not in prepared.json_body
    assert "X-Trace-Id" not in prepared.json_body


def test_request_api_key_overrides_the_client_key(core, api):
    prepared = core.build(api.CreateJobRequest(prompt="a cat", apikey="per-request-key"))
    assert prepared.headers["apikey"] == "per-request-key"
    assert "apikey" not in prepared.json_body


def test_body_holds_set_required_and_always_sent_fields_by_alias(core, api):
    prepared = core.build(api.CreateJobRequest(prompt="a cat", model_name="turbo"))
    # prompt: required; model: set by the caller (sent under its alias); r2: always sent.
    assert prepared.json_body == {"prompt": "a cat", "model": "turbo", "r2": True}
    assert prepared.method == "POST"


def test_explicitly_set_default_is_sent(core, api):
    prepared = core.build(api.CreateJobRequest(prompt="a cat", n=1, dry_run=False))
    assert prepared.json_body == {"prompt": "a cat", "n": 1, "dry_run": False, "r2": True}


def test_no_body_on_delete(core, api):
    prepared = core.build(api.CancelJobRequest(id_="j1"))
    assert prepared.method == "DELETE"
    assert prepared.json_body is None


def test_get_with_body_fields_is_refused(core, api):
    with pytest.raises(HordeRequestBuildError, match="carry no body"):
        core.build(api.GetWithBodyRequest())


def test_empty_path_value_is_refused(core, api):
    with pytest.raises(HordeRequestBuildError, match="path field 'id_' is empty"):
        core.build(api.JobStatusRequest(id_=""))


def test_unknown_request_field_is_refused_before_sending(api):
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        api.CreateJobRequest(prompt="x", stpes=30)


def test_header_value_with_newline_is_refused(core, api):
    with pytest.raises(HordeRequestBuildError, match="spans lines"):
        core.build(api.CreateJobRequest(prompt="a", trace_id="x\r\nInjected: 1"))


def test_base_url_from_settings_overrides_request_default(api):
    core = RequestCore(HordeClientSettings(base_url="http://127.0.0.1:7001/api/"), path_fields=api.FakePathFields)
    assert core.build(api.HeartbeatRequest()).url == "http://127.0.0.1:7001/api/v2/status/heartbeat"


def test_the_wire_request_matches_the_prepared_request(server, api, client_kwargs):
    server.add("POST /api/v2/jobs", httpx.Response(202, json={"id": "j1", "kudos": 10}))
    with GenericHordeAPIManualClient(http_client=server.sync_client(), api_key="k-1", **client_kwargs) as client:
        client.submit_request(api.CreateJobRequest(prompt="a dog", trace_id="t"))
    (sent,) = server.seen
    assert str(sent.url) == "https://horde.test/api/v2/jobs"
    assert sent.headers["apikey"] == "k-1"
    assert sent.headers["client-agent"] == "tests:1.0:tests@example.invalid"
    assert sent.headers["x-trace-id"] == "t"
    assert server.body(sent) == {"prompt": "a dog", "r2": True}


def test_get_sends_no_body_on_the_wire(server, api, client_kwargs):
    server.add("GET /api/v2/teams/t/members/3", httpx.Response(200, json={"message": "ok"}))
    with GenericHordeAPIManualClient(http_client=server.sync_client(), **client_kwargs) as client:
        client.submit_request(api.TeamMemberRequest(team_id="t", member_id=3, page=1))
    (sent,) = server.seen
    assert sent.content == b""
    assert sent.url.params["page"] == "1"
    assert "apikey" not in sent.headers  # no key configured, none sent


def test_a_path_field_is_not_also_sent_as_query(api):
    from horde_sdk.generic_api.metadata import GenericPathFields, GenericQueryFields

    class QueryToo(GenericQueryFields):
        team_id = "team_id"
        page = "page"
        tags = "tag"
        include_details = "details"

    class Paths(GenericPathFields):
        team_id = "team_id"
        member_id = "member_id"

    core = RequestCore(HordeClientSettings(), query_fields=QueryToo, path_fields=Paths)
    prepared = core.build(api.TeamMemberRequest(team_id="t9", member_id=1, page=3))
    assert prepared.url.endswith("/v2/teams/t9/members/1")
    assert prepared.params == [("page", "3")]


def test_query_named_fields_of_a_body_request_go_in_the_body(api):
    from horde_sdk.generic_api.metadata import GenericQueryFields

    class Query(GenericQueryFields):
        page = "page"
        model_name = "model"

    core = RequestCore(HordeClientSettings(), query_fields=Query, path_fields=api.FakePathFields)
    prepared = core.build(api.CreateJobRequest(prompt="x", model_name="turbo"))
    assert prepared.params == []
    assert prepared.json_body["model"] == "turbo"


def test_delete_carries_a_body_only_when_the_request_says_so(api):
    class DeleteWithBody(api.CancelJobRequest):  # type: ignore[name-defined,misc]  # api is a SimpleNamespace, its classes unknown to mypy
        reason: str = "no longer needed"

    core = RequestCore(HordeClientSettings(), path_fields=api.FakePathFields)
    with pytest.raises(HordeRequestBuildError, match="carry no body"):
        core.build(DeleteWithBody(id_="j", reason="x"))

    class AllowedDeleteWithBody(DeleteWithBody):
        @classmethod
        def is_delete_with_body(cls) -> bool:
            return True

    prepared = core.build(AllowedDeleteWithBody(id_="j", reason="done"))
    assert prepared.method == "DELETE"
    assert prepared.json_body == {"reason": "done"}


def test_per_class_parts_are_shared_but_never_leak_between_requests(core, api):
    """What build caches per class (URL, base headers) is copied: one request's headers do not reach the next."""
    first = core.build(api.CreateJobRequest(prompt="a", trace_id="trace-1"))
    first.headers["X-Injected"] = "mutated after build"
    second = core.build(api.CreateJobRequest(prompt="b"))
    assert "X-Trace-Id" not in second.headers
    assert "X-Injected" not in second.headers
    assert second.headers["apikey"] == "client-key-123"


def test_replaced_settings_reach_the_next_request(core, api):
    """The per-class cache follows the core's settings: a new key or base URL is used at once."""
    assert core.build(api.HeartbeatRequest()).headers["apikey"] == "client-key-123"
    core.settings = HordeClientSettings(base_url="http://127.0.0.1:9/api", client_agent="tests:2:x")
    prepared = core.build(api.HeartbeatRequest())
    assert prepared.url == "http://127.0.0.1:9/api/v2/status/heartbeat"
    assert "apikey" not in prepared.headers
    assert prepared.headers["Client-Agent"] == "tests:2:x"


def test_an_overridden_is_idempotent_is_asked_of_every_request(core, api):
    """Only the method-based default is cached per class; a class deciding per instance is asked each time."""

    class KeyedCreate(api.CreateJobRequest):  # type: ignore[name-defined,misc]  # api is a SimpleNamespace, its classes unknown to mypy
        def is_idempotent(self) -> bool:
            return self.trace_id is not None

    assert core.build(KeyedCreate(prompt="a", trace_id="once")).idempotent is True
    assert core.build(KeyedCreate(prompt="a")).idempotent is False
    assert core.build(api.CreateJobRequest(prompt="a")).idempotent is False
    assert core.build(api.HeartbeatRequest()).idempotent is True
