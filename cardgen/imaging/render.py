"""Rendering: one image file (frame, window, shapes) to the bytes of a media file.

:func:`render` is a pure function of its :class:`RenderRequest` (the file is identified by the
hash of its bytes), so renders can run in parallel and be cached by the request's key.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from cardgen.annotations.draw import draw_shapes
from cardgen.annotations.shapes import Shape
from cardgen.imaging.sources import source_for
from cardgen.imaging.windows import Window

# Bump when the rendered pixels for the same request change, so cached renders are not reused.
RENDER_VERSION = 3

# Deflate level and strategy of the PNG encoder per image mode, chosen by measurement (512 x 512
# CT slices, README "Speed"). Grey: run-length, ~1.3 ms for a file as small as Pillow's default
# (~11 ms). Colour (annotated): level 3, ~6 ms for a file ~5 % smaller than Pillow's default
# (~56 ms); level 1 was ~3 ms but ~50 % larger. PNG is lossless whatever the setting: these trade
# only time against size.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_SETTINGS = {"L": (1, zlib.Z_RLE), "RGB": (3, zlib.Z_DEFAULT_STRATEGY)}

# Small images (a 128-pixel CT thumbnail) are enlarged so arrows and labels stay legible on the
# answer side; large ones are reduced so decks stay small. Both keep the aspect ratio.
MIN_LONG_SIDE = 512
MAX_LONG_SIDE = 1024


@dataclass(frozen=True)
class RenderRequest:
    """Everything a render depends on."""

    path: Path
    content_hash: str
    frame: int | None = None
    window: Window | None = None
    shapes: tuple[Shape, ...] = ()
    annotate: bool = False

    def key(self) -> str:
        """A stable identity of the output, for caching."""
        text = repr((RENDER_VERSION, self.content_hash, self.frame, self.window, self.shapes,
                     self.annotate, MIN_LONG_SIDE, MAX_LONG_SIDE, sorted(PNG_SETTINGS.items()), deflate_library()))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RenderedImage:
    """A media file: its name (from its content), bytes and pixel size."""

    name: str
    data: bytes
    width: int
    height: int
    source_width: int
    source_height: int


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_scale(width: int, height: int) -> float:
    """The factor from source pixels to rendered pixels."""
    long_side = max(width, height)
    if long_side < MIN_LONG_SIDE:
        return float(-(-MIN_LONG_SIDE // long_side))  # whole-number enlargement: crisp and exact
    if long_side > MAX_LONG_SIDE:
        return MAX_LONG_SIDE / long_side
    return 1.0


@dataclass(frozen=True)
class DisplayImage:
    """A frame through the display chain at its rendered size: what every render of the same
    file, frame and window starts from (shared, so a clean and an annotated render decode once)."""

    image: Image.Image
    scale: float
    source_width: int
    source_height: int


def display_key(request: RenderRequest) -> tuple[str, int | None, Window | None]:
    """Requests with equal display keys start from the same :class:`DisplayImage`."""
    return (request.content_hash, request.frame, request.window)


def display_image(request: RenderRequest) -> DisplayImage:
    """Decode, window and resize the frame a request asks for."""
    source = source_for(request.path)
    image = source.read(request.path, request.frame, request.window)
    source_width, source_height = image.size
    scale = display_scale(source_width, source_height)
    if scale != 1.0:
        size = (round(source_width * scale), round(source_height * scale))
        image = image.resize(size, Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS)
    return DisplayImage(image=image, scale=scale, source_width=source_width, source_height=source_height)


def render(request: RenderRequest, display: DisplayImage | None = None) -> RenderedImage:
    """Render one image: display chain, resize, optional shapes, PNG without metadata.

    ``display`` is the request's :class:`DisplayImage` when the caller already has it.
    """
    display = display or display_image(request)
    image = display.image
    if request.annotate:
        image = draw_shapes(image, request.shapes, scale=display.scale)
    data = encode_png(image)
    name = f"cardgen-{hashlib.sha256(data).hexdigest()[:24]}.png"
    return RenderedImage(name=name, data=data, width=image.width, height=image.height,
                         source_width=display.source_width, source_height=display.source_height)


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of an ``L`` or ``RGB`` image: the IHDR, IDAT and IEND chunks and nothing else
    (no text, time or ICC chunks: nothing but pixels can leak through them).

    cardgen writes the PNG itself: every row with PNG filter 1 ("Sub": each byte minus the one a
    pixel to its left, computed for the whole image at once), deflated by zlib-ng, ~4x faster
    than Pillow's encoder for the same or a smaller file (README "Speed").
    """
    import numpy as np  # here, not at the top: a rebuild with every case cached never needs it

    if image.mode not in PNG_SETTINGS:
        image = image.convert("RGB")
    level, strategy = PNG_SETTINGS[image.mode]
    pixels = np.asarray(image, dtype=np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = pixels.reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), dtype=np.uint8)
    filtered[:, 0] = 1  # the filter type byte that starts each row
    filtered[:, 1:1 + channels] = rows[:, :channels]
    np.subtract(rows[:, channels:], rows[:, :-channels], out=filtered[:, 1 + channels:])  # wraps mod 256
    compressor = _deflate().compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    data = compressor.compress(filtered) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def _deflate():
    """zlib-ng (a dependency) when installed, else Python's zlib: the same format, ~2-4x slower."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return zlib
    return zlib_ng


def deflate_library() -> str:
    """Which deflate implementation encodes PNGs (part of every render's cache key)."""
    return "zlib-ng" if _deflate() is not zlib else "zlib"
