"""The case.yaml a pull writes: everything the PACS knew, and TODO comments for what a person must add.

The TODO markers are YAML comments beside empty fields (``diagnosis: ""``, ``topics: []``,
``teaching_points: []``), so a freshly pulled case already loads and builds (its cards come from the
GSPS/SR findings) and the educator sees at a glance what is left to write. Once the TODOs are
filled the file is an ordinary case.yaml; a later pull never writes it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SkeletonImage:
    file: str
    id: str
    window: object = None  # a preset name, a list of them, or {center, width}; None: the file's own


@dataclass(frozen=True)
class SkeletonAnnotation:
    file: str
    image: str


@dataclass(frozen=True)
class Skeleton:
    case_id: str
    history: str
    images: list[SkeletonImage]
    annotations: list[SkeletonAnnotation] = field(default_factory=list)
    source_note: str = ""

    def to_yaml(self) -> str:
        lines = [
            "# Pulled from the PACS by `cardgen pull` from a Key Object Selection titled \"For Teaching\".",
            "# De-identified on the way in. Fill in the TODO lines; later pulls never change this file.",
        ]
        if self.source_note:
            lines.append(f"# {self.source_note}")
        lines += [
            f"id: {self.case_id}",
            f"title: {_quoted('Teaching file ' + self.case_id)}  # TODO: a title that does not give the diagnosis away",
        ]
        if self.history:
            lines.append("history: |-  # from the KOS description; TODO: check and complete")
            lines += [f"  {line}" if line.strip() else "" for line in self.history.splitlines()]
        else:
            lines.append('history: ""  # TODO: the clinical history')
        lines += [
            'diagnosis: ""  # TODO: the diagnosis',
            "topics: []  # TODO: curriculum topics, e.g. [chest.lungs]",
            "teaching_points: []  # TODO: what a resident should take away",
            "differential: []  # TODO: the differential diagnosis",
            "images:",
        ]
        for image in self.images:
            lines.append(f"  - file: {image.file}")
            lines.append(f"    id: {image.id}")
            if image.window is not None:
                lines.append(f"    window: {_flow(image.window)}")
        if self.annotations:
            lines.append("annotations:  # findings drawn or measured in the PACS; their text becomes cards")
            for note in self.annotations:
                lines.append(f"  - {{file: {note.file}, image: {note.image}}}")
        return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
