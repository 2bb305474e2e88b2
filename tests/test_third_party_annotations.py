"""Annotation objects written by other tools become findings and Image Occlusion masks.

Each test writes an annotation object with a third-party library (highdicom SR TID 1500, GSPS and
SEG; rt-utils RTSTRUCT) or lays one out as dcmjs does (tests/dcmjs_sr.py says where from), on
pydicom's CT_small.dcm (a 128 x 128 axial CT slice inside the pydicom wheel), points a case at it,
builds the deck, imports it into a real Anki collection and reads the occlusions back with
``col.get_image_occlusion_note``: every region drawn becomes a finding, and every mask lies within
half a rendered pixel of where the region was drawn. Nothing is stored on disk: every input is
written by the test.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.sr.codedict import codes

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape
from cardgen.build import BuildOptions, build_deck
from cardgen.imaging.render import display_scale
from tests.anki_helpers import import_package
from tests.dcmjs_sr import Tool, patient_mm, write_dcmjs_sr
from tests.sample_cases import CT_SMALL, write_case

SOURCE = 128
SCALE = display_scale(SOURCE, SOURCE)  # CT_small is rendered at 512 x 512
HALF_PIXEL = 0.5 / SCALE  # half a rendered pixel, in source pixels


def _ct() -> pydicom.Dataset:
    return pydicom.dcmread(CT_SMALL)


def _read_back(tmp_path: Path, collection, write, entry: str = "") -> tuple[list[str], dict[int, list[dict]]]:
    """Build a case whose annotations come from ``write(case_dir / 'annotations.dcm')``; the
    answers of its finding notes and, per occlusion ordinal, its masks in source pixels."""
    case_dir = write_case(tmp_path / "cases", "third-party", f"""\
id: third-party-1
title: Annotations from another tool
images:
  - file: ct.dcm
annotations:
  - file: annotations.dcm
{entry}""")
    write(case_dir / "annotations.dcm")
    out = tmp_path / "deck.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)
    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    note = collection.get_image_occlusion_note(note_id=note_id).note
    masks: dict[int, list[dict]] = {}
    for occlusion in (o for o in note.occlusions if o.ordinal > 0):
        for shape in occlusion.shapes:
            properties = {p.name: p.value for p in shape.properties}
            masks.setdefault(occlusion.ordinal, []).append({"kind": shape.shape, **properties})
    answers = [collection.get_note(n)["Answer"] for n in collection.find_notes("note:cardgen*finding*")]
    return sorted(answers), masks


def _polygon_points(mask: dict) -> list[tuple[float, float]]:
    """A polygon's points in source pixels, where Anki's reviewer draws them: moved so that their
    bounding box starts at left/top (review.ts getPolygonOffset; absolute or relative points alike)."""
    points = [(float(x), float(y)) for x, y in (pair.split(",") for pair in mask["points"].split())]
    left, top = float(mask.get("left", 0)), float(mask.get("top", 0))
    corner_x, corner_y = min(x for x, _ in points), min(y for _, y in points)
    return [((x - corner_x + left) * SOURCE, (y - corner_y + top) * SOURCE) for x, y in points]


def _centre(mask: dict) -> tuple[float, float]:
    left, top = float(mask["left"]) * SOURCE, float(mask["top"]) * SOURCE
    if mask["kind"] == "ellipse":
        return left + float(mask["rx"]) * SOURCE, top + float(mask["ry"]) * SOURCE
    return left + float(mask["width"]) * SOURCE / 2, top + float(mask["height"]) * SOURCE / 2


def assert_mask_is(mask: dict, shape: Shape) -> None:
    """The mask Anki read back lies where ``shape`` (source pixels) was drawn, within half a
    rendered pixel."""
    near = dict(abs=HALF_PIXEL)
    if isinstance(shape, Ellipse):
        assert mask["kind"] == "ellipse", mask
        got = [float(mask[k]) * SOURCE for k in ("left", "top", "rx", "ry")]
        assert got == pytest.approx([shape.x, shape.y, shape.width / 2, shape.height / 2], **near), mask
    elif isinstance(shape, Rect):
        assert mask["kind"] == "rect", mask
        got = [float(mask[k]) * SOURCE for k in ("left", "top", "width", "height")]
        assert got == pytest.approx([shape.x, shape.y, shape.width, shape.height], **near), mask
    elif isinstance(shape, Polygon):
        assert mask["kind"] == "polygon", mask
        got = _polygon_points(mask)
        assert len(got) == len(shape.points)
        assert [v for p in got for v in p] == pytest.approx([v for p in shape.points for v in p], **near)
    else:  # an arrow or a point: its mask is centred on what it points at
        assert isinstance(shape, (Arrow, Point))
        assert _centre(mask) == pytest.approx(shape.tip, **near), mask


def _check(masks: dict[int, list[dict]], expected: list[list[Shape]]) -> None:
    assert sorted(masks) == list(range(1, len(expected) + 1))
    for ordinal, shapes in enumerate(expected, 1):
        assert len(masks[ordinal]) == len(shapes)
        for mask, shape in zip(masks[ordinal], shapes):
            assert_mask_is(mask, shape)


# --- SR: dcmjs (Cornerstone / OHIF) --------------------------------------------------------------

def test_dcmjs_measurement_report(tmp_path, collection):
    """Length, bidirectional, ellipse and arrow as OHIF writes them, and a length in 3D (SCOORD3D)."""
    ct = _ct()
    tools = [
        Tool("Length", ((20, 20), (40, 20)), "Nodule A"),
        Tool("Bidirectional", (((60, 30), (60, 50)), ((55, 40), (65, 40))), "Mass"),
        Tool("EllipticalRoi", ((90, 80), (110, 80), (100, 75), (100, 85)), "Cyst"),
        Tool("ArrowAnnotate", ((30, 100), (50, 110)), "Fracture"),
        Tool("Length", (patient_mm(ct, 80, 60), patient_mm(ct, 100, 70)), "Node", points_3d=True),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # dcmjs writes CORNERSTONEFREETEXT, too long for SH
        answers, masks = _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, tools, path))

    assert answers == sorted(f"<p>{t.label}</p>" for t in tools)
    half = math.hypot(20, 10) / 2
    _check(masks, [
        [Ellipse(20, 10, 20, 20)],  # a length: the circle on it as diameter
        [Ellipse(55, 30, 10, 20)],  # bidirectional: the ellipse on its axes
        [Ellipse(90, 75, 20, 10)],
        [Arrow((50, 110), (30, 100))],  # dcmjs's arrow: the first point is the tip
        [Ellipse(90 - half, 65 - half, 2 * half, 2 * half)],  # SCOORD3D projected onto the slice
    ])


def test_dcmjs_report_without_labels_asks_for_words(tmp_path, collection):
    from cardgen.errors import InputError

    ct = _ct()
    with pytest.raises(InputError, match=r"item 1 \(measurement group 1\) has no words"):
        _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, [Tool("Length", ((2, 2), (9, 9)))], path))


# --- SR: highdicom TID 1500 ------------------------------------------------------------------------

def _highdicom_sr(ct: pydicom.Dataset, path: Path) -> None:
    source = hd.sr.SourceImageForRegion.from_source_image(ct)
    kind = hd.sr.GraphicTypeValues
    regions = [
        ("Lesion A", kind.POLYLINE, [[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0], [10.0, 10.0]]),
        ("Lesion B", kind.CIRCLE, [[64.0, 64.0], [64.0, 74.0]]),
        ("Lesion C", kind.ELLIPSE, [[90.0, 40.0], [90.0, 60.0], [85.0, 50.0], [95.0, 50.0]]),
        ("Lesion D", kind.POINT, [[100.25, 12.75]]),
    ]
    groups = [
        hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=name),
            referenced_region=hd.sr.ImageRegion(graphic_type=graphic_type, graphic_data=np.array(points),
                                                source_image=source),
            finding_type=codes.SCT.Nodule,
        )
        for name, graphic_type, points in regions
    ]
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(uid=hd.UID()))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=None, observer_device_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion, imaging_measurements=groups)
    hd.sr.Comprehensive3DSR(
        evidence=[ct], content=report[0], series_instance_uid=hd.UID(), series_number=101,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
    ).save_as(path)


def test_highdicom_measurement_report(tmp_path, collection):
    answers, masks = _read_back(tmp_path, collection, lambda path: _highdicom_sr(_ct(), path),
                                entry="    items: [{item: lesion b, text: Hypodense lesion}, 1, 3, 4]\n")
    assert answers == ["<p>Hypodense lesion</p>"] + ["<p>Nodule</p>"] * 3
    _check(masks, [
        [Ellipse(54, 54, 20, 20)],  # items order: Lesion B first (labels with digits: the deid helper, issue 16 defect 2)
        [Polygon(((10, 10), (30, 10), (30, 30), (10, 30)))],
        [Ellipse(85, 40, 10, 20)],
        [Point((100.25, 12.75))],
    ])


def test_an_sr_error_names_the_group_and_quotes_no_identifier(tmp_path):
    """highdicom's refusal quotes the dataset (UIDs included); the reader's own errors do not."""
    from cardgen.annotations.readers import ImageRef, read_annotations
    from cardgen.errors import InputError

    ct = _ct()
    path = tmp_path / "sr.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        write_dcmjs_sr(ct, [Tool("ArrowAnnotate", ((3, 4), (9, 9)), "Pointer"),
                            Tool("EllipticalRoi", ((1, 1), (5, 1), (3, 0)), "Broken")], path)
    with pytest.raises(InputError) as caught:
        read_annotations(path, ImageRef.from_dataset(ct))
    message = str(caught.value)
    assert "measurement group 2" in message and "a ELLIPSE needs 4 points, got 3" in message
    sr = pydicom.dcmread(path)
    assert not any(uid in message for uid in (sr.SOPInstanceUID, ct.SOPInstanceUID, ct.StudyInstanceUID))
    assert "Dataset" not in message
