"""A TID 1500 measurement report shaped as dcmjs writes it for Cornerstone and OHIF, built with pydicom.

dcmjs is JavaScript, so it cannot run here; this module lays the content tree out item by item as
its source does (github.com/dcmjs-org/dcmjs, read for this test):

- ``src/derivations/StructuredReport``: SOP Class Enhanced SR, Modality SR, ValueType CONTAINER;
- ``src/utilities/TID1500/TID1500MeasurementReport.js``: root (126000, DCM, "Imaging Measurement
  Report"), TID 1500 / DCMR, language, Person Observer Name ``unknown^unknown``, procedure
  reported (1, 99dcmjs), Image Library (111028) > Image Library Group (126200) > IMAGE items,
  then Imaging Measurements (126010);
- ``src/utilities/TID1500/TID1501MeasurementGroup.js``: one Measurement Group (125007) CONTAINER
  per measurement;
- ``src/utilities/TID300/TID300Measurement.js``: Tracking Identifier (tool name, e.g.
  ``cornerstoneTools@^4.0.0:Length``), Tracking Unique Identifier, Finding (121071) and Finding
  Sites (363698007) when there are some, then the measurement NUMs; OHIF
  (github.com/OHIF/Viewers, extensions/cornerstone-dicom-sr, getFilteredCornerstoneToolState)
  passes the label typed in its panel as code CORNERSTONEFREETEXT (scheme CORNERSTONEJS): a
  Finding for ArrowAnnotate, a Finding Site for the other tools;
- ``Length.js`` (NUM G-D7FE Length > INFERRED FROM SCOORD POLYLINE, 2 points), ``Bidirectional.js``
  (NUM Long Axis and Short Axis, each > SCOORD POLYLINE), ``Ellipse.js`` and ``TID320ContentItem.js``
  (NUM AREA > SCOORD ELLIPSE, 4 points), ``Point.js`` as used by the ArrowAnnotate adapter (NUM
  111010 Center with no measured value > SCOORD POINT with *two* points: the tip, then the tail);
  each 2D SCOORD has a SELECTED FROM IMAGE child, a 3D one (``use3DSpatialCoordinates``) is a
  SCOORD3D with ReferencedFrameOfReferenceUID and no image;
- ``ArrowAnnotate.js`` (an ``OpenPolyline.js``), used by the current Cornerstone3D adapter
  (github.com/cornerstonejs/cornerstone3D, packages/adapters/src/adapters/Cornerstone3D/
  ArrowAnnotate.ts, read for this test): NUM 111010 "label" with the value 0 in unit "1" (no
  units) > SCOORD POLYLINE with two points, the tip first (``arrowFirst ? points[0] :
  points[1]``), then the tail;
- the free-text code: CORNERSTONEFREETEXT (scheme CORNERSTONEJS) from OHIF and Cornerstone 4,
  CS3DTEXT (scheme 99dcmjs) from dcmjs's own Cornerstone3D adapters
  (``src/adapters/Cornerstone3D/CodingScheme.js``); since July 2025 the Cornerstone3D adapter
  (cornerstone3D ``packages/adapters/src/adapters/Cornerstone3D/LabelData.ts``, PR 2224) removes
  that code and writes the label as a TEXT Comment (121106, DCM) in the group, and, when the
  label's box was moved, a CONTAINS SCOORD POINT (TextPosition, 99CS3D) where it sits;
- ``ControlPointPolyline.ts`` (SplineROI, LivewireContour): TID300 Polyline (NUM 131191004
  Perimeter > SCOORD POLYLINE, closed), and in the same NUM a CONTAINS SCOORD MULTIPOINT of the
  control points (ControlPoints, 99CS3D).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, scheme, meaning
    return code


def _item(relationship: str, value_type: str, concept: tuple[str, str, str] | None = None, **values) -> Dataset:
    item = Dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    if concept:
        item.ConceptNameCodeSequence = Sequence([_code(*concept)])
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def _image(ds: Dataset, frame: int | None = None) -> Dataset:
    ref = Dataset()
    ref.ReferencedSOPClassUID = ds.SOPClassUID
    ref.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    ref.ReferencedFrameNumber = frame or 1  # MeasurementReport.js: frameNumber || 1
    return ref


@dataclass(frozen=True)
class Tool:
    """One Cornerstone measurement: its tool name, SCOORDs and the label typed in the viewer."""

    tool: str  # Length, Bidirectional, EllipticalRoi, CircleROI, ArrowAnnotate, Probe, KeyImage, SplineROI
    points: tuple  # 2D pixels; for Bidirectional (long axis points, short axis points)
    label: str | None = None
    points_3d: bool = False  # use3DSpatialCoordinates: points are patient mm
    # Where OHIF puts the typed label (extensions/cornerstone-dicom-sr getFilteredCornerstoneToolState):
    # a Finding for ArrowAnnotate, a Finding Site for the other tools; Cornerstone 4 (OHIF 2) and
    # dcmjs's own ArrowAnnotate adapter wrote it as the Finding.
    label_in: str = "auto"  # "finding", "finding_site" or "auto" (as OHIF 3 does)
    arrow_as: str = "point"  # ArrowAnnotate: "point" (TID300 Point.js) or "polyline" (TID300 ArrowAnnotate.js)
    # The Tracking Identifier, when not cornerstoneTools@^4.0.0:<tool>: the Cornerstone3D adapter
    # (BaseAdapter3D.ts) writes Cornerstone3DTools@^0.1.0:<tool>, with a parent type between for a
    # tool another can read (KeyImage.ts: Cornerstone3DTools@^0.1.0:Probe:KeyImage, and :Point,
    # :Series or :SeriesPoint after it).
    tracking: str | None = None
    # How the label is written: "code" (CORNERSTONEFREETEXT), "cs3dtext" (CS3DTEXT, 99dcmjs) or
    # "comment" (TEXT 121106, Cornerstone3D LabelData.ts); text_at: the moved label box's position.
    label_as: str = "code"
    text_at: tuple | None = None


def _scoord(ds: Dataset, graphic_type: str, points, three_d: bool) -> Dataset:
    flat = [float(v) for point in points for v in point]
    if three_d:
        return _item("INFERRED FROM", "SCOORD3D", GraphicType=graphic_type, GraphicData=flat,
                     ReferencedFrameOfReferenceUID=ds.FrameOfReferenceUID)
    return _item("INFERRED FROM", "SCOORD", GraphicType=graphic_type, GraphicData=flat,
                 ContentSequence=Sequence([_item("SELECTED FROM", "IMAGE", ReferencedSOPSequence=Sequence([_image(ds)]))]))


def _num(concept: tuple[str, str, str], value: float | None, unit: tuple[str, str, str], scoord: Dataset) -> Dataset:
    item = _item("CONTAINS", "NUM", concept, ContentSequence=Sequence([scoord]))
    if value is not None:
        measured = Dataset()
        measured.MeasurementUnitsCodeSequence = Sequence([_code(*unit)])
        measured.NumericValue = value
        item.MeasuredValueSequence = Sequence([measured])
    return item


def _measurements(ds: Dataset, tool: Tool) -> list[Dataset]:
    mm = ("mm", "UCUM", "mm")
    if tool.tool == "Length":
        return [_num(("G-D7FE", "SRT", "Length"), 20.0, mm, _scoord(ds, "POLYLINE", tool.points, tool.points_3d))]
    if tool.tool == "Bidirectional":
        long_axis, short_axis = tool.points
        return [_num(("G-A185", "SRT", "Long Axis"), 20.0, mm, _scoord(ds, "POLYLINE", long_axis, tool.points_3d)),
                _num(("G-A186", "SRT", "Short Axis"), 10.0, mm, _scoord(ds, "POLYLINE", short_axis, tool.points_3d))]
    if tool.tool == "EllipticalRoi":
        return [_num(("G-D7FE", "SRT", "AREA"), 157.0, ("mm2", "UCUM", "mm2"),
                     _scoord(ds, "ELLIPSE", tool.points, tool.points_3d))]
    if tool.tool == "ArrowAnnotate" and tool.arrow_as == "polyline":
        return [_num(("111010", "DCM", "label"), 0, ("1", "UCUM", "no units"),
                     _scoord(ds, "POLYLINE", tool.points[:2], tool.points_3d))]
    if tool.tool == "ArrowAnnotate":
        return [_num(("111010", "DCM", "Center"), None, mm, _scoord(ds, "POINT", tool.points[:2], tool.points_3d))]
    if tool.tool == "CircleROI":  # Circle.js: NUM Perimeter > SCOORD CIRCLE (centre, a point on it); in a
        # volume viewport (use3DSpatialCoordinates) a SCOORD3D CIRCLE, a type SCOORD3D does not define
        return [_num(("131191004", "SCT", "Perimeter"), 60.0, mm, _scoord(ds, "CIRCLE", tool.points[:2], tool.points_3d))]
    if tool.tool == "SplineROI":  # points: the outline's, then (control points, ...) as a last item
        *outline, control = tool.points
        perimeter = _num(("131191004", "SCT", "Perimeter"), 60.0, mm,
                         _scoord(ds, "POLYLINE", [*outline, outline[0]], tool.points_3d))
        points = _scoord(ds, "MULTIPOINT", control, tool.points_3d)
        points.RelationshipType = "CONTAINS"
        points.ConceptNameCodeSequence = Sequence([_code("ControlPoints", "99CS3D", "Control Points")])
        perimeter.ContentSequence.append(points)
        return [perimeter]
    if tool.tool in ("Probe", "KeyImage"):  # Probe.ts and KeyImage.ts: TID300 Point, one point
        return [_num(("111010", "DCM", "Center"), None, mm, _scoord(ds, "POINT", tool.points[:1], tool.points_3d))]
    raise ValueError(tool.tool)


def write_dcmjs_sr(image: Dataset, tools: list[Tool], path: Path, *, containers: bool = True) -> None:
    """An SR on ``image`` with one measurement group per tool, laid out as dcmjs lays it out.

    ``containers=False``: as dcmjs wrote them before its TID1501MeasurementGroup wrapped each
    group in a Measurement Group container (its items then follow each other directly in
    Imaging Measurements)."""
    groups = []
    for tool in tools:
        content = [
            _item("HAS OBS CONTEXT", "TEXT", ("112039", "DCM", "Tracking Identifier"),
                  TextValue=tool.tracking or f"cornerstoneTools@^4.0.0:{tool.tool}"),
            _item("HAS OBS CONTEXT", "UIDREF", ("112040", "DCM", "Tracking Unique Identifier"), UID=generate_uid()),
        ]
        where = tool.label_in if tool.label_in != "auto" else (
            "finding" if tool.tool == "ArrowAnnotate" else "finding_site")
        free_text = ("CS3DTEXT", "99dcmjs") if tool.label_as == "cs3dtext" else ("CORNERSTONEFREETEXT", "CORNERSTONEJS")
        if tool.label and where == "finding" and tool.label_as != "comment":
            content.append(_item("CONTAINS", "CODE", ("121071", "DCM", "Finding"),
                                 ConceptCodeSequence=Sequence([_code(*free_text, tool.label)])))
        if tool.label and where == "finding_site" and tool.label_as != "comment":
            content.append(_item("CONTAINS", "CODE", ("363698007", "SCT", "Finding Site"),
                                 ConceptCodeSequence=Sequence([_code(*free_text, tool.label)])))
        content += _measurements(image, tool)
        if tool.label and tool.label_as == "comment":
            content.append(_item("CONTAINS", "TEXT", ("121106", "DCM", "Comment"), TextValue=tool.label))
        if tool.text_at is not None:
            position = _scoord(image, "POINT", [tool.text_at], tool.points_3d)
            position.RelationshipType = "CONTAINS"
            position.ConceptNameCodeSequence = Sequence([_code("TextPosition", "99CS3D", "Text Annotation Position")])
            content.append(position)
        if not containers:
            groups.extend(content)
            continue
        groups.append(_item("CONTAINS", "CONTAINER", ("125007", "DCM", "Measurement Group"),
                            ContinuityOfContent="SEPARATE", ContentSequence=Sequence(content)))

    language = _item("HAS CONCEPT MOD", "CODE", ("121049", "DCM", "Language of Content Item and Descendants"),
                     ConceptCodeSequence=Sequence([_code("eng", "RFC5646", "English")]))
    library = _item("CONTAINS", "CONTAINER", ("111028", "DCM", "Image Library"), ContinuityOfContent="SEPARATE",
                    ContentSequence=Sequence([_item(
                        "CONTAINS", "CONTAINER", ("126200", "DCM", "Image Library Group"),
                        ContinuityOfContent="SEPARATE",
                        ContentSequence=Sequence([_item("CONTAINS", "IMAGE", ReferencedSOPSequence=Sequence([_image(image)]))]))]))
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"  # the adapters' MeasurementReport (Cornerstone and Cornerstone3D)
    ds.SOPClassUID = ENHANCED_SR
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "SR"
    ds.StudyInstanceUID = image.StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([_code("126000", "DCM", "Imaging Measurement Report")])
    ds.ContinuityOfContent = "SEPARATE"
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.InstanceNumber = 1
    template = Dataset()
    template.MappingResource, template.TemplateIdentifier = "DCMR", "1500"
    ds.ContentTemplateSequence = Sequence([template])
    ds.ContentSequence = Sequence([
        language,
        _item("HAS OBS CONTEXT", "PNAME", ("121008", "DCM", "Person Observer Name"), PersonName="unknown^unknown"),
        _item("HAS CONCEPT MOD", "CODE", ("121058", "DCM", "Procedure reported"),
              ConceptCodeSequence=Sequence([_code("1", "99dcmjs", "Unknown procedure")])),
        library,
        _item("CONTAINS", "CONTAINER", ("126010", "DCM", "Imaging Measurements"), ContinuityOfContent="SEPARATE",
              ContentSequence=Sequence(groups)),
    ])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationVersionName = "dcmjs"
    pydicom.dcmwrite(path, ds, enforce_file_format=True)


def patient_mm(image: Dataset, x: float, y: float) -> tuple[float, float, float]:
    """The patient position (mm) of image point (x, y) in the shape model's corner-origin pixels."""
    position = [float(v) for v in image.ImagePositionPatient]
    row, column = [float(v) for v in image.ImageOrientationPatient[:3]], [float(v) for v in image.ImageOrientationPatient[3:]]
    row_spacing, column_spacing = (float(v) for v in image.PixelSpacing)
    return tuple(position[i] + (x - 0.5) * column_spacing * row[i] + (y - 0.5) * row_spacing * column[i]
                 for i in range(3))
