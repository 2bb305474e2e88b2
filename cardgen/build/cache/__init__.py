"""The build cache: what a rebuild need not do again, found again by key.

One entry store (:mod:`~cardgen.build.cache.store`, rows of one SQLite database) holds the small
entries, each kind behind a typed wrapper (:mod:`~cardgen.build.cache.entries`); the media files,
the parsed cases of a folder and the records of each package written are files. Everything is keyed
on its inputs and on a fingerprint of cardgen's code (:mod:`~cardgen.build.cache.fingerprint`),
so a stale entry is never reused.

Layout under the cache folder (default ``$CARDGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cardgen``,
else ``~/.cache/cardgen``)::

    media/<name>              the media file itself (named by the hash of its content)
    entries.sqlite            the small entries, one row each (kind, key, value):
                                render: one line: media name, width, height, source width, source height
                                case:   the notes of one case (a pickle, written and read only by cardgen)
                                value:  what was read from one file's header: its image facts and
                                        identifying values (for the self-audit), by the file's size and time
    parsed/<hash of folder>   the parsed cases of one cases folder, each with its file's size and time
    packages/<hash of path>   what the last package written to that path was made of
    packages/<hash>.audit     what the self-audit of that package found clean (see AuditMemo)
    damaged.log               damage found by any process, reported by the build (then emptied)

Every file is written to a temporary name and renamed into place, and every entry in a transaction
of its own, so parallel workers and concurrent builds never see half of one. Deleting the folder
between builds is always safe: the next build renders everything again. Nothing is evicted; delete
the folder to reclaim the space. A damaged part is never fatal: it is reported and made again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable

from cardgen.build.cache.entries import CaseNotes, Readings, Renders
from cardgen.build.cache.media import MediaFiles
from cardgen.build.cache.parsed import ParsedCases
from cardgen.build.cache.records import PackageRecords
from cardgen.build.cache.store import EntryStore
from cardgen.errors import InputError
from cardgen.teaching.case import Case

CACHE_ENV = "CARDGEN_CACHE_DIR"
_TO_REPLACE = "to be replaced before the next build"


def default_cache_dir() -> Path:
    """Where renders are cached unless ``--cache-dir`` says otherwise."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "cardgen"
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no entry in the user database (a container run as a bare uid)
        raise InputError("no home folder to keep the build cache in (HOME is not set)",
                         hint="give --cache-dir FOLDER (or set CARDGEN_CACHE_DIR), or build with --no-cache") from None
    return home / ".cache" / "cardgen"


class BuildCache:
    """The build cache under ``root`` (created on first use): :attr:`renders`, :attr:`cases`
    (their notes), :attr:`readings` (of source files), :attr:`packages` (records of the packages
    written), :attr:`media` (the media files) and :meth:`parsed_cases`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.media_dir = root / "media"
        self._parsed = root / "parsed"
        self._damage_log = root / "damaged.log"
        self._entries = EntryStore(root / "entries.sqlite", self.note_damage)
        self.media = MediaFiles(self.media_dir, self.note_damage)
        self.renders = Renders(self._entries, self.media)
        self.cases = CaseNotes(self._entries)
        self.readings = Readings(self._entries)
        self.packages = PackageRecords(root / "packages", self.note_damage)
        try:
            for folder in (self.media_dir, self.packages.folder, self._parsed):
                folder.mkdir(parents=True, exist_ok=True)
            probe = root / f".writable.{os.getpid()}"  # a read-only cache would fail each write later
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise InputError(f"cannot use the cache folder: {error.strerror}", file=root, field="--cache-dir",
                             hint="give a writable folder with --cache-dir, or build with --no-cache") from error

    def parsed_cases(self, cases_dir: Path, load: Callable[[Path], Case]) -> ParsedCases:
        """The remembered parses of the cases under ``cases_dir``, with ``load`` to parse any
        other (see :class:`ParsedCases`)."""
        return ParsedCases(self._parsed / hashlib.sha256(str(cases_dir.resolve()).encode()).hexdigest(), load)

    # -- damage ---------------------------------------------------------------------------

    def note_damage(self, what: str) -> None:
        """Record that part of the cache was found damaged (in any process; the build reports it)."""
        try:
            with open(self._damage_log, "a", encoding="utf-8") as log:
                log.write(what.replace("\n", " ") + "\n")
        except OSError:
            pass  # the warning is lost, the build goes on: what was damaged is made again anyway

    def repair(self) -> list[str]:
        """Before a build's workers start: replace a damaged entries database (found now, or by the
        last build) with an empty one, and return one line per damage noted since the last call."""
        database = self._entries.path
        found = self._entries.check()
        notes = self._damage_notes() + ([found] if found is not None else [])
        if found is not None or any(database.name in note for note in notes):
            self._entries.close()
            for path in (database, *(Path(f"{database}{end}") for end in ("-wal", "-shm"))):
                try:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink(missing_ok=True)
                except OSError as error:
                    raise InputError(f"cannot replace the damaged cache database: {error.strerror}", file=path,
                                     field="--cache-dir", hint="delete the cache folder, or build with "
                                     "--no-cache") from error
        return [note for note in notes if not note.endswith(_TO_REPLACE)]

    def damage_report(self) -> list[str]:
        """After a build: the damage its processes noted (the next :meth:`repair` mends the database)."""
        notes = self._damage_notes()
        if any(self._entries.path.name in note for note in notes):
            self.note_damage(f"{self._entries.path}: {_TO_REPLACE}")  # for the next repair()
        return [note for note in notes if not note.endswith(_TO_REPLACE)]

    def _damage_notes(self) -> list[str]:
        """Every line of the damage log (emptied)."""
        try:
            text = self._damage_log.read_text(encoding="utf-8", errors="replace")
            self._damage_log.unlink()
        except OSError:
            return []
        return [line for line in text.splitlines() if line.strip()]
