"""Progress events of the simple clients' generation jobs.

Every job of :class:`~horde_sdk.ai_horde_api.simple_clients.AIHordeAPISimpleClient` and its async twin
reports a :class:`GenerationProgress` when it is accepted, after every poll, and when it ends. Pass
``on_progress=callback`` to any generation method, or (async) iterate the events of a
:meth:`~horde_sdk.ai_horde_api.simple_clients.AIHordeAPIAsyncSimpleClient.image_generate_stream`.

Callbacks run in the thread (sync) or task (async) that drives the job, between two requests: keep them
short, and do not block in them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["JOB_KIND", "JOB_STATE", "GenerationProgress", "ProgressCallback"]


class JOB_KIND(StrEnum):  # noqa: N801 - KNOWN_-style constant set
    """The kinds of generation job."""

    image = "image"
    text = "text"
    alchemy = "alchemy"


class JOB_STATE(StrEnum):  # noqa: N801
    """Where a job stands, as far as the client knows."""

    submitted = "submitted"
    """The server accepted the request."""
    waiting = "waiting"
    """No worker has started on it yet."""
    processing = "processing"
    """A worker is on it (or some results are finished)."""
    impossible = "impossible"
    """No worker can serve it now (reported once per poll while the caller chose to wait)."""
    downloading = "downloading"
    """Every generation is finished; the results are being fetched."""
    done = "done"
    """The results are here."""
    faulted = "faulted"
    """The server gave up on the request."""
    cancelled = "cancelled"
    """The client cancelled it (timeout, error, cancellation or Ctrl-C)."""


@dataclass(frozen=True, slots=True)
class GenerationProgress:
    """A snapshot of one job's progress.

    Attributes:
        kind: Image, text or alchemy.
        job_id: The request's id on the server (a capability: do not publish it).
        index: The job's position in the batch it was submitted with (0 for a single job).
        state: Where the job stands.
        finished: Generations (alchemy: forms) finished so far.
        n: Generations (alchemy: forms) requested.
        queue_position: Place in the server's queue (0 while the server has no estimate).
        wait_time: The server's estimate of seconds until done (0 while it has no estimate).
        kudos: Kudos consumed so far (the estimate at submission).
        is_possible: False while no worker can serve the request.
        elapsed: Seconds since the job was submitted.
    """

    kind: JOB_KIND
    job_id: str
    index: int
    state: JOB_STATE
    finished: int
    n: int
    queue_position: int = 0
    wait_time: float = 0.0
    kudos: float = 0.0
    is_possible: bool = True
    elapsed: float = 0.0


ProgressCallback = Callable[[GenerationProgress], None]
"""What ``on_progress`` takes: a function of one :class:`GenerationProgress`."""
