"""Scratch folders in the system's temporary directory that a killed run does not leave behind.

A run removes its scratch folders when it ends, but a run killed outright (SIGKILL, the
out-of-memory killer) cannot, and a build's media folder can hold gigabytes. So each folder holds a
lock file, locked for as long as the process that made it (or a child sharing the lock) runs, and
making a new folder first removes the folders whose lock nobody holds (:func:`sweep_abandoned`):
the convention cardgen.atomic keeps for the partial files beside a deck. A lock, not a process id:
it is released however the process ends, and it means the same to a process in another container
that shares the folder. A folder without a lock file (an older cardgen's, or one being made) and
another user's folder are never touched. On Windows (no ``fcntl``) nothing is swept.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import weakref
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".cardgen-lock"


class ScratchFolder:
    """A new scratch folder ``cardgen-<kind>-...`` in the system's temporary directory, used as
    :class:`tempfile.TemporaryDirectory` is: ``with`` gives its path and removes it afterwards, or
    ``name`` and ``cleanup()``; removed at exit too. ``kind``: lower-case letters (``media``)."""

    def __init__(self, kind: str) -> None:
        if not (kind.isascii() and kind.isalpha() and kind.islower()):
            raise ValueError(f"a scratch folder's kind is lower-case letters, not {kind!r}")
        sweep_abandoned()
        self.name = tempfile.mkdtemp(prefix=f"cardgen-{kind}-")
        lock = _hold_lock(Path(self.name))
        self._finalizer = weakref.finalize(self, _remove, self.name, lock)

    def cleanup(self) -> None:
        self._finalizer()

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


def scratch_folder(kind: str) -> ScratchFolder:
    """A new :class:`ScratchFolder`; the abandoned ones of killed runs are removed first."""
    return ScratchFolder(kind)


def sweep_abandoned(root: Path | str | None = None) -> list[Path]:
    """Remove the scratch folders under ``root`` (the system's temporary directory) whose lock
    nobody holds: their run was killed. Return them."""
    if fcntl is None:
        return []
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob("cardgen-*-*"):
        if _own_folder(path) and _abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _hold_lock(folder: Path) -> int | None:
    """A descriptor holding the lock of ``folder``'s lock file (None without ``fcntl``). The file is
    locked under another name and then renamed, so no sweep ever finds it unlocked."""
    if fcntl is None:
        return None
    making = folder / (LOCK_NAME + ".new")
    handle = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    os.rename(making, folder / LOCK_NAME)
    return handle


def _abandoned(folder: Path) -> bool:
    """Whether ``folder`` has a lock file that nobody holds (tried without waiting)."""
    try:
        handle = os.open(folder / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False  # no lock file: not a scratch folder of this kind, or one being made
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False  # held: its run is still going
    finally:
        os.close(handle)


def _own_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (not a link to one) of this user."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _remove(folder: str, lock: int | None) -> None:
    """Remove ``folder``, then let go of its lock."""
    shutil.rmtree(folder, ignore_errors=True)
    if lock is not None:
        os.close(lock)
