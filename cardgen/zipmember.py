"""The zips cardgen writes: their members' fixed date, and where a stored member's bytes lie.

Every member of a package and of the add-on archive is dated :data:`ZIP_DATE`, so the same contents
give the same bytes whenever they are written.

cardgen stores media uncompressed in its packages, so a member's bytes can be found from its local
header (ZIP APPNOTE 4.3.7) and read in place, without going through :mod:`zipfile`: the audit reads
a PNG's chunk headers there, a rebuild copies unchanged media from the previous package. Only the
documented :class:`zipfile.ZipInfo` attributes are used.
"""

from __future__ import annotations

import struct
import zipfile
from typing import BinaryIO

# The earliest date a zip member can hold (MS-DOS time counts from 1980): no date of writing, so an
# archive's bytes depend on its contents alone.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

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
