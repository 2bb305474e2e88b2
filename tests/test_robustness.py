"""Faults and smaller robustness fixes of issue 18 that are not bad case files: photos' EXIF
orientation, interrupted and killed builds, full and read-only disks, damaged build caches.

The images come from the pydicom wheel (CT_small.dcm, see tests.sample_cases) or are made with Pillow.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cardgen.imaging.raster import RasterSource


def test_jpeg_exif_orientation_is_honoured(tmp_path: Path) -> None:
    """A photo stored 40 x 20 with EXIF Orientation 6 (viewers turn it 90 degrees clockwise) is the
    20 x 40 image a viewer shows: its stored left half (white) on top."""
    stored = Image.new("L", (40, 20), 0)
    stored.paste(255, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    path = tmp_path / "photo.jpg"
    stored.save(path, format="JPEG", exif=exif.tobytes(), quality=95)
    source = RasterSource()
    facts = source.facts(path)
    assert (facts.width, facts.height) == (20, 40)
    shown = source.read(path, None, None)
    assert shown.size == (20, 40)
    assert shown.getpixel((10, 5)) > 200 and shown.getpixel((10, 35)) < 50
