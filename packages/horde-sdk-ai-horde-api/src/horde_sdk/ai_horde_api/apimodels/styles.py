"""Image and text styles: named, shareable prompt templates with fixed generation settings.

Endpoints: ``/v2/styles/image`` (GET, POST), ``/v2/styles/image/{style_id}`` (GET, PATCH, DELETE),
``/v2/styles/image/{style_id}/example`` (POST), ``/v2/styles/image/{style_id}/example/{example_id}``
(PATCH, DELETE), ``/v2/styles/image_by_name/{style_name}`` (GET), ``/v2/styles/text`` (GET, POST),
``/v2/styles/text/{style_id}`` (GET, PATCH, DELETE) and ``/v2/styles/text_by_name/{style_name}`` (GET).

A style's prompt is a template: ``{p}`` marks where the user's prompt goes and, for image styles, ``{np}``
where the negative prompt goes. :class:`ModifyStyleResponse` is also the answer of the collection
endpoints that create or change a collection.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated, Any

from annotated_types import MaxLen, MinLen
from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.common import (
    LorasPayloadEntry,
    ModelPayloadStyleKobold,
    ModelSpecialPayloadStable,
    RequestSingleWarning,
    SimpleResponse,
    TIPayloadEntry,
)
from horde_sdk.ai_horde_api.apimodels.sharedkeys import SharedKeyDetailsResponse
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import StyleExampleID, StyleID
from horde_sdk.generation_parameters import KnownImagePostProcessor, KnownImageSampler, KnownImageWorkflow
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIData,
    HordeAPIObjectBaseModel,
    HordeResponseBaseModel,
    HordeResponseRootModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL
from horde_sdk.generic_api.decoration import Unequatable, Unhashable

__all__ = [
    "AllImageStylesRequest",
    "AllImageStylesResponse",
    "AllTextStylesRequest",
    "AllTextStylesResponse",
    "CreateImageStyleExampleRequest",
    "CreateImageStyleRequest",
    "CreateTextStyleRequest",
    "DeleteImageStyleExampleRequest",
    "DeleteImageStyleRequest",
    "DeleteTextStyleRequest",
    "ImageStyleDetailsResponse",
    "ImageStyleInputMixin",
    "ImageStyleInputPayload",
    "ImageStyleParamsNoDefaultsPayload",
    "ImageStyleParamsPayload",
    "ModifyImageStyleExampleRequest",
    "ModifyImageStyleRequest",
    "ModifyStyleResponse",
    "ModifyTextStyleRequest",
    "SingleImageStyleByNameRequest",
    "SingleImageStyleRequest",
    "SingleTextStyleByNameRequest",
    "SingleTextStyleRequest",
    "StyleExampleEntry",
    "StyleExampleMixin",
    "StyleExamplePayload",
    "TextStyleDetailsResponse",
    "TextStyleInputMixin",
    "TextStyleInputPayload",
    "TextStyleParamsPayload",
]

StyleTag = Annotated[str, MinLen(1), MaxLen(25)]
"""One tag of a style (1 to 25 characters)."""

ModelName = Annotated[str, MinLen(1)]
"""The name of a model a style is meant for."""


# ------------------------------------------------------------------------------------ parameters
@Unhashable
@Unequatable
class ImageStyleParamsNoDefaultsPayload(HordeAPIObjectBaseModel):
    """The image generation settings a style may fix; a setting left unset is left to the user's request.

    Unhashable: ``special`` holds free-form dictionaries. This also holds for every model that carries these
    settings (image style payloads, answers and requests).

    v2 API Model: `ModelStyleInputParamsStableNoDefaults`
    """

    sampler_name: KnownImageSampler | None = Field(default=None, description="The sampler the style uses.")
    cfg_scale: float | None = Field(default=None, ge=0, le=100, description="How closely images follow the prompt.")
    denoising_strength: float | None = Field(
        default=None, ge=0.01, le=1.0, description="With a source image: how much of it is painted over."
    )
    hires_fix_denoising_strength: float | None = Field(
        default=None, ge=0.01, le=1.0, description="How much the second pass of hires fix may change the image."
    )
    height: int | None = Field(
        default=None, ge=64, le=3072, multiple_of=64, description="Image height in pixels (a multiple of 64)."
    )
    width: int | None = Field(
        default=None, ge=64, le=3072, multiple_of=64, description="Image width in pixels (a multiple of 64)."
    )
    post_processing: tuple[KnownImagePostProcessor, ...] | None = Field(
        default=None, description="Post-processors run on each image, in this order (each at most once)."
    )
    karras: bool | None = Field(default=None, description="Use the Karras noise schedule.")
    tiling: bool | None = Field(default=None, description="Make images that tile seamlessly.")
    hires_fix: bool | None = Field(
        default=None, description="Paint at a lower size first, then upscale and refine (two passes)."
    )
    clip_skip: int | None = Field(default=None, ge=1, le=12, description="CLIP layers to skip (1 skips none).")
    facefixer_strength: float | None = Field(
        default=None, ge=0, le=1.0, description="How strongly face-fixing post-processors act (0 to 1)."
    )
    loras: tuple[LorasPayloadEntry, ...] | None = Field(default=None, description="LoRAs the style applies.")
    tis: tuple[TIPayloadEntry, ...] | None = Field(default=None, description="Textual inversions the style applies.")
    special: ModelSpecialPayloadStable | None = Field(
        default=None, description="Free-form settings of special models (only special users may set them)."
    )
    workflow: KnownImageWorkflow | None = Field(
        default=None, description="A named horde-engine workflow to run instead of the default pipeline."
    )
    transparent: bool | None = Field(
        default=None, description="Paint images with a transparent background (Layer Diffuse)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputParamsStableNoDefaults"


@Unhashable
@Unequatable
class ImageStyleParamsPayload(ImageStyleParamsNoDefaultsPayload):
    """The image generation settings of a style, including the number of steps.

    v2 API Model: `ModelStyleInputParamsStable`
    """

    steps: int | None = Field(default=None, ge=1, le=500, description="Sampling steps per image.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputParamsStable"


class TextStyleParamsPayload(ModelPayloadStyleKobold):
    """The text generation settings a text style fixes (the KoboldAI-style sampling parameters).

    v2 API Model: `ModelStyleInputParamsKobold`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputParamsKobold"


def _patch_name_field() -> Any:  # noqa: ANN401 - pydantic's Field() is typed Any for field defaults
    """The ``name`` of a style PATCH: the server refuses a change without it (400, BEHAVIOUR.md)."""
    return Field(
        min_length=1,
        max_length=100,
        description=(
            "The style's name, required by the server on every change (400 without it): the current name to keep "
            "it, or a new one; case-sensitive and unique per user."
        ),
    )


# -------------------------------------------------------------------------------------- examples
class StyleExampleMixin(HordeAPIData):
    """The fields of an example image of a style: where the image is, and whether it is the main one."""

    url: str | None = Field(default=None, description="Where the example image can be downloaded (a URL).")
    primary: bool | None = Field(default=None, description="Show this image first among the style's examples.")


class StyleExamplePayload(StyleExampleMixin, HordeAPIObjectBaseModel):
    """An example image of an image style, as it is added or changed.

    v2 API Model: `InputStyleExamplePost`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InputStyleExamplePost"


class StyleExampleEntry(StyleExamplePayload):
    """One example image of an image style, with its id.

    v2 API Model: `StyleExample`
    """

    id_: Annotated[StyleExampleID | None, Field(alias="id", description="The example's id.")] = None

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "StyleExample"


# ------------------------------------------------------------------------------------ style input
class ImageStyleInputMixin(HordeAPIData):
    """The fields of a new image style."""

    name: str = Field(
        min_length=1, max_length=100, description="The style's name; case-sensitive and unique per user."
    )
    info: str | None = Field(default=None, min_length=10, max_length=1000, description="What the style is about.")
    prompt: str = Field(
        default="{p}{np}",
        min_length=7,
        description="The prompt template; it must hold `{p}` (the user's prompt) and `{np}` (the negative prompt).",
    )
    params: ImageStyleParamsPayload | None = Field(default=None, description="The generation settings it fixes.")
    public: bool = Field(default=True, description="List the style publicly; otherwise only its id or name finds it.")
    nsfw: bool = Field(default=False, description="The style is meant mainly for adult content.")
    tags: tuple[StyleTag, ...] | None = Field(default=None, description="Tags to find the style by.")
    models: tuple[ModelName, ...] | None = Field(default=None, description="The models the style is meant for.")
    sharedkey: str | None = Field(
        default=None,
        min_length=36,
        max_length=36,
        description="A shared key (its id) whose kudos pay for generations that use this style.",
    )


@Unhashable
@Unequatable
class ImageStyleInputPayload(ImageStyleInputMixin, HordeAPIObjectBaseModel):
    """An image style as it is created: name, prompt template, settings and how it is listed.

    v2 API Model: `ModelStyleInputStable`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputStable"


class TextStyleInputMixin(HordeAPIData):
    """The fields of a new text style."""

    name: str = Field(
        min_length=1, max_length=100, description="The style's name; case-sensitive and unique per user."
    )
    info: str | None = Field(default=None, min_length=10, max_length=1000, description="What the style is about.")
    prompt: str = Field(
        default="{p}", min_length=3, description="The prompt template; it must hold `{p}` (the user's prompt)."
    )
    params: TextStyleParamsPayload | None = Field(default=None, description="The generation settings it fixes.")
    public: bool = Field(default=True, description="List the style publicly; otherwise only its id or name finds it.")
    nsfw: bool = Field(default=False, description="The style is meant mainly for adult content.")
    tags: tuple[StyleTag, ...] | None = Field(default=None, description="Tags to find the style by.")
    models: tuple[ModelName, ...] | None = Field(default=None, description="The models the style is meant for.")


class TextStyleInputPayload(TextStyleInputMixin, HordeAPIObjectBaseModel):
    """A text style as it is created: name, prompt template, settings and how it is listed.

    v2 API Model: `ModelStyleInputKobold`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputKobold"


# -------------------------------------------------------------------------------------- responses
@Unhashable
@Unequatable
class ImageStyleDetailsResponse(HordeResponseBaseModel, ImageStyleInputPayload):
    """An image style with its id, owner, use count, example images and the shared key that pays for it.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/styles/image/{style_id} | SingleImageStyleRequest [GET] -> 200
        - /v2/styles/image_by_name/{style_name} | SingleImageStyleByNameRequest [GET] -> 200

    v2 API Model: `StyleStable`
    """

    id_: Annotated[StyleID | None, Field(alias="id", min_length=36, max_length=36, description="The style's id.")] = (
        None
    )
    use_count: int | None = Field(default=None, description="How many generations used the style.")
    creator: str | None = Field(default=None, description="The owner, as `alias#id`.")
    examples: tuple[StyleExampleEntry, ...] | None = Field(default=None, description="Example images of the style.")
    shared_key: SharedKeyDetailsResponse | None = Field(
        default=None, description="The shared key paying for the style's generations, if any."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "StyleStable"


class TextStyleDetailsResponse(HordeResponseBaseModel, TextStyleInputPayload):
    """A text style with its id, owner and use count.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/styles/text/{style_id} | SingleTextStyleRequest [GET] -> 200
        - /v2/styles/text_by_name/{style_name} | SingleTextStyleByNameRequest [GET] -> 200

    v2 API Model: `StyleKobold`
    """

    id_: Annotated[StyleID | None, Field(alias="id", description="The style's id.")] = None
    use_count: int | None = Field(default=None, description="How many generations used the style.")
    creator: str | None = Field(default=None, description="The owner, as `alias#id`.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "StyleKobold"


@Unhashable
@Unequatable
class AllImageStylesResponse(HordeResponseRootModel[tuple[ImageStyleDetailsResponse, ...]]):
    """One page of image styles.

    Represents the data returned from the /v2/styles/image endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class AllTextStylesResponse(HordeResponseRootModel[tuple[TextStyleDetailsResponse, ...]]):
    """One page of text styles.

    Represents the data returned from the /v2/styles/text endpoint with http status code 200.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL


class ModifyStyleResponse(HordeResponseBaseModel):
    """The answer to creating or changing a style, a style example or a collection: its id and any warnings.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/collections | CreateCollectionRequest [POST] -> 200
        - /v2/collections/{collection_id} | ModifyCollectionRequest [PATCH] -> 200
        - /v2/styles/image | CreateImageStyleRequest [POST] -> 200
        - /v2/styles/image/{style_id} | ModifyImageStyleRequest [PATCH] -> 200
        - /v2/styles/image/{style_id}/example | CreateImageStyleExampleRequest [POST] -> 200
        - /v2/styles/image/{style_id}/example/{example_id} | ModifyImageStyleExampleRequest [PATCH] -> 200
        - /v2/styles/text | CreateTextStyleRequest [POST] -> 200
        - /v2/styles/text/{style_id} | ModifyTextStyleRequest [PATCH] -> 200

    v2 API Model: `StyleModify`
    """

    id_: Annotated[
        str | None,
        Field(alias="id", description="The id of the style, example or collection that was created or changed."),
    ] = None
    message: str | None = Field(default=None, description="A note from the server, if any.")
    warnings: tuple[RequestSingleWarning, ...] | None = Field(
        default=None, description="Things about the style worth knowing, e.g. settings the models do not suit."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "StyleModify"


# --------------------------------------------------------------------------------- image requests
class AllImageStylesRequest(BaseAIHordeRequest):
    """List the public image styles, one page at a time, optionally only those with a tag or for a model.

    Represents a GET request to the /v2/styles/image endpoint.
    """

    sort: str | None = Field(
        default=None, description="The order: `popular` (most used first, the server's default) or `age`."
    )
    page: int | None = Field(default=None, description="Which page of results (the server starts at 1).")
    tag: str | None = Field(default=None, description="Only styles with this tag.")
    model: str | None = Field(default=None, description="Only styles meant for this model.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_styles_image

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllImageStylesResponse]:
        return AllImageStylesResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


@Unhashable
@Unequatable
class CreateImageStyleRequest(ImageStyleInputMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Create an image style owned by the caller.

    Represents a POST request to the /v2/styles/image endpoint.

    v2 API Model: `ModelStyleInputStable`
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_styles_image

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputStable"


class SingleImageStyleRequest(BaseAIHordeRequest):
    """Fetch one image style by its id.

    Represents a GET request to the /v2/styles/image/{style_id} endpoint.
    """

    style_id: StyleID = Field(min_length=1, description="The style to fetch.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageStyleDetailsResponse]:
        return ImageStyleDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


@Unhashable
@Unequatable
class ModifyImageStyleRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Change an image style the caller owns; fields left unset keep their current values.

    Represents a PATCH request to the /v2/styles/image/{style_id} endpoint.

    v2 API Model: `ModelStylePatchStable`
    """

    style_id: StyleID = Field(min_length=1, description="The style to change.")
    name: str = _patch_name_field()
    info: str | None = Field(default=None, min_length=1, max_length=1000, description="A new description.")
    prompt: str | None = Field(
        default=None,
        min_length=7,
        description="A new prompt template; it must hold `{p}` (the user's prompt) and `{np}` (the negative prompt).",
    )
    params: ImageStyleParamsPayload | None = Field(default=None, description="New generation settings.")
    public: bool | None = Field(default=None, description="List the style publicly, or only to those who know it.")
    nsfw: bool | None = Field(default=None, description="Whether the style is meant mainly for adult content.")
    tags: tuple[StyleTag, ...] | None = Field(default=None, description="New tags to find the style by.")
    models: tuple[ModelName, ...] | None = Field(default=None, description="The models the style is meant for.")
    sharedkey: str | None = Field(
        default=None,
        min_length=36,
        max_length=36,
        description="A shared key (its id) whose kudos pay for generations that use this style.",
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStylePatchStable"


class DeleteImageStyleRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Delete an image style the caller owns.

    Represents a DELETE request to the /v2/styles/image/{style_id} endpoint.
    """

    style_id: StyleID = Field(min_length=1, description="The style to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class CreateImageStyleExampleRequest(StyleExampleMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Add an example image to an image style the caller owns.

    Represents a POST request to the /v2/styles/image/{style_id}/example endpoint.

    v2 API Model: `InputStyleExamplePost`
    """

    style_id: StyleID = Field(min_length=1, description="The style the example belongs to.")
    url: str = Field(description="Where the example image can be downloaded (a URL).")
    primary: bool = Field(
        description="Show this image first among the style's examples; the server requires it (400 without)."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_example

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InputStyleExamplePost"


class ModifyImageStyleExampleRequest(StyleExampleMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Change an example image of an image style the caller owns (its URL, or whether it is the main one).

    Represents a PATCH request to the /v2/styles/image/{style_id}/example/{example_id} endpoint.

    v2 API Model: `InputStyleExamplePost`
    """

    style_id: StyleID = Field(min_length=1, description="The style the example belongs to.")
    example_id: StyleExampleID = Field(min_length=1, description="The example to change.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_example_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InputStyleExamplePost"


class DeleteImageStyleExampleRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Remove an example image from an image style the caller owns.

    Represents a DELETE request to the /v2/styles/image/{style_id}/example/{example_id} endpoint.
    """

    style_id: StyleID = Field(min_length=1, description="The style the example belongs to.")
    example_id: StyleExampleID = Field(min_length=1, description="The example to remove.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_example_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleImageStyleByNameRequest(BaseAIHordeRequest):
    """Fetch one image style by its unique name.

    Represents a GET request to the /v2/styles/image_by_name/{style_name} endpoint.
    """

    style_name: str = Field(min_length=1, description="The style's unique name (`owner::style::name`).")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_image_by_name

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ImageStyleDetailsResponse]:
        return ImageStyleDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


# ---------------------------------------------------------------------------------- text requests
class AllTextStylesRequest(BaseAIHordeRequest):
    """List the public text styles, one page at a time, optionally only those with a tag or for a model.

    Represents a GET request to the /v2/styles/text endpoint.
    """

    sort: str | None = Field(
        default=None, description="The order: `popular` (most used first, the server's default) or `age`."
    )
    page: int | None = Field(default=None, description="Which page of results (the server starts at 1).")
    tag: str | None = Field(default=None, description="Only styles with this tag.")
    model: str | None = Field(default=None, description="Only styles meant for this model.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_styles_text

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AllTextStylesResponse]:
        return AllTextStylesResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class CreateTextStyleRequest(TextStyleInputMixin, APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Create a text style owned by the caller.

    Represents a POST request to the /v2/styles/text endpoint.

    v2 API Model: `ModelStyleInputKobold`
    """

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_styles_text

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStyleInputKobold"


class SingleTextStyleRequest(BaseAIHordeRequest):
    """Fetch one text style by its id.

    Represents a GET request to the /v2/styles/text/{style_id} endpoint.
    """

    style_id: StyleID = Field(min_length=1, description="The style to fetch.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_text_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[TextStyleDetailsResponse]:
        return TextStyleDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class ModifyTextStyleRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Change a text style the caller owns; fields left unset keep their current values.

    Represents a PATCH request to the /v2/styles/text/{style_id} endpoint.

    v2 API Model: `ModelStylePatchKobold`
    """

    style_id: StyleID = Field(min_length=1, description="The style to change.")
    name: str = _patch_name_field()
    info: str | None = Field(default=None, min_length=1, max_length=1000, description="A new description.")
    prompt: str | None = Field(
        default=None, min_length=7, description="A new prompt template; it must hold `{p}` (the user's prompt)."
    )
    params: TextStyleParamsPayload | None = Field(default=None, description="New generation settings.")
    public: bool | None = Field(default=None, description="List the style publicly, or only to those who know it.")
    nsfw: bool | None = Field(default=None, description="Whether the style is meant mainly for adult content.")
    tags: tuple[StyleTag, ...] | None = Field(default=None, description="New tags to find the style by.")
    models: tuple[ModelName, ...] | None = Field(default=None, description="The models the style is meant for.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.PATCH

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_text_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[ModifyStyleResponse]:
        return ModifyStyleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelStylePatchKobold"


class DeleteTextStyleRequest(APIKeyAllowedInRequestMixin, BaseAIHordeRequest):
    """Delete a text style the caller owns.

    Represents a DELETE request to the /v2/styles/text/{style_id} endpoint.
    """

    style_id: StyleID = Field(min_length=1, description="The style to delete.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_text_by_id

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[SimpleResponse]:
        return SimpleResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class SingleTextStyleByNameRequest(BaseAIHordeRequest):
    """Fetch one text style by its unique name.

    Represents a GET request to the /v2/styles/text_by_name/{style_name} endpoint.
    """

    style_name: str = Field(min_length=1, description="The style's unique name (`owner::style::name`).")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_style_text_by_name

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[TextStyleDetailsResponse]:
        return TextStyleDetailsResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None
