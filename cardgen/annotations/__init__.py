"""Annotations: the shape model (what a finding points at) and the readers that fill it."""

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape, ShapeKind

__all__ = ["Arrow", "Ellipse", "Point", "Polygon", "Rect", "Shape", "ShapeKind"]
