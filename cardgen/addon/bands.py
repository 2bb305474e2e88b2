"""The difficulty bands from the learner's reviews, and the order of new cards they decide (no Qt).

Each reviewed note's band comes from its predicted failure at its next review; a note without reviews
keeps the educator's prior. The plan retags the notes whose ``difficulty::`` tag differs, and orders
the new cards along the curriculum with the hard ones spread out (cardgen.addon.policy).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict

from cardgen.addon.plan import SchedulingPlan
from cardgen.addon.policy import (
    LEARN_FAIL_WEIGHT,
    bands_of,
    failure_rate,
    predicted_failure,
    recall_after,
    spread_hard,
)
from cardgen.addon.settings import DAY_SECONDS, NEW_QUEUE
from cardgen.difficulty import Difficulty
from cardgen.tags import DIFFICULTY_PREFIX, PRIOR_PREFIX, after_prefix, has_prefix

SPREAD = True  # new cards in curriculum order with hard ones spread out


def plan_bands(col, plan: SchedulingPlan, ids: str, today: int) -> tuple[list, dict[int, Difficulty]]:
    """Fill ``plan``'s bands and retagging for the cards ``ids`` (comma-separated); returns the cards'
    rows (id, note id, queue, due, tags, data) in due order and each note's band."""
    rows = col.db.all(f"SELECT c.id, c.nid, c.queue, c.due, n.tags, c.data FROM cards c JOIN notes n ON n.id = c.nid "
                      f"WHERE c.id IN ({ids}) ORDER BY c.due, c.id")
    log = col.db.all(f"SELECT c.nid, r.ease, r.type FROM revlog r JOIN cards c ON c.id = r.cid "
                     f"WHERE r.cid IN ({ids}) AND r.type IN (0, 1)")
    fails: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    review_fails = reviews_done = 0
    for nid, ease, kind in log:
        if kind == 1:
            counts[nid] += 1
            fails[nid] += ease == 1
            reviews_done += 1
            review_fails += ease == 1
        elif ease == 1:
            fails[nid] += LEARN_FAIL_WEIGHT
    mean_fail = review_fails / reviews_done if reviews_done else 0.1
    note_tags: dict[int, list[str]] = {}
    priors: dict[int, Difficulty] = {}
    for _, nid, _, _, tags, _ in rows:
        if nid not in note_tags:
            note_tags[nid] = words = tags.split()
            priors[nid] = tag_band(words, PRIOR_PREFIX) or tag_band(words, DIFFICULTY_PREFIX) or Difficulty.MEDIUM
    # each reviewed note's predicted failure at its next review: FSRS's own recall then, adjusted by how
    # much more (or less) often than the learner's mean the note failed (policy.predicted_failure)
    day_start = col.sched.day_cutoff - DAY_SECONDS
    predicted: dict[int, float] = {}
    for _, nid, queue, due_, _, data in rows:
        recall = _recall_at_next_review(queue, due_, data, today, day_start)
        if recall is None:
            continue
        rate = failure_rate(fails[nid], counts[nid], mean_fail, priors[nid])
        p = predicted_failure(recall, rate, mean_fail)
        predicted[nid] = max(p, predicted.get(nid, 0.0))  # a note is as hard as its hardest card
    note_band = dict(priors)  # a note without reviews: the educator's prior
    note_band.update(bands_of(predicted, statistics.mean(predicted.values()) if predicted else 0.0))
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


def _recall_at_next_review(queue: int, due: int, data: str, today: int, day_start: float) -> float | None:
    """FSRS's predicted recall of a card at its next review (today when overdue), from the memory state
    Anki keeps in the card (stability, decay, last review time); None for a card without one."""
    if queue not in (1, 2, 3):
        return None
    try:
        state = json.loads(data or "{}")
        stability, last = float(state["s"]), float(state["lrt"])
    except (ValueError, KeyError, TypeError):
        return None
    decay = float(state.get("decay") or 0.5)
    days_until = max(0, due - today) if queue in (2, 3) else 0
    elapsed = max(0.0, (day_start - last) / DAY_SECONDS) + days_until
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
