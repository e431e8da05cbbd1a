"""The local horde does what ../shared/ai_horde/BEHAVIOUR.md says the real server does, where the swagger is silent.

Each test names the BEHAVIOUR.md item it shows; tools/local-horde/README.md lists them.
"""

from __future__ import annotations

import ast
import base64
import datetime
from typing import Any

import httpx
import pytest
from horde_local import ManualClock
from horde_local.app import ROUTES
from horde_local.enums import body_enums, extract_body_enums
from horde_local.state import VALIDATED_TEXT_BACKENDS
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv, test_config

from horde_sdk.ai_horde_api import AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    AllWorkerMessagesRequest,
    AllWorkerMessagesResponse,
    AllWorkersDetailsRequest,
    AllWorkersDetailsResponse,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateJobSubmitRequest,
    SingleWorkerMessageRequest,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateJobPopRequest,
    TextGenerateJobPopResponse,
    WorkerMessageResponse,
)
from horde_sdk.ai_horde_api.consts import RC
from horde_sdk.ai_horde_api.fields import GenerationID
from horde_sdk.generic_api.exceptions import (
    HordeBadRequestError,
    HordeForbiddenError,
    HordeNotFoundError,
    HordeServerError,
)

SOURCE = base64.b64encode(b"a source image").decode()


# --------------------------------------------------------------------------- Jobs and timing: seeds of n > 1
def _job_seeds(horde: HordeEnv, params: dict[str, object], jobs: int = 3) -> list[int]:
    """Create an image request of ``jobs`` images and pop them one by one; return each job's payload seed."""
    worker = horde.worker("seed-worker", amount=1)
    assert worker.pop_image().is_empty()
    request = ImageGenerateAsyncRequest.model_validate({"prompt": "seeds", "params": {"n": jobs, **params}})
    horde.client().submit_request(request, ImageGenerateAsyncResponse)
    seeds = []
    for _ in range(jobs):
        job = worker.pop_image()
        assert job.payload is not None
        assert job.payload.seed is not None
        seeds.append(int(job.payload.seed))
    return seeds


def test_without_a_seed_each_job_gets_its_own_random_seed(horde: HordeEnv) -> None:
    seeds = _job_seeds(horde, {})
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= seed < 2**32 for seed in seeds)


def test_a_seed_without_variation_is_every_jobs_seed(horde: HordeEnv) -> None:
    assert _job_seeds(horde, {"seed": "1234"}) == [1234, 1234, 1234]


def test_seed_variation_moves_each_job_by_the_variation(horde: HordeEnv) -> None:
    assert _job_seeds(horde, {"seed": "1000", "seed_variation": 7}) == [1000, 1007, 1014]


def test_seed_variation_wraps_below_two_to_the_32(horde: HordeEnv) -> None:
    top = 2**32 - 2
    assert _job_seeds(horde, {"seed": str(top), "seed_variation": 1}) == [top, top + 1, 0]


def test_seed_variation_without_a_seed_varies_one_random_base(horde: HordeEnv) -> None:
    first, second, third = _job_seeds(horde, {"seed_variation": 5})
    assert (second - first) % 2**32 == 5
    assert (third - first) % 2**32 == 10


# ------------------------------------------------------------ Where the swagger is wrong: enumerations enforced
ALCHEMY_FORMS = [
    "caption",
    "interrogation",
    "nsfw",
    *("GFPGAN", "RealESRGAN_x4plus", "RealESRGAN_x2plus", "RealESRGAN_x4plus_anime_6B", "NMKD_Siax"),
    *("4x_AnimeSharp", "CodeFormers", "strip_background"),
]


def test_an_unknown_alchemy_form_is_refused_with_the_enumeration(horde: HordeEnv) -> None:
    request = AlchemyAsyncRequest.model_validate({"source_image": SOURCE, "forms": [{"name": "nope"}]})
    with pytest.raises(HordeBadRequestError) as caught:
        horde.client().submit_request(request, AlchemyAsyncResponse)
    error = caught.value
    assert error.message == "Input payload validation failed"
    assert list(error.field_errors) == ["forms.0.name"]
    reason = error.field_errors["forms.0.name"]
    assert reason.startswith("'nope' is not one of ['caption', 'interrogation', 'nsfw', ")
    listed = ast.literal_eval(reason.removeprefix("'nope' is not one of "))
    assert set(ALCHEMY_FORMS) <= set(listed)
    assert horde.horde.open_requests() == []  # nothing was queued


def test_the_position_of_the_bad_value_is_named(horde: HordeEnv) -> None:
    forms = [{"name": "caption"}, {"name": "nsfw"}, {"name": "sharpen"}]
    request = AlchemyAsyncRequest.model_validate({"source_image": SOURCE, "forms": forms})
    with pytest.raises(HordeBadRequestError) as caught:
        horde.client().submit_request(request, AlchemyAsyncResponse)
    assert list(caught.value.field_errors) == ["forms.2.name"]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"sampler_name": "k_imaginary"}, "params.sampler_name"),
        ({"post_processing": ["GFPGAN", "MagicUpscaler"]}, "params.post_processing.1"),
        ({"control_type": "telepathy"}, "params.control_type"),
    ],
)
def test_image_parameters_outside_the_enumerations_are_refused(
    horde: HordeEnv, params: dict[str, object], where: str
) -> None:
    request = ImageGenerateAsyncRequest.model_validate({"prompt": "enums", "params": params})
    with pytest.raises(HordeBadRequestError) as caught:
        horde.client().submit_request(request, ImageGenerateAsyncResponse)
    assert list(caught.value.field_errors) == [where]
    assert " is not one of [" in caught.value.field_errors[where]


def test_known_values_are_accepted(horde: HordeEnv) -> None:
    request = ImageGenerateAsyncRequest.model_validate(
        {"prompt": "enums", "params": {"sampler_name": "k_euler", "post_processing": ["GFPGAN"]}}
    )
    assert horde.client().submit_request(request, ImageGenerateAsyncResponse).id_


def test_the_enumeration_table_matches_the_swagger(horde_swagger: dict[str, Any]) -> None:
    """``swagger_enums.json`` is what the swagger says; refresh it with ``hatch run python -m horde_local.enums``."""
    routes = [(method, template) for _, template, handlers in ROUTES for method in handlers]
    assert extract_body_enums(horde_swagger, routes) == body_enums()


# ------------------------------------------------------- What the horde sends to which worker: validated_backends
def _text_pop(horde: HordeEnv, name: str, bridge: str) -> TextGenerateJobPopResponse:
    pop = TextGenerateJobPopRequest(
        worker_name=name, models=("koboldcpp/tiny",), max_length=512, max_context_length=4096, bridge_agent=bridge
    )
    return horde.client("worker").submit_request(pop, TextGenerateJobPopResponse)


def _text_request(horde: HordeEnv, **fields: object) -> None:
    request = TextGenerateAsyncRequest.model_validate({"prompt": "validated?", "models": ["koboldcpp/tiny"], **fields})
    horde.client().submit_request(request, TextGenerateAsyncResponse)


@pytest.mark.parametrize("bridge", sorted(VALIDATED_TEXT_BACKENDS))
def test_validated_backends_requests_go_to_validated_backends(horde: HordeEnv, bridge: str) -> None:
    _text_request(horde, validated_backends=True)
    assert _text_pop(horde, "validated-worker", f"{bridge}:1.0.0:https://example.invalid").id_ is not None


def test_validated_backends_requests_skip_other_backends_silently(horde: HordeEnv) -> None:
    _text_request(horde, validated_backends=True)
    empty = _text_pop(horde, "sdk-scribe", "horde-sdk-worker:0.1.0:https://example.invalid")
    assert empty.id_ is None
    # The server filters these requests out before it counts skipped ones: nothing says why.
    assert empty.skipped is not None
    assert empty.skipped.model_dump(exclude_none=True, exclude_defaults=True) == {}
    assert _text_pop(horde, "tabby", "TabbyAPI:1.0.0:https://example.invalid").id_ is not None


@pytest.mark.parametrize("sent", [{}, {"validated_backends": False}], ids=["absent", "false"])
def test_without_validated_backends_any_backend_serves_text(horde: HordeEnv, sent: dict[str, object]) -> None:
    """The server reads an absent ``validated_backends`` as false (the swagger says true)."""
    _text_request(horde, **sent)
    assert _text_pop(horde, "sdk-scribe", "horde-sdk-worker:0.1.0:https://example.invalid").id_ is not None


# ------------------------------------------------------------------ Where the swagger is wrong: worker messages
def _simple(user: str, horde: HordeEnv) -> AIHordeAPISimpleClient:
    return AIHordeAPISimpleClient(
        base_url=horde.base_url, api_key=KEYS[user].key, enforce_rate_limits=False, timeouts=TIMEOUTS
    )


def test_worker_messages_have_an_id_and_date_strings(horde: HordeEnv) -> None:
    """Send, list, read and delete a message with the SDK: the answers parse (ids, RFC 822 dates)."""
    horde.horde.reset(test_config(), ManualClock(start=1_796_565_040.0))  # Sun, 06 Dec 2026 13:50:40 +0000
    worker = horde.worker("messaged-worker")
    assert worker.pop_image().is_empty()
    worker_id = horde.horde.state.find_worker("messaged-worker").id
    with _simple("mod", horde) as moderator, _simple("worker", horde) as owner, _simple("alice", horde) as other:
        sent = moderator.send_worker_message("Your images are black.", worker_id=worker_id, expiry=12)
        assert sent.worker_id == worker_id
        assert sent.origin == "AI Horde Moderators"
        assert sent.created == "Sun, 06 Dec 2026 13:50:40 -0000"
        assert sent.expiry == "Mon, 07 Dec 2026 01:50:40 -0000"
        assert sent.expires_at == datetime.datetime(2026, 12, 7, 1, 50, 40, tzinfo=datetime.UTC)
        own = owner.send_worker_message("note to self", worker_id=worker_id)
        assert own.origin == str(horde.horde.state.users_by_key[KEYS["worker"].key].id)

        listed = owner.worker_messages()
        assert [message.id_ for message in listed.root] == [own.id_]  # only the caller's own messages
        everyone = moderator.worker_messages(worker_id=worker_id)
        assert {message.id_ for message in everyone.root} == {sent.id_, own.id_}
        read = moderator.session.submit_request(SingleWorkerMessageRequest(message_id=sent.id_), WorkerMessageResponse)
        assert read == sent

        with pytest.raises(HordeForbiddenError):
            other.send_worker_message("not yours", worker_id=worker_id)
        with pytest.raises(HordeForbiddenError):
            other.delete_worker_message(sent.id_)
        assert moderator.delete_worker_message(sent.id_).message == "OK"
        with pytest.raises(HordeNotFoundError):
            moderator.session.submit_request(SingleWorkerMessageRequest(message_id=sent.id_), WorkerMessageResponse)


def test_expired_messages_are_listed_only_when_asked(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.horde.reset(test_config(), clock)
    with _simple("mod", horde) as moderator:
        note = moderator.send_worker_message("for an hour", expiry=1)
        clock.advance(3601)
        assert moderator.worker_messages().root == ()
        expired = moderator.session.submit_request(
            AllWorkerMessagesRequest(validity="expired"), AllWorkerMessagesResponse
        )
        assert [message.id_ for message in expired.root] == [note.id_]


# --------------------------------------------------------------- Where the swagger is wrong: image submissions
def test_an_image_submit_needs_a_seed(horde: HordeEnv) -> None:
    answer = httpx.post(
        f"{horde.base_url}/v2/generate/submit",
        json={"id": "00000000-0000-4000-8000-000000000000", "generation": "R2"},
        headers={"apikey": KEYS["worker"].key},
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == "Input payload validation failed"
    assert "seed" in answer.json()["errors"]


def test_an_image_submit_with_an_unknown_key_is_a_500(horde: HordeEnv) -> None:
    """A server bug the SDK must live with: not retried, reported as a server error (BEHAVIOUR.md)."""
    submit = ImageGenerateJobSubmitRequest(
        id_=GenerationID("00000000-0000-4000-8000-000000000000"), seed=1, generation="R2"
    )
    client = horde.client(api_key="not-a-known-key")
    horde.horde.recorded = []
    with pytest.raises(HordeServerError) as caught:
        client.submit_request(submit)
    assert caught.value.status_code == 500
    assert [status for _, template, status, _ in horde.horde.recorded if template == "/v2/generate/submit"] == [500]


# ------------------------------------------------------------------------------- Rate limits / Jobs and timing
def test_the_check_answer_is_cached_for_a_second(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(check_cache_seconds=1.0), clock)
    worker = horde.worker("cached-worker")
    assert worker.pop_image().is_empty()
    client = horde.client()
    accepted = client.submit_request(ImageGenerateAsyncRequest(prompt="cache"), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    check = ImageGenerateCheckRequest(id_=accepted.id_)
    assert not client.submit_request(check, ImageGenerateCheckResponse).done
    assert worker.work_image() == 1
    assert not client.submit_request(check, ImageGenerateCheckResponse).done  # the answer of a moment ago
    clock.advance(1.0)
    assert client.submit_request(check, ImageGenerateCheckResponse).done


def test_a_worker_unseen_for_300_seconds_is_stale(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(), clock)
    assert horde.worker("stale-worker").pop_image().is_empty()
    client = horde.client()
    clock.advance(300)
    assert [
        worker.name for worker in client.submit_request(AllWorkersDetailsRequest(), AllWorkersDetailsResponse).root
    ] == ["stale-worker"]
    clock.advance(1)
    assert client.submit_request(AllWorkersDetailsRequest(), AllWorkersDetailsResponse).root == ()
    accepted = client.submit_request(ImageGenerateAsyncRequest(prompt="anyone?"), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert [warning.code for warning in accepted.warnings or ()] == ["NoAvailableWorker"]


def test_an_r2_submit_without_the_upload_fails_image_validation(horde: HordeEnv) -> None:
    worker = horde.worker("lazy-uploader")
    assert worker.pop_image().is_empty()
    horde.client().submit_request(ImageGenerateAsyncRequest(prompt="upload?"), ImageGenerateAsyncResponse)
    job = worker.pop_image()
    assert job.id_ is not None
    submit = ImageGenerateJobSubmitRequest(id_=job.id_, seed=1, generation="R2")
    with pytest.raises(HordeBadRequestError) as caught:
        horde.client("worker").submit_request(submit)
    assert caught.value.rc == RC.ImageValidationFailed


def test_pops_carry_the_workers_active_messages(horde: HordeEnv) -> None:
    worker = horde.worker("told-worker")
    assert worker.pop_image().messages == ()
    worker_id = horde.horde.state.find_worker("told-worker").id
    with _simple("mod", horde) as moderator:
        direct = moderator.send_worker_message("check your GPU", worker_id=worker_id)
        everyone = moderator.send_worker_message("maintenance tonight")
    popped = worker.pop_image().messages
    assert popped is not None
    assert [(entry.id_, entry.message, entry.expiry) for entry in popped] == [
        (direct.id_, "check your GPU", direct.expiry),
        (everyone.id_, "maintenance tonight", everyone.expiry),
    ]
    assert [entry.id_ for entry in horde.worker("other-worker").pop_image().messages or ()] == [everyone.id_]
