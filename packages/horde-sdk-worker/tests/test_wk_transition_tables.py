"""The transition tables in horde_sdk.worker.consts are consistent, and the validator catches broken ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

import pytest

from horde_sdk.worker import consts
from horde_sdk.worker.consts import GENERATION_PROGRESS, validate_transition_tables

P = GENERATION_PROGRESS


def test_the_tables_are_valid() -> None:
    validate_transition_tables()


@contextmanager
def patched_normal_table(
    monkeypatch: pytest.MonkeyPatch, changes: Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]]
) -> Iterator[None]:
    table = dict(consts.NORMAL_MODE_TRANSITIONS)
    table.update(changes)
    monkeypatch.setattr(consts, "NORMAL_MODE_TRANSITIONS", MappingProxyType(table))
    yield


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({P.COMPLETE: frozenset({P.NOT_STARTED})}, "final state complete has exits"),
        ({P.ABORTED: frozenset({P.REPORTED_FAILED, P.GENERATING})}, "ABORTED may only lead"),
        ({P.ERROR: frozenset({P.GENERATING})}, "ERROR must be able to give up"),
        ({P.ERROR: consts.NORMAL_MODE_TRANSITIONS[P.ERROR] | {P.COMPLETE}}, "cannot fail"),
        ({P.GENERATING: consts.NORMAL_MODE_TRANSITIONS[P.GENERATING] | {P.PRELOADING}}, "goes backwards"),
        ({P.NOT_STARTED: consts.NORMAL_MODE_TRANSITIONS[P.NOT_STARTED] | {P.SAFETY_CHECKING}}, "skips a mandatory"),
        ({P.SUBMITTING: frozenset({P.SUBMIT_COMPLETE, P.REPORTED_FAILED})}, "REPORTED_FAILED entered from"),
        ({P.SUBMIT_COMPLETE: frozenset()}, "no final state can be reached from submit_complete"),
        ({P.PRELOADING: frozenset({P.PRELOADING})}, "leads to itself"),
    ],
)
def test_broken_tables_are_reported(
    monkeypatch: pytest.MonkeyPatch,
    changes: Mapping[GENERATION_PROGRESS, frozenset[GENERATION_PROGRESS]],
    message: str,
) -> None:
    with patched_normal_table(monkeypatch, changes), pytest.raises(ValueError, match=message):
        validate_transition_tables()


def test_a_missing_state_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    table = dict(consts.BLACK_BOX_MODE_TRANSITIONS)
    del table[P.ABANDONED]
    monkeypatch.setattr(consts, "BLACK_BOX_MODE_TRANSITIONS", MappingProxyType(table))
    with pytest.raises(ValueError, match="black-box mode: has states"):
        validate_transition_tables()


def test_the_error_and_abort_rules_of_the_spec() -> None:
    for table in (consts.NORMAL_MODE_TRANSITIONS, consts.BLACK_BOX_MODE_TRANSITIONS):
        assert table[P.ABORTED] == {P.REPORTED_FAILED, P.USER_REQUESTED_ABORT}
        assert table[P.ERROR] - {P.ABORTED} <= consts.ERROR_PRONE_STATES
        for final in consts.FINAL_GENERATION_STATES:
            assert table[final] == frozenset()
    assert not set(consts.BLACK_BOX_MODE_TRANSITIONS) & consts.BLACK_BOX_UNSUPPORTED_STATES
