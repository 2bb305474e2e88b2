"""cardgen's notetypes: fixed ids and versioned names, so re-imports update rather than duplicate.

Changing fields or templates in a way older decks cannot take means a new version: a new id and
a new name. Learners' existing notes then stay on the old notetype; see docs/cases.md.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from typing import TYPE_CHECKING

from cardgen.cards.templates import anki_template

if TYPE_CHECKING:
    import genanki


class NoteKind(str, enum.Enum):
    """The kinds of note cardgen writes; part of every note's GUID."""

    CASE = "case"
    FINDING = "finding"
    OBJECTIVE = "objective"  # text-only: a curriculum objective with no image case yet
    OCCLUSION = "occlusion"  # Anki's native Image Occlusion, one card per finding


CASE_FIELDS = ["CaseId", "Title", "History", "Images", "Diagnosis", "Findings", "AnnotatedImages",
               "Differential", "TeachingPoints", "Facts", "Curriculum"]
FINDING_FIELDS = ["Key", "Prompt", "History", "Image", "Answer", "AnnotatedImage", "Case", "Facts"]
OBJECTIVE_FIELDS = ["Key", "Front", "Back", "Kind"]

# Fixed ids: never change them for a released version.
CASE_MODEL_ID = 1_731_900_001
FINDING_MODEL_ID = 1_731_900_002
OBJECTIVE_MODEL_ID = 1_731_900_003


@lru_cache(maxsize=None)
def notetype(kind: NoteKind) -> genanki.Model:
    """The genanki model for a kind of note."""
    import genanki  # imported here, not at the top: a rebuild with every case cached never needs it

    if kind is NoteKind.OCCLUSION:
        from cardgen.cards.occlusion import occlusion_model

        return occlusion_model()
    model_id, fields, template, scripts, sort_field = _PLAIN_NOTETYPES[kind]
    return genanki.Model(
        model_id, f"cardgen {kind.value} (v1)",
        fields=[{"name": f} for f in fields],
        templates=[{"name": template,
                    "qfmt": anki_template(f"{kind.value}_front.html") + scripts,
                    "afmt": anki_template(f"{kind.value}_back.html") + scripts}],
        css=anki_template("style.css"), sort_field_index=sort_field)


# kind -> (model id, fields, template name, scripts after each side, sort field); templates are
# templates/anki/<kind>_front.html and <kind>_back.html. The case card carries the stack viewer.
_PLAIN_NOTETYPES: dict[NoteKind, tuple[int, list[str], str, str, int]] = {
    NoteKind.CASE: (CASE_MODEL_ID, CASE_FIELDS, "Case", anki_template("stack.js"), 1),
    NoteKind.FINDING: (FINDING_MODEL_ID, FINDING_FIELDS, "Finding", "", 0),
    NoteKind.OBJECTIVE: (OBJECTIVE_MODEL_ID, OBJECTIVE_FIELDS, "Objective", "", 0),
}
