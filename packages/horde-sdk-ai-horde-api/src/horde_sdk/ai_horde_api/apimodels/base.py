"""Bases and mixins shared by the AI Horde request and response models of every endpoint family."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from horde_sdk.ai_horde_api.endpoints import AI_HORDE_BASE_URL, API_KEY_REQUIRED_ROUTES, CLIENT_KEY_NOT_SENT_ROUTES
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.generic_api.apimodels import HordeAPIData, HordeRequest

__all__ = ["BaseAIHordeRequest", "JobRequestMixin"]


class BaseAIHordeRequest(HordeRequest):
    """Base of every AI Horde request: its default API root is the public AI Horde."""

    @classmethod
    def get_api_url(cls) -> str:
        """Return the public AI Horde's API root; a client's ``base_url`` overrides it."""
        return AI_HORDE_BASE_URL

    @classmethod
    def is_api_key_required(cls) -> bool:
        """Return True for the routes the AI Horde refuses without a key (``API_KEY_REQUIRED_ROUTES``)."""
        return (str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) in API_KEY_REQUIRED_ROUTES

    @classmethod
    def is_client_api_key_sent(cls) -> bool:
        """Return False for the routes a key changes the meaning of (``CLIENT_KEY_NOT_SENT_ROUTES``)."""
        return (str(cls.get_http_method()), str(cls.get_api_endpoint_subpath())) not in CLIENT_KEY_NOT_SENT_ROUTES


class JobRequestMixin(HordeAPIData):
    """A request about one async request (check, status, cancel): carries its id in the path."""

    id_: Annotated[JobID, Field(alias="id", min_length=1, description="The id the server gave the async request.")]
