"""The one interface every reader of annotations stored in DICOM shares, and what it returns.

A reader turns an annotation file (GSPS, SR, RTSTRUCT, an image carrying overlays) into
:class:`ReadAnnotation` values: shapes of the shape model, in pixels of one case image (origin at
the top-left corner of the top-left pixel, as DICOM's image-relative coordinates), with the
annotation's label or text. The referenced SOP Instance UID and frame are kept only to match an
annotation to its case image; they are never written to a card.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from cardgen.annotations.shapes import Shape
from cardgen.errors import InputError
from cardgen.imaging.dicom import read_dataset
from cardgen.imaging.elements import element_values, fixed_numbers


@dataclass(frozen=True)
class SliceGeometry:
    """Where an image's pixels lie in the patient (DICOM PS3.3 C.7.6.2), for projecting contours.

    ``position`` is Image Position (Patient), the centre of the first pixel in mm;
    ``row_direction`` the direction of increasing column index (first three values of Image
    Orientation (Patient)), ``column_direction`` that of increasing row index (last three);
    ``row_spacing`` and ``column_spacing`` are Pixel Spacing's two values (distance between rows,
    then between columns); ``thickness`` the slab a contour must lie in to count as on this slice.
    """

    position: tuple[float, float, float]
    row_direction: tuple[float, float, float]
    column_direction: tuple[float, float, float]
    row_spacing: float
    column_spacing: float
    thickness: float
    frame_of_reference_uid: str | None = None

    @property
    def normal(self) -> np.ndarray:
        return np.cross(np.asarray(self.row_direction), np.asarray(self.column_direction))

    def to_pixels(self, points_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project (N, 3) patient points: (N, 2) pixel (x, y) and each point's distance to the plane.

        A pixel centre lies at index + 0.5 in the shape model's corner-origin coordinates.
        """
        offset = np.asarray(points_mm, dtype=np.float64) - np.asarray(self.position)
        column_index = offset @ np.asarray(self.row_direction) / self.column_spacing
        row_index = offset @ np.asarray(self.column_direction) / self.row_spacing
        distance = offset @ self.normal
        return np.stack([column_index + 0.5, row_index + 0.5], axis=1), distance

    @classmethod
    def from_dataset(cls, ds, frame: int | None = None) -> "SliceGeometry | None":
        """The geometry of a CT/MR/PET slice (or one frame of an enhanced multi-frame image).

        None when the dataset lacks position, orientation or spacing (a radiograph, a screenshot).
        """
        position = ds.get("ImagePositionPatient")
        orientation = ds.get("ImageOrientationPatient")
        spacing = ds.get("PixelSpacing")
        thickness = ds.get("SliceThickness") or ds.get("SpacingBetweenSlices")
        # Enhanced multi-frame images keep these per frame, or shared, in functional groups.
        groups = []
        per_frame = ds.get("PerFrameFunctionalGroupsSequence")
        if per_frame is not None and len(per_frame) > (frame or 0):
            groups.append(per_frame[frame or 0])
        shared = ds.get("SharedFunctionalGroupsSequence")
        if shared:
            groups.append(shared[0])
        for group in groups:
            if position is None and "PlanePositionSequence" in group:
                position = group.PlanePositionSequence[0].get("ImagePositionPatient")
            if orientation is None and "PlaneOrientationSequence" in group:
                orientation = group.PlaneOrientationSequence[0].get("ImageOrientationPatient")
            if "PixelMeasuresSequence" in group:
                measures = group.PixelMeasuresSequence[0]
                spacing = spacing or measures.get("PixelSpacing")
                thickness = thickness or measures.get("SliceThickness")
        position, orientation, spacing = (fixed_numbers(position, 3), fixed_numbers(orientation, 6),
                                          fixed_numbers(spacing, 2))
        if position is None or orientation is None or spacing is None:
            return None  # absent, or written with another number of values: no geometry
        if min(spacing) <= 0 or not any(orientation[:3]) or not any(orientation[3:]):
            return None  # a spacing of 0 or a direction of length 0 (anonymisers write zeros): none either
        row = _unit(list(orientation[:3]))
        column = _unit(list(orientation[3:]))
        # Without a thickness, accept contours within half a millimetre: RT planning contours lie
        # exactly on slice positions, so this only guards against rounding.
        slab = (fixed_numbers(thickness, 1) or (1.0,))[0] if thickness else 1.0
        uid = ds.get("FrameOfReferenceUID")
        return cls(
            position=position,
            row_direction=row,
            column_direction=column,
            row_spacing=spacing[0],
            column_spacing=spacing[1],
            thickness=slab,
            frame_of_reference_uid=str(uid) if uid else None,
        )


@dataclass(frozen=True)
class ImageRef:
    """The case image annotations are read for: its size, identity (for matching) and geometry.

    ``frame`` counts from 0, as a case's ``frame`` does (DICOM's Referenced Frame Number counts
    from 1; readers convert).
    """

    width: int
    height: int
    sop_instance_uid: str | None = None
    frame: int | None = None
    geometry: SliceGeometry | None = None

    @classmethod
    def from_dataset(cls, ds, frame: int | None = None) -> "ImageRef":
        """The reference for a DICOM image dataset (pixel data not needed).

        ``frame`` None means the frame a case shows without ``frame:``, the first: annotations
        that reference another frame of a multi-frame image then do not belong on it.
        """
        frame = 0 if frame is None else frame
        uid = ds.get("SOPInstanceUID")
        return cls(
            width=int(ds.get("Columns", 0) or 0),
            height=int(ds.get("Rows", 0) or 0),
            sop_instance_uid=str(uid) if uid else None,
            frame=frame,
            geometry=SliceGeometry.from_dataset(ds, frame),
        )

    @classmethod
    def from_file(cls, path: Path, frame: int | None = None) -> "ImageRef":
        """The reference for a DICOM image file (the header only is read)."""
        return cls.from_dataset(read_dataset(Path(path), pixels=False), frame)


@dataclass(frozen=True)
class ReadAnnotation:
    """One annotation read from a DICOM object: its shapes in the image's pixels and its words."""

    shapes: tuple[Shape, ...]
    label: str | None = None
    text: str | None = None
    referenced_sop_instance_uid: str | None = None  # matching only: never reaches a card
    referenced_frame: int | None = None  # from 0
    reader: str = ""
    tracking_id: str | None = None  # a Tracking Identifier, for choosing items by name
    item: str = ""  # where in the file it came from, for error messages ("GraphicAnnotationSequence[2]")

    def applies_to(self, image: ImageRef) -> bool:
        """True when this annotation belongs on ``image`` (an unreferenced one belongs on any)."""
        if self.referenced_sop_instance_uid and image.sop_instance_uid:
            if self.referenced_sop_instance_uid != image.sop_instance_uid:
                return False
        if self.referenced_frame is not None and image.frame is not None:
            return self.referenced_frame == image.frame
        return True


class AnnotationReader(Protocol):
    """What every reader of annotations provides. Register a new one in ``readers/__init__.py``."""

    name: str

    def accepts(self, ds) -> bool:
        """True when this reader understands the dataset (read without pixel data)."""
        ...

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        """The annotations in the file at ``path`` that fall on ``image``, in its pixels."""
        ...


def read_annotation_dataset(path: Path):
    """An annotation object's header, also from files written without the 128-byte preamble.

    Older RT planning systems write structure sets as bare datasets (pydicom's own rtstruct.dcm is
    one); such a file is accepted when pydicom can read a SOP Class UID from it.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return read_dataset(Path(path), pixels=False)
    except InputError as error:
        if not isinstance(error.__cause__, InvalidDicomError):
            raise
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        except (OSError, EOFError, ValueError, KeyError, TypeError, struct.error, InvalidDicomError):
            raise error from None
        if "SOPClassUID" not in ds:
            raise error
        return ds


def points_of(values, path: Path, tag: str, dimensions: int = 2) -> np.ndarray:
    """A flat DICOM coordinate list as (N, dimensions) floats; a bad length is an InputError."""
    flat = np.asarray([float(v) for v in element_values(values)], dtype=np.float64)
    if flat.size == 0 or flat.size % dimensions:
        raise InputError(f"expected {dimensions} values per point, got {flat.size} values",
                         file=path, field=tag, value=list(flat[:8]),
                         hint="the annotation object is damaged; export it again")
    if not np.all(np.isfinite(flat)):
        raise InputError("a coordinate is not a finite number", file=path, field=tag, value=list(flat[:8]),
                         hint="the annotation object is damaged; export it again")
    return flat.reshape(-1, dimensions)


def _unit(vector: list[float]) -> tuple[float, float, float]:
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    if norm == 0:
        return (0.0, 0.0, 0.0)
    return tuple(float(v) for v in array / norm)
