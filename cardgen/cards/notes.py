"""Notes made from one teaching case: a case card and a card per finding.

This module decides what a learner sees; its notes are plain data (:class:`NoteSpec`), which
:mod:`cardgen.deck` alone turns into the package's notes. Every piece of case text goes through
escaping (Jinja2 autoescape or :func:`markupsafe.escape`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from cardgen.cards.guids import note_guid
from cardgen.cards.notetypes import NoteKind
from cardgen.cards.occlusion import occlusion_cloze, occlusion_note_fields
from cardgen.cards.templates import render_fragment
from cardgen.cards.text import inert_for_anki, render_teaching_text
from cardgen.tags import DIFFICULTY_PREFIX, PRIOR_PREFIX, case_tag, modality_tag
from cardgen.imaging.sources import ImageFacts
from cardgen.teaching.case import Case, Difficulty, OcclusionMode

if TYPE_CHECKING:
    from cardgen.annotations.shapes import Shape
    from cardgen.imaging.render import RenderedImage

DEFAULT_DIFFICULTY = Difficulty.MEDIUM


@dataclass(frozen=True)
class NoteSpec:
    """A note as cardgen means it, before the package writer (:mod:`cardgen.deck`) stores it."""

    kind: NoteKind
    guid: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    deck: tuple[str, ...]  # sub-deck path below the deck's root
    media: tuple[str, ...]  # media file names the fields refer to
    mod: int  # modification time (seconds): newer notes replace older ones on import
    order: int = 0  # position among new cards (lower first)
    cards: int = 1  # cards the note makes

    def __post_init__(self) -> None:
        # Case files are refused with a control character in them (cardgen.yamlio); text from
        # elsewhere (DICOM annotation objects, curriculum CSV) is cleaned here, the last step
        # before Anki: U+001F in a field would split it in two and Anki would refuse the package.
        if any(_CONTROL.search(text) for text in self.fields + self.tags):
            object.__setattr__(self, "fields", tuple(_CONTROL.sub("", text) for text in self.fields))
            object.__setattr__(self, "tags", tuple(_CONTROL.sub("", text) for text in self.tags))
        # Teaching text is escaped as HTML where each field is made; Anki's own markup ([sound:],
        # [latex], MathJax) is made inert here, in every field but the Image Occlusion cloze.
        cloze = 0 if self.kind is NoteKind.OCCLUSION else None
        object.__setattr__(self, "fields", tuple(text if index == cloze else inert_for_anki(text)
                                                 for index, text in enumerate(self.fields)))


# Control characters other than tab and line breaks (C0, DEL, C1), and the direction overrides that
# show the text after them reversed (cardgen.yamlio.BIDI_OVERRIDES: a name written backwards).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202d\u202e]")


@dataclass(frozen=True)
class ImageView:
    """One image of a case as rendered for the cards: clean and annotated, per window."""

    image_id: str
    facts: ImageFacts
    clean: tuple[RenderedImage, ...]  # one per window
    annotated: tuple[RenderedImage, ...]  # one per window, every finding's shapes drawn
    captions: tuple[str, ...]  # one per window, e.g. "lung (W 1500 / L -600)"
    stack: tuple[RenderedImage, ...] = ()  # every frame of a scrollable stack, first window
    stack_key_index: int = 0  # which of them is the key frame


@dataclass(frozen=True)
class CaseContext:
    """What the deck tells each note of a case: where it goes and how it is tagged."""

    deck: tuple[str, ...] = ()
    topic_tags: tuple[str, ...] = ()
    curriculum_line: str = ""
    mod: int = 0
    order: int = 0
    extra_tags: tuple[str, ...] = field(default_factory=tuple)


def case_tags(case: Case, views: list[ImageView], context: CaseContext) -> tuple[str, ...]:
    """Tags every note of the case carries."""
    difficulty = case.difficulty or DEFAULT_DIFFICULTY
    # The prior stays when a learner's deck replaces the difficulty tag with their own band.
    tags = {case_tag(case.id), DIFFICULTY_PREFIX + difficulty.value, PRIOR_PREFIX + difficulty.value,
            *context.topic_tags, *context.extra_tags}
    for view in views:
        if view.facts.modality:
            tags.add(modality_tag(view.facts.modality))
    return tuple(sorted(tags))


def facts_line(views: list[ImageView]) -> str:
    """Allowlisted header facts, e.g. ``CT · axial``: modality, body part, plane."""
    seen: list[str] = []
    for view in views:
        for value in (view.facts.modality, view.facts.body_part and view.facts.body_part.lower(),
                      view.facts.plane):
            if value and value not in seen:
                seen.append(value)
    return " · ".join(seen)


def _figures(images: list[tuple[RenderedImage, str]], alt: str) -> Markup:
    return render_fragment("fields/images.html.j2",
                           images=[{"name": r.name, "alt": alt, "caption": c} for r, c in images])


def _list(items: tuple[str, ...] | list[str]) -> Markup:
    return render_fragment("fields/list.html.j2", items=[render_teaching_text(item) for item in items])


def _text(text: str) -> Markup:
    """Teaching text: the safe Markdown subset (bold, italic, lists, line breaks), all else escaped."""
    return render_teaching_text(text)


def _case_images(views: list[ImageView]) -> Markup:
    """The question's images: a scrollable stack where there is one, each window's image otherwise."""
    parts: list[Markup] = []
    for view in views:
        pairs = list(zip(view.clean, view.captions))
        if view.stack:
            parts.append(render_fragment("fields/stack.html.j2", key=view.clean[0].name,
                                         frames=[r.name for r in view.stack],
                                         key_index=view.stack_key_index, caption=view.captions[0]))
            pairs = pairs[1:]
        parts.append(_figures(pairs, "case image"))
    return Markup("").join(parts)


# Margin around a marked region, as a fraction of the image's shorter side: the box must not hide
# the finding's edge, and a point or an arrow's tip (no area) still gets a box to look into.
MARK_MARGIN_FRACTION = 0.04


def mark_box(shapes: tuple[Shape, ...], width: int, height: int) -> tuple[float, float, float, float]:
    """The box around every shape, with a margin: (left, top, width, height) in percent of the image."""
    bounds = [shape.bounds() for shape in shapes]
    margin = MARK_MARGIN_FRACTION * min(width, height)
    left = max(0.0, min(b.left for b in bounds) - margin)
    top = max(0.0, min(b.top for b in bounds) - margin)
    right = min(float(width), max(b.right for b in bounds) + margin)
    bottom = min(float(height), max(b.bottom for b in bounds) + margin)
    return (round(100 * left / width, 2), round(100 * top / height, 2),
            round(100 * (right - left) / width, 2), round(100 * (bottom - top) / height, 2))


def _marked_figure(image: RenderedImage, caption: str, shapes: tuple[Shape, ...], width: int,
                   height: int) -> Markup:
    """One image with the region of ``shapes`` (pixels of a ``width`` x ``height`` image) marked."""
    left, top, box_width, box_height = mark_box(shapes, width, height)
    return render_fragment("fields/marked.html.j2", src=image.name, alt="image, finding marked",
                           caption=caption, left=left, top=top, width=box_width, height=box_height)


def number_labels(case: Case, view: ImageView) -> list[dict[str, object]]:
    """Each finding's number on ``view``, at its shapes' top-left corner (percent of the image)."""
    width, height = view.facts.width, view.facts.height
    labels: list[dict[str, object]] = []
    for number, finding in enumerate(case.findings, start=1):
        if finding.image_id != view.image_id or not finding.shapes:
            continue
        bounds = [shape.bounds() for shape in finding.shapes]
        left = min(b.left for b in bounds)
        top = min(b.top for b in bounds)
        # Kept inside the image so a number at an edge is not cut off.
        labels.append({"number": number, "left": round(min(max(100 * left / width, 3.0), 97.0), 2),
                       "top": round(min(max(100 * top / height, 3.0), 97.0), 2)})
    return labels


def _labelled_figures(case: Case, views: list[ImageView]) -> Markup:
    """The answer's annotated images, each finding's number drawn over them by the card."""
    images = [{"src": r.name, "alt": "annotated case image", "caption": c, "labels": number_labels(case, v)}
              for v in views for r, c in zip(v.annotated, v.captions)]
    return render_fragment("fields/labelled.html.j2", images=images)


def case_notes(case: Case, views: list[ImageView], finding_images: list[RenderedImage],
               context: CaseContext) -> list[NoteSpec]:
    """The case card and one card per finding that has shapes.

    ``finding_images[i]`` is finding ``i``'s image with only its own shapes drawn.
    """
    tags = case_tags(case, views, context)
    facts = facts_line(views)
    clean = [(r, c) for v in views for r, c in zip(v.clean, v.captions)]
    annotated = [(r, c) for v in views for r, c in zip(v.annotated, v.captions)]
    stack_media = tuple(r.name for v in views for r in v.stack)
    # Numbered: the numbers the card draws over the answer's images (_labelled_figures) refer to it.
    findings_html = render_fragment("fields/numbered.html.j2", items=[_text(f.text) for f in case.findings])
    case_fields = (
        str(escape(case.id)), str(_text(case.title)), str(_text(case.history)),
        str(_case_images(views)), str(_text(case.diagnosis or case.title)),
        str(findings_html), str(_labelled_figures(case, views)),
        str(_list(case.differential)), str(_list(case.teaching_points)), str(escape(facts)),
        str(escape(context.curriculum_line)),
    )
    notes = [NoteSpec(kind=NoteKind.CASE, guid=note_guid(case.id, NoteKind.CASE), fields=case_fields,
                      tags=tags, deck=context.deck,
                      media=tuple(r.name for r, _ in clean + annotated) + stack_media,
                      mod=context.mod, order=context.order)]
    total = len(case.findings)
    view_by_id = {v.image_id: v for v in views}
    for index, (finding, marked) in enumerate(zip(case.findings, finding_images)):
        if not finding.shapes:
            # Nothing on the image says where it is: a "where is it" card could not be answered.
            # (It stays in the case card's findings list; the others keep their numbers and GUIDs.)
            continue
        view = view_by_id[finding.image_id]
        clean_image = view.clean[0]
        if finding.label:
            # Named: the learner finds it on the clean image and says what it is.
            prompt = f"Finding {index + 1} of {total} ({finding.label}): where is it, and what is it?"
            question_image = _figures([(clean_image, view.captions[0])], "image")
        else:
            # No name to give: the card marks its region instead, so the question is never "which one?".
            prompt = f"Finding {index + 1} of {total}: what is the finding in the dashed box?"
            question_image = _marked_figure(clean_image, view.captions[0], finding.shapes,
                                            view.facts.width, view.facts.height)
        fields = (
            str(escape(f"{case.id}#{index + 1}")), str(escape(prompt)), str(_text(case.history)),
            str(question_image), str(_text(finding.text)),
            str(_figures([(marked, view.captions[0])], "annotated image")),
            str(_text(case.diagnosis or case.title)), str(escape(facts)),
        )
        notes.append(NoteSpec(kind=NoteKind.FINDING, guid=note_guid(case.id, NoteKind.FINDING, index),
                              fields=fields, tags=tags, deck=context.deck,
                              media=(clean_image.name, marked.name), mod=context.mod,
                              order=context.order))
    return notes


def occlusion_notes(case: Case, views: list[ImageView], context: CaseContext,
                    mode: OcclusionMode) -> list[NoteSpec]:
    """A native Image Occlusion note per image with findings: one card (cloze) per finding.

    Each finding's region carries a neutral number and the back lists the numbered findings; the
    card asks for the region under the red (active) mask, and its back marks that finding in the
    list (templates/anki/occlusion_back.html).
    """
    tags = case_tags(case, views, context)
    notes: list[NoteSpec] = []
    for image_index, view in enumerate(views):
        findings = [f for f in case.findings if f.image_id == view.image_id and f.shapes]
        if not findings:
            continue
        markers = [str(n) for n in range(1, len(findings) + 1)]
        cloze = occlusion_cloze([f.shapes for f in findings], view.facts.width, view.facts.height,
                                mode, markers=markers)
        header = Markup('<div class="cg-history">{}</div><div class="cg-prompt">{}</div>').format(
            _text(case.history), "Name the finding under the red mask.")
        back = render_fragment("fields/numbered.html.j2", items=[_text(f.text) for f in findings])
        fields = occlusion_note_fields(view.clean[0].name, cloze, str(header), str(back))
        notes.append(NoteSpec(kind=NoteKind.OCCLUSION, guid=note_guid(case.id, NoteKind.OCCLUSION, image_index),
                              fields=tuple(fields), tags=tags, deck=context.deck, media=(view.clean[0].name,),
                              mod=context.mod, order=context.order, cards=len(findings)))
    return notes
