"""The local horde follows the job lifecycle of BEHAVIOUR.md for image, text and alchemy, through the SDK."""

from __future__ import annotations

import base64

import httpx
import pytest
from horde_local import Behaviour, ManualClock, fake_image
from horde_local.testing import KEYS, HordeEnv, test_config

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    AlchemyStatusRequest,
    AlchemyStatusResponse,
    AllActiveModelsRequest,
    AllActiveModelsResponse,
    AllUsersDetailsRequest,
    AllUsersDetailsResponse,
    AllWorkersDetailsRequest,
    AllWorkersDetailsResponse,
    DeleteAlchemyRequest,
    DeleteImageGenerateRequest,
    DeleteTextGenerateRequest,
    FindUserRequest,
    GenerateAsyncDryRunResponse,
    HordeHeartbeatRequest,
    HordeHeartbeatResponse,
    HordePerformanceRequest,
    HordePerformanceResponse,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateJobSubmitRequest,
    ImageGenerateStatusRequest,
    ImageGenerateStatusResponse,
    JobSubmitResponse,
    NewsRequest,
    NewsResponse,
    SingleUserDetailsRequest,
    SingleWorkerDetailsRequest,
    SingleWorkerDetailsResponse,
    SingleWorkerNameDetailsRequest,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateStatusRequest,
    TextGenerateStatusResponse,
    UserDetailsResponse,
)
from horde_sdk.ai_horde_api.consts import RC
from horde_sdk.ai_horde_api.exceptions import (
    HordeBadRequestError,
    HordeForbiddenError,
    HordeNotFoundError,
    HordeUnauthorizedError,
)
from horde_sdk.ai_horde_api.fields import GenerationID, UserID

SOURCE = base64.b64encode(b"a source image").decode()


def image_request(prompt: str = "a lighthouse at dusk", **fields: object) -> ImageGenerateAsyncRequest:
    return ImageGenerateAsyncRequest.model_validate({"prompt": prompt, **fields})


# ------------------------------------------------------------------------------------------------- image
def test_image_request_with_r2_upload_and_download(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker()
    assert worker.pop_image().is_empty()  # registers the worker
    accepted = client.submit_request(image_request(), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert accepted.id_
    assert accepted.kudos == 10.0
    assert not accepted.warnings
    check = client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert (check.waiting, check.processing, check.done, check.is_possible) == (1, 0, False, True)

    job = worker.pop_image()
    assert job.ttl == 150
    assert job.r2_upload
    assert job.payload is not None
    assert job.payload.prompt == "a lighthouse at dusk"
    assert job.payload.ddim_steps == 30
    check = client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert (check.waiting, check.processing, check.done) == (0, 1, False)

    assert worker._carry_out(worker.image_plan(job)) == 1
    assert worker.tally.uploads == 1
    status = client.submit_request(ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert status.done
    assert status.finished == 1
    assert status.kudos == 10.0
    assert status.generations is not None
    entry = status.generations[0]
    assert entry.img is not None
    assert entry.img.startswith(horde.base_url.removesuffix("/api") + "/r2/")
    assert "X-Amz-Signature=" in entry.img
    assert entry.worker_name == "scripted-worker"
    downloaded = client.transport.send_raw("GET", entry.img)
    assert downloaded.content == fake_image(job.get_generation_ids()[0])  # type: ignore[union-attr]  # send_raw may answer a TransportFailure; a loopback fetch answers bytes
    tampered = client.transport.send_raw("GET", entry.img[:-4] + "0000")
    assert tampered.status_code == 403  # type: ignore[union-attr]  # send_raw may answer a TransportFailure; a loopback fetch answers bytes

    # Kudos: charged to the requester on submit, credited to the worker's owner.
    alice = client.submit_request(FindUserRequest(), UserDetailsResponse)
    owner = horde.client("worker").submit_request(FindUserRequest(), UserDetailsResponse)
    assert alice.kudos == 990.0
    assert owner.kudos == 10.0


def test_image_request_base64_when_r2_false_and_worker_sends_base64(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker(use_r2=False)
    worker.pop_image()
    accepted = client.submit_request(image_request(r2=False), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert worker.work_image() == 1
    status = client.submit_request(ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert status.generations is not None
    img = status.generations[0].img
    assert img is not None
    assert base64.b64decode(img) == fake_image(worker.tally.job_ids[0])


def test_dry_run_prices_and_creates_nothing(horde: HordeEnv) -> None:
    answer = horde.client().submit_request(image_request(dry_run=True, params={"n": 2, "steps": 60}))
    assert isinstance(answer, GenerateAsyncDryRunResponse)
    assert answer.kudos == 40.0
    assert not horde.horde.state.requests


def test_no_worker_warning_and_not_possible(horde: HordeEnv) -> None:
    client = horde.client()
    accepted = client.submit_request(image_request(), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert accepted.warnings
    assert accepted.warnings[0].code == "NoAvailableWorker"
    assert (
        client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse).is_possible
        is False
    )


def test_batching_gives_one_job_with_several_ids(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker(amount=4)
    accepted = client.submit_request(image_request(params={"n": 4}), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    job = worker.pop_image()
    assert len(job.get_generation_ids()) == 4
    assert job.payload is not None
    assert job.payload.n_iter == 4
    assert job.r2_uploads is not None
    assert len(set(job.r2_uploads)) == 4
    worker._carry_out(worker.image_plan(job))
    status = client.submit_request(ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert status.finished == 4
    assert status.done


def test_pop_skips_requests_it_cannot_serve_and_matches_models(horde: HordeEnv) -> None:
    client = horde.client()
    client.submit_request(image_request("big", params={"width": 2048, "height": 2048}))
    client.submit_request(image_request("other model", models=("flux",)))
    client.submit_request(image_request("adult", nsfw=True))
    client.submit_request(image_request("for me", models=("stable_diffusion", "flux")))
    worker = horde.worker(models=("stable_diffusion",), max_pixels=512 * 512)
    job = worker.pop_image()
    assert job.has_job()
    assert job.model == "stable_diffusion"
    assert job.payload is not None
    assert job.payload.prompt == "for me"
    empty = worker.pop_image()
    assert empty.is_empty()
    assert empty.skipped is not None
    assert (empty.skipped.max_pixels, empty.skipped.models, empty.skipped.nsfw) == (1, 1, 1)


def test_duplicate_unknown_and_censored_submits(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker(behaviour=Behaviour.censored)
    accepted = client.submit_request(image_request(), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert worker.work_image() == 1
    generation_id = worker.tally.job_ids[0]
    worker_client = horde.client("worker")
    with pytest.raises(HordeBadRequestError) as duplicate:
        worker_client.submit_request(
            ImageGenerateJobSubmitRequest(id_=GenerationID(generation_id), seed=1, generation="R2"), JobSubmitResponse
        )
    assert duplicate.value.rc == RC.DuplicateGen
    with pytest.raises(HordeNotFoundError) as unknown:
        worker_client.submit_request(
            ImageGenerateJobSubmitRequest(
                id_=GenerationID("00000000-0000-4000-8000-000000000000"), seed=1, generation="R2"
            )
        )
    assert unknown.value.rc == RC.InvalidJobID
    status = client.submit_request(ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert status.generations is not None
    assert status.generations[0].censored is True
    assert status.generations[0].state == "censored"


def test_faulted_submit_requeues_then_faults_the_request(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker(behaviour=Behaviour.faulted)
    accepted = client.submit_request(image_request(), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert worker.work_image() == 1
    check = client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert (check.restarted, check.waiting, check.faulted, check.kudos) == (1, 1, False, 0.0)
    for _ in range(3):
        worker.work_image()
    check = client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert check.faulted
    assert not check.done
    assert check.restarted == 4
    assert horde.client("worker").submit_request(FindUserRequest(), UserDetailsResponse).kudos == 0.0


def test_ttl_expiry_requeues_and_late_submit_is_aborted(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(job_ttl=150, abort_grace=30), clock)
    client = horde.client()
    silent = horde.worker("silent", behaviour=Behaviour.never_submit)
    accepted = client.submit_request(image_request(), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    job = silent.pop_image()
    assert job.ttl == 150
    clock.advance(175)  # past the ttl, within the grace: still processing
    assert (
        client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse).processing == 1
    )
    clock.advance(10)
    check = client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert (check.restarted, check.waiting, check.processing) == (1, 1, 0)
    with pytest.raises(HordeBadRequestError) as late:
        horde.client("worker").submit_request(
            ImageGenerateJobSubmitRequest(id_=job.get_generation_ids()[0], seed=1, generation=SOURCE)
        )
    assert late.value.rc == RC.AbortedGen
    assert horde.worker("diligent").work_image() == 1
    assert client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse).done


def test_request_expires_twenty_minutes_after_its_last_activity(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(), clock)
    client = horde.client()
    worker = horde.worker(amount=1)
    accepted = client.submit_request(image_request(params={"n": 2}), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    clock.advance(19 * 60)
    worker.work_image()  # a pop and a submit push the expiry to 20 minutes from now
    clock.advance(19 * 60)
    assert client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse).finished == 1
    clock.advance(2 * 60)
    with pytest.raises(HordeNotFoundError) as gone:
        client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert gone.value.rc == RC.RequestNotFound


def test_cancel_image_returns_previous_status_and_lets_popped_images_arrive(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker()
    accepted = client.submit_request(image_request(params={"n": 3}), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    job = worker.pop_image()
    stranger = horde.client("trusty")  # no key of the requester is needed: the id is the capability
    before = stranger.submit_request(DeleteImageGenerateRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert (before.waiting, before.processing, before.done) == (2, 1, False)
    again = stranger.submit_request(DeleteImageGenerateRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert again.waiting == 0
    assert again.done
    assert client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse).done
    worker._carry_out(worker.image_plan(job))
    status = client.submit_request(ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    assert status.finished == 1
    assert status.done
    assert horde.worker().pop_image().is_empty()


# ------------------------------------------------------------------------------------------------- text
def test_text_lifecycle_and_cancel_semantics(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker("text-worker", models=("koboldcpp/tiny",), amount=2)
    accepted = client.submit_request(
        TextGenerateAsyncRequest.model_validate({"prompt": "Once upon a time", "params": {"n": 2, "max_length": 80}}),
        TextGenerateAsyncResponse,
    )
    assert accepted.id_ is not None
    assert accepted.kudos == 4.0
    assert worker.work_text() == 2
    status = client.submit_request(TextGenerateStatusRequest(id_=accepted.id_), TextGenerateStatusResponse)
    assert status.done
    assert status.generations is not None
    assert len(status.generations) == 2
    assert all(g.text and g.text.startswith("Once upon a time") for g in status.generations)

    pending = client.submit_request(TextGenerateAsyncRequest(prompt="never written"), TextGenerateAsyncResponse)
    assert pending.id_ is not None
    cancelled = client.submit_request(DeleteTextGenerateRequest(id_=pending.id_), TextGenerateStatusResponse)
    assert cancelled.waiting == 0
    # A cancelled text request with nothing finished keeps saying done: false.
    assert client.submit_request(TextGenerateStatusRequest(id_=pending.id_), TextGenerateStatusResponse).done is False
    assert not [r for r in horde.horde.open_requests() if r.id == pending.id_]


def test_text_has_no_check_endpoint(horde: HordeEnv) -> None:
    answer = httpx.get(f"{horde.base_url}/v2/generate/text/check/some-id")
    assert answer.status_code == 404
    assert answer.json()["message"]


def test_text_worker_limits_are_skipped(horde: HordeEnv) -> None:
    client = horde.client()
    client.submit_request(TextGenerateAsyncRequest.model_validate({"prompt": "long", "params": {"max_length": 1024}}))
    empty = horde.worker("small", models=("tiny-model",), max_length=256).pop_text()
    assert empty.is_empty()
    assert empty.skipped is not None
    assert empty.skipped.max_length == 1


# ---------------------------------------------------------------------------------------------- alchemy
def test_alchemy_lifecycle_with_post_processor_upload(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker("alchemist", amount=5)
    accepted = client.submit_request(
        AlchemyAsyncRequest.model_validate(
            {"source_image": SOURCE, "forms": [{"name": "caption"}, {"name": "RealESRGAN_x2plus"}]}
        ),
        AlchemyAsyncResponse,
    )
    assert accepted.id_ is not None
    job = worker.pop_alchemy()
    assert job.forms is not None
    assert len(job.forms) == 2
    by_form = {str(form.form): form for form in job.forms}
    assert by_form["RealESRGAN_x2plus"].r2_upload
    assert not by_form["caption"].r2_upload
    source = client.transport.send_raw("GET", by_form["caption"].source_image or "")
    assert source.content == b"a source image"  # type: ignore[union-attr]  # send_raw may answer a TransportFailure; a loopback fetch answers bytes
    assert client.submit_request(AlchemyStatusRequest(id_=accepted.id_), AlchemyStatusResponse).state == "processing"
    worker._carry_out(worker.alchemy_plan(job))
    status = client.submit_request(AlchemyStatusRequest(id_=accepted.id_), AlchemyStatusResponse)
    assert status.is_done()
    results = status.get_results()
    assert results["caption"] == "a picture of something"
    upscaled = client.transport.send_raw("GET", results["RealESRGAN_x2plus"])
    assert upscaled.content == fake_image(by_form["RealESRGAN_x2plus"].id_ or "")  # type: ignore[union-attr]  # send_raw may answer a TransportFailure; a loopback fetch answers bytes


def test_alchemy_cancel_makes_forms_cancelled_and_request_partial(horde: HordeEnv) -> None:
    client = horde.client()
    accepted = client.submit_request(
        AlchemyAsyncRequest.model_validate({"source_image": SOURCE, "forms": [{"name": "caption"}, {"name": "nsfw"}]}),
        AlchemyAsyncResponse,
    )
    assert accepted.id_ is not None
    horde.worker("alchemist", forms=("caption",)).work_alchemy()
    status = client.submit_request(DeleteAlchemyRequest(id_=accepted.id_), AlchemyStatusResponse)
    assert status.state == "partial"
    assert {str(f.form): str(f.state) for f in status.forms or ()} == {"caption": "done", "nsfw": "cancelled"}


# --------------------------------------------------------------------------------------- keys and kudos
def test_api_key_rules(horde: HordeEnv) -> None:
    missing = httpx.post(f"{horde.base_url}/v2/generate/async", json={"prompt": "no key"})
    assert missing.status_code == 400
    assert "apikey" in missing.json()["errors"]
    bad = httpx.post(f"{horde.base_url}/v2/generate/async", json={"prompt": "x"}, headers={"apikey": "nope"})
    assert bad.status_code == 401
    assert bad.json()["rc"] == "InvalidAPIKey"
    with pytest.raises(HordeForbiddenError) as anon_worker:
        horde.worker().client.submit_request(horde.worker().image_pop().model_copy(update={"apikey": "0000000000"}))
    assert anon_worker.value.rc == RC.AnonForbiddenWorker
    horde.worker("taken").pop_image()
    with pytest.raises(HordeForbiddenError) as stolen:
        horde.client("alice").submit_request(horde.worker("taken").image_pop())
    assert stolen.value.rc == RC.WrongCredentials
    with pytest.raises(HordeNotFoundError):
        horde.client("alice").submit_request(FindUserRequest(apikey="unknown-key-9"), UserDetailsResponse)


def test_upfront_kudos_rule_and_downgrade(horde: HordeEnv) -> None:
    poor = horde.client("poor")
    with pytest.raises(HordeForbiddenError) as refused:
        poor.submit_request(image_request(params={"steps": 50}))
    assert refused.value.rc == RC.KudosUpfront
    assert "50" in refused.value.message
    accepted = poor.submit_request(
        image_request(params={"steps": 50}, allow_downgrade=True), ImageGenerateAsyncResponse
    )
    job = horde.worker().pop_image()
    assert job.payload is not None
    assert job.payload.ddim_steps == 40
    assert accepted.id_
    assert poor.submit_request(
        image_request(params={"steps": 30}), ImageGenerateAsyncResponse
    ).id_  # cheap requests need nothing upfront
    anonymous = horde.client("alice", api_key="0000000000")
    with pytest.raises(HordeForbiddenError):  # the anonymous user may only go to -50
        anonymous.submit_request(image_request(params={"steps": 50, "n": 10}))


def test_status_users_workers_and_models(horde: HordeEnv) -> None:
    client = horde.client()
    worker = horde.worker(models=("stable_diffusion", "flux"))
    client.submit_request(image_request(models=("flux",)))
    worker.work_image()
    assert client.submit_request(HordeHeartbeatRequest(), HordeHeartbeatResponse).message == "OK"
    assert client.submit_request(NewsRequest(), NewsResponse).root
    performance = client.submit_request(HordePerformanceRequest(), HordePerformanceResponse)
    assert performance.worker_count == 1
    assert performance.queued_requests == 0
    models = {m.name: m for m in client.submit_request(AllActiveModelsRequest(), AllActiveModelsResponse).root}
    assert set(models) == {"flux", "stable_diffusion"}
    assert models["flux"].count == 1
    listed = client.submit_request(AllWorkersDetailsRequest(), AllWorkersDetailsResponse).root
    assert [w.name for w in listed] == ["scripted-worker"]
    worker_id = listed[0].id_
    assert worker_id is not None
    details = client.submit_request(SingleWorkerDetailsRequest(worker_id=worker_id), SingleWorkerDetailsResponse)
    assert details.requests_fulfilled == 1
    assert details.owner == "workerowner#5"
    assert (
        client.submit_request(
            SingleWorkerNameDetailsRequest(worker_name="scripted-worker"), SingleWorkerDetailsResponse
        ).id_
        == worker_id
    )
    with pytest.raises(HordeNotFoundError):
        client.submit_request(SingleWorkerNameDetailsRequest(worker_name="nobody"), SingleWorkerDetailsResponse)
    me = client.submit_request(FindUserRequest(), UserDetailsResponse)
    assert me.username == "alice#1"
    assert me.records is not None
    assert client.submit_request(SingleUserDetailsRequest(user_id=UserID(5)), UserDetailsResponse).worker_ids == (
        worker_id,
    )
    assert len(client.submit_request(AllUsersDetailsRequest(), AllUsersDetailsResponse).root) == len(KEYS) + 1
    with pytest.raises(HordeUnauthorizedError):
        horde.client("alice", api_key="wrong-key-000").submit_request(image_request())
