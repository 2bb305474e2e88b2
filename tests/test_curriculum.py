"""The curriculum model: YAML and CSV loading, validation messages, teaching order, tags, deck paths,
objective cards. Curricula are written by the tests (tmp_path) or read from decks/curricula/."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cardgen.curriculum.csvio import curriculum_to_csv, split_ids, split_objectives
from cardgen.curriculum import ORDER_STRIDE, Curriculum, Level, Topic, load_curriculum
from cardgen.cards.objectives import objective_fields
from cardgen.curriculum.objectives import objective_cards
from cardgen.curriculum.ordering import deck_order_conflicts
from cardgen.errors import InputError

REPO = Path(__file__).resolve().parent.parent
SAMPLE_YAML = REPO / "decks" / "curricula" / "esr-level1.yaml"
SAMPLE_CSV = REPO / "decks" / "curricula" / "esr-level1.csv"

# The sections of the ESR European Training Curriculum Level I (PRIMER section 5), in our ids.
ESR_SECTIONS = ["breast", "cardiovascular", "chest", "gi", "gyn-obs", "head-neck", "interventional",
                "msk", "neuro", "paediatric", "urogenital", "nuclear", "radiation-protection",
                "imaging-technology", "management", "research"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_curriculum(path)
    return str(caught.value)


SMALL_YAML = """
- id: chest
  title: Chest
  level: I
  children:
    - id: chest.cxr
      title: Chest radiograph
      objectives: [Check the technique, Follow a search pattern]
    - id: chest.pleura
      title: Pleura
      requires: [chest.cxr]
      radlex: [RID5352]
      objectives:
        - "Find the pleural line; measure the rim"
- id: neuro
  title: Neuro
  level: I
  requires: [chest]
  children:
    - id: neuro.bleed
      title: Haemorrhage
      level: II
    - id: neuro.ct
      title: Head CT
"""

SMALL_CSV = """
id,title,parent,level,objectives,requires,radlex
chest,Chest,,I,,,
neuro.bleed,Haemorrhage,neuro,II,,,
chest.cxr,Chest radiograph,chest,,Check the technique; Follow a search pattern,,
chest.pleura,Pleura,chest,,Find the pleural line; measure the rim |,chest.cxr,RID5352
neuro,Neuro,,I,,chest,
neuro.ct,Head CT,neuro,,,,
"""


class TestLoading:
    def test_yaml_fields(self, tmp_path: Path) -> None:
        curriculum = load_curriculum(write(tmp_path, "c.yaml", SMALL_YAML))
        pleura = curriculum.topic("chest.pleura")
        assert pleura == Topic(id="chest.pleura", title="Pleura", level=Level.I, parent="chest", order=2,
                               objectives=("Find the pleural line; measure the rim",),
                               requires=("chest.cxr",), radlex=("RID5352",))
        assert curriculum.topic("neuro.bleed").level is Level.II
        assert curriculum.topic("neuro.ct").level is Level.I  # inherited from the section
        assert [t.id for t in curriculum.sections()] == ["chest", "neuro"]
        assert [t.id for t in curriculum.children("chest")] == ["chest.cxr", "chest.pleura"]

    def test_csv_equals_yaml(self, tmp_path: Path) -> None:
        # A child's row before its parent's; '|' makes ';' part of the objective's text.
        from_yaml = load_curriculum(write(tmp_path, "c.yaml", SMALL_YAML))
        from_csv = load_curriculum(write(tmp_path, "c.csv", SMALL_CSV))
        assert list(from_csv.topics.values()) == list(from_yaml.topics.values())
        assert [t.id for t in from_csv.in_file_order()] == [t.id for t in from_yaml.in_file_order()]
        assert from_csv.topic("chest.pleura").where == "row 5"

    def test_sample_csv_is_the_sample_yaml(self) -> None:
        from_yaml = load_curriculum(SAMPLE_YAML)
        from_csv = load_curriculum(SAMPLE_CSV)
        assert list(from_csv.topics.values()) == list(from_yaml.topics.values())
        # The CSV is what the writer makes of the YAML: regenerate it with curriculum_to_csv.
        assert SAMPLE_CSV.read_text(encoding="utf-8") == curriculum_to_csv(from_yaml)

    def test_writer_round_trip_keeps_semicolons(self, tmp_path: Path) -> None:
        curriculum = load_curriculum(write(tmp_path, "c.yaml", SMALL_YAML))
        path = tmp_path / "out.csv"
        path.write_text(curriculum_to_csv(curriculum), encoding="utf-8")
        assert list(load_curriculum(path).topics.values()) == list(curriculum.topics.values())

    def test_sample_has_the_16_esr_sections(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        assert [t.id for t in curriculum.sections()] == ESR_SECTIONS
        assert all(t.level is Level.I for t in curriculum.sections())
        for cited in ["chest.pleura", "neuro.haemorrhage", "msk.wrist", "gi.bowel-obstruction"]:
            assert curriculum.topic(cited).objectives
        # One sub-deck per section keeps every prerequisite in an earlier or the same deck; a sub-deck
        # per topic would serve "Describing a fracture" after the injuries that need it.
        assert deck_order_conflicts(curriculum, depth=1) == []
        assert [(c.topic, c.required) for c in deck_order_conflicts(curriculum, depth=2)] == [
            ("msk.wrist", "msk.fracture-description"), ("msk.hip", "msk.fracture-description")]

    def test_splitting_cells(self) -> None:
        assert split_objectives("a; b ;c") == ["a", "b", "c"]
        assert split_objectives("a; still a | b") == ["a; still a", "b"]
        assert split_ids("x.a; x.b, x.c | x.d  x.e") == ["x.a", "x.b", "x.c", "x.d", "x.e"]

    def test_csv_with_bom_and_blank_lines(self, tmp_path: Path) -> None:
        path = tmp_path / "c.csv"
        path.write_bytes("\ufeffid,title\nchest,Chest\n,\n\nlungs,Lungs\n".encode())
        assert [t.id for t in load_curriculum(path).in_file_order()] == ["chest", "lungs"]


class TestValidation:
    def test_duplicate_yaml_names_both_places(self, tmp_path: Path) -> None:
        path = write(tmp_path, "c.yaml", """
            - id: chest
              title: Chest
              children:
                - id: pleura
                  title: Pleura
            - id: pleura
              title: Pleura again
            """)
        message = error_of(path)
        assert "duplicate topic id, at [0].children[0] and at [1]" in message
        assert "'pleura'" in message and str(path) in message

    def test_duplicate_csv_names_both_rows(self, tmp_path: Path) -> None:
        path = write(tmp_path, "c.csv", "id,title,parent\nchest,Chest,\npleura,Pleura,chest\npleura,Again,\n")
        message = error_of(path)
        assert "duplicate topic id, at row 3 and at row 4" in message
        assert "row 4, column id" in message

    def test_a_column_written_twice_is_refused(self, tmp_path: Path) -> None:
        # the later column silently won: 'chest' became 'chest2', and the cases' topics were unknown
        path = write(tmp_path, "c.csv", "id,title,parent,id\nchest,Chest,,chest2\n")
        message = error_of(path)
        assert "row 1: duplicate column, at columns 1 and 4" in message and "'id'" in message

    def test_prerequisite_cycle_gives_the_path(self, tmp_path: Path) -> None:
        path = write(tmp_path, "c.csv", """
            id,title,parent,requires
            chest,Chest,,
            a,A,chest,b
            b,B,chest,c
            c,C,chest,a
            """)
        message = error_of(path)
        assert "prerequisite cycle" in message
        assert "a (row 3) requires b (row 4)" in message
        assert "b (row 4) requires c (row 5)" in message
        assert "c (row 5) requires a (row 3)" in message

    def test_cycle_through_a_section_names_the_inheritance(self, tmp_path: Path) -> None:
        path = write(tmp_path, "c.yaml", """
            - id: chest
              title: Chest
              requires: [neuro]
              children: [{id: chest.cxr, title: CXR}]
            - id: neuro
              title: Neuro
              children: [{id: neuro.ct, title: CT, requires: [chest.cxr]}]
            """)
        message = error_of(path)
        assert "prerequisite cycle" in message
        assert "inherited from 'chest'" in message or "part of 'neuro'" in message
        assert "neuro.ct ([1].children[0]) requires chest.cxr ([0].children[0])" in message

    def test_requiring_own_branch(self, tmp_path: Path) -> None:
        path = write(tmp_path, "c.yaml", """
            - id: chest
              title: Chest
              requires: [chest.cxr]
              children: [{id: chest.cxr, title: CXR}]
            """)
        message = error_of(path)
        assert "requires its own ancestor or descendant chest.cxr ([0].children[0])" in message

    def test_unknown_requirement_suggests(self, tmp_path: Path) -> None:
        path = write(tmp_path, "c.yaml", """
            - id: chest
              title: Chest
              children:
                - {id: chest.pleura, title: Pleura}
                - {id: chest.lungs, title: Lungs, requires: [chest.plura]}
            """)
        message = error_of(path)
        assert "requires an unknown topic" in message
        assert "[0].children[1].requires" in message
        assert "'chest.plura'" in message and "did you mean chest.pleura" in message

    def test_unknown_topic_suggests(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        with pytest.raises(InputError) as caught:
            curriculum.topic("chest.plaura", file=Path("cases/a/case.yaml"), field="topics[0]")
        message = str(caught.value)
        assert message.startswith("cases/a/case.yaml: topics[0]: unknown curriculum topic")
        assert "did you mean chest.pleura" in message

    def test_unknown_parent_and_parent_loop(self, tmp_path: Path) -> None:
        message = error_of(write(tmp_path, "a.csv", "id,title,parent\nchest,Chest,\nlung,Lung,chets\n"))
        assert "row 3, column parent" in message and "did you mean chest" in message
        message = error_of(write(tmp_path, "b.csv", "id,title,parent\nchest,Chest,\na,A,b\nb,B,a\n"))
        assert "never reaches a top-level section" in message and "row 3" in message

    @pytest.mark.parametrize(("snippet", "expected"), [
        ("{id: a, title: A, radlex: [RID12x]}", "[0].radlex[0]: not a RadLex id (value 'RID12x')"),
        ("{id: a, title: A, level: IV}", "[0].level: unknown level (value 'IV'); use I, II or III"),
        ("{id: a b, title: A}", "[0].id: a topic needs an id"),
        ("{id: a, title: ''}", "[0].title: a topic needs a title"),
        ("{id: a, title: A, objectives: [3]}", "[0].objectives[0]: an objective is a line of text"),
        ("{id: a, title: A, prereqs: [b]}", "[0].prereqs: unknown topic key"),
    ])
    def test_topic_values(self, tmp_path: Path, snippet: str, expected: str) -> None:
        assert expected in error_of(write(tmp_path, "c.yaml", f"- {snippet}\n"))

    def test_csv_header_and_file_type(self, tmp_path: Path) -> None:
        message = error_of(write(tmp_path, "c.csv", "id,titel\na,A\n"))
        assert "unknown column" in message and "did you mean title" in message
        assert "unknown curriculum file type" in error_of(write(tmp_path, "c.txt", "x"))


class TestOrder:
    def test_teaching_order_puts_prerequisites_first(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        order = curriculum.teaching_order()
        assert sorted(order) == sorted(curriculum.topics)
        place = {topic_id: i for i, topic_id in enumerate(order)}
        checked = 0
        for topic_id in order:
            for required in curriculum.prerequisites(topic_id):
                assert place[required] < place[topic_id], (required, topic_id)
                checked += 1
        assert checked >= 15  # the sample really has prerequisites to respect
        # Requiring a section requires its topics; level II comes after every level I topic.
        assert curriculum.prerequisites("interventional.vascular-access") == [
            "cardiovascular", "cardiovascular.aorta"]
        assert order[-2:] == ["gi.liver-lesions", "msk.bone-tumours"]

    def test_prerequisite_pulled_forward_just_in_time(self, tmp_path: Path) -> None:
        curriculum = load_curriculum(write(tmp_path, "c.yaml", """
            - id: a
              title: A
              children:
                - {id: a.one, title: One}
                - {id: a.two, title: Two, requires: [z.base]}
                - {id: a.three, title: Three}
            - id: z
              title: Z
              children: [{id: z.base, title: Base}, {id: z.more, title: More}]
            """))
        assert curriculum.teaching_order() == ["a", "a.one", "z.base", "a.two", "a.three", "z", "z.more"]
        assert curriculum.order_key("a") == ORDER_STRIDE
        assert curriculum.order_key("z.base", within=5) == 3 * ORDER_STRIDE + 5
        assert curriculum.order_key_for(["a.one", "a.two"]) == 4 * ORDER_STRIDE
        conflicts = deck_order_conflicts(curriculum, depth=1)
        assert [(c.topic, c.required) for c in conflicts] == [("a.two", "z.base")]
        assert "01 A" in str(conflicts[0]) and "02 Z" in str(conflicts[0])

    def test_level_before_file_order(self, tmp_path: Path) -> None:
        curriculum = load_curriculum(write(tmp_path, "c.yaml", SMALL_YAML))
        assert curriculum.teaching_order() == ["chest", "chest.cxr", "chest.pleura", "neuro", "neuro.ct",
                                               "neuro.bleed"]

    def test_order_is_deterministic(self) -> None:
        assert load_curriculum(SAMPLE_YAML).teaching_order() == load_curriculum(SAMPLE_CSV).teaching_order()

    def test_within_is_bounded(self) -> None:
        with pytest.raises(ValueError):
            load_curriculum(SAMPLE_YAML).order_key("chest", within=ORDER_STRIDE)


class TestDeckStructure:
    def test_tags_sort_in_curriculum_order(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        tags = [curriculum.tag(t.id) for t in curriculum.in_file_order()]
        assert tags == sorted(tags)
        assert len(set(tags)) == len(tags)
        assert curriculum.tag("chest.pleura") == "cardgen::topic::03_chest::03_pleura"
        assert curriculum.level_tag("gi.liver-lesions") == "cardgen::level::II"

    def test_tags_pad_past_99_siblings(self) -> None:
        topics = [Topic(id="s", title="S")] + [Topic(id=f"s.t{i}", title=f"T{i}", parent="s", order=i)
                                               for i in range(1, 121)]
        curriculum = Curriculum(topics)
        tags = [curriculum.tag(f"s.t{i}") for i in range(1, 121)]
        assert tags == sorted(tags) and tags[0] == "cardgen::topic::01_s::001_t1"

    def test_deck_paths(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        assert curriculum.deck_path("chest.pleura.effusion") == ["Chest imaging", "Pleura", "Pleural effusion"]
        assert curriculum.deck_path("chest.pleura.effusion", depth=2, numbered=True) == [
            "03 Chest imaging", "03 Pleura"]
        names = ["::".join(curriculum.deck_path(t.id, numbered=True)) for t in curriculum.in_file_order()]
        assert names == sorted(names)


class TestObjectiveCards:
    def test_cards_for_topics_without_cases(self) -> None:
        curriculum = load_curriculum(SAMPLE_YAML)
        cards = objective_cards(curriculum, topics_with_cases={"chest.pleura"})
        assert all(card.topic_id != "chest.pleura" for card in cards)
        expected = sum(len(t.objectives) for t in curriculum.topics.values()) - 2
        assert len(cards) == expected
        haemorrhage = [c for c in cards if c.topic_id == "neuro.haemorrhage"]
        assert [(c.index, c.text[:20]) for c in haemorrhage] == [
            (1, "Tell extradural from"), (2, "Look for subarachnoi")]
        assert haemorrhage[1].identity == "objective:neuro.haemorrhage#2"
        order = curriculum.teaching_order()
        assert [order.index(c.topic_id) for c in cards] == sorted(order.index(c.topic_id) for c in cards)

    def test_fields_are_escaped_and_marked(self) -> None:
        curriculum = Curriculum([Topic(id="a", title="A <b>", objectives=("x < y & z",))])
        card = objective_cards(curriculum)[0]
        fields = objective_fields(curriculum, card)
        assert "Text-only card" in fields["Front"] and "A &lt;b&gt;" in fields["Front"]
        assert "x &lt; y &amp; z" in fields["Back"] and "<b>" not in fields["Front"]
        assert fields["Kind"] == "text-only objective"
