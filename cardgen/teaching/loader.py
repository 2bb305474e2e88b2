"""Reading teaching cases: every ``case.yaml`` under a folder, parsed and validated.

Each case folder holds a ``case.yaml`` and the files it names. Everything read here is checked
and converted (strings to enums, window names to windows, file names to paths inside the case
folder); a problem becomes an :class:`InputError` that names the file, the field and the value.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path
from typing import Any, Callable, TypeVar

from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect, Shape, ShapeKind
from cardgen.errors import InputError, InputErrors, did_you_mean, each_error
from cardgen.tags import CASE_PREFIX, case_tag_word
from cardgen.imaging.frames import parse_frames
from cardgen.teaching.paths import CASE_FILE, FileKind, resolve_case_file
from cardgen.imaging.windows import parse_windows
from cardgen.teaching.case import (AnnotationChoice, AnnotationFile, Case, CaseId, CaseImage, Difficulty,
                                  Finding, OcclusionMode)
from cardgen.teaching.spec import CASE
from cardgen.yamlio import load_yaml_file
from cardgen.yamlspec import drop_consequences, unknown_keys
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
    """Parse and validate one ``case.yaml``.

    Every problem of the file is found in one reading: unknown keys (with the nearest known key),
    then each field, image, finding and shape on its own. One problem raises an :class:`InputError`,
    several an :class:`InputErrors` listing each.
    """
    data = load_yaml_file(case_file)
    if data is None:
        raise InputError("the file is empty", file=case_file,
                         hint="a case needs at least 'id:', 'title:' and 'images:'")
    if not isinstance(data, dict):
        raise InputError("a case is a mapping of fields (id, title, images, ...)", file=case_file,
                         value=type(data).__name__)
    problems = _Problems(unknown_keys(data, CASE, file=case_file))
    attempt = problems.attempt
    reader = _Fields(data, case_file)
    folder = case_file.parent
    case_id = attempt(_case_id, reader, case_file)
    title = attempt(reader.text, "title", required=True)
    image_items = attempt(reader.list, "images") or []
    read_images = [attempt(_read_image, item, f"images[{i}]", folder, case_file, case_burned_in=data.get("burned_in"))
                   for i, item in enumerate(image_items)]
    images = tuple(image for image in read_images if image is not None)
    attempt(_check_unique, [img.id for img in images], "images", "id", case_file)
    # Names of images that could not be read count as known: a finding on one is not a second problem.
    image_ids = {img.id for img in images} | {img.path.name for img in images} | {
        str(name) for item, image in zip(image_items, read_images) if image is None
        for name in ((item.get("id"), item.get("file")) if isinstance(item, dict) else (item,)) if name}
    findings = tuple(finding for i, item in enumerate(attempt(reader.list, "findings") or [])
                     if (finding := attempt(_read_finding, item, f"findings[{i}]", images, image_ids, case_file))
                     is not None)
    annotation_files = tuple(
        annotation for i, item in enumerate(attempt(reader.list, "annotations") or [])
        if (annotation := attempt(_read_annotation_file, item, f"annotations[{i}]", folder, images, image_ids,
                                  case_file)) is not None)
    fields = {name: attempt(read) for name, read in (
        ("history", lambda: reader.text("history")),
        ("diagnosis", lambda: reader.text("diagnosis")),
        ("topics", lambda: tuple(_topic_ids(reader.text_list("topics"), case_file))),
        ("objectives", lambda: tuple(_objective_refs(data.get("objectives"), case_file))),
        ("difficulty", lambda: reader.enum("difficulty", Difficulty)),
        ("differential", lambda: tuple(reader.text_list("differential"))),
        ("teaching_points", lambda: tuple(reader.text_list("teaching_points"))),
        ("occlusion", lambda: reader.enum("occlusion", OcclusionMode)),
        ("author", lambda: reader.text("author")),
        ("references", lambda: tuple(reader.text_list("references"))),
        ("not_identifying", lambda: tuple(reader.text_list("not_identifying"))),
    )}
    problems.raise_any()
    known = {key.name for key in CASE.keys}
    return Case(
        id=CaseId(case_id),
        title=title,
        folder=folder,
        source=case_file,
        history=fields["history"],
        diagnosis=fields["diagnosis"],
        topics=fields["topics"],
        objectives=fields["objectives"],
        difficulty=fields["difficulty"],
        images=images,
        findings=findings,
        differential=fields["differential"],
        teaching_points=fields["teaching_points"],
        occlusion=fields["occlusion"],
        annotation_files=annotation_files,
        not_identifying=fields["not_identifying"],
        extra={k: v for k, v in data.items() if k not in known},
    )


def _case_id(reader: "_Fields", case_file: Path) -> str:
    case_id = reader.text("id", required=True)
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in case_id) or "::" in case_id:
        raise InputError("a case id may not contain spaces, invisible characters or '::'", file=case_file,
                         field="id", value=case_id, hint="use letters, digits, dots and dashes, e.g. chest-001")
    return case_id


class _Problems:
    """The problems found so far in one file; ``attempt`` runs one check and keeps its error."""

    def __init__(self, found: list[InputError] | None = None) -> None:
        self.errors: list[InputError] = list(found or [])

    def attempt(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except InputError as error:
            self.errors += each_error(error)
            return None

    def raise_any(self) -> None:
        self.errors = drop_consequences(self.errors)
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InputErrors(self.errors)


def load_cases(cases_dir: Path, *, on_error: Callable[[InputError], None] | None = None,
               load: Callable[[Path], Case] = load_case, case_files: list[Path] | None = None) -> list[Case]:
    """Every case under ``cases_dir``; duplicate ids are an error naming both files.

    With ``on_error``, a broken case is passed to it and skipped; without, the first error is raised.
    ``load`` parses one case file (the build passes one that remembers unchanged cases);
    ``case_files`` is :func:`find_case_files` of ``cases_dir`` when the caller has it already.
    """
    cases: list[Case] = []
    first_seen: dict[str, tuple[Path, str]] = {}  # by the case tag word each id gives
    for case_file in case_files if case_files is not None else find_case_files(cases_dir):
        try:
            case = load(case_file)
            word = case_tag_word(case.id)
            if word in first_seen:
                other_file, other_id = first_seen[word]
                same = "duplicate case id" if other_id == case.id else (
                    f"case id gives the same tag {CASE_PREFIX}{word} as {other_id!r}")
                raise InputError(f"{same}, also used by {other_file}",
                                 file=case_file, field="id", value=case.id,
                                 hint="case ids are the notes' identity and tag (compared without letter "
                                 "case, other characters than letters, digits, '.', '-' and '_' count as '_'): "
                                 "give each case its own")
        except InputError as error:
            if on_error is None:
                raise
            on_error(error)
            continue
        first_seen[word] = (case_file, case.id)
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
            raise InputError("may not be empty", file=self.file, field=self._name(key),
                             hint=f"write the {key} (a new case marks it TODO)")
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
            values = [m.value for m in kind]  # type: ignore[attr-defined]
            near = did_you_mean(str(value), values)
            raise InputError("unknown value", file=self.file, field=self._name(key), value=value,
                             hint=(f"did you mean '{near}'? " if near else "") + f"use one of {' | '.join(values)}") from None

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


def _objective_refs(value: object, file: Path) -> list[int | str]:
    """``objectives:``: numbers from 1 or texts (checked against the curriculum by the build and check)."""
    items = [] if value is None else value if isinstance(value, list) else [value]
    refs: list[int | str] = []
    for i, item in enumerate(items):
        if isinstance(item, int) and not isinstance(item, bool) and item >= 1:
            refs.append(item)
        elif isinstance(item, str) and item.strip():
            refs.append(item.strip())
        else:
            raise InputError("an objective is its number (from 1), 'topic.id#N' or its text", file=file,
                             field=f"objectives[{i}]", value=item, hint="e.g. objectives: [1, chest.pleura#2]")
    return refs


def _topic_ids(topics: list[str], file: Path) -> list[str]:
    """Topic ids become tags (``cardgen::topic::a::b``) and sub-deck names: no spaces."""
    for i, topic in enumerate(topics):
        if any(ch.isspace() for ch in topic) or "::" in topic or "" in topic.split("."):
            raise InputError("a topic id may not contain spaces, '::' or empty parts between dots", file=file,
                             field=f"topics[{i}]", value=topic, hint="topic ids are dotted words, e.g. chest.nodules")
    return topics


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
            raise InputError("width and height must be positive", file=file, field=field, value=data,
                             hint="x, y is the top-left corner; width and height are in pixels")
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
            raise InputError("an arrow needs two different points", file=file, field=field, value=data,
                             hint="'from' is the tail, 'to' the tip")
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
    return next((img.id for img in images if ref in (img.id, img.path.name)), ref)  # ref: an image that failed


def _read_annotation_file(item: object, field: str, folder: Path, images: tuple[CaseImage, ...],
                          image_ids: set[str], file: Path) -> AnnotationFile:
    if isinstance(item, str):
        item = {"file": item}
    data = _mapping(item, field, file)
    reader = _Fields(data, file, prefix=f"{field}.")
    path = _case_path(folder, reader.text("file", required=True), file, f"{field}.file")
    image_id = _image_id_for(reader.text("image"), f"{field}.image", images, image_ids, file)
    items = tuple(_read_annotation_choice(c, f"{field}.items[{i}]", file)
                  for i, c in enumerate(reader.list("items")))
    return AnnotationFile(path=path, image_id=image_id, text=reader.optional_text("text"),
                          label=reader.optional_text("label"), items=items)


def _read_annotation_choice(item: object, field: str, file: Path) -> AnnotationChoice:
    """An ``items`` entry: a number from 1 or a name, or a mapping {item, text, label}."""
    if not isinstance(item, dict):
        item = {"item": item}
    data = _mapping(item, field, file)
    choice = data.get("item")
    if isinstance(choice, bool) or not (isinstance(choice, str) and choice.strip()
                                        or isinstance(choice, int) and choice >= 1):
        raise InputError("an item is its number (from 1) or its label, tracking id or text",
                         file=file, field=f"{field}.item" if "item" in data else field, value=choice,
                         hint="e.g. items: [1, 'Nodule 2'] or items: [{item: 1, text: 'Spiculated nodule'}]")
    reader = _Fields(data, file, prefix=f"{field}.")
    return AnnotationChoice(item=choice.strip() if isinstance(choice, str) else choice,
                            text=reader.optional_text("text"), label=reader.optional_text("label"))


def _read_finding(item: object, field: str, images: tuple[CaseImage, ...], image_ids: set[str],
                  file: Path) -> Finding:
    data = _mapping(item, field, file)
    reader = _Fields(data, file, prefix=f"{field}.")
    problems = _Problems()
    text = problems.attempt(reader.text, "text", required=True)
    image_id = problems.attempt(_image_id_for, reader.text("image"), f"{field}.image", images, image_ids, file)
    read = [problems.attempt(read_shape, s, f"{field}.shapes[{i}]", file)
            for i, s in enumerate(problems.attempt(reader.list, "shapes") or [])]
    label = problems.attempt(reader.optional_text, "label")
    problems.raise_any()
    return Finding(text=text, image_id=image_id, shapes=tuple(s for s in read if s is not None), label=label)
