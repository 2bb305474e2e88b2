"""Screenshot the real Anki desktop after the cardgen add-on applied to a deck (for the docs).

What a learner sees once they said yes to the first-run question: the deck list, the deck's own
sub-decks with the add-on's pace of new cards a day, and over it Tools > cardgen > Status...: the
one preset ``cardgen: <the preset they used>`` the decks now share, with its pace, desired retention
and FSRS parameters, and how many notes each ``cardgen::difficulty::`` tag holds.

Runs Anki (`pip install "aqt[qt]"`) headless: a fresh profile with the add-on installed from its
archive and the deck imported. Qt's offscreen platform draws no window frames and grabs each window
alone, so the status dialog is drawn onto the main window's grab, with a thin border in place of its
frame: low in the window (Anki centres it) so that the deck list above it stays in view.

    python tools/addon_screenshot.py cardgen.ankiaddon DECK.apkg OUT.png [--size 1000x900]
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from anki_desktop import PROFILE, fresh_profile, run_anki  # tools/anki_desktop.py, beside this script

SETTLE_MS = 2500  # for the deck list's web view to draw after the add-on's changes
BUTTONS_PX = 70  # the deck list's bottom row (Get Shared, Create Deck, Import File), left in view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addon", type=Path)
    parser.add_argument("deck", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="1000x900")
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
    from aqt.qt import QApplication, QColor, QPainter, QPen, QTimer

    width, height = (int(v) for v in args.size.split("x"))

    def wait_for_apply() -> None:
        gui = sys.modules["cardgen.addon.gui"]
        if gui.question is not None:  # the first-run question: the learner says yes
            from aqt.qt import QMessageBox

            gui.question.done(QMessageBox.StandardButton.Yes.value)
        if gui.last_error is not None:
            raise SystemExit(f"the add-on failed: {gui.last_error}")
        if gui.last_plan is None:
            QTimer.singleShot(300, wait_for_apply)
            return
        main_window = aqt.mw
        for deck in main_window.col.decks.all():  # expand the deck tree
            deck["collapsed"] = False
            main_window.col.decks.save(deck)
        main_window.resize(width, height)
        main_window.moveToState("deckBrowser")
        QTimer.singleShot(SETTLE_MS, open_status)

    def open_status() -> None:
        QTimer.singleShot(500, shoot)  # runs inside the dialog's own event loop
        sys.modules["cardgen.addon.gui"].show_status()  # Tools > cardgen > Status...; returns once closed
        aqt.mw.unloadProfileAndExit()

    def shoot() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(300, shoot)
            return
        picture = aqt.mw.grab()
        over = dialog.grab()
        left = (picture.width() - over.width()) // 2
        top = max(0, picture.height() - over.height() - BUTTONS_PX)
        painter = QPainter(picture)
        painter.drawPixmap(left, top, over)
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.drawRect(left - 1, top - 1, over.width() + 1, over.height() + 1)
        painter.end()
        picture.save(str(args.out))
        print(f"wrote {args.out}")
        dialog.close()

    gui_hooks.profile_did_open.append(lambda: QTimer.singleShot(1000, wait_for_apply))
    run_anki(base)


if __name__ == "__main__":
    main()
