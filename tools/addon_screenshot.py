"""Screenshot the real Anki desktop with the cardgen add-on applied to a deck (for the docs).

Runs Anki (`pip install "aqt[qt]"`) headless: a fresh profile with the add-on installed from its
archive and the deck imported; once the add-on has applied its presets, the deck list is expanded
and the main window grabbed.

    python tools/addon_screenshot.py cardgen.ankiaddon DECK.apkg OUT.png [--size 1000x760]
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from anki_desktop import PROFILE, fresh_profile, run_anki  # tools/anki_desktop.py, beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addon", type=Path)
    parser.add_argument("deck", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="1000x760")
    args = parser.parse_args()
    base = fresh_profile()
    with zipfile.ZipFile(args.addon) as archive:
        archive.extractall(base / "addons21" / "cardgen")
    (base / PROFILE).mkdir(exist_ok=True)
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = Collection(str(base / PROFILE / "collection.anki2"))
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(args.deck.resolve()),
                                                     options=ImportAnkiPackageOptions(with_scheduling=True)))
    col.close()

    import aqt
    from aqt import gui_hooks
    from aqt.qt import QTimer

    width, height = (int(v) for v in args.size.split("x"))

    def wait_for_apply() -> None:
        gui = sys.modules["cardgen.addon.gui"]
        if gui.question is not None:  # the first-run question: the learner says yes
            from aqt.qt import QMessageBox

            gui.question.done(QMessageBox.StandardButton.Yes.value)
        if gui.last_plan is None and gui.last_error is None:
            QTimer.singleShot(300, wait_for_apply)
            return
        main_window = aqt.mw
        for deck in main_window.col.decks.all():  # expand the deck tree
            deck["collapsed"] = False
            main_window.col.decks.save(deck)
        main_window.resize(width, height)
        main_window.moveToState("deckBrowser")
        QTimer.singleShot(2500, shoot)

    def shoot() -> None:
        aqt.mw.grab().save(str(args.out))
        print(f"wrote {args.out}")
        aqt.mw.unloadProfileAndExit()

    gui_hooks.profile_did_open.append(lambda: QTimer.singleShot(1000, wait_for_apply))
    run_anki(base)


if __name__ == "__main__":
    main()
