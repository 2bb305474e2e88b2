"""cardgen's notetypes as plain data: fixed ids and versioned names, so re-imports update rather than duplicate.

Changing fields or templates in a way older decks cannot take means a new version: a new id and
a new name. Learners' existing notes then stay on the old notetype; see docs/cases.md.
:mod:`cardgen.deck.collection` turns these descriptions into the notetypes of the package.

The Image Occlusion notetype: Anki treats a notetype as its own Image Occlusion type when the
notetype's JSON carries ``"originalStockKind": 6`` (the stock kind IMAGE_OCCLUSION, counted from 1
in ``NotetypeConfig.OriginalStockKind``) and keeps the stock fields in the stock order: Occlusion,
Image, Header, Back Extra, Comments. The fields and their settings are the stock ones, copied from
the notetype the anki 26.9.3 backend creates (``col.models.by_name("Image Occlusion")``; source:
ankitects/anki rslib/src/image_occlusion/notetype.rs). The card templates
(templates/anki/occlusion_*.html) keep the stock structure (hidden ``{{cloze:Occlusion}}``,
``#image-occlusion-container`` with the image and the canvas, ``anki.imageOcclusion.setup()``, the
toggle button) and add cardgen's dark style and the mark on the finding asked. Field names and the
template's name are the schema and are frozen: a notetype whose fields changed makes Anki skip its
notes on re-import, so such a change means a new model id and name. Template and CSS content may
change under the same id: a rebuilt deck then updates the notetype and its notes and keeps every
review (tests/test_occlusion.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

from cardgen.cards.templates import anki_template


class NoteKind(str, enum.Enum):
    """The kinds of note cardgen writes; part of every note's GUID."""

    CASE = "case"
    FINDING = "finding"
    OBJECTIVE = "objective"  # text-only: a curriculum objective with no image case yet
    OCCLUSION = "occlusion"  # Anki's native Image Occlusion, one card per finding


@dataclass(frozen=True)
class NotetypeField:
    """One field of a notetype; a setting left None takes the package writer's default."""

    name: str
    font: str | None = None
    size: int | None = None
    tag: int | None = None  # an Image Occlusion field's role, as Anki's backend knows it
    prevent_deletion: bool | None = None  # Anki's UI refuses to delete the field


@dataclass(frozen=True)
class CardTemplate:
    """One card template: its name and the HTML of each side."""

    name: str
    front: str
    back: str


@dataclass(frozen=True)
class Notetype:
    """A notetype as the package stores it: id, name, fields, card templates and style."""

    model_id: int
    name: str
    fields: tuple[NotetypeField, ...]
    templates: tuple[CardTemplate, ...]
    css: str
    cloze: bool = False  # a cloze notetype (one card per cloze number), else one card per template
    sort_field: int = 0  # the field the browser sorts by
    original_stock_kind: int | None = None  # the stock notetype Anki treats this one as


CASE_FIELDS = ["CaseId", "Title", "History", "Images", "Diagnosis", "Findings", "AnnotatedImages",
               "Differential", "TeachingPoints", "Facts", "Curriculum"]
FINDING_FIELDS = ["Key", "Prompt", "History", "Image", "Answer", "AnnotatedImage", "Case", "Facts"]
OBJECTIVE_FIELDS = ["Key", "Front", "Back", "Kind"]

# Fixed ids: never change them for a released version.
CASE_MODEL_ID = 1_731_900_001
FINDING_MODEL_ID = 1_731_900_002
OBJECTIVE_MODEL_ID = 1_731_900_003
# Fixed forever for this schema version (see the module docstring); never derived from time.
OCCLUSION_MODEL_ID = 1_734_812_406
OCCLUSION_MODEL_NAME = "Image Occlusion (cardgen v1)"

# NotetypeConfig.OriginalStockKind.IMAGE_OCCLUSION (the StockNotetype.Kind enum starts at 0 and
# says 5; the "original stock kind" enum reserves 0 for unknown, hence 6).
ORIGINAL_STOCK_KIND_IMAGE_OCCLUSION = 6

# Stock field names in stock order; `tag` is how Anki's backend knows each IO field's role, and
# the four fields the IO editor needs cannot be deleted in Anki's UI.
_STOCK_FIELDS = ("Occlusion", "Image", "Header", "Back Extra", "Comments")

# kind -> (model id, fields, template name, template file after each side, sort field); templates
# are templates/anki/<kind>_front.html and <kind>_back.html. The case card carries the stack viewer.
_PLAIN_NOTETYPES: dict[NoteKind, tuple[int, list[str], str, str | None, int]] = {
    NoteKind.CASE: (CASE_MODEL_ID, CASE_FIELDS, "Case", "stack.js", 1),
    NoteKind.FINDING: (FINDING_MODEL_ID, FINDING_FIELDS, "Finding", None, 0),
    NoteKind.OBJECTIVE: (OBJECTIVE_MODEL_ID, OBJECTIVE_FIELDS, "Objective", None, 0),
}


@lru_cache(maxsize=None)
def notetype(kind: NoteKind) -> Notetype:
    """The notetype of a kind of note."""
    if kind is NoteKind.OCCLUSION:
        return occlusion_notetype()
    model_id, fields, template, script, sort_field = _PLAIN_NOTETYPES[kind]
    scripts = anki_template(script) if script else ""
    return Notetype(
        model_id, f"cardgen {kind.value} (v1)",
        fields=tuple(NotetypeField(name) for name in fields),
        templates=(CardTemplate(template, front=anki_template(f"{kind.value}_front.html") + scripts,
                                back=anki_template(f"{kind.value}_back.html") + scripts),),
        css=anki_template("style.css"), sort_field=sort_field)


def occlusion_notetype() -> Notetype:
    """The Image Occlusion notetype every occlusion note uses (one fixed id and name)."""
    return Notetype(
        OCCLUSION_MODEL_ID, OCCLUSION_MODEL_NAME,
        fields=tuple(NotetypeField(name, font="Arial", size=20, tag=index, prevent_deletion=name != "Comments")
                     for index, name in enumerate(_STOCK_FIELDS)),
        templates=(CardTemplate("Image Occlusion", front=anki_template("occlusion_front.html"),
                                back=anki_template("occlusion_back.html")),),
        css=anki_template("style.css") + anki_template("occlusion.css"),
        cloze=True, original_stock_kind=ORIGINAL_STOCK_KIND_IMAGE_OCCLUSION)


def notetype_texts() -> frozenset[str]:
    """Every text cardgen's notetypes put in a deck, whatever its cases: names, field and template
    names, templates and style. The de-identification audit does not search a text that is exactly
    one of these: a patient called Case or Mark is not found in the ``Case`` field or in the style
    sheet's ``mark`` (cardgen.deid.audit)."""
    texts: set[str] = set()
    for kind in NoteKind:
        described = notetype(kind)
        texts.update((described.name, described.css))
        texts.update(field.name for field in described.fields)
        for template in described.templates:
            texts.update((template.name, template.front, template.back))
    return frozenset(texts)
