"""The typed configuration of a worker deployment, one class per worker kind.

Field names are the keys of the ``bridgeData.yaml`` files AI Horde workers read today, and the aliases those
files use are accepted too, so an existing file validates unchanged. Every class is frozen.

* `BaseWorkerDeployConfig`: what every worker has (API key, horde URL, threads, queue, paths, memory).
* `ImageWorkerDeployConfig` (a "dreamer"), `AlchemyWorkerDeployConfig` (an "alchemist"),
  `TextWorkerDeployConfig` (a "scribe") add the settings of their kind.
* `CombinedWorkerDeployConfig` holds the settings of all three kinds.

Each kind also says what its configuration lets the worker serve, as the feature flags of
`horde_sdk.generation_parameters`, and can check a parameter set against its limits.
"""

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeAlias
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, model_serializer, model_validator

from horde_sdk.deploy_config.consts import (
    ALCHEMY_POST_PROCESS_FORMS_ENTRY,
    ANONYMOUS_API_KEY,
    BRIDGE_AGENT_MAX_LENGTH,
    BRIDGE_AGENT_VERSION_PATTERN,
    DEFAULT_HORDE_URL,
    DEFAULT_KAI_URL,
    DEFAULT_SCRIBE_MAX_CONTEXT_LENGTH,
    DEFAULT_SCRIBE_MAX_LENGTH,
    DEFAULT_TEXT_BACKEND,
    KNOWN_WORKER_KINDS,
    PIXELS_PER_MAX_POWER,
)
from horde_sdk.deploy_config.model_config import _DeployConfigModel
from horde_sdk.deploy_config.model_selection import ModelSelection
from horde_sdk.generation_parameters.alchemy import KNOWN_ALCHEMY_FORMS, AlchemyFeatureFlags, AlchemyParameters
from horde_sdk.generation_parameters.generic import KNOWN_IMAGE_POST_PROCESSORS
from horde_sdk.generation_parameters.image import (
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_MODEL_BASELINES,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_IMAGE_WORKFLOWS,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
)
from horde_sdk.generation_parameters.text import (
    KNOWN_TEXT_FORMATTING_OPTIONS,
    TextGenerationFeatureFlags,
    TextGenerationParameters,
)
from horde_sdk.generation_parameters.validation import Bounds, NotBlank, field_with_former_names, resolve_known_value

# ---------------------------------------------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------------------------------------------


def _secret_text(value: Any) -> Any:  # noqa: ANN401 (raw input)
    """Accept a secret only as text; the message never repeats the value."""
    if isinstance(value, SecretStr):
        return value
    if not isinstance(value, str):
        raise ValueError("must be text (quote the value in YAML so that it is not read as a number)")  # noqa: TRY004
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _http_url(value: str) -> str:
    """Accept an http(s) URL with a host and no credentials; messages do not repeat the value."""
    parts = urlsplit(value.strip())
    try:
        has_host = bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        has_host = False
    if parts.scheme not in ("http", "https") or not has_host:
        raise ValueError("must be an http:// or https:// URL with a host")
    if "@" in parts.netloc:
        # Credentials in a URL would be shown wherever the URL is; secrets belong in the secret settings.
        raise ValueError("must not contain a user name or password")
    return value.strip()


_BACKEND_PATTERN = re.compile(r"^(?:[a-z][a-z0-9_-]*|[A-Za-z_][\w.]*:[A-Za-z_][\w.]*)$")


def _backend_name(value: str) -> str:
    """Accept a built-in backend name (``demo``) or a ``package.module:attribute`` factory path."""
    value = value.strip()
    if not _BACKEND_PATTERN.match(value):
        raise ValueError("must be a built-in backend name such as 'demo', or a 'package.module:attribute' path")
    return value


_BRIDGE_VERSION = re.compile(rf"^{BRIDGE_AGENT_VERSION_PATTERN}$")


def _bridge_agent(value: str) -> str:
    """Accept ``name:version`` or ``name:version:url`` with a version the horde can read (see `BridgeAgentText`)."""
    value = value.strip()
    name, _, rest = value.partition(":")
    version, _, url = rest.partition(":")
    if not name.strip() or not version:
        raise ValueError("must be 'name:version' or 'name:version:url', e.g. 'My Worker:1.2.0:https://example.com'")
    if name != name.strip():
        raise ValueError("the name must not start or end with spaces (the horde compares names exactly)")
    if not _BRIDGE_VERSION.match(version):
        raise ValueError(
            f"the version {version!r} is not one the horde reads (a number such as '9', '9.1' or '9.1.0'): the horde "
            "would take the worker for an unknown bridge and send it no feature"
        )
    if len(value) > BRIDGE_AGENT_MAX_LENGTH:
        raise ValueError(f"must be at most {BRIDGE_AGENT_MAX_LENGTH} characters long")
    return value if url.strip() else f"{name}:{version}"


Secret: TypeAlias = Annotated[SecretStr, BeforeValidator(_secret_text)]
"""A secret (API key, token): text, never shown in reprs, dumps or messages."""

HttpUrl: TypeAlias = Annotated[str, AfterValidator(_http_url)]
"""An http:// or https:// URL without credentials, kept as written (without surrounding spaces)."""

BridgeAgentText: TypeAlias = Annotated[str, AfterValidator(_bridge_agent)]
"""How the worker names itself to the horde in its pops: ``name:version`` or ``name:version:url``. The name has no
``:``; the version is a number the horde compares as a version (``9``, ``9.1.0``; see
`BRIDGE_AGENT_VERSION_PATTERN`); the url (anything, colons included) says where the software lives. The horde
decides from the name and version which features it trusts the worker with."""

BackendName: TypeAlias = Annotated[str, AfterValidator(_backend_name)]
"""Which backend runs a kind of job: a built-in name (``demo``, ``koboldai``, ``openai``) or the
``package.module:attribute`` path of a factory that `horde_sdk.worker` calls to build one."""

_Name: TypeAlias = Annotated[str, NotBlank()]


class FrozenNameMap(dict[str, str]):
    """A name -> name mapping (such as `image_model_map`) that cannot be changed and can be hashed."""

    def __hash__(self) -> int:  # type: ignore[override] # immutable, so hashable
        return hash(tuple(sorted(self.items())))

    def _refuse(self, *_args: object, **_kwargs: object) -> None:
        raise TypeError("configuration values cannot be changed")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _refuse  # type: ignore[assignment] # read-only


def _name_map(value: dict[str, str]) -> FrozenNameMap:
    """Accept a mapping of non-blank names to non-blank names (keys and values stripped)."""
    checked: dict[str, str] = {}
    for key, item in value.items():
        if not key.strip() or not item.strip():
            raise ValueError("every name and every value must be non-empty text")
        checked[key.strip()] = item.strip()
    return FrozenNameMap(checked)


NameMap: TypeAlias = Annotated[dict[str, str], AfterValidator(_name_map)]
"""A mapping of non-empty names to non-empty names, read-only and hashable (`FrozenNameMap`)."""
_Positive: TypeAlias = Annotated[int, Bounds(minimum=1)]
_NonNegative: TypeAlias = Annotated[int, Bounds(minimum=0)]
_Words: TypeAlias = tuple[_Name, ...]

_MEMORY_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|mb)?\s*$", re.IGNORECASE)


class MemoryAmount(_DeployConfigModel):
    """An amount of (V)RAM: a percentage of the total (``"80%"``) or a number of megabytes (``4096``).

    Read from, and written back as, the configuration's form: ``"80%"``, ``4096`` or ``"4096"``.
    """

    percent: float | None = Field(default=None, ge=0, le=100, description="A share of the total, in percent.")
    megabytes: int | None = Field(default=None, ge=0, description="An absolute amount in megabytes.")

    @model_validator(mode="before")
    @classmethod
    def parse_configuration_form(cls, data: Any) -> Any:  # noqa: ANN401 (pydantic passes raw input)
        """Turn ``"80%"``, ``4096`` or ``"4096"`` into the model's fields.

        Args:
            data: The raw value from the configuration.

        Returns:
            The fields of the model.

        Raises:
            ValueError: If the value is neither a percentage nor a whole number of megabytes.
        """
        if isinstance(data, dict | MemoryAmount):
            return data
        if isinstance(data, bool) or not isinstance(data, int | str):
            # pydantic reports ValueError (not TypeError) as a validation error.
            raise ValueError("must be a percentage such as '80%' or a whole number of megabytes")  # noqa: TRY004
        if isinstance(data, int):
            return {"megabytes": data}
        match = _MEMORY_PATTERN.match(data)
        if match is None:
            raise ValueError("must be a percentage such as '80%' or a whole number of megabytes")
        number, unit = match.groups()
        if unit == "%":
            if float(number) > 100:
                raise ValueError("a percentage must be between 0% and 100%")
            return {"percent": float(number)}
        if "." in number:
            raise ValueError("megabytes must be a whole number")
        return {"megabytes": int(number)}

    @model_validator(mode="after")
    def exactly_one_unit(self) -> "MemoryAmount":
        """Require exactly one of `percent` and `megabytes`."""
        if (self.percent is None) == (self.megabytes is None):
            raise ValueError("exactly one of percent and megabytes must be set")
        return self

    @model_serializer(mode="plain")
    def as_configuration_value(self) -> str | int:
        """Write the amount back as the configuration writes it: ``"80%"`` or a number of megabytes."""
        if self.percent is not None:
            return f"{self.percent:g}%"
        return self.megabytes if self.megabytes is not None else 0

    def to_megabytes(self, total_megabytes: int) -> int:
        """Return the amount in megabytes, given the total memory of the machine or device.

        Args:
            total_megabytes: The total amount of the memory in question, in megabytes.

        Returns:
            The amount, rounded down to a whole megabyte.
        """
        if self.percent is not None:
            return int(total_megabytes * self.percent / 100)
        return self.megabytes if self.megabytes is not None else 0


def _alchemy_form_entry(value: str) -> str:
    """Keep ``post-process`` as written; other form names become `KNOWN_ALCHEMY_FORMS` members (or warn)."""
    if value == ALCHEMY_POST_PROCESS_FORMS_ENTRY:
        return value
    resolved: str = resolve_known_value(value, KNOWN_ALCHEMY_FORMS, "forms")
    return resolved


AlchemyFormEntry: TypeAlias = Annotated[str, NotBlank(), AfterValidator(_alchemy_form_entry)]
"""A `forms` entry: an alchemy form name (unknown names are accepted with a warning) or ``post-process``."""


def _post_processor_forms() -> tuple[KNOWN_ALCHEMY_FORMS, ...]:
    """Return the alchemy forms of every known post-processor (what ``post-process`` stands for)."""
    values = {form.value for form in KNOWN_ALCHEMY_FORMS}
    return tuple(KNOWN_ALCHEMY_FORMS(pp.value) for pp in KNOWN_IMAGE_POST_PROCESSORS if pp.value in values)


# ---------------------------------------------------------------------------------------------------------------
# Configuration models
# ---------------------------------------------------------------------------------------------------------------


class BaseWorkerDeployConfig(_DeployConfigModel):
    """The settings every AI Horde worker has, whatever it generates."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS]
    """The kind of worker this class configures."""

    api_key: Secret = Field(
        default=SecretStr(ANONYMOUS_API_KEY),
        description="The API key of the worker's owner (secret). Workers need a registered key.",
    )
    horde_url: HttpUrl = Field(default=DEFAULT_HORDE_URL, description="The URL of the horde to work for.")
    max_threads: _Positive = Field(default=1, description="How many jobs the worker runs at the same time.")
    queue_size: _NonNegative = Field(
        default=1,
        description="How many jobs the worker pops ahead of the ones running.",
    )
    priority_usernames: tuple[_Name, ...] = Field(
        default=(),
        description="Users (``name#id``) whose jobs the worker serves first.",
    )
    stats_output_frequency: _NonNegative = Field(
        default=30,
        description="Seconds between two statistics reports in the log (0 turns them off).",
    )
    disable_terminal_ui: bool = Field(default=False, description="Whether to run without the terminal interface.")
    suppress_speed_warnings: bool = Field(default=False, description="Whether to hide warnings about slow jobs.")
    cache_home: Path | None = Field(default=None, description="Where models and other downloads are kept.")
    temp_dir: Path | None = Field(default=None, description="Where temporary files are written.")
    ram_to_leave_free: MemoryAmount = Field(
        default=MemoryAmount(percent=80),
        description="System RAM the worker leaves to other programs ('80%' or megabytes).",
    )
    vram_to_leave_free: MemoryAmount = Field(
        default=MemoryAmount(percent=80),
        description="GPU memory the worker leaves to other programs ('80%' or megabytes).",
    )
    bridge_agent: BridgeAgentText | None = Field(
        default=None,
        description=(
            "How the worker names itself to the horde ('name:version' or 'name:version:url'). The horde sends a "
            "worker only the features it knows its bridge (name and version) supports. Unset: the worker "
            "software's own default (horde-sdk-worker documents its choice)."
        ),
    )

    def get_worker_names(self) -> dict[KNOWN_WORKER_KINDS, str | None]:
        """Return the configured worker name of each kind this configuration covers (None when not set)."""
        return {}

    def effective_config(self) -> dict[str, Any]:
        """Return every setting under its configuration key, as plain YAML/JSON values, with secrets masked.

        Returns:
            A new dict; secrets read ``**********`` (None when not set), model lists and memory amounts are written
            the way the configuration file writes them.
        """
        return self.model_dump(mode="json")


class ImageWorkerDeployConfig(BaseWorkerDeployConfig):
    """The configuration of an image worker (a "dreamer")."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.dreamer

    dreamer_name: _Name | None = field_with_former_names(
        "dreamer_name",
        "worker_name",
        default=None,
        description="The name the image worker registers under (also read from `worker_name`).",
    )
    models_to_load: ModelSelection = field_with_former_names(
        "models_to_load",
        "image_models_to_load",
        default=ModelSelection(),
        description="Models to load: names and meta entries such as 'top 5', 'all sdxl' or 'all sfw'.",
    )
    models_to_skip: ModelSelection = Field(
        default=ModelSelection(),
        description="Models never to load, even when a meta entry of `models_to_load` selects them.",
    )
    max_power: _Positive = Field(
        default=8,
        description=f"The largest image size served, in units of {PIXELS_PER_MAX_POWER} pixels (see `max_pixels`).",
    )
    max_batch: _Positive = Field(default=1, description="The most images generated in one run.")
    nsfw: bool = Field(default=True, description="Whether the worker accepts NSFW jobs.")
    censor_nsfw: bool = Field(default=False, description="Whether NSFW results of SFW jobs are censored.")
    blacklist: _Words = Field(default=(), description="Jobs whose prompt holds one of these words are refused.")
    censorlist: _Words = Field(default=(), description="Results of prompts holding one of these words are censored.")
    allow_img2img: bool = Field(default=True, description="Whether img2img (and remix) jobs are served.")
    allow_painting: bool = Field(default=True, description="Whether inpainting and outpainting jobs are served.")
    allow_unsafe_ip: bool = Field(
        default=True,
        description="Whether jobs with source images from IP addresses flagged as unsafe are served.",
    )
    allow_post_processing: bool = Field(default=True, description="Whether post-processors may run on results.")
    allow_controlnet: bool = Field(default=False, description="Whether ControlNet jobs are served.")
    allow_sdxl_controlnet: bool = Field(
        default=False, description="Whether ControlNet jobs on SDXL models are served."
    )
    allow_lora: bool = Field(default=False, description="Whether jobs with LoRas (and textual inversions) are served.")
    max_lora_cache_size: _NonNegative = Field(default=10, description="Disk space kept for downloaded LoRas, in GB.")
    require_upfront_kudos: bool = Field(
        default=False,
        description="Whether only users who pay kudos upfront (not anonymous) are served.",
    )
    extra_slow_worker: bool = Field(default=False, description="Whether the worker announces itself as very slow.")
    limit_max_steps: bool = Field(default=False, description="Whether the steps of a job are capped per model.")
    dynamic_models: bool = Field(default=False, description="Whether the worker swaps in models that are in demand.")
    number_of_dynamic_models: _NonNegative = Field(default=0, description="How many models dynamic loading adds.")
    max_models_to_download: _NonNegative = Field(default=10, description="The most models downloaded for dynamic use.")
    always_download: bool = Field(default=False, description="Whether missing models are downloaded without asking.")
    safety_on_gpu: bool = Field(default=False, description="Whether the safety checker runs on the GPU.")
    high_memory_mode: bool = Field(default=False, description="Whether models are kept in RAM more eagerly.")
    high_performance_mode: bool = Field(default=False, description="Tuning for fast GPUs.")
    moderate_performance_mode: bool = Field(default=False, description="Tuning for mid-range GPUs.")
    post_process_timeout: _Positive = Field(default=60, description="Seconds a post-processor may run.")
    unload_models_from_vram_often: bool = Field(default=True, description="Whether models leave VRAM between jobs.")
    exit_on_unhandled_faults: bool = Field(default=False, description="Whether the worker stops on unhandled faults.")
    purge_loras_on_download: bool = Field(default=False, description="Whether the LoRa cache is cleared on download.")
    civitai_api_token: Secret | None = Field(default=None, description="The CivitAI API token (secret).")
    horde_model_stickiness: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="How much the worker prefers jobs for the model already loaded (0 to 1).",
    )
    remove_maintenance_on_init: bool = Field(
        default=False,
        description="Whether the worker clears its maintenance mode when it starts.",
    )
    load_large_models: bool = Field(default=False, description="Whether very large models may be loaded.")
    image_backend: BackendName | None = Field(
        default=None,
        description=(
            "What generates images: 'comfyui' (a ComfyUI server at image_backend_url), 'sdwebui' (a web UI with "
            "the Automatic1111 API at image_backend_url), 'demo' (built in, CPU, placeholder art for trying the "
            "worker out) or the 'package.module:attribute' path of an engine's backend factory. Required to serve "
            "images."
        ),
    )
    image_backend_url: HttpUrl | None = Field(
        default=None,
        description=(
            "The address of the image engine the 'comfyui' and 'sdwebui' backends drive "
            "(ComfyUI: http://127.0.0.1:8188, an Automatic1111-API web UI: http://127.0.0.1:7860)."
        ),
    )
    image_model_map: NameMap = Field(
        default_factory=FrozenNameMap,
        description=(
            "For the 'comfyui' and 'sdwebui' backends: horde model name -> the engine's checkpoint file. The worker "
            "offers the mapped models whose file the engine has (narrowed by models_to_load when that is set)."
        ),
    )

    @property
    def max_pixels(self) -> int:
        """The largest image (width times height) served: `PIXELS_PER_MAX_POWER` times `max_power`."""
        return PIXELS_PER_MAX_POWER * self.max_power

    def get_worker_names(self) -> dict[KNOWN_WORKER_KINDS, str | None]:
        """Return the configured worker name of each kind this configuration covers (None when not set)."""
        return {**super().get_worker_names(), KNOWN_WORKER_KINDS.dreamer: self.dreamer_name}

    def image_feature_flags(self) -> ImageGenerationFeatureFlags:
        """Return the image features this configuration lets the worker serve.

        Features the configuration governs follow it: img2img and remix (`allow_img2img`), inpainting and
        outpainting (`allow_painting`), ControlNet and its types (`allow_controlnet`), LoRas and textual inversions
        (`allow_lora`), post-processing and every known post-processor (`allow_post_processing`). Everything the
        configuration has no say on (samplers, schedulers, hires fix, ...) is reported as allowed with every known
        value; the worker narrows that down to what its backend can do.

        Returns:
            The supported-side feature flags.
        """
        processing: list[KNOWN_IMAGE_SOURCE_PROCESSING] = []
        if self.allow_img2img:
            processing += [KNOWN_IMAGE_SOURCE_PROCESSING.img2img, KNOWN_IMAGE_SOURCE_PROCESSING.remix]
        if self.allow_painting:
            processing += [KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting]
        return ImageGenerationFeatureFlags(
            source_processing=tuple(processing),
            extra_source_images=self.allow_img2img,
            controlnet=self.allow_controlnet,
            controlnet_types=tuple(KNOWN_IMAGE_CONTROLNETS) if self.allow_controlnet else (),
            hires_fix=True,
            loras=self.allow_lora,
            textual_inversion=self.allow_lora,
            tiling=True,
            transparency=True,
            clip_skip=True,
            post_processing=self.allow_post_processing,
            post_processors=tuple(KNOWN_IMAGE_POST_PROCESSORS) if self.allow_post_processing else (),
            samplers=tuple(KNOWN_IMAGE_SAMPLERS),
            schedulers=tuple(KNOWN_IMAGE_SCHEDULERS),
            extra_texts=True,
            workflows=tuple(KNOWN_IMAGE_WORKFLOWS),
            baselines=tuple(KNOWN_IMAGE_MODEL_BASELINES),
        )

    def get_unmet_image_requirements(self, parameters: ImageGenerationParameters) -> tuple[str, ...]:
        """Return why this configuration does not let the worker run `parameters` (empty when it does).

        Besides the feature flags, the limits of the configuration are checked: the image size against
        `max_pixels`, the batch against `max_batch`, and ControlNet on SDXL against `allow_sdxl_controlnet`.

        Args:
            parameters: The image generation to check.

        Returns:
            One description per unmet requirement.
        """
        unmet = list(parameters.get_required_feature_flags().get_unmet_requirements(self.image_feature_flags()))
        pixels = parameters.width * parameters.height
        if pixels > self.max_pixels:
            unmet.append(f"max_pixels: {parameters.width}x{parameters.height} is more than {self.max_pixels} pixels")
        if parameters.batch_size > self.max_batch:
            unmet.append(f"max_batch: a batch of {parameters.batch_size} is more than {self.max_batch}")
        if (
            parameters.controlnet is not None
            and parameters.model_baseline == KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_xl
            and not self.allow_sdxl_controlnet
        ):
            unmet.append("allow_sdxl_controlnet: ControlNet on an SDXL model")
        return tuple(unmet)

    def can_serve_image(self, parameters: ImageGenerationParameters) -> bool:
        """Return whether this configuration lets the worker run `parameters` (see `get_unmet_image_requirements`).

        Args:
            parameters: The image generation to check.

        Returns:
            True when nothing is unmet.
        """
        return not self.get_unmet_image_requirements(parameters)


class AlchemyWorkerDeployConfig(BaseWorkerDeployConfig):
    """The configuration of an alchemy worker (an "alchemist")."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.alchemist

    alchemist_name: _Name | None = field_with_former_names(
        "alchemist_name",
        "worker_name",
        default=None,
        description="The name the alchemy worker registers under (also read from `worker_name`).",
    )
    forms: tuple[AlchemyFormEntry, ...] = Field(
        default=(),
        description="The alchemy forms served; 'post-process' stands for every post-processor.",
    )
    alchemy_backend: BackendName | None = Field(
        default=None,
        description=(
            "What runs alchemy forms: 'demo' (built in, CPU, simple image statistics for trying the worker out) or "
            "the 'package.module:attribute' path of an engine's backend factory. Required to serve alchemy."
        ),
    )

    def get_worker_names(self) -> dict[KNOWN_WORKER_KINDS, str | None]:
        """Return the configured worker name of each kind this configuration covers (None when not set)."""
        return {**super().get_worker_names(), KNOWN_WORKER_KINDS.alchemist: self.alchemist_name}

    def get_alchemy_forms(self) -> tuple[str, ...]:
        """Return the forms served, with ``post-process`` expanded to every post-processor form, without repeats."""
        forms: list[str] = []
        for entry in self.forms:
            forms.extend(_post_processor_forms() if entry == ALCHEMY_POST_PROCESS_FORMS_ENTRY else (entry,))
        return tuple(dict.fromkeys(forms))

    def alchemy_feature_flags(self) -> AlchemyFeatureFlags:
        """Return the alchemy forms this configuration lets the worker serve, as feature flags."""
        return AlchemyFeatureFlags(alchemy_forms=self.get_alchemy_forms())

    def get_unmet_alchemy_requirements(self, parameters: AlchemyParameters) -> tuple[str, ...]:
        """Return the forms of `parameters` this configuration does not serve (empty when it serves them all).

        Args:
            parameters: The alchemy request to check.

        Returns:
            One description per unmet requirement.
        """
        return parameters.get_required_feature_flags().get_unmet_requirements(self.alchemy_feature_flags())

    def can_serve_alchemy(self, parameters: AlchemyParameters) -> bool:
        """Return whether this configuration serves every form of `parameters`.

        Args:
            parameters: The alchemy request to check.

        Returns:
            True when nothing is unmet.
        """
        return not self.get_unmet_alchemy_requirements(parameters)


class TextWorkerDeployConfig(BaseWorkerDeployConfig):
    """The configuration of a text worker (a "scribe") in front of a KoboldAI-compatible backend."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.scribe

    scribe_name: _Name | None = field_with_former_names(
        "scribe_name",
        "worker_name",
        default=None,
        description="The name the text worker registers under (also read from `worker_name`).",
    )
    kai_url: HttpUrl = Field(default=DEFAULT_KAI_URL, description="The URL of the text backend.")
    text_backend: BackendName = Field(
        default=DEFAULT_TEXT_BACKEND,
        description=(
            "What generates text: 'koboldai' (a KoboldAI-compatible server at kai_url), 'openai' (an "
            "OpenAI-compatible completions server at kai_url), 'demo' (built in, for trying the worker out) or "
            "the 'package.module:attribute' path of a backend factory."
        ),
    )
    text_backend_api_key: Secret | None = Field(
        default=None,
        description="The bearer token the text backend server asks for, if any (secret).",
    )
    max_length: _Positive = Field(
        default=DEFAULT_SCRIBE_MAX_LENGTH,
        description="The most tokens generated for one request.",
    )
    max_context_length: _Positive = Field(
        default=DEFAULT_SCRIBE_MAX_CONTEXT_LENGTH,
        description="The largest context (prompt and generation) accepted, in tokens.",
    )
    branded_model: bool = Field(
        default=False,
        description="Whether the served model name carries the worker owner's name.",
    )
    model_name: _Name | None = Field(
        default=None,
        description="The text model name to announce, instead of the one the backend reports.",
    )

    @model_validator(mode="after")
    def length_fits_in_context(self) -> "TextWorkerDeployConfig":
        """Require `max_length` to be smaller than `max_context_length`."""
        if self.max_length >= self.max_context_length:
            raise ValueError(
                f"max_length ({self.max_length}) must be smaller than max_context_length ({self.max_context_length})"
            )
        return self

    def get_worker_names(self) -> dict[KNOWN_WORKER_KINDS, str | None]:
        """Return the configured worker name of each kind this configuration covers (None when not set)."""
        return {**super().get_worker_names(), KNOWN_WORKER_KINDS.scribe: self.scribe_name}

    def text_feature_flags(self) -> TextGenerationFeatureFlags:
        """Return the text features this configuration lets the worker serve.

        The configuration restricts lengths (see `get_unmet_text_requirements`), not features: every flag is
        reported as allowed, with every known formatting option. The worker narrows them down to its backend.
        """
        return TextGenerationFeatureFlags(
            extra_source_images=True,
            stop_sequences=True,
            custom_sampler_order=True,
            formatting_options=tuple(KNOWN_TEXT_FORMATTING_OPTIONS),
            min_p=True,
            smoothing_factor=True,
            dynamic_temperature=True,
        )

    def get_unmet_text_requirements(self, parameters: TextGenerationParameters) -> tuple[str, ...]:
        """Return why this configuration does not let the worker run `parameters` (empty when it does).

        Args:
            parameters: The text generation to check.

        Returns:
            One description per unmet requirement: features, then `max_length` and `max_context_length`.
        """
        unmet = list(parameters.get_required_feature_flags().get_unmet_requirements(self.text_feature_flags()))
        if parameters.max_length > self.max_length:
            unmet.append(f"max_length: {parameters.max_length} tokens is more than {self.max_length}")
        if parameters.max_context_length > self.max_context_length:
            unmet.append(
                f"max_context_length: {parameters.max_context_length} tokens is more than {self.max_context_length}"
            )
        return tuple(unmet)

    def can_serve_text(self, parameters: TextGenerationParameters) -> bool:
        """Return whether this configuration lets the worker run `parameters`.

        Args:
            parameters: The text generation to check.

        Returns:
            True when nothing is unmet.
        """
        return not self.get_unmet_text_requirements(parameters)


class CombinedWorkerDeployConfig(TextWorkerDeployConfig, AlchemyWorkerDeployConfig, ImageWorkerDeployConfig):
    """The configuration of a deployment running several kinds of worker: every setting of every kind.

    `worker_name` names every kind whose own name key (`dreamer_name`, `alchemist_name`, `scribe_name`) is absent.
    """

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.combined


WORKER_DEPLOY_CONFIG_CLASSES: dict[KNOWN_WORKER_KINDS, type[BaseWorkerDeployConfig]] = {
    KNOWN_WORKER_KINDS.dreamer: ImageWorkerDeployConfig,
    KNOWN_WORKER_KINDS.alchemist: AlchemyWorkerDeployConfig,
    KNOWN_WORKER_KINDS.scribe: TextWorkerDeployConfig,
    KNOWN_WORKER_KINDS.combined: CombinedWorkerDeployConfig,
}
"""The configuration class of each worker kind."""
