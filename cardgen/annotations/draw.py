"""Drawing shapes on answer images: outlines, arrows and points a learner can see on any screen."""

from __future__ import annotations

import functools
import math

from PIL import Image, ImageDraw, ImageFont

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape
from cardgen.resources import LABEL_FONT

# A saturated yellow with a dark outline reads on both black (CT air) and white (bone) pixels.
STROKE = (255, 212, 0)
OUTLINE = (0, 0, 0)


def draw_shapes(image: Image.Image, shapes: tuple[Shape, ...], *, scale: float = 1.0) -> Image.Image:
    """A copy of ``image`` (RGB) with the shapes drawn; shapes are in source pixels times ``scale``."""
    canvas = image.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    line = max(2, round(min(canvas.size) / 170))
    font = _font(max(12, round(min(canvas.size) / 28)))
    for shape in shapes:
        scaled = shape.scaled(scale)
        _draw_one(draw, scaled, line)
        if scaled.label and not undrawable(scaled.label):
            _draw_label(draw, scaled, font, canvas.size, line)
    return canvas


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    """The bundled label font (:data:`cardgen.resources.LABEL_FONT`) at ``size`` pixels, laid out
    by Pillow's own engine: the optional Raqm engine, where a machine has it, would place glyphs
    otherwise, and the same deck would differ from one machine to the next."""
    return ImageFont.truetype(str(LABEL_FONT), size, layout_engine=ImageFont.Layout.BASIC)


@functools.cache
def _glyph(character: str) -> tuple[tuple[int, int], bytes]:
    mask = _font(24).getmask(character)
    return mask.size, bytes(mask)


def undrawable(text: str) -> str:
    """The characters of ``text`` the label font has no glyph for, each once, in order ("" when it can
    draw all of them). Such a label is left off the image: drawn, those characters would be empty
    boxes; the card's text still shows it. A character without a glyph is drawn as the font's
    placeholder, which a private-use character outside the font gives."""
    missing = _glyph("\ue000")
    return "".join(dict.fromkeys(c for c in text if not c.isspace() and _glyph(c) == missing))


def _twice(draw_fn, line: int) -> None:
    """Draw a dark halo first, then the colour over it."""
    draw_fn(OUTLINE, line + 2)
    draw_fn(STROKE, line)


def _draw_one(draw: ImageDraw.ImageDraw, shape: Shape, line: int) -> None:
    if isinstance(shape, Rect):
        box = [shape.x, shape.y, shape.x + shape.width, shape.y + shape.height]
        _twice(lambda c, w: draw.rectangle(box, outline=c, width=w), line)
    elif isinstance(shape, Ellipse):
        box = [shape.x, shape.y, shape.x + shape.width, shape.y + shape.height]
        _twice(lambda c, w: draw.ellipse(box, outline=c, width=w), line)
    elif isinstance(shape, Polygon):
        points = list(shape.points) + [shape.points[0]]
        _twice(lambda c, w: draw.line(points, fill=c, width=w, joint="curve"), line)
    elif isinstance(shape, Arrow):
        head = _arrow_head(shape.start, shape.end, size=line * 5)
        _twice(lambda c, w: (draw.line([shape.start, shape.end], fill=c, width=w),
                             draw.polygon(head, fill=c, outline=c)), line)
    elif isinstance(shape, Point):
        x, y = shape.at
        r = _point_radius(line)
        _twice(lambda c, w: (draw.ellipse([x - r, y - r, x + r, y + r], outline=c, width=w),
                             draw.line([x - 2 * r, y, x - r, y], fill=c, width=w),
                             draw.line([x + r, y, x + 2 * r, y], fill=c, width=w),
                             draw.line([x, y - 2 * r, x, y - r], fill=c, width=w),
                             draw.line([x, y + r, x, y + 2 * r], fill=c, width=w)), line)


def _arrow_head(start: tuple[float, float], end: tuple[float, float], size: float) -> list[tuple[float, float]]:
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    spread = math.radians(25)
    left = (end[0] - size * math.cos(angle - spread), end[1] - size * math.sin(angle - spread))
    right = (end[0] - size * math.cos(angle + spread), end[1] - size * math.sin(angle + spread))
    return [end, left, right]


def _point_radius(line: int) -> int:
    """The ring's radius of a point's marker; its ticks reach twice as far."""
    return line * 3


def _draw_label(draw: ImageDraw.ImageDraw, shape: Shape, font, size: tuple[int, int], line: int) -> None:
    bounds = shape.bounds()
    if isinstance(shape, Point):
        # The marker, not the point: a label over the point covered its ring and ticks.
        reach = 2 * _point_radius(line) + line
        x, y = shape.at
        bounds = Rect(x - reach, y - reach, 2 * reach, 2 * reach).bounds()
    anchor_x = shape.start[0] if isinstance(shape, Arrow) else bounds.left
    anchor_y = shape.start[1] if isinstance(shape, Arrow) else bounds.top
    text = shape.label or ""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    width, height = right - left, bottom - top
    x = min(max(anchor_x, 2), size[0] - width - 2)
    y = anchor_y - height - 4
    if y < 2:  # no room above: beside the shape, on whichever side has room
        y = max(bounds.top, 2)
        x = bounds.right + 4 if bounds.right + 4 + width < size[0] else max(bounds.left - width - 4, 2)
    draw.text((x, y), text, font=font, fill=STROKE, stroke_width=2, stroke_fill=OUTLINE)
