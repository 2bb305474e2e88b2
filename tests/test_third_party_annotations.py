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
from tests.highdicom_sr import write_measurement_report
from tests.sample_cases import CT_SMALL, write_case

# dcmjs writes codes such as CORNERSTONEFREETEXT where SH allows 16 characters; pydicom warns as the tests write
# and read such a report (test_no_library_warning_reaches_the_terminal checks what a user sees)
pytestmark = pytest.mark.filterwarnings("ignore:The value length \\(\\d+\\) exceeds the maximum length of 16 allowed for VR SH")

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
        Tool("Length", ((20, 20), (40, 20)), "Nodule A", label_in="finding"),  # as OHIF 2 wrote it
        Tool("Bidirectional", (((60, 30), (60, 50)), ((55, 40), (65, 40))), "Mass"),
        Tool("EllipticalRoi", ((90, 80), (110, 80), (100, 75), (100, 85)), "Cyst"),
        Tool("ArrowAnnotate", ((30, 100), (50, 110)), "Fracture"),
        Tool("Length", (patient_mm(ct, 80, 60), patient_mm(ct, 100, 70)), "Node", points_3d=True),
    ]
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


@pytest.mark.parametrize("points_3d", [False, True], ids=["SCOORD", "SCOORD3D"])
def test_dcmjs_arrow_written_as_a_polyline_points_at_its_first_point(tmp_path, collection, points_3d):
    """The current Cornerstone3D adapter writes an arrow with dcmjs's TID300 ArrowAnnotate: a
    POLYLINE of two points, the tip first (tests/dcmjs_sr.py). Read as any two-point line, its head
    was drawn at the tail and the mask centred there, 22 pixels from what the arrow points at."""
    ct = _ct()
    tip, tail = ((30, 100), (50, 110)) if not points_3d else (patient_mm(_ct(), 30, 100), patient_mm(_ct(), 50, 110))
    tool = Tool("ArrowAnnotate", (tip, tail), "Fracture", points_3d=points_3d, arrow_as="polyline")
    answers, masks = _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, [tool], path))
    assert answers == ["<p>Fracture</p>"]
    _check(masks, [[Arrow((50, 110), (30, 100))]])


def test_a_cornerstone3d_tool_name_with_a_parent_type_is_no_label(tmp_path):
    """Cornerstone3D names a tool another can read with both (Cornerstone3DTools@^0.1.0:Probe:KeyImage,
    BaseAdapter3D.ts): the reader took such a Tracking Identifier for words typed by a person, and
    the tool name was drawn on the image and named the finding on its card."""
    from cardgen.annotations.readers import ImageRef, read_annotations

    ct = _ct()
    path = tmp_path / "sr.dcm"
    tools = [Tool("KeyImage", ((40, 50),), "Pars defect", tracking=f"Cornerstone3DTools@^0.1.0:Probe:KeyImage{tail}")
             for tail in (":Point", ":SeriesPoint")] + [
        Tool("Length", ((20, 20), (40, 20)), "Nodule", tracking="Cornerstone3DTools@^0.1.0:Length")]
    write_dcmjs_sr(ct, tools, path)
    annotations = read_annotations(path, ImageRef.from_dataset(ct))
    assert [(a.label, a.text) for a in annotations] == [(None, "Pars defect")] * 2 + [(None, "Nodule")]
    assert all(shape.label is None for a in annotations for shape in a.shapes)


def test_a_cornerstone3d_key_image_marks_the_image_not_a_region(tmp_path, collection):
    """OHIF's key image (Cornerstone3D KeyImageTool, not isPoint) selects the image: OHIF draws its
    icon at a fixed place, but the report keeps the point that was clicked (KeyImage.ts: a TID300
    Point). It became a finding with a cross-hair at that point and the key image's words as the
    answer; a key image point (:Point, :SeriesPoint) stays a point."""
    ct = _ct()
    tools = [Tool("KeyImage", ((70, 30),), "Best view", tracking="Cornerstone3DTools@^0.1.0:Probe:KeyImage"),
             Tool("KeyImage", ((75, 35),), "Series", tracking="Cornerstone3DTools@^0.1.0:Probe:KeyImage:Series"),
             Tool("KeyImage", ((40, 50),), "Pars defect", tracking="Cornerstone3DTools@^0.1.0:Probe:KeyImage:Point"),
             Tool("Length", ((20, 20), (40, 20)), "Nodule", tracking="Cornerstone3DTools@^0.1.0:Length")]
    answers, masks = _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, tools, path))
    assert answers == ["<p>Nodule</p>", "<p>Pars defect</p>"]
    _check(masks, [[Point((40, 50))], [Ellipse(20, 10, 20, 20)]])


@pytest.mark.parametrize("label_as", ["cs3dtext", "comment"])
def test_the_label_typed_in_ohif_3_is_the_answer(tmp_path, collection, label_as):
    """OHIF 3 keeps the label typed in its panel as a Comment (TEXT 121106) since Cornerstone3D's
    LabelData.ts, and dcmjs's own Cornerstone3D adapters code it CS3DTEXT (99dcmjs): the reader
    knew only CORNERSTONEFREETEXT, and the build asked for words the report holds."""
    ct = _ct()
    tools = [Tool("Length", ((20, 20), (40, 20)), "Nodule 2 – ü", tracking="Cornerstone3DTools@^0.1.0:Length",
                  label_as=label_as),
             Tool("EllipticalRoi", ((90, 80), (110, 80), (100, 75), (100, 85)), "Cyst",
                  tracking="Cornerstone3DTools@^0.1.0:EllipticalROI", label_as=label_as)]
    answers, masks = _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, tools, path))
    assert answers == ["<p>Cyst</p>", "<p>Nodule 2 – ü</p>"]
    _check(masks, [[Ellipse(20, 10, 20, 20)], [Ellipse(90, 75, 20, 10)]])


def test_where_ohif_put_a_label_and_a_splines_control_points_are_no_regions(tmp_path, collection):
    """Cornerstone3D writes two SCOORDs that are no region in a measurement group: the place of a
    moved label box (TextPosition, LabelData.ts) and a spline's control points (ControlPoints,
    ControlPointPolyline.ts). Both became regions of the finding: a cross-hair and a mask where
    the label sat, and one for each control point around the outline."""
    ct = _ct()
    outline = ((60, 30), (80, 30), (80, 50), (60, 50))
    tools = [Tool("Length", ((20, 20), (40, 20)), "Nodule", tracking="Cornerstone3DTools@^0.1.0:Length",
                  label_as="comment", text_at=(100, 100)),
             Tool("SplineROI", (*outline, ((70, 28), (82, 40), (70, 52), (58, 40))), "Mass",
                  tracking="Cornerstone3DTools@^0.1.0:PlanarFreehandROI:SplineROI", label_as="comment")]
    answers, masks = _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, tools, path))
    assert answers == ["<p>Mass</p>", "<p>Nodule</p>"]
    _check(masks, [[Ellipse(20, 10, 20, 20)], [Polygon(outline)]])


def test_an_ohif_circle_drawn_in_a_volume_viewport_is_placed(tmp_path, collection):
    """A circle drawn in OHIF's volume (MPR) viewport is saved in patient space: dcmjs's Circle.js
    writes a SCOORD3D CIRCLE (centre, then a point on it), a type the standard gives SCOORD only.
    The build stopped with "3D graphic type 'CIRCLE' is not supported"."""
    ct = _ct()
    tools = [Tool("CircleROI", (patient_mm(ct, 64, 64), patient_mm(ct, 64, 74)), "Cyst", points_3d=True,
                  tracking="Cornerstone3DTools@^0.1.0:CircleROI", label_as="comment"),
             Tool("CircleROI", ((30, 30), (30, 38)), "Node", tracking="Cornerstone3DTools@^0.1.0:CircleROI",
                  label_as="comment")]
    answers, masks = _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, tools, path))
    assert answers == ["<p>Cyst</p>", "<p>Node</p>"]
    _check(masks, [[Ellipse(54, 54, 20, 20)], [Ellipse(22, 22, 16, 16)]])


def test_dcmjs_report_without_labels_asks_for_words(tmp_path, collection):
    from cardgen.errors import InputError

    ct = _ct()
    with pytest.raises(InputError, match=r"item 1 \(measurement group 1\) has no words"):
        _read_back(tmp_path, collection, lambda path: write_dcmjs_sr(ct, [Tool("Length", ((2, 2), (9, 9)))], path))


# --- SR: highdicom TID 1500 ------------------------------------------------------------------------

def test_highdicom_measurement_report(tmp_path, collection):
    answers, masks = _read_back(tmp_path, collection, lambda path: write_measurement_report(_ct(), path, ("Lesion A", "Lesion B", "Lesion C", "Lesion D")),
                                entry="    items: [{item: lesion b, text: Hypodense lesion}, 1, 3, 4]\n")
    assert answers == ["<p>Hypodense lesion</p>"] + ["<p>Nodule</p>"] * 3
    _check(masks, [
        [Ellipse(54, 54, 20, 20)],  # items order: Lesion B first
        [Polygon(((10, 10), (30, 10), (30, 30), (10, 30)))],
        [Ellipse(85, 40, 10, 20)],
        [Point((100.25, 12.75))],
    ])


def test_a_comment_in_another_writers_report_is_no_answer(tmp_path, collection):
    """A Comment (TEXT 121106) is where a Cornerstone writer keeps the label typed in OHIF 3; in a
    report by another writer (highdicom here) it is a remark beside the coded Finding, which stays
    the answer."""
    def write(path: Path) -> None:
        write_measurement_report(_ct(), path, ("Lesion A", "Lesion B", "Lesion C", "Lesion D"))
        report = pydicom.dcmread(path)
        comment = pydicom.Dataset()
        comment.RelationshipType, comment.ValueType = "CONTAINS", "TEXT"
        code = pydicom.Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "121106", "DCM", "Comment"
        comment.ConceptNameCodeSequence = [code]
        comment.TextValue = "Stable since the prior study"

        def groups(items):
            for item in items or []:
                names = item.get("ConceptNameCodeSequence") or []
                if names and str(names[0].CodeValue) == "125007":  # Measurement Group
                    yield item
                else:
                    yield from groups(item.get("ContentSequence"))
        for group in groups(report.ContentSequence):
            group.ContentSequence.append(comment)
        report.save_as(path)

    answers, _ = _read_back(tmp_path, collection, write)
    assert answers == ["<p>Nodule</p>"] * 4


def test_an_sr_error_names_the_group_and_quotes_no_identifier(tmp_path):
    """highdicom's refusal quotes the dataset (UIDs included); the reader's own errors do not."""
    from cardgen.annotations.readers import ImageRef, read_annotations
    from cardgen.errors import InputError

    ct = _ct()
    path = tmp_path / "sr.dcm"
    write_dcmjs_sr(ct, [Tool("ArrowAnnotate", ((3, 4), (9, 9)), "Pointer"),
                        Tool("EllipticalRoi", ((1, 1), (5, 1), (3, 0)), "Broken")], path)
    with pytest.raises(InputError) as caught:
        read_annotations(path, ImageRef.from_dataset(ct))
    message = str(caught.value)
    assert "measurement group 2" in message and "a ELLIPSE needs 4 points, got 3" in message
    sr = pydicom.dcmread(path)
    assert not any(uid in message for uid in (sr.SOPInstanceUID, ct.SOPInstanceUID, ct.StudyInstanceUID))
    assert "Dataset" not in message


# --- GSPS: highdicom, tracked objects and graphic groups ----------------------------------------

def _highdicom_gsps(ct: pydicom.Dataset, path: Path) -> None:
    pixel, kind = hd.pr.AnnotationUnitsValues.PIXEL, hd.pr.GraphicTypeValues
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    effusion = hd.pr.GraphicGroup(graphic_group_id=1, label="Effusion")
    nodule_uid = hd.UID()
    item = hd.pr.GraphicAnnotation(
        referenced_images=[ct], graphic_layer=layer,
        graphic_objects=[
            # One tracked object drawn twice (an outline and a pointer), one graphic group, and
            # an untracked ellipse: three findings from one Graphic Annotation item.
            hd.pr.GraphicObject(kind.CIRCLE, np.array([[40.0, 40.0], [48.0, 40.0]]), units=pixel,
                                tracking_id="Nodule A", tracking_uid=nodule_uid),
            hd.pr.GraphicObject(kind.POLYLINE, np.array([[70.0, 20.0], [48.0, 40.0]]), units=pixel,
                                tracking_id="Nodule A", tracking_uid=nodule_uid),
            hd.pr.GraphicObject(kind.POLYLINE, np.array([[10.0, 90.0], [40.0, 90.0], [40.0, 120.0], [10.0, 90.0]]),
                                units=pixel, graphic_group=effusion),
            hd.pr.GraphicObject(kind.ELLIPSE, np.array([[80.0, 100.0], [110.0, 100.0], [95.0, 95.0], [95.0, 105.0]]),
                                units=pixel),
        ],
        text_objects=[
            # Words in a box: the untracked objects' answer; the box itself masks nothing.
            hd.pr.TextObject("Renal cyst", units=pixel, bounding_box=(70.0, 110.0, 120.0, 125.0)),
        ],
    )
    hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="TEACHING",
        graphic_layers=[layer], graphic_groups=[effusion], graphic_annotations=[item],
    ).save_as(path)


def test_highdicom_presentation_state_one_finding_per_tracked_object_and_group(tmp_path, collection):
    answers, masks = _read_back(tmp_path, collection, lambda path: _highdicom_gsps(_ct(), path))
    assert answers == ["<p>Effusion</p>", "<p>Nodule A</p>", "<p>Renal cyst</p>"]
    _check(masks, [
        [Ellipse(32, 32, 16, 16), Arrow((70, 20), (48, 40))],
        [Polygon(((10, 90), (40, 90), (40, 120)))],
        [Ellipse(80, 95, 30, 10)],
    ])


def _turned(x: float, y: float, area: tuple[float, float, float, float], rotation: int,
            flip: bool) -> tuple[float, float]:
    """Where image pixel (x, y) lies on a viewer's display, as fractions of the displayed ``area``
    (left, top, width, height): PS3.3 C.10.6, the image turned clockwise by ``rotation``, then flipped."""
    left, top, width, height = area
    a, b = (x - left) / width, (y - top) / height
    u, v = {0: (a, b), 90: (1 - b, a), 180: (1 - a, 1 - b), 270: (b, 1 - a)}[rotation]
    return (1 - u if flip else u), v


def _gsps_on_a_turned_display(ct: pydicom.Dataset, path: Path, rotation: int, flip: bool,
                              area: tuple[float, float, float, float] | None) -> None:
    """A circle (centre (40, 56), radius 8 image pixels) and a text in a box anchored at (100, 30),
    written in DISPLAY units as a viewer showing the image turned would write them."""
    display = hd.pr.AnnotationUnitsValues.DISPLAY
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    shown = area or (0.0, 0.0, float(SOURCE), float(SOURCE))
    on_display = [_turned(x, y, shown, rotation, flip) for x, y in ((40, 56), (48, 56), (100, 30))]
    item = hd.pr.GraphicAnnotation(
        referenced_images=[ct], graphic_layer=layer,
        graphic_objects=[hd.pr.GraphicObject(hd.pr.GraphicTypeValues.CIRCLE, np.array(on_display[:2]),
                                             units=display, tracking_id="Nodule", tracking_uid=hd.UID())],
        text_objects=[hd.pr.TextObject("Rib", units=display, anchor_point=on_display[2],
                                       bounding_box=(0.6, 0.8, 0.7, 0.85))])
    state = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="TEACHING",
        graphic_layers=[layer], graphic_annotations=[item])
    state.ImageRotation = rotation
    state.ImageHorizontalFlip = "Y" if flip else "N"
    if area is not None:
        # The corners are the pixels shown top left and bottom right after the turn (1-based column, row).
        left, top, width, height = area
        corners = [(int(left + 1), int(top + 1)), (int(left + width), int(top + 1)),
                   (int(left + 1), int(top + height)), (int(left + width), int(top + height))]
        on_screen = {corner: _turned(corner[0] - 0.5, corner[1] - 0.5, area, rotation, flip) for corner in corners}
        selection = state.DisplayedAreaSelectionSequence[0]
        selection.DisplayedAreaTopLeftHandCorner = list(min(corners, key=lambda c: sum(on_screen[c])))
        selection.DisplayedAreaBottomRightHandCorner = list(max(corners, key=lambda c: sum(on_screen[c])))
    state.save_as(path)


@pytest.mark.parametrize(("rotation", "flip", "area"), [
    (0, False, None), (90, False, None), (180, False, None), (270, False, None), (0, True, None),
    (90, True, None), (90, False, (32.0, 16.0, 80.0, 96.0)), (270, True, (32.0, 16.0, 80.0, 96.0)),
])
def test_display_units_follow_the_presentation_states_rotation_and_flip(tmp_path, collection, rotation, flip, area):
    """DISPLAY units are fractions of the display after the turn (PS3.3 C.10.5/C.10.6); cardgen shows
    the image unturned. Every turn but none put the marks elsewhere (a flip: 300 px away on a
    600-pixel render) until the reader turned them back."""
    answers, masks = _read_back(tmp_path, collection,
                                lambda path: _gsps_on_a_turned_display(_ct(), path, rotation, flip, area))
    assert answers == ["<p>Nodule</p>", "<p>Rib</p>"]
    _check(masks, [[Ellipse(32, 48, 16, 16)], [Arrow((0, 0), (100, 30))]])


def test_a_rotation_no_viewer_can_show_is_refused_where_display_units_need_it(tmp_path):
    def write(path: Path) -> None:
        _gsps_on_a_turned_display(_ct(), path, 0, False, None)
        state = pydicom.dcmread(path)
        state.ImageRotation = 45
        state.save_as(path)

    output = _refused(tmp_path, write)
    assert "the image rotation is not 0, 90, 180 or 270 degrees" in output and "ImageRotation (0070,0042)" in output
    assert "45" in output


def test_a_direction_override_in_an_objects_text_never_reaches_a_card(tmp_path, collection):
    """A viewer's label is the object's own text, not a case file's (which refuses the character): a
    right-to-left override in it showed the letters after it reversed on the card."""
    def write(path: Path) -> None:
        _gsps_on_a_turned_display(_ct(), path, 0, False, None)
        state = pydicom.dcmread(path)
        state.SpecificCharacterSet = "ISO_IR 192"
        state.GraphicAnnotationSequence[0].TextObjectSequence[0].UnformattedTextValue = "Rib \u202ebarqyZ"
        state.save_as(path)

    answers, _ = _read_back(tmp_path, collection, write)
    assert answers == ["<p>Nodule</p>", "<p>Rib barqyZ</p>"]


def _gsps_with_an_overlay(ct: pydicom.Dataset, path: Path, *, with_graphic: bool) -> None:
    """A highdicom GSPS carrying overlay plane 6000 (rows 20-39, columns 80-109 set), with or without
    a circle of its own."""
    from pydicom.pixels import pack_bits

    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    pixel = hd.pr.AnnotationUnitsValues.PIXEL
    annotations = [hd.pr.GraphicAnnotation(referenced_images=[ct], graphic_layer=layer, graphic_objects=[
        hd.pr.GraphicObject(hd.pr.GraphicTypeValues.CIRCLE, np.array([[40.0, 60.0], [50.0, 60.0]]), units=pixel)])]
    state = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="TEACHING", graphic_layers=[layer],
        graphic_annotations=annotations if with_graphic else None)
    bitmap = np.zeros((SOURCE, SOURCE), np.uint8)
    bitmap[20:40, 80:110] = 1
    for element, vr, value in ((0x0010, "US", SOURCE), (0x0011, "US", SOURCE), (0x0040, "CS", "G"),
                               (0x0050, "SS", [1, 1]), (0x0100, "US", 1), (0x0102, "US", 0),
                               (0x3000, "OW", pack_bits(bitmap.ravel())), (0x1001, "CS", "FINDINGS")):
        state.add_new(0x60000000 + element, vr, value)
    state.save_as(path)


@pytest.mark.parametrize("with_graphic", [True, False])
def test_a_presentation_states_overlay_is_a_finding_beside_its_graphics(tmp_path, collection, with_graphic):
    """The state's reader read only its graphics: the overlay was dropped (with a circle) or the file
    held 'no annotation for this image' (alone)."""
    answers, masks = _read_back(tmp_path, collection,
                                lambda path: _gsps_with_an_overlay(_ct(), path, with_graphic=with_graphic),
                                entry="    text: Rib\n")
    overlay = [Rect(80, 20, 30, 20)]
    _check(masks, [[Ellipse(30, 50, 20, 20)], overlay] if with_graphic else [overlay])
    assert answers == ["<p>Rib</p>"] * (2 if with_graphic else 1)


# --- SEG: highdicom -----------------------------------------------------------------------------------

def _segment(number: int, label: str) -> hd.seg.SegmentDescription:
    return hd.seg.SegmentDescription(
        segment_number=number, segment_label=label,
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Lesion, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)


def _highdicom_seg(ct: pydicom.Dataset, path: Path, segmentation_type: str = "BINARY") -> None:
    masks = np.zeros((1, SOURCE, SOURCE, 3), dtype=np.uint8 if segmentation_type == "BINARY" else np.float32)
    masks[0, 20:40, 10:30, 0] = 1  # a rectangle
    masks[0, 60:80, 60:70, 1] = 1  # an L: a bar down ...
    masks[0, 70:80, 70:90, 1] = 1  # ... and its foot
    masks[0, 100:104, 5:9, 2] = 1  # two separate squares: one segment, two regions
    masks[0, 100:104, 115:119, 2] = 1
    hd.seg.Segmentation(
        source_images=[ct], pixel_array=masks, segmentation_type=segmentation_type,
        segment_descriptions=[_segment(1, "Lesion"), _segment(2, "Vessel"), _segment(3, "Nodes")],
        series_instance_uid=hd.UID(), series_number=200, sop_instance_uid=hd.UID(), instance_number=1,
        manufacturer="cardgen tests", manufacturer_model_name="tests", software_versions="1",
        device_serial_number="1",
    ).save_as(path)


@pytest.mark.parametrize("segmentation_type", ["BINARY", "FRACTIONAL"])
def test_highdicom_segmentation_each_segment_an_outlined_finding(tmp_path, collection, segmentation_type):
    answers, masks = _read_back(tmp_path, collection, lambda path: _highdicom_seg(_ct(), path, segmentation_type))
    assert answers == ["<p>Lesion</p>", "<p>Nodes</p>", "<p>Vessel</p>"]
    # Outlines run along the pixels' outer edges (corner-origin coordinates).
    _check(masks, [
        [Polygon(((10, 20), (30, 20), (30, 40), (10, 40)))],
        [Polygon(((60, 60), (70, 60), (70, 70), (90, 70), (90, 80), (60, 80)))],
        [Polygon(((5, 100), (9, 100), (9, 104), (5, 104))), Polygon(((115, 100), (119, 100), (119, 104), (115, 104)))],
    ])


# --- RTSTRUCT: rt-utils ---------------------------------------------------------------------------------

def test_rt_utils_structure_set_on_the_key_slice_of_a_series(tmp_path, collection):
    """rt-utils (Qurit, PyPI) turns masks into contours with OpenCV, through pixel centres, on each
    slice of a series folder; the case shows slice 1 (z = 5 mm) of the three."""
    from rt_utils import RTStructBuilder

    from cardgen.imaging.series import series_files
    from tests.test_build_stacks import _write_series

    case_dir = write_case(tmp_path / "cases", "rt", """\
id: rt-1
title: Contours from an RT structure set
images:
  - file: series
    frame: 1
annotations:
  - file: annotations.dcm
""", image=None)
    _write_series(case_dir / "series")
    rtstruct = RTStructBuilder.create_new(dicom_series_path=str(case_dir / "series"))
    # rt-utils orders its mask's slices as it sorts the series; find the key slice's place in it.
    key_uid = pydicom.dcmread(series_files(case_dir / "series")[1]).SOPInstanceUID
    order = [ds.SOPInstanceUID for ds in rtstruct.series_data]
    key, other = order.index(key_uid), (order.index(key_uid) + 1) % len(order)
    for name, rows, columns, index in (("Tumour", slice(20, 40), slice(10, 30), key),
                                        ("Spinal cord", slice(70, 80), slice(60, 66), key),
                                        ("Elsewhere", slice(5, 15), slice(100, 120), other)):
        mask = np.zeros((SOURCE, SOURCE, len(order)), dtype=bool)
        mask[rows, columns, index] = True
        rtstruct.add_roi(mask=mask, name=name)
    rtstruct.save(str(case_dir / "annotations.dcm"))
    out = tmp_path / "rt.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)

    answers = sorted(collection.get_note(n)["Answer"] for n in collection.find_notes("note:cardgen*finding*"))
    assert answers == ["<p>Spinal cord</p>", "<p>Tumour</p>"]
    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    note = collection.get_image_occlusion_note(note_id=note_id).note
    by_ordinal = {o.ordinal: [{"kind": s.shape, **{p.name: p.value for p in s.properties}} for s in o.shapes]
                  for o in note.occlusions if o.ordinal > 0}
    # Contours through the centres of the corner pixels: pixel column c's centre is at x = c + 0.5.
    for ordinal, (left, top, right, bottom) in ((1, (10.5, 20.5, 29.5, 39.5)), (2, (60.5, 70.5, 65.5, 79.5))):
        [mask] = by_ordinal[ordinal]
        points = sorted(_polygon_points(mask))
        expected = sorted([(left, top), (right, top), (right, bottom), (left, bottom)])
        assert [v for p in points for v in p] == pytest.approx([v for p in expected for v in p], abs=HALF_PIXEL)


def _series_seg(case_dir: Path, path: Path, *, strip_references: bool, segmentation_type: str = "BINARY") -> None:
    """A highdicom SEG over the three slices of a series: 'Lesion' on the key slice (sorted index
    1), 'Other' on another. Stripped of its references to the source images, it is what a tool
    writes from a volume (a NIfTI mask): only its geometry then places it. A LABELMAP SEG holds
    one frame per slice whose pixel values are segment numbers."""
    from cardgen.imaging.series import series_files

    slices = [pydicom.dcmread(p) for p in series_files(case_dir / "series")]
    masks = np.zeros((3, SOURCE, SOURCE, 2), dtype=np.uint8)
    masks[1, 20:40, 10:30, 0] = 1
    masks[2, 50:60, 50:60, 1] = 1
    if segmentation_type == "LABELMAP":
        masks = masks[..., 0] + 2 * masks[..., 1]
    seg = hd.seg.Segmentation(
        source_images=slices, pixel_array=masks, segmentation_type=segmentation_type,
        segment_descriptions=[_segment(1, "Lesion"), _segment(2, "Other")],
        series_instance_uid=hd.UID(), series_number=200, sop_instance_uid=hd.UID(), instance_number=1,
        manufacturer="cardgen tests", manufacturer_model_name="tests", software_versions="1",
        device_serial_number="1")
    if strip_references:
        for frame in seg.PerFrameFunctionalGroupsSequence:
            del frame.DerivationImageSequence
        del seg.ReferencedSeriesSequence
        if "SourceImageSequence" in seg:
            del seg.SourceImageSequence
    seg.save_as(path)


@pytest.mark.parametrize(("strip_references", "segmentation_type"), [
    (False, "BINARY"), (True, "BINARY"), (False, "LABELMAP"),
    (True, "LABELMAP"),  # read nothing: its frames carry no Segment Identification, one frame holds every segment
], ids=["by source image", "by geometry", "label map by source image", "label map by geometry"])
def test_highdicom_segmentation_of_a_series_keeps_the_key_slice(tmp_path, collection, strip_references,
                                                                segmentation_type):
    from tests.test_build_stacks import _write_series

    case_dir = write_case(tmp_path / "cases", "seg", """\
id: seg-1
title: A segmentation over a series
images:
  - file: series
    frame: 1
annotations:
  - file: annotations.dcm
""", image=None)
    _write_series(case_dir / "series")
    _series_seg(case_dir, case_dir / "annotations.dcm", strip_references=strip_references,
                segmentation_type=segmentation_type)
    if strip_references:
        assert not hd.seg.segread(case_dir / "annotations.dcm").get_source_image_uids()
    out = tmp_path / "seg.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)
    assert [collection.get_note(n)["Answer"] for n in collection.find_notes("note:cardgen*finding*")] == ["<p>Lesion</p>"]
    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    note = collection.get_image_occlusion_note(note_id=note_id).note
    [[mask]] = [[{"kind": s.shape, **{p.name: p.value for p in s.properties}} for s in o.shapes]
                for o in note.occlusions if o.ordinal > 0]
    assert_mask_is(mask, Polygon(((10, 20), (30, 20), (30, 40), (10, 40))))


def test_a_3d_region_needs_a_slice_to_be_placed_on(tmp_path):
    """SCOORD3D regions were skipped without a word; on an image without geometry they are an error."""
    from cardgen.annotations.readers import ImageRef, read_annotations
    from cardgen.errors import InputError

    ct = _ct()
    path = tmp_path / "sr.dcm"
    write_dcmjs_sr(ct, [Tool("Length", (patient_mm(ct, 8, 6), patient_mm(ct, 10, 6)), "Node", points_3d=True)],
                   path)
    with pytest.raises(InputError, match="SCOORD3D") as caught:
        read_annotations(path, ImageRef(width=128, height=128))
    assert caught.value.field.startswith("measurement group 1")
    # On the slice it was drawn on, it is read; on a slice 50 mm away, it is not there.
    assert len(read_annotations(path, ImageRef.from_dataset(ct))) == 1
    ct.ImagePositionPatient = [float(ct.ImagePositionPatient[0]), float(ct.ImagePositionPatient[1]),
                               float(ct.ImagePositionPatient[2]) + 50]
    assert read_annotations(path, ImageRef.from_dataset(ct)) == []


# --- GSPS: shaped as Weasis writes it --------------------------------------------------------------

def _weasis_gsps(ct: pydicom.Dataset, path: Path) -> None:
    """A presentation state laid out as Weasis's PrSerializer writes one (github.com/nroduit/Weasis,
    weasis-dicom-explorer .../pr/PrSerializer.java, read for this test): one Graphic Annotation item
    per layer holding every drawing of that layer, no tracking IDs or graphic groups; an ellipse or
    an arrow flattened into POLYLINE contours (transformShapeToContour: an arrow is its shaft and
    its head, meeting at the tip); each drawing's label a text object with a bounding box only; a
    text annotation a text object with a visible anchor."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    def polyline(points) -> Dataset:
        graphic = Dataset()
        graphic.GraphicAnnotationUnits, graphic.GraphicDimensions, graphic.GraphicFilled = "PIXEL", 2, "N"
        graphic.GraphicType = "POLYLINE"
        graphic.GraphicData = [float(v) for point in points for v in point]
        graphic.NumberOfGraphicPoints = len(points)
        return graphic

    def label(text: str, left: float, top: float, right: float, bottom: float, anchor=None) -> Dataset:
        item = Dataset()
        item.BoundingBoxAnnotationUnits = "PIXEL"
        item.BoundingBoxTopLeftHandCorner, item.BoundingBoxBottomRightHandCorner = [left, top], [right, bottom]
        item.BoundingBoxTextHorizontalJustification = "LEFT"
        item.UnformattedTextValue = text
        if anchor is not None:
            item.AnchorPoint, item.AnchorPointVisibility, item.AnchorPointAnnotationUnits = list(anchor), "Y", "PIXEL"
        return item

    ellipse = [(95 + 10 * math.cos(t), 60 + 5 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 17)[:-1]]
    layer = Dataset()
    layer.GraphicLayer = "DRAW"
    layer.GraphicObjectSequence = Sequence([
        polyline(ellipse + [ellipse[0]]),
        polyline([(20, 100), (40, 80)]), polyline([(33, 81), (40, 80), (39, 87)]),  # shaft, head
        polyline([(10, 10), (30, 10), (30, 25), (10, 25), (10, 10)]),
    ])
    layer.TextObjectSequence = Sequence([
        label("Cyst", 100, 68, 120, 75),
        label("Fracture", 5, 110, 35, 118),
        label("Node", 12, 27, 30, 33),
        label("Erosion", 60, 5, 100, 12, anchor=(110.0, 30.0)),
    ])
    reference = Dataset()
    reference.ReferencedSOPClassUID, reference.ReferencedSOPInstanceUID = ct.SOPClassUID, ct.SOPInstanceUID
    layer.ReferencedImageSequence = Sequence([reference])
    gsps = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=999, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="GSPS",
        graphic_layers=[hd.pr.GraphicLayer(layer_name="DRAW", order=0)], graphic_annotations=[],
    )
    gsps.GraphicAnnotationSequence = Sequence([layer])
    gsps.save_as(path)


def test_weasis_presentation_state_one_finding_per_drawing(tmp_path, collection):
    ct = _ct()
    answers, masks = _read_back(tmp_path, collection, lambda path: _weasis_gsps(ct, path))
    assert answers == ["<p>Cyst</p>", "<p>Erosion</p>", "<p>Fracture</p>", "<p>Node</p>"]
    ellipse = [(95 + 10 * math.cos(t), 60 + 5 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 17)[:-1]]
    _check(masks, [
        [Polygon(tuple(ellipse))],
        [Arrow((20, 100), (40, 80)), Polygon(((33, 81), (40, 80), (39, 87)))],  # the arrow and its head
        [Polygon(((10, 10), (30, 10), (30, 25), (10, 25)))],
        [Arrow((80, 8.5), (110, 30))],  # the text's anchor line
    ])


def test_highdicom_3d_and_volumetric_regions(tmp_path):
    """A planar group whose region is an ImageRegion3D (SCOORD3D POLYGON in patient mm) and a
    volumetric group (TID 1411) with a region per slice, as highdicom writes them."""
    from cardgen.annotations.readers import ImageRef, read_annotations

    ct = _ct()
    polygon = np.array([patient_mm(ct, x, y) for x, y in [(10, 10), (40, 10), (40, 30), (10, 10)]])
    planar = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="Planar region"),
        referenced_region=hd.sr.ImageRegion3D(graphic_type=hd.sr.GraphicTypeValues3D.POLYGON, graphic_data=polygon,
                                              frame_of_reference_uid=ct.FrameOfReferenceUID),
        finding_type=codes.SCT.Nodule)
    volumetric = hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="Volume"),
        referenced_regions=[hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=np.array([[60.0, 60.0], [80.0, 60.0], [80.0, 80.0], [60.0, 60.0]]),
            source_image=hd.sr.SourceImageForRegion.from_source_image(ct))],
        finding_type=codes.SCT.Mass)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(uid=hd.UID()))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=None, observer_device_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion, imaging_measurements=[planar, volumetric])
    path = tmp_path / "sr.dcm"
    hd.sr.Comprehensive3DSR(evidence=[ct], content=report[0], series_instance_uid=hd.UID(), series_number=1,
                            sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests").save_as(path)

    first, second = read_annotations(path, ImageRef.from_dataset(ct))
    assert (first.label, first.text, second.label, second.text) == ("Planar region", "Nodule", "Volume", "Mass")
    [projected], [drawn] = first.shapes, second.shapes
    assert [v for p in projected.points for v in p] == pytest.approx([10, 10, 40, 10, 40, 30], abs=1e-3)
    assert drawn.points == ((60, 60), (80, 60), (80, 80))


def test_dcmjs_report_without_group_containers(tmp_path):
    """Before 2019 dcmjs wrote each group's items straight into Imaging Measurements."""
    from cardgen.annotations.readers import ImageRef, read_annotations

    ct = _ct()
    path = tmp_path / "sr.dcm"
    tools = [Tool("Length", ((20, 20), (40, 20)), "Nodule A", label_in="finding"),
             Tool("EllipticalRoi", ((90, 80), (110, 80), (100, 75), (100, 85)), "Cyst", label_in="finding")]
    write_dcmjs_sr(ct, tools, path, containers=False)
    read = read_annotations(path, ImageRef.from_dataset(ct))
    assert [(a.text, a.shapes) for a in read] == [("Nodule A", (Ellipse(20, 10, 20, 20),)),
                                                   ("Cyst", (Ellipse(90, 75, 20, 10),))]


# --- Damaged objects from other tools --------------------------------------------------------------
# Found by mutating these tools' objects (deleting elements and sequence items, shortening
# multi-valued elements, values of the wrong kind): each was a traceback. Each is now the case's
# error naming the element, or, where the element only refines the picture, the object still builds.

def _first(ds: pydicom.Dataset, keyword: str) -> pydicom.Dataset:
    """The first dataset (the top level or any sequence item, depth first) holding ``keyword``."""
    if keyword in ds:
        return ds
    for element in ds:
        if element.VR == "SQ":
            for item in element.value:
                found = _first(item, keyword)
                if found is not None:
                    return found
    return None


def _damaged(write, damage):
    def write_damaged(path: Path) -> None:
        write(path)
        ds = pydicom.dcmread(path)
        damage(ds)
        ds.save_as(path)
    return write_damaged


def _one_value(keyword: str, value):
    def damage(ds):
        setattr(_first(ds, keyword), keyword, value)
    return damage


def _without(keyword: str):
    def damage(ds):
        delattr(_first(ds, keyword), keyword)
    return damage


def _refused(tmp_path: Path, write) -> str:
    from click.testing import CliRunner

    from cardgen.cli import main

    case_dir = write_case(tmp_path / "cases", "damaged", "id: damaged-1\ntitle: A damaged object\nimages:\n"
                          "  - file: ct.dcm\nannotations:\n  - file: annotations.dcm\n")
    write(case_dir / "annotations.dcm")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and not (tmp_path / "o.apkg").exists()
    assert "annotations.dcm" in result.output  # the object named (its own path, or the case's field)
    return result.output


def _undefined_lengths(dataset: pydicom.Dataset) -> None:
    """Every sequence and item of ``dataset`` written up to a delimiter instead of with its length."""
    for each in dataset:
        if each.VR == "SQ":
            each.is_undefined_length = True
            for inner in each.value:
                inner.is_undefined_length_sequence_item = True
                _undefined_lengths(inner)


def _cut_in_the_last_item(write, *, delimited: bool = False):
    """The object written by ``write``, cut off inside its last sequence item's header (a copy
    interrupted). With lengths, the header says how much is missing; with delimiters (``delimited``)
    only reading to the end shows it: pydicom's error then named no file and quoted a traceback per
    level of nesting."""
    def write_cut(path: Path) -> None:
        write(path)
        if delimited:
            ds = pydicom.dcmread(path)
            _undefined_lengths(ds)
            ds.save_as(path)
        data = path.read_bytes()
        path.write_bytes(data[:data.rindex(bytes.fromhex("feff00e0")) + 4])
    return write_cut


def _nested_report(depth: int):
    """The measurement report with a content item nested ``depth`` levels deep (a hostile or broken
    writer), spliced in as bytes: pydicom itself cannot write a dataset that deep."""
    import struct

    def element(group: int, number: int, vr: bytes, value: bytes) -> bytes:
        value += b" " * (len(value) % 2)
        return struct.pack("<HH", group, number) + vr + struct.pack("<H", len(value)) + value

    item, item_end = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF), struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    sequence = struct.pack("<HH", 0x0040, 0xA730) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF)
    sequence_end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    container = item + element(0x0040, 0xA010, b"CS", b"CONTAINS") + element(0x0040, 0xA040, b"CS", b"CONTAINER")

    def write(ct: pydicom.Dataset, path: Path) -> None:
        write_measurement_report(ct, path)
        ds = pydicom.dcmread(path)
        placeholder = pydicom.Dataset()
        placeholder.RelationshipType, placeholder.ValueType, placeholder.TextValue = "CONTAINS", "TEXT", "PLACEHOLDER"
        ds.ContentSequence = [*ds.ContentSequence, placeholder]

        _undefined_lengths(ds)  # so that bytes can be spliced in without fixing a length
        ds.save_as(path)
        data = path.read_bytes()
        at = data.index(b"PLACEHOLDER")
        start, end = data.rindex(item, 0, at), data.index(item_end, at) + len(item_end)
        deep = (container + sequence) * depth + item + item_end + (sequence_end + item_end) * depth
        path.write_bytes(data[:start] + deep + data[end:])
    return write


def _gsps_zero_circle(ct: pydicom.Dataset, path: Path) -> None:
    _highdicom_gsps(ct, path)
    ds = pydicom.dcmread(path)
    _first(ds, "GraphicData").GraphicData = [40.0, 40.0, 40.0, 40.0]  # the circle's edge at its centre
    ds.save_as(path)


@pytest.mark.parametrize("write, damage, words", [
    # found by a robustness sweep: each was a traceback, a page of pasted tracebacks, or an invisible mask
    (_nested_report(400), None, ["nested hundreds of levels deep", "export the file again"]),
    (lambda ct, path: _cut_in_the_last_item(lambda whole: write_measurement_report(ct, whole))(path), None,
     ["the file is cut short: (0040,A730) needs", "the file is truncated"]),
    (lambda ct, path: _cut_in_the_last_item(lambda whole: write_measurement_report(ct, whole), delimited=True)(path),
     None, ["cannot read the DICOM file: No tag to read at file position", "the file may be truncated"]),
    (_gsps_zero_circle, None, ["the region has no area"]),
    (_weasis_gsps, _one_value("GraphicData", 1e30), ["GraphicData (0070,0022)", "expected 2 values per point"]),
    (_weasis_gsps, _one_value("GraphicData", [10.0, float("nan")]), ["not a finite number"]),
    (_weasis_gsps, _without("BoundingBoxBottomRightHandCorner"), ["needs both corners"]),
    (_weasis_gsps, _one_value("BoundingBoxTopLeftHandCorner", 3.0), ["needs both corners"]),
    (_highdicom_seg, _without("BitsStored"), ["highdicom cannot read this segmentation's frames"]),
], ids=["nested-400-deep", "truncated-report", "truncated-delimited-report", "zero-circle", "one-value-graphic", "nan-graphic", "one-corner",
        "one-number-corner", "seg-no-bits-stored"])
def test_a_damaged_object_is_the_cases_error_naming_what_is_wrong(tmp_path, write, damage, words):
    written = (lambda path: write(_ct(), path)) if damage is None else _damaged(lambda path: write(_ct(), path), damage)
    output = _refused(tmp_path, written)
    for word in words:
        assert word in output, (word, output)
    assert len(output.splitlines()) <= 4, output  # one problem, in a line or two


def test_no_library_warning_reaches_the_terminal(tmp_path):
    # dcmjs writes CORNERSTONEFREETEXT where SH allows 16 characters: pydicom's UserWarning with its
    # source line was printed by every command on such a report
    import subprocess
    import sys

    ct = _ct()
    case_dir = write_case(tmp_path / "cases", "ohif", "id: ohif-1\ntitle: From OHIF\nimages:\n  - file: ct.dcm\n"
                          "annotations:\n  - file: annotations.dcm\n")
    write_dcmjs_sr(ct, [Tool("Length", ((20, 20), (40, 20)), "Nodule A")], case_dir / "annotations.dcm")
    done = subprocess.run([sys.executable, "-m", "cardgen", "check", str(tmp_path / "cases")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr and "warn" not in done.stderr, done.stderr
    shown = subprocess.run([sys.executable, "-W", "default", "-m", "cardgen", "check", str(tmp_path / "cases")],
                           capture_output=True, text=True)
    assert "UserWarning" in shown.stderr  # a developer asking for warnings still gets them


def test_a_displayed_area_of_one_number_is_ignored_not_an_error(tmp_path, collection):
    # PIXEL units do not need the displayed area: the object still builds, masks where drawn.
    write = _damaged(lambda path: _highdicom_gsps(_ct(), path), _one_value("DisplayedAreaTopLeftHandCorner", 1))
    answers, masks = _read_back(tmp_path, collection, write)
    assert answers == ["<p>Effusion</p>", "<p>Nodule A</p>", "<p>Renal cyst</p>"]
    _check(masks, [
        [Ellipse(32, 32, 16, 16), Arrow((70, 20), (48, 40))],
        [Polygon(((10, 90), (40, 90), (40, 120)))],
        [Ellipse(80, 95, 30, 10)],
    ])


def test_a_reader_surprised_by_an_object_says_so_without_quoting_it(tmp_path, monkeypatch):
    # Whatever shape of object a reader does not expect yet: the case's error, naming the file and
    # the reader's surprise, not the message (which may quote the object's values, a name included).
    from cardgen.annotations.readers.gsps import GspsReader

    def surprised(self, path, image):
        raise TypeError("float() argument must be a string or a real number, not 'Zyqrab^John'")

    monkeypatch.setattr(GspsReader, "read", surprised)
    output = _refused(tmp_path, lambda path: _weasis_gsps(_ct(), path))
    assert "TypeError in its reader" in output and "annotations.dcm" in output
    assert "Zyqrab" not in output
