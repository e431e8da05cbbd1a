"""Where AI Horde request fields travel: header, query string or URL path.

Member name: the Python field; member value: the wire name. A request field with one of these names is
never put in the JSON body.
"""

from __future__ import annotations

from enum import StrEnum

from horde_sdk.generic_api.metadata import GenericAcceptTypes, GenericPathFields, GenericQueryFields

__all__ = ["AIHordeAcceptTypes", "AIHordeHeaderFields", "AIHordePathFields", "AIHordeQueryFields"]


class AIHordeHeaderFields(StrEnum):
    """Header fields of the AI Horde API.

    ``X-Fields`` (the server's response field mask) is deliberately absent: a masked response would not
    match the SDK's typed models.
    """

    apikey = "apikey"
    """The caller's API key (anonymous: ``0000000000``)."""
    client_agent = "Client-Agent"
    """``name:version:contact`` of the calling program."""
    accept = "Accept"
    """Accepted media type."""
    idempotency_key = "Idempotency-Key"
    """Makes a kudos transfer safe to retry: the server applies one transfer per key."""


class AIHordeQueryFields(GenericQueryFields):
    """Query-string fields of the AI Horde API."""

    contains = "contains"
    filter_type = "filter_type"
    format_ = "format"
    max_count = "max_count"
    min_count = "min_count"
    model = "model"
    model_state = "model_state"
    name = "name"
    page = "page"
    sort = "sort"
    tag = "tag"
    type_ = "type"
    user_id = "user_id"
    validity = "validity"
    worker_id = "worker_id"


class AIHordePathFields(GenericPathFields):
    """Path placeholders of the AI Horde API (value: the placeholder's name in the path template)."""

    collection_id = "collection_id"
    collection_name = "collection_name"
    example_id = "example_id"
    filter_id = "filter_id"
    id_ = "id"
    ipaddr = "ipaddr"
    message_id = "message_id"
    model_name = "model_name"
    sharedkey_id = "sharedkey_id"
    style_id = "style_id"
    style_name = "style_name"
    team_id = "team_id"
    user_id = "user_id"
    worker_id = "worker_id"
    worker_name = "worker_name"


class AIHordeAcceptTypes(StrEnum):
    """Media types the AI Horde answers with."""

    json = GenericAcceptTypes.json.value
