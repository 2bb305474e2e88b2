"""Writing the .apkg: genanki builds the collection, then cardgen repacks it reproducibly.

genanki stamps zip entries with the media files' times and stores everything uncompressed.
cardgen lets genanki write only the collection, then packs it deflated with the media map and the
media files (stored: PNG and JPEG are compressed already; deflate would save ~0.5 % of their bytes
for ~1.5 s per 60 MB), all with a fixed date, so the same notes and media give byte-identical
packages. It writes through a temporary file so that an error never leaves a partial package behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import genanki

from cardgen.cards.notes import NoteSpec
from cardgen.cards.notetypes import notetype

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


def build_decks(root_name: str, notes: list[NoteSpec], description: str = "") -> list[genanki.Deck]:
    """genanki decks for the notes, one per sub-deck path, in a stable order."""
    decks: dict[str, genanki.Deck] = {}

    def deck_for(path: tuple[str, ...]) -> genanki.Deck:
        name = "::".join((root_name, *path))
        if name not in decks:
            decks[name] = genanki.Deck(deck_id(name), name, description=description if not path else "")
        return decks[name]

    deck_for(())
    for note in notes:
        for depth in range(1, len(note.deck)):  # parents exist even when they hold no card
            deck_for(note.deck[:depth])
        deck_for(note.deck).add_note(_TimedNote(
            model=notetype(note.kind), fields=list(note.fields), tags=list(note.tags),
            guid=note.guid, due=note.order, mod=note.mod))
    return [decks[name] for name in sorted(decks)]


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` that replaces ``out`` only when the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        # mkstemp makes the file private; a deck is an ordinary file, so honour the umask instead.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)


def write_package(out: Path, root_name: str, notes: list[NoteSpec], media_dir: Path,
                  timestamp: int, check: Callable[[Path], None] | None = None, description: str = "") -> int:
    """Write the notes and the media files they use to ``out``; returns the package's size in bytes.

    ``media_dir`` holds every media file by name; ``timestamp`` stamps the notetypes and the ids
    genanki derives from it. ``check`` sees the finished package before it replaces ``out`` and
    may refuse it by raising (the de-identification audit does). ``description`` goes on the root deck.
    """
    media_names = sorted({name for note in notes for name in note.media})
    package = genanki.Package(build_decks(root_name, notes, description))
    with tempfile.TemporaryDirectory(prefix="cardgen-pack-") as scratch:
        loose = Path(scratch) / "genanki.apkg"
        package.write_to_file(str(loose), timestamp=timestamp)
        with atomic_output(out) as temp:
            _repack(loose, temp, media_dir, media_names)
            if check is not None:
                check(temp)
    return out.stat().st_size


def _entry(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info


def _repack(source: Path, target: Path, media_dir: Path, media_names: list[str]) -> None:
    """The collection deflated (it shrinks to a fraction), the media map as genanki writes it
    (``{"0": name, ...}``), then each media file stored under its index, streamed from disk."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as packed:
        collection = _entry("collection.anki2", zipfile.ZIP_DEFLATED)
        collection.file_size = original.getinfo("collection.anki2").file_size  # as writestr would know it
        collection._compresslevel = 6  # what writestr(..., compresslevel=6) sets; open() has no argument for it
        with original.open("collection.anki2") as database, packed.open(collection, "w") as deflated:
            shutil.copyfileobj(database, deflated, 1 << 20)  # streamed: memory stays flat as decks grow
        media_map = json.dumps({str(index): name for index, name in enumerate(media_names)})
        packed.writestr(_entry("media", zipfile.ZIP_DEFLATED), media_map, compresslevel=6)
        for index, name in enumerate(media_names):
            with open(media_dir / name, "rb") as media, \
                    packed.open(_entry(str(index), zipfile.ZIP_STORED), "w") as stored:
                shutil.copyfileobj(media, stored, 1 << 20)
