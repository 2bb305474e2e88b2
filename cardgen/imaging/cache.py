"""The build cache: finished media files, and the notes of unchanged cases, found again by key.

A render request's key (:meth:`RenderRequest.key`) covers everything the output depends on: the
hash of the source file's bytes, the frame, the window, the shapes, the output options and
``RENDER_VERSION``. So a rebuild renders only what changed, and a stale entry is never reused.
A case's key covers the parsed case, its deck context, the size and modification time of each of
its image files, and a fingerprint of cardgen's own code and templates: a case whose key is known
skips even reading its image headers.

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

Every file is written to a temporary name and renamed into place, and every entry in a transaction
of its own, so parallel workers and concurrent builds never see half of one. Deleting the folder
between builds is always safe: the next build renders everything again. Nothing is evicted; delete
the folder to reclaim the space.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import sqlite3
import time
from stat import S_ISDIR, S_ISREG
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, TypeVar

from cardgen.errors import InputError
from cardgen.imaging.render import RenderedImage, RenderRequest

if TYPE_CHECKING:
    from cardgen.deid.matcher import IdentifyingValue
    from cardgen.deid.memo import AuditMemo
    from cardgen.teaching.case import Case

CARDGEN_ROOT = Path(__file__).resolve().parent.parent

CACHE_ENV = "CARDGEN_CACHE_DIR"
T = TypeVar("T")


def default_cache_dir() -> Path:
    """Where renders are cached unless ``--cache-dir`` says otherwise."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "cardgen"


def write_atomically(target: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder (named by this
    process, so parallel workers never share one), renamed into place. ``data`` is the bytes, or
    a function that writes them to the stream it is given (no copy of them all in memory)."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class _EntryStore:
    """The cache's small entries (renders, cases, header readings) as rows of one SQLite database.

    They were a file each, in folders sharded by key, and a file costs an inode: on this machine
    (ext4 on a virtual disk) making one takes ~1.1 ms, against ~0.1 ms to write a row, and a cold
    500-case build made ~3,300 entries and ~700 folders (~4 s of its ~30 s on one core). Every worker
    writes to the same database: in WAL mode readers never wait, and writers take turns for the
    moment a one-row transaction lasts. A connection is made per process (never carried across a fork).

    A damaged database (overwritten, truncated, a folder in its place) is never fatal: the process
    that finds it reports it to ``on_damage`` once and reads nothing more from it (every entry is
    made again), and :meth:`BuildCache.repair` replaces it before the next build's workers start.
    """

    def __init__(self, path: Path, on_damage: Callable[[str], None]) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._on_damage = on_damage
        self._broken_in = 0  # the process that found the database damaged

    def _database(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # Autocommit: each statement is its own transaction. A cache may lose its last entries
            # in a power cut (no sync at each commit), never be left half-written.
            connection = sqlite3.connect(self._path, timeout=120, isolation_level=None)
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
            self._on_damage(f"{self._path}: {error}")
            return []

    def check(self) -> str | None:
        """What is wrong with the database file, or None (a quick look: its header and schema)."""
        if self._path.exists() and not self._path.is_file():
            return f"{self._path} is not a file"
        try:
            connection = sqlite3.connect(self._path, timeout=120)
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
                connection.execute("SELECT kind, key FROM entries LIMIT 1").fetchall()
            finally:
                connection.close()
        except sqlite3.DatabaseError as error:
            if not is_damage(error) and "no such table" not in str(error):
                raise
            return None if "no such table" in str(error) else f"{self._path}: {error}"
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

    def close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


_TO_REPLACE = "to be replaced before the next build"


def is_damage(error: sqlite3.DatabaseError) -> bool:
    """True for an SQLite error that means a damaged database (not one busy with another writer)."""
    busy = {getattr(sqlite3, name, -1) for name in ("SQLITE_BUSY", "SQLITE_LOCKED")}
    return getattr(error, "sqlite_errorcode", None) not in busy


class BuildCache:
    """A content-addressed store of renders under ``root`` (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.media_dir = root / "media"
        self._packages = root / "packages"
        self._parsed = root / "parsed"
        self._entries = _EntryStore(root / "entries.sqlite", self.note_damage)
        self._damage_log = root / "damaged.log"
        try:
            for folder in (self.media_dir, self._packages, self._parsed):
                folder.mkdir(parents=True, exist_ok=True)
            probe = root / f".writable.{os.getpid()}"  # a read-only cache would fail each write later
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise InputError(f"cannot use the cache folder: {error.strerror}", file=root, field="--cache-dir",
                             hint="give a writable folder with --cache-dir, or build with --no-cache") from error

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
        found = self._entries.check()
        notes = self._damage_notes() + ([found] if found is not None else [])
        if found is not None or any(self._entries._path.name in note for note in notes):
            self._entries.close()
            for path in (self._entries._path, *(Path(f"{self._entries._path}{end}") for end in ("-wal", "-shm"))):
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
        if any(self._entries._path.name in note for note in notes):
            self.note_damage(f"{self._entries._path}: {_TO_REPLACE}")  # for the next repair()
        return [note for note in notes if not note.endswith(_TO_REPLACE)]

    def _damage_notes(self) -> list[str]:
        """Every line of the damage log (emptied)."""
        try:
            text = self._damage_log.read_text(encoding="utf-8", errors="replace")
            self._damage_log.unlink()
        except OSError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def get(self, request: RenderRequest) -> RenderedImage | None:
        """The cached render of ``request`` (without its bytes: they stay in :attr:`media_dir`),
        or None when it was never rendered or its media file is gone or damaged."""
        entry = self._entries.get("render", request.key())
        if entry is None:
            return None
        fields = entry.decode("ascii", errors="replace").split()
        if len(fields) != 5 or not all(v.isdigit() for v in fields[1:]):
            return None  # an entry from another format: render again
        if not self.media_intact(fields[0]):
            return None  # its media file was deleted or damaged: render again
        name, *sizes = fields
        width, height, source_width, source_height = (int(v) for v in sizes)
        return RenderedImage(name=name, data=b"", width=width, height=height,
                             source_width=source_width, source_height=source_height)

    def media_intact(self, name: str) -> bool:
        """True when the media file ``name`` is there and whole: it ends as its format ends (a
        one-block read; a truncated or half-written file is removed and reported, and its render is
        made again)."""
        path = self.media_dir / name
        try:
            with open(path, "rb") as stream:
                size = os.fstat(stream.fileno()).st_size
                stream.seek(max(0, size - 16))
                tail = stream.read()
                head = b""
                if name.endswith(".webp"):
                    stream.seek(0)
                    head = stream.read(12)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        except OSError as error:
            self.note_damage(f"{path}: {error.strerror}")
            return False
        if _looks_whole(name, size, head, tail):
            return True
        self.note_damage(f"{path}: truncated or damaged")
        try:
            path.unlink()
        except OSError:
            pass
        return False

    def put(self, request: RenderRequest, rendered: RenderedImage) -> None:
        """Remember ``rendered`` (whose media file is already in :attr:`media_dir`) for ``request``."""
        line = (f"{rendered.name} {rendered.width} {rendered.height} "
                f"{rendered.source_width} {rendered.source_height}\n")
        self._entries.put("render", request.key(), line.encode("ascii"))

    # -- whole cases ------------------------------------------------------------------------

    def case_key(self, *arguments: object, files: list[Path]) -> str:
        """The key of a case's result: its arguments (by their ``repr``), each file's size and
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

    def has_case(self, key: str) -> bool:
        """True when a result is remembered under ``key`` (not read: :meth:`case_result` reads it)."""
        return self._entries.has("case", key)

    def case_result(self, key: str) -> object | None:
        """The remembered result of the case with ``key``, or None."""
        data = self._entries.get("case", key)
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError):
            return None  # a damaged or foreign entry: build the case again

    def remember_case(self, key: str, result: object) -> None:
        """Keep a case's result for the next build."""
        self._entries.put("case", key, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    # -- parsed cases -----------------------------------------------------------------------

    def parsed_cases(self, cases_dir: Path, load: Callable[[Path], Case]) -> ParsedCases:
        """The remembered parses of the cases under ``cases_dir``, with ``load`` to parse any
        other (see :class:`ParsedCases`)."""
        record = self._parsed / hashlib.sha256(str(cases_dir.resolve()).encode()).hexdigest()
        try:
            with open(record, "rb") as stream:  # unpickled from the file: no copy of its bytes in memory
                fingerprint, remembered = pickle.load(stream)
            if fingerprint != code_fingerprint():
                remembered = {}
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
                ValueError):
            remembered = {}  # none yet, or damaged, or from another version: parse every case
        return ParsedCases(record, remembered, load)

    # -- identifying values of source files -------------------------------------------------

    def identifying_values(self, path: Path) -> list[IdentifyingValue]:
        """The identifying values of the DICOM file ``path`` (or of every DICOM file in the folder
        ``path``), as :func:`cardgen.deid.values.values_from_files` reads them, remembered per
        file by its size and modification time."""
        from cardgen.deid.values import dicom_files, values_from_files

        return [item for file in dicom_files([path])
                for item in self.of_file("values", file, lambda one: values_from_files([one]))]

    def identifying_values_of_all(self, paths: list[Path]) -> list[IdentifyingValue]:
        """:meth:`identifying_values` of every path, kept together as well, so that a rebuild whose
        sources are all unchanged reads one entry instead of one per file."""
        from cardgen.deid.values import dicom_files
        from cardgen.imaging.sources import looks_like_dicom

        # One stat per file (the key is on a rebuild's critical path: 500 files with a resolve()
        # and three stats each took ~50 ms).
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
                stamps.append(_file_stamp(file, file_status))
        key = hashlib.sha256(repr(("all values", code_fingerprint(), stamps)).encode()).hexdigest()
        return self.of_key(key, lambda: _first_of_each_value(item for file in files
                                                             for item in self.identifying_values(file)))

    def of_key(self, key: str, read: Callable[[], T]) -> T:
        """``read()``, remembered under ``key`` (which must cover everything ``read`` depends on)."""
        entry = self._entries.get("value", key)
        if entry is not None:
            try:
                return pickle.loads(entry)
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
                pass  # a damaged entry: read again
        found = read()
        self._entries.put("value", key, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
        return found

    def of_file(self, kind: str, path: Path, read: Callable[[Path], T]) -> T:
        """``read(path)``, remembered under ``kind`` while the file (see :func:`_file_stamp`) and
        cardgen's code stay the same; what ``read`` raises is raised and not remembered."""
        key = hashlib.sha256(repr((kind, code_fingerprint(), _file_stamp(path, path.stat()))).encode()).hexdigest()
        return self.of_key(key, lambda: read(path))

    # -- packages ---------------------------------------------------------------------------

    def audit_memo(self, out: Path) -> AuditMemo:
        """What the self-audit found clean in the last package written to ``out``."""
        from cardgen.deid.memo import AuditMemo

        return AuditMemo.load(self._package_record(out).with_suffix(".audit"))

    def keep_audit_memo(self, out: Path, memo: AuditMemo) -> None:
        """Keep what this build's audit found clean, for the next package written to ``out``."""
        write_atomically(self._package_record(out).with_suffix(".audit"), memo.to_bytes())


    def _package_record(self, out: Path) -> Path:
        return self._packages / hashlib.sha256(str(out.resolve()).encode()).hexdigest()

    def write_package_once(self, out: Path, contents: Iterable[object], write: Callable[[Path | None], int]) -> int:
        """Call ``write`` (which writes ``out`` and returns its size) unless ``out`` is, untouched,
        the package made last time from the same ``contents`` (compared by ``repr``, one part at a
        time so that no copy of them all is made). Returns the package's size. ``write`` is given
        ``out`` when it is, untouched, a package made before from other contents (its media may be
        copied from it), else None."""
        digest = hashlib.sha256(code_fingerprint().encode())
        for part in contents:
            digest.update(repr(part).encode())
        fingerprint = digest.hexdigest()
        record = self._package_record(out)
        previous = None
        try:
            stat = out.stat()
            remembered = record.read_text(encoding="ascii").split()
            if remembered == [fingerprint, str(stat.st_size), str(stat.st_mtime_ns)]:
                return stat.st_size
            if remembered[1:] == [str(stat.st_size), str(stat.st_mtime_ns)]:
                previous = out  # what the last build wrote there, untouched since
        except (OSError, UnicodeDecodeError):
            pass  # no package there yet, or no record of it (or a damaged one): write it
        size = write(previous)
        stat = out.stat()
        write_atomically(record, f"{fingerprint} {stat.st_size} {stat.st_mtime_ns}\n".encode("ascii"))
        return size


class ParsedCases:
    """Parsed cases of one cases folder, remembered between builds. A case file whose size and
    modification time are those of the remembered parse, and whose named files and folders
    still resolve to the same places, is not read again; any other is parsed by ``load``
    (errors are never remembered). :meth:`save` keeps what this build loaded."""

    def __init__(self, record: Path, remembered: dict[str, tuple], load: Callable[[Path], Case]) -> None:
        self._record = record
        self._remembered = remembered
        self._parse = load
        self._current: dict[str, tuple] = {}
        # What stale() found of each file, so that load() does not look again: the file's size and
        # time, taken before anything parses it, and its remembered entry when that is still good.
        self._checked: dict[str, tuple[tuple[int, int], tuple | None]] = {}

    def _check(self, case_file: Path) -> tuple[tuple[int, int], tuple | None]:
        status = case_file.stat()
        stamp = (status.st_size, status.st_mtime_ns)
        entry = self._remembered.get(str(case_file))
        if entry is not None and entry[0] == stamp and entry[1] == _named_paths(entry[2]):
            return stamp, entry
        return stamp, None

    def stale(self, case_files: list[Path]) -> list[Path]:
        """The case files :meth:`load` would parse (so that a build can parse them all at once)."""
        stale = []
        for case_file in case_files:
            self._checked[str(case_file)] = checked = self._check(case_file)
            if checked[1] is None:
                stale.append(case_file)
        return stale

    def load(self, case_file: Path) -> Case:
        """The case in ``case_file``: remembered, or parsed now."""
        stamp, entry = self._checked.pop(str(case_file), None) or self._check(case_file)
        if entry is None:
            case = self._parse(case_file)  # the stamp is from before the parse: a later edit is seen
            entry = (stamp, _named_paths(case), case)
        self._current[str(case_file)] = entry
        return entry[2]

    def save(self) -> None:
        """Remember the cases loaded since this was made (only when they differ from before)."""
        if self._current != self._remembered:
            write_atomically(self._record, lambda stream: pickle.dump((code_fingerprint(), self._current), stream,
                                                                      protocol=pickle.HIGHEST_PROTOCOL))


def _looks_whole(name: str, size: int, head: bytes, tail: bytes) -> bool:
    """Whether a media file of ``size`` bytes ends as a whole file of its format ends."""
    if size == 0:
        return False
    if name.endswith(".png"):
        return tail.endswith(b"IEND\xaeB`\x82")
    if name.endswith((".jpg", ".jpeg")):
        return tail.rstrip(b"\x00").endswith(b"\xff\xd9")
    if name.endswith(".webp"):
        return head[:4] == b"RIFF" and int.from_bytes(head[4:8], "little") + 8 == size
    return True


def _file_stamp(path: Path, status: os.stat_result) -> tuple[str, int, int, int, int]:
    """What a file's remembered readings are kept under: its path, and its device, inode, size and
    modification time (``status``, from one ``stat``). Whatever a symbolic link leads to, the
    content read is that file's; no ``resolve()`` (a system call per folder of the path)."""
    return (os.path.abspath(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def _first_of_each_value(items: Iterable[IdentifyingValue]) -> list[IdentifyingValue]:
    """The first item of each value (the one the audit's matcher keeps): a corpus shares most
    values (a department, a scanner), so this keeps the remembered list short."""
    first: dict[str, IdentifyingValue] = {}
    for item in items:
        first.setdefault(item.value, item)
    return list(first.values())


def _named_paths(case: Case) -> list[tuple[str, str, str]]:
    """Where each file or folder a case names leads now, and what it is (a file, a folder,
    something else, or missing): a parsed case is reused only while these are unchanged (the
    parse checked them)."""
    named = [image.path for image in case.images] + [source.path for source in case.annotation_files]
    return [(str(path), os.path.realpath(path), _kind(path)) for path in named]


def _kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError:
        return "missing"
    return "folder" if S_ISDIR(mode) else "file" if S_ISREG(mode) else "other"


@functools.cache
def code_fingerprint() -> str:
    """A hash of cardgen's source files and templates: cached notes never outlive the code."""
    from cardgen.cards.templates import TEMPLATES_DIR

    digest = hashlib.sha256()
    roots = [CARDGEN_ROOT] + ([TEMPLATES_DIR] if TEMPLATES_DIR.is_dir() else [])
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
