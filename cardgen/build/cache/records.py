"""What the build cache keeps about each output path, one file each under ``packages/``: what
the last package written there was made of (``<hash of path>``), so that an unchanged deck is not
written again, and what the self-audit of that package found clean (``<hash of path>.audit``)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterable

from cardgen.atomic import write_atomically
from cardgen.build.cache.fingerprint import code_fingerprint
from cardgen.deid.memo import AuditMemo


class PackageRecords:
    """The records of the packages written, in ``folder``."""

    def __init__(self, folder: Path, note_damage: Callable[[str], None] = lambda what: None) -> None:
        self.folder = folder
        self.note_damage = note_damage

    def _keep(self, record: Path, data: bytes) -> None:
        """Write ``record``. One that cannot be written (something in its place, a full or read-only
        disk) is damage to report, not the build's failure: the deck is already written, and without
        its record the next build writes it again."""
        try:
            write_atomically(record, data)  # which replaces a folder in its place
        except OSError as error:
            try:
                record.unlink(missing_ok=True)  # a record left from before would describe another package
            except OSError:
                pass
            self.note_damage(f"{record}: cannot be written ({error.strerror or error}); the next build "
                             "writes the deck again")

    def _record(self, out: Path) -> Path:
        return self.folder / hashlib.sha256(str(out.resolve()).encode()).hexdigest()

    def audit_memo(self, out: Path) -> AuditMemo:
        """What the self-audit found clean in the last package written to ``out``."""
        return AuditMemo.load(self._record(out).with_suffix(".audit"))

    def keep_audit_memo(self, out: Path, memo: AuditMemo) -> None:
        """Keep what this build's audit found clean, for the next package written to ``out``."""
        self._keep(self._record(out).with_suffix(".audit"), memo.to_bytes())

    def write_once(self, out: Path, contents: Iterable[object], write: Callable[[Path | None], int]) -> int:
        """Call ``write`` (which writes ``out`` and returns its size) unless ``out`` is, untouched,
        the package made last time from the same ``contents`` (compared by ``repr``, one part at a
        time so that no copy of them all is made). Returns the package's size. ``write`` is given
        ``out`` when it is, untouched, a package made before from other contents (its media may be
        copied from it), else None."""
        digest = hashlib.sha256(code_fingerprint().encode())
        for part in contents:
            digest.update(repr(part).encode())
        fingerprint = digest.hexdigest()
        record = self._record(out)
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
        self._keep(record, f"{fingerprint} {stat.st_size} {stat.st_mtime_ns}\n".encode("ascii"))
        return size
