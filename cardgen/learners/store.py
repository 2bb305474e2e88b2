"""The learners database: one embedded SQLite file, ``learners.sqlite``, in the learners folder.

Schema version 1 (``meta.schema_version``):

``meta(key PRIMARY KEY, value)``
    ``schema_version`` = ``1``.
``learners(name PRIMARY KEY, imported_at)``
    One row per learner; ``imported_at`` is the newest time (ms since 1970) an imported history of
    theirs reached: a progress file's export time, a package's newest review or edit of a cardgen
    note (never past the clock of the import). A learner's deck must be newer than that
    (cardgen.learners.personal).
``notes(guid PRIMARY KEY, tags)``
    Every cardgen note seen in any history: its GUID and its ``cardgen::`` tags (space separated),
    as the newest history holding it had them (by ``learner_notes.as_of``); the class report names a
    card's case from here. No other tag is stored, nor a learner's ``cardgen::difficulty::`` band.
``learner_notes(learner, guid, tags, as_of)``
    Each learner's own copy of those tags, from their newest history (``as_of``: the time it
    reached, as ``learners.imported_at``): a review counts under the topics of the deck its learner
    studied, whatever the order of imports. Added within version 1 (an older cardgen ignores it; a
    learner imported before it has none, and their reviews count under ``notes``).
``reviews(learner, note_guid, card_ord, review_id, ease, interval, last_interval, factor, time_ms, type)``
    One row per Anki review-log entry of a cardgen card, as Anki's ``revlog`` has it: ``review_id``
    is the revlog id (the review's time in ms), ``ease`` 1-4 (Again, Hard, Good, Easy), ``interval``
    and ``last_interval`` in days (negative: seconds), ``type`` 0 learn, 1 review, 2 relearn,
    3 filtered, 4 manual. Primary key ``(learner, review_id)``: importing a history twice adds nothing.
``card_states(learner, note_guid, card_ord, stability, difficulty, decay, last_review_ms, params)``
    The FSRS memory state of each reviewed card, computed by Anki's own FSRS when the history was
    imported (``params``: ``fitted`` to this learner or ``default``). Replaced by an import whose
    state is of the same or a later last review, never by an older export's.
``note_kinds(guid PRIMARY KEY, kind)``
    The kind of card each cardgen note is (``case``, ``finding``, ``occlusion``, ``objective``), from
    the name of the notetype cardgen gave it. Added within version 1: a table no older cardgen reads
    or writes; a database from before it gets the table empty, filled by the next import.

Nothing else from a learner's collection is read or stored: no card text, no other notes, no
deck names, no media.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Iterator

from cardgen.errors import InputError
from cardgen.tags import DIFFICULTY_PREFIX, has_prefix
from cardgen.learners.model import CardState, FsrsParams, Review

SCHEMA_VERSION = 1
# How long to wait for another program holding the database (an import, a build) before giving up.
BUSY_TIMEOUT_S = 30.0
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # SQLite's primary result codes
DB_NAME = "learners.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS learners (name TEXT PRIMARY KEY, imported_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notes (guid TEXT PRIMARY KEY, tags TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (
    learner TEXT NOT NULL REFERENCES learners(name),
    note_guid TEXT NOT NULL,
    card_ord INTEGER NOT NULL,
    review_id INTEGER NOT NULL,
    ease INTEGER NOT NULL,
    interval INTEGER NOT NULL,
    last_interval INTEGER NOT NULL,
    factor INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    type INTEGER NOT NULL,
    PRIMARY KEY (learner, review_id)
);
CREATE INDEX IF NOT EXISTS reviews_by_card ON reviews (note_guid, card_ord);
CREATE INDEX IF NOT EXISTS reviews_by_id ON reviews (review_id);
CREATE TABLE IF NOT EXISTS card_states (
    learner TEXT NOT NULL REFERENCES learners(name),
    note_guid TEXT NOT NULL,
    card_ord INTEGER NOT NULL,
    stability REAL NOT NULL,
    difficulty REAL NOT NULL,
    decay REAL NOT NULL,
    last_review_ms INTEGER NOT NULL,
    params TEXT NOT NULL,
    PRIMARY KEY (learner, note_guid, card_ord)
);
CREATE TABLE IF NOT EXISTS note_kinds (guid TEXT PRIMARY KEY, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS learner_notes (
    learner TEXT NOT NULL REFERENCES learners(name),
    guid TEXT NOT NULL,
    tags TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    PRIMARY KEY (learner, guid)
);
"""


_REVIEW_COLUMNS = "note_guid, card_ord, review_id, ease, interval, last_interval, factor, time_ms, type"


def database_path(learners_dir: Path) -> Path:
    """Where the learners database of ``learners_dir`` lives."""
    return learners_dir / DB_NAME


@contextmanager
def open_store(learners_dir: Path, *, create: bool = False) -> Iterator[sqlite3.Connection]:
    """The learners database, committed when the block succeeds and closed after it."""
    path = database_path(learners_dir)
    if not create and not path.exists():
        raise InputError("no learners database here", file=path,
                         hint="import a history first: cardgen learners import HISTORY --learner NAME "
                              f"--learners-dir {learners_dir}")
    learners_dir.mkdir(parents=True, exist_ok=True)
    if path.is_dir() or (path.is_symlink() and not path.exists()):
        raise InputError("not a learners database: " + ("a folder" if path.is_dir() else "a link to nothing"),
                         file=path, hint="move it away, or give another --learners-dir")
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        # The version first: a database of another version is refused before anything is written to it.
        try:
            has_meta = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
            version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() \
                if has_meta else None
            others = [] if has_meta else sorted(name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"))
        except sqlite3.DatabaseError as error:
            _refuse_busy(error, path)
            raise InputError(f"not a learners database ({error})", file=path,
                             hint="move the file away; cardgen learners import creates a new one") from None
        if others:  # another program's database: never add tables to it
            raise InputError(f"not a learners database (it holds other tables: {', '.join(others[:5])})",
                             file=path, hint="move the file away, or give another --learners-dir")
        if version is not None and version[0] != str(SCHEMA_VERSION):
            raise InputError("learners database has an unknown schema version", file=path,
                             field="meta.schema_version", value=version[0],
                             hint=f"this cardgen reads version {SCHEMA_VERSION}; use a matching cardgen")
        try:
            connection.executescript(_SCHEMA)
            if version is None:
                connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            with connection:
                yield connection
        except sqlite3.DatabaseError as error:  # a table changed or damaged since cardgen made it
            _refuse_busy(error, path)
            raise InputError(f"the learners database is damaged ({error})", file=path,
                             hint="move the file away and import the learners' histories again") from None
    finally:
        connection.close()


@dataclass(frozen=True)
class Stored:
    """What :func:`add_history` stored, and what it kept instead of the incoming rows."""

    reviews_added: int
    # (stored, incoming) of reviews whose id the learner already has with other contents: the
    # stored row is kept (at most MAX_SHOWN of them; ``differing`` counts them all)
    differing_examples: tuple[tuple[Review, Review], ...] = ()
    differing: int = 0
    states_kept: int = 0  # memory states kept because the stored one is of a later review


MAX_SHOWN = 3


def _refuse_busy(error: sqlite3.DatabaseError, path: Path) -> None:
    """A database another program holds (SQLite's BUSY or LOCKED) is in use, not damaged: say so."""
    if getattr(error, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(error):
        raise InputError(f"the learners database is in use by another program (another cardgen learners import or "
                         f"build, or a database browser): still locked after {BUSY_TIMEOUT_S:g} s", file=path,
                         hint="try again when that program has finished; nothing was changed") from None


def same_name(a: str, b: str) -> bool:
    """Whether two learner names name one learner: they differ at most in letter case and surrounding space."""
    return a.strip().casefold() == b.strip().casefold()


def _refuse_another_learners_history(connection: sqlite3.Connection, learner: str, count: int) -> None:
    """Refuse a history under a second name: a name that differs from a known one only in letter case
    or spaces, or a history most of whose answers (review id, note, card) another learner already
    has. Review ids are the answers' times in ms within one collection: two learners share a few at
    most, and a history counted twice would count twice in every class figure."""
    for known in learner_names(connection):
        if known != learner and same_name(known, learner):
            raise InputError(f"a learner {known!r} is already known, and names differing only in letter case or "
                             "spaces are one learner", field="--learner", value=learner,
                             hint=f"import it with --learner {known!r}")
    row = connection.execute(
        "SELECT r.learner, count() FROM incoming i JOIN reviews r ON r.review_id = i.review_id "
        "AND r.note_guid = i.note_guid AND r.card_ord = i.card_ord AND r.learner != ? "
        "GROUP BY r.learner ORDER BY 2 DESC, 1 LIMIT 1", (learner,)).fetchone()
    if row is not None and row[1] * 2 > count:
        raise InputError(f"this history is already imported as {row[0]!r}: {row[1]} of its {count} reviews are "
                         f"theirs (the same answers at the same times)", field="--learner", value=learner,
                         hint=f"if it is {row[0]}'s, import it with --learner {row[0]!r} (only new reviews are "
                              "added); nothing was imported")


def add_history(connection: sqlite3.Connection, learner: str, note_tags: dict[str, str],
                reviews: list[Review], states: list[CardState], kinds: dict[str, str] | None = None,
                as_of_ms: int | None = None) -> Stored:
    """Store a learner's reviews (new ones only) and card states, and the notes' tags and ``kinds``
    (note GUID: kind of card); ``as_of_ms``: the time the history reached (its export time; the
    newest review when None). A review id already stored for the learner keeps its stored row; one
    whose contents differ is reported in the result, not replaced."""
    newest = max([r.review_id for r in reviews] + ([as_of_ms] if as_of_ms is not None else []), default=0)
    connection.execute(f"CREATE TEMP TABLE IF NOT EXISTS incoming ({_REVIEW_COLUMNS}, PRIMARY KEY (review_id))")
    connection.execute("DELETE FROM incoming")
    connection.executemany("INSERT OR IGNORE INTO incoming VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [astuple(r) for r in reviews])
    _refuse_another_learners_history(connection, learner, len(reviews))
    connection.execute("INSERT INTO learners VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                       "imported_at = max(imported_at, excluded.imported_at)", (learner, newest))
    # the tags as this history has them, the learner's own band left out (it is theirs, not the note's)
    tags = sorted((guid, " ".join(t for t in text.split() if not has_prefix(t, DIFFICULTY_PREFIX)))
                  for guid, text in note_tags.items())
    # the shared copy: this one unless a newer history (of any learner) holds the note
    connection.executemany(
        "INSERT INTO notes VALUES (?, ?) ON CONFLICT(guid) DO UPDATE SET tags = excluded.tags "
        "WHERE ? >= coalesce((SELECT max(as_of) FROM learner_notes WHERE guid = excluded.guid), 0)",
        [(guid, text, newest) for guid, text in tags])
    connection.executemany(
        "INSERT INTO learner_notes VALUES (?, ?, ?, ?) ON CONFLICT(learner, guid) DO UPDATE SET "
        "tags = excluded.tags, as_of = excluded.as_of WHERE excluded.as_of >= learner_notes.as_of",
        [(learner, guid, text, newest) for guid, text in tags])
    connection.executemany("INSERT OR REPLACE INTO note_kinds VALUES (?, ?)", sorted((kinds or {}).items()))
    columns = _REVIEW_COLUMNS.split(", ")
    differing = connection.execute(
        f"SELECT {', '.join('r.' + c for c in columns)}, {', '.join('i.' + c for c in columns)} "
        "FROM incoming i JOIN reviews r ON r.learner = ? AND r.review_id = i.review_id "
        f"WHERE ({', '.join('r.' + c for c in columns)}) IS NOT ({', '.join('i.' + c for c in columns)}) "
        "ORDER BY i.review_id", (learner,)).fetchall()
    before = connection.total_changes
    connection.execute(f"INSERT OR IGNORE INTO reviews SELECT ?, {_REVIEW_COLUMNS} FROM incoming", (learner,))
    added = connection.total_changes - before
    connection.execute("DELETE FROM incoming")
    before = connection.total_changes
    connection.executemany(  # a state computed from an older export never replaces a newer one
        "INSERT INTO card_states VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(learner, note_guid, card_ord) DO UPDATE "
        "SET stability = excluded.stability, difficulty = excluded.difficulty, decay = excluded.decay, "
        "last_review_ms = excluded.last_review_ms, params = excluded.params "
        "WHERE excluded.last_review_ms >= card_states.last_review_ms",
        [(learner, s.note_guid, s.card_ord, s.stability, s.difficulty, s.decay, s.last_review_ms, s.params.value)
         for s in states])
    return Stored(added, tuple((Review(*row[:9]), Review(*row[9:])) for row in differing[:MAX_SHOWN]),
                  len(differing), states_kept=len(states) - (connection.total_changes - before))


def learner_names(connection: sqlite3.Connection) -> list[str]:
    """Every learner in the database, by name."""
    return [row[0] for row in connection.execute("SELECT name FROM learners ORDER BY name")]


def reviews_of(connection: sqlite3.Connection, learner: str | None = None) -> list[tuple[str, Review]]:
    """(learner, review) pairs in time order, of one learner or all."""
    query = ("SELECT learner, note_guid, card_ord, review_id, ease, interval, last_interval, factor, time_ms, type "
             "FROM reviews" + (" WHERE learner = ?" if learner else "") + " ORDER BY learner, review_id")
    return [(row[0], Review(*row[1:])) for row in connection.execute(query, (learner,) if learner else ())]


def states_of(connection: sqlite3.Connection, learner: str) -> list[CardState]:
    """The FSRS memory states of one learner's cards."""
    return [CardState(*row[:6], FsrsParams(row[6])) for row in connection.execute(
        "SELECT note_guid, card_ord, stability, difficulty, decay, last_review_ms, params FROM card_states "
        "WHERE learner = ? ORDER BY note_guid, card_ord", (learner,))]


def note_tags(connection: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Each known cardgen note's cardgen tags (as the newest history holding it had them)."""
    return {guid: tuple(tags.split()) for guid, tags in connection.execute("SELECT guid, tags FROM notes")}


@dataclass(frozen=True)
class LearnerTags:
    """The notes' cardgen tags as each learner's own deck had them (``learner_notes``), and the
    shared copy (``notes``) for a learner imported before the database kept their own."""

    own: dict[str, dict[str, tuple[str, ...]]]  # learner -> note GUID -> tags
    shared: dict[str, tuple[str, ...]]

    def of(self, learner: str, guid: str) -> tuple[str, ...]:
        """The tags of note ``guid`` as ``learner`` studied it."""
        mine = self.own.get(learner)
        return mine.get(guid, ()) if mine else self.shared.get(guid, ())


def learner_tags(connection: sqlite3.Connection) -> LearnerTags:
    """Every learner's copy of the notes' cardgen tags (see :class:`LearnerTags`)."""
    own: dict[str, dict[str, tuple[str, ...]]] = {}
    for learner, guid, tags in connection.execute("SELECT learner, guid, tags FROM learner_notes"):
        own.setdefault(learner, {})[guid] = tuple(tags.split())
    return LearnerTags(own, note_tags(connection))


def note_kinds(connection: sqlite3.Connection) -> dict[str, str]:
    """Each cardgen note's kind of card, where an import found it."""
    return dict(connection.execute("SELECT guid, kind FROM note_kinds"))


def learner_reviews(connection: sqlite3.Connection, learner: str) -> list[Review]:
    """One learner's reviews in time order."""
    return [review for _, review in reviews_of(connection, learner)]
