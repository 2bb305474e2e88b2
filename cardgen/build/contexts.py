"""Where each case's notes go in the deck: the teaching order of the cases, each case's sub-deck,
topic tags and modification time, and the text-only notes of objectives no case covers."""

from __future__ import annotations

import html

from dataclasses import dataclass
from pathlib import Path

from cardgen.build.checks import check_topics
from cardgen.build.options import BuildOptions, source_date_epoch
from cardgen.cards.guids import note_guid
from cardgen.cards.notes import CaseContext, NoteSpec
from cardgen.cards.notetypes import NoteKind
from cardgen.cards.objectives import objective_fields
from cardgen.cards.templates import templates_mtime
from cardgen.curriculum import ORDER_STRIDE, Curriculum
from cardgen.curriculum.names import dotted_deck_path, dotted_topic_tag, topic_tags
from cardgen.curriculum.objectives import objective_cards
from cardgen.tags import TEXT_ONLY_TAG
from cardgen.teaching.case import Case


@dataclass(frozen=True)
class NoteTimes:
    """The modification time of the deck's notes: ``fixed`` (``SOURCE_DATE_EPOCH``) for all when
    set, else the newest of each note's inputs, at least ``shared`` (templates, curriculum)."""

    shared: int
    fixed: int | None

    @classmethod
    def of(cls, curriculum: Path | None) -> NoteTimes:
        """The times of a build from the templates and the ``curriculum`` file (when there is one)."""
        shared = max(templates_mtime(), int(curriculum.stat().st_mtime) if curriculum else 0)
        return cls(shared=shared, fixed=source_date_epoch())


def in_teaching_order(cases: list[Case], curriculum: Curriculum | None) -> list[Case]:
    """Cases in the curriculum's teaching order (prerequisites first, then level, then file
    order; a case under several topics comes with the latest of them), then by id.

    Cases with unknown topics sort last here and are reported when their notes are made.
    """
    if curriculum is None:
        return sorted(cases, key=lambda c: c.id)
    return sorted(cases, key=lambda case: (curriculum.order.case_key(case.topics), case.id))


def case_context(case: Case, curriculum: Curriculum | None, options: BuildOptions, position: int,
                 times: NoteTimes) -> CaseContext:
    """Sub-deck, topic tags and modification time of a case's notes."""
    deck: tuple[str, ...] = ()
    tags: list[str] = []
    lines: list[str] = []
    if curriculum is not None:
        check_topics(case, curriculum)
    for index, topic_id in enumerate(case.topics):
        if curriculum is None:
            tags.append(dotted_topic_tag(topic_id))
            if index == 0:
                deck = tuple(dotted_deck_path(topic_id, options.deck_depth))
            continue
        tags += topic_tags(curriculum, topic_id)
        lines.append(" › ".join(t.title for t in curriculum.ancestors(topic_id)))
        if index == 0:
            deck = tuple(curriculum.deck_path(topic_id, options.deck_depth, numbered=True))
    inputs = [case.source] + [image.path for image in case.images]
    mod = times.fixed if times.fixed is not None else max([times.shared] + [int(p.stat().st_mtime) for p in inputs])
    order = (position if curriculum is None or not case.topics
             else curriculum.order.key_for(case.topics, within=min(position, ORDER_STRIDE - 1)))
    return CaseContext(deck=deck, topic_tags=tuple(tags), curriculum_line="; ".join(lines),
                       mod=mod, order=order)


def objective_notes(curriculum: Curriculum, cases: list[Case], options: BuildOptions,
                    times: NoteTimes) -> list[NoteSpec]:
    """Text-only notes, one per objective of each topic that no case (nor sub-topic's case) covers."""
    covered = {ancestor.id for case in cases for topic_id in case.topics if topic_id in curriculum.topics
               for ancestor in curriculum.ancestors(topic_id)}
    mod = times.fixed if times.fixed is not None else times.shared
    notes: list[NoteSpec] = []
    for card in objective_cards(curriculum, topics_with_cases=covered):
        fields = objective_fields(curriculum, card)
        tags = [*topic_tags(curriculum, card.topic_id), TEXT_ONLY_TAG]
        notes.append(NoteSpec(
            kind=NoteKind.OBJECTIVE, guid=note_guid(card.identity, NoteKind.OBJECTIVE),
            fields=(html.escape(card.identity), fields["Front"], fields["Back"], fields["Kind"]),
            tags=tuple(sorted(tags)), deck=tuple(curriculum.deck_path(card.topic_id, options.deck_depth, numbered=True)),
            media=(), mod=mod, order=curriculum.order.key(card.topic_id, within=card.index)))
    return notes
