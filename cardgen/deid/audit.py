"""Audit a built deck (.apkg) for anything that could identify a patient.

The audit opens the package the way Anki would and reads all of it: every table, row and column
of the collection database (card text, tags, deck and notetype names, configuration), the media
map and every file name, and the metadata of every media file (PNG text chunks, EXIF, XMP, JPEG
comments; a PNG stored uncompressed is read chunk header by chunk header, which finds every chunk
it holds, and goes to Pillow whole if any chunk is more than pixels). It looks for

- values taken from the source DICOM headers (with ``against``): every PS3.15 Annex E Basic
  Profile attribute and every private attribute, see :mod:`cardgen.deid.values`;
- identifiers by their shape, with no source needed: DICOM UIDs, dates written the DICOM way
  (YYYYMMDD) and person names written the DICOM way (Family^Given);
- any metadata in a media file at all: cards need pixels only, so any text there is a leak.

Anki's own numbers (note and card IDs, timestamps, JSON numbers in the configuration) are only
compared with numeric source values as whole numbers, so they cannot raise false alarms from the
shape patterns. Whatever cannot be read is reported as a hit: an audit that cannot look fails.

A build audits every package it writes, so the audit can remember what it found clean
(:class:`AuditMemo`): a database row with the same content, searched for the same values, and a
media file with the same name, size and CRC-32 (which the zip checks against the bytes whenever
they are read) are not searched again. Package file names, the media map, table names and every
row or file that differs are searched every time.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.deck.zipdata import stored_data_offset
from cardgen.deid.values import IdentifyingValue, ValueMatcher, values_from_files
from cardgen.errors import CardgenError, InputError

# A DICOM UID: a root 0, 1 or 2 and at least four more numeric components (1.2.840.10008.x...),
# or a UUID-derived UID under 2.25.
UID_PATTERN = re.compile(r"(?<![\d.])[012](?:\.\d+){4,}(?![\d.])|(?<![\d.])2\.25\.\d{6,}(?![\d.])")
# A date as DICOM writes it (DA, or the start of DT), years 1900-2099.
DICOM_DATE_PATTERN = re.compile(r"(?<!\d)(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)")
# A person name as DICOM writes it (PN): Family^Given, letters only.
DICOM_NAME_PATTERN = re.compile(
    r"(?<![\w^])[^\W\d_][^\W\d_'\-]*\^[^\W\d_][^\W\d_'\-]*(?:\^[^\W\d_'\-]*)*(?![\w^])")

SHAPE_PATTERNS = (
    (UID_PATTERN, "looks like a DICOM UID"),
    (DICOM_DATE_PATTERN, "looks like a date in DICOM form (YYYYMMDD)"),
    (DICOM_NAME_PATTERN, "looks like a person name in DICOM form (Family^Given)"),
)

# Every match of a shape pattern holds one of these: a digit, a dot and a digit (UIDs), eight digits
# in a row (dates), a caret (names). Text with none of them is not run through the three patterns.
_SHAPE_HINT = re.compile(r"\d\.\d|\d{8}|\^")

# Columns that Anki (or genanki) fills with random or hashed text: searched for source values,
# but not for identifier shapes, which base91 GUIDs such as "o1PXq^N..." can mimic.
OPAQUE_COLUMNS = frozenset({("notes", "guid")})

COLLECTION_NAMES = ("collection.anki2", "collection.anki21")
COMPRESSED_COLLECTION = "collection.anki21b"  # newer Anki: zstd-compressed SQLite
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # refuse to unpack a zip bomb while auditing
AUDIT_VERSION = "2"  # part of every memo key: change it when what the audit looks for changes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG chunks that hold nothing but the image's structure and pixels. A PNG made of these alone
# carries no metadata; any other chunk sends the file to Pillow, which reports what it holds.
PIXEL_ONLY_PNG_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


@dataclass(frozen=True, order=True)
class AuditHit:
    """One finding: where in the package, the text found, and why it counts."""

    where: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}: {self.value!r}"


class AuditFailed(CardgenError):
    """The deck carries something that may identify a patient; it must not be shared."""

    def __init__(self, package: Path, hits: list[AuditHit]) -> None:
        self.package = package
        self.hits = hits
        lines = grouped(hits)
        shown = [f"  {line}" for line in lines[:20]]
        if len(lines) > 20:
            shown.append(f"  ... and {len(lines) - 20} more")
        super().__init__("\n".join([f"{package}: de-identification audit found {len(lines)} "
                                    "possible identifier(s):", *shown]))


def grouped(hits: list[AuditHit]) -> list[str]:
    """One line per value found (not one per note that repeats it): the value, why it counts, the
    first place it was found and how many more."""
    places: dict[tuple[str, str], list[str]] = {}
    for hit in sorted(hits):
        places.setdefault((hit.value, hit.reason), []).append(hit.where)
    lines = []
    for (value, reason), wheres in places.items():
        more = f" (and {len(wheres) - 1} more place(s))" if len(wheres) > 1 else ""
        lines.append(f"{reason}: {value!r} at {wheres[0]}{more}")
    return lines


@dataclass
class AuditMemo:
    """Keys of what earlier audits found clean (rows by content and the values searched for,
    media files by name, size and CRC-32), and the keys this audit found clean (:attr:`used`),
    which are all a later audit of the next version of the package needs."""

    known: set[bytes] = field(default_factory=set)
    used: set[bytes] = field(default_factory=set)

    KEY_BYTES = 16

    @classmethod
    def load(cls, path: Path) -> AuditMemo:
        """The memo saved at ``path``; an empty one when there is none or it is damaged."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls()
        if len(data) % cls.KEY_BYTES:
            return cls()  # a foreign or truncated file: audit everything
        return cls(known={data[i:i + cls.KEY_BYTES] for i in range(0, len(data), cls.KEY_BYTES)})

    def to_bytes(self) -> bytes:
        """The keys found clean by this audit, in a stable order (what :meth:`load` reads)."""
        return b"".join(sorted(self.used))

    @classmethod
    def key(cls, *parts: object) -> bytes:
        return hashlib.blake2b(repr((AUDIT_VERSION, *parts)).encode("utf-8", "surrogatepass"),
                               digest_size=cls.KEY_BYTES).digest()

    def seen_clean(self, key: bytes) -> bool:
        if key in self.known:
            self.used.add(key)
            return True
        return False

    def clean(self, key: bytes) -> None:
        self.used.add(key)


def audit_package(apkg: Path, against: Iterable[Path] | None = None, *,
                  values: Iterable[IdentifyingValue] | None = None,
                  memo: AuditMemo | None = None, allowed: Iterable[str] = ()) -> list[AuditHit]:
    """Every possible identifier in the package ``apkg``, sorted; an empty list means clean.

    ``against`` lists DICOM files or folders (the cases the deck was built from) whose
    identifying values are looked for too; ``values`` gives such values already read (the build
    keeps them in its cache). With a ``memo``, what it knows to be clean is not searched again,
    and what this audit finds clean is added to its :attr:`AuditMemo.used`. ``allowed`` words
    and phrases are not searched for (see :class:`ValueMatcher`).
    """
    items = list(values) if values is not None else []
    if against is not None:
        items += values_from_files(against)
    return _Auditor(ValueMatcher(items, allowed), memo).audit(Path(apkg))


class PackageAudit:
    """:func:`audit_package` in two steps, for a package being written: the collection database
    as soon as it is written (:meth:`collection`, while the media are still being packed), then
    the finished package (:meth:`package`), where a collection member holding the very bytes
    already audited (same size and CRC-32) is not searched again.

    ``values`` is called once, when first needed, for the identifying values to look for.
    """

    def __init__(self, values: Callable[[], Iterable[IdentifyingValue]], memo: AuditMemo | None = None,
                 allowed: Iterable[str] = ()) -> None:
        self._values = values
        self._allowed = tuple(allowed)
        self._memo = memo
        self._auditor: _Auditor | None = None
        self._audited: set[tuple[str, int, int]] = set()  # (member name, size, CRC-32) of collections searched

    def _the_auditor(self) -> _Auditor:
        if self._auditor is None:
            self._auditor = _Auditor(ValueMatcher(list(self._values()), self._allowed), self._memo)
        return self._auditor

    def collection(self, path: Path, name: str = COLLECTION_NAMES[0]) -> None:
        """Search the collection database at ``path``, to go into the package as ``name``."""
        self._the_auditor()._database(name, path)
        crc = 0
        with open(path, "rb") as database:
            while piece := database.read(1 << 20):
                crc = zlib.crc32(piece, crc)
        self._audited.add((name, path.stat().st_size, crc))

    def package(self, apkg: Path) -> list[AuditHit]:
        """Every possible identifier in the finished package ``apkg`` and in the collections
        searched before, sorted; an empty list means clean."""
        return self._the_auditor().audit(Path(apkg), already=self._audited)


def require_clean_package(apkg: Path, against: Iterable[Path] | None = None) -> None:
    """Raise :class:`AuditFailed` when :func:`audit_package` finds anything."""
    hits = audit_package(apkg, against)
    if hits:
        raise AuditFailed(Path(apkg), hits)


class _Auditor:
    def __init__(self, matcher: ValueMatcher, memo: AuditMemo | None = None) -> None:
        self.matcher = matcher
        self.memo = memo
        self.hits: set[AuditHit] = set()
        self.found = 0  # hits added, repeats included: a part that adds none is clean

    def audit(self, apkg: Path, already: AbstractSet[tuple[str, int, int]] = frozenset()) -> list[AuditHit]:
        """The hits in ``apkg`` (and any found before); a collection member whose (name, size,
        CRC-32) is in ``already`` was searched from its file before it was packed."""
        try:
            archive = zipfile.ZipFile(apkg)
        except (OSError, zipfile.BadZipFile) as error:
            raise InputError(f"cannot open the deck package: {error}", file=apkg,
                             hint="give an .apkg file written by cardgen or Anki") from error
        with archive, tempfile.TemporaryDirectory(prefix="cardgen-audit-") as scratch:
            media_names = self._media_map(archive)
            media: list[zipfile.ZipInfo] = []
            databases: list[zipfile.ZipInfo] = []
            for info in archive.infolist():
                name = info.filename
                self.text(f"package file name {name!r}", name)
                if info.file_size > MAX_MEMBER_BYTES:
                    self.add(f"package file {name!r}", str(info.file_size),
                             "too large to audit; refusing rather than skipping it")
                elif name in (*COLLECTION_NAMES, COMPRESSED_COLLECTION):
                    databases.append(info)
                elif name != "media":  # the media map was read above
                    media.append(info)
            for info in databases:
                if (info.filename, info.file_size, info.CRC) in already:
                    continue  # these bytes were searched before they went into the package
                if info.filename == COMPRESSED_COLLECTION:
                    self._compressed_collection(archive, info.filename, Path(scratch))
                else:
                    self._collection(archive, info.filename, Path(scratch))
            self._media_files(archive, apkg, media, media_names)
            if not any(n in archive.namelist() for n in (*COLLECTION_NAMES, COMPRESSED_COLLECTION)):
                self.add(str(apkg), "", "no collection database found: not an Anki package")
        return sorted(self.hits)

    def _media_files(self, archive: zipfile.ZipFile, apkg: Path, media: list[zipfile.ZipInfo],
                     media_names: dict[str, str]) -> None:
        """Audit the media files ``media`` of the package ``apkg`` (open as ``archive``)."""
        with open(apkg, "rb", buffering=0) as raw:
            for info in media:
                shown = media_names.get(info.filename, info.filename)
                # Metadata is found whatever values are searched for: the key is the file alone.
                key = AuditMemo.key("media", shown, info.file_size, info.CRC)
                if self.memo is not None and self.memo.seen_clean(key):
                    continue
                found = self.found
                if not _stored_pixel_only_png(raw, info):
                    self._media_file(f"media file {shown!r}", archive.read(info.filename))
                if self.memo is not None and self.found == found:
                    self.memo.clean(key)

    # --- finding ---------------------------------------------------------------------------

    def add(self, where: str, value: str, reason: str) -> None:
        self.hits.add(AuditHit(where, value, reason))
        self.found += 1

    def text(self, where: str, text: str, *, shapes: bool = True) -> None:
        """Look for source values, and (``shapes``) identifier shapes, in one piece of text."""
        for item in self.matcher.find(text):
            origin = f" in {item.source}" if item.source else ""
            self.add(where, item.value, f"value of {item.tag}{origin}")
        if shapes and _SHAPE_HINT.search(text):
            for pattern, reason in SHAPE_PATTERNS:
                for match in pattern.finditer(text):
                    self.add(where, match.group(0), reason)

    def number(self, where: str, value: int | float) -> None:
        # Anki's own IDs and timestamps: only compared with numeric source values.
        for item in self.matcher.find(str(value)):
            self.add(where, item.value, f"value of {item.tag}")

    def json_value(self, where: str, value: object) -> None:
        """Strings (keys too) of a JSON document; its numbers are Anki's own settings."""
        if isinstance(value, dict):
            for key, inner in value.items():
                self.text(where, str(key))
                self.json_value(f"{where}.{key}", inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                self.json_value(f"{where}[{index}]", inner)
        elif isinstance(value, str):
            self.text(where, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.number(where, value)

    # --- the parts of a package --------------------------------------------------------------

    def _media_map(self, archive: zipfile.ZipFile) -> dict[str, str]:
        if "media" not in archive.namelist():
            return {}
        raw = archive.read("media")
        try:
            mapping = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.add("media map", "", "cannot be read as JSON (newer compressed format?); "
                     "cannot audit the media file names")
            return {}
        if not isinstance(mapping, dict):
            self.add("media map", "", "is not a JSON object; cannot audit the media file names")
            return {}
        for number, name in mapping.items():
            self.text(f"media map entry {number!r}", str(number))
            self.text(f"media file name {name!r}", str(name))
        return {str(k): str(v) for k, v in mapping.items()}

    def _collection(self, archive: zipfile.ZipFile, name: str, scratch: Path) -> None:
        path = scratch / name
        with archive.open(name) as member, open(path, "wb") as copy:
            shutil.copyfileobj(member, copy, 1 << 20)  # streamed: a collection can be large
        self._database(name, path)

    def _compressed_collection(self, archive: zipfile.ZipFile, name: str, scratch: Path) -> None:
        try:
            import zstandard  # optional: only newer Anki packages need it
        except ImportError:
            self.add(name, "", "zstd-compressed collection cannot be audited without the "
                     "'zstandard' package; refusing rather than skipping it")
            return
        path = scratch / name
        with archive.open(name) as compressed:
            data = zstandard.ZstdDecompressor().stream_reader(compressed).read(MAX_MEMBER_BYTES)
        path.write_bytes(data)
        self._database(name, path)

    def _database(self, name: str, path: Path) -> None:
        try:
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as error:
            self.add(name, "", f"cannot open the collection database: {error}")
            return
        try:
            tables = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            for table in tables:
                self.text(f"{name}: table name", table)
                quoted = '"' + table.replace('"', '""') + '"'
                cursor = connection.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (names from the db)
                columns = [d[0] for d in cursor.description]
                fields_at = columns.index("flds") if table == "notes" and "flds" in columns else None
                for row_number, row in enumerate(cursor):
                    where = f"{name}: {table} row {row_number} column "
                    if fields_at is not None and isinstance(row[fields_at], str):
                        # A note is known by its first field (a case id, a finding key): name it.
                        note = f" (note {row[fields_at].split(chr(0x1F))[0][:60]!r})"
                    else:
                        note = ""
                    if self.memo is None:
                        for column, value in zip(columns, row):
                            self._cell(where + column + note, value, shapes=(table, column) not in OPAQUE_COLUMNS)
                        continue
                    # Numbers (ids, times: new in every build) are searched every time, which is quick;
                    # the row's text is searched unless the same text was found clean, searched for
                    # the same values, in the same table and columns.
                    texts = [(column, value) for column, value in zip(columns, row)
                             if value is not None and not isinstance(value, (int, float))]
                    for column, value in zip(columns, row):
                        if isinstance(value, float) or (isinstance(value, int) and self.matcher.may_hold(value)):
                            self._cell(where + column + note, value)
                    if not any(value for _, value in texts):
                        continue  # no text to search (a card row: numbers and an empty data column)
                    key = AuditMemo.key("row", self.matcher.fingerprint, table, texts)
                    if self.memo.seen_clean(key):
                        continue
                    found = self.found
                    for column, value in texts:
                        self._cell(where + column + note, value, shapes=(table, column) not in OPAQUE_COLUMNS)
                    if self.found == found:
                        self.memo.clean(key)
        except sqlite3.Error as error:
            self.add(name, "", f"cannot read the collection database: {error}")
        finally:
            connection.close()

    def _cell(self, where: str, value: object, *, shapes: bool = True) -> None:
        if value is None:
            return
        if isinstance(value, (int, float)):
            self.number(where, value)
            return
        if isinstance(value, bytes):
            self.text(where, value.decode("utf-8", errors="replace"), shapes=shapes)
            return
        text = str(value)
        if not shapes:
            self.text(where, text, shapes=False)
            return
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                pass
            else:
                self.json_value(where, document)
                return
        self.text(where, text)

    def _media_file(self, where: str, data: bytes) -> None:
        if _pixel_only_png(data):
            return  # nothing but pixels: no metadata to report (Pillow would decode it all to say so)
        from PIL import Image, UnidentifiedImageError

        try:
            image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            image = None
        if image is None:
            # Not an image (a script, a style sheet, a font): audit its text if it has any.
            try:
                self.text(where, data.decode("utf-8"))
            except UnicodeDecodeError:
                pass
            return
        with image:
            try:
                metadata = list(_image_metadata(image))
            except (OSError, ValueError, SyntaxError) as error:  # Pillow's words for a damaged file
                self.add(where, _shorten(str(error)), "is a damaged image whose metadata cannot be "
                         "checked; build the deck again")
                return
            for label, value in metadata:
                self.add(where, _shorten(value), f"carries image metadata ({label}); media files "
                         "must hold pixels only")
                self.text(f"{where} metadata {label}", value)


def _stored_pixel_only_png(raw, info: zipfile.ZipInfo) -> bool:
    """:func:`_pixel_only_png` of a member stored uncompressed (as cardgen stores media), read
    chunk header by chunk header straight from the package file ``raw`` (~5 small reads instead of
    the whole file: a PNG's chunks are known from their headers alone). False whenever that cannot
    tell (a compressed member, another kind of file, any oddity): the caller reads the member whole."""
    start = stored_data_offset(raw, info)
    if start is None:
        return False

    def read(offset: int, size: int) -> bytes:
        raw.seek(start + offset)
        return raw.read(size)

    return _pixel_only_chunks(read, info.compress_size)


def _pixel_only_png(data: bytes) -> bool:
    """True for a well-formed PNG whose chunks are all in :data:`PIXEL_ONLY_PNG_CHUNKS`, ending
    with IEND at the end of the data; anything else (other chunks, trailing bytes, a damaged
    chunk length) is left to Pillow."""
    return _pixel_only_chunks(lambda offset, size: data[offset:offset + size], len(data))


def _pixel_only_chunks(read: Callable[[int, int], bytes], size: int) -> bool:
    """The PNG check of :func:`_pixel_only_png` over ``size`` bytes that ``read(offset, count)``
    gives: only the signature and each chunk's length and type are read."""
    if read(0, len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        return False
    position = len(PNG_SIGNATURE)
    while position + 12 <= size:
        header = read(position, 8)
        if len(header) != 8:
            return False
        length, kind = struct.unpack(">I4s", header)
        if kind not in PIXEL_ONLY_PNG_CHUNKS:
            return False
        position += 12 + length
        if kind == b"IEND":
            return position == size
    return False


def _image_metadata(image) -> Iterator[tuple[str, str]]:
    """Every text a media image carries besides its pixels: PNG text chunks, EXIF, XMP, comments."""
    try:
        texts = dict(getattr(image, "text", {}) or {})  # PNG tEXt/zTXt/iTXt (reads to the end)
    except (OSError, ValueError, SyntaxError):
        texts = {}
        yield "PNG text chunks", "unreadable"
    for key, value in texts.items():
        yield f"PNG text chunk {key!r}", f"{key}: {value}"
    info = image.info
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
        if key in info and key not in texts:
            raw = info[key]
            yield key, raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    exif = image.getexif()
    if exif and "exif" not in info:
        yield "EXIF", "; ".join(f"{tag}={value}" for tag, value in exif.items())


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."

