"""Unit tests of HordeSingleGeneration and the image, text and alchemy generations."""

from __future__ import annotations

import itertools
import logging
import threading

import pytest

from horde_sdk.generation_parameters import (
    AlchemyParameters,
    CaptionAlchemyParameters,
    ImageGenerationParameters,
    ImagePostProcessingParameters,
    TextGenerationParameters,
    UpscaleAlchemyParameters,
)
from horde_sdk.worker.consts import DEFAULT_ERROR_LIMIT, GENERATION_PROGRESS, OPTIONAL_GENERATION_STAGE
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


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def image(batch: int = 1, **options: object) -> ImageSingleGeneration:
    return ImageSingleGeneration(ImageGenerationParameters(prompt="a cat", batch_size=batch), **options)  # type: ignore[arg-type]  # options pass the generation's keyword arguments through untyped


def run_to_safety_check(generation: ImageSingleGeneration, results: list[bytes]) -> None:
    generation.on_preloading()
    generation.on_preloading_complete()
    generation.on_generating()
    generation.set_results(results)
    generation.on_safety_checking()


def test_image_happy_path_with_every_default_stage() -> None:
    generation = image(batch=2)
    assert generation.optional_stages == {
        OPTIONAL_GENERATION_STAGE.PRELOADING,
        OPTIONAL_GENERATION_STAGE.SAFETY_CHECK,
        OPTIONAL_GENERATION_STAGE.SUBMIT,
    }
    run_to_safety_check(generation, [b"a", b"b"])
    assert generation.set_safety_results([SafetyCheckResult(False, False)] * 2, censor_nsfw=True) == (False, False)
    generation.on_pending_submit()
    generation.on_submitting()
    generation.on_submit_complete()
    generation.on_complete()
    assert generation.is_final
    assert generation.results == (b"a", b"b")
    assert [r.state for r in generation.history] == [
        P.NOT_STARTED,
        P.PRELOADING,
        P.PRELOADING_COMPLETE,
        P.GENERATING,
        P.SAFETY_CHECKING,
        P.PENDING_SUBMIT,
        P.SUBMITTING,
        P.SUBMIT_COMPLETE,
        P.COMPLETE,
    ]


def test_image_post_processing_stage_follows_the_parameters() -> None:
    with_pp = ImageGenerationParameters(
        prompt="a cat", post_processing=ImagePostProcessingParameters(post_processors=("RealESRGAN_x4plus",))
    )
    assert ImageSingleGeneration(with_pp).has_stage(OPTIONAL_GENERATION_STAGE.POST_PROCESSING)
    assert not ImageSingleGeneration(with_pp, black_box=True).has_stage(OPTIONAL_GENERATION_STAGE.POST_PROCESSING)
    assert not image().has_stage(OPTIONAL_GENERATION_STAGE.POST_PROCESSING)


def test_a_stage_can_only_be_skipped_when_the_generation_does_not_have_it() -> None:
    with_preload = image()
    with pytest.raises(InvalidGenerationTransitionError) as info:
        with_preload.on_generating()
    assert info.value.from_state == P.NOT_STARTED
    assert info.value.to_state == P.GENERATING
    assert P.PRELOADING in info.value.allowed
    assert "not_started" in str(info.value)
    assert "generating" in str(info.value)
    assert "preloading" in str(info.value)
    assert with_preload.state == P.NOT_STARTED

    without = image(requires_preloading=False, requires_safety_check=False, requires_submit=False)
    with pytest.raises(InvalidGenerationTransitionError):
        without.on_preloading()
    without.on_generating()
    without.set_results([b"x"])
    assert without.allowed_next_states() == {P.COMPLETE, P.ERROR, P.ABORTED, P.USER_REQUESTED_ABORT, P.ABANDONED}
    without.on_complete()


def test_results_are_required_before_leaving_generation() -> None:
    generation = image(requires_preloading=False)
    generation.on_generating()
    with pytest.raises(InvalidGenerationTransitionError, match="results are not set"):
        generation.on_safety_checking()
    generation.set_results([b"x"])
    generation.on_safety_checking()
    with pytest.raises(InvalidGenerationTransitionError, match="safety check results are not set"):
        generation.on_pending_submit()


def test_results_are_checked() -> None:
    generation = image(batch=2, requires_preloading=False)
    with pytest.raises(GenerationResultsError, match="cannot be set in state not_started"):
        generation.set_results([b"a", b"b"])
    generation.on_generating()
    with pytest.raises(GenerationResultsError, match="expected 2 results, got 1"):
        generation.set_results([b"a"])
    with pytest.raises(GenerationResultsError, match="must be bytes"):
        generation.set_results([b"a", "b"])  # type: ignore[list-item]  # a wrong value on purpose: the error under test
    with pytest.raises(GenerationResultsError, match="is empty"):
        generation.set_results([b"a", b""])
    text = TextSingleGeneration(TextGenerationParameters(prompt="p"), requires_preloading=False)
    text.on_generating()
    with pytest.raises(GenerationResultsError, match="must be a str"):
        text.set_results([b"x"])  # type: ignore[list-item]  # a wrong value on purpose: the error under test
    text.set_results([""])
    assert text.results == ("",)


def test_censoring_replaces_results_and_flags_them() -> None:
    generation = image(batch=3)
    run_to_safety_check(generation, [b"ok", b"nsfw", b"csam"])
    verdicts = [SafetyCheckResult(False, False), SafetyCheckResult(True, False), SafetyCheckResult(False, True)]
    with pytest.raises(GenerationResultsError, match="no placeholder"):
        generation.set_safety_results(verdicts, censor_nsfw=True)
    assert generation.results == (b"ok", b"nsfw", b"csam")
    censored = generation.set_safety_results(verdicts, censor_nsfw=True, censor_placeholder=b"CENSORED")
    assert censored == (False, True, True)
    assert generation.censored == (False, True, True)
    assert generation.results == (b"ok", b"CENSORED", b"CENSORED")
    assert generation.safety_results == tuple(verdicts)


def test_nsfw_is_kept_when_the_job_does_not_censor_it_but_csam_never_is() -> None:
    generation = image(batch=2)
    run_to_safety_check(generation, [b"nsfw", b"csam"])
    verdicts = [SafetyCheckResult(True, False), SafetyCheckResult(True, True)]
    assert generation.set_safety_results(verdicts, censor_nsfw=False, censor_placeholder=b"C") == (False, True)
    assert generation.results == (b"nsfw", b"C")


def test_alchemy_results_are_per_form_and_censoring_keeps_the_form() -> None:
    parameters = AlchemyParameters(
        source_image=b"img", forms=(CaptionAlchemyParameters(), UpscaleAlchemyParameters(upscaler="4x_AnimeSharp"))
    )
    generation = AlchemySingleGeneration(parameters, requires_safety_check=True)
    assert not AlchemySingleGeneration(parameters).has_stage(OPTIONAL_GENERATION_STAGE.SAFETY_CHECK)
    assert generation.number_expected_results == 2
    generation.on_preloading()
    generation.on_preloading_complete()
    generation.on_generating()
    with pytest.raises(GenerationResultsError, match="expected 'caption'"):
        generation.set_results([AlchemyFormResult("4x_AnimeSharp", b"x"), AlchemyFormResult("caption", "c")])
    with pytest.raises(GenerationResultsError, match="must be an AlchemyFormResult"):
        generation.set_results(["caption", b"x"])  # type: ignore[list-item]  # a wrong value on purpose: the error under test
    generation.set_results([AlchemyFormResult("caption", "a cat"), AlchemyFormResult("4x_AnimeSharp", b"big")])
    generation.on_safety_checking()
    generation.set_safety_results(
        [SafetyCheckResult(False, False), SafetyCheckResult(True, False)],
        censor_nsfw=True,
        censor_placeholder=AlchemyFormResult("whatever", b"censored"),
    )
    assert generation.results == (
        AlchemyFormResult("caption", "a cat"),
        AlchemyFormResult("4x_AnimeSharp", b"censored"),
    )


def test_error_returns_only_to_the_failed_state_and_the_limit_aborts() -> None:
    generation = image(requires_preloading=False, error_limits={P.GENERATING: 2})
    generation.on_generating()
    assert generation.on_error("oom", MemoryError()) == P.ERROR
    assert generation.allowed_next_states() == {P.GENERATING, P.ABORTED}
    with pytest.raises(InvalidGenerationTransitionError):
        generation.on_safety_checking()
    with pytest.raises(InvalidGenerationTransitionError):
        generation.on_error("again")  # ERROR itself cannot fail
    generation.on_retry()
    assert generation.state == P.GENERATING
    assert generation.on_error("oom again") == P.ABORTED
    assert generation.error_counts[P.GENERATING] == 2
    assert "generating failed 2 times" in (generation.abort_reason or "")
    assert [e.reason for e in generation.errors] == ["oom", "oom again"]
    assert isinstance(generation.errors[0].exception, MemoryError)
    assert generation.allowed_next_states() == {P.REPORTED_FAILED, P.USER_REQUESTED_ABORT}
    generation.on_reported_failed()
    assert generation.is_final


def test_default_error_limit_and_invalid_limits() -> None:
    generation = image()
    assert generation.error_limits[P.SUBMITTING] == DEFAULT_ERROR_LIMIT
    with pytest.raises(ValueError, match="cannot fail"):
        image(error_limits={P.COMPLETE: 1})
    with pytest.raises(ValueError, match="at least 1"):
        image(error_limits={P.GENERATING: 0})


def test_black_box_mode_refuses_stages_it_cannot_report() -> None:
    generation = image(black_box=True)
    assert not generation.has_stage(OPTIONAL_GENERATION_STAGE.PRELOADING)
    assert generation.allowed_next_states() == {P.GENERATING, P.ERROR, P.ABORTED, P.USER_REQUESTED_ABORT, P.ABANDONED}
    with pytest.raises(ValueError, match="black-box mode"):
        image(black_box=True, requires_preloading=True)
    with pytest.raises(ValueError, match="black-box mode"):
        image(black_box=True, requires_post_processing=True)
    generation.on_generating()
    with pytest.raises(InvalidGenerationTransitionError):
        generation.on_post_processing()


def test_user_abort_path() -> None:
    generation = image()
    generation.on_preloading()
    generation.on_user_requested_abort()
    assert generation.allowed_next_states() == {P.USER_ABORT_COMPLETE}
    generation.on_user_abort_complete()
    assert generation.is_final
    with pytest.raises(InvalidGenerationTransitionError, match="none \\(final state\\)"):
        generation.on_abandoned()


def test_history_and_stage_durations_use_the_clock() -> None:
    clock = FakeClock()
    generation = image(requires_preloading=False, requires_safety_check=False, requires_submit=False, clock=clock)
    clock.now = 101.0
    generation.on_generating()
    generation.set_results([b"x"])
    clock.now = 104.5
    generation.on_error("flaky")
    clock.now = 105.0
    generation.on_retry()
    clock.now = 107.0
    generation.on_complete()
    assert [(r.state, r.timestamp) for r in generation.history] == [
        (P.NOT_STARTED, 100.0),
        (P.GENERATING, 101.0),
        (P.ERROR, 104.5),
        (P.GENERATING, 105.0),
        (P.COMPLETE, 107.0),
    ]
    assert generation.stage_durations() == {P.NOT_STARTED: 1.0, P.GENERATING: 5.5, P.ERROR: 0.5}


def test_callbacks_are_called_after_each_transition_into_their_state() -> None:
    generation = image(requires_preloading=False, error_limits={P.GENERATING: 1})
    calls: list[tuple[str, GENERATION_PROGRESS, GENERATION_PROGRESS]] = []

    def record(name: str):
        def callback(gen: HordeSingleGeneration[object], rec: GenerationStateRecord) -> None:
            calls.append((name, rec.state, gen.state))

        return callback

    generation.register_callback(P.GENERATING, record("first"))
    generation.register_callback(P.GENERATING, record("second"))
    generation.register_callback(P.ERROR, record("error"))
    generation.register_callback(P.ABORTED, record("aborted"))
    generation.on_generating()
    generation.on_error("fatal")
    assert calls == [
        ("first", P.GENERATING, P.GENERATING),
        ("second", P.GENERATING, P.GENERATING),
        ("error", P.ERROR, P.ABORTED),  # the limit aborted in the same call; callbacks run afterwards
        ("aborted", P.ABORTED, P.ABORTED),
    ]


def test_a_failing_callback_is_logged_and_does_not_corrupt_the_state(caplog: pytest.LogCaptureFixture) -> None:
    generation = image(requires_preloading=False)
    later: list[GENERATION_PROGRESS] = []

    def broken(gen: HordeSingleGeneration[object], rec: GenerationStateRecord) -> None:
        raise RuntimeError("callback bug")

    generation.register_callback(P.GENERATING, broken)
    generation.register_callback(P.GENERATING, lambda gen, rec: later.append(rec.state))
    with caplog.at_level(logging.ERROR, logger="horde_sdk.worker.generations_base"):
        generation.on_generating()
    assert generation.state == P.GENERATING
    assert later == [P.GENERATING]
    assert "generation callback failed" in caplog.text
    generation.set_results([b"x"])
    generation.on_safety_checking()  # still usable


def test_a_callback_may_move_the_generation_on() -> None:
    generation = image(requires_preloading=False, requires_safety_check=False, requires_submit=False)

    def finish(gen: HordeSingleGeneration[object], rec: GenerationStateRecord) -> None:
        gen.set_results([b"x"])
        gen.on_complete()

    generation.register_callback(P.GENERATING, finish)
    generation.on_generating()
    assert generation.state == P.COMPLETE


def test_concurrent_reports_never_break_the_rules() -> None:
    generation = image(requires_preloading=False, error_limits={P.GENERATING: 50})
    generation.on_generating()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        for _ in range(20):
            try:
                generation.on_error("race")
                generation.on_retry()
                result = "ok"
            except InvalidGenerationTransitionError:
                result = "refused"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    states = [r.state for r in generation.history]
    errors = states.count(P.ERROR)
    assert errors == generation.error_counts[P.GENERATING] == len(generation.errors)
    assert errors <= 50
    for before, after in itertools.pairwise(states):
        assert (before, after) in {
            (P.NOT_STARTED, P.GENERATING),
            (P.GENERATING, P.ERROR),
            (P.ERROR, P.GENERATING),
            (P.ERROR, P.ABORTED),
        }
    assert generation.state in (P.GENERATING, P.ERROR, P.ABORTED)


def test_repr_names_the_generation() -> None:
    generation = image(generation_id="g-1")
    assert repr(generation) == "ImageSingleGeneration(generation_id='g-1', state=not_started, black_box=False)"
