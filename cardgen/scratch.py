"""Scratch folders in the system's temporary directory that a killed run does not leave behind.

A run cleans up its scratch folders when it ends, but a run killed outright (SIGKILL, the
out-of-memory killer, a closed terminal's hard kill) cannot, and a build's media folder can hold
gigabytes. So each folder is named ``cardgen-<kind>-<pid>-<random>`` after the process that made it,
and making one first removes those whose process no longer exists (:func:`sweep_abandoned`).
A folder of a process that still runs, or of another user, is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

_NAME = re.compile(r"cardgen-([a-z]+)-(\d+)-[^/\\]+")


def scratch_folder(kind: str) -> tempfile.TemporaryDirectory:
    """A new scratch folder ``cardgen-<kind>-<pid>-...``, as a :class:`tempfile.TemporaryDirectory`
    (``with`` gives its path and removes it afterwards; or call ``cleanup``); abandoned ones of killed
    runs are removed first. ``kind``: lower-case letters (``media``)."""
    if not (kind.isascii() and kind.isalpha() and kind.islower()):
        raise ValueError(f"a scratch folder's kind is lower-case letters, not {kind!r}")
    sweep_abandoned()
    return tempfile.TemporaryDirectory(prefix=f"cardgen-{kind}-{os.getpid()}-")


def sweep_abandoned(root: Path | str | None = None) -> list[Path]:
    """Remove the scratch folders under ``root`` (the system's temporary directory) whose process is
    gone; return them. Only on POSIX, where asking whether a process exists sends it nothing (on
    Windows ``os.kill(pid, 0)`` sends it Ctrl-C)."""
    if os.name != "posix":
        return []
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob("cardgen-*-*-*"):
        match = _NAME.fullmatch(path.name)
        if not match or _running(int(match.group(2))) or not _own_folder(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _own_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (not a link to one) of this user."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user's counts: it is not ours to judge)."""
    if pid <= 0:
        return True  # 0 and negative numbers name process groups, not a process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
