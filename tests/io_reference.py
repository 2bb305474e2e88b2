"""Image Occlusion clozes as Anki's own editor writes them, for tests to compare cardgen against.

A transcription of ankitects/anki ``ts/routes/image-occlusion/shapes/`` (``to-cloze.ts``,
``base.ts``, ``rectangle.ts``, ``ellipse.ts``, ``polygon.ts``, ``text.ts``, ``lib.ts``), written
without cardgen's code: the editor keeps shapes on a canvas the size of the image, in pixels, and
divides by the image's size when it saves (``toNormal``). Each shape's ``toDataForCloze`` gives its
properties in this order: ``left``, ``top`` (``angle`` only when not zero), then the kind's own
(``width``/``height``, ``rx``/``ry``, ``points``, or ``text``/``scale``/``fs``), then ``oi=1`` when
"hide all, guess one" is on; every entry ends with ``<br>``. A polygon's ``left``/``top`` is the
corner of its points' bounding box (fabric sets it so; the editor's 1 px stroke moves it by half a
canvas pixel, which is left out here) and its points keep their image fractions.

The mask geometry (``mask_pixels``) follows the reviewer's ``drawShape`` (``review.ts``): a
polygon is translated so that its points' bounding box starts at ``left``/``top``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


def float_to_display(number: float) -> str:
    """``floatToDisplay``: ``number.toFixed(4)`` with leading and trailing zeros removed; 0 -> .0000."""
    if math.isnan(number) or number == 0:
        return ".0000"
    fixed = f'{Decimal(number).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP):.4f}'  # toFixed(4)
    return fixed.lstrip("0").rstrip("0")


@dataclass(frozen=True)
class EditorRect:
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class EditorEllipse:
    """left/top: the corner of the ellipse's bounding box; the centre is (left + rx, top + ry)."""

    left: float
    top: float
    rx: float
    ry: float


@dataclass(frozen=True)
class EditorPolygon:
    points: tuple[tuple[float, float], ...]

    @property
    def left(self) -> float:
        return min(x for x, _ in self.points)

    @property
    def top(self) -> float:
        return min(y for _, y in self.points)


@dataclass(frozen=True)
class EditorText:
    left: float
    top: float
    text: str
    font_size: float  # pixels of the image


EditorShape = EditorRect | EditorEllipse | EditorPolygon | EditorText


def editor_cloze(findings: list[list[EditorShape]], width: float, height: float, *,
                 occlude_inactive: bool, texts: list[EditorText] = ()) -> str:
    """The Occlusion field the editor saves: finding ``i`` (from 0) is cloze ``c{i+1}``, texts are c0."""
    entries = []
    for ordinal, shapes in enumerate(findings, start=1):
        for shape in shapes:
            entries.append(_entry(ordinal, shape, width, height, occlude_inactive))
    for text in texts:
        entries.append(_entry(0, text, width, height, occlude_inactive))
    return "".join(entries)


def _entry(ordinal: int, shape: EditorShape, width: float, height: float, occlude_inactive: bool) -> str:
    data: list[tuple[str, str]] = [("left", float_to_display(shape.left / width)),
                                   ("top", float_to_display(shape.top / height))]
    if isinstance(shape, EditorRect):
        kind = "rect"
        data += [("width", float_to_display(shape.width / width)),
                 ("height", float_to_display(shape.height / height))]
    elif isinstance(shape, EditorEllipse):
        kind = "ellipse"
        data += [("rx", float_to_display(shape.rx / width)), ("ry", float_to_display(shape.ry / height))]
    elif isinstance(shape, EditorPolygon):
        kind = "polygon"
        data.append(("points", " ".join(f"{float_to_display(x / width)},{float_to_display(y / height)}"
                                        for x, y in shape.points)))
    else:
        kind = "text"
        # Text.toNormal divides the font size by the canvas height.
        data += [("text", shape.text), ("scale", float_to_display(1)),
                 ("fs", float_to_display(shape.font_size / height))]
    if occlude_inactive:
        data.append(("oi", "1"))
    text = "".join(f":{key}={value.replace(chr(92), chr(92) * 2).replace(':', chr(92) + ':')}"
                   for key, value in data)
    return f"{{{{c{ordinal}::image-occlusion:{kind}{text}}}}}<br>"


def parse_fraction(text: str) -> float:
    return float(text) if text not in ("", ".") else 0.0


def mask_geometry(kind: str, properties: dict[str, str], width: float, height: float):
    """Where the reviewer draws a stored shape, in pixels of a ``width`` x ``height`` canvas.

    Returns ("rect", (x0, y0, x1, y1)), ("ellipse", (cx, cy, rx, ry)) or ("polygon", [(x, y), ...]),
    following ``drawShape`` in review.ts (the reviewer rounds each value to whole canvas pixels).
    """
    def x(value: str) -> float:
        return round(parse_fraction(value) * width)

    def y(value: str) -> float:
        return round(parse_fraction(value) * height)

    left, top = x(properties.get("left", "0")), y(properties.get("top", "0"))
    if kind == "rect":
        return "rect", (left, top, left + x(properties["width"]), top + y(properties["height"]))
    if kind == "ellipse":
        rx, ry = x(properties["rx"]), y(properties["ry"])
        return "ellipse", (left + rx, top + ry, rx, ry)
    if kind == "polygon":
        points = [(x(px), y(py)) for px, py in (pair.split(",") for pair in properties["points"].split())]
        corner_x, corner_y = min(p[0] for p in points), min(p[1] for p in points)
        return "polygon", [(px - corner_x + left, py - corner_y + top) for px, py in points]
    raise ValueError(f"no mask geometry for {kind}")
