"""How much of a curriculum the cases cover: per topic, per level and per section.

A topic is covered when a case is filed under it or under one of its sub-topics (a section with
cases on some of its topics is covered; its uncovered topics are still listed). An objective is
covered by a case only when a case says it teaches it (``objectives:`` in its case.yaml): a case
filed under a topic does not teach all of the topic's objectives by being there. A topic without any
case may have text-only objective cards instead. A case filed under several topics counts for each
of them; a section counts it once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.curriculum.model import Curriculum
from cardgen.curriculum.topic import Level, Topic
from cardgen.resources import jinja_environment


class ObjectiveStatus(str, enum.Enum):
    """What teaches an objective."""

    CASE = "case"
    TEXT_ONLY = "text-only card"
    NONE = "none"


@dataclass
class Tally:
    """Counts over a group of topics (a level, a section, the whole curriculum)."""

    topics: int = 0
    topics_covered: int = 0
    objectives: int = 0
    objectives_covered: int = 0  # by a case, not by a text-only card
    cases: int = 0
    cards: int = 0

    @property
    def topic_share(self) -> float:
        """Covered topics as a fraction (0 when there are no topics)."""
        return self.topics_covered / self.topics if self.topics else 0.0

    @property
    def objective_share(self) -> float:
        """Objectives covered by cases as a fraction (0 when there are none)."""
        return self.objectives_covered / self.objectives if self.objectives else 0.0


@dataclass(frozen=True)
class TopicCoverage:
    """One topic: the cases filed directly under it, those under its whole branch, and its cards."""

    topic: Topic
    depth: int
    cases: tuple[str, ...]  # filed under this very topic
    cards: int  # from those cases
    branch_cases: tuple[str, ...]  # filed under this topic or anything beneath it
    branch_cards: int
    objectives: tuple[tuple[str, ObjectiveStatus], ...]

    @property
    def covered(self) -> bool:
        """True when a case is filed under the topic or one of its sub-topics."""
        return bool(self.branch_cases)


@dataclass(frozen=True)
class SectionCoverage:
    """A top-level section and every topic in it (the section first, then in file order)."""

    section: Topic
    topics: tuple[TopicCoverage, ...]
    tally: Tally

    @property
    def uncovered(self) -> list[TopicCoverage]:
        """The section's topics without any case."""
        return [t for t in self.topics if not t.covered]


@dataclass(frozen=True)
class Coverage:
    """The coverage of one curriculum by one set of cases."""

    curriculum: Curriculum
    topics: dict[str, TopicCoverage]
    sections: tuple[SectionCoverage, ...]
    levels: dict[Level | None, Tally]
    total: Tally
    objective_cards: bool = False
    unused_cases: tuple[str, ...] = field(default=())  # cases that cite no topic

    def uncovered(self) -> list[TopicCoverage]:
        """Every topic without any case, in file order."""
        return [t for s in self.sections for t in s.topics if not t.covered]


def compute_coverage(
    curriculum: Curriculum,
    cases_topics: Mapping[str, Sequence[str]],
    cards_per_case: Mapping[str, int] | None = None,
    *,
    objective_cards: bool = False,
    source: Path | None = None,
    cases_objectives: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> Coverage:
    """Coverage of ``curriculum`` by cases (``case id -> topic ids``) and their card counts.

    A case missing from ``cards_per_case`` counts 0 cards. An unknown topic id is an
    :class:`InputError` suggesting the nearest ids (``source`` names the cases folder in it).
    ``objective_cards`` says whether the deck carries text-only cards for objectives without a case.
    ``cases_objectives`` gives the objectives each case says it teaches, as (topic id, index from 0)
    (:meth:`Curriculum.objective`); an objective no case names is not taught by a case.
    """
    taught = {pair for pairs in (cases_objectives or {}).values() for pair in pairs}
    cards_per_case = cards_per_case or {}
    direct: dict[str, list[str]] = {topic_id: [] for topic_id in curriculum.topics}
    for case_id, topic_ids in cases_topics.items():
        for topic_id in topic_ids:
            curriculum.topic(topic_id, file=source, field=f"case {case_id}: topics")
            if case_id not in direct[topic_id]:
                direct[topic_id].append(case_id)

    def cards_of(cases: Sequence[str]) -> int:
        return sum(cards_per_case.get(case_id, 0) for case_id in cases)

    topics: dict[str, TopicCoverage] = {}
    for topic in curriculum.in_file_order():
        branch = list(direct[topic.id])
        for below in curriculum.descendants(topic.id):
            branch.extend(c for c in direct[below.id] if c not in branch)
        # Objective cards are made for topics with no case in their branch (cardgen.curriculum.objectives).
        fallback = ObjectiveStatus.TEXT_ONLY if objective_cards and not branch else ObjectiveStatus.NONE
        topics[topic.id] = TopicCoverage(
            topic=topic, depth=curriculum.depth(topic.id), cases=tuple(direct[topic.id]),
            cards=cards_of(direct[topic.id]), branch_cases=tuple(branch), branch_cards=cards_of(branch),
            objectives=tuple((text, ObjectiveStatus.CASE if (topic.id, index) in taught else fallback)
                             for index, text in enumerate(topic.objectives)))

    levels: dict[Level | None, Tally] = {}
    total = Tally()
    sections: list[SectionCoverage] = []
    for section in curriculum.sections():
        members = [topics[section.id]] + [topics[t.id] for t in curriculum.descendants(section.id)]
        tally = Tally(cases=len(topics[section.id].branch_cases), cards=topics[section.id].branch_cards)
        for member in members:
            for group in (tally, total, levels.setdefault(member.topic.level, Tally())):
                _count_topic(group, member)
        sections.append(SectionCoverage(section, tuple(members), tally))
    all_cases = {c for member in topics.values() for c in member.cases}
    total.cases = len(all_cases)
    total.cards = cards_of(sorted(all_cases))
    for level, tally in levels.items():
        level_cases = {c for member in topics.values() if member.topic.level == level for c in member.cases}
        tally.cases = len(level_cases)
        tally.cards = cards_of(sorted(level_cases))
    ordered_levels = {level: levels[level] for level in [*Level, None] if level in levels}
    unused = tuple(case_id for case_id, topic_ids in cases_topics.items() if not topic_ids)
    return Coverage(curriculum, topics, tuple(sections), ordered_levels, total, objective_cards, unused)


def _count_topic(tally: Tally, member: TopicCoverage) -> None:
    tally.topics += 1
    tally.topics_covered += member.covered
    tally.objectives += len(member.objectives)
    tally.objectives_covered += sum(status is ObjectiveStatus.CASE for _, status in member.objectives)


def _share(done: int, total: int) -> str:
    return f"{done}/{total}" + (f" ({100 * done // total}%)" if total else "")


def _table(header: Sequence[str], rows: list[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *map(line, rows)]


def format_table(coverage: Coverage) -> str:
    """Plain-text report for a terminal: every topic, then totals per section and per level."""
    rows = []
    for section in coverage.sections:
        for member in section.topics:
            objectives = _share(sum(s is ObjectiveStatus.CASE for _, s in member.objectives),
                                len(member.objectives)) if member.objectives else "-"
            state = "ok" if member.covered else ("text only" if coverage.objective_cards
                                                  and member.objectives else "NO CASE")
            rows.append(["  " * (member.depth - 1) + member.topic.title, member.topic.id,
                         member.topic.level.value if member.topic.level else "-",
                         str(len(member.branch_cases)), str(member.branch_cards), objectives, state])
    lines = _table(["Topic", "Id", "Level", "Cases", "Cards", "Objectives", "Status"], rows, {3, 4})
    lines += ["", "Per section:"]
    lines += _table(["Section", "Topics covered", "Objectives covered", "Cases", "Cards"],
                    [[s.section.title, _share(s.tally.topics_covered, s.tally.topics),
                      _share(s.tally.objectives_covered, s.tally.objectives), str(s.tally.cases),
                      str(s.tally.cards)] for s in coverage.sections], {3, 4})
    lines += ["", "Per level:"]
    level_rows = [[level.value if level else "none", _share(t.topics_covered, t.topics),
                   _share(t.objectives_covered, t.objectives), str(t.cases), str(t.cards)]
                  for level, t in coverage.levels.items()]
    level_rows.append(["all", _share(coverage.total.topics_covered, coverage.total.topics),
                       _share(coverage.total.objectives_covered, coverage.total.objectives),
                       str(coverage.total.cases), str(coverage.total.cards)])
    lines += _table(["Level", "Topics covered", "Objectives covered", "Cases", "Cards"], level_rows, {3, 4})
    uncovered = coverage.uncovered()
    lines += ["", f"Topics without a case ({len(uncovered)}):"]
    lines += [f"  {m.topic.id}  {m.topic.title}" for m in uncovered] or ["  none"]
    return "\n".join(lines) + "\n"


def render_html(coverage: Coverage, *, title: str | None = None) -> str:
    """A self-contained HTML page (no external files): tables and one bar chart per section."""
    source = coverage.curriculum.source
    heading = title or f"Curriculum coverage: {source.name if source else 'curriculum'}"
    max_cards = max([m.branch_cards for m in coverage.topics.values()] + [1])
    return jinja_environment().get_template("coverage.html.j2").render(
        coverage=coverage, title=heading, max_cards=max_cards, Status=ObjectiveStatus)
