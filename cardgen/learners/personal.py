"""A learner's own deck: the class deck's notes with that learner's difficulty tags and pace.

The GUIDs stay the same, so the learner's Anki updates the notes they already have. The notes'
modification time becomes one second after the later of the class deck's and the learner's newest
imported review: Anki only updates a note from a package whose copy is newer, so the learner's deck
must be newer than the class deck they studied, and each rebuild after new reviews newer again. The pace goes into the root deck's description as ``PACE_MARKER``, an
HTML comment the add-on reads (and Anki shows nothing of).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from cardgen.cards.notes import TAG_ROOT, NoteSpec, DEFAULT_DIFFICULTY
from cardgen.learners.model import NoteFacts, note_bands, pace
from cardgen.learners.store import open_store
from cardgen.errors import InputError
from cardgen.teaching.case import Difficulty

DIFFICULTY_PREFIX = f"{TAG_ROOT}::difficulty::"
TOPIC_PREFIX = f"{TAG_ROOT}::topic::"
PACE_MARKER = "<!-- cardgen:pace={pace} learner={learner} -->"
PACE_PATTERN = re.compile(r"<!-- cardgen:pace=(\d+) ")


def note_facts(note: NoteSpec) -> NoteFacts:
    """The model's view of a note: topics and prior from its tags."""
    prior = DEFAULT_DIFFICULTY
    for tag in note.tags:
        if tag.startswith(DIFFICULTY_PREFIX):
            prior = Difficulty(tag[len(DIFFICULTY_PREFIX):])
    return NoteFacts(guid=note.guid, topics=tuple(t for t in note.tags if t.startswith(TOPIC_PREFIX)),
                     cards=note.cards, prior=prior)


def personalise(notes: list[NoteSpec], learner: str, learners_dir: Path) -> tuple[list[NoteSpec], int, str]:
    """The learner's notes, their pace (new cards per day) and the root deck description carrying it."""
    with open_store(learners_dir) as connection:
        known = connection.execute("SELECT imported_at FROM learners WHERE name = ?", (learner,)).fetchone()
        if known is None:
            raise InputError("no such learner", field="--learner", value=learner,
                             hint="import their history first with cardgen learners import")
        bands = note_bands(connection, learner, [note_facts(n) for n in notes])
        new_cards_per_day = pace(connection, learner)
    newer_than_reviews = known[0] // 1000 + 1
    personal = [replace(note, tags=tuple(sorted([t for t in note.tags if not t.startswith(DIFFICULTY_PREFIX)]
                                                + [DIFFICULTY_PREFIX + bands[note.guid].value])),
                        mod=max(note.mod + 1, newer_than_reviews))
                for note in notes]
    return personal, new_cards_per_day, PACE_MARKER.format(pace=new_cards_per_day, learner=learner)


def pace_in(description: str) -> int | None:
    """The pace a deck description carries, if any."""
    match = PACE_PATTERN.search(description or "")
    return int(match.group(1)) if match else None
