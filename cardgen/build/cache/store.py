"""The one entry store of the build cache: small values kept as rows (kind, key, value) of one
SQLite database, ``entries.sqlite``; the typed wrappers in :mod:`cardgen.build.cache.entries`
say what each kind holds.

Every worker writes to the same database: in WAL mode readers never wait, and writers take turns
for the moment a one-row transaction lasts (one database rather than a file per entry: see
docs/performance.md). A connection is made per process (never carried across a fork).

A damaged database (overwritten, truncated, a folder in its place) is never fatal: the process
that finds it reports it to ``on_damage`` once and reads nothing more from it (every entry is
made again), and :meth:`cardgen.build.cache.BuildCache.repair` replaces it before the next build's
workers start.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

# What unpickling a damaged or foreign value raises (then the value is made again).
UNPICKLING_ERRORS = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError)


class EntryStore:
    """Values by kind and key, as rows of the SQLite database at ``path``."""

    def __init__(self, path: Path, on_damage: Callable[[str], None]) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._on_damage = on_damage
        self._broken_in = 0  # the process that found the database damaged

    def _database(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # Autocommit: each statement is its own transaction. A cache may lose its last entries
            # in a power cut (no sync at each commit), never be left half-written.
            connection = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            self._connection, self._pid = connection, os.getpid()
            # Switching a new database to WAL takes an exclusive lock, and SQLite answers "database
            # is locked" at once, without its busy handler, when another process opens it meanwhile:
            # the set-up is tried again until the timeout, as the busy handler would.
            deadline = time.monotonic() + 120
            while True:
                try:
                    connection.execute("PRAGMA journal_mode = WAL")
                    connection.execute("PRAGMA synchronous = NORMAL")
                    connection.execute("CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, "
                                       "key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (kind, key))")
                    break
                except sqlite3.OperationalError as error:
                    if is_damage(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        return self._connection

    def _run(self, statement: str, parameters: tuple) -> list[tuple]:
        """``statement``'s rows; none when the database is damaged (reported once per process)."""
        if self._broken_in == os.getpid():
            return []
        try:
            return self._database().execute(statement, parameters).fetchall()
        except sqlite3.DatabaseError as error:
            if not is_damage(error):
                raise
            self._broken_in = os.getpid()
            self._on_damage(f"{self.path}: {error}")
            return []

    def check(self) -> str | None:
        """What is wrong with the database file, or None (a quick look: its header and schema)."""
        if self.path.exists() and not self.path.is_file():
            return f"{self.path} is not a file"
        try:
            connection = sqlite3.connect(self.path, timeout=120)
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
                connection.execute("SELECT kind, key FROM entries LIMIT 1").fetchall()
            finally:
                connection.close()
        except sqlite3.DatabaseError as error:
            if not is_damage(error) and "no such table" not in str(error):
                raise
            return None if "no such table" in str(error) else f"{self.path}: {error}"
        return None

    def get(self, kind: str, key: str) -> bytes | None:
        """The value kept under ``kind`` and ``key``, or None."""
        rows = self._run("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key))
        return bytes(rows[0][0]) if rows and isinstance(rows[0][0], bytes) else None

    def has(self, kind: str, key: str) -> bool:
        """True when a value is kept under ``kind`` and ``key`` (without reading it)."""
        return bool(self._run("SELECT 1 FROM entries WHERE kind = ? AND key = ?", (kind, key)))

    def put(self, kind: str, key: str, value: bytes) -> None:
        """Keep ``value`` under ``kind`` and ``key`` (replacing what was there)."""
        self._run("INSERT OR REPLACE INTO entries (kind, key, value) VALUES (?, ?, ?)", (kind, key, value))

    def get_object(self, kind: str, key: str) -> object | None:
        """The Python object pickled under ``kind`` and ``key``, or None (also for a damaged value)."""
        data = self.get(kind, key)
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except UNPICKLING_ERRORS:
            return None

    def put_object(self, kind: str, key: str, value: object) -> None:
        """Keep ``value`` pickled under ``kind`` and ``key`` (written and read only by cardgen)."""
        self.put(kind, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


def is_damage(error: sqlite3.DatabaseError) -> bool:
    """True for an SQLite error that means a damaged database (not one busy with another writer)."""
    busy = {getattr(sqlite3, name, -1) for name in ("SQLITE_BUSY", "SQLITE_LOCKED")}
    return getattr(error, "sqlite_errorcode", None) not in busy
