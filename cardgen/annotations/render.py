"""A case image as a media file: the render request, and the render that draws its shapes.

A :class:`RenderRequest` holds everything a media file depends on: the file (identified by the hash
of its bytes), frame, window, masks, overlays, the shapes and the output options. :func:`render`
takes the frame's display pixels (:mod:`cardgen.imaging.render`), draws the shapes on them
(:mod:`cardgen.annotations.draw`) and encodes the result; it is a pure function of its request, so
renders can run in parallel and be cached by the request's :meth:`~RenderRequest.key`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from cardgen.annotations.shapes import Rect, Shape
from cardgen.imaging.encode import PNG_SETTINGS, OutputFormat, deflate_library
from cardgen.imaging.render import (MIN_LONG_SIDE, DisplayImage, OutputOptions, RenderedImage, display_frame,
                                    display_from_png, encode_media)
from cardgen.imaging.windows import Window

# Bump when the rendered pixels for the same request change, so cached renders are not reused.
RENDER_VERSION = 6


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


def display_key(request: RenderRequest) -> tuple:
    """Requests with equal display keys start from the same :class:`DisplayImage`."""
    return (request.content_hash, request.frame, request.window, request.masks, request.overlays,
            request.output.max_side)


def display_image(request: RenderRequest) -> DisplayImage:
    """The frame a request asks for through the display chain, at its rendered size."""
    return display_frame(request.path, request.frame, request.window, overlays=request.overlays,
                         masks=request.masks, max_side=request.output.max_side)


def clean_request(request: RenderRequest) -> RenderRequest:
    """The request for the same picture without annotations (what :func:`display_from_clean` reads)."""
    return replace(request, shapes=(), annotate=False)


def display_from_clean(request: RenderRequest, clean: RenderedImage, media_dir: Path) -> DisplayImage | None:
    """The :class:`DisplayImage` of ``request`` read back from ``clean``, its clean render, when
    that is a PNG (lossless), so that an annotation drawn anew does not decode the source file
    again; None for a lossy format."""
    if request.output.format is not OutputFormat.PNG:
        return None
    return display_from_png(media_dir / clean.name, clean.source_width, clean.source_height,
                            request.output.max_side)


def render(request: RenderRequest, display: DisplayImage | None = None) -> RenderedImage:
    """Render one image: display chain, resize, optional shapes, encoded without metadata.

    ``display`` is the request's :class:`DisplayImage` when the caller already has it.
    """
    from cardgen.annotations.draw import draw_shapes  # here: it loads Pillow, which cached builds never need

    display = display or display_image(request)
    image = display.image
    if request.annotate:
        image = draw_shapes(image, request.shapes, scale=display.scale)
    return encode_media(image, display, request.output)
