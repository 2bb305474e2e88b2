"""The notes of a build, kept on disk rather than in memory until the package is written.

A build makes a few notes per case, each a few KB of HTML. Held in a list, they grow the main
process with the number of cases; the spool writes each case's notes to a scratch SQLite database
as they arrive and reads them back one sub-deck at a time, in arrival order, when the package is
written. What the build reports about its notes (counts, the newest modification time, the
sub-decks, a digest for the build cache) is summed up as the notes arrive, so nothing needs a
second pass to know it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable, Iterable, Iterator

from cardgen.cards.notes import NoteSpec
from cardgen.cards.notetypes import NoteKind
from cardgen.scratch import scratch_folder

_SCHEMA = """
CREATE TABLE notes (arrival INTEGER PRIMARY KEY, deck TEXT NOT NULL, note BLOB NOT NULL, digest BLOB NOT NULL);
CREATE INDEX notes_by_deck ON notes (deck, arrival);
CREATE TABLE media (name TEXT PRIMARY KEY, arrival INTEGER NOT NULL) WITHOUT ROWID;
"""


_NOTES_PER_POSITION = 1 << 24  # room for each position's notes in the one ordering column


def _deck_key(path: tuple[str, ...]) -> str:
    """A sub-deck path as one column value (JSON: no separator character can be confused)."""
    return json.dumps(list(path))


@dataclass(frozen=True)
class EncodedNotes:
    """Some notes (one case's) as the spool stores them, with what the spool sums up about them.

    A worker encodes the notes of the case it built; the build cache keeps them so, and a rebuild
    adds a remembered case to the spool as they are, without encoding them again in the main process.
    """

    rows: tuple[tuple[str, bytes, bytes, tuple[str, ...]], ...]  # deck key, pickled note, digest, media
    cards: int
    text_only: int
    latest_mod: int | None
    deck_paths: frozenset[tuple[str, ...]]

    @property
    def media(self) -> tuple[str, ...]:
        """Every media file name the notes name (a name twice when two notes name it)."""
        return tuple(name for row in self.rows for name in row[3])

    def __len__(self) -> int:
        return len(self.rows)


def encode_notes(notes: Iterable[NoteSpec]) -> EncodedNotes:
    """``notes`` as :meth:`NoteSpool.add` stores them (see :class:`EncodedNotes`)."""
    notes = list(notes)
    return EncodedNotes(
        rows=tuple((_deck_key(note.deck), pickle.dumps(note, protocol=pickle.HIGHEST_PROTOCOL),
                    hashlib.sha256(repr(note).encode()).digest(), note.media) for note in notes),
        cards=sum(note.cards for note in notes),
        text_only=sum(note.kind is NoteKind.OBJECTIVE for note in notes),
        latest_mod=max((note.mod for note in notes), default=None),
        deck_paths=frozenset(note.deck for note in notes))


class NoteSpool:
    """Notes in arrival order, on disk, with running summaries of them.

    Use it as a context manager (or call :meth:`close`): the scratch database lives in a temporary
    folder that closing removes. Spools made by :meth:`transformed` live in the same folder and
    close with this one.
    """

    def __init__(self, _folder: Path | None = None) -> None:
        self._own_folder = scratch_folder("spool") if _folder is None else None
        self._folder = Path(self._own_folder.name) if self._own_folder is not None else _folder
        handle, name = tempfile.mkstemp(prefix="notes-", suffix=".sqlite", dir=self._folder)
        os.close(handle)
        self._db = sqlite3.connect(name)
        # A scratch file nobody else reads, rebuilt from scratch after any crash: no journal, no fsync.
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        self._children: list[NoteSpool] = []
        self._next_position = 0
        self.count = 0  # notes
        self.cards = 0  # cards the notes make
        self.text_only = 0  # notes of kind NoteKind.OBJECTIVE
        self.latest_mod: int | None = None  # the newest note's modification time
        self.deck_paths: set[tuple[str, ...]] = set()  # every sub-deck path a note names

    def __enter__(self) -> NoteSpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (and those of spools transformed from this one); remove the folder."""
        for child in self._children:
            child.close()
        self._children.clear()
        self._db.close()
        if self._own_folder is not None:
            self._own_folder.cleanup()

    def add(self, notes: Iterable[NoteSpec] | EncodedNotes, position: int | None = None) -> None:
        """Add ``notes`` (one case's, say; as they are or encoded by :func:`encode_notes`) after
        those already in the spool, or at ``position`` (a case's place in the deck, when cases
        arrive out of order: every position once). Notes are read back in the order of their positions."""
        encoded = notes if isinstance(notes, EncodedNotes) else encode_notes(notes)
        if position is None:
            position = self._next_position
        self._next_position = max(self._next_position, position + 1)
        self.count += len(encoded)
        self.cards += encoded.cards
        self.text_only += encoded.text_only
        if encoded.latest_mod is not None:
            self.latest_mod = (encoded.latest_mod if self.latest_mod is None
                               else max(self.latest_mod, encoded.latest_mod))
        self.deck_paths |= encoded.deck_paths
        first = position * _NOTES_PER_POSITION
        with self._db:
            self._db.executemany("INSERT INTO notes (arrival, deck, note, digest) VALUES (?, ?, ?, ?)",
                                 [(first + index, deck, note, digest)
                                  for index, (deck, note, digest, _) in enumerate(encoded.rows)])
            # A file several notes name takes the place of the first of them.
            self._db.executemany("INSERT INTO media (name, arrival) VALUES (?, ?) ON CONFLICT (name) "
                                 "DO UPDATE SET arrival = min(arrival, excluded.arrival)",
                                 [(name, first + index) for index, row in enumerate(encoded.rows) for name in row[3]])

    def digest(self) -> str:
        """SHA-256 over the ``repr`` of every note, in the order they are read back: the same
        notes in the same order give the same digest, any change to any note (or to their order)
        another one."""
        digest = hashlib.sha256()
        for (part,) in self._db.execute("SELECT digest FROM notes ORDER BY arrival"):
            digest.update(part)
        return digest.hexdigest()

    @property
    def media_count(self) -> int:
        """How many distinct media files the notes name."""
        return self._db.execute("SELECT count(*) FROM media").fetchone()[0]

    def media_names(self) -> Iterator[str]:
        """The distinct media file names the notes name, in the order the notes are read back
        (each file where the first note that names it is; one note's files by name).

        That order gives each file its index in the package, and it does not move when a case
        changes its images: every other case's files keep their indexes (the package writer copies
        them from the previous package in long runs)."""
        # A cursor of its own, as _read's: another reading does not disturb it.
        for (name,) in self._db.cursor().execute("SELECT name FROM media ORDER BY arrival, name"):
            yield name

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[NoteSpec]:
        """Every note, in arrival order, read one at a time."""
        return self._read("SELECT note FROM notes ORDER BY arrival")

    def notes_in(self, *decks: tuple[str, ...]) -> Iterator[NoteSpec]:
        """The notes whose sub-deck path is one of ``decks`` (not their sub-decks'), in arrival order."""
        marks = ", ".join("?" * len(decks))
        return self._read(f"SELECT note FROM notes WHERE deck IN ({marks}) ORDER BY arrival",
                          tuple(_deck_key(deck) for deck in decks))

    def _read(self, query: str, parameters: tuple = ()) -> Iterator[NoteSpec]:
        # A cursor of its own, so that two readings (or a reading and an add) do not disturb each other.
        for (blob,) in self._db.cursor().execute(query, parameters):
            yield pickle.loads(blob)

    def transformed(self, change: Callable[[NoteSpec], NoteSpec]) -> NoteSpool:
        """A new spool of ``change(note)`` for every note, in the same order; it closes with this one."""
        child = NoteSpool(_folder=self._folder)
        self._children.append(child)
        batch: list[NoteSpec] = []
        for note in self:
            batch.append(change(note))
            if len(batch) == 256:  # one transaction per batch, not per note; a bounded batch in memory
                child.add(batch)
                batch = []
        child.add(batch)
        return child
