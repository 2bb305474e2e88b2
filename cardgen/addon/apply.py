"""Carry out a scheduling plan as one undoable step ("cardgen: apply difficulty and pace") through
Anki's own operations: update_deck_configs, reposition_new_cards, tag operations, collection config
(no Qt; the ``anki`` package only)."""

from __future__ import annotations

from cardgen.addon.plan import SchedulingPlan
from cardgen.addon.settings import (
    ASSIGNED_KEY,
    MANAGED_KEY,
    ORIGINAL_KEY,
    OWNED_KEY,
    STATE_KEY,
    assigned_of,
    hand_over,
    home_decks,
    managed_of,
    original_of,
    owned_of,
    preset_of,
    record_written,
    state_of,
    update_preset,
)
from cardgen.tags import DIFFICULTY_PREFIX, has_prefix

UNDO_NAME = "cardgen: apply difficulty and pace"


class UndoStep:
    """One named undo step gathering several collection operations, merged as each one is done (Anki
    keeps only the last 30 undo entries)."""

    def __init__(self, col, name: str) -> None:
        self.col = col
        self.target = col.add_custom_undo_entry(name)

    def merge(self):
        return self.col.merge_undo_entries(self.target)


def apply_plan(col, plan: SchedulingPlan):
    """Carry out ``plan`` as one undoable step; returns Anki's OpChanges (for the GUI's CollectionOp)."""
    from anki.collection import OpChanges

    if plan.is_empty():
        return OpChanges()
    step = UndoStep(col, UNDO_NAME)
    managed, owned, assigned, original = managed_of(col), owned_of(col), assigned_of(col), original_of(col)
    hand_over(plan.owned, managed, owned)
    before = {did: int(preset_of(col, did)["id"]) for did in plan.assign}
    _apply_presets(col, plan, step, managed, owned)
    # the preset each deck was given: a deck found later on another is the learner's choice; and the
    # one it had, given back when the deck is no longer the add-on's
    assigned.update({str(did): int(preset_of(col, did)["id"]) for did in plan.assign})
    assigned.update({str(did): preset_id for did, preset_id in plan.record.items()})
    for did, preset_id in before.items():
        original.setdefault(str(did), preset_id)
    for did, preset_id in sorted(plan.give_back.items()):
        deck = col.decks.get(did)
        deck["conf"] = preset_id
        col.decks.save(deck)
        step.merge()
        assigned.pop(str(did), None)
        original.pop(str(did), None)
    if plan.new_order:
        first, card_ids = plan.new_order
        col.sched.reposition_new_cards(card_ids=card_ids, starting_from=first, step_size=1, randomize=False,
                                       shift_existing=False)
        step.merge()
    _apply_tags(col, plan, step)
    state = state_of(col)
    if plan.today_new:
        for did, count in sorted(plan.today_new.items()):
            deck = col.decks.get(did)
            deck["newLimitToday"] = {"limit": count, "today": plan.today_day}
            col.decks.save(deck)
            step.merge()
        state["today_new"] = {**(state.get("today_new") or {}), **{str(d): n for d, n in plan.today_new.items()}}
    if plan.fit_day is not None:
        state["fit_day"] = plan.fit_day
    if plan.steps_fallback_day is not None:
        state["steps_fallback_day"] = plan.steps_fallback_day
        state["steps_fallback_after"] = plan.steps_fallback_after
    if plan.steps_fallback_end_day is not None:
        state["steps_fallback_end_day"] = plan.steps_fallback_end_day
    state["last"] = plan.describe()
    col.set_config(ASSIGNED_KEY, assigned, undoable=True)
    col.set_config(ORIGINAL_KEY, original, undoable=True)
    col.set_config(MANAGED_KEY, managed, undoable=True)
    col.set_config(OWNED_KEY, owned, undoable=True)
    col.set_config(STATE_KEY, state, undoable=True)
    return step.merge()


def _apply_presets(col, plan: SchedulingPlan, step: UndoStep, managed: dict, owned: dict[str, list[str]]) -> None:
    """The cardgen presets: given to their decks, with the plan's settings; FSRS turned on."""
    settings = plan.settings
    names = set(plan.assign.values()) | set(settings)
    done_ids: dict[str, int] = {}
    enable = plan.enable_fsrs
    for name in sorted(names):
        decks = sorted(d for d, p in plan.assign.items() if p == name)
        if not decks:  # the preset exists and is in use: change it through one of its decks
            decks = [next(d for d in home_decks(col)[0] if preset_of(col, d)["name"] == name)]
        values = settings.get(name, {})
        for did in decks:
            preset_id = update_preset(col, did, name, plan.sources.get(name), done_ids.get(name), values, enable)
            enable = False
            done_ids[name] = preset_id
            step.merge()
        record_written(col, done_ids[name], managed, owned)
    if enable:  # FSRS only
        update_preset(col, next(iter(home_decks(col)[0])), None, None, None, {}, True)
        step.merge()


def _apply_tags(col, plan: SchedulingPlan, step: UndoStep) -> None:
    """Each retagged note's ``difficulty::`` tags replaced by its band's."""
    tags = getattr(plan, "_note_tags", {})
    for band, note_ids in sorted(plan.retag.items(), key=lambda item: item[0].value):
        old = sorted({t for n in note_ids for t in tags.get(n, []) if has_prefix(t, DIFFICULTY_PREFIX)})
        if old:
            col.tags.bulk_remove(note_ids, " ".join(old))
        col.tags.bulk_add(note_ids, DIFFICULTY_PREFIX + band.value)
        step.merge()
