"""The progress file: what the add-on's Tools > cardgen > Export progress writes and
``cardgen learners import`` reads.

One JSON document (UTF-8), format ``cardgen-progress``, version 1::

    {"format": "cardgen-progress", "version": 1,
     "exported_at_ms": 1763900000000,           # when the learner exported it
     "notes": {"<note guid>": "cardgen::case::... cardgen::topic::..."},   # cardgen tags only
     "reviews": [["<note guid>", card_ord, review_id, ease, interval, last_interval, factor, time_ms, type]],
     "states": [["<note guid>", card_ord, stability, difficulty, decay, last_review_ms, "fitted|default"]]}

``reviews`` are the revlog rows of cardgen cards (fields as in cardgen.learners.model.Review),
``states`` the FSRS memory states the learner's own Anki computed. Nothing else of the learner's
collection is in it: no card text, no other notes, no deck names, no learner name.

Standard library only: the Anki add-on carries this module (see cardgen.addon.package).
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass
from pathlib import Path

from cardgen.errors import InputError
from cardgen.learners.model import CardState, Review

FORMAT = "cardgen-progress"
VERSION = 1
SUFFIX = ".json"


@dataclass(frozen=True)
class Progress:
    """The contents of a progress file."""

    exported_at_ms: int
    note_tags: dict[str, str]
    reviews: list[Review]
    states: list[CardState]


def progress_json(progress: Progress) -> str:
    """The progress file's text (keys sorted, one line per review: diffable, reproducible)."""
    reviews = ",\n  ".join(json.dumps(list(astuple(r))) for r in progress.reviews)
    states = ",\n  ".join(json.dumps(list(astuple(s))) for s in progress.states)
    return (f'{{"format": "{FORMAT}", "version": {VERSION},\n'
            f' "exported_at_ms": {int(progress.exported_at_ms)},\n'
            f' "notes": {json.dumps(dict(sorted(progress.note_tags.items())), ensure_ascii=False)},\n'
            f' "reviews": [\n  {reviews}],\n'
            f' "states": [\n  {states}]}}\n')


def write_progress(path: Path, progress: Progress) -> None:
    """Write ``progress`` to ``path`` (whole or not at all)."""
    temp = path.with_name(path.name + ".partial")
    temp.write_text(progress_json(progress), encoding="utf-8")
    temp.replace(path)


def read_progress(path: Path) -> Progress:
    """Read a progress file, checking every field; an InputError names what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not a readable progress file ({error})", file=path,
                         hint="export it again with Tools > cardgen > Export progress") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError("not a cardgen progress file", file=path, field="format",
                         value=document.get("format") if isinstance(document, dict) else type(document).__name__,
                         hint="export it with Tools > cardgen > Export progress in Anki")
    if document.get("version") != VERSION:
        raise InputError("progress file of an unknown version", file=path, field="version",
                         value=document.get("version"), hint=f"this cardgen reads version {VERSION}; "
                                                             "update cardgen or the add-on so they match")
    try:
        notes = {str(guid): str(tags) for guid, tags in document["notes"].items()}
        reviews = [Review(str(g), int(o), int(i), int(e), int(iv), int(li), int(f), int(t), int(ty))
                   for g, o, i, e, iv, li, f, t, ty in document["reviews"]]
        states = [CardState(str(g), int(o), float(s), float(d), float(dc), int(last), str(params))
                  for g, o, s, d, dc, last, params in document["states"]]
        exported = int(document["exported_at_ms"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InputError(f"progress file has a malformed entry ({type(error).__name__}: {error})", file=path,
                         hint="export it again with Tools > cardgen > Export progress") from None
    return Progress(exported_at_ms=exported, note_tags=notes, reviews=reviews, states=states)
