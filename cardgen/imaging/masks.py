"""Blacking out rectangles of an image: the pixels a case masks (burned-in names, IDs, dates).

Which images must be masked or reviewed is decided in :mod:`cardgen.deid.burned_in`; this module
only changes pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from cardgen.errors import InputError

if TYPE_CHECKING:
    from PIL import Image


class Box(Protocol):
    """A rectangle in source-image pixels; (x, y) is its top-left corner."""

    @property
    def x(self) -> float: ...
    @property
    def y(self) -> float: ...
    @property
    def width(self) -> float: ...
    @property
    def height(self) -> float: ...


def mask_rectangles(image: Image.Image, rects: Iterable[Box]) -> Image.Image:
    """A copy of ``image`` with each rectangle (source-image pixels) filled black.

    Edges are rounded outwards so a mask never leaves a sliver of text at fractional bounds;
    rectangles are clipped to the image. A rectangle entirely outside the image is an error,
    since it would mask nothing the author meant to hide.
    """
    from PIL import ImageDraw

    masked = image.copy()
    draw = ImageDraw.Draw(masked)
    black = 0 if masked.mode in ("L", "1", "I", "F", "I;16") else (0,) * len(masked.getbands())
    for index, rect in enumerate(rects):
        left, top = max(0, math.floor(rect.x)), max(0, math.floor(rect.y))
        right = min(masked.width, math.ceil(rect.x + rect.width))
        bottom = min(masked.height, math.ceil(rect.y + rect.height))
        if rect.width <= 0 or rect.height <= 0 or right <= left or bottom <= top:
            raise InputError("the mask rectangle covers no pixel of the image",
                             field=f"mask[{index}]", value=(rect.x, rect.y, rect.width, rect.height),
                             hint="give x, y, width, height inside the "
                                  f"{masked.width}x{masked.height} image")
        # PIL's rectangle includes its end coordinates, so subtract one to stay exact.
        draw.rectangle((left, top, right - 1, bottom - 1), fill=black)
    return masked
