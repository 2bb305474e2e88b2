"""The add-on's scheduling logic against the real Anki backend (no Qt): band sub-decks and presets,
pace, curriculum order with hard cards spread out, one undo step, nothing twice, no other note touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from anki.collection import Collection
from hypothesis import given
from hypothesis import strategies as st

from cardgen.addon.policy import BAND_POLICIES, DEFAULT_PACE, PACE_PRESET_PREFIX, band_deck, home_deck, spread_hard
from cardgen.addon.scheduling import UNDO_NAME, apply_scheduling, plan_scheduling
from cardgen.build import BuildOptions, build_deck
from cardgen.difficulty import Difficulty
from cardgen.learners.deck_marks import band_from_tags, deck_description
from cardgen.tags import CARDGEN_SEARCH
from tests.anki_helpers import import_package
from tests.sample_cases import write_cases_with_priors

ROOT = "Course"


def class_deck(root: Path, count: int = 3) -> Path:
    """A class deck of ``count`` cases with priors hard, medium, easy in turn (GOOD_CASE with pydicom's
    bundled CT_small.dcm, see tests/sample_cases.py)."""
    out = root / "class.apkg"
    build_deck(BuildOptions(cases_dir=write_cases_with_priors(root, count), out=out, deck_name=ROOT))
    return out


def _personal_note(col: Collection) -> tuple[int, int]:
    """A note of the learner's own, in a deck of their own: (card id, its due position)."""
    deck_id = col.decks.add_normal_deck_with_name("Mine").id
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "my question", "my answer"
    col.add_note(note, deck_id)
    card = note.cards()[0]
    return card.id, card.due


def _cardgen_cards(col: Collection) -> list:
    return [col.get_card(card_id) for card_id in col.find_cards(CARDGEN_SEARCH)]


@pytest.fixture
def course(tmp_path: Path, collection: Collection) -> Collection:
    import_package(collection, class_deck(tmp_path))
    return collection


def test_cards_go_to_band_decks_with_band_presets(course: Collection) -> None:
    mine, mine_due = _personal_note(course)
    default_preset = course.decks.get_config(1)
    homes = {card.id: course.decks.name(card.did) for card in _cardgen_cards(course)}

    report = apply_scheduling(course)

    cards = _cardgen_cards(course)
    assert report.cards_moved == len(cards) > 0
    assert set(report.bands) == {Difficulty.HARD, Difficulty.MEDIUM, Difficulty.EASY}
    for card in cards:
        band = band_from_tags(card.note().tags)
        deck = course.decks.name(card.did)
        assert deck == band_deck(homes[card.id], band)
        preset = course.decks.config_dict_for_deck_id(card.did)
        policy = BAND_POLICIES[band]
        assert preset["name"] == policy.preset_name
        assert preset["desiredRetention"] == pytest.approx(policy.desired_retention, abs=1e-6)
        assert preset["rev"]["ivlFct"] == pytest.approx(policy.interval_multiplier, abs=1e-6)
        assert [float(step) for step in preset["new"]["delays"]] == list(policy.learn_steps)
        assert [float(step) for step in preset["lapse"]["delays"]] == list(policy.relearn_steps)
    root_preset = course.decks.config_dict_for_deck_id(course.decks.id_for_name(ROOT))
    assert root_preset["name"] == PACE_PRESET_PREFIX + ROOT
    assert root_preset["new"]["perDay"] == DEFAULT_PACE == report.paces[ROOT]
    # Nothing of the learner's own changed: their note, its deck, their default preset.
    card = course.get_card(mine)
    assert (course.decks.name(card.did), card.due) == ("Mine", mine_due)
    assert course.decks.config_dict_for_deck_id(card.did)["name"] == "Default"
    assert course.decks.get_config(1)["new"] == default_preset["new"]


def test_applying_is_one_undo_step_and_idempotent(course: Collection) -> None:
    homes = {card.id: card.did for card in _cardgen_cards(course)}
    presets_before = sorted(c["name"] for c in course.decks.all_config())

    apply_scheduling(course)
    assert course.undo_status().undo == UNDO_NAME
    assert plan_scheduling(course).is_empty()  # the policy holds: a second run has nothing to do
    again = apply_scheduling(course)
    assert (again.cards_moved, again.decks_created, again.decks_preset, again.new_cards_ordered) == (0, 0, 0, 0)
    assert course.undo_status().undo == UNDO_NAME  # no empty second step either

    course.undo()
    assert {card.id: card.did for card in _cardgen_cards(course)} == homes
    assert sorted(c["name"] for c in course.decks.all_config()) == presets_before


def test_pace_from_the_deck_description_and_order(tmp_path: Path, collection: Collection) -> None:
    import_package(collection, class_deck(tmp_path, count=6))
    root = collection.decks.by_name(ROOT)
    root["desc"] = deck_description(4, "ann", None)  # what a learner's deck carries (cardgen.learners.personal)
    collection.decks.save(root)
    curriculum = [card.id for card in sorted((c for c in _cardgen_cards(collection) if c.queue == 0),
                                             key=lambda c: (c.due, c.id))]

    report = apply_scheduling(collection)

    assert report.paces == {ROOT: 4}
    for deck in (ROOT, *(home_deck(collection.decks.name(c.did)) for c in _cardgen_cards(collection))):
        assert collection.decks.config_dict_for_deck_id(collection.decks.id_for_name(deck))["new"]["perDay"] == 4
    new = sorted((c for c in _cardgen_cards(collection) if c.queue == 0), key=lambda c: c.due)
    order = [c.id for c in new]
    bands = [band_from_tags(c.note().tags) for c in new]
    assert sorted(order) == sorted(curriculum)
    assert order == spread_hard([(cid, band_from_tags(collection.get_card(cid).note().tags))
                                 for cid in curriculum], 4)
    # One day's worth (4 cards) holds at most one hard card, as long as other cards are left to
    # put between them (the rest come last).
    spread_part = bands[:max(i for i, b in enumerate(bands) if b is not Difficulty.HARD) + 1]
    assert spread_part.count(Difficulty.HARD) >= 2
    assert all(spread_part[i:i + 4].count(Difficulty.HARD) <= 1 for i in range(len(spread_part)))
    assert bands != [band_from_tags(collection.get_card(cid).note().tags) for cid in curriculum]
    # The cards Anki itself would show first, studying the root deck, follow that order.
    collection.decks.select(collection.decks.id_for_name(ROOT))
    queued = collection.sched.get_queued_cards(fetch_limit=4).cards
    assert [q.card.id for q in queued] == order[:4]


def test_home_deck_strips_only_band_sub_decks() -> None:
    assert home_deck("Course::01 Chest::Hard") == "Course::01 Chest"
    assert home_deck("Course::01 Chest") == "Course::01 Chest"
    assert home_deck("Hard") == "Hard"  # a top-level deck named Hard is nobody's band deck


@given(st.lists(st.sampled_from(list(Difficulty)), max_size=60), st.integers(min_value=1, max_value=30))
def test_spread_hard_keeps_every_card_and_both_orders(bands: list[Difficulty], pace: int) -> None:
    ordered = list(enumerate(bands))
    spread = spread_hard(ordered, pace)
    assert sorted(spread) == list(range(len(bands)))
    hard = [i for i, b in ordered if b is Difficulty.HARD]
    assert [i for i in spread if i in hard] == hard
    assert [i for i in spread if i not in hard] == [i for i, b in ordered if b is not Difficulty.HARD]
    assert spread_hard([(i, bands[i]) for i in spread], pace) == spread  # a spread order stays as it is


def test_more_operations_than_ankis_undo_limit_are_still_one_step(collection: Collection) -> None:
    """Anki keeps 30 undo entries: 12 topic decks x 3 bands make well over 30 operations."""
    basic = collection.models.by_name("Basic")
    homes = {}
    for topic in range(12):
        deck_id = collection.decks.add_normal_deck_with_name(f"{ROOT}::T{topic:02d}").id
        for band in Difficulty:
            note = collection.new_note(basic)
            note["Front"] = f"{topic} {band.value}"
            note.tags = [f"cardgen::case::t{topic}-{band.value}", f"cardgen::difficulty::{band.value}"]
            collection.add_note(note, deck_id)
            homes[note.cards()[0].id] = deck_id

    report = apply_scheduling(collection)

    assert report.decks_created == 36 and report.cards_moved == 36
    assert collection.undo_status().undo == UNDO_NAME
    collection.undo()
    assert {card_id: collection.get_card(card_id).did for card_id in homes} == homes
    assert collection.decks.by_name(f"{ROOT}::T00::Hard") is None
