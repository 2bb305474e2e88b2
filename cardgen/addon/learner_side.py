"""The add-on's learner-side work on a collection (no Qt): keep the learner's own tags across a deck
import, export progress. (The difficulty tags are the day's work of cardgen.addon.bands.)

Every change goes through Anki's collection operations and touches only cardgen notes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from cardgen.addon.apply import UNDO_NAME, UndoStep
from cardgen.learners.from_collection import cardgen_history, note_kinds
from cardgen.learners.progress import Progress, write_progress
from cardgen.tags import CARDGEN_SEARCH, is_cardgen_tag, tag_key

OWN_TAGS_KEY = "cardgenOwnTags"  # collection config: {note guid: [the learner's own tags]}


def _cardgen_notes(col) -> list[tuple[int, str, list[str], int]]:
    """(note id, guid, tags, card count) of every cardgen note."""
    note_ids = list(col.find_notes(CARDGEN_SEARCH))
    if not note_ids:
        return []
    ids = ",".join(str(int(n)) for n in note_ids)
    return [(nid, guid, tags.split(), cards) for nid, guid, tags, cards in col.db.all(
        f"SELECT n.id, n.guid, n.tags, (SELECT count() FROM cards c WHERE c.nid = n.id) FROM notes n "
        f"WHERE n.id IN ({ids}) ORDER BY n.id")]


def remember_own_tags(col) -> int:
    """Note the learner's own tags on cardgen notes (every tag not cardgen's: theirs, Anki's "leech"
    or "marked"), so they can come back after an import replaced them. Bookkeeping in the collection's
    config, not a change to any note. Returns how many notes carry own tags."""
    own = {guid: sorted(t for t in tags if not is_cardgen_tag(t))
           for _, guid, tags, _ in _cardgen_notes(col)}
    own = {guid: tags for guid, tags in own.items() if tags}
    if col.get_config(OWN_TAGS_KEY, None) != own:
        col.set_config(OWN_TAGS_KEY, own)
    return len(own)


def restore_own_tags(col) -> int:
    """Give back the own tags :func:`remember_own_tags` noted that an import took away (never removes
    a tag). Merged into the add-on's apply step when there is one. Returns how many notes got tags back."""
    remembered: dict[str, list[str]] = col.get_config(OWN_TAGS_KEY, None) or {}
    missing: dict[str, list[int]] = defaultdict(list)
    for note_id, guid, tags, _ in _cardgen_notes(col):
        present = {tag_key(t) for t in tags}
        for tag in remembered.get(guid, ()):
            if tag_key(tag) not in present:
                missing[tag].append(note_id)
    if not missing:
        return 0
    step = UndoStep(col, UNDO_NAME)
    for tag, note_ids in sorted(missing.items()):
        col.tags.bulk_add(note_ids, tag)
        step.merge()
    return len({n for ids in missing.values() for n in ids})


def export_progress(col, path: Path, now_ms: int | None = None) -> Progress:
    """Write the learner's progress file (cardgen.learners.progress) for ``cardgen learners import``:
    the reviews and memory states of cardgen cards and their cardgen tags, nothing else."""
    tags, reviews, states = cardgen_history(col)
    progress = Progress(exported_at_ms=now_ms if now_ms is not None else int(time.time() * 1000),
                        note_tags=tags, reviews=reviews, states=states, note_kinds=note_kinds(col))
    write_progress(path, progress)
    return progress
