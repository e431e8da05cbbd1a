"""A horde that refuses every report: what the worker guarantees, and what its summary calls it.

Every submit is answered 503 past the job's ttl: the worker cannot submit the result nor report the job faulted.
The summary counts the job ``unreported`` (not "lost"): the horde takes it back by itself once its ttl and grace
are over and hands it out again, so the requester still gets the image once the horde takes reports again.
"""

from __future__ import annotations

import anyio
import pytest
from horde_local import ScriptedFault
from horde_local.testing import KEYS, HordeEnv, test_config
from pydantic import SecretStr

from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, ImageGenerateAsyncResponse
from horde_sdk.deploy_config import ImageWorkerDeployConfig, ModelSelection
from horde_sdk.worker.backends import DemoImageBackend
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime

pytestmark = pytest.mark.anyio

MODEL = "Test Model"
SUBMIT = "/v2/generate/submit"


async def _until(predicate: object, seconds: float = 10.0) -> None:
    assert callable(predicate)
    with anyio.fail_after(seconds):
        while not predicate():  # noqa: ASYNC110 - polls the worker's and the horde's state
            await anyio.sleep(0.02)


async def test_a_job_the_horde_never_takes_a_report_of_is_unreported_and_comes_back(horde: HordeEnv) -> None:
    horde.reset(test_config(job_ttl=2.0, abort_grace=0.3))
    horde.script_faults(ScriptedFault("POST", SUBMIT, count=10_000, status=503))
    config = ImageWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        dreamer_name="refused-reports",
        models_to_load=ModelSelection.model_validate([MODEL]),
        max_threads=1,
        queue_size=0,
    )
    options = RuntimeOptions(
        pop_interval=0.02, retry_delay=0.05, ttl_margin=0.5, fault_timeout=0.3, summary_interval=0
    )
    runtime = WorkerRuntime(config, image_backend=DemoImageBackend(), options=options)
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        async with horde.async_client("alice") as requester:
            await requester.submit_request(
                ImageGenerateAsyncRequest(prompt="refused", models=(MODEL,), params={"width": 64, "height": 64}),  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
                ImageGenerateAsyncResponse,
            )
        await _until(lambda: runtime.summary().unreported == 1)
        summary = runtime.summary()
        assert (summary.submitted, summary.faulted, summary.unreported) == (0, 0, 1)
        assert "unreported" in summary.as_log_fields()
        assert "lost" not in summary.as_log_fields()
        # The horde takes reports again: it takes the job back after its ttl, the worker pops it again.
        horde.horde.clear_scripted_faults()
        await _until(lambda: runtime.summary().submitted == 1)
        runtime.request_stop()
    counts = horde.horde.worker_counts("refused-reports")
    assert counts.aborted == 1  # taken back by the horde, not by the worker
    assert counts.submitted == 1  # the request got its image after all
    assert horde.horde.in_flight_generations() == []
