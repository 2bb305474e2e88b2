"""The curriculum's order, sub-decks and tags as the real Anki backend sees them.

Each test builds a genanki deck directly (one or more notes per topic, sub-decks from
``Curriculum.deck_path``, due positions from ``Curriculum.order_key``), imports it into a fresh
collection and reads the order in which the scheduler serves new cards from
``col.sched.get_queued_cards()``: the topic of each served card comes from the imported note's tags,
not from our own data.

genanki writes ``Note.due`` into the ``due`` column of every card of the note (for new cards: the
position), and importing into an empty collection keeps it.
"""

from __future__ import annotations

import textwrap
import zlib
from pathlib import Path

import genanki
import pytest
from anki.collection import Collection
from anki.deck_config_pb2 import DeckConfig

from cardgen.curriculum import Curriculum, load_curriculum
from cardgen.curriculum.ordering import deck_order_conflicts
from tests.anki_helpers import import_package

SAMPLE_YAML = Path(__file__).resolve().parent.parent / "decks" / "curricula" / "esr-level1.yaml"
ROOT = "ESR sample"
SECTION_DECKS = 1  # the build's default: one sub-deck per section
Gather = DeckConfig.Config.NewCardGatherPriority
Sort = DeckConfig.Config.NewCardSortOrder

BASIC = genanki.Model(
    1_700_000_001, "cardgen curriculum test basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}])
CLOZE = genanki.Model(
    1_700_000_002, "cardgen curriculum test cloze", fields=[{"name": "Text"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}"}],
    model_type=genanki.Model.CLOZE)


def deck_name(curriculum: Curriculum, topic_id: str, depth: int) -> str:
    return "::".join([ROOT, *curriculum.deck_path(topic_id, depth, numbered=True)])


def build_deck(curriculum: Curriculum, out: Path, *, depth: int = SECTION_DECKS, cloze_every: int = 0) -> Path:
    """One basic note per topic; with ``cloze_every`` also a three-card cloze note on every n-th topic
    (like an image-occlusion note with three regions)."""
    decks: dict[str, genanki.Deck] = {}
    for number, topic in enumerate(curriculum.in_file_order()):
        name = deck_name(curriculum, topic.id, depth)
        deck = decks.setdefault(name, genanki.Deck(zlib.crc32(name.encode()), name))
        tags = [curriculum.tag(topic.id), curriculum.level_tag(topic.id) or "cardgen::level::none"]
        deck.add_note(genanki.Note(model=BASIC, fields=[topic.title, topic.id], tags=tags,
                                   guid=genanki.guid_for(topic.id), due=curriculum.order_key(topic.id)))
        if cloze_every and number % cloze_every == 0:
            text = " ".join(f"{{{{c{i}::{topic.id} part {i}}}}}" for i in (1, 2, 3))
            deck.add_note(genanki.Note(model=CLOZE, fields=[text], tags=tags, guid=genanki.guid_for(topic.id, "io"),
                                       due=curriculum.order_key(topic.id, within=1)))
    genanki.Package(list(decks.values())).write_to_file(out, timestamp=1_700_000_000)
    return out


def served_topics(col: Collection, curriculum: Curriculum, *, gather: int | None = None,
                  sort: int | None = None) -> list[tuple[str, int]]:
    """(topic id, card ordinal) of every new card, in the order the scheduler serves them."""
    by_tag = {curriculum.tag(topic_id).lower(): topic_id for topic_id in curriculum.topics}
    root = col.decks.id_for_name(ROOT)
    config = col.decks.config_dict_for_deck_id(root)
    config["new"]["perDay"] = 9999  # the default 20 a day would cut the queue short
    if gather is not None:
        config["newGatherPriority"] = gather
    if sort is not None:
        config["newSortOrder"] = sort
    col.decks.update_config(config)
    col.decks.select(root)
    queued = col.sched.get_queued_cards(fetch_limit=5000).cards
    served = []
    for entry in queued:
        card = col.get_card(entry.card.id)
        topic_tags = [t for t in card.note().tags if t.lower() in by_tag]
        assert len(topic_tags) == 1, card.note().tags
        served.append((by_tag[topic_tags[0].lower()], card.ord))
    return served


def prerequisite_violations(curriculum: Curriculum, served: list[tuple[str, int]], *,
                            strict: bool) -> list[tuple[str, str]]:
    """(topic, requirement) pairs where a card of the topic came before the requirement was taught:
    strict -> before *every* card of the requirement; otherwise before its first card."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for place, (topic_id, _) in enumerate(served):
        first.setdefault(topic_id, place)
        last[topic_id] = place
    taught = last if strict else first
    return [(topic_id, required) for topic_id in first for required in curriculum.prerequisites(topic_id)
            if required in taught and taught[required] > first[topic_id]]


def pairs_checked(curriculum: Curriculum) -> int:
    return sum(len(curriculum.prerequisites(t)) for t in curriculum.topics)


@pytest.fixture(scope="module")
def sample() -> Curriculum:
    return load_curriculum(SAMPLE_YAML)


def test_default_preset_serves_prerequisites_first(collection: Collection, sample: Curriculum,
                                                   tmp_path: Path) -> None:
    import_package(collection, build_deck(sample, tmp_path / "deck.apkg"))
    served = served_topics(collection, sample)
    assert len(served) == len(sample.topics)
    assert pairs_checked(sample) >= 15
    assert prerequisite_violations(sample, served, strict=True) == []
    # Section by section (sub-decks by name), and inside each section the teaching order exactly,
    # which differs from the file order where a prerequisite is listed late.
    expected = [t for section in sample.sections() for t in sample.teaching_order()
                if sample.section_of(t).id == section.id]
    assert [t for t, _ in served] == expected
    msk = [t for t, _ in served if t.startswith("msk.")]
    assert msk == ["msk.fracture-description", "msk.wrist", "msk.hip", "msk.spine", "msk.bone-tumours"]


def test_multi_card_notes_default_and_position_presets(collection: Collection, sample: Curriculum,
                                                      tmp_path: Path) -> None:
    import_package(collection, build_deck(sample, tmp_path / "deck.apkg", cloze_every=2))
    # Default preset sorts by card type first: a note's second and third cards come after every
    # first card, so only the introduction of each topic follows the prerequisites.
    served = served_topics(collection, sample)
    assert len(served) == len(sample.topics) + 3 * len(range(0, len(sample.topics), 2))
    assert prerequisite_violations(sample, served, strict=False) == []
    assert prerequisite_violations(sample, served, strict=True) != []
    # "Gather by ascending position" + "sort: order gathered" follows the due positions across all
    # sub-decks: every card of a prerequisite comes first, and level II comes after level I.
    served = served_topics(collection, sample, gather=Gather.NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION,
                           sort=Sort.NEW_CARD_SORT_ORDER_NO_SORT)
    assert prerequisite_violations(sample, served, strict=True) == []
    topics_in_order = list(dict.fromkeys(t for t, _ in served))
    assert topics_in_order == sample.teaching_order()
    assert topics_in_order[-2:] == ["gi.liver-lesions", "msk.bone-tumours"]


def test_deck_order_conflict_is_real(collection: Collection, tmp_path: Path) -> None:
    # A prerequisite in a later section: the check predicts it, Anki's default order shows it, and the
    # position preset fixes it.
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent("""
        - id: chest
          title: Chest
          children: [{id: chest.ct, title: Chest CT, requires: [tech.ct]}]
        - id: tech
          title: Technology
          children: [{id: tech.ct, title: CT physics}]
        """).lstrip(), encoding="utf-8")
    curriculum = load_curriculum(path)
    assert [(c.topic, c.required) for c in deck_order_conflicts(curriculum, SECTION_DECKS)] == [("chest.ct", "tech.ct")]
    import_package(collection, build_deck(curriculum, tmp_path / "deck.apkg"))
    served = served_topics(collection, curriculum)
    assert ("chest.ct", "tech.ct") in prerequisite_violations(curriculum, served, strict=False)
    served = served_topics(collection, curriculum, gather=Gather.NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION,
                           sort=Sort.NEW_CARD_SORT_ORDER_NO_SORT)
    assert [t for t, _ in served] == ["chest", "tech.ct", "chest.ct", "tech"]


def test_sub_decks_and_tags_match_the_curriculum(collection: Collection, sample: Curriculum,
                                                 tmp_path: Path) -> None:
    import_package(collection, build_deck(sample, tmp_path / "deck.apkg", depth=2))
    names = sorted(d.name for d in collection.decks.all_names_and_ids() if d.name.startswith(ROOT + "::"))
    sections = [f"{ROOT}::{t.order:02d} {t.title}" for t in sample.sections()]
    topics = [f"{ROOT}::{s.order:02d} {s.title}::{t.order:02d} {t.title}"
              for s in sample.sections() for t in sample.children(s.id)]
    assert names == sorted(sections + topics)
    # Anki lists the deck tree in curriculum order (section, its topics, next section).
    tree = [name for name in (d.name for d in collection.decks.all_names_and_ids()) if name.startswith(ROOT + "::")]
    expected_tree = []
    for section in sample.sections():
        expected_tree.append(f"{ROOT}::{section.order:02d} {section.title}")
        expected_tree += [f"{ROOT}::{section.order:02d} {section.title}::{t.order:02d} {t.title}"
                          for t in sample.children(section.id)]
    assert tree == expected_tree
    # Each note sits in its topic's deck and carries its topic and level tags.
    for note_id in collection.find_notes(f'"deck:{ROOT}"'):
        note = collection.get_note(note_id)
        topic_id = note["Back"]
        card = note.cards()[0]
        assert collection.decks.name(card.did) == deck_name(sample, topic_id, 2)
        assert sorted(note.tags) == sorted([sample.tag(topic_id), sample.level_tag(topic_id)])
    # Anki's own tag list sorts the topic tags in curriculum order.
    topic_tags = [t for t in collection.tags.all() if t.startswith("cardgen::topic::")]
    assert topic_tags == [sample.tag(t.id) for t in sample.in_file_order()]
    assert collection.find_cards("tag:cardgen::topic::03_chest::03_pleura") != []
    assert len(collection.find_cards("tag:cardgen::level::II")) == 2
