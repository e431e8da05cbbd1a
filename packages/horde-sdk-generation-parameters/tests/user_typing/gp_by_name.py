"""A user's typed script: builds generation parameters by field name, and reads the fields back.

`test_gp_user_typing.py` type-checks this file as an SDK user would (the installed packages, strict mypy) with
pydantic's mypy plugin at its defaults and without the plugin (the `dataclass_transform` reading that pyright also
does), and runs it; `hatch run types` checks it with this repository's settings (the plugin's `init_forbid_extra`
and `init_typed` on). Each must report no error.

Fields with former names (`steps`, once `ddim_steps`; `batch_size`, once `n` or `n_iter`; `stop_sequences`, once
`stop_sequence`) are built by their current names; the former names are read from data through `model_validate`.
"""

from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_UPSCALERS,
    AlchemyFeatureFlags,
    AlchemyParameters,
    AlchemyParametersTemplate,
    CaptionAlchemyParameters,
    ExtraSourceImageEntry,
    HiresFixGenerationParameters,
    Image2ImageGenerationParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    ImageGenerationParametersTemplate,
    ImagePostProcessingParameters,
    LoRaEntry,
    RemixGenerationParameters,
    TextGenerationFeatureFlags,
    TextGenerationParameters,
    TextGenerationParametersTemplate,
    TIEntry,
    UpscaleAlchemyParameters,
)

# Components and parameter sets by field name, the renamed fields by their current names.
lora = LoRaEntry(name="247778", model_strength=0.8, clip_strength=0.9, is_version=True)
ti = TIEntry(name="72437", strength=0.5)
hires_fix = HiresFixGenerationParameters(denoising_strength=0.6, first_pass_width=512)
post_processing = ImagePostProcessingParameters(post_processors=(KNOWN_IMAGE_POST_PROCESSORS.GFPGAN,))
image = ImageGenerationParameters(
    prompt="a lighthouse at dusk",
    width=768,
    steps=30,
    batch_size=2,
    sampler_name=KNOWN_IMAGE_SAMPLERS.k_euler,
    seed="1234",
    loras=(lora,),
    tis=(ti,),
    hires_fix=hires_fix,
    post_processing=post_processing,
)
img2img = ImageGenerationParameters(
    prompt="the same lighthouse in winter",
    source_processing=KNOWN_IMAGE_SOURCE_PROCESSING.img2img,
    img2img=Image2ImageGenerationParameters(source_image=b"\x89PNG", source_mask=None),
)
remix = RemixGenerationParameters(
    source_image="https://example.com/a.webp",
    extra_source_images=(ExtraSourceImageEntry(image=b"\x89PNG", strength=0.5),),
)
text = TextGenerationParameters(prompt="The keeper said", max_length=80, stop_sequences=("\n",), batch_size=2)
alchemy = AlchemyParameters(
    source_image=b"\x89PNG",
    forms=(CaptionAlchemyParameters(), UpscaleAlchemyParameters(upscaler=KNOWN_UPSCALERS.RealESRGAN_x2plus)),
)

# Templates and feature flags by field name.
style = ImageGenerationParametersTemplate(steps=20, cfg_scale=6.5, batch_size=None, schema_version=1)
text_style = TextGenerationParametersTemplate(temperature=0.7, stop_sequences=("###",))
alchemy_style = AlchemyParametersTemplate(forms=(CaptionAlchemyParameters(),))
image_flags = ImageGenerationFeatureFlags(loras=True, samplers=(KNOWN_IMAGE_SAMPLERS.k_euler,))
text_flags = TextGenerationFeatureFlags(stop_sequences=True)
alchemy_flags = AlchemyFeatureFlags(alchemy_forms=("caption",))

# Reading the fields back gives their declared types.
steps: int = image.steps
batch_size: int = text.batch_size
stop_sequences: tuple[str, ...] = text.stop_sequences
template_steps: int | None = style.steps
strength: float = lora.model_strength
version: int = image.schema_version
from_style: ImageGenerationParameters = style.to_parameters(prompt="a lighthouse")
satisfied: bool = image.get_required_feature_flags().is_satisfied_by(image_flags)

# Former names, as older data spells them, go through `model_validate`, which every type checker accepts.
from_old_data = ImageGenerationParameters.model_validate({"prompt": "a cat", "ddim_steps": 25, "n_iter": 2})
from_old_text = TextGenerationParameters.model_validate({"prompt": "Once", "stop_sequence": ["\n"], "n": 3})
