"""Presentation states (GSPS and its colour siblings): graphic and text objects.

PS3.3 C.10.5 Graphic Annotation Module: each item of Graphic Annotation Sequence (0070,0001)
names the images it belongs on (Referenced Image Sequence, or when absent every image the state's
Referenced Series Sequence names) and carries Graphic Object Sequence (0070,0009) and Text Object
Sequence (0070,0008). Units are PIXEL (image pixels) or DISPLAY (fractions of the displayed area,
PS3.3 C.10.4 Displayed Area Module; the whole image when the state selects none).
One finding becomes one :class:`ReadAnnotation` per referenced image: a tracked object (objects
sharing a Tracking ID or UID, across items), else a graphic group (Graphic Group ID, labelled by
Graphic Group Sequence), else one drawing: a graphic object, joined with those sharing an end
point (Weasis writes an arrow as shaft and head, and every drawing of a layer in one item).
Text objects give a finding its words: a tracked or grouped one its finding's, an anchored one
the drawing its anchor points into (else it is its own point or arrow), one in a box alone the
nearest drawing (a viewer's label beside its drawing); the box itself masks nothing.
Overlay planes (60xx) the state carries are read as an image's are (cardgen.annotations.readers.
overlay), one finding each, on every image the state applies to.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
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
from cardgen.annotations.readers.overlay import overlay_annotations
from cardgen.annotations.shapes import Arrow, Point, Polygon, Shape
from cardgen.errors import InputError
from cardgen.imaging.elements import element_values, fixed_numbers

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
        applies = _state_applies_to(ds, image)
        for index, item in enumerate(ds.get("GraphicAnnotationSequence") or []):
            where = f"GraphicAnnotationSequence[{index}]"
            references = _references(item)
            if references == [(None, None)] and not applies:
                continue  # an item naming no image is on the state's images only, and this is none
            pieces: list[_Finding] = []  # the item's objects that no tracking or group ties together
            for g_index, graphic in enumerate(item.get("GraphicObjectSequence") or []):
                tag = f"{where}.GraphicObjectSequence[{g_index}]"
                units = _units(graphic.get("GraphicAnnotationUnits"), path, f"{tag}.GraphicAnnotationUnits")
                points = _to_pixels(points_of(graphic.get("GraphicData"), path, f"{tag}.GraphicData (0070,0022)"),
                                    units, area)
                kind = graphic_type(graphic.get("GraphicType"), path, f"{tag}.GraphicType (0070,0023)")
                shapes = shapes_for_graphic(kind, points, path, tag)
                finding = _finding_for(findings, graphic, group_labels)
                if finding is None:
                    finding = _Finding(tag)
                    pieces.append(finding)
                finding.add(references, shapes)
            loose_texts: list[tuple[str, tuple]] = []
            for t_index, text_object in enumerate(item.get("TextObjectSequence") or []):
                tag = f"{where}.TextObjectSequence[{t_index}]"
                text, text_shapes, box, anchor = _text_object(text_object, area, path, tag)
                finding = _finding_for(findings, text_object, group_labels)
                if finding is None:
                    finding = _piece_at(pieces, anchor) if anchor is not None else None
                    if finding is not None:
                        # Its anchor names that drawing: only a line the viewer shows is drawn with it.
                        text_shapes = [shape for shape in text_shapes if isinstance(shape, Arrow)]
                    if finding is None and not text_shapes:
                        if text and box is not None:
                            loose_texts.append((text, box))
                        continue
                    if finding is None:
                        finding = _Finding(tag)
                        pieces.append(finding)
                if text:
                    finding.texts.append(text)
                finding.add(references, text_shapes)
            for text, box in loose_texts:
                # Words in a box (a viewer's label beside its drawing): they name the nearest one.
                nearest = min(pieces, key=lambda piece: piece.distance_to(box), default=None)
                if nearest is not None:
                    nearest.texts.append(text)
            for number, piece in enumerate(_joined(pieces)):
                findings[("item", index, number)] = piece
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
        if applies:
            # Overlay planes the state carries are drawn over every image it applies to.
            annotations += overlay_annotations(ds, path, image, referenced_uid=None)
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

    def all_shapes(self) -> list[Shape]:
        return next(iter(self.shapes.values()), [])

    def bounds(self) -> tuple[float, float, float, float] | None:
        boxes = [shape.bounds() for shape in self.all_shapes()]
        if not boxes:
            return None
        return (min(b.left for b in boxes), min(b.top for b in boxes),
                max(b.right for b in boxes), max(b.bottom for b in boxes))

    def vertices(self) -> list[tuple[float, float]]:
        """The end points and corners of its lines and polygons (what a compound drawing shares)."""
        points: list[tuple[float, float]] = []
        for shape in self.all_shapes():
            if isinstance(shape, Arrow):
                points += [shape.start, shape.end]
            elif isinstance(shape, Polygon):
                points += list(shape.points)
        return points

    def distance_to(self, box: tuple[float, float, float, float]) -> float:
        bounds = self.bounds()
        if bounds is None:
            return float("inf")
        left, top, width, height = box
        dx = max(bounds[0] - (left + width), left - bounds[2], 0.0)
        dy = max(bounds[1] - (top + height), top - bounds[3], 0.0)
        return (dx * dx + dy * dy) ** 0.5


def _finding_for(findings: dict[tuple, _Finding], graphic_or_text,
                 group_labels: dict[int, str | None]) -> _Finding | None:
    """The finding a tracked or grouped object belongs to (PS3.3 C.10.5): its Tracking ID
    (0062,0020) or Tracking UID (0062,0021) names one finding across items; else its Graphic Group
    ID (0070,0295) one group of Graphic Group Sequence (0070,0234). None for any other object."""
    tracking_id = str(graphic_or_text.get("TrackingID", "") or "").strip() or None
    tracking_uid = str(graphic_or_text.get("TrackingUID", "") or "").strip() or None
    group = graphic_or_text.get("GraphicGroupID")
    if tracking_id or tracking_uid:
        key: tuple = ("tracking", tracking_id or tracking_uid)
        if key not in findings:
            # The UID is an identifier: it matches objects, but never names the finding.
            name = f"tracked object {tracking_id!r}" if tracking_id else f"tracked object {len(findings) + 1}"
            findings[key] = _Finding(name, label=tracking_id, tracking_id=tracking_id)
        return findings[key]
    if group is not None:
        key = ("group", int(group))
        if key not in findings:
            findings[key] = _Finding(f"GraphicGroupSequence group {int(group)}", label=group_labels.get(int(group)))
        return findings[key]
    return None


def _piece_at(pieces: list[_Finding], point: tuple[float, float]) -> _Finding | None:
    """The drawing a text's anchor points into (the last drawn, when several hold it)."""
    for piece in reversed(pieces):
        bounds = piece.bounds()
        if bounds and bounds[0] - 1 <= point[0] <= bounds[2] + 1 and bounds[1] - 1 <= point[1] <= bounds[3] + 1:
            return piece
    return None


def _joined(pieces: list[_Finding]) -> list[_Finding]:
    """Drawings that share an end point are one drawing: viewers such as Weasis write an arrow or
    an angle as several polylines meeting at a point."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    vertices = [piece.vertices() for piece in pieces]
    for i in range(len(pieces)):
        for j in range(i + 1, len(pieces)):
            if any(abs(a[0] - b[0]) <= 0.5 and abs(a[1] - b[1]) <= 0.5 for a in vertices[i] for b in vertices[j]):
                parent[root(j)] = root(i)
    joined: dict[int, _Finding] = {}
    for i, piece in enumerate(pieces):
        first = joined.setdefault(root(i), piece)
        if first is not piece:
            first.texts.extend(piece.texts)
            for reference, shapes in piece.shapes.items():
                first.shapes.setdefault(reference, []).extend(shapes)
    return list(joined.values())


@dataclass(frozen=True)
class _Display:
    """What DISPLAY units are fractions of (PS3.3 C.10.4-C.10.6): the displayed area, a rectangle of
    image pixels (left, top, width, height), as shown after the presentation state's spatial
    transformation: turned clockwise by ``rotation`` degrees, then flipped left to right."""

    left: float
    top: float
    width: float
    height: float
    rotation: object = 0  # the element's value, checked when DISPLAY units need it
    flip: bool = False
    path: Path | None = None

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """Image pixels (corner origin) of ``points`` given as fractions of the display."""
        u, v = points[:, 0], points[:, 1]
        if self.flip:
            u = 1.0 - u
        rotation = self._rotation()
        # (u, v) on the turned display -> (a, b), the same point's fractions of the area unturned.
        a, b = {0: (u, v), 90: (v, 1.0 - u), 180: (1.0 - u, 1.0 - v), 270: (1.0 - v, u)}[rotation]
        return np.stack([self.left + a * self.width, self.top + b * self.height], axis=1)

    def _rotation(self) -> int:
        try:
            rotation = int(str(self.rotation).strip() or 0)
        except ValueError:
            rotation = -1
        if rotation not in (0, 90, 180, 270):
            raise InputError("the image rotation is not 0, 90, 180 or 270 degrees, so DISPLAY units cannot be "
                             "placed", file=self.path, field="ImageRotation (0070,0042)", value=self.rotation,
                             hint="export the presentation state again from the viewer")
        return rotation


def _displayed_area(ds, image: ImageRef, path: Path) -> _Display:
    """The part of the image that DISPLAY units are fractions of, and how it is turned (PS3.3 C.10.4:
    the corners are the pixels shown top left and bottom right *after* the rotation and flip, given
    in the image's own columns and rows, so they may come in any order)."""
    turned = {"rotation": ds.get("ImageRotation", 0), "path": path,
              "flip": str(ds.get("ImageHorizontalFlip", "N") or "N").strip().upper() == "Y"}
    for item in ds.get("DisplayedAreaSelectionSequence") or []:
        references = item.get("ReferencedImageSequence")
        if references and image.sop_instance_uid and not any(
                str(r.get("ReferencedSOPInstanceUID", "")) == image.sop_instance_uid for r in references):
            continue
        top_left = fixed_numbers(item.get("DisplayedAreaTopLeftHandCorner"), 2)
        bottom_right = fixed_numbers(item.get("DisplayedAreaBottomRightHandCorner"), 2)
        if top_left is None or bottom_right is None:
            continue  # absent, or not two numbers each: no usable area in this item
        # Corners are 1-based (column, row) of the first and last displayed pixels; in the
        # corner-origin model the area runs from the first pixel's left edge to the last's right.
        columns = sorted((top_left[0], bottom_right[0]))
        rows = sorted((top_left[1], bottom_right[1]))
        left, top = columns[0] - 1.0, rows[0] - 1.0
        return _Display(left, top, columns[1] - left, rows[1] - top, **turned)
    if image.width <= 0 or image.height <= 0:
        raise InputError("the image size is unknown, so DISPLAY units cannot be placed", file=path,
                         field="GraphicAnnotationUnits", value="DISPLAY",
                         hint="point the case at the DICOM image the presentation state belongs to")
    return _Display(0.0, 0.0, float(image.width), float(image.height), **turned)


def _units(value, path: Path, field: str) -> AnnotationUnits:
    text = str(value or "").strip().upper()
    try:
        return AnnotationUnits(text)
    except ValueError:
        raise InputError(f"annotation units {text!r} are not supported", file=path, field=field,
                         value=text, hint="use PIXEL or DISPLAY units") from None


def _to_pixels(points: np.ndarray, units: AnnotationUnits, display: _Display) -> np.ndarray:
    return points if units is AnnotationUnits.PIXEL else display.to_pixels(points)


def _text_object(item, area: _Display, path: Path, where: str):
    """The text, the shapes (an arrow from its box to its anchor, if shown), the box (left, top,
    width, height) and the anchor of one text object."""
    text = str(item.get("UnformattedTextValue", "") or "").strip()
    box = None
    top_left, bottom_right = item.get("BoundingBoxTopLeftHandCorner"), item.get("BoundingBoxBottomRightHandCorner")
    if top_left is not None or bottom_right is not None:
        corners = [fixed_numbers(top_left, 2), fixed_numbers(bottom_right, 2)]
        if None in corners:
            raise InputError("the text's bounding box needs both corners, two numbers each", file=path,
                             field=f"{where}.BoundingBox (0070,0010)/(0070,0011)",
                             value=[element_values(top_left) if top_left is not None else None,
                                    element_values(bottom_right) if bottom_right is not None else None],
                             hint="the presentation state does not follow DICOM PS3.3 C.10.5; export it again "
                                  "from the viewer")
        units = _units(item.get("BoundingBoxAnnotationUnits"), path, f"{where}.BoundingBoxAnnotationUnits")
        corners = np.array(corners, dtype=np.float64)
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
    return text, shapes, box, anchor


def _state_applies_to(ds, image: ImageRef) -> bool:
    """Whether the presentation state applies to ``image``: one of the images its Referenced Series
    Sequence names (or any image, when it names none or the image's UID is unknown)."""
    named = {str(ref.get("ReferencedSOPInstanceUID", "")) for series in ds.get("ReferencedSeriesSequence") or []
             for ref in series.get("ReferencedImageSequence") or []}
    return not named or not image.sop_instance_uid or image.sop_instance_uid in named


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
