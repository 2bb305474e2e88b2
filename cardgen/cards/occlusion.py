"""Native Anki Image Occlusion notes, built from the findings' shapes.

Anki treats a notetype as its own Image Occlusion type when the notetype's JSON carries
``"originalStockKind": 6`` (the stock kind IMAGE_OCCLUSION, counted from 1 in
``NotetypeConfig.OriginalStockKind``) and keeps the stock fields in the stock order: Occlusion,
Image, Header, Back Extra, Comments. The reviewer (``anki.imageOcclusion.setup()``, called by the
stock templates) then reads the shapes from the Occlusion field, written as cloze entries such as
``{{c1::image-occlusion:rect:left=.1:top=.2:width=.3:height=.4:oi=1}}``. Coordinates are
fractions of the image's width (x, left, width, rx) or height (y, top, height, ry), so they hold
for the rendered image at any uniform scale.

The templates, CSS and field settings below are the stock ones, copied from the notetype the
anki 26.9.3 backend creates (``col.models.by_name("Image Occlusion")``; source:
ankitects/anki rslib/src/image_occlusion/notetype.rs). They are frozen on purpose: re-importing a
deck whose notetype changed makes Anki skip its notes, so a change means a new model id and name.
"""

from __future__ import annotations

import html
from typing import Sequence

import genanki

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape
from cardgen.teaching.case import OcclusionMode

# Fixed forever for this schema version (see the module docstring); never derived from time.
OCCLUSION_MODEL_ID = 1_734_812_406
OCCLUSION_MODEL_NAME = "Image Occlusion (cardgen v1)"

# NotetypeConfig.OriginalStockKind.IMAGE_OCCLUSION (the StockNotetype.Kind enum starts at 0 and
# says 5; the "original stock kind" enum reserves 0 for unknown, hence 6).
ORIGINAL_STOCK_KIND_IMAGE_OCCLUSION = 6

# Side of the square region put around an arrow's tip or a point, as a fraction of the image's
# shorter side: big enough to hide what the arrow points at on a typical key image, small enough
# not to hide the neighbouring anatomy.
TIP_REGION_FRACTION = 0.08

# Four decimals reproduce every pixel of images up to 10,000 px wide (Anki's own editor rounds the
# same way, ts/routes/image-occlusion/shapes/floats.ts).
_DECIMALS = 4

_STOCK_FRONT = """{{#Header}}<div>{{Header}}</div>{{/Header}}
<div style="display: none">{{cloze:Occlusion}}</div>
<div id="err"></div>
<div id="image-occlusion-container">
    {{Image}}
    <canvas id="image-occlusion-canvas"></canvas>
</div>
<script>
try {
    anki.imageOcclusion.setup();
} catch (exc) {
    document.getElementById("err").innerHTML = `Error loading image occlusion. Is your Anki version up to date?<br><br>${exc}`;
}
</script>
"""

_STOCK_BACK = _STOCK_FRONT + """
<div><button id="toggle">Toggle Masks</button></div>
{{#Back Extra}}<div>{{Back Extra}}</div>{{/Back Extra}}
"""

_STOCK_CSS = """#image-occlusion-canvas {
    --inactive-shape-color: #ffeba2;
    --active-shape-color: #ff8e8e;
    --inactive-shape-border: 1px #212121;
    --active-shape-border: 1px #212121;
    --highlight-shape-color: #ff8e8e00;
    --highlight-shape-border: 1px #ff8e8e;
}

.card {
    font-family: arial;
    font-size: 20px;
    text-align: center;
    color: black;
    background-color: white;
}
"""

# Stock field names in stock order; `tag` is how Anki's backend knows each IO field's role, and
# the four fields the IO editor needs cannot be deleted in Anki's UI.
_STOCK_FIELDS = ("Occlusion", "Image", "Header", "Back Extra", "Comments")


class OcclusionModel(genanki.Model):
    """A genanki model whose JSON also carries ``originalStockKind`` (genanki does not write it)."""

    def to_json(self, timestamp: float, deck_id):  # noqa: D102 - genanki's own signature
        data = super().to_json(timestamp, deck_id)
        data["originalStockKind"] = ORIGINAL_STOCK_KIND_IMAGE_OCCLUSION
        return data


def occlusion_model() -> OcclusionModel:
    """The Image Occlusion notetype every occlusion note uses (one fixed id and name)."""
    fields = [
        {"name": name, "font": "Arial", "size": 20, "tag": index,
         "preventDeletion": name != "Comments"}
        for index, name in enumerate(_STOCK_FIELDS)
    ]
    return OcclusionModel(
        OCCLUSION_MODEL_ID,
        OCCLUSION_MODEL_NAME,
        fields=fields,
        templates=[{"name": "Image Occlusion", "qfmt": _STOCK_FRONT, "afmt": _STOCK_BACK}],
        css=_STOCK_CSS,
        model_type=genanki.Model.CLOZE,
    )


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
            entries.append(_marker_entry(marker, shapes[0], image_width, image_height))
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
    """A fraction as Anki's IO editor writes it: four decimals, no leading or trailing zeros."""
    text = f"{round(value, _DECIMALS):.{_DECIMALS}f}"
    if text.startswith("-"):
        # Only possible for -0.0 after rounding a tiny negative; clamped values are never below 0.
        text = text[1:]
    text = text.lstrip("0").rstrip("0").rstrip(".")
    return text or "0"


# --- shapes -> the IO shape kinds (rect, ellipse, polygon) in image fractions ---------------------

def _occlusion_shape(shape: Shape, width: float, height: float) -> tuple[str, list[tuple[str, str]]]:
    """The IO kind and its properties for one shape, in fractions clamped to the image."""
    if isinstance(shape, (Arrow, Point)):
        side = TIP_REGION_FRACTION * min(width, height)
        tip_x, tip_y = shape.tip
        shape = Rect(tip_x - side / 2, tip_y - side / 2, side, side)
    if isinstance(shape, (Rect, Ellipse)):
        left = _clamp(shape.x / width)
        top = _clamp(shape.y / height)
        right = _clamp((shape.x + shape.width) / width)
        bottom = _clamp((shape.y + shape.height) / height)
        if isinstance(shape, Rect):
            return "rect", [("left", format_fraction(left)), ("top", format_fraction(top)),
                            ("width", format_fraction(right - left)),
                            ("height", format_fraction(bottom - top))]
        # Anki draws the ellipse centred at (left + rx, top + ry): left/top is its box's corner.
        return "ellipse", [("left", format_fraction(left)), ("top", format_fraction(top)),
                           ("rx", format_fraction((right - left) / 2)),
                           ("ry", format_fraction((bottom - top) / 2))]
    if isinstance(shape, Polygon):
        points = " ".join(
            f"{format_fraction(_clamp(x / width))},{format_fraction(_clamp(y / height))}"
            for x, y in shape.points
        )
        # Unquoted: the backend keeps quotes as part of the value and the reviewer then cannot
        # parse the points.
        return "polygon", [("points", points)]
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


def _marker_entry(marker: str, shape: Shape, width: float, height: float) -> str:
    """A text shape (cloze 0: no card, shown on both sides) beside the finding's box."""
    bounds = shape.bounds()
    # The value sits in the Occlusion field's HTML and inside a cloze: escape HTML, the property
    # separator ':' (as Anki's editor does) and the braces that would end the cloze.
    safe = html.escape(marker).replace(":", "\\:").replace("{", "(").replace("}", ")")
    left, top = marker_position(bounds.left / width, bounds.top / height, bounds.bottom / height)
    return (f"{{{{c0::image-occlusion:text:left={format_fraction(left)}:top={format_fraction(top)}"
            f":text={safe}:scale=1:fs={format_fraction(MARKER_FONT)}}}}}")


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
