"""The local horde sends a worker only what its bridge agent is known to support (BEHAVIOUR.md, "the bridge agent").

An unknown name gets no r2 request (the default of every client), img2img, post-processing...; a known name gets
them by version; nothing in ``skipped`` says so.
"""

from __future__ import annotations

import base64

import pytest
from horde_local.testing import HordeEnv

from horde_sdk.ai_horde_api.apimodels import (
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateJobPopResponse,
)
from horde_sdk.worker.bridge_capabilities import default_bridge_agent

SOURCE = base64.b64encode(b"a source image").decode()
UNKNOWN = "horde-sdk-worker:0.1.0:https://github.com/Haidra-Org/horde-sdk"
REGEN = "AI Horde Worker reGen"
WEBUI = "SD-WebUI Stable Horde Worker Bridge"


def _skipped(pop: ImageGenerateJobPopResponse) -> dict[str, object]:
    if pop.skipped is None:
        return {}
    return {key: value for key, value in pop.skipped.model_dump().items() if value}


def _ask(horde: HordeEnv, **fields: object) -> str:
    request = ImageGenerateAsyncRequest.model_validate({"prompt": "a lighthouse at dusk", **fields})
    job_id = horde.client().submit_request(request, ImageGenerateAsyncResponse).id_
    assert job_id is not None
    return job_id


def test_an_unknown_agent_is_never_sent_the_default_request_and_nothing_says_so(horde: HordeEnv) -> None:
    unknown = horde.worker("unknown-bridge", bridge_agent=UNKNOWN)
    assert unknown.pop_image().is_empty()  # registers it
    _ask(horde)  # r2: true, the default
    empty = unknown.pop_image()
    assert empty.is_empty()
    assert _skipped(empty) == {}  # the counters stay 0, as on the real horde
    # A known bridge is sent it, and so is our worker's default agent.
    known = horde.worker("known-bridge", bridge_agent=default_bridge_agent())
    job = known.pop_image()
    assert not job.is_empty()
    assert job.r2_upload


def test_a_known_bridge_without_samplers_gets_nothing(horde: HordeEnv) -> None:
    # AI Horde Worker reGen is granted samplers from version 2: at version 1 every request is passed over.
    first = horde.worker("regen-1", bridge_agent=f"{REGEN}:1:x")
    _ask(horde)
    assert first.pop_image().is_empty()


def test_an_unknown_agent_still_gets_a_plain_base64_request(horde: HordeEnv) -> None:
    unknown = horde.worker("unknown-bridge", bridge_agent=UNKNOWN)
    _ask(horde, r2=False)
    assert not unknown.pop_image().is_empty()


@pytest.mark.parametrize(
    ("fields", "refused", "granted"),
    [
        ({"source_image": SOURCE}, f"{WEBUI}:4:x", f"{REGEN}:2:x"),
        ({"source_image": SOURCE, "source_processing": "inpainting"}, "HordeAutoWebBridge:2:x", f"{REGEN}:2:x"),
        ({"params": {"post_processing": ["GFPGAN"]}}, f"{WEBUI}:4:x", "AI Horde Worker:11:x"),
        ({"params": {"post_processing": ["RealESRGAN_x2plus"]}}, "AI Horde Worker:20:x", "AI Horde Worker:21:x"),
        ({"params": {"loras": [{"name": "a lora"}]}}, f"{REGEN}:1.9:x", f"{REGEN}:2:x"),
        ({"params": {"tis": [{"name": "a ti"}]}}, "AI Horde Worker:23:x", "AI Horde Worker:24:x"),
        ({"params": {"hires_fix": True}}, "AI Horde Worker:12:x", "AI Horde Worker:13:x"),
        ({"params": {"tiling": True}}, f"{WEBUI}:1:x", f"{WEBUI}:2:x"),
        ({"params": {"sampler_name": "lcm"}}, f"{REGEN}:2:x", f"{REGEN}:3:x"),
        ({"params": {"sampler_name": "DDIM", "karras": True}}, "AI Horde Worker:24:x", f"{REGEN}:2:x"),
    ],
)
def test_known_bridges_are_sent_features_by_version(
    horde: HordeEnv, fields: dict[str, object], refused: str, granted: str
) -> None:
    lower = horde.worker("lower-version", bridge_agent=refused)
    higher = horde.worker("higher-version", bridge_agent=granted)
    _ask(horde, **fields)
    pop = lower.pop_image()
    assert pop.is_empty()
    assert _skipped(pop) == {}
    assert not higher.pop_image().is_empty()
