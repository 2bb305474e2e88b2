"""Outlines of segmentation masks (cardgen.annotations.outline): exact for straight edges, within
the stated tolerance for curved ones."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from cardgen.annotations.outline import TOLERANCE, mask_outlines


def _mask(rows: int, columns: int, *boxes) -> np.ndarray:
    mask = np.zeros((rows, columns), dtype=bool)
    for top, left, bottom, right in boxes:
        mask[top:bottom, left:right] = True
    return mask


def test_a_rectangle_is_its_four_corners():
    assert mask_outlines(_mask(10, 12, (2, 3, 5, 8))) == [((3, 2), (8, 2), (8, 5), (3, 5))]


def test_regions_touching_at_a_corner_are_separate_and_holes_are_covered():
    diagonal = _mask(6, 6, (1, 1, 2, 2), (2, 2, 3, 3))
    assert mask_outlines(diagonal) == [((1, 1), (2, 1), (2, 2), (1, 2)), ((2, 2), (3, 2), (3, 3), (2, 3))]
    ring = _mask(7, 7, (1, 1, 6, 6))
    ring[3, 3] = False
    assert mask_outlines(ring) == [((1, 1), (6, 1), (6, 6), (1, 6))]


def test_a_disk_is_thinned_within_the_tolerance_and_keeps_its_pixels():
    yy, xx = np.mgrid[:200, :200]
    disk = (xx + 0.5 - 100) ** 2 + (yy + 0.5 - 100) ** 2 < 80 ** 2
    [outline] = mask_outlines(disk)
    assert len(outline) < disk.sum() ** 0.5 * 4  # far fewer points than boundary pixel edges
    # Rasterised at 4x, the outline covers the same pixels as the mask except along its edge.
    canvas = Image.new("1", (800, 800))
    ImageDraw.Draw(canvas).polygon([(x * 4, y * 4) for x, y in outline], fill=1)
    drawn = np.asarray(canvas.resize((200, 200), Image.Resampling.BOX).convert("L")) >= 128
    differing = drawn != disk
    assert differing.sum() <= 0.05 * disk.sum()
    edge = disk ^ np.pad(disk, 1)[2:, 1:-1] | disk ^ np.pad(disk, 1)[1:-1, 2:]
    assert not (differing & ~(edge | np.roll(edge, 1, 0) | np.roll(edge, 1, 1))).any()
    assert TOLERANCE < 0.5
