"""The horde's legal and sponsor documents, as HTML or markdown.

Endpoints: ``/v2/documents/privacy``, ``/v2/documents/sponsors`` and ``/v2/documents/terms``.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPMethod
from typing import Annotated

from pydantic import Field
from typing_extensions import override

from horde_sdk.ai_horde_api.apimodels.base import BaseAIHordeRequest
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.generation_parameters.validation import KnownValue
from horde_sdk.generic_api.apimodels import HordeResponseBaseModel

__all__ = [
    "KNOWN_DOCUMENT_FORMAT",
    "BaseDocumentRequest",
    "HordeDocumentResponse",
    "PrivacyPolicyRequest",
    "SponsorsRequest",
    "TermsRequest",
]


class KNOWN_DOCUMENT_FORMAT(StrEnum):  # noqa: N801 - KNOWN_-style constant set
    """The formats the horde serves its documents in (``format`` query)."""

    html = "html"
    markdown = "markdown"


KnownDocumentFormat = Annotated[KNOWN_DOCUMENT_FORMAT | str, KnownValue(KNOWN_DOCUMENT_FORMAT)]


class HordeDocumentResponse(HordeResponseBaseModel):
    """One of the horde's documents (privacy policy, sponsors or terms of service).

    Represents the data returned from the following endpoints and http status codes:
        - /v2/documents/privacy | PrivacyPolicyRequest [GET] -> 200
        - /v2/documents/sponsors | SponsorsRequest [GET] -> 200
        - /v2/documents/terms | TermsRequest [GET] -> 200

    v2 API Model: `HordeDocument`
    """

    html: str | None = Field(default=None, description="The document as HTML (set when HTML was asked for).")
    markdown: str | None = Field(default=None, description="The document as markdown (set when it was asked for).")

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return "HordeDocument"


class BaseDocumentRequest(BaseAIHordeRequest):
    """Base of the three document requests: they differ only in their endpoint."""

    format_: Annotated[
        KnownDocumentFormat | None, Field(alias="format", description="`html` (the server's default) or `markdown`.")
    ] = None

    @override
    @classmethod
    def get_http_method(cls) -> HTTPMethod:
        return HTTPMethod.GET

    @override
    @classmethod
    def get_default_success_response_type(cls) -> type[HordeDocumentResponse]:
        return HordeDocumentResponse

    @override
    @classmethod
    def get_api_model_name(cls) -> str | None:
        return None


class PrivacyPolicyRequest(BaseDocumentRequest):
    """Fetch the horde's privacy policy.

    Represents a GET request to the /v2/documents/privacy endpoint.
    """

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_documents_privacy


class SponsorsRequest(BaseDocumentRequest):
    """Fetch the list of the horde's sponsors.

    Represents a GET request to the /v2/documents/sponsors endpoint.
    """

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_documents_sponsors


class TermsRequest(BaseDocumentRequest):
    """Fetch the horde's terms of service.

    Represents a GET request to the /v2/documents/terms endpoint.
    """

    @override
    @classmethod
    def get_api_endpoint_subpath(cls) -> AI_HORDE_API_ENDPOINT_SUBPATH:
        return AI_HORDE_API_ENDPOINT_SUBPATH.v2_documents_terms
