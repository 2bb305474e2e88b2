"""Where a stored member's bytes lie in a zip file, and copying bytes between files in the kernel.

cardgen stores media uncompressed in its packages, so a member's bytes can be found from its local
header and read or copied without going through :mod:`zipfile` (the audit reads a PNG's chunk
headers there; a rebuild copies unchanged media from the previous package).
"""

from __future__ import annotations

import errno
import os
import struct
import zipfile
from typing import BinaryIO

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, 22 bytes we skip, name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def stored_data_offset(raw: BinaryIO, info: zipfile.ZipInfo) -> int | None:
    """The offset of ``info``'s bytes in the zip file ``raw`` (open for reading, any position),
    or None when the member is compressed or encrypted, or its local header is not where the
    central directory says: then only :mod:`zipfile` may read it."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        return None
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


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
