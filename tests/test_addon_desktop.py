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

from cardgen.addon.policy import spread_hard
from cardgen.build import BuildOptions, build_deck
from cardgen.cli import main
from cardgen.difficulty import Difficulty
from cardgen.learners.deck_marks import band_from_tags
from cardgen.tags import CARDGEN_SEARCH
from tests.anki_helpers import import_package, open_collection
from tests.desktop import DesktopRunError, _tracebacks_of_anki_or_addons, run_desktop
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


# Printed by Anki 26.09 in a CI run as it quit (its media server answering after the pipe closed).
WAITRESS_SHUTDOWN_RACE = """ERROR:waitress: Exception when servicing <waitress.channel.HTTPChannel>
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/waitress/task.py", line 83, in handler_thread
    task.service()
  File "/venv/lib/python3.11/site-packages/waitress/trigger.py", line 130, in _physical_pull
    os.write(self.trigger, b"x")
OSError: [Errno 9] Bad file descriptor
"""
ADDON_TRACEBACK = """Traceback (most recent call last):
  File "/base/addons21/cardgen_addon/__init__.py", line 12, in on_open
    plan()
NameError: name 'plan' is not defined
"""


def test_harness_forgives_only_the_media_servers_shutdown_race() -> None:
    """The one traceback Anki prints on its own as it quits is not counted; an add-on's still is,
    and so is the same OSError raised anywhere but inside waitress."""
    assert _tracebacks_of_anki_or_addons(WAITRESS_SHUTDOWN_RACE) == []
    assert len(_tracebacks_of_anki_or_addons(WAITRESS_SHUTDOWN_RACE + ADDON_TRACEBACK)) == 1
    elsewhere = WAITRESS_SHUTDOWN_RACE.replace("site-packages/waitress/trigger.py", "addons21/a/x.py")
    assert len(_tracebacks_of_anki_or_addons(elsewhere)) == 1
    other_error = WAITRESS_SHUTDOWN_RACE.replace("OSError: [Errno 9]", "OSError: [Errno 5]")
    assert len(_tracebacks_of_anki_or_addons(other_error)) == 1


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


MINUTES = 3  # the learner's budget: a few new cards a day
# Three cases in curriculum order: hard, medium, easy priors; a case, a finding and an occlusion card each.
CURRICULUM_BANDS = ["hard"] * 3 + ["medium"] * 3 + ["easy"] * 3
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
    export = tmp_path / "progress <b>&amp;.json"  # Anki's tooltip is rich text: shown as written

    run = run_desktop(tmp_path / "anki", checks=CHECKS, check="cardgen_addon", ankiaddons=[archive],
                      addon_config={"cardgen": {"minutes_per_day": MINUTES}}, deck=small_deck,
                      params={"search": CARDGEN_SEARCH, "root": ROOT, "export": str(export),
                              "ratings": [AGAIN, GOOD, GOOD]})

    assert run.loaded == {"cardgen": True}
    seen = run.result
    assert seen["tools_menus"]["cardgen"] == ["Status...", "Apply now", "Export progress..."]
    # The first run says what it will change and asks; the learner said yes.
    assert "Turn on FSRS" in seen["asked"] and "'cardgen: Default'" in seen["asked"]
    assert f"Budget: {MINUTES} minutes a day, no target date: paced as if" in seen["asked"]
    assert seen["consent"] is True and seen["fsrs"] is True
    assert run.messages[0].startswith("tooltip: cardgen: Turn on FSRS")
    assert run.messages[-1] == "tooltip: cardgen: exported 3 reviews to progress &lt;b&gt;&amp;amp;.json"
    # Only the deck holding the cards gets the cardgen preset (a copy of Default); the root deck and
    # Anki's Default deck keep theirs.
    assert seen["presets"][HOME]["preset"] == "cardgen: Default"
    assert seen["presets"][ROOT]["preset"] == seen["presets"]["Default"]["preset"] == "Default"
    pace = seen["presets"][HOME]["new_per_day"]
    assert 1 <= pace <= 9
    assert f"Budget: {MINUTES} minutes a day, no target date: paced as if" in seen["status"]
    assert f"pace {pace} new cards/day" in seen["status"] and "Bands: 3 hard, 3 medium, 3 easy" in seen["status"]
    assert "Last done:" in seen["status"] and "Turn on FSRS" in seen["status"]
    # Order: curriculum order with hard cards spread out at the learner's pace; no card changed deck.
    assert {deck for _, _, deck, _ in seen["new_order"]} == {HOME}
    applied = [(guid, ordinal) for guid, ordinal, _, _ in seen["new_order"]]
    assert applied == [curriculum[i][:2] for i in spread_hard(
        [(i, Difficulty(band)) for i, (_, _, band) in enumerate(curriculum)], pace)]

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


def test_a_learner_who_sets_nothing_is_told_where_the_budget_comes_from(tmp_path: Path, small_deck: Path) -> None:
    # The add-on as installed: its config.json's nulls, read by Anki's add-on manager, nothing edited.
    archive = tmp_path / "cardgen.ankiaddon"
    assert CliRunner().invoke(main, ["addon", "build", "-o", str(archive)]).exit_code == 0

    run = run_desktop(tmp_path / "anki", checks=CHECKS, check="cardgen_addon", ankiaddons=[archive],
                      deck=small_deck, params={"search": CARDGEN_SEARCH, "root": ROOT,
                                               "export": str(tmp_path / "progress.json"), "ratings": []})

    default = ("Budget: 20 minutes a day (the default until your reviews tell; set minutes_per_day in "
               "Tools > Add-ons > Config to choose), no target date: paced as if")
    assert default in run.result["asked"] and default in run.result["status"]
    assert run.result["presets"][HOME]["preset"] == "cardgen: Default"


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
    # Every card, the new case's too, stays in its topic deck: the add-on moves no card.
    assert set(seen["decks"]) == {HOME} and len(seen["decks"][HOME]) == 12
