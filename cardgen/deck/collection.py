"""The package's collection database (``collection.anki2``), written by genanki: cardgen's only
genanki import.

Everything before this point is plain data: note specs from the spool, notetype descriptions
(:mod:`cardgen.cards.notetypes`). Here they become genanki's notetypes, notes and decks, and
genanki writes the collection (``Package.write_to_db`` on a connection of ours: the database is
written once, into a scratch file the package writer then packs). Two genanki hooks are
overridden: a note's modification time is its own, and a notetype's JSON may carry
``originalStockKind``, which genanki does not write.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import genanki

from cardgen.cards.notetypes import NoteKind, Notetype, NotetypeField, notetype
from cardgen.deck.spool import NoteSpool


def deck_id(full_name: str) -> int:
    """A stable deck id from the deck's full name (in genanki's recommended id range)."""
    digest = int(hashlib.sha256(full_name.encode("utf-8")).hexdigest()[:12], 16)
    return (1 << 30) + digest % (1 << 30)


class _Model(genanki.Model):
    """A genanki notetype made from a :class:`Notetype`; its JSON carries ``originalStockKind``
    when the description has one."""

    def __init__(self, description: Notetype) -> None:
        super().__init__(
            description.model_id, description.name,
            fields=[_field_json(field) for field in description.fields],
            templates=[{"name": template.name, "qfmt": template.front, "afmt": template.back}
                       for template in description.templates],
            css=description.css,
            model_type=genanki.Model.CLOZE if description.cloze else genanki.Model.FRONT_BACK,
            sort_field_index=description.sort_field)
        self.original_stock_kind = description.original_stock_kind

    def to_json(self, timestamp: float, deck_id):  # noqa: D102 - genanki's own signature
        data = super().to_json(timestamp, deck_id)
        if self.original_stock_kind is not None:
            data["originalStockKind"] = self.original_stock_kind
        return data


def _field_json(field: NotetypeField) -> dict[str, object]:
    """A field as Anki's notetype JSON holds it; genanki fills in the settings left out."""
    settings = {"name": field.name, "font": field.font, "size": field.size, "tag": field.tag,
                "preventDeletion": field.prevent_deletion}
    return {key: value for key, value in settings.items() if value is not None}


def genanki_model(description: Notetype) -> genanki.Model:
    """The genanki notetype for ``description`` (a new one each call: genanki fills its dicts in)."""
    return _Model(description)


@lru_cache(maxsize=None)
def model_of(kind: NoteKind) -> genanki.Model:
    """The genanki notetype of a kind of note, made once: every note of the kind shares it."""
    return genanki_model(notetype(kind))


class TimedNote(genanki.Note):
    """A genanki note with its own modification time, so only changed cases look newer to Anki."""

    def __init__(self, *, mod: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.mod = mod

    def write_to_db(self, cursor, timestamp: float, deck_id, id_gen):  # noqa: D102 - genanki's hook
        super().write_to_db(cursor, self.mod, deck_id, id_gen)


class _SpooledNotes:
    """One sub-deck's notes as genanki notes, made from the spool each time they are iterated.

    genanki's ``Deck.write_to_db`` reads ``deck.notes`` twice (the notetypes, then the notes):
    this view reads the spool twice instead of holding a genanki note per note."""

    def __init__(self, spool: NoteSpool, paths: list[tuple[str, ...]]) -> None:
        self._spool = spool
        self._paths = paths  # usually one; more when paths name the same deck (("a::b",) and ("a", "b"))

    def __iter__(self) -> Iterator[TimedNote]:
        for note in self._spool.notes_in(*self._paths):
            yield TimedNote(model=model_of(note.kind), fields=list(note.fields), tags=list(note.tags),
                            guid=note.guid, due=note.order, mod=note.mod)


def _build_decks(root_name: str, notes: NoteSpool, description: str = "") -> list[genanki.Deck]:
    """genanki decks for the spooled notes, one per sub-deck path (parents too, even when they hold
    no card), sorted by full name; each deck's notes are read from the spool when genanki writes them."""
    paths = {()} | {path[:depth] for path in notes.deck_paths for depth in range(1, len(path) + 1)}
    paths_of: dict[str, list[tuple[str, ...]]] = {}
    for path in sorted(paths):
        paths_of.setdefault("::".join((root_name, *path)), []).append(path)
    decks = []
    for name in sorted(paths_of):
        deck = genanki.Deck(deck_id(name), name, description=description if paths_of[name][0] == () else "")
        deck.notes = _SpooledNotes(notes, paths_of[name])
        decks.append(deck)
    return decks


def write_collection(path: Path, root_name: str, notes: NoteSpool, timestamp: float, description: str = "") -> None:
    """The collection database of the spooled notes, written at ``path`` as
    ``genanki.Package.write_to_file`` writes it (the same connection settings, ids and commits: the
    same bytes); ``timestamp`` stamps the notetypes and the ids genanki derives from it, and
    ``description`` goes on the root deck."""
    package = genanki.Package(_build_decks(root_name, notes, description))
    connection = sqlite3.connect(path)
    # A scratch file, packed and deleted at once: no journal and no waiting for the disk at each of
    # genanki's commits. Neither setting changes the database's bytes.
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    try:
        package.write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        connection.commit()
    finally:
        connection.close()
