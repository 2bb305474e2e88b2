"""Atomic file output: a file is replaced whole or not at all, and an error names the path.

Every file cardgen writes for the user (the deck, the add-on archive, the learners' and the
coverage reports) goes through :func:`atomic_output`; the build cache's files go through
:func:`write_atomically`. It loads nothing heavy (no genanki, no imaging), so that a report writer
can use it without loading the deck writer.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from cardgen.errors import CardgenError


class OutputError(CardgenError):
    """An output file (the deck, a report) could not be written: one line naming the path and the reason (a full disk, a
    read-only file system, a file where a folder should be); the previous deck is left as it was."""

    HINTS = {errno.ENOSPC: "free some disk space and build again",
             errno.EDQUOT: "free some disk space (your quota is used up) and build again",
             errno.EROFS: "the file system is read-only: choose another output with -o",
             errno.EACCES: "you may not write there: choose another output with -o",
             errno.EPERM: "you may not write there: choose another output with -o",
             errno.ENOTDIR: "a part of the path is a file, not a folder: choose another output with -o",
             errno.EEXIST: "a part of the path is a file, not a folder: choose another output with -o",
             errno.EISDIR: "the output is a folder: give a file name ending in .apkg",
             errno.EFBIG: "the file is larger than this system allows: build fewer cases into it"}

    def __init__(self, out: Path, error: OSError, hint: str | None = None) -> None:
        named = Path(error.filename) if error.filename else out
        # The temporary file is ours, not the user's: name the output it stands for.
        self.path = out if named.name.startswith(_partial_prefix(out)) else named
        hint = hint or self.HINTS.get(error.errno or 0, "check the path and build again")
        super().__init__(f"{self.path}: {error.strerror or error}; {hint}")


def refuse_special_output(out: Path) -> None:
    """An :class:`OutputError` when ``out`` exists and is not a regular file (a folder, a device such
    as /dev/full, a named pipe): renaming the output over it would replace the device or folder entry,
    and opening a pipe to keep the old file waits for a writer that never comes."""
    try:
        mode = os.stat(out).st_mode
    except OSError:
        return  # nothing there yet; a path that cannot be looked at fails with its reason when written
    if stat.S_ISDIR(mode):
        raise OutputError(out, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    if not stat.S_ISREG(mode):
        raise OutputError(out, OSError(errno.EINVAL, "not a regular file (a device, pipe or socket)"),
                          hint="name a new or ordinary file with -o")


# A file name may be 255 bytes: the temporary name adds a dot, a random part and ".partial", so an
# output name near that limit gets a shortened one (its start and a digest of the whole name).
_MAX_NAME_BYTES = 255
_PARTIAL_EXTRA_BYTES = 32


def _partial_prefix(out: Path) -> str:
    """The start of the temporary files' names for ``out`` (the same for every build to ``out``, so
    that a killed build's file is found and removed by the next)."""
    name = out.name
    if len(os.fsencode(name)) + _PARTIAL_EXTRA_BYTES <= _MAX_NAME_BYTES:
        return f".{name}."
    import hashlib

    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    return f".{name[:40]}~{digest}."  # 40 characters are at most 160 bytes


def write_atomically(target: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder (named by this
    process, so parallel workers never share one), renamed into place: for cardgen's own files
    (the build cache's), where an error is the caller's to handle. ``data`` is the bytes, or a
    function that writes them to the stream it is given (no copy of them all in memory)."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data)
        if target.is_dir() and not target.is_symlink():  # a folder where the cache keeps a file: damage
            shutil.rmtree(target)
        os.replace(temp, target)
    except OSError as error:
        temp.unlink(missing_ok=True)
        if error.filename is None:  # a write that failed (a full disk) names no file: name the one written
            raise type(error)(error.errno, error.strerror, str(target)) from error
        raise
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` that replaces ``out`` only when the block succeeds.

    The temporary file (``.OUT.XXXX.partial``) is locked while it is written: a build killed
    before it could remove it leaves it unlocked, and the next build to the same output removes
    it (concurrent builds' files are locked and left alone). An operating system error becomes an
    :class:`OutputError` naming the path.
    """
    refuse_special_output(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(out)
        temp, lock = _locked_temp(out)
    except OSError as error:
        raise OutputError(out, error) from None
    try:
        yield temp
        # mkstemp makes the file private; a deck is an ordinary file, so honour the umask instead.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        replaced = _open_to_release_later(out)
        if replaced is not None and _exchange(temp, out):
            temp.unlink()  # the old package now, under the temporary name
        else:
            os.replace(temp, out)
        if replaced is not None:
            _release_later(replaced)
    except OSError as error:
        raise OutputError(out, error) from None
    finally:
        temp.unlink(missing_ok=True)
        os.close(lock)


def _locked_temp(out: Path) -> tuple[Path, int]:
    """A new temporary file beside ``out`` and a descriptor holding its lock."""
    while True:
        handle, temp_name = tempfile.mkstemp(prefix=_partial_prefix(out), suffix=".partial", dir=out.parent)
        if fcntl is None:
            return Path(temp_name), handle
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if os.stat(temp_name).st_ino == os.fstat(handle).st_ino:
                return Path(temp_name), handle
        except FileNotFoundError:
            pass
        os.close(handle)  # another build took it for a stale one in the moment before the lock: again


def _remove_stale_partials(out: Path) -> None:
    """Remove the temporary files of earlier builds to ``out`` that were killed while writing."""
    if fcntl is None:
        return  # no locks to tell a running build's file from a dead one's (Windows)
    prefix = _partial_prefix(out)
    for name in os.listdir(out.parent):
        if not (name.startswith(prefix) and name.endswith(".partial")):
            continue
        path = out.parent / name
        try:
            handle = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(path).st_ino == os.fstat(handle).st_ino:
                path.unlink()
        except OSError:
            pass  # locked: a build is writing it
        finally:
            os.close(handle)


def _exchange(first: Path, second: Path) -> bool:
    """Swap the two files' names in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False
    where that is not available, and the caller renames instead.

    Renaming a file over another makes ext4 start writing the new file's data to disk at once (its
    guard against an empty file after a power cut), and the build would wait for it; an exchange is
    as atomic for readers and leaves the writing to the kernel's own time (docs/performance.md). The price: a power cut within seconds of a build may leave the new package unwritten,
    which the next build notices (its size and time no longer match the cache's record) and rewrites.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False  # a C library without renameat2 (glibc before 2.28, musl before 1.2.5)
    at_current_directory, rename_exchange = -100, 2  # AT_FDCWD and RENAME_EXCHANGE from <fcntl.h>, <stdio.h>
    done = renameat2(at_current_directory, os.fsencode(first), at_current_directory, os.fsencode(second),
                     rename_exchange)
    return done == 0  # else ENOSYS or EINVAL (a kernel or file system that cannot): rename instead


def _open_to_release_later(path: Path) -> int | None:
    """A descriptor of the file at ``path`` (the package about to be replaced), or None."""
    if os.name != "posix":
        return None  # elsewhere an open file cannot be replaced at all
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None  # no previous package


def _release_later(descriptor: int) -> None:
    """Close ``descriptor``, the replaced package's last reference, in a short-lived child process.

    Freeing a large file's blocks is done by whoever drops its last reference, and on a file system
    that discards freed blocks at once the build would wait for that after every rebuild
    (docs/performance.md). The child (``sleep 1``) inherits the descriptor and drops it as it exits,
    a second later, after the build has returned; the space is the same, released a moment later.
    The child must outlive this process's own close: one that exits at once may leave this process
    dropping the last reference, and waiting, after all.
    """
    try:
        program = shutil.which("sleep")
        if program is not None:
            child = subprocess.Popen([program, "1"], pass_fds=(descriptor,), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            threading.Thread(target=child.wait, name="cardgen-release", daemon=True).start()  # reaps it
    except OSError:
        pass  # no child: this process frees the file itself, now
    finally:
        os.close(descriptor)
