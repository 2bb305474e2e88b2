"""The image sources, registered in one place, and the one that reads a given file."""

from __future__ import annotations

from pathlib import Path

from cardgen.imaging.sources import ImageSource


def registered_sources() -> list[ImageSource]:
    """Every image source, in the order they are tried. Add a new source here."""
    # Imported here, not at the top: they load numpy and Pillow, which a build whose every case
    # is cached never needs (tests/test_speed_cache.py checks it).
    from cardgen.imaging.dicom import DicomSource
    from cardgen.imaging.raster import RasterSource

    return [RasterSource(), DicomSource()]


def source_for(path: Path) -> ImageSource:
    """The source that reads ``path``; DICOM is the fallback for files with other names."""
    sources = registered_sources()
    for source in sources:
        if source.accepts(path):
            return source
    return sources[-1]
