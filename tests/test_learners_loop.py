"""The educator <-> learner loop: what a learner's export may hold, how the learners database keeps
it, and what the decks built from it do in the learner's Anki.

Each test is a defect a sweep of the loop found (its report: the numbers in each commit's body).
The learners study a class deck of tests/sample_cases.py cases in real Anki collections, as in
tests/test_learners.py, and their exports go through ``cardgen learners import``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from anki._backend import RustBackend
from anki.collection import Collection
from click.testing import CliRunner

from cardgen.build import BuildOptions, build_deck
from cardgen.cli import main
from cardgen.learners.deck_marks import class_stats_in
from cardgen.learners.store import database_path
from cardgen.tags import CARDGEN_SEARCH
from tests.anki_helpers import import_package, open_collection
from tests.sample_cases import write_cases_with_priors
from tests.test_learners import _pass_a_day, _study

DAY_MS = 86_400_000
FUTURE_MS = 4_000_000_000_000  # 2096-10-02: inside the bound every time field has (before 2100)


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(cases folder, class deck, a .colpkg of a learner who studied it 12 days)."""
    root = tmp_path_factory.mktemp("loop")
    cases = write_cases_with_priors(root, 3)
    month_ago = time.time() - 30 * 86_400  # the cases were written a month before (the notes' time)
    for path in cases.rglob("*"):
        os.utime(path, (month_ago, month_ago))
    deck = root / "class.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=deck))
    col = open_collection(root / "learner")
    try:
        import_package(col, deck)
        _study(col, days=12, forgetting=1.5, seed=4)
        export = root / "learner.colpkg"
        col.export_collection_package(str(export), include_media=False, legacy=False)
    finally:
        col.close()
    return cases, deck, export


def _learner_collection(export: Path, folder: Path) -> Collection:
    """The learner's own collection, restored from their .colpkg into ``folder``."""
    folder.mkdir(parents=True)
    RustBackend().import_collection_package(col_path=str(folder / "collection.anki2"), backup_path=str(export),
                                            media_folder=str(folder / "media"), media_db=str(folder / "media.db"))
    return Collection(str(folder / "collection.anki2"))


def _import(history: Path, learners_dir: Path, learner: str = "anna"):
    return CliRunner().invoke(main, ["learners", "import", str(history), "--learner", learner,
                                     "--learners-dir", str(learners_dir)])


def _note_mods(package: Path, folder: Path) -> list[int]:
    with zipfile.ZipFile(package) as archive:
        archive.extract("collection.anki2", folder)
    with sqlite3.connect(folder / "collection.anki2") as db:
        return [mod for (mod,) in db.execute("SELECT mod FROM notes")]


def test_a_package_with_a_review_in_the_future_is_refused(studied, tmp_path: Path) -> None:
    # A learner whose clock ran ahead: one answer logged in 2096. Imported, it was the learner's
    # newest review for good, and every deck built for them carried it as its notes' time.
    _, _, export = studied
    col = _learner_collection(export, tmp_path / "col")
    try:
        newest = col.db.scalar("SELECT max(id) FROM revlog")
        col.db.execute("UPDATE revlog SET id = ? WHERE id = ?", FUTURE_MS, newest)
        ahead = tmp_path / "ahead.colpkg"
        col.export_collection_package(str(ahead), include_media=False, legacy=False)
    finally:
        col.close()
    result = _import(ahead, tmp_path / "learners")
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert message.startswith(f"Error: {ahead}: revlog.id: 1 review(s) dated in the future, the first "
                              "2096-10-02 ")
    assert f"(value {FUTURE_MS}); the learner's clock was wrong" in message and "cardgen::case::case-" in message
    assert not database_path(tmp_path / "learners").exists()


def test_a_learners_deck_is_never_dated_after_its_build(studied, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A database that holds a time in the future (written before imports checked the times): the
    # learner's deck is dated at most at the build's own time. From a sound database, rebuilds are
    # byte-identical.
    cases, _, export = studied
    learners_dir = tmp_path / "learners"
    assert _import(export, learners_dir).exit_code == 0
    first, again = tmp_path / "anna.apkg", tmp_path / "again.apkg"
    for out in (first, again):
        build_deck(BuildOptions(cases_dir=cases, out=out, learner="anna", learners_dir=learners_dir))
    assert first.read_bytes() == again.read_bytes()

    with sqlite3.connect(database_path(learners_dir)) as db:
        db.execute("UPDATE learners SET imported_at = ?", (FUTURE_MS,))
    ahead = tmp_path / "ahead.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=ahead, learner="anna", learners_dir=learners_dir))
    built = int(time.time())
    mods = _note_mods(ahead, tmp_path / "x")
    # (one second after a case file written in the build's own second, at most)
    assert mods and max(mods) <= built + 1

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    fixed = tmp_path / "fixed.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=fixed, learner="anna", learners_dir=learners_dir))
    # one second after the class deck built at that time, so the learner's deck still replaces it
    assert set(_note_mods(fixed, tmp_path / "y")) == {1_700_000_001}


def test_the_class_counts_in_a_deck_are_of_its_own_notes(studied, tmp_path: Path) -> None:
    # The database holds reviews of three cases; a deck of two of them carried the class's counts of
    # all three (29 notes' worth in the sweep's deck of 12), and the add-on read them as this deck's.
    cases, _, export = studied
    learners_dir = tmp_path / "learners"
    assert _import(export, learners_dir).exit_code == 0
    fewer = tmp_path / "fewer"
    for case in ("c0", "c1"):
        shutil.copytree(cases / case, fewer / case)
    deck = tmp_path / "fewer.apkg"
    build_deck(BuildOptions(cases_dir=fewer, out=deck, learners_dir=learners_dir))
    col = open_collection(tmp_path / "fresh")
    try:
        import_package(col, deck)
        guids = {col.get_note(n).guid for n in col.find_notes("")}
        stats = class_stats_in(col.decks.by_name("cardgen")["desc"])
    finally:
        col.close()
    with sqlite3.connect(database_path(learners_dir)) as db:
        everyone = db.execute("SELECT count(DISTINCT note_guid) FROM reviews").fetchone()[0]
        delayed = db.execute(f"SELECT count(), sum(ease = 1) FROM reviews WHERE type IN (1, 2) AND note_guid IN "
                             f"({','.join('?' * len(guids))})", sorted(guids)).fetchone()
    assert everyone > len(guids)  # the database holds notes this deck has not
    assert stats is not None and {guid for guid, _ in stats.card} <= guids
    assert stats.total == [delayed[1], delayed[0]] and delayed[0] > 0


def test_a_learners_deck_updates_notes_they_touched_after_their_last_review(studied, tmp_path: Path) -> None:
    # The learner marks notes (Anki's Mark) after their last review, then exports. Their deck was dated
    # one second after that review, older than those notes: Anki skipped them as "already up to date",
    # and they kept their old difficulty tag, silently.
    cases, _, export = studied
    learners_dir = tmp_path / "learners"
    assert _import(export, learners_dir).exit_code == 0
    deck = tmp_path / "anna.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=deck, learner="anna", learners_dir=learners_dir))
    fresh = open_collection(tmp_path / "fresh")
    try:
        import_package(fresh, deck)
        bands = {fresh.get_note(n).guid: _band(fresh.get_note(n).tags) for n in fresh.find_notes("")}
    finally:
        fresh.close()
    col = _learner_collection(export, tmp_path / "col")
    try:
        last_review_s = col.db.scalar("SELECT max(id) FROM revlog") // 1000
        # the notes whose band the learner's deck changes (the histories differ from run to run)
        touched = [n for n in col.find_notes(CARDGEN_SEARCH) if _band(col.get_note(n).tags) != bands[col.get_note(n).guid]]
        assert touched
        col.tags.bulk_add(touched, "marked")
        col.db.execute(f"UPDATE notes SET mod = mod - 60 WHERE id IN ({','.join(map(str, touched))})")  # a minute ago
        assert min(col.get_note(n).mod for n in touched) > last_review_s
        marked = tmp_path / "marked.colpkg"
        col.export_collection_package(str(marked), include_media=False, legacy=False)
        col.reopen()
        again = _import(marked, learners_dir)
        assert again.exit_code == 0 and again.output.startswith("anna: 0 new of"), again.output
        build_deck(BuildOptions(cases_dir=cases, out=deck, learner="anna", learners_dir=learners_dir))
        log = import_package(col, deck).log
        after = {col.get_note(n).guid: _band(col.get_note(n).tags) for n in col.find_notes(CARDGEN_SEARCH)}
    finally:
        col.close()
    assert len(log.duplicate) == 0 and len(log.updated) == len(bands)
    # (Anki replaces a note's tags on update: the mark is the add-on's to give back, docs/learners.md)
    assert after == bands


def _band(tags: list[str]) -> str:
    return next(t for t in tags if t.startswith("cardgen::difficulty::"))
