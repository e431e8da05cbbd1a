"""The ``comfyui`` image backend against a fake ComfyUI on loopback.

The fake validates every graph the way ComfyUI 0.3.64 does, against the node definitions a real server served
(``engine_fakes/data/comfyui_object_info.json``); a test passes only if the graph was accepted *and* has the
expected nodes, and the images that come back have the requested size and their seed's colour.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from engine_fakes import FakeComfyUI, http_client, image_of, png
from engine_fakes.jobs import assert_seed_images, image_job
from PIL import Image

from horde_sdk.deploy_config import ImageWorkerDeployConfig
from horde_sdk.worker.backends import BackendError, ComfyUIImageBackend, ImageBackend
from horde_sdk.worker.backends.comfyui import combo_options
from horde_sdk.worker.dispatch.ai_horde import build_image_pop_request

pytestmark = pytest.mark.anyio

MODEL_MAP = {"Dummy SD": "dummy-sd15.safetensors", "Random SD": "random-sd15.safetensors", "Absent": "nope.ckpt"}


def alpha_at(image: Image.Image, xy: tuple[int, int]) -> object:
    """The alpha of the pixel at ``xy`` of an RGBA image."""
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple), pixel
    return pixel[3]


@pytest.fixture
def fake() -> Iterator[FakeComfyUI]:
    server = FakeComfyUI()
    with server.running():
        yield server


@asynccontextmanager
async def backend_on(fake: FakeComfyUI, **options: Any) -> AsyncIterator[ComfyUIImageBackend]:
    async with (
        http_client() as client,
        ComfyUIImageBackend(fake.url, MODEL_MAP, http_client=client, **options) as backend,
    ):
        yield backend


def nodes(graph: dict[str, Any], class_type: str) -> list[dict[str, Any]]:
    return [node["inputs"] for node in graph.values() if node["class_type"] == class_type]


def node_id(graph: dict[str, Any], class_type: str) -> str:
    return next(key for key, node in graph.items() if node["class_type"] == class_type)


# ---------------------------------------------------------------------------------------------------------------
# What the server has
# ---------------------------------------------------------------------------------------------------------------


def test_combo_options_reads_both_forms_of_object_info() -> None:
    assert combo_options([["a.safetensors", "b.safetensors"], {"tooltip": "x"}]) == ("a.safetensors", "b.safetensors")
    assert combo_options(["COMBO", {"multiselect": False, "options": ["dummy-4x.pth"]}]) == ("dummy-4x.pth",)
    assert combo_options(["INT", {"min": 0}]) is None
    assert combo_options(["MODEL"]) is None


async def test_entering_reads_checkpoints_loras_upscalers_and_declares_the_features(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        assert isinstance(backend, ImageBackend)
        assert backend.available_models == ("Dummy SD", "Random SD")  # "Absent" has no file on the server
        features = backend.features
    assert set(features.source_processing) == {"img2img", "inpainting", "outpainting"}
    assert (features.loras, features.hires_fix, features.clip_skip) == (True, True, True)
    assert features.textual_inversion  # the server lists an embedding
    assert (features.tiling, features.controlnet, features.transparency) == (False, False, False)
    assert set(features.post_processors) == {"RealESRGAN_x2plus", "4x_AnimeSharp"}  # from the COMBO-form list
    assert {"k_euler_a", "k_dpmpp_2m", "k_lms", "DDIM", "lcm"} <= set(features.samplers)
    assert {"normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta"} == set(
        features.schedulers
    )
    assert ("GET", "/object_info") in fake.requests


async def test_the_pop_asks_only_for_the_features_the_server_runs() -> None:
    server = FakeComfyUI(loras=(), upscale_models=("unrelated-model.pth",))
    config = ImageWorkerDeployConfig(
        dreamer_name="d", allow_lora=True, allow_post_processing=True, allow_painting=True
    )
    with server.running():
        async with backend_on(server) as backend:
            request = build_image_pop_request(config, backend.available_models, backend_features=backend.features)
    assert (request.allow_lora, request.allow_post_processing) == (False, False)  # no LoRA, no known upscaler
    assert (request.allow_img2img, request.allow_painting) == (True, True)
    assert request.models is not None
    assert list(request.models) == ["Dummy SD", "Random SD"]


async def test_a_server_without_any_mapped_checkpoint_is_refused_on_entering() -> None:
    server = FakeComfyUI(checkpoints=("other.safetensors",))
    with server.running(), pytest.raises(BackendError, match="none of the checkpoints"):
        async with ComfyUIImageBackend(server.url, {"Dummy SD": "dummy-sd15.safetensors"}):
            pass


def test_the_url_and_the_model_map_are_required() -> None:
    with pytest.raises(BackendError, match="image_backend_url"):
        ComfyUIImageBackend("", MODEL_MAP)
    with pytest.raises(BackendError, match="image_model_map"):
        ComfyUIImageBackend("http://127.0.0.1:8188", {})


# ---------------------------------------------------------------------------------------------------------------
# Graphs (each one accepted by the fake's validation, then checked node by node)
# ---------------------------------------------------------------------------------------------------------------


async def test_txt2img_batch_gives_each_image_its_own_seed_and_maps_sampler_and_scheduler(fake: FakeComfyUI) -> None:
    seeds = (11, 500, 2**40)
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(
                seeds,
                width=512,
                height=768,
                steps=12,
                cfg_scale=6.5,
                sampler_name="k_dpmpp_2m",
                scheduler="karras",
                negative_prompt="fog",
                batch_size=3,
            )
        )
    assert not fake.refusals
    (graph,) = fake.prompts
    assert nodes(graph, "CheckpointLoaderSimple") == [{"ckpt_name": "dummy-sd15.safetensors"}]
    assert nodes(graph, "EmptyLatentImage") == [{"width": 512, "height": 768, "batch_size": 1}]
    samplers = nodes(graph, "KSampler")
    assert [sampler["seed"] for sampler in samplers] == list(seeds)
    assert {(s["sampler_name"], s["scheduler"], s["steps"], s["cfg"], s["denoise"]) for s in samplers} == {
        ("dpmpp_2m", "karras", 12, 6.5, 1.0)
    }
    assert sorted(text["text"] for text in nodes(graph, "CLIPTextEncode")) == ["a lighthouse at dusk", "fog"]
    assert len(nodes(graph, "SaveImage")) == 3
    assert_seed_images(result.images, (512, 768), seeds)
    assert result.safety is None


async def test_img2img_uploads_the_source_and_uses_the_denoising_strength(fake: FakeComfyUI) -> None:
    source = png(300, 200, (10, 200, 30))
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(source_processing="img2img", img2img={"source_image": source}, denoising_strength=0.4)
        )
    (graph,) = fake.prompts
    (load,) = nodes(graph, "LoadImage")
    uploaded = image_of(fake.uploads[load["image"]])
    assert uploaded.size == (512, 512)  # resized to the requested size before the upload
    encode = nodes(graph, "VAEEncode")[0]
    assert encode["pixels"] == [node_id(graph, "LoadImage"), 0]
    assert nodes(graph, "KSampler")[0]["denoise"] == 0.4
    assert nodes(graph, "KSampler")[0]["latent_image"] == [node_id(graph, "VAEEncode"), 0]
    assert not nodes(graph, "EmptyLatentImage")
    assert_seed_images(result.images, (512, 512), (7,))


async def test_img2img_without_a_denoising_strength_uses_the_hordes_usual_one(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        await backend.generate_images(image_job(source_processing="img2img", img2img={"source_image": png(64, 64)}))
    assert nodes(fake.prompts[0], "KSampler")[0]["denoise"] == 0.75


async def test_inpainting_with_a_mask_sends_the_mask_as_the_images_transparency(fake: FakeComfyUI) -> None:
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (0, 0, 256, 512))  # paint the left half
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    async with backend_on(fake) as backend:
        await backend.generate_images(
            image_job(
                source_processing="inpainting",
                img2img={"source_image": png(512, 512), "source_mask": buffer.getvalue()},
            )
        )
    (graph,) = fake.prompts
    load = node_id(graph, "LoadImage")
    (inpaint,) = nodes(graph, "VAEEncodeForInpaint")
    assert (inpaint["pixels"], inpaint["mask"]) == ([load, 0], [load, 1])
    uploaded = image_of(fake.uploads[nodes(graph, "LoadImage")[0]["image"]])
    assert uploaded.mode == "RGBA"
    assert alpha_at(uploaded, (10, 10)) == 0  # painted: transparent (LoadImage's MASK is 1 - alpha)
    assert alpha_at(uploaded, (400, 10)) == 255  # kept: opaque


async def test_outpainting_from_transparency_with_partial_strength_uses_a_latent_noise_mask(fake: FakeComfyUI) -> None:
    source = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    source.paste((90, 90, 90, 255), (128, 128, 384, 384))
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")
    async with backend_on(fake) as backend:
        await backend.generate_images(
            image_job(
                source_processing="outpainting", img2img={"source_image": buffer.getvalue()}, denoising_strength=0.75
            )
        )
    (graph,) = fake.prompts
    (noise_mask,) = nodes(graph, "SetLatentNoiseMask")
    assert noise_mask["samples"] == [node_id(graph, "VAEEncode"), 0]
    assert noise_mask["mask"] == [node_id(graph, "LoadImage"), 1]
    assert nodes(graph, "KSampler")[0]["denoise"] == 0.75
    uploaded = image_of(fake.uploads[nodes(graph, "LoadImage")[0]["image"]])
    assert (alpha_at(uploaded, (5, 5)), alpha_at(uploaded, (256, 256))) == (0, 255)


async def test_loras_are_chained_and_clip_skip_sets_the_last_layer(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        await backend.generate_images(
            image_job(clip_skip=2, loras=[{"name": "dummy-lora", "model_strength": 0.8, "clip_strength": 0.5}])
        )
    (graph,) = fake.prompts
    checkpoint = node_id(graph, "CheckpointLoaderSimple")
    (lora,) = nodes(graph, "LoraLoader")
    assert lora == {
        "model": [checkpoint, 0],
        "clip": [checkpoint, 1],
        "lora_name": "dummy-lora.safetensors",
        "strength_model": 0.8,
        "strength_clip": 0.5,
    }
    lora_id = node_id(graph, "LoraLoader")
    assert nodes(graph, "CLIPSetLastLayer") == [{"clip": [lora_id, 1], "stop_at_clip_layer": -2}]
    assert nodes(graph, "KSampler")[0]["model"] == [lora_id, 0]
    clip_id = node_id(graph, "CLIPSetLastLayer")
    assert all(encode["clip"] == [clip_id, 0] for encode in nodes(graph, "CLIPTextEncode"))


async def test_textual_inversions_are_written_into_the_prompts_where_the_job_asks(fake: FakeComfyUI) -> None:
    tis = [
        {"name": "dummy-ti", "inject_ti": "prompt", "strength": 0.7},
        {"name": "Dummy_TI", "inject_ti": "negprompt"},
        {"name": "dummy-ti"},  # the prompt already names it
    ]
    async with backend_on(fake) as backend:
        await backend.generate_images(image_job(negative_prompt="fog", tis=tis))
    (graph,) = fake.prompts
    assert sorted(encode["text"] for encode in nodes(graph, "CLIPTextEncode")) == [
        "a lighthouse at dusk (embedding:dummy-ti:0.7)",
        "fog (embedding:dummy-ti:1)",
    ]


async def test_hires_fix_samples_small_upscales_the_latent_and_samples_again(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(width=1024, height=1024, hires_fix={"denoising_strength": 0.55})
        )
    (graph,) = fake.prompts
    assert nodes(graph, "EmptyLatentImage") == [{"width": 512, "height": 512, "batch_size": 1}]
    (upscale,) = nodes(graph, "LatentUpscale")
    assert (upscale["width"], upscale["height"]) == (1024, 1024)
    first, second = nodes(graph, "KSampler")
    assert (first["denoise"], second["denoise"]) == (1.0, 0.55)
    assert second["latent_image"] == [node_id(graph, "LatentUpscale"), 0]
    assert_seed_images(result.images, (1024, 1024), (7,))


async def test_upscalers_run_in_order_through_the_servers_upscale_models(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        result = await backend.generate_images(
            image_job(width=64, height=64, post_processing={"post_processors": ["RealESRGAN_x2plus", "4x_AnimeSharp"]})
        )
    (graph,) = fake.prompts
    assert sorted(loader["model_name"] for loader in nodes(graph, "UpscaleModelLoader")) == [
        "4x_AnimeSharp.pth",
        "RealESRGAN_x2plus.pth",
    ]
    assert len(nodes(graph, "ImageUpscaleWithModel")) == 2
    assert_seed_images(result.images, (64 * 2 * 4, 64 * 2 * 4), (7,))


async def test_face_restoration_runs_when_the_custom_nodes_are_installed() -> None:
    server = FakeComfyUI(face_restore=True)
    with server.running():
        async with backend_on(server) as backend:
            assert {"GFPGAN", "CodeFormers"} <= set(backend.features.post_processors)
            await backend.generate_images(
                image_job(post_processing={"post_processors": ["CodeFormers"], "facefixer_strength": 0.3})
            )
    (graph,) = server.prompts
    assert nodes(graph, "FaceRestoreModelLoader") == [{"model_name": "codeformer-v0.1.0.pth"}]
    (restore,) = nodes(graph, "FaceRestoreCFWithModel")
    assert restore["codeformer_fidelity"] == 0.3
    assert restore["facedetection"] == "retinaface_resnet50"
    assert restore["image"] == [node_id(graph, "VAEDecode"), 0]


async def test_the_model_picks_its_mapped_checkpoint(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        await backend.generate_images(image_job(model="Random SD"))
    assert nodes(fake.prompts[0], "CheckpointLoaderSimple") == [{"ckpt_name": "random-sd15.safetensors"}]


# ---------------------------------------------------------------------------------------------------------------
# Refused before anything is sent
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "model", "message"),
    [
        ({"tiling": True}, "Dummy SD", "unsupported tiling"),
        ({"sampler_name": "dpmsolver"}, "Dummy SD", "samplers: dpmsolver"),
        ({"post_processing": {"post_processors": ["strip_background"]}}, "Dummy SD", "strip_background"),
        ({"loras": [{"name": "not-installed"}]}, "Dummy SD", "not-installed"),
        ({"tis": [{"name": "no-such-ti", "inject_ti": "prompt"}]}, "Dummy SD", "textual inversion 'no-such-ti'"),
        ({}, "Absent", "not one this engine runs"),
        ({"cfg_scale": 150}, "Dummy SD", r"KSampler.cfg = 150"),
        ({"clip_skip": 30}, "Dummy SD", "stop_at_clip_layer"),
    ],
)
async def test_what_the_server_cannot_run_is_refused_before_queueing(
    fake: FakeComfyUI, parameters: dict[str, Any], model: str, message: str
) -> None:
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match=message):
            await backend.generate_images(image_job(model=model, **parameters))
    assert ("POST", "/prompt") not in fake.requests


# ---------------------------------------------------------------------------------------------------------------
# Failures the way a real ComfyUI fails
# ---------------------------------------------------------------------------------------------------------------


async def test_node_errors_of_a_refused_graph_are_in_the_message(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        # The checkpoint file was removed since the backend started: ComfyUI's own validation refuses it.
        fake.object_info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = ["other.safetensors"]
        with pytest.raises(BackendError) as caught:
            await backend.generate_images(image_job())
    message = str(caught.value)
    assert "prompt_outputs_failed_validation" in message
    assert "(CheckpointLoaderSimple) ckpt_name: value_not_in_list" in message


async def test_a_missing_upscale_model_fails_when_the_graph_runs(fake: FakeComfyUI) -> None:
    async with backend_on(fake) as backend:
        fake.object_info["UpscaleModelLoader"]["input"]["required"]["model_name"][1]["options"] = []
        with pytest.raises(
            BackendError, match=r"execution error in node \d+ \(UpscaleModelLoader\): FileNotFoundError"
        ):
            await backend.generate_images(image_job(post_processing={"post_processors": ["RealESRGAN_x2plus"]}))
    assert fake.prompts  # accepted: COMBO-form inputs are not checked at validation


async def test_a_server_error_is_a_backend_error_with_the_servers_text(fake: FakeComfyUI) -> None:
    fake.failure = "500"
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match="HTTP 500 Internal Server Error: 500 Internal Server Error"):
            await backend.generate_images(image_job())


async def test_out_of_memory_is_reported_as_such(fake: FakeComfyUI) -> None:
    fake.failure = "oom"
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match=r"out of memory: execution error in node \d+ \(KSampler\)") as caught:
            await backend.generate_images(image_job())
    assert "Allocation on device 0 would exceed allowed memory" in str(caught.value)


async def test_a_prompt_that_never_finishes_times_out_and_is_cancelled_on_the_server(fake: FakeComfyUI) -> None:
    fake.failure = "hang"
    async with backend_on(fake, job_timeout=0.1) as backend:
        with pytest.raises(BackendError, match=r"took longer than 0\.1s"):
            await backend.generate_images(image_job())
    prompt_id = next(iter(fake.history))
    assert fake.deleted == [prompt_id]
    assert fake.interrupted == [prompt_id]


async def test_a_prompt_still_waiting_in_the_queue_is_deleted_but_nothing_is_interrupted(fake: FakeComfyUI) -> None:
    fake.failure = "stuck"  # another job's prompt runs: an interrupt would stop it on servers before prompt_id
    async with backend_on(fake, job_timeout=0.1) as backend:
        with pytest.raises(BackendError, match="took longer"):
            await backend.generate_images(image_job())
    assert fake.deleted == list(fake.history)
    assert fake.interrupted == []


async def test_a_job_the_runtime_cancels_is_taken_off_the_servers_queue(fake: FakeComfyUI) -> None:
    fake.failure = "hang"
    async with backend_on(fake) as backend, anyio.create_task_group() as group:
        group.start_soon(backend.generate_images, image_job())
        with anyio.fail_after(10):
            while not any(fake.polls.values()):  # noqa: ASYNC110 - the fake's state, no event to wait for
                await anyio.sleep(0.005)
        group.cancel_scope.cancel()  # the runtime's generate timeout, or a worker stop
    prompt_id = next(iter(fake.history))
    assert (fake.deleted, fake.interrupted) == ([prompt_id], [prompt_id])


async def test_a_connection_dropped_mid_job_is_a_backend_error(fake: FakeComfyUI) -> None:
    fake.failure = "drop"
    async with backend_on(fake) as backend:
        with pytest.raises(BackendError, match=r"comfyui GET /history/[0-9a-f-]+: connection failed or dropped"):
            await backend.generate_images(image_job())


async def test_a_dropped_connection_is_a_backend_error_with_the_default_transport_too(fake: FakeComfyUI) -> None:
    fake.failure = "drop"
    async with ComfyUIImageBackend(fake.url, MODEL_MAP) as backend:  # no injected client: aiohttp when installed
        with pytest.raises(BackendError, match=r"GET /history/[0-9a-f-]+: connection failed or dropped"):
            await backend.generate_images(image_job())


async def test_an_unreachable_server_is_a_backend_error() -> None:
    server = FakeComfyUI()
    with server.running():
        url = server.url
    with pytest.raises(BackendError, match="comfyui GET /object_info: connection failed"):
        async with ComfyUIImageBackend(url, MODEL_MAP):
            pass


# ---------------------------------------------------------------------------------------------------------------
# The fake's validation can fail (so the graph tests above mean something)
# ---------------------------------------------------------------------------------------------------------------


def test_the_fake_refuses_what_comfyui_refuses() -> None:
    fake = FakeComfyUI()
    assert fake.validate({"1": {"class_type": "NoSuchNode", "inputs": {}}})["error"]["type"] == "invalid_prompt"  # type: ignore[index]  # the fake answers None for a valid graph; this one is not
    no_output = {"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}}}
    assert fake.validate(no_output)["error"]["type"] == "prompt_no_outputs"  # type: ignore[index]  # the fake answers None for a valid graph; this one is not
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "missing.safetensors"}},
        "2": {"class_type": "EmptyLatentImage", "inputs": {"width": 8, "height": 64, "batch_size": 1, "typo": 1}},
        "3": {"class_type": "VAEDecode", "inputs": {"samples": ["1", 0], "vae": ["9", 2]}},
        "4": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}},
        "5": {"class_type": "LoadImage", "inputs": {"image": "never-uploaded.png"}},
    }
    answer = fake.validate(graph)
    assert answer is not None
    kinds = {(node, error["type"]) for node, entry in answer["node_errors"].items() for error in entry["errors"]}
    assert kinds == {
        ("1", "value_not_in_list"),
        ("2", "value_smaller_than_min"),
        ("2", "fake_unknown_input"),
        ("3", "return_type_mismatch"),
        ("3", "exception_during_inner_validation"),
        ("4", "required_input_missing"),
        ("5", "custom_validation_failed"),
    }
