"""The states a generation goes through and the tables saying which moves between them are allowed.

The tables are plain data: `NORMAL_MODE_TRANSITIONS` for backends that report each stage, and
`BLACK_BOX_MODE_TRANSITIONS` for backends that only say "generating" and "done". A generation
(`horde_sdk.worker.generations_base.HordeSingleGeneration`) narrows its table further:

* A state belonging to an optional stage (`OPTIONAL_STAGE_STATES`) the generation does not have can never be
  entered.
* A forward move along `GENERATION_PIPELINE` that jumps over states is only allowed when every state jumped over
  belongs to a stage the generation does not have (for example `GENERATING -> SAFETY_CHECKING` only without
  post-processing).
* From `ERROR`, only the state that failed (or `ABORTED`) can follow.

`validate_transition_tables()` checks the tables' own consistency; the test suite calls it, and
``tools/export_state_machine.py`` draws the tables for the documentation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "BLACK_BOX_MODE_TRANSITIONS",
    "BLACK_BOX_UNSUPPORTED_STATES",
    "DEFAULT_ERROR_LIMIT",
    "DEFAULT_ERROR_LIMITS",
    "DEFAULT_RESULT_IMAGE_QUALITY",
    "DEFAULT_SUBMIT_RETRIES",
    "ERROR_PRONE_STATES",
    "FINAL_GENERATION_STATES",
    "GENERATION_PIPELINE",
    "GENERATION_PROGRESS",
    "INTERRUPT_STATES",
    "KNOWN_DISPATCH_SOURCES",
    "KNOWN_RESULT_IMAGE_FORMATS",
    "NORMAL_MODE_TRANSITIONS",
    "OPTIONAL_GENERATION_STAGE",
    "OPTIONAL_STAGE_STATES",
    "validate_transition_tables",
]


class GENERATION_PROGRESS(StrEnum):  # noqa: N801 - the SDK names its enums in upper case
    """Where a generation is in its life, as reported by the worker or its backend."""

    NOT_STARTED = "not_started"
    """Created; no work has started."""
    PRELOADING = "preloading"
    """Loading what the generation needs (models, LoRas, source images) - optional stage."""
    PRELOADING_COMPLETE = "preloading_complete"
    """Everything is loaded; waiting for inference to start - part of the optional preloading stage."""
    GENERATING = "generating"
    """Inference is running."""
    POST_PROCESSING = "post_processing"
    """Post-processing the results (upscaling, face fixing, ...) - optional stage."""
    SAFETY_CHECKING = "safety_checking"
    """Checking the results for NSFW or CSAM content - optional stage."""
    PENDING_SUBMIT = "pending_submit"
    """Results are final and waiting to be submitted - part of the optional submit stage."""
    SUBMITTING = "submitting"
    """Submitting the results to the dispatch source - part of the optional submit stage."""
    SUBMIT_COMPLETE = "submit_complete"
    """The dispatch source accepted the results - part of the optional submit stage."""
    COMPLETE = "complete"
    """Done (final)."""
    ERROR = "error"
    """A stage failed; the generation either retries that stage or is aborted."""
    ABORTED = "aborted"
    """The worker gave up on the generation; it still has to tell the dispatch source."""
    USER_REQUESTED_ABORT = "user_requested_abort"
    """The worker's operator asked for the generation to stop."""
    USER_ABORT_COMPLETE = "user_abort_complete"
    """The operator's abort has been carried out (final)."""
    REPORTED_FAILED = "reported_failed"
    """The failure was reported to the dispatch source (final)."""
    ABANDONED = "abandoned"
    """The worker dropped the generation without reporting it, for example after its TTL ran out (final)."""


class OPTIONAL_GENERATION_STAGE(StrEnum):  # noqa: N801 - the SDK names its enums in upper case
    """The stages each generation may or may not have; decided when the generation is created."""

    PRELOADING = "preloading"
    POST_PROCESSING = "post_processing"
    SAFETY_CHECK = "safety_check"
    SUBMIT = "submit"


class KNOWN_RESULT_IMAGE_FORMATS(StrEnum):  # noqa: N801 - the SDK names its enums in upper case
    """Image formats a worker can encode its image results in before submitting them."""

    webp = "webp"
    png = "png"
    jpeg = "jpeg"


class KNOWN_DISPATCH_SOURCES(StrEnum):  # noqa: N801 - the SDK names its enums in upper case
    """Where a worker's jobs come from. Other sources are allowed; these are the ones the SDK knows."""

    ai_horde = "ai_horde"


DEFAULT_SUBMIT_RETRIES = 3
"""How many times a failed submit is retried before the generation is reported failed."""

DEFAULT_RESULT_IMAGE_QUALITY = 95
"""The encoder quality (1-100) of image results."""

_P = GENERATION_PROGRESS

GENERATION_PIPELINE: tuple[GENERATION_PROGRESS, ...] = (
    _P.NOT_STARTED,
    _P.PRELOADING,
    _P.PRELOADING_COMPLETE,
    _P.GENERATING,
    _P.POST_PROCESSING,
    _P.SAFETY_CHECKING,
    _P.PENDING_SUBMIT,
    _P.SUBMITTING,
    _P.SUBMIT_COMPLETE,
    _P.COMPLETE,
)
"""The successful path, in order, with every optional stage present."""

OPTIONAL_STAGE_STATES: Mapping[OPTIONAL_GENERATION_STAGE, frozenset[GENERATION_PROGRESS]] = MappingProxyType(
    {
        OPTIONAL_GENERATION_STAGE.PRELOADING: frozenset({_P.PRELOADING, _P.PRELOADING_COMPLETE}),
        OPTIONAL_GENERATION_STAGE.POST_PROCESSING: frozenset({_P.POST_PROCESSING}),
        OPTIONAL_GENERATION_STAGE.SAFETY_CHECK: frozenset({_P.SAFETY_CHECKING}),
        OPTIONAL_GENERATION_STAGE.SUBMIT: frozenset({_P.PENDING_SUBMIT, _P.SUBMITTING, _P.SUBMIT_COMPLETE}),
    },
)
"""The states belonging to each optional stage; a generation without the stage never enters them."""

FINAL_GENERATION_STATES: frozenset[GENERATION_PROGRESS] = frozenset(
    {_P.COMPLETE, _P.REPORTED_FAILED, _P.USER_ABORT_COMPLETE, _P.ABANDONED},
)
"""States a generation never leaves."""

INTERRUPT_STATES: frozenset[GENERATION_PROGRESS] = frozenset(
    {_P.ERROR, _P.ABORTED, _P.USER_REQUESTED_ABORT, _P.ABANDONED},
)
"""States every working state (not started up to submitting) can move to."""

ERROR_PRONE_STATES: frozenset[GENERATION_PROGRESS] = frozenset(
    {
        _P.NOT_STARTED,
        _P.PRELOADING,
        _P.PRELOADING_COMPLETE,
        _P.GENERATING,
        _P.POST_PROCESSING,
        _P.SAFETY_CHECKING,
        _P.PENDING_SUBMIT,
        _P.SUBMITTING,
    },
)
"""The working states that can fail (move to `ERROR`) and be retried from `ERROR`."""

BLACK_BOX_UNSUPPORTED_STATES: frozenset[GENERATION_PROGRESS] = frozenset(
    {_P.PRELOADING, _P.PRELOADING_COMPLETE, _P.POST_PROCESSING},
)
"""States a black-box backend cannot report: it only says "generating" and "done"."""

DEFAULT_ERROR_LIMIT = 3
"""How many times a state may fail before the generation is aborted, unless configured otherwise."""

DEFAULT_ERROR_LIMITS: Mapping[GENERATION_PROGRESS, int] = MappingProxyType(
    dict.fromkeys(sorted(ERROR_PRONE_STATES), DEFAULT_ERROR_LIMIT),
)
"""The default error limit of each state that can fail."""

_ABORT_EXITS = frozenset({_P.REPORTED_FAILED, _P.USER_REQUESTED_ABORT})
_USER_ABORT_EXITS = frozenset({_P.USER_ABORT_COMPLETE})
_ERROR_EXITS = ERROR_PRONE_STATES | {_P.ABORTED}


NORMAL_MODE_TRANSITIONS: Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]] = MappingProxyType(
    {
        _P.NOT_STARTED: frozenset({_P.PRELOADING, _P.GENERATING}) | INTERRUPT_STATES,
        _P.PRELOADING: frozenset({_P.PRELOADING_COMPLETE}) | INTERRUPT_STATES,
        _P.PRELOADING_COMPLETE: frozenset({_P.GENERATING}) | INTERRUPT_STATES,
        _P.GENERATING: frozenset({_P.POST_PROCESSING, _P.SAFETY_CHECKING, _P.PENDING_SUBMIT, _P.COMPLETE})
        | INTERRUPT_STATES,
        _P.POST_PROCESSING: frozenset({_P.SAFETY_CHECKING, _P.PENDING_SUBMIT, _P.COMPLETE}) | INTERRUPT_STATES,
        _P.SAFETY_CHECKING: frozenset({_P.PENDING_SUBMIT, _P.COMPLETE}) | INTERRUPT_STATES,
        _P.PENDING_SUBMIT: frozenset({_P.SUBMITTING}) | INTERRUPT_STATES,
        _P.SUBMITTING: frozenset({_P.SUBMIT_COMPLETE}) | INTERRUPT_STATES,
        _P.SUBMIT_COMPLETE: frozenset({_P.COMPLETE}),
        _P.ERROR: _ERROR_EXITS,
        _P.ABORTED: _ABORT_EXITS,
        _P.USER_REQUESTED_ABORT: _USER_ABORT_EXITS,
        _P.COMPLETE: frozenset(),
        _P.REPORTED_FAILED: frozenset(),
        _P.USER_ABORT_COMPLETE: frozenset(),
        _P.ABANDONED: frozenset(),
    },
)
"""Allowed moves for a backend reporting each stage (before narrowing by a generation's stages)."""

BLACK_BOX_MODE_TRANSITIONS: Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]] = MappingProxyType(
    {
        _P.NOT_STARTED: frozenset({_P.GENERATING}) | INTERRUPT_STATES,
        _P.GENERATING: frozenset({_P.SAFETY_CHECKING, _P.PENDING_SUBMIT, _P.COMPLETE}) | INTERRUPT_STATES,
        _P.SAFETY_CHECKING: frozenset({_P.PENDING_SUBMIT, _P.COMPLETE}) | INTERRUPT_STATES,
        _P.PENDING_SUBMIT: frozenset({_P.SUBMITTING}) | INTERRUPT_STATES,
        _P.SUBMITTING: frozenset({_P.SUBMIT_COMPLETE}) | INTERRUPT_STATES,
        _P.SUBMIT_COMPLETE: frozenset({_P.COMPLETE}),
        _P.ERROR: _ERROR_EXITS - BLACK_BOX_UNSUPPORTED_STATES,
        _P.ABORTED: _ABORT_EXITS,
        _P.USER_REQUESTED_ABORT: _USER_ABORT_EXITS,
        _P.COMPLETE: frozenset(),
        _P.REPORTED_FAILED: frozenset(),
        _P.USER_ABORT_COMPLETE: frozenset(),
        _P.ABANDONED: frozenset(),
    },
)
"""Allowed moves for a backend that only says "generating" and "done" (no preloading or post-processing)."""


def _reachable(
    table: Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]],
    start: GENERATION_PROGRESS,
) -> set[GENERATION_PROGRESS]:
    seen = {start}
    queue = deque([start])
    while queue:
        for target in table[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


_Table = Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]]


def _shape_problems(name: str, table: _Table, states: set[GENERATION_PROGRESS]) -> list[str]:
    problems = [
        f"{name}: {source} leads to unknown states {sorted(targets - states)}"
        for source, targets in table.items()
        if not targets <= states
    ]
    problems += [f"{name}: {source} leads to itself" for source, targets in table.items() if source in targets]
    unreachable = states - _reachable(table, _P.NOT_STARTED)
    if unreachable:
        problems.append(f"{name}: unreachable from NOT_STARTED: {sorted(unreachable)}")
    problems += [
        f"{name}: no final state can be reached from {state}"
        for state in states - FINAL_GENERATION_STATES
        if not _reachable(table, state) & FINAL_GENERATION_STATES
    ]
    problems += [
        f"{name}: final state {final} has exits {sorted(table[final])}"
        for final in FINAL_GENERATION_STATES
        if table[final]
    ]
    return problems


def _error_and_abort_problems(name: str, table: _Table) -> list[str]:
    problems = [
        f"{name}: ERROR returns to {state}, which cannot fail"
        for state in table[_P.ERROR] - {_P.ABORTED}
        if _P.ERROR not in table[state]
    ]
    problems += [
        f"{name}: {state} can fail but ERROR cannot return to it"
        for state, targets in table.items()
        if _P.ERROR in targets and state not in table[_P.ERROR]
    ]
    if _P.ABORTED not in table[_P.ERROR]:
        problems.append(f"{name}: ERROR must be able to give up (move to ABORTED)")
    if not table[_P.ABORTED] <= {_P.REPORTED_FAILED, _P.USER_REQUESTED_ABORT}:
        problems.append(f"{name}: ABORTED may only lead to REPORTED_FAILED or USER_REQUESTED_ABORT")
    for state, targets in table.items():
        if _P.USER_ABORT_COMPLETE in targets and state != _P.USER_REQUESTED_ABORT:
            problems.append(f"{name}: USER_ABORT_COMPLETE entered from {state}, not USER_REQUESTED_ABORT")
        if _P.REPORTED_FAILED in targets and state != _P.ABORTED:
            problems.append(f"{name}: REPORTED_FAILED entered from {state}, not ABORTED")
    return problems


def _pipeline_problems(name: str, table: _Table, states: set[GENERATION_PROGRESS]) -> list[str]:
    optional_states = frozenset().union(*OPTIONAL_STAGE_STATES.values())
    pipeline = [state for state in GENERATION_PIPELINE if state in states]
    problems: list[str] = []
    for source, targets in table.items():
        if source not in pipeline:
            continue
        for target in targets & set(pipeline):
            if pipeline.index(target) <= pipeline.index(source):
                problems.append(f"{name}: {source} -> {target} goes backwards along the pipeline")
            elif not set(pipeline[pipeline.index(source) + 1 : pipeline.index(target)]) <= optional_states:
                problems.append(f"{name}: {source} -> {target} skips a mandatory state")
    return problems


def _table_problems(name: str, table: _Table, excluded: frozenset[GENERATION_PROGRESS]) -> list[str]:
    states = set(GENERATION_PROGRESS) - excluded
    if set(table) != states:
        return [f"{name}: has states {sorted(table)}, expected {sorted(states)}"]
    return (
        _shape_problems(name, table, states)
        + _error_and_abort_problems(name, table)
        + _pipeline_problems(name, table, states)
    )


def validate_transition_tables() -> None:
    """Check that both transition tables are consistent.

    Checked: each table covers exactly the states its mode supports; every state is reachable from
    `NOT_STARTED` and can reach a final state; final states have no exits; `ERROR` returns only to states that
    can fail (and every state that can fail can be returned to) or goes to `ABORTED`; `ABORTED` only leads to
    `REPORTED_FAILED` or `USER_REQUESTED_ABORT`; forward moves along the pipeline only skip
    states of optional stages.

    Raises:
        ValueError: Listing every problem found.
    """
    problems = _table_problems("normal mode", NORMAL_MODE_TRANSITIONS, frozenset())
    problems += _table_problems("black-box mode", BLACK_BOX_MODE_TRANSITIONS, BLACK_BOX_UNSUPPORTED_STATES)
    if set(DEFAULT_ERROR_LIMITS) != ERROR_PRONE_STATES:
        problems.append("DEFAULT_ERROR_LIMITS must give a limit for each state that can fail")
    if problems:
        raise ValueError("invalid generation transition tables:\n" + "\n".join(problems))
