"""What the image engine backends (`comfyui`, `sdwebui`) share: the HTTP connection, the model map, image coding.

Requests go through `horde_sdk.generic_api.transport.AsyncTransport` (the only module that imports httpx), so
tests can inject an ``httpx.AsyncClient``. Every failure becomes a `BackendError` naming the engine, the
request and the engine's own message; no prompt, image or secret is ever put in a message or a log line.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import anyio.to_thread
from PIL import Image, ImageOps, UnidentifiedImageError

from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_TI_INJECT_LOCATIONS,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
)
from horde_sdk.generic_api.core import RawResponse, TransportFailure
from horde_sdk.generic_api.settings import HordeTimeouts
from horde_sdk.generic_api.transport import AsyncHTTPClient, AsyncTransport
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.backends.base import BackendError
from horde_sdk.worker.consts import DEFAULT_RESULT_IMAGE_QUALITY

__all__: list[str] = []  # private helpers of the engine backends

logger = get_logger(__name__)

DEFAULT_ENGINE_TIMEOUTS = HordeTimeouts(connect=10.0, read=600.0, write=60.0, pool=30.0)
"""Timeouts of one HTTP request to an engine: a long read, since A1111 answers only once the images are made."""

_HTTP_OK_MIN = 200
_HTTP_OK_MAX = 299
_MESSAGE_LIMIT = 300
_NORMALISE = re.compile(r"[^a-z0-9]+")
_DEFAULT_JOB_TIMEOUT = 600.0
_DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_IMG2IMG_DENOISE = 0.75
"""The denoising strength of an img2img job that sets none (the value the AI Horde documents as its example)."""
_HIRES_FIRST_PASS_PIXELS = 512 * 512
_DIMENSION_STEP = 64
_PAINTING = frozenset({KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting})


def normalised_name(name: str) -> str:
    """Return `name` without its file extension, lower-cased, with every run of non-alphanumerics removed.

    ``4x-AnimeSharp.pth`` and ``4x_AnimeSharp`` both give ``4xanimesharp``: how a horde name is matched to a file.
    """
    stem = name.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    return _NORMALISE.sub("", stem.lower())


def short_message(text: object) -> str:
    """Return an engine's message on one line, at most a few hundred characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MESSAGE_LIMIT else flat[: _MESSAGE_LIMIT - 1] + "…"


def _status_reason(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "unknown status"


def check_model_map(engine: str, url: str | None, model_map: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Check the configuration of an engine backend before anything is sent.

    Args:
        engine: The backend's name (for messages).
        url: The engine's base URL.
        model_map: Horde model name -> checkpoint file.

    Returns:
        The URL without a trailing slash and a copy of the map.

    Raises:
        ValueError: If the URL or the map is missing or holds an empty name.
    """
    if not url:
        raise ValueError(f"image_backend {engine!r} needs the engine's address: set image_backend_url")
    if not model_map:
        raise ValueError(
            f"image_backend {engine!r} needs image_model_map: the horde model names and their checkpoint files"
        )
    for horde_name, checkpoint in model_map.items():
        if not horde_name.strip() or not checkpoint.strip():
            raise ValueError("image_model_map: every horde model name and checkpoint file must be non-empty")
    return url.rstrip("/"), dict(model_map)


class EngineTimeoutError(BackendError):
    """A request to the engine got no answer in time (the engine may still be working on it)."""


def hires_first_pass_size(parameters: ImageGenerationParameters) -> tuple[int, int]:
    """Return the size of a hires-fix job's first pass: the job's own, else about 512x512 with its aspect ratio.

    Args:
        parameters: A job with `hires_fix`.

    Returns:
        (width, height), multiples of 64, never larger than the final size.
    """
    hires = parameters.hires_fix
    if hires is not None and hires.first_pass_width and hires.first_pass_height:
        return hires.first_pass_width, hires.first_pass_height
    scale = min(1.0, math.sqrt(_HIRES_FIRST_PASS_PIXELS / (parameters.width * parameters.height)))

    def side(value: int) -> int:
        return max(_DIMENSION_STEP, int(value * scale) // _DIMENSION_STEP * _DIMENSION_STEP)

    return side(parameters.width), side(parameters.height)


def prompts_with_embeddings(
    engine: str,
    parameters: ImageGenerationParameters,
    embeddings: Mapping[str, str],
    token: Callable[[str, float], str],
) -> tuple[str, str]:
    """Return the prompt and negative prompt with the job's textual inversions injected where it asks.

    Args:
        engine: The backend's name (for messages).
        parameters: The job.
        embeddings: The engine's embeddings, by `normalised_name`.
        token: How the engine writes an embedding of a strength in a prompt.

    Returns:
        (prompt, negative prompt). An embedding without `inject_ti` is one the prompt already names.

    Raises:
        BackendError: If an embedding is not installed on the engine.
    """
    prompt, negative = parameters.prompt, parameters.negative_prompt or ""
    for entry in parameters.tis:
        name = embeddings.get(normalised_name(entry.name))
        if name is None:
            raise BackendError(f"{engine}: textual inversion {entry.name!r} is not installed on the engine")
        if entry.inject_ti == KNOWN_TI_INJECT_LOCATIONS.prompt:
            prompt = f"{prompt} {token(name, entry.strength)}"
        elif entry.inject_ti == KNOWN_TI_INJECT_LOCATIONS.negprompt:
            negative = f"{negative} {token(name, entry.strength)}".strip()
    return prompt, negative


class EngineConnection:
    """The HTTP side of an engine backend: one transport, JSON and raw requests, errors as `BackendError`."""

    def __init__(
        self,
        engine: str,
        url: str,
        *,
        timeouts: HordeTimeouts = DEFAULT_ENGINE_TIMEOUTS,
        http_client: AsyncHTTPClient | None = None,
    ) -> None:
        self.engine = engine
        self.url = url
        self._timeouts = timeouts
        self._http_client = http_client
        self._transport: AsyncTransport | None = None

    async def open(self) -> None:
        """Open the transport (on the injected client, if any)."""
        if self._transport is None:
            self._transport = AsyncTransport(self._timeouts, self._http_client)

    async def close(self) -> None:
        """Close the transport (an injected client is left open for its owner)."""
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.aclose()

    async def send(
        self, method: str, path: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> RawResponse:
        """Send one request to ``{url}{path}``; return the answer whatever its status.

        Raises:
            BackendError: If no answer came (the engine is down, the connection dropped, a timeout).
        """
        if self._transport is None:
            raise BackendError(f"{self.engine}: the backend is not open (use it as an async context manager)")
        response = await self._transport.send_raw(method, self.url + path, content=content, headers=headers)
        if isinstance(response, TransportFailure):
            where = path.split("?", 1)[0]
            logger.warning("image engine unreachable", engine=self.engine, path=where, kind=response.kind)
            detail = short_message(response.detail)
            if response.kind == "timeout":
                raise EngineTimeoutError(f"{self.engine} {method} {where}: timed out ({detail})")
            raise BackendError(f"{self.engine} {method} {where}: connection failed or dropped ({detail})")
        return response

    async def json(self, method: str, path: str, body: object = None, *, allow_statuses: tuple[int, ...] = ()) -> Any:  # noqa: ANN401 - parsed JSON
        """Send a request with an optional JSON body and return the parsed JSON answer.

        Args:
            method: The HTTP method.
            path: The path (and query) under the engine's URL.
            body: The JSON body, if any.
            allow_statuses: Statuses outside 2xx whose JSON answer is returned rather than raised.

        Raises:
            BackendError: On no answer, a status outside 2xx (with the engine's message) or a body that is not JSON.
        """
        content = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        response = await self.send(method, path, content=content, headers=headers)
        return self.parse(method, path, response, allow_statuses=allow_statuses)

    def parse(self, method: str, path: str, response: RawResponse, *, allow_statuses: tuple[int, ...] = ()) -> Any:  # noqa: ANN401 - parsed JSON
        """Return the JSON of `response`, or raise `BackendError` for a failed status (see `json`)."""
        status = response.status_code
        ok = _HTTP_OK_MIN <= status <= _HTTP_OK_MAX or status in allow_statuses
        try:
            answer = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            answer = None
            if ok:
                what = f"HTTP {status} with a body that is not JSON"
                raise BackendError(f"{self.engine} {method} {path}: {what}") from None
        if not ok:
            logger.warning("image engine refused", engine=self.engine, path=path, status=status)
            detail = self.error_message(answer) if answer is not None else response.content.decode("utf-8", "replace")
            reason = f"HTTP {status} {_status_reason(status)}"
            raise BackendError(f"{self.engine} {method} {path}: {reason}: {short_message(detail) or 'no message'}")
        return answer

    @staticmethod
    def error_message(answer: object) -> str:
        """Return the message of an engine's JSON error answer (A1111's ``errors``/``detail``, ComfyUI's ``error``)."""
        if isinstance(answer, dict):
            error, errors = answer.get("error"), answer.get("errors")
            if isinstance(error, str) and isinstance(errors, str) and errors:
                return f"{error}: {errors}"
            for key in ("errors", "error", "detail", "message"):
                value = answer.get(key)
                if isinstance(value, dict):
                    value = value.get("message") or value.get("type")
                if value:
                    return str(value)
        return json.dumps(answer)[:_MESSAGE_LIMIT]

    async def upload(self, path: str, field: str, filename: str, data: bytes, fields: Mapping[str, str]) -> Any:  # noqa: ANN401 - parsed JSON
        """POST a multipart form with one file (`field`, `filename`, PNG `data`) and text `fields`; return its JSON."""
        boundary = f"horde-sdk-{uuid.uuid4().hex}"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{quote(filename)}"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"}
        response = await self.send("POST", path, content=b"".join(parts), headers=headers)
        return self.parse("POST", path, response)


class EngineBackendBase:
    """The async context, the model map and the feature flags of an engine backend."""

    name: str = "engine"
    """The backend's name for logs and the configuration (overridden by each engine)."""

    runs_safety_check: bool = False
    """Engines run no safety check: the worker submits the images as they are."""

    _job_timeout_reads: bool = False
    """Whether a job is one long request (its timeout is then the read timeout) rather than polled."""

    def __init__(
        self,
        url: str,
        model_map: Mapping[str, str],
        *,
        job_timeout: float = _DEFAULT_JOB_TIMEOUT,
        poll_interval: float = _DEFAULT_POLL_INTERVAL,
        timeouts: HordeTimeouts = DEFAULT_ENGINE_TIMEOUTS,
        http_client: AsyncHTTPClient | None = None,
    ) -> None:
        try:
            base_url, checked = check_model_map(self.name, url, model_map)
        except ValueError as error:
            raise BackendError(str(error)) from error
        if self._job_timeout_reads:
            timeouts = dataclasses.replace(timeouts, read=job_timeout)
        self._model_map = checked
        self._job_timeout = job_timeout
        self._poll_interval = poll_interval
        self._connection = EngineConnection(self.name, base_url, timeouts=timeouts, http_client=http_client)
        self._available: dict[str, str] = {}
        self.features = ImageGenerationFeatureFlags()
        """The horde features this backend can run on its engine (none until it has asked the engine)."""
        self._init_engine_state()

    def _init_engine_state(self) -> None:
        """Set up what the engine's backend learns when it is entered (overridden by each engine)."""

    @property
    def url(self) -> str:
        """The engine's base URL (without a trailing slash)."""
        return self._connection.url

    @property
    def model_map(self) -> Mapping[str, str]:
        """Horde model name -> checkpoint file, as configured."""
        return dict(self._model_map)

    @property
    def available_models(self) -> tuple[str, ...]:
        """The horde models whose checkpoint the engine has (known once the backend is entered): what it pops for."""
        return tuple(self._available)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, models={len(self._model_map)})"

    async def __aenter__(self) -> Self:
        """Open the connection and ask the engine what it has (checkpoints, LoRAs, upscalers, samplers).

        Returns:
            The backend itself.

        Raises:
            BackendError: If the engine cannot be reached or has none of the mapped checkpoints.
        """
        await self._connection.open()
        try:
            await self._probe()
        except BaseException:
            await self._connection.close()
            raise
        if not self._available:
            await self._connection.close()
            raise BackendError(
                f"{self.name} at {self.url} has none of the checkpoints of image_model_map "
                f"({', '.join(sorted(self._model_map.values()))})"
            )
        missing = sorted(set(self._model_map) - set(self._available))
        if missing:
            logger.warning("mapped models not found on the engine", engine=self.name, models=missing)
        logger.info("image engine ready", engine=self.name, models=list(self._available))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the connection."""
        await self._connection.close()

    async def _probe(self) -> None:
        raise NotImplementedError

    def _resolve_checkpoints(self, checkpoints: Mapping[str, str]) -> None:
        """Keep the mapped models whose checkpoint the engine lists (`checkpoints`: accepted name -> its value)."""
        by_name = {normalised_name(key): value for key, value in checkpoints.items()}
        self._available = {}
        for horde_name, checkpoint in self._model_map.items():
            value = checkpoints.get(checkpoint) or by_name.get(normalised_name(checkpoint))
            if value is not None:
                self._available[horde_name] = value

    def _checkpoint_for(self, model: str | None) -> str:
        if model is None and len(self._available) == 1:
            return next(iter(self._available.values()))
        checkpoint = self._available.get(model or "")
        if checkpoint is None:
            raise BackendError(f"{self.name}: model {model!r} is not one this engine runs (see image_model_map)")
        return checkpoint

    def _check_requirements(self, parameters: ImageGenerationParameters) -> None:
        """Refuse, before anything is sent, a job needing a feature this backend does not run."""
        unmet = parameters.get_required_feature_flags().get_unmet_requirements(self.features)
        if unmet:
            raise BackendError(f"{self.name} cannot run this job: unsupported {'; '.join(unmet)}")


# ---------------------------------------------------------------------------------------------------------------
# Images (blocking; run in a worker thread)
# ---------------------------------------------------------------------------------------------------------------


def _open(data: bytes, what: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            return opened.copy()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BackendError(f"the {what} cannot be decoded as an image ({type(error).__name__})") from error


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _prepare_sources_sync(parameters: ImageGenerationParameters) -> tuple[bytes, bytes | None] | None:
    img2img = parameters.img2img
    if img2img is None:
        return None
    if not isinstance(img2img.source_image, bytes):
        raise BackendError("the img2img source image was not downloaded (the engine needs its bytes)")
    size = (parameters.width, parameters.height)
    source = _open(img2img.source_image, "img2img source image")
    rgb = source.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    if parameters.source_processing not in _PAINTING:
        return _png(rgb), None
    if isinstance(img2img.source_mask, bytes):
        # The horde's mask: white marks what to paint.
        mask = _open(img2img.source_mask, "inpainting mask").convert("L").resize(size, Image.Resampling.NEAREST)
    elif source.mode in {"RGBA", "LA", "PA"} or (source.mode == "P" and "transparency" in source.info):
        # No mask: what is transparent in the source is what to paint.
        alpha = source.convert("RGBA").getchannel("A").resize(size, Image.Resampling.NEAREST)
        mask = ImageOps.invert(alpha)
    else:
        raise BackendError(f"{parameters.source_processing} needs a mask or a source image with transparency")
    return _png(rgb), _png(mask)


async def prepare_sources(parameters: ImageGenerationParameters) -> tuple[bytes, bytes | None] | None:
    """Return the img2img source as a PNG of the job's size and, for painting, the mask (white = paint) as a PNG.

    Args:
        parameters: The job's parameters (input images downloaded as bytes).

    Returns:
        None for txt2img; else (source PNG, mask PNG or None).

    Raises:
        BackendError: If an image cannot be decoded, or a painting job has neither a mask nor transparency.
    """
    return await anyio.to_thread.run_sync(_prepare_sources_sync, parameters)


def _to_webp_sync(images: tuple[bytes, ...]) -> tuple[bytes, ...]:
    results: list[bytes] = []
    for index, data in enumerate(images):
        image = _open(data, f"engine's image #{index}")
        if image.mode not in {"RGB", "RGBA"}:
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=DEFAULT_RESULT_IMAGE_QUALITY, method=0)
        results.append(buffer.getvalue())
    return tuple(results)


async def to_webp(images: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Decode what the engine made and encode it as WebP (what the horde stores).

    Raises:
        BackendError: If an image cannot be decoded.
    """
    return await anyio.to_thread.run_sync(_to_webp_sync, images)


def decode_base64_image(value: object, what: str) -> bytes:
    """Return the bytes of a base64 image an engine answered (with or without a ``data:`` prefix).

    Raises:
        BackendError: If `value` is not base64 text.
    """
    if not isinstance(value, str):
        raise BackendError(f"{what} is not base64 text")
    text = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as error:
        raise BackendError(f"{what} is not valid base64") from error


def encode_base64(data: bytes) -> str:
    """Return `data` as base64 text."""
    return base64.b64encode(data).decode("ascii")
