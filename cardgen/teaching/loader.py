"""Reading teaching cases: every ``case.yaml`` under a folder, parsed and validated.

Each case folder holds a ``case.yaml`` and the files it names. Everything read here is checked
and converted (strings to enums, window names to windows, file names to paths inside the case
folder); a problem becomes an :class:`InputError` that names the file, the field and the value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, TypeVar

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape, ShapeKind
from cardgen.errors import InputError
from cardgen.imaging.frames import parse_frames
from cardgen.teaching.paths import FileKind, resolve_case_file
from cardgen.imaging.windows import parse_windows
from cardgen.teaching.case import AnnotationFile, Case, CaseId, CaseImage, Difficulty, Finding, OcclusionMode
from cardgen.yamlio import load_yaml_file

CASE_FILE = "case.yaml"
T = TypeVar("T")


def find_case_files(cases_dir: Path) -> list[Path]:
    """Every ``case.yaml`` under ``cases_dir``, at any depth, in a stable order."""
    if not cases_dir.is_dir():
        raise InputError("not a folder of cases", file=cases_dir,
                         hint="give the folder that holds one sub-folder per case")
    found = sorted(cases_dir.rglob(CASE_FILE), key=lambda p: p.relative_to(cases_dir).as_posix())
    if not found:
        raise InputError(f"no {CASE_FILE} found", file=cases_dir,
                         hint=f"each case is a folder with a {CASE_FILE}")
    return found


def load_case(case_file: Path) -> Case:
    """Parse and validate one ``case.yaml``."""
    data = load_yaml_file(case_file)
    if data is None:
        raise InputError("the file is empty", file=case_file,
                         hint="a case needs at least 'id:', 'title:' and 'images:'")
    if not isinstance(data, dict):
        raise InputError("a case is a mapping of fields (id, title, images, ...)", file=case_file,
                         value=type(data).__name__)
    reader = _Fields(data, case_file)
    folder = case_file.parent
    case_id = reader.text("id", required=True)
    if any(ch.isspace() for ch in case_id) or "::" in case_id:
        raise InputError("a case id may not contain spaces or '::'", file=case_file, field="id",
                         value=case_id, hint="use letters, digits, dots and dashes, e.g. chest-001")
    images = tuple(
        _read_image(item, f"images[{i}]", folder, case_file, case_burned_in=data.get("burned_in"))
        for i, item in enumerate(reader.list("images"))
    )
    _check_unique([img.id for img in images], "images", "id", case_file)
    image_ids = {img.id for img in images} | {img.path.name for img in images}
    findings = tuple(
        _read_finding(item, f"findings[{i}]", images, image_ids, case_file)
        for i, item in enumerate(reader.list("findings"))
    )
    annotation_files = tuple(
        _read_annotation_file(item, f"annotations[{i}]", folder, images, image_ids, case_file)
        for i, item in enumerate(reader.list("annotations"))
    )
    known = {"id", "title", "history", "diagnosis", "topics", "difficulty", "images", "findings",
             "differential", "teaching_points", "occlusion", "annotations", "burned_in", "not_identifying"}
    return Case(
        id=CaseId(case_id),
        title=reader.text("title", required=True),
        folder=folder,
        source=case_file,
        history=reader.text("history"),
        diagnosis=reader.text("diagnosis"),
        topics=tuple(reader.text_list("topics")),
        difficulty=reader.enum("difficulty", Difficulty),
        images=images,
        findings=findings,
        differential=tuple(reader.text_list("differential")),
        teaching_points=tuple(reader.text_list("teaching_points")),
        occlusion=reader.enum("occlusion", OcclusionMode),
        annotation_files=annotation_files,
        not_identifying=tuple(reader.text_list("not_identifying")),
        extra={k: v for k, v in data.items() if k not in known},
    )


def load_cases(cases_dir: Path, *, on_error: Callable[[InputError], None] | None = None,
               load: Callable[[Path], Case] = load_case, case_files: list[Path] | None = None) -> list[Case]:
    """Every case under ``cases_dir``; duplicate ids are an error naming both files.

    With ``on_error``, a broken case is passed to it and skipped; without, the first error is raised.
    ``load`` parses one case file (the build passes one that remembers unchanged cases);
    ``case_files`` is :func:`find_case_files` of ``cases_dir`` when the caller has it already.
    """
    cases: list[Case] = []
    first_seen: dict[str, Path] = {}
    for case_file in case_files if case_files is not None else find_case_files(cases_dir):
        try:
            case = load(case_file)
            if case.id in first_seen:
                raise InputError(f"duplicate case id, also used by {first_seen[case.id]}",
                                 file=case_file, field="id", value=case.id,
                                 hint="case ids are the notes' identity: give each case its own")
        except InputError as error:
            if on_error is None:
                raise
            on_error(error)
            continue
        first_seen[case.id] = case_file
        cases.append(case)
    return cases


class _Fields:
    """Typed access to a YAML mapping, with errors that name the field."""

    def __init__(self, data: dict[str, Any], file: Path, prefix: str = "") -> None:
        self.data = data
        self.file = file
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise InputError("missing required field", file=self.file, field=self._name(key),
                                 hint=f"add '{key}: ...' to the case")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError("expected text", file=self.file, field=self._name(key), value=value)
        text = str(value).strip()
        if required and not text:
            raise InputError("may not be empty", file=self.file, field=self._name(key))
        return text

    def optional_text(self, key: str) -> str | None:
        return self.text(key) or None

    def list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError("expected a list", file=self.file, field=self._name(key), value=value,
                             hint=f"write '{key}:' followed by '- ...' items")
        return value

    def text_list(self, key: str) -> list[str]:
        value = self.data.get(key)
        if isinstance(value, str):
            value = [value]
        items = self.list(key) if not isinstance(value, list) else value
        out: list[str] = []
        for i, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise InputError("expected text", file=self.file, field=f"{self._name(key)}[{i}]", value=item)
            if str(item).strip():
                out.append(str(item).strip())
        return out

    def enum(self, key: str, kind: type[T]) -> T | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return kind(str(value).strip().lower())  # type: ignore[call-arg]
        except ValueError:
            allowed = " | ".join(m.value for m in kind)  # type: ignore[attr-defined]
            raise InputError("unknown value", file=self.file, field=self._name(key), value=value,
                             hint=f"use one of {allowed}") from None

    def number(self, key: str, *, required: bool = True) -> float | None:
        value = self.data.get(key)
        if value is None:
            if not required:
                return None
            raise InputError("missing required field", file=self.file, field=self._name(key),
                             hint=f"add '{key}: <number>'")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError("expected a number", file=self.file, field=self._name(key), value=value)
        if not _is_finite(value):
            raise InputError("expected a finite number", file=self.file, field=self._name(key), value=value)
        return float(value)


def _is_finite(value: int | float) -> bool:
    """False for YAML's .nan and .inf (every comparison with NaN is false, so bounds checks would
    pass it) and for integers too large for a float."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _mapping(item: object, field: str, file: Path) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InputError("expected a mapping", file=file, field=field, value=item)
    return item


def _check_unique(values: list[str], where: str, key: str, file: Path) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise InputError("duplicate id", file=file, field=f"{where}[{i}].{key}", value=value,
                             hint="give each one its own id")
        seen.add(value)


def _case_path(folder: Path, name: str, file: Path, field: str, *, allow_folder: bool = False) -> Path:
    """A file (or, where allowed, a folder) named by the case, which must lie inside the case folder."""
    kind = FileKind.FILE_OR_DIRECTORY if allow_folder else FileKind.FILE
    return resolve_case_file(folder, name, case_file=file, field=field, kind=kind)


def _read_image(item: object, field: str, folder: Path, file: Path, *,
                case_burned_in: object = None) -> CaseImage:
    if isinstance(item, str):
        item = {"file": item}
    data = _mapping(item, field, file)
    if case_burned_in is not None and "burned_in" not in data:
        data = {**data, "burned_in": case_burned_in}
    reader = _Fields(data, file, prefix=f"{field}.")
    name = reader.text("file", required=True)
    path = _case_path(folder, name, file, f"{field}.file", allow_folder=True)
    windows = parse_windows(data.get("window"), file=file, field=f"{field}.window") or (None,)
    frame = data.get("frame")
    if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 0):
        raise InputError("frame is a whole number from 0", file=file, field=f"{field}.frame", value=frame)
    stack = None
    if data.get("frames") is not None or path.is_dir():
        stack = parse_frames(None, data.get("frames", "all"), file=file, field_prefix=field)
    burned_in = data.get("burned_in")
    if burned_in is not None and burned_in != "reviewed":
        raise InputError("burned_in may only say 'reviewed'", file=file, field=f"{field}.burned_in",
                         value=burned_in, hint="write 'burned_in: reviewed' once a person has checked "
                         "the pixels for names, dates and IDs (or masked them with 'mask:')")
    masks = tuple(_read_mask(m, f"{field}.mask[{i}]", file) for i, m in enumerate(reader.list("mask")))
    overlays = data.get("overlays", False)
    if not isinstance(overlays, bool):
        raise InputError("overlays is true or false", file=file, field=f"{field}.overlays", value=overlays)
    return CaseImage(path=path, id=reader.text("id") or name, windows=windows, frame=frame, stack=stack,
                     burned_in_reviewed=burned_in == "reviewed", masks=masks, overlays=overlays)


def _read_mask(item: object, field: str, file: Path) -> Rect:
    """A rectangle to black out (burned-in text), in image pixels."""
    data = _mapping(item, field, file)
    shape = read_shape({"kind": "rect", **data}, field, file)
    if not isinstance(shape, Rect):
        raise InputError("a mask is a rectangle {x, y, width, height}", file=file, field=field, value=item)
    return shape


def _xy(value: object, file: Path, field: str) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not _is_finite(v) for v in value)):
        raise InputError("expected a point [x, y]", file=file, field=field, value=value)
    return float(value[0]), float(value[1])


def read_shape(item: object, field: str, file: Path) -> Shape:
    """One shape of a finding, in image pixels."""
    data = _mapping(item, field, file)
    reader = _Fields(data, file, prefix=f"{field}.")
    kind = reader.enum("kind", ShapeKind)
    if kind is None:
        raise InputError("missing shape kind", file=file, field=f"{field}.kind",
                         hint="use one of " + " | ".join(k.value for k in ShapeKind))
    label = reader.optional_text("label")
    if kind in (ShapeKind.RECT, ShapeKind.ELLIPSE):
        x, y, w, h = (reader.number(k) for k in ("x", "y", "width", "height"))
        assert x is not None and y is not None and w is not None and h is not None
        if w <= 0 or h <= 0:
            raise InputError("width and height must be positive", file=file, field=field, value={"width": w, "height": h})
        cls = Rect if kind is ShapeKind.RECT else Ellipse
        return cls(x=x, y=y, width=w, height=h, label=label)
    if kind is ShapeKind.POLYGON:
        points = reader.list("points")
        if len(points) < 3:
            raise InputError("a polygon needs at least 3 points", file=file, field=f"{field}.points", value=points)
        return Polygon(points=tuple(_xy(p, file, f"{field}.points[{i}]") for i, p in enumerate(points)), label=label)
    if kind is ShapeKind.ARROW:
        start = _xy(data.get("from"), file, f"{field}.from")
        end = _xy(data.get("to"), file, f"{field}.to")
        if start == end:
            raise InputError("an arrow needs two different points", file=file, field=field, value=[start, end])
        return Arrow(start=start, end=end, label=label)
    return Point(at=_xy(data.get("at"), file, f"{field}.at"), label=label)


def _image_id_for(ref: str, field: str, images: tuple[CaseImage, ...], image_ids: set[str],
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
    return next(img.id for img in images if ref in (img.id, img.path.name))


def _read_annotation_file(item: object, field: str, folder: Path, images: tuple[CaseImage, ...],
                          image_ids: set[str], file: Path) -> AnnotationFile:
    if isinstance(item, str):
        item = {"file": item}
    data = _mapping(item, field, file)
    reader = _Fields(data, file, prefix=f"{field}.")
    path = _case_path(folder, reader.text("file", required=True), file, f"{field}.file")
    image_id = _image_id_for(reader.text("image"), f"{field}.image", images, image_ids, file)
    return AnnotationFile(path=path, image_id=image_id)


def _read_finding(item: object, field: str, images: tuple[CaseImage, ...], image_ids: set[str],
                  file: Path) -> Finding:
    data = _mapping(item, field, file)
    reader = _Fields(data, file, prefix=f"{field}.")
    text = reader.text("text", required=True)
    image_id = _image_id_for(reader.text("image"), f"{field}.image", images, image_ids, file)
    shapes = tuple(read_shape(s, f"{field}.shapes[{i}]", file) for i, s in enumerate(reader.list("shapes")))
    return Finding(text=text, image_id=image_id, shapes=shapes, label=reader.optional_text("label"))
