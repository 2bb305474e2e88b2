"""Rendering: one image file (frame, window, shapes) to the bytes of a media file.

:func:`render` is a pure function of its :class:`RenderRequest` (the file is identified by the
hash of its bytes), so renders can run in parallel and be cached by the request's key.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from cardgen.annotations.draw import draw_shapes
from cardgen.annotations.shapes import Shape
from cardgen.imaging.sources import source_for
from cardgen.imaging.windows import Window

# Bump when the rendered pixels for the same request change, so cached renders are not reused.
RENDER_VERSION = 2

# zlib level and strategy of the PNG encoder per image mode, chosen by measurement (512 x 512 CT
# slices, see README "Speed"). Grey: run-length strategy, ~6 ms and the smallest file of all the
# settings tried (10 ms at Pillow's default). Colour (annotated): level 1, ~14 ms against ~52 ms at
# level 6, for a file ~12 % larger; run-length would be as fast but ~70 % larger. PNG is lossless
# whatever the setting: these trade only time against size.
Z_DEFAULT_STRATEGY, Z_RLE = 0, 3
PNG_SETTINGS = {"L": (1, Z_RLE), "RGB": (1, Z_DEFAULT_STRATEGY)}
PNG_FALLBACK = (6, Z_DEFAULT_STRATEGY)

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
                     self.annotate, MIN_LONG_SIDE, MAX_LONG_SIDE, sorted(PNG_SETTINGS.items()), PNG_FALLBACK))
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
    """PNG bytes with no text, time or ICC chunks: nothing but pixels can leak through them."""
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    level, strategy = PNG_SETTINGS.get(image.mode, PNG_FALLBACK)
    clean.save(buffer, format="PNG", optimize=False, compress_level=level, compress_type=strategy)
    return buffer.getvalue()
