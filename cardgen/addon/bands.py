"""The difficulty bands from the learner's reviews, and the order of new cards they decide (no Qt).

Each reviewed note's band comes from its predicted failure at its next review, by the one definition
``cardgen learners`` shares (cardgen.difficulty), where how often the class failed the note stands in
for the educator's prior when the deck carries the class's counts (``cardgen build --learners-dir``);
a note without reviews keeps the educator's prior.
The plan retags the notes whose ``difficulty::`` tag differs, and orders the new cards along the
curriculum with the hard ones spread out (cardgen.addon.policy).
"""

from __future__ import annotations

import json

from cardgen.addon.plan import SchedulingPlan
from cardgen.addon.policy import spread_hard
from cardgen.addon.settings import DAY_SECONDS, NEW_QUEUE
from cardgen.difficulty import (
    Answer,
    Difficulty,
    History,
    bands_of,
    class_factors,
    fit_learner,
    predicted_failure,
    recall_after,
)
from cardgen.tags import DIFFICULTY_PREFIX, PRIOR_PREFIX, after_prefix, has_prefix

SPREAD = True  # new cards in curriculum order with hard ones spread out
LEARNING, REVIEW, RELEARNING = 0, 1, 2  # review kinds in Anki's card stats


def plan_bands(col, plan: SchedulingPlan, ids: str, today: int,
               class_counts: dict[str, tuple[int, int]] | None = None) -> tuple[list, dict[int, Difficulty]]:
    """Fill ``plan``'s bands and retagging for the cards ``ids`` (comma-separated); returns the cards'
    rows (id, note id, queue, home due, tags, data) in due order and each note's band. ``class_counts``:
    the class's (failed, reviewed) per note GUID, where the deck carries them: a reviewed note's
    record starts from how often the class failed it rather than from the educator's prior."""
    # A card the learner pulled into a filtered deck keeps its home due (a new card's place in the
    # deck, a review's day) in odue: its due there is its place in the filtered deck (-100000 on).
    rows = col.db.all(f"SELECT c.id, c.nid, c.queue, CASE WHEN c.odid != 0 THEN c.odue ELSE c.due END AS home_due, "
                      f"n.tags, c.data FROM cards c JOIN notes n ON n.id = c.nid "
                      f"WHERE c.id IN ({ids}) ORDER BY home_due, c.id")
    factors: dict[int, float] = {}
    if class_counts:
        by_guid = class_factors(class_counts)
        nids = ",".join(str(nid) for nid in {row[1] for row in rows}) or "0"
        factors = {nid: by_guid[guid] for nid, guid in col.db.all(f"SELECT id, guid FROM notes WHERE id IN ({nids})")
                   if guid in by_guid}
    plan.class_notes = len(factors)
    note_tags: dict[int, list[str]] = {}
    priors: dict[int, Difficulty] = {}
    for _, nid, _, _, tags, _ in rows:
        if nid not in note_tags:
            note_tags[nid] = words = tags.split()
            priors[nid] = tag_band(words, PRIOR_PREFIX) or tag_band(words, DIFFICULTY_PREFIX) or Difficulty.MEDIUM
    # each reviewed note's predicted failure at its next review (cardgen.difficulty): FSRS's own recall
    # then, moved by the learner's fit (a bias, and a weight on how much more often than their mean it failed)
    history = History(_answers(col, rows, priors), factors)
    plan.fit = fit_learner(history.tests)
    day_start = col.sched.day_cutoff - DAY_SECONDS
    predicted: dict[int, float] = {}
    for _, nid, queue, due_, _, data in rows:
        recall = _recall_at_next_review(queue, due_, data, today, day_start)
        if recall is None:
            continue
        plan.failure_shift[nid] = plan.fit.shift(history.excess(nid))
        p = predicted_failure(recall, history.excess(nid), plan.fit)
        predicted[nid] = max(p, predicted.get(nid, 0.0))  # a note is as hard as its hardest card
    note_band = dict(priors)  # a note without reviews: the educator's prior (the class's: docs/addon-evaluation.md)
    note_band.update(bands_of(predicted, history.tests, plan.fit))
    for nid, band in note_band.items():
        words = note_tags[nid]
        plan.bands[band] = plan.bands.get(band, 0) + 1
        if tag_band(words, DIFFICULTY_PREFIX) is not band or sum(
                has_prefix(t, DIFFICULTY_PREFIX) for t in words) != 1:
            plan.retag.setdefault(band, []).append(nid)
    plan._note_tags = note_tags  # type: ignore[attr-defined]
    return rows, note_band


def plan_new_order(plan: SchedulingPlan, rows: list, note_band: dict[int, Difficulty], pace: int) -> None:
    """New cards in curriculum order with hard ones spread out, ``pace`` new cards a day."""
    new_cards = [(cid, note_band[nid], due_) for cid, nid, queue, due_, _, _ in rows if queue == NEW_QUEUE]
    if new_cards and SPREAD:
        ordered = spread_hard([(cid, band) for cid, band, _ in new_cards], max(pace, 1))
        if ordered != [cid for cid, _, _ in new_cards]:
            plan.new_order = (min(d for _, _, d in new_cards), ordered)


def _answers(col, rows: list, priors: dict[int, Difficulty]) -> list[Answer]:
    """The learner's answers to cardgen cards in time order, each review with FSRS's predicted recall
    at it (from the memory state Anki computes after each earlier answer, with the parameters in use)."""
    timed: list[tuple[int, int, Answer]] = []
    for cid, nid, queue, _, _, data in rows:
        if queue == NEW_QUEUE:
            continue
        try:
            decay = float(json.loads(data or "{}").get("decay") or 0.5)
        except (ValueError, TypeError, AttributeError):
            decay = 0.5
        state, last = None, None
        for entry in sorted(col.card_stats_data(cid).revlog, key=lambda e: e.time):
            failed = entry.button_chosen == 1
            if entry.review_kind in (LEARNING, RELEARNING):
                timed.append((entry.time, cid, Answer(nid, priors[nid], failed, None)))
            elif entry.review_kind == REVIEW and state is not None and last is not None:
                recall = recall_after((entry.time - last) / DAY_SECONDS, state.stability, decay)
                timed.append((entry.time, cid, Answer(nid, priors[nid], failed, recall)))
            if entry.HasField("memory_state"):
                state, last = entry.memory_state, entry.time
    return [answer for _, _, answer in sorted(timed, key=lambda item: item[:2])]


def _recall_at_next_review(queue: int, due: int, data: str, today: int, day_start: float) -> float | None:
    """FSRS's predicted recall of a card at its next review (today when overdue), from the memory state
    Anki keeps in the card (stability, decay, last review time); None for a card without one. A card
    in (re)learning steps is next tested when it graduates, on the day FSRS schedules: taken as one
    stability on (recall 0.9), not the minutes to its next step."""
    if queue not in (1, 2, 3):
        return None
    try:
        state = json.loads(data or "{}")
        stability, last = float(state["s"]), float(state["lrt"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    decay = float(state.get("decay") or 0.5)
    if queue != 2:
        return recall_after(stability, stability, decay)
    elapsed = max(0.0, (day_start - last) / DAY_SECONDS) + max(0, due - today)
    return recall_after(elapsed, stability, decay)


def tag_band(tags: list[str], prefix: str) -> Difficulty | None:
    """The band the first tag under ``prefix`` names (None: no such tag, or not a band)."""
    for tag in tags:
        if has_prefix(tag, prefix):
            try:
                return Difficulty(after_prefix(tag, prefix).lower())
            except ValueError:
                return None
    return None
