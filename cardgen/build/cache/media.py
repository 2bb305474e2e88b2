"""The build cache's media folder: every rendered image, named by the hash of its content, and
whether one is still there and whole before it is used again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


class MediaFiles:
    """The media files under ``folder``; a damaged one is removed and reported to ``on_damage``."""

    def __init__(self, folder: Path, on_damage: Callable[[str], None]) -> None:
        self.folder = folder
        self._on_damage = on_damage

    def intact(self, name: str) -> bool:
        """True when the media file ``name`` is there and whole: it ends as its format ends (a
        one-block read; a truncated or half-written file is removed and reported, and its render is
        made again)."""
        path = self.folder / name
        try:
            with open(path, "rb") as stream:
                size = os.fstat(stream.fileno()).st_size
                stream.seek(max(0, size - 16))
                tail = stream.read()
                head = b""
                if name.endswith(".webp"):
                    stream.seek(0)
                    head = stream.read(12)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        except OSError as error:
            self._on_damage(f"{path}: {error.strerror}")
            return False
        if _looks_whole(name, size, head, tail):
            return True
        self._on_damage(f"{path}: truncated or damaged")
        try:
            path.unlink()
        except OSError:
            pass
        return False


def _looks_whole(name: str, size: int, head: bytes, tail: bytes) -> bool:
    """Whether a media file of ``size`` bytes ends as a whole file of its format ends."""
    if size == 0:
        return False
    if name.endswith(".png"):
        return tail.endswith(b"IEND\xaeB`\x82")
    if name.endswith((".jpg", ".jpeg")):
        return tail.rstrip(b"\x00").endswith(b"\xff\xd9")
    if name.endswith(".webp"):
        return head[:4] == b"RIFF" and int.from_bytes(head[4:8], "little") + 8 == size
    return True
