"""What earlier audits of a package found clean, so that a rebuild's audit need not search it again.

A build audits every package it writes. A database row with the same content, searched for the
same values, and a media file with the same name, size and CRC-32 (which the zip checks against the
bytes whenever they are read) are known clean from the audit before. Package file names, the media
map, table names and every row or file that differs are searched every time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

AUDIT_VERSION = "2"  # part of every memo key: change it when what the audit looks for changes


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
        except OSError:  # none, or something else in its place (a folder): audit everything
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
