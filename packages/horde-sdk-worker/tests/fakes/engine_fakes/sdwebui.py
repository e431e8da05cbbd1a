"""A fake web UI with the Automatic1111 API (``--api``): the ``/sdapi/v1`` endpoints a horde worker uses.

Lists: ``sd-models``, ``samplers`` (with aliases), ``schedulers`` (404 with ``schedulers=None``, as before web UI
1.9), ``loras``, ``embeddings``, ``upscalers``, ``face-restorers``; ``options`` (GET, and POST to switch ``sd_model_checkpoint``).
Generation: ``txt2img``, ``img2img`` and ``extra-single-image``; ``interrupt``; ``progress`` (halfway through the
running call's steps while one runs: set `generation_seconds` to make calls last).

Every payload is checked field by field (type and range; an unknown field is refused with 422, stricter than
the real server, which ignores it): samplers, schedulers, upscalers and ``<lora:name:weight>`` tags must be ones
the server lists, ``init_images`` and ``mask`` must be decodable images of the requested size. Images are PNGs
of the size asked (``hr_resize_x`` x ``hr_resize_y`` with hires fix), coloured by seed; the ``info`` JSON holds
``all_seeds``; a batch returns a grid first unless ``override_settings.return_grid`` is false, as the real
server does.

`failure`: ``"500"`` (a generic exception), ``"oom"`` (CUDA out of memory, 500), ``"hang"`` (the call does not
answer until ``/sdapi/v1/interrupt``), ``"drop"`` (the connection is closed unanswered).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import urlsplit

from engine_fakes.common import FakeHandler, FakeServerBase, b64, image_of, png, seed_colour

SAMPLERS = [
    ("Euler a", ["k_euler_a", "k_euler_ancestral"]),
    ("Euler", ["k_euler"]),
    ("LMS", ["k_lms"]),
    ("Heun", ["k_heun"]),
    ("DPM2", ["k_dpm_2"]),
    ("DPM2 a", ["k_dpm_2_a"]),
    ("DPM++ 2S a", ["k_dpmpp_2s_a"]),
    ("DPM++ 2M", ["k_dpmpp_2m"]),
    ("DPM++ SDE", ["k_dpmpp_sde"]),
    ("DPM fast", ["k_dpm_fast"]),
    ("DPM adaptive", ["k_dpm_ad"]),
    ("DDIM", []),
    ("UniPC", []),
    ("LCM", []),
]
SCHEDULERS = [
    "automatic",
    "uniform",
    "karras",
    "exponential",
    "polyexponential",
    "sgm_uniform",
    "simple",
    "normal",
    "ddim",
    "beta",
]
LATENT_UPSCALERS = ["Latent", "Latent (antialiased)", "Latent (bicubic)", "Latent (nearest)"]
_LORA_TAG = re.compile(r"<lora:([^:>]+):([^>]+)>")
_SETTINGS = {"CLIP_stop_at_last_layers": (int, 1, 12), "return_grid": (bool, None, None)}

_COMMON: dict[str, tuple[type | tuple[type, ...], float | None, float | None]] = {
    "prompt": (str, None, None),
    "negative_prompt": (str, None, None),
    "seed": (int, -1, 2**32 - 1),
    "steps": (int, 1, 150),
    "cfg_scale": ((int, float), 0, 30),
    "width": (int, 64, 2048),
    "height": (int, 64, 2048),
    "sampler_name": (str, None, None),
    "scheduler": (str, None, None),
    "batch_size": (int, 1, 8),
    "n_iter": (int, 1, 100),
    "tiling": (bool, None, None),
    "send_images": (bool, None, None),
    "save_images": (bool, None, None),
    "override_settings": (dict, None, None),
    "override_settings_restore_afterwards": (bool, None, None),
    "denoising_strength": ((int, float), 0, 1),
}
TXT2IMG_FIELDS = {
    **_COMMON,
    "enable_hr": (bool, None, None),
    "hr_resize_x": (int, 0, 4096),
    "hr_resize_y": (int, 0, 4096),
    "hr_upscaler": (str, None, None),
}
IMG2IMG_FIELDS = {
    **_COMMON,
    "init_images": (list, None, None),
    "resize_mode": (int, 0, 3),
    "mask": (str, None, None),
    "mask_blur": (int, 0, 64),
    "inpainting_fill": (int, 0, 3),
    "inpaint_full_res": (bool, None, None),
    "inpainting_mask_invert": (int, 0, 1),
}
EXTRAS_FIELDS: dict[str, tuple[type | tuple[type, ...], float | None, float | None]] = {
    "image": (str, None, None),
    "resize_mode": (int, 0, 1),
    "upscaling_resize": ((int, float), 1, 8),
    "upscaler_1": (str, None, None),
    "gfpgan_visibility": ((int, float), 0, 1),
    "codeformer_visibility": ((int, float), 0, 1),
    "codeformer_weight": ((int, float), 0, 1),
}


def _decode(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError("not base64") from error


class FakeSDWebUI(FakeServerBase):
    """A fake Automatic1111-API web UI (see the module documentation)."""

    def __init__(
        self,
        *,
        checkpoints: tuple[str, ...] = ("dummy-sd15.safetensors", "random-sdxl.safetensors"),
        loras: tuple[str, ...] = ("dummy-lora",),
        upscalers: tuple[tuple[str, float | None], ...] = (("R-ESRGAN 4x+", 4), ("4x_AnimeSharp", 4)),
        face_restorers: tuple[str, ...] = ("CodeFormer", "GFPGAN"),
        schedulers: list[str] | None = SCHEDULERS,
        embeddings: tuple[str, ...] = ("dummy-ti",),
        generation_seconds: float = 0.0,
    ) -> None:
        super().__init__()
        self.models: list[dict[str, Any]] = [
            {
                "title": f"{file} [{index:010x}]",
                "model_name": file.rsplit(".", 1)[0],
                "hash": f"{index:010x}",
                "sha256": None,
                "filename": f"/webui/models/Stable-diffusion/{file}",
                "config": None,
            }
            for index, file in enumerate(checkpoints, start=1)
        ]
        self.loras = list(loras)
        self.upscalers = [{"name": "None", "model_name": None, "scale": 4}] + [
            {"name": name, "model_name": None, "model_path": None, "model_url": None, "scale": scale}
            for name, scale in upscalers
        ]
        self.face_restorers = list(face_restorers)
        self.embeddings = list(embeddings)
        self.generation_seconds = generation_seconds
        self.current: dict[str, Any] | None = None
        self.progress_reports: list[float] = []
        self.schedulers = schedulers
        self.checkpoint = self.models[0]["title"]
        self.switches: list[str] = []
        self.generations: list[tuple[str, dict[str, Any], str | None]] = []
        self.extras: list[dict[str, Any]] = []
        self.interrupts = 0

    # ----------------------------------------------------------------------------------------------
    def handle(self, request: FakeHandler, method: str) -> None:
        path = urlsplit(request.path).path
        with self.lock:
            self.requests.append((method, path))
        lists: dict[str, Any] = {
            "/sdapi/v1/sd-models": self.models,
            "/sdapi/v1/samplers": [
                {"name": name, "aliases": aliases, "options": {}} for name, aliases in self.samplers()
            ],
            "/sdapi/v1/loras": [
                {"name": name, "alias": name, "path": f"/webui/models/Lora/{name}.safetensors", "metadata": {}}
                for name in self.loras
            ],
            "/sdapi/v1/upscalers": self.upscalers,
            "/sdapi/v1/face-restorers": [{"name": name, "cmd_dir": None} for name in self.face_restorers],
        }
        embeddings = {
            name: {"step": None, "sd_checkpoint": None, "shape": 768, "vectors": 1} for name in self.embeddings
        }
        lists["/sdapi/v1/embeddings"] = {"loaded": embeddings, "skipped": {}}
        if self.schedulers is not None:
            lists["/sdapi/v1/schedulers"] = [
                {"name": name, "label": name.title(), "aliases": None, "default_rho": -1, "need_inner_model": False}
                for name in self.schedulers
            ]
        if method == "GET" and path in lists:
            request.send_json(200, lists[path])
        elif method == "GET" and path == "/sdapi/v1/progress":
            request.send_json(200, self._progress())
        elif method == "GET" and path == "/sdapi/v1/options":
            request.send_json(200, {"sd_model_checkpoint": self.checkpoint, "CLIP_stop_at_last_layers": 1})
        elif method == "POST" and path == "/sdapi/v1/options":
            self._options(request)
        elif method == "POST" and path in {"/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/extra-single-image"}:
            self._work(request, path)
        elif method == "POST" and path == "/sdapi/v1/interrupt":
            self.interrupts += 1
            self.released.set()
            request.send_json(200, {})
        else:
            request.send_json(404, {"detail": "Not Found"})

    def samplers(self) -> list[tuple[str, list[str]]]:
        """The sampler list; before web UI 1.9 (no schedulers) Karras variants were samplers of their own."""
        if self.schedulers is not None:
            return SAMPLERS
        return SAMPLERS + [(f"{name} Karras", []) for name, _ in SAMPLERS if name.startswith("DPM")]

    def _progress(self) -> dict[str, Any]:
        """What ``/sdapi/v1/progress`` says: halfway through the running call's steps, or idle."""
        running = self.current
        steps = int(running.get("steps", 20)) if running else 0
        progress = 0.5 if running else 0.0
        self.progress_reports.append(progress)
        state = {
            "skipped": False,
            "interrupted": False,
            "job": "",
            "job_count": 1 if running else 0,
            "job_timestamp": "0",
            "job_no": 0,
            "sampling_step": steps // 2,
            "sampling_steps": steps,
        }
        return {
            "progress": progress,
            "eta_relative": 0.1 if running else 0.0,
            "state": state,
            "current_image": None,
            "textinfo": None,
        }

    def _options(self, request: FakeHandler) -> None:
        body = json.loads(request.body())
        wanted = body.get("sd_model_checkpoint")
        titles = {model["title"]: model["title"] for model in self.models}
        titles.update({model["model_name"]: model["title"] for model in self.models})
        if wanted not in titles:
            request.send_json(
                500, {"error": "RuntimeError", "detail": "", "body": "", "errors": f"model {wanted!r} not found"}
            )
            return
        self.checkpoint = titles[wanted]
        self.switches.append(self.checkpoint)
        request.send_json(200, None)

    def _work(self, request: FakeHandler, path: str) -> None:
        body = json.loads(request.body())
        if self.failure == "drop":
            request.drop()
            return
        if self.failure == "hang":
            self.hang()
            request.send_json(200, {"images": [], "parameters": {}, "info": "{}"})
            return
        if self.failure in {"500", "oom"}:
            errors = "CUDA out of memory. Tried to allocate 2.00 GiB" if self.failure == "oom" else "something broke"
            error = "OutOfMemoryError" if self.failure == "oom" else "RuntimeError"
            request.send_json(500, {"error": error, "detail": "", "body": "", "errors": errors})
            return
        try:
            self.current = body
            self.released.wait(self.generation_seconds)  # a generation takes a moment (0 by default)
            answer = self._answer(path, body)
        except ValueError as problem:
            request.send_json(422, {"detail": [{"loc": ["body"], "msg": str(problem), "type": "value_error"}]})
            return
        finally:
            self.current = None
        request.send_json(200, answer)

    def _check(self, body: dict[str, Any], fields: dict[str, Any]) -> None:
        for key, value in body.items():
            if key not in fields:
                raise ValueError(f"unknown field {key}")
            kind, low, high = fields[key]
            if isinstance(value, bool) and kind is not bool:
                raise ValueError(f"{key}: not a {kind}")
            if not isinstance(value, kind):
                raise ValueError(f"{key}: not a {kind}")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{key}: {value} outside [{low}, {high}]")

    def _answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:  # noqa: PLR0912 - one check per rule
        if path == "/sdapi/v1/extra-single-image":
            return self._extras(body)
        self._check(body, TXT2IMG_FIELDS if path.endswith("txt2img") else IMG2IMG_FIELDS)
        sampler_names = {name for name, _ in self.samplers()}
        if body.get("sampler_name") not in sampler_names:
            raise ValueError("sampler_name: not a sampler")
        if "scheduler" in body and (self.schedulers is None or body["scheduler"] not in self.schedulers):
            raise ValueError("scheduler: not a scheduler")
        for key, value in body.get("override_settings", {}).items():
            if key not in _SETTINGS or not isinstance(value, _SETTINGS[key][0]):
                raise ValueError(f"override_settings.{key}: unknown or wrong type")
        for name, weight in _LORA_TAG.findall(body.get("prompt", "")):
            if name not in self.loras:
                raise ValueError(f"lora {name} not found")
            float(weight)
        width, height = body.get("width", 512), body.get("height", 512)
        if width % 8 or height % 8:
            raise ValueError("width and height must be multiples of 8")
        if path.endswith("img2img"):
            sources = body.get("init_images")
            if not sources or len(sources) != 1 or image_of(_decode(sources[0])).size != (width, height):
                raise ValueError("init_images: one image of the requested size")
            if "mask" in body and image_of(_decode(body["mask"])).size != (width, height):
                raise ValueError("mask: not of the requested size")
        elif body.get("enable_hr"):
            if body.get("hr_upscaler") not in LATENT_UPSCALERS + [entry["name"] for entry in self.upscalers]:
                raise ValueError("hr_upscaler: not an upscaler")
            width, height = body["hr_resize_x"], body["hr_resize_y"]
        seed, count = body.get("seed", -1), body.get("batch_size", 1) * body.get("n_iter", 1)
        seeds = [seed + index for index in range(count)]
        images = [b64(png(width, height, seed_colour(value))) for value in seeds]
        if count > 1 and body.get("override_settings", {}).get("return_grid", True):
            images.insert(0, b64(png(width * count, height, (255, 255, 255))))
        self.generations.append((path, body, self.checkpoint))
        info = {"prompt": body.get("prompt"), "all_seeds": seeds, "seed": seed, "sd_model_name": self.checkpoint}
        return {"images": images, "parameters": body, "info": json.dumps(info)}

    def _extras(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check(body, EXTRAS_FIELDS)
        image = image_of(_decode(body["image"]))
        factor = 1.0
        if "upscaler_1" in body:
            if body["upscaler_1"] not in [entry["name"] for entry in self.upscalers]:
                raise ValueError("upscaler_1: not an upscaler")
            factor = float(body.get("upscaling_resize", 2))
        for key, name in (("gfpgan_visibility", "GFPGAN"), ("codeformer_visibility", "CodeFormer")):
            if key in body and name not in self.face_restorers:
                raise ValueError(f"{name} is not installed")
        self.extras.append(body)
        pixel = image.convert("RGB").getpixel((0, 0))
        assert isinstance(pixel, tuple)
        size = (round(image.width * factor), round(image.height * factor))
        return {"image": b64(png(*size, (pixel[0], pixel[1], pixel[2]))), "html_info": ""}
