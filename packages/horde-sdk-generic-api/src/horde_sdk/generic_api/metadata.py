"""Where request fields go on the wire: headers, query string, URL path, and the accepted media types.

Each enum maps a *Python field name* (the member name) to its *wire name* (the member value). When a
request model has a field whose name is a member of the header enum a client was given, the field's
value is sent as that header, never in the JSON body; likewise for query and path fields. API packages
define their own enums with the generic members plus their own and hand them to the clients.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["GenericAcceptTypes", "GenericHeaderFields", "GenericPathFields", "GenericQueryFields"]


class GenericHeaderFields(StrEnum):
    """Header fields every Horde-style API understands."""

    apikey = "apikey"
    """The API key of the caller."""
    client_agent = "Client-Agent"
    """``name:version:contact`` of the program making the request."""
    accept = "Accept"
    """The media type the caller accepts."""


class GenericAcceptTypes(StrEnum):
    """Media types a client may accept."""

    json = "application/json"


class GenericPathFields(StrEnum):
    """Base of an API's path fields (placeholders in endpoint paths). Has no members of its own."""


class GenericQueryFields(StrEnum):
    """Base of an API's query-string fields. Has no members of its own."""
