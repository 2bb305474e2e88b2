"""``cardgen new``: a case folder with its image and a ``case.yaml`` skeleton filled from the image.

What the image says is filled in (its modality, size and frames, its own windows, a suggested
preset); what only the educator knows is left empty with a ``# TODO`` comment, so that
``cardgen check`` points at each one (an empty title or finding text is an error) until it is filled.
Every field carries its meaning as a comment, taken from the one description of case.yaml
(cardgen.teaching.spec).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from cardgen.deid.burned_in import BurnedInFacts, burned_in_reason
from cardgen.errors import InputError
from cardgen.imaging.dicom import read_dataset
from cardgen.imaging.display import WindowVoi, default_window_name, file_vois, frame_attributes
from cardgen.imaging.registry import source_for
from cardgen.imaging.series import series_files
from cardgen.imaging.windows import ct_presets
from cardgen.resources import SCHEMA_BASE_URL
from cardgen.teaching.paths import CASE_FILE
from cardgen.teaching.spec import CASE, FINDING, IMAGE

SCHEMA_URL = SCHEMA_BASE_URL + "case.schema.json"


@dataclass(frozen=True)
class ImageSummary:
    """What the skeleton says about its image."""

    modality: str | None
    body_part: str | None
    width: int
    height: int
    frames: int  # frames of a file, or slices of a series folder
    series: bool
    file_windows: tuple[str, ...]  # the file's own Window Center/Width pairs and VOI LUTs, described
    suggested: str | None  # the window to start from: a preset name or "file" ("file N"); None: none drawable
    needs_review: bool = False  # the build refuses it until a person has checked its pixels for text


def new_case(case_dir: Path, image: Path) -> Path:
    """Make ``case_dir`` with a copy of ``image`` (a file, or a folder of slices) and a case.yaml
    skeleton; returns the case.yaml. Refuses a folder that already has a case.yaml."""
    case_file = case_dir / CASE_FILE
    if case_file.exists():
        raise InputError("the case folder already has a case.yaml", file=case_file,
                         hint="choose a new folder, or edit this case.yaml")
    if not image.exists():
        raise InputError("the image does not exist", file=image, hint="give a DICOM file, a PNG/JPEG, or a folder of slices")
    summary = summarise(image)
    target = case_dir / image.name
    if image.resolve() != target.resolve() and (target.exists() or target.is_symlink()):
        raise InputError("the case folder already has a file of the image's name", file=target,
                         hint="choose a new folder, or move that file away first")
    case_dir.mkdir(parents=True, exist_ok=True)
    if image.resolve() != target.resolve():
        if image.is_dir():
            shutil.copytree(image, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(image, target)
    case_file.write_text(skeleton(case_dir.name, image.name, summary), encoding="utf-8")
    return case_file


def summarise(image: Path) -> ImageSummary:
    """Read what the skeleton needs from an image file or a series folder (header only for DICOM)."""
    series = image.is_dir()
    first = series_files(image)[0] if series else image
    facts = source_for(first).facts(first)
    vois: list = []
    burned_in = BurnedInFacts.for_raster()
    if facts.modality is not None:  # a DICOM file: its own windows
        dataset = read_dataset(first, pixels=False)
        vois = _file_vois(dataset)
        burned_in = BurnedInFacts.from_dataset(dataset)
    frames = len(series_files(image)) if series else facts.frames
    windows = tuple(f"C {voi.center:g} / W {voi.width:g}{f' {voi.explanation}' if voi.explanation else ''}"
                    if isinstance(voi, WindowVoi) else f"VOI LUT {voi.item + 1}" for voi in vois)
    return ImageSummary(facts.modality, facts.body_part, facts.width, facts.height, frames, series, windows,
                        _suggest(facts.modality, facts.body_part, vois),
                        needs_review=burned_in_reason(burned_in) is not None)


def _file_vois(ds) -> list:
    """The file's own VOIs for its first frame, as the display chain reads them (per-frame and
    shared functional groups of an enhanced file included)."""
    try:
        return file_vois(frame_attributes(ds, 0))
    except InputError:
        return []  # the build says what is wrong with them


def _suggest(modality: str | None, body_part: str | None, vois: list) -> str | None:
    """A CT preset for CT; otherwise the file's first window that can be drawn (``file``, or ``file
    N`` past one of width 0), or None when it carries windows and none can be drawn."""
    if modality == "CT":  # presets are in HU: CT only
        return ct_presets(body_part)[0]
    if not vois:
        return "file"  # no window of its own: the full range
    return default_window_name(vois)


def _doc(mapping, name: str) -> str:
    key = mapping.key(name)
    assert key is not None, name
    return key.doc


def _comment(text: str, indent: str = "") -> list[str]:
    """``text`` as YAML comment lines of at most ~100 characters."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(indent) + 2 + len(line) + 1 + len(word) > 100:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return [f"{indent}# {part}" for part in lines]


def skeleton(case_id: str, image_name: str, summary: ImageSummary) -> str:
    """The text of a case.yaml for one image, every field commented."""
    case_id = re.sub(r"[^A-Za-z0-9._-]+", "-", case_id).strip("-") or "case-1"
    kind = "series folder" if summary.series else "file"
    described = ", ".join(part for part in (summary.modality, summary.body_part) if part) or "image"
    count = f"{summary.frames} {'slices' if summary.series else 'frames'}" if summary.frames > 1 else "1 frame"
    lines = [
        f"# yaml-language-server: $schema={SCHEMA_URL}",
        "# A cardgen case. Fill in the lines marked TODO, then run: cardgen check <the cases folder>",
        f"# Image: {image_name} ({kind}): {described}, {summary.width} x {summary.height} pixels, {count}.",
        "",
    ]

    def field(name: str, value: str, todo: str | None = None, mapping=CASE, indent: str = "") -> None:
        lines.extend(_comment(_doc(mapping, name), indent))
        lines.append(f"{indent}{name}: {value}" + (f"  # TODO: {todo}" if todo else ""))

    field("id", case_id)
    field("title", '""', "the case's title (it shows on the answer side)")
    field("history", '""', "the clinical history: age (rounded), sex, presentation")
    field("diagnosis", '""', "the diagnosis")
    field("topics", "[]", "curriculum topic ids, e.g. [chest.lungs] (see your curriculum file)")
    field("difficulty", "medium")
    lines.extend(_comment(_doc(CASE, "images")))
    lines.append("images:")
    lines.extend(_comment(_doc(IMAGE, "file"), "  "))
    lines.append(f"  - file: {image_name}")
    field("id", "image", mapping=IMAGE, indent="    ")
    own = ("; this file's own: " + "; ".join(f"'file{'' if i == 0 else f' {i + 1}'}' = {w}"
                                              for i, w in enumerate(summary.file_windows))) if summary.file_windows else ""
    if summary.modality is not None:
        lines.extend(_comment(_doc(IMAGE, "window").rstrip(".") + own + ".", "    "))
        if summary.suggested is None:
            lines.extend(_comment("No window: the file's own have a width of 0, which draws nothing, so the image "
                                  "shows its full range of values; a preset or {center, width} may show the finding "
                                  "better.", "    "))
        else:
            reason = (f"suggested for {described}" if not summary.suggested.startswith("file")
                      else "the file's own window" if summary.suggested == "file" and summary.file_windows
                      else "the file's first window that can be drawn (one before it has a width of 0)"
                      if summary.file_windows else "the file has no window of its own: its full range of values")
            lines.append(f"    window: {summary.suggested}  # {reason}; change it if another shows the finding better")
    if summary.frames > 1:
        middle = summary.frames // 2
        lines.extend(_comment(_doc(IMAGE, "frame") + f" This {kind} has {count}: 0 to {summary.frames - 1}.", "    "))
        lines.append(f"    frame: {middle}  # TODO: the frame that shows the finding")
        lines.extend(_comment(_doc(IMAGE, "frames"), "    "))
        lines.append(f'    # frames: "0-{summary.frames - 1}"')
    lines.extend(_comment(_doc(IMAGE, "burned_in") + " Do not write it before you have looked.", "    "))
    if summary.needs_review:  # e.g. a PNG/JPEG export, an ultrasound: cardgen refuses it until a person has looked
        lines.append("    # burned_in: reviewed  # TODO: this image may show names or dates: look, mask them, then uncomment")
    else:
        lines.append("    # burned_in: reviewed")
    lines.extend(_comment(_doc(CASE, "findings")))
    lines.append("findings:")
    lines.extend(_comment(_doc(FINDING, "text"), "  "))
    lines.append('  - text: ""  # TODO: the finding')
    field("image", "image", mapping=FINDING, indent="    ")
    field("label", '""', "a short label, or delete this line", mapping=FINDING, indent="    ")
    size = max(8, min(summary.width, summary.height) // 8)
    x, y = (summary.width - size) // 2, (summary.height - size) // 2
    lines.extend(_comment(_doc(FINDING, "shapes") + f" This image is {summary.width} x {summary.height}; "
                          "`cardgen preview` shows a pixel grid and the coordinates under the pointer.", "    "))
    lines.append("    shapes:")
    lines.append(f"      - {{kind: ellipse, x: {x}, y: {y}, width: {size}, height: {size}}}  # TODO: place it on the finding")
    field("differential", "[]", "differential diagnoses, or delete this line")
    field("teaching_points", "[]", "what a resident should take away")
    return "\n".join(lines) + "\n"
