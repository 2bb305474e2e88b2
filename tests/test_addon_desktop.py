"""End-to-end: the real Anki desktop (aqt, headless) with add-ons installed and a cardgen deck imported.

Each test starts Anki once in a subprocess (tests/desktop.py) and checks, inside it, what a learner's Anki
would show (tests/desktop_checks.py). Needs the `test` extra (aqt[qt]) and the shared libraries Qt and
QtWebEngine need (tools/install-system-libs.sh installs them on Debian).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.addon.policy import BAND_POLICIES
from cardgen.build import BuildOptions, build_deck
from cardgen.cli import main
from cardgen.learners.deck_marks import band_from_tags
from cardgen.tags import CARDGEN_SEARCH
from tests.anki_helpers import import_package, open_collection
from tests.desktop import DesktopRunError, run_desktop
from tests.sample_cases import case_with_prior, write_case, write_cases_with_priors

CHECKS = Path(__file__).with_name("desktop_checks.py")

TRIVIAL_ADDON = '''\
"""A trivial add-on: counts the notes when the profile opens, and tries to import cardgen."""
from aqt import gui_hooks, mw

seen_notes = None
try:
    import cardgen  # a learner's Anki has no cardgen: the harness hides it
    import_error = None
except ImportError as error:
    import_error = str(error)


def _on_open():
    global seen_notes
    seen_notes = mw.col.note_count()


gui_hooks.profile_did_open.append(_on_open)
'''


@pytest.fixture(scope="module")
def small_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-case cardgen deck (hard, medium, easy priors)."""
    root = tmp_path_factory.mktemp("deck")
    deck = root / "class.apkg"
    build_deck(BuildOptions(cases_dir=write_cases_with_priors(root), out=deck, deck_name="Radiology e2e"))
    return deck


def _trivial_addon(root: Path) -> Path:
    folder = root / "trivial_addon"
    folder.mkdir()
    (folder / "__init__.py").write_text(TRIVIAL_ADDON, encoding="utf-8")
    return folder


def test_harness_runs_anki_with_an_addon_and_a_deck(tmp_path: Path, small_deck: Path) -> None:
    run = run_desktop(tmp_path / "anki", checks=CHECKS, check="trivial", params={"addon": "trivial_addon"},
                      addon_folders=[_trivial_addon(tmp_path)], deck=small_deck)

    assert run.loaded == {"trivial_addon": True}
    seen = run.result
    # Three cases: a case note, a finding note and an Image Occlusion note each.
    assert seen["notes"] == seen["addon_seen_notes"] == 9
    assert seen["case_ids"] == ["case-0", "case-1", "case-2"]
    assert "Radiology e2e" in seen["decks"]
    assert seen["main_window_state"] == "deckBrowser"
    assert "not installed in a learner's Anki" in seen["addon_import_error"]


def test_harness_reports_an_addon_that_fails_to_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken_addon"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ValueError('broken on purpose')\n", encoding="utf-8")
    good = _trivial_addon(tmp_path)

    with pytest.raises(DesktopRunError) as failure:
        run_desktop(tmp_path / "anki", checks=CHECKS, check="trivial", params={"addon": "trivial_addon"},
                    addon_folders=[broken, good])
    message = str(failure.value)
    assert "broken_addon" in message and "broken on purpose" in message


PACE = 4  # the learner's default_pace setting: at most one hard card in any four new cards
# Three cases in curriculum order: hard, medium, easy priors; a case, a finding and an occlusion card each.
CURRICULUM_BANDS = ["hard"] * 3 + ["medium"] * 3 + ["easy"] * 3
# The same new cards with the hard ones spread out (worked out by hand from the policy: a hard card waits
# until the three cards before it hold none; the last has nothing left to wait behind).
SPREAD_BANDS = ["hard", "medium", "medium", "medium", "hard", "easy", "easy", "easy", "hard"]
ROOT = "Radiology e2e"
HOME = f"{ROOT}::msk"  # the cases' topic msk.spine, one curriculum level deep: the cards' topic deck
AGAIN, GOOD = 0, 2  # anki.scheduler_pb2.CardAnswer.Rating


def _new_cards_in_curriculum_order(deck: Path, folder: Path) -> list[tuple[str, int, str]]:
    """(note GUID, card ordinal, band) of the deck's new cards as a plain import orders them."""
    col = open_collection(folder)
    try:
        import_package(col, deck)
        rows = col.db.all("SELECT n.guid, c.ord, n.tags FROM cards c JOIN notes n ON n.id = c.nid "
                          "WHERE c.queue = 0 ORDER BY c.due, c.id")
    finally:
        col.close()
    return [(guid, ordinal, band_from_tags(tags.split()).value) for guid, ordinal, tags in rows]


def test_cardgen_addon_in_the_real_anki_desktop(tmp_path: Path, small_deck: Path) -> None:
    runner = CliRunner()
    archive = tmp_path / "cardgen.ankiaddon"
    built = runner.invoke(main, ["addon", "build", "-o", str(archive)])
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(archive) as zip_file:
        names = zip_file.namelist()
    assert "manifest.json" in names and "__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    curriculum = _new_cards_in_curriculum_order(small_deck, tmp_path / "plain")
    assert [band for _, _, band in curriculum] == CURRICULUM_BANDS
    export = tmp_path / "progress.json"

    run = run_desktop(tmp_path / "anki", checks=CHECKS, check="cardgen_addon", ankiaddons=[archive],
                      addon_config={"cardgen": {"default_pace": PACE}}, deck=small_deck,
                      params={"search": CARDGEN_SEARCH, "root": ROOT, "export": str(export),
                              "ratings": [AGAIN, GOOD, GOOD]})

    assert run.loaded == {"cardgen": True}
    seen = run.result
    assert seen["tools_menus"]["cardgen"] == ["Apply difficulty and pace", "Refresh difficulty from my reviews",
                                              "Export progress..."]
    # The learner is told what the apply did, and what was exported.
    assert run.messages == [
        f"tooltip: cardgen: 3 easy, 3 medium, 3 hard cards; 9 moved to their band, 9 new cards ordered; "
        f"pace {ROOT}: {PACE} new/day",
        f"tooltip: cardgen: exported 3 reviews to {export.name}"]
    # Difficulty: every card moved into its band's sub-deck, which uses the band's preset.
    assert seen["apply"]["cards_moved"] == 9
    assert seen["apply"]["bands"] == {"hard": 3, "medium": 3, "easy": 3}
    for band, policy in BAND_POLICIES.items():
        preset = seen["presets"][f"{HOME}::{policy.deck_name}"]
        assert preset["preset"] == policy.preset_name == f"cardgen: {band.value} cards"
        assert preset["desired_retention"] == pytest.approx(policy.desired_retention)
        assert [float(step) for step in preset["learn_steps"]] == list(policy.learn_steps)
    for guid, ordinal, deck, tags in seen["new_order"]:
        assert deck == f"{HOME}::{BAND_POLICIES[band_from_tags(tags)].deck_name}"
    # Pace: the root and topic decks' preset takes the learner's pace as its daily new-card limit.
    assert seen["apply"]["paces"] == {ROOT: PACE}
    for deck in (ROOT, HOME):
        assert (seen["presets"][deck]["preset"], seen["presets"][deck]["new_per_day"]) == \
            (f"cardgen: pace of {ROOT}", PACE)
    assert seen["presets"]["Default"]["preset"] == "Default"  # a deck that is not cardgen's keeps its preset
    # Order: curriculum order, hard cards spread out; within a band the curriculum order is kept.
    applied = [(guid, ordinal) for guid, ordinal, _, _ in seen["new_order"]]
    bands_in_order = {(guid, ordinal): band for guid, ordinal, band in curriculum}
    assert [bands_in_order[card] for card in applied] == SPREAD_BANDS
    for band in ("hard", "medium", "easy"):
        assert [c for c in applied if bands_in_order[c] == band] == \
            [(g, o) for g, o, b in curriculum if b == band]

    # Progress: three answers inside Anki, exported by the add-on, accepted by `cardgen learners import`.
    assert len(seen["answered"]) == seen["reviews_in_collection"] == 3
    assert seen["exported"] == [str(export)]
    learners_dir = tmp_path / "learners"
    imported = runner.invoke(main, ["learners", "import", str(export), "--learner", "x",
                                    "--learners-dir", str(learners_dir)])
    assert imported.exit_code == 0, imported.output
    assert imported.output.startswith("x: 3 new of 3 reviews, 3 cards"), imported.output
    again = runner.invoke(main, ["learners", "import", str(export), "--learner", "x",
                                 "--learners-dir", str(learners_dir)])
    assert again.output.startswith("x: 0 new of 3 reviews"), again.output


def test_harness_reports_a_warning_an_addon_shows(tmp_path: Path) -> None:
    warns = tmp_path / "warning_addon"
    warns.mkdir()
    (warns / "__init__.py").write_text(
        "from aqt import gui_hooks\n"
        "def _warn():\n"
        "    from aqt.utils import showWarning\n"
        "    showWarning('something went wrong on purpose')\n"
        "gui_hooks.profile_did_open.append(_warn)\n", encoding="utf-8")

    with pytest.raises(DesktopRunError, match="Anki showed a warning.*something went wrong on purpose"):
        run_desktop(tmp_path / "anki", checks=CHECKS, check="trivial", params={"addon": "trivial_addon"},
                    addon_folders=[warns, _trivial_addon(tmp_path)])


def test_after_importing_a_newer_deck_the_addon_keeps_own_tags_and_applies_again(tmp_path: Path) -> None:
    cases = write_cases_with_priors(tmp_path)
    first, newer = tmp_path / "first.apkg", tmp_path / "newer.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=first, deck_name=ROOT))
    # The educator edits the cases (their notes become newer, so an import replaces their tags) and
    # adds a fourth, hard one.
    write_case(cases, "c3", case_with_prior("case-3", "hard"))
    for case_file in cases.rglob("case.yaml"):
        stat = case_file.stat()
        os.utime(case_file, (stat.st_atime, stat.st_mtime + 3600))
    build_deck(BuildOptions(cases_dir=cases, out=newer, deck_name=ROOT))
    archive = tmp_path / "cardgen.ankiaddon"
    assert CliRunner().invoke(main, ["addon", "build", "-o", str(archive)]).exit_code == 0

    run = run_desktop(tmp_path / "anki", checks=CHECKS, check="cardgen_after_import", ankiaddons=[archive],
                      deck=first, params={"search": CARDGEN_SEARCH, "own_tag": "my::before-exam",
                                          "newer_deck": str(newer)})

    seen = run.result
    assert seen["last_error"] is None
    assert seen["remembered"] == {seen["guid"]: ["my::before-exam"]}
    assert "my::before-exam" in seen["tags_after"]  # given back after the import replaced the tags
    assert seen["notes"] == 12
    # The new case's three cards went to the hard band deck; the others stayed where the first apply put them.
    assert seen["second_apply"]["cards_moved"] == 3
    hard = seen["decks"][f"{HOME}::Hard"]
    assert len(hard) == 6 and set(seen["decks"]) == {f"{HOME}::Hard", f"{HOME}::Medium", f"{HOME}::Easy"}
