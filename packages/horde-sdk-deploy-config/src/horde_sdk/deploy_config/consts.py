"""Constants of worker deployment configuration: defaults, the environment prefix and the `KNOWN_*` enums."""

from enum import StrEnum
from types import MappingProxyType

DEPLOY_CONFIG_ENV_PREFIX = "HORDE_WORKER_"
"""Environment variables named with this prefix and a configuration key in upper case override the file.

For example ``HORDE_WORKER_MAX_THREADS=2`` or ``HORDE_WORKER_API_KEY=...``. Aliases work too
(``HORDE_WORKER_WORKER_NAME``); when both spellings are set, the variable of the key's own name wins.
"""

DEFAULT_HORDE_URL = "https://aihorde.net"
"""The horde a worker connects to when `horde_url` is not set."""

DEFAULT_KAI_URL = "http://localhost:5000"
"""The text backend (KoboldAI-compatible API) a scribe uses when `kai_url` is not set."""

DEFAULT_SCRIBE_MAX_LENGTH = 80
"""The most tokens a scribe generates per request when `max_length` is not set."""

DEFAULT_SCRIBE_MAX_CONTEXT_LENGTH = 1024
"""The largest context (in tokens) a scribe accepts when `max_context_length` is not set."""

ANONYMOUS_API_KEY = "0000000000"
"""The AI Horde's anonymous API key, used when no `api_key` is configured. Workers need a registered key."""

PIXELS_PER_MAX_POWER = 8 * 64 * 64
"""`max_power` is counted in units of this many pixels: ``max_pixels = PIXELS_PER_MAX_POWER * max_power``."""

SECRET_MASK = "**********"  # noqa: S105 (the mask, not a secret)
"""What a secret value (API key, tokens) is replaced with in dumps, reprs and messages."""

DEFAULT_TEXT_BACKEND = "koboldai"
"""The text backend a scribe uses when `text_backend` is not set: the KoboldAI API at `kai_url`."""

BRIDGE_AGENT_VERSION_PATTERN = (
    r"(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*)){0,2}"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
"""The versions the AI Horde reads in a pop's ``bridge_agent``: a semantic version whose minor and patch may be left
out (``9``, ``9.1``, ``9.1.0``, ``10.0.0-rc.1``). The horde takes an agent whose version does not match for an
unknown bridge, which is granted no feature."""

BRIDGE_AGENT_MAX_LENGTH = 1000
"""The longest ``bridge_agent`` the AI Horde accepts."""

ALCHEMY_POST_PROCESS_FORMS_ENTRY = "post-process"
"""A `forms` entry meaning "every post-processor" (upscalers, face fixers, background removal)."""


class KNOWN_WORKER_KINDS(StrEnum):  # noqa: N801 (project convention for KNOWN_ enums)
    """The kinds of AI Horde workers, named as the horde names them."""

    dreamer = "dreamer"
    """Generates images."""
    alchemist = "alchemist"
    """Runs alchemy forms (captioning, interrogation, post-processing) on images."""
    scribe = "scribe"
    """Generates text through a KoboldAI-compatible backend."""
    combined = "combined"
    """One deployment configuring several kinds at once."""


class KNOWN_MODEL_META_INSTRUCTIONS(StrEnum):  # noqa: N801
    """What a meta entry of `models_to_load` / `models_to_skip` (such as ``top 5`` or ``all sdxl``) selects.

    The entries only describe the selection; resolving them against the live model list is the worker's job.
    """

    top = "top"
    """The `count` most popular models."""
    bottom = "bottom"
    """The `count` least popular models."""
    all = "all"
    """Every model, or every model of the given `baselines` when any are set."""
    all_sfw = "all_sfw"
    """Every model not marked NSFW."""
    all_nsfw = "all_nsfw"
    """Every model marked NSFW."""
    all_inpainting = "all_inpainting"
    """Every inpainting model."""


BUILTIN_BACKEND_NAMES: MappingProxyType[KNOWN_WORKER_KINDS, tuple[str, ...]] = MappingProxyType(
    {
        KNOWN_WORKER_KINDS.dreamer: ("comfyui", "sdwebui", "demo"),
        KNOWN_WORKER_KINDS.alchemist: ("demo",),
        KNOWN_WORKER_KINDS.scribe: ("koboldai", "openai", "demo"),
    }
)
"""The built-in backend names `image_backend` (dreamer), `alchemy_backend` (alchemist) and `text_backend` (scribe)
accept; any other value must be a ``package.module:attribute`` factory path. `horde_sdk.worker` builds them."""
