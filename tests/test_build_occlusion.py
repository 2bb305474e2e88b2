"""Image Occlusion cards made by `cardgen build`, read back through Anki's own occlusion API."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardgen.build import BuildOptions, build_deck
from cardgen.cards.occlusion import TIP_REGION_FRACTION
from cardgen.imaging.render import display_scale
from tests.anki_helpers import import_package
from tests.sample_cases import write_case

# CT_small.dcm is 128 x 128; cardgen renders it at 512 x 512.
SOURCE = 128
RENDERED = SOURCE * display_scale(SOURCE, SOURCE)

CASE = """\
id: io-1
title: Every shape kind
history: Occlusion test.
occlusion: {mode}
images:
  - file: ct.dcm
findings:
  - text: Rectangle
    shapes: [{{kind: rect, x: 10.5, y: 12, width: 30, height: 20}}]
  - text: Ellipse
    shapes: [{{kind: ellipse, x: 42, y: 4, width: 40, height: 38}}]
  - text: Polygon
    shapes: [{{kind: polygon, points: [[2, 2], [32, 2], [30, 18], [14, 42]]}}]
  - text: Arrow
    shapes: [{{kind: arrow, from: [59, 104], to: [59, 83]}}]
  - text: Point
    shapes: [{{kind: point, at: [100, 60]}}]
"""

TIP = SOURCE * TIP_REGION_FRACTION
EXPECTED = {  # ordinal -> (kind, geometry in source pixels)
    1: ("rect", {"left": 10.5, "top": 12, "width": 30, "height": 20}),
    2: ("ellipse", {"left": 42, "top": 4, "rx": 20, "ry": 19}),
    3: ("polygon", [(2, 2), (32, 2), (30, 18), (14, 42)]),
    4: ("rect", {"left": 59 - TIP / 2, "top": 83 - TIP / 2, "width": TIP, "height": TIP}),
    5: ("rect", {"left": 100 - TIP / 2, "top": 60 - TIP / 2, "width": TIP, "height": TIP}),
}


@pytest.mark.parametrize("mode", ["hide_all", "hide_one"])
def test_each_shape_kind_round_trips_through_anki(tmp_path: Path, collection, mode: str) -> None:
    write_case(tmp_path / "cases", "io", CASE.format(mode=mode))
    out = tmp_path / "io.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)

    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    assert len(collection.get_note(note_id).cards()) == 5
    note = collection.get_image_occlusion_note(note_id=note_id).note
    assert note.image_data[:8] == b"\x89PNG\r\n\x1a\n"
    half_pixel = 0.5 / RENDERED  # in fractions of the rendered image
    shapes = {o.ordinal: o.shapes for o in note.occlusions if o.ordinal > 0}
    assert sorted(shapes) == [1, 2, 3, 4, 5]
    for ordinal, (kind, geometry) in EXPECTED.items():
        [shape] = shapes[ordinal]
        properties = {p.name: p.value for p in shape.properties}
        assert shape.shape == kind
        assert ("oi" in properties) == (mode == "hide_all")
        if kind == "polygon":
            read = [tuple(float(v) for v in pair.split(",")) for pair in properties["points"].split()]
            # The reviewer draws the points' bounding box at left/top (the image corner without them).
            assert (float(properties["left"]), float(properties["top"])) == (min(read)[0], min(y for _, y in read))
            for (x, y), (ex, ey) in zip(read, geometry, strict=True):
                assert abs(x - ex / SOURCE) <= half_pixel and abs(y - ey / SOURCE) <= half_pixel
        else:
            for name, value in geometry.items():
                assert abs(float(properties[name]) - value / SOURCE) <= half_pixel, (ordinal, name)
    # The back names every finding, numbered as the regions are.
    back = collection.get_note(note_id)["Back Extra"]
    assert [line in back for line in ("Rectangle", "Ellipse", "Polygon", "Arrow", "Point")] == [True] * 5


def test_a_case_can_point_at_a_gsps_instead_of_writing_shapes(tmp_path: Path, collection) -> None:
    """A GSPS written with highdicom against pydicom's CT_small.dcm becomes findings and occlusions."""
    import pydicom

    from tests.sample_cases import CT_SMALL
    from tests.test_annotation_readers import _write_gsps

    case_dir = write_case(tmp_path / "cases", "gsps", """\
id: gsps-1
title: Annotations from a presentation state
images:
  - file: ct.dcm
annotations:
  - file: annotations.dcm
    items: [1, {item: 2, text: Other marks}]
""")
    _write_gsps(pydicom.dcmread(CT_SMALL), case_dir / "annotations.dcm")
    out = tmp_path / "gsps.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)

    [note_id] = collection.find_notes('"note:Image Occlusion (cardgen v1)"')
    assert len(collection.get_note(note_id).cards()) == 2  # the GSPS's two graphic annotations
    note = collection.get_image_occlusion_note(note_id=note_id).note
    [circle, pointer] = [s for o in note.occlusions if o.ordinal == 1 for s in o.shapes]
    properties = {p.name: float(p.value) for p in circle.properties if p.name in ("left", "top", "rx", "ry")}
    # The GSPS circle: centre (40, 50), radius 10 -> bounding box from (30, 40), in source pixels.
    assert properties == pytest.approx({"left": 30 / SOURCE, "top": 40 / SOURCE,
                                        "rx": 10 / SOURCE, "ry": 10 / SOURCE}, abs=0.5 / RENDERED)
    finding_texts = [collection.get_note(n)["Answer"] for n in collection.find_notes("note:cardgen*finding*")]
    assert "<p>nodule</p>" in finding_texts


def test_a_finding_without_shapes_makes_no_where_is_it_card(tmp_path: Path, collection) -> None:
    write_case(tmp_path / "cases", "mixed", """\
id: mixed-1
title: One finding drawn, one not
images:
  - file: ct.dcm
findings:
  - text: Rectangle
    shapes: [{kind: rect, x: 10, y: 12, width: 30, height: 20}]
  - text: Diffuse ground-glass change
""")
    out = tmp_path / "mixed.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)
    keys = [collection.get_note(n)["Key"] for n in collection.find_notes("note:cardgen*finding*")]
    assert keys == ["mixed-1#1"]  # no card asks where the undrawn finding is
    [case_note] = collection.find_notes("note:cardgen*case*")
    assert "Diffuse ground-glass change" in collection.get_note(case_note)["Findings"]  # still listed
