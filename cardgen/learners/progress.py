"""The progress file: what the add-on's Tools > cardgen > Export progress writes and
``cardgen learners import`` reads.

One JSON document (UTF-8), format ``cardgen-progress``, version 1::

    {"format": "cardgen-progress", "version": 1,
     "exported_at_ms": 1763900000000,           # when the learner exported it
     "notes": {"<note guid>": "cardgen::case::... cardgen::topic::..."},   # cardgen tags only
     "reviews": [["<note guid>", card_ord, review_id, ease, interval, last_interval, factor, time_ms, type]],
     "states": [["<note guid>", card_ord, stability, difficulty, decay, last_review_ms, "fitted|default"]],
     "kinds": {"<note guid>": "case|finding|occlusion|objective"}}   # optional

``reviews`` are the revlog rows of cardgen cards (fields as in cardgen.learners.model.Review),
``states`` the FSRS memory states the learner's own Anki computed, ``kinds`` (optional, added
within version 1: files without it stay valid) the kind of card each note is, from the name of its
notetype (:func:`kind_of_notetype`); the class report names the cards failed most with it. Nothing
else of the learner's collection is in it: no card text, no other notes, no deck names, no learner name.

Standard library only: the Anki add-on carries this module (see cardgen.addon.package).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import astuple, dataclass, field
from pathlib import Path

from cardgen.errors import InputError
from cardgen.learners.model import CardState, FsrsParams, Review
from cardgen.tags import is_cardgen_tag

FORMAT = "cardgen-progress"
VERSION = 1
SUFFIX = ".json"
# The kinds of cardgen note (cardgen.cards.notetypes.NoteKind's values), and the notetype names
# cardgen writes: "cardgen <kind> (v<N>)" and "Image Occlusion (cardgen v<N>)".
NOTE_KINDS = ("case", "finding", "occlusion", "objective")
_PLAIN_NOTETYPE = re.compile(r"cardgen (case|finding|objective) \(v\d+\)")
_OCCLUSION_NOTETYPE = re.compile(r"Image Occlusion \(cardgen v\d+\)")
_REVIEW_COLUMNS = ("note_guid", "card_ord", "review_id", "ease", "interval", "last_interval", "factor",
                   "time_ms", "type")
_STATE_COLUMNS = ("note_guid", "card_ord", "stability", "difficulty", "decay", "last_review_ms", "params")


@dataclass(frozen=True)
class Progress:
    """The contents of a progress file."""

    exported_at_ms: int
    note_tags: dict[str, str]
    reviews: list[Review]
    states: list[CardState]
    note_kinds: dict[str, str] = field(default_factory=dict)  # note guid -> one of NOTE_KINDS


def kind_of_notetype(name: str) -> str | None:
    """The kind of cardgen note a notetype of this name holds (one of ``NOTE_KINDS``), or None."""
    plain = _PLAIN_NOTETYPE.fullmatch(name)
    if plain:
        return plain.group(1)
    return "occlusion" if _OCCLUSION_NOTETYPE.fullmatch(name) else None


def progress_json(progress: Progress) -> str:
    """The progress file's text (keys sorted, one line per review: diffable, reproducible)."""
    reviews = ",\n  ".join(json.dumps(list(astuple(r))) for r in progress.reviews)
    states = ",\n  ".join(json.dumps(list(astuple(s))) for s in progress.states)
    return (f'{{"format": "{FORMAT}", "version": {VERSION},\n'
            f' "exported_at_ms": {int(progress.exported_at_ms)},\n'
            f' "notes": {json.dumps(dict(sorted(progress.note_tags.items())), ensure_ascii=False)},\n'
            f' "reviews": [\n  {reviews}],\n'
            f' "states": [\n  {states}]'
            + (f',\n "kinds": {json.dumps(dict(sorted(progress.note_kinds.items())))}' if progress.note_kinds else "")
            + "}\n")


def write_progress(path: Path, progress: Progress) -> None:
    """Write ``progress`` to ``path`` (whole or not at all)."""
    temp = path.with_name(path.name + ".partial")
    temp.write_text(progress_json(progress), encoding="utf-8")
    temp.replace(path)


def read_progress(path: Path, now_ms: int | None = None) -> Progress:
    """Read a progress file, checking every field; an InputError names what is wrong.

    Times are checked against each other and the clock (``now_ms``, the clock when None): no review
    or memory state after the file's export time, and no export time later than
    :data:`CLOCK_ALLOWANCE_MS` past now. A time in the future would stay the learner's newest,
    and the notes of every deck built for them would carry it (cardgen.learners.personal)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise InputError("not a readable progress file (nested too deeply)", file=path,
                         hint="export it again with Tools > cardgen > Export progress") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # ValueError: JSONDecodeError, NaN
        raise InputError(f"not a readable progress file ({error})", file=path,
                         hint="export it again with Tools > cardgen > Export progress") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError("not a cardgen progress file", file=path, field="format",
                         value=document.get("format") if isinstance(document, dict) else type(document).__name__,
                         hint="export it with Tools > cardgen > Export progress in Anki")
    if not _is_int(document.get("version")) or document.get("version") != VERSION:
        raise InputError("progress file of an unknown version", file=path, field="version",
                         value=document.get("version"), hint=f"this cardgen reads version {VERSION}; "
                                                             "update cardgen or the add-on so they match")
    exported = document.get("exported_at_ms")
    if not _is_time_ms(exported):
        raise _malformed(path, "exported_at_ms", exported, "a time in ms since 1970")
    notes = document.get("notes")
    if not isinstance(notes, dict):
        raise _malformed(path, "notes", notes, "an object of note GUID: cardgen tags")
    for guid, tags in notes.items():
        if not isinstance(tags, str):
            raise _malformed(path, f"notes.{guid}", tags, "the note's cardgen tags, space separated")
        foreign = [tag for tag in tags.split() if not is_cardgen_tag(tag)]
        if foreign:  # the privacy rule: nothing but cardgen's own tags leaves a collection
            raise _malformed(path, f"notes.{guid}", foreign[0], "cardgen:: tags only")
    reviews = _unique(path, [Review(*_row(path, "reviews", index, row, _REVIEW_COLUMNS, notes))
                             for index, row in enumerate(_rows(path, document, "reviews"))])
    states = [CardState(guid, card_ord, float(stability), float(difficulty), float(decay), last, FsrsParams(params))
              for index, row in enumerate(_rows(path, document, "states"))
              for guid, card_ord, stability, difficulty, decay, last, params
              in [_row(path, "states", index, row, _STATE_COLUMNS, notes)]]
    kinds = document.get("kinds", {})
    if not isinstance(kinds, dict):
        raise _malformed(path, "kinds", kinds, "an object of note GUID: kind of card")
    for guid, kind in kinds.items():
        if kind not in NOTE_KINDS:
            raise _malformed(path, f"kinds.{guid}", kind, f"one of {', '.join(NOTE_KINDS)}")
    _refuse_future(path, exported, reviews, states, int(time.time() * 1000) if now_ms is None else now_ms)
    return Progress(exported_at_ms=exported, note_tags=dict(notes), reviews=reviews, states=states,
                    note_kinds=dict(kinds))


def _unique(path: Path, reviews: list[Review]) -> list[Review]:
    """The reviews, each once: a review id is one answer (Anki's revlog key). A row repeated as it is
    is kept once; two different rows under one id are refused, naming both (one of them was made
    by hand, and which one the database kept would depend on their order)."""
    first_at: dict[int, int] = {}
    unique = []
    for index, review in enumerate(reviews):
        seen = first_at.setdefault(review.review_id, index)
        if seen == index:
            unique.append(review)
        elif reviews[seen] != review:
            raise InputError(f"two different reviews with one review id: reviews[{seen}] is "
                             f"{json.dumps(list(astuple(reviews[seen])))}, reviews[{index}] is "
                             f"{json.dumps(list(astuple(review)))}", file=path,
                             field=f"reviews[{index}].review_id", value=review.review_id,
                             hint="Anki logs one answer per id: the file was edited; export it again with "
                                  "Tools > cardgen > Export progress; nothing was imported")
    return unique


def utc_text(ms: int) -> str:
    """A time in ms since 1970 as a UTC date and time, for messages."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ms / 1000))


def _refuse_future(path: Path, exported: int, reviews: list[Review], states: list[CardState], now_ms: int) -> None:
    hint = ("the learner's clock was wrong or the file was edited; set the clock right and export it again "
            "with Tools > cardgen > Export progress; nothing was imported")
    if exported > now_ms + CLOCK_ALLOWANCE_MS:
        raise InputError(f"the export time is in the future ({utc_text(exported)}; now {utc_text(now_ms)})",
                         file=path, field="exported_at_ms", value=exported, hint=hint)
    for name, rows, column, time_of in (("reviews", reviews, "review_id", lambda r: r.review_id),
                                        ("states", states, "last_review_ms", lambda s: s.last_review_ms)):
        for index, row in enumerate(rows):
            if time_of(row) > exported:
                raise InputError(f"a time after the file's export time ({utc_text(time_of(row))}, exported "
                                 f"{utc_text(exported)})", file=path, field=f"{name}[{index}].{column}",
                                 value=time_of(row), hint=hint)


def _malformed(path: Path, field_name: str, value: object, expected: str) -> InputError:
    return InputError(f"malformed progress file: expected {expected}", file=path, field=field_name,
                      value=_AsWritten(value) if isinstance(value, float) else value,
                      hint="export it again with Tools > cardgen > Export progress")


class _AsWritten:
    """A number shown as the JSON file writes it: ``3.0`` where a whole number is expected is the
    error, and shown as ``3`` (cardgen.errors.as_written's YAML style) it would read as valid."""

    def __init__(self, value: float) -> None:
        self.text = json.dumps(value)

    def __repr__(self) -> str:
        return self.text


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a progress file may hold")


# Bounds of the integers a row may hold: what Anki itself writes, far inside SQLite's 64 bits.
LATEST_MS = 4_102_444_800_000  # 2100-01-01
# How far past the importing machine's clock an export time may be: the two clocks may differ a little.
CLOCK_ALLOWANCE_MS = 86_400_000
MAX_INT32 = 2**31 - 1


def _is_int(value: object, low: int = -MAX_INT32, high: int = MAX_INT32) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_time_ms(value: object) -> bool:
    return _is_int(value, 1, LATEST_MS)


def _rows(path: Path, document: dict, name: str) -> list:
    rows = document.get(name)
    if not isinstance(rows, list):
        raise _malformed(path, name, rows, "a list of rows")
    return rows


# What each column of a review or state row must hold: (check, what to say when it does not).
_CHECKS = {
    "note_guid": (lambda v: isinstance(v, str) and v != "", "a note GUID"),
    "card_ord": (lambda v: _is_int(v) and v >= 0, "a card ordinal (0 or more)"),
    "review_id": (_is_time_ms, "the review's time in ms since 1970, before 2100"),
    "ease": (lambda v: _is_int(v) and 0 <= v <= 4, "an answer button 0-4"),
    "interval": (_is_int, "an interval (days, or negative seconds)"),
    "last_interval": (_is_int, "an interval (days, or negative seconds)"),
    "factor": (_is_int, "an ease factor (permille)"),
    "time_ms": (lambda v: _is_int(v) and v >= 0, "the answer time in ms"),
    "type": (lambda v: _is_int(v) and 0 <= v <= 5, "a review type 0-5"),
    "stability": (lambda v: _is_number(v) and v > 0, "a stability in days (more than 0)"),
    "difficulty": (lambda v: _is_number(v) and 1 <= v <= 10, "an FSRS difficulty 1-10"),
    "decay": (lambda v: _is_number(v) and v > 0, "an FSRS decay (more than 0)"),
    "last_review_ms": (_is_time_ms, "the last review's time in ms since 1970, before 2100"),
    "params": (lambda v: isinstance(v, str) and v in {p.value for p in FsrsParams},
               " or ".join(p.value for p in FsrsParams)),
}


def _is_number(value: object) -> bool:
    # abs(NaN) and abs(inf) fail the comparison; a huge int compares exactly, without overflow.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= 1e9


def _row(path: Path, name: str, index: int, row: object, columns: tuple[str, ...], notes: dict) -> list:
    """One review or state row, checked column by column; an InputError names the row and column."""
    where = f"{name}[{index}]"
    if not isinstance(row, list) or len(row) != len(columns):
        raise _malformed(path, where, row, f"a row of {len(columns)} values: {', '.join(columns)}")
    for column, value in zip(columns, row):
        check, expected = _CHECKS[column]
        if not check(value):
            raise _malformed(path, f"{where}.{column}", value, expected)
    if row[0] not in notes:
        raise _malformed(path, f"{where}.note_guid", row[0], "the GUID of a note listed in notes")
    return row
