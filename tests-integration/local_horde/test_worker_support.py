"""What end-to-end tests of workers need from the local horde: scripted faults, worker maintenance as the
real server does it, and inspection of every popped generation ("no job lost"), through the SDK."""

from __future__ import annotations

import base64
from collections import Counter

import pytest
from horde_local import SCRIPTED_WORKER_BRIDGE_AGENT, Behaviour, FaultConfig, ManualClock, ScriptedFault
from horde_local.testing import HordeEnv, test_config

from horde_sdk.ai_horde_api import AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import (
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateJobPopRequest,
    ImageGenerateJobPopResponse,
    ImageGenerateJobSubmitRequest,
    JobSubmitResponse,
    ModifyWorkerRequest,
    ModifyWorkerResponse,
    SingleWorkerDetailsRequest,
    SingleWorkerDetailsResponse,
    SingleWorkerNameDetailsRequest,
)
from horde_sdk.ai_horde_api.consts import RC
from horde_sdk.ai_horde_api.exceptions import (
    HordeBadRequestError,
    HordeConnectionError,
    HordeForbiddenError,
    HordeServerError,
)
from horde_sdk.ai_horde_api.fields import GenerationID, JobID, WorkerID
from horde_sdk.generic_api.settings import RetryPolicy

SUBMIT = "/api/v2/generate/submit"
IMAGE = base64.b64encode(b"RIFF\x00\x00\x00\x00WEBPVP8 a made-up image").decode()


def _pop(client: AIHordeAPIManualClient, name: str = "test-worker", amount: int = 1) -> ImageGenerateJobPopResponse:
    pop = ImageGenerateJobPopRequest(
        worker_name=name,
        models=("stable_diffusion",),
        max_pixels=1024 * 1024,
        amount=amount,
        bridge_agent=SCRIPTED_WORKER_BRIDGE_AGENT,  # a bridge the horde sends r2 requests (the default) to
    )
    return client.submit_request(pop, ImageGenerateJobPopResponse)


def _submit(client: AIHordeAPIManualClient, generation_id: str, state: str = "ok") -> JobSubmitResponse:
    return client.submit_request(
        ImageGenerateJobSubmitRequest(id_=GenerationID(generation_id), seed=1, generation=IMAGE, state=state),
        JobSubmitResponse,
    )


def _one_job(horde: HordeEnv, worker: AIHordeAPIManualClient, n: int = 1) -> tuple[str, list[str]]:
    """Create a request of ``n`` images and pop them all; return the request id and the generation ids."""
    accepted = horde.client().submit_request(
        ImageGenerateAsyncRequest.model_validate({"prompt": "a worker test", "params": {"n": n}}),
        ImageGenerateAsyncResponse,
    )
    job = _pop(worker, amount=n)
    assert not job.is_empty()
    assert accepted.id_ is not None
    return accepted.id_, list(job.get_generation_ids())


# ---------------------------------------------------------------------------------------- scripted faults
def test_scripted_503_on_submit_then_success(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    request_id, (generation_id,) = _one_job(horde, worker)
    horde.script_faults(ScriptedFault(method="POST", path_prefix=SUBMIT, count=2, status=503))
    for _ in range(2):
        with pytest.raises(HordeServerError) as refused:
            _submit(worker, generation_id)
        assert refused.value.status_code == 503
        assert horde.horde.generation_states() == Counter({"processing": 1})  # nothing was done
    assert _submit(worker, generation_id).reward == 10.0
    assert (
        horde.client()
        .submit_request(ImageGenerateCheckRequest(id_=JobID(request_id)), ImageGenerateCheckResponse)
        .done
    )
    consumed = horde.horde.scripted_faults_consumed()
    assert [(hit.method, hit.path, hit.fault.status) for hit in consumed] == [("POST", SUBMIT, 503)] * 2
    assert horde.horde.scripted_faults_pending() == []


def test_scripted_503_is_retried_by_the_sdk(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy(max_attempts=3, backoff_base=0.01))
    _, (generation_id,) = _one_job(horde, worker)
    horde.script_faults(ScriptedFault(method="POST", path_prefix="/v2/generate/submit", status=503))
    assert _submit(worker, generation_id).reward == 10.0
    assert len(horde.horde.scripted_faults_consumed()) == 1
    assert horde.horde.worker_counts("test-worker").submitted == 1


def test_drop_after_on_submit_then_resubmit_is_duplicate_gen(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    request_id, (generation_id,) = _one_job(horde, worker)
    horde.script_faults(ScriptedFault(method="POST", path_prefix=SUBMIT, drop="after"))
    with pytest.raises(HordeConnectionError) as dropped:
        _submit(worker, generation_id)
    assert dropped.value.may_have_reached_server
    assert horde.horde.generation_states() == Counter({"done": 1})  # the server acted before dropping
    with pytest.raises(HordeBadRequestError) as duplicate:
        _submit(worker, generation_id)
    assert duplicate.value.rc == RC.DuplicateGen
    assert (
        horde.client()
        .submit_request(ImageGenerateCheckRequest(id_=JobID(request_id)), ImageGenerateCheckResponse)
        .finished
        == 1
    )
    counts = horde.horde.worker_counts("test-worker")
    assert (counts.popped, counts.submitted, counts.in_flight) == (1, 1, 0)


def test_drop_before_on_submit_acts_not(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    _, (generation_id,) = _one_job(horde, worker)
    horde.script_faults(ScriptedFault(method="POST", path_prefix=SUBMIT, drop="before"))
    with pytest.raises(HordeConnectionError):
        _submit(worker, generation_id)
    assert [g.id for g in horde.horde.in_flight_generations()] == [generation_id]
    assert _submit(worker, generation_id).reward == 10.0
    assert horde.horde.in_flight_generations() == []


def test_scripted_faults_match_method_and_path_in_order_and_beat_random_ones(horde: HordeEnv) -> None:
    horde.reset(test_config(faults=FaultConfig(error_5xx=1.0, error_statuses=(500,))))
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    horde.script_faults(
        ScriptedFault(method="GET", path_prefix="/api/v2/generate/pop", status=502),  # wrong method: never met
        ScriptedFault(method="POST", path_prefix="/api/v2/generate/pop", status=400, rc=RC.BadRequest),
        ScriptedFault(method="POST", path_prefix="/api/v2/generate/pop", status=504),
    )
    with pytest.raises(HordeBadRequestError) as first:
        _pop(worker)
    assert first.value.rc == RC.BadRequest
    with pytest.raises(HordeServerError) as second:
        _pop(worker)
    assert second.value.status_code == 504
    with pytest.raises(HordeServerError) as random_fault:  # the scripted ones are used up: the random one
        _pop(worker)
    assert random_fault.value.status_code == 500
    assert [hit.fault.status for hit in horde.horde.scripted_faults_consumed()] == [400, 504]
    assert [(fault.method, left) for fault, left in horde.horde.scripted_faults_pending()] == [("GET", 1)]
    horde.horde.clear_scripted_faults()
    assert horde.horde.scripted_faults_pending() == []
    assert not horde.horde.state.workers  # no pop was acted on


def test_scripted_fault_validation() -> None:
    with pytest.raises(ValueError, match="either"):
        ScriptedFault(method="POST", path_prefix=SUBMIT)
    with pytest.raises(ValueError, match="either"):
        ScriptedFault(method="POST", path_prefix=SUBMIT, status=503, drop="after")
    with pytest.raises(ValueError, match="count"):
        ScriptedFault(method="POST", path_prefix=SUBMIT, count=0, status=503)
    with pytest.raises(ValueError, match="4xx or 5xx"):
        ScriptedFault(method="POST", path_prefix=SUBMIT, status=200)


def test_reset_forgets_scripted_faults(horde: HordeEnv) -> None:
    horde.script_faults(ScriptedFault(method="*", path_prefix="/api/", status=503))
    horde.reset()
    assert horde.horde.scripted_faults_pending() == []
    assert horde.horde.scripted_faults_consumed() == []


# ------------------------------------------------------------------------------------------- maintenance
def _worker_id(horde: HordeEnv, name: str) -> str:
    details = horde.client().submit_request(
        SingleWorkerNameDetailsRequest(worker_name=name), SingleWorkerDetailsResponse
    )
    assert details.id_
    return str(details.id_)


def test_maintenance_by_owner_refuses_pops_until_lifted(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    assert _pop(worker).is_empty()  # creates the worker
    worker_id = _worker_id(horde, "test-worker")
    changed = worker.submit_request(
        ModifyWorkerRequest(worker_id=WorkerID(worker_id), maintenance=True, maintenance_msg="upgrading the GPU"),
        ModifyWorkerResponse,
    )
    assert changed.maintenance is True
    assert changed.paused is None
    details = horde.client().submit_request(
        SingleWorkerDetailsRequest(worker_id=WorkerID(worker_id)), SingleWorkerDetailsResponse
    )
    assert details.maintenance_mode is True
    with pytest.raises(HordeForbiddenError) as refused:
        _pop(worker)
    assert refused.value.rc == RC.WorkerMaintenance
    assert refused.value.message == "upgrading the GPU"
    lifted = worker.submit_request(
        ModifyWorkerRequest(worker_id=WorkerID(worker_id), maintenance=False), ModifyWorkerResponse
    )
    assert lifted.maintenance is False
    horde.client().submit_request(ImageGenerateAsyncRequest(prompt="after maintenance"), ImageGenerateAsyncResponse)
    assert not _pop(worker).is_empty()
    assert (
        horde.client()
        .submit_request(SingleWorkerDetailsRequest(worker_id=WorkerID(worker_id)), SingleWorkerDetailsResponse)
        .maintenance_mode
        is False
    )


def test_maintenance_rights_and_in_flight_jobs(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    _, (generation_id,) = _one_job(horde, worker)
    worker_id = _worker_id(horde, "test-worker")
    with pytest.raises(HordeForbiddenError) as not_owner:
        horde.client("alice").submit_request(
            ModifyWorkerRequest(worker_id=WorkerID(worker_id), maintenance=True), ModifyWorkerResponse
        )
    assert not_owner.value.rc == RC.NotOwner
    moderator = horde.client("mod")
    assert (
        moderator.submit_request(
            ModifyWorkerRequest(worker_id=WorkerID(worker_id), maintenance=True), ModifyWorkerResponse
        ).maintenance
        is True
    )
    with pytest.raises(HordeForbiddenError) as refused:
        _pop(worker)
    assert refused.value.rc == RC.WorkerMaintenance
    assert "test-worker" in (refused.value.message or "")
    assert "maintenance" in (refused.value.message or "")
    assert _submit(worker, generation_id).reward == 10.0  # a job popped before still finishes
    with pytest.raises(HordeForbiddenError) as not_mod:
        worker.submit_request(ModifyWorkerRequest(worker_id=WorkerID(worker_id), paused=True), ModifyWorkerResponse)
    assert not_mod.value.rc == RC.NotModerator
    with pytest.raises(HordeBadRequestError) as nothing:
        worker.submit_request(ModifyWorkerRequest(worker_id=WorkerID(worker_id)), ModifyWorkerResponse)
    assert nothing.value.rc == RC.NoValidActions


def test_set_worker_maintenance_and_paused_workers(horde: HordeEnv) -> None:
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    assert _pop(worker).is_empty()
    horde.horde.set_worker_maintenance("test-worker", True)
    with pytest.raises(HordeForbiddenError) as refused:
        _pop(worker)
    assert refused.value.rc == RC.WorkerMaintenance
    horde.horde.set_worker_maintenance("TEST-worker", False)
    assert _pop(worker).is_empty()
    with pytest.raises(KeyError):
        horde.horde.set_worker_maintenance("nobody", True)
    worker_id = _worker_id(horde, "test-worker")
    paused = horde.client("mod").submit_request(
        ModifyWorkerRequest(worker_id=WorkerID(worker_id), paused=True), ModifyWorkerResponse
    )
    assert paused.paused is True
    horde.client().submit_request(ImageGenerateAsyncRequest(prompt="while paused"), ImageGenerateAsyncResponse)
    assert _pop(worker).is_empty()  # a paused worker is given nothing, without an error
    horde.client("mod").submit_request(
        ModifyWorkerRequest(worker_id=WorkerID(worker_id), paused=False), ModifyWorkerResponse
    )
    assert not _pop(worker).is_empty()


# -------------------------------------------------------------------------------------------- inspection
def test_counts_account_for_every_popped_generation(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(job_ttl=150, abort_grace=30, max_restarts=10), clock)
    requester = horde.client()
    accepted = requester.submit_request(
        ImageGenerateAsyncRequest.model_validate({"prompt": "many", "params": {"n": 5}}), ImageGenerateAsyncResponse
    )
    assert accepted.id_ is not None
    worker = horde.client("worker", retry=RetryPolicy.disabled())
    ids = list(_pop(worker, amount=3).get_generation_ids())
    assert len(ids) == 3
    assert _submit(worker, ids[0]).reward == 10.0
    assert _submit(worker, ids[1], state="faulted").reward == 0
    assert [g.id for g in horde.horde.in_flight_generations()] == [ids[2]]
    assert horde.horde.generation_states() == Counter({"done": 1, "faulted": 1, "processing": 1})
    counts = horde.horde.worker_counts("test-worker")
    assert (counts.popped, counts.submitted, counts.faulted, counts.in_flight) == (3, 1, 1, 1)
    assert counts.submits == {"ok": 1, "faulted": 1}
    assert counts.balanced

    silent = horde.worker("silent-worker", behaviour=Behaviour.never_submit, amount=2)
    assert len(silent.pop_image().get_generation_ids()) == 2
    assert len(horde.horde.in_flight_generations()) == 3
    clock.advance(181)  # every job popped so far is past its ttl and grace: taken back
    assert horde.horde.in_flight_generations() == []
    with pytest.raises(HordeBadRequestError) as late:
        _submit(worker, ids[2])
    assert late.value.rc == RC.AbortedGen
    counts = horde.horde.worker_counts("test-worker")
    assert (counts.popped, counts.submitted, counts.faulted, counts.aborted) == (3, 1, 1, 1)
    assert counts.balanced
    everyone = horde.horde.all_worker_counts()
    assert (everyone["silent-worker"].popped, everyone["silent-worker"].aborted) == (2, 2)
    assert all(c.balanced for c in everyone.values())
    check = requester.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert (check.finished, check.restarted, check.waiting) == (1, 4, 4)
    assert horde.horde.generation_states() == Counter({"done": 1, "faulted": 1, "aborted": 3})
    with pytest.raises(KeyError):
        horde.horde.worker_counts("nobody")


def test_scripted_workers_with_censored_results_balance(horde: HordeEnv) -> None:
    horde.client().submit_request(
        ImageGenerateAsyncRequest.model_validate({"prompt": "censored", "params": {"n": 2}}),
        ImageGenerateAsyncResponse,
    )
    assert horde.worker("censoring-worker", behaviour=Behaviour.censored, amount=2).work_image() == 2
    counts = horde.horde.worker_counts("censoring-worker")
    assert (counts.popped, counts.submitted, counts.submits) == (2, 2, {"censored": 2})
    assert counts.balanced
