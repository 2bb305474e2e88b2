"""The media members of a package: where each comes from, and packing them.

Each media file is stored (PNG and JPEG are compressed already) under its index in the media map,
which is its place in the deck's order (see :meth:`~cardgen.deck.spool.NoteSpool.media_names`). A
media file the previous package holds is copied from it, in the kernel, as it lies there; the
package is the same, byte for byte, as one whose media were all read from disk.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cardgen.deck.zipdata import (add_copied_member, copy_range, new_entry, stored_header, target_file,
                                  write_next_at)
from cardgen.zipmember import stored_data_offset


@dataclass(frozen=True)
class MediaStep:
    """How one media member gets into the new package: ``span`` (start, length) of the previous
    package's bytes, copied as they lie, after ``header`` when the old member's own header is not
    the one this package needs (then ``span`` is its data alone); no span: read from disk."""

    entry: zipfile.ZipInfo
    name: str
    header: bytes | None = None
    span: tuple[int, int] | None = None


class MediaPlan:
    """Where each media member of a new package comes from, worked out before the packing starts.

    A media file the previous package holds is copied from it. Where the old member is, header and
    all, the member this package needs (same index, same file), the header goes along, and members
    that lie one after another there are copied in one call. The media's indexes follow the deck's
    order, so after a one-case edit every other case's files keep theirs and go in a few calls. Each
    call is a point where the packing thread waits for the interpreter lock while genanki writes
    the collection on the other, which is why the old headers are read here, in the calling thread.
    :attr:`steps` lists the media in the package's order (the media map's too).
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
            self.steps = [self._step(new_entry(str(index), zipfile.ZIP_STORED), name, members.get(name))
                          for index, name in enumerate(media_names)]
        except BaseException:
            self.close()
            raise

    def _step(self, entry: zipfile.ZipInfo, name: str, old: zipfile.ZipInfo | None) -> MediaStep:
        if old is None or self.source is None or old.file_size != old.compress_size:
            return MediaStep(entry, name)
        # The header zipfile would write for the file (a media file's name is the hash of its
        # bytes: the old member's CRC and size are this file's).
        header = stored_header(entry, old.CRC, old.file_size)
        if os.pread(self.source, len(header), old.header_offset) == header:
            return MediaStep(entry, name, span=(old.header_offset, len(header) + old.file_size))
        with open(self.source, "rb", buffering=0, closefd=False) as raw:
            start = stored_data_offset(raw, old)
        if start is None:
            return MediaStep(new_entry(entry.filename, zipfile.ZIP_STORED), name)  # compressed there: read anew
        return MediaStep(entry, name, header=header, span=(start, old.file_size))

    def __enter__(self) -> MediaPlan:
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close()

    def close(self) -> None:
        if self.source is not None:
            os.close(self.source)
            self.source = None


def pack_media(packed: zipfile.ZipFile, media_dir: Path, plan: MediaPlan,
               stop: threading.Event | None = None) -> None:
    """Each media file into ``packed`` as ``plan`` says: copied from the previous package in the
    kernel (a run of members that lie one after another there in one copy), or streamed from
    ``media_dir``. Once ``stop`` is set (the package will not be kept: a Ctrl-C or an error on the
    thread writing the collection) it returns before the next file."""
    target = target_file(packed)
    position = target.tell()
    pending: list[int] = []  # [source start, length, target start] of the copy not made yet

    def copy_pending() -> None:
        if pending:
            assert plan.source is not None
            copy_range(plan.source, target.fileno(), pending[1], pending[0], pending[2])
            pending.clear()

    for step in plan.steps:
        if stop is not None and stop.is_set():
            return
        if step.span is None:
            copy_pending()
            write_next_at(packed, position)
            with open(media_dir / step.name, "rb") as media, packed.open(step.entry, "w") as stored:
                shutil.copyfileobj(media, stored, 1 << 20)
            target.flush()  # before the kernel copies more after it
            position = target.tell()
            continue
        header_offset = position
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
        add_copied_member(packed, step.entry, header_offset)
    copy_pending()
    target.seek(position)
    write_next_at(packed, position)
