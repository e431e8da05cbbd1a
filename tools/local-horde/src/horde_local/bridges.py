"""What the horde sends to which worker: the bridge agent of its pops (BEHAVIOUR.md, "the bridge agent").

The real horde trusts a worker with an image feature only when the name and version of its pop's ``bridge_agent``
are known to support it: an unknown name is never sent an ``r2: true`` request (the default of every client),
img2img, inpainting, post-processing, LoRAs, textual inversions, ControlNet, hires fix, tiling, extra source
images... Its samplers and post-processors are those of ``AI Horde Worker`` 23. Such requests are passed over
silently: nothing in ``skipped`` counts them.

The table is horde-sdk-worker's (`horde_sdk.worker.bridge_capabilities`), so the worker's own account of what it
will be sent and this double can never disagree. Text ``validated_backends`` is not decided here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest
from horde_sdk.worker.bridge_capabilities import BridgeGrants, bridge_grants

__all__ = ["bridge_refusal"]


@lru_cache(maxsize=256)
def _grants(agent: str) -> BridgeGrants:
    return bridge_grants(agent)


def _truthy(params: Any, name: str) -> bool:  # noqa: ANN401 - an optional payload of any request model
    return params is not None and bool(getattr(params, name, None))


def bridge_refusal(agent: str, body: ImageGenerateAsyncRequest) -> str | None:
    """Return why the horde would not send the image request `body` to a worker announcing `agent`.

    Args:
        agent: The worker's ``bridge_agent``.
        body: The image request as it was submitted.

    Returns:
        The capability missing (named as in the bridge table, or ``sampler <name>``), or None when it may be sent.
    """
    grants = _grants(agent)
    params = body.params
    checks: tuple[tuple[bool, str], ...] = (
        (body.r2, "r2"),
        (body.source_image is not None, "img2img"),
        (str(body.source_processing) in ("inpainting", "outpainting"), "inpainting"),
        (bool(body.extra_source_images), "extra_source_images"),
        (_truthy(params, "post_processing"), "post-processing"),
        (_truthy(params, "loras"), "lora"),
        (params is not None and any(lora.is_version for lora in params.loras or ()), "lora_versions"),
        (_truthy(params, "tis"), "textual_inversion"),
        (_truthy(params, "control_type"), "controlnet"),
        (_truthy(params, "control_type"), "image_is_control"),
        (_truthy(params, "return_control_map"), "return_control_map"),
        (_truthy(params, "hires_fix"), "hires_fix"),
        (_truthy(params, "tiling"), "tiling"),
        (params is not None and (params.clip_skip or 1) > 1, "clip_skip"),
        (_truthy(params, "transparent"), "layer_diffuse"),
        (params is not None and str(params.workflow) == "qr_code", "qr_code"),
    )
    for needed, capability in checks:
        if needed and not grants.grants(capability):
            return capability
    if params is not None:
        for post_processor in params.post_processing or ():
            if str(post_processor) not in grants.post_processors:
                return str(post_processor)
    sampler = str(params.sampler_name) if params is not None else "k_euler_a"
    karras = params is not None and params.karras
    samplers = grants.samplers_with_karras if karras else grants.samplers_without_karras
    if sampler not in samplers:
        return f"sampler {sampler}"
    return None
