"""Alchemy results travel typed, end to end: the SDK worker submits JSON of each form's kind, the client reads it.

BEHAVIOUR.md: the value under each form is JSON of that form's kind (``nsfw`` a boolean, ``interrogation`` an
object, ``caption`` a string); the server stores what it gets and hands it back unchanged in the status. A worker
that submitted ``{"nsfw": "false"}`` or the interrogation as JSON text left the client with untyped results.
"""

from __future__ import annotations

import base64
import io

import anyio
import pytest
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv
from PIL import Image
from pydantic import SecretStr

from horde_sdk.ai_horde_api import AIHordeAPIAsyncSimpleClient
from horde_sdk.ai_horde_api.apimodels import AlchemyAsyncRequest
from horde_sdk.ai_horde_api.results import AlchemyCaptionResult, AlchemyInterrogationResult, AlchemyNSFWResult
from horde_sdk.deploy_config import AlchemyWorkerDeployConfig
from horde_sdk.worker.backends import DemoAlchemyBackend
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime

pytestmark = pytest.mark.anyio

FAST = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, pop_error_backoff=0.05, maintenance_pause=0.05)


def _source() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, format="WEBP")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


async def test_nsfw_and_interrogation_come_back_typed(horde: HordeEnv) -> None:
    config = AlchemyWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        alchemist_name="typed-alchemist",
        forms=("caption", "nsfw", "interrogation"),
        max_threads=1,
    )
    runtime = WorkerRuntime(config, alchemy_backend=DemoAlchemyBackend(), options=FAST)
    horde.horde.recorded = []
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        try:
            with anyio.fail_after(20):
                await runtime.wait_ready()
                async with AIHordeAPIAsyncSimpleClient(
                    base_url=horde.base_url, api_key=KEYS["alice"].key, enforce_rate_limits=False, timeouts=TIMEOUTS
                ) as requester:
                    result = await requester.alchemy_request(
                        AlchemyAsyncRequest(
                            forms=[{"name": "caption"}, {"name": "nsfw"}, {"name": "interrogation"}],  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
                            source_image=_source(),
                        )
                    )
        finally:
            runtime.request_stop()

    nsfw = result.get("nsfw")
    assert isinstance(nsfw, AlchemyNSFWResult)
    assert nsfw.nsfw is False
    interrogation = result.get("interrogation")
    assert isinstance(interrogation, AlchemyInterrogationResult)
    assert interrogation.interrogation  # the demo's ranked terms, as an object
    assert all(isinstance(terms, list) for terms in interrogation.interrogation.values())
    caption = result.get("caption")
    assert isinstance(caption, AlchemyCaptionResult)
    # What went over the wire, as the horde answered the status: JSON values of each form's kind, not text.
    recorded = horde.horde.recorded
    statuses = [body for _, template, _, body in recorded if template.startswith("/v2/interrogate/status")]
    final = {form["form"]: form["result"][form["form"]] for form in statuses[-1]["forms"]}
    assert final["nsfw"] is False
    assert isinstance(final["interrogation"], dict)
    assert isinstance(final["caption"], str)
