"""API-agnostic descriptions of an image generation.

`BasicImageGenerationParameters` holds what every image backend understands (prompt, size, steps, sampler, ...).
`ImageGenerationParameters` extends it with the optional features (img2img, inpainting, remix, ControlNet, hires
fix, LoRas, textual inversions, extra texts, custom workflows, post-processing) and is the parameter set clients,
workers and deploy-config exchange. `ImageGenerationParametersTemplate` is its all-optional twin for styles, and
`ImageGenerationFeatureFlags` describes what a parameter set requires or what a worker supports.
"""

from typing import Annotated, Any, TypeAlias

from pydantic import BeforeValidator, Field, model_validator

from horde_sdk.generation_parameters.generic.object_models import (
    ComposedParameterSetBase,
    ExtraSourceImageEntry,
    GenerationFeatureFlags,
    GenerationParameterComponentBase,
    GenerationSourceImage,
    ParametersTemplateBase,
    register_migration,
)
from horde_sdk.generation_parameters.image.consts import (
    DEFAULT_CLIP_SKIP,
    DEFAULT_IMAGE_CFG_SCALE,
    DEFAULT_IMAGE_HEIGHT,
    DEFAULT_IMAGE_SAMPLER,
    DEFAULT_IMAGE_SCHEDULER,
    DEFAULT_IMAGE_STEPS,
    DEFAULT_IMAGE_WIDTH,
    IMAGE_DIMENSION_MULTIPLE,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KnownImageControlnet,
    KnownImageModelBaseline,
    KnownImagePostProcessor,
    KnownImageSampler,
    KnownImageScheduler,
    KnownImageSourceProcessing,
    KnownImageWorkflow,
    KnownTIInjectLocation,
)
from horde_sdk.generation_parameters.validation import Bounds, NotBlank, NotEmpty, field_with_former_names

__all__ = [
    "BasicImageGenerationParameters",
    "BasicImageGenerationParametersTemplate",
    "ControlnetGenerationParameters",
    "CustomWorkflowGenerationParameters",
    "ExtraTextEntry",
    "HiresFixGenerationParameters",
    "Image2ImageGenerationParameters",
    "ImageDimension",
    "ImageGenerationFeatureFlags",
    "ImageGenerationParameters",
    "ImageGenerationParametersTemplate",
    "ImagePostProcessingParameters",
    "LoRaEntry",
    "RemixGenerationParameters",
    "TIEntry",
    "get_image_feature_flags_required",
]


def _seed_as_text(value: Any) -> Any:  # noqa: ANN401 (raw input)
    """Accept integer seeds for convenience: seeds are text (the API sends strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


ImageDimension: TypeAlias = Annotated[
    int,
    Bounds(minimum=0, exclusive_minimum=True, multiple_of=IMAGE_DIMENSION_MULTIPLE),
]
"""A width or height in pixels: a positive multiple of 64."""

_AtLeastOne: TypeAlias = Annotated[int, Bounds(minimum=1)]
_NonNegativeFloat: TypeAlias = Annotated[float, Bounds(minimum=0)]
_UnitInterval: TypeAlias = Annotated[float, Bounds(minimum=0, maximum=1)]
_Seed: TypeAlias = Annotated[str, BeforeValidator(_seed_as_text)]
_Name: TypeAlias = Annotated[str, NotBlank()]


_IMG2IMG_SOURCE_PROCESSING = frozenset(
    {
        KNOWN_IMAGE_SOURCE_PROCESSING.img2img,
        KNOWN_IMAGE_SOURCE_PROCESSING.inpainting,
        KNOWN_IMAGE_SOURCE_PROCESSING.outpainting,
    },
)

# Field descriptions shared by the parameter classes and their templates.
_D_MODEL = "The name of the model to use; None lets the server or backend choose."
_D_MODEL_BASELINE = "The family (baseline) of the model, a KNOWN_IMAGE_MODEL_BASELINES value, when known."
_D_PROMPT = "The text describing the image to generate. Must not be empty."
_D_NEGATIVE_PROMPT = "The text describing what the image should not contain."
_D_WIDTH = "The width of the image in pixels: a positive multiple of 64 (the AI Horde allows up to 3072)."
_D_HEIGHT = "The height of the image in pixels: a positive multiple of 64 (the AI Horde allows up to 3072)."
_D_STEPS = "The number of sampling steps, at least 1 (the AI Horde allows up to 500). Formerly `ddim_steps`."
_D_CFG_SCALE = "The classifier-free guidance scale, at least 0 (the AI Horde allows up to 100)."
_D_SAMPLER = "The sampler, a KNOWN_IMAGE_SAMPLERS value."
_D_SCHEDULER = "The noise scheduler, a KNOWN_IMAGE_SCHEDULERS value (the AI Horde's `karras` flag selects `karras`)."
_D_SEED = "The seed as text (any text is allowed; integers are accepted and turned into text). None means random."
_D_SEED_VARIATION = "With a batch, how much the seed is incremented for each further image (at least 1)."
_D_DENOISING = "How much of a source image is replaced, from 0 (nothing) to 1 (everything)."
_D_CLIP_SKIP = "The number of CLIP layers to skip, at least 1 (1 skips none; the AI Horde allows up to 12)."
_D_TILING = "Whether to make an image which tiles seamlessly."
_D_BATCH_SIZE = (
    "How many images one run of inference produces, at least 1 (the AI Horde allows up to 20). "
    "Also accepted as `n` or `n_iter`."
)
_D_SOURCE_PROCESSING = (
    "How source images are used, a KNOWN_IMAGE_SOURCE_PROCESSING value: `txt2img` (none), `img2img`, "
    "`inpainting` or `outpainting` (need `img2img`), or `remix` (needs `remix`)."
)
_D_IMG2IMG = "The source image (and mask) for img2img, inpainting and outpainting."
_D_REMIX = "The source image and extra source images for remix."
_D_CONTROLNET = "ControlNet settings, if ControlNet is used."
_D_HIRES_FIX = "Hires fix settings, if the image is generated at a lower resolution first and then refined."
_D_LORAS = "The LoRas to apply, in order."
_D_TIS = "The textual inversions to apply, in order."
_D_EXTRA_TEXTS = "Extra texts for workflows which need more than a prompt (for example the QR code text)."
_D_CUSTOM_WORKFLOW = "The named backend workflow to use, if not the default one."
_D_POST_PROCESSING = "The post-processing chain applied to every generated image."
_D_TRANSPARENT = "Whether to generate an image with a transparent background (Layer Diffuse)."


class Image2ImageGenerationParameters(GenerationParameterComponentBase):
    """The inputs of img2img, inpainting and outpainting: a source image and an optional mask."""

    source_image: GenerationSourceImage = Field(description="The image to start from (bytes, URL or base64).")
    source_mask: GenerationSourceImage | None = Field(
        default=None,
        description=(
            "For inpainting and outpainting, the mask of the areas to paint (bytes, URL or base64). When None, "
            "the mask is taken from the source image's alpha channel."
        ),
    )


class RemixGenerationParameters(GenerationParameterComponentBase):
    """The inputs of remix: a source image plus extra images to blend in."""

    source_image: GenerationSourceImage = Field(description="The image to remix (bytes, URL or base64).")
    extra_source_images: tuple[ExtraSourceImageEntry, ...] = Field(
        default=(),
        description="Further images (with strengths) to blend into the result.",
    )


class ControlnetGenerationParameters(GenerationParameterComponentBase):
    """ControlNet settings: which control type, and whether the input is already a control map."""

    control_type: KnownImageControlnet = Field(description="The ControlNet type, a KNOWN_IMAGE_CONTROLNETS value.")
    source_image: GenerationSourceImage | None = Field(
        default=None,
        description="The ControlNet input image (bytes, URL or base64). None uses the img2img source image.",
    )
    image_is_control: bool = Field(
        default=False,
        description="Whether the input image is already a control map (so no annotator runs).",
    )
    return_control_map: bool = Field(
        default=False,
        description="Whether to return the control map instead of a generated image.",
    )


class HiresFixGenerationParameters(GenerationParameterComponentBase):
    """Hires fix: generate at a lower resolution, upscale, then refine at the requested size."""

    denoising_strength: _UnitInterval | None = field_with_former_names(
        "denoising_strength",
        "hires_fix_denoising_strength",
        default=None,
        description="How much the second pass may change the image, from 0 to 1; None uses the backend default.",
    )
    first_pass_width: ImageDimension | None = Field(
        default=None,
        description="The width of the first pass, a positive multiple of 64; None lets the backend choose.",
    )
    first_pass_height: ImageDimension | None = Field(
        default=None,
        description="The height of the first pass, a positive multiple of 64; None lets the backend choose.",
    )


class LoRaEntry(GenerationParameterComponentBase):
    """One LoRa to apply to the model."""

    name: _Name = Field(
        description=(
            "The LoRa's exact name or CivitAI model id; with `is_version`, its CivitAI version id. Must not be empty."
        ),
    )
    model_strength: float = Field(default=1.0, description="The strength applied to the diffusion model.")
    clip_strength: float = Field(default=1.0, description="The strength applied to the CLIP text encoder.")
    inject_trigger: Annotated[str, NotEmpty()] | None = Field(
        default=None,
        description=(
            "If set, a trigger word of the LoRa matching this text is added to the prompt; "
            "KNOWN_LORA_INJECT_TRIGGERS.any picks its first trigger."
        ),
    )
    is_version: bool = Field(
        default=False,
        description="Whether `name` is a CivitAI version id (an integer) rather than a model name or id.",
    )

    @model_validator(mode="after")
    def version_names_are_integers(self) -> "LoRaEntry":
        """Reject a non-integer `name` when `is_version` is set (a CivitAI version id is always an integer)."""
        if self.is_version and not (self.name.isascii() and self.name.strip().isdigit()):
            raise ValueError(f"name must be an integer CivitAI version id when is_version is set, got {self.name!r}")
        return self


class TIEntry(GenerationParameterComponentBase):
    """One textual inversion (embedding) to apply."""

    name: _Name = Field(description="The textual inversion's exact name or CivitAI id. Must not be empty.")
    inject_ti: KnownTIInjectLocation | None = Field(
        default=None,
        description=(
            "Where to add the embedding automatically, a KNOWN_TI_INJECT_LOCATIONS value; None means the prompt "
            "already references it."
        ),
    )
    strength: float = Field(default=1.0, description="The strength of the injected embedding.")


class ExtraTextEntry(GenerationParameterComponentBase):
    """A piece of text, beyond the prompt, used by a workflow (for example the contents of a QR code)."""

    text: Annotated[str, NotEmpty()] = Field(description="The text. Must not be empty.")
    reference: _Name = Field(description="What the text is for, as understood by the workflow. Must not be empty.")


class CustomWorkflowGenerationParameters(GenerationParameterComponentBase):
    """A named backend workflow to use instead of the default one."""

    workflow: KnownImageWorkflow = Field(description="The workflow name, a KNOWN_IMAGE_WORKFLOWS value.")


class ImagePostProcessingParameters(GenerationParameterComponentBase):
    """The post-processing chain (upscalers, face fixers, background removal, ...) applied to each image."""

    post_processors: tuple[KnownImagePostProcessor, ...] = Field(
        default=(),
        description="The post-processors to apply, in order; KNOWN_IMAGE_POST_PROCESSORS values.",
    )
    facefixer_strength: _UnitInterval | None = Field(
        default=None,
        description="The strength of face fixers, from 0 to 1; None uses the backend default.",
    )


class BasicImageGenerationParameters(GenerationParameterComponentBase):
    """The parameters every image generation has, whatever the backend: a txt2img description."""

    model: _Name | None = Field(default=None, description=_D_MODEL)
    model_baseline: KnownImageModelBaseline | None = Field(default=None, description=_D_MODEL_BASELINE)
    prompt: Annotated[str, NotBlank()] = Field(description=_D_PROMPT)
    negative_prompt: str | None = Field(default=None, description=_D_NEGATIVE_PROMPT)
    width: ImageDimension = Field(default=DEFAULT_IMAGE_WIDTH, description=_D_WIDTH)
    height: ImageDimension = Field(default=DEFAULT_IMAGE_HEIGHT, description=_D_HEIGHT)
    steps: _AtLeastOne = field_with_former_names(
        "steps", "ddim_steps", default=DEFAULT_IMAGE_STEPS, description=_D_STEPS
    )
    cfg_scale: _NonNegativeFloat = Field(default=DEFAULT_IMAGE_CFG_SCALE, description=_D_CFG_SCALE)
    sampler_name: KnownImageSampler = Field(default=DEFAULT_IMAGE_SAMPLER, description=_D_SAMPLER)
    scheduler: KnownImageScheduler = Field(default=DEFAULT_IMAGE_SCHEDULER, description=_D_SCHEDULER)
    seed: _Seed | None = Field(default=None, description=_D_SEED)
    seed_variation: _AtLeastOne | None = Field(default=None, description=_D_SEED_VARIATION)
    denoising_strength: _UnitInterval | None = Field(default=None, description=_D_DENOISING)
    clip_skip: _AtLeastOne = Field(default=DEFAULT_CLIP_SKIP, description=_D_CLIP_SKIP)
    tiling: bool = Field(default=False, description=_D_TILING)
    batch_size: _AtLeastOne = field_with_former_names(
        "batch_size", "n", "n_iter", default=1, description=_D_BATCH_SIZE
    )


class ImageGenerationFeatureFlags(GenerationFeatureFlags):
    """Image features a parameter set requires, or that an image worker or backend supports.

    Tuple fields list values (sources processing modes, samplers, ...); on the required side they hold exactly
    what the parameter set uses, on the supported side everything the worker can do.
    """

    source_processing: tuple[KnownImageSourceProcessing, ...] = Field(
        default=(),
        description="Source-image modes (img2img, inpainting, outpainting, remix); txt2img is always supported.",
    )
    extra_source_images: bool = Field(default=False, description="Extra source images (remix references).")
    controlnet: bool = Field(default=False, description="ControlNet.")
    controlnet_types: tuple[KnownImageControlnet, ...] = Field(default=(), description="ControlNet types.")
    hires_fix: bool = Field(default=False, description="Hires fix (two-pass generation).")
    loras: bool = Field(default=False, description="LoRas.")
    textual_inversion: bool = Field(default=False, description="Textual inversions.")
    tiling: bool = Field(default=False, description="Seamless tiling.")
    transparency: bool = Field(default=False, description="Transparent backgrounds (Layer Diffuse).")
    clip_skip: bool = Field(default=False, description="Skipping CLIP layers (clip_skip above 1).")
    post_processing: bool = Field(default=False, description="Post-processing.")
    post_processors: tuple[KnownImagePostProcessor, ...] = Field(default=(), description="Post-processors.")
    samplers: tuple[KnownImageSampler, ...] = Field(default=(), description="Samplers.")
    schedulers: tuple[KnownImageScheduler, ...] = Field(default=(), description="Schedulers.")
    extra_texts: bool = Field(default=False, description="Extra texts.")
    workflows: tuple[KnownImageWorkflow, ...] = Field(default=(), description="Named custom workflows.")
    baselines: tuple[KnownImageModelBaseline, ...] = Field(default=(), description="Model baselines.")

    @classmethod
    def required_for(cls, parameters: "ImageGenerationParameters") -> "ImageGenerationFeatureFlags":
        """Return the features `parameters` requires (same as `get_image_feature_flags_required`).

        Args:
            parameters: The parameter set to inspect.

        Returns:
            The required feature flags.
        """
        return get_image_feature_flags_required(parameters)


class ImageGenerationParameters(BasicImageGenerationParameters, ComposedParameterSetBase):
    """A complete, validated description of one image generation (one run of inference producing a batch).

    Fields beyond the basic ones are optional features; `None` or an empty tuple means the feature is unused.
    Consistency rules enforced on top of the per-field rules:

    * `source_processing` `img2img`, `inpainting` and `outpainting` need the `img2img` field, and `remix` needs the
      `remix` field;
    * `img2img` and `remix` settings are refused when `source_processing` does not use them;
    * ControlNet needs an input image (`controlnet.source_image` or `img2img.source_image`).
    """

    source_processing: KnownImageSourceProcessing = Field(
        default=KNOWN_IMAGE_SOURCE_PROCESSING.txt2img,
        description=_D_SOURCE_PROCESSING,
    )
    img2img: Image2ImageGenerationParameters | None = Field(default=None, description=_D_IMG2IMG)
    remix: RemixGenerationParameters | None = Field(default=None, description=_D_REMIX)
    controlnet: ControlnetGenerationParameters | None = Field(default=None, description=_D_CONTROLNET)
    hires_fix: HiresFixGenerationParameters | None = Field(default=None, description=_D_HIRES_FIX)
    loras: tuple[LoRaEntry, ...] = Field(default=(), description=_D_LORAS)
    tis: tuple[TIEntry, ...] = Field(default=(), description=_D_TIS)
    extra_texts: tuple[ExtraTextEntry, ...] = Field(default=(), description=_D_EXTRA_TEXTS)
    custom_workflow: CustomWorkflowGenerationParameters | None = Field(default=None, description=_D_CUSTOM_WORKFLOW)
    post_processing: ImagePostProcessingParameters | None = Field(default=None, description=_D_POST_PROCESSING)
    transparent: bool = Field(default=False, description=_D_TRANSPARENT)

    @model_validator(mode="after")
    def sources_match_source_processing(self) -> "ImageGenerationParameters":
        """Reject combinations of source images and `source_processing` which no backend can run."""
        processing = self.source_processing
        if processing in _IMG2IMG_SOURCE_PROCESSING and self.img2img is None:
            raise ValueError(f"source_processing {str(processing)!r} requires img2img (a source image)")
        if processing == KNOWN_IMAGE_SOURCE_PROCESSING.remix and self.remix is None:
            raise ValueError("source_processing 'remix' requires remix (a source image)")
        if isinstance(processing, KNOWN_IMAGE_SOURCE_PROCESSING):  # unknown modes are not checked
            if self.img2img is not None and processing not in _IMG2IMG_SOURCE_PROCESSING:
                raise ValueError(
                    "img2img is only used with source_processing 'img2img', 'inpainting' or 'outpainting', "
                    f"got {str(processing)!r}",
                )
            if self.remix is not None and processing != KNOWN_IMAGE_SOURCE_PROCESSING.remix:
                raise ValueError(f"remix is only used with source_processing 'remix', got {str(processing)!r}")
        if self.controlnet is not None and self.controlnet.source_image is None and self.img2img is None:
            raise ValueError("controlnet requires a source image (controlnet.source_image or img2img.source_image)")
        return self

    def get_number_expected_results(self) -> int:
        """Return the number of images one run produces (`batch_size`).

        Returns:
            The batch size.
        """
        return self.batch_size

    def get_required_feature_flags(self) -> ImageGenerationFeatureFlags:
        """Return the features a worker or backend needs to run this generation.

        Returns:
            The required image feature flags.
        """
        return get_image_feature_flags_required(self)


def _unique(values: "tuple[Any, ...] | list[Any]") -> tuple[Any, ...]:
    """Return `values` without duplicates, keeping the first occurrence's order."""
    return tuple(dict.fromkeys(values))


def get_image_feature_flags_required(parameters: ImageGenerationParameters) -> ImageGenerationFeatureFlags:
    """Derive the feature flags a worker or backend must support to run `parameters`.

    Args:
        parameters: The image parameter set to inspect.

    Returns:
        Flags with each used feature set: booleans for features, tuples for the exact values used (the sampler,
        the scheduler, the ControlNet type, the post-processors, ...).
    """
    processing = parameters.source_processing
    post_processors = parameters.post_processing.post_processors if parameters.post_processing is not None else ()
    # The values were validated (and unknown ones warned about) when `parameters` was built: construct directly.
    return ImageGenerationFeatureFlags.model_construct(
        source_processing=() if processing == KNOWN_IMAGE_SOURCE_PROCESSING.txt2img else (processing,),
        extra_source_images=parameters.remix is not None and len(parameters.remix.extra_source_images) > 0,
        controlnet=parameters.controlnet is not None,
        controlnet_types=() if parameters.controlnet is None else (parameters.controlnet.control_type,),
        hires_fix=parameters.hires_fix is not None,
        loras=len(parameters.loras) > 0,
        textual_inversion=len(parameters.tis) > 0,
        tiling=parameters.tiling,
        transparency=parameters.transparent,
        clip_skip=parameters.clip_skip > 1,
        post_processing=len(post_processors) > 0,
        post_processors=_unique(post_processors),
        samplers=(parameters.sampler_name,),
        schedulers=(parameters.scheduler,),
        extra_texts=len(parameters.extra_texts) > 0,
        workflows=() if parameters.custom_workflow is None else (parameters.custom_workflow.workflow,),
        baselines=() if parameters.model_baseline is None else (parameters.model_baseline,),
    )


class BasicImageGenerationParametersTemplate(ParametersTemplateBase):
    """`BasicImageGenerationParameters` with every field optional (None means "not specified")."""

    model: _Name | None = Field(default=None, description=_D_MODEL)
    model_baseline: KnownImageModelBaseline | None = Field(default=None, description=_D_MODEL_BASELINE)
    prompt: Annotated[str, NotBlank()] | None = Field(default=None, description=_D_PROMPT)
    negative_prompt: str | None = Field(default=None, description=_D_NEGATIVE_PROMPT)
    width: ImageDimension | None = Field(default=None, description=_D_WIDTH)
    height: ImageDimension | None = Field(default=None, description=_D_HEIGHT)
    steps: _AtLeastOne | None = field_with_former_names("steps", "ddim_steps", default=None, description=_D_STEPS)
    cfg_scale: _NonNegativeFloat | None = Field(default=None, description=_D_CFG_SCALE)
    sampler_name: KnownImageSampler | None = Field(default=None, description=_D_SAMPLER)
    scheduler: KnownImageScheduler | None = Field(default=None, description=_D_SCHEDULER)
    seed: _Seed | None = Field(default=None, description=_D_SEED)
    seed_variation: _AtLeastOne | None = Field(default=None, description=_D_SEED_VARIATION)
    denoising_strength: _UnitInterval | None = Field(default=None, description=_D_DENOISING)
    clip_skip: _AtLeastOne | None = Field(default=None, description=_D_CLIP_SKIP)
    tiling: bool | None = Field(default=None, description=_D_TILING)
    batch_size: _AtLeastOne | None = field_with_former_names(
        "batch_size", "n", "n_iter", default=None, description=_D_BATCH_SIZE
    )

    def to_parameters(self, **overrides: Any) -> BasicImageGenerationParameters:  # noqa: ANN401
        """Merge this template with `overrides` (which win) and validate the result.

        Args:
            **overrides: Field values of `BasicImageGenerationParameters` taking precedence over the template.

        Returns:
            The validated basic parameters.

        Raises:
            pydantic.ValidationError: If the merged values are incomplete (no prompt) or invalid.
        """
        return self._build_parameters(BasicImageGenerationParameters, overrides)


class ImageGenerationParametersTemplate(BasicImageGenerationParametersTemplate):
    """`ImageGenerationParameters` with every field optional, for styles and chaining.

    Field rules (sizes, steps, ...) apply to the values a template specifies; consistency rules between fields
    are checked when `to_parameters` builds the concrete set.
    """

    source_processing: KnownImageSourceProcessing | None = Field(default=None, description=_D_SOURCE_PROCESSING)
    img2img: Image2ImageGenerationParameters | None = Field(default=None, description=_D_IMG2IMG)
    remix: RemixGenerationParameters | None = Field(default=None, description=_D_REMIX)
    controlnet: ControlnetGenerationParameters | None = Field(default=None, description=_D_CONTROLNET)
    hires_fix: HiresFixGenerationParameters | None = Field(default=None, description=_D_HIRES_FIX)
    loras: tuple[LoRaEntry, ...] | None = Field(default=None, description=_D_LORAS)
    tis: tuple[TIEntry, ...] | None = Field(default=None, description=_D_TIS)
    extra_texts: tuple[ExtraTextEntry, ...] | None = Field(default=None, description=_D_EXTRA_TEXTS)
    custom_workflow: CustomWorkflowGenerationParameters | None = Field(default=None, description=_D_CUSTOM_WORKFLOW)
    post_processing: ImagePostProcessingParameters | None = Field(default=None, description=_D_POST_PROCESSING)
    transparent: bool | None = Field(default=None, description=_D_TRANSPARENT)

    def to_parameters(self, **overrides: Any) -> ImageGenerationParameters:  # noqa: ANN401
        """Merge this template with `overrides` (which win) and validate the result.

        Args:
            **overrides: Field values of `ImageGenerationParameters` taking precedence over the template.

        Returns:
            The validated parameter set.

        Raises:
            pydantic.ValidationError: If the merged values are incomplete (no prompt) or invalid.
        """
        return self._build_parameters(ImageGenerationParameters, overrides)


@register_migration(ImageGenerationParameters, from_version=0)
@register_migration(BasicImageGenerationParametersTemplate, from_version=0)
def _migrate_image_parameters_from_v0(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the pre-package layout) used `ddim_steps`, `n_iter` and a boolean `karras`.

    Args:
        data: Version 0 data.

    Returns:
        The same data at version 1: `steps`, `batch_size` and `scheduler` (`karras` or `normal`).
    """
    migrated = dict(data)
    for old_name, new_name in (("ddim_steps", "steps"), ("n_iter", "batch_size")):
        if old_name in migrated and new_name not in migrated:
            migrated[new_name] = migrated.pop(old_name)
    if "karras" in migrated:
        karras = migrated.pop("karras")
        if "scheduler" not in migrated and karras is not None:
            migrated["scheduler"] = KNOWN_IMAGE_SCHEDULERS.karras if karras else KNOWN_IMAGE_SCHEDULERS.normal
    return migrated
