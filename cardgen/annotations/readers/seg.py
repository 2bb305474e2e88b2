"""Segmentations (DICOM SEG): each segment's region on the case image, read with highdicom.

PS3.3 C.8.20: a SEG holds one mask frame per segment per source frame. highdicom
(``hd.seg.segread``) finds the frames of the case image by its SOP Instance UID (and frame, for a
multi-frame source); a SEG that names no source image (one written from a volume) is matched by
geometry instead: a frame whose plane is the case slice's and whose pixels are its pixels. Each
segment with pixels on the image becomes one :class:`ReadAnnotation`: its 4-connected regions as
outline polygons (:mod:`cardgen.annotations.outline`), label = Segment Label, text = the label or
the Segmented Property Type's meaning. Fractional segments count where they are at least half; a
label map's frames (Label Map Segmentation Storage) hold every segment, by its number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cardgen.annotations.outline import mask_outlines
from cardgen.annotations.readers.base import ImageRef, ReadAnnotation, SliceGeometry
from cardgen.annotations.shapes import Polygon
from cardgen.errors import InputError

# Segmentation Storage and Label Map Segmentation Storage.
_SEG_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7"})


class SegReader:
    """Segments of a DICOM Segmentation on one image."""

    name = "seg"

    def accepts(self, ds) -> bool:
        return str(ds.get("SOPClassUID", "")) in _SEG_CLASSES

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        import highdicom as hd

        try:
            seg = hd.seg.segread(path)
        except Exception as error:  # noqa: BLE001 - highdicom's messages may quote the dataset
            raise InputError(f"highdicom cannot read this segmentation ({type(error).__name__})", file=path,
                             hint="export the segmentation again as DICOM SEG") from None
        try:
            masks = _masks_on(seg, image, path)
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001 - highdicom's messages may quote the dataset
            # a SEG highdicom opened but cannot take frames from (a pixel-module attribute missing)
            raise InputError(f"highdicom cannot read this segmentation's frames ({type(error).__name__})",
                             file=path, hint="export the segmentation again as DICOM SEG") from None
        if masks is None:
            return []
        if masks.shape[:2] != (image.height, image.width):
            raise InputError(f"the segmentation's {masks.shape[1]}x{masks.shape[0]} frames do not match the "
                             f"{image.width}x{image.height} image", file=path, field="Rows, Columns",
                             hint="pair the segmentation with the image it was drawn on")
        annotations = []
        for index, number in enumerate(seg.segment_numbers):
            mask = masks[..., index]
            if not mask.any():
                continue
            description = seg.get_segment_description(number)
            label = str(description.get("SegmentLabel", "") or "").strip() or None
            kind = description.get("SegmentedPropertyTypeCodeSequence")
            meaning = str(kind[0].get("CodeMeaning", "")).strip() if kind else ""
            tracking = str(description.get("TrackingID", "") or "").strip() or None
            shapes = tuple(Polygon(points, label=label) for points in mask_outlines(mask))
            annotations.append(ReadAnnotation(shapes, label=label, text=label or meaning or None,
                                              reader=self.name, tracking_id=tracking,
                                              item=f"SegmentSequence segment {number}"))
        return annotations


def _masks_on(seg, image: ImageRef, path: Path) -> np.ndarray | None:
    """(rows, columns, segments) booleans of the case image, or None when the SEG has no frame of it."""
    referenced = {str(uid) for _, _, uid in seg.get_source_image_uids()}
    if image.sop_instance_uid and image.sop_instance_uid in referenced:
        try:
            pixels = seg.get_pixels_by_source_frame(image.sop_instance_uid,
                                                    source_frame_numbers=[(image.frame or 0) + 1], dtype=np.float32)
        except (ValueError, KeyError, IndexError, RuntimeError):
            try:
                pixels = seg.get_pixels_by_source_instance([image.sop_instance_uid], dtype=np.float32)
            except (ValueError, KeyError, IndexError, RuntimeError):
                return None
        return pixels[0] >= 0.5
    return _masks_by_geometry(seg, image, path)


def _masks_by_geometry(seg, image: ImageRef, path: Path) -> np.ndarray | None:
    """The SEG frames lying on the case slice, when the SEG names no source image."""
    geometry = image.geometry
    if geometry is None:
        return None
    frame_uid = str(seg.get("FrameOfReferenceUID", "") or "")
    if frame_uid and geometry.frame_of_reference_uid and frame_uid != geometry.frame_of_reference_uid:
        return None
    numbers = list(seg.segment_numbers)
    masks = np.zeros((int(seg.Rows), int(seg.Columns), len(numbers)), dtype=bool)
    found = False
    kind = seg.segmentation_type.value
    per_frame = seg.get("PerFrameFunctionalGroupsSequence") or []
    for index, groups in enumerate(per_frame):
        frame_geometry = SliceGeometry.from_dataset(seg, index)
        if frame_geometry is None or not _same_plane(frame_geometry, geometry):
            continue
        if kind == "LABELMAP":
            # One frame holds every segment: its pixel values are segment numbers (PS3.3 C.8.20.2.3).
            frame = np.asarray(seg.get_frame(index + 1))
            for position, number in enumerate(numbers):
                masks[..., position] |= frame == number
            found = True
            continue
        identification = groups.get("SegmentIdentificationSequence")
        if not identification:
            continue
        number = int(identification[0].ReferencedSegmentNumber)
        if number not in numbers:
            continue
        frame = np.asarray(seg.get_frame(index + 1), dtype=np.float32)
        if kind == "FRACTIONAL":
            frame = frame / float(seg.get("MaximumFractionalValue", 255) or 255)
        masks[..., numbers.index(number)] |= frame >= 0.5
        found = True
    return masks if found else None


def _same_plane(frame: SliceGeometry, image: SliceGeometry) -> bool:
    """True when a SEG frame covers the case slice pixel for pixel."""
    pixels, distance = image.to_pixels(np.asarray([frame.position]))
    return (abs(float(distance[0])) <= image.thickness / 2
            and np.allclose(pixels[0], (0.5, 0.5), atol=0.05)
            and np.allclose(frame.row_direction, image.row_direction, atol=1e-3)
            and np.allclose(frame.column_direction, image.column_direction, atol=1e-3)
            and abs(frame.row_spacing - image.row_spacing) < 1e-3
            and abs(frame.column_spacing - image.column_spacing) < 1e-3)
