"""The walk of a written package (.apkg), read the way Anki reads it with :mod:`zipfile`: every
member's file name, the media map and every media file name, the collection database (plain, or
zstd-compressed as newer Anki writes it) and every media file.

Whatever cannot be read is reported as a hit: an audit that cannot look fails.
"""

from __future__ import annotations

import json
import shutil
import zipfile
import zlib
from collections.abc import Set as AbstractSet
from pathlib import Path

from cardgen.deid.database import search_database
from cardgen.deid.media import search_media_file, stored_pixel_only_png
from cardgen.deid.memo import AuditMemo
from cardgen.deid.search import Search
from cardgen.errors import InputError
from cardgen.scratch import scratch_folder

COLLECTION_NAMES = ("collection.anki2", "collection.anki21")
COMPRESSED_COLLECTION = "collection.anki21b"  # newer Anki: zstd-compressed SQLite
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # refuse to unpack a zip bomb while auditing
# A damaged member (bytes changed: a bad CRC-32, a broken deflate stream, cut short) raises these
# when read; it is reported as a hit, like anything else that cannot be read.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


def search_package(search: Search, apkg: Path, memo: AuditMemo | None = None,
                   already: AbstractSet[tuple[str, int, int]] = frozenset()) -> None:
    """Search the package ``apkg``; a collection member whose (name, size, CRC-32) is in
    ``already`` was searched from its file before it was packed, and is not searched again."""
    try:
        archive = zipfile.ZipFile(apkg)
    except (OSError, zipfile.BadZipFile) as error:
        raise InputError(f"cannot open the deck package: {error}", file=apkg,
                         hint="give an .apkg file written by cardgen or Anki") from error
    with archive, scratch_folder("audit") as scratch:
        if not any(n in archive.namelist() for n in (*COLLECTION_NAMES, COMPRESSED_COLLECTION)):
            raise InputError("not an Anki package: it holds no collection database", file=apkg,
                             hint="give an .apkg file written by cardgen or Anki")
        media_names = _search_media_map(search, archive)
        media: list[zipfile.ZipInfo] = []
        databases: list[zipfile.ZipInfo] = []
        for info in archive.infolist():
            name = info.filename
            search.text(f"package file name {name!r}", name)
            if info.file_size > MAX_MEMBER_BYTES:
                search.add(f"package file {name!r}", str(info.file_size),
                           "too large to audit; refusing rather than skipping it")
            elif name in (*COLLECTION_NAMES, COMPRESSED_COLLECTION):
                databases.append(info)
            elif name != "media":  # the media map was read above
                media.append(info)
        for info in databases:
            if (info.filename, info.file_size, info.CRC) in already:
                continue  # these bytes were searched before they went into the package
            path = _unpacked_collection(search, archive, info.filename, Path(scratch))
            if path is not None:
                search_database(search, info.filename, path, memo)
        _search_media_files(search, archive, apkg, media, media_names, memo)


def _search_media_map(search: Search, archive: zipfile.ZipFile) -> dict[str, str]:
    """Search the media map's numbers and file names; the map (member name to file name)."""
    if "media" not in archive.namelist():
        return {}
    try:
        raw = archive.read("media")
    except _DAMAGED as error:
        search.add("media map", "", f"cannot be read ({error}); cannot audit the media file names")
        return {}
    try:
        mapping = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        search.add("media map", "", "cannot be read as JSON (newer compressed format?); "
                   "cannot audit the media file names")
        return {}
    if not isinstance(mapping, dict):
        search.add("media map", "", "is not a JSON object; cannot audit the media file names")
        return {}
    for number, name in mapping.items():
        search.text(f"media map entry {number!r}", str(number))
        search.text(f"media file name {name!r}", str(name))
    return {str(k): str(v) for k, v in mapping.items()}


def _unpacked_collection(search: Search, archive: zipfile.ZipFile, name: str, scratch: Path) -> Path | None:
    """The collection member ``name`` unpacked into ``scratch`` (decompressed when it is zstd's),
    or None (reported) when it cannot be."""
    path = scratch / name
    if name != COMPRESSED_COLLECTION:
        try:
            with archive.open(name) as member, open(path, "wb") as copy:
                shutil.copyfileobj(member, copy, 1 << 20)  # streamed: a collection can be large
        except _DAMAGED as error:
            _unreadable(search, name, error)
            return None
        return path
    try:
        import zstandard  # optional: only newer Anki packages need it
    except ImportError:
        search.add(name, "", "zstd-compressed collection cannot be audited without the "
                   "'zstandard' package; refusing rather than skipping it")
        return None
    try:
        with archive.open(name) as compressed:
            data = zstandard.ZstdDecompressor().stream_reader(compressed).read(MAX_MEMBER_BYTES)
    except (*_DAMAGED, zstandard.ZstdError) as error:
        _unreadable(search, name, error)
        return None
    path.write_bytes(data)
    return path


def _search_media_files(search: Search, archive: zipfile.ZipFile, apkg: Path, media: list[zipfile.ZipInfo],
                        media_names: dict[str, str], memo: AuditMemo | None) -> None:
    """Search the media files ``media`` of the package ``apkg`` (open as ``archive``)."""
    with open(apkg, "rb", buffering=0) as raw:
        for info in media:
            shown = media_names.get(info.filename, info.filename)
            # Metadata is found whatever values are searched for: the key is the file alone.
            key = AuditMemo.key("media", shown, info.file_size, info.CRC)
            if memo is not None and memo.seen_clean(key):
                continue
            found = search.found
            if not stored_pixel_only_png(raw, info):
                try:
                    content = archive.read(info.filename)
                except _DAMAGED as error:
                    _unreadable(search, f"media file {shown!r}", error)
                    continue
                search_media_file(search, f"media file {shown!r}", content)
            if memo is not None and search.found == found:
                memo.clean(key)


def _unreadable(search: Search, where: str, error: Exception) -> None:
    """Report a member that cannot be read as a hit: an audit that cannot look fails."""
    search.add(where, "", f"cannot be read ({error}); refusing rather than skipping it")
