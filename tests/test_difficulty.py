"""The learner's band (cardgen.difficulty): predicted failure at the next review, one definition for the
add-on and ``cardgen learners``. Synthetic reviews with a known answer: a residual that carries signal
gets weight, one that does not gets none."""

from __future__ import annotations

import random

import pytest

from cardgen.difficulty import (
    CLASS_FACTOR_RANGE,
    CLASS_SHRINK,
    MIN_TESTS,
    NEVER_HARD_BELOW,
    Answer,
    Difficulty,
    History,
    RecallTest,
    band_cuts,
    band_of,
    bands_of,
    class_factors,
    excess_failure,
    Fit,
    fit_learner,
    log_loss,
    logit,
    predicted_failure,
    recall_after,
)


def test_recall_after_is_fsrs_forgetting_curve() -> None:
    assert recall_after(10.0, 10.0, 0.154) == pytest.approx(0.9, abs=1e-9)  # 0.9 after one stability
    assert recall_after(0.0, 3.0, 0.5) == 1.0 and recall_after(30.0, 3.0, 0.5) < recall_after(3.0, 3.0, 0.5)


def test_predicted_failure_is_fsrs_moved_by_the_weighted_excess() -> None:
    assert predicted_failure(0.85, 1.0, Fit()) == pytest.approx(0.15, abs=1e-9)  # Fit(): FSRS exactly
    assert predicted_failure(0.85, 0.0, Fit(weight=0.7)) == pytest.approx(0.15, abs=1e-9)  # as often as the mean
    assert predicted_failure(0.85, 1.0, Fit(weight=0.5)) > 0.15 > predicted_failure(0.85, -1.0, Fit(weight=0.5))
    assert predicted_failure(0.6, 0.0, Fit(weight=0.5)) > predicted_failure(0.9, 0.0, Fit(weight=0.5))
    assert predicted_failure(0.85, 0.0, Fit(bias=1.0)) > 0.15  # a learner FSRS is too hopeful about


def test_excess_failure_rises_with_failures_and_starts_from_the_prior() -> None:
    assert excess_failure(3, 4, 0.1, Difficulty.MEDIUM) > excess_failure(1, 8, 0.1, Difficulty.MEDIUM) > 0
    assert excess_failure(0, 9, 0.1, Difficulty.MEDIUM) < 0
    assert excess_failure(0, 0, 0.1, Difficulty.MEDIUM) == pytest.approx(0.0, abs=1e-9)
    assert excess_failure(0, 0, 0.1, Difficulty.HARD) > 0 > excess_failure(0, 0, 0.1, Difficulty.EASY)


def test_history_scores_each_review_from_the_answers_before_it_only() -> None:
    answers = [Answer("a", Difficulty.MEDIUM, True, None),  # a lapse in learning: half a failure
               Answer("a", Difficulty.MEDIUM, True, 0.9),
               Answer("b", Difficulty.MEDIUM, False, 0.9),
               Answer("a", Difficulty.MEDIUM, False, 0.9)]
    history = History(answers)
    assert [t.failed for t in history.tests] == [True, False, False]
    # each review sees the card's record and the learner's mean from before it, never its own outcome
    assert history.tests[0].excess == pytest.approx(excess_failure(0.5, 0, 0.1, Difficulty.MEDIUM))
    assert history.tests[2].excess == pytest.approx(excess_failure(1.5, 1, 0.5, Difficulty.MEDIUM))
    assert history.mean_fail == pytest.approx(1 / 3)
    assert history.excess("a") > 0 > history.excess("b")


def _synthetic(truth: Fit, n: int = 1500, seed: int = 3) -> list[RecallTest]:
    rng = random.Random(seed)
    tests = []
    for _ in range(n):
        recall, excess = rng.uniform(0.6, 0.97), rng.gauss(0.0, 0.8)
        tests.append(RecallTest(recall, excess, rng.random() < predicted_failure(recall, excess, truth)))
    return tests


def test_the_fit_finds_what_predicts_and_ignores_what_does_not() -> None:
    informative = _synthetic(Fit(bias=0.8, weight=1.0))
    fit = fit_learner(informative)
    assert 0.5 < fit.bias < 1.1 and 0.6 < fit.weight < 1.3
    assert log_loss(informative, fit) < log_loss(informative, Fit())
    useless = _synthetic(Fit())
    fit = fit_learner(useless)
    assert abs(fit.bias) < 0.1 and abs(fit.weight) < 0.1  # (about) nothing: FSRS's prediction stays
    assert log_loss(useless, fit) <= log_loss(useless, Fit()) + 0.002
    assert fit_learner(informative[:MIN_TESTS - 1]) == Fit()  # too few reviews: FSRS alone


def test_hard_is_likelier_to_fail_than_the_learners_reviews_failed_on_average() -> None:
    # 40 latest reviews, 6 failed (15 %); their predicted failures 0.05 to 0.5
    recalls = (0.95, 0.93, 0.9, 0.9, 0.9, 0.88, 0.85, 0.8, 0.7, 0.5) * 4
    past = [RecallTest(r, 0.0, n < 6) for n, r in enumerate(recalls)]
    easy, hard = band_cuts([predicted_failure(t.recall, 0.0, Fit()) for t in past], [t.failed for t in past])
    assert easy == pytest.approx(1 - 0.9) and hard == pytest.approx(0.15)  # the 12 safest of 40; 6 / 40
    bands = bands_of({"overdue": 0.4, "due": 0.12, "safe": 0.05}, past, Fit())
    assert bands == {"overdue": Difficulty.HARD, "due": Difficulty.MEDIUM, "safe": Difficulty.EASY}
    # a learner who fails most reviews: a failure likelier than not is hard all the same
    failing = [RecallTest(0.3, 0.0, True)] * 40
    assert bands_of({"x": 0.55, "y": 0.4}, failing, Fit()) == {"x": Difficulty.HARD, "y": Difficulty.EASY}
    # too few past reviews: the fixed first cuts, FSRS's usual target (10 %) and 25 %
    few = bands_of({n: 0.05 * n for n in range(10)}, past[:5], Fit())
    assert [few[n].value[0] for n in range(10)] == list("eeemmhhhhh")
    assert band_of(0.2, (0.2, 0.2)) is Difficulty.MEDIUM  # every score equal: nothing stands out


def test_a_learner_who_rarely_fails_sees_hard_only_where_a_failure_is_three_in_a_hundred() -> None:
    # 40 latest reviews, none failed, predicted failures 1-2 % (a desired retention of 0.98-0.99):
    # the learner's failure rate (0) would make every note with any risk at all hard
    past = [RecallTest(r, 0.0, False) for r in (0.99, 0.985, 0.98, 0.985) * 10]
    bands = bands_of({"overdue": 0.08, "due": 0.025, "safe": 0.01}, past, Fit())
    assert bands == {"overdue": Difficulty.HARD, "due": Difficulty.MEDIUM, "safe": Difficulty.EASY}
    easy, hard = band_cuts([predicted_failure(t.recall, 0.0, Fit()) for t in past], [t.failed for t in past])
    assert hard == NEVER_HARD_BELOW == 0.03 and easy == pytest.approx(0.015)


def test_class_factors_are_each_cards_shrunk_failure_rate_over_the_class_mean() -> None:
    factors = class_factors({"often": (9, 10), "never": (0, 10), "unseen": (0, 0), "once": (1, 1)})
    mean = 10 / 21
    assert factors["often"] == pytest.approx((9 + CLASS_SHRINK * mean) / (10 + CLASS_SHRINK) / mean)
    assert factors["never"] < 1 < factors["often"]
    assert factors["once"] < factors["often"]  # one failure in one review says less than nine in ten
    assert "unseen" not in factors  # no reviews: no evidence, the prior stays
    assert class_factors({"a": (0, 10)}) == {} and class_factors({}) == {}  # no failures: nothing to scale
    low, high = CLASS_FACTOR_RANGE  # a card nearly always failed, among cards nearly never failed: capped
    spread = class_factors({"a": (0, 1000), "b": (1000, 1000), "c": (0, 1000), "d": (0, 1000), "e": (0, 1000)})
    assert spread["b"] == high and spread["a"] == low


def test_the_class_rate_stands_in_for_the_prior_with_more_weight() -> None:
    # no reviews of its own: the card's excess is the class's, whatever the educator guessed
    assert excess_failure(0, 0, 0.1, Difficulty.EASY, class_factor=2.0) == pytest.approx(logit(0.2) - logit(0.1))
    # the class's rate yields more slowly to the learner's own reviews than the prior's guess does
    own = (0, 4, 0.2)
    assert excess_failure(*own, Difficulty.HARD) < excess_failure(*own, Difficulty.MEDIUM, class_factor=1.5)
    history = History([Answer("a", Difficulty.EASY, False, 0.9), Answer("a", Difficulty.EASY, False, 0.9)],
                      class_factors={"a": 2.0})
    assert history.tests[0].excess == pytest.approx(excess_failure(0, 0, 0.1, Difficulty.EASY, 2.0))
    assert history.tests[0].excess > 0
    assert History([Answer("a", Difficulty.EASY, False, 0.9)]).tests[0].excess < 0
