"""The teaching case as cardgen understands it, after validation.

These classes hold only checked values: strings have become enums, window names have become
:class:`Window` values, and file names have become paths inside the case folder.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import NewType

from cardgen.annotations.shapes import Rect, Shape
from cardgen.difficulty import Difficulty  # noqa: F401  (re-exported: a case carries one)
from cardgen.imaging.frames import FrameSelection
from cardgen.imaging.windows import WindowChoice

CaseId = NewType("CaseId", str)


class OcclusionMode(str, enum.Enum):
    """Image Occlusion: hide every region and ask one, or hide only the one asked."""

    HIDE_ALL = "hide_all"
    HIDE_ONE = "hide_one"


@dataclass(frozen=True)
class CaseImage:
    """One image of a case: a file in the case folder and how to show it."""

    path: Path  # a file, or a folder of single-frame slices (a series)
    id: str
    windows: tuple[WindowChoice, ...] = (None,)  # None: the file's own window
    frame: int | None = None  # the key frame (or slice) that shapes refer to
    stack: FrameSelection | None = None  # frames (or slices) shown as a scrollable stack
    burned_in_reviewed: bool = False  # a person checked the pixels for identifying text
    masks: tuple[Rect, ...] = ()  # rectangles blacked out before anything else (burned-in text)
    overlays: bool = False  # draw the file's DICOM overlays (60xx)

    @property
    def is_dicom(self) -> bool:
        return self.path.is_dir() or self.path.suffix.lower() not in {".png", ".jpg", ".jpeg"}


@dataclass(frozen=True)
class Finding:
    """A finding: its text (the answer), the image it is seen on, and where."""

    text: str
    image_id: str
    shapes: tuple[Shape, ...] = ()
    label: str | None = None
    origin: str | None = None  # where an annotation object's finding came from ("gsps.dcm item 2")


@dataclass(frozen=True)
class AnnotationChoice:
    """One item of an annotation file chosen to become a finding (``items:`` of an annotations entry).

    ``item`` is its number counting from 1 in the file's order, or its label, tracking identifier
    or text; ``text`` and ``label`` replace the file's own words for it.
    """

    item: int | str
    text: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class AnnotationFile:
    """A DICOM object in the case folder that carries annotations (GSPS, SR, SEG, RTSTRUCT, overlays).

    ``text`` and ``label`` replace the words the file gives each of its findings; ``items``, when
    given, chooses which of its items become findings (every item when empty).
    """

    path: Path
    image_id: str | None = None  # the case image it annotates; None: the case's only image
    text: str | None = None
    label: str | None = None
    items: tuple[AnnotationChoice, ...] = ()


@dataclass(frozen=True)
class Case:
    """A validated teaching case."""

    id: CaseId
    title: str
    folder: Path
    source: Path  # the case.yaml
    history: str = ""
    diagnosis: str = ""
    topics: tuple[str, ...] = ()
    difficulty: Difficulty | None = None
    images: tuple[CaseImage, ...] = ()
    findings: tuple[Finding, ...] = ()
    differential: tuple[str, ...] = ()
    teaching_points: tuple[str, ...] = ()
    occlusion: OcclusionMode | None = None
    annotation_files: tuple[AnnotationFile, ...] = ()
    # Words the author declared not identifying here though they match a header value ("white"
    # in "white matter" when the patient is called White); listed in the build summary.
    not_identifying: tuple[str, ...] = ()
    objectives: tuple[int | str, ...] = ()  # curriculum objectives it teaches, as the case names them
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def texts(self) -> list[tuple[str, str]]:
        """Every text of the case that can reach a deck, as (field, text): the field names where
        the author typed it (``findings[0].shapes[1].label``), or, for a finding read from an
        annotation object, the object and item."""
        # The case id becomes a field and a tag of every note; an image id a part of note keys.
        found = [("id", self.id), ("title", self.title), ("history", self.history), ("diagnosis", self.diagnosis)]
        found += [(f"images[{i}].id", image.id) for i, image in enumerate(self.images)]
        found += [(f"differential[{i}]", text) for i, text in enumerate(self.differential)]
        found += [(f"teaching_points[{i}]", text) for i, text in enumerate(self.teaching_points)]
        for i, image in enumerate(self.images):  # a window's own name is shown in the card's caption
            found += [(f"images[{i}].window", window.name) for window in image.windows
                      if window is not None and getattr(window, "name", None)]
        for i, finding in enumerate(self.findings):
            where = finding.origin or f"findings[{i}]"
            found += [(f"{where}.text", finding.text), (f"{where}.label", finding.label or "")]
            found += [(f"{where}.shapes[{j}].label", shape.label or "") for j, shape in enumerate(finding.shapes)]
        return [(where, text) for where, text in found if text]

    def image(self, image_id: str) -> CaseImage:
        """The image a finding refers to (by id; ids default to the file name)."""
        for image in self.images:
            if image.id == image_id:
                return image
        raise KeyError(image_id)
