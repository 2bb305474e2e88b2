"""Presentation states (GSPS and its colour siblings): graphic and text objects.

PS3.3 C.10.5 Graphic Annotation Module: each item of Graphic Annotation Sequence (0070,0001)
names the images it belongs on (Referenced Image Sequence, or every image of the presentation
state when absent) and carries Graphic Object Sequence (0070,0009) and Text Object Sequence
(0070,0008). Units are PIXEL (image pixels) or DISPLAY (fractions of the displayed area, PS3.3
C.10.4 Displayed Area Module; the whole image when the state selects none).
One finding becomes one :class:`ReadAnnotation` per referenced image: a tracked object (objects
sharing a Tracking ID or UID, across items), else a graphic group (Graphic Group ID, labelled by
Graphic Group Sequence), else the remaining objects of one item. Text objects give a finding its
words; a text's anchor becomes a point or an arrow, but the box the words are written in masks
nothing.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path

import numpy as np
from pydicom.multival import MultiValue

from cardgen.annotations.readers.base import (
    ImageRef,
    ReadAnnotation,
    points_of,
    read_annotation_dataset,
)
from cardgen.annotations.readers.graphics import graphic_type, shapes_for_graphic
from cardgen.annotations.shapes import Arrow, Point, Shape
from cardgen.errors import InputError

# Every presentation state storage class (grayscale, color, pseudo-color, blending, ...) starts so.
_PRESENTATION_STATE_CLASS_PREFIX = "1.2.840.10008.5.1.4.1.1.11."


class AnnotationUnits(str, enum.Enum):
    """Graphic Annotation Units (0070,0005) and the text objects' units (0070,0003)/(0070,0004)."""

    PIXEL = "PIXEL"
    DISPLAY = "DISPLAY"


class GspsReader:
    """Graphic and text objects of a presentation state."""

    name = "gsps"

    def accepts(self, ds) -> bool:
        sop_class = str(ds.get("SOPClassUID", ""))
        return sop_class.startswith(_PRESENTATION_STATE_CLASS_PREFIX) or "GraphicAnnotationSequence" in ds

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        ds = read_annotation_dataset(path)
        area = _displayed_area(ds, image, path)
        group_labels = {int(g.GraphicGroupID): str(g.get("GraphicGroupLabel", "") or "").strip() or None
                        for g in ds.get("GraphicGroupSequence") or [] if "GraphicGroupID" in g}
        findings: dict[tuple, _Finding] = {}
        for index, item in enumerate(ds.get("GraphicAnnotationSequence") or []):
            where = f"GraphicAnnotationSequence[{index}]"
            references = _references(item)
            for g_index, graphic in enumerate(item.get("GraphicObjectSequence") or []):
                tag = f"{where}.GraphicObjectSequence[{g_index}]"
                units = _units(graphic.get("GraphicAnnotationUnits"), path, f"{tag}.GraphicAnnotationUnits")
                points = _to_pixels(points_of(graphic.get("GraphicData"), path, f"{tag}.GraphicData (0070,0022)"),
                                    units, area)
                kind = graphic_type(graphic.get("GraphicType"), path, f"{tag}.GraphicType (0070,0023)")
                finding = _finding_for(findings, graphic, index, where, group_labels)
                finding.add(references, shapes_for_graphic(kind, points, path, tag))
            for t_index, text_object in enumerate(item.get("TextObjectSequence") or []):
                text, text_shapes = _text_object(text_object, area, path, f"{where}.TextObjectSequence[{t_index}]")
                finding = _finding_for(findings, text_object, index, where, group_labels)
                if text:
                    finding.texts.append(text)
                finding.add(references, text_shapes)
        annotations: list[ReadAnnotation] = []
        for finding in findings.values():
            label = finding.label or (finding.texts[0] if finding.texts else None)
            text = "; ".join(finding.texts) or label
            for (uid, frame), shapes in finding.shapes.items():
                if not shapes:
                    continue
                if label:
                    shapes = [_labelled(shape, label) for shape in shapes]
                annotations.append(ReadAnnotation(tuple(shapes), label=label, text=text,
                                                  referenced_sop_instance_uid=uid, referenced_frame=frame,
                                                  reader=self.name, tracking_id=finding.tracking_id,
                                                  item=finding.item))
        return annotations


class _Finding:
    """The graphics and words of one finding: a tracked object, a graphic group, or the untracked,
    ungrouped objects of one Graphic Annotation item."""

    def __init__(self, item: str, label: str | None = None, tracking_id: str | None = None) -> None:
        self.item = item
        self.label = label
        self.tracking_id = tracking_id
        self.texts: list[str] = []
        self.shapes: dict[tuple[str | None, int | None], list[Shape]] = {}

    def add(self, references: list[tuple[str | None, int | None]], shapes: list[Shape]) -> None:
        for reference in references:
            self.shapes.setdefault(reference, []).extend(shapes)


def _finding_for(findings: dict[tuple, _Finding], graphic_or_text, index: int, where: str,
                 group_labels: dict[int, str | None]) -> _Finding:
    """The finding an object belongs to (PS3.3 C.10.5): its Tracking ID (0062,0020) or Tracking UID
    (0062,0021) names one finding across items; else its Graphic Group ID (0070,0295) one group of
    Graphic Group Sequence (0070,0234); else its Graphic Annotation item."""
    tracking_id = str(graphic_or_text.get("TrackingID", "") or "").strip() or None
    tracking_uid = str(graphic_or_text.get("TrackingUID", "") or "").strip() or None
    group = graphic_or_text.get("GraphicGroupID")
    if tracking_id or tracking_uid:
        key: tuple = ("tracking", tracking_id or tracking_uid)
        # The UID is an identifier: it matches objects, but never names the finding.
        name = f"tracked object {tracking_id!r}" if tracking_id else f"tracked object {len(findings) + 1}"
        make = lambda: _Finding(name, label=tracking_id, tracking_id=tracking_id)  # noqa: E731
    elif group is not None:
        key = ("group", int(group))
        label = group_labels.get(int(group))
        make = lambda: _Finding(f"GraphicGroupSequence group {int(group)}", label=label)  # noqa: E731
    else:
        key = ("item", index)
        make = lambda: _Finding(where)  # noqa: E731
    if key not in findings:
        findings[key] = make()
    return findings[key]


# A displayed area: (left, top, width, height) in image pixels.
_Area = tuple[float, float, float, float]


def _displayed_area(ds, image: ImageRef, path: Path) -> _Area:
    """The part of the image that DISPLAY units are fractions of (PS3.3 C.10.4)."""
    for item in ds.get("DisplayedAreaSelectionSequence") or []:
        references = item.get("ReferencedImageSequence")
        if references and image.sop_instance_uid and not any(
                str(r.get("ReferencedSOPInstanceUID", "")) == image.sop_instance_uid for r in references):
            continue
        top_left = item.get("DisplayedAreaTopLeftHandCorner")
        bottom_right = item.get("DisplayedAreaBottomRightHandCorner")
        if top_left is None or bottom_right is None:
            continue
        # Corners are 1-based (column, row) of the first and last displayed pixels; in the
        # corner-origin model the area runs from the first pixel's left edge to the last's right.
        left, top = float(top_left[0]) - 1.0, float(top_left[1]) - 1.0
        return left, top, float(bottom_right[0]) - left, float(bottom_right[1]) - top
    if image.width <= 0 or image.height <= 0:
        raise InputError("the image size is unknown, so DISPLAY units cannot be placed", file=path,
                         field="GraphicAnnotationUnits", value="DISPLAY",
                         hint="point the case at the DICOM image the presentation state belongs to")
    return 0.0, 0.0, float(image.width), float(image.height)


def _units(value, path: Path, field: str) -> AnnotationUnits:
    text = str(value or "").strip().upper()
    try:
        return AnnotationUnits(text)
    except ValueError:
        raise InputError(f"annotation units {text!r} are not supported", file=path, field=field,
                         value=text, hint="use PIXEL or DISPLAY units") from None


def _to_pixels(points: np.ndarray, units: AnnotationUnits, area: _Area) -> np.ndarray:
    if units is AnnotationUnits.PIXEL:
        return points
    left, top, width, height = area
    return np.stack([left + points[:, 0] * width, top + points[:, 1] * height], axis=1)


def _text_object(item, area: _Area, path: Path, where: str) -> tuple[str, list[Shape]]:
    """The text and the shapes of one text object: an arrow from its box to its anchor, if shown."""
    text = str(item.get("UnformattedTextValue", "") or "").strip()
    box = None
    if item.get("BoundingBoxTopLeftHandCorner") is not None:
        units = _units(item.get("BoundingBoxAnnotationUnits"), path, f"{where}.BoundingBoxAnnotationUnits")
        corners = points_of(list(item.BoundingBoxTopLeftHandCorner) + list(item.BoundingBoxBottomRightHandCorner),
                            path, f"{where}.BoundingBox (0070,0010)")
        (x1, y1), (x2, y2) = _to_pixels(corners, units, area)
        box = (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
    anchor = None
    if item.get("AnchorPoint") is not None:
        units = _units(item.get("AnchorPointAnnotationUnits"), path, f"{where}.AnchorPointAnnotationUnits")
        (anchor,) = _to_pixels(points_of(item.AnchorPoint, path, f"{where}.AnchorPoint (0070,0014)"), units, area)
        anchor = (float(anchor[0]), float(anchor[1]))
    shapes: list[Shape] = []
    if anchor is not None and box is not None and str(item.get("AnchorPointVisibility", "N")).upper() == "Y":
        # The viewer draws a line from the text to the anchor: an arrow pointing at the finding.
        shapes.append(Arrow((box[0] + box[2] / 2, box[1] + box[3] / 2), anchor))
    elif anchor is not None:
        shapes.append(Point(anchor))
    # A box alone is where the words are written, not a region of the image: it masks nothing.
    return text, shapes


def _references(item) -> list[tuple[str | None, int | None]]:
    """(SOP Instance UID, frame from 0) for each image an item belongs on; (None, None) for any."""
    references: list[tuple[str | None, int | None]] = []
    for ref in item.get("ReferencedImageSequence") or []:
        uid = str(ref.get("ReferencedSOPInstanceUID", "")) or None
        frames = ref.get("ReferencedFrameNumber")
        if frames is None:
            references.append((uid, None))
            continue
        values = list(frames) if isinstance(frames, (MultiValue, list, tuple)) else [frames]
        references.extend((uid, int(f) - 1) for f in values)
    return references or [(None, None)]


def _labelled(shape: Shape, label: str) -> Shape:
    return shape if shape.label else replace(shape, label=label)
