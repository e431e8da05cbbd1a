"""Size caps and checks of the images a worker handles: job inputs it fetches and results it submits.

The defaults come from the horde's own limits:

* The horde refuses source images (img2img sources, masks, extra images, alchemy sources) above 3072x3072 pixels
  and re-encodes them as WebP before handing them to workers. No encoding of an image that size is larger than
  its raw RGBA pixels, 3072 x 3072 x 4 bytes = 36 MiB, so `DEFAULT_MAX_INPUT_IMAGE_BYTES` (48 MiB) is above any
  image the horde forwards.
* The horde lets a requester ask for at most 3072x3072 (the API's width and height maximum); a result upscaled
  by a post-processor can be twice that on each side, 6144x6144. `DEFAULT_MAX_RESULT_IMAGE_BYTES` (64 MiB)
  holds such an image as a lossy WebP; the base64 fallback of a submit is a third larger again.

Over a cap, a fetched input stops downloading at the cap and the job is faulted; a result is refused before it
is uploaded or base64-encoded, the generation fails (and is retried within its error limits), then the job is
faulted. Both caps are `RuntimeOptions` settings.

A result is also checked to be an image before it is submitted for kudos (`check_result_image`): its first
bytes must be the signature of WebP, PNG or JPEG, and Pillow must be able to decode it.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

__all__ = [
    "DEFAULT_MAX_INPUT_IMAGE_BYTES",
    "DEFAULT_MAX_RESULT_IMAGE_BYTES",
    "ResultImageError",
    "check_result_image",
    "image_format_of",
]

DEFAULT_MAX_INPUT_IMAGE_BYTES = 48 * 1024 * 1024
"""The largest input image a worker fetches or decodes (48 MiB); see the module's description."""

DEFAULT_MAX_RESULT_IMAGE_BYTES = 64 * 1024 * 1024
"""The largest result image a worker submits (64 MiB); see the module's description."""

_FULL_DECODE_PIXELS = 6144 * 6144
"""Results up to this many pixels are decoded entirely; larger ones (within the byte cap) have their structure
verified only, so that checking never costs more memory than the largest result the horde asks for."""


class ResultImageError(ValueError):
    """A backend's result is not an image the worker may submit (not an image, or larger than the cap)."""


def image_format_of(data: bytes) -> str | None:
    """Return the format whose signature `data` starts with: ``webp``, ``png`` or ``jpeg`` (None for others).

    Args:
        data: Encoded image bytes.

    Returns:
        The format, or None.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    return None


def check_result_image(data: object, *, max_bytes: int = DEFAULT_MAX_RESULT_IMAGE_BYTES) -> str:
    """Check that a backend's result is an image the worker may submit; return its format.

    Args:
        data: What the backend returned for one image.
        max_bytes: The largest result accepted.

    Returns:
        ``webp``, ``png`` or ``jpeg``.

    Raises:
        ResultImageError: If `data` is not bytes, is larger than `max_bytes`, does not start with the signature of
            one of those formats, or cannot be decoded. The message never holds the bytes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ResultImageError(f"the result is a {type(data).__name__}, not image bytes")
    content = bytes(data)
    if len(content) > max_bytes:
        raise ResultImageError(f"the result is {len(content)} bytes, more than the cap of {max_bytes}")
    kind = image_format_of(content)
    if kind is None:
        raise ResultImageError("the result is not a WebP, PNG or JPEG image (its first bytes are no image signature)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height <= _FULL_DECODE_PIXELS:
                    image.load()
                else:
                    image.verify()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ResultImageError(f"the result is not a decodable {kind} image ({type(error).__name__})") from None
    return kind
