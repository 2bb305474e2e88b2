"""Image Occlusion masks where a learner sees them: the real Anki desktop's reviewer, headless, screenshot.

One Anki run (tests/desktop.py) shows the question side of three occlusion cards over the same 640 x 480
grey image and grabs the reviewer's web view at 100 % zoom:

- ``cardgen``: the note cardgen writes (genanki package, imported), five findings: a rectangle, an
  ellipse, a polygon, a tilted ellipse (a polygon, as the annotation readers make it from an SR/GSPS
  ELLIPSE) and a point;
- ``anki``: the same shapes written as Anki's own editor writes them (tests/io_reference.py), added
  through the backend's ``col.add_image_occlusion_note`` inside the running Anki, with cardgen's
  notetype (the same page layout, so the same pixels) and (``anki_stock``) Anki's stock one;
- ``old_form``: cardgen's note with the polygons' ``left``/``top`` taken out, the form cardgen wrote
  before (issue 16, defect 1), to show that this test fails on it.

In each screenshot every mask must be found at its expected pixels: everything more than 2 px inside
the shape is mask colour, and no mask colour lies more than 2 px outside the shapes. The cardgen and
Anki screenshots must have the same mask pixels. The desktop's reviewer runs Anki's web reviewer code
(ts/reviewer and ts/routes/image-occlusion/review.ts), the code AnkiDroid and AnkiMobile run too.
"""

from __future__ import annotations

import re
from pathlib import Path

import genanki
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from cardgen.annotations.readers.graphics import GraphicType, shapes_for_graphic
from cardgen.annotations.shapes import Ellipse, Point, Polygon, Rect
from cardgen.cards.notetypes import OCCLUSION_MODEL_NAME, occlusion_notetype
from cardgen.cards.occlusion import (
    TIP_REGION_FRACTION,
    occlusion_cloze,
    occlusion_note_fields,
)
from cardgen.cards.templates import render_fragment
from cardgen.deck.collection import genanki_model
from cardgen.teaching.case import OcclusionMode
from tests.desktop import run_desktop
from tests.io_reference import EditorEllipse, EditorPolygon, EditorRect, editor_cloze

CHECKS = Path(__file__).with_name("desktop_checks.py")
WIDTH, HEIGHT = 640, 480
GREY = 90
TOLERANCE_PX = 2
TIP = TIP_REGION_FRACTION * min(WIDTH, HEIGHT)

TILTED = shapes_for_graphic(GraphicType.ELLIPSE, np.array([[120.0, 300.0], [240.0, 420.0], [205.0, 335.0],
                                                           [155.0, 385.0]]), Path("test"), "tilted")[0]
SHAPES = {  # name -> the shape, in pixels of the image
    "rect": Rect(40.0, 40.0, 120.0, 80.0),
    "ellipse": Ellipse(220.0, 40.0, 140.0, 90.0),
    "polygon": Polygon(((420.0, 60.0), (600.0, 90.0), (560.0, 200.0), (450.0, 170.0))),
    "tilted ellipse": TILTED,
    "point": Point((480.0, 380.0)),
}
# What Anki's editor holds for the same regions (a point is the square a user would draw over it).
EDITOR_SHAPES = [
    EditorRect(40.0, 40.0, 120.0, 80.0),
    EditorEllipse(220.0, 40.0, 70.0, 45.0),
    EditorPolygon(SHAPES["polygon"].points),
    EditorPolygon(TILTED.points),
    EditorRect(480.0 - TIP / 2, 380.0 - TIP / 2, TIP, TIP),
]


def _expected_outline(name: str, scale_x: float, scale_y: float, left: float, top: float):
    """The region a mask must cover, in screenshot pixels, as (kind, PIL geometry)."""
    shape = SHAPES[name]

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * scale_x, top + y * scale_y

    if isinstance(shape, Point):
        (x, y) = shape.at
        return "rect", [at(x - TIP / 2, y - TIP / 2), at(x + TIP / 2, y + TIP / 2)]
    if isinstance(shape, Rect):
        return "rect", [at(shape.x, shape.y), at(shape.x + shape.width, shape.y + shape.height)]
    if isinstance(shape, Ellipse):
        return "ellipse", [at(shape.x, shape.y), at(shape.x + shape.width, shape.y + shape.height)]
    return "polygon", [at(x, y) for x, y in shape.points]


def _is_mask(pixels: np.ndarray) -> np.ndarray:
    """Pixels a mask painted: its fill (#ff8e8e for the card's own, #ffeba2 for the others) or its
    border (#212121); the image under it is plain grey."""
    return np.abs(pixels - GREY).max(axis=-1) > 12


def _masks_misplaced(shot: dict) -> dict[str, str]:
    """Shape name -> what is wrong with its mask in the screenshot (empty: every mask in place)."""
    pixels = np.asarray(Image.open(shot["path"]).convert("RGB")).astype(int)
    is_mask = _is_mask(pixels)
    canvas_left, canvas_top, canvas_width, canvas_height = shot["canvas"]
    scale_x, scale_y = canvas_width / WIDTH, canvas_height / HEIGHT
    size = (pixels.shape[1], pixels.shape[0])
    problems: dict[str, str] = {}
    near_any = np.zeros(is_mask.shape, bool)
    for name in SHAPES:
        kind, geometry = _expected_outline(name, scale_x, scale_y, canvas_left, canvas_top)
        drawn = Image.new("L", size, 0)
        getattr(ImageDraw.Draw(drawn), {"rect": "rectangle", "ellipse": "ellipse", "polygon": "polygon"}[kind])(
            geometry, fill=255)
        window = 2 * TOLERANCE_PX + 1
        inside = np.asarray(drawn.filter(ImageFilter.MinFilter(window))) > 0
        near = np.asarray(drawn.filter(ImageFilter.MaxFilter(window))) > 0
        near_any |= near
        uncovered = inside & ~is_mask
        if uncovered.any():
            ys, xs = np.nonzero(uncovered)
            problems[name] = (f"{uncovered.sum()} of {inside.sum()} pixels inside the shape are not masked "
                              f"(x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()})")
    # Mask colour anywhere else in the image: a mask drawn where no shape is (e.g. at the corner).
    in_canvas = np.zeros(is_mask.shape, bool)
    in_canvas[int(canvas_top) + 1:int(canvas_top + canvas_height) - 1,
              int(canvas_left) + 1:int(canvas_left + canvas_width) - 1] = True
    stray = is_mask & in_canvas & ~near_any
    if stray.any():
        ys, xs = np.nonzero(stray)
        problems["(elsewhere)"] = f"{stray.sum()} mask pixels away from every shape (x {xs.min()}..{xs.max()}, " \
                                  f"y {ys.min()}..{ys.max()})"
    return problems


def _mask_image(shot: dict) -> np.ndarray:
    pixels = np.asarray(Image.open(shot["path"]).convert("RGB")).astype(int)
    left, top, width, height = (round(v) for v in shot["canvas"])
    return _is_mask(pixels[top:top + height, left:left + width])


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("io-desktop")
    image = root / "io-desktop-grey.png"
    Image.new("RGB", (WIDTH, HEIGHT), (GREY, GREY, GREY)).save(image)
    shapes = [(shape,) for shape in SHAPES.values()]
    cloze = occlusion_cloze(shapes, WIDTH, HEIGHT, OcclusionMode.HIDE_ALL)
    old_form = re.sub(r"(image-occlusion:polygon):left=[^:]*:top=[^:]*", r"\1", cloze)
    assert old_form.count("polygon:points=") == 2, old_form
    model = genanki_model(occlusion_notetype())
    deck = genanki.Deck(2_059_400_120, "io desktop")
    back = str(render_fragment("fields/numbered.html.j2", items=list(SHAPES)))
    # As cardgen's build writes it: each finding's number beside its region (text shapes, cloze 0).
    marked = occlusion_cloze(shapes, WIDTH, HEIGHT, OcclusionMode.HIDE_ALL, markers=[str(n) for n in range(1, 6)])
    for header, text in (("cardgen-form", cloze), ("old-form", old_form), ("cardgen-marked", marked)):
        deck.add_note(genanki.Note(model=model, fields=occlusion_note_fields(image.name, text, header, back),
                                   guid=f"io-desktop-{header}"))
    package = root / "io.apkg"
    genanki.Package(deck, media_files=[str(image)]).write_to_file(str(package), timestamp=1_700_000_000)
    out = root / "shots"
    out.mkdir()
    anki_form = editor_cloze([[shape] for shape in EDITOR_SHAPES], WIDTH, HEIGHT, occlude_inactive=True)
    params = {
        "add": [{"image": image.name, "occlusions": anki_form, "header": "anki-form",
                 "notetype": OCCLUSION_MODEL_NAME},
                {"image": image.name, "occlusions": anki_form, "header": "anki-stock", "notetype": ""}],
        "cards": [["cardgen", "Header:cardgen-form card:1", "cardgen-form"],
                  ["anki", "Header:anki-form card:1", "anki-form"],
                  ["anki_stock", "Header:anki-stock card:1", "anki-stock"],
                  ["old_form", "Header:old-form card:1", "old-form"],
                  ["cardgen_back_3", "Header:cardgen-marked card:3", "cardgen-marked", "answer"]],
        "out": str(out), "size": [1000, 800],
    }
    run = run_desktop(root / "anki", checks=CHECKS, check="occlusion_screens", params=params, deck=package)
    return {"result": run.result, "cloze": cloze, "anki_form": anki_form}


def test_each_mask_is_where_its_shape_is_in_the_desktop_reviewer(screens: dict) -> None:
    result = screens["result"]
    assert result["zoom"] == 1.0
    shot = result["shots"]["cardgen"]
    assert shot["device_pixel_ratio"] == 1 and shot["error"] == ""
    assert shot["natural"] == [WIDTH, HEIGHT]
    assert shot["canvas"] == pytest.approx(shot["image"], abs=0.5)  # the canvas lies over the image
    assert abs(shot["canvas_pixels"][0] - shot["canvas"][2]) <= 1  # drawn at the size it is shown
    assert Image.open(shot["path"]).size[0] >= shot["canvas"][0] + shot["canvas"][2]
    assert _masks_misplaced(shot) == {}


def test_shapes_written_by_ankis_add_image_occlusion_note_give_the_same_mask_pixels(screens: dict) -> None:
    shots = screens["result"]["shots"]
    assert screens["cloze"] == screens["anki_form"]  # the same text, byte for byte
    assert _masks_misplaced(shots["anki"]) == {}
    # In Anki's stock notetype (its own templates and style) the masks are in place as well.
    assert _masks_misplaced(shots["anki_stock"]) == {}
    # Through cardgen's notetype, the page is laid out the same: the masks are pixel for pixel the same.
    assert shots["anki"]["canvas"] == shots["cardgen"]["canvas"]
    ours, anki = _mask_image(shots["cardgen"]), _mask_image(shots["anki"])
    assert ours.shape == anki.shape
    assert int((ours != anki).sum()) == 0


def test_the_check_fails_on_polygons_without_their_corner(screens: dict) -> None:
    """The form cardgen wrote before: the reviewer draws both polygons at the image's corner."""
    problems = _masks_misplaced(screens["result"]["shots"]["old_form"])
    assert {"polygon", "tilted ellipse", "(elsewhere)"} <= set(problems), problems
    # (the rectangle is partly under the misplaced polygons' borders)
    assert "ellipse" not in problems and "point" not in problems


def test_the_back_marks_the_finding_asked(screens: dict) -> None:
    """Card 3's answer: the third finding of the list is marked, in another colour; no other is."""
    shot = screens["result"]["shots"]["cardgen_back_3"]
    classes = [name for name, _ in shot["back_items"]]
    assert classes == ["", "", "cg-asked", "", ""]
    colours = [colour for _, colour in shot["back_items"]]
    assert colours[2] != colours[0] and len(set(colours[:2] + colours[3:])) == 1
