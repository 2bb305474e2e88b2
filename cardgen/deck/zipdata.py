"""Copying bytes between files in the kernel.

cardgen stores media uncompressed in its packages, so a rebuild copies unchanged media from the
previous package without going through :mod:`zipfile`, from where
:func:`cardgen.zipmember.stored_data_offset` finds them.
"""

from __future__ import annotations

import errno
import os


def copy_range(source: int, target: int, count: int, source_offset: int, target_offset: int) -> None:
    """Copy ``count`` bytes from file descriptor ``source`` at ``source_offset`` to ``target`` at
    ``target_offset`` (neither file's position moves): in the kernel where it can
    (``copy_file_range``: no trip through Python's memory), else read and written in pieces."""
    copy = getattr(os, "copy_file_range", None)
    while count > 0 and copy is not None:
        try:
            done = copy(source, target, count, source_offset, target_offset)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
                raise
            break  # a file system or kernel that cannot: copy through memory below
        if done == 0:
            raise OSError(errno.EIO, "the source ended early", count)
        count, source_offset, target_offset = count - done, source_offset + done, target_offset + done
    while count > 0:
        piece = os.pread(source, min(count, 1 << 20), source_offset)
        if not piece:
            raise OSError(errno.EIO, "the source ended early", count)
        written = os.pwrite(target, piece, target_offset)
        count, source_offset, target_offset = count - written, source_offset + written, target_offset + written
