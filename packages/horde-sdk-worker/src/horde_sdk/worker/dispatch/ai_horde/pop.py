"""Build AI Horde pop requests (asking for jobs) from a worker's deploy configuration.

* `build_image_pop_request`: ``/v2/generate/pop`` from an `ImageWorkerDeployConfig` and the concrete models to
  serve (resolve meta entries such as ``top 5`` first, with `model_resolution`).
* `build_text_pop_request`: ``/v2/generate/text/pop`` from a `TextWorkerDeployConfig`.
* `build_alchemy_pop_request`: ``/v2/interrogate/pop`` from an `AlchemyWorkerDeployConfig`.

`amount` is how many jobs to take in one pop (the server's batching of pops); `max_batch` (images per job) is not
a pop field, the worker checks it locally (`horde_sdk.worker.feature_flags`). The API key is not put into the
request: the AI Horde client sends its own key (build the client with the configuration's `api_key`).
"""

from __future__ import annotations

from collections.abc import Sequence

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyJobPopRequest,
    ImageGenerateJobPopRequest,
    TextGenerateJobPopRequest,
)
from horde_sdk.deploy_config import (
    KNOWN_WORKER_KINDS,
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import KNOWN_IMAGE_SOURCE_PROCESSING, ImageGenerationFeatureFlags
from horde_sdk.worker.__about__ import __version__
from horde_sdk.worker.bridge_capabilities import SDK_BRIDGE_NAME, SDK_BRIDGE_URL, default_bridge_agent

__all__ = [
    "BRIDGE_AGENT_NAME",
    "BRIDGE_AGENT_URL",
    "build_alchemy_pop_request",
    "build_image_pop_request",
    "build_text_pop_request",
    "get_bridge_agent",
]

BRIDGE_AGENT_NAME = SDK_BRIDGE_NAME
"""This software's name (the client agent of its requests, and its own bridge name)."""

BRIDGE_AGENT_URL = SDK_BRIDGE_URL
"""This software's URL."""


def get_bridge_agent(name: str = BRIDGE_AGENT_NAME, version: str = __version__, url: str = BRIDGE_AGENT_URL) -> str:
    """Return an agent string ``name:version:url`` (by default this software's own, the client agent of its requests).

    The agent a worker announces in its pops is chosen by `horde_sdk.worker.bridge_capabilities.bridge_agent_for`
    (the configuration's ``bridge_agent``, or `default_bridge_agent`).

    Args:
        name: The worker software's name (no ``:``).
        version: Its version (no ``:``).
        url: Where to find it.

    Returns:
        The agent string, e.g. ``horde-sdk-worker:0.1.0:https://github.com/Haidra-Org/horde-sdk``.

    Raises:
        ValueError: If `name` or `version` contains ``:`` (the server splits on it).
    """
    if ":" in name or ":" in version:
        raise ValueError("the name and version of a bridge agent must not contain ':'")
    return f"{name}:{version}:{url}"


def _worker_name(name: str | None, key: str) -> str:
    if not name:
        raise ValueError(f"the deploy configuration sets no {key} (or worker_name); the horde needs a worker name")
    return name


def _without_none(values: dict[str, object]) -> dict[str, object]:
    """Leave out unset optional values, so that they are not sent as ``null``."""
    return {key: value for key, value in values.items() if value is not None}


def _models(models: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(models))
    if not unique:
        raise ValueError("a worker must offer at least one model")
    return unique


def _backend_allows(features: ImageGenerationFeatureFlags | None) -> dict[str, bool]:
    """Return which ``allow_*`` pop fields the backend's `features` permit (all of them when None)."""
    if features is None:
        return dict.fromkeys(
            ("allow_img2img", "allow_painting", "allow_post_processing", "allow_controlnet", "allow_lora"), True
        )
    processing = set(features.source_processing)
    return {
        # The horde sends img2img and remix jobs (source_processing img2img / remix) to allow_img2img workers.
        "allow_img2img": bool(
            processing & {KNOWN_IMAGE_SOURCE_PROCESSING.img2img, KNOWN_IMAGE_SOURCE_PROCESSING.remix}
        ),
        "allow_painting": bool(
            processing & {KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting}
        ),
        "allow_post_processing": features.post_processing and bool(features.post_processors),
        "allow_controlnet": features.controlnet,
        # One pop field covers both: the horde sends LoRa and textual inversion jobs to allow_lora workers.
        "allow_lora": features.loras and features.textual_inversion,
    }


def build_image_pop_request(
    config: ImageWorkerDeployConfig,
    models: Sequence[str],
    *,
    amount: int = 1,
    bridge_agent: str | None = None,
    backend_features: ImageGenerationFeatureFlags | None = None,
) -> ImageGenerateJobPopRequest:
    """Build the image pop request of a worker.

    Every capability comes from the configuration: name (`dreamer_name`), NSFW, threads (`max_threads`),
    `max_pixels`, `blacklist`, the `allow_*` flags (`allow_unsafe_ip` becomes `allow_unsafe_ipaddr`),
    `require_upfront_kudos`, `extra_slow_worker`, `limit_max_steps` and `priority_usernames`. With
    `backend_features`, an ``allow_*`` flag is only true when the backend can also run it: ``allow_img2img`` needs
    img2img or remix, ``allow_painting`` inpainting or outpainting, ``allow_post_processing`` post-processing with
    at least one post-processor, ``allow_controlnet`` (and ``allow_sdxl_controlnet``) ControlNet, ``allow_lora``
    LoRas and textual inversions.

    Args:
        config: The worker's configuration (an image or combined one).
        models: The concrete model names to offer (duplicates are dropped, order kept).
        amount: How many jobs to take at once (1 to 20).
        bridge_agent: The agent string; `default_bridge_agent()` of an image worker by default.
        backend_features: What the image backend can run (`ImageBackend.features`); None trusts the
            configuration alone.

    Returns:
        The request.

    Raises:
        ValueError: If no worker name is configured or no model is given (or a value is out of range).
    """
    backend = _backend_allows(backend_features)
    return ImageGenerateJobPopRequest.model_validate(
        _without_none(
            {
                "name": _worker_name(config.dreamer_name, "dreamer_name"),
                "priority_usernames": config.priority_usernames or None,
                "nsfw": config.nsfw,
                "models": _models(models),
                "bridge_agent": bridge_agent or default_bridge_agent(KNOWN_WORKER_KINDS.dreamer),
                "threads": config.max_threads,
                "require_upfront_kudos": config.require_upfront_kudos,
                "amount": amount,
                "extra_slow_worker": config.extra_slow_worker,
                "max_pixels": config.max_pixels,
                "blacklist": config.blacklist or None,
                "allow_img2img": config.allow_img2img and backend["allow_img2img"],
                "allow_painting": config.allow_painting and backend["allow_painting"],
                "allow_unsafe_ipaddr": config.allow_unsafe_ip,
                "allow_post_processing": config.allow_post_processing and backend["allow_post_processing"],
                "allow_controlnet": config.allow_controlnet and backend["allow_controlnet"],
                "allow_sdxl_controlnet": config.allow_sdxl_controlnet and backend["allow_controlnet"],
                "allow_lora": config.allow_lora and backend["allow_lora"],
                "limit_max_steps": config.limit_max_steps,
            }
        )
    )


def build_text_pop_request(
    config: TextWorkerDeployConfig,
    models: Sequence[str] | None = None,
    *,
    amount: int = 1,
    nsfw: bool | None = None,
    softprompts: Sequence[str] | None = None,
    bridge_agent: str | None = None,
) -> TextGenerateJobPopRequest:
    """Build the text pop request of a worker.

    Args:
        config: The worker's configuration (a text or combined one).
        models: The model names to offer; by default the configuration's `model_name`. A `branded_model`
            name (with the owner's name) must be passed here: the configuration does not know the owner.
        amount: How many jobs to take at once (1 to 20).
        nsfw: Whether NSFW requests are taken; by default the configuration's `nsfw` for a combined
            configuration, else False (a text configuration has no such setting).
        softprompts: The soft prompts the worker has, if any.
        bridge_agent: The agent string; `default_bridge_agent()` of the kind by default.

    Returns:
        The request, with `max_length` and `max_context_length` from the configuration.

    Raises:
        ValueError: If no worker name or no model is known (or a value is out of range).
    """
    if models is None:
        models = (config.model_name,) if config.model_name else ()
    combined = config if isinstance(config, CombinedWorkerDeployConfig) else None
    if nsfw is None:
        nsfw = combined.nsfw if combined is not None else False
    return TextGenerateJobPopRequest.model_validate(
        _without_none(
            {
                "name": _worker_name(config.scribe_name, "scribe_name"),
                "priority_usernames": config.priority_usernames or None,
                "nsfw": nsfw,
                "models": _models(models),
                "bridge_agent": bridge_agent or default_bridge_agent(KNOWN_WORKER_KINDS.scribe),
                "threads": config.max_threads,
                "amount": amount,
                "require_upfront_kudos": combined.require_upfront_kudos if combined is not None else False,
                "extra_slow_worker": combined.extra_slow_worker if combined is not None else False,
                "max_length": config.max_length,
                "max_context_length": config.max_context_length,
                "softprompts": tuple(softprompts) if softprompts else None,
            }
        )
    )


def build_alchemy_pop_request(
    config: AlchemyWorkerDeployConfig,
    *,
    amount: int = 1,
    max_tiles: int | None = None,
    bridge_agent: str | None = None,
) -> AlchemyJobPopRequest:
    """Build the alchemy pop request of a worker.

    Args:
        config: The worker's configuration (an alchemy or combined one); ``post-process`` in its `forms` stands
            for every post-processor form.
        amount: How many forms to take at once.
        max_tiles: The largest image post-processed, in 512x512 tiles; the server's default when None.
        bridge_agent: The agent string; `default_bridge_agent()` of the kind by default.

    Returns:
        The request.

    Raises:
        ValueError: If no worker name or no form is configured (or a value is out of range).
    """
    forms = config.get_alchemy_forms()
    if not forms:
        raise ValueError("the deploy configuration lists no alchemy forms")
    values: dict[str, object] = {
        "name": _worker_name(config.alchemist_name, "alchemist_name"),
        "priority_usernames": config.priority_usernames or None,
        "forms": forms,
        "amount": amount,
        "bridge_agent": bridge_agent or default_bridge_agent(KNOWN_WORKER_KINDS.alchemist),
        "threads": config.max_threads,
    }
    if max_tiles is not None:
        values["max_tiles"] = max_tiles
    if amount < 1:
        raise ValueError("amount must be at least 1")
    return AlchemyJobPopRequest.model_validate(_without_none(values))
