"""Backend factories for worker subprocesses started by the tests (found through ``PYTHONPATH``).

``image_backend: "slow_backends:slow_image"`` gives the demo images after ``SLOW_BACKEND_DELAY`` seconds.
"""

from __future__ import annotations

import os
from typing import Self

import anyio

from horde_sdk.deploy_config import ImageWorkerDeployConfig
from horde_sdk.worker.backends import (
    DEMO_IMAGE_FEATURES,
    DemoImageBackend,
    ImageBackendResult,
    ImageJobInput,
    backend_factory,
)


class SlowImageBackend:
    """The demo images, after a delay (a long generation)."""

    name = "slow-demo"
    runs_safety_check = False
    features = DEMO_IMAGE_FEATURES

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._demo = DemoImageBackend()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        """Sleep, then make the demo images."""
        await anyio.sleep(self.delay)
        result = await self._demo.generate_images(job)
        return ImageBackendResult(images=result.images)


@backend_factory
def slow_image(config: ImageWorkerDeployConfig) -> SlowImageBackend:
    """The factory named in the test configuration."""
    del config
    return SlowImageBackend(float(os.environ.get("SLOW_BACKEND_DELAY", "1.0")))
