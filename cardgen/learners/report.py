"""What the educator sees: a summary per learner (``cardgen learners show``) and the class report
(``cardgen report``), both computed from the learners database alone."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.atomic import atomic_output
from cardgen.cards.guids import note_guid
from cardgen.cards.notetypes import NoteKind
from cardgen.curriculum import load_curriculum
from cardgen.tags import CASE_PREFIX, TEXT_ONLY_TAG, TOPIC_PREFIX, after_prefix, has_prefix, same_tag
from cardgen.learners.model import AGAIN, RELEARN, REVIEW, pace, retention
from cardgen.learners.store import (LearnerTags, learner_names, learner_reviews, learner_tags, note_kinds, open_store,
                                    reviews_of)
from cardgen.errors import InputError
from cardgen.resources import jinja_environment

_MAX_INDEX = 200  # findings (or images) per case tried when matching a note's GUID


@dataclass(frozen=True)
class LearnerSummary:
    """One learner at a glance."""

    name: str
    reviews: int  # every answer, learning steps on the day a card was first seen included
    retention: float | None  # share of delayed reviews recalled
    pace: int  # recommended new cards per day
    hardest_topics: tuple[str, ...]  # by lapse rate, worst first (at most three)
    delayed_reviews: int = 0  # answers on a later day than the card's last: the ones that test recall

    def line(self) -> str:
        kept = f"{self.retention:.0%}" if self.retention is not None else "n/a (no delayed review yet)"
        hardest = ", ".join(self.hardest_topics) or "none yet"
        return (f"{self.name}: {self.reviews} reviews ({self.delayed_reviews} delayed), retention {kept}, "
                f"pace {self.pace} new cards/day, hardest topics: {hardest}")


@dataclass
class TopicStats:
    """How the class fared on one topic."""

    topic: str
    title: str
    reviews: int = 0  # delayed reviews (review and relearn)
    lapses: int = 0
    difficulty_sum: float = 0.0
    difficulty_cards: int = 0

    @property
    def lapse_rate(self) -> float:
        return self.lapses / self.reviews if self.reviews else 0.0

    @property
    def retention(self) -> float | None:
        return 1 - self.lapse_rate if self.reviews else None

    @property
    def difficulty(self) -> float | None:
        """Mean FSRS difficulty (1-10) of the topic's cards over every learner who studied them."""
        return self.difficulty_sum / self.difficulty_cards if self.difficulty_cards else None


@dataclass(frozen=True)
class FailedCard:
    """A card the class failed often."""

    case: str  # the case's id (its cardgen::case:: tag); an objective's topic
    note_guid: str
    card_ord: int
    lapses: int
    learners: int  # the learners who failed it (in a delayed review), not all who reviewed it
    card: str = ""  # which card of the case: "case question", "finding 2", "occlusion region 3", "objective"


@dataclass
class ClassReport:
    """Everything the class report shows."""

    learners: list[LearnerSummary] = field(default_factory=list)
    topics: list[TopicStats] = field(default_factory=list)
    failed_most: list[FailedCard] = field(default_factory=list)
    topic_titles: dict[str, str] = field(default_factory=dict)  # topic tag path -> curriculum title

    def title_of(self, topic: str) -> str:
        """A topic's curriculum title, or its tag path made readable."""
        return self.topic_titles.get(topic, topic.replace("::", " › "))


def _topics(tags: tuple[str, ...]) -> list[str]:
    return [after_prefix(tag, TOPIC_PREFIX) for tag in tags if has_prefix(tag, TOPIC_PREFIX)]


def _lapses_by_topic(connection: sqlite3.Connection, learner: str | None, tags: LearnerTags) -> dict[str, list[int]]:
    """(lapses, delayed reviews) per topic, each review under the topics its learner's deck gave it."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, review in reviews_of(connection, learner):
        if review.type in (REVIEW, RELEARN):
            for topic in _topics(tags.of(name, review.note_guid)):
                counts[topic][0] += int(review.ease == AGAIN)
                counts[topic][1] += 1
    return counts


def learner_summaries(learners_dir: Path, learner: str | None = None) -> list[LearnerSummary]:
    """A summary of each learner (or of ``learner`` alone)."""
    with open_store(learners_dir) as connection:
        names = learner_names(connection)
        if learner is not None:
            if learner not in names:
                raise InputError("no such learner", field="--learner", value=learner,
                                 hint=f"known learners: {', '.join(names) or 'none'}")
            names = [learner]
        tags = learner_tags(connection)
        return [_summary(connection, name, tags) for name in names]


def _summary(connection: sqlite3.Connection, name: str, tags: LearnerTags) -> LearnerSummary:
    reviews = connection.execute("SELECT count() FROM reviews WHERE learner = ?", (name,)).fetchone()[0]
    by_topic = _lapses_by_topic(connection, name, tags)
    hardest = sorted((t for t, (lapses, _) in by_topic.items() if lapses),
                     key=lambda t: (-by_topic[t][0] / by_topic[t][1], t))[:3]
    own = learner_reviews(connection, name)
    return LearnerSummary(name=name, reviews=reviews, retention=retention(own),
                          pace=pace(own), hardest_topics=tuple(hardest),
                          delayed_reviews=sum(review.tests_recall for review in own))


def class_report(learners_dir: Path, curriculum_path: Path | None = None) -> ClassReport:
    """Per topic across the class, per learner, and the cards failed most."""
    titles: dict[str, str] = {}
    if curriculum_path is not None:
        curriculum = load_curriculum(curriculum_path)
        titles = {curriculum.tag(tid)[len(TOPIC_PREFIX):]: topic.title for tid, topic in curriculum.topics.items()}
    report = ClassReport(topic_titles=titles)
    with open_store(learners_dir) as connection:
        tags = learner_tags(connection)
        report.learners = [_summary(connection, name, tags) for name in learner_names(connection)]
        topics: dict[str, TopicStats] = {}
        for topic, (lapses, reviews) in _lapses_by_topic(connection, None, tags).items():
            topics[topic] = TopicStats(topic, report.title_of(topic), reviews, lapses)
        for name, guid, difficulty in connection.execute("SELECT learner, note_guid, difficulty FROM card_states"):
            for topic in _topics(tags.of(name, guid)):
                stats = topics.setdefault(topic, TopicStats(topic, report.title_of(topic)))
                stats.difficulty_sum += difficulty
                stats.difficulty_cards += 1
        report.topics = sorted(topics.values(), key=lambda s: (-s.lapse_rate, s.topic))
        rows = connection.execute(
            "SELECT note_guid, card_ord, sum(ease = ?), count(DISTINCT CASE WHEN ease = ? THEN learner END) "
            "FROM reviews WHERE type IN (?, ?) GROUP BY note_guid, card_ord HAVING sum(ease = ?) > 0 "
            "ORDER BY 3 DESC, 1, 2 LIMIT 10", (AGAIN, AGAIN, REVIEW, RELEARN, AGAIN)).fetchall()
        kinds = note_kinds(connection)
        for guid, card_ord, lapses, learners in rows:
            note = tags.shared.get(guid, ())
            case = next((after_prefix(t, CASE_PREFIX) for t in note if has_prefix(t, CASE_PREFIX)), None)
            if case is None:  # an objective's text-only card: its topic says where it belongs
                case = next((report.title_of(t) for t in _topics(note)), guid)
            report.failed_most.append(FailedCard(case, guid, card_ord, lapses, learners,
                                                 card_label(guid, card_ord, note, kinds.get(guid))))
    return report


def card_label(guid: str, card_ord: int, tags: tuple[str, ...], kind: str | None) -> str:
    """Which card this is, in the words of the case: ``case question``, ``finding N``, ``occlusion
    region N`` or ``objective``.

    The kind comes from the note's notetype (stored at import) or, lacking it, from the GUID, which
    cardgen derives from the case id, the kind and the finding's (or image's) index
    (cardgen.cards.guids.note_guid): recomputing it from the case tag finds the finding's number.
    An occlusion note has one card (cloze) per finding region, numbered from 1: ``card_ord + 1``.
    """
    if any(same_tag(tag, TEXT_ONLY_TAG) for tag in tags):
        kind = kind or NoteKind.OBJECTIVE.value
    case_id = next((after_prefix(t, CASE_PREFIX) for t in tags if has_prefix(t, CASE_PREFIX)), None)
    index = None
    if case_id is not None:
        for candidate in (NoteKind.CASE, NoteKind.FINDING, NoteKind.OCCLUSION):
            if kind not in (None, candidate.value):
                continue
            found = next((i for i in range(_MAX_INDEX if candidate is not NoteKind.CASE else 1)
                          if note_guid(case_id, candidate, i) == guid), None)
            if found is not None:
                kind, index = candidate.value, found
                break
    if kind == NoteKind.CASE.value:
        return "case question"
    if kind == NoteKind.FINDING.value:
        return f"finding {index + 1}" if index is not None else "finding"
    if kind == NoteKind.OCCLUSION.value:
        image = f" of image {index + 1}" if index else ""
        return f"occlusion region {card_ord + 1}{image}"
    if kind == NoteKind.OBJECTIVE.value:
        return "objective"
    return f"card {card_ord + 1}"


def write_class_report(learners_dir: Path, out: Path, curriculum_path: Path | None = None) -> ClassReport:
    """Compute the class report and write it as one self-contained HTML page (inline SVG charts)."""
    report = class_report(learners_dir, curriculum_path)
    html = jinja_environment().get_template("learners_report.html.j2").render(
        report=report, max_pace=max([s.pace for s in report.learners] + [1]))
    with atomic_output(out) as temp:
        temp.write_text(html, encoding="utf-8")
    return report
