"""Rendering: one image file (frame, window, shapes) to the bytes of a media file.

:func:`render` is a pure function of its :class:`RenderRequest` (the file is identified by the
hash of its bytes), so renders can run in parallel and be cached by the request's key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen.annotations.shapes import Rect, Shape
from cardgen.confine import open_confined
from cardgen.imaging.encode import PNG_SETTINGS, OutputFormat, deflate_library, encode
from cardgen.imaging.masks import mask_rectangles
from cardgen.imaging.registry import source_for
from cardgen.imaging.windows import Window

if TYPE_CHECKING:
    from PIL import Image

# Bump when the rendered pixels for the same request change, so cached renders are not reused.
RENDER_VERSION = 3

# Small images (a 128-pixel CT thumbnail) are enlarged so arrows and labels stay legible on the
# answer side; large ones are reduced so decks stay small. Both keep the aspect ratio.
MIN_LONG_SIDE = 512
MAX_LONG_SIDE = 1024


@dataclass(frozen=True)
class OutputOptions:
    """How media files are written: format, quality (JPEG/WebP) and the longest side in pixels."""

    format: OutputFormat = OutputFormat.PNG
    quality: int = 90
    max_side: int = MAX_LONG_SIDE


@dataclass(frozen=True)
class RenderRequest:
    """Everything a render depends on."""

    path: Path
    content_hash: str
    frame: int | None = None
    window: Window | None = None
    shapes: tuple[Shape, ...] = ()
    annotate: bool = False
    masks: tuple[Rect, ...] = ()  # blacked out in source pixels, before resizing and drawing
    overlays: bool = False  # draw the file's DICOM overlays (60xx)
    output: OutputOptions = OutputOptions()

    def key(self) -> str:
        """A stable identity of the output, for caching."""
        text = repr((RENDER_VERSION, self.content_hash, self.frame, self.window, self.shapes,
                     self.annotate, self.masks, self.overlays, self.output, MIN_LONG_SIDE,
                     sorted(PNG_SETTINGS.items()), deflate_library()))
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
    with open_confined(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_scale(width: int, height: int, max_side: int = MAX_LONG_SIDE) -> float:
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


def display_key(request: RenderRequest) -> tuple:
    """Requests with equal display keys start from the same :class:`DisplayImage`."""
    return (request.content_hash, request.frame, request.window, request.masks, request.overlays,
            request.output.max_side)


def display_image(request: RenderRequest) -> DisplayImage:
    """Decode, window, overlay, mask and resize the frame a request asks for."""
    # Imported here, not at the top: a rebuild with every case cached never needs numpy or Pillow.
    from PIL import Image

    from cardgen.imaging.dicom import read_dataset
    from cardgen.imaging.overlays import draw_overlays

    source = source_for(request.path)
    image = source.read(request.path, request.frame, request.window)
    if request.overlays:
        image = draw_overlays(image, read_dataset(request.path), request.frame or 0, path=request.path)
    if request.masks:
        image = mask_rectangles(image, request.masks)
    source_width, source_height = image.size
    scale = display_scale(source_width, source_height, request.output.max_side)
    if scale != 1.0:
        size = (round(source_width * scale), round(source_height * scale))
        image = image.resize(size, Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS)
    return DisplayImage(image=image, scale=scale, source_width=source_width, source_height=source_height)


def clean_request(request: RenderRequest) -> RenderRequest:
    """The request for the same picture without annotations (what :func:`display_from_clean` reads)."""
    return replace(request, shapes=(), annotate=False)


def display_from_clean(request: RenderRequest, clean: RenderedImage, media_dir: Path) -> DisplayImage | None:
    """The :class:`DisplayImage` of ``request`` read back from ``clean``, its clean render, when
    that is a PNG (lossless: the very pixels the display chain gave), so that an annotation drawn
    anew does not decode the DICOM file again (nor import pydicom); None for a lossy format."""
    if request.output.format is not OutputFormat.PNG:
        return None
    from PIL import Image  # here, not at the top: a rebuild with every case cached never needs Pillow

    with Image.open(media_dir / clean.name) as picture:
        picture.load()
        image = picture if picture.mode in ("L", "RGB") else picture.convert("RGB")
    scale = display_scale(clean.source_width, clean.source_height, request.output.max_side)
    return DisplayImage(image=image, scale=scale, source_width=clean.source_width, source_height=clean.source_height)


def render(request: RenderRequest, display: DisplayImage | None = None) -> RenderedImage:
    """Render one image: display chain, resize, optional shapes, encoded without metadata.

    ``display`` is the request's :class:`DisplayImage` when the caller already has it.
    """
    from cardgen.annotations.draw import draw_shapes

    display = display or display_image(request)
    image = display.image
    if request.annotate:
        image = draw_shapes(image, request.shapes, scale=display.scale)
    output = request.output
    data = encode(image, output.format, quality=output.quality, max_side=None)
    name = f"cardgen-{hashlib.sha256(data).hexdigest()[:24]}{output.format.suffix}"
    return RenderedImage(name=name, data=data, width=image.width, height=image.height,
                         source_width=display.source_width, source_height=display.source_height)
