"""Helpers that open real Anki collections (the `anki` backend from PyPI) and import decks into them."""

from __future__ import annotations

import re
import time
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

IMG_SRC = re.compile(r"""<img[^>]*\bsrc=["']?([^"' >]+)""", re.IGNORECASE)


def open_collection(folder: Path, name: str = "collection.anki2") -> Collection:
    """A fresh, empty collection in ``folder`` (its media folder beside it), whose day ends 11-12 hours
    from now: Anki's day starts at 4 am by default, and a learning step that would come back after
    that is due the next day, so a test answering steps minutes before 4 am found none due."""
    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / name))
    preferences = col.get_preferences()
    preferences.scheduling.rollover = (time.localtime().tm_hour + 12) % 24
    col.set_preferences(preferences)
    return col


def import_package(col: Collection, package: Path, *, with_scheduling: bool = True,
                   with_deck_configs: bool = False):
    """Import an .apkg the way Anki desktop does (update notes when the incoming copy is newer)."""
    request = ImportAnkiPackageRequest(
        package_path=str(package),
        options=ImportAnkiPackageOptions(with_scheduling=with_scheduling,
                                         with_deck_configs=with_deck_configs),
    )
    return col.import_anki_package(request)


def answer_queued(col: Collection, deck: str, rating: int, *, limit: int | None = None) -> int:
    """Answer the cards Anki's v3 scheduler serves from ``deck`` with ``rating``, one at a time as the
    reviewer does, until none is left (or ``limit`` were answered); returns how many were answered."""
    col.decks.select(col.decks.id_for_name(deck))
    answered = 0
    while (limit is None or answered < limit) and (queued := col.sched.get_queued_cards(fetch_limit=1)).cards:
        top = queued.cards[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating))
        answered += 1
    return answered


def media_names_in(html: str) -> list[str]:
    """Every image file name an HTML fragment refers to."""
    return IMG_SRC.findall(html)
