"""The typed wrappers over the entry store, one per kind of entry:

- :class:`Renders` (kind ``render``): the media file a render request gave, as one line: media
  name, width, height, source width, source height;
- :class:`CaseNotes` (kind ``case``): the encoded notes of one case;
- :class:`Readings` (kind ``value``): what was read from one file (a DICOM header's image facts
  and burned-in facts, its identifying values for the self-audit), while the file is unchanged.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from stat import S_ISREG
from typing import Callable, Iterable, TypeVar

from cardgen.annotations.render import RenderRequest
from cardgen.build.cache.fingerprint import code_fingerprint
from cardgen.build.cache.media import MediaFiles
from cardgen.build.cache.store import UNPICKLING_ERRORS, EntryStore
from cardgen.deid.matcher import IdentifyingValue
from cardgen.deid.values import dicom_files, values_from_files
from cardgen.filestamp import file_stamp
from cardgen.imaging.render import RenderedImage
from cardgen.imaging.sources import looks_like_dicom

T = TypeVar("T")


class Renders:
    """Renders by their request's key (:meth:`RenderRequest.key` covers everything the output
    depends on: the hash of the source file's bytes, the frame, the window, the shapes, the output
    options and ``RENDER_VERSION``), so a stale entry is never reused. The media files themselves
    are in :class:`MediaFiles`."""

    def __init__(self, store: EntryStore, media: MediaFiles) -> None:
        self._store = store
        self._media = media

    def get(self, request: RenderRequest) -> RenderedImage | None:
        """The cached render of ``request`` (without its bytes: they stay in the media folder),
        or None when it was never rendered or its media file is gone or damaged."""
        entry = self._store.get("render", request.key())
        if entry is None:
            return None
        fields = entry.decode("ascii", errors="replace").split()
        if len(fields) != 5 or not all(v.isdigit() for v in fields[1:]):
            return None  # an entry from another format: render again
        if not self._media.intact(fields[0]):
            return None  # its media file was deleted or damaged: render again
        name, *sizes = fields
        width, height, source_width, source_height = (int(v) for v in sizes)
        return RenderedImage(name=name, data=b"", width=width, height=height,
                             source_width=source_width, source_height=source_height)

    def put(self, request: RenderRequest, rendered: RenderedImage) -> None:
        """Remember ``rendered`` (whose media file is already in the media folder) for ``request``."""
        line = (f"{rendered.name} {rendered.width} {rendered.height} "
                f"{rendered.source_width} {rendered.source_height}\n")
        self._store.put("render", request.key(), line.encode("ascii"))


class CaseNotes:
    """The notes of whole cases, by a key that covers the case's job (the parsed case, its deck
    context, the build's defaults for it), the size and modification time of each of its files,
    and cardgen's code fingerprint: a case whose key is known skips even reading its image headers."""

    def __init__(self, store: EntryStore) -> None:
        self._store = store

    def key(self, *arguments: object, files: list[Path]) -> str:
        """The key of a case's notes: its arguments (by their ``repr``), each file's size and
        modification time, and cardgen's code fingerprint."""
        stats = []
        for path in files:
            try:
                stat = path.stat()
                stats.append((str(path), stat.st_size, stat.st_mtime_ns))
            except OSError:
                stats.append((str(path), None, None))  # the build itself reports the missing file
        text = repr((code_fingerprint(), arguments, stats))
        return hashlib.sha256(text.encode()).hexdigest()

    def has(self, key: str) -> bool:
        """True when notes are remembered under ``key`` (not read: :meth:`get` reads them)."""
        return self._store.has("case", key)

    def get(self, key: str) -> object | None:
        """The remembered notes of the case with ``key``, or None (also for a damaged entry)."""
        return self._store.get_object("case", key)

    def put(self, key: str, notes: object) -> None:
        """Keep a case's notes for the next build."""
        self._store.put_object("case", key, notes)


class Readings:
    """What was read from files, remembered while each file (its :func:`~cardgen.filestamp.file_stamp`)
    and cardgen's code stay the same; what a reading raises is raised and not remembered."""

    def __init__(self, store: EntryStore) -> None:
        self._store = store

    def of_key(self, key: str, read: Callable[[], T]) -> T:
        """``read()``, remembered under ``key`` (which must cover everything ``read`` depends on)."""
        entry = self._store.get("value", key)
        if entry is not None:
            try:
                return pickle.loads(entry)
            except UNPICKLING_ERRORS:
                pass  # a damaged entry: read again
        found = read()
        self._store.put_object("value", key, found)
        return found

    def of_file(self, kind: str, path: Path, read: Callable[[Path], T]) -> T:
        """``read(path)``, remembered under ``kind`` while the file and cardgen's code stay the same."""
        key = hashlib.sha256(repr((kind, code_fingerprint(), file_stamp(path, path.stat()))).encode()).hexdigest()
        return self.of_key(key, lambda: read(path))

    def identifying_values(self, path: Path) -> list[IdentifyingValue]:
        """The identifying values of the DICOM file ``path`` (or of every DICOM file in the folder
        ``path``), as :func:`cardgen.deid.values.values_from_files` reads them, remembered per file."""
        return [item for file in dicom_files([path])
                for item in self.of_file("values", file, lambda one: values_from_files([one]))]

    def identifying_values_of_all(self, paths: list[Path]) -> list[IdentifyingValue]:
        """:meth:`identifying_values` of every path, kept together as well, so that a rebuild whose
        sources are all unchanged reads one entry instead of one per file."""
        # One stat per file: the key is on a rebuild's critical path.
        files: list[Path] = []
        stamps: list[tuple[str, int, int, int, int]] = []
        for path in paths:
            try:
                status = os.stat(path)
            except OSError:
                status = None
            if status is not None and S_ISREG(status.st_mode):
                found = [(Path(path), status)] if looks_like_dicom(Path(path)) else []
            else:  # a series folder (or a path gone missing, which dicom_files reports)
                found = [(file, file.stat()) for file in dicom_files([path])]
            for file, file_status in found:
                files.append(file)
                stamps.append(file_stamp(file, file_status))
        key = hashlib.sha256(repr(("all values", code_fingerprint(), stamps)).encode()).hexdigest()
        return self.of_key(key, lambda: _first_of_each_value(item for file in files
                                                             for item in self.identifying_values(file)))


def _first_of_each_value(items: Iterable[IdentifyingValue]) -> list[IdentifyingValue]:
    """The first item of each value (the one the audit's matcher keeps): a corpus shares most
    values (a department, a scanner), so this keeps the remembered list short."""
    first: dict[str, IdentifyingValue] = {}
    for item in items:
        first.setdefault(item.value, item)
    return list(first.values())
