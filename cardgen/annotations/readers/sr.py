"""Measurement reports (SR TID 1500): the regions of each measurement group, on one case image.

PS3.16 TID 1500 holds Imaging Measurements (126010) with Measurement Group containers (125007),
each one finding: a Tracking Identifier (112039), a Finding (121071) and its regions. Writers
place a region in two ways, and both are read:

- TID 1410 (highdicom, dcmqi): an Image Region (111030) SCOORD directly in the group;
- TID 300 (dcmjs, the writer of Cornerstone and OHIF): each measurement (a NUM: Length, Long
  Axis, Short Axis, Area, Center) holds the SCOORD it was "inferred from".

A SCOORD names its image with a SELECTED FROM IMAGE child; a SCOORD3D lies in patient space and is
projected onto the case slice, as RT contours are (``SliceGeometry``). One group becomes one
:class:`ReadAnnotation` per image it marks: text = the label typed in OHIF, else the Finding's
meaning; label = the Tracking Identifier unless it is a writer's tool name
("cornerstoneTools@^4.0.0:Length"). A Cornerstone3D key image of the whole image or series
(Cornerstone3DTools@^0.1.0:Probe:KeyImage) marks no region and is left out.

Measurements become regions a learner can be asked to find: a length line the circle it is the
diameter of (the lesion it measures), a bidirectional pair the ellipse on its two axes, a dcmjs
arrow (a POINT carrying a second point, or a two-point POLYLINE in a NUM 111010) an arrow to its
first point.

highdicom reads the report first; when it refuses one (dcmjs's arrow is a POINT with two points,
its Center a NUM without a value), the content tree is walked with pydicom per the standard.
OHIF keeps the label typed in its measurement panel as a Finding Site (or, for arrows, a Finding)
coded CORNERSTONEFREETEXT (CS3DTEXT from dcmjs's Cornerstone3D adapters), or since 2025 as a
Comment (TEXT 121106): that label, when present, is the finding's text. highdicom's
errors are not shown: they can quote the dataset, UIDs included.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
from pydicom.multival import MultiValue

from cardgen.annotations.readers.base import ImageRef, ReadAnnotation, points_of, read_annotation_dataset
from cardgen.annotations.readers.graphics import GraphicType, ellipse_from_axes, graphic_type, shapes_for_graphic
from cardgen.annotations.shapes import Arrow, Ellipse, Shape
from cardgen.errors import InputError

# Enhanced SR, Comprehensive SR, Comprehensive 3D SR: the SR storage classes that carry SCOORDs.
_SR_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33",
    "1.2.840.10008.5.1.4.1.1.88.34",
})

_MEASUREMENT_GROUP = ("125007", "DCM")
_IMAGING_MEASUREMENTS = ("126010", "DCM")
_TRACKING_IDENTIFIER = ("112039", "DCM")
_TRACKING_UID = ("112040", "DCM")
_FINDING = ("121071", "DCM")
_FINDING_SITE = {("363698007", "SCT"), ("G-C0E3", "SRT")}
# Cornerstone's codes for a label typed by the reader: CORNERSTONEFREETEXT (OHIF, Cornerstone 4),
# CS3DTEXT (dcmjs's Cornerstone3D adapters, scheme 99dcmjs).
_FREE_TEXT = frozenset({"CORNERSTONEFREETEXT", "CS3DTEXT"})
_COMMENT = ("121106", "DCM")  # where Cornerstone3D's adapter keeps that label since 2025
# SCOORDs Cornerstone3D writes beside a region that are no region: where the label's box was
# moved to (LabelData.ts) and a spline's control points (ControlPointPolyline.ts).
_NOT_REGIONS = frozenset({("TextPosition", "99CS3D"), ("ControlPoints", "99CS3D")})
_LENGTH = {("G-D7FE", "SRT"), ("410668003", "SCT")}
_LONG_AXIS = {("G-A185", "SRT"), ("103339001", "SCT")}
_SHORT_AXIS = {("G-A186", "SRT"), ("103340004", "SCT")}
_CENTER = ("111010", "DCM")  # dcmjs's arrow: "Center" (TID300 Point) or "label" (TID300 ArrowAnnotate)

# A Tracking Identifier a writer made up from its tool's name, not words a person typed: Cornerstone
# writes cornerstoneTools@^4.0.0:Length, and Cornerstone3D puts a parent type and a variant around
# the tool (Cornerstone3DTools@^0.1.0:Probe:KeyImage:Point); dcmjs's default is "web annotation".
_TOOL_NAME = re.compile(r"^[\w.-]+@[^:\s]*(:\w+)+$|^web annotation$", re.IGNORECASE)
# Cornerstone3D's key image of an image or a series (KeyImageTool without isPoint): it selects the
# image, and its one point is where the reader happened to click, not a region.
_KEY_IMAGE = re.compile(r":KeyImage(:Series)?$", re.IGNORECASE)


class SrReader:
    """Regions of the measurement groups of a TID 1500 measurement report."""

    name = "sr"

    def accepts(self, ds) -> bool:
        return str(ds.get("SOPClassUID", "")) in _SR_CLASSES

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        with warnings.catch_warnings():
            # dcmjs writes CORNERSTONEFREETEXT (19 characters) where SH allows 16; pydicom warns on
            # every such value, which says nothing to a teacher.
            warnings.filterwarnings("ignore", message="The value length", category=UserWarning)
            return self._read(path, image)

    def _read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        groups = _measurement_groups(path)
        annotations: list[ReadAnnotation] = []
        for number, group in enumerate(groups, 1):
            tracking = _text_of(group, _TRACKING_IDENTIFIER)
            tool_name = bool(tracking and _TOOL_NAME.match(tracking))
            if tool_name and _KEY_IMAGE.search(tracking):
                continue  # marks the image, not a region of it
            label = tracking if tracking and not tool_name else None
            # a Comment is the label a Cornerstone writer typed; in another writer's report it is a
            # remark, and the coded Finding names the finding better
            comment = _text_of(group, _COMMENT)
            finding = (_free_text(group) or (comment if tool_name else None) or _code_meaning_of(group, _FINDING)
                       or comment)
            item = f"measurement group {number}" + (f" ({label})" if label else "")
            by_image: dict[tuple[str | None, int | None], list[Shape]] = {}
            for reference, shapes in _regions(group, image, path, item):
                by_image.setdefault(reference, []).extend(shapes)
            for (uid, frame), shapes in by_image.items():
                if label:
                    shapes = [_labelled(shape, label) for shape in shapes]
                annotations.append(ReadAnnotation(
                    tuple(shapes), label=label, text=finding, referenced_sop_instance_uid=uid,
                    referenced_frame=frame, reader=self.name, tracking_id=tracking, item=item))
        return annotations


def _measurement_groups(path: Path) -> list:
    """The Measurement Group containers of the report, in document order."""
    import highdicom as hd

    try:
        report = hd.sr.srread(path)
        content = report.content
        if isinstance(content, hd.sr.MeasurementReport):
            groups = (content.get_planar_roi_measurement_groups()
                      + content.get_volumetric_roi_measurement_groups()
                      + content.get_image_measurement_groups())
            # Each is a template: a list whose one item is the group's CONTAINER content item.
            groups = [group if hasattr(group, "get") else group[0] for group in groups]
            if groups:
                return _in_document_order(report, groups)
    except Exception:  # noqa: BLE001 - any refusal (its messages quote the dataset): walk it ourselves
        pass
    ds = read_annotation_dataset(path)
    template = ds.get("ContentTemplateSequence")
    identifier = str(template[0].get("TemplateIdentifier", "")) if template else ""
    groups = [item for item in _walk(ds) if _concept(item) == _MEASUREMENT_GROUP
              and str(item.get("ValueType", "")).upper() == "CONTAINER"]
    if not groups:
        groups = _unwrapped_groups(ds)
    if not groups:
        raise InputError("the structured report holds no measurement group (TID 1500)", file=path,
                         field="ContentSequence (0040,A730)",
                         value=f"template {identifier}" if identifier else None,
                         hint="export the measurements as a TID 1500 measurement report, "
                              "or draw the findings in case.yaml instead")
    return groups


def _unwrapped_groups(ds) -> list:
    """Groups written without their container, as dcmjs did before 2019 (OHIF 1 and 2): the
    Imaging Measurements container (126010) holds each group's items in a row, every group
    starting with its Tracking Identifier. Each row becomes a group of its own."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    groups = []
    for container in (item for item in _walk(ds) if _concept(item) == _IMAGING_MEASUREMENTS):
        rows: list[list] = []
        for item in container.get("ContentSequence") or []:
            if _concept(item) == _TRACKING_IDENTIFIER or not rows:
                rows.append([])
            rows[-1].append(item)
        for row in rows:
            group = Dataset()
            group.ContentSequence = Sequence(row)
            if any(True for _ in _scoords(group)):
                groups.append(group)
    return groups


def _in_document_order(report, groups: list) -> list:
    """highdicom lists planar, then volumetric, then image groups: put them in the file's order
    (matched by their Tracking Unique Identifier, 112040)."""
    position = {}
    for index, item in enumerate(i for i in _walk(report) if _concept(i) == _MEASUREMENT_GROUP):
        position.setdefault(_uid_of(item), index)
    return sorted(groups, key=lambda group: position.get(_uid_of(group), len(position)))


def _uid_of(group) -> str | None:
    for item in group.get("ContentSequence") or []:
        if _concept(item) == _TRACKING_UID and item.get("UID"):
            return str(item.UID)
    return None


def _walk(ds):
    """Every content item under ``ds``, depth first, in document order."""
    for item in ds.get("ContentSequence") or []:
        yield item
        yield from _walk(item)


def _concept(item) -> tuple[str, str] | None:
    names = item.get("ConceptNameCodeSequence")
    if not names:
        return None
    code = names[0]
    value = code.get("CodeValue") or code.get("LongCodeValue") or code.get("URNCodeValue") or ""
    return str(value), str(code.get("CodingSchemeDesignator", ""))


def _text_of(group, concept: tuple[str, str]) -> str | None:
    for item in group.get("ContentSequence") or []:
        if _concept(item) == concept and item.get("TextValue"):
            return str(item.TextValue).strip() or None
    return None


def _free_text(group) -> str | None:
    """The label typed in OHIF: a Finding Site, or a Finding, coded as free text (OHIF 3 since
    Cornerstone3D's LabelData.ts removes that code and writes a Comment, TEXT 121106: the caller)."""
    for concepts in (_FINDING_SITE, {_FINDING}):
        for item in group.get("ContentSequence") or []:
            code = item.get("ConceptCodeSequence")
            if _concept(item) in concepts and code and str(code[0].get("CodeValue", "")) in _FREE_TEXT:
                return str(code[0].get("CodeMeaning", "")).strip() or None
    return None


def _code_meaning_of(group, concept: tuple[str, str]) -> str | None:
    for item in group.get("ContentSequence") or []:
        if _concept(item) == concept and item.get("ConceptCodeSequence"):
            return str(item.ConceptCodeSequence[0].get("CodeMeaning", "")).strip() or None
    return None


def _regions(group, image: ImageRef, path: Path, item: str):
    """(image reference, shapes) for each region of a group on each image it was selected from,
    measurement pairs joined."""
    axes: dict[str, tuple[np.ndarray, list]] = {}
    for parent, scoord in _scoords(group):
        parent_concept = _concept(parent) if parent is not None else None
        value_type = str(scoord.get("ValueType", "")).upper()
        where = f"{item} {value_type}"
        if value_type == "SCOORD3D":
            placed = _projected(scoord, image, path, where)
            if placed is None:
                continue  # on another slice
            kind, points, references = placed
        else:
            kind = graphic_type(scoord.get("GraphicType"), path, f"{where} GraphicType (0070,0023)")
            points = points_of(scoord.get("GraphicData"), path, f"{where} GraphicData (0070,0022)")
            references = _selected_from(scoord)
        if kind is GraphicType.POLYLINE and len(points) == 2 and parent_concept in _LONG_AXIS | _SHORT_AXIS:
            axes["long" if parent_concept in _LONG_AXIS else "short"] = (points, references)
            continue
        if kind is GraphicType.POLYLINE and len(points) == 2 and parent_concept in _LENGTH:
            # A length line: the circle it is the diameter of.
            (x1, y1), (x2, y2) = points.tolist()
            radius = math.hypot(x2 - x1, y2 - y1) / 2
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            shapes = [Ellipse(cx - radius, cy - radius, 2 * radius, 2 * radius)]
        elif len(points) == 2 and (kind is GraphicType.POINT
                                   or (kind is GraphicType.POLYLINE and parent_concept == _CENTER)):
            # dcmjs stores an arrow as a POINT with the arrow's tail as a second point, or (its
            # TID300 ArrowAnnotate, for Cornerstone3D) as a POLYLINE in a NUM 111010: the tip first.
            shapes = [Arrow((float(points[1][0]), float(points[1][1])),
                            (float(points[0][0]), float(points[0][1])))]
        else:
            shapes = shapes_for_graphic(kind, points, path, where)
        for reference in references:
            yield reference, shapes
    if "long" in axes:
        long_points, references = axes["long"]
        short_points = axes.get("short", (None, None))[0]
        for reference in references:
            yield reference, [_bidirectional(long_points, short_points)]


def _scoords(group):
    """(parent item, SCOORD or SCOORD3D item) for every region within the group."""
    def visit(parent, items):
        for child in items or []:
            if str(child.get("ValueType", "")).upper() in ("SCOORD", "SCOORD3D"):
                if _concept(child) not in _NOT_REGIONS:
                    yield parent, child
            elif _concept(child) != _MEASUREMENT_GROUP:
                yield from visit(child, child.get("ContentSequence"))
    yield from visit(None, group.get("ContentSequence"))


def _bidirectional(long_axis: np.ndarray, short_axis: np.ndarray | None) -> Shape:
    """The ellipse on a bidirectional measurement's axes (centred on the long axis)."""
    (x1, y1), (x2, y2) = long_axis.tolist()
    minor = 0.0
    if short_axis is not None:
        (x3, y3), (x4, y4) = short_axis.tolist()
        minor = math.hypot(x4 - x3, y4 - y3) / 2
    return ellipse_from_axes(((x1 + x2) / 2, (y1 + y2) / 2), math.hypot(x2 - x1, y2 - y1) / 2,
                             max(minor, 0.5), math.atan2(y2 - y1, x2 - x1))


def _selected_from(scoord) -> list[tuple[str | None, int | None]]:
    """The images (and frames, from 0) a SCOORD was drawn on: its SELECTED FROM image item, one
    reference per frame it names (highdicom writes a region selected from several frames as one
    Referenced Frame Number of several values); (None, None) when it names no image."""
    for child in scoord.get("ContentSequence") or []:
        for ref in child.get("ReferencedSOPSequence") or []:
            uid = str(ref.get("ReferencedSOPInstanceUID", "")) or None
            frames = ref.get("ReferencedFrameNumber")
            if frames is None:
                return [(uid, None)]
            values = list(frames) if isinstance(frames, (MultiValue, list, tuple)) else [frames]
            return [(uid, int(frame) - 1) for frame in values] or [(uid, None)]
    return [(None, None)]


def _projected(scoord, image: ImageRef, path: Path, where: str):
    """A SCOORD3D on the case slice: (2D graphic type, pixel points, [no image reference]), or None
    when it lies on another slice."""
    geometry = image.geometry
    if geometry is None:
        raise InputError("a 3D region (SCOORD3D) can only be placed on a DICOM slice with Image "
                         "Position (Patient), Image Orientation (Patient) and Pixel Spacing",
                         file=path, field=where, hint="point the case image at a slice of the series")
    frame_uid = str(scoord.get("ReferencedFrameOfReferenceUID", "") or "")
    if frame_uid and geometry.frame_of_reference_uid and frame_uid != geometry.frame_of_reference_uid:
        raise InputError("the 3D region was drawn in another frame of reference than the image",
                         file=path, field=f"{where} ReferencedFrameOfReferenceUID (3006,0024)",
                         hint="pair the report with a slice of the series it was drawn on")
    kind = str(scoord.get("GraphicType", "")).strip().upper()
    points_mm = points_of(scoord.get("GraphicData"), path, f"{where} GraphicData (0070,0022)", 3)
    if kind == "CIRCLE" and len(points_mm) == 2:
        # dcmjs writes a circle drawn in a volume viewport as a SCOORD3D CIRCLE (centre, a point on
        # it), a type only SCOORD has: its diameters along the slice's rows and columns are the axes
        # of the ellipse it is on the pixel grid (a circle when the pixels are square).
        centre, radius = points_mm[0], float(np.linalg.norm(points_mm[1] - points_mm[0]))
        row, column = np.asarray(geometry.row_direction), np.asarray(geometry.column_direction)
        kind, points_mm = "ELLIPSE", np.stack([centre + radius * row, centre - radius * row,
                                               centre + radius * column, centre - radius * column])
    pixels, distance = geometry.to_pixels(points_mm)
    half_slab = geometry.thickness / 2.0
    if kind == "ELLIPSOID":
        # Three axes: the ellipse of the two lying in the slice, if the centre is on it.
        centre = float(np.mean(distance[:2]))
        if abs(centre) > half_slab:
            return None
        return GraphicType.ELLIPSE, _in_plane_axes(pixels, distance), [(None, None)]
    if np.max(np.abs(distance)) > half_slab:
        return None
    two_d = {"POINT": "POINT", "MULTIPOINT": "MULTIPOINT", "POLYLINE": "POLYLINE", "POLYGON": "POLYLINE",
             "ELLIPSE": "ELLIPSE"}.get(kind)
    if two_d is None:
        raise InputError(f"3D graphic type {kind!r} is not supported", file=path,
                         field=f"{where} GraphicType (0070,0023)", value=kind,
                         hint="use POINT, MULTIPOINT, POLYLINE, POLYGON, ELLIPSE or ELLIPSOID")
    return GraphicType(two_d), pixels, [(None, None)]


def _in_plane_axes(pixels: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """The two of an ellipsoid's three axes that lie most nearly in the slice."""
    axes = [pixels[i:i + 2] for i in (0, 2, 4)]
    tilt = [abs(float(distance[i] - distance[i + 1])) for i in (0, 2, 4)]
    kept = sorted(range(3), key=lambda i: tilt[i])[:2]
    return np.concatenate([axes[i] for i in sorted(kept)])


def _labelled(shape: Shape, label: str) -> Shape:
    from dataclasses import replace

    return shape if shape.label else replace(shape, label=label)

