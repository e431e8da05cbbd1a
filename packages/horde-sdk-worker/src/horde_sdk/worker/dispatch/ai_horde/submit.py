"""Build the AI Horde submit requests of finished (or faulted) generations, as the server really expects them.

The builders take plain values, so they work with any generation bookkeeping:

* `build_image_submit`: one image. The server requires `seed` (400 without it, even for faulted images).
  After the webp bytes were PUT to the generation's presigned `r2_upload` URL (`upload_to_r2` /
  `upload_to_r2_async`), `generation` is ``"R2"``; base64 is accepted too (the server re-uploads it).
* `build_text_submit`: one text.
* `build_alchemy_submit`: one alchemy form. `result` is a JSON object keyed by the form's name whose value is
  JSON of the form's kind (``{"caption": "a cat"}``, ``{"nsfw": false}``, ``{"interrogation": {...}}``,
  ``{"RealESRGAN_x2plus": "R2"}``), not the string the swagger describes.
* `build_faulted_submits`: the faulted submission of every id of a `DispatchFault` (or a failed job).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from horde_sdk.ai_horde_api.apimodels import (
    GENERATION_UPLOADED_TO_R2,
    AlchemyJobSubmitRequest,
    ImageGenerateJobSubmitRequest,
    ImageGenerationMetadataEntry,
    TextGenerateJobSubmitRequest,
    TextGenerationMetadataEntry,
)
from horde_sdk.ai_horde_api.consts import GENERATION_STATE, METADATA_TYPE, METADATA_VALUE, WORKER_TYPE
from horde_sdk.generation_parameters import KNOWN_IMAGE_POST_PROCESSORS
from horde_sdk.generic_api.core import RawResponse, TransportFailure
from horde_sdk.generic_api.transport import AsyncTransport, SyncTransport
from horde_sdk.worker.dispatch.ai_horde.conversion import DispatchFault

__all__ = [
    "FAULTED_IMAGE_SEED",
    "R2_UPLOAD_CONTENT_TYPE",
    "AlchemySubmitValue",
    "R2UploadError",
    "alchemy_result_value",
    "build_alchemy_submit",
    "build_faulted_submits",
    "build_image_submit",
    "build_text_submit",
    "image_metadata",
    "text_metadata",
    "upload_to_r2",
    "upload_to_r2_async",
]

FAULTED_IMAGE_SEED = 0
"""The seed sent with a faulted image (the server requires one even then; it is not used)."""

R2_UPLOAD_CONTENT_TYPE = "image/webp"
"""The content type of images PUT to presigned R2 upload URLs."""

_OK_STATES = frozenset({GENERATION_STATE.ok, GENERATION_STATE.censored, GENERATION_STATE.csam})
_POST_PROCESSOR_FORMS = frozenset(str(member) for member in KNOWN_IMAGE_POST_PROCESSORS)


def _metadata_fields(type_: str, value: str, ref: str | None) -> dict[str, str]:
    """Return the fields of a ``gen_metadata`` entry; `ref` only when given (it is not sent as ``null``)."""
    fields = {"type": type_, "value": value}
    if ref is not None:
        fields["ref"] = ref
    return fields


def image_metadata(
    type_: METADATA_TYPE | str, value: METADATA_VALUE | str, ref: str | None = None
) -> ImageGenerationMetadataEntry:
    """Build one ``gen_metadata`` entry of an image, e.g. ``(lora, download_failed, "247778")``.

    Args:
        type_: What the note is about.
        value: What happened to it.
        ref: Which item it concerns (a LoRA name, the index of an extra source image, ...).

    Returns:
        The entry.
    """
    return ImageGenerationMetadataEntry.model_validate(_metadata_fields(type_, value, ref))


def text_metadata(
    type_: METADATA_TYPE | str, value: METADATA_VALUE | str, ref: str | None = None
) -> TextGenerationMetadataEntry:
    """Build one ``gen_metadata`` entry of a text, e.g. ``(censorship, csam)``.

    Args:
        type_: What the note is about.
        value: What happened to it.
        ref: Which item it concerns, if any.

    Returns:
        The entry.
    """
    return TextGenerationMetadataEntry.model_validate(_metadata_fields(type_, value, ref))


def _metadata(entries: Iterable[object]) -> dict[str, tuple[object, ...]]:
    """Return the ``gen_metadata`` field when there are entries (an empty list is not sent)."""
    notes = tuple(entries)
    return {"gen_metadata": notes} if notes else {}


def _seed_as_int(seed: int | str) -> int:
    if isinstance(seed, bool):
        raise TypeError("seed must be an integer or its decimal text")
    if isinstance(seed, int):
        return seed
    text = seed.strip()
    if not text.lstrip("-").isdigit():
        raise ValueError("seed must be an integer or its decimal text")
    return int(text)


def build_image_submit(
    generation_id: str,
    *,
    seed: int | str,
    generation: str = GENERATION_UPLOADED_TO_R2,
    censored: bool = False,
    state: GENERATION_STATE | None = None,
    gen_metadata: Iterable[ImageGenerationMetadataEntry] = (),
) -> ImageGenerateJobSubmitRequest:
    """Build the submission of one image.

    Args:
        generation_id: The id of the image (one of the pop's `ids`).
        seed: The seed the image was made with (an int, or the decimal text of the generation parameters).
        generation: ``"R2"`` (the default) after the image was PUT to its upload URL, else the image as base64.
        censored: Whether the image was replaced because it was censored.
        state: How it ended; by default ``censored`` when `censored` is set, else ``ok``. Use
            `build_faulted_submits` for faulted images.
        gen_metadata: Notes about the image (see `image_metadata`).

    Returns:
        The request.

    Raises:
        ValueError: If the seed is not an integer, `generation` is empty, or `state` is ``faulted``.
    """
    if state is None:
        state = GENERATION_STATE.censored if censored else GENERATION_STATE.ok
    if state not in _OK_STATES:
        raise ValueError(f"state {state.value!r} is not a finished image; use build_faulted_submits")
    if not generation:
        raise ValueError("generation must be 'R2' or the image as base64")
    return ImageGenerateJobSubmitRequest.model_validate(
        {
            "id": generation_id,
            "generation": generation,
            "state": state,
            "seed": _seed_as_int(seed),
            "censored": censored,
            **_metadata(gen_metadata),
        }
    )


def build_text_submit(
    generation_id: str,
    text: str,
    *,
    state: GENERATION_STATE = GENERATION_STATE.ok,
    gen_metadata: Iterable[TextGenerationMetadataEntry] = (),
) -> TextGenerateJobSubmitRequest:
    """Build the submission of one text.

    Args:
        generation_id: The id of the text (one of the pop's `ids`).
        text: The generated text.
        state: How it ended (``ok``, ``censored`` or ``csam``); use `build_faulted_submits` for faults.
        gen_metadata: Notes about the text (see `text_metadata`).

    Returns:
        The request.

    Raises:
        ValueError: If `state` is ``faulted``.
    """
    if state not in _OK_STATES:
        raise ValueError(f"state {state.value!r} is not a finished text; use build_faulted_submits")
    return TextGenerateJobSubmitRequest.model_validate(
        {"id": generation_id, "generation": text, "state": state, **_metadata(gen_metadata)}
    )


AlchemySubmitValue = str | bool | Mapping[str, Any]
"""A form's result as it is submitted: text (a caption, ``"R2"``), a verdict (``nsfw``) or an object."""

_TRUTH_WORDS = {"true": True, "false": False}


def alchemy_result_value(form_name: str, result: AlchemySubmitValue) -> str | bool | dict[str, Any]:
    """Return `result` as the JSON value the horde expects for the form (BEHAVIOUR.md).

    ``nsfw`` is a boolean (the text ``"true"``/``"false"`` is read as one), ``interrogation`` an object (JSON
    text of an object is parsed), ``caption`` a string, a post-processor ``"R2"`` (its image goes to the form's
    `r2_upload` URL). Other forms' results pass unchanged.

    Args:
        form_name: The form's name.
        result: What the form yielded.

    Returns:
        The value to send under the form's name.

    Raises:
        ValueError: If the result is not of the form's kind.
    """
    if form_name == "nsfw":
        verdict = _TRUTH_WORDS.get(result.strip().lower()) if isinstance(result, str) else result
        if not isinstance(verdict, bool):
            raise ValueError(f"the nsfw form's result must be a boolean, got {type(result).__name__}")
        return verdict
    if form_name == "interrogation":
        terms: object = result
        if isinstance(result, str):
            try:
                terms = json.loads(result)
            except ValueError:
                terms = None
        if not isinstance(terms, Mapping):
            raise ValueError("the interrogation form's result must be an object (or the JSON text of one)")
        return dict(terms)
    if form_name == "caption" and not isinstance(result, str):
        raise ValueError(f"the caption form's result must be text, got {type(result).__name__}")
    if form_name in _POST_PROCESSOR_FORMS and result != GENERATION_UPLOADED_TO_R2:
        raise ValueError(f"post-processor form {form_name!r} is submitted as {GENERATION_UPLOADED_TO_R2!r}")
    return dict(result) if isinstance(result, Mapping) else result


def build_alchemy_submit(
    form_id: str,
    form_name: str,
    result: AlchemySubmitValue,
    *,
    state: GENERATION_STATE = GENERATION_STATE.ok,
) -> AlchemyJobSubmitRequest:
    """Build the submission of one alchemy form: ``{"id": ..., "result": {form_name: result}, "state": ...}``.

    The value travels as JSON of the form's kind (`alchemy_result_value`), so requesters read it back typed:
    ``{"nsfw": false}``, ``{"interrogation": {...}}``, ``{"caption": "a cat"}``, ``{"RealESRGAN_x2plus": "R2"}``.

    Args:
        form_id: The id of the form (from the pop).
        form_name: The form's name, the key of `result` (``caption``, ``RealESRGAN_x2plus``...).
        result: The form's result: a caption, the nsfw verdict, the interrogation's object, or ``"R2"`` after a
            post-processor's image was PUT to the form's `r2_upload` URL.
        state: How it ended (``ok`` by default); use `build_faulted_submits` for faults.

    Returns:
        The request.

    Raises:
        ValueError: If `form_name` is empty, `state` is ``faulted`` or the result is not of the form's kind.
    """
    if not form_name:
        raise ValueError("form_name must not be empty")
    if state not in _OK_STATES:
        raise ValueError(f"state {state.value!r} is not a finished form; use build_faulted_submits")
    value = alchemy_result_value(form_name, result)
    return AlchemyJobSubmitRequest.model_validate({"id": form_id, "result": {form_name: value}, "state": state.value})


def build_faulted_submits(
    fault: DispatchFault | None = None,
    *,
    worker_type: WORKER_TYPE | None = None,
    generation_ids: Sequence[str] = (),
    gen_metadata: Mapping[str, Iterable[ImageGenerationMetadataEntry]] | None = None,
) -> tuple[ImageGenerateJobSubmitRequest | TextGenerateJobSubmitRequest | AlchemyJobSubmitRequest, ...]:
    """Build the ``state: "faulted"`` submission of every id of a fault or of a failed job.

    Faulted images still carry a seed (`FAULTED_IMAGE_SEED`): the server refuses image submissions without one.
    No `generation` is sent.

    Args:
        fault: The fault to report; or give `worker_type` and `generation_ids` instead.
        worker_type: The kind of job (when no `fault` is given).
        generation_ids: The ids to fault (when no `fault` is given).
        gen_metadata: Images only: notes per generation id (for example which input failed to download).

    Returns:
        One request per id, in order.

    Raises:
        ValueError: If neither a fault nor a worker type is given.
    """
    if fault is not None:
        worker_type = fault.worker_type
        generation_ids = fault.generation_ids
    if worker_type is None:
        raise ValueError("give a fault, or a worker type and generation ids")
    requests: list[ImageGenerateJobSubmitRequest | TextGenerateJobSubmitRequest | AlchemyJobSubmitRequest] = []
    for generation_id in generation_ids:
        if worker_type == WORKER_TYPE.image:
            notes = (gen_metadata or {}).get(generation_id, ())
            requests.append(
                ImageGenerateJobSubmitRequest.model_validate(
                    {
                        "id": generation_id,
                        "state": GENERATION_STATE.faulted,
                        "seed": FAULTED_IMAGE_SEED,
                        **_metadata(notes),
                    }
                )
            )
        elif worker_type == WORKER_TYPE.text:
            requests.append(
                TextGenerateJobSubmitRequest.model_validate({"id": generation_id, "state": GENERATION_STATE.faulted})
            )
        else:
            requests.append(
                AlchemyJobSubmitRequest.model_validate({"id": generation_id, "state": GENERATION_STATE.faulted.value})
            )
    return tuple(requests)


class R2UploadError(RuntimeError):
    """A PUT to a presigned upload URL failed. The message never holds the URL (it is a credential).

    Args:
        reason: What went wrong (a status code or a transport failure).
        status_code: The HTTP status of the answer, when one came.
    """

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"upload to the presigned URL failed: {reason}")


def _check_upload(answer: RawResponse | TransportFailure) -> None:
    if isinstance(answer, TransportFailure):
        raise R2UploadError(f"{answer.kind}: {answer.detail}")
    if not 200 <= answer.status_code < 300:
        raise R2UploadError(f"HTTP {answer.status_code}", status_code=answer.status_code)


def upload_to_r2(transport: SyncTransport, upload_url: str, image: bytes) -> None:
    """PUT an image to its presigned upload URL; then submit it with ``generation: "R2"``.

    Args:
        transport: The transport of the AI Horde client (``client.transport``); no API header is sent.
        upload_url: The generation's presigned upload URL.
        image: The webp bytes.

    Raises:
        R2UploadError: If the upload did not succeed (then submit base64, or fault the generation).
    """
    _check_upload(
        transport.send_raw("PUT", upload_url, content=image, headers={"Content-Type": R2_UPLOAD_CONTENT_TYPE})
    )


async def upload_to_r2_async(transport: AsyncTransport, upload_url: str, image: bytes) -> None:
    """PUT an image to its presigned upload URL (asynchronously); then submit it with ``generation: "R2"``.

    Args:
        transport: The transport of the async AI Horde client (``client.transport``).
        upload_url: The generation's presigned upload URL.
        image: The webp bytes.

    Raises:
        R2UploadError: If the upload did not succeed.
    """
    _check_upload(
        await transport.send_raw("PUT", upload_url, content=image, headers={"Content-Type": R2_UPLOAD_CONTENT_TYPE})
    )
