"""Writing the .apkg: the collection database, the media map and the media files, reproducibly.

genanki's own packages stamp zip entries with the media files' times and store everything
uncompressed. cardgen lets genanki write only the collection database
(:mod:`cardgen.deck.collection`), with the notes read from the build's
:class:`~cardgen.deck.spool.NoteSpool` one sub-deck at a time, then packs it deflated with the media
map and the media files (stored: PNG and JPEG are compressed already; see :mod:`cardgen.deck.media`),
all with a fixed date, so the same notes and media give byte-identical packages. It writes through a
temporary file (:func:`cardgen.atomic.atomic_output`) so that an error never leaves a partial
package behind.
"""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

from cardgen.atomic import atomic_output
from cardgen.cards.notes import NoteSpec
from cardgen.deck.collection import write_collection
from cardgen.deck.media import MediaPlan, pack_media
from cardgen.deck.spool import NoteSpool
from cardgen.deck.zipdata import new_entry
from cardgen.interrupts import interrupts_held
from cardgen.scratch import scratch_folder

COLLECTION_MEMBER = "collection.anki2"  # the package member Anki reads the collection from


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
    with scratch_folder("pack") as scratch, atomic_output(out) as temp:
        collection = Path(scratch) / COLLECTION_MEMBER
        # Opened without truncating (mkstemp made it empty): ext4 flushes a file truncated on open
        # when it is closed, and closing a large package would wait for the disk.
        with open(temp, "r+b") as stream, zipfile.ZipFile(stream, "w") as packed:
            # The media files go into the package on a second thread while genanki writes the
            # collection on this one: copying them is file reads, writes and CRCs, which let go of
            # the interpreter lock, so the two overlap.
            # A Ctrl-C or an error on this thread stops the media thread at its next file, and the
            # zip is closed only once that thread is done with it.
            with MediaPlan(notes.media_names(), previous) as plan:
                stop = threading.Event()
                media = _Background(pack_media, packed, media_dir, plan, stop, on_interrupt=stop.set)
                try:
                    write_collection(collection, root_name, notes, timestamp, description)
                    if check_collection is not None:
                        check_collection(collection)
                except BaseException:
                    stop.set()
                    raise
                finally:
                    media.wait()
            _pack_collection(packed, collection, [step.name for step in plan.steps])
        if check is not None:
            check(temp)
    return out.stat().st_size


class _Background:
    """``function(*arguments)`` on a thread of its own; :meth:`wait` joins it and raises what it raised.

    A Ctrl-C while the thread starts or while :meth:`wait` joins it is held until the thread is
    started or done (``on_interrupt`` is called at once: it may ask the function to stop), then
    raised: a KeyboardInterrupt in between would leave the thread running with the caller's files
    about to close (the zip refused to close under it, with a traceback instead of "Aborted!")."""

    def __init__(self, function: Callable[..., None], *arguments: object,
                 on_interrupt: Callable[[], None] | None = None) -> None:
        self._error: BaseException | None = None
        self._on_interrupt = on_interrupt

        def run() -> None:
            try:
                function(*arguments)
            except BaseException as error:  # handed to the waiting thread, which raises it
                self._error = error

        self._thread = threading.Thread(target=run, name="cardgen-pack-media", daemon=True)
        with interrupts_held(on_interrupt) as interrupted:
            self._thread.start()
        if interrupted:  # the function was asked to stop (on_interrupt); the caller gets no handle to wait
            self.wait()
            raise KeyboardInterrupt

    def wait(self) -> None:
        with interrupts_held(self._on_interrupt) as interrupted:
            self._thread.join()
        if self._error is not None:
            raise self._error
        if interrupted:
            raise KeyboardInterrupt


def _pack_collection(packed: zipfile.ZipFile, collection_path: Path, media_names: Iterable[str]) -> None:
    """The collection deflated (it shrinks to a fraction) and the media map as genanki writes it
    (``{"0": name, ...}``), both streamed (memory stays flat as decks grow). Anki finds package
    members by name, so they follow the media files."""
    collection = new_entry(COLLECTION_MEMBER, zipfile.ZIP_DEFLATED, compress_level=6,
                           size=collection_path.stat().st_size)
    with open(collection_path, "rb") as database, packed.open(collection, "w") as deflated:
        shutil.copyfileobj(database, deflated, 1 << 20)
    media_map = new_entry("media", zipfile.ZIP_DEFLATED, compress_level=6)
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
