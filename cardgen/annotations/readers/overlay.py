"""Overlay planes (60xx,3000): legacy 1-bit bitmaps drawn over an image.

PS3.3 C.9.2 Overlay Plane Module. Each overlay group becomes one :class:`ReadAnnotation` whose
shapes are the bounding rectangles of the bitmap's connected regions (8-connected), placed with
Overlay Origin (60xx,0050), which counts rows and columns from 1. A bitmap carries no words a
card may use: the case names the finding.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from cardgen.annotations.readers.base import ImageRef, ReadAnnotation, read_annotation_dataset
from cardgen.annotations.shapes import Rect
from cardgen.errors import InputError

# Overlay groups are the even groups 6000..601E (PS3.5 7.6).
OVERLAY_GROUPS = tuple(range(0x6000, 0x6020, 2))

# Regions smaller than this many set pixels are specks (noise, or dots of burned text): skipped.
_MIN_REGION_PIXELS = 4


class OverlayReader:
    """Overlay bitmaps of a DICOM image (or of a presentation state that carries them)."""

    name = "overlay"

    def accepts(self, ds) -> bool:
        return any((group, 0x3000) in ds for group in OVERLAY_GROUPS)

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        ds = read_annotation_dataset(path)
        return overlay_annotations(ds, path, image, str(ds.get("SOPInstanceUID", "")) or None)


def overlay_annotations(ds, path: Path, image: ImageRef, referenced_uid: str | None) -> list[ReadAnnotation]:
    """One annotation per overlay plane of ``ds`` with regions on ``image``'s frame, belonging on the
    image ``referenced_uid`` (None: any): the image's own UID for an image's overlays, the image a
    presentation state applies to for the state's."""
    annotations: list[ReadAnnotation] = []
    for group in OVERLAY_GROUPS:
        if (group, 0x3000) not in ds:
            continue
        field = f"({group:04X},3000) Overlay Data"
        try:
            bitmap = np.asarray(ds.overlay_array(group), dtype=bool)
        except (ValueError, AttributeError, KeyError) as error:
            raise InputError(f"cannot unpack the overlay: {error}", file=path, field=field,
                             hint="the overlay is damaged; export the image again") from error
        if bitmap.ndim == 3:
            # A multi-frame overlay: its frames start at Image Frame Origin (60xx,0051), from 1.
            first = int(ds[group, 0x0051].value) - 1 if (group, 0x0051) in ds else 0
            index = (image.frame or 0) - first
            if not 0 <= index < len(bitmap):
                continue  # this overlay does not cover the case's frame
            bitmap = bitmap[index]
        origin = ds.get((group, 0x0050))
        row_origin, column_origin = (int(origin.value[0]), int(origin.value[1])) if origin else (1, 1)
        # Overlay Description and Label are free text typed at the modality and may name the
        # patient, so they never become a label: the case gives the words.
        shapes = tuple(
            Rect(float(left + column_origin - 1), float(top + row_origin - 1),
                 float(right - left + 1), float(bottom - top + 1))
            for top, left, bottom, right in connected_boxes(bitmap)
        )
        if shapes:
            annotations.append(ReadAnnotation(shapes, label=None, text=None, referenced_sop_instance_uid=referenced_uid,
                                              reader="overlay", item=field))
    return annotations


def connected_boxes(bitmap: np.ndarray, min_pixels: int = _MIN_REGION_PIXELS) -> list[tuple[int, int, int, int]]:
    """(top, left, bottom, right), inclusive, of each 8-connected region, in reading order."""
    seen = np.zeros_like(bitmap, dtype=bool)
    rows, columns = bitmap.shape
    boxes = []
    for start_row, start_column in zip(*np.nonzero(bitmap)):
        if seen[start_row, start_column]:
            continue
        seen[start_row, start_column] = True
        queue = deque([(int(start_row), int(start_column))])
        top, left, bottom, right, count = int(start_row), int(start_column), int(start_row), int(start_column), 0
        while queue:
            row, column = queue.popleft()
            count += 1
            top, bottom = min(top, row), max(bottom, row)
            left, right = min(left, column), max(right, column)
            for d_row in (-1, 0, 1):
                for d_column in (-1, 0, 1):
                    r, c = row + d_row, column + d_column
                    if 0 <= r < rows and 0 <= c < columns and bitmap[r, c] and not seen[r, c]:
                        seen[r, c] = True
                        queue.append((r, c))
        if count >= min_pixels:
            boxes.append((top, left, bottom, right))
    return boxes

