"""End-to-end: the real Anki desktop (aqt, headless) with add-ons installed and a cardgen deck imported.

Each test starts Anki once in a subprocess (tests/desktop.py) and checks, inside it, what a learner's Anki
would show (tests/desktop_checks.py). Needs the `test` extra (aqt[qt]) and the shared libraries Qt and
QtWebEngine need (.ci/run installs them on Debian).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cardgen.build import BuildOptions, build_deck
from tests.desktop import DesktopRunError, run_desktop
from tests.sample_cases import GOOD_CASE, write_case

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


def _cases(root: Path, priors: tuple[str, ...] = ("hard", "medium", "easy")) -> Path:
    """One small case per prior (pydicom's CT_small.dcm each), under ``root/cases``."""
    cases = root / "cases"
    for index, prior in enumerate(priors):
        text = GOOD_CASE.format(case_id=f"case-{index}").replace("difficulty: easy", f"difficulty: {prior}")
        write_case(cases, f"c{index}", text)
    return cases


@pytest.fixture(scope="module")
def small_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-case cardgen deck (hard, medium, easy priors)."""
    root = tmp_path_factory.mktemp("deck")
    deck = root / "class.apkg"
    build_deck(BuildOptions(cases_dir=_cases(root), out=deck, deck_name="Radiology e2e"))
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
