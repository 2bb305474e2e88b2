"""Shapes drawn on the answer images (cardgen.annotations.draw): what a learner sees of them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cardgen.annotations.draw import draw_shapes
from cardgen.annotations.shapes import Point


@pytest.mark.parametrize("at", [(300.0, 180.0), (300.0, 10.0), (590.0, 350.0)])
def test_a_points_label_leaves_its_marker_whole(at):
    """The label sat at the point itself, 4 px above it, and covered the ring's top and right ticks
    (found by a helper comparing answer images with their sources). Near an edge too."""
    black = Image.new("RGB", (600, 360))
    marker = np.asarray(draw_shapes(black, (Point(at),)))
    labelled = np.asarray(draw_shapes(black, (Point(at, label="Nodule"),)))
    drawn = marker.any(axis=2)
    assert drawn.sum() > 50  # the ring and its ticks
    assert (labelled[drawn] == marker[drawn]).all()
    assert (labelled.any(axis=2) & ~drawn).sum() > 50  # and the label beside it
