"""Reading what a case shows on its images: findings, their shapes (in image pixels) and the
annotation files (GSPS, SR, SEG, ...) whose items become findings.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.annotations.clip import has_no_area
from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape, ShapeKind
from cardgen.errors import InputError
from cardgen.teaching.case import AnnotationChoice, AnnotationFile, CaseImage, Finding
from cardgen.teaching.fields import Fields, Problems, case_path, is_finite, mapping


def _xy(value: object, file: Path, field: str) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not is_finite(v) for v in value)):
        raise InputError("expected a point [x, y]", file=file, field=field, value=value)
    return float(value[0]), float(value[1])


def read_shape(item: object, field: str, file: Path) -> Shape:
    """One shape of a finding, in image pixels."""
    data = mapping(item, field, file)
    reader = Fields(data, file, prefix=f"{field}.")
    kind = reader.enum("kind", ShapeKind)
    if kind is None:
        raise InputError("missing shape kind", file=file, field=f"{field}.kind",
                         hint="use one of " + " | ".join(k.value for k in ShapeKind))
    label = reader.optional_text("label")
    if kind in (ShapeKind.RECT, ShapeKind.ELLIPSE):
        x, y, w, h = (reader.number(k) for k in ("x", "y", "width", "height"))
        assert x is not None and y is not None and w is not None and h is not None
        if w <= 0 or h <= 0:
            raise InputError("width and height must be positive", file=file, field=field, value=data,
                             hint="x, y is the top-left corner; width and height are in pixels")
        cls = Rect if kind is ShapeKind.RECT else Ellipse
        return cls(x=x, y=y, width=w, height=h, label=label)
    if kind is ShapeKind.POLYGON:
        points = reader.list("points")
        if len(points) < 3:
            raise InputError("a polygon needs at least 3 points", file=file, field=f"{field}.points", value=points)
        polygon = Polygon(points=tuple(_xy(p, file, f"{field}.points[{i}]") for i, p in enumerate(points)),
                          label=label)
        if has_no_area(polygon):  # it would hide or outline nothing (a rect of width 0 is refused too)
            raise InputError("the polygon has no area: its points coincide or lie on one line", file=file,
                             field=f"{field}.points", value=points,
                             hint="give the corners of the region, in order around it")
        return polygon
    if kind is ShapeKind.ARROW:
        start = _xy(data.get("from"), file, f"{field}.from")
        end = _xy(data.get("to"), file, f"{field}.to")
        if start == end:
            raise InputError("an arrow needs two different points", file=file, field=field, value=data,
                             hint="'from' is the tail, 'to' the tip")
        return Arrow(start=start, end=end, label=label)
    return Point(at=_xy(data.get("at"), file, f"{field}.at"), label=label)


def image_id_for(ref: str, field: str, images: tuple[CaseImage, ...], image_ids: set[str],
                  file: Path) -> str:
    """The id of the image a finding or annotation names (by id or file name)."""
    if not ref:
        if len(images) != 1:
            raise InputError("say which image this is on", file=file, field=field,
                             hint="write 'image: <image id or file name>'")
        return images[0].id
    if ref not in image_ids:
        raise InputError("no image with this id or file name", file=file, field=field,
                         value=ref, hint="known: " + ", ".join(sorted(image_ids)))
    return next((img.id for img in images if ref in (img.id, img.path.name)), ref)  # ref: an image that failed


def read_annotation_file(item: object, field: str, folder: Path, images: tuple[CaseImage, ...],
                          image_ids: set[str], file: Path) -> AnnotationFile:
    if isinstance(item, str):
        item = {"file": item}
    data = mapping(item, field, file)
    reader = Fields(data, file, prefix=f"{field}.")
    path = case_path(folder, reader.text("file", required=True), file, f"{field}.file")
    image_id = image_id_for(reader.text("image"), f"{field}.image", images, image_ids, file)
    items = tuple(read_annotation_choice(c, f"{field}.items[{i}]", file)
                  for i, c in enumerate(reader.list("items")))
    return AnnotationFile(path=path, image_id=image_id, text=reader.optional_text("text"),
                          label=reader.optional_text("label"), items=items)


def read_annotation_choice(item: object, field: str, file: Path) -> AnnotationChoice:
    """An ``items`` entry: a number from 1 or a name, or a mapping {item, text, label}."""
    if not isinstance(item, dict):
        item = {"item": item}
    data = mapping(item, field, file)
    choice = data.get("item")
    if isinstance(choice, bool) or not (isinstance(choice, str) and choice.strip()
                                        or isinstance(choice, int) and choice >= 1):
        raise InputError("an item is its number (from 1) or its label, tracking id or text",
                         file=file, field=f"{field}.item" if "item" in data else field, value=choice,
                         hint="e.g. items: [1, 'Nodule 2'] or items: [{item: 1, text: 'Spiculated nodule'}]")
    reader = Fields(data, file, prefix=f"{field}.")
    return AnnotationChoice(item=choice.strip() if isinstance(choice, str) else choice,
                            text=reader.optional_text("text"), label=reader.optional_text("label"))


def read_finding(item: object, field: str, images: tuple[CaseImage, ...], image_ids: set[str],
                  file: Path) -> Finding:
    data = mapping(item, field, file)
    reader = Fields(data, file, prefix=f"{field}.")
    problems = Problems()
    text = problems.attempt(reader.text, "text", required=True)
    image_id = problems.attempt(image_id_for, reader.text("image"), f"{field}.image", images, image_ids, file)
    read = [problems.attempt(read_shape, s, f"{field}.shapes[{i}]", file)
            for i, s in enumerate(problems.attempt(reader.list, "shapes") or [])]
    label = problems.attempt(reader.optional_text, "label")
    problems.raise_any()
    return Finding(text=text, image_id=image_id, shapes=tuple(s for s in read if s is not None), label=label)
