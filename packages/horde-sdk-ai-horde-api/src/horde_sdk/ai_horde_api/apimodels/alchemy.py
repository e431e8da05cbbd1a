"""Alchemy (the API calls it interrogation) as a client sees it: submitting, fetching and cancelling a request.

Endpoints: ``/v2/interrogate/async`` (POST) and ``/v2/interrogate/status/{id}`` (GET, DELETE).

An alchemy request applies one or more forms (caption, NSFW check, an upscaler, a face fixer...) to one
source image. Its status has an overall `state` (`done`, `partial` after a cancel...) and one entry per form
with the form's own `state` and `result`; a post-processor's result is a download URL of the new image.

Form payloads and results are free-form JSON objects, so the models holding them are marked
``@Unhashable``/``@Unequatable``.

:meth:`AlchemyAsyncRequest.from_generation_parameters` builds a request from an
:class:`~horde_sdk.generation_parameters.AlchemyParameters`.
"""

from __future__ import annotations

from http import HTTPMethod, HTTPStatus
from typing import Annotated, Any

from pydantic import ConfigDict, Field, RootModel
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest, JobRequestMixin
from horde_sdk.ai_horde_api.apimodels.generate_image import image_as_api_text
from horde_sdk.ai_horde_api.consts import ALCHEMY_FORM_STATE, ALCHEMY_REQUEST_STATE
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.generation_parameters import AlchemyParameters, KnownAlchemyForm
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObject,
    HordeAPIObjectBaseModel,
    HordeRequest,
    HordeResponse,
    HordeResponseBaseModel,
    ResponseRequiringFollowUpMixin,
)
from horde_sdk.generic_api.consts import get_request_model_config_dict
from horde_sdk.generic_api.decoration import Unequatable, Unhashable

__all__ = [
    "AlchemyAsyncRequest",
    "AlchemyAsyncResponse",
    "AlchemyFormEntry",
    "AlchemyFormPayload",
    "AlchemyFormResult",
    "AlchemyFormStatusEntry",
    "AlchemyStatusRequest",
    "AlchemyStatusResponse",
    "DeleteAlchemyRequest",
]


@Unhashable
@Unequatable
class AlchemyFormPayload(HordeAPIObject, RootModel[dict[str, str]]):
    """Extra settings of one alchemy form, keyed by setting name (most forms take none).

    v2 API Model: `ModelInterrogationFormPayloadStable`
    """

    model_config = ConfigDict(frozen=True, from_attributes=True, use_attribute_docstrings=False)

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelInterrogationFormPayloadStable"


@Unhashable
@Unequatable
class AlchemyFormResult(HordeAPIObject, RootModel[dict[str, Any]]):
    """The result of one finished form, keyed by the form's name.

    For example ``{"caption": "a cat on a sofa"}``, ``{"nsfw": false}``, or for a post-processor a download
    URL of the new image: ``{"RealESRGAN_x2plus": "https://..."}``.

    v2 API Model: `InterrogationFormResult`
    """

    model_config = ConfigDict(frozen=True, from_attributes=True, use_attribute_docstrings=False)

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InterrogationFormResult"


@Unhashable
@Unequatable
class AlchemyFormEntry(HordeAPIObjectBaseModel):
    """One form to apply to the source image, with its settings.

    v2 API Model: `ModelInterrogationFormStable`
    """

    name: KnownAlchemyForm = Field(description="The form, e.g. `caption` or `RealESRGAN_x4plus`.")
    payload: AlchemyFormPayload | None = Field(default=None, description="Extra settings of the form, if any.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelInterrogationFormStable"


@Unhashable
@Unequatable
class AlchemyAsyncRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Ask the horde to apply alchemy forms to an image; the answer carries the id to follow the request with.

    Represents a POST request to the /v2/interrogate/async endpoint.

    v2 API Model: `ModelInterrogationInputStable`
    """

    model_config = get_request_model_config_dict()

    forms: tuple[AlchemyFormEntry, ...] | None = Field(default=None, description="The forms to apply.")
    source_image: str | None = Field(default=None, description="The image to work on: a URL or base64 webp.")
    slow_workers: bool = Field(default=True, description="Slow workers may serve it.")
    webhook: str | None = Field(
        default=None, min_length=10, max_length=1024, description="An https URL called for each finished form."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_interrogate_async

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AlchemyAsyncResponse]:
        return AlchemyAsyncResponse

    @override
    @classmethod
    def get_success_status_response_pairs(cls) -> dict[HTTPStatus, type[HordeResponse]]:
        return {HTTPStatus.ACCEPTED: AlchemyAsyncResponse}

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "ModelInterrogationInputStable"

    @classmethod
    def from_generation_parameters(
        cls,
        parameters: AlchemyParameters,
        **routing: Any,  # noqa: ANN401 - any other field of this request
    ) -> AlchemyAsyncRequest:
        """Build a request applying the forms of `parameters` to its source image.

        Each form becomes an entry named by its wire name; a source image given as bytes is sent as base64.
        Per-form settings that the API has no field for (such as a face fixer's strength) are not sent.

        Args:
            parameters: What to apply to which image.
            **routing: Other fields of the request (``slow_workers``, ``webhook``, ``apikey``).

        Returns:
            The request.
        """
        body: dict[str, Any] = {
            "forms": tuple(AlchemyFormEntry(name=name) for name in parameters.get_form_names()),
            "source_image": image_as_api_text(parameters.source_image),
        }
        body.update(routing)
        return cls.model_validate(body)


class AlchemyAsyncResponse(HordeResponseBaseModel, ResponseRequiringFollowUpMixin):
    """The acceptance of an alchemy request: its id.

    Until the request is done (or cancelled) a session cancels it on exit.

    Represents the data returned from the /v2/interrogate/async endpoint with http status code 202.

    v2 API Model: `RequestInterrogationResponse`
    """

    id_: Annotated[JobID | None, Field(alias="id", description="The id to fetch or cancel the request.")] = None
    message: str | None = Field(default=None, description="A note from the server about the request, if any.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "RequestInterrogationResponse"

    @override
    def get_follow_up_key(self) -> str:
        if self.id_ is None:
            raise ValueError("this answer carries no request id; nothing was started")
        return self.id_

    @override
    def get_follow_up_failure_cleanup_requests(self) -> list[HordeRequest]:
        return [DeleteAlchemyRequest(id_=JobID(self.get_follow_up_key()))]

    @override
    def does_require_follow_up(self) -> bool:
        return self.id_ is not None


@Unhashable
@Unequatable
class AlchemyFormStatusEntry(HordeAPIObjectBaseModel):
    """The state of one form of an alchemy request, and its result once done.

    v2 API Model: `InterrogationFormStatus`
    """

    form: KnownAlchemyForm | None = Field(default=None, description="The form's name.")
    state: Annotated[ALCHEMY_FORM_STATE | str, KnownValue(ALCHEMY_FORM_STATE)] | None = Field(
        default=None, description="`waiting`, `processing`, `done`, `faulted` or `cancelled`."
    )
    result: AlchemyFormResult | None = Field(default=None, description="The result, keyed by the form's name.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InterrogationFormStatus"


@Unhashable
@Unequatable
class AlchemyStatusResponse(HordeResponseBaseModel):
    """The state of an alchemy request and of each of its forms, with the results so far.

    Represents the data returned from the following endpoints and http status codes:
        - /v2/interrogate/status/{id} | AlchemyStatusRequest [GET] -> 200
        - /v2/interrogate/status/{id} | DeleteAlchemyRequest [DELETE] -> 200

    v2 API Model: `InterrogationStatus`
    """

    state: Annotated[ALCHEMY_REQUEST_STATE | str, KnownValue(ALCHEMY_REQUEST_STATE)] | None = Field(
        default=None, description="The overall state: `done` when every form is, `partial` after a cancel..."
    )
    forms: tuple[AlchemyFormStatusEntry, ...] | None = Field(default=None, description="One entry per form.")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InterrogationStatus"

    def is_done(self) -> bool:
        """Return True when the whole request is done."""
        return self.state == ALCHEMY_REQUEST_STATE.done

    def get_results(self) -> dict[str, Any]:
        """Return the results of the finished forms merged into one mapping keyed by form name."""
        merged: dict[str, Any] = {}
        for form in self.forms or ():
            if form.result is not None:
                merged.update(form.result.root)
        return merged


class AlchemyStatusRequest(BaseAIHordeRequest, JobRequestMixin):
    """Fetch the state and results of an alchemy request.

    Represents a GET request to the /v2/interrogate/status/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_interrogate_status

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AlchemyStatusResponse]:
        return AlchemyStatusResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        if isinstance(response, AlchemyStatusResponse) and response.is_done():
            return self.id_
        return None


class DeleteAlchemyRequest(BaseAIHordeRequest, JobRequestMixin):
    """Cancel an alchemy request: unfinished forms become `cancelled` and the request `partial`.

    Represents a DELETE request to the /v2/interrogate/status/{id} endpoint.
    """

    model_config = get_request_model_config_dict()

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.DELETE

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_interrogate_status

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AlchemyStatusResponse]:
        return AlchemyStatusResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None

    @override
    def get_follow_up_resolved_key(self, response: HordeResponse) -> str | None:
        # A cancelled request needs nothing more, whatever the answer says.
        return self.id_
