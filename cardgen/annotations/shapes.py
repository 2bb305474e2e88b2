"""The shape model: regions and marks on an image, in the image's own pixels.

Coordinates are in pixels of the source image (the DICOM frame's columns and rows, or the
raster's width and height), origin at the top-left corner, x to the right, y down. Every
reader of annotations (the case's YAML, GSPS, SR, RTSTRUCT, overlays) produces these shapes,
and everything downstream (drawing, image occlusion) consumes only these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Union

XY = tuple[float, float]


class ShapeKind(str, enum.Enum):
    """The kinds of shape a case may name."""

    RECT = "rect"
    ELLIPSE = "ellipse"
    POLYGON = "polygon"
    ARROW = "arrow"
    POINT = "point"


@dataclass(frozen=True)
class Bounds:
    """An axis-aligned box: left, top, right, bottom in pixels."""

    left: float
    top: float
    right: float
    bottom: float

    def within(self, width: float, height: float) -> bool:
        """True when the box lies inside an image of this size (edges included)."""
        return self.left >= 0 and self.top >= 0 and self.right <= width and self.bottom <= height


@dataclass(frozen=True)
class Rect:
    """A rectangle; (x, y) is its top-left corner."""

    x: float
    y: float
    width: float
    height: float
    label: str | None = None
    kind: ShapeKind = ShapeKind.RECT

    def bounds(self) -> Bounds:
        return Bounds(self.x, self.y, self.x + self.width, self.y + self.height)

    def scaled(self, factor: float) -> "Rect":
        return replace(self, x=self.x * factor, y=self.y * factor,
                       width=self.width * factor, height=self.height * factor)


@dataclass(frozen=True)
class Ellipse:
    """An ellipse given by its bounding box; (x, y) is the box's top-left corner."""

    x: float
    y: float
    width: float
    height: float
    label: str | None = None
    kind: ShapeKind = ShapeKind.ELLIPSE

    def bounds(self) -> Bounds:
        return Bounds(self.x, self.y, self.x + self.width, self.y + self.height)

    def scaled(self, factor: float) -> "Ellipse":
        return replace(self, x=self.x * factor, y=self.y * factor,
                       width=self.width * factor, height=self.height * factor)


@dataclass(frozen=True)
class Polygon:
    """A closed polygon through its points (at least three)."""

    points: tuple[XY, ...]
    label: str | None = None
    kind: ShapeKind = ShapeKind.POLYGON

    def bounds(self) -> Bounds:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return Bounds(min(xs), min(ys), max(xs), max(ys))

    def scaled(self, factor: float) -> "Polygon":
        return replace(self, points=tuple((x * factor, y * factor) for x, y in self.points))


@dataclass(frozen=True)
class Arrow:
    """An arrow drawn from ``start`` with its head at ``end`` (the tip points at the finding)."""

    start: XY
    end: XY
    label: str | None = None
    kind: ShapeKind = ShapeKind.ARROW

    def bounds(self) -> Bounds:
        return Bounds(min(self.start[0], self.end[0]), min(self.start[1], self.end[1]),
                      max(self.start[0], self.end[0]), max(self.start[1], self.end[1]))

    def scaled(self, factor: float) -> "Arrow":
        return replace(self, start=(self.start[0] * factor, self.start[1] * factor),
                       end=(self.end[0] * factor, self.end[1] * factor))

    @property
    def tip(self) -> XY:
        return self.end


@dataclass(frozen=True)
class Point:
    """A single point of interest."""

    at: XY
    label: str | None = None
    kind: ShapeKind = ShapeKind.POINT

    def bounds(self) -> Bounds:
        return Bounds(self.at[0], self.at[1], self.at[0], self.at[1])

    def scaled(self, factor: float) -> "Point":
        return replace(self, at=(self.at[0] * factor, self.at[1] * factor))

    @property
    def tip(self) -> XY:
        return self.at


Shape = Union[Rect, Ellipse, Polygon, Arrow, Point]


def as_written(shape: Shape) -> dict[str, object]:
    """A shape the way a case.yaml writes it (``{kind: rect, x: 120, y: 80, width: 40, height: 30}``),
    for messages: the author recognises what they typed."""
    def number(value: float) -> float | int:
        return int(value) if float(value).is_integer() else round(value, 2)

    def point(xy: XY) -> list[float | int]:
        return [number(xy[0]), number(xy[1])]

    written: dict[str, object] = {"kind": shape.kind.value}
    if isinstance(shape, (Rect, Ellipse)):
        written.update(x=number(shape.x), y=number(shape.y), width=number(shape.width), height=number(shape.height))
    elif isinstance(shape, Polygon):
        written["points"] = [point(p) for p in shape.points]
    elif isinstance(shape, Arrow):
        written.update({"from": point(shape.start), "to": point(shape.end)})
    else:
        written["at"] = point(shape.at)
    if shape.label:
        written["label"] = shape.label
    return written


def overhang(bounds: Bounds, width: float, height: float) -> str:
    """Where a box lies off an image of ``width`` x ``height`` pixels, in words."""
    parts = []
    if bounds.right < 0:
        parts.append(f"it lies left of the image (x {bounds.left:g} to {bounds.right:g})")
    elif bounds.left < 0:
        parts.append(f"its left edge is at x {bounds.left:g}, left of the image")
    if bounds.bottom < 0:
        parts.append(f"it lies above the image (y {bounds.top:g} to {bounds.bottom:g})")
    elif bounds.top < 0:
        parts.append(f"its top edge is at y {bounds.top:g}, above the image")
    if bounds.left > width:
        parts.append(f"it lies right of the image (x {bounds.left:g} to {bounds.right:g}; the image ends at x {width:g})")
    elif bounds.right > width:
        parts.append(f"it reaches x {bounds.right:g}, past the right edge (x {width:g})")
    if bounds.top > height:
        parts.append(f"it lies below the image (y {bounds.top:g} to {bounds.bottom:g}; the image ends at y {height:g})")
    elif bounds.bottom > height:
        parts.append(f"it reaches y {bounds.bottom:g}, below the bottom edge (y {height:g})")
    return "; ".join(parts)
