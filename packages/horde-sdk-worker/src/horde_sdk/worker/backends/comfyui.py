"""The ``comfyui`` image backend: horde image jobs run on a ComfyUI server, spoken to over its HTTP API.

On entering, the backend reads ``GET /object_info`` once: the checkpoints, LoRAs and upscale models the server
has (in the list form ``[[...], {...}]`` and in the newer ``["COMBO", {"options": [...]}]`` form), its samplers
and schedulers, and which nodes are installed. From that and the configured model map (horde model name ->
checkpoint file) it knows the horde models it can run (`available_models`) and the horde features it supports
(`features`).

For each job it uploads the input images (``POST /upload/image``), queues one prompt graph (``POST /prompt``),
follows it by polling ``GET /history/{prompt_id}`` and downloads the images (``GET /view``). Polling rather than
the ``/ws`` websocket keeps the worker free of a websocket dependency; the history answer holds everything the
backend needs (outputs, success or the execution error), and a poll every few tenths of a second costs nothing
next to a generation.

The graph (core ComfyUI nodes only):

* ``CheckpointLoaderSimple`` -> one ``LoraLoader`` per LoRA -> ``CLIPSetLastLayer`` (clip skip) ->
  two ``CLIPTextEncode`` (prompt, negative prompt; textual inversions the server lists at ``GET /embeddings``
  are written into them as ``(embedding:name:strength)`` where the job asks);
* the latent: ``EmptyLatentImage`` (txt2img), ``LoadImage`` + ``VAEEncode`` (img2img, with the denoising
  strength), ``LoadImage`` + ``VAEEncodeForInpaint`` (inpainting and outpainting at full strength) or
  ``VAEEncode`` + ``SetLatentNoiseMask`` (painting with a denoising strength below 1);
* one ``KSampler`` branch per seed of the batch (each image gets exactly its seed), with hires fix as a first
  pass at a lower size, ``LatentUpscale`` and a second ``KSampler``; ``VAEDecode``;
* post-processors: ``UpscaleModelLoader`` + ``ImageUpscaleWithModel`` for upscalers whose model file the server
  has, and face fixers through the ``FaceRestoreModelLoader`` / ``FaceRestoreCFWithModel`` nodes when the
  facerestore_cf custom nodes are installed; ``SaveImage`` last.

Not supported (declared so in `features`, refused before anything is sent): tiling (core ComfyUI has no seamless
tiling node), remix, ControlNet, transparency, named workflows and background removal. LoRAs, embeddings and
upscale models must already be in ComfyUI's model folders: nothing is downloaded.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import anyio
from PIL import Image, ImageOps

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
    hires_first_pass_size,
    normalised_name,
    prepare_sources,
    prompts_with_embeddings,
    short_message,
    to_webp,
)
from horde_sdk.worker.backends.base import BackendError, ImageBackendResult, ImageJobInput

__all__ = ["COMFYUI_SAMPLERS", "ComfyUIImageBackend", "build_comfyui_graph"]

logger = get_logger(__name__)

COMFYUI_SAMPLERS: Mapping[str, str] = {
    KNOWN_IMAGE_SAMPLERS.k_euler: "euler",
    KNOWN_IMAGE_SAMPLERS.k_euler_a: "euler_ancestral",
    KNOWN_IMAGE_SAMPLERS.k_heun: "heun",
    KNOWN_IMAGE_SAMPLERS.k_dpm_2: "dpm_2",
    KNOWN_IMAGE_SAMPLERS.k_dpm_2_a: "dpm_2_ancestral",
    KNOWN_IMAGE_SAMPLERS.k_lms: "lms",
    KNOWN_IMAGE_SAMPLERS.k_dpm_fast: "dpm_fast",
    KNOWN_IMAGE_SAMPLERS.k_dpm_adaptive: "dpm_adaptive",
    KNOWN_IMAGE_SAMPLERS.k_dpmpp_2s_a: "dpmpp_2s_ancestral",
    KNOWN_IMAGE_SAMPLERS.k_dpmpp_2m: "dpmpp_2m",
    KNOWN_IMAGE_SAMPLERS.k_dpmpp_sde: "dpmpp_sde",
    KNOWN_IMAGE_SAMPLERS.DDIM: "ddim",
    KNOWN_IMAGE_SAMPLERS.lcm: "lcm",
}
"""Horde sampler name -> ComfyUI ``sampler_name`` (only those the server lists are offered)."""

_FACEFIXER_PREFIXES: Mapping[str, str] = {
    KNOWN_FACEFIXERS.GFPGAN: "gfpgan",
    KNOWN_FACEFIXERS.GFPGANv1_3: "gfpganv13",
    KNOWN_FACEFIXERS.CodeFormers: "codeformer",
    KNOWN_FACEFIXERS.RestoreFormer: "restoreformer",
}
_FACE_LOADER = "FaceRestoreModelLoader"
_FACE_RESTORE = "FaceRestoreCFWithModel"
_DEFAULT_HIRES_DENOISE = 0.65
_SEED_MODULO = 2**64
_OUTPUT_PREFIX = "horde"
_POLL_FIRST = 0.02
_OOM_MARKERS = ("out of memory", "outofmemory", "allocation on device")

_Link = list[Any]  # [node id, output index]


# ---------------------------------------------------------------------------------------------------------------
# /object_info
# ---------------------------------------------------------------------------------------------------------------


def combo_options(spec: object) -> tuple[str, ...] | None:
    """Return the choices of an ``/object_info`` input spec, in either form; None when it is not a choice.

    ``[["a", "b"], {...}]`` (the list form) and ``["COMBO", {"options": ["a", "b"]}]`` (the newer form) both
    give ``("a", "b")``.

    Args:
        spec: One input's spec, as ``/object_info`` serves it.

    Returns:
        The choices, or None.
    """
    if not isinstance(spec, list) or not spec:
        return None
    kind = spec[0]
    if isinstance(kind, list):
        return tuple(str(option) for option in kind)
    if kind == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        options = spec[1].get("options")
        if isinstance(options, list):
            return tuple(str(option) for option in options)
    return None


class ObjectInfo:
    """What ``GET /object_info`` said: node classes and their inputs."""

    def __init__(self, nodes: Mapping[str, Any]) -> None:
        self._nodes = {name: node for name, node in nodes.items() if isinstance(node, dict)}

    def has(self, *classes: str) -> bool:
        """Return whether every node class of `classes` is installed."""
        return all(name in self._nodes for name in classes)

    def input_spec(self, class_type: str, name: str) -> object:
        """Return the spec of one input of `class_type` (required or optional), or None."""
        inputs = self._nodes.get(class_type, {}).get("input", {})
        for section in ("required", "optional"):
            spec = inputs.get(section, {}).get(name) if isinstance(inputs.get(section), dict) else None
            if spec is not None:
                return spec
        return None

    def required_inputs(self, class_type: str) -> tuple[str, ...]:
        """Return the names of the required inputs of `class_type`."""
        required = self._nodes.get(class_type, {}).get("input", {}).get("required", {})
        return tuple(required) if isinstance(required, dict) else ()

    def options(self, class_type: str, name: str) -> tuple[str, ...]:
        """Return the choices of one input (empty when the node or input is missing or not a choice)."""
        return combo_options(self.input_spec(class_type, name)) or ()


def _match_file(wanted: str, files: Sequence[str]) -> str | None:
    """Return the file of `files` named `wanted` (exactly, or by its normalised stem)."""
    if wanted in files:
        return wanted
    key = normalised_name(wanted)
    return next((file for file in files if normalised_name(file) == key), None)


def _facefixer_file(horde_name: str, files: Sequence[str]) -> str | None:
    prefix = _FACEFIXER_PREFIXES.get(horde_name)
    if prefix is None:
        return None
    return next((file for file in sorted(files) if normalised_name(file).startswith(prefix)), None)


# ---------------------------------------------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------------------------------------------


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}

    def add(self, class_type: str, **inputs: Any) -> str:  # noqa: ANN401 - literals or links
        node_id = str(len(self.nodes) + 1)
        self.nodes[node_id] = {"class_type": class_type, "inputs": inputs}
        return node_id


def build_comfyui_graph(
    parameters: ImageGenerationParameters,
    *,
    checkpoint: str,
    seeds: Sequence[int],
    object_info: ObjectInfo,
    source_image: str | None = None,
    loras: Sequence[tuple[str, float, float]] = (),
    post_processors: Sequence[tuple[str, str]] = (),
    prompts: tuple[str, str] | None = None,
) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    """Build the ComfyUI prompt graph of one horde image job.

    Args:
        parameters: What to generate.
        checkpoint: The checkpoint file (``ckpt_name``).
        seeds: One seed per image; each gets its own sampler branch and ``SaveImage`` node.
        object_info: What the server has (face restoration node inputs are read from it).
        source_image: The uploaded image name ``LoadImage`` reads (img2img and painting; its alpha is the mask).
        loras: (file, model strength, clip strength) of each LoRA, in order.
        post_processors: ("upscale" or "facefix", model file) of each post-processor, in order.
        prompts: The prompt and negative prompt to encode (with embeddings injected); the job's by default.

    Returns:
        The graph (node id -> ``{"class_type", "inputs"}``) and the ``SaveImage`` node ids, in seed order.

    Raises:
        BackendError: If the job needs a source image and none is given.
    """
    graph = _Graph()
    loader = graph.add("CheckpointLoaderSimple", ckpt_name=checkpoint)
    model: _Link = [loader, 0]
    clip: _Link = [loader, 1]
    vae: _Link = [loader, 2]
    for lora_file, model_strength, clip_strength in loras:
        lora = graph.add(
            "LoraLoader",
            model=model,
            clip=clip,
            lora_name=lora_file,
            strength_model=model_strength,
            strength_clip=clip_strength,
        )
        model, clip = [lora, 0], [lora, 1]
    if parameters.clip_skip > 1:
        clip = [graph.add("CLIPSetLastLayer", clip=clip, stop_at_clip_layer=-parameters.clip_skip), 0]
    prompt, negative_prompt = prompts or (parameters.prompt, parameters.negative_prompt or "")
    positive = graph.add("CLIPTextEncode", text=prompt, clip=clip)
    negative = graph.add("CLIPTextEncode", text=negative_prompt, clip=clip)

    hires = parameters.hires_fix if parameters.source_processing == KNOWN_IMAGE_SOURCE_PROCESSING.txt2img else None
    latent, denoise = _latent(graph, parameters, vae, source_image)
    sampler_name = COMFYUI_SAMPLERS.get(str(parameters.sampler_name), str(parameters.sampler_name))
    upscale_models = {
        file: graph.add("UpscaleModelLoader", model_name=file) for kind, file in post_processors if kind == "upscale"
    }
    face_models = {
        file: graph.add(_FACE_LOADER, model_name=file) for kind, file in post_processors if kind == "facefix"
    }
    outputs: list[str] = []
    for seed in seeds:
        common = {
            "model": model,
            "seed": seed % _SEED_MODULO,
            "steps": parameters.steps,
            "cfg": parameters.cfg_scale,
            "sampler_name": sampler_name,
            "scheduler": str(parameters.scheduler),
            "positive": [positive, 0],
            "negative": [negative, 0],
        }
        samples: _Link = [graph.add("KSampler", **common, latent_image=latent, denoise=denoise), 0]
        if hires is not None:
            upscaled = graph.add(
                "LatentUpscale",
                samples=samples,
                upscale_method="nearest-exact",
                width=parameters.width,
                height=parameters.height,
                crop="disabled",
            )
            second_denoise = _DEFAULT_HIRES_DENOISE if hires.denoising_strength is None else hires.denoising_strength
            samples = [graph.add("KSampler", **common, latent_image=[upscaled, 0], denoise=second_denoise), 0]
        pixels: _Link = [graph.add("VAEDecode", samples=samples, vae=vae), 0]
        for kind, file in post_processors:
            if kind == "upscale":
                pixels = [graph.add("ImageUpscaleWithModel", upscale_model=[upscale_models[file], 0], image=pixels), 0]
            else:
                inputs = _face_inputs(object_info, face_models[file], pixels, parameters)
                pixels = [graph.add(_FACE_RESTORE, **inputs), 0]
        outputs.append(graph.add("SaveImage", images=pixels, filename_prefix=_OUTPUT_PREFIX))
    return graph.nodes, tuple(outputs)


def _latent(
    graph: _Graph, parameters: ImageGenerationParameters, vae: _Link, source_image: str | None
) -> tuple[_Link, float]:
    """Add the nodes making the starting latent; return it and the sampler's denoise."""
    processing = parameters.source_processing
    if processing == KNOWN_IMAGE_SOURCE_PROCESSING.txt2img:
        if parameters.hires_fix is not None:
            width, height = hires_first_pass_size(parameters)
        else:
            width, height = parameters.width, parameters.height
        return [graph.add("EmptyLatentImage", width=width, height=height, batch_size=1), 0], 1.0
    if source_image is None:
        raise BackendError(f"comfyui: {processing} needs the uploaded source image")
    image = graph.add("LoadImage", image=source_image)
    strength = parameters.denoising_strength
    if processing == KNOWN_IMAGE_SOURCE_PROCESSING.img2img:
        denoise = strength if strength is not None else DEFAULT_IMG2IMG_DENOISE
        return [graph.add("VAEEncode", pixels=[image, 0], vae=vae), 0], denoise
    if strength is None or strength >= 1.0:
        # Full strength: the masked area is emptied before sampling (what inpainting checkpoints expect).
        return [graph.add("VAEEncodeForInpaint", pixels=[image, 0], vae=vae, mask=[image, 1], grow_mask_by=6), 0], 1.0
    encoded = graph.add("VAEEncode", pixels=[image, 0], vae=vae)
    return [graph.add("SetLatentNoiseMask", samples=[encoded, 0], mask=[image, 1]), 0], strength


def _face_inputs(
    object_info: ObjectInfo, loader: str, pixels: _Link, parameters: ImageGenerationParameters
) -> dict[str, Any]:
    """The inputs of a face restoration node, as the installed custom node declares them."""
    strength = parameters.post_processing.facefixer_strength if parameters.post_processing is not None else None
    inputs: dict[str, Any] = {}
    for name in object_info.required_inputs(_FACE_RESTORE):
        spec = object_info.input_spec(_FACE_RESTORE, name)
        kind = spec[0] if isinstance(spec, list) and spec else None
        if kind == "FACERESTORE_MODEL":
            inputs[name] = [loader, 0]
        elif kind == "IMAGE":
            inputs[name] = pixels
        elif kind == "FLOAT":
            inputs[name] = strength if strength is not None else 0.5
        elif options := combo_options(spec):
            inputs[name] = options[0]
    return inputs


def _check_literals(graph: Mapping[str, Mapping[str, Any]], object_info: ObjectInfo) -> None:
    """Refuse, before sending, a literal value outside what the server declares (a range or a list of choices)."""
    for node_id, node in graph.items():
        class_type = node["class_type"]
        if not object_info.has(class_type):
            raise BackendError(f"comfyui: the server has no {class_type} node (needed for this job)")
        for name, value in node["inputs"].items():
            spec = object_info.input_spec(class_type, name)
            if isinstance(value, list):
                continue
            options = combo_options(spec)
            limits = spec[1] if isinstance(spec, list) and len(spec) > 1 and isinstance(spec[1], dict) else {}
            uploadable = bool(limits.get("image_upload"))  # the list is of files there at start; uploads are added
            listed = isinstance(spec, list) and isinstance(spec[0], list)
            if options and listed and not uploadable and str(value) not in options:
                raise BackendError(f"comfyui: {class_type}.{name} {value!r} is not one the server has")
            if isinstance(value, int | float) and not isinstance(value, bool):
                low, high = limits.get("min"), limits.get("max")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise BackendError(
                        f"comfyui: node {node_id} {class_type}.{name} = {value} is outside [{low}, {high}]"
                    )


# ---------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------


def _prompt_error(answer: object) -> str:
    """Describe a 400 answer of ``POST /prompt``: the whole-prompt error and each node's errors."""
    if not isinstance(answer, dict):
        return short_message(answer)
    error = answer.get("error")
    parts: list[str] = []
    if isinstance(error, dict):
        parts.append(f"{error.get('type', 'error')}: {error.get('message', '')}".strip())
    node_errors = answer.get("node_errors")
    if isinstance(node_errors, dict):
        for node_id, entry in node_errors.items():
            if not isinstance(entry, dict):
                continue
            for item in entry.get("errors", ()):
                if isinstance(item, dict):
                    extra = item.get("extra_info") if isinstance(item.get("extra_info"), dict) else {}
                    name = extra.get("input_name", "") if isinstance(extra, dict) else ""
                    parts.append(
                        f"node {node_id} ({entry.get('class_type', '?')}) {name}: "
                        f"{item.get('type', '')}: {item.get('details') or item.get('message', '')}"
                    )
    return short_message("; ".join(parts)) or "refused"


def _execution_error(status: Mapping[str, Any]) -> str:
    for message in status.get("messages", ()):
        if isinstance(message, list) and len(message) == 2 and isinstance(message[1], dict):
            kind, data = message
            if kind == "execution_error":
                text = f"{data.get('exception_type', 'error')}: {data.get('exception_message', '')}"
                prefix = "out of memory: " if any(marker in text.lower() for marker in _OOM_MARKERS) else ""
                return short_message(
                    f"{prefix}execution error in node {data.get('node_id')} ({data.get('node_type')}): {text}"
                )
            if kind == "execution_interrupted":
                return "the prompt was interrupted"
    return "the prompt failed (no execution_error message)"


# ---------------------------------------------------------------------------------------------------------------
# The backend
# ---------------------------------------------------------------------------------------------------------------


class ComfyUIImageBackend(EngineBackendBase):
    """Runs horde image jobs on a ComfyUI server (see the module documentation for the graph and what it supports).

    Args:
        url: The server's base URL (``http://127.0.0.1:8188``).
        model_map: Horde model name -> checkpoint file in ComfyUI's ``models/checkpoints``.
        job_timeout: The longest a prompt may take from queueing to its last output, in seconds.
        poll_interval: The longest pause between two polls of the prompt's history, in seconds.
        timeouts: The timeouts of each HTTP request.
        http_client: An ``httpx.AsyncClient`` to send requests with (tests); one is made otherwise.

    Raises:
        BackendError: If the URL or the model map is missing.
    """

    name = "comfyui"
    """The backend's name for logs and the configuration (``image_backend: comfyui``)."""

    def _init_engine_state(self) -> None:
        self._client_id = uuid.uuid4().hex
        self._object_info = ObjectInfo({})
        self._loras: tuple[str, ...] = ()
        self._embeddings: dict[str, str] = {}
        self._post_processor_files: dict[str, tuple[str, str]] = {}

    @property
    def object_info(self) -> ObjectInfo:
        """What ``GET /object_info`` said when the backend was entered."""
        return self._object_info

    async def _probe(self) -> None:
        answer = await self._connection.json("GET", "/object_info")
        if not isinstance(answer, dict):
            raise BackendError("comfyui GET /object_info: malformed answer (not an object)")
        info = self._object_info = ObjectInfo(answer)
        checkpoints = info.options("CheckpointLoaderSimple", "ckpt_name")
        self._resolve_checkpoints({file: file for file in checkpoints})
        self._loras = info.options("LoraLoader", "lora_name")
        embeddings = await self._connection.json("GET", "/embeddings", allow_statuses=(404,))
        names = embeddings if isinstance(embeddings, list) else []
        self._embeddings = {normalised_name(str(name)): str(name) for name in names}
        self._post_processor_files = {}
        if info.has("UpscaleModelLoader", "ImageUpscaleWithModel"):
            upscale_files = info.options("UpscaleModelLoader", "model_name")
            for upscaler in KNOWN_UPSCALERS:
                file = _match_file(str(upscaler), upscale_files)
                if file is not None:
                    self._post_processor_files[str(upscaler)] = ("upscale", file)
        if info.has(_FACE_LOADER, _FACE_RESTORE):
            face_files = info.options(_FACE_LOADER, "model_name")
            for facefixer in KNOWN_FACEFIXERS:
                file = _facefixer_file(str(facefixer), face_files)
                if file is not None:
                    self._post_processor_files[str(facefixer)] = ("facefix", file)
        self.features = self._features_of(info)

    def _features_of(self, info: ObjectInfo) -> ImageGenerationFeatureFlags:
        samplers = set(info.options("KSampler", "sampler_name"))
        schedulers = set(info.options("KSampler", "scheduler"))
        processing: list[KNOWN_IMAGE_SOURCE_PROCESSING] = []
        if info.has("LoadImage", "VAEEncode"):
            processing.append(KNOWN_IMAGE_SOURCE_PROCESSING.img2img)
            if info.has("VAEEncodeForInpaint", "SetLatentNoiseMask"):
                processing += [KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting]
        post_processors = tuple(self._post_processor_files)
        return ImageGenerationFeatureFlags(
            source_processing=tuple(processing),
            hires_fix=info.has("LatentUpscale"),
            loras=info.has("LoraLoader") and bool(self._loras),
            textual_inversion=bool(self._embeddings),
            clip_skip=info.has("CLIPSetLastLayer"),
            post_processing=bool(post_processors),
            post_processors=post_processors,
            samplers=tuple(name for name, comfy in COMFYUI_SAMPLERS.items() if comfy in samplers),
            schedulers=tuple(name for name in KNOWN_IMAGE_SCHEDULERS if str(name) in schedulers),
            baselines=tuple(KNOWN_IMAGE_MODEL_BASELINES),
        )

    def _lora_files(self, parameters: ImageGenerationParameters) -> list[tuple[str, float, float]]:
        files: list[tuple[str, float, float]] = []
        for lora in parameters.loras:
            file = _match_file(lora.name, self._loras)
            if file is None:
                raise BackendError(f"comfyui: LoRA {lora.name!r} is not in ComfyUI's models/loras")
            files.append((file, lora.model_strength, lora.clip_strength))
        return files

    def _post_processing(self, parameters: ImageGenerationParameters) -> list[tuple[str, str]]:
        chain = parameters.post_processing.post_processors if parameters.post_processing is not None else ()
        return [self._post_processor_files[str(name)] for name in chain]

    async def generate_images(self, job: ImageJobInput) -> ImageBackendResult:
        """Run the job as one ComfyUI prompt and return one WebP image per seed.

        Args:
            job: What to generate.

        Returns:
            The images, in seed order.

        Raises:
            BackendError: If the job needs what this server cannot do, the server refuses the graph (with its node
                errors), the prompt fails (with the execution error, out of memory included), it takes longer than
                `job_timeout`, or the connection fails.
        """
        parameters = job.parameters
        self._check_requirements(parameters)
        checkpoint = self._checkpoint_for(job.model)
        loras = self._lora_files(parameters)
        prompts = prompts_with_embeddings(self.name, parameters, self._embeddings, _embedding_token)
        post_processors = self._post_processing(parameters)
        sources = await prepare_sources(parameters)
        uploaded = None
        if sources is not None:
            uploaded = await self._upload(job.job_id, sources[0], sources[1])
        graph, outputs = build_comfyui_graph(
            parameters,
            checkpoint=checkpoint,
            seeds=job.seeds,
            object_info=self._object_info,
            source_image=uploaded,
            loras=loras,
            prompts=prompts,
            post_processors=post_processors,
        )
        _check_literals(graph, self._object_info)
        with anyio.CancelScope(shield=True):  # a prompt queued but never followed would run for nobody
            prompt_id = await self._queue(graph)
        try:
            with anyio.fail_after(self._job_timeout):
                history = await self._wait(prompt_id)
        except TimeoutError:
            await self._cancel(prompt_id)
            raise BackendError(f"comfyui: prompt {prompt_id} took longer than {self._job_timeout:g}s") from None
        except anyio.get_cancelled_exc_class():
            await self._cancel(prompt_id)
            raise
        images = [await self._fetch_output(history, node_id, prompt_id) for node_id in outputs]
        return ImageBackendResult(images=await to_webp(tuple(images)))

    async def _upload(self, job_id: str, source: bytes, mask: bytes | None) -> str:
        """Upload the source (with the mask as its alpha channel, transparent = paint); return its LoadImage name."""
        if mask is not None:
            source = await anyio.to_thread.run_sync(_with_mask_as_alpha, source, mask)
        answer = await self._connection.upload(
            "/upload/image", "image", f"horde-{job_id}.png", source, {"type": "input", "overwrite": "true"}
        )
        name = answer.get("name") if isinstance(answer, dict) else None
        if not isinstance(name, str) or not name:
            raise BackendError("comfyui POST /upload/image: malformed answer (no name)")
        subfolder = answer.get("subfolder")
        return f"{subfolder}/{name}" if isinstance(subfolder, str) and subfolder else name

    async def _queue(self, graph: Mapping[str, Any]) -> str:
        response = await self._connection.send(
            "POST",
            "/prompt",
            content=_json_bytes({"prompt": graph, "client_id": self._client_id}),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if response.status_code == 400:
            answer = self._connection.parse("POST", "/prompt", response, allow_statuses=(400,))
            logger.warning("comfyui refused the graph", status=400)
            raise BackendError(f"comfyui POST /prompt: refused: {_prompt_error(answer)}")
        answer = self._connection.parse("POST", "/prompt", response)
        prompt_id = answer.get("prompt_id") if isinstance(answer, dict) else None
        if not isinstance(prompt_id, str) or not prompt_id:
            raise BackendError("comfyui POST /prompt: malformed answer (no prompt_id)")
        logger.debug("comfyui prompt queued", prompt_id=prompt_id, number=answer.get("number"))
        return prompt_id

    async def _wait(self, prompt_id: str) -> Mapping[str, Any]:
        """Poll ``/history/{prompt_id}`` until the prompt succeeded; return its entry."""
        delay = _POLL_FIRST
        polls = 0
        while True:
            answer = await self._connection.json("GET", f"/history/{prompt_id}")
            entry = answer.get(prompt_id) if isinstance(answer, dict) else None
            status = entry.get("status") if isinstance(entry, dict) else None
            if isinstance(entry, dict) and isinstance(status, dict):
                if status.get("status_str") == "error":
                    raise BackendError(f"comfyui: prompt {prompt_id}: {_execution_error(status)}")
                if status.get("completed") or status.get("status_str") == "success":
                    logger.debug("comfyui prompt done", prompt_id=prompt_id, polls=polls + 1)
                    return entry
            polls += 1
            await anyio.sleep(delay)
            delay = min(self._poll_interval, delay * 1.5)

    async def _cancel(self, prompt_id: str) -> None:
        """Take the prompt out of the queue, or interrupt it if it runs (best effort, shielded, bounded).

        The interrupt is sent only when ``GET /queue`` shows this prompt running: servers older than the
        ``prompt_id`` field of ``/interrupt`` stop whatever runs, which may be another job's prompt.
        """
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            try:
                await self._connection.json("POST", "/queue", {"delete": [prompt_id]})
                queue = await self._connection.json("GET", "/queue")
                running = queue.get("queue_running") if isinstance(queue, dict) else None
                if any(isinstance(entry, list) and prompt_id in entry[:2] for entry in running or ()):
                    await self._connection.json("POST", "/interrupt", {"prompt_id": prompt_id})
            except BackendError as error:
                logger.warning("comfyui cancel failed", prompt_id=prompt_id, error=str(error))

    async def _fetch_output(self, history: Mapping[str, Any], node_id: str, prompt_id: str) -> bytes:
        outputs = history.get("outputs")
        node = outputs.get(node_id) if isinstance(outputs, dict) else None
        images = node.get("images") if isinstance(node, dict) else None
        if not isinstance(images, list) or not images or not isinstance(images[0], dict):
            raise BackendError(f"comfyui: prompt {prompt_id} has no image from its SaveImage node {node_id}")
        image = images[0]
        query = _query(
            filename=str(image.get("filename", "")),
            subfolder=str(image.get("subfolder", "")),
            type=str(image.get("type", "output")),
        )
        response = await self._connection.send("GET", f"/view?{query}")
        if response.status_code != 200:
            raise BackendError(f"comfyui GET /view: HTTP {response.status_code} for an output of prompt {prompt_id}")
        return response.content


def _embedding_token(name: str, strength: float) -> str:
    return f"(embedding:{name}:{strength:g})"


def _json_bytes(body: object) -> bytes:
    return json.dumps(body).encode("utf-8")


def _query(**values: str) -> str:
    return urlencode(values)


def _with_mask_as_alpha(source: bytes, mask: bytes) -> bytes:
    """Return `source` as an RGBA PNG whose alpha is the inverted mask: LoadImage's MASK output is then the mask."""
    with Image.open(io.BytesIO(source)) as image, Image.open(io.BytesIO(mask)) as mask_image:
        rgba = image.convert("RGBA")
        rgba.putalpha(ImageOps.invert(mask_image.convert("L")))
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
