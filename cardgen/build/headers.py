"""One reading of each DICOM file's header for the whole build: its image facts, its burned-in
text facts and its identifying values (for the self-audit), remembered in the build cache while
the file is unchanged.

The DICOM reader is imported on use: it brings numpy, Pillow and pydicom, which a rebuild with
every case cached never needs.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cardgen.build.cache import BuildCache
from cardgen.deid.burned_in import BurnedInFacts
from cardgen.deid.matcher import IdentifyingValue
from cardgen.deid.values import identifying_items, values_from_files
from cardgen.errors import InputError
from cardgen.imaging.registry import source_for
from cardgen.imaging.sources import ImageFacts
from cardgen.teaching.case import Case

# A DICOM file up to this size is read whole when its header is needed: the render reads it
# next, and reading the dataset again costs more than the pixel bytes (see read_dataset).
WHOLE_FILE_BYTES = 16 * 1024 * 1024


def image_facts(path: Path, cache: BuildCache | None) -> ImageFacts:
    """The size, frames and kind of the image file ``path`` (a DICOM file's from its header)."""
    from cardgen.imaging.dicom import DicomSource

    source = source_for(path)
    if isinstance(source, DicomSource):
        facts = header(path, cache)[0]
        if facts is not None:
            return facts
    return source.facts(path)  # a raster file, or a header without an image size (raises its error)


def header(path: Path, cache: BuildCache | None) -> tuple[ImageFacts | None, BurnedInFacts]:
    """The image facts (None when the header has no image size) and the burned-in-text facts of
    a DICOM file, from one reading of its header, remembered in the cache while the file is unchanged."""
    if cache is None:
        return _read_header(path, None)
    return cache.readings.of_file("header", path, partial(_read_header, cache=cache))


def _read_header(path: Path, cache: BuildCache | None) -> tuple[ImageFacts | None, BurnedInFacts]:
    from cardgen.imaging.dicom import DicomSource, read_dataset

    whole = path.stat().st_size <= WHOLE_FILE_BYTES
    ds = read_dataset(path, pixels=whole)
    try:
        facts: ImageFacts | None = DicomSource().facts_of(ds, path)
    except InputError:
        facts = None  # reported by image_facts if the file is used as an image
    if cache is not None and whole:
        # The self-audit's values of this file, from this reading (everything after the pixels too).
        items = identifying_items(ds, str(path))
        cache.readings.of_file("values", path, lambda _path: items)
    return facts, BurnedInFacts.from_dataset(ds)


def identity_sources(cases: list[Case]) -> list[Path]:
    """Every DICOM file and series folder the cases use: their identifying values must not reach the deck."""
    paths: list[Path] = []
    for case in cases:
        paths += [image.path for image in case.images if image.is_dicom]
        paths += [source.path for source in case.annotation_files]
    return paths


def identifying_values(sources: list[Path], cache: BuildCache | None) -> list[IdentifyingValue]:
    """The identifying values of the files and folders ``sources``, each file's from the cache
    when it holds them."""
    if cache is None:
        return values_from_files(sources)
    return [item for path in sources for item in cache.readings.identifying_values(path)]
