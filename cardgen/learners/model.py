"""The per-learner difficulty model and the pace recommendation (reasoning in docs/learners.md).

Every card gets ``p_fail``: how likely this learner is to fail it at its next review, and its band,
by the one definition the Anki add-on uses too (cardgen.difficulty):

* A card the learner has reviewed: FSRS's predicted recall at its next review, from the memory
  state Anki computed from the learner's own history, moved by the learner's :class:`Fit` (a bias
  and a weight on how much more often than their mean the card failed), fitted on their past reviews
  in time order. The review log keeps no memory state, so FSRS's recall at a past review is taken
  from the forgetting curve of the interval it was scheduled at (recall 0.9 at that interval, Anki's
  default desired retention).
* A card the learner has not seen: how the class fared on it (failed reviews over reviews),
  shrunk towards its topic's rate, which is shrunk towards the prior of the case's
  ``difficulty``; then shifted on the logit scale by this learner's ability: the logit of their
  own (shrunk) failure rate minus the class's.

Bands: cut where the learner's own latest reviews were riskiest and safest
(:func:`cardgen.difficulty.bands_of`); a note is as hard as its hardest card.

The model works on plain data (reviews, memory states, class counts) and imports only the standard
library and cardgen.difficulty: ``cardgen learners`` feeds it from the learners database, and the Anki
add-on, which carries this very file, reads its data types.
"""

from __future__ import annotations

import math
from collections import defaultdict
import enum
from dataclasses import dataclass
from typing import Iterable

from cardgen.difficulty import (
    Answer,
    Difficulty,
    Fit,
    History,
    bands_of,
    class_factors,
    fit_learner,
    predicted_failure,
    recall_after,
)

# Failure chance at a review, by the case's own difficulty: the prior when no one has data.
PRIOR_FAIL = {Difficulty.EASY: 0.06, Difficulty.MEDIUM: 0.15, Difficulty.HARD: 0.30}
SHRINK = 5.0  # pseudo-reviews of the wider group each rate is pulled towards
LEARN, REVIEW, RELEARN = 0, 1, 2  # revlog types
AGAIN = 1
DAY_MS = 86_400_000
REPEAT_GAP_MS = DAY_MS // 2  # an answer this long after the one before: on a later day, not a quick repeat

# Pace: new cards per day.
BASE_PACE = 15
TARGET_RETENTION = 0.90
REVIEW_BUDGET = 150  # reviews per day a learner can sustain
REVIEWS_PER_NEW_CARD = 8  # reviews a new card costs in its first month
MIN_PACE, MAX_PACE = 3, 30


class FsrsParams(str, enum.Enum):
    """Which FSRS parameters a memory state was computed with."""

    FITTED = "fitted"  # fitted to this learner's own reviews
    DEFAULT = "default"  # Anki's defaults


class EstimateSource(str, enum.Enum):
    """What a card's estimate rests on."""

    FSRS = "fsrs"  # the learner's own reviews of the card
    CLASS = "class"  # the class's reviews of the card or its topic
    PRIOR = "prior"  # the case's difficulty alone


@dataclass(frozen=True)
class Review:
    """One review-log entry of a cardgen card, as Anki's ``revlog`` has it."""

    note_guid: str
    card_ord: int
    review_id: int  # the review's time, ms since 1970
    ease: int  # 1 Again, 2 Hard, 3 Good, 4 Easy (0: manual)
    interval: int  # days; negative: seconds
    last_interval: int
    factor: int
    time_ms: int
    type: int  # 0 learn, 1 review, 2 relearn, 3 filtered, 4 manual

    @property
    def tests_recall(self) -> bool:
        """A review after a delay: the ones that say whether the learner remembered."""
        return self.type in (REVIEW, RELEARN)

    @property
    def failed(self) -> bool:
        return self.ease == AGAIN


@dataclass(frozen=True)
class CardState:
    """Anki's FSRS memory state of one card for one learner."""

    note_guid: str
    card_ord: int
    stability: float
    difficulty: float
    decay: float
    last_review_ms: int
    params: FsrsParams


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _shrunk(fails: float, total: float, towards: float) -> float:
    return (fails + SHRINK * towards) / (total + SHRINK)


@dataclass(frozen=True)
class NoteFacts:
    """What the model needs to know of a note: its GUID, topic tags, card count and prior."""

    guid: str
    topics: tuple[str, ...]
    cards: int
    prior: Difficulty


@dataclass(frozen=True)
class CardEstimate:
    """The model's view of one card for one learner."""

    p_fail: float
    source: EstimateSource


def _counter() -> list[int]:
    return [0, 0]


class ClassStats:
    """Failure counts (failed, delayed reviews) of the whole class, per card, per topic and per learner;
    and ``repeats``: (failed, answered) of the answers a card got at least :data:`REPEAT_GAP_MS` after
    two failed answers in a row by the same learner (whether a failed card is forgotten before the
    next day: the add-on's cold start for its learning steps, cardgen.addon.policy.class_repeats_fail)."""

    def __init__(self) -> None:
        self.card: dict[tuple[str, int], list[int]] = defaultdict(_counter)
        self.topic: dict[str, list[int]] = defaultdict(_counter)
        self.learner: dict[str, list[int]] = defaultdict(_counter)
        self.total = [0, 0]
        self.repeats = [0, 0]

    @classmethod
    def from_reviews(cls, reviews: Iterable[tuple[str, Review]],
                     topics_of: dict[str, tuple[str, ...]]) -> "ClassStats":
        """The counts of (learner, review) pairs; ``topics_of``: each note GUID's topic tags."""
        stats = cls()
        histories: dict[tuple[str, str, int], list[Review]] = defaultdict(list)
        for learner, review in reviews:
            histories[(learner, review.note_guid, review.card_ord)].append(review)
            if not review.tests_recall:
                continue
            for counter in (stats.card[(review.note_guid, review.card_ord)], stats.learner[learner], stats.total,
                            *(stats.topic[t] for t in topics_of.get(review.note_guid, ()))):
                counter[0] += review.failed
                counter[1] += 1
        for history in histories.values():
            history.sort(key=lambda r: r.review_id)
            for before, failed, answer in zip(history, history[1:], history[2:]):
                if before.failed and failed.failed and answer.review_id - failed.review_id >= REPEAT_GAP_MS:
                    stats.repeats[0] += answer.failed
                    stats.repeats[1] += 1
        return stats

    def with_learner(self, learner: str, reviews: Iterable[Review]) -> "ClassStats":
        """These counts, with ``learner``'s own counted from ``reviews`` (the add-on's view)."""
        counter = self.learner[learner] = [0, 0]
        for review in reviews:
            if review.tests_recall:
                counter[0] += review.failed
                counter[1] += 1
        return self

    def to_json(self) -> dict:
        """The class's counts without any learner's own: what a deck may carry to the add-on."""
        return {"total": list(self.total), "repeats": list(self.repeats),
                "cards": {f"{guid} {ord_}": list(c) for (guid, ord_), c in sorted(self.card.items())},
                "topics": {topic: list(c) for topic, c in sorted(self.topic.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "ClassStats":
        """The counts ``to_json`` wrote."""
        stats = cls()
        stats.total = [int(v) for v in data.get("total", (0, 0))]
        failed, answered = (int(v) for v in data.get("repeats", (0, 0)))  # absent from decks built before
        stats.repeats = [failed, answered]
        for key, (fails, total) in data.get("cards", {}).items():
            guid, _, ord_ = key.rpartition(" ")
            stats.card[(guid, int(ord_))] = [int(fails), int(total)]
        for topic, (fails, total) in data.get("topics", {}).items():
            stats.topic[topic] = [int(fails), int(total)]
        return stats

    def note_counts(self, leaving_out: Iterable[Review] = ()) -> dict[str, tuple[int, int]]:
        """(failed, reviewed) per note GUID, its cards' counts together (a note is as hard as its cards),
        without the reviews ``leaving_out`` (a learner's own, which their own record already counts)."""
        counts: dict[str, list[int]] = defaultdict(_counter)
        for (guid, _), (fails, total) in self.card.items():
            counts[guid][0] += fails
            counts[guid][1] += total
        for review in leaving_out:
            if review.tests_recall and review.note_guid in counts:
                counts[review.note_guid][0] -= review.failed
                counts[review.note_guid][1] -= 1
        return {guid: (max(c[0], 0), max(c[1], 0)) for guid, c in counts.items()}

    def class_fail(self) -> float:
        return _shrunk(*self.total, towards=PRIOR_FAIL[Difficulty.MEDIUM])

    def ability_shift(self, learner: str) -> float:
        """How much likelier this learner fails than the class, on the logit scale (0: average)."""
        fails, total = self.learner.get(learner, (0, 0))
        return _logit(_shrunk(fails, total, self.class_fail())) - _logit(self.class_fail())

    def unseen_fail(self, note: NoteFacts, card_ord: int, shift: float) -> CardEstimate:
        prior = PRIOR_FAIL[note.prior]
        topic_counts = [self.topic[t] for t in note.topics if t in self.topic]
        topic_fails = sum(c[0] for c in topic_counts)
        topic_total = sum(c[1] for c in topic_counts)
        topic_rate = _shrunk(topic_fails, topic_total, prior)
        fails, total = self.card.get((note.guid, card_ord), (0, 0))
        rate = _shrunk(fails, total, topic_rate)
        source = EstimateSource.CLASS if total or topic_total else EstimateSource.PRIOR
        return CardEstimate(_sigmoid(_logit(rate) + shift), source)


def learner_history(reviews: Iterable[Review], states: Iterable[CardState], notes: Iterable[NoteFacts],
                    class_factors: dict[str, float] | None = None) -> History:
    """The learner's answers replayed in time order (cardgen.difficulty.History), each delayed review
    with FSRS's recall at it from the forgetting curve of the interval it was scheduled at;
    ``class_factors``: how often the class failed each note (cardgen.difficulty.class_factors)."""
    decay = {(s.note_guid, s.card_ord): s.decay for s in states}
    prior = {note.guid: note.prior for note in notes}
    last_seen: dict[tuple[str, int], int] = {}
    answers = []
    for r in sorted(reviews, key=lambda r: r.review_id):
        key = (r.note_guid, r.card_ord)
        if r.type in (LEARN, RELEARN) or (r.type == REVIEW and (r.last_interval <= 0 or key not in last_seen)):
            answers.append(Answer(r.note_guid, prior.get(r.note_guid, Difficulty.MEDIUM), r.failed, None))
        elif r.type == REVIEW:
            elapsed = (r.review_id - last_seen[key]) / DAY_MS
            recall = recall_after(elapsed, float(r.last_interval), decay.get(key, 0.5))
            answers.append(Answer(r.note_guid, prior.get(r.note_guid, Difficulty.MEDIUM), r.failed, recall))
        if r.type in (LEARN, REVIEW, RELEARN):
            last_seen[key] = r.review_id
    return History(answers, class_factors)


def learner_estimates(learner: str, notes: Iterable[NoteFacts], states: Iterable[CardState], stats: ClassStats,
                      reviews: Iterable[Review] = ()) -> tuple[dict[tuple[str, int], CardEstimate], History, Fit]:
    """Every card's estimate for ``learner``, keyed by (note GUID, card ordinal), with the learner's
    replayed history and fit.

    ``states``: the learner's FSRS memory states; ``stats``: the class's counts, the learner's own
    among them; ``reviews``: the learner's own reviews. A reviewed card's next review is due one
    scheduled interval after its last, or at the learner's latest review when that is later (overdue).
    """
    notes, states, reviews = list(notes), list(states), list(reviews)
    # how often the rest of the class failed each note stands in for its prior, as in the add-on
    history = learner_history(reviews, states, notes, class_factors(stats.note_counts(leaving_out=reviews)))
    fit = fit_learner(history.tests)
    latest = {}
    for r in reviews:
        if r.review_id >= latest.get((r.note_guid, r.card_ord), (0, 0))[0]:
            latest[(r.note_guid, r.card_ord)] = (r.review_id, r.interval)
    now_ms = max((r.review_id for r in reviews), default=0)
    by_card = {(s.note_guid, s.card_ord): s for s in states}
    shift = stats.ability_shift(learner)
    estimates: dict[tuple[str, int], CardEstimate] = {}
    for note in notes:
        for card_ord in range(note.cards):
            state = by_card.get((note.guid, card_ord))
            if state is not None:
                interval = max(latest.get((note.guid, card_ord), (0, 0))[1], 0)
                days = max(float(interval), (now_ms - state.last_review_ms) / DAY_MS)
                recall = recall_after(days, state.stability, state.decay)
                estimates[(note.guid, card_ord)] = CardEstimate(
                    predicted_failure(recall, history.excess(note.guid), fit), EstimateSource.FSRS)
            else:
                estimates[(note.guid, card_ord)] = stats.unseen_fail(note, card_ord, shift)
    return estimates, history, fit


def note_bands(learner: str, notes: list[NoteFacts], states: Iterable[CardState], stats: ClassStats,
               reviews: Iterable[Review] = ()) -> dict[str, Difficulty]:
    """Each note's band for ``learner`` (cardgen.difficulty.bands_of): its hardest card's predicted
    failure, cut where the learner's own latest reviews were riskiest and safest."""
    estimates, history, fit = learner_estimates(learner, notes, states, stats, reviews)
    scores = {note.guid: max(estimates[(note.guid, o)].p_fail for o in range(note.cards)) for note in notes}
    return bands_of(scores, history.tests, fit)


def retention(reviews: Iterable[Review]) -> float | None:
    """The share of these delayed reviews that were recalled (None without any)."""
    delayed = [review for review in reviews if review.tests_recall]
    return sum(not r.failed for r in delayed) / len(delayed) if delayed else None


def daily_load(reviews: Iterable[Review]) -> float:
    """Reviews per day over the last 7 days of this history."""
    times = [review.review_id for review in reviews]
    if not times:
        return 0.0
    newest = max(times)
    return sum(t > newest - 7 * DAY_MS for t in times) / 7.0


def pace(reviews: Iterable[Review]) -> int:
    """New cards per day for the learner of these reviews.

    ``BASE_PACE * (retention / TARGET_RETENTION) ** 4``: a learner who keeps less than the target
    gets fewer new cards (each lost point of retention means more relearning), then capped so the
    review load stays within ``REVIEW_BUDGET``, and kept within ``MIN_PACE..MAX_PACE``.
    """
    reviews = list(reviews)
    kept = retention(reviews)
    by_retention = BASE_PACE * ((kept if kept is not None else TARGET_RETENTION) / TARGET_RETENTION) ** 4
    by_load = max(0.0, REVIEW_BUDGET - daily_load(reviews)) / REVIEWS_PER_NEW_CARD
    return int(min(max(round(min(by_retention, by_load)), MIN_PACE), MAX_PACE))
