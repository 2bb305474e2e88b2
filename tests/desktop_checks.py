"""Checks that run inside the real Anki desktop, stepped by the driver add-on of tests/desktop.py.

This file is copied into the driver add-on: it imports only what Anki ships (aqt, anki) and the standard
library, inside the functions. A check is a generator ``check(mw, params)``: it yields a short text while it
waits for something, and returns a JSON-able dict of what it saw.
"""

from __future__ import annotations

import sys
from typing import Any, Iterator

Check = Iterator[str]


def trivial(mw: Any, params: dict[str, Any]) -> Check:
    """The harness's own check: the trivial add-on loaded, saw the profile open, and the deck is in mw.col."""
    addon = sys.modules[params["addon"]]
    while addon.seen_notes is None:
        yield "the trivial add-on's profile_did_open hook"
    col = mw.col
    return {
        "addon_seen_notes": addon.seen_notes,
        "addon_import_error": addon.import_error,
        "notes": col.note_count(),
        "cards": col.card_count(),
        "decks": sorted(deck.name for deck in col.decks.all_names_and_ids()),
        "case_ids": sorted({note["CaseId"] for note in map(col.get_note, col.find_notes("CaseId:_*"))}),
        "main_window_state": mw.state,
    }
