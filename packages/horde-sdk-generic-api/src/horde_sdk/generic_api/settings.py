"""Per-client settings: base URL, API key, client agent, timeouts, size caps, retries and rate limiting.

Settings are given to a client once, at construction; nothing is read from module globals or the
environment at import. :class:`RetryPolicy` holds the retry *decisions* (pure functions of the outcome),
used identically by the sync and async clients.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

from horde_sdk.generic_api.consts import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
)
from horde_sdk.generic_api.ratelimit import ClientRateLimiter

__all__ = ["HordeClientSettings", "HordeTimeouts", "RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class HordeTimeouts:
    """Timeouts in seconds: one for each phase of a request, and one for the whole call.

    There is no "no timeout" value. The phase timeouts bound one wait each (httpx semantics: ``read`` is
    the longest pause between two received chunks, so a server that drips bytes never trips it);
    ``total`` bounds everything a call does (connecting, sending, receiving, every retry and every wait),
    so it is what a caller can rely on.

    Attributes:
        connect: Establishing the connection.
        read: Waiting for the next response bytes.
        write: Sending the request.
        pool: Waiting for a free pooled connection.
        total: The whole call, retries and waits included (default 120 s: two default read timeouts, so a
            call whose first try stalls can be retried once). Raise it with ``read`` for slow servers.
    """

    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT
    write: float = DEFAULT_WRITE_TIMEOUT
    pool: float = DEFAULT_POOL_TIMEOUT
    total: float = DEFAULT_TOTAL_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool", "total"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (0 < value < math.inf):
                raise ValueError(f"timeout {name!r} must be a positive finite number of seconds, got {value!r}")

    @classmethod
    def uniform(cls, seconds: float, *, total: float = DEFAULT_TOTAL_TIMEOUT) -> HordeTimeouts:
        """Return timeouts with the same limit for every phase and the given ``total``."""
        return cls(connect=seconds, read=seconds, write=seconds, pool=seconds, total=total)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Return the seconds a 429/503 answer asks to wait: the later of ``Retry-After`` and ``X-Ratelimit-Reset``.

    ``Retry-After`` may be seconds or an HTTP date. ``X-Ratelimit-Reset`` may be seconds to wait or an
    epoch timestamp (values above 10⁹ are read as timestamps). The AI Horde counts in fixed windows: near
    the end of one a 429 says ``Retry-After: 0`` while ``X-Ratelimit-Reset`` is still ahead, and only the
    reset is right, so the later of the two wins. ``now`` is the wall-clock time to compare dates with
    (default: :func:`time.time`). Header names are matched case-insensitively; an unreadable value is
    ignored. None when neither header gives a wait.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    wall_now = time.time() if now is None else now
    waits = [
        wait
        for wait in (
            _retry_after_seconds(lowered.get("retry-after"), wall_now),
            _reset_seconds(lowered.get("x-ratelimit-reset"), wall_now),
        )
        if wait is not None
    ]
    return max(waits) if waits else None


def _retry_after_seconds(value: str | None, wall_now: float) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, moment.timestamp() - wall_now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _reset_seconds(value: str | None, wall_now: float) -> float | None:
    if value is None:
        return None
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(reset):
        return None
    if reset > 1e9:
        return max(0.0, reset - wall_now)
    return max(0.0, reset)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    - 429 is always retried (the server did not act), waiting the later of what ``Retry-After`` and
      ``X-Ratelimit-Reset`` say (:func:`parse_retry_after`), unless that is longer than
      ``max_retry_after``. The request core never waits past the call's deadline: a wait that would
      end after it fails the call at once with :class:`~horde_sdk.generic_api.exceptions.HordeTimeoutError`.
    - 502, 503 and 504 are retried for idempotent requests; for others only the statuses in
      ``retry_statuses_non_idempotent`` (503 by default: the server refused before acting). A 502 or 504
      on a POST may hide a job that was created, so it is never retried blindly.
    - Transport failures are retried when the request never left (connection refused, pool timeout) or
      the request is idempotent; a read timeout on a POST is not retried.
    - Waits grow exponentially from ``backoff_base`` up to ``backoff_max``, with jitter.

    Attributes:
        max_attempts: Total tries including the first (1 disables retries).
        backoff_base: First backoff in seconds.
        backoff_max: Upper bound of one backoff in seconds.
        max_retry_after: The longest server-requested wait that is honoured by waiting; longer ones raise.
        retry_statuses_idempotent: Statuses retried for idempotent requests.
        retry_statuses_non_idempotent: Statuses retried for other requests.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    retry_statuses_idempotent: frozenset[int] = frozenset({429, 502, 503, 504})
    retry_statuses_non_idempotent: frozenset[int] = frozenset({429, 503})

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.max_retry_after < 0:
            raise ValueError("backoff_base, backoff_max and max_retry_after must not be negative")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """Return a policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Return the wait before try ``attempt + 1`` (``attempt`` counts from 1), with equal jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def delay_after_status(
        self,
        *,
        attempt: int,
        status_code: int,
        idempotent: bool,
        headers: Mapping[str, str],
        rng: random.Random,
    ) -> float | None:
        """Return the wait before retrying after a non-2xx answer, or None to give up."""
        if attempt >= self.max_attempts:
            return None
        allowed = self.retry_statuses_idempotent if idempotent else self.retry_statuses_non_idempotent
        if status_code not in allowed:
            return None
        if status_code in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
            asked = parse_retry_after(headers)
            if asked is not None:
                if asked > self.max_retry_after:
                    return None
                return asked + rng.uniform(0, 0.1)
        return self.backoff(attempt, rng)

    def delay_after_transport_failure(
        self,
        *,
        attempt: int,
        idempotent: bool,
        may_have_reached_server: bool,
        rng: random.Random,
    ) -> float | None:
        """Return the wait before retrying after a transport failure, or None to give up."""
        if attempt >= self.max_attempts:
            return None
        if may_have_reached_server and not idempotent:
            return None
        return self.backoff(attempt, rng)


@dataclass(frozen=True, slots=True)
class HordeClientSettings:
    """Everything a client needs to know besides the requests themselves.

    Attributes:
        base_url: The API root (``https://aihorde.net/api``); None uses each request's default.
        api_key: The caller's key, sent as the ``apikey`` header with every request that takes the client's
            key (:meth:`~horde_sdk.generic_api.apimodels.HordeRequest.is_client_api_key_sent`) when the
            request does not carry its own. Never shown.
        anonymous_api_key: Sent instead when ``api_key`` is None, and only with requests the server
            refuses without a key (:meth:`~horde_sdk.generic_api.apimodels.HordeRequest.is_api_key_required`).
        client_agent: ``name:version:contact``, sent as ``Client-Agent``.
        timeouts: Per-phase timeouts and the total deadline of one call (``timeouts.total``).
        max_response_bytes: The largest API response body read; a larger one fails the call with
            :class:`~horde_sdk.generic_api.exceptions.HordeResponseTooLargeError` without being held in memory.
        max_download_bytes: The largest download (a result image from a presigned URL) read.
        retry: The retry policy.
        rate_limiter: An optional client-side limiter that delays requests to stay under server limits.
        seed: Seed of the jitter random generator (None: unpredictable), for reproducible tests.
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    anonymous_api_key: str | None = field(default=None, repr=False)
    client_agent: str = "horde-sdk:0.1.0:unknown"
    timeouts: HordeTimeouts = field(default_factory=HordeTimeouts)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limiter: ClientRateLimiter | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        for name in ("api_key", "anonymous_api_key"):
            key = getattr(self, name)
            if key is not None and (not key.strip() or any(c in key for c in "\r\n")):
                raise ValueError(f"{name} must be a non-empty single-line string")
        if not self.client_agent or any(c in self.client_agent for c in "\r\n"):
            raise ValueError("client_agent must be a non-empty single-line string")
        for name in ("max_response_bytes", "max_download_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive number of bytes, got {value!r}")
