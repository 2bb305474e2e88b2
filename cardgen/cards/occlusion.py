"""Native Anki Image Occlusion notes' fields, built from the findings' shapes.

Anki's Image Occlusion reviewer (``anki.imageOcclusion.setup()``, called by the stock templates)
reads the shapes from the Occlusion field, written as cloze entries such as
``{{c1::image-occlusion:rect:left=.1:top=.2:width=.3:height=.4:oi=1}}``. Coordinates are
fractions of the image's width (x, left, width, rx) or height (y, top, height, ry), so they hold
for the rendered image at any uniform scale.

Every entry is written in the form Anki's own editor writes (ts/routes/image-occlusion/shapes/
to-cloze.ts): ``left`` and ``top`` first, for a polygon too (the reviewer moves a polygon's points
so that their bounding box starts at left/top, and at the image's corner when they are missing),
then the kind's own properties, then ``oi=1``; numbers as the editor's ``floatToDisplay`` writes
them. tests/test_occlusion.py compares the field byte for byte with a transcription of that code
and with a note made by the backend's ``add_image_occlusion_note``.

The Image Occlusion notetype is described in :mod:`cardgen.cards.notetypes`.
"""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape
from cardgen.teaching.case import OcclusionMode

# Side of the square region put around an arrow's tip or a point, as a fraction of the image's
# shorter side: big enough to hide what the arrow points at on a typical key image, small enough
# not to hide the neighbouring anatomy.
TIP_REGION_FRACTION = 0.08

# Four decimals reproduce every pixel of images up to 10,000 px wide (Anki's own editor rounds the
# same way, ts/routes/image-occlusion/shapes/floats.ts).
_DECIMALS = 4
_QUANTUM = Decimal(1).scaleb(-_DECIMALS)


def occlusion_cloze(
    shapes_per_finding: Sequence[Sequence[Shape]],
    image_width: float,
    image_height: float,
    mode: OcclusionMode = OcclusionMode.HIDE_ALL,
    *,
    markers: Sequence[str | None] | None = None,
) -> str:
    """The Occlusion field: one cloze number per finding (c1 for the first), one entry per shape.

    ``image_width`` and ``image_height`` are the size of the image the shapes' pixel coordinates
    refer to; the fractions then fit the rendered image at any uniform scale. Rect, ellipse and
    polygon map directly; an arrow or a point becomes a square of ``TIP_REGION_FRACTION`` of the
    shorter side centred on its tip. Everything is clamped to the image. ``HIDE_ALL`` adds
    ``oi=1`` (hide all, guess one). ``markers`` (optional, one per finding) adds a text shape with
    that string beside each finding's first shape; text shapes show on both sides (cloze 0), so
    a marker must be a neutral tag such as "A", never the answer.
    """
    if image_width <= 0 or image_height <= 0:
        raise ValueError(f"image size must be positive, got {image_width} x {image_height}")
    if markers is not None and len(markers) != len(shapes_per_finding):
        raise ValueError(f"{len(markers)} markers for {len(shapes_per_finding)} findings")
    entries: list[str] = []
    for number, shapes in enumerate(shapes_per_finding, start=1):
        if not shapes:
            raise ValueError(f"finding {number} has no shape to occlude")
        for shape in shapes:
            entries.append(_cloze_entry(number, _occlusion_shape(shape, image_width, image_height), mode))
        marker = markers[number - 1] if markers is not None else None
        if marker:
            entries.append(_cloze_entry(0, _marker_shape(marker, shapes[0], image_width, image_height), mode))
    # Anki's editor ends every entry with <br>; keep the field looking the same.
    return "".join(entry + "<br>" for entry in entries)


def occlusion_note_fields(
    image_media_name: str, cloze_text: str, header_html: str = "", back_extra_html: str = ""
) -> list[str]:
    """The five stock fields in order: Occlusion, Image, Header, Back Extra, Comments.

    ``image_media_name`` is the media file's name (a content hash, never a patient value); Anki's
    backend finds the image through ``<img src="...">`` with double quotes.
    """
    if '"' in image_media_name or "<" in image_media_name or ">" in image_media_name:
        raise ValueError(f"media name {image_media_name!r} cannot sit inside an <img> tag")
    image_tag = f'<img src="{image_media_name}">'
    return [cloze_text, image_tag, header_html, back_extra_html, ""]


def format_fraction(value: float) -> str:
    """A fraction as Anki's IO editor writes it (``floatToDisplay``, ts/routes/image-occlusion/shapes/lib.ts):
    four decimals with leading and trailing zeros stripped, ``.0000`` for zero (``.5``, ``.1235``, ``1.``)."""
    # JavaScript's toFixed rounds the exact binary value, a tie upwards (0.03125 -> 0.0313); Python's
    # format would round that tie to even.
    rounded = Decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_UP)
    if rounded == 0:
        # Anki writes an exact zero as .0000; a value that rounds to zero (or -0) reads the same.
        return ".0000"
    return f"{rounded:.{_DECIMALS}f}".strip("0")


# --- shapes -> the IO shape kinds (rect, ellipse, polygon) in image fractions ---------------------

def occluded_region(shape: Shape, width: float, height: float) -> Shape:
    """The region a shape's mask covers, in pixels: the shape itself, or for an arrow or a point
    (which have no area) a square of ``TIP_REGION_FRACTION`` of the shorter side around its tip."""
    if isinstance(shape, (Arrow, Point)):
        # at least a pixel: on a sliver of an image (9,506 x 5) the square rounded to a width of 0
        side = max(TIP_REGION_FRACTION * min(width, height), 1.0)
        tip_x, tip_y = shape.tip
        return Rect(tip_x - side / 2, tip_y - side / 2, side, side, label=shape.label)
    return shape


def _occlusion_shape(shape: Shape, width: float, height: float) -> tuple[str, list[tuple[str, str]]]:
    """The IO kind and its properties for one shape, in fractions clamped to the image."""
    shape = occluded_region(shape, width, height)
    if isinstance(shape, (Rect, Ellipse)):
        # Clamped in pixels, then divided once by the image's size, as the editor divides its
        # pixel values (toNormal): the same float, so the same rounding of a tie such as .09375.
        left = min(width, max(0.0, shape.x))
        top = min(height, max(0.0, shape.y))
        right = min(width, max(0.0, shape.x + shape.width))
        bottom = min(height, max(0.0, shape.y + shape.height))
        if isinstance(shape, Rect):
            return "rect", [("left", format_fraction(left / width)), ("top", format_fraction(top / height)),
                            ("width", format_fraction((right - left) / width)),
                            ("height", format_fraction((bottom - top) / height))]
        # Anki draws the ellipse centred at (left + rx, top + ry): left/top is its box's corner.
        return "ellipse", [("left", format_fraction(left / width)), ("top", format_fraction(top / height)),
                           ("rx", format_fraction((right - left) / 2 / width)),
                           ("ry", format_fraction((bottom - top) / 2 / height))]
    if isinstance(shape, Polygon):
        points = [(_clamp(x / width), _clamp(y / height)) for x, y in shape.points]
        # The reviewer draws a polygon with its points' bounding box moved to left/top (0,0 when
        # absent: ``getPolygonOffset`` in ts/routes/image-occlusion/review.ts, since 2.1.65), so the
        # corner must be written; the points stay in image fractions, as Anki's editor keeps them
        # (fabric's polygon points, shapes/polygon.ts). Unquoted: the backend would keep the quotes.
        return "polygon", [
            ("left", format_fraction(min(x for x, _ in points))),
            ("top", format_fraction(min(y for _, y in points))),
            ("points", " ".join(f"{format_fraction(x)},{format_fraction(y)}" for x, y in points)),
        ]
    raise TypeError(f"not a shape: {shape!r}")


def _cloze_entry(number: int, kind_and_properties: tuple[str, list[tuple[str, str]]],
                 mode: OcclusionMode) -> str:
    kind, properties = kind_and_properties
    if mode is OcclusionMode.HIDE_ALL:
        properties = properties + [("oi", "1")]
    text = "".join(f":{name}={value}" for name, value in properties)
    return f"{{{{c{number}::image-occlusion:{kind}{text}}}}}"


MARKER_FONT = 0.04  # a marker's font size, as a fraction of the image height
MARKER_GAP = 0.005  # between a marker and its finding's box


def marker_position(bounds_left: float, bounds_top: float, bounds_bottom: float) -> tuple[float, float]:
    """Where a finding's marker goes, in image fractions: just above its box, or just below it when
    the box touches the top edge, never inside it (its own mask would hide it on the question)."""
    line = MARKER_FONT * 1.25  # a text line's height in Anki's IO reviewer
    top = bounds_top - line - MARKER_GAP
    if top < 0:
        top = min(bounds_bottom + MARKER_GAP, 1.0 - line)
    return _clamp(bounds_left), _clamp(top)


def _marker_shape(marker: str, shape: Shape, width: float, height: float) -> tuple[str, list[tuple[str, str]]]:
    """A text shape (cloze 0: no card, shown on both sides) beside the box its mask covers (for an
    arrow or a point, the square around the tip, not the zero-size point under it)."""
    bounds = occluded_region(shape, width, height).bounds()
    # The value sits in the Occlusion field's HTML and inside a cloze: escape HTML, then as Anki's
    # editor does the backslash and the property separator ':', and the braces that would end the cloze.
    safe = (html.escape(marker).replace("\\", "\\\\").replace(":", "\\:")
            .replace("{", "(").replace("}", ")"))
    left, top = marker_position(bounds.left / width, bounds.top / height, bounds.bottom / height)
    return "text", [("left", format_fraction(left)), ("top", format_fraction(top)), ("text", safe),
                    ("scale", format_fraction(1)), ("fs", format_fraction(MARKER_FONT))]


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
