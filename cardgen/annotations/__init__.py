"""Annotations: the shape model (what a finding points at), the readers that fill it, and drawing."""

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape, ShapeKind

__all__ = ["Arrow", "Ellipse", "Point", "Polygon", "Rect", "Shape", "ShapeKind"]
