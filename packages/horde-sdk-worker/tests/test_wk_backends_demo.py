"""The demo backends: real WebP images, deterministic texts and alchemy results computed from the image."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from horde_sdk.generation_parameters import (
    AlchemyParameters,
    Image2ImageGenerationParameters,
    ImageGenerationParameters,
    TextGenerationParameters,
    get_alchemy_form_parameters,
)
from horde_sdk.worker.backends import (
    DEMO_TEXT_PHRASE,
    AlchemyBackend,
    AlchemyJobInput,
    BackendError,
    DemoAlchemyBackend,
    DemoImageBackend,
    DemoTextBackend,
    ImageBackend,
    ImageJobInput,
    TextBackend,
    TextJobInput,
)
from horde_sdk.worker.generations_base import SafetyCheckResult

pytestmark = pytest.mark.anyio


def is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def image_job(seeds: tuple[int, ...], **parameters: object) -> ImageJobInput:
    parameters.setdefault("prompt", "a lighthouse at dusk")
    return ImageJobInput(
        job_id="job-1",
        parameters=ImageGenerationParameters.model_validate(parameters),
        model="demo model",
        seeds=seeds,
    )


def alchemy_job(source: bytes | str, *forms: str) -> AlchemyJobInput:
    parameters = AlchemyParameters.model_validate(
        {"source_image": source, "forms": tuple(get_alchemy_form_parameters(form) for form in forms)}
    )
    return AlchemyJobInput(job_id="job-1", parameters=parameters)


# --- image ---------------------------------------------------------------------------------------------------


async def test_demo_image_backend_makes_real_webp_images_of_the_requested_size() -> None:
    async with DemoImageBackend() as backend:
        result = await backend.generate_images(image_job((1, 2), width=320, height=192))
    assert len(result.images) == 2
    for data in result.images:
        assert is_webp(data)
        image = open_image(data)
        assert image.format == "WEBP"
        assert image.size == (320, 192)


async def test_large_demo_images_are_drawn_small_then_resized() -> None:
    result = await DemoImageBackend().generate_images(image_job((7,), width=1024, height=576))
    assert open_image(result.images[0]).size == (1024, 576)


async def test_demo_images_are_deterministic_by_prompt_and_seed() -> None:
    backend = DemoImageBackend()
    first = await backend.generate_images(image_job((5, 6, 5)))
    again = await backend.generate_images(image_job((5,)))
    other_prompt = await backend.generate_images(image_job((5,), prompt="a cat on a sofa"))
    assert first.images[0] == first.images[2] == again.images[0]
    assert first.images[0] != first.images[1]
    assert other_prompt.images[0] != first.images[0]


async def test_demo_image_backend_reports_safe_verdicts() -> None:
    backend = DemoImageBackend()
    assert backend.runs_safety_check is True
    result = await backend.generate_images(image_job((1, 2, 3)))
    assert result.safety == (SafetyCheckResult(is_nsfw=False, is_csam=False),) * 3


async def test_demo_img2img_blends_the_source_image() -> None:
    source = png((64, 64), (255, 0, 0))
    job = image_job(
        (1,),
        width=128,
        height=128,
        source_processing="img2img",
        img2img=Image2ImageGenerationParameters(source_image=source),
        denoising_strength=0.0,
    )
    image = open_image((await DemoImageBackend().generate_images(job)).images[0]).convert("RGB")
    assert image.size == (128, 128)
    red, green, blue = image.getpixel((64, 64))  # type: ignore[misc]  # Pillow types getpixel as a union of pixel shapes; this image is RGB/RGBA
    assert red > 200
    assert green < 40
    assert blue < 40


async def test_demo_img2img_with_an_undecodable_source_is_a_backend_error() -> None:
    job = image_job(
        (1,),
        source_processing="img2img",
        img2img=Image2ImageGenerationParameters(source_image=b"not an image"),
    )
    with pytest.raises(BackendError, match="img2img source image cannot be decoded"):
        await DemoImageBackend().generate_images(job)


# --- text ----------------------------------------------------------------------------------------------------


def text_job(**parameters: object) -> TextJobInput:
    parameters.setdefault("prompt", "Once upon a time a lighthouse keeper found a bottle")
    return TextJobInput(job_id="job-1", parameters=TextGenerationParameters.model_validate(parameters), model="demo")


async def test_demo_text_backend_makes_batch_size_texts_from_the_prompt_words() -> None:
    job = text_job(max_length=40, batch_size=3)
    async with DemoTextBackend() as backend:
        texts = await backend.generate_texts(job)
    assert len(texts) == 3
    prompt_words = set(job.parameters.prompt.split())
    for text in texts:
        assert text.endswith(DEMO_TEXT_PHRASE)
        leading = text.removesuffix(DEMO_TEXT_PHRASE).split()
        assert leading
        assert set(leading) <= prompt_words
    assert len(set(texts)) > 1


async def test_demo_texts_are_deterministic() -> None:
    backend = DemoTextBackend()
    assert await backend.generate_texts(text_job(batch_size=2)) == await backend.generate_texts(text_job(batch_size=2))
    other = await backend.generate_texts(text_job(prompt="A completely different beginning here", batch_size=2))
    assert other != await backend.generate_texts(text_job(batch_size=2))


@pytest.mark.parametrize("max_length", [1, 3, 6, 12])
async def test_demo_texts_respect_max_length_in_words(max_length: int) -> None:
    (text,) = await DemoTextBackend().generate_texts(text_job(max_length=max_length))
    assert 1 <= len(text.split()) <= max_length


# --- alchemy -------------------------------------------------------------------------------------------------


async def test_caption_describes_size_brightness_and_colour() -> None:
    async with DemoAlchemyBackend() as backend:
        (result,) = await backend.run_forms(alchemy_job(png((200, 100), (0, 0, 128)), "caption"))
    assert result.form == "caption"
    assert result.result == "a 200x100 image, mostly dark blue"


async def test_caption_of_a_light_image() -> None:
    (result,) = await DemoAlchemyBackend().run_forms(alchemy_job(png((64, 96), (250, 250, 250)), "caption"))
    assert isinstance(result.result, str)
    assert "64x96" in result.result
    assert "light white" in result.result


async def test_interrogation_and_nsfw_results() -> None:
    interrogation, nsfw = await DemoAlchemyBackend().run_forms(
        alchemy_job(png((120, 80), (200, 30, 30)), "interrogation", "nsfw")
    )
    assert interrogation.form == "interrogation"
    assert isinstance(interrogation.result, dict)
    tags = interrogation.result["tags"]
    assert {"text", "confidence"} <= set(tags[0])
    assert "red" in [tag["text"] for tag in tags]
    assert "landscape" in [tag["text"] for tag in tags]
    confidences = [tag["confidence"] for tag in tags]
    assert confidences == sorted(confidences, reverse=True)
    json.dumps(interrogation.result)  # what the submit step does with a mapping
    assert nsfw.form == "nsfw"
    assert nsfw.result is False  # a verdict, submitted as the JSON boolean the horde expects


@pytest.mark.parametrize(
    ("form", "factor"),
    [
        ("RealESRGAN_x2plus", 2),
        ("RealESRGAN_x4plus", 4),
        ("RealESRGAN_x4plus_anime_6B", 4),
        ("4x_AnimeSharp", 4),
        ("2xModernSpanimationV1", 2),
        ("NMKD_Siax", 2),
    ],
)
async def test_upscalers_resize_by_the_factor_in_their_name(form: str, factor: int) -> None:
    (result,) = await DemoAlchemyBackend().run_forms(alchemy_job(png((50, 30), (10, 200, 10)), form))
    assert result.form == form
    assert isinstance(result.result, bytes)
    assert is_webp(result.result)
    assert open_image(result.result).size == (50 * factor, 30 * factor)


async def test_facefixer_returns_the_image_unchanged_as_webp() -> None:
    (result,) = await DemoAlchemyBackend().run_forms(alchemy_job(png((40, 60), (10, 20, 200)), "CodeFormers"))
    assert result.form == "CodeFormers"
    assert isinstance(result.result, bytes)
    assert is_webp(result.result)
    image = open_image(result.result).convert("RGB")
    assert image.size == (40, 60)
    red, _, blue = image.getpixel((20, 30))  # type: ignore[misc]  # Pillow types getpixel as a union of pixel shapes; this image is RGB/RGBA
    assert abs(red - 10) < 12
    assert abs(blue - 200) < 12


async def test_strip_background_makes_the_corner_colour_transparent() -> None:
    source = Image.new("RGB", (64, 64), (255, 255, 255))
    source.paste((200, 0, 0), (16, 16, 48, 48))
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")
    (result,) = await DemoAlchemyBackend().run_forms(alchemy_job(buffer.getvalue(), "strip_background"))
    assert result.form == "strip_background"
    assert isinstance(result.result, bytes)
    assert is_webp(result.result)
    image = open_image(result.result)
    assert image.mode == "RGBA"
    assert image.getpixel((2, 2))[3] == 0  # type: ignore[index]  # Pillow types getpixel as a union of pixel shapes; this image is RGB/RGBA
    assert image.getpixel((32, 32))[3] == 255  # type: ignore[index]  # Pillow types getpixel as a union of pixel shapes; this image is RGB/RGBA


async def test_results_keep_form_order() -> None:
    forms = ("nsfw", "RealESRGAN_x2plus", "caption")
    results = await DemoAlchemyBackend().run_forms(alchemy_job(png((32, 32), (0, 0, 0)), *forms))
    assert tuple(result.form for result in results) == forms


async def test_unsupported_form_is_a_backend_error_naming_it() -> None:
    with pytest.raises(BackendError, match="does not run form palette"):
        await DemoAlchemyBackend().run_forms(alchemy_job(png((32, 32), (0, 0, 0)), "caption", "palette"))


async def test_source_image_must_be_downloaded_bytes() -> None:
    with pytest.raises(BackendError, match="not downloaded"):
        await DemoAlchemyBackend().run_forms(alchemy_job("https://example.invalid/image.webp", "caption"))


async def test_undecodable_source_image_is_a_backend_error() -> None:
    with pytest.raises(BackendError, match="cannot be decoded"):
        await DemoAlchemyBackend().run_forms(alchemy_job(b"garbage", "caption"))


# --- protocols -----------------------------------------------------------------------------------------------


def test_demo_backends_satisfy_their_protocols_and_say_they_are_demos() -> None:
    assert isinstance(DemoImageBackend(), ImageBackend)
    assert isinstance(DemoTextBackend(), TextBackend)
    assert isinstance(DemoAlchemyBackend(), AlchemyBackend)
    for backend_class in (DemoImageBackend, DemoTextBackend, DemoAlchemyBackend):
        assert backend_class.name == "demo"
        assert "demo" in (backend_class.__doc__ or "").lower()
        assert "not" in (backend_class.__doc__ or "").split("\n")[0]
