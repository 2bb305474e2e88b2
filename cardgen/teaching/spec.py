"""What a ``case.yaml`` may say: every key, its value and its meaning, written once.

The loader (cardgen.teaching.loader) refuses keys this does not know; the published JSON Schema
(``docs/schema/case.schema.json``, ``cardgen schema case``) and ``cardgen new``'s comments are made from it.
"""

from __future__ import annotations

from cardgen.annotations.shapes import ShapeKind
from cardgen.difficulty import Difficulty
from cardgen.imaging.windows import ALIASES, PRESETS
from cardgen.teaching.case import OcclusionMode
from cardgen.yamlspec import (BOOLEAN, INTEGER, NUMBER, POINT, TEXT, AnyOf, Key, ListOf, Mapping, Scalar,
                              choice, json_schema)

EXTENSION_PREFIX = "x-"  # keys of the author's own (x-source: ...) are kept out of the deck, not refused

WINDOW_NAME = Scalar({"anyOf": [{"enum": sorted(PRESETS) + sorted(ALIASES) + ["file"]},
                                {"type": "string", "pattern": "^[Ff][Ii][Ll][Ee]([\\s:#]+[0-9]+)?$"}]},
                     "a preset name or 'file'")
WINDOW_VALUES = Mapping("window", "A window", (
    Key("center", NUMBER, "Window centre (level) in modality units, HU for CT.", example="40"),
    Key("centre", NUMBER, "Same as center."),
    Key("level", NUMBER, "Same as center."),
    Key("width", NUMBER, "Window width in modality units.", required=True, example="400"),
    Key("function", choice(["linear", "linear_exact", "sigmoid", "LINEAR", "LINEAR_EXACT", "SIGMOID"],
                           "a VOI LUT function"), "VOI LUT function (DICOM PS3.3 C.11.2.1.2); default linear."),
    Key("name", TEXT, "Name shown in the card's caption."),
))
ONE_WINDOW = AnyOf((WINDOW_NAME, WINDOW_VALUES))
WINDOWS = AnyOf((WINDOW_NAME, WINDOW_VALUES, ListOf(ONE_WINDOW)))
FRAMES = Scalar({"anyOf": [{"type": "integer", "minimum": 0}, {"const": "all"},
                           {"type": "string", "pattern": "^\\s*[0-9]+(\\s*-\\s*[0-9]+)?(\\s*,\\s*[0-9]+(\\s*-\\s*[0-9]+)?)*\\s*$"},
                           {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1}]},
                "all, a frame, a range like \"0-9\" or a list")

MASK = Mapping("mask", "A mask rectangle", (
    Key("x", NUMBER, "Left edge, in image pixels from the left.", required=True),
    Key("y", NUMBER, "Top edge, in image pixels from the top.", required=True),
    Key("width", NUMBER, "Width in pixels.", required=True),
    Key("height", NUMBER, "Height in pixels.", required=True),
))

IMAGE = Mapping("image", "An image", (
    Key("file", TEXT, "A DICOM file, PNG or JPEG in the case folder, or a folder of DICOM slices (a series).",
        required=True, example="image.dcm"),
    Key("id", TEXT, "Name findings use to refer to this image (default: the file name).", example="axial"),
    Key("window", WINDOWS, "How to show it: a preset (" + ", ".join(sorted(PRESETS)) + "), 'file' (the "
        "file's own window; 'file 2' its second), {center: C, width: W}, or a list for several windows.",
        example="soft_tissue"),
    Key("frame", INTEGER, "The frame (or slice) the shapes are drawn on, counted from 0.", example="0"),
    Key("frames", FRAMES, "Frames (or slices) shown as a scrollable stack: all, \"0-9\", [2, 5]."),
    Key("burned_in", choice(["reviewed"], "reviewed"), "'reviewed' once a person checked the pixels for names, "
        "dates and IDs (needed when the file says Burned In Annotation YES)."),
    Key("mask", ListOf(MASK), "Rectangles blacked out before anything else (burned-in text)."),
    Key("overlays", BOOLEAN, "Draw the file's DICOM overlays (60xx)."),
))

_SHAPE_LABEL = Key("label", TEXT, "Text drawn beside the shape and shown on its occlusion card.")
_BOX = (
    Key("x", NUMBER, "Left edge of the box, in image pixels from the left.", required=True),
    Key("y", NUMBER, "Top edge of the box, in image pixels from the top.", required=True),
    Key("width", NUMBER, "Width in pixels.", required=True),
    Key("height", NUMBER, "Height in pixels.", required=True),
)
SHAPE = Mapping(
    "shape", "A shape",
    (Key("kind", choice([k.value for k in ShapeKind], "a shape kind"),
         "rect, ellipse (x, y, width, height: its box), polygon (points), arrow (from, to) or point (at).",
         required=True),
     _SHAPE_LABEL),
    variant_key="kind",
    variants={
        ShapeKind.RECT.value: _BOX,
        ShapeKind.ELLIPSE.value: _BOX,
        ShapeKind.POLYGON.value: (Key("points", ListOf(POINT), "At least 3 points [x, y] in image pixels.",
                                      required=True),),
        ShapeKind.ARROW.value: (Key("from", POINT, "Tail [x, y] in image pixels.", required=True),
                                Key("to", POINT, "Head [x, y]: the tip points at the finding.", required=True)),
        ShapeKind.POINT.value: (Key("at", POINT, "The point [x, y] in image pixels.", required=True),),
    },
)

FINDING = Mapping("finding", "A finding", (
    Key("text", TEXT, "The finding: the answer of its card.", required=True,
        example="Right upper lobe consolidation"),
    Key("image", TEXT, "The image it is seen on (its id or file name); may be left out with one image.",
        example="axial"),
    Key("label", TEXT, "A short label for the finding's card and occlusion.", example="RUL"),
    Key("shapes", ListOf(SHAPE), "Where it is: shapes in the image's own pixels (origin top-left, y down)."),
))

ANNOTATION_CHOICE = Mapping("annotation_item", "An annotation item", (
    Key("item", Scalar({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]}, "a number or a name"),
        "The item's number (from 1, in the file's order), or its label, tracking id or text.", required=True),
    Key("text", TEXT, "Replaces the file's text for this finding."),
    Key("label", TEXT, "Replaces the file's label for this finding."),
))
ANNOTATION_FILE = Mapping("annotation_file", "An annotation file", (
    Key("file", TEXT, "A GSPS, SR (TID 1500), RTSTRUCT, SEG or overlay DICOM object in the case folder.",
        required=True),
    Key("image", TEXT, "The case image it annotates (id or file name); may be left out with one image."),
    Key("text", TEXT, "Replaces the words the file gives each of its findings."),
    Key("label", TEXT, "Replaces the labels the file gives each of its findings."),
    Key("items", ListOf(AnyOf((Scalar({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]},
                                      "a number or a name"), ANNOTATION_CHOICE))),
        "Which of its items become findings (default: every one): numbers from 1, names, or {item, text, label}."),
))

CASE = Mapping("case", "A case", (
    Key("id", TEXT, "Unique, stable id: the notes' identity, kept across rebuilds (letters, digits, dots, "
        "dashes; no spaces).", required=True, example="chest-001"),
    Key("title", TEXT, "The case's title, usually the diagnosis.", required=True, example="Right upper lobe pneumonia"),
    Key("history", TEXT, "Clinical history shown on the question side (age rounded, sex).",
        example="45-year-old, cough and fever for 3 days."),
    Key("diagnosis", TEXT, "The final diagnosis, shown on the answer side.", example="Lobar pneumonia"),
    Key("topics", ListOf(TEXT, also_single=True), "Curriculum topic ids (e.g. chest.lungs): sub-decks and tags.",
        example="[chest.lungs]"),
    Key("objectives", ListOf(Scalar({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]},
                                    "a number or a text"), also_single=True),
        "The curriculum objectives this case teaches (coverage counts only these): a number from 1 among "
        "the first topic's objectives, 'topic.id#N' for another of its topics, or the objective's text.",
        example="[1, 2]"),
    Key("difficulty", choice([d.value for d in Difficulty], "easy, medium or hard"),
        "The educator's prior of how hard the case is.", example="medium"),
    Key("images", ListOf(AnyOf((TEXT, IMAGE))), "The case's images: a file name, or a mapping with file and "
        "how to show it.", required=True),
    Key("findings", ListOf(FINDING), "Findings, each with its text and shapes on an image."),
    Key("differential", ListOf(TEXT, also_single=True), "Differential diagnoses."),
    Key("teaching_points", ListOf(TEXT, also_single=True), "Teaching points, shown on the answer side."),
    Key("occlusion", choice([m.value for m in OcclusionMode], "hide_all or hide_one"),
        "Image Occlusion cards: hide every region and ask one, or hide only the one asked."),
    Key("annotations", ListOf(AnyOf((TEXT, ANNOTATION_FILE))), "DICOM objects in the folder whose annotations "
        "become findings (GSPS, SR, RTSTRUCT, SEG, overlays)."),
    Key("burned_in", choice(["reviewed"], "reviewed"), "'reviewed' for every image of the case (see images)."),
    Key("author", TEXT, "Who wrote the case (not put on the cards)."),
    Key("references", ListOf(TEXT, also_single=True), "Sources (not put on the cards)."),
    Key("not_identifying", ListOf(TEXT, also_single=True), "Words of the case's text that match a value of its "
        "DICOM headers but identify no one here (\"white\" in \"white matter\" when the patient is called White); "
        "listed in the build summary. See docs/de-identification.md."),
), extension_prefix=EXTENSION_PREFIX)


def case_schema(schema_id: str | None = None) -> dict:
    """The JSON Schema of a case.yaml."""
    return json_schema(CASE, title="cardgen case.yaml",
                       description="A radiology teaching case for cardgen: its text, images, findings and "
                                   "shapes. Keys starting with 'x-' are the author's own.",
                       schema_id=schema_id)
