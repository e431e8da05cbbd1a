"""Bases and mixins shared by the AI Horde request and response models of every endpoint family."""

from __future__ import annotations

from pydantic import Field

from horde_sdk.ai_horde_api.endpoints import AI_HORDE_BASE_URL
from horde_sdk.ai_horde_api.fields import JobID
from horde_sdk.generic_api.apimodels import HordeAPIData, HordeRequest

__all__ = ["BaseAIHordeRequest", "JobRequestMixin"]


class BaseAIHordeRequest(HordeRequest):
    """Base of every AI Horde request: its default API root is the public AI Horde."""

    @classmethod
    def get_api_url(cls) -> str:
        """Return the public AI Horde's API root; a client's ``base_url`` overrides it."""
        return AI_HORDE_BASE_URL


class JobRequestMixin(HordeAPIData):
    """A request about one async request (check, status, cancel): carries its id in the path."""

    id_: JobID = Field(alias="id", min_length=1, description="The id the server gave the async request.")
