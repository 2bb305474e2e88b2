"""Property-based tests of case parsing and shape conversion (hypothesis).

- ``load_case``: whatever YAML structure sits at the known keys, the result is a Case or an
  InputError that names the case file; never another exception.
- ``read_shape``: any shape written as YAML reads back equal; any mapping gives a shape or an InputError.
- ``occlusion_cloze``: any shape on an image gives fractions in [0, 1] that convert back to the
  shape's pixels within half a pixel.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cardgen.annotations.clip import has_no_area
from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape
from cardgen.cards.occlusion import occlusion_cloze
from cardgen.errors import InputError
from cardgen.teaching.case import Case, OcclusionMode
from cardgen.teaching.findings import read_shape
from cardgen.teaching.loader import load_case
from tests.sample_cases import CT_SMALL

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None,  # derandomized on CI: tests/conftest.py
                             suppress_health_check=[HealthCheck.too_slow])

# --- YAML-ish values ---------------------------------------------------------------------------------

# Text a case author might write, and the awkward kind: names of files that exist (ct.dcm, copied
# from pydicom's CT_small.dcm, and a folder), outside the folder, empty, huge or full of markup.
FILE_NAMES = st.sampled_from(["ct.dcm", "series", "series/", ".", "missing.dcm", "../ct.dcm",
                              "/etc/passwd", "C:\\x.dcm", "", " ", "ct.dcm\x00", "CT.DCM"])
TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.sampled_from(["ct.dcm", "bone", "lung", "file", "file 2", "all", "0-3", "easy", "hide_one",
                     "rect", "ellipse", "polygon", "arrow", "point", "reviewed", "chest.pleura", "a b",
                     "a::b", "<script>", "1e9"]),
)
NUMBERS = st.one_of(st.integers(min_value=-10, max_value=300), st.integers(),
                    st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
ANY = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def fields(keys: dict[str, st.SearchStrategy], required: tuple[str, ...] = ()) -> st.SearchStrategy[dict]:
    """A mapping with ``required`` and any subset of the other ``keys``; each value from its own
    strategy most of the time, and anything at all otherwise."""
    def value(strategy: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(strategy, strategy, strategy, ANY)

    return st.fixed_dictionaries({k: value(keys[k]) for k in required},
                                 optional={k: value(v) for k, v in keys.items() if k not in required})


POINT = st.one_of(st.lists(NUMBERS, min_size=0, max_size=3), st.tuples(st.integers(0, 200), st.integers(0, 200)))
SHAPE_DICTS = fields({
    "kind": st.sampled_from(["rect", "ellipse", "polygon", "arrow", "point", "RECT", "circle"]),
    "x": NUMBERS, "y": NUMBERS, "width": NUMBERS, "height": NUMBERS,
    "points": st.lists(POINT, max_size=5), "from": POINT, "to": POINT, "at": POINT, "label": TEXT,
}, required=("kind",))
IMAGE_DICTS = fields({
    "file": FILE_NAMES, "id": TEXT, "window": st.one_of(TEXT, st.lists(TEXT, max_size=3),
                                                        fields({"center": NUMBERS, "width": NUMBERS,
                                                                "function": TEXT})),
    "frame": NUMBERS, "frames": st.one_of(TEXT, st.lists(NUMBERS, max_size=3)),
    "burned_in": TEXT, "mask": st.lists(SHAPE_DICTS, max_size=2),
}, required=("file",))
FINDING_DICTS = fields({"text": TEXT, "image": TEXT, "label": TEXT,
                        "shapes": st.lists(SHAPE_DICTS, max_size=3)}, required=("text",))
CASE_KEYS = {
    "id": st.sampled_from(["a-1", "chest.001"]) | TEXT, "title": TEXT, "history": TEXT, "diagnosis": TEXT,
    "topics": st.lists(TEXT, max_size=3), "difficulty": TEXT,
    "images": st.lists(st.one_of(IMAGE_DICTS, FILE_NAMES), max_size=3),
    "findings": st.lists(FINDING_DICTS, max_size=3), "differential": st.lists(TEXT, max_size=3),
    "teaching_points": st.lists(TEXT, max_size=3), "occlusion": TEXT, "burned_in": TEXT,
    "annotations": st.lists(st.one_of(fields({"file": FILE_NAMES, "image": TEXT}), FILE_NAMES), max_size=2),
}
# A third of the cases have a valid id and title, so that parsing gets past them to the images,
# findings and annotations.
CASE_DICTS = st.one_of(
    fields(CASE_KEYS), fields(CASE_KEYS, required=("id", "title")),
    st.builds(lambda data, case_id: {**data, "id": case_id, "title": "Title"},
              fields(CASE_KEYS), st.sampled_from(["a-1", "chest.001"])))


@pytest.fixture(scope="module")
def case_folder():
    """One case folder for every example: ct.dcm (pydicom's CT_small.dcm) and an empty series folder."""
    with tempfile.TemporaryDirectory(prefix="cardgen-properties-") as root:
        folder = Path(root) / "case"
        (folder / "series").mkdir(parents=True)
        shutil.copyfile(CT_SMALL, folder / "ct.dcm")
        yield folder


@PROPERTY_SETTINGS
@given(data=CASE_DICTS)
def test_load_case_returns_a_case_or_raises_input_error(case_folder: Path, data: dict) -> None:
    case_file = case_folder / "case.yaml"
    case_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        case = load_case(case_file)
    except InputError as error:
        assert str(case_file) in str(error)
        assert error.problem
        return
    assert isinstance(case, Case)
    assert case.id and case.title
    for image in case.images:
        assert image.path.resolve().is_relative_to(case_folder.resolve())


@PROPERTY_SETTINGS
@given(data=st.one_of(SHAPE_DICTS, ANY))
def test_read_shape_returns_a_shape_or_raises_input_error(data: object) -> None:
    try:
        shape = read_shape(data, "findings[0].shapes[0]", Path("case.yaml"))
    except InputError as error:
        assert "case.yaml" in str(error) and "findings[0].shapes[0]" in str(error)
        return
    bounds = shape.bounds()
    assert all(math.isfinite(v) for v in (bounds.left, bounds.top, bounds.right, bounds.bottom))


# --- valid shapes on an image ----------------------------------------------------------------------

SIZES = st.tuples(st.integers(1, 10_000), st.integers(1, 10_000))
# Labels are one line of text: line breaks (NEL, LS, PS) and control characters are left out because
# PyYAML's own dump and load fold them into spaces, which says nothing about cardgen.
LABELS = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                                      min_size=1, max_size=8).filter(str.strip).map(str.strip))


@st.composite
def shape_on(draw, size: tuple[int, int]) -> Shape:
    """A valid shape lying on an image of ``size`` (pixel coordinates, edges included)."""
    width, height = size
    x = st.floats(0, width, allow_nan=False)
    y = st.floats(0, height, allow_nan=False)
    kind = draw(st.sampled_from(["rect", "ellipse", "polygon", "arrow", "point"]))
    label = draw(LABELS)
    if kind in ("rect", "ellipse"):
        left, top = draw(st.floats(0, width - 0.5)), draw(st.floats(0, height - 0.5))
        w = draw(st.floats(0.5, width - left))
        h = draw(st.floats(0.5, height - top))
        return (Rect if kind == "rect" else Ellipse)(left, top, w, h, label=label)
    if kind == "polygon":
        points = tuple(draw(st.lists(st.tuples(x, y), min_size=3, max_size=6)))
        assume(not has_no_area(Polygon(points)))  # points on one line are refused as a case writes them
        return Polygon(points=points, label=label)
    if kind == "arrow":
        start, end = draw(st.tuples(x, y)), draw(st.tuples(x, y))
        assume(start != end)
        return Arrow(start=start, end=end, label=label)
    return Point(at=draw(st.tuples(x, y)), label=label)


@st.composite
def image_and_shape(draw) -> tuple[tuple[int, int], Shape]:
    size = draw(SIZES)
    return size, draw(shape_on(size))


def as_yaml(shape: Shape) -> dict:
    """The shape as a case author writes it."""
    data: dict = {"kind": shape.kind.value}
    if isinstance(shape, (Rect, Ellipse)):
        data.update(x=shape.x, y=shape.y, width=shape.width, height=shape.height)
    elif isinstance(shape, Polygon):
        data["points"] = [list(p) for p in shape.points]
    elif isinstance(shape, Arrow):
        data.update({"from": list(shape.start), "to": list(shape.end)})
    else:
        data["at"] = list(shape.at)
    if shape.label is not None:
        data["label"] = shape.label
    return data


@PROPERTY_SETTINGS
@given(case=image_and_shape())
def test_read_shape_round_trip(case: tuple[tuple[int, int], Shape]) -> None:
    _size, shape = case
    written = yaml.safe_dump({"shape": as_yaml(shape)}, allow_unicode=True)
    assert read_shape(yaml.safe_load(written)["shape"], "shapes[0]", Path("case.yaml")) == shape


_ENTRY = re.compile(r"\{\{c(\d+)::image-occlusion:(\w+)((?::[a-z]+=[^:}]*)*)\}\}")


def parse_entries(cloze: str) -> list[tuple[int, str, dict[str, str]]]:
    """The Occlusion field's entries: cloze number, IO kind and properties."""
    entries = []
    for number, kind, props in _ENTRY.findall(cloze):
        values = dict(part.split("=", 1) for part in props.strip(":").split(":"))
        entries.append((int(number), kind, values))
    assert len(entries) == cloze.count("{{"), cloze
    return entries


@PROPERTY_SETTINGS
@given(case=image_and_shape(), mode=st.sampled_from(list(OcclusionMode)))
# a radius of 3.5 pixels on a 10,000-pixel side is 0.00035: a tie, stored as 0.0003, half a pixel off
@example(case=((10000, 1), Ellipse(0.0, 0.0, 7.0, 1.0)), mode=OcclusionMode.HIDE_ALL)
@example(case=((1, 10000), Ellipse(0.0, 0.0, 1.0, 7.0)), mode=OcclusionMode.HIDE_ONE)
@example(case=((9506, 5), Point(at=(3.5, 2.0))), mode=OcclusionMode.HIDE_ONE)  # a square of 0.4 px stored as 0
def test_occlusion_fractions_round_trip_within_half_a_pixel(case, mode: OcclusionMode) -> None:
    (width, height), shape = case
    [(number, kind, props)] = parse_entries(occlusion_cloze([[shape]], width, height, mode))
    assert number == 1
    assert ("oi" in props) == (mode is OcclusionMode.HIDE_ALL)
    numbers = {k: v for k, v in props.items() if k not in ("oi", "points")}
    fractions = {k: float(v) for k, v in numbers.items()}
    if kind == "polygon":
        pairs = [p.split(",") for p in props["points"].split(" ")]
        fractions.update({f"p{i}": float(v) for i, pair in enumerate(pairs) for v in pair})
    assert all(0.0 <= f <= 1.0 for f in fractions.values()), props
    # Every number Anki stores (left, top, width, height, a radius, a point) is a fraction with
    # four decimals: within half a pixel on images up to 10,000 pixels a side (a tie is exactly half
    # a pixel off, which the fraction times the side misses by a float's last digits: ``noise``).
    noise = 1e-9
    half = 0.5 + noise
    if isinstance(shape, (Rect, Ellipse)):
        assert abs(fractions["left"] * width - shape.x) <= half
        assert abs(fractions["top"] * height - shape.y) <= half
        if isinstance(shape, Rect):
            assert kind == "rect"
            assert abs(fractions["width"] * width - shape.width) <= half
            assert abs(fractions["height"] * height - shape.height) <= half
        else:
            assert kind == "ellipse"
            # The radius is stored, so the diameter doubles its rounding: 1e-4 of the image side
            # (half a pixel at 5,000 pixels, one pixel at 10,000).
            assert abs(fractions["rx"] * width - shape.width / 2) <= half
            assert abs(fractions["ry"] * height - shape.height / 2) <= half
            assert abs(2 * fractions["rx"] * width - shape.width) <= max(half, 1e-4 * width + noise)
            assert abs(2 * fractions["ry"] * height - shape.height) <= max(half, 1e-4 * height + noise)
    elif isinstance(shape, Polygon):
        assert kind == "polygon"
        back = [(float(a) * width, float(b) * height) for a, b in pairs]
        assert len(back) == len(shape.points)
        for (bx, by), (sx, sy) in zip(back, shape.points):
            assert abs(bx - sx) <= half and abs(by - sy) <= half
    else:
        # An arrow or a point becomes a small square around its tip, clamped to the image.
        assert kind == "rect"
        tip_x, tip_y = shape.tip
        left, top = fractions["left"] * width, fractions["top"] * height
        right, bottom = left + fractions["width"] * width, top + fractions["height"] * height
        assert left - half <= tip_x <= right + half and top - half <= tip_y <= bottom + half


@PROPERTY_SETTINGS
@given(size=SIZES, data=st.data())
def test_occlusion_fractions_stay_in_the_image_even_for_shapes_off_it(size, data) -> None:
    width, height = size
    far = st.floats(-3 * max(size), 3 * max(size), allow_nan=False)
    shape = data.draw(st.one_of(
        st.builds(Rect, far, far, st.floats(0.5, 5 * width), st.floats(0.5, 5 * height)),
        st.builds(Ellipse, far, far, st.floats(0.5, 5 * width), st.floats(0.5, 5 * height)),
        st.builds(Polygon, st.lists(st.tuples(far, far), min_size=3, max_size=5).map(tuple)),
        st.builds(Point, st.tuples(far, far)),
    ))
    for _number, _kind, props in parse_entries(occlusion_cloze([[shape]], width, height)):
        values = [v for k, v in props.items() if k != "points"] + [
            c for p in props.get("points", "").split() for c in p.split(",")]
        assert all(0.0 <= float(v) <= 1.0 for v in values), props
