"""Typed results of the simple clients: what a finished image, text or alchemy job gave back.

A job (one request) holds one or more generations: :class:`ImageGenerationJobResult` holds
:class:`ImageGenerationResult` s with the image bytes already downloaded, :class:`TextGenerationJobResult`
holds :class:`TextGenerationResult` s, :class:`AlchemyJobResult` one result per form
(:class:`AlchemyCaptionResult`, :class:`AlchemyNSFWResult`, :class:`AlchemyInterrogationResult`,
:class:`AlchemyImageResult` for post-processors, :class:`AlchemyOtherResult` for anything else).

Results never hold download URLs: the AI Horde's are presigned, and a presigned URL is a credential.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Pillow is optional: `pip install horde-sdk-ai-horde-api[pillow]`.
    from PIL.Image import Image as PILImage  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "AlchemyCaptionResult",
    "AlchemyFormResultBase",
    "AlchemyImageResult",
    "AlchemyInterrogationResult",
    "AlchemyJobResult",
    "AlchemyNSFWResult",
    "AlchemyOtherResult",
    "AlchemyResult",
    "ImageGenerationJobResult",
    "ImageGenerationResult",
    "TextGenerationJobResult",
    "TextGenerationResult",
    "check_image",
    "image_format",
    "open_pil_image",
]

_SIGNATURES = (
    ("png", 0, b"\x89PNG\r\n\x1a\n"),
    ("jpeg", 0, b"\xff\xd8\xff"),
)


def image_format(data: bytes) -> str | None:
    """Return ``"webp"``, ``"png"`` or ``"jpeg"`` when ``data`` starts with that format's signature, else None."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    for name, offset, signature in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return name
    return None


def check_image(data: bytes) -> str:
    """Check that ``data`` is an image file a client may hand back; return its format.

    The file must carry the WebP, PNG or JPEG signature and, where Pillow is installed, decode completely
    (Pillow's decompression-bomb limit applies). An HTML error page or a truncated file fails.

    Raises:
        ValueError: ``data`` is not such an image (the message never quotes it).
    """
    found = image_format(data)
    if found is None:
        looks = "an HTML page" if data.lstrip()[:1] == b"<" else f"{len(data)} bytes without an image signature"
        raise ValueError(f"not a WebP, PNG or JPEG image: {looks}")
    try:
        from PIL import Image  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415 - optional extra
    except ImportError:  # pragma: no cover - depends on the install
        return found
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as error:  # noqa: BLE001 - Pillow raises many types for a bad file
        raise ValueError(f"a {found} image that does not decode ({type(error).__name__})") from None
    return found


def open_pil_image(data: bytes) -> PILImage:
    """Return ``data`` as a Pillow image (needs the ``pillow`` extra).

    Raises:
        ImportError: Pillow is not installed; install ``horde-sdk-ai-horde-api[pillow]``.
    """
    try:
        from PIL import Image  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415 - optional extra
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "Pillow is not installed; install it with `pip install horde-sdk-ai-horde-api[pillow]`"
        ) from error
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@dataclass(frozen=True, slots=True)
class ImageGenerationResult:
    """One finished image.

    Attributes:
        image: The image file's bytes (webp as the AI Horde delivers it); empty when downloads were off.
        generation_id: The id of this image on the server.
        seed: The seed it was painted with.
        worker_id: The worker that painted it.
        worker_name: That worker's name.
        model: The model that painted it.
        state: ``ok``, ``censored``, ...
        censored: The image was replaced because it was censored.
        gen_metadata: The server's notes about it, as ``(type, value, ref)`` tuples.
    """

    image: bytes = field(repr=False)
    generation_id: str | None
    seed: str | None
    worker_id: str | None
    worker_name: str | None
    model: str | None
    state: str
    censored: bool
    gen_metadata: tuple[tuple[str, str, str | None], ...] = ()

    def to_pil(self) -> PILImage:
        """Return the image as a Pillow image (needs the ``pillow`` extra)."""
        return open_pil_image(self.image)


@dataclass(frozen=True, slots=True)
class ImageGenerationJobResult:
    """The outcome of one image request.

    Attributes:
        job_id: The request's id on the server.
        generations: The finished images.
        kudos: The kudos it cost (the estimate at submission when the server did not say).
        shared: The images were given to the public dataset.
    """

    job_id: str
    generations: tuple[ImageGenerationResult, ...]
    kudos: float
    shared: bool = False

    @property
    def images(self) -> list[bytes]:
        """The images' bytes, in order."""
        return [generation.image for generation in self.generations]


@dataclass(frozen=True, slots=True)
class TextGenerationResult:
    """One finished text.

    Attributes:
        text: What the model wrote.
        seed: The seed it was written with.
        worker_id: The worker that wrote it.
        worker_name: That worker's name.
        model: The model that wrote it.
        state: ``ok``, ``censored``, ...
        gen_metadata: The server's notes about it, as ``(type, value, ref)`` tuples.
    """

    text: str
    seed: int | None
    worker_id: str | None
    worker_name: str | None
    model: str | None
    state: str
    gen_metadata: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class TextGenerationJobResult:
    """The outcome of one text request.

    Attributes:
        job_id: The request's id on the server.
        generations: The finished texts.
        kudos: The kudos it cost (the estimate at submission when the server did not say).
    """

    job_id: str
    generations: tuple[TextGenerationResult, ...]
    kudos: float

    @property
    def texts(self) -> list[str]:
        """The texts, in order."""
        return [generation.text for generation in self.generations]


@dataclass(frozen=True, slots=True)
class AlchemyFormResultBase:
    """What every alchemy form result says.

    Attributes:
        form: The form's name (``caption``, ``RealESRGAN_x4plus``, ...).
        state: The form's final state (``done``, ``faulted``, ``cancelled``).
    """

    form: str
    state: str


@dataclass(frozen=True, slots=True)
class AlchemyCaptionResult(AlchemyFormResultBase):
    """The ``caption`` form: a sentence describing the image."""

    caption: str


@dataclass(frozen=True, slots=True)
class AlchemyNSFWResult(AlchemyFormResultBase):
    """The ``nsfw`` form: whether the image is adult content."""

    nsfw: bool


@dataclass(frozen=True, slots=True)
class AlchemyInterrogationResult(AlchemyFormResultBase):
    """The ``interrogation`` form: terms ranked against the image, as the server sent them."""

    interrogation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlchemyImageResult(AlchemyFormResultBase):
    """A post-processor form (upscaler, face fixer, background removal): the new image's bytes."""

    image: bytes = field(repr=False)

    def to_pil(self) -> PILImage:
        """Return the image as a Pillow image (needs the ``pillow`` extra)."""
        return open_pil_image(self.image)


@dataclass(frozen=True, slots=True)
class AlchemyOtherResult(AlchemyFormResultBase):
    """Any other form (or one that did not finish): the raw result the server sent, if any."""

    result: Any


AlchemyResult = (
    AlchemyCaptionResult | AlchemyNSFWResult | AlchemyInterrogationResult | AlchemyImageResult | AlchemyOtherResult
)
"""The result of one alchemy form."""


@dataclass(frozen=True, slots=True)
class AlchemyJobResult:
    """The outcome of one alchemy request: one result per form, in the order the server lists them.

    Attributes:
        job_id: The request's id on the server.
        forms: One result per form.
        state: The request's overall state (``done``, ``partial`` after a cancel).
    """

    job_id: str
    forms: tuple[AlchemyResult, ...]
    state: str

    def get(self, form: str) -> AlchemyResult | None:
        """Return the result of ``form``, or None when the request had no such form."""
        return next((result for result in self.forms if result.form == form), None)
