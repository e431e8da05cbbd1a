"""`RuntimeOptions`: the worker runtime's timing and retry settings (the deploy configuration holds the rest)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from horde_sdk.worker.runtime.images import DEFAULT_MAX_INPUT_IMAGE_BYTES, DEFAULT_MAX_RESULT_IMAGE_BYTES

__all__ = ["RuntimeOptions"]


@dataclass(frozen=True, kw_only=True)
class RuntimeOptions:
    """How the worker runtime paces itself, how long each stage may take and how often it retries.

    Every duration is in seconds. The job's time to live (the pop's ``ttl``) bounds every stage as well: a stage
    never runs past the job's deadline minus `ttl_margin`, the time kept back to report the job ``faulted``.

    Raises:
        ValueError: If a duration is negative or not finite, or a count is below its minimum.
    """

    pop_interval: float = 1.0
    """Pause after an empty pop before asking again."""
    pop_error_backoff: float = 2.0
    """First pause after a failed pop; it doubles with each failure in a row, up to `pop_error_backoff_max`."""
    pop_error_backoff_max: float = 60.0
    """Longest pause after failed pops."""
    maintenance_pause: float = 60.0
    """Pause when the horde answers that the worker (or the horde) is in maintenance."""
    download_timeout: float = 30.0
    """Longest download of one input image."""
    generate_timeout: float = 600.0
    """Longest backend call (one generation, all its images or forms)."""
    upload_timeout: float = 30.0
    """Longest upload of one result to its presigned URL."""
    upload_retries: int = 2
    """Uploads retried after a failure (then images are sent as base64; alchemy images fault)."""
    submit_timeout: float = 30.0
    """Longest single submit request."""
    retry_delay: float = 1.0
    """First pause before a retried download, upload or submit; it doubles with each retry, up to 30 s."""
    ttl_margin: float = 10.0
    """Seconds kept back from each job's deadline to report it ``faulted`` when it cannot finish."""
    default_ttl: float = 150.0
    """The time to live assumed for a job whose pop answer gave none (the horde's smallest ttl)."""
    shutdown_grace: float | None = None
    """On a graceful stop, how long running jobs may still run; None lets each run until its own deadline."""
    fault_timeout: float = 30.0
    """Longest time spent reporting one job ``faulted`` during a shutdown."""
    max_input_image_bytes: int = DEFAULT_MAX_INPUT_IMAGE_BYTES
    """The largest input image (img2img source, mask, extra image, alchemy source) fetched or decoded; a larger one
    stops its download at the cap and faults the job (see `horde_sdk.worker.runtime.images` for the default)."""
    max_result_image_bytes: int = DEFAULT_MAX_RESULT_IMAGE_BYTES
    """The largest image result submitted (uploaded, or sent as base64); a larger one fails the generation."""
    summary_interval: float | None = None
    """Seconds between two summaries in the log; None takes the deploy configuration's
    ``stats_output_frequency`` (0 turns them off)."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, float | int) and (not math.isfinite(value) or value < 0):
                raise ValueError(f"{item.name} must be a finite number of at least 0, got {value}")
        if self.pop_error_backoff_max < self.pop_error_backoff:
            raise ValueError("pop_error_backoff_max must not be smaller than pop_error_backoff")
        if self.default_ttl <= self.ttl_margin:
            raise ValueError("default_ttl must be larger than ttl_margin")

    def retry_pause(self, attempt: int) -> float:
        """Return the pause before retry number `attempt` (1 for the first retry).

        Args:
            attempt: Which retry this is.

        Returns:
            `retry_delay` doubled per earlier retry, at most 30 seconds.
        """
        return float(min(30.0, self.retry_delay * 2 ** max(0, attempt - 1)))
