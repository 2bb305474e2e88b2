"""Writing the .apkg: genanki builds the collection, then cardgen packs it reproducibly.

genanki's own packages stamp zip entries with the media files' times and store everything
uncompressed. cardgen lets genanki write only the collection database (``Package.write_to_db`` on
a connection of ours), with the notes read from the build's :class:`~cardgen.deck.spool.NoteSpool`
one sub-deck at a time, then packs it deflated with the media map and the media files (stored: PNG
and JPEG are compressed already; deflate would save ~0.5 % of their bytes for ~1.5 s per 60 MB), all
with a fixed date, so the same notes and media give byte-identical packages. It writes through a
temporary file so that an error never leaves a partial package behind.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import genanki

from cardgen.atomic import atomic_output
from cardgen.cards.notes import NoteSpec
from cardgen.cards.notetypes import notetype
from cardgen.deck.spool import NoteSpool
from cardgen.deck.zipdata import copy_range, stored_data_offset

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def deck_id(full_name: str) -> int:
    """A stable deck id from the deck's full name (in genanki's recommended id range)."""
    digest = int(hashlib.sha256(full_name.encode("utf-8")).hexdigest()[:12], 16)
    return (1 << 30) + digest % (1 << 30)


class _TimedNote(genanki.Note):
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

    def __iter__(self) -> Iterator[_TimedNote]:
        for note in self._spool.notes_in(*self._paths):
            yield _TimedNote(model=notetype(note.kind), fields=list(note.fields), tags=list(note.tags),
                             guid=note.guid, due=note.order, mod=note.mod)


def build_decks(root_name: str, notes: NoteSpool, description: str = "") -> list[genanki.Deck]:
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


def write_package(out: Path, root_name: str, notes: NoteSpool | Iterable[NoteSpec], media_dir: Path,
                  timestamp: int, check: Callable[[Path], None] | None = None, description: str = "",
                  previous: Path | None = None, check_collection: Callable[[Path], None] | None = None) -> int:
    """Write the notes and the media files they use to ``out``; returns the package's size in bytes.

    ``notes`` is best a :class:`NoteSpool` (what the build passes: memory stays flat however many
    notes); any other iterable of notes is spooled first. ``media_dir`` holds every media file by
    name; ``timestamp`` stamps the notetypes and the ids genanki derives from it. ``check`` sees
    the finished package before it replaces ``out`` and may refuse it by raising (the
    de-identification audit does); ``check_collection`` sees the collection database as soon as
    it is written, while the media are still being packed (the audit searches it there, and not
    again in the package when the bytes there are the same). ``description`` goes on the root
    deck. ``previous`` is a package cardgen wrote before and nothing changed since (the build cache
    knows): a media file it holds is copied from it as it lies there, in the kernel, instead of
    read and written anew.
    """
    if not isinstance(notes, NoteSpool):
        with NoteSpool() as spool:
            spool.add(notes)
            return write_package(out, root_name, spool, media_dir, timestamp, check, description, previous,
                                 check_collection)
    package = genanki.Package(build_decks(root_name, notes, description))
    with tempfile.TemporaryDirectory(prefix="cardgen-pack-") as scratch, atomic_output(out) as temp:
        collection = Path(scratch) / "collection.anki2"
        # Opened without truncating (mkstemp made it empty): ext4 flushes a file truncated on open
        # when it is closed, which made closing a 290 MB package wait ~0.1-0.2 s for the disk.
        with open(temp, "r+b") as stream, zipfile.ZipFile(stream, "w") as packed:
            # The media files go into the package on a second thread while genanki writes the
            # collection on this one: copying them is file reads, writes and CRCs, which let go of
            # the interpreter lock, so the two overlap (~0.4 s of a 290 MB deck's build).
            with _MediaPlan(notes.media_names(), previous) as plan:
                media = _Background(_pack_media, packed, media_dir, plan)
                try:
                    _write_collection(package, collection, timestamp)
                    if check_collection is not None:
                        check_collection(collection)
                finally:
                    media.wait()
            _pack_collection(packed, collection, [step.name for step in plan.steps])
        if check is not None:
            check(temp)
    return out.stat().st_size


class _Background:
    """``function(*arguments)`` on a thread of its own; :meth:`wait` joins it and raises what it raised."""

    def __init__(self, function: Callable[..., None], *arguments: object) -> None:
        self._error: BaseException | None = None

        def run() -> None:
            try:
                function(*arguments)
            except BaseException as error:  # handed to the waiting thread, which raises it
                self._error = error

        self._thread = threading.Thread(target=run, name="cardgen-pack-media", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _write_collection(package: genanki.Package, path: Path, timestamp: float) -> None:
    """The collection database, written as ``genanki.Package.write_to_file`` writes it (the same
    connection settings, ids and commits: the same bytes), into a file of ours, so that it goes
    into the package once instead of through genanki's own zip first."""
    connection = sqlite3.connect(path)
    # A scratch file, packed and deleted at once: no journal and no waiting for the disk at each of
    # genanki's commits (the fsyncs took ~0.4 s of a rebuild while the package's 290 MB were being
    # written). Neither setting changes the database's bytes.
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    try:
        package.write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        connection.commit()
    finally:
        connection.close()


def _entry(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info


@dataclass(frozen=True)
class _MediaStep:
    """How one media member gets into the new package: ``span`` (start, length) of the previous
    package's bytes, copied as they lie, after ``header`` when the old member's own header is not
    the one this package needs (then ``span`` is its data alone); no span: read from disk."""

    entry: zipfile.ZipInfo
    name: str
    header: bytes | None = None
    span: tuple[int, int] | None = None


class _MediaPlan:
    """Where each media member of a new package comes from, worked out before the packing starts.

    A media file the previous package holds is copied from it. Where the old member is, header and
    all, the member this package needs (same index, same file), the header goes along, and members
    that lie one after another there are copied in one call. The media's indexes follow the deck's
    order (see :meth:`NoteSpool.media_names`), so after a one-case edit every other case's files keep
    theirs and the other cases' ~290 MB go in a few calls instead of ~1,750. Each call was a point
    where the packing thread waited for the interpreter lock while genanki wrote the collection on
    the other (0.3-0.5 s for what takes 0.13 s alone). The old headers are read here, in the calling
    thread, for that reason. :attr:`steps` lists the media in the package's order (the media map's too).
    """

    def __init__(self, media_names: Iterable[str], previous: Path | None) -> None:
        self.source: int | None = None  # the previous package, open while the plan is
        members: dict[str, zipfile.ZipInfo] = {}
        if previous is not None:
            try:
                with zipfile.ZipFile(previous) as archive:
                    media_map = json.loads(archive.read("media"))
                    members = {str(name): archive.getinfo(str(number)) for number, name in media_map.items()}
                self.source = os.open(previous, os.O_RDONLY)
            except (OSError, zipfile.BadZipFile, KeyError, ValueError, AttributeError):
                members = {}  # not a package this could reuse: every media file is read anew
        try:
            self.steps = [self._step(_entry(str(index), zipfile.ZIP_STORED), name, members.get(name))
                          for index, name in enumerate(media_names)]
        except BaseException:
            self.close()
            raise

    def _step(self, entry: zipfile.ZipInfo, name: str, old: zipfile.ZipInfo | None) -> _MediaStep:
        if old is None or self.source is None or old.file_size != old.compress_size:
            return _MediaStep(entry, name)
        # The header zipfile would write for the file (a media file's name is the hash of its
        # bytes: the old member's CRC and size are this file's).
        entry.CRC, entry.compress_size, entry.file_size = old.CRC, old.compress_size, old.file_size
        header = entry.FileHeader(False)
        if os.pread(self.source, len(header), old.header_offset) == header:
            return _MediaStep(entry, name, span=(old.header_offset, len(header) + old.file_size))
        with open(self.source, "rb", buffering=0, closefd=False) as raw:
            start = stored_data_offset(raw, old)
        if start is None:
            return _MediaStep(_entry(entry.filename, zipfile.ZIP_STORED), name)  # compressed there: read anew
        return _MediaStep(entry, name, header=header, span=(start, old.file_size))

    def __enter__(self) -> _MediaPlan:
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close()

    def close(self) -> None:
        if self.source is not None:
            os.close(self.source)
            self.source = None


def _pack_media(packed: zipfile.ZipFile, media_dir: Path, plan: _MediaPlan) -> None:
    """Each media file stored (PNG and JPEG are compressed already) under its index in the media
    map (its place in the deck's order), as ``plan`` says: copied from the previous package in the
    kernel (a run of members that lie one after another there in one copy), or streamed from
    ``media_dir``. The package is the same, byte for byte, as one whose media were all read from disk."""
    target = packed.fp
    assert target is not None
    position = target.tell()
    pending: list[int] = []  # [source start, length, target start] of the copy not made yet

    def copy_pending() -> None:
        if pending:
            assert plan.source is not None
            copy_range(plan.source, target.fileno(), pending[1], pending[0], pending[2])
            pending.clear()

    for step in plan.steps:
        if step.span is None:
            copy_pending()
            packed.start_dir = position  # where ZipFile.open(entry, "w") writes the member
            with open(media_dir / step.name, "rb") as media, packed.open(step.entry, "w") as stored:
                shutil.copyfileobj(media, stored, 1 << 20)
            target.flush()  # before the kernel copies more after it
            position = target.tell()
            continue
        step.entry.header_offset = position
        if step.header is not None:
            copy_pending()
            os.pwrite(target.fileno(), step.header, position)
            position += len(step.header)
        start, length = step.span
        if pending and pending[0] + pending[1] == start:
            pending[1] += length
        else:
            copy_pending()
            pending.extend((start, length, position))
        position += length
        # What ZipFile.open(entry, "w") records when its stream closes: the central directory lists it.
        packed.filelist.append(step.entry)
        packed.NameToInfo[step.entry.filename] = step.entry
    copy_pending()
    target.seek(position)
    packed.start_dir = position


def _pack_collection(packed: zipfile.ZipFile, collection_path: Path, media_names: Iterable[str]) -> None:
    """The collection deflated (it shrinks to a fraction) and the media map as genanki writes it
    (``{"0": name, ...}``), both streamed (memory stays flat as decks grow). Anki finds package
    members by name, so they follow the media files."""
    collection = _entry("collection.anki2", zipfile.ZIP_DEFLATED)
    collection.file_size = collection_path.stat().st_size  # as writestr would know it (zip64 or not)
    collection._compresslevel = 6  # what writestr(..., compresslevel=6) sets; open() has no argument for it
    with open(collection_path, "rb") as database, packed.open(collection, "w") as deflated:
        shutil.copyfileobj(database, deflated, 1 << 20)
    media_map = _entry("media", zipfile.ZIP_DEFLATED)
    media_map._compresslevel = 6
    with packed.open(media_map, "w") as deflated:
        for piece in _media_map(media_names):
            deflated.write(piece)


def _media_map(names: Iterable[str]) -> Iterator[bytes]:
    """``json.dumps({"0": names[0], "1": names[1], ...})`` in pieces of about 64 KiB."""
    pieces = ["{"]
    size = 1
    for index, name in enumerate(names):
        piece = f"{', ' if index else ''}{json.dumps(str(index))}: {json.dumps(name)}"
        pieces.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            yield "".join(pieces).encode()
            pieces, size = [], 0
    pieces.append("}")
    yield "".join(pieces).encode()
