"""A custom image backend (one solid colour per prompt) served by a `WorkerRuntime` until it has done N jobs.

    python docs/examples/worker_custom_backend.py --model "my test model" --max-jobs 3

Server and key: ``AI_HORDE_URL`` (default: the public AI Horde) and ``AI_HORDE_API_KEY``, the key of the
worker's owner. The images are placeholders: never offer a real model's name on the public horde with it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import threading
from typing import Self

import anyio
import anyio.to_thread
from PIL import Image

from horde_sdk.deploy_config import ImageWorkerDeployConfig, parse_deploy_config
from horde_sdk.generation_parameters import KNOWN_IMAGE_SAMPLERS, ImageGenerationFeatureFlags
from horde_sdk.worker.backends import BackendError, ImageBackend, ImageBackendResult, ImageJobInput, backend_factory
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime, WorkerRuntimeError


# --8<-- [start:backend]
def solid_colour_webp(prompt: str, width: int, height: int) -> bytes:
    """Blocking work: one colour from the prompt's hash, encoded as WebP (what the horde stores)."""
    red, green, blue = hashlib.sha256(prompt.encode("utf-8")).digest()[:3]
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (red, green, blue)).save(buffer, format="WEBP", quality=90)
    return buffer.getvalue()


class SolidColourBackend:
    """An `ImageBackend`: the runtime pops, downloads, uploads and submits; this only makes the images."""

    name = "solid-colour"
    runs_safety_check = False  # no verdicts: the runtime submits the images as they are
    # What it can run: txt2img only (no img2img, post-processing, LoRas...), whatever the sampler. The pop asks the
    # horde only for that, whatever the configuration's allow_* keys say.
    features = ImageGenerationFeatureFlags(samplers=tuple(KNOWN_IMAGE_SAMPLERS), schedulers=("normal", "karras"))

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels

    async def __aenter__(self) -> Self:
        return self  # load models, open connections here: the runtime enters the backend once, before popping

    async def __aexit__(self, *exc_info: object) -> None:
        return None  # release what __aenter__ took

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        """Make one image per seed of the job (the runtime bounds this call with a timeout)."""
        parameters = job.parameters
        if parameters.width * parameters.height > self.max_pixels:
            raise BackendError("image too large for this backend")  # the runtime retries, then faults the job
        # Blocking work runs in a thread so that the runtime keeps popping, uploading and submitting meanwhile.
        image = await anyio.to_thread.run_sync(
            solid_colour_webp, parameters.prompt, parameters.width, parameters.height
        )
        return ImageBackendResult(images=tuple(image for _seed in job.seeds))  # one image per seed


@backend_factory  # only marked functions (or backend classes) may be named in a configuration file
def image_backend(config: ImageWorkerDeployConfig) -> ImageBackend:
    """A factory: ``image_backend: "my_package.backends:image_backend"`` in a bridgeData.yaml calls it."""
    return SolidColourBackend(max_pixels=config.max_pixels)


# --8<-- [end:backend]


# --8<-- [start:run]
async def stop_when_done(runtime: WorkerRuntime, max_jobs: int, seconds: float) -> None:
    """Stop the worker gracefully after `max_jobs` jobs ended (submitted or faulted), or after `seconds`."""
    with anyio.move_on_after(seconds):
        await runtime.wait_ready()
        print("worker registered; waiting for jobs")
        while True:
            if runtime.summary().finished >= max_jobs:
                break
            await anyio.sleep(0.1)
    runtime.request_stop()


async def serve(args: argparse.Namespace) -> int:
    # The keys of a bridgeData.yaml; environ={}: no HORDE_WORKER_* overrides nor ${VAR} references here.
    settings = {
        "api_key": args.api_key,
        "horde_url": args.api_url,
        "dreamer_name": args.name,
        "models_to_load": [args.model],
        "max_threads": 1,
        "queue_size": 0,
    }
    config = parse_deploy_config(settings, ImageWorkerDeployConfig, environ={})
    runtime = WorkerRuntime(config, image_backend=image_backend(config), options=RuntimeOptions(pop_interval=0.5))
    async with anyio.create_task_group() as group:
        group.start_soon(stop_when_done, runtime, args.max_jobs, args.seconds)
        try:
            # Signals can only be watched from the main thread (the test runs this example in another one).
            summary = await runtime.run(handle_signals=threading.current_thread() is threading.main_thread())
        except WorkerRuntimeError as error:  # a refused key, a name owned by someone else...
            print(f"the horde refused the worker: {error}")
            return 1
        finally:
            group.cancel_scope.cancel()
    print(f"submitted {summary.submitted}, faulted {summary.faulted}, kudos {summary.kudos:.1f}")
    return 0 if summary.faulted == summary.unreported == 0 else 1


# --8<-- [end:run]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve solid-colour images with a custom backend.")
    parser.add_argument("--model", default="horde-sdk solid colour example", help="the model name to offer")
    parser.add_argument("--name", default="horde-sdk-example-worker", help="the worker's name")
    parser.add_argument("--max-jobs", type=int, default=1, help="stop after this many jobs")
    parser.add_argument("--seconds", type=float, default=300.0, help="stop after this long in any case")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY"))
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("a worker needs its owner's API key: set AI_HORDE_API_KEY or pass --api-key")
    return anyio.run(serve, args)


if __name__ == "__main__":
    raise SystemExit(main())
