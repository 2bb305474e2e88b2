"""Measurement reports (SR TID 1500): the planar regions of interest, read with highdicom.

Each Planar ROI Measurements group (TID 1410) holds one Image Region: an SCOORD content item
(POINT, MULTIPOINT, POLYLINE, CIRCLE or ELLIPSE, image pixels) selected from one image (and frame).
One group becomes one :class:`ReadAnnotation`: label = its Tracking Identifier, text = its Finding
type's meaning. Regions defined in patient space (SCOORD3D) or by a segmentation are skipped.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.annotations.readers.base import ImageRef, ReadAnnotation, points_of
from cardgen.annotations.readers.graphics import graphic_type, shapes_for_graphic
from cardgen.errors import InputError

# Enhanced SR, Comprehensive SR, Comprehensive 3D SR: the SR storage classes highdicom reads.
_SR_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33",
    "1.2.840.10008.5.1.4.1.1.88.34",
})


class SrReader:
    """Planar ROIs of a TID 1500 measurement report."""

    name = "sr"

    def accepts(self, ds) -> bool:
        return str(ds.get("SOPClassUID", "")) in _SR_CLASSES

    def read(self, path: Path, image: ImageRef) -> list[ReadAnnotation]:
        import highdicom as hd

        try:
            report = hd.sr.srread(path)
        except (RuntimeError, ValueError, AttributeError, KeyError) as error:
            raise InputError(f"highdicom cannot read this structured report: {error}", file=path,
                             hint="export the measurements as a TID 1500 measurement report") from error
        content = report.content
        if not isinstance(content, hd.sr.MeasurementReport):
            raise InputError("the structured report is not a TID 1500 measurement report", file=path,
                             field="ContentTemplateSequence (0040,A504)",
                             hint="only measurement reports carry regions of interest; "
                                  "draw the findings in case.yaml instead")
        annotations: list[ReadAnnotation] = []
        for index, group in enumerate(content.get_planar_roi_measurement_groups()):
            region = group.roi
            if not isinstance(region, hd.sr.ImageRegion):
                continue  # 3D or segmentation-based: not in any one image's pixels
            where = f"planar ROI group {index + 1} Image Region"
            kind = graphic_type(region.graphic_type, path, f"{where} GraphicType (0070,0023)")
            points = points_of(region.GraphicData, path, f"{where} GraphicData (0070,0022)")
            label = group.tracking_identifier or None
            finding = group.finding_type
            text = str(finding.meaning) if finding is not None else None
            uid, frame = _selected_from(region)
            annotations.append(ReadAnnotation(
                tuple(shapes_for_graphic(kind, points, path, where, label=label)),
                label=label, text=text, referenced_sop_instance_uid=uid, referenced_frame=frame,
                reader=self.name))
        return annotations


def _selected_from(region) -> tuple[str | None, int | None]:
    """The image (and frame, from 0) a region was drawn on: its SELECTED FROM image item."""
    for item in region.get("ContentSequence") or []:
        for ref in item.get("ReferencedSOPSequence") or []:
            uid = str(ref.get("ReferencedSOPInstanceUID", "")) or None
            frames = ref.get("ReferencedFrameNumber")
            if frames is None:
                return uid, None
            first = frames[0] if hasattr(frames, "__len__") and not isinstance(frames, (str, int)) else frames
            return uid, int(first) - 1
    return None, None
