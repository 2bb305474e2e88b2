"""Clipping shapes to their image: the part of a region that a learner can see.

Viewers let a reader draw past the image's edge (an ellipse around a lesion at the border, an
RT contour of the body outline on a cropped slice), so a region partly outside the image is
cut at the edge rather than refused. :func:`clipped` returns None only when nothing of the shape
lies on the image; the caller decides what that means (an error naming where it came from).
"""

from __future__ import annotations

import math
from dataclasses import replace

from cardgen.annotations.shapes import XY, Arrow, Ellipse, Point, Polygon, Rect, Shape

# An ellipse cut by the edge becomes a polygon along its outline with this many points (about
# 0.1 % of the radius between the outline and its chords).
_ELLIPSE_OUTLINE_POINTS = 72

# A clipped polygon thinner than this (in pixels squared) is a sliver along the edge: nothing left.
_MIN_AREA = 1e-6


def has_no_area(shape: Shape) -> bool:
    """A region (rectangle, ellipse, polygon) that encloses nothing: a side or an axis of 0, or points
    that coincide or lie on one line. As an outline it draws nothing; as an occlusion mask it hides
    nothing. Arrows and points are not regions."""
    if isinstance(shape, (Rect, Ellipse)):
        return shape.width * shape.height <= _MIN_AREA
    if isinstance(shape, Polygon):
        return len(shape.points) < 3 or abs(_area(shape.points)) <= _MIN_AREA
    return False


def clipped(shape: Shape, width: float, height: float) -> Shape | None:
    """The part of ``shape`` on a ``width`` x ``height`` image; None when nothing of it is on it."""
    if shape.bounds().within(width, height):
        return shape
    if isinstance(shape, Rect):
        left, top = max(shape.x, 0.0), max(shape.y, 0.0)
        right, bottom = min(shape.x + shape.width, width), min(shape.y + shape.height, height)
        if right <= left or bottom <= top:
            return None
        return replace(shape, x=left, y=top, width=right - left, height=bottom - top)
    if isinstance(shape, Ellipse):
        outline = ellipse_outline(shape.x + shape.width / 2, shape.y + shape.height / 2,
                                  shape.width / 2, shape.height / 2)
        return clipped(Polygon(outline, label=shape.label), width, height)
    if isinstance(shape, Polygon):
        on_image = replace(shape, points=clip_polygon(shape.points, width, height))
        return None if has_no_area(on_image) else on_image
    if isinstance(shape, Arrow):
        # The tip is what the arrow shows; an arrow pointing off the image shows nothing on it.
        if not _inside(shape.end, width, height):
            return None
        start = _clip_segment(shape.end, shape.start, width, height)
        return replace(shape, start=start)
    if isinstance(shape, Point):
        return shape if _inside(shape.at, width, height) else None
    raise TypeError(f"unknown shape {shape!r}")


def ellipse_outline(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0,
                    count: int = _ELLIPSE_OUTLINE_POINTS) -> tuple[XY, ...]:
    """Points along an ellipse (centre, semi-axes, rotation of the first axis in radians)."""
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    outline = []
    for step in range(count):
        t = 2 * math.pi * step / count
        u, v = rx * math.cos(t), ry * math.sin(t)
        outline.append((cx + u * cos_a - v * sin_a, cy + u * sin_a + v * cos_a))
    return tuple(outline)


def clip_polygon(points: tuple[XY, ...], width: float, height: float) -> tuple[XY, ...]:
    """Sutherland-Hodgman: the polygon cut by each of the image's four edges in turn."""
    edges = (
        (lambda p: p[0] >= 0.0, lambda a, b: _at_x(a, b, 0.0)),
        (lambda p: p[0] <= width, lambda a, b: _at_x(a, b, width)),
        (lambda p: p[1] >= 0.0, lambda a, b: _at_y(a, b, 0.0)),
        (lambda p: p[1] <= height, lambda a, b: _at_y(a, b, height)),
    )
    result = list(points)
    for inside, crossing in edges:
        if not result:
            break
        source, result = result, []
        previous = source[-1]
        for current in source:
            if inside(current):
                if not inside(previous):
                    result.append(crossing(previous, current))
                result.append(current)
            elif inside(previous):
                result.append(crossing(previous, current))
            previous = current
    # Cutting can repeat a corner; a repeated point adds nothing to the region.
    unique: list[XY] = []
    for point in result:
        if not unique or _distinct(point, unique[-1]):
            unique.append(point)
    if len(unique) > 1 and not _distinct(unique[0], unique[-1]):
        unique.pop()
    return tuple((float(x), float(y)) for x, y in unique)


def _at_x(a: XY, b: XY, x: float) -> XY:
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _at_y(a: XY, b: XY, y: float) -> XY:
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def _clip_segment(inside_point: XY, other: XY, width: float, height: float) -> XY:
    """The point where the segment from ``inside_point`` towards ``other`` leaves the image."""
    if _inside(other, width, height):
        return other
    (x0, y0), (x1, y1) = inside_point, other
    dx, dy = x1 - x0, y1 - y0
    t = 1.0
    for delta, start, low, high in ((dx, x0, 0.0, width), (dy, y0, 0.0, height)):
        if delta > 0:
            t = min(t, (high - start) / delta)
        elif delta < 0:
            t = min(t, (low - start) / delta)
    return (x0 + t * dx, y0 + t * dy)


def _inside(point: XY, width: float, height: float) -> bool:
    return 0.0 <= point[0] <= width and 0.0 <= point[1] <= height


def _distinct(a: XY, b: XY) -> bool:
    return abs(a[0] - b[0]) > 1e-9 or abs(a[1] - b[1]) > 1e-9


def _area(points: tuple[XY, ...]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))
