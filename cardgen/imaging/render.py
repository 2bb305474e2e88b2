"""Rendering pixels: one frame of an image file, displayed, resized and encoded as a media file.

:func:`display_frame` runs the display chain (decode, window, DICOM overlays, masks) and brings the
frame to its rendered size; :func:`encode_media` turns pixels into the bytes and name of a media
file. What is drawn on the pixels in between (a case's shapes) is :mod:`cardgen.annotations.render`'s.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen.confine import open_confined
from cardgen.imaging.encode import DEFAULT_FORMAT, DEFAULT_MAX_SIDE, DEFAULT_QUALITY, OutputFormat, encode
from cardgen.imaging.masks import Box, mask_rectangles
from cardgen.imaging.registry import source_for
from cardgen.imaging.windows import Window

if TYPE_CHECKING:
    from PIL import Image

# Small images (a 128-pixel CT thumbnail) are enlarged to at least this longest side so arrows and
# labels stay legible on the answer side; large ones are reduced to the output's ``max_side``
# (DEFAULT_MAX_SIDE unless told otherwise). Both keep the aspect ratio.
MIN_LONG_SIDE = 512


@dataclass(frozen=True)
class OutputOptions:
    """How media files are written: format, quality (JPEG/WebP) and the longest side in pixels."""

    format: OutputFormat = DEFAULT_FORMAT
    quality: int = DEFAULT_QUALITY
    max_side: int = DEFAULT_MAX_SIDE


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
    with open_confined(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_scale(width: int, height: int, max_side: int = DEFAULT_MAX_SIDE) -> float:
    """The factor from source pixels to rendered pixels."""
    long_side = max(width, height)
    if long_side < min(MIN_LONG_SIDE, max_side):
        return float(-(-min(MIN_LONG_SIDE, max_side) // long_side))  # whole-number enlargement: crisp
    if long_side > max_side:
        return max_side / long_side
    return 1.0


@dataclass(frozen=True)
class DisplayImage:
    """A frame through the display chain at its rendered size: what every render of the same
    file, frame and window starts from (shared, so a clean and an annotated render decode once)."""

    image: Image.Image
    scale: float
    source_width: int
    source_height: int


def display_frame(path: Path, frame: int | None, window: Window | None, *, overlays: bool = False,
                  masks: Sequence[Box] = (), max_side: int = DEFAULT_MAX_SIDE) -> DisplayImage:
    """Decode, window, overlay (the file's DICOM overlays, 60xx), mask and resize one frame.

    ``masks`` are rectangles in source pixels, blacked out before resizing.
    """
    # Imported here, not at the top: a rebuild with every case cached never needs numpy or Pillow.
    from PIL import Image

    from cardgen.imaging.dicom import read_dataset
    from cardgen.imaging.overlays import draw_overlays

    image = source_for(path).read(path, frame, window)
    if overlays:
        image = draw_overlays(image, read_dataset(path), frame or 0, path=path)
    if masks:
        image = mask_rectangles(image, masks)
    source_width, source_height = image.size
    scale = display_scale(source_width, source_height, max_side)
    if scale != 1.0:
        size = (round(source_width * scale), round(source_height * scale))
        image = image.resize(size, Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS)
    return DisplayImage(image=image, scale=scale, source_width=source_width, source_height=source_height)


def display_from_png(path: Path, source_width: int, source_height: int, max_side: int) -> DisplayImage:
    """The :class:`DisplayImage` read back from a PNG that :func:`encode_media` wrote from one
    (lossless: the very pixels the display chain gave), so that drawing on the same frame again
    does not decode the source file again (nor import pydicom)."""
    from PIL import Image  # here, not at the top: a rebuild with every case cached never needs Pillow

    with Image.open(path) as picture:
        picture.load()
        image = picture if picture.mode in ("L", "RGB") else picture.convert("RGB")
    scale = display_scale(source_width, source_height, max_side)
    return DisplayImage(image=image, scale=scale, source_width=source_width, source_height=source_height)


MEDIA_NAME_DIGITS = 24  # hex digits of the SHA-256 of its bytes in a media file's name
# The name of a media file the build writes (cardgen-<hex digits>.<suffix>): a digest, which holds
# nothing of a patient, though its digits can look like a date (the audit passes over it).
MEDIA_NAME_PATTERN = re.compile(rf"\bcardgen-[0-9a-f]{{{MEDIA_NAME_DIGITS}}}\.[a-z]{{3,4}}\b")


def encode_media(image: Image.Image, display: DisplayImage, output: OutputOptions) -> RenderedImage:
    """``image`` (``display``'s pixels, perhaps drawn on) encoded without metadata, named by its content."""
    data = encode(image, output.format, quality=output.quality, max_side=None)
    name = f"cardgen-{hashlib.sha256(data).hexdigest()[:MEDIA_NAME_DIGITS]}{output.format.suffix}"
    return RenderedImage(name=name, data=data, width=image.width, height=image.height,
                         source_width=display.source_width, source_height=display.source_height)
