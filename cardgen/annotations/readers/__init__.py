"""Readers of annotations already stored in DICOM, registered in one place.

A case may point at annotation files (``annotations: [{file: measurements.dcm}]``);
:func:`read_annotations` picks the reader that understands the file and returns its annotations
that fall on the case image, as shapes of the shape model in that image's pixels.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.annotations.readers.base import (
    AnnotationReader,
    ImageRef,
    ReadAnnotation,
    SliceGeometry,
    read_annotation_dataset,
)
from cardgen.annotations.readers.gsps import GspsReader
from cardgen.annotations.readers.overlay import OverlayReader
from cardgen.annotations.readers.rtstruct import RtstructReader
from cardgen.annotations.readers.seg import SegReader
from cardgen.annotations.readers.sr import SrReader
from cardgen.errors import InputError

__all__ = ["AnnotationReader", "ImageRef", "ReadAnnotation", "SliceGeometry",
           "read_annotations", "reader_for", "registered_readers"]


def registered_readers() -> list[AnnotationReader]:
    """Every annotation reader, in the order they are tried. Add a new reader here."""
    # Overlays last: an image's own overlay planes (a presentation state's are read with its graphics).
    return [GspsReader(), SrReader(), SegReader(), RtstructReader(), OverlayReader()]


def reader_for(path: Path) -> AnnotationReader:
    """The reader that understands the DICOM file at ``path``; an InputError when none does."""
    ds = read_annotation_dataset(Path(path))
    readers = registered_readers()
    for reader in readers:
        if reader.accepts(ds):
            return reader
    sop_class = ds.get("SOPClassUID")
    name = getattr(sop_class, "name", None) or str(sop_class or "none")
    raise InputError(f"no annotation reader understands this file (SOP Class {name})", file=path,
                     field="(0008,0016) SOP Class UID",
                     hint="give a presentation state (GSPS), a TID 1500 measurement report (SR), "
                          "a segmentation (SEG), an RT structure set or an image with overlays; readers: "
                          + ", ".join(r.name for r in readers))


def read_annotations(path: Path, image: ImageRef) -> list[ReadAnnotation]:
    """The annotations in the file at ``path`` that belong on ``image``, in its pixels."""
    path = Path(path)
    annotations = reader_for(path).read(path, image)
    return [annotation for annotation in annotations if annotation.applies_to(image)]
