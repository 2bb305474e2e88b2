"""The add-on archive and its learner-side logic against the real Anki backend (no Qt): own tags kept
across an import, progress export read by ``cardgen learners import``. (The difficulty tags are tested
in tests/test_addon_scheduling.py and tests/test_difficulty.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection
from anki.scheduler.v3 import CardAnswer
from click.testing import CliRunner

from cardgen.addon.learner_side import (
    OWN_TAGS_KEY,
    export_progress,
    remember_own_tags,
    restore_own_tags,
)
from cardgen.addon.package import AddonBuildError, check_self_contained
from cardgen.addon import drive
from cardgen.build import BuildOptions, build_deck
from cardgen.cli import main
from cardgen.learners.deck_marks import class_stats_in
from cardgen.tags import CARDGEN_SEARCH
from cardgen.learners.progress import read_progress
from cardgen.zipmember import ZIP_DATE
from tests.anki_helpers import answer_queued, import_package, open_collection
from tests.test_addon_scheduling import ROOT, class_deck


def _build_addon(out: Path) -> Path:
    result = CliRunner().invoke(main, ["addon", "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_archive_layout_and_manifest(tmp_path: Path) -> None:
    archive = _build_addon(tmp_path / "cardgen.ankiaddon")
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        config = json.loads(zipped.read("config.json"))
        entry = zipped.read("__init__.py").decode()
        packed_model = zipped.read("learners/model.py")
        dates = {info.date_time for info in zipped.infolist()}
    assert {"__init__.py", "manifest.json", "config.json", "config.md", "learners/model.py",
            "addon/scheduling.py", "addon/gui.py"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith("cardgen/") for n in names)
    assert manifest["package"] == "cardgen" and manifest["name"]
    assert {"min_point_version", "human_version", "homepage"} <= manifest.keys()
    assert config == {"minutes_per_day": None, "target_date": None}  # read from the log until set
    assert "setup()" in entry and "aqt" not in entry.replace("(aqt", "")
    # The model the add-on runs is the very file cardgen learners runs.
    assert packed_model == (Path(__file__).parents[1] / "cardgen" / "learners" / "model.py").read_bytes()
    # Reproducible: every member has the one fixed date, so the same sources give the same bytes.
    assert dates == {ZIP_DATE}
    again = _build_addon(tmp_path / "again.ankiaddon")
    assert again.read_bytes() == archive.read_bytes()


@pytest.mark.parametrize("homepage", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x",
                                      "example.org", " https://example.org"])
def test_a_homepage_that_is_not_a_web_page_is_refused(tmp_path: Path, homepage: str) -> None:
    """Anki's add-on manager opens the homepage in the learner's browser ("View Add-on Page")."""
    from click.testing import CliRunner

    from cardgen.cli import main

    out = tmp_path / "cardgen.ankiaddon"
    result = CliRunner().invoke(main, ["addon", "build", "-o", str(out), "--homepage", homepage])
    assert result.exit_code == 1 and not out.exists()
    assert result.output.strip() == (f"Error: --homepage: the add-on's homepage must be a URL with a host, "
                                     f"starting https:// or http:// (value {homepage!r}); e.g. --homepage "
                                     "https://example.org/radiology"), result.output
    good = CliRunner().invoke(main, ["addon", "build", "-o", str(out), "--homepage", "https://example.org/r"])
    assert good.exit_code == 0
    with zipfile.ZipFile(out) as zipped:
        assert json.loads(zipped.read("manifest.json"))["homepage"] == "https://example.org/r"


def test_archive_imports_only_what_anki_has(tmp_path: Path) -> None:
    """Extracted as Anki installs it (addons21/cardgen), the add-on's modules import with only the
    standard library, anki and aqt on the path: no cardgen install, no pydicom, genanki or Pillow."""
    archive = _build_addon(tmp_path / "cardgen.ankiaddon")
    addons = tmp_path / "addons21"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(addons / "cardgen")
    script = f"""
import sys
sys.path[:0] = [{str(addons)!r}]
sys.path.append({sysconfig.get_paths()["purelib"]!r})
import cardgen, cardgen.addon.scheduling, cardgen.addon.learner_side, cardgen.learners.progress
assert cardgen.__file__.startswith({str(addons)!r}), cardgen.__file__
heavy = sorted({{"pydicom", "genanki", "PIL", "numpy", "jinja2", "yaml", "click"}} & set(sys.modules))
print("heavy:", heavy)
"""
    # -S: no site processing, so neither the editable cardgen install nor other .pth files apply.
    run = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "heavy: []" in run.stdout


def test_self_containment_check_names_the_import() -> None:
    with pytest.raises(AddonBuildError, match=r"addon/x.py:2 imports numpy"):
        check_self_contained({"addon/x.py": "import os\nimport numpy\n"})
    with pytest.raises(AddonBuildError, match=r"imports cardgen.imaging.render, which the add-on does not carry"):
        check_self_contained({"addon/x.py": "from cardgen.imaging.render import render\n"})
    check_self_contained({"addon/x.py": "import json\nfrom anki.collection import Collection\nfrom . import y\n"})


def _answer_all(col: Collection, rating: int, days: int = 1) -> int:
    """Answer every queued card of the course with ``rating`` (through the real v3 scheduler)."""
    return answer_queued(col, ROOT, rating, limit=500)


def test_own_tags_survive_importing_a_newer_deck(tmp_path: Path, collection: Collection) -> None:
    deck = class_deck(tmp_path)
    import_package(collection, deck)
    note = collection.get_note(collection.find_notes(CARDGEN_SEARCH)[0])
    note.tags.append("my::review-before-exam")
    collection.update_note(note)
    assert remember_own_tags(collection) == 1
    assert collection.get_config(OWN_TAGS_KEY) == {note.guid: ["my::review-before-exam"]}
    drive(collection, "profile_open")
    reviews = _answer_all(collection, CardAnswer.GOOD)
    homes = {c: collection.get_card(c).did for c in collection.find_cards(CARDGEN_SEARCH)}

    # The educator edits a case: the rebuilt deck's notes are newer, so the import replaces their tags.
    for case_file in (tmp_path / "cases").rglob("case.yaml"):
        os.utime(case_file, (case_file.stat().st_atime, case_file.stat().st_mtime + 3600))
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=deck, deck_name=ROOT))
    import_package(collection, deck)
    assert "my::review-before-exam" not in collection.get_note(note.id).tags

    assert restore_own_tags(collection) == 1
    assert "my::review-before-exam" in collection.get_note(note.id).tags
    assert restore_own_tags(collection) == 0
    assert collection.db.scalar("SELECT count() FROM revlog") == reviews  # not one review lost
    drive(collection, "sync_done")
    assert {c: collection.get_card(c).did for c in homes} == homes  # the add-on moves no card


def test_progress_export_is_what_learners_import_reads(tmp_path: Path, collection: Collection) -> None:
    import_package(collection, class_deck(tmp_path))
    mine = collection.new_note(collection.models.by_name("Basic"))
    mine["Front"] = "a private note"
    collection.add_note(mine, collection.decks.id_for_name(ROOT))
    answered = _answer_all(collection, CardAnswer.GOOD)
    out = tmp_path / "progress.json"

    # exported a minute after the last answer (a file exported before its own reviews is refused)
    progress = export_progress(collection, out, now_ms=collection.db.scalar("SELECT max(id) FROM revlog") + 60_000)

    cardgen_reviews = collection.db.scalar(
        f"SELECT count() FROM revlog WHERE cid IN ({','.join(map(str, collection.find_cards(CARDGEN_SEARCH)))})")
    private_reviews = collection.db.scalar(f"SELECT count() FROM revlog WHERE cid = {mine.cards()[0].id}")
    assert private_reviews > 0
    assert len(progress.reviews) == cardgen_reviews == answered - private_reviews  # none of the private note's
    assert "a private note" not in out.read_text() and mine.guid not in out.read_text()
    assert read_progress(out) == progress
    assert set(progress.note_kinds.values()) == {"case", "finding", "occlusion"}
    assert set(progress.note_kinds) == set(progress.note_tags)
    imported = CliRunner().invoke(main, ["learners", "import", str(out), "--learner", "ann",
                                         "--learners-dir", str(tmp_path / "learners")])
    assert imported.exit_code == 0, imported.output
    assert f"ann: {cardgen_reviews} new of {cardgen_reviews} reviews, {len(progress.states)} cards" in imported.output


def test_class_deck_carries_the_class_counts(tmp_path: Path, collection: Collection) -> None:
    """A class deck built with --learners-dir (no --learner) carries the class's counts (here: the
    class failed every card) and no pace."""
    deck = class_deck(tmp_path)
    import_package(collection, deck)
    for _ in range(3):  # three days of failing everything: delayed reviews that the class failed
        _answer_all(collection, CardAnswer.AGAIN)
        collection.db.execute("UPDATE revlog SET id = id - 86400000, type = 1")
        collection.db.execute("UPDATE cards SET due = 0 WHERE queue IN (2, 3)")
        collection.db.execute("UPDATE cards SET due = due - 86400 WHERE queue IN (1, 4)")
    export_progress(collection, tmp_path / "class.json")
    learners = tmp_path / "learners"
    assert CliRunner().invoke(main, ["learners", "import", str(tmp_path / "class.json"), "--learner", "ann",
                                     "--learners-dir", str(learners)]).exit_code == 0
    with_counts = tmp_path / "class-with-counts.apkg"
    built = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(with_counts), "--deck-name", ROOT,
                                      "--learners-dir", str(learners)])
    assert built.exit_code == 0, built.output

    newcomer = open_collection(tmp_path / "newcomer")
    try:
        import_package(newcomer, with_counts)
        stats = class_stats_in(newcomer.decks.by_name(ROOT)["desc"])
        assert stats is not None and stats.total[0] == stats.total[1] > 0  # every delayed review failed
        assert "cardgen:pace" not in newcomer.decks.by_name(ROOT)["desc"]  # no learner, no pace
    finally:
        newcomer.close()
