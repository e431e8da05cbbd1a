"""Alchemy as a worker sees it: asking for forms to run (pop) and handing back their results (submit).

Endpoints: ``/v2/interrogate/pop`` (POST) and ``/v2/interrogate/submit`` (POST).

A pop answer lists one entry per form to run, each with its own id, a presigned download URL of the source
image and, for post-processors, a presigned ``r2_upload`` URL for the new image. An answer with no form is an
empty pop. :meth:`AlchemyPopFormEntry.get_generation_parameters` describes one form as an
:class:`~horde_sdk.generation_parameters.AlchemyParameters` (one form each); it raises
:class:`~horde_sdk.ai_horde_api.apimodels.generate_image_worker.UnusableJobPayloadError` for a form that
cannot be run (no source image), and keeps a form name it does not know (after a logged warning).

The server differs from its swagger on submit: `result` is a JSON object keyed by the form's name
(``{"caption": "a cat"}``, ``{"RealESRGAN_x2plus": "R2"}`` after an upload), not a string.
:class:`AlchemyJobSubmitRequest` follows the server.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.alchemy import AlchemyFormPayload
from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.apimodels.generate_image import JobSubmitResponse
from horde_sdk.ai_horde_api.apimodels.generate_image_worker import (
    GENERATION_UPLOADED_TO_R2,
    UnusableJobPayloadError,
    describe_validation_error,
)
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.ai_horde_api.fields import GenerationID
from horde_sdk.generation_parameters import AlchemyParameters, KnownAlchemyForm, get_alchemy_form_parameters
from horde_sdk.generic_api.apimodels import (
    APIKeyAllowedInRequestMixin,
    HordeAPIObjectBaseModel,
    HordeResponseBaseModel,
)
from horde_sdk.generic_api.consts import _ANONYMOUS_MODEL, get_request_model_config_dict
from horde_sdk.generic_api.decoration import Unequatable, Unhashable

__all__ = [
    "AlchemyJobPopRequest",
    "AlchemyJobPopResponse",
    "AlchemyJobSubmitRequest",
    "AlchemyPopFormEntry",
    "NoValidInterrogationsFound",
]


class AlchemyJobPopRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Ask for alchemy forms to run, saying which forms this worker offers.

    The Python field `worker_name` travels as `name` (``name`` is a query field of the AI Horde client).

    Represents a POST request to the /v2/interrogate/pop endpoint.

    v2 API Model: `InterrogationPopInput`
    """

    model_config = get_request_model_config_dict()

    worker_name: Annotated[str | None, Field(alias="name", description="The worker's unique name.")] = None
    priority_usernames: tuple[str, ...] | None = Field(
        default=None, description="Users (`name#id`) whose requests this worker serves first."
    )
    forms: tuple[KnownAlchemyForm, ...] | None = Field(default=None, description="The forms the worker can run.")
    amount: int = Field(default=1, description="How many forms to take at once.")
    bridge_agent: str = Field(
        default="unknown", max_length=1000, description="The worker software as `name:version:url`."
    )
    threads: int = Field(default=1, ge=1, le=100, description="How many forms the worker runs at the same time.")
    max_tiles: int = Field(
        default=16, ge=1, le=256, description="The largest image it post-processes, in 512x512 tiles."
    )

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_interrogate_pop

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[AlchemyJobPopResponse]:
        return AlchemyJobPopResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InterrogationPopInput"


class NoValidInterrogationsFound(HordeAPIObjectBaseModel):
    """Why queued alchemy forms were not given to this worker, counted per reason.

    v2 API Model: `NoValidInterrogationsFound`
    """

    worker_id: int | None = Field(default=None, ge=0, description="Forms limited to other workers.")
    untrusted: int | None = Field(default=None, ge=0, description="Forms needing a trusted worker.")
    bridge_version: int | None = Field(
        default=None, ge=0, description="Forms needing a newer version of the worker software."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "NoValidInterrogationsFound"


@Unhashable
@Unequatable
class AlchemyPopFormEntry(HordeAPIObjectBaseModel):
    """One form for this worker to run on one image.

    v2 API Model: `InterrogationPopFormPayload`
    """

    id_: Annotated[GenerationID | None, Field(alias="id", description="The id to submit the result with.")] = None
    form: KnownAlchemyForm | None = Field(default=None, description="The form to run.")
    payload: AlchemyFormPayload | None = Field(default=None, description="Extra settings of the form, if any.")
    source_image: str | None = Field(default=None, description="Presigned URL to download the image from.")
    r2_upload: str | None = Field(
        default=None, description="For post-processors: presigned URL to PUT the new image to (then submit `R2`)."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InterrogationPopFormPayload"

    def get_generation_parameters(self) -> AlchemyParameters:
        """Describe this form as alchemy parameters with one form.

        The source image stays a URL: download it and replace it (``model_copy``) before running the form.

        Returns:
            The parameter set.

        Raises:
            UnusableJobPayloadError: The entry has no form name or no source image.
        """
        if self.form is None:
            raise UnusableJobPayloadError("the entry names no form", job_id=self.id_)
        if not self.source_image:
            raise UnusableJobPayloadError(f"form {str(self.form)!r} has no source image", job_id=self.id_)
        try:
            return AlchemyParameters.model_validate(
                {"source_image": self.source_image, "forms": (get_alchemy_form_parameters(str(self.form)),)}
            )
        except ValueError as error:
            raise UnusableJobPayloadError(describe_validation_error(error), job_id=self.id_) from None


@Unhashable
@Unequatable
class AlchemyJobPopResponse(HordeResponseBaseModel):
    """Alchemy forms for this worker to run, or (with none) the reasons there were none.

    Represents the data returned from the /v2/interrogate/pop endpoint with http status code 200.

    v2 API Model: `InterrogationPopPayload`
    """

    forms: tuple[AlchemyPopFormEntry, ...] | None = Field(default=None, description="The forms to run.")
    skipped: NoValidInterrogationsFound | None = Field(
        default=None, description="How many queued forms were passed over, per reason."
    )

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "InterrogationPopPayload"

    def has_job(self) -> bool:
        """Return True when at least one form was given to the worker."""
        return bool(self.forms)

    def is_empty(self) -> bool:
        """Return True for an empty pop (no form)."""
        return not self.has_job()

    def get_generation_parameters(self) -> tuple[AlchemyParameters, ...]:
        """Describe every form as alchemy parameters (one form each), in order.

        Returns:
            One parameter set per form; empty for an empty pop.

        Raises:
            UnusableJobPayloadError: A form cannot be run; use :meth:`AlchemyPopFormEntry.get_generation_parameters`
                per form to fault only that one.
        """
        return tuple(form.get_generation_parameters() for form in self.forms or ())


@Unhashable
@Unequatable
class AlchemyJobSubmitRequest(BaseAIHordeRequest, APIKeyAllowedInRequestMixin):
    """Hand back the result of one alchemy form.

    `result` maps the form's name to its result: a caption text, the interrogation's terms, the NSFW verdict,
    or :data:`~horde_sdk.ai_horde_api.apimodels.generate_image_worker.GENERATION_UPLOADED_TO_R2` after a
    post-processor's image was PUT to the form's `r2_upload` URL.

    Represents a POST request to the /v2/interrogate/submit endpoint.

    v2 API Model: `_ANONYMOUS_MODEL`
    """

    model_config = get_request_model_config_dict()

    id_: Annotated[GenerationID | None, Field(alias="id", description="The id of the form (from the pop).")] = None
    # The swagger types `result` as a string; the server wants a JSON object keyed by the form's name
    # ({"caption": "a cat"}, {"RealESRGAN_x2plus": "R2"}). The model follows the server
    # (../shared/ai_horde/BEHAVIOUR.md, "Where the swagger is wrong"; surface test difference
    # `interrogate-submit-result-object`).
    # The value is JSON of the form's kind: `nsfw` a boolean, `interrogation` an object, `caption` a string,
    # a post-processor "R2"; the server stores it and hands it back unchanged in the status (BEHAVIOUR.md).
    result: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The result keyed by the form's name, of the form's kind: "
            '`{"caption": "a cat"}`, `{"nsfw": false}`, `{"interrogation": {...}}`, `{"RealESRGAN_x2plus": "R2"}`.'
        ),
    )
    state: str | None = Field(default=None, description="How the form ended: `ok` or `faulted`.")

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.POST

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_interrogate_submit

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[JobSubmitResponse]:
        return JobSubmitResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return _ANONYMOUS_MODEL

    @classmethod
    def for_uploaded_image(cls, form_entry: AlchemyPopFormEntry, **fields: Any) -> AlchemyJobSubmitRequest:  # noqa: ANN401
        """Build the submission of a post-processor form whose image was PUT to its `r2_upload` URL.

        Args:
            form_entry: The popped form.
            **fields: Other fields (``apikey``, ``state``).

        Returns:
            The request, with ``result = {form name: "R2"}``.
        """
        return cls.model_validate(
            {"id": form_entry.id_, "result": {str(form_entry.form): GENERATION_UPLOADED_TO_R2}, **fields}
        )
