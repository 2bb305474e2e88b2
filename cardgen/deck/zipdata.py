"""The zip format below :mod:`zipfile`'s public interface: cardgen's only use of its internals.

cardgen stores media uncompressed in its packages, so a member's bytes can be found from its local
header (:func:`cardgen.zipmember.stored_data_offset`, a foundation module: the audit reads a PNG's
chunk headers there too) and copied without going through :mod:`zipfile` (a rebuild copies
unchanged media from the previous package). Members copied so go into a :class:`zipfile.ZipFile`
being written by the functions here, which know what it keeps (its position, its member list) and
what a member's header holds; every member has a fixed date, so the same contents give the same
bytes.
"""

from __future__ import annotations

import errno
import os
import zipfile
from typing import BinaryIO

from cardgen.zipmember import ZIP_DATE


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


def new_entry(name: str, compress_type: int, compress_level: int | None = None,
              size: int | None = None) -> zipfile.ZipInfo:
    """A member to write with :meth:`zipfile.ZipFile.open`: dated :data:`ZIP_DATE`, readable by all,
    deflated at ``compress_level`` when given (``open`` has no argument for it; ``writestr`` has),
    and of ``size`` bytes when that is known before writing (then its header is the one ``writestr``
    would write: zip64 or not)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    if compress_level is not None:
        info._compresslevel = compress_level  # what writestr(..., compresslevel=level) sets
    if size is not None:
        info.file_size = size
    return info


def stored_header(info: zipfile.ZipInfo, crc: int, size: int) -> bytes:
    """The local header :mod:`zipfile` writes before the stored (uncompressed) member ``info`` of
    ``size`` bytes with this CRC-32; ``info`` takes the CRC and the sizes."""
    info.CRC, info.compress_size, info.file_size = crc, size, size
    return info.FileHeader(False)


def target_file(packed: zipfile.ZipFile) -> BinaryIO:
    """The file ``packed`` (open for writing) writes to."""
    assert packed.fp is not None
    return packed.fp


def write_next_at(packed: zipfile.ZipFile, position: int) -> None:
    """Make ``packed`` write its next member (or, when closed, its central directory) at
    ``position`` of its file: the end of the bytes copied into it from elsewhere."""
    packed.start_dir = position


def add_copied_member(packed: zipfile.ZipFile, info: zipfile.ZipInfo, header_offset: int) -> None:
    """List ``info`` in ``packed``'s central directory as a member whose header and bytes were
    copied into its file at ``header_offset`` (what :meth:`zipfile.ZipFile.open` records for a
    member it wrote)."""
    info.header_offset = header_offset
    packed.filelist.append(info)
    packed.NameToInfo[info.filename] = info
