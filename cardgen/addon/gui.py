"""The add-on inside the Anki desktop: the first-run question, the Tools > cardgen menu with its status
dialog, and the hooks that call :func:`cardgen.addon.drive` (cardgen.addon.moments).

The only module of the add-on that imports Qt (through ``aqt``); the work itself is in
cardgen.addon.moments (with the modules it drives) and cardgen.addon.learner_side, which the tests run against the ``anki``
backend alone. Each hook does exactly what ``drive(col, moment, config)`` does, in the background.
"""

from __future__ import annotations

import html

import time
from pathlib import Path
from typing import Any, Callable

from cardgen.addon.learner_side import export_progress, remember_own_tags, restore_own_tags
from cardgen.addon.moments import DEFAULT_CONFIG, drive
from cardgen.addon.plan import SchedulingPlan, steps_text
from cardgen.addon.policy import BUDGET_READ_DAYS, NO_DATE_DAYS_LEFT
from cardgen.addon.scheduling import budget_read, plan_scheduling, status
from cardgen.addon.settings import day_done

CONSENT_KEY = "cardgenConsent"  # collection config: True once the learner said yes, False if no

# The outcome of the last drive, for the status dialog and the end-to-end test.
last_plan: SchedulingPlan | None = None
last_error: BaseException | None = None
question: Any = None  # the first-run question while it is open (a QMessageBox)


class _Initiator:
    """Marks the add-on's own operations, so its hook does not answer them."""


_OURS = _Initiator()


def setup() -> None:
    """Hook the add-on into the Anki desktop (nothing happens outside it)."""
    from aqt import gui_hooks, mw

    if mw is None:
        return  # imported by something other than a running Anki desktop
    gui_hooks.profile_did_open.append(lambda: _at("profile_open"))
    gui_hooks.sync_did_finish.append(lambda: _at("sync_done"))
    gui_hooks.state_did_change.append(_on_state)
    gui_hooks.operation_did_execute.append(_on_operation)
    _add_menu(mw)


def config() -> dict[str, Any]:
    """The add-on's config (Tools > Add-ons > Config), over the defaults."""
    from aqt import mw

    return {**DEFAULT_CONFIG, **(mw.addonManager.getConfig(__name__) or {})}


def _at(moment: str, *, restore: bool = False) -> None:
    from aqt import mw

    if mw.col is None:
        return
    consent = mw.col.get_config(CONSENT_KEY, None)
    if consent is None:
        _ask_first(moment)
    elif consent:
        run(moment, restore=restore)
    else:
        remember_own_tags(mw.col)


def _on_state(new_state: str, _old: str) -> None:
    """The first time the learner comes back to the deck list on a new Anki day: the day's work."""
    from aqt import mw

    if mw.col is None or new_state not in ("deckBrowser", "overview"):
        return
    if day_done(mw.col) != mw.col.sched.today:
        _at("day_start")


def _on_operation(changes: Any, handler: object | None) -> None:
    """After an import: give back the learner's own tags, run again. After an edit: note own tags."""
    from aqt import mw
    from aqt.import_export.import_dialog import ImportDialog

    if handler is _OURS or mw.col is None:
        return
    if isinstance(handler, ImportDialog) and (changes.note_text or changes.card or changes.deck):
        _at("sync_done", restore=True)
    elif changes.note_text or changes.tag:
        remember_own_tags(mw.col)


def _ask_first(moment: str) -> None:
    """The first run: show what the add-on would change, and ask (a non-blocking dialog)."""
    global question
    from aqt import mw
    from aqt.qt import QMessageBox, Qt

    if question is not None:
        return
    plan = plan_scheduling(mw.col, config())
    if not plan.decks:
        return  # no cardgen deck yet: nothing to ask about
    box = QMessageBox(mw)
    box.setWindowTitle("cardgen")
    box.setTextFormat(Qt.TextFormat.PlainText)  # deck and preset names are shown as written
    box.setText("cardgen can schedule your cardgen decks by your budget and your own reviews. "
                "It would now:\n\n" + "\n".join(f"- {line}" for line in plan.describe())
                + "\n\n" + _budget_line(budget_read(mw.col, config()))
                + "\n\nEverything can be undone with Edit > Undo; a setting you change later stays yours.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)

    def answered(button: int) -> None:
        global question
        question = None
        yes = button == QMessageBox.StandardButton.Yes.value or button == QMessageBox.StandardButton.Yes
        mw.col.set_config(CONSENT_KEY, bool(yes))
        if yes:
            run(moment)

    box.finished.connect(answered)
    question = box
    box.open()


def label_text(text: str) -> str:
    """``text`` for Anki's tooltip, which is a rich-text label: a deck or file name holding ``<`` or
    ``&`` is shown as written, not read as markup."""
    return html.escape(text, quote=False)


def run(moment: str, *, restore: bool = False, on_done: Callable[[SchedulingPlan], None] | None = None) -> None:
    """``drive(col, moment, config)`` in the background (one CollectionOp), after giving back the
    learner's own tags when an import took them."""
    from anki.collection import OpChanges
    from aqt import mw
    from aqt.operations import CollectionOp
    from aqt.utils import tooltip

    outcome: dict[str, SchedulingPlan] = {}
    settings = config()

    def work(col) -> OpChanges:
        touched = restore_own_tags(col) if restore else 0
        outcome["plan"] = plan = drive(col, moment, settings)
        remember_own_tags(col)
        changed = bool(touched or not plan.is_empty())
        return OpChanges(card=changed, note_text=changed, deck=changed, deck_config=changed, tag=changed,
                         study_queues=changed, browser_table=changed)

    def done(_: object) -> None:
        global last_plan, last_error
        last_plan, last_error = outcome["plan"], None
        if not last_plan.is_empty():
            tooltip(label_text("cardgen: " + "; ".join(last_plan.describe()[:3])))
        if on_done is not None:
            on_done(last_plan)

    def failed(error: Exception) -> None:
        global last_error
        last_error = error
        from aqt.utils import showWarning

        showWarning(f"cardgen could not apply its schedule: {error}")

    CollectionOp(parent=mw, op=work).success(done).failure(failed).run_in_background(initiator=_OURS)


def status_text(col, settings: dict[str, Any]) -> str:
    """The status dialog's text: pace, budget, why the learning steps are what they are (unless the
    learner set them), bands and what the add-on last did."""
    seen = status(col, settings)
    lines = [_budget_line(seen)]
    for preset in seen["presets"]:
        lines.append(f"Preset '{preset['name']}': pace {preset['new_per_day']} new cards/day, desired retention "
                     f"{preset['desired_retention']:.2f}, "
                     + (f"{preset['new_order']}, " if preset.get("new_order", "mixed") != "mixed" else "")
                     + f"learning steps {steps_text(preset.get('learning_steps') or [])}, "
                     + ("FSRS parameters set" if preset["own_parameters"] else "Anki's default FSRS parameters")
                     + (f"; yours, left alone: {', '.join(preset['yours'])}" if preset["yours"] else ""))
    if seen["learning_steps_why"] and any("learn_steps" not in preset["yours"] for preset in seen["presets"]):
        lines.append(f"Learning steps: {seen['learning_steps_why']}")
    lines.append("Bands: " + ", ".join(f"{seen['bands'].get(b, 0)} {b}" for b in ("hard", "medium", "easy")))
    lines.append(f"Decks: {', '.join(seen['decks']) or 'none'}")
    if seen["left_alone"]:
        lines.append(f"Left alone (they hold cards of your own): {', '.join(seen['left_alone'])}")
    if seen.get("chosen"):
        lines.append(f"Left alone (you chose their preset): {', '.join(seen['chosen'])}")
    lines.append("Last done:" if seen["last"] else "Last done: nothing yet")
    lines.extend(f"  - {line}" for line in seen["last"])
    return "\n".join(lines)


def _budget_line(seen: dict[str, Any]) -> str:
    """The learner's budget and target date as the add-on reads them (:func:`budget_read`), in one
    line: where the minutes come from when the learner set none (their reviews, or the default), and a
    budget typed as "twenty" must not look accepted either."""
    minutes = seen["minutes_per_day"]
    study = seen["study_days"]
    if seen.get("minutes_in_log") is not None:  # set, and the learner's reviews tell another budget
        how = (f" (on {seen['stopped_days']} of your {study} study days in the last {BUDGET_READ_DAYS} you "
               f"stopped with reviews still due, after about {seen['minutes_in_log']:g} minutes)")
    elif seen["minutes_from"] == "set":
        how = ""
    else:
        unread = ("" if seen["minutes_unread"] is None else
                  f"minutes_per_day {str(seen['minutes_unread'])!r} is not a number of minutes in a day; ")
        untimed = seen.get("untimed_days", 0)
        # too few days to tell, most of them untimed: a log imported, or written by a program
        untold = seen["minutes_from"] == "early" and untimed > study
        source = {
            "read": f"read from your reviews: on {seen['stopped_days']} of your {study} study "
                    f"day{'' if study == 1 else 's'} in the last {BUDGET_READ_DAYS} you stopped with reviews still due",
            "spare": f"the default: you finished your due reviews on most of your {study} study days in the last "
                     f"{BUDGET_READ_DAYS}",
            "early": "the default until your reviews tell",
            "untimed": f"the default: your answers on {untimed} day{'' if untimed == 1 else 's'} in the last "
                       f"{BUDGET_READ_DAYS} were logged without their time",
        }["untimed" if untold else seen["minutes_from"]]
        how = f" ({unread}{source}; set minutes_per_day in Tools > Add-ons > Config to choose)"
    return f"Budget: {minutes:g} minute{'' if minutes == 1 else 's'} a day{how}, " + _target_text(seen)


def _target_text(seen: dict[str, Any]) -> str:
    """The status line's part on the target date: the date that paces the curriculum, or why none
    does and what the pace assumes instead (a date typed as "June 1" must not look accepted)."""
    if not seen["target_unused"]:
        days = seen["target_days_left"]
        return f"curriculum by {seen['target_date']} ({days} day{'s' if days != 1 else ''} left, today included)"
    why = {"none": "no target date",
           "not a date": f"target date {str(seen['target_date'])!r} is not a date (write it as 2027-06-01)",
           "passed": f"target date {seen['target_date']} has passed"}[seen["target_unused"]]
    return (f"{why}: paced as if one were always {NO_DATE_DAYS_LEFT} days away "
            "(set target_date in Tools > Add-ons > Config)")


def show_status() -> None:
    from aqt import mw
    from aqt.utils import showInfo

    showInfo(status_text(mw.col, config()), title="cardgen status", textFormat="plain")


def export_progress_to(path: Path, on_done: Callable[[Path], None] | None = None) -> None:
    """Write the progress file to ``path`` in the background."""
    from aqt import mw
    from aqt.operations import QueryOp
    from aqt.utils import tooltip

    def finished(progress: Any) -> None:
        tooltip(label_text(f"cardgen: exported {len(progress.reviews)} reviews to {path.name}"))
        if on_done is not None:
            on_done(path)

    QueryOp(parent=mw, op=lambda col: export_progress(col, path), success=finished).with_progress(
        "cardgen: exporting progress").run_in_background()


def _ask_and_export() -> None:
    from aqt import mw
    from aqt.utils import getSaveFile

    name = f"cardgen-progress-{time.strftime('%Y-%m-%d')}.json"
    chosen = getSaveFile(mw, "Export cardgen progress", "cardgen-progress", "cardgen progress", ".json", fname=name)
    if chosen:
        export_progress_to(Path(chosen))


def _apply_now() -> None:
    from aqt import mw

    mw.col.set_config(CONSENT_KEY, True)
    run("sync_done")


def _add_menu(mw: Any) -> None:
    from aqt.qt import QAction, QMenu

    menu = QMenu("cardgen", mw)
    for label, action in (("Status...", show_status), ("Apply now", _apply_now),
                          ("Export progress...", _ask_and_export)):
        item = QAction(label, mw)
        item.triggered.connect(action)
        menu.addAction(item)
    mw.form.menuTools.addMenu(menu)
