"""Demo backends: placeholder images, texts and alchemy results made on the CPU in milliseconds.

They let a worker run end to end (pop, generate, safety check, upload, submit) without a GPU or a model, for
trying the worker out, for tests and for the local AI Horde. Their output is deterministic and obviously not
the work of a model: gradients and shapes coloured from a hash of the prompt and seed, texts made of the
prompt's own words, captions computed from image statistics. Never announce a demo worker on a public horde.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import re
from types import TracebackType
from typing import Any, Self

import anyio.to_thread
from PIL import Image, ImageChops, ImageDraw, ImageStat, UnidentifiedImageError

from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_MODEL_BASELINES,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_IMAGE_WORKFLOWS,
    CaptionAlchemyParameters,
    FacefixAlchemyParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    InterrogateAlchemyParameters,
    NSFWAlchemyParameters,
    StripBackgroundAlchemyParameters,
    UpscaleAlchemyParameters,
)
from horde_sdk.generation_parameters.alchemy import AlchemyFormParametersBase
from horde_sdk.worker.backends.base import (
    AlchemyJobInput,
    BackendError,
    ImageBackendResult,
    ImageJobInput,
    TextJobInput,
)
from horde_sdk.worker.consts import DEFAULT_RESULT_IMAGE_QUALITY
from horde_sdk.worker.generations import AlchemyFormResult
from horde_sdk.worker.generations_base import SafetyCheckResult

__all__ = [
    "DEMO_BACKEND_NAME",
    "DEMO_IMAGE_FEATURES",
    "DEMO_TEXT_PHRASE",
    "DemoAlchemyBackend",
    "DemoImageBackend",
    "DemoTextBackend",
]

DEMO_BACKEND_NAME = "demo"
"""The `name` of every demo backend (and its built-in name in a deploy configuration)."""

DEMO_TEXT_PHRASE = "(demo text, not written by a model)"
"""The phrase every demo text ends with (when `max_length` leaves room for it)."""

DEMO_IMAGE_FEATURES = ImageGenerationFeatureFlags(
    source_processing=tuple(KNOWN_IMAGE_SOURCE_PROCESSING),
    extra_source_images=True,
    controlnet=True,
    controlnet_types=tuple(KNOWN_IMAGE_CONTROLNETS),
    hires_fix=True,
    loras=True,
    textual_inversion=True,
    tiling=True,
    transparency=True,
    clip_skip=True,
    post_processing=True,
    post_processors=tuple(KNOWN_IMAGE_POST_PROCESSORS),
    samplers=tuple(KNOWN_IMAGE_SAMPLERS),
    schedulers=tuple(KNOWN_IMAGE_SCHEDULERS),
    extra_texts=True,
    workflows=tuple(KNOWN_IMAGE_WORKFLOWS),
    baselines=tuple(KNOWN_IMAGE_MODEL_BASELINES),
)
"""What `DemoImageBackend` declares it serves: every known feature, because every request gets a placeholder
(img2img sources are blended in; post-processors, LoRas, ControlNet and the rest are accepted and ignored). This
lets any request shape run end to end against a local horde; the deploy configuration's ``allow_*`` keys still
narrow it. A real engine declares only what it runs (see `ImageBackend.features`)."""

_MAX_RENDER_SIDE = 512
"""Demo images are drawn at most this large on their longer side, then resized to the requested size."""

_WEBP_MAX_SIDE = 16383
"""The largest width or height a WebP image can have."""

_UPSCALE_FACTOR = re.compile(r"(?:^|_)x(\d+)|^(\d+)x", re.IGNORECASE)
_DEFAULT_UPSCALE_FACTOR = 2

_SAFE = SafetyCheckResult(is_nsfw=False, is_csam=False)


class _DemoBackendBase:
    """The async context of the demo backends: nothing to load, nothing to release."""

    name: str = DEMO_BACKEND_NAME
    """The backend's name for logs: ``demo``."""

    async def __aenter__(self) -> Self:
        """Return the backend itself: a demo backend loads nothing."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Release nothing: a demo backend holds nothing."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ---------------------------------------------------------------------------------------------------------------
# Image helpers (blocking; run in a worker thread)
# ---------------------------------------------------------------------------------------------------------------


def _digest(*parts: object) -> bytes:
    """Return a stable hash of `parts` (never Python's salted `hash`)."""
    return hashlib.sha256("\x00".join(str(part) for part in parts).encode("utf-8")).digest()


def _encode_webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=DEFAULT_RESULT_IMAGE_QUALITY, method=0)
    return buffer.getvalue()


def _open_image(data: bytes, what: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            return opened.copy()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BackendError(f"the {what} cannot be decoded as an image ({type(error).__name__})") from error


def _render_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, _MAX_RENDER_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _draw_demo_image(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """Draw the placeholder for (`prompt`, `seed`): a gradient between two colours, shapes, and a label."""
    digest = _digest(prompt, seed)
    render_width, render_height = _render_size(width, height)
    first, second = tuple(digest[0:3]), tuple(digest[3:6])
    gradient = Image.linear_gradient("L").rotate(90 * (digest[6] % 4))
    gradient = gradient.resize((render_width, render_height), Image.Resampling.BILINEAR)
    canvas = Image.composite(
        Image.new("RGB", (render_width, render_height), second),
        Image.new("RGB", (render_width, render_height), first),
        gradient,
    )
    draw = ImageDraw.Draw(canvas)
    for index in range(3):
        chunk = digest[8 + index * 7 : 15 + index * 7]
        left, top = chunk[0] * render_width // 256, chunk[1] * render_height // 256
        size = max(2, (chunk[2] % 96 + 32) * min(render_width, render_height) // 256)
        colour = (chunk[3], chunk[4], chunk[5])
        box = (left - size // 2, top - size // 2, left + size // 2, top + size // 2)
        if chunk[6] % 2:
            draw.ellipse(box, fill=colour)
        else:
            draw.rectangle(box, fill=colour)
    if render_width >= 32 and render_height >= 16:
        draw.rectangle((2, 2, 30, 14), fill=(0, 0, 0))
        draw.text((4, 3), "demo", fill=(255, 255, 255))
    if (render_width, render_height) != (width, height):
        canvas = canvas.resize((width, height), Image.Resampling.BILINEAR)
    return canvas


def _img2img_source(parameters: ImageGenerationParameters) -> bytes | None:
    if parameters.img2img is None or not isinstance(parameters.img2img.source_image, bytes):
        return None
    return parameters.img2img.source_image


def _make_images(parameters: ImageGenerationParameters, seeds: tuple[int, ...]) -> tuple[bytes, ...]:
    width, height = parameters.width, parameters.height
    source_bytes = _img2img_source(parameters)
    source = None
    if source_bytes is not None:
        source = _open_image(source_bytes, "img2img source image").convert("RGB").resize((width, height))
    strength = parameters.denoising_strength if parameters.denoising_strength is not None else 0.5
    images: list[bytes] = []
    for seed in seeds:
        image = _draw_demo_image(parameters.prompt, seed, width, height)
        if source is not None:
            # img2img, loosely: the less denoising, the more of the source shows through.
            image = Image.blend(image, source, 1.0 - strength)
        images.append(_encode_webp(image))
    return tuple(images)


# ---------------------------------------------------------------------------------------------------------------
# Alchemy helpers (blocking; run in a worker thread)
# ---------------------------------------------------------------------------------------------------------------


def _colour_name(rgb: tuple[int, int, int]) -> str:
    hue, lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in rgb))
    if saturation < 0.2 or lightness < 0.08 or lightness > 0.94:
        if lightness < 0.2:
            return "black"
        return "white" if lightness > 0.8 else "grey"
    names = ((15, "red"), (45, "orange"), (70, "yellow"), (160, "green"), (200, "cyan"), (260, "blue"))
    degrees = hue * 360
    for limit, colour in names:
        if degrees < limit:
            return colour
    return "purple" if degrees < 300 else ("pink" if degrees < 345 else "red")


def _dominant_colour(image: Image.Image) -> tuple[int, int, int]:
    small = image.convert("RGB").resize((64, 64), Image.Resampling.BILINEAR)
    quantized = small.quantize(colors=4, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or [0, 0, 0]
    colours = quantized.getcolors() or [(1, 0)]
    _, index = max(colours, key=lambda entry: entry[0])
    base = index * 3 if isinstance(index, int) else 0
    red, green, blue = palette[base : base + 3]
    return red, green, blue


def _brightness(image: Image.Image) -> float:
    """Return the mean luminance of `image`, from 0 (black) to 1 (white)."""
    return float(ImageStat.Stat(image.convert("L")).mean[0]) / 255


def _brightness_word(brightness: float) -> str:
    if brightness < 1 / 3:
        return "dark"
    return "light" if brightness > 2 / 3 else "medium"


def _caption(image: Image.Image) -> str:
    colour = _colour_name(_dominant_colour(image))
    return f"a {image.width}x{image.height} image, mostly {_brightness_word(_brightness(image))} {colour}"


def _orientation(image: Image.Image) -> str:
    if image.width == image.height:
        return "square"
    return "landscape" if image.width > image.height else "portrait"


def _interrogation(image: Image.Image) -> dict[str, Any]:
    """Return terms ranked like a CLIP interrogation: categories of ``{"text", "confidence"}`` entries."""
    brightness = _brightness(image)
    saturation = float(ImageStat.Stat(image.convert("HSV")).mean[1]) / 255
    colour = _colour_name(_dominant_colour(image))
    tags = [
        {"text": colour, "confidence": round(40 + 20 * saturation, 2)},
        {"text": _brightness_word(brightness), "confidence": round(30 + 20 * abs(brightness - 0.5), 2)},
        {"text": _orientation(image), "confidence": 25.0},
        {"text": "demo", "confidence": 10.0},
    ]
    return {
        "tags": sorted(tags, key=lambda entry: -float(entry["confidence"])),
        "mediums": [{"text": "digital art", "confidence": 20.0}],
    }


def _upscale_factor(form_name: str) -> int:
    match = _UPSCALE_FACTOR.search(form_name)
    if match is None:
        return _DEFAULT_UPSCALE_FACTOR
    return int(match.group(1) or match.group(2))


def _upscale(image: Image.Image, form_name: str) -> bytes:
    factor = _upscale_factor(form_name)
    width, height = image.width * factor, image.height * factor
    if max(width, height) > _WEBP_MAX_SIDE:
        raise BackendError(f"{form_name} would make a {width}x{height} image, over the WebP limit of {_WEBP_MAX_SIDE}")
    return _encode_webp(image.resize((width, height), Image.Resampling.BICUBIC))


def _strip_background(image: Image.Image) -> bytes:
    """Make the pixels close to the top-left corner's colour transparent (a trivial background mask)."""
    rgb = image.convert("RGB")
    corner = rgb.getpixel((0, 0))
    background = Image.new("RGB", rgb.size, corner)
    difference = ImageChops.difference(rgb, background).convert("L")
    mask = difference.point(lambda value: 0 if value < 24 else 255)
    rgba = rgb.convert("RGBA")
    rgba.putalpha(mask)
    return _encode_webp(rgba)


def _run_form(image: Image.Image, form: AlchemyFormParametersBase) -> AlchemyFormResult:
    name = form.get_form_name()
    result: str | bytes | bool | dict[str, Any]
    if isinstance(form, CaptionAlchemyParameters):
        result = _caption(image)
    elif isinstance(form, InterrogateAlchemyParameters):
        result = _interrogation(image)
    elif isinstance(form, NSFWAlchemyParameters):
        result = False
    elif isinstance(form, UpscaleAlchemyParameters):
        result = _upscale(image, name)
    elif isinstance(form, FacefixAlchemyParameters):
        result = _encode_webp(image.convert("RGBA") if image.mode in {"RGBA", "LA", "P"} else image.convert("RGB"))
    elif isinstance(form, StripBackgroundAlchemyParameters):
        result = _strip_background(image)
    else:
        raise BackendError(f"the demo backend does not run form {name}")
    return AlchemyFormResult(form=name, result=result)


def _run_forms(source_image: bytes, forms: tuple[AlchemyFormParametersBase, ...]) -> tuple[AlchemyFormResult, ...]:
    image = _open_image(source_image, "source image")
    return tuple(_run_form(image, form) for form in forms)


# ---------------------------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _demo_text(prompt: str, max_length: int, index: int) -> str:
    """Return a continuation of `prompt` of at most `max_length` words: some of its words, then the phrase."""
    words = _WORD.findall(prompt) or ["demo"]
    digest = _digest(prompt, index)
    picked_count = max(1, min(8, max_length - len(DEMO_TEXT_PHRASE.split())))
    picked = [words[digest[position] % len(words)] for position in range(picked_count)]
    return " " + " ".join([*picked, *DEMO_TEXT_PHRASE.split()][:max_length])


# ---------------------------------------------------------------------------------------------------------------
# The backends
# ---------------------------------------------------------------------------------------------------------------


class DemoImageBackend(_DemoBackendBase):
    """A demo image backend: it produces placeholder images, not the output of a model.

    Each image is a real WebP of the requested size: a gradient and a few shapes whose colours come from a hash
    of the prompt and the seed (the same prompt and seed always give the same image), with a small "demo"
    label. An img2img source image given as bytes is blended in (more of it with a lower denoising strength).
    Post-processors, LoRas, ControlNet and the other features are ignored. It reports a safety check that finds
    every image safe, so that the worker's safety stage runs.
    """

    runs_safety_check: bool = True
    """The demo backend reports safety verdicts (always safe)."""

    features: ImageGenerationFeatureFlags = DEMO_IMAGE_FEATURES
    """Every known feature (`DEMO_IMAGE_FEATURES`): each gets a placeholder image."""

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        """Draw one placeholder image per seed.

        Args:
            job: What to generate.

        Returns:
            One WebP image per seed, in seed order, each with a "safe" verdict.

        Raises:
            BackendError: If the img2img source image cannot be decoded.
        """
        images = await anyio.to_thread.run_sync(_make_images, job.parameters, job.seeds)
        return ImageBackendResult(images=images, safety=(_SAFE,) * len(images))


class DemoTextBackend(_DemoBackendBase):
    """A demo text backend: it produces placeholder texts, not the output of a model.

    Each text is a short continuation made of words taken from the prompt (chosen by a hash, so the same prompt
    gives the same texts) followed by `DEMO_TEXT_PHRASE`, at most `max_length` words long (a word counts as a
    token). A batch gives `batch_size` different texts.
    """

    async def generate_texts(self, job: TextJobInput) -> tuple[str, ...]:
        """Make ``batch_size`` placeholder continuations of the prompt.

        Args:
            job: What to generate.

        Returns:
            One text per batch entry.
        """
        parameters = job.parameters
        return tuple(
            _demo_text(parameters.prompt, parameters.max_length, index) for index in range(parameters.batch_size)
        )


class DemoAlchemyBackend(_DemoBackendBase):
    """A demo alchemy backend: it produces placeholder results computed from simple image statistics, not a model.

    * ``caption``: the size, the brightness and the dominant colour (``"a 512x512 image, mostly dark blue"``);
    * ``interrogation``: a few terms by category with confidences, shaped like a CLIP interrogation;
    * ``nsfw``: always ``"false"``;
    * upscalers: the image resized by the factor in the name (``x2``, ``4x``...; 2 when the name has none);
    * face fixers: the image unchanged, re-encoded as WebP;
    * ``strip_background``: the image with the pixels close to its corner colour made transparent.

    Other forms raise `BackendError`.
    """

    async def run_forms(self, job: AlchemyJobInput) -> tuple[AlchemyFormResult, ...]:
        """Run every form of the job over the source image.

        Args:
            job: The forms and the downloaded source image.

        Returns:
            One result per form, in form order.

        Raises:
            BackendError: If the source image was not downloaded or cannot be decoded, or a form is not one the
                demo runs.
        """
        source = job.parameters.source_image
        if not isinstance(source, bytes):
            raise BackendError("the source image was not downloaded (the demo backend needs its bytes)")
        return await anyio.to_thread.run_sync(_run_forms, source, tuple(job.parameters.forms))
