"""cardgen's notetypes: fixed ids and versioned names, so re-imports update rather than duplicate.

Changing fields or templates in a way older decks cannot take means a new version: a new id and
a new name. Learners' existing notes then stay on the old notetype; see the README.
"""

from __future__ import annotations

import enum
from functools import lru_cache

import genanki

from cardgen.cards.templates import anki_template


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
    if kind is NoteKind.OCCLUSION:
        from cardgen.cards.occlusion import occlusion_model

        return occlusion_model()
    css = anki_template("style.css")
    if kind is NoteKind.CASE:
        return genanki.Model(
            CASE_MODEL_ID, "cardgen case (v1)",
            fields=[{"name": f} for f in CASE_FIELDS],
            templates=[{"name": "Case", "qfmt": anki_template("case_front.html") + anki_template("stack.js"),
                        "afmt": anki_template("case_back.html") + anki_template("stack.js")}],
            css=css, sort_field_index=1)
    if kind is NoteKind.OBJECTIVE:
        return genanki.Model(
            OBJECTIVE_MODEL_ID, "cardgen objective (v1)",
            fields=[{"name": f} for f in OBJECTIVE_FIELDS],
            templates=[{"name": "Objective", "qfmt": anki_template("objective_front.html"),
                        "afmt": anki_template("objective_back.html")}],
            css=css, sort_field_index=0)
    return genanki.Model(
        FINDING_MODEL_ID, "cardgen finding (v1)",
        fields=[{"name": f} for f in FINDING_FIELDS],
        templates=[{"name": "Finding", "qfmt": anki_template("finding_front.html"),
                    "afmt": anki_template("finding_back.html")}],
        css=css, sort_field_index=0)
