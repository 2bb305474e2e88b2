"""Shapes drawn on the answer images (cardgen.annotations.draw): what a learner sees of them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cardgen.annotations.draw import draw_shapes, undrawable
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


def test_labels_in_european_languages_are_drawn_not_boxed():
    """Pillow's default font drew ASCII and a few signs only: 'Läsion' came out 'L□sion', and so did
    é, ß, µ, ×, Greek and Cyrillic (found by a helper drawing labels from other tools' objects). The
    bundled DejaVu Sans draws them: each label differs from the same label with the font's
    placeholder box in place of its letters."""
    black = Image.new("RGB", (600, 360))
    for label, letters in (("Läsion 2", "ä"), ("Côte—épaule", "ôé"), ("Größe 3 µm × 2", "öß µ×"),
                           ("α-Wert", "α"), ("Опухоль", "Опухоль")):
        assert undrawable(label) == ""
        boxed = "".join("\ue000" if c in letters and not c.isspace() else c for c in label)
        drawn = np.asarray(draw_shapes(black, (Point((300.0, 180.0), label=label),)))
        placeholder = np.asarray(draw_shapes(black, (Point((300.0, 180.0), label=boxed),)))
        assert (drawn != placeholder).any(axis=2).sum() > 20, label


def test_a_label_the_font_cannot_draw_is_left_off_the_image():
    """A label in a script the bundled font lacks (CJK) would be drawn as boxes: it is left off the
    image (the card's text shows it), and the marker is drawn as without a label."""
    black = Image.new("RGB", (600, 360))
    assert undrawable("Läsion 2 — 肺 肺") == "肺"
    marker = np.asarray(draw_shapes(black, (Point((300.0, 180.0)),)))
    labelled = np.asarray(draw_shapes(black, (Point((300.0, 180.0), label="Läsion 2 — 肺"),)))
    assert (labelled == marker).all()
