"""Clipping shapes to their image (cardgen.annotations.clip): a table of shapes and what is left."""

from __future__ import annotations

import pytest

from cardgen.annotations.clip import clip_polygon, clipped
from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect

W, H = 100.0, 50.0


@pytest.mark.parametrize("shape", [
    Rect(0, 0, 100, 50), Ellipse(10, 10, 20, 20), Polygon(((0, 0), (100, 0), (50, 50))),
    Arrow((0, 0), (100, 50)), Point((100, 50)),
])
def test_shapes_on_the_image_are_kept_as_they_are(shape):
    assert clipped(shape, W, H) is shape


@pytest.mark.parametrize("shape", [
    Rect(100, 0, 10, 10), Rect(-20, -20, 20, 10), Ellipse(101, 0, 10, 10), Polygon(((0, -1), (10, -1), (5, -9))),
    Arrow((50, 25), (150, 25)), Point((-0.5, 3)),
])
def test_shapes_with_nothing_on_the_image_are_none(shape):
    assert clipped(shape, W, H) is None


def test_a_rect_is_cut_at_the_edges():
    assert clipped(Rect(-10, 40, 30, 20, label="x"), W, H) == Rect(0, 40, 20, 10, label="x")


def test_a_polygon_is_cut_at_the_edges():
    # A triangle whose tip pokes out of the right edge: the tip becomes the edge segment.
    points = clip_polygon(((80, 10), (120, 20), (80, 30)), W, H)
    assert [v for p in sorted(points) for v in p] == pytest.approx([80, 10, 80, 30, 100, 15, 100, 25])


def test_an_ellipse_over_the_edge_becomes_a_polygon_inside():
    shape = clipped(Ellipse(80, 10, 40, 30, label="L"), W, H)
    assert isinstance(shape, Polygon) and shape.label == "L"
    bounds = shape.bounds()
    assert bounds.right == pytest.approx(100) and bounds.left == pytest.approx(80, abs=1e-6)
    assert bounds.top == pytest.approx(10, abs=0.02) and bounds.bottom == pytest.approx(40, abs=0.02)


def test_an_arrow_keeps_its_tip_and_is_cut_where_it_enters():
    shape = clipped(Arrow((-50, 25), (50, 25)), W, H)
    assert shape == Arrow((0, 25), (50, 25))
