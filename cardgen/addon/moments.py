"""The add-on's one entry point: what it does at each moment the desktop calls it (no Qt).

``drive(col, moment, config)`` is what the desktop hooks call (cardgen.addon.gui) and what any
harness calls: the add-on does exactly the same thing in both.

* ``"profile_open"`` and ``"sync_done"``: the setup (decks holding only cardgen cards under the
  cardgen preset, FSRS on), and the day's work if it has not been done on this Anki day yet.
* ``"day_start"``: the first use of a new Anki day: the day's work (pace from the budget and target
  date, desired retention, the learner's own FSRS parameters when they fit better, the order of new
  cards, the difficulty tags), once a day.

Everything is one undoable step; nothing is written when there is nothing to change.
"""

from __future__ import annotations

from cardgen.addon.apply import apply_plan
from cardgen.addon.plan import SchedulingPlan
from cardgen.addon.scheduling import plan_scheduling
from cardgen.addon.settings import day_done, mark_day_done

MOMENTS = ("profile_open", "sync_done", "day_start")
DEFAULT_CONFIG = {"minutes_per_day": None, "target_date": None}


def drive(col, moment: str, config: dict | None = None) -> SchedulingPlan:
    """Do what the add-on does at ``moment`` to the open collection ``col``; returns what it did.
    ``config``: the add-on's config (None: the defaults after the learner said yes to the first run)."""
    if moment not in MOMENTS:
        raise ValueError(f"moment must be one of {', '.join(MOMENTS)}, not {moment!r}")
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config must be a dict (the add-on's config) or None, not {type(config).__name__}")
    config = {**DEFAULT_CONFIG, **(config or {})}
    today = col.sched.today
    day_work = day_done(col) != today
    plan = plan_scheduling(col, config, day_work=day_work)
    apply_plan(col, plan)
    if day_work:
        mark_day_done(col, today)  # after the step and outside it: an undone day's work stays undone
    return plan
