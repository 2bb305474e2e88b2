"""Reading a case's files only from inside its folder, checked on the open file.

:mod:`cardgen.teaching.paths` checks the names a case.yaml gives before anything is read. A file
can still change between that check and its reading (an image swapped for a link to another
patient's file), and a series folder's members are found later, by listing the folder. So while a
case is built (:func:`confined_to`), every case file is opened with :func:`open_confined`, which
checks the file it actually opened: its real path lies inside the case folder, and that path names
the very file open (the same device and inode), so a swap between the two looks is caught too.

Standard library only, imported by imaging as well as by the build.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO, Iterator

from cardgen.errors import InputError

_case_folder: ContextVar[Path | None] = ContextVar("cardgen_case_folder", default=None)


@contextmanager
def confined_to(folder: Path) -> Iterator[None]:
    """While the block runs, :func:`open_confined` opens only files inside ``folder``."""
    token = _case_folder.set(Path(os.path.realpath(folder)))
    try:
        yield
    finally:
        _case_folder.reset(token)


def open_confined(path: Path) -> BinaryIO:
    """``open(path, "rb")``, refused with an :class:`InputError` when a case is being built and the
    file opened is not inside its folder."""
    stream = open(path, "rb")
    folder = _case_folder.get()
    if folder is None:
        return stream
    try:
        real = os.path.realpath(path)
        inside = Path(real).is_relative_to(folder) and os.path.samestat(os.fstat(stream.fileno()), os.stat(real))
    except OSError:
        inside = False
    if not inside:
        stream.close()
        raise InputError("the file is a link that leads outside the case folder (or was replaced by one)",
                         file=path, hint="copy the file itself into the case folder instead of linking to it")
    return stream
