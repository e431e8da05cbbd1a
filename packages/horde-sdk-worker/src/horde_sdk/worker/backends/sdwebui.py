"""The ``sdwebui`` image backend: horde image jobs run on a web UI serving the Automatic1111 API.

AUTOMATIC1111's stable-diffusion-webui, Forge and SD.Next serve this API when started with ``--api``. On entering,
the backend asks the server what it has: ``/sdapi/v1/sd-models`` (checkpoints), ``/sdapi/v1/samplers``,
``/sdapi/v1/schedulers`` (web UI 1.9 and later; older servers name Karras variants as samplers),
``/sdapi/v1/loras``, ``/sdapi/v1/embeddings``, ``/sdapi/v1/upscalers``, ``/sdapi/v1/face-restorers`` and
``/sdapi/v1/options`` (the loaded checkpoint). From that and the configured model map (horde model name ->
checkpoint file) it knows the horde models it can run (`available_models`) and the horde features it supports
(`features`).

For each job it switches the checkpoint when needed (``POST /sdapi/v1/options`` with ``sd_model_checkpoint``),
then calls ``/sdapi/v1/txt2img`` or ``/sdapi/v1/img2img``:

* the prompt, with each LoRA as ``<lora:name:weight>`` (the model strength; A1111 has one weight per LoRA) and
  each textual inversion the server lists (``/sdapi/v1/embeddings``) as ``(name:strength)`` where the job asks;
* seed, steps, CFG scale, size, sampler and scheduler, tiling, clip skip (``CLIP_stop_at_last_layers``);
* a batch whose seeds follow each other (the horde's default) is one call of ``batch_size`` images, since the
  web UI seeds image *i* with *seed + i*; other seed sequences are one call per image;
* img2img: the source and the denoising strength; inpainting and outpainting: the mask (white = paint; the
  source's transparency when the job has no mask);
* hires fix: the first pass at a lower size, then ``enable_hr`` up to the requested size with ``hr_resize_x``
  and ``hr_resize_y`` and the second pass's denoising strength;
* post-processors, in order, through ``/sdapi/v1/extra-single-image``: upscalers the server has, GFPGAN and
  CodeFormers when it has those face restorers.

Calls are made one at a time (the web UI runs one generation at a time anyway); while one runs, its progress is
followed through ``/sdapi/v1/progress`` and logged at debug level. Not supported (declared so in
`features`, refused before anything is sent): remix, ControlNet, transparency, named workflows and background
removal. LoRAs, embeddings and upscalers must already be installed in the web UI: nothing is downloaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import anyio

from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_MODEL_BASELINES,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
)
from horde_sdk.generation_parameters.generic import KNOWN_FACEFIXERS, KNOWN_UPSCALERS
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.backends._engine_http import (
    DEFAULT_IMG2IMG_DENOISE,
    EngineBackendBase,
    EngineTimeoutError,
    decode_base64_image,
    encode_base64,
    hires_first_pass_size,
    normalised_name,
    prepare_sources,
    prompts_with_embeddings,
    to_webp,
)
from horde_sdk.worker.backends.base import BackendError, ImageBackendResult, ImageJobInput

__all__ = ["SDWEBUI_SAMPLERS", "SDWEBUI_SCHEDULERS", "SDWebUIImageBackend", "build_sdwebui_payload"]

logger = get_logger(__name__)

SDWEBUI_SAMPLERS: Mapping[str, str] = {
    KNOWN_IMAGE_SAMPLERS.k_euler: "Euler",
    KNOWN_IMAGE_SAMPLERS.k_euler_a: "Euler a",
    KNOWN_IMAGE_SAMPLERS.k_heun: "Heun",
    KNOWN_IMAGE_SAMPLERS.k_dpm_2: "DPM2",
    KNOWN_IMAGE_SAMPLERS.k_dpm_2_a: "DPM2 a",
    KNOWN_IMAGE_SAMPLERS.k_lms: "LMS",
    KNOWN_IMAGE_SAMPLERS.k_dpm_fast: "DPM fast",
    KNOWN_IMAGE_SAMPLERS.k_dpm_adaptive: "DPM adaptive",
    KNOWN_IMAGE_SAMPLERS.k_dpmpp_2s_a: "DPM++ 2S a",
    KNOWN_IMAGE_SAMPLERS.k_dpmpp_2m: "DPM++ 2M",
    KNOWN_IMAGE_SAMPLERS.k_dpmpp_sde: "DPM++ SDE",
    KNOWN_IMAGE_SAMPLERS.DDIM: "DDIM",
    KNOWN_IMAGE_SAMPLERS.lcm: "LCM",
}
"""Horde sampler name -> web UI ``sampler_name`` (only those the server lists are offered)."""

SDWEBUI_SCHEDULERS: Mapping[str, str] = {
    KNOWN_IMAGE_SCHEDULERS.normal: "automatic",
    KNOWN_IMAGE_SCHEDULERS.karras: "karras",
    KNOWN_IMAGE_SCHEDULERS.exponential: "exponential",
    KNOWN_IMAGE_SCHEDULERS.sgm_uniform: "sgm_uniform",
    KNOWN_IMAGE_SCHEDULERS.simple: "simple",
    KNOWN_IMAGE_SCHEDULERS.ddim_uniform: "ddim",
    KNOWN_IMAGE_SCHEDULERS.beta: "beta",
}
"""Horde scheduler -> web UI ``scheduler`` name (``normal``, the horde's "not karras", is the sampler's default)."""

_UPSCALER_NAMES: Mapping[str, str] = {
    KNOWN_UPSCALERS.RealESRGAN_x4plus: "R-ESRGAN 4x+",
    KNOWN_UPSCALERS.RealESRGAN_x4plus_anime_6B: "R-ESRGAN 4x+ Anime6B",
    KNOWN_UPSCALERS.RealESRGAN_x2plus: "R-ESRGAN 2x+",
}
"""The horde's upscalers the web UI names its own way; the others match the model file's name."""

_FACE_RESTORERS: Mapping[str, str] = {KNOWN_FACEFIXERS.GFPGAN: "GFPGAN", KNOWN_FACEFIXERS.CodeFormers: "CodeFormer"}
_KARRAS_SUFFIX = " Karras"
_SEED_MODULO = 2**32
_DEFAULT_HIRES_DENOISE = 0.65
_SCALE_IN_NAME = re.compile(r"(\d+)x|x(\d+)", re.IGNORECASE)
_NOT_FOUND = 404
_PAINTING = frozenset({KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting})


def _seed_runs(seeds: Sequence[int]) -> list[tuple[int, int]]:
    """Split the seeds into runs of consecutive seeds: (first seed, count) for each call."""
    runs: list[tuple[int, int]] = []
    for seed in (seed % _SEED_MODULO for seed in seeds):
        if runs and runs[-1][0] + runs[-1][1] == seed:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((seed, 1))
    return runs


def build_sdwebui_payload(
    parameters: ImageGenerationParameters,
    *,
    seed: int,
    count: int,
    sampler_name: str,
    scheduler: str | None,
    loras: Sequence[tuple[str, float]] = (),
    source_image: bytes | None = None,
    mask: bytes | None = None,
    prompts: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Build the ``/sdapi/v1/txt2img`` (no `source_image`) or ``/sdapi/v1/img2img`` payload of one call.

    Args:
        parameters: What to generate.
        seed: The seed of the first image.
        count: How many images (``batch_size``; the web UI seeds them `seed`, `seed` + 1...).
        sampler_name: The web UI's sampler name.
        scheduler: The web UI's scheduler name, or None for servers without schedulers.
        loras: (name, weight) of each LoRA, added to the prompt as ``<lora:name:weight>``.
        source_image: The img2img source (PNG of the requested size).
        mask: The painting mask (PNG, white = paint).
        prompts: The prompt and negative prompt (with embeddings injected); the job's by default.

    Returns:
        The JSON payload.
    """
    prompt, negative = prompts or (parameters.prompt, parameters.negative_prompt or "")
    prompt += "".join(f" <lora:{name}:{weight:g}>" for name, weight in loras)
    payload: dict[str, Any] = {
        "prompt": prompt,
        "negative_prompt": negative,
        "seed": seed,
        "steps": parameters.steps,
        "cfg_scale": parameters.cfg_scale,
        "width": parameters.width,
        "height": parameters.height,
        "sampler_name": sampler_name,
        "batch_size": count,
        "n_iter": 1,
        "tiling": parameters.tiling,
        "send_images": True,
        "save_images": False,
        "override_settings": {"CLIP_stop_at_last_layers": parameters.clip_skip, "return_grid": False},
        "override_settings_restore_afterwards": True,
    }
    if scheduler is not None:
        payload["scheduler"] = scheduler
    if source_image is None:
        if parameters.hires_fix is not None:
            first_width, first_height = hires_first_pass_size(parameters)
            denoise = parameters.hires_fix.denoising_strength
            payload.update(
                width=first_width,
                height=first_height,
                enable_hr=True,
                hr_resize_x=parameters.width,
                hr_resize_y=parameters.height,
                hr_upscaler="Latent",
                denoising_strength=denoise if denoise is not None else _DEFAULT_HIRES_DENOISE,
            )
        return payload
    strength = parameters.denoising_strength
    if strength is None:  # painting repaints the masked area entirely; img2img keeps some of the source
        strength = 1.0 if mask is not None else DEFAULT_IMG2IMG_DENOISE
    payload.update(
        init_images=[encode_base64(source_image)],
        denoising_strength=strength,
        resize_mode=0,
    )
    if mask is not None:
        payload.update(
            mask=encode_base64(mask),
            mask_blur=4,
            inpainting_fill=1,
            inpaint_full_res=False,
            inpainting_mask_invert=0,
        )
    return payload


def _names(answer: object, key: str = "name") -> list[str]:
    if not isinstance(answer, list):
        return []
    return [str(entry[key]) for entry in answer if isinstance(entry, dict) and entry.get(key)]


def _embedding_token(name: str, strength: float) -> str:
    return f"({name}:{strength:g})"


def _upscale_factor(entry: Mapping[str, Any]) -> float:
    scale = entry.get("scale")
    if isinstance(scale, int | float) and scale > 1:
        return float(scale)
    match = _SCALE_IN_NAME.search(str(entry.get("name", "")))
    return float(match.group(1) or match.group(2)) if match else 2.0


class SDWebUIImageBackend(EngineBackendBase):
    """Runs horde image jobs on a web UI serving the Automatic1111 API (see the module documentation).

    Args:
        url: The server's base URL (``http://127.0.0.1:7860``).
        model_map: Horde model name -> checkpoint file in the web UI's ``models/Stable-diffusion``.
        job_timeout: The longest one generation call may take, in seconds.
        poll_interval: How often the progress of a running call is asked for (logged at debug level), in seconds.
        timeouts: The timeouts of the other HTTP requests.
        http_client: An ``httpx.AsyncClient`` to send requests with (tests); one is made otherwise.

    Raises:
        BackendError: If the URL or the model map is missing.
    """

    name = "sdwebui"
    """The backend's name for logs and the configuration (``image_backend: sdwebui``)."""

    _job_timeout_reads = True

    def _init_engine_state(self) -> None:
        self._samplers: dict[str, str] = {}
        self._schedulers: dict[str, str] | None = None
        self._loras: dict[str, str] = {}
        self._embeddings: dict[str, str] = {}
        self._upscalers: dict[str, tuple[str, float]] = {}
        self._face_restorers: dict[str, str] = {}
        self._karras_samplers: set[str] = set()
        self._loaded_checkpoint: str | None = None
        self._lock = anyio.Lock()

    async def _optional_list(self, path: str) -> list[Any] | None:
        """GET a list endpoint; None when the server does not have it (404)."""
        answer = await self._connection.json("GET", path, allow_statuses=(_NOT_FOUND,))
        if isinstance(answer, list):
            return answer
        if isinstance(answer, dict) and answer.get("detail") == "Not Found":
            return None
        raise BackendError(f"sdwebui GET {path}: malformed answer (not a list)")

    async def _probe(self) -> None:
        models = await self._optional_list("/sdapi/v1/sd-models") or []
        checkpoints: dict[str, str] = {}
        for entry in models:
            if isinstance(entry, dict) and isinstance(entry.get("title"), str):
                title = entry["title"]
                file = str(entry.get("filename", "")).replace("\\", "/").rsplit("/", 1)[-1]
                for key in (title, entry.get("model_name"), file):
                    if isinstance(key, str) and key:
                        checkpoints[key] = title
        self._resolve_checkpoints(checkpoints)
        samplers = await self._optional_list("/sdapi/v1/samplers") or []
        offered: dict[str, str] = {}
        for entry in samplers:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                offered[entry["name"]] = entry["name"]
                for alias in entry.get("aliases") or ():
                    offered.setdefault(str(alias), entry["name"])
        self._samplers = {horde: offered[name] for horde, name in SDWEBUI_SAMPLERS.items() if name in offered}
        schedulers = await self._optional_list("/sdapi/v1/schedulers")
        if schedulers is None:
            self._schedulers = None
        else:
            names = set(_names(schedulers))
            self._schedulers = {horde: name for horde, name in SDWEBUI_SCHEDULERS.items() if name in names}
        self._karras_samplers = {name for name in offered if name.endswith(_KARRAS_SUFFIX)}
        self._loras = {normalised_name(name): name for name in _names(await self._optional_list("/sdapi/v1/loras"))}
        embeddings = await self._connection.json("GET", "/sdapi/v1/embeddings", allow_statuses=(_NOT_FOUND,))
        loaded = embeddings.get("loaded") if isinstance(embeddings, dict) else None
        self._embeddings = {normalised_name(str(name)): str(name) for name in loaded or {}}
        listed = await self._optional_list("/sdapi/v1/upscalers") or []
        upscalers = [entry for entry in listed if isinstance(entry, dict)]
        by_name = {normalised_name(str(entry.get("name", ""))): entry for entry in upscalers}
        self._upscalers = {}
        for upscaler in KNOWN_UPSCALERS:
            entry = by_name.get(normalised_name(_UPSCALER_NAMES.get(upscaler, str(upscaler))))
            if entry is not None:
                self._upscalers[str(upscaler)] = (str(entry["name"]), _upscale_factor(entry))
        restorers = set(_names(await self._optional_list("/sdapi/v1/face-restorers")))
        self._face_restorers = {horde: name for horde, name in _FACE_RESTORERS.items() if name in restorers}
        options = await self._connection.json("GET", "/sdapi/v1/options")
        loaded = options.get("sd_model_checkpoint") if isinstance(options, dict) else None
        self._loaded_checkpoint = loaded if isinstance(loaded, str) else None
        self.features = self._features_now()

    def _features_now(self) -> ImageGenerationFeatureFlags:
        if self._schedulers is not None:
            schedulers = tuple(self._schedulers)
        else:
            karras = (KNOWN_IMAGE_SCHEDULERS.karras,) if self._karras_samplers else ()
            schedulers = (KNOWN_IMAGE_SCHEDULERS.normal, *karras)
        post_processors = (*self._upscalers, *self._face_restorers)
        return ImageGenerationFeatureFlags(
            source_processing=(
                KNOWN_IMAGE_SOURCE_PROCESSING.img2img,
                KNOWN_IMAGE_SOURCE_PROCESSING.inpainting,
                KNOWN_IMAGE_SOURCE_PROCESSING.outpainting,
            ),
            hires_fix=True,
            loras=bool(self._loras),
            textual_inversion=bool(self._embeddings),
            tiling=True,
            clip_skip=True,
            post_processing=bool(post_processors),
            post_processors=post_processors,
            samplers=tuple(self._samplers),
            schedulers=schedulers,
            baselines=tuple(KNOWN_IMAGE_MODEL_BASELINES),
        )

    def _sampler_and_scheduler(self, parameters: ImageGenerationParameters) -> tuple[str, str | None]:
        sampler = self._samplers[str(parameters.sampler_name)]
        if self._schedulers is not None:
            return sampler, self._schedulers[str(parameters.scheduler)]
        if parameters.scheduler == KNOWN_IMAGE_SCHEDULERS.karras:
            if sampler + _KARRAS_SUFFIX not in self._karras_samplers:
                raise BackendError(f"sdwebui: the server has no Karras variant of {sampler}")
            return sampler + _KARRAS_SUFFIX, None
        return sampler, None

    def _lora_names(self, parameters: ImageGenerationParameters) -> list[tuple[str, float]]:
        names: list[tuple[str, float]] = []
        for lora in parameters.loras:
            name = self._loras.get(normalised_name(lora.name))
            if name is None:
                raise BackendError(f"sdwebui: LoRA {lora.name!r} is not in the web UI's models/Lora")
            names.append((name, lora.model_strength))
        return names

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        """Generate the job's images on the web UI, post-process them, and return one WebP per seed.

        Args:
            job: What to generate.

        Returns:
            The images, in seed order.

        Raises:
            BackendError: If the job needs what this server cannot do, the server fails (with its message, out of
                memory included), a call takes longer than `job_timeout`, or the connection fails.
        """
        parameters = job.parameters
        self._check_requirements(parameters)
        checkpoint = self._checkpoint_for(job.model)
        sampler, scheduler = self._sampler_and_scheduler(parameters)
        loras = self._lora_names(parameters)
        prompts = prompts_with_embeddings(self.name, parameters, self._embeddings, _embedding_token)
        sources = await prepare_sources(parameters)
        source, mask = sources if sources is not None else (None, None)
        path = "/sdapi/v1/img2img" if source is not None else "/sdapi/v1/txt2img"
        images: list[bytes] = []
        async with self._lock:
            await self._switch_checkpoint(checkpoint)
            for seed, count in _seed_runs(job.seeds):
                payload = build_sdwebui_payload(
                    parameters,
                    seed=seed,
                    count=count,
                    sampler_name=sampler,
                    scheduler=scheduler,
                    loras=loras,
                    prompts=prompts,
                    source_image=source,
                    mask=mask if parameters.source_processing in _PAINTING else None,
                )
                images += await self._generate(path, payload, seed, count)
            post = parameters.post_processing
            chain, strength = (post.post_processors, post.facefixer_strength) if post is not None else ((), None)
            for name in chain:
                images = [await self._post_process(str(name), image, strength) for image in images]
        return ImageBackendResult(images=await to_webp(tuple(images)))

    async def _switch_checkpoint(self, checkpoint: str) -> None:
        if self._loaded_checkpoint == checkpoint:
            return
        logger.info("sdwebui switching checkpoint", checkpoint=checkpoint)
        await self._guarded("POST", "/sdapi/v1/options", {"sd_model_checkpoint": checkpoint})
        self._loaded_checkpoint = checkpoint

    async def _guarded(self, method: str, path: str, body: object) -> Any:  # noqa: ANN401 - parsed JSON
        """Send a long call; on a timeout or a cancellation, ask the server to interrupt what it runs."""
        try:
            return await self._connection.json(method, path, body)
        except EngineTimeoutError:
            await self._interrupt()
            raise
        except anyio.get_cancelled_exc_class():
            await self._interrupt()
            raise

    async def _interrupt(self) -> None:
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            try:
                await self._connection.json("POST", "/sdapi/v1/interrupt", {})
            except BackendError as error:
                logger.warning("sdwebui interrupt failed", error=str(error))

    async def _follow_progress(self) -> None:
        """Log the progress of the running call (``GET /sdapi/v1/progress``) until cancelled."""
        while True:
            await anyio.sleep(self._poll_interval)
            try:
                answer = await self._connection.json("GET", "/sdapi/v1/progress?skip_current_image=true")
            except BackendError:
                return  # the call itself reports what went wrong
            state = answer.get("state") if isinstance(answer, dict) else None
            if isinstance(answer, dict) and isinstance(state, dict):
                logger.debug(
                    "sdwebui progress",
                    progress=answer.get("progress"),
                    eta=answer.get("eta_relative"),
                    step=state.get("sampling_step"),
                    steps=state.get("sampling_steps"),
                )

    async def _generate(self, path: str, payload: Mapping[str, Any], seed: int, count: int) -> list[bytes]:
        failure: BackendError | None = None
        async with anyio.create_task_group() as progress:
            progress.start_soon(self._follow_progress)
            try:
                answer = await self._guarded("POST", path, payload)
            except BackendError as error:
                failure = error  # raised below, outside the task group (which would wrap it in a group)
            progress.cancel_scope.cancel()
        if failure is not None:
            raise failure
        images = answer.get("images") if isinstance(answer, dict) else None
        if not isinstance(images, list) or len(images) < count:
            raise BackendError(f"sdwebui POST {path}: malformed answer (fewer than {count} images)")
        info = answer.get("info")
        try:
            all_seeds = json.loads(info).get("all_seeds") if isinstance(info, str) else None
        except (ValueError, AttributeError):
            all_seeds = None
        expected = list(range(seed, seed + count))
        if isinstance(all_seeds, list) and all_seeds[:count] != expected:
            raise BackendError(f"sdwebui POST {path}: the server used seeds {all_seeds[:count]}, not {expected}")
        return [decode_base64_image(image, f"sdwebui image #{index}") for index, image in enumerate(images[:count])]

    async def _post_process(self, name: str, image: bytes, strength: float | None) -> bytes:
        body: dict[str, Any] = {"image": encode_base64(image), "resize_mode": 0}
        if name in self._upscalers:
            upscaler, factor = self._upscalers[name]
            body.update(upscaling_resize=factor, upscaler_1=upscaler)
        elif name == KNOWN_FACEFIXERS.GFPGAN:
            body.update(gfpgan_visibility=strength if strength is not None else 1.0)
        else:
            body.update(codeformer_visibility=strength if strength is not None else 1.0, codeformer_weight=0.5)
        answer = await self._guarded("POST", "/sdapi/v1/extra-single-image", body)
        return decode_base64_image(answer.get("image") if isinstance(answer, dict) else None, f"sdwebui {name} result")
