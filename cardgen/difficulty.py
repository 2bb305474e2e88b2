"""How hard a card is: the educator's prior for a case, and each learner's band.

Standard library only: the Anki add-on carries this module (see cardgen.addon.package).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, TypeVar

K = TypeVar("K", bound=Hashable)


class Difficulty(str, enum.Enum):
    """The educator's prior of how hard a case is, and the band the learners model gives a card."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


# ---------------------------------------------------------------- the learner's band: predicted failure
#
# One definition for the add-on (cardgen.addon.scheduling) and the educator's ``cardgen learners``
# (cardgen.learners.model). A reviewed card's score is its probability of failing its next review:
# FSRS's own predicted recall then, moved on the logit scale by the learner's :class:`Fit`: a bias
# (FSRS's parameters in use may be too hopeful or too gloomy for this learner) and a weight times how
# much more often than the learner's mean the card failed. Both are fitted on the learner's own past
# reviews in time order, penalised towards 0, and kept only when they predicted the latest of those
# reviews better than FSRS alone: what says nothing leaves FSRS's prediction as it is.
# ``hard``: likelier to fail than the learner's latest reviews failed on average (for a calibrated
# prediction, the cut that best separates the reviews that fail from those that pass) and at least
# 3 in 100, or likelier to fail than not; ``easy``: as unlikely to fail as the safest
# :data:`EASY_SHARE` of those reviews were predicted to be; fixed cuts (:data:`FIRST_CUTS`) until the
# learner has reviews enough.
# Measured in docs/addon-evaluation.md.

EASY_SHARE = 0.3  # of the learner's latest reviews, by their predicted failure
CUT_REVIEWS = 200  # the latest reviews the bands are cut by
LIKELIER_THAN_NOT = 0.5  # a predicted failure this high is hard whatever the learner's other reviews
# a predicted failure below this is never hard (3 in 100), however rarely the learner's reviews fail:
# without it a learner who failed none of their latest reviews had nearly every note tagged hard
NEVER_HARD_BELOW = 0.03
PRIOR_FAIL_WEIGHT = 4.0  # pseudo-reviews the educator's prior counts for in a card's failure rate
PRIOR_FAIL = {Difficulty.EASY: 0.6, Difficulty.MEDIUM: 1.0, Difficulty.HARD: 1.5}  # x the learner's mean
CLASS_FAIL_WEIGHT = 8.0  # pseudo-reviews the class's failure rate of a card counts for, in its place
BIAS_PENALTY = 5.0  # L2 penalties (in reviews' worth of log likelihood) pulling the fit towards FSRS alone
WEIGHT_PENALTY = 20.0
MAX_SHIFT = 3.0  # the fitted bias and weight stay within +-this
VALIDATE_SHARE = 1 / 3  # the latest share of past reviews the fit must predict better than FSRS alone
GATE_NATS = 3.0  # by this much log likelihood in all (a likelihood-ratio test at 5 % for 2 parameters)
MIN_TESTS = 30  # fewer past reviews than this: FSRS alone, and the bands cut at FIRST_CUTS
# (easy at or below, hard from) before the learner has MIN_TESTS reviews: FSRS's usual target failure
# (10 %), and 25 %, where a card costs about twice the reviews of one at the target
FIRST_CUTS = (0.10, 0.25)
LEARN_FAIL_WEIGHT = 0.5  # an Again in a learning step counts half a failed review
FIRST_MEAN_FAIL = 0.1  # the learner's mean failure before their first review


@dataclass(frozen=True)
class RecallTest:
    """One past review that tested recall: FSRS's predicted recall at it, the card's excess failure
    (:func:`excess_failure`) from the reviews before it, and whether it failed. In time order."""

    recall: float
    excess: float
    failed: bool


@dataclass(frozen=True)
class Answer:
    """One answer of the learner's, in time order: the card's key (a note: a note is as hard as its
    cards together), its educator prior, whether it was Again, and FSRS's predicted recall at it when
    it tested recall after a delay (None: a learning step)."""

    key: Hashable
    prior: Difficulty
    failed: bool
    recall: float | None


class History:
    """A learner's answers replayed in time order: the :class:`RecallTest` of every review (each
    with only the evidence before it), then each card's failure counts and the learner's mean.

    ``class_factors``: how often the class failed each card the class reviewed, as a multiple of the
    class's mean (:func:`class_factors`); where a card has one it stands in for the educator's prior."""

    def __init__(self, answers: Iterable[Answer], class_factors: Mapping | None = None) -> None:
        self.class_factors = dict(class_factors or {})
        self.tests: list[RecallTest] = []
        self.fails: dict = {}
        self.reviews: dict = {}
        self.priors: dict = {}
        self.mean_fail = FIRST_MEAN_FAIL
        failed_reviews = reviews = 0
        for a in answers:
            self.priors[a.key] = a.prior
            if a.recall is None:
                self.fails[a.key] = self.fails.get(a.key, 0.0) + LEARN_FAIL_WEIGHT * a.failed
                continue
            self.tests.append(RecallTest(a.recall, self.excess(a.key), a.failed))
            self.fails[a.key] = self.fails.get(a.key, 0.0) + a.failed
            self.reviews[a.key] = self.reviews.get(a.key, 0) + 1
            failed_reviews += a.failed
            reviews += 1
            self.mean_fail = failed_reviews / reviews

    def excess(self, key: Hashable) -> float:
        """The card's :func:`excess_failure` from the answers replayed so far."""
        return excess_failure(self.fails.get(key, 0.0), self.reviews.get(key, 0), self.mean_fail,
                              self.priors.get(key, Difficulty.MEDIUM), self.class_factors.get(key))


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    z = min(max(z, -30.0), 30.0)
    return 1.0 / (1.0 + math.exp(-z))


def recall_after(days: float, stability: float, decay: float) -> float:
    """FSRS's forgetting curve: the probability of recall ``days`` after the last review."""
    factor = 0.9 ** (-1 / decay) - 1
    return (1 + factor * max(days, 0.0) / max(stability, 1e-3)) ** (-decay)


def excess_failure(fails: float, reviews: int, mean_fail: float, prior: Difficulty,
                   class_factor: float | None = None) -> float:
    """How much more often than the learner's mean (``mean_fail``) a card failed its reviews, on the
    logit scale: its failure rate smoothed towards what its prior expects of this learner
    (:data:`PRIOR_FAIL_WEIGHT` pseudo-reviews at the mean times the prior's factor), or, when the class
    reviewed the card, towards what the class's failures expect (``class_factor`` times the mean, for
    :data:`CLASS_FAIL_WEIGHT` pseudo-reviews: it rests on many learners' reviews, not one guess)."""
    mean = min(max(mean_fail, 0.02), 0.6)
    factor, weight = ((PRIOR_FAIL[prior], PRIOR_FAIL_WEIGHT) if class_factor is None
                      else (class_factor, CLASS_FAIL_WEIGHT))
    rate = (fails + weight * factor * mean) / (reviews + weight)
    return logit(rate) - logit(mean)


CLASS_SHRINK = 5.0  # pseudo-reviews at the class's mean a card's class failure rate is pulled towards
CLASS_FACTOR_RANGE = (0.25, 4.0)  # a card fails at most this much less or more often than the mean


def class_factors(counts: Mapping[K, tuple[int, int]]) -> dict[K, float]:
    """How often the class failed each card (or note), as a multiple of the class's mean failure rate:
    ``counts`` (failed, reviewed) per key, each rate shrunk towards the mean by :data:`CLASS_SHRINK`
    pseudo-reviews (a card few reviewed says little) and kept within :data:`CLASS_FACTOR_RANGE`."""
    failed = sum(f for f, _ in counts.values())
    reviewed = sum(n for _, n in counts.values())
    if not reviewed or not failed:
        return {}
    mean = failed / reviewed
    low, high = CLASS_FACTOR_RANGE
    return {key: min(high, max(low, (f + CLASS_SHRINK * mean) / (n + CLASS_SHRINK) / mean))
            for key, (f, n) in counts.items() if n}


@dataclass(frozen=True)
class Fit:
    """How this learner's reviews depart from FSRS's predictions, on the logit scale of failure: a
    ``bias`` for every card and a ``weight`` on the card's :func:`excess_failure`. Fit() is FSRS alone."""

    bias: float = 0.0
    weight: float = 0.0

    def shift(self, excess: float) -> float:
        """What this fit adds to FSRS's logit of failure for a card of this excess."""
        return self.bias + self.weight * excess


def predicted_failure(recall: float, excess: float, fit: Fit) -> float:
    """The probability of failing a review FSRS expects to be recalled with ``recall``: FSRS's
    prediction moved by ``fit`` on the logit scale (Fit(): FSRS's exactly)."""
    return _sigmoid(logit(1 - recall) + fit.shift(excess))


def _fit(tests: list[RecallTest]) -> Fit:
    """The penalised maximum-likelihood fit (Newton's method on two parameters, FSRS as offset)."""
    b = w = 0.0
    for _ in range(30):
        gb, gw = BIAS_PENALTY * b, WEIGHT_PENALTY * w
        hbb, hbw, hww = BIAS_PENALTY, 0.0, WEIGHT_PENALTY
        for t in tests:
            p = predicted_failure(t.recall, t.excess, Fit(b, w))
            r, v = p - t.failed, p * (1 - p)
            gb += r
            gw += r * t.excess
            hbb += v
            hbw += v * t.excess
            hww += v * t.excess ** 2
        det = hbb * hww - hbw * hbw
        step_b, step_w = (hww * gb - hbw * gw) / det, (hbb * gw - hbw * gb) / det
        b = min(max(b - step_b, -MAX_SHIFT), MAX_SHIFT)
        w = min(max(w - step_w, -MAX_SHIFT), MAX_SHIFT)
        if max(abs(step_b), abs(step_w)) < 1e-6:
            break
    return Fit(b, w)


def log_loss(tests: list[RecallTest], fit: Fit) -> float:
    """Mean log loss of :func:`predicted_failure` with ``fit`` on ``tests``."""
    total = 0.0
    for t in tests:
        p = min(max(predicted_failure(t.recall, t.excess, fit), 1e-6), 1 - 1e-6)
        total -= math.log(p if t.failed else 1 - p)
    return total / max(len(tests), 1)


def fit_learner(tests: list[RecallTest]) -> Fit:
    """This learner's :class:`Fit` from their past reviews in time order: fitted on all but the latest
    :data:`VALIDATE_SHARE`, kept (refitted on all) only when it predicted those latest reviews better
    than FSRS alone by more than chance would (:data:`GATE_NATS`); otherwise Fit(), FSRS alone."""
    if len(tests) < MIN_TESTS:
        return Fit()
    split = int(len(tests) * (1 - VALIDATE_SHARE))
    early, recent = tests[:split], tests[split:]
    if (log_loss(recent, Fit()) - log_loss(recent, _fit(early))) * len(recent) < GATE_NATS:
        return Fit()
    return _fit(tests)


def band_cuts(past: list[float], failed: list[bool]) -> tuple[float, float]:
    """(easy at or below, hard at or above): the predicted failure the :data:`EASY_SHARE` safest of
    the learner's latest reviews had (``past``; never above the hard cut), and their failure rate
    (``failed``), at least :data:`NEVER_HARD_BELOW` and at most :data:`LIKELIER_THAN_NOT`."""
    ordered = sorted(past)
    if not ordered:
        return 0.0, LIKELIER_THAN_NOT
    hard = min(max(sum(failed) / max(len(failed), 1), NEVER_HARD_BELOW), LIKELIER_THAN_NOT)
    return min(ordered[max(0, int(len(ordered) * EASY_SHARE) - 1)], hard), hard


def bands_of(scores: dict[K, float], past_tests: list[RecallTest], fit: Fit) -> dict[K, Difficulty]:
    """Each card's (or note's) band from its predicted failure at its next review (``scores``), cut
    by the learner's latest :data:`CUT_REVIEWS` reviews (``past_tests``, scored with ``fit``); at
    :data:`FIRST_CUTS` while they number fewer than :data:`MIN_TESTS`."""
    latest = past_tests[-CUT_REVIEWS:]
    cuts = FIRST_CUTS
    if len(latest) >= MIN_TESTS:
        cuts = band_cuts([predicted_failure(t.recall, t.excess, fit) for t in latest], [t.failed for t in latest])
    return {key: band_of(score, cuts) for key, score in scores.items()}


def band_of(score: float, cuts: tuple[float, float]) -> Difficulty:
    """The band of a reviewed card's predicted failure at its next review, given :func:`band_cuts`."""
    easy, hard = cuts
    if score >= hard and score > easy:
        return Difficulty.HARD
    if score <= easy and score < hard:
        return Difficulty.EASY
    return Difficulty.MEDIUM
