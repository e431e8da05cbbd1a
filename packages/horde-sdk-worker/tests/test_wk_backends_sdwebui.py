"""The ``sdwebui`` image backend against a fake Automatic1111-API web UI on loopback.

The fake checks every payload field by field (types, ranges, samplers, schedulers, LoRA tags, image sizes) and
refuses unknown fields; a test passes only if the payload was accepted *and* holds what the job asked for, and
the images have the requested size and their seed's colour.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from engine_fakes import FakeSDWebUI, http_client, image_of, png
from engine_fakes.jobs import assert_seed_images, image_job
from PIL import Image

from horde_sdk.worker.backends import BackendError, ImageBackend, SDWebUIImageBackend

pytestmark = pytest.mark.anyio

MODEL_MAP = {"Dummy SD": "dummy-sd15.safetensors", "Random XL": "random-sdxl", "Absent": "nope.ckpt"}


@pytest.fixture
def fake() -> Iterator[FakeSDWebUI]:
    server = FakeSDWebUI()
    with server.running():
        yield server


@asynccontextmanager
async def backend_on(fake: FakeSDWebUI, **options: Any) -> AsyncIterator[SDWebUIImageBackend]:
    async with (
        http_client() as client,
        SDWebUIImageBackend(fake.url, MODEL_MAP, http_client=client, **options) as backend,
    ):
        yield backend


def decoded(value: str) -> Image.Image:
    return image_of(base64.b64decode(value))


# ---------------------------------------------------------------------------------------------------------------
# What the server has
# ---------------------------------------------------------------------------------------------------------------


async def test_entering_reads_what_the_web_ui_has_and_declares_the_features(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        assert isinstance(backend, ImageBackend)
        # by file name ("dummy-sd15.safetensors") and by model name ("random-sdxl"); "Absent" is not there
        assert backend.available_models == ("Dummy SD", "Random XL")
        features = backend.features
    assert set(features.source_processing) == {"img2img", "inpainting", "outpainting"}
    assert (features.loras, features.hires_fix, features.clip_skip, features.tiling) == (True, True, True, True)
    assert set(features.post_processors) == {"RealESRGAN_x4plus", "4x_AnimeSharp", "GFPGAN", "CodeFormers"}
    assert {"k_euler_a", "k_dpmpp_2m", "DDIM", "lcm"} <= set(features.samplers)
    assert set(features.schedulers) == {
        "normal",
        "karras",
        "exponential",
        "sgm_uniform",
        "simple",
        "ddim_uniform",
        "beta",
    }
    assert features.textual_inversion
    assert (features.controlnet, features.transparency) == (False, False)


# ---------------------------------------------------------------------------------------------------------------
# Payloads (each accepted by the fake's checks, then compared field by field)
# ---------------------------------------------------------------------------------------------------------------


async def test_a_batch_of_consecutive_seeds_is_one_call_without_the_grid(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(
                (40, 41, 42),
                width=576,
                height=448,
                steps=9,
                cfg_scale=5,
                sampler_name="k_dpmpp_2m",
                scheduler="karras",
                negative_prompt="fog",
                clip_skip=2,
                tiling=True,
                batch_size=3,
            )
        )
    ((path, payload, checkpoint),) = fake.generations
    assert path == "/sdapi/v1/txt2img"
    assert checkpoint is not None
    assert checkpoint.startswith("dummy-sd15.safetensors")
    assert {
        key: payload[key] for key in ("seed", "batch_size", "n_iter", "width", "height", "steps", "cfg_scale")
    } == {
        "seed": 40,
        "batch_size": 3,
        "n_iter": 1,
        "width": 576,
        "height": 448,
        "steps": 9,
        "cfg_scale": 5.0,
    }
    assert (payload["sampler_name"], payload["scheduler"]) == ("DPM++ 2M", "karras")
    assert (payload["prompt"], payload["negative_prompt"], payload["tiling"]) == ("a lighthouse at dusk", "fog", True)
    assert payload["override_settings"] == {"CLIP_stop_at_last_layers": 2, "return_grid": False}
    assert_seed_images(result.images, (576, 448), (40, 41, 42))


async def test_seeds_that_do_not_follow_each_other_are_one_call_each(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(image_job((5, 50, 51), batch_size=3))
    assert [(payload["seed"], payload["batch_size"]) for _, payload, _ in fake.generations] == [(5, 1), (50, 2)]
    assert_seed_images(result.images, (512, 512), (5, 50, 51))


async def test_the_checkpoint_is_switched_through_the_options_only_when_it_changes(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        await backend.generate_images(image_job(model="Dummy SD"))  # already loaded
        await backend.generate_images(image_job(model="Random XL"))
        await backend.generate_images(image_job(model="Random XL"))
    assert fake.switches == ["random-sdxl.safetensors [0000000002]"]
    assert [checkpoint for _, _, checkpoint in fake.generations] == [
        "dummy-sd15.safetensors [0000000001]",
        "random-sdxl.safetensors [0000000002]",
        "random-sdxl.safetensors [0000000002]",
    ]


async def test_img2img_sends_the_source_at_the_requested_size_and_the_strength(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(
                width=512,
                height=640,
                source_processing="img2img",
                img2img={"source_image": png(100, 80, (1, 2, 3))},
                denoising_strength=0.35,
            )
        )
    ((path, payload, _),) = fake.generations
    assert path == "/sdapi/v1/img2img"
    assert payload["denoising_strength"] == 0.35
    assert decoded(payload["init_images"][0]).size == (512, 640)
    assert {"mask", "enable_hr"}.isdisjoint(payload)
    assert_seed_images(result.images, (512, 640), (7,))


async def test_inpainting_sends_the_mask_white_where_to_paint(fake: FakeSDWebUI) -> None:
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (256, 0, 512, 512))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    async with backend_on(fake) as backend:
        await backend.generate_images(
            image_job(
                source_processing="inpainting",
                img2img={"source_image": png(512, 512), "source_mask": buffer.getvalue()},
            )
        )
    ((_, payload, _),) = fake.generations
    sent = decoded(payload["mask"])
    assert (sent.getpixel((400, 10)), sent.getpixel((10, 10))) == (255, 0)
    assert (payload["inpainting_mask_invert"], payload["inpainting_fill"], payload["denoising_strength"]) == (
        0,
        1,
        1.0,
    )


async def test_outpainting_takes_the_mask_from_the_sources_transparency(fake: FakeSDWebUI) -> None:
    source = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    source.paste((90, 90, 90, 255), (128, 128, 384, 384))
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")
    async with backend_on(fake) as backend:
        await backend.generate_images(
            image_job(source_processing="outpainting", img2img={"source_image": buffer.getvalue()})
        )
    ((_, payload, _),) = fake.generations
    sent = decoded(payload["mask"])
    assert (sent.getpixel((5, 5)), sent.getpixel((256, 256))) == (255, 0)


async def test_loras_are_prompt_tags_with_their_model_strength(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        await backend.generate_images(
            image_job(loras=[{"name": "Dummy-Lora", "model_strength": 0.75, "clip_strength": 0.2}])
        )
    ((_, payload, _),) = fake.generations
    assert payload["prompt"] == "a lighthouse at dusk <lora:dummy-lora:0.75>"


async def test_textual_inversions_are_written_into_the_prompts_where_the_job_asks(fake: FakeSDWebUI) -> None:
    tis = [
        {"name": "dummy-ti", "inject_ti": "prompt", "strength": 0.7},
        {"name": "DUMMY-TI", "inject_ti": "negprompt"},
    ]
    async with backend_on(fake) as backend:
        await backend.generate_images(image_job(negative_prompt="fog", tis=tis, loras=[{"name": "dummy-lora"}]))
    ((_, payload, _),) = fake.generations
    assert payload["prompt"] == "a lighthouse at dusk (dummy-ti:0.7) <lora:dummy-lora:1>"
    assert payload["negative_prompt"] == "fog (dummy-ti:1)"


async def test_hires_fix_generates_small_then_resizes_to_the_requested_size(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(
                width=1024,
                height=768,
                hires_fix={"denoising_strength": 0.5, "first_pass_width": 512, "first_pass_height": 384},
            )
        )
    ((_, payload, _),) = fake.generations
    assert {
        key: payload[key]
        for key in ("width", "height", "enable_hr", "hr_resize_x", "hr_resize_y", "denoising_strength", "hr_upscaler")
    } == {
        "width": 512,
        "height": 384,
        "enable_hr": True,
        "hr_resize_x": 1024,
        "hr_resize_y": 768,
        "denoising_strength": 0.5,
        "hr_upscaler": "Latent",
    }
    assert_seed_images(result.images, (1024, 768), (7,))


async def test_post_processors_run_in_order_through_the_extras_endpoint(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(
                (3, 4),
                width=64,
                height=64,
                batch_size=2,
                post_processing={
                    "post_processors": ["GFPGAN", "RealESRGAN_x4plus", "CodeFormers"],
                    "facefixer_strength": 0.4,
                },
            )
        )
    bodies = [{key: value for key, value in body.items() if key != "image"} for body in fake.extras]
    assert bodies == [
        {"resize_mode": 0, "gfpgan_visibility": 0.4},
        {"resize_mode": 0, "gfpgan_visibility": 0.4},
        {"resize_mode": 0, "upscaling_resize": 4.0, "upscaler_1": "R-ESRGAN 4x+"},
        {"resize_mode": 0, "upscaling_resize": 4.0, "upscaler_1": "R-ESRGAN 4x+"},
        {"resize_mode": 0, "codeformer_visibility": 0.4, "codeformer_weight": 0.5},
        {"resize_mode": 0, "codeformer_visibility": 0.4, "codeformer_weight": 0.5},
    ]
    assert_seed_images(result.images, (256, 256), (3, 4))


async def test_a_web_ui_without_schedulers_gets_karras_as_a_sampler_variant() -> None:
    server = FakeSDWebUI(schedulers=None)
    with server.running():
        async with backend_on(server) as backend:
            assert set(backend.features.schedulers) == {"normal", "karras"}
            await backend.generate_images(image_job(sampler_name="k_dpmpp_2m", scheduler="karras"))
            await backend.generate_images(image_job(sampler_name="k_euler"))
            with pytest.raises(BackendError, match="no Karras variant of Euler"):
                await backend.generate_images(image_job(sampler_name="k_euler", scheduler="karras"))
    payloads = [payload for _, payload, _ in server.generations]
    assert [payload["sampler_name"] for payload in payloads] == ["DPM++ 2M Karras", "Euler"]
    assert all("scheduler" not in payload for payload in payloads)


# ---------------------------------------------------------------------------------------------------------------
# Refused before anything is sent, and failures the way a real web UI fails
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "model", "message"),
    [
        ({"loras": [{"name": "not-installed"}]}, "Dummy SD", "not-installed"),
        ({"tis": [{"name": "no-such-ti", "inject_ti": "negprompt"}]}, "Dummy SD", "textual inversion 'no-such-ti'"),
        ({"sampler_name": "dpmsolver"}, "Dummy SD", "samplers: dpmsolver"),
        ({"post_processing": {"post_processors": ["RealESRGAN_x2plus"]}}, "Dummy SD", "RealESRGAN_x2plus"),
        ({}, "Absent", "not one this engine runs"),
    ],
)
async def test_what_the_web_ui_cannot_run_is_refused_before_generating(
    fake: FakeSDWebUI, parameters: dict[str, Any], model: str, message: str
) -> None:
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match=message):
            await backend.generate_images(image_job(model=model, **parameters))
    assert not fake.generations


async def test_out_of_memory_is_a_backend_error_with_the_web_uis_message(fake: FakeSDWebUI) -> None:
    fake.failure = "oom"
    async with backend_on(fake) as backend:
        with pytest.raises(
            BackendError, match=r"sdwebui POST /sdapi/v1/txt2img: HTTP 500 .*OutOfMemoryError: CUDA out of memory"
        ):
            await backend.generate_images(image_job())


async def test_a_server_error_is_a_backend_error(fake: FakeSDWebUI) -> None:
    fake.failure = "500"
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match="HTTP 500 Internal Server Error: RuntimeError: something broke"):
            await backend.generate_images(image_job())


async def test_a_refused_payload_is_a_backend_error_with_the_validation_message(fake: FakeSDWebUI) -> None:
    async with backend_on(fake) as backend:
        fake.loras.clear()  # the LoRA file was removed since the backend started
        with pytest.raises(BackendError, match=r"HTTP 422.*lora dummy-lora not found"):
            await backend.generate_images(image_job(loras=[{"name": "dummy-lora"}]))


async def test_a_call_that_takes_too_long_times_out_and_interrupts_the_web_ui(fake: FakeSDWebUI) -> None:
    fake.failure = "hang"
    async with backend_on(fake, job_timeout=0.2) as backend:
        with pytest.raises(BackendError, match="sdwebui POST /sdapi/v1/txt2img: timed out"):
            await backend.generate_images(image_job())
    assert fake.interrupts == 1


async def test_the_progress_of_a_running_call_is_followed(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeSDWebUI(generation_seconds=0.1)
    caplog.set_level(logging.DEBUG, logger="horde_sdk.worker.backends.sdwebui")
    with server.running():
        async with backend_on(server, poll_interval=0.01) as backend:
            await backend.generate_images(image_job(steps=30))
    assert 0.5 in server.progress_reports
    events = [record for record in caplog.records if record.getMessage() == "sdwebui progress"]
    assert any(getattr(record, "steps", None) == 30 and getattr(record, "step", None) == 15 for record in events)


async def test_a_job_the_runtime_cancels_interrupts_the_web_ui(fake: FakeSDWebUI) -> None:
    fake.failure = "hang"
    async with backend_on(fake) as backend, anyio.create_task_group() as group:
        group.start_soon(backend.generate_images, image_job())
        with anyio.fail_after(10):
            while ("POST", "/sdapi/v1/txt2img") not in fake.requests:  # noqa: ASYNC110 - the fake's state
                await anyio.sleep(0.005)
        group.cancel_scope.cancel()  # the runtime's generate timeout, or a worker stop
    assert fake.interrupts == 1


async def test_a_connection_dropped_mid_job_is_a_backend_error(fake: FakeSDWebUI) -> None:
    fake.failure = "drop"
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match="sdwebui POST /sdapi/v1/txt2img: connection failed or dropped"):
            await backend.generate_images(image_job())


async def test_a_timeout_is_a_backend_error_with_the_default_transport_too(fake: FakeSDWebUI) -> None:
    fake.failure = "hang"
    async with SDWebUIImageBackend(fake.url, MODEL_MAP, job_timeout=0.2) as backend:  # aiohttp when installed
        with pytest.raises(BackendError, match="sdwebui POST /sdapi/v1/txt2img: timed out"):
            await backend.generate_images(image_job())
    assert fake.interrupts == 1


def test_the_fake_refuses_bad_payloads() -> None:
    fake = FakeSDWebUI()
    good = {"prompt": "x", "seed": 1, "steps": 5, "cfg_scale": 7, "width": 512, "height": 512, "sampler_name": "Euler"}
    assert fake._answer("/sdapi/v1/txt2img", good)["images"]
    for bad, message in (
        ({"steps": 0}, "steps"),
        ({"steps": "5"}, "steps"),
        ({"sampler_name": "k_euler"}, "sampler_name"),
        ({"scheduler": "nope"}, "scheduler"),
        ({"typo": 1}, "unknown field"),
        ({"width": 516}, "multiples of 8"),
        ({"prompt": "x <lora:missing:1>"}, "lora missing"),
        ({"override_settings": {"CLIP_stop_at_last_layers": "2"}}, "override_settings"),
    ):
        with pytest.raises(ValueError, match=message):
            fake._answer("/sdapi/v1/txt2img", {**good, **bad})
    with pytest.raises(ValueError, match="init_images"):
        fake._answer("/sdapi/v1/img2img", {**good, "init_images": [base64.b64encode(png(64, 64)).decode()]})
