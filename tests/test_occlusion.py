"""Native Image Occlusion notes: built with genanki, imported into the real Anki backend, read back
with ``col.get_image_occlusion_note`` and compared with the source shapes."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import genanki
import numpy as np
import pytest
from PIL import Image

from cardgen.annotations.readers.graphics import GraphicType, shapes_for_graphic
from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect
from cardgen.cards.notetypes import OCCLUSION_MODEL_ID, occlusion_notetype
from cardgen.cards.occlusion import (
    TIP_REGION_FRACTION,
    format_fraction,
    occluded_region,
    occlusion_cloze,
    occlusion_note_fields,
)
from cardgen.deck.collection import genanki_model
from cardgen.teaching.case import OcclusionMode
from tests.anki_helpers import import_package
from tests.io_reference import (
    EditorEllipse,
    EditorPolygon,
    EditorRect,
    EditorText,
    editor_cloze,
    float_to_display,
)

# The rendered image: deliberately not square, so a swapped width/height shows up.
WIDTH, HEIGHT = 640, 480
HALF_PIXEL = 0.5
TIP_SIDE = TIP_REGION_FRACTION * min(WIDTH, HEIGHT)

# One finding per shape kind, plus a finding drawn with two shapes (both under one cloze number).
FINDINGS = [
    (Rect(40.0, 30.0, 100.0, 60.0),),
    (Ellipse(300.5, 200.25, 120.0, 80.0),),
    (Polygon(((500.0, 50.0), (620.0, 90.0), (560.0, 170.0))),),
    (Arrow((100.0, 400.0), (200.0, 350.0)),),
    (Point((450.0, 420.0)),),
    (Rect(10.0, 300.0, 50.0, 50.0), Ellipse(70.0, 300.0, 40.0, 30.0)),
]


def _png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 90).save(buffer, format="PNG")
    return buffer.getvalue()


def _expected_pixels(shape) -> tuple[str, dict[str, float] | list[tuple[float, float]]]:
    """The IO kind and the pixel geometry Anki should give back for a source shape."""
    if isinstance(shape, (Arrow, Point)):
        x, y = shape.tip
        return "rect", {"left": x - TIP_SIDE / 2, "top": y - TIP_SIDE / 2,
                        "width": TIP_SIDE, "height": TIP_SIDE}
    if isinstance(shape, Rect):
        return "rect", {"left": shape.x, "top": shape.y, "width": shape.width, "height": shape.height}
    if isinstance(shape, Ellipse):
        return "ellipse", {"left": shape.x, "top": shape.y, "rx": shape.width / 2, "ry": shape.height / 2}
    return "polygon", list(shape.points)


def _read_pixels(io_shape) -> tuple[str, dict[str, float] | list[tuple[float, float]], dict[str, str]]:
    """An IO shape read back from Anki, with its fractions turned into pixels of the image."""
    properties = {p.name: p.value for p in io_shape.properties}
    if io_shape.shape == "polygon":
        points = [tuple(float(v) for v in pair.split(",")) for pair in properties["points"].split()]
        # The reviewer moves the points' bounding box to left/top: both must be there, and agree.
        assert float(properties["left"]) == min(x for x, _ in points), properties
        assert float(properties["top"]) == min(y for _, y in points), properties
        return "polygon", [(x * WIDTH, y * HEIGHT) for x, y in points], properties
    scale = {"left": WIDTH, "width": WIDTH, "rx": WIDTH, "top": HEIGHT, "height": HEIGHT, "ry": HEIGHT}
    geometry = {name: float(properties[name]) * factor for name, factor in scale.items() if name in properties}
    return io_shape.shape, geometry, properties


def _build_and_import(collection, tmp_path: Path, mode: OcclusionMode, markers=None,
                      findings=FINDINGS) -> list[int]:
    media = tmp_path / "occlusion-test-3f2a.png"  # a content-hash style name, as the renderer makes
    media.write_bytes(_png_bytes(WIDTH, HEIGHT))
    model = genanki_model(occlusion_notetype())
    deck = genanki.Deck(2_059_400_110, "cardgen occlusion test")
    cloze = occlusion_cloze(findings, WIDTH, HEIGHT, mode, markers=markers)
    fields = occlusion_note_fields(media.name, cloze, "<b>CT chest</b>", "findings 1-6")
    deck.add_note(genanki.Note(model=model, fields=fields, guid=f"io-test-{mode.value}"))
    package = genanki.Package(deck, media_files=[str(media)])
    out = tmp_path / "occlusion.apkg"
    package.write_to_file(str(out), timestamp=1_700_000_000)
    import_package(collection, out)
    return list(collection.find_notes(""))


@pytest.mark.parametrize("mode", list(OcclusionMode))
def test_every_shape_kind_reads_back_from_anki_within_half_a_pixel(collection, tmp_path, mode):
    (note_id,) = _build_and_import(collection, tmp_path, mode)

    # Anki recognises the notetype as its own Image Occlusion type.
    notetype = collection.models.get(collection.get_note(note_id).mid)
    assert notetype["originalStockKind"] == 6
    assert [f["name"] for f in notetype["flds"]] == ["Occlusion", "Image", "Header", "Back Extra", "Comments"]
    assert [f["tag"] for f in notetype["flds"]] == [0, 1, 2, 3, 4]  # each field's IO role
    response = collection.get_image_occlusion_note(note_id=note_id)
    assert response.WhichOneof("value") == "note", response
    note = response.note
    assert note.image_data == _png_bytes(WIDTH, HEIGHT)
    assert note.header == "<b>CT chest</b>"

    # One card per finding, numbered in finding order.
    assert len(collection.find_cards("")) == len(FINDINGS)
    by_ordinal = {occlusion.ordinal: list(occlusion.shapes) for occlusion in note.occlusions}
    assert sorted(by_ordinal) == list(range(1, len(FINDINGS) + 1))

    for ordinal, source_shapes in enumerate(FINDINGS, start=1):
        read_shapes = by_ordinal[ordinal]
        assert len(read_shapes) == len(source_shapes)
        for source, read in zip(source_shapes, read_shapes):
            kind, expected = _expected_pixels(source)
            read_kind, geometry, properties = _read_pixels(read)
            assert read_kind == kind
            assert ("oi" in properties) == (mode is OcclusionMode.HIDE_ALL)
            if kind == "polygon":
                assert len(geometry) == len(expected)
                for (x, y), (ex, ey) in zip(geometry, expected):
                    assert abs(x - ex) <= HALF_PIXEL and abs(y - ey) <= HALF_PIXEL
            else:
                assert geometry.keys() == expected.keys()
                for name, value in expected.items():
                    assert abs(geometry[name] - value) <= HALF_PIXEL, (ordinal, name, geometry, expected)


def test_markers_are_text_shapes_that_make_no_card(collection, tmp_path):
    markers = ["A", None, "C", "D", "E", "F"]
    (note_id,) = _build_and_import(collection, tmp_path, OcclusionMode.HIDE_ALL, markers=markers)

    note = collection.get_image_occlusion_note(note_id=note_id).note
    texts = [s for o in note.occlusions for s in o.shapes if s.shape == "text"]
    assert sorted({p.name: p.value for p in t.properties}["text"] for t in texts) == ["A", "C", "D", "E", "F"]
    assert all(o.ordinal == 0 for o in note.occlusions if any(s.shape == "text" for s in o.shapes))
    # Text shapes sit in cloze 0: still one card per finding.
    assert len(collection.find_cards("")) == len(FINDINGS)
    # Each marker sits outside its own finding's box (its mask would hide it on the question side).
    by_text = {({p.name: p.value for p in t.properties}["text"]): {p.name: float(p.value) for p in t.properties
                                                                   if p.name in ("left", "top")}
               for t in texts}
    for marker, shapes in zip(markers, FINDINGS):
        if marker is None:
            continue
        # The box its mask covers: for an arrow or a point, the square around the tip.
        bounds = occluded_region(shapes[0], WIDTH, HEIGHT).bounds()
        line_top, line_bottom = by_text[marker]["top"] * HEIGHT, (by_text[marker]["top"] + 0.05) * HEIGHT
        assert line_bottom <= bounds.top + 1 or line_top >= bounds.bottom - 1, (marker, by_text[marker], bounds)
        assert abs(by_text[marker]["left"] * WIDTH - max(bounds.left, 0)) <= 1


def test_shapes_outside_the_image_are_clamped():
    cloze = occlusion_cloze([(Rect(-20.0, 450.0, 100.0, 100.0),), (Point((0.0, 0.0)),)],
                            WIDTH, HEIGHT, OcclusionMode.HIDE_ONE)
    # The rect's left edge is cut at 0 and its bottom at the image's bottom edge.
    assert "{{c1::image-occlusion:rect:left=.0000:top=.9375:width=.125:height=.0625}}" in cloze
    half = format_fraction(TIP_SIDE / 2 / WIDTH)
    assert f"{{{{c2::image-occlusion:rect:left=.0000:top=.0000:width={half}:" in cloze


def test_fractions_are_formatted_like_ankis_editor():
    assert format_fraction(0.123456) == ".1235"
    assert format_fraction(0.5) == ".5"
    assert format_fraction(1.0) == "1."  # toFixed(4) with its zeros stripped, as Anki writes it
    assert format_fraction(0.0) == ".0000"
    assert format_fraction(-0.00001) == ".0000"
    assert format_fraction(0.03125) == ".0313"  # toFixed rounds a tie up, not to even
    for value in (0.0, 1.0, 0.03125, 0.123456, 1 / 3, 0.99996, 0.7):
        assert format_fraction(value) == float_to_display(value), value
    # One deliberate difference: Anki's editor writes "." for a value below .00005, which its own
    # reviewer reads as NaN; cardgen writes the zero it stands for.
    assert float_to_display(0.00004) == "." and format_fraction(0.00004) == ".0000"


def _editor_shapes(shapes) -> list:
    """The shapes as Anki's editor holds them (pixels): an arrow or a point becomes the square
    rectangle a user would draw over its tip."""
    editor = []
    for shape in shapes:
        if isinstance(shape, (Arrow, Point)):
            x, y = shape.tip
            editor.append(EditorRect(x - TIP_SIDE / 2, y - TIP_SIDE / 2, TIP_SIDE, TIP_SIDE))
        elif isinstance(shape, Rect):
            editor.append(EditorRect(shape.x, shape.y, shape.width, shape.height))
        elif isinstance(shape, Ellipse):
            editor.append(EditorEllipse(shape.x, shape.y, shape.width / 2, shape.height / 2))
        else:
            editor.append(EditorPolygon(tuple(shape.points)))
    return editor


# A tilted ellipse, as the annotation readers turn one into a polygon (an SR/GSPS ELLIPSE's axes).
TILTED = shapes_for_graphic(GraphicType.ELLIPSE, np.array([[380.0, 300.0], [460.0, 380.0], [435.0, 325.0],
                                                           [405.0, 355.0]]), Path("test"), "tilted")[0]


@pytest.mark.parametrize("mode", list(OcclusionMode))
def test_occlusion_field_is_what_ankis_editor_writes(mode):
    """Byte for byte the string Anki's editor saves for the same shapes (tests/io_reference.py)."""
    assert isinstance(TILTED, Polygon)
    findings = [*FINDINGS, (TILTED,)]
    expected = editor_cloze([_editor_shapes(shapes) for shapes in findings], WIDTH, HEIGHT,
                            occlude_inactive=mode is OcclusionMode.HIDE_ALL)
    assert occlusion_cloze(findings, WIDTH, HEIGHT, mode) == expected


def test_markers_are_text_shapes_as_ankis_editor_writes_them():
    cloze = occlusion_cloze([FINDINGS[0]], WIDTH, HEIGHT, OcclusionMode.HIDE_ALL, markers=["1"])
    [text_entry] = [e + "<br>" for e in cloze.split("<br>") if "text:" in e]
    left, top = (float(v) for v in re.search(r"left=([.\d]+):top=([.\d]+)", text_entry).groups())
    font = float(re.search(r":fs=([.\d]+)", text_entry).group(1)) * HEIGHT
    expected = editor_cloze([], WIDTH, HEIGHT, occlude_inactive=True,
                            texts=[EditorText(left * WIDTH, top * HEIGHT, "1", font)])
    assert text_entry == expected


def test_note_is_the_same_as_one_made_by_add_image_occlusion_note(collection, tmp_path):
    """Field by field: cardgen's note (a genanki package, imported) against a note the backend makes
    from the same image and Anki's editor's occlusions through ``col.add_image_occlusion_note``."""
    findings = [*FINDINGS, (TILTED,)]
    (cardgen_id,) = _build_and_import(collection, tmp_path, OcclusionMode.HIDE_ALL, findings=findings)
    image = tmp_path / "anki-made.png"
    image.write_bytes(_png_bytes(WIDTH, HEIGHT))
    collection.add_image_occlusion_notetype()
    stock = collection.models.by_name("Image Occlusion")
    occlusions = editor_cloze([_editor_shapes(shapes) for shapes in findings], WIDTH, HEIGHT,
                              occlude_inactive=True)
    collection.add_image_occlusion_note(notetype_id=stock["id"], image_path=str(image), occlusions=occlusions,
                                        header="<b>CT chest</b>", back_extra="findings 1-6", tags=[])
    (anki_id,) = [n for n in collection.find_notes("") if n != cardgen_id]
    cardgen_note, anki_note = collection.get_note(cardgen_id), collection.get_note(anki_id)

    # The notetypes: the same stock kind, fields, field roles and card template structure.
    ours = collection.models.get(cardgen_note.mid)
    for key in ("type", "originalStockKind", "sortf"):
        assert ours[key] == stock[key], key
    assert [(f["name"], f["ord"], f["tag"], f["preventDeletion"]) for f in ours["flds"]] == \
        [(f["name"], f["ord"], f["tag"], f["preventDeletion"]) for f in stock["flds"]]
    assert len(ours["tmpls"]) == len(stock["tmpls"]) == 1
    for side in ("qfmt", "afmt"):
        for needed in ("{{cloze:Occlusion}}", "{{Image}}", 'id="image-occlusion-container"',
                       '<canvas id="image-occlusion-canvas">', "anki.imageOcclusion.setup("):
            assert needed in ours["tmpls"][0][side] and needed in stock["tmpls"][0][side], (side, needed)

    # The fields: the same occlusions string, the same <img> form, header and back extra as given.
    assert cardgen_note["Occlusion"] == anki_note["Occlusion"]
    image_form = re.compile(r'<img src="[^"<>]+">')
    assert image_form.fullmatch(cardgen_note["Image"]) and image_form.fullmatch(anki_note["Image"])
    for name in ("Header", "Back Extra", "Comments"):
        assert cardgen_note[name] == anki_note[name], name

    # What the backend reads back (the editor's and the mobile clients' view of the note).
    ours_io = collection.get_image_occlusion_note(note_id=cardgen_id).note
    anki_io = collection.get_image_occlusion_note(note_id=anki_id).note
    assert ours_io.image_data == anki_io.image_data
    def by_ordinal(occlusions):
        return sorted(((o.ordinal, list(o.shapes)) for o in occlusions), key=lambda item: item[0])
    assert by_ordinal(ours_io.occlusions) == by_ordinal(anki_io.occlusions)
    assert (ours_io.header, ours_io.back_extra) == (anki_io.header, anki_io.back_extra)
    assert len(cardgen_note.cards()) == len(anki_note.cards()) == len(findings)


def test_model_id_is_fixed_and_json_carries_the_stock_kind():
    data = genanki_model(occlusion_notetype()).to_json(1_700_000_000, 1)
    assert data["id"] == str(OCCLUSION_MODEL_ID)
    assert data["originalStockKind"] == 6
    assert data["type"] == genanki.Model.CLOZE
    assert "anki.imageOcclusion.setup()" in data["tmpls"][0]["qfmt"]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="no shape"):
        occlusion_cloze([()], WIDTH, HEIGHT, OcclusionMode.HIDE_ALL)
    with pytest.raises(ValueError, match="positive"):
        occlusion_cloze([(Point((1.0, 1.0)),)], 0, HEIGHT, OcclusionMode.HIDE_ALL)
    with pytest.raises(ValueError, match="inside an <img>"):
        occlusion_note_fields('a".png', "", "", "")


def test_a_rebuilt_deck_with_new_template_content_updates_notes_and_keeps_reviews(collection, tmp_path):
    """Template and CSS content may change under the same notetype id (fields and template names
    may not): the learner's notetype and notes are updated on re-import and the reviews stay."""
    media = tmp_path / "occlusion-reimport.png"
    media.write_bytes(_png_bytes(WIDTH, HEIGHT))
    current = occlusion_notetype()
    older = replace(current, css=".card { color: black; }",
                    templates=(replace(current.templates[0], back="{{cloze:Occlusion}}{{Image}}"),))

    def package(description, shapes, timestamp, name):
        deck = genanki.Deck(2_059_400_111, "cardgen occlusion reimport")
        cloze = occlusion_cloze(shapes, WIDTH, HEIGHT, OcclusionMode.HIDE_ALL)
        deck.add_note(genanki.Note(model=genanki_model(description), fields=occlusion_note_fields(media.name, cloze),
                                   guid="io-reimport"))
        out = tmp_path / name
        genanki.Package(deck, media_files=[str(media)]).write_to_file(str(out), timestamp=timestamp)
        return out

    import_package(collection, package(older, [FINDINGS[0], FINDINGS[2]], 1_700_000_000, "old.apkg"))
    card = collection.get_card(collection.find_cards("")[0])
    collection.decks.select(card.did)
    card.start_timer()
    queued = collection.sched.get_queued_cards().cards[0]
    collection.sched.answer_card(collection.sched.build_answer(card=card, states=queued.states, rating=3))

    import_package(collection, package(current, [FINDINGS[0], FINDINGS[2], FINDINGS[1]], 1_800_000_000, "new.apkg"))
    (note_id,) = collection.find_notes("")
    note = collection.get_note(note_id)
    assert "image-occlusion:ellipse" in note["Occlusion"]  # the note was updated
    assert len(note.cards()) == 3
    assert collection.db.scalar("SELECT count() FROM revlog") == 1  # the review stayed
    assert collection.get_card(card.id).reps == 1
    notetype = collection.models.get(note.mid)
    assert notetype["css"] == current.css and notetype["tmpls"][0]["afmt"] == current.templates[0].back
