"""The add-on inside the Anki desktop: the Tools > cardgen menu, the hooks, and background operations.

The only module of the add-on that imports Qt (through ``aqt``); the work itself is in
cardgen.addon.scheduling and cardgen.addon.learner_side, which the tests run against the ``anki``
backend alone.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from cardgen.addon.learner_side import export_progress, refresh_difficulty, remember_own_tags, restore_own_tags
from cardgen.addon.policy import DEFAULT_PACE
from cardgen.addon.scheduling import ApplyReport, apply_plan, plan_scheduling, report_of

# The outcome of the last apply, for the learner's tooltip and for the end-to-end test.
last_apply: ApplyReport | None = None
last_error: BaseException | None = None


class _Initiator:
    """Marks the add-on's own operations, so its hook does not answer them."""


_OURS = _Initiator()


def setup() -> None:
    """Hook the add-on into the Anki desktop (nothing happens outside it)."""
    from aqt import gui_hooks, mw

    if mw is None:
        return  # imported by something other than a running Anki desktop
    gui_hooks.profile_did_open.append(_on_profile_open)
    gui_hooks.operation_did_execute.append(_on_operation)
    gui_hooks.sync_did_finish.append(_on_sync)
    _add_menu(mw)


def _config() -> dict[str, Any]:
    from aqt import mw

    return mw.addonManager.getConfig(__name__) or {}


def _on_profile_open() -> None:
    from aqt import mw

    config = _config()
    if config.get("apply_on_open", True):  # the apply notes the learner's own tags when done
        apply(restore=False, refresh=bool(config.get("refresh_on_open", False)), quiet=True)
    else:
        remember_own_tags(mw.col)


def _on_sync() -> None:
    if _config().get("apply_on_open", True):
        apply(restore=False, quiet=True)


def _on_operation(changes: Any, handler: object | None) -> None:
    """After an import: give back the learner's own tags, apply again. After an edit: note own tags."""
    from aqt import mw
    from aqt.import_export.import_dialog import ImportDialog

    if handler is _OURS or mw.col is None:
        return
    if isinstance(handler, ImportDialog) and (changes.note_text or changes.card or changes.deck):
        apply(restore=True, quiet=False)
    elif changes.note_text or changes.tag:
        remember_own_tags(mw.col)


def apply(*, restore: bool, refresh: bool = False, quiet: bool = False,
          on_done: Callable[[ApplyReport], None] | None = None) -> None:
    """Restore own tags (after an import), refresh the difficulty tags (if asked) and apply the
    scheduling policy, in the background; one CollectionOp."""
    from anki.collection import OpChanges
    from aqt import mw
    from aqt.operations import CollectionOp
    from aqt.utils import tooltip

    default_pace = int(_config().get("default_pace", DEFAULT_PACE))
    outcome: dict[str, ApplyReport] = {}

    def work(col) -> OpChanges:
        touched = restore_own_tags(col) if restore else 0
        refreshed = refresh_difficulty(col).changed if refresh else 0
        plan = plan_scheduling(col, default_pace)
        apply_plan(col, plan)
        outcome["report"] = report_of(plan)
        remember_own_tags(col)
        changed = bool(touched or refreshed or not plan.is_empty())
        return OpChanges(card=changed, note_text=changed, deck=changed, deck_config=changed, tag=changed,
                         study_queues=changed, browser_table=changed)

    def done(_: object) -> None:
        global last_apply, last_error
        last_apply, last_error = outcome["report"], None
        if not quiet or last_apply.cards_moved or last_apply.new_cards_ordered:
            tooltip(f"cardgen: {last_apply.summary()}")
        if on_done is not None:
            on_done(last_apply)

    def failed(error: Exception) -> None:
        global last_error
        last_error = error
        from aqt.utils import showWarning

        showWarning(f"cardgen could not apply difficulty and pace: {error}")

    CollectionOp(parent=mw, op=work).success(done).failure(failed).run_in_background(initiator=_OURS)


def export_progress_to(path: Path, on_done: Callable[[Path], None] | None = None) -> None:
    """Write the progress file to ``path`` in the background."""
    from aqt import mw
    from aqt.operations import QueryOp
    from aqt.utils import tooltip

    def finished(progress: Any) -> None:
        tooltip(f"cardgen: exported {len(progress.reviews)} reviews to {path.name}")
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


def _add_menu(mw: Any) -> None:
    from aqt.qt import QAction, QMenu

    menu = QMenu("cardgen", mw)
    for label, action in (("Apply difficulty and pace", lambda: apply(restore=False)),
                          ("Refresh difficulty from my reviews", lambda: apply(restore=False, refresh=True)),
                          ("Export progress...", _ask_and_export)):
        item = QAction(label, mw)
        item.triggered.connect(action)
        menu.addAction(item)
    mw.form.menuTools.addMenu(menu)
