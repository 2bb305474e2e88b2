"""A learner's own deck: the class deck's notes with that learner's difficulty tags and pace.

The GUIDs stay the same, so the learner's Anki updates the notes they already have. Anki only
updates a note from a package whose copy is newer, so the notes' modification time becomes one
second after the later of the class deck's and the time the learner's imported history reached
(their export, or their newest review or edit of a cardgen note: a note they marked after their last
review is updated too), but never later than the build's own time (``SOURCE_DATE_EPOCH``, or the
clock): a note dated in the future would block every later deck. It depends on the inputs alone, so
a rebuild from the same database writes the same deck.
The pace, the class's counts and the class's FSRS parameters (cardgen.learners.class_fit) go into the root deck's description (cardgen.learners.deck_marks),
where the add-on reads them.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from cardgen.cards.notes import NoteSpec
from cardgen.deck.spool import NoteSpool
from cardgen.errors import InputError
from cardgen.tags import DIFFICULTY_PREFIX, has_prefix
from cardgen.learners.class_fit import class_fsrs_params
from cardgen.learners.deck_marks import class_description_text, deck_description, fsrs_mark, note_facts_from_tags
from cardgen.learners.model import ClassStats, NoteFacts, Review, note_bands, pace
from cardgen.learners.store import learner_reviews, open_store, reviews_of, states_of


def _class_view(connection: sqlite3.Connection, notes: NoteSpool) \
        -> tuple[list[NoteFacts], list[tuple[str, Review]], ClassStats]:
    """The model's facts of ``notes`` (one pass over the spool; the facts are a GUID, topic tags
    and a card count per note, not its fields), every learner's reviews of these notes, and the
    class's counts over them: the reviews of other decks' notes the database holds are left out, as
    in the class's FSRS fit, for the add-on reads these counts as this deck's."""
    facts = [note_facts_from_tags(n.guid, n.tags, n.cards) for n in notes]
    guids = {f.guid for f in facts}
    reviews = [(name, review) for name, review in reviews_of(connection) if review.note_guid in guids]
    return facts, reviews, ClassStats.from_reviews(reviews, {f.guid: f.topics for f in facts})


def _class_fsrs(facts: list[NoteFacts], reviews: list[tuple[str, Review]]) -> list[float] | None:
    """The class's FSRS parameters, fitted on every learner's reviews of these notes' cards (or None)."""
    return class_fsrs_params(reviews, {f.guid for f in facts})


def class_description(notes: NoteSpool, learners_dir: Path) -> str:
    """The class deck's root description: the class's counts (no learner's own) and, when Anki can fit
    them, the class's FSRS parameters; no pace."""
    with open_store(learners_dir) as connection:
        facts, reviews, stats = _class_view(connection, notes)
    fsrs = _class_fsrs(facts, reviews)
    return class_description_text(stats) + ("\n" + fsrs_mark(fsrs) if fsrs else "")


def personalise(notes: NoteSpool, learner: str, learners_dir: Path,
                build_time: int | None = None) -> tuple[NoteSpool, int, str]:
    """The learner's notes (a spool transformed from ``notes``, closed with it), their pace (new
    cards per day) and the root deck description carrying it. ``build_time``: the build's time in
    seconds (``SOURCE_DATE_EPOCH``; the clock when None), the latest the notes may be dated."""
    with open_store(learners_dir) as connection:
        known = connection.execute("SELECT imported_at FROM learners WHERE name = ?", (learner,)).fetchone()
        if known is None:
            raise InputError("no such learner", field="--learner", value=learner,
                             hint="import their history first with cardgen learners import")
        facts, reviews, stats = _class_view(connection, notes)
        # all of the learner's reviews, other decks' too: their pace is what all their reviews leave
        # time for, and their own fit learns from every answer they gave
        own = learner_reviews(connection, learner)
        bands = note_bands(learner, facts, states_of(connection, learner), stats, own)
        new_cards_per_day = pace(own)
    fsrs = _class_fsrs(facts, reviews)
    latest = build_time if build_time is not None else int(time.time())
    newer_than_history = min(known[0] // 1000 + 1, latest)

    def for_learner(note: NoteSpec) -> NoteSpec:
        return replace(note, tags=tuple(sorted([t for t in note.tags if not has_prefix(t, DIFFICULTY_PREFIX)]
                                               + [DIFFICULTY_PREFIX + bands[note.guid].value])),
                       mod=max(note.mod + 1, newer_than_history))

    personal = notes.transformed(for_learner)
    # the class's counts without the learner's own reviews: the add-on counts those from their own log
    others = ClassStats.from_reviews([(name, r) for name, r in reviews if name != learner],
                                     {f.guid: f.topics for f in facts})
    return personal, new_cards_per_day, deck_description(new_cards_per_day, learner, others, fsrs)
