"""DICOM overlay planes (60xx groups, PS3.3 C.9.2) drawn onto a display image when a case asks.

Each plane is a bitmap: Overlay Rows/Columns (60xx,0010/0011), one bit per pixel in Overlay Data
(60xx,3000), little-endian bit order, placed at Overlay Origin (60xx,0050) (1-based row, column of
the image). Multi-frame overlays cover Number of Frames in Overlay (60xx,0015) image frames from
Image Frame Origin (60xx,0051) (1-based). Overlays embedded in unused pixel bits were retired from
the standard and are not read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cardgen.errors import InputError

OVERLAY_GROUPS = tuple(range(0x6000, 0x6020, 2))
WHITE = (255, 255, 255)


def overlay_groups(ds) -> tuple[int, ...]:
    """The overlay groups (0x6000, 0x6002, ...) that carry Overlay Data."""
    return tuple(group for group in OVERLAY_GROUPS if (group, 0x3000) in ds)


def overlay_mask(ds, group: int, frame: int, shape: tuple[int, int], *, path: Path | None = None) -> np.ndarray:
    """Where overlay ``group`` is set on image frame ``frame`` (0-based), as a bool array of ``shape``."""
    field = f"({group:04X},3000) Overlay Data"
    try:
        rows, cols = int(ds[group, 0x0010].value), int(ds[group, 0x0011].value)
        data = bytes(ds[group, 0x3000].value)
    except KeyError as error:
        raise InputError(f"overlay group {group:04X} is incomplete", file=path, field=field,
                         hint="the overlay needs Overlay Rows, Overlay Columns and Overlay Data") from error
    origin = ds.get((group, 0x0050))
    top, left = (int(origin.value[0]) - 1, int(origin.value[1]) - 1) if origin is not None else (0, 0)
    frames_element = ds.get((group, 0x0015))
    overlay_frames = int(frames_element.value) if frames_element is not None and frames_element.value else 1
    first_element = ds.get((group, 0x0051))
    first = int(first_element.value) - 1 if first_element is not None and first_element.value else 0
    mask = np.zeros(shape, dtype=bool)
    plane = frame - first
    if not 0 <= plane < overlay_frames:
        return mask  # this overlay does not cover this frame
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    size = rows * cols
    if bits.size < (plane + 1) * size:
        raise InputError(f"overlay data is shorter than {overlay_frames} plane(s) of {rows}x{cols}",
                         file=path, field=field, hint="the overlay is damaged; export the image again")
    bitmap = bits[plane * size:(plane + 1) * size].reshape(rows, cols).astype(bool)
    # Clip the plane to the image: an origin may be negative or the plane larger than the image.
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + rows, shape[0]), min(left + cols, shape[1])
    if r1 > r0 and c1 > c0:
        mask[r0:r1, c0:c1] = bitmap[r0 - top:r1 - top, c0 - left:c1 - left]
    return mask


def draw_overlays(image: Image.Image, ds, frame: int = 0, groups: tuple[int, ...] | None = None,
                  colour: tuple[int, int, int] = WHITE, *, path: Path | None = None) -> Image.Image:
    """A copy of ``image`` with overlay ``groups`` (default: all) of ``frame`` drawn in ``colour``."""
    chosen = overlay_groups(ds) if groups is None else groups
    missing = [g for g in chosen if (g, 0x3000) not in ds]
    if missing:
        raise InputError(f"the file has no overlay {missing[0]:04X}", file=path, field="overlays",
                         value=f"{missing[0]:04X}",
                         hint=f"overlays in this file: {', '.join(f'{g:04X}' for g in overlay_groups(ds)) or 'none'}")
    grey = colour[0] == colour[1] == colour[2]
    out = image.copy() if (image.mode == "RGB" or grey) else image.convert("RGB")
    pixels = np.array(out)
    shape = pixels.shape[:2]
    for group in chosen:
        mask = overlay_mask(ds, group, frame, shape, path=path)
        pixels[mask] = colour[0] if pixels.ndim == 2 else colour
    return Image.fromarray(pixels, mode=out.mode)
