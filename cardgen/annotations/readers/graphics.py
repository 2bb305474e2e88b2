"""DICOM 2D graphic types (shared by GSPS and SR SCOORD) turned into shapes of the shape model.

Both GSPS Graphic Objects (PS3.3 C.10.5) and SR spatial coordinates (PS3.3 C.18.6) give points as
(column, row) pairs in image-relative pixels, with 0\\0 the top-left corner of the top-left pixel:
the shape model's coordinates, so points pass through unchanged.
"""

from __future__ import annotations

import enum
import math
from pathlib import Path

import numpy as np

from cardgen.annotations.clip import ellipse_outline
from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Shape
from cardgen.errors import InputError

# An ellipse whose major axis is within this angle of the image axes is kept as an axis-aligned
# Ellipse; a more tilted one becomes a polygon (the shape model has no rotated ellipse).
_AXIS_ALIGNED_DEGREES = 1.0
_ELLIPSE_POLYGON_POINTS = 36


class GraphicType(str, enum.Enum):
    """DICOM Graphic Type values (GSPS (0070,0023) and SR Graphic Type (0070,0023))."""

    POINT = "POINT"
    MULTIPOINT = "MULTIPOINT"
    POLYLINE = "POLYLINE"
    INTERPOLATED = "INTERPOLATED"
    CIRCLE = "CIRCLE"
    ELLIPSE = "ELLIPSE"


def graphic_type(value: object, path: Path, tag: str) -> GraphicType:
    """The graphic type a file names; anything else is an InputError naming the tag."""
    text = str(getattr(value, "value", value) or "").strip().upper()
    try:
        return GraphicType(text)
    except ValueError:
        raise InputError(f"graphic type {text!r} is not supported", file=path, field=tag, value=text,
                         hint="use POINT, MULTIPOINT, POLYLINE, INTERPOLATED, CIRCLE or ELLIPSE") from None


def shapes_for_graphic(kind: GraphicType, points: np.ndarray, path: Path, tag: str,
                       label: str | None = None) -> list[Shape]:
    """Shapes for one graphic: points in image pixels, shape (N, 2)."""
    pairs = [(float(x), float(y)) for x, y in points]
    if kind in (GraphicType.POINT, GraphicType.MULTIPOINT):
        return [Point(p, label=label) for p in pairs]
    if kind in (GraphicType.POLYLINE, GraphicType.INTERPOLATED):
        if len(pairs) > 2 and pairs[0] == pairs[-1]:
            pairs = pairs[:-1]  # a closed outline repeats its first point
        if len(pairs) == 2:
            # A two-point line is how viewers store pointers and distance lines: the second point
            # is where it points.
            return [Arrow(pairs[0], pairs[1], label=label)]
        if len(pairs) >= 3:
            return [Polygon(tuple(pairs), label=label)]
        return [Point(pairs[0], label=label)]
    if kind is GraphicType.CIRCLE:
        _need(pairs, 2, kind, path, tag)
        (cx, cy), (px, py) = pairs[:2]
        radius = math.hypot(px - cx, py - cy)
        return [Ellipse(cx - radius, cy - radius, 2 * radius, 2 * radius, label=label)]
    _need(pairs, 4, kind, path, tag)
    return [_ellipse(pairs[:4], label)]


def _ellipse(pairs: list[tuple[float, float]], label: str | None) -> Shape:
    """ELLIPSE: the end points of the major axis, then those of the minor axis."""
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = pairs
    return ellipse_from_axes(((x1 + x2) / 2, (y1 + y2) / 2), math.hypot(x2 - x1, y2 - y1) / 2,
                             math.hypot(x4 - x3, y4 - y3) / 2, math.atan2(y2 - y1, x2 - x1), label)


def ellipse_from_axes(centre: tuple[float, float], major: float, minor: float, angle: float,
                      label: str | None = None) -> Shape:
    """An ellipse from its centre, semi-axes and the angle of its first axis (radians): an
    :class:`Ellipse` when that axis is along the image axes, else a polygon on its outline."""
    cx, cy = centre
    tilt = math.degrees(angle) % 90.0
    if min(tilt, 90.0 - tilt) <= _AXIS_ALIGNED_DEGREES:
        horizontal = abs(math.cos(angle)) >= abs(math.sin(angle))
        rx, ry = (major, minor) if horizontal else (minor, major)
        return Ellipse(cx - rx, cy - ry, 2 * rx, 2 * ry, label=label)
    return Polygon(ellipse_outline(cx, cy, major, minor, angle, count=_ELLIPSE_POLYGON_POINTS), label=label)


def _need(pairs: list, count: int, kind: GraphicType, path: Path, tag: str) -> None:
    if len(pairs) < count:
        raise InputError(f"a {kind.value} needs {count} points, got {len(pairs)}", file=path,
                         field=tag, value=pairs, hint="the annotation object is damaged; export it again")
