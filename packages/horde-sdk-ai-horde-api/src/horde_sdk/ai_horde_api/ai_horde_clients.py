"""Manual clients and client sessions for the AI Horde.

- :class:`AIHordeAPIManualClient` / :class:`AIHordeAPIAsyncManualClient`: every operation of the API,
  typed request in, typed response out, no bookkeeping.
- :class:`AIHordeAPIClientSession` / :class:`AIHordeAPIAsyncClientSession`: the same, and every job the
  session started and did not see finish is cancelled on the server when the ``with`` block exits for any
  reason (the per-kind cancel requests come from the async responses' follow-up methods).

They are the generic clients with the AI Horde's wire names, the public horde as default server, the
anonymous key as default key, and a client-side rate limiter that keeps a client under the server's
documented limits (pass ``enforce_rate_limits=False`` to turn it off, e.g. against a local horde).
"""

from __future__ import annotations

from typing import Any, TypedDict

from typing_extensions import Unpack

from horde_sdk.ai_horde_api.__about__ import __version__
from horde_sdk.ai_horde_api.consts import AI_HORDE_RATE_LIMIT_RULES, ANON_API_KEY
from horde_sdk.ai_horde_api.metadata import (
    AIHordeAcceptTypes,
    AIHordeHeaderFields,
    AIHordePathFields,
    AIHordeQueryFields,
)
from horde_sdk.generic_api.generic_clients import (
    GenericAsyncHordeAPIManualClient,
    GenericAsyncHordeAPISession,
    GenericHordeAPIManualClient,
    GenericHordeAPISession,
)
from horde_sdk.generic_api.ratelimit import ClientRateLimiter
from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts, RetryPolicy
from horde_sdk.generic_api.transport import AsyncHTTPClient, SyncHTTPClient

__all__ = [
    "DEFAULT_AI_HORDE_CLIENT_AGENT",
    "AIHordeAPIAsyncClientSession",
    "AIHordeAPIAsyncManualClient",
    "AIHordeAPIClientSession",
    "AIHordeAPIManualClient",
    "AIHordeClientOptions",
]

DEFAULT_AI_HORDE_CLIENT_AGENT = f"horde-sdk-ai-horde-api:{__version__}:https://pypi.org/project/horde-sdk-ai-horde-api"
"""The ``Client-Agent`` sent when none is given. Please pass your own (``name:version:contact``)."""


class AIHordeClientOptions(TypedDict, total=False):
    """Keyword arguments every AI Horde client accepts.

    Attributes:
        settings: Complete settings; the other options override its fields.
        base_url: API root; default ``https://aihorde.net/api``.
        api_key: Your API key, sent with every request that takes one. Without it, requests go without a key
            except those the AI Horde refuses without one (submitting jobs, popping...), which carry the
            anonymous key ``0000000000``. Never logged or shown.
        client_agent: ``name:version:contact`` of your program.
        timeouts: Per-phase timeouts.
        retry: Retry policy.
        rate_limiter: A client-side rate limiter to use (share one between clients of one program).
        enforce_rate_limits: Create a limiter with the AI Horde's documented limits when none is given
            (default True).
    """

    settings: HordeClientSettings
    base_url: str
    api_key: str
    client_agent: str
    timeouts: HordeTimeouts
    retry: RetryPolicy
    rate_limiter: ClientRateLimiter
    enforce_rate_limits: bool


def _ai_horde_options(options: AIHordeClientOptions) -> dict[str, Any]:
    """Return generic client keyword arguments with the AI Horde's defaults filled in."""
    resolved: dict[str, Any] = dict(options)
    enforce = resolved.pop("enforce_rate_limits", True)
    settings: HordeClientSettings | None = resolved.get("settings")
    if settings is None or settings.anonymous_api_key is None:
        resolved.setdefault("anonymous_api_key", ANON_API_KEY)
    if settings is None or settings.client_agent == HordeClientSettings().client_agent:
        resolved.setdefault("client_agent", DEFAULT_AI_HORDE_CLIENT_AGENT)
    has_limiter = resolved.get("rate_limiter") is not None or (settings is not None and settings.rate_limiter)
    if enforce and not has_limiter:
        resolved["rate_limiter"] = ClientRateLimiter(AI_HORDE_RATE_LIMIT_RULES)
    resolved.update(
        header_fields=AIHordeHeaderFields,
        query_fields=AIHordeQueryFields,
        path_fields=AIHordePathFields,
        accept_types=AIHordeAcceptTypes,
    )
    return resolved


class AIHordeAPIManualClient(GenericHordeAPIManualClient):
    """A blocking AI Horde client: typed request in, typed response out (see :class:`AIHordeClientOptions`).

    Args:
        http_client: An ``httpx.Client`` to use instead of creating one; it is not closed by this client.
        **options: See :class:`AIHordeClientOptions`.
    """

    def __init__(self, *, http_client: SyncHTTPClient | None = None, **options: Unpack[AIHordeClientOptions]) -> None:
        super().__init__(http_client=http_client, **_ai_horde_options(options))


class AIHordeAPIAsyncManualClient(GenericAsyncHordeAPIManualClient):
    """An async AI Horde client: typed request in, typed response out (see :class:`AIHordeClientOptions`).

    Args:
        http_client: An ``httpx.AsyncClient`` to use instead of creating one; it is not closed by this client.
        **options: See :class:`AIHordeClientOptions`.
    """

    def __init__(self, *, http_client: AsyncHTTPClient | None = None, **options: Unpack[AIHordeClientOptions]) -> None:
        super().__init__(http_client=http_client, **_ai_horde_options(options))


class AIHordeAPIClientSession(GenericHordeAPISession):
    """A blocking AI Horde session: on exit, every job it started and did not see finish is cancelled.

    Args:
        cleanup_timeout: Seconds the exit may spend cancelling jobs.
        http_client: An ``httpx.Client`` to use instead of creating one; it is not closed by this client.
        **options: See :class:`AIHordeClientOptions`.
    """

    def __init__(
        self,
        *,
        cleanup_timeout: float = 30.0,
        http_client: SyncHTTPClient | None = None,
        **options: Unpack[AIHordeClientOptions],
    ) -> None:
        super().__init__(cleanup_timeout=cleanup_timeout, http_client=http_client, **_ai_horde_options(options))


class AIHordeAPIAsyncClientSession(GenericAsyncHordeAPISession):
    """An async AI Horde session: on exit (even by cancellation), unfinished jobs are cancelled, shielded.

    Args:
        cleanup_timeout: Seconds the exit may spend cancelling jobs.
        http_client: An ``httpx.AsyncClient`` to use instead of creating one; it is not closed by this client.
        **options: See :class:`AIHordeClientOptions`.
    """

    def __init__(
        self,
        *,
        cleanup_timeout: float = 30.0,
        http_client: AsyncHTTPClient | None = None,
        **options: Unpack[AIHordeClientOptions],
    ) -> None:
        super().__init__(cleanup_timeout=cleanup_timeout, http_client=http_client, **_ai_horde_options(options))
