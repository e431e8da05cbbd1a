"""Workers, worker messages and teams: wire form of every request, parsing of realistic answers, speed."""

from __future__ import annotations

import datetime
import json
import logging
import time
from http import HTTPStatus
from typing import Any

import pytest
from pydantic import ValidationError

from horde_sdk.ai_horde_api.apimodels.common import SimpleResponse
from horde_sdk.ai_horde_api.apimodels.status import ActiveModelLite
from horde_sdk.ai_horde_api.apimodels.teams import (
    AllTeamDetailsRequest,
    AllTeamDetailsResponse,
    CreateTeamRequest,
    DeleteTeamRequest,
    DeleteTeamResponse,
    ModifyTeamRequest,
    ModifyTeamResponse,
    SingleTeamDetailsRequest,
    SingleTeamDetailsResponse,
)
from horde_sdk.ai_horde_api.apimodels.workers import (
    KNOWN_WORKER_MESSAGE_VALIDITY,
    AllWorkerMessagesRequest,
    AllWorkerMessagesResponse,
    AllWorkersDetailsRequest,
    AllWorkersDetailsResponse,
    DeleteWorkerMessageRequest,
    DeleteWorkerRequest,
    DeleteWorkerResponse,
    ModifyWorkerRequest,
    ModifyWorkerResponse,
    SendWorkerMessageRequest,
    SingleWorkerDetailsRequest,
    SingleWorkerDetailsResponse,
    SingleWorkerMessageRequest,
    SingleWorkerNameDetailsRequest,
    TeamDetailsLite,
    WorkerDetailsLite,
    WorkerMessageResponse,
)
from horde_sdk.ai_horde_api.consts import WORKER_TYPE
from horde_sdk.ai_horde_api.fields import MessageID, TeamID, UserID, WorkerID
from horde_sdk.ai_horde_api.metadata import AIHordeHeaderFields, AIHordePathFields, AIHordeQueryFields
from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse
from horde_sdk.generic_api.core import PreparedRequest, RequestCore
from horde_sdk.generic_api.settings import HordeClientSettings

API = "https://aihorde.net/api"
WORKER_ID = "dc0704ab-5b42-4c65-8471-561be16ad696"
TEAM_ID = "0bed257b-e57c-4327-ac64-40cdfb1ac5e6"
MESSAGE_ID = "e1a2b3c4-d5e6-4f70-8a9b-0c1d2e3f4a5b"


def _build(request: HordeRequest) -> PreparedRequest:
    core = RequestCore(
        HordeClientSettings(),
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
    )
    return core.build(request)


WIRE_CASES: list[Any] = [
    pytest.param(AllWorkersDetailsRequest(), "GET", "/v2/workers", [], None, id="workers"),
    pytest.param(
        AllWorkersDetailsRequest(type_=WORKER_TYPE.interrogation, name="Blue Heron", apikey="mod-key"),
        "GET",
        "/v2/workers",
        [("type", "interrogation"), ("name", "Blue Heron")],
        None,
        id="workers-filtered",
    ),
    pytest.param(
        SingleWorkerDetailsRequest(worker_id=WorkerID(WORKER_ID)),
        "GET",
        f"/v2/workers/{WORKER_ID}",
        [],
        None,
        id="by-id",
    ),
    pytest.param(
        SingleWorkerNameDetailsRequest(worker_name="Blue_Heron"),
        "GET",
        "/v2/workers/name/Blue_Heron",
        [],
        None,
        id="by-name",
    ),
    pytest.param(
        ModifyWorkerRequest(
            worker_id=WorkerID(WORKER_ID),
            maintenance=True,
            maintenance_msg="Drivers update tonight.",
            name_="Blue Heron II",
            team="",
            apikey="mod-key",
        ),
        "PUT",
        f"/v2/workers/{WORKER_ID}",
        [],
        {"maintenance": True, "maintenance_msg": "Drivers update tonight.", "name": "Blue Heron II", "team": ""},
        id="modify-worker",
    ),
    pytest.param(
        DeleteWorkerRequest(worker_id=WorkerID(WORKER_ID), apikey="mod-key"),
        "DELETE",
        f"/v2/workers/{WORKER_ID}",
        [],
        None,
        id="delete-worker",
    ),
    pytest.param(
        AllWorkerMessagesRequest(apikey="mod-key"), "GET", "/v2/workers/messages", [], None, id="messages-defaults"
    ),
    pytest.param(
        AllWorkerMessagesRequest(
            user_id=UserID(6572),
            worker_id=WorkerID(WORKER_ID),
            validity=KNOWN_WORKER_MESSAGE_VALIDITY.all,
            page=2,
            apikey="mod-key",
        ),
        "GET",
        "/v2/workers/messages",
        [("page", "2"), ("user_id", "6572"), ("validity", "all"), ("worker_id", WORKER_ID)],
        None,
        id="messages-filtered",
    ),
    pytest.param(
        SendWorkerMessageRequest(
            worker_id_=WorkerID(WORKER_ID),
            message="Your worker returns black images; please check it.",
            origin="AI Horde Moderators",
            expiry=48,
            apikey="mod-key",
        ),
        "POST",
        "/v2/workers/messages",
        [],
        {
            "worker_id": WORKER_ID,
            "message": "Your worker returns black images; please check it.",
            "origin": "AI Horde Moderators",
            "expiry": 48,
        },
        id="send-message",
    ),
    pytest.param(
        SingleWorkerMessageRequest(message_id=MessageID(MESSAGE_ID)),
        "GET",
        f"/v2/workers/messages/{MESSAGE_ID}",
        [],
        None,
        id="message",
    ),
    pytest.param(
        DeleteWorkerMessageRequest(message_id=MessageID(MESSAGE_ID), apikey="mod-key"),
        "DELETE",
        f"/v2/workers/messages/{MESSAGE_ID}",
        [],
        None,
        id="delete-message",
    ),
    pytest.param(AllTeamDetailsRequest(), "GET", "/v2/teams", [], None, id="teams"),
    pytest.param(
        CreateTeamRequest(name_="Direct Action", info="Anarchy is emergent order.", apikey="mod-key"),
        "POST",
        "/v2/teams",
        [],
        {"name": "Direct Action", "info": "Anarchy is emergent order."},
        id="create-team",
    ),
    pytest.param(
        SingleTeamDetailsRequest(team_id=TeamID(TEAM_ID)), "GET", f"/v2/teams/{TEAM_ID}", [], None, id="team"
    ),
    pytest.param(
        ModifyTeamRequest(team_id=TeamID(TEAM_ID), name_="Indirect Action", apikey="mod-key"),
        "PATCH",
        f"/v2/teams/{TEAM_ID}",
        [],
        {"name": "Indirect Action"},
        id="modify-team",
    ),
    pytest.param(
        DeleteTeamRequest(team_id=TeamID(TEAM_ID), apikey="mod-key"),
        "DELETE",
        f"/v2/teams/{TEAM_ID}",
        [],
        None,
        id="del-team",
    ),
]


@pytest.mark.parametrize(("request_model", "method", "path", "params", "body"), WIRE_CASES)
def test_request_wire_form(
    request_model: HordeRequest, method: str, path: str, params: list[tuple[str, str]], body: Any
) -> None:
    prepared = _build(request_model)
    assert prepared.method == method
    assert prepared.url == API + path
    assert sorted(prepared.params) == sorted(params)
    assert prepared.json_body == body
    if getattr(request_model, "apikey", None):
        assert prepared.headers["apikey"] == "mod-key"


def test_body_fields_named_like_query_fields_stay_in_the_body() -> None:
    assert SendWorkerMessageRequest(worker_id_=WorkerID(WORKER_ID), message="hi").worker_id_ == WORKER_ID
    assert ModifyWorkerRequest(worker_id=WorkerID(WORKER_ID), name_="Blue Heron II").name_ == "Blue Heron II"
    assert CreateTeamRequest(name_="Direct Action").name_ == "Direct Action"


def test_request_bounds_are_enforced() -> None:
    with pytest.raises(ValidationError):
        SendWorkerMessageRequest(worker_id_=WorkerID(WORKER_ID), message="hi", expiry=721)
    with pytest.raises(ValidationError):
        SendWorkerMessageRequest(worker_id_=WorkerID("short"), message="hi")
    with pytest.raises(ValidationError):
        ModifyWorkerRequest(worker_id=WorkerID(WORKER_ID), name_="abc")
    with pytest.raises(ValidationError):
        CreateTeamRequest(name_="ab")
    with pytest.raises(ValidationError):
        CreateTeamRequest()  # type: ignore[call-arg]  # no name on purpose: the error under test


def test_unknown_worker_type_and_validity_are_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        request = AllWorkersDetailsRequest(type_="video")
        messages = AllWorkerMessagesRequest(validity="pinned")
    assert request.type_ == "video"
    assert messages.validity == "pinned"
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "video" in logged
    assert "pinned" in logged


# --------------------------------------------------------------------------------------- responses
# A message as the real server answers it (BEHAVIOUR.md): an `id`, and `created`/`expiry` as date strings.
MESSAGE = {
    "id": MESSAGE_ID,
    "worker_id": WORKER_ID,
    "user_id": "1",
    "message": "Your worker returns black images; please check it.",
    "origin": "AI Horde Moderators",
    "expiry": "Mon, 07 Dec 2026 01:50:40 -0000",
    "created": "Sun, 06 Dec 2026 13:50:40 -0000",
}


def _worker(index: int, kind: str = "image") -> dict[str, Any]:
    worker: dict[str, Any] = {
        "type": kind,
        "name": f"Blue Heron {index}",
        "id": f"dc0704ab-5b42-4c65-8471-{index:012d}",
        "online": index % 3 != 0,
        "requests_fulfilled": 120_334 + index,
        "kudos_rewards": 4_402_118.5,
        "kudos_details": {"generated": 4_100_000.5, "uptime": 302_118},
        "performance": "1.4 megapixelsteps per second",
        "threads": 2,
        "uptime": 8_204_113,
        "maintenance_mode": False,
        "info": "RTX 4090, reGen",
        "nsfw": True,
        "trusted": True,
        "flagged": False,
        "uncompleted_jobs": 14,
        "models": ["AlbedoBase XL (SDXL)", "Deliberate", "Flux.1-Schnell fp8 (Compact)"],
        "forms": [],
        "team": {"name": "Direct Action", "id": TEAM_ID},
        "bridge_agent": "AI Horde Worker reGen:9.0.2:https://github.com/Haidra-Org/horde-worker-reGen",
        "max_pixels": 4_194_304,
        "megapixelsteps_generated": 98_220_113.4,
        "img2img": True,
        "painting": True,
        "post-processing": True,
        "lora": True,
        "controlnet": True,
        "sdxl_controlnet": False,
        "max_length": 0,
        "max_context_length": 0,
        "tokens_generated": 0.0,
    }
    if kind == "text":
        worker.update(
            models=["koboldcpp/L3-8B-Stheno-v3.2"],
            max_length=512,
            max_context_length=8192,
            tokens_generated=88_204_113.0,
            bridge_agent="KoboldCppEmbedWorker:2:https://github.com/LostRuins/koboldcpp",
        )
    return worker


PRIVILEGED_WORKER = _worker(7) | {
    "paused": False,
    "owner": "Tazlin#6572",
    "ipaddr": "203.0.113.17",
    "suspicious": 0,
    "contact": "tazlin@example.com",
    "messages": [MESSAGE],
}

TEAM = {
    "name": "Direct Action",
    "id": TEAM_ID,
    "info": "Anarchy is emergent order.",
    "requests_fulfilled": 9_204_118,
    "kudos": 220_304_118.5,
    "uptime": 902_113_004,
    "creator": "db0#1",
    "worker_count": 2,
    "workers": [
        {"type": "image", "name": "Blue Heron 1", "id": WORKER_ID, "online": True},
        {"type": "text", "name": "Night Owl", "id": "7fe3b2d1-0f4a-4b9e-9cb2-51c6a7e2f0d4", "online": False},
    ],
    "models": [{"name": "AlbedoBase XL (SDXL)", "count": 1}, {"name": "koboldcpp/L3-8B-Stheno-v3.2", "count": 1}],
}

RESPONSE_CASES: list[Any] = [
    pytest.param(AllWorkersDetailsResponse, [_worker(1), _worker(2, "text"), _worker(3)], id="workers"),
    pytest.param(SingleWorkerDetailsResponse, _worker(1), id="worker-public"),
    pytest.param(SingleWorkerDetailsResponse, PRIVILEGED_WORKER, id="worker-privileged"),
    pytest.param(
        SingleWorkerDetailsResponse,
        {"bridge_agent": "AI Horde Worker reGen:9.0.2:https://github.com/Haidra-Org/horde-worker-reGen"},
        id="worker-minimal",
    ),
    pytest.param(
        ModifyWorkerResponse, {"maintenance": True, "name": "Blue Heron II", "team": TEAM_ID}, id="modify-worker"
    ),
    pytest.param(DeleteWorkerResponse, {"deleted_id": WORKER_ID, "deleted_name": "Blue Heron"}, id="delete-worker"),
    pytest.param(
        AllWorkerMessagesResponse,
        [MESSAGE, {k: v for k, v in MESSAGE.items() if k != "worker_id"} | {"id": "b" * 36}],
        id="messages",
    ),
    pytest.param(WorkerMessageResponse, MESSAGE, id="message"),
    pytest.param(SimpleResponse, {"message": "OK"}, id="delete-message"),
    pytest.param(AllTeamDetailsResponse, [TEAM], id="teams"),
    pytest.param(SingleTeamDetailsResponse, TEAM, id="team"),
    pytest.param(
        ModifyTeamResponse, {"id": TEAM_ID, "name": "Direct Action", "info": "Anarchy is emergent order."}, id="team+"
    ),
    pytest.param(DeleteTeamResponse, {"deleted_id": TEAM_ID, "deleted_name": "Direct Action"}, id="delete-team"),
]


@pytest.mark.parametrize(("response_type", "data"), RESPONSE_CASES)
def test_response_parses_strictly_and_round_trips(response_type: type[Any], data: Any) -> None:
    parsed = response_type.model_validate_json(json.dumps(data))
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    if response_type is SingleWorkerDetailsResponse and "nsfw" not in data:
        dumped.pop("nsfw")
    assert dumped == data
    again = response_type.model_validate(dumped)
    assert again == parsed
    assert hash(again) == hash(parsed)


def test_worker_details_extend_the_lite_form() -> None:
    worker = SingleWorkerDetailsResponse.model_validate(PRIVILEGED_WORKER)
    assert isinstance(worker, WorkerDetailsLite)
    assert worker.type_ is WORKER_TYPE.image
    assert worker.post_processing is True
    assert isinstance(worker.team, TeamDetailsLite)
    assert worker.team.id_ == TEAM_ID
    assert worker.messages is not None
    assert worker.messages[0].expiry == "Mon, 07 Dec 2026 01:50:40 -0000"


def test_a_message_reads_as_the_server_sends_it() -> None:
    """The three message operations' answers (BEHAVIOUR.md): date strings and an id, readable as datetimes."""
    listed = AllWorkerMessagesResponse.model_validate_json(json.dumps([MESSAGE]))
    single = WorkerMessageResponse.model_validate_json(json.dumps(MESSAGE))
    assert listed.root == (single,)
    assert single.id_ == MESSAGE_ID
    assert single.expires_at == datetime.datetime(2026, 12, 7, 1, 50, 40, tzinfo=datetime.UTC)
    assert single.created_at == datetime.datetime(2026, 12, 6, 13, 50, 40, tzinfo=datetime.UTC)
    assert single.user_id == "1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 07 Dec 2026 01:50:40 -0000", datetime.datetime(2026, 12, 7, 1, 50, 40, tzinfo=datetime.UTC)),
        ("2026-12-07T01:50:40", datetime.datetime(2026, 12, 7, 1, 50, 40, tzinfo=datetime.UTC)),
        ("not a date", None),
    ],
)
def test_message_dates_that_cannot_be_read_are_none(text: str, expected: datetime.datetime | None) -> None:
    assert WorkerMessageResponse.model_validate(MESSAGE | {"expiry": text}).expires_at == expected


def test_worker_details_need_the_bridge_agent() -> None:
    with pytest.raises(ValidationError):
        SingleWorkerDetailsResponse.model_validate({"name": "no agent"})


def test_team_details_extend_the_lite_form() -> None:
    team = SingleTeamDetailsResponse.model_validate(TEAM)
    assert isinstance(team, TeamDetailsLite)
    assert team.id_ == TEAM_ID
    assert team.workers is not None
    assert team.workers[1].type_ is WORKER_TYPE.text
    assert team.models is not None
    assert isinstance(team.models[0], ActiveModelLite)


def test_three_hundred_workers_parse_quickly() -> None:
    payload = json.dumps([_worker(index, "text" if index % 4 == 0 else "image") for index in range(300)]).encode()
    AllWorkersDetailsResponse.model_validate_json(payload)  # builds the validators once
    started = time.perf_counter()
    for _ in range(5):
        parsed = AllWorkersDetailsResponse.model_validate_json(payload)
    per_parse = (time.perf_counter() - started) / 5
    assert len(parsed.root) == 300
    assert per_parse < 0.25, f"parsing 300 workers took {per_parse:.3f} s"


REQUEST_RESPONSES: list[tuple[type[HordeRequest], type[HordeResponse]]] = [
    (AllWorkersDetailsRequest, AllWorkersDetailsResponse),
    (SingleWorkerDetailsRequest, SingleWorkerDetailsResponse),
    (SingleWorkerNameDetailsRequest, SingleWorkerDetailsResponse),
    (ModifyWorkerRequest, ModifyWorkerResponse),
    (DeleteWorkerRequest, DeleteWorkerResponse),
    (AllWorkerMessagesRequest, AllWorkerMessagesResponse),
    (SendWorkerMessageRequest, WorkerMessageResponse),
    (SingleWorkerMessageRequest, WorkerMessageResponse),
    (DeleteWorkerMessageRequest, SimpleResponse),
    (AllTeamDetailsRequest, AllTeamDetailsResponse),
    (CreateTeamRequest, ModifyTeamResponse),
    (SingleTeamDetailsRequest, SingleTeamDetailsResponse),
    (ModifyTeamRequest, ModifyTeamResponse),
    (DeleteTeamRequest, DeleteTeamResponse),
]


@pytest.mark.parametrize(("request_type", "response_type"), REQUEST_RESPONSES, ids=lambda c: c.__name__)
def test_each_request_answers_with_its_response(
    request_type: type[HordeRequest], response_type: type[HordeResponse]
) -> None:
    assert request_type.get_success_status_response_pairs() == {HTTPStatus.OK: response_type}


def test_requests_are_hashable_and_equatable() -> None:
    first = ModifyWorkerRequest(worker_id=WorkerID(WORKER_ID), paused=True)
    assert first == ModifyWorkerRequest(worker_id=WorkerID(WORKER_ID), paused=True)
    assert hash(first) == hash(ModifyWorkerRequest(worker_id=WorkerID(WORKER_ID), paused=True))
    assert hash(CreateTeamRequest(name_="Direct Action")) == hash(CreateTeamRequest(name_="Direct Action"))
