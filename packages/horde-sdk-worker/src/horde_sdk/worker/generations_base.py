"""`HordeSingleGeneration`, the state machine reflecting one generation, and the records it keeps.

A generation object does not run anything: the worker (or its backend) does the work and tells the generation
where it is (`on_generating()`, `on_error(...)`, ...). The generation refuses moves its transition table does
not allow (see `horde_sdk.worker.consts`), counts errors per state, keeps the results and their safety check
results, and timestamps every move so stage durations are available.

Behaviour worth knowing:

* **Error limits.** `on_error()` moves to `ERROR` and counts one error for the state that failed. When that
  count reaches the state's limit, the generation moves on to `ABORTED` by itself, in the same call; it never
  raises because of a limit. `on_error()` returns the state the generation ended in, so callers can tell.
* **Callbacks.** Callbacks registered for a state are called, in registration order, after each move into
  that state, once the lock is released (so a callback may itself move the generation). An exception raised by
  a callback is logged and swallowed: the move has already happened and stays valid, and the other callbacks
  still run.
* **Concurrency.** Every change happens under a `threading.RLock`. No method awaits, so the lock protects
  asyncio tasks as well as threads.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypedDict, TypeVar

from horde_sdk.generation_parameters.generic import ComposedParameterSetBase
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.consts import (
    BLACK_BOX_MODE_TRANSITIONS,
    BLACK_BOX_UNSUPPORTED_STATES,
    DEFAULT_ERROR_LIMITS,
    ERROR_PRONE_STATES,
    FINAL_GENERATION_STATES,
    GENERATION_PIPELINE,
    GENERATION_PROGRESS,
    NORMAL_MODE_TRANSITIONS,
    OPTIONAL_GENERATION_STAGE,
    OPTIONAL_STAGE_STATES,
)

__all__ = [
    "GenerationCallback",
    "GenerationErrorRecord",
    "GenerationOptions",
    "GenerationResultsError",
    "GenerationStateRecord",
    "HordeSingleGeneration",
    "InvalidGenerationTransitionError",
    "SafetyCheckResult",
]

logger = get_logger(__name__)

ResultT = TypeVar("ResultT")

_P = GENERATION_PROGRESS

_RESULTS_REQUIRED_STATES = frozenset(
    {_P.SAFETY_CHECKING, _P.PENDING_SUBMIT, _P.SUBMITTING, _P.SUBMIT_COMPLETE, _P.COMPLETE},
)
"""Entering these states needs the results to be set."""

_SAFETY_REQUIRED_STATES = frozenset({_P.PENDING_SUBMIT, _P.SUBMITTING, _P.SUBMIT_COMPLETE, _P.COMPLETE})
"""Entering these states needs the safety results to be set, when the generation has a safety check."""

_RESULTS_SETTABLE_STATES = frozenset({_P.GENERATING, _P.POST_PROCESSING})


@dataclass(frozen=True)
class GenerationStateRecord:
    """One entry of a generation's history: a state and when it was entered."""

    state: GENERATION_PROGRESS
    """The state entered."""
    timestamp: float
    """When it was entered, in seconds of the generation's clock (monotonic by default)."""


@dataclass(frozen=True)
class GenerationErrorRecord:
    """One failure reported through `HordeSingleGeneration.on_error`."""

    state: GENERATION_PROGRESS
    """The state that failed."""
    reason: str
    """What went wrong, in words."""
    exception: BaseException | None
    """The exception behind the failure, if any."""
    timestamp: float
    """When the failure was reported, in seconds of the generation's clock."""


@dataclass(frozen=True)
class SafetyCheckResult:
    """The safety check verdict on one result."""

    is_nsfw: bool
    """The result is not safe for work."""
    is_csam: bool
    """The result is (or may be) child sexual abuse material; such results are always censored."""


class InvalidGenerationTransitionError(Exception):
    """A move the generation's transition table (narrowed by its stages) does not allow."""

    def __init__(
        self,
        from_state: GENERATION_PROGRESS,
        to_state: GENERATION_PROGRESS,
        allowed: Iterable[GENERATION_PROGRESS],
        reason: str | None = None,
    ) -> None:
        self.from_state = from_state
        """The state the generation was in."""
        self.to_state = to_state
        """The state that was asked for."""
        self.allowed = tuple(sorted(allowed))
        """The states that were allowed instead."""
        self.reason = reason
        """Why the move was refused when the table allows it (for example missing results)."""
        allowed_text = ", ".join(str(state) for state in self.allowed) or "none (final state)"
        message = f"cannot move from {from_state!s} to {to_state!s}; allowed: {allowed_text}"
        if reason is not None:
            message = f"cannot move from {from_state!s} to {to_state!s}: {reason}"
        super().__init__(message)


class GenerationResultsError(Exception):
    """Results or safety check results that do not fit the generation or its current state."""


GenerationCallback = Callable[["HordeSingleGeneration[Any]", GenerationStateRecord], None]
"""A function called after a generation entered a state: ``callback(generation, record)``."""


class GenerationOptions(TypedDict, total=False):
    """The keyword options of every generation class; see `HordeSingleGeneration` for their meaning."""

    generation_id: str
    requires_preloading: bool | None
    requires_post_processing: bool | None
    requires_safety_check: bool | None
    requires_submit: bool | None
    black_box: bool
    error_limits: Mapping[GENERATION_PROGRESS, int] | None
    clock: Callable[[], float]


class HordeSingleGeneration(ABC, Generic[ResultT]):
    """The state of one generation (one run of inference producing `ResultT` results), as the worker reports it.

    Args:
        parameters: What to generate; its `get_number_expected_results()` is the number of results.
        generation_id: An identifier for logs and callbacks (a new UUID by default).
        requires_preloading: Whether the generation has the preloading stage (`None`: the class's default).
        requires_post_processing: Whether it has the post-processing stage (`None`: the class's default).
        requires_safety_check: Whether it has the safety check stage (`None`: the class's default).
        requires_submit: Whether it has the submit stage (`None`: the class's default).
        black_box: The backend only says "generating" and "done": the black-box table applies, and neither
            preloading nor post-processing may be required.
        error_limits: How many errors each state may have before the generation is aborted; states not
            given keep `DEFAULT_ERROR_LIMITS`. Each limit is at least 1.
        clock: Returns the current time in seconds; `time.monotonic` by default (inject one in tests).

    Raises:
        ValueError: If black-box mode is combined with preloading or post-processing, or an error limit is
            invalid.
    """

    def __init__(
        self,
        parameters: ComposedParameterSetBase,
        *,
        generation_id: str | None = None,
        requires_preloading: bool | None = None,
        requires_post_processing: bool | None = None,
        requires_safety_check: bool | None = None,
        requires_submit: bool | None = None,
        black_box: bool = False,
        error_limits: Mapping[GENERATION_PROGRESS, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._parameters = parameters
        self._generation_id = generation_id if generation_id is not None else str(uuid.uuid4())
        self._black_box = black_box
        self._clock = clock
        self._number_expected_results = parameters.get_number_expected_results()

        stages = set(self.default_optional_stages(parameters, black_box=black_box))
        for stage, required in (
            (OPTIONAL_GENERATION_STAGE.PRELOADING, requires_preloading),
            (OPTIONAL_GENERATION_STAGE.POST_PROCESSING, requires_post_processing),
            (OPTIONAL_GENERATION_STAGE.SAFETY_CHECK, requires_safety_check),
            (OPTIONAL_GENERATION_STAGE.SUBMIT, requires_submit),
        ):
            if required is True:
                stages.add(stage)
            elif required is False:
                stages.discard(stage)
        if black_box:
            unsupported = stages & {OPTIONAL_GENERATION_STAGE.PRELOADING, OPTIONAL_GENERATION_STAGE.POST_PROCESSING}
            if unsupported:
                raise ValueError(f"black-box mode cannot have the stages {sorted(unsupported)}")
        self._optional_stages = frozenset(stages)

        limits = dict(DEFAULT_ERROR_LIMITS)
        for state, limit in (error_limits or {}).items():
            if state not in ERROR_PRONE_STATES:
                raise ValueError(f"{state!s} cannot fail, so it has no error limit")
            if limit < 1:
                raise ValueError(f"the error limit of {state!s} must be at least 1, got {limit}")
            limits[GENERATION_PROGRESS(state)] = limit
        self._error_limits: Mapping[GENERATION_PROGRESS, int] = MappingProxyType(limits)

        self._allowed = self._compute_allowed_transitions()

        self._lock = threading.RLock()
        self._state = GENERATION_PROGRESS.NOT_STARTED
        self._history: list[GenerationStateRecord] = [GenerationStateRecord(self._state, self._clock())]
        self._failed_state: GENERATION_PROGRESS | None = None
        self._error_counts: dict[GENERATION_PROGRESS, int] = dict.fromkeys(limits, 0)
        self._errors: list[GenerationErrorRecord] = []
        self._abort_reason: str | None = None
        self._callbacks: dict[GENERATION_PROGRESS, list[GenerationCallback]] = {}
        self._results: tuple[ResultT, ...] | None = None
        self._safety_results: tuple[SafetyCheckResult, ...] | None = None
        self._censored: tuple[bool, ...] | None = None

    # ------------------------------------------------------------------------------------------------
    # Class-specific behaviour
    # ------------------------------------------------------------------------------------------------

    @classmethod
    def default_optional_stages(
        cls,
        parameters: ComposedParameterSetBase,
        *,
        black_box: bool,
    ) -> frozenset[OPTIONAL_GENERATION_STAGE]:
        """Return the optional stages a generation of this class has unless told otherwise.

        The base class: preloading (not in black-box mode), safety check and submit; no post-processing.

        Args:
            parameters: The generation's parameters.
            black_box: Whether the generation is in black-box mode.

        Returns:
            The default optional stages.
        """
        del parameters  # the base default does not depend on them
        stages = {OPTIONAL_GENERATION_STAGE.SAFETY_CHECK, OPTIONAL_GENERATION_STAGE.SUBMIT}
        if not black_box:
            stages.add(OPTIONAL_GENERATION_STAGE.PRELOADING)
        return frozenset(stages)

    @abstractmethod
    def validate_result(self, index: int, result: ResultT) -> None:
        """Check one result before it is stored.

        Args:
            index: The position of the result in the batch.
            result: The result.

        Raises:
            GenerationResultsError: If the result is not acceptable.
        """

    def censor_result(self, index: int, result: ResultT, placeholder: ResultT) -> ResultT:
        """Return what replaces a result the safety check censored; by default the placeholder itself.

        Args:
            index: The position of the result in the batch.
            result: The censored result.
            placeholder: The placeholder the caller provided.

        Returns:
            The replacement.
        """
        del index, result
        return placeholder

    # ------------------------------------------------------------------------------------------------
    # Read-only state
    # ------------------------------------------------------------------------------------------------

    @property
    def generation_id(self) -> str:
        """The identifier of this generation."""
        return self._generation_id

    @property
    def parameters(self) -> ComposedParameterSetBase:
        """What is generated."""
        return self._parameters

    @property
    def number_expected_results(self) -> int:
        """How many results one run produces (the batch size, or the number of alchemy forms)."""
        return self._number_expected_results

    @property
    def black_box(self) -> bool:
        """Whether the backend only reports "generating" and "done"."""
        return self._black_box

    @property
    def optional_stages(self) -> frozenset[OPTIONAL_GENERATION_STAGE]:
        """The optional stages this generation has."""
        return self._optional_stages

    @property
    def error_limits(self) -> Mapping[GENERATION_PROGRESS, int]:
        """How many errors each state may have before the generation is aborted."""
        return self._error_limits

    @property
    def state(self) -> GENERATION_PROGRESS:
        """The current state."""
        with self._lock:
            return self._state

    @property
    def is_final(self) -> bool:
        """Whether the generation reached a state it never leaves."""
        with self._lock:
            return self._state in FINAL_GENERATION_STATES

    @property
    def failed_state(self) -> GENERATION_PROGRESS | None:
        """The state of the most recent failure (the one `ERROR` may return to), if any."""
        with self._lock:
            return self._failed_state

    @property
    def history(self) -> tuple[GenerationStateRecord, ...]:
        """Every state entered, in order, starting with `NOT_STARTED`."""
        with self._lock:
            return tuple(self._history)

    @property
    def errors(self) -> tuple[GenerationErrorRecord, ...]:
        """Every failure reported, in order."""
        with self._lock:
            return tuple(self._errors)

    @property
    def error_counts(self) -> Mapping[GENERATION_PROGRESS, int]:
        """How many times each state failed."""
        with self._lock:
            return MappingProxyType(dict(self._error_counts))

    @property
    def abort_reason(self) -> str | None:
        """Why the generation was aborted, if it was."""
        with self._lock:
            return self._abort_reason

    @property
    def results(self) -> tuple[ResultT, ...] | None:
        """The results (censored ones replaced), or `None` before they are set."""
        with self._lock:
            return self._results

    @property
    def safety_results(self) -> tuple[SafetyCheckResult, ...] | None:
        """The safety check verdict on each result, or `None` before the check."""
        with self._lock:
            return self._safety_results

    @property
    def censored(self) -> tuple[bool, ...] | None:
        """For each result, whether it was replaced by the censor placeholder; `None` before the check."""
        with self._lock:
            return self._censored

    def has_stage(self, stage: OPTIONAL_GENERATION_STAGE) -> bool:
        """Return whether the generation has an optional stage.

        Args:
            stage: The stage.

        Returns:
            `True` if the generation goes through the stage.
        """
        return stage in self._optional_stages

    def allowed_next_states(self) -> frozenset[GENERATION_PROGRESS]:
        """Return the states the generation may move to now (ignoring missing results).

        Returns:
            The allowed states; empty in a final state.
        """
        with self._lock:
            return self._allowed_now()

    def stage_durations(self) -> dict[GENERATION_PROGRESS, float]:
        """Return how long the generation spent in each state it has left, summed over repeated visits.

        The current state is not included (it has not been left yet).

        Returns:
            Seconds per state, in order of first visit.
        """
        with self._lock:
            history = list(self._history)
        durations: dict[GENERATION_PROGRESS, float] = {}
        for entered, left in itertools.pairwise(history):
            durations[entered.state] = durations.get(entered.state, 0.0) + (left.timestamp - entered.timestamp)
        return durations

    # ------------------------------------------------------------------------------------------------
    # Callbacks
    # ------------------------------------------------------------------------------------------------

    def register_callback(self, state: GENERATION_PROGRESS, callback: GenerationCallback) -> None:
        """Call `callback(generation, record)` after every move into `state`.

        Callbacks run after the lock is released, in registration order. Exceptions they raise are logged and
        swallowed (the move stands; the remaining callbacks still run).

        Args:
            state: The state to watch.
            callback: The function to call.
        """
        with self._lock:
            self._callbacks.setdefault(GENERATION_PROGRESS(state), []).append(callback)

    def _run_callbacks(self, records: Sequence[GenerationStateRecord]) -> None:
        for record in records:
            with self._lock:
                callbacks = list(self._callbacks.get(record.state, ()))
            for callback in callbacks:
                try:
                    callback(self, record)
                except Exception:
                    logger.exception(
                        "generation callback failed",
                        generation_id=self._generation_id,
                        state=str(record.state),
                        callback=getattr(callback, "__qualname__", repr(callback)),
                    )

    # ------------------------------------------------------------------------------------------------
    # Transitions
    # ------------------------------------------------------------------------------------------------

    def _compute_allowed_transitions(self) -> Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]]:
        table = BLACK_BOX_MODE_TRANSITIONS if self._black_box else NORMAL_MODE_TRANSITIONS
        disabled: set[GENERATION_PROGRESS] = set()
        for stage, states in OPTIONAL_STAGE_STATES.items():
            if stage not in self._optional_stages:
                disabled |= states
        if self._black_box:
            disabled |= BLACK_BOX_UNSUPPORTED_STATES
        pipeline = [state for state in GENERATION_PIPELINE if state not in disabled]
        allowed: dict[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]] = {}
        for source, targets in table.items():
            if source in disabled:
                continue
            kept: set[GENERATION_PROGRESS] = set()
            for target in targets - disabled:
                # Along the pipeline, only the next state the generation has may follow.
                if source in pipeline and target in pipeline and pipeline.index(target) != pipeline.index(source) + 1:
                    continue
                kept.add(target)
            allowed[source] = frozenset(kept)
        return MappingProxyType(allowed)

    def _allowed_now(self) -> frozenset[GENERATION_PROGRESS]:
        allowed = self._allowed[self._state]
        if self._state == _P.ERROR:
            return frozenset(state for state in allowed if state in (self._failed_state, _P.ABORTED))
        return allowed

    def _transition_locked(self, new_state: GENERATION_PROGRESS) -> GenerationStateRecord:
        new_state = GENERATION_PROGRESS(new_state)
        allowed = self._allowed_now()
        if new_state not in allowed:
            raise InvalidGenerationTransitionError(self._state, new_state, allowed)
        if new_state in _RESULTS_REQUIRED_STATES and self._results is None:
            raise InvalidGenerationTransitionError(self._state, new_state, allowed, "the results are not set")
        if (
            new_state in _SAFETY_REQUIRED_STATES
            and OPTIONAL_GENERATION_STAGE.SAFETY_CHECK in self._optional_stages
            and self._safety_results is None
        ):
            raise InvalidGenerationTransitionError(
                self._state,
                new_state,
                allowed,
                "the safety check results are not set",
            )
        record = GenerationStateRecord(new_state, self._clock())
        self._state = new_state
        self._history.append(record)
        return record

    def transition(self, new_state: GENERATION_PROGRESS) -> GenerationStateRecord:
        """Move to `new_state`, then call its callbacks.

        Args:
            new_state: The state to enter.

        Returns:
            The history record of the move.

        Raises:
            InvalidGenerationTransitionError: If the move is not allowed now; the state is unchanged.
        """
        with self._lock:
            record = self._transition_locked(new_state)
        self._run_callbacks([record])
        return record

    def on_preloading(self) -> GenerationStateRecord:
        """Report that preloading started."""
        return self.transition(_P.PRELOADING)

    def on_preloading_complete(self) -> GenerationStateRecord:
        """Report that preloading finished."""
        return self.transition(_P.PRELOADING_COMPLETE)

    def on_generating(self) -> GenerationStateRecord:
        """Report that inference started."""
        return self.transition(_P.GENERATING)

    def on_post_processing(self) -> GenerationStateRecord:
        """Report that post-processing started."""
        return self.transition(_P.POST_PROCESSING)

    def on_safety_checking(self) -> GenerationStateRecord:
        """Report that the safety check started."""
        return self.transition(_P.SAFETY_CHECKING)

    def on_pending_submit(self) -> GenerationStateRecord:
        """Report that the results wait to be submitted."""
        return self.transition(_P.PENDING_SUBMIT)

    def on_submitting(self) -> GenerationStateRecord:
        """Report that submitting started."""
        return self.transition(_P.SUBMITTING)

    def on_submit_complete(self) -> GenerationStateRecord:
        """Report that the dispatch source accepted the results."""
        return self.transition(_P.SUBMIT_COMPLETE)

    def on_complete(self) -> GenerationStateRecord:
        """Report that the generation is done."""
        return self.transition(_P.COMPLETE)

    def on_retry(self) -> GenerationStateRecord:
        """Return from `ERROR` to the state that failed, to try it again."""
        with self._lock:
            target = self._failed_state if self._state == _P.ERROR else None
            if target is None:
                raise InvalidGenerationTransitionError(self._state, self._state, self._allowed_now(), "not in ERROR")
            record = self._transition_locked(target)
        self._run_callbacks([record])
        return record

    def on_error(self, reason: str, exc: BaseException | None = None) -> GENERATION_PROGRESS:
        """Report that the current state failed.

        The generation moves to `ERROR` and the failure is counted for the current state. If the count reaches
        the state's error limit, the generation moves on to `ABORTED` in the same call.

        Args:
            reason: What went wrong.
            exc: The exception behind the failure, if any.

        Returns:
            The state the generation is in afterwards: `ERROR`, or `ABORTED` when the limit was reached.

        Raises:
            InvalidGenerationTransitionError: If the current state cannot fail; nothing is counted.
        """
        with self._lock:
            failed = self._state
            records = [self._transition_locked(_P.ERROR)]
            self._failed_state = failed
            self._error_counts[failed] += 1
            self._errors.append(GenerationErrorRecord(failed, reason, exc, records[0].timestamp))
            if self._error_counts[failed] >= self._error_limits[failed]:
                self._abort_reason = f"{failed!s} failed {self._error_counts[failed]} times; last: {reason}"
                records.append(self._transition_locked(_P.ABORTED))
            final_state = self._state
        logger.warning(
            "generation failed",
            generation_id=self._generation_id,
            failed_state=str(failed),
            reason=reason,
            aborted=final_state == _P.ABORTED,
        )
        self._run_callbacks(records)
        return final_state

    def on_abort(self, reason: str) -> GenerationStateRecord:
        """Report that the worker gave up on the generation.

        Args:
            reason: Why.

        Returns:
            The history record of the move.
        """
        with self._lock:
            record = self._transition_locked(_P.ABORTED)
            self._abort_reason = reason
        self._run_callbacks([record])
        return record

    def on_user_requested_abort(self) -> GenerationStateRecord:
        """Report that the worker's operator asked to stop the generation."""
        return self.transition(_P.USER_REQUESTED_ABORT)

    def on_user_abort_complete(self) -> GenerationStateRecord:
        """Report that the operator's abort was carried out."""
        return self.transition(_P.USER_ABORT_COMPLETE)

    def on_reported_failed(self) -> GenerationStateRecord:
        """Report that the failure was reported to the dispatch source."""
        return self.transition(_P.REPORTED_FAILED)

    def on_abandoned(self) -> GenerationStateRecord:
        """Report that the worker dropped the generation without reporting it."""
        return self.transition(_P.ABANDONED)

    # ------------------------------------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------------------------------------

    def set_results(self, results: Sequence[ResultT]) -> None:
        """Store the results of the run (while generating or post-processing; again to replace them).

        Replacing the results clears any earlier safety check results.

        Args:
            results: One result per expected result, in batch order.

        Raises:
            GenerationResultsError: If the state does not produce results, the count is wrong, or a result is
                not acceptable (see `validate_result`).
        """
        results = tuple(results)
        if len(results) != self._number_expected_results:
            raise GenerationResultsError(
                f"expected {self._number_expected_results} results, got {len(results)}",
            )
        for index, result in enumerate(results):
            self.validate_result(index, result)
        with self._lock:
            if self._state not in _RESULTS_SETTABLE_STATES:
                raise GenerationResultsError(f"results cannot be set in state {self._state!s}")
            self._results = results
            self._safety_results = None
            self._censored = None

    def set_safety_results(
        self,
        safety_results: Sequence[SafetyCheckResult],
        *,
        censor_nsfw: bool,
        censor_placeholder: ResultT | None = None,
    ) -> tuple[bool, ...]:
        """Store the safety check verdicts (while safety checking) and censor the results that need it.

        A result is censored when it is CSAM, or NSFW while `censor_nsfw` is set. A censored result is replaced
        by `censor_result(index, result, censor_placeholder)` and flagged in `censored`.

        Args:
            safety_results: One verdict per result, in batch order.
            censor_nsfw: Whether NSFW results must be censored (the job's flag).
            censor_placeholder: What replaces a censored result; required when any result is censored.

        Returns:
            For each result, whether it was censored.

        Raises:
            GenerationResultsError: If the state is not `SAFETY_CHECKING`, the count is wrong, or a result
                must be censored and no placeholder was given.
        """
        safety = tuple(safety_results)
        with self._lock:
            if self._state != _P.SAFETY_CHECKING:
                raise GenerationResultsError(f"safety results cannot be set in state {self._state!s}")
            if self._results is None:
                raise GenerationResultsError("safety results need results")
            if len(safety) != len(self._results):
                raise GenerationResultsError(f"expected {len(self._results)} safety results, got {len(safety)}")
            censored = tuple(verdict.is_csam or (verdict.is_nsfw and censor_nsfw) for verdict in safety)
            new_results: list[ResultT] = []
            for index, (result, censor) in enumerate(zip(self._results, censored, strict=True)):
                if not censor:
                    new_results.append(result)
                    continue
                if censor_placeholder is None:
                    raise GenerationResultsError(f"result {index} must be censored but no placeholder was given")
                new_results.append(self.censor_result(index, result, censor_placeholder))
            self._results = tuple(new_results)
            self._safety_results = safety
            self._censored = censored
            return censored

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(generation_id={self._generation_id!r}, state={self.state!s}, "
            f"black_box={self._black_box})"
        )
