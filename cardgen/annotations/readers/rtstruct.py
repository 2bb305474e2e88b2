"""RT structure sets: contours in patient millimetres, projected onto one slice.

PS3.3 C.8.8.6 ROI Contour Module: each ROI Contour Sequence (3006,0039) item belongs to one ROI
(named in Structure Set ROI Sequence (3006,0020)) and holds contours (Contour Data (3006,0050),
x\\y\\z in mm of the frame of reference). A contour is on the case image when every point lies
within half the slice thickness of the image plane; it is then projected with the slice's Image
Position/Orientation (Patient) and Pixel Spacing. One ROI with contours on the slice becomes one
:class:`ReadAnnotation`, labelled with the ROI's name.
"""

from __future__ import annotations

import enum
from pathlib import Path

import numpy as np

from cardgen.annotations.readers.base import (
    ImageRef,
    ReadAnnotation,
    points_of,
    read_annotation_dataset,
)
from cardgen.annotations.shapes import Point, Polygon, Shape
from cardgen.errors import InputError

_RTSTRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"


class ContourType(str, enum.Enum):
    """Contour Geometric Type (3006,0042)."""

    POINT = "POINT"
    OPEN_PLANAR = "OPEN_PLANAR"
    OPEN_NONPLANAR = "OPEN_NONPLANAR"
    CLOSED_PLANAR = "CLOSED_PLANAR"


class RtstructReader:
    """Contours of an RT Structure Set on one slice."""

    name = "rtstruct"

    def accepts(self, ds) -> bool:
        return str(ds.get("SOPClassUID", "")) == _RTSTRUCT_CLASS or "ROIContourSequence" in ds

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        geometry = image.geometry
        if geometry is None:
            raise InputError("an RT structure set can only be placed on a DICOM slice with Image "
                             "Position (Patient), Image Orientation (Patient) and Pixel Spacing",
                             file=path, field="annotations",
                             hint="point the case image at the CT/MR slice the contours were drawn on")
        ds = read_annotation_dataset(path)
        _check_frame_of_reference(ds, geometry.frame_of_reference_uid, path)
        names = {int(roi.ROINumber): str(roi.get("ROIName", "") or "").strip() or None
                 for roi in ds.get("StructureSetROISequence") or [] if "ROINumber" in roi}
        half_slab = geometry.thickness / 2.0
        annotations: list[ReadAnnotation] = []
        for index, roi_contour in enumerate(ds.get("ROIContourSequence") or []):
            label = names.get(int(roi_contour.get("ReferencedROINumber", -1)))
            shapes: list[Shape] = []
            for c_index, contour in enumerate(roi_contour.get("ContourSequence") or []):
                tag = f"ROIContourSequence[{index}].ContourSequence[{c_index}]"
                points_mm = points_of(contour.get("ContourData"), path, f"{tag}.ContourData (3006,0050)", 3)
                pixels, distance = geometry.to_pixels(points_mm)
                if np.max(np.abs(distance)) > half_slab:
                    continue  # drawn on another slice
                kind = _contour_type(contour.get("ContourGeometricType"), path,
                                     f"{tag}.ContourGeometricType (3006,0042)")
                pairs = tuple((float(x), float(y)) for x, y in pixels)
                if kind is ContourType.POINT or len(pairs) < 3:
                    shapes.extend(Point(p, label=label) for p in pairs)
                else:
                    # Open contours too: the region they outline is what a learner should find.
                    shapes.append(Polygon(pairs, label=label))
            if shapes:
                # Matched by geometry, not by UID: the plane decides which slice a contour is on.
                annotations.append(ReadAnnotation(tuple(shapes), label=label, text=label, reader=self.name,
                                                  item=f"ROIContourSequence[{index}]"))
        return annotations


def _contour_type(value, path: Path, field: str) -> ContourType:
    text = str(value or "").strip().upper()
    try:
        return ContourType(text)
    except ValueError:
        raise InputError(f"contour type {text!r} is not supported", file=path, field=field, value=text,
                         hint="use POINT, OPEN_PLANAR, OPEN_NONPLANAR or CLOSED_PLANAR") from None


def _check_frame_of_reference(ds, image_frame_uid: str | None, path: Path) -> None:
    """Contours in another frame of reference would land in the wrong place: refuse them."""
    if not image_frame_uid:
        return
    structure_frames = {str(item.get("FrameOfReferenceUID", ""))
                        for item in ds.get("ReferencedFrameOfReferenceSequence") or []}
    structure_frames |= {str(roi.get("ReferencedFrameOfReferenceUID", ""))
                         for roi in ds.get("StructureSetROISequence") or []}
    structure_frames.discard("")
    if structure_frames and image_frame_uid not in structure_frames:
        # The UIDs themselves are identifiers: say that they differ, not what they are.
        raise InputError("the structure set was drawn in another frame of reference than the image",
                         file=path, field="ReferencedFrameOfReferenceSequence (3006,0010)",
                         hint="pair the structure set with a slice of the series it was drawn on")
