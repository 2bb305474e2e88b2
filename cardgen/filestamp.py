"""A file's stamp: what a reading of the file is remembered under, so it is reused only while the
file is unchanged.

Standard library only, and nothing of cardgen: the imaging readers and the build cache both use it.
"""

from __future__ import annotations

import os
from pathlib import Path

FileStamp = tuple[str, int, int, int, int]


def file_stamp(path: Path, status: os.stat_result | None = None) -> FileStamp:
    """``path`` made absolute, and the device, inode, size and modification time of the file (from
    ``status`` when the caller has it, else one ``stat``).

    A file replaced, rewritten or touched gets another stamp. Whatever a symbolic link leads to,
    the content read is that file's; no ``resolve()`` (a system call per folder of the path).
    """
    status = status if status is not None else path.stat()
    return (os.path.abspath(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
