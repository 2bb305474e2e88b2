"""The per-learner difficulty model and the pace recommendation (reasoning in the README).

Every card gets ``p_fail``: the chance that this learner fails it at a review ``HORIZON_DAYS``
after studying it.

* A card the learner has reviewed: from Anki's FSRS memory state (stability S, decay w) computed
  from the learner's own history at import, ``p_fail = 1 - (1 + f * H / S) ** -w`` with
  ``f = 0.9 ** (-1 / w) - 1`` (FSRS-6's forgetting curve, so that R(S) = 90 %).
* A card the learner has not seen: how the class fared on it (failed reviews over reviews),
  shrunk towards its topic's rate, which is shrunk towards the prior of the case's
  ``difficulty``; then shifted on the logit scale by this learner's ability: the logit of their
  own (shrunk) failure rate minus the class's.

Bands: ``easy`` when ``p_fail < EASY_BELOW``, ``hard`` when ``p_fail >= HARD_FROM``, else ``medium``.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from cardgen.learners.store import reviews_of, states_of
from cardgen.teaching.case import Difficulty

HORIZON_DAYS = 7.0
EASY_BELOW = 0.10
HARD_FROM = 0.25
# Failure chance at a review, by the case's own difficulty: the prior when no one has data.
PRIOR_FAIL = {Difficulty.EASY: 0.06, Difficulty.MEDIUM: 0.15, Difficulty.HARD: 0.30}
SHRINK = 5.0  # pseudo-reviews of the wider group each rate is pulled towards
REVIEW, RELEARN = 1, 2  # revlog types that test recall after a delay
AGAIN = 1

# Pace: new cards per day.
BASE_PACE = 15
TARGET_RETENTION = 0.90
REVIEW_BUDGET = 150  # reviews per day a learner can sustain
REVIEWS_PER_NEW_CARD = 8  # reviews a new card costs in its first month
MIN_PACE, MAX_PACE = 3, 30


def band_of(p_fail: float) -> Difficulty:
    """The difficulty band of a failure chance."""
    if p_fail < EASY_BELOW:
        return Difficulty.EASY
    if p_fail >= HARD_FROM:
        return Difficulty.HARD
    return Difficulty.MEDIUM


def fsrs_fail(stability: float, decay: float, days: float = HORIZON_DAYS) -> float:
    """FSRS's chance of forgetting a card of this stability after ``days``."""
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return 1.0 - (1.0 + factor * days / max(stability, 1e-6)) ** (-decay)


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
    source: str  # "fsrs", "class" or "prior"

    @property
    def band(self) -> Difficulty:
        return band_of(self.p_fail)


class ClassStats:
    """Failure counts of the whole class, per card, per topic and per learner."""

    def __init__(self, connection: sqlite3.Connection, topics_of: dict[str, tuple[str, ...]]) -> None:
        self.card = defaultdict(lambda: [0, 0])
        self.topic = defaultdict(lambda: [0, 0])
        self.learner = defaultdict(lambda: [0, 0])
        self.total = [0, 0]
        for learner, review in reviews_of(connection):
            if review.type not in (REVIEW, RELEARN):
                continue
            failed = int(review.ease == AGAIN)
            for counter in (self.card[(review.note_guid, review.card_ord)], self.learner[learner], self.total,
                            *(self.topic[t] for t in topics_of.get(review.note_guid, ()))):
                counter[0] += failed
                counter[1] += 1

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
        source = "class" if total or topic_total else "prior"
        return CardEstimate(_sigmoid(_logit(rate) + shift), source)


def learner_estimates(connection: sqlite3.Connection, learner: str, notes: list[NoteFacts],
                      stats: ClassStats | None = None) -> dict[tuple[str, int], CardEstimate]:
    """Every card's estimate for ``learner``: keyed by (note GUID, card ordinal).

    ``stats``: the class's counts, when several learners are estimated from the same database.
    """
    stats = stats or ClassStats(connection, {n.guid: n.topics for n in notes})
    states = {(s.note_guid, s.card_ord): s for s in states_of(connection, learner)}
    shift = stats.ability_shift(learner)
    estimates: dict[tuple[str, int], CardEstimate] = {}
    for note in notes:
        for card_ord in range(note.cards):
            state = states.get((note.guid, card_ord))
            if state is not None:
                estimates[(note.guid, card_ord)] = CardEstimate(fsrs_fail(state.stability, state.decay), "fsrs")
            else:
                estimates[(note.guid, card_ord)] = stats.unseen_fail(note, card_ord, shift)
    return estimates


def note_bands(connection: sqlite3.Connection, learner: str, notes: list[NoteFacts],
               stats: ClassStats | None = None) -> dict[str, Difficulty]:
    """Each note's band for ``learner``: from the mean failure chance of its cards."""
    estimates = learner_estimates(connection, learner, notes, stats)
    return {note.guid: band_of(sum(estimates[(note.guid, o)].p_fail for o in range(note.cards)) / note.cards)
            for note in notes}


def retention(connection: sqlite3.Connection, learner: str) -> float | None:
    """The share of this learner's delayed reviews that were recalled (None without any)."""
    row = connection.execute("SELECT sum(ease > 1), count() FROM reviews WHERE learner = ? AND type IN (?, ?)",
                             (learner, REVIEW, RELEARN)).fetchone()
    return row[0] / row[1] if row[1] else None


def daily_load(connection: sqlite3.Connection, learner: str) -> float:
    """Reviews per day over the learner's last 7 days of history."""
    newest = connection.execute("SELECT max(review_id) FROM reviews WHERE learner = ?", (learner,)).fetchone()[0]
    if newest is None:
        return 0.0
    count = connection.execute("SELECT count() FROM reviews WHERE learner = ? AND review_id > ?",
                               (learner, newest - 7 * 86_400_000)).fetchone()[0]
    return count / 7.0


def pace(connection: sqlite3.Connection, learner: str) -> int:
    """New cards per day for this learner.

    ``BASE_PACE * (retention / TARGET_RETENTION) ** 4``: a learner who keeps less than the target
    gets fewer new cards (each lost point of retention means more relearning), then capped so the
    review load stays within ``REVIEW_BUDGET``, and kept within ``MIN_PACE..MAX_PACE``.
    """
    kept = retention(connection, learner)
    by_retention = BASE_PACE * ((kept if kept is not None else TARGET_RETENTION) / TARGET_RETENTION) ** 4
    by_load = max(0.0, REVIEW_BUDGET - daily_load(connection, learner)) / REVIEWS_PER_NEW_CARD
    return int(min(max(round(min(by_retention, by_load)), MIN_PACE), MAX_PACE))
