"""The class's FSRS parameters, from the learners database into the deck description and from there into
the add-on's cardgen preset (cold start), through the real Anki backend end to end.

The learner histories are made as in tests/test_learners.py: a class deck of tests/sample_cases.py cases
(pydicom's bundled CT_small.dcm) imported into fresh Anki collections and studied for 30 days through
Anki's own scheduler, answering from a simple recall model (``_study``), then exported and imported with
``cardgen learners import``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cardgen.addon import drive
from cardgen.addon.policy import PRESET_PREFIX
from cardgen.build import BuildOptions, build_deck
from cardgen.learners.class_fit import class_fsrs_params
from cardgen.learners.deck_marks import FSRS_MARKER, deck_description, fsrs_mark, fsrs_params_in
from cardgen.learners.importer import import_history
from cardgen.learners.model import Review
from cardgen.learners.store import database_path, reviews_of
from cardgen.tags import CARDGEN_SEARCH
from tests.anki_helpers import import_package, open_collection
from tests.sample_cases import write_cases_with_priors
from tests.test_learners import _study

PARAMS = [0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835, 0.0614,
          0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542]


def test_the_mark_reads_back_what_was_written() -> None:
    odd = [1e-7, -0.0, 123.4567891, 0.1 + 0.2] + PARAMS[4:19]
    for params in (PARAMS, PARAMS[:19], odd):
        text = deck_description(12, "anna", None, params)
        back = fsrs_params_in(text)
        assert back == pytest.approx(params, abs=1e-6)
        assert "e" not in fsrs_mark(params).split("fsrs=")[1]
    assert fsrs_params_in(FSRS_MARKER.format(params="1,2,3")) is None  # no FSRS version has 3 parameters
    assert fsrs_params_in(deck_description(12, "anna", None)) is None


def test_too_few_reviews_give_no_parameters() -> None:
    day = 86_400_000
    reviews = [("anna", Review("g", 0, 1_700_000_000_000 + i * day, 3, 1, 1, 0, 5000, 0 if i == 0 else 1))
               for i in range(3)]
    assert class_fsrs_params(reviews, {"g"}) is None
    assert class_fsrs_params([], {"g"}) is None


def test_class_parameters_reach_the_addons_preset(tmp_path: Path) -> None:
    cases = write_cases_with_priors(tmp_path, 6)
    first_deck = tmp_path / "class.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=first_deck))
    learners_dir = tmp_path / "learners"
    for name, forgetting, seed in (("steady", 0.2, 1), ("forgetful", 3.0, 2), ("middling", 1.0, 3)):
        col = open_collection(tmp_path / name)
        try:
            import_package(col, first_deck)
            _study(col, days=30, forgetting=forgetting, seed=seed)
            export = tmp_path / f"{name}.colpkg"
            col.export_collection_package(str(export), include_media=False, legacy=False)
        finally:
            col.close()
        import_history(export, name, learners_dir)

    with sqlite3.connect(database_path(learners_dir)) as db:
        reviews = reviews_of(db)
        guids = {guid for (guid,) in db.execute("SELECT guid FROM notes")}
    expected = class_fsrs_params(reviews, guids)
    assert expected is not None and len(expected) == 21

    class_deck = tmp_path / "class-with-learners.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=class_deck, learners_dir=learners_dir))
    own_deck = tmp_path / "steady-deck.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=own_deck, learner="steady", learners_dir=learners_dir))

    for deck in (class_deck, own_deck):
        col = open_collection(tmp_path / f"fresh-{deck.stem}")
        try:
            import_package(col, deck)
            description = col.decks.by_name("cardgen")["desc"]
            assert "<!-- cardgen:class=" in description
            assert fsrs_params_in(description) == pytest.approx(expected, abs=1e-6)
            drive(col, "profile_open", None)
            assert col.get_config("fsrs", False)
            homes = {col.get_card(c).did for c in col.find_cards(CARDGEN_SEARCH)}
            presets = {col.decks.config_dict_for_deck_id(did)["name"]: col.decks.config_dict_for_deck_id(did)
                       for did in homes}
            assert presets and all(name.startswith(PRESET_PREFIX) for name in presets), sorted(presets)
            for preset in presets.values():
                assert list(preset["fsrsParams6"]) == pytest.approx(expected, abs=1e-5)
        finally:
            col.close()
