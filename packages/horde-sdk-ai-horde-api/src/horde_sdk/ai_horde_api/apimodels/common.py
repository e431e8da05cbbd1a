"""Models that several AI Horde endpoint families share.

Error bodies, the plain ``message`` answer, request warnings, short style references, and the LoRA,
textual-inversion and text-parameter payloads that both generation requests and styles carry.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, RootModel

from horde_sdk.ai_horde_api.consts import RC, WARNING_CODE
from horde_sdk.ai_horde_api.fields import StyleID
from horde_sdk.generation_parameters.image.consts import KNOWN_TI_INJECT_LOCATIONS
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import HordeAPIObject, HordeAPIObjectBaseModel, HordeResponseBaseModel
from horde_sdk.generic_api.decoration import Unequatable, Unhashable

__all__ = [
    "LorasPayloadEntry",
    "ModelPayloadStyleKobold",
    "ModelSpecialPayloadStable",
    "RequestError",
    "RequestSingleWarning",
    "RequestValidationError",
    "ResponseModelStylesShort",
    "SimpleResponse",
    "TIPayloadEntry",
]


class RequestError(HordeAPIObjectBaseModel):
    """The body of an error answer: what went wrong and the server's return code.

    Clients raise typed exceptions for these bodies; the model exists for callers that read raw bodies.

    v2 API Model: `RequestError`
    """

    message: str | None = Field(default=None, description="What went wrong, in the server's words.")
    rc: RC | str = Field(description="The server's return code naming the error, e.g. `KudosUpfront`.")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "RequestError"


@Unhashable
@Unequatable
class RequestValidationError(RequestError):
    """An error body for a request that failed the server's input validation, with a reason per field.

    v2 API Model: `RequestValidationError`
    """

    # The server sends no `rc` with validation failures (BEHAVIOUR.md), though the swagger requires one.
    rc: RC | str | None = Field(  # type: ignore[assignment]
        default=None, description="The server's return code; absent on input validation failures."
    )
    errors: dict[str, str] | None = Field(default=None, description="The reason the server gave for each bad field.")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "RequestValidationError"


class SimpleResponse(HordeResponseBaseModel):
    """A plain acknowledgement carrying only a message (``OK`` when all went well).

    Represents the data returned from the following endpoints and http status codes:
        - /v2/collections/{collection_id} | DeleteCollectionRequest [DELETE] -> 200
        - /v2/filters/{filter_id} | DeleteFilterRequest [DELETE] -> 200
        - /v2/operations/block_worker_ipaddr/{worker_id} | BlockWorkerIPRequest [PUT] -> 200
        - /v2/operations/block_worker_ipaddr/{worker_id} | DeleteWorkerIPBlockRequest [DELETE] -> 200
        - /v2/operations/ipaddr | AddIPTimeoutRequest [POST] -> 200
        - /v2/operations/ipaddr | DeleteIPTimeoutRequest [DELETE] -> 200
        - /v2/sharedkeys/{sharedkey_id} | DeleteSharedKeyRequest [DELETE] -> 200
        - /v2/styles/image/{style_id} | DeleteImageStyleRequest [DELETE] -> 200
        - /v2/styles/image/{style_id}/example/{example_id} | DeleteImageStyleExampleRequest [DELETE] -> 200
        - /v2/styles/text/{style_id} | DeleteTextStyleRequest [DELETE] -> 200
        - /v2/users/{user_id} | DeleteUserRequest [DELETE] -> 200
        - /v2/workers/messages/{message_id} | DeleteWorkerMessageRequest [DELETE] -> 200

    v2 API Model: `SimpleResponse`
    """

    message: str = Field(description="How the operation ended, as a short text (`OK` when all went well).")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "SimpleResponse"


class RequestSingleWarning(HordeAPIObjectBaseModel):
    """A warning about an accepted request, e.g. that no worker can serve it right now.

    v2 API Model: `RequestSingleWarning`
    """

    code: WARNING_CODE | str | None = Field(default=None, description="Machine-readable name of the warning.")
    message: str | None = Field(default=None, min_length=1, description="The warning explained in plain text.")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "RequestSingleWarning"


class ResponseModelStylesShort(HordeAPIObjectBaseModel):
    """A reference to a style: its unique name and id.

    v2 API Model: `ResponseModelStylesShort`
    """

    name: str | None = Field(default=None, description="The style's unique name (`owner::style::name`).")
    id_: Annotated[StyleID | None, Field(alias="id", description="The style's id.")] = None

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "ResponseModelStylesShort"


class LorasPayloadEntry(HordeAPIObjectBaseModel):
    """One LoRA to apply to an image generation.

    v2 API Model: `ModelPayloadLorasStable`
    """

    name: str = Field(
        min_length=1,
        max_length=255,
        description="The LoRA's exact name or CivitAI model id (a version id when `is_version` is true).",
    )
    model: float = Field(default=1.0, ge=-5.0, le=5.0, description="Strength applied to the diffusion model.")
    clip: float = Field(default=1.0, ge=-5.0, le=5.0, description="Strength applied to the CLIP text encoder.")
    inject_trigger: str | None = Field(
        default=None,
        min_length=1,
        max_length=30,
        description="Inject the LoRA trigger closest to this text into the prompt (`any`: the first trigger).",
    )
    is_version: bool = Field(default=False, description="Read `name` as a CivitAI version id.")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "ModelPayloadLorasStable"


class TIPayloadEntry(HordeAPIObjectBaseModel):
    """One textual inversion (embedding) to apply to an image generation.

    v2 API Model: `ModelPayloadTextualInversionsStable`
    """

    name: str = Field(min_length=1, max_length=255, description="The embedding's exact name or CivitAI id.")
    inject_ti: Annotated[KNOWN_TI_INJECT_LOCATIONS | str, KnownValue(KNOWN_TI_INJECT_LOCATIONS)] | None = Field(
        default=None,
        description="Add the embedding to the `prompt` or the `negprompt` by itself; unset: the prompt names it.",
    )
    strength: float = Field(default=1.0, ge=-5.0, le=5.0, description="Weight used when the embedding is injected.")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "ModelPayloadTextualInversionsStable"


class ModelPayloadStyleKobold(HordeAPIObjectBaseModel):
    """Sampling and formatting parameters of a text generation (KoboldAI-compatible).

    v2 API Model: `ModelPayloadStyleKobold`
    """

    frmtadsnsp: bool | None = Field(default=None, description="Input formatting: add a leading space when needed.")
    frmtrmblln: bool | None = Field(default=None, description="Output formatting: collapse runs of blank lines.")
    frmtrmspch: bool | None = Field(default=None, description="Output formatting: remove special characters.")
    frmttriminc: bool | None = Field(default=None, description="Output formatting: trim an unfinished sentence.")
    rep_pen: float | None = Field(default=None, ge=1, le=3, description="Base repetition penalty.")
    rep_pen_range: int | None = Field(default=None, ge=0, le=4096, description="Tokens the repetition penalty covers.")
    rep_pen_slope: float | None = Field(default=None, ge=0, le=10, description="Slope of the repetition penalty.")
    singleline: bool | None = Field(default=None, description="Output formatting: keep only the first line.")
    temperature: float | None = Field(default=None, ge=0, le=5.0, description="Sampling temperature.")
    tfs: float | None = Field(default=None, ge=0.0, le=1.0, description="Tail-free sampling.")
    top_a: float | None = Field(default=None, ge=0.0, le=1.0, description="Top-a sampling.")
    top_k: int | None = Field(default=None, ge=0, le=200, description="Top-k sampling.")
    top_p: float | None = Field(default=None, ge=0.001, le=1.0, description="Top-p (nucleus) sampling.")
    typical: float | None = Field(default=None, ge=0.0, le=1.0, description="Typical sampling.")
    sampler_order: tuple[int, ...] | None = Field(default=None, description="Order in which the samplers run.")
    use_default_badwordsids: bool | None = Field(default=None, description="Use KoboldAI's default banned tokens.")
    stop_sequence: tuple[str, ...] | None = Field(
        default=None, description="Texts that end the generation; the result includes the one that matched."
    )
    min_p: float | None = Field(default=None, ge=0.0, le=1.0, description="Min-p sampling.")
    smoothing_factor: float | None = Field(default=None, ge=0.0, le=10.0, description="Quadratic sampling factor.")
    dynatemp_range: float | None = Field(default=None, ge=0.0, le=5.0, description="Dynamic temperature range.")
    dynatemp_exponent: float | None = Field(default=None, ge=0.0, le=5.0, description="Dynamic temperature exponent.")

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "ModelPayloadStyleKobold"


@Unhashable
@Unequatable
class ModelSpecialPayloadStable(HordeAPIObject, RootModel[dict[str, dict[str, Any]]]):
    """Free-form settings for special models, keyed by setting name (only special users may send them).

    v2 API Model: `ModelSpecialPayloadStable`
    """

    model_config = ConfigDict(frozen=True, from_attributes=True, use_attribute_docstrings=False, defer_build=True)

    @classmethod
    def get_api_model_name(cls) -> str | None:
        """Return the API's name for this model."""
        return "ModelSpecialPayloadStable"
