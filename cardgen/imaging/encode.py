"""Display images to file bytes: PNG (default), JPEG or WebP, downscaled to a longest side.

Only pixels are written: no text chunks, EXIF, ICC profile or timestamps, so no header value of
the source can ride along, and the same image always gives the same bytes.
"""

from __future__ import annotations

import enum
import functools
import io
import struct
import zlib
from typing import TYPE_CHECKING

from cardgen.errors import InputError

if TYPE_CHECKING:
    from PIL import Image

# The output settings a build uses unless told otherwise (``cardgen build --image-format --quality
# --max-side``). The longest side bounds every picture on a card: larger images are reduced, since a
# card shows an image at about a phone's or a laptop window's width and more pixels only cost space
# in the deck. Quality applies to JPEG and WebP only (PNG is lossless).
DEFAULT_MAX_SIDE = 1024
DEFAULT_QUALITY = 90
FULL_CHROMA_QUALITY = 90  # from this JPEG quality on, colour keeps full resolution (no 4:2:0 subsampling)


# Deflate level and strategy of the PNG encoder per image mode, chosen by measurement (docs/
# performance.md, "PNG encoding"). Grey: run-length, a file as small as Pillow's default in a
# fraction of its time. Colour (annotated): level 3, a little smaller than Pillow's default and
# much faster; level 1 is faster still but makes far larger files. PNG is lossless whatever the
# setting: these trade only time against size.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_SETTINGS = {"L": (1, zlib.Z_RLE), "RGB": (3, zlib.Z_DEFAULT_STRATEGY)}


class OutputFormat(str, enum.Enum):
    """How card pictures are stored."""

    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"

    @property
    def suffix(self) -> str:
        """File name suffix, with the dot."""
        return {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}[self.value]

    @classmethod
    def from_text(cls, text: str, *, field: str = "image_format") -> "OutputFormat":
        """``png``, ``jpeg``/``jpg`` or ``webp`` (any case) -> the format; anything else is an error."""
        key = text.strip().lower()
        key = "jpeg" if key == "jpg" else key
        try:
            return cls(key)
        except ValueError:
            raise InputError(f"unknown image format {text!r}", field=field, value=text,
                             hint="use png, jpeg or webp") from None


DEFAULT_FORMAT = OutputFormat.PNG  # lossless: a lossy format changes the grey values a reader judges


def downscale(image: Image.Image, max_side: int | None) -> Image.Image:
    """``image`` shrunk (never enlarged) so its longest side is at most ``max_side``; aspect kept."""
    if max_side is None or max(image.size) <= max_side:
        return image
    if max_side < 1:
        raise InputError("the longest side must be at least 1 pixel", field="max_side", value=max_side)
    from PIL import Image  # here, not at the top: a rebuild with every case cached never needs Pillow

    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encode(image: Image.Image, fmt: OutputFormat = DEFAULT_FORMAT, quality: int = DEFAULT_QUALITY,
           max_side: int | None = DEFAULT_MAX_SIDE) -> bytes:
    """The image as file bytes; ``quality`` (1-100) applies to JPEG and WebP."""
    if image.mode not in ("L", "RGB"):
        raise ValueError(f"display images are L or RGB, not {image.mode}")  # a bug, not bad input
    if not 1 <= quality <= 100:
        raise InputError("quality must be from 1 to 100", field="quality", value=quality)
    from PIL import Image

    # A fresh image from the raw pixels carries no info dict (text, EXIF, ICC, DPI) from its source.
    image = downscale(image, max_side)
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fmt is OutputFormat.PNG:
        out.write(encode_png(bare))
    elif fmt is OutputFormat.JPEG:
        bare.save(out, format="JPEG", quality=quality, optimize=True, subsampling=0 if quality >= FULL_CHROMA_QUALITY else 2)
    else:
        bare.save(out, format="WEBP", quality=quality, method=4, exact=True)
    return out.getvalue()


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of an ``L`` or ``RGB`` image: the IHDR, IDAT and IEND chunks and nothing else
    (no text, time or ICC chunks: nothing but pixels can leak through them).

    cardgen writes the PNG itself: every row with PNG filter 1 ("Sub": each byte minus the one a
    pixel to its left, computed for the whole image at once), deflated by zlib-ng: faster than
    Pillow's encoder for the same or a smaller file (docs/performance.md, "PNG encoding").
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
    """zlib-ng (a dependency) when installed, else Python's zlib: the same format, slower."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return zlib
    return zlib_ng


def deflate_library() -> str:
    """Which deflate implementation encodes PNGs (part of every render's cache key)."""
    return "zlib-ng" if _deflate() is not zlib else "zlib"
