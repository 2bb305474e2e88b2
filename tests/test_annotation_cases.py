"""Annotation files pointed at by a case: stacks, multi-frame images, clipping, and the case's own
words and choices (``text:``, ``label:``, ``items:`` on an ``annotations`` entry).

Test data: the images are pydicom's CT_small.dcm (inside the pydicom wheel), copied into a series of
three slices or a four-frame file here (tests/test_build_stacks.py); the presentation states and
the measurement report are written here with highdicom (0.28) against those images.
"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from pydicom.sr.codedict import codes

from cardgen.build import BuildOptions, build_deck
from cardgen.errors import InputError
from cardgen.imaging.series import series_files
from tests.anki_helpers import import_package
from tests.sample_cases import CT_SMALL, write_case
from tests.test_build_stacks import _write_multiframe, _write_series

SOURCE = 128  # CT_small.dcm is 128 x 128
PIXEL = hd.pr.AnnotationUnitsValues.PIXEL
KIND = hd.pr.GraphicTypeValues
LAYER = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)


def _circle(cx: float, cy: float, r: float) -> hd.pr.GraphicObject:
    return hd.pr.GraphicObject(KIND.CIRCLE, np.array([[cx, cy], [cx + r, cy]]), units=PIXEL)


def _gsps(images: list[pydicom.Dataset], annotations: list[hd.pr.GraphicAnnotation], path: Path) -> None:
    hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=images, series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="TEACHING",
        graphic_layers=[LAYER], graphic_annotations=annotations,
    ).save_as(path)


def _edit(path: Path, change) -> None:
    ds = pydicom.dcmread(path)
    change(ds)
    ds.save_as(path)


def _text(words: str) -> hd.pr.TextObject:
    return hd.pr.TextObject(words, units=PIXEL, bounding_box=(2.0, 2.0, 40.0, 12.0))


def _occlusions(collection) -> dict[int, list[dict[str, float]]]:
    """Ordinal -> the geometry of its shapes, in source pixels, read back through Anki."""
    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    note = collection.get_image_occlusion_note(note_id=note_id).note
    out: dict[int, list[dict[str, float]]] = {}
    for occlusion in (o for o in note.occlusions if o.ordinal > 0):  # 0: text, no card
        for shape in occlusion.shapes:
            properties = {p.name: p.value for p in shape.properties}
            geometry = {k: float(v) * SOURCE for k, v in properties.items()
                        if k in ("left", "top", "width", "height", "rx", "ry")}
            geometry["kind"] = shape.shape
            if shape.shape == "polygon":
                points = polygon_points(properties)
                geometry["left"] = min(x for x, _ in points) * SOURCE
                geometry["top"] = min(y for _, y in points) * SOURCE
            out.setdefault(occlusion.ordinal, []).append(geometry)
    return out


def polygon_points(properties: dict[str, str]) -> list[tuple[float, float]]:
    """A polygon's points in fractions of the image, where Anki's reviewer draws them: moved so
    that their bounding box starts at ``left``/``top`` (0, 0 when absent; review.ts
    getPolygonOffset). Points written absolute or relative to that corner land the same."""
    points = [(float(x), float(y)) for x, y in (pair.split(",") for pair in properties["points"].split())]
    left, top = float(properties.get("left", 0)), float(properties.get("top", 0))
    corner_x, corner_y = min(x for x, _ in points), min(y for _, y in points)
    return [(x - corner_x + left, y - corner_y + top) for x, y in points]


def _answers(collection) -> list[str]:
    return sorted(collection.get_note(n)["Answer"] for n in collection.find_notes("note:cardgen*finding*"))


def test_a_series_keeps_only_the_annotations_of_its_key_slice(tmp_path, collection):
    """Defect 3 of issue 16: a GSPS on a series folder with `frame:` failed with 'Is a directory'."""
    case_dir = write_case(tmp_path / "cases", "series", """\
id: series-1
title: Annotations on a stack
images:
  - file: series
    frame: 1
annotations:
  - file: gsps.dcm
""", image=None)
    _write_series(case_dir / "series")
    slices = [pydicom.dcmread(p, stop_before_pixels=True) for p in series_files(case_dir / "series")]
    key, other = slices[1], slices[2]  # frame 1 of the series sorted by position (z = 5 mm)
    _gsps(slices, [
        hd.pr.GraphicAnnotation([key], LAYER, graphic_objects=[_circle(40, 50, 10)], text_objects=[_text("key")]),
        hd.pr.GraphicAnnotation([other], LAYER, graphic_objects=[_circle(90, 90, 5)], text_objects=[_text("other")]),
    ], case_dir / "gsps.dcm")
    out = tmp_path / "series.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)

    assert _answers(collection) == ["<p>key</p>"]
    [[circle]] = _occlusions(collection).values()
    assert circle == pytest.approx({"kind": "ellipse", "left": 30, "top": 40, "rx": 10, "ry": 10}, abs=0.5)


@pytest.mark.parametrize("frame_lines, expected", [
    ("", "first"),  # no `frame:` shows frame 0: annotations of other frames must not mask it
    ("    frames: all\n    frame: 2\n", "third"),
])
def test_a_multiframe_image_keeps_only_the_annotations_of_the_frame_shown(tmp_path, collection, frame_lines, expected):
    """Defect 5 of issue 16: frame 0 was shown with the ROIs of every frame."""
    case_dir = write_case(tmp_path / "cases", "cine", f"""\
id: cine-1
title: Annotations on a multi-frame image
images:
  - file: cine.dcm
{frame_lines}annotations:
  - file: gsps.dcm
""", image=None)
    _write_multiframe(case_dir / "cine.dcm")
    cine = pydicom.dcmread(case_dir / "cine.dcm", stop_before_pixels=True)
    centres = {"first": (30, 30), "second": (60, 60), "third": (90, 90)}
    _gsps([cine], [
        hd.pr.GraphicAnnotation([cine], LAYER, graphic_objects=[_circle(*centres[name], 8)],
                                text_objects=[_text(name)])
        for name in ("first", "second", "third")
    ], case_dir / "gsps.dcm")
    # highdicom takes the copied CT for a single-frame image: the frame numbers are added here.
    _edit(case_dir / "gsps.dcm", lambda ds: [
        setattr(item.ReferencedImageSequence[0], "ReferencedFrameNumber", number)
        for number, item in enumerate(ds.GraphicAnnotationSequence, 1)])
    out = tmp_path / "cine.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)

    assert _answers(collection) == [f"<p>{expected}</p>"]
    [[circle]] = _occlusions(collection).values()
    cx, cy = centres[expected]
    assert circle == pytest.approx({"kind": "ellipse", "left": cx - 8, "top": cy - 8, "rx": 8, "ry": 8}, abs=0.5)


def _case_with_gsps(tmp_path: Path, entry: str, annotations: list[hd.pr.GraphicAnnotation]) -> Path:
    case_dir = write_case(tmp_path / "cases", "gsps", f"""\
id: gsps-1
title: Annotations from a presentation state
images:
  - file: ct.dcm
annotations:
  - file: gsps.dcm
{entry}""")
    ct = pydicom.dcmread(case_dir / "ct.dcm", stop_before_pixels=True)
    _gsps([ct], annotations, case_dir / "gsps.dcm")
    return case_dir


def _build(tmp_path: Path) -> Path:
    out = tmp_path / "deck.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    return out


def _annotation(ct_path: Path, *graphics, words: str | None = None) -> hd.pr.GraphicAnnotation:
    ct = pydicom.dcmread(ct_path, stop_before_pixels=True)
    return hd.pr.GraphicAnnotation([ct], LAYER, graphic_objects=list(graphics),
                                   text_objects=[_text(words)] if words else None)


def test_a_region_partly_outside_the_image_is_clipped(tmp_path, collection):
    """Defect 4 of issue 16: a circle over the right edge stopped the case."""
    case_dir = _case_with_gsps(tmp_path, "", [_annotation(CT_SMALL, _circle(100, 60, 20), words="edge")])
    # Viewers let a reader draw past the edge; highdicom refuses to, so the circle is moved here.
    _edit(case_dir / "gsps.dcm", lambda ds: setattr(
        ds.GraphicAnnotationSequence[0].GraphicObjectSequence[0], "GraphicData", [120.0, 60.0, 140.0, 60.0]))
    import_package(collection, _build(tmp_path))
    [[polygon]] = _occlusions(collection).values()
    # The circle (100..140 x 40..80) cut at x = 128: a polygon whose box is 100..128 x 40..80.
    assert polygon["kind"] == "polygon"
    assert polygon["left"] == pytest.approx(100, abs=0.5) and polygon["top"] == pytest.approx(40, abs=0.5)


def test_a_region_wholly_outside_names_the_annotation_file_item_and_value(tmp_path):
    case_dir = _case_with_gsps(tmp_path, "", [
        _annotation(CT_SMALL, _circle(40, 40, 5), words="inside"),
        _annotation(CT_SMALL, _circle(100, 60, 10), words="outside"),
    ])
    _edit(case_dir / "gsps.dcm", lambda ds: setattr(
        ds.GraphicAnnotationSequence[1].GraphicObjectSequence[0], "GraphicData", [200.0, 60.0, 210.0, 60.0]))
    with pytest.raises(InputError) as caught:
        _build(tmp_path)
    error = caught.value
    assert error.file.name == "gsps.dcm"
    assert error.field == "annotations[0].GraphicAnnotationSequence[1].GraphicObjectSequence[0]"
    assert "wholly outside the 128x128 image" in str(error)
    assert error.value == {"left": 190.0, "top": 50.0, "right": 210.0, "bottom": 70.0}
    assert "findings[" not in str(error)


def test_text_and_label_on_the_entry_replace_the_files_words(tmp_path, collection):
    """Defect 8 of issue 16: `text:`/`label:` on an annotations entry were ignored."""
    _case_with_gsps(tmp_path, "    text: Pulmonary nodule\n    label: N\n",
                    [_annotation(CT_SMALL, _circle(40, 40, 5))])
    import_package(collection, _build(tmp_path))
    assert _answers(collection) == ["<p>Pulmonary nodule</p>"]
    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    assert "Pulmonary nodule" in collection.get_note(note_id)["Back Extra"]


def test_items_choose_which_annotations_become_findings_and_word_each(tmp_path, collection):
    _case_with_gsps(tmp_path, "    items: [{item: 1, text: Lytic lesion}, {item: second, text: Sclerotic rim}]\n", [
        _annotation(CT_SMALL, _circle(30, 30, 5)),                 # 1: no words of its own
        _annotation(CT_SMALL, _circle(60, 60, 5), words="second"),  # chosen by its text
        _annotation(CT_SMALL, _circle(90, 90, 5), words="third"),   # not chosen
    ])
    import_package(collection, _build(tmp_path))
    assert _answers(collection) == ["<p>Lytic lesion</p>", "<p>Sclerotic rim</p>"]
    lefts = sorted(shape["left"] for shapes in _occlusions(collection).values() for shape in shapes)
    assert lefts == pytest.approx([25, 55], abs=0.5)


def test_an_annotation_without_words_asks_for_them(tmp_path):
    """It was answered 'Annotated region (gsps)'; now the case must word it."""
    _case_with_gsps(tmp_path, "", [_annotation(CT_SMALL, _circle(30, 30, 5), words="named"),
                                   _annotation(CT_SMALL, _circle(60, 60, 5))])
    with pytest.raises(InputError) as caught:
        _build(tmp_path)
    message = str(caught.value)
    assert "annotations[0]" in message and "item 2 (GraphicAnnotationSequence[1].GraphicObjectSequence[0]) has no words" in message
    assert "items: [{item: 2, text: ...}]" in message


def test_an_item_that_matches_nothing_lists_the_items(tmp_path):
    _case_with_gsps(tmp_path, "    items: [nodule]\n", [_annotation(CT_SMALL, _circle(30, 30, 5), words="mass")])
    with pytest.raises(InputError) as caught:
        _build(tmp_path)
    error = caught.value
    assert error.field == "annotations[0].items[0]" and error.value == "nodule"
    assert "its items are 1: mass" in str(error)


@pytest.mark.parametrize("items, problem", [
    ("[0]", r"number \(from 1\)"), ("[true]", r"number \(from 1\)"), ("[{text: x}]", r"number \(from 1\)"),
    ("[{item: 1, text: [a]}]", "expected text"),
])
def test_bad_items_are_input_errors(tmp_path, items, problem):
    from cardgen.teaching.loader import load_case

    case_dir = _case_with_gsps(tmp_path, f"    items: {items}\n", [_annotation(CT_SMALL, _circle(30, 30, 5))])
    with pytest.raises(InputError, match=problem) as caught:
        load_case(case_dir / "case.yaml")
    assert caught.value.field.startswith("annotations[0].items[0]")


def test_annotations_only_on_other_frames_say_which_frame_to_show(tmp_path):
    case_dir = write_case(tmp_path / "cases", "cine", """\
id: cine-1
title: Annotations on another frame
images:
  - file: cine.dcm
annotations:
  - file: gsps.dcm
""", image=None)
    _write_multiframe(case_dir / "cine.dcm")
    cine = pydicom.dcmread(case_dir / "cine.dcm", stop_before_pixels=True)
    _gsps([cine], [hd.pr.GraphicAnnotation([cine], LAYER, graphic_objects=[_circle(30, 30, 8)],
                                           text_objects=[_text("later")])], case_dir / "gsps.dcm")
    _edit(case_dir / "gsps.dcm", lambda ds: setattr(
        ds.GraphicAnnotationSequence[0].ReferencedImageSequence[0], "ReferencedFrameNumber", 3))
    with pytest.raises(InputError) as caught:
        _build(tmp_path)
    assert caught.value.field == "annotations[0].file"
    assert "its 1 annotation(s) are on frame 2 of this image: set the image's 'frame:' to it" in str(caught.value)


def test_annotations_of_another_image_do_not_ask_for_a_frame(tmp_path):
    """A presentation state of CT_small pointed at from a case showing pydicom's MR_small.dcm: the
    error said its annotations were 'on other slices or frames' and asked for a 'frame:', which
    cannot help a single-frame image."""
    from pydicom.data import get_testdata_file

    case_dir = write_case(tmp_path / "cases", "mr", """\
id: mr-1
title: Annotations of another image
images:
  - file: mr.dcm
annotations:
  - file: gsps.dcm
""", image=Path(get_testdata_file("MR_small.dcm")), image_name="mr.dcm")
    ct = pydicom.dcmread(CT_SMALL, stop_before_pixels=True)
    _gsps([ct], [hd.pr.GraphicAnnotation([ct], LAYER, graphic_objects=[_circle(30, 30, 8)],
                                         text_objects=[_text("ct")])], case_dir / "gsps.dcm")
    with pytest.raises(InputError) as caught:
        _build(tmp_path)
    assert caught.value.field == "annotations[0].file"
    message = str(caught.value)
    assert "its 1 annotation(s) are on other images" in message and "'frame:'" not in message.split(";", 1)[1]


@pytest.mark.parametrize("frame", [1, 2])
def test_a_report_region_selected_from_several_frames_is_on_each(tmp_path, collection, frame):
    """highdicom writes a SCOORD SELECTED FROM frames 2 and 3 of a multi-frame image (one Referenced
    Frame Number of two values): the region was kept on frame 2 only, and on frame 3 the case
    failed with 'the file holds no annotation for this image'."""
    case_dir = write_case(tmp_path / "cases", "cine", f"""\
id: cine-1
title: A report on two frames
images:
  - file: cine.dcm
    frames: all
    frame: {frame}
annotations:
  - file: sr.dcm
""", image=None)
    _write_multiframe(case_dir / "cine.dcm")
    cine = pydicom.dcmread(case_dir / "cine.dcm", stop_before_pixels=True)
    source = hd.sr.SourceImageForRegion(cine.SOPClassUID, cine.SOPInstanceUID, referenced_frame_numbers=[2, 3])
    group = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="Lesion 1"),
        referenced_region=hd.sr.ImageRegion(graphic_type=hd.sr.GraphicTypeValues.CIRCLE,
                                            graphic_data=np.array([[60.0, 60.0], [60.0, 68.0]]), source_image=source),
        finding_type=codes.SCT.Nodule)
    observer = hd.sr.ObserverContext(observer_type=codes.DCM.Device,
                                     observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(uid=hd.UID()))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=None, observer_device_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion, imaging_measurements=[group])
    hd.sr.Comprehensive3DSR(evidence=[cine], content=report[0], series_instance_uid=hd.UID(), series_number=101,
                            sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
                            ).save_as(case_dir / "sr.dcm")
    import_package(collection, _build(tmp_path))

    assert _answers(collection) == ["<p>Nodule</p>"]
    [[circle]] = _occlusions(collection).values()
    assert circle == pytest.approx({"kind": "ellipse", "left": 52, "top": 52, "rx": 8, "ry": 8}, abs=0.5)


def test_an_item_naming_no_image_stays_on_the_images_of_its_presentation_state(tmp_path, collection):
    """A Graphic Annotation item without Referenced Image Sequence applies to the images the state
    references (PS3.3 C.10.5.1.1), not to any image: one written for another slice of the series
    was drawn on the key slice."""
    case_dir = write_case(tmp_path / "cases", "series", """\
id: series-1
title: A presentation state of another slice
images:
  - file: series
    frame: 1
annotations:
  - file: gsps.dcm
  - file: key.dcm
""", image=None)
    _write_series(case_dir / "series")
    slices = [pydicom.dcmread(p, stop_before_pixels=True) for p in series_files(case_dir / "series")]
    key, other = slices[1], slices[2]
    _gsps([other], [hd.pr.GraphicAnnotation([other], LAYER, graphic_objects=[_circle(90, 90, 5)],
                                            text_objects=[_text("other")])], case_dir / "gsps.dcm")
    _edit(case_dir / "gsps.dcm", lambda ds: delattr(ds.GraphicAnnotationSequence[0], "ReferencedImageSequence"))
    _gsps([key], [hd.pr.GraphicAnnotation([key], LAYER, graphic_objects=[_circle(40, 50, 10)],
                                          text_objects=[_text("key")])], case_dir / "key.dcm")
    _edit(case_dir / "key.dcm", lambda ds: delattr(ds.GraphicAnnotationSequence[0], "ReferencedImageSequence"))
    with pytest.raises(InputError) as caught:
        _build(tmp_path)
    assert caught.value.field == "annotations[0].file" and "holds no annotation for this image" in str(caught.value)

    (case_dir / "case.yaml").write_text((case_dir / "case.yaml").read_text().replace("  - file: gsps.dcm\n", ""))
    import_package(collection, _build(tmp_path))
    assert _answers(collection) == ["<p>key</p>"]
    [[circle]] = _occlusions(collection).values()
    assert circle == pytest.approx({"kind": "ellipse", "left": 30, "top": 40, "rx": 10, "ry": 10}, abs=0.5)
