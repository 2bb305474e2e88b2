"""The class's FSRS parameters: Anki's own fit on every learner's reviews of a deck's cards, pooled.

The build writes them into the deck description (cardgen.learners.deck_marks, ``<!-- cardgen:fsrs=... -->``),
and the add-on gives them to a cardgen preset that has no parameters yet (a cold start), until the learner's
own reviews fit better. The fit is Anki's ``compute_fsrs_params_from_items`` (as benchmarks/fair.py uses it),
run on a bare backend: no collection is opened.

Each card's history (one learner, one card) is its Again/Hard/Good/Easy answers in time order, learning,
review, relearning and filtered ones; a manual entry (a reschedule, ease 0) is left out, and a card whose
first answer is not a learning step (its start is missing from the log) is left out as Anki does. The days
between answers are counted in whole UTC days. Every answer after the first that comes a day or more after
the one before it is one training item (its history up to it), as in benchmarks/fair.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from cardgen.learners.model import Review

DAY_MS = 86_400_000
_LEARN = 0


def card_histories(reviews: Iterable[tuple[str, Review]], guids: set[str]) -> list[list[tuple[int, int]]]:
    """Each card's (rating, days since the answer before) history, of the notes in ``guids``."""
    by_card: dict[tuple[str, str, int], list[Review]] = defaultdict(list)
    for learner, review in reviews:
        if review.note_guid in guids and 1 <= review.ease <= 4 and review.type in (0, 1, 2, 3):
            by_card[(learner, review.note_guid, review.card_ord)].append(review)
    histories = []
    for key in sorted(by_card):
        answers = sorted(by_card[key], key=lambda r: r.review_id)
        if answers[0].type != _LEARN:
            continue
        days = [r.review_id // DAY_MS for r in answers]
        histories.append([(r.ease, 0 if i == 0 else days[i] - days[i - 1]) for i, r in enumerate(answers)])
    return histories


def class_fsrs_params(reviews: Iterable[tuple[str, Review]], guids: set[str]) -> list[float] | None:
    """FSRS parameters fitted by Anki on the class's pooled reviews of ``guids``' cards; None when Anki
    cannot fit them (too few reviews: it fails, or returns its defaults)."""
    histories = card_histories(reviews, guids)
    from anki._backend import RustBackend  # here: a build without learners never loads Anki
    from anki.scheduler_pb2 import FsrsItem, FsrsReview

    items = [FsrsItem(reviews=[FsrsReview(rating=r, delta_t=t) for r, t in h[:k + 1]])
             for h in histories for k in range(1, len(h)) if h[k][1] > 0]
    if not items:
        return None
    backend = RustBackend()
    try:
        fitted = [float(v) for v in backend.compute_fsrs_params_from_items(items).params]
        defaults = [float(v) for v in backend.compute_fsrs_params_from_items([]).params]
    except Exception:  # Anki's fit refused the items (too few): no class parameters
        return None
    if not fitted or all(abs(a - b) < 1e-6 for a, b in zip(fitted, defaults)):
        return None
    return fitted
