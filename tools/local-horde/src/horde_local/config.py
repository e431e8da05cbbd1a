"""How a local horde is set up: its API keys, its timings, its rate limits and the faults it injects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from horde_sdk.ai_horde_api.consts import ANON_API_KEY

__all__ = [
    "ANONYMOUS_KEY",
    "ApiKey",
    "FaultConfig",
    "HordeConfig",
    "Role",
    "parse_api_key",
]

ANONYMOUS_KEY = ANON_API_KEY
"""The shared anonymous key (``0000000000``); it always exists."""


class Role(StrEnum):
    """What a configured API key may do."""

    anonymous = "anonymous"
    registered = "registered"
    trusted = "trusted"
    moderator = "moderator"


@dataclass(frozen=True)
class ApiKey:
    """A user of the local horde: their name, API key, role and starting kudos."""

    name: str
    key: str
    role: Role = Role.registered
    kudos: float = 1000.0


def parse_api_key(text: str) -> ApiKey:
    """Parse ``name:key:role[:kudos]`` (as given on the command line).

    Raises:
        ValueError: the text is not of that form, the role is unknown or the kudos not a number.
    """
    parts = text.split(":")
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise ValueError(f"expected name:key:role[:kudos], got {text!r}")
    try:
        role = Role(parts[2])
    except ValueError:
        raise ValueError(f"unknown role {parts[2]!r}; one of {', '.join(Role)}") from None
    kudos = float(parts[3]) if len(parts) == 4 else 1000.0
    return ApiKey(name=parts[0], key=parts[1], role=role, kudos=kudos)


@dataclass(frozen=True)
class FaultConfig:
    """Faults injected into answers of the API routes, drawn from a random generator seeded with ``seed``.

    Each request to an API route draws the same number of random values whatever happens, so a given
    sequence of requests meets the same faults under the same seed.

    Attributes:
        seed: Seed of the fault generator.
        error_5xx: Share of requests answered with a 5xx status before anything is done.
        error_statuses: The 5xx statuses to pick from.
        drop_before: Share of requests whose connection is dropped before anything is done.
        drop_after: Share of requests whose connection is dropped after the server acted on them.
        latency: Seconds added to every request (plus up to ``latency_jitter`` more, drawn).
        latency_jitter: Upper bound of the random extra latency in seconds.
        burst_429: Share of requests that start a burst of 429 answers.
        burst_length: How many consecutive requests a burst answers with 429 (the first included).
        burst_retry_after: The ``Retry-After`` of a burst's answers, in whole seconds.
        path_prefixes: Only paths starting with one of these get faults (the presigned R2 routes do not).
    """

    seed: int = 0
    error_5xx: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    drop_before: float = 0.0
    drop_after: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    burst_429: float = 0.0
    burst_length: int = 3
    burst_retry_after: int = 1
    path_prefixes: tuple[str, ...] = ("/api/v2/",)

    @property
    def active(self) -> bool:
        """True when any fault can happen."""
        return any(
            (self.error_5xx, self.drop_before, self.drop_after, self.latency, self.latency_jitter, self.burst_429)
        )


@dataclass(frozen=True)
class HordeConfig:
    """Everything a local horde is started with. The defaults are the real server's numbers.

    Attributes:
        api_keys: Users besides the anonymous one.
        rate_limits: Enforce the server's rate limits (429 with ``Retry-After``).
        job_ttl: Seconds a worker has to submit a popped job (``ttl`` of a pop; at least 150 on the real server).
        abort_grace: Seconds after ``job_ttl`` before an unsubmitted job is taken back (about 30 on the real one).
        request_lifetime: Seconds a request lives after its creation or its last pop or submit (20 minutes).
        stale_worker_after: Seconds after which a worker not seen is stale (300).
        check_cache_seconds: Seconds a ``check`` answer is served from cache (1).
        max_restarts: Restarts (faults, aborts) after which a request is marked faulted.
        max_body_bytes: Largest request body accepted (413 above).
        max_upload_bytes: Largest image a worker may PUT to a presigned URL.
        anonymous_kudos_floor: How far below zero the anonymous user's kudos may go.
        faults: Faults to inject.
        seed: Seed of the generator of seeds for requests that ask for a random one.
    """

    api_keys: tuple[ApiKey, ...] = ()
    rate_limits: bool = True
    job_ttl: float = 150.0
    abort_grace: float = 30.0
    request_lifetime: float = 20 * 60.0
    stale_worker_after: float = 300.0
    check_cache_seconds: float = 1.0
    max_restarts: int = 3
    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    anonymous_kudos_floor: float = -50.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    seed: int = 0
