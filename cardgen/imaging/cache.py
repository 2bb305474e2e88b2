"""The render cache: finished media files on disk, found again by the key of their request.

A request's key (:meth:`RenderRequest.key`) covers everything the output depends on: the hash of
the source file's bytes, the frame, the window, the shapes, the output options and
``RENDER_VERSION``. So a rebuild renders only what changed, and a stale entry is never reused.

Layout under the cache folder (default ``$CARDGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cardgen``,
else ``~/.cache/cardgen``)::

    renders/<key[:2]>/<key>   one line: media name, width, height, source width, source height
    media/<name>              the media file itself (named by the hash of its content)

Every file is written to a temporary name and renamed into place, so parallel workers and
concurrent builds never see half a file. Deleting the folder between builds is always safe: the
next build renders everything again. Nothing is evicted; delete the folder to reclaim the space.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cardgen.imaging.render import RenderedImage, RenderRequest

CACHE_ENV = "CARDGEN_CACHE_DIR"


def default_cache_dir() -> Path:
    """Where renders are cached unless ``--cache-dir`` says otherwise."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "cardgen"


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class RenderCache:
    """A content-addressed store of renders under ``root`` (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.media_dir = root / "media"
        self._entries = root / "renders"
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self._entries.mkdir(parents=True, exist_ok=True)

    def _entry(self, key: str) -> Path:
        return self._entries / key[:2] / key

    def get(self, request: RenderRequest) -> RenderedImage | None:
        """The cached render of ``request`` (without its bytes: they stay in :attr:`media_dir`),
        or None when it was never rendered or its media file is gone."""
        try:
            fields = self._entry(request.key()).read_text(encoding="ascii").split()
        except FileNotFoundError:
            return None
        if len(fields) != 5 or not (self.media_dir / fields[0]).is_file():
            return None  # an entry from another format, or its media file was deleted: render again
        name, *sizes = fields
        width, height, source_width, source_height = (int(v) for v in sizes)
        return RenderedImage(name=name, data=b"", width=width, height=height,
                             source_width=source_width, source_height=source_height)

    def put(self, request: RenderRequest, rendered: RenderedImage) -> None:
        """Remember ``rendered`` (whose media file is already in :attr:`media_dir`) for ``request``."""
        entry = self._entry(request.key())
        entry.parent.mkdir(exist_ok=True)
        line = (f"{rendered.name} {rendered.width} {rendered.height} "
                f"{rendered.source_width} {rendered.source_height}\n")
        write_atomically(entry, line.encode("ascii"))
