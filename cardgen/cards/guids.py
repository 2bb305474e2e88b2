"""Note GUIDs: derived from what a note is, never from time or chance.

Anki matches a re-imported note to the learner's by its GUID, so the same case must give the same
GUIDs in every build, and a learner's reviews stay with the note. :func:`guid_for` is genanki's
``util.guid_for`` (the hash every cardgen deck so far was built with), computed here so that making
notes needs no genanki; tests/test_cards_guids.py checks that the two agree.
"""

from __future__ import annotations

import hashlib

from cardgen.cards.notetypes import NoteKind

# Anki's base-91 digits (the order genanki's BASE91_TABLE has).
_BASE91 = ("abcdefghijklmnopqrstuvwxyz"
           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~")


def guid_for(*values: object) -> str:
    """A GUID from ``values``: the first 8 bytes of the SHA-256 of their ``str`` joined by ``__``,
    written in base 91, most significant digit first."""
    digest = hashlib.sha256("__".join(str(value) for value in values).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    digits: list[str] = []
    while number > 0:
        number, digit = divmod(number, len(_BASE91))
        digits.append(_BASE91[digit])
    return "".join(reversed(digits))


def note_guid(case_id: str, kind: NoteKind, index: int = 0) -> str:
    """A note's GUID: from the case id, the kind of card and the finding's index, nothing else."""
    return guid_for("cardgen", case_id, kind.value, index)
