"""Helpers of the engine backend tests: a job to run, and the check of the images that come back."""

from __future__ import annotations

from typing import Any

from engine_fakes.common import colour_is_close, image_of, seed_colour
from horde_sdk.generation_parameters import ImageGenerationParameters
from horde_sdk.worker.backends import ImageJobInput


def image_job(seeds: tuple[int, ...] = (7,), model: str = "Dummy SD", **parameters: Any) -> ImageJobInput:
    """An image job for `model` with one image per seed (the prompt defaults to a lighthouse)."""
    parameters.setdefault("prompt", "a lighthouse at dusk")
    return ImageJobInput(
        job_id="job-1", parameters=ImageGenerationParameters.model_validate(parameters), model=model, seeds=seeds
    )


def assert_seed_images(images: tuple[bytes, ...], size: tuple[int, int], seeds: tuple[int, ...]) -> None:
    """Each image is a WebP of `size` in the colour the fake engines give its seed."""
    assert len(images) == len(seeds)
    for data, seed in zip(images, seeds, strict=True):
        assert data[8:12] == b"WEBP"
        image = image_of(data)
        assert image.size == size
        pixel = image.convert("RGB").getpixel((0, 0))
        assert isinstance(pixel, tuple)
        assert colour_is_close(pixel, seed_colour(seed))
