"""Every endpoint path of the AI Horde API v2, relative to the API root (``https://aihorde.net/api``)."""

from __future__ import annotations

from horde_sdk.generic_api.endpoints import GENERIC_API_ENDPOINT_SUBPATH

__all__ = [
    "AI_HORDE_API_ENDPOINT_SUBPATH",
    "AI_HORDE_BASE_URL",
    "API_KEY_REQUIRED_ROUTES",
    "CLIENT_KEY_NOT_SENT_ROUTES",
]

AI_HORDE_BASE_URL = "https://aihorde.net/api"
"""The public AI Horde's API root; every request class's default ``get_api_url()``."""


class AI_HORDE_API_ENDPOINT_SUBPATH(GENERIC_API_ENDPOINT_SUBPATH):  # noqa: N801 - name fixed by the style guide
    """The path template of each AI Horde endpoint (58 paths; several take more than one HTTP method)."""

    v2_collection_by_name = "/v2/collection_by_name/{collection_name}"
    v2_collections = "/v2/collections"
    v2_collection_by_id = "/v2/collections/{collection_id}"
    v2_documents_privacy = "/v2/documents/privacy"
    v2_documents_sponsors = "/v2/documents/sponsors"
    v2_documents_terms = "/v2/documents/terms"
    v2_filters = "/v2/filters"
    v2_filters_regex = "/v2/filters/regex"
    v2_filter_by_id = "/v2/filters/{filter_id}"
    v2_find_user = "/v2/find_user"
    v2_generate_async = "/v2/generate/async"
    v2_generate_check = "/v2/generate/check/{id}"
    v2_generate_pop = "/v2/generate/pop"
    v2_generate_rate = "/v2/generate/rate/{id}"
    v2_generate_status = "/v2/generate/status/{id}"
    v2_generate_submit = "/v2/generate/submit"
    v2_generate_text_async = "/v2/generate/text/async"
    v2_generate_text_pop = "/v2/generate/text/pop"
    v2_generate_text_status = "/v2/generate/text/status/{id}"
    v2_generate_text_submit = "/v2/generate/text/submit"
    v2_interrogate_async = "/v2/interrogate/async"
    v2_interrogate_pop = "/v2/interrogate/pop"
    v2_interrogate_status = "/v2/interrogate/status/{id}"
    v2_interrogate_submit = "/v2/interrogate/submit"
    v2_kudos_award = "/v2/kudos/award"
    v2_kudos_transfer = "/v2/kudos/transfer"
    v2_operations_block_worker_ipaddr = "/v2/operations/block_worker_ipaddr/{worker_id}"
    v2_operations_ipaddr = "/v2/operations/ipaddr"
    v2_operations_ipaddr_single = "/v2/operations/ipaddr/{ipaddr}"
    v2_sharedkeys = "/v2/sharedkeys"
    v2_sharedkey_by_id = "/v2/sharedkeys/{sharedkey_id}"
    v2_stats_img_models = "/v2/stats/img/models"
    v2_stats_img_totals = "/v2/stats/img/totals"
    v2_stats_text_models = "/v2/stats/text/models"
    v2_stats_text_totals = "/v2/stats/text/totals"
    v2_status_heartbeat = "/v2/status/heartbeat"
    v2_status_models = "/v2/status/models"
    v2_status_model_by_name = "/v2/status/models/{model_name}"
    v2_status_modes = "/v2/status/modes"
    v2_status_news = "/v2/status/news"
    v2_status_performance = "/v2/status/performance"
    v2_styles_image = "/v2/styles/image"
    v2_style_image_by_id = "/v2/styles/image/{style_id}"
    v2_style_image_example = "/v2/styles/image/{style_id}/example"
    v2_style_image_example_by_id = "/v2/styles/image/{style_id}/example/{example_id}"
    v2_style_image_by_name = "/v2/styles/image_by_name/{style_name}"
    v2_styles_text = "/v2/styles/text"
    v2_style_text_by_id = "/v2/styles/text/{style_id}"
    v2_style_text_by_name = "/v2/styles/text_by_name/{style_name}"
    v2_teams = "/v2/teams"
    v2_team_by_id = "/v2/teams/{team_id}"
    v2_users = "/v2/users"
    v2_user_by_id = "/v2/users/{user_id}"
    v2_workers = "/v2/workers"
    v2_workers_messages = "/v2/workers/messages"
    v2_worker_message_by_id = "/v2/workers/messages/{message_id}"
    v2_worker_by_name = "/v2/workers/name/{worker_name}"
    v2_worker_by_id = "/v2/workers/{worker_id}"


API_KEY_REQUIRED_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/v2/collections"),
        ("DELETE", "/v2/collections/{collection_id}"),
        ("PATCH", "/v2/collections/{collection_id}"),
        ("GET", "/v2/filters"),
        ("POST", "/v2/filters"),
        ("PUT", "/v2/filters"),
        ("GET", "/v2/filters/regex"),
        ("DELETE", "/v2/filters/{filter_id}"),
        ("GET", "/v2/filters/{filter_id}"),
        ("PATCH", "/v2/filters/{filter_id}"),
        ("GET", "/v2/find_user"),
        ("POST", "/v2/generate/async"),
        ("POST", "/v2/generate/pop"),
        ("POST", "/v2/generate/submit"),
        ("POST", "/v2/generate/text/async"),
        ("POST", "/v2/generate/text/pop"),
        ("POST", "/v2/generate/text/submit"),
        ("POST", "/v2/interrogate/async"),
        ("POST", "/v2/interrogate/pop"),
        ("POST", "/v2/interrogate/submit"),
        ("POST", "/v2/kudos/award"),
        ("POST", "/v2/kudos/transfer"),
        ("DELETE", "/v2/operations/block_worker_ipaddr/{worker_id}"),
        ("PUT", "/v2/operations/block_worker_ipaddr/{worker_id}"),
        ("DELETE", "/v2/operations/ipaddr"),
        ("GET", "/v2/operations/ipaddr"),
        ("POST", "/v2/operations/ipaddr"),
        ("GET", "/v2/operations/ipaddr/{ipaddr}"),
        ("PUT", "/v2/sharedkeys"),
        ("DELETE", "/v2/sharedkeys/{sharedkey_id}"),
        ("PATCH", "/v2/sharedkeys/{sharedkey_id}"),
        ("PUT", "/v2/status/modes"),
        ("POST", "/v2/styles/image"),
        ("DELETE", "/v2/styles/image/{style_id}"),
        ("PATCH", "/v2/styles/image/{style_id}"),
        ("POST", "/v2/styles/image/{style_id}/example"),
        ("DELETE", "/v2/styles/image/{style_id}/example/{example_id}"),
        ("PATCH", "/v2/styles/image/{style_id}/example/{example_id}"),
        ("POST", "/v2/styles/text"),
        ("DELETE", "/v2/styles/text/{style_id}"),
        ("PATCH", "/v2/styles/text/{style_id}"),
        ("POST", "/v2/teams"),
        ("DELETE", "/v2/users/{user_id}"),
        ("PUT", "/v2/users/{user_id}"),
        ("GET", "/v2/workers/messages"),
        ("POST", "/v2/workers/messages"),
        ("DELETE", "/v2/workers/messages/{message_id}"),
        ("PUT", "/v2/workers/{worker_id}"),
    }
)
"""``(method, path template)`` of the routes the AI Horde refuses without an ``apikey`` header.

From the swagger (the header is marked required), plus ``GET /v2/find_user``, which answers about the key
it is sent. Only these get the anonymous key when the caller gave none.
"""

CLIENT_KEY_NOT_SENT_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", "/v2/teams/{team_id}")})
"""Routes the client's key is never added to: any ``apikey`` header makes ``GET /v2/teams/{id}`` a moderator
request, answered 403 ``NotModerator`` for ordinary and anonymous keys (BEHAVIOUR.md). A key set on the
request itself is still sent."""
