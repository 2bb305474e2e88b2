"""Coverage of a curriculum by cases: numbers on a small synthetic set, the terminal table, the HTML page
(well-formed, self-contained, listing every uncovered topic). Curricula are written by the tests or
read from decks/curricula/esr-level1.yaml."""

from __future__ import annotations

import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cardgen.curriculum.coverage import ObjectiveStatus, Tally, compute_coverage, format_table, render_html
from cardgen.curriculum import Level, load_curriculum
from cardgen.errors import InputError

SAMPLE_YAML = Path(__file__).resolve().parent.parent / "decks" / "curricula" / "esr-level1.yaml"

SMALL = """
- id: chest
  title: Chest
  level: I
  children:
    - id: chest.cxr
      title: Chest radiograph
      objectives: [Technique, Search pattern]
    - id: chest.pleura
      title: Pleura <& effusions>
      objectives: [Pleural line]
      children:
        - {id: chest.pleura.ptx, title: Pneumothorax, objectives: [Tension signs]}
- id: neuro
  title: Neuro
  level: I
  children:
    - {id: neuro.ct, title: Head CT, objectives: [Windows]}
    - {id: neuro.bleed, title: Haemorrhage, level: II, objectives: [Extradural, Subdural]}
- id: physics
  title: Physics
"""

CASES = {"case-a": ["chest.pleura.ptx"], "case-b": ["chest.pleura.ptx", "neuro.ct"], "case-c": ["neuro.ct"]}
CARDS = {"case-a": 3, "case-b": 2, "case-c": 5}
# What each case says it teaches: (topic, objective index); chest.cxr and neuro.bleed have no case.
OBJECTIVES = {"case-a": [("chest.pleura.ptx", 0)], "case-b": [("chest.pleura", 0)], "case-c": [("neuro.ct", 0)]}


@pytest.fixture
def small(tmp_path: Path):
    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL).lstrip(), encoding="utf-8")
    return load_curriculum(path)


class WellFormed(HTMLParser):
    """Checks that every element closes in order and collects text and external references."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.references += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> WellFormed:
    parser = WellFormed()
    parser.feed(page)
    parser.close()
    return parser


class TestNumbers:
    def test_per_topic(self, small) -> None:
        coverage = compute_coverage(small, CASES, CARDS, cases_objectives=OBJECTIVES)
        ptx = coverage.topics["chest.pleura.ptx"]
        assert (ptx.cases, ptx.cards) == (("case-a", "case-b"), 5)
        pleura = coverage.topics["chest.pleura"]
        assert pleura.cases == () and pleura.branch_cases == ("case-a", "case-b") and pleura.covered
        assert pleura.objectives == (("Pleural line", ObjectiveStatus.CASE),)
        cxr = coverage.topics["chest.cxr"]
        assert not cxr.covered and [s for _, s in cxr.objectives] == [ObjectiveStatus.NONE] * 2
        assert coverage.topics["chest"].branch_cards == 5
        assert coverage.topics["neuro"].branch_cards == 7  # case-b 2 + case-c 5, each once

    def test_per_section_and_level(self, small) -> None:
        coverage = compute_coverage(small, CASES, CARDS, cases_objectives=OBJECTIVES)
        chest, neuro, physics = coverage.sections
        # chest: chest, chest.cxr, chest.pleura, chest.pleura.ptx; covered: chest, pleura, ptx
        assert chest.tally == Tally(topics=4, topics_covered=3, objectives=4, objectives_covered=2,
                                    cases=2, cards=5)
        assert neuro.tally == Tally(topics=3, topics_covered=2, objectives=3, objectives_covered=1,
                                    cases=2, cards=7)
        assert physics.tally == Tally(topics=1)
        assert [t.topic.id for t in neuro.uncovered] == ["neuro.bleed"]
        assert coverage.levels[Level.I] == Tally(topics=6, topics_covered=5, objectives=5,
                                                 objectives_covered=3, cases=3, cards=10)
        assert coverage.levels[Level.II] == Tally(topics=1, objectives=2)
        assert coverage.levels[None] == Tally(topics=1)
        assert list(coverage.levels) == [Level.I, Level.II, None]
        assert coverage.total == Tally(topics=8, topics_covered=5, objectives=7, objectives_covered=3,
                                       cases=3, cards=10)
        assert [t.topic.id for t in coverage.uncovered()] == ["chest.cxr", "neuro.bleed", "physics"]

    def test_text_only_objectives(self, small) -> None:
        coverage = compute_coverage(small, CASES, CARDS, objective_cards=True, cases_objectives=OBJECTIVES)
        assert [s for _, s in coverage.topics["neuro.bleed"].objectives] == [ObjectiveStatus.TEXT_ONLY] * 2
        assert coverage.total.objectives_covered == 3  # text-only cards do not count as cases
        assert "text only" in format_table(coverage)

    def test_unknown_topic_in_a_case(self, small) -> None:
        with pytest.raises(InputError) as caught:
            compute_coverage(small, {"case-x": ["chest.pleura.ptxx"]}, {}, source=Path("cases"))
        message = str(caught.value)
        assert "cases: case case-x: topics: unknown curriculum topic" in message
        assert "did you mean chest.pleura.ptx" in message


class TestReports:
    def test_table(self, small) -> None:
        table = format_table(compute_coverage(small, CASES, CARDS, cases_objectives=OBJECTIVES))
        lines = table.splitlines()
        ptx_line = next(line for line in lines if "chest.pleura.ptx" in line and "Pneumothorax" in line)
        assert ptx_line.split()[-5:] == ["2", "5", "1/1", "(100%)", "ok"]
        bleed_line = next(line for line in lines if "neuro.bleed" in line)
        assert bleed_line.split()[-7:] == ["II", "0", "0", "0/2", "(0%)", "NO", "CASE"]
        assert "Topics without a case (3):" in table
        assert table.rstrip().splitlines()[-3:] == ["  chest.cxr  Chest radiograph", "  neuro.bleed  Haemorrhage",
                                                    "  physics  Physics"]
        level_i = next(line for line in lines if line.startswith("I "))
        assert level_i.split() == ["I", "5/6", "(83%)", "3/5", "(60%)", "3", "10"]

    def test_html_is_well_formed_and_self_contained(self, small) -> None:
        page = render_html(compute_coverage(small, CASES, CARDS, cases_objectives=OBJECTIVES))
        parsed = parse(page)
        assert parsed.problems == [] and parsed.stack == []
        assert parsed.references == []  # no external files of any kind
        assert "script" not in parsed.tags and parsed.tags.count("svg") == 1 + 3  # overview + per section
        # Titles are escaped, not markup.
        assert "Pleura &lt;&amp; effusions&gt;" in page and "<& effusions>" not in page

    def test_html_lists_every_uncovered_topic_of_the_sample(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        cases = {"pleura-1": ["chest.pleura"], "sah-1": ["neuro.haemorrhage"], "scaphoid-1": ["msk.wrist"],
                 "sbo-1": ["gi.bowel-obstruction"]}
        coverage = compute_coverage(curriculum, cases, {case: 4 for case in cases})
        uncovered = coverage.uncovered()
        assert "chest.pleura" not in {t.topic.id for t in uncovered}
        assert {"breast", "chest.lungs", "neuro.stroke", "research"} <= {t.topic.id for t in uncovered}
        page = render_html(coverage)
        parsed = parse(page)
        assert parsed.problems == [] and parsed.stack == []
        # The closing list holds exactly the uncovered topics, in file order.
        listed = page.split('<ul id="uncovered">')[1].split("</ul>")[0]
        for topic in uncovered:
            assert f"<code>{topic.topic.id}</code>" in listed
        assert listed.count("<li") == len(uncovered)
        assert parsed.tags.count("svg") == 1 + 16


def test_the_well_formed_check_can_fail() -> None:
    parsed = parse('<div><p>text</div><img src="https://example.org/x.png">')
    assert parsed.problems == ["</div> closes p"]
    assert parsed.references == ["https://example.org/x.png"]


class TestObjectivesByWhatCasesTeach:
    """A case filed under a topic teaches only the objectives it names (``objectives:``), not all of them."""

    def test_unnamed_objectives_are_not_taught(self, small) -> None:
        coverage = compute_coverage(small, CASES, CARDS)  # no case names an objective
        assert coverage.topics["chest.pleura.ptx"].covered
        assert coverage.total.objectives_covered == 0
        named = compute_coverage(small, {"case-a": ["chest.cxr"]}, {}, cases_objectives={"case-a": [("chest.cxr", 1)]})
        assert [s for _, s in named.topics["chest.cxr"].objectives] == [ObjectiveStatus.NONE, ObjectiveStatus.CASE]

    def test_cases_name_objectives_by_number_topic_or_text(self, small) -> None:
        topics = ["chest.pleura.ptx", "neuro.ct"]
        assert small.objective(1, topics) == ("chest.pleura.ptx", 0)
        assert small.objective("neuro.ct#1", topics) == ("neuro.ct", 0)
        assert small.objective("chest.pleura#1", topics) == ("chest.pleura", 0)  # a parent's objective
        assert small.objective("pleural LINE", topics) == ("chest.pleura", 0)
        for ref, words in ((2, "has no objective 2 (value 2); its objectives are 1: Tension signs"),
                           ("chest.cxr#1", "not one of this cases topics"),
                           ("Tension sign", "did you mean Tension signs")):
            with pytest.raises(InputError) as caught:
                small.objective(ref, topics, field="objectives[0]")
            assert words in str(caught.value).replace("'", ""), str(caught.value)

    def test_sample_report_counts_what_the_sample_cases_teach(self) -> None:
        from cardgen.curriculum.report import coverage_report

        repo = Path(__file__).resolve().parent.parent
        report = coverage_report(repo / "decks" / "sample" / "cases", SAMPLE_YAML)
        topics = report.coverage.topics
        assert [s for _, s in topics["msk.spine"].objectives] == [ObjectiveStatus.CASE]
        assert topics["chest.lungs"].covered and [s for _, s in topics["chest.lungs"].objectives] == [ObjectiveStatus.NONE] * 2
