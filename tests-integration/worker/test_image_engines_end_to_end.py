"""``horde-worker run`` in front of an image engine: the local horde, the worker command, a fake engine, a client.

The worker is the operator's command (a subprocess; in this process for the second engine) with the documented
example configuration
(``docs/examples/*_bridgeData.yaml``) pointed at the local horde and at a fake ComfyUI or Automatic1111 web UI
on loopback. A client asks for images; it must get decodable images of the requested size, made with the seed
the horde reports (the fakes colour each image by its seed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from engine_fakes import FakeComfyUI, FakeSDWebUI, colour_is_close, image_of, seed_colour
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv

from horde_sdk.ai_horde_api import AIHordeAPIAsyncSimpleClient, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest
from horde_sdk.deploy_config import load_deploy_config
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
MODEL = "Test Model"


def wait_for(predicate: Callable[[], bool], worker: subprocess.Popen[str], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert worker.poll() is None, worker.communicate()[1]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def worker_config(horde: HordeEnv, tmp_path: Path, example: str, name: str, engine_url: str) -> Path:
    """The documented example configuration, pointed at the local horde and the fake engine."""
    settings: dict[str, Any] = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    settings.update(
        horde_url=horde.base_url,
        api_key=KEYS["worker"].key,
        dreamer_name=name,
        image_backend_url=engine_url,
        image_model_map={MODEL: "dummy-sd15.safetensors", "Not On The Engine": "absent.safetensors"},
        stats_output_frequency=0,
    )
    config = tmp_path / f"{name}.yaml"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return config


REQUEST = ImageGenerateAsyncRequest(
    prompt="a lighthouse at dusk",
    models=(MODEL,),
    params={"width": 576, "height": 448, "seed": "1234", "n": 2, "sampler_name": "k_euler"},  # type: ignore[arg-type]  # a plain value as users write it: validation builds the payload
)


def assert_engine_images(generations: Any, name: str) -> None:
    assert len(generations) == 2
    for generation in generations:
        assert (generation.worker_name, generation.model) == (name, MODEL)
        image = image_of(generation.image)
        assert image.size == (576, 448)
        pixel = image.convert("RGB").getpixel((10, 10))
        assert isinstance(pixel, tuple)
        assert colour_is_close(pixel, seed_colour(int(generation.seed)))  # the engine used the reported seed
    assert "1234" in {generation.seed for generation in generations}


def test_horde_worker_run_in_front_of_comfyui_serves_images_of_the_requested_size_and_seed(
    horde: HordeEnv, tmp_path: Path
) -> None:
    engine = FakeComfyUI()
    name = "engine-dreamer-comfyui"
    with engine.running() as engine_url:
        config = worker_config(horde, tmp_path, "comfyui_bridgeData.yaml", name, engine_url)
        command = [sys.executable, "-m", "horde_sdk.worker.cli", "run", "--config", str(config)]
        command += ["--pop-interval", "0.05"]
        env = {key: value for key, value in os.environ.items() if not key.startswith("HORDE_WORKER_")}
        worker = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**env, "PYTHONUNBUFFERED": "1"}
        )
        try:
            wait_for(lambda: name in horde.horde.all_worker_counts(), worker)
            with AIHordeAPISimpleClient(
                base_url=horde.base_url, api_key=KEYS["alice"].key, enforce_rate_limits=False, timeouts=TIMEOUTS
            ) as client:
                result = client.image_generate_request(REQUEST)
        finally:
            worker.send_signal(signal.SIGINT)
            _, log = worker.communicate(timeout=30)
    assert worker.returncode == 0, log
    assert_engine_images(result.generations, name)
    assert engine.prompts
    assert not engine.refusals
    assert not engine.errors
    assert "mapped models not found on the engine" in log  # "Not On The Engine" is not offered
    assert KEYS["worker"].key not in log


@pytest.mark.anyio
async def test_the_worker_in_front_of_a_web_ui_serves_images_of_the_requested_size_and_seed(
    horde: HordeEnv, tmp_path: Path
) -> None:
    # The same configuration path as `horde-worker run` (file -> configuration -> WorkerRuntime.from_config), in
    # this process: a second worker process would add seconds to the suite for nothing the test above lacks.
    engine = FakeSDWebUI()
    name = "engine-dreamer-sdwebui"
    with engine.running() as engine_url:
        config = load_deploy_config(worker_config(horde, tmp_path, "sdwebui_bridgeData.yaml", name, engine_url))
        runtime = WorkerRuntime.from_config(config, options=RuntimeOptions(pop_interval=0.02))
        async with anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            with anyio.fail_after(10):
                await runtime.wait_ready()
            async with AIHordeAPIAsyncSimpleClient(
                base_url=horde.base_url, api_key=KEYS["alice"].key, enforce_rate_limits=False, timeouts=TIMEOUTS
            ) as client:
                result = await client.image_generate_request(REQUEST)
            runtime.request_stop()
    assert_engine_images(result.generations, name)
    assert engine.generations
    assert not engine.errors
    assert runtime.summary().submitted == 2
