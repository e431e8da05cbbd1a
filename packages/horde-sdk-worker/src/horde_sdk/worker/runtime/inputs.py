"""Input images of a job: fetched (presigned URL) or decoded (base64), then put into the generation parameters."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import anyio
from PIL import Image
from pydantic import BaseModel

from horde_sdk.generic_api.core import TransportFailure
from horde_sdk.generic_api.transport import AsyncTransport
from horde_sdk.worker.dispatch.ai_horde import ImageToDownload
from horde_sdk.worker.runtime.images import DEFAULT_MAX_INPUT_IMAGE_BYTES

__all__ = ["InputDownloadError", "censored_placeholder_webp", "fetch_input_images", "with_input_images"]

ModelT = TypeVar("ModelT", bound=BaseModel)


class InputDownloadError(RuntimeError):
    """An input image could not be fetched or decoded. The message names its role, never its URL.

    Args:
        image: The image that failed.
        reason: Why.
    """

    def __init__(self, image: ImageToDownload, reason: str) -> None:
        self.image = image
        self.reason = reason
        suffix = f" {image.index}" if image.role.value == "extra_source_images" else ""
        super().__init__(f"{image.role.value}{suffix}: {reason}")


async def _fetch(transport: AsyncTransport, image: ImageToDownload, seconds: float, max_bytes: int) -> bytes:
    too_large = f"is larger than the cap of {max_bytes} bytes"
    if not image.is_url:
        text = "".join(image.location.split())
        if len(text) // 4 * 3 > max_bytes + 2:  # checked before decoding: the decoded size is known from the text
            raise InputDownloadError(image, too_large)
        try:
            decoded = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InputDownloadError(image, "is not valid base64") from None
        if len(decoded) > max_bytes:
            raise InputDownloadError(image, too_large)
        return decoded
    with anyio.move_on_after(seconds) as scope:
        # The transport stops reading at the cap: a huge answer never reaches memory whole.
        answer = await transport.send_raw("GET", image.location, max_body_bytes=max_bytes)
    if scope.cancelled_caught:
        raise InputDownloadError(image, f"download timed out after {seconds:g} s")
    if isinstance(answer, TransportFailure):
        if answer.kind == "too_large":
            raise InputDownloadError(image, too_large)
        raise InputDownloadError(image, f"{answer.kind}: {answer.detail}")
    if len(answer.content) > max_bytes:
        raise InputDownloadError(image, too_large)
    if not 200 <= answer.status_code < 300:
        raise InputDownloadError(image, f"download answered HTTP {answer.status_code}")
    if not answer.content:
        raise InputDownloadError(image, "download was empty")
    return answer.content


async def fetch_input_images(
    transport: AsyncTransport,
    images: Sequence[ImageToDownload],
    *,
    seconds_per_image: float,
    max_bytes: int = DEFAULT_MAX_INPUT_IMAGE_BYTES,
) -> dict[str, bytes]:
    """Fetch (or decode) every input image of a job, concurrently.

    Args:
        transport: The transport of the worker's AI Horde client (no API headers go to presigned URLs).
        images: The job's `AIHordeDispatchParameters.images_to_download`.
        seconds_per_image: Longest download of one image.
        max_bytes: The largest image: a download stops at it, base64 data is measured before decoding.

    Returns:
        The bytes of each image, keyed by its location (URL or base64 text) as the job's parameters hold it.

    Raises:
        InputDownloadError: If an image cannot be fetched or decoded, or is larger than `max_bytes` (the first
            failure met).
    """
    results: dict[str, bytes] = {}

    async def one(image: ImageToDownload) -> None:
        results[image.location] = await _fetch(transport, image, seconds_per_image, max_bytes)

    # The failure is raised after the ``except*`` block, not inside it: CPython before 3.11.4 wraps an exception
    # raised inside ``except*`` in a new ExceptionGroup (gh-103590), which callers would not recognise.
    failure: BaseException | None = None
    try:
        async with anyio.create_task_group() as group:
            for image in images:
                group.start_soon(one, image)
    except* InputDownloadError as failures:
        failure = failures.exceptions[0]
    if failure is not None:
        raise failure from None
    return results


def _replace(value: Any, inputs: Mapping[str, bytes]) -> Any:  # noqa: ANN401 - any field value
    if isinstance(value, str):
        return inputs.get(value, value)
    if isinstance(value, BaseModel):
        return with_input_images(value, inputs)
    if isinstance(value, tuple):
        return tuple(_replace(item, inputs) for item in value)
    return value


def with_input_images(parameters: ModelT, inputs: Mapping[str, bytes]) -> ModelT:
    """Return `parameters` with every input image reference (URL or base64 text) replaced by its bytes.

    Args:
        parameters: Generation parameters (any frozen model; nested models and tuples are walked).
        inputs: What `fetch_input_images` returned.

    Returns:
        A copy holding bytes where the references were; `parameters` itself when nothing matched.
    """
    if not inputs:
        return parameters
    updates: dict[str, Any] = {}
    for name in type(parameters).model_fields:
        value = getattr(parameters, name)
        replaced = _replace(value, inputs)
        if replaced is not value and replaced != value:
            updates[name] = replaced
    return parameters.model_copy(update=updates) if updates else parameters


@lru_cache(maxsize=1)
def censored_placeholder_webp() -> bytes:
    """Return the WebP image that replaces a censored result (a plain dark square).

    Returns:
        The encoded image (made once, then cached).
    """
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (24, 24, 24)).save(buffer, format="WEBP", quality=50)
    return buffer.getvalue()
