"""Property tests: random event sequences through every generation kind, in both modes, with random stages.

Invariants checked after every sequence: only allowed transitions happened (table + stage rules), the
generation ends in exactly one final state, error limits hold, black-box mode obeys its table, and callbacks
saw exactly the recorded transitions.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from horde_sdk.generation_parameters import (
    AlchemyParameters,
    CaptionAlchemyParameters,
    ImageGenerationParameters,
    NSFWAlchemyParameters,
    TextGenerationParameters,
)
from horde_sdk.worker.consts import (
    BLACK_BOX_MODE_TRANSITIONS,
    BLACK_BOX_UNSUPPORTED_STATES,
    ERROR_PRONE_STATES,
    FINAL_GENERATION_STATES,
    GENERATION_PIPELINE,
    GENERATION_PROGRESS,
    NORMAL_MODE_TRANSITIONS,
    OPTIONAL_GENERATION_STAGE,
    OPTIONAL_STAGE_STATES,
)
from horde_sdk.worker.generations import (
    AlchemyFormResult,
    AlchemySingleGeneration,
    ImageSingleGeneration,
    TextSingleGeneration,
)
from horde_sdk.worker.generations_base import (
    GenerationResultsError,
    GenerationStateRecord,
    HordeSingleGeneration,
    InvalidGenerationTransitionError,
    SafetyCheckResult,
)

P = GENERATION_PROGRESS
KINDS = ("image", "text", "alchemy")
ACTIONS = (
    "preloading",
    "preloading_complete",
    "generating",
    "post_processing",
    "safety_checking",
    "pending_submit",
    "submitting",
    "submit_complete",
    "complete",
    "error",
    "retry",
    "abort",
    "user_requested_abort",
    "user_abort_complete",
    "reported_failed",
    "abandoned",
    "set_results",
    "set_safety_results",
)


class Tick:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def make_generation(
    kind: str,
    batch: int,
    stages: dict[OPTIONAL_GENERATION_STAGE, bool],
    black_box: bool,
    limits: dict[GENERATION_PROGRESS, int],
) -> HordeSingleGeneration[Any]:
    options: dict[str, Any] = {
        "requires_preloading": stages[OPTIONAL_GENERATION_STAGE.PRELOADING],
        "requires_post_processing": stages[OPTIONAL_GENERATION_STAGE.POST_PROCESSING],
        "requires_safety_check": stages[OPTIONAL_GENERATION_STAGE.SAFETY_CHECK],
        "requires_submit": stages[OPTIONAL_GENERATION_STAGE.SUBMIT],
        "black_box": black_box,
        "error_limits": limits,
        "clock": Tick(),
    }
    if kind == "image":
        return ImageSingleGeneration(ImageGenerationParameters(prompt="a cat", batch_size=batch), **options)
    if kind == "text":
        return TextSingleGeneration(TextGenerationParameters(prompt="Once", batch_size=batch), **options)
    forms = tuple(CaptionAlchemyParameters() if i % 2 == 0 else NSFWAlchemyParameters() for i in range(batch))
    return AlchemySingleGeneration(AlchemyParameters(source_image=b"img", forms=forms), **options)


def make_results(generation: HordeSingleGeneration[Any]) -> list[Any]:
    n = generation.number_expected_results
    if isinstance(generation, ImageSingleGeneration):
        return [b"png%d" % i for i in range(n)]
    if isinstance(generation, TextSingleGeneration):
        return [f"text {i}" for i in range(n)]
    assert isinstance(generation, AlchemySingleGeneration)
    return [AlchemyFormResult(form, f"r{i}") for i, form in enumerate(generation.parameters.get_form_names())]


def placeholder(generation: HordeSingleGeneration[Any]) -> Any:
    if isinstance(generation, ImageSingleGeneration):
        return b"censored"
    if isinstance(generation, TextSingleGeneration):
        return ""
    return AlchemyFormResult("ignored", "censored")


def apply(generation: HordeSingleGeneration[Any], action: str, nsfw: list[bool]) -> None:
    if action == "error":
        generation.on_error("boom", RuntimeError("boom"))
    elif action == "retry":
        generation.on_retry()
    elif action == "abort":
        generation.on_abort("gave up")
    elif action == "set_results":
        generation.set_results(make_results(generation))
    elif action == "set_safety_results":
        results = generation.results or ()
        verdicts = [SafetyCheckResult(is_nsfw=nsfw[i % len(nsfw)], is_csam=False) for i in range(len(results))]
        generation.set_safety_results(verdicts, censor_nsfw=True, censor_placeholder=placeholder(generation))
    else:
        getattr(generation, f"on_{action}")()


def disabled_states(generation: HordeSingleGeneration[Any]) -> set[GENERATION_PROGRESS]:
    disabled: set[GENERATION_PROGRESS] = set()
    for stage, states in OPTIONAL_STAGE_STATES.items():
        if not generation.has_stage(stage):
            disabled |= states
    if generation.black_box:
        disabled |= BLACK_BOX_UNSUPPORTED_STATES
    return disabled


def check_invariants(generation: HordeSingleGeneration[Any], seen: list[GenerationStateRecord]) -> None:
    table = BLACK_BOX_MODE_TRANSITIONS if generation.black_box else NORMAL_MODE_TRANSITIONS
    history = generation.history
    states = [record.state for record in history]
    disabled = disabled_states(generation)
    pipeline = [state for state in GENERATION_PIPELINE if state not in disabled]
    assert states[0] == P.NOT_STARTED
    # Only allowed transitions, by the mode's table and the generation's stages.
    for before, after in itertools.pairwise(states):
        assert after in table[before], (before, after)
        assert after not in disabled, (before, after)
        if before in pipeline and after in pipeline:
            assert pipeline.index(after) == pipeline.index(before) + 1, (before, after)
    # Black-box mode never reports what its backend cannot.
    if generation.black_box:
        assert not set(states) & BLACK_BOX_UNSUPPORTED_STATES
    # ERROR only returns to the state that failed, or gives up; ABORTED only reports or hands to the user abort.
    failed_iter = iter(generation.errors)
    for index, (before, after) in enumerate(itertools.pairwise(states)):
        if after == P.ERROR:
            error = next(failed_iter)
            assert error.state == before
            if index + 2 < len(states):
                assert states[index + 2] in (before, P.ABORTED)
        if before == P.ABORTED:
            assert after in (P.REPORTED_FAILED, P.USER_REQUESTED_ABORT)
    # Error limits hold: never more errors than the limit; hitting the limit aborts at once.
    counts = dict.fromkeys(ERROR_PRONE_STATES, 0)
    for index, state in enumerate(states):
        if state == P.ERROR:
            failed = states[index - 1]
            counts[failed] += 1
            assert counts[failed] <= generation.error_limits[failed]
            if counts[failed] == generation.error_limits[failed]:
                assert states[index + 1] == P.ABORTED
    assert dict(generation.error_counts) == counts
    # At most one final state, and only at the end.
    finals = [state for state in states if state in FINAL_GENERATION_STATES]
    assert len(finals) <= 1
    if finals:
        assert states[-1] == finals[0]
        assert generation.is_final
        assert generation.allowed_next_states() == frozenset()
    # Callbacks saw every transition, in order.
    assert seen == list(history[1:])
    # Timestamps never go backwards and durations add up.
    assert all(a.timestamp <= b.timestamp for a, b in itertools.pairwise(history))
    assert abs(sum(generation.stage_durations().values()) - (history[-1].timestamp - history[0].timestamp)) < 1e-9


def finish(generation: HordeSingleGeneration[Any]) -> None:
    """Drive a generation to a final state through the failure paths."""
    for _ in range(5):
        state = generation.state
        if state in FINAL_GENERATION_STATES:
            return
        if state == P.USER_REQUESTED_ABORT:
            generation.on_user_abort_complete()
        elif state == P.ABORTED:
            generation.on_reported_failed()
        elif state == P.SUBMIT_COMPLETE:
            # The result is on the server already: the only way on is to complete.
            generation.on_complete()
        else:
            generation.on_abort("finishing")
    raise AssertionError(f"could not finish from {generation.state}")


def guided_step(generation: HordeSingleGeneration[Any], target: GENERATION_PROGRESS, nsfw: list[bool]) -> None:
    """Make an allowed move, providing what it needs as a worker would."""
    before = generation.state
    if before in (P.GENERATING, P.POST_PROCESSING) and generation.results is None:
        generation.set_results(make_results(generation))
    if before == P.SAFETY_CHECKING and generation.safety_results is None:
        apply(generation, "set_safety_results", nsfw)
    if before == P.ERROR and target != P.ABORTED:
        generation.on_retry()
    elif target == P.ERROR:
        generation.on_error("guided failure")
    else:
        generation.transition(target)


def step(generation: HordeSingleGeneration[Any], data: st.DataObject, nsfw: list[bool]) -> None:
    """One random event: an allowed move (guided) or any action at all (which may be refused)."""
    before = generation.state
    allowed = generation.allowed_next_states()
    if allowed and data.draw(st.integers(0, 9), label="kind of event") < 8:
        # Mostly make progress, so that deep states and COMPLETE are reached; sometimes fail or give up.
        progress = allowed - {P.ERROR, P.ABORTED, P.USER_REQUESTED_ABORT, P.ABANDONED}
        if progress and data.draw(st.integers(0, 9), label="progress or interrupt") < 7:
            candidates = progress
        else:
            candidates = allowed
        guided_step(generation, data.draw(st.sampled_from(sorted(candidates)), label="target"), nsfw)
        return
    action = data.draw(st.sampled_from(ACTIONS), label="action")
    refused: InvalidGenerationTransitionError | None = None
    try:
        apply(generation, action, nsfw)
    except InvalidGenerationTransitionError as error:
        refused = error
    except GenerationResultsError:
        assert generation.state == before
    if refused is not None:
        assert generation.state == before
        assert refused.from_state == before
        assert refused.to_state not in allowed or refused.reason is not None


stage_flags = st.fixed_dictionaries({stage: st.booleans() for stage in OPTIONAL_GENERATION_STAGE})
limits_strategy = st.dictionaries(st.sampled_from(sorted(ERROR_PRONE_STATES)), st.integers(1, 2))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    batch=st.integers(1, 3),
    black_box=st.booleans(),
    stages=stage_flags,
    limits=limits_strategy,
    nsfw=st.lists(st.booleans(), min_size=1, max_size=3),
    data=st.data(),
)
def test_random_event_sequences_keep_the_invariants(
    kind: str,
    batch: int,
    black_box: bool,
    stages: dict[OPTIONAL_GENERATION_STAGE, bool],
    limits: dict[GENERATION_PROGRESS, int],
    nsfw: list[bool],
    data: st.DataObject,
) -> None:
    if black_box:
        stages[OPTIONAL_GENERATION_STAGE.PRELOADING] = False
        stages[OPTIONAL_GENERATION_STAGE.POST_PROCESSING] = False
    generation = make_generation(kind, batch, stages, black_box, limits)
    seen: list[GenerationStateRecord] = []
    for state in GENERATION_PROGRESS:
        generation.register_callback(state, lambda _gen, record: seen.append(record))

    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        step(generation, data, nsfw)
        check_invariants(generation, seen)

    check_invariants(generation, seen)
    event(f"before finishing: {generation.state}")
    if "failed" in (generation.abort_reason or ""):
        event("an error limit aborted the generation")
    finish(generation)
    check_invariants(generation, seen)
    final = generation.state
    for action in ACTIONS[:16]:
        try:
            apply(generation, action, nsfw)
        except InvalidGenerationTransitionError:
            pass
        else:
            raise AssertionError(f"{action} moved a generation out of the final state {final}")
    assert generation.state == final
    check_invariants(generation, seen)


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(KINDS), black_box=st.booleans(), stages=stage_flags, batch=st.integers(1, 3))
def test_the_happy_path_of_every_stage_combination_completes(
    kind: str,
    black_box: bool,
    stages: dict[OPTIONAL_GENERATION_STAGE, bool],
    batch: int,
) -> None:
    if black_box:
        stages[OPTIONAL_GENERATION_STAGE.PRELOADING] = False
        stages[OPTIONAL_GENERATION_STAGE.POST_PROCESSING] = False
    generation = make_generation(kind, batch, stages, black_box, {})
    disabled = disabled_states(generation)
    expected = [state for state in GENERATION_PIPELINE if state not in disabled]
    for state in expected[1:]:
        if generation.state in (P.GENERATING, P.POST_PROCESSING):
            generation.set_results(make_results(generation))
        if generation.state == P.SAFETY_CHECKING:
            apply(generation, "set_safety_results", [False])
        assert generation.allowed_next_states() - {P.ERROR, P.ABORTED, P.USER_REQUESTED_ABORT, P.ABANDONED} == {state}
        generation.transition(state)
    assert [record.state for record in generation.history] == expected
    assert generation.state == P.COMPLETE
