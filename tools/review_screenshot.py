"""Screenshot the real Anki desktop reviewing a cardgen card (for the docs).

Runs Anki (`pip install "aqt[qt]"`) headless: a fresh profile, the deck imported, the reviewer opened
on the first card matching a search, the answer shown if asked, a screenshot of the main window.

    QT_QPA_PLATFORM=offscreen python tools/review_screenshot.py DECK.apkg OUT.png \\
        --search '"note:Image Occlusion (cardgen v1)"' [--answer]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anki_desktop import fresh_profile, run_anki  # tools/anki_desktop.py, beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deck", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--search", default="deck:*")
    parser.add_argument("--answer", action="store_true", help="show the answer side")
    parser.add_argument("--size", default="1100x900")
    args = parser.parse_args()
    base = fresh_profile()

    import aqt
    from aqt import gui_hooks, mw  # noqa: F401 - mw is set once Anki runs
    from aqt.qt import QTimer

    width, height = (int(v) for v in args.size.split("x"))

    def on_open() -> None:
        # Anki moves to the deck browser after this hook; start once it has settled.
        QTimer.singleShot(1500, start)

    def start() -> None:
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

        main_window = aqt.mw
        col = main_window.col
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(args.deck.resolve()), options=ImportAnkiPackageOptions(with_scheduling=True)))
        card_ids = col.find_cards(args.search)
        if not card_ids:
            print(f"no card matches {args.search}", file=sys.stderr)
            main_window.close()
            return
        card = col.get_card(card_ids[0])
        col.decks.select(card.did)
        # Move the chosen card to the front of the new queue so the reviewer shows it first.
        col.sched.reposition_new_cards([card.id], starting_from=0, step_size=1, randomize=False, shift_existing=True)
        main_window.resize(width, height)
        main_window.reset()
        QTimer.singleShot(1000, lambda: main_window.moveToState("review"))

        def reveal() -> None:
            if args.answer:
                main_window.reviewer._showAnswer()
            QTimer.singleShot(2500, shoot)

        def shoot() -> None:
            main_window.grab().save(str(args.out))
            print(f"wrote {args.out}")
            main_window.unloadProfileAndExit()

        QTimer.singleShot(3500, reveal)

    gui_hooks.profile_did_open.append(on_open)
    run_anki(base)


if __name__ == "__main__":
    main()
