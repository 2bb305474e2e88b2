"""FSRS parameters fitted to a learner: a history studied through the real scheduler, large enough for
Anki's optimizer, gets parameters of its own; a small one keeps Anki's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from anki.collection import Collection

from cardgen.learners.importer import import_history
from cardgen.learners.store import open_store, states_of
from tests.anki_helpers import open_collection
from tests.test_learners import _study


def _learner_collection(folder: Path, cards: int) -> Collection:
    """A real collection holding ``cards`` Basic notes tagged the way cardgen tags its notes: the
    importer finds cardgen notes by their tags, so the notetype does not matter here."""
    col = open_collection(folder)
    basic, deck = col.models.by_name("Basic"), col.decks.id("cardgen")
    for index in range(cards):
        note = col.new_note(basic)
        note["Front"], note["Back"] = f"finding {index}", "answer"
        note.tags = [f"cardgen::case::case-{index:02d}", "cardgen::topic::chest::nodules"]
        col.add_note(note, deck)
    return col


def _studied_and_imported(tmp_path: Path, cards: int, days: int) -> tuple[str, dict, dict]:
    """Study, export a .colpkg, import it; the import's params, and each card's (stability, difficulty)
    as stored and as the learner's own collection (Anki's default parameters) computes it."""
    col = _learner_collection(tmp_path / "anki", cards)
    try:
        _study(col, days=days, forgetting=1.0, seed=5)
        export = tmp_path / "learner.colpkg"
        col.export_collection_package(str(export), include_media=False, legacy=False)
        col.reopen()
        assert not col.decks.config_dict_for_deck_id(col.decks.id("cardgen")).get("fsrsParams6")  # defaults
        defaults = {}
        for card_id in col.find_cards(""):
            card, memory = col.get_card(card_id), col.compute_memory_state(card_id)
            if memory.stability is not None:
                defaults[(card.note().guid, card.ord)] = (memory.stability, memory.difficulty)
    finally:
        col.close()
    result = import_history(export, "ana", tmp_path / "learners")
    with open_store(tmp_path / "learners") as connection:
        stored = {(s.note_guid, s.card_ord): s for s in states_of(connection, "ana")}
    assert {s.params for s in stored.values()} == {result.params}
    return result.params, {k: (s.stability, s.difficulty) for k, s in stored.items()}, defaults


def test_large_history_gets_parameters_of_its_own(tmp_path: Path) -> None:
    # 60 cards over 25 days: about 1,400 reviews, about 700 of them a day or more after the previous one.
    params, stored, defaults = _studied_and_imported(tmp_path, cards=60, days=25)
    assert params == "fitted"
    assert stored.keys() == defaults.keys() and len(stored) == 60
    differing = [key for key in stored if stored[key][0] != pytest.approx(defaults[key][0], rel=0.02)]
    assert len(differing) > len(stored) // 2, "fitted parameters left the memory states as the defaults'"


def test_small_history_keeps_the_defaults(tmp_path: Path) -> None:
    params, stored, defaults = _studied_and_imported(tmp_path, cards=8, days=4)
    assert params == "default"
    assert stored.keys() == defaults.keys() and stored  # every studied card has a state
    for key, (stability, difficulty) in stored.items():
        assert stability == pytest.approx(defaults[key][0], rel=1e-4)
        assert difficulty == pytest.approx(defaults[key][1], rel=1e-4)

