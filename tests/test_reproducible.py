"""Same input, same bytes; a rebuilt deck updates notes on re-import and keeps reviews."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from cardgen.build import BuildOptions, build_deck
from cardgen.zipmember import ZIP_DATE
from tests.anki_helpers import answer_queued, import_package
from tests.sample_cases import GOOD_CASE, write_case


def _cases(root: Path) -> Path:
    cases = root / "cases"
    write_case(cases, "a", GOOD_CASE.format(case_id="case-a"))
    write_case(cases, "b", GOOD_CASE.format(case_id="case-b"))
    return cases


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    first, second = tmp_path / "1.apkg", tmp_path / "2.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=first))
    build_deck(BuildOptions(cases_dir=cases, out=second))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as package:  # no member carries the date it was written
        assert {info.date_time for info in package.infolist()} == {ZIP_DATE}


def test_source_date_epoch_fixes_every_timestamp(tmp_path: Path, monkeypatch) -> None:
    cases = _cases(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = tmp_path / "1.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=first))
    for path in cases.rglob("*"):
        os.utime(path, (1800000000, 1800000000))  # touching the inputs changes nothing
    second = tmp_path / "2.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=second))
    assert first.read_bytes() == second.read_bytes()


def test_reimport_updates_note_and_keeps_reviews(tmp_path: Path, collection) -> None:
    cases = _cases(tmp_path)
    deck = tmp_path / "deck.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=deck))
    import_package(collection, deck)
    notes_before = collection.note_count()
    cards_before = collection.card_count()

    # The learner reviews every card once.
    reviewed = answer_queued(collection, "cardgen", 3)
    assert reviewed == cards_before
    reviews_before = collection.db.scalar("select count() from revlog")
    assert reviews_before == reviewed

    # The educator edits one case's text; its files are newer, so its notes are newer.
    case_file = cases / "a" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("Test history.", "Edited history."))
    later = case_file.stat().st_mtime + 10
    os.utime(case_file, (later, later))
    build_deck(BuildOptions(cases_dir=cases, out=deck))
    import_package(collection, deck)

    assert collection.note_count() == notes_before
    assert collection.card_count() == cards_before
    assert collection.db.scalar("select count() from revlog") == reviews_before
    edited = collection.get_note(collection.find_notes("CaseId:case-a")[0])
    assert "Edited history." in edited["History"]
    untouched = collection.get_note(collection.find_notes("CaseId:case-b")[0])
    assert "Test history." in untouched["History"]
    assert all(c.type != 0 for c in edited.cards()), "cards keep their review state"
