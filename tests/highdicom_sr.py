"""A TID 1500 measurement report written by highdicom (PyPI), shared by the reader tests and the
third-party tests that read it back through a built deck.

One planar ROI per graphic type highdicom writes for an image region (it refuses MULTIPOINT there,
so the reader's MULTIPOINT path is the same POINT path, checked with POINT), on the slice ``ct``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

GRAPHIC_KINDS = ("polyline", "circle", "ellipse", "point")


def write_measurement_report(ct: pydicom.Dataset, path: Path, labels: Sequence[str] = GRAPHIC_KINDS) -> None:
    """Write the report to ``path``; ``labels`` are the four groups' tracking identifiers, in the
    order polyline, circle, ellipse, point."""
    source = hd.sr.SourceImageForRegion.from_source_image(ct)
    kind = hd.sr.GraphicTypeValues
    regions = zip(labels, [
        (kind.POLYLINE, [[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0], [10.0, 10.0]]),
        (kind.CIRCLE, [[64.0, 64.0], [64.0, 74.0]]),
        (kind.ELLIPSE, [[90.0, 40.0], [90.0, 60.0], [85.0, 50.0], [95.0, 50.0]]),
        (kind.POINT, [[100.25, 12.75]]),
    ], strict=True)
    groups = [
        hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=name),
            referenced_region=hd.sr.ImageRegion(graphic_type=graphic_type, graphic_data=np.array(points),
                                                source_image=source),
            finding_type=codes.SCT.Nodule,
        )
        for name, (graphic_type, points) in regions
    ]
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(uid=hd.UID()),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=None,
                                                     observer_device_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
        imaging_measurements=groups,
    )
    hd.sr.Comprehensive3DSR(
        evidence=[ct], content=report[0], series_instance_uid=hd.UID(), series_number=101,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
    ).save_as(path)
