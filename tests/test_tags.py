"""Tags compare as Anki compares them: without letter case (cardgen.tags).

A learner's collection may hold a cardgen tag in another case than cardgen writes it (Anki keeps the
case it first met, and a learner may rename a tag). Every reader of tags must still see it.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.cards.notes import NoteSpec
from cardgen.cards.notetypes import NoteKind
from cardgen.deck.spool import NoteSpool
from cardgen.learners.deck_marks import band_from_tags, note_facts_from_tags
from cardgen.learners.personal import personalise
from cardgen.learners.report import card_label
from cardgen.learners.store import open_store
from cardgen.difficulty import Difficulty
from cardgen.tags import (DIFFICULTY_PREFIX, TEXT_ONLY_TAG, after_prefix, case_tag, has_prefix, is_cardgen_tag,
                          modality_tag, same_tag, tag_key)


def test_kinds_and_values_ignore_letter_case():
    assert has_prefix("Cardgen::Difficulty::Hard", DIFFICULTY_PREFIX)
    assert after_prefix("CARDGEN::DIFFICULTY::Hard", DIFFICULTY_PREFIX) == "Hard"
    assert after_prefix("cardgen::prior::hard", DIFFICULTY_PREFIX) is None
    assert not has_prefix("cardgen", DIFFICULTY_PREFIX)
    assert same_tag("Cardgen::Text_Only", TEXT_ONLY_TAG) and tag_key("A::B") == tag_key("a::b")
    assert is_cardgen_tag("CardGen::case::x") and not is_cardgen_tag("leech")
    assert case_tag("chest 01") == "cardgen::case::chest_01" and modality_tag("CT") == "cardgen::modality::CT"


def test_the_learners_model_reads_tags_in_any_case():
    facts = note_facts_from_tags("g", ["Cardgen::Prior::HARD", "CARDGEN::Topic::01_chest"], 1)
    assert facts.prior is Difficulty.HARD and facts.topics == ("CARDGEN::Topic::01_chest",)
    assert band_from_tags(["cardgen::DIFFICULTY::easy"]) is Difficulty.EASY


def test_the_class_report_reads_tags_in_any_case():
    assert card_label("guid", 0, ("Cardgen::Text_Only",), None) == "objective"


def test_a_learners_deck_replaces_a_difficulty_tag_in_any_case(tmp_path: Path):
    with open_store(tmp_path, create=True) as connection:
        connection.execute("INSERT INTO learners (name, imported_at) VALUES ('anna', 1000)")
    note = NoteSpec(kind=NoteKind.CASE, guid="g", fields=("q", "a"), deck=(), media=(), mod=1,
                    tags=("Cardgen::Difficulty::Hard", "cardgen::case::c1", "cardgen::prior::hard"))
    with NoteSpool() as spool:
        spool.add([note], position=0)
        personal, _, _ = personalise(spool, "anna", tmp_path)
        (tags,) = [n.tags for n in personal]
    assert [t for t in tags if has_prefix(t, DIFFICULTY_PREFIX)] == ["cardgen::difficulty::hard"]


def test_case_ids_in_any_script_keep_their_letters_in_the_case_tag(tmp_path: Path, collection) -> None:
    # Found by a robustness sweep: non-ASCII letters were dropped ('épanchement-01' gave
    # 'panchement-01'), and two all-CJK ids both gave 'unknown', a collision that stopped the build.
    from click.testing import CliRunner

    from cardgen.cli import main
    from tests.anki_helpers import import_package
    from tests.sample_cases import GOOD_CASE, write_case

    ids = ["épanchement-01", "肺", "肝", "e\u0301panch-02"]  # the last with its accent typed as a separate mark
    for n, case_id in enumerate(ids):
        write_case(tmp_path / "cases", f"c{n}", GOOD_CASE.format(case_id=case_id))
    out = tmp_path / "deck.apkg"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    import_package(collection, out)
    for word in ["épanchement-01", "肺", "肝", "\u00e9panch-02"]:
        assert case_tag(word) == f"cardgen::case::{word}"
        assert len(collection.find_notes(f'"tag:{case_tag(word)}"')) == 3, word  # the case's three notes
