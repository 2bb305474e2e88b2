"""Audit a built deck (.apkg) for anything that could identify a patient.

The audit opens the package the way Anki would and reads all of it (:mod:`cardgen.deid.package`):
every table, row and column of the collection database, the media map and every file name, and
the metadata of every media file. It looks for

- values taken from the source DICOM headers (with ``against``): every PS3.15 Annex E Basic
  Profile attribute and every private attribute, see :mod:`cardgen.deid.values`;
- identifiers by their shape, with no source needed (:mod:`cardgen.deid.patterns`): DICOM UIDs,
  dates written the DICOM way (YYYYMMDD) and person names written the DICOM way (Family^Given);
- any metadata in a media file at all (:mod:`cardgen.deid.media`): cards need pixels only.

Whatever cannot be read is reported as a hit: an audit that cannot look fails. A build audits every
package it writes, and remembers what it found clean (:class:`~cardgen.deid.memo.AuditMemo`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from cardgen.deid.database import search_database
from cardgen.deid.findings import AuditFailed, AuditHit
from cardgen.deid.matcher import IdentifyingValue, ValueMatcher
from cardgen.deid.memo import AuditMemo
from cardgen.deid.package import COLLECTION_NAMES, search_package
from cardgen.deid.search import Search
from cardgen.deid.values import values_from_files


def audit_package(apkg: Path, against: Iterable[Path] | None = None, *,
                  values: Iterable[IdentifyingValue] | None = None,
                  memo: AuditMemo | None = None, boilerplate: Iterable[str] = ()) -> list[AuditHit]:
    """Every possible identifier in the package ``apkg``, sorted; an empty list means clean.

    ``against`` lists DICOM files or folders (the cases the deck was built from) whose
    identifying values are looked for too; ``values`` gives such values already read (the build
    keeps them in its cache). With a ``memo``, what it knows to be clean is not searched again,
    and what this audit finds clean is added to its :attr:`AuditMemo.used`. Texts of the package
    that are exactly one of the ``boilerplate`` texts are not searched (the notetypes' own, which
    every deck of the writer holds: cardgen.cards.notetypes.notetype_texts).
    """
    items = list(values) if values is not None else []
    if against is not None:
        items += values_from_files(against)
    search = Search(ValueMatcher(items), boilerplate)
    search_package(search, Path(apkg), memo)
    return sorted(search.hits)


class PackageAudit:
    """:func:`audit_package` in two steps, for a package being written: the collection database
    as soon as it is written (:meth:`collection`, while the media are still being packed), then
    the finished package (:meth:`package`), where a collection member holding the very bytes
    already audited (same size and CRC-32) is not searched again.

    ``values`` is called once, when first needed, for the identifying values to look for.
    """

    def __init__(self, values: Callable[[], Iterable[IdentifyingValue]], memo: AuditMemo | None = None,
                 boilerplate: Iterable[str] = ()) -> None:
        self._values = values
        self._boilerplate = tuple(boilerplate)
        self._memo = memo
        self._search: Search | None = None
        self._audited: set[tuple[str, int, int]] = set()  # (member name, size, CRC-32) of collections searched

    def _the_search(self) -> Search:
        if self._search is None:
            self._search = Search(ValueMatcher(list(self._values())), self._boilerplate)
        return self._search

    def collection(self, path: Path, name: str = COLLECTION_NAMES[0]) -> None:
        """Search the collection database at ``path``, to go into the package as ``name``."""
        search_database(self._the_search(), name, path, self._memo)
        crc = 0
        with open(path, "rb") as database:
            while piece := database.read(1 << 20):
                crc = zlib.crc32(piece, crc)
        self._audited.add((name, path.stat().st_size, crc))

    def package(self, apkg: Path) -> list[AuditHit]:
        """Every possible identifier in the finished package ``apkg`` and in the collections
        searched before, sorted; an empty list means clean."""
        search = self._the_search()
        search_package(search, Path(apkg), self._memo, already=self._audited)
        return sorted(search.hits)


def require_clean_package(apkg: Path, against: Iterable[Path] | None = None) -> None:
    """Raise :class:`AuditFailed` when :func:`audit_package` finds anything."""
    hits = audit_package(apkg, against)
    if hits:
        raise AuditFailed(Path(apkg), hits)
