"""Parsed cases of one cases folder, kept as one file (``parsed/<hash of folder>``) between
builds, so that a rebuild reads no YAML for an unchanged case."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Callable

from cardgen.atomic import write_atomically
from cardgen.build.cache.fingerprint import code_fingerprint
from cardgen.build.cache.store import UNPICKLING_ERRORS
from cardgen.teaching.case import Case


class ParsedCases:
    """Parsed cases of one cases folder, remembered between builds. A case file whose size and
    modification time are those of the remembered parse, and whose named files and folders
    still resolve to the same places, is not read again; any other is parsed by ``load``
    (errors are never remembered). :meth:`save` keeps what this build loaded."""

    def __init__(self, record: Path, load: Callable[[Path], Case]) -> None:
        self._record = record
        self._remembered = _read(record)
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


def _read(record: Path) -> dict[str, tuple]:
    """The remembered parses in ``record``: none when there are none yet, or they are damaged, or
    from another version of cardgen."""
    try:
        with open(record, "rb") as stream:  # unpickled from the file: no copy of its bytes in memory
            fingerprint, remembered = pickle.load(stream)
    except (OSError, ValueError, *UNPICKLING_ERRORS):
        return {}
    return remembered if fingerprint == code_fingerprint() else {}


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
