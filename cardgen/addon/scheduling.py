"""The policy (cardgen.addon.policy) worked out for an Anki collection (no Qt; the ``anki`` package only).

:func:`plan_scheduling` reads the collection and works out what the policy asks for, as a
cardgen.addon.plan ``SchedulingPlan``; cardgen.addon.apply carries it out as one undoable step, and
cardgen.addon.settings says which presets and values are the add-on's to change. :func:`status` is what
the status dialog shows.
"""

from __future__ import annotations

import datetime as _dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from cardgen.addon.bands import plan_bands, plan_new_order, tag_band
from cardgen.addon.plan import SchedulingPlan
from cardgen.addon import policy
from cardgen.addon.policy import (
    BUDGET_READ_DAYS,
    DEFAULT_MINUTES,
    DEFAULT_NEW_SECONDS,
    DEFAULT_REVIEW_SECONDS,
    DR_HIGH,
    FALLBACK_RETENTION,
    FIT_MIN_REVIEWS,
    LOG_DIFFERS,
    MIN_TIMED_ANSWER_MS,
    MIX_WITH_REVIEWS,
    NEW_AFTER_REVIEWS,
    NEW_BEFORE_REVIEWS,
    NO_DATE_DAYS_LEFT,
    ORDER_NAMES,
    RECENT_DAYS,
    PRESET_PREFIX,
    QUICK_REPEAT_SECONDS,
    REFIT_DAYS,
    SPARE_DAYS,
    affordable_retention,
    catch_up_day,
    class_repeats_fail,
    fallback_fails,
    forgets_overnight,
    keeping_up,
    learning_steps,
    minutes_from_log,
    minutes_in,
    new_cards_first,
    new_cards_today,
    one_step_held,
    retention_today,
    reviews_first,
    reviews_mostly_fail,
    reviews_wait_too_long,
    step_repeats_fail,
)
from cardgen.addon.settings import (
    ANKI_DEFAULT_RETENTION,
    DAY_SECONDS,
    NEW_QUEUE,
    assigned_of,
    cardgen_root,
    current_value,
    home_decks,
    learner_changes,
    learner_chosen,
    to_give_back,
    managed_of,
    owned_of,
    preset_of,
    same_value,
    state_of,
)
from cardgen.difficulty import Difficulty
from cardgen.learners.deck_marks import class_stats_in, fsrs_params_in
from cardgen.learners.model import ClassStats
from cardgen.tags import CARDGEN_SEARCH, DIFFICULTY_PREFIX


@dataclass(frozen=True)
class _Day:
    """What the day's decisions read from the collection and the add-on's config."""

    ids: str  # the cardgen cards' ids, comma-separated
    today: int  # Anki's day number
    state: dict  # the add-on's record (cardgen.addon.settings.STATE_KEY)
    minutes: float  # the learner's budget per day
    budget_from: str  # where it comes from (_Budget.source)
    due: int  # reviews due today
    new_left: int  # cards not introduced yet
    pace: int  # new cards today (policy.new_cards_today)
    days_left: int | None  # to the target date (None: no date)
    fell_back: bool  # under the fallback to Anki's steps since an earlier day
    yesterday: float | None  # minutes spent yesterday
    overdue: int  # reviews due before today
    overdue_days: float  # the days of the budget they would take
    kept_up: bool  # recent reviews mostly succeeded and few are overdue (policy.keeping_up)
    recent_reviews: int
    recent_successes: int
    repeat_answers: int  # recent learning-step answers right after a failed step of the same card
    repeat_failures: int
    class_repeats: tuple[int, int]  # the class's (failed, answered) a day after two failures (ClassStats.repeats)
    quick_answers: int  # under the fallback: steps answered within the hour of the card's failed answer
    quick_failures: int
    one_step_held: bool  # under the fallback: the one step held most cards before it (policy.one_step_held)
    forgets_overnight: bool  # under the fallback, and forgets a failed card overnight (policy.forgets_overnight)
    last_answer: int  # the newest answer's revlog id (ms): where a fallback starts
    mix: int  # the new/review order the recent reviews call for
    review_cards: int  # cards in review
    reviews: int  # reviews and relearning answers in the log

    @property
    def reviews_fail(self) -> bool:
        """Recent reviews mostly failed (policy.reviews_mostly_fail)."""
        return reviews_mostly_fail(recent_reviews=self.recent_reviews, recent_successes=self.recent_successes)


# ---------------------------------------------------------------- the plan

def plan_scheduling(col, config: dict | None = None, *, day_work: bool = True) -> SchedulingPlan:
    """What the policy asks of ``col``. ``day_work``: also the once-a-day decisions (pace, desired
    retention, parameters, order, tags); without it only the setup (which decks use which preset)."""
    config = dict(config or {})
    plan = SchedulingPlan()
    homes, mixed, chosen = _managed_decks(col)
    plan.left_alone = sorted(mixed.values())
    plan.chosen = sorted(chosen.values())
    root = cardgen_root(col, homes) if homes else None
    plan.give_back = to_give_back(col, set(homes) | ({root} if root is not None else set()))
    plan.give_back_names = {did: (col.decks.name(did), col.decks.get_config(preset)["name"])
                            for did, preset in plan.give_back.items()}
    if not homes:
        return plan
    plan.enable_fsrs = not col.get_config("fsrs", False)
    owned = owned_of(col)
    presets = _plan_presets(col, plan, homes, root)
    # values the learner changed since the add-on wrote them are theirs from now on
    plan.owned = learner_changes(presets, managed_of(col), owned)
    if not day_work:
        return plan
    class_stats = _first_mark(col, homes, class_stats_in)  # <!-- cardgen:class=... -->, if the deck carries it
    day = _read_day(col, config, class_stats)
    for name, preset in presets.items():
        key = str(preset["id"]) if preset["name"] == name else None
        _plan_settings(col, plan, name, preset, set(owned.get(key, [])) if key else set(), homes, day)
    # new cards in curriculum order with hard ones spread out; bands from the learner's reviews
    rows, note_band = plan_bands(col, plan, day.ids, day.today, class_stats.note_counts() if class_stats else {})
    plan_new_order(plan, rows, note_band, day.pace)
    if plan.root is None and len(homes) > 1:
        _plan_today_new(col, plan, rows, homes, day)
    return plan


def _plan_today_new(col, plan: SchedulingPlan, rows: list, homes: dict[int, str], day: _Day) -> None:
    """Today's new cards per deck: the first ``day.pace`` new cards in the order Anki will show them
    (curriculum order, hard ones spread out), counted by deck, as each deck's limit for today. Only
    where the cardgen decks have no root of their own to cap them (cardgen_root).

    The preset's new cards/day is a limit per deck: split evenly over the section decks, it would take
    a few new cards from every section at once (not curriculum order) and fewer than the pace once
    most sections are done. Anki's "today only" deck limit gives each deck exactly its share. A deck
    whose own new-card limit the learner set ("This deck") is theirs and keeps it; so does a
    today-only limit they set today."""
    order = plan.new_order[1] if plan.new_order else [cid for cid, _, queue, _, _, _ in rows if queue == NEW_QUEUE]
    today_ids = order[:day.pace]
    deck_of = dict(col.db.all(f"SELECT id, did FROM cards WHERE id IN ({','.join(map(str, today_ids)) or '0'})"))
    wanted = {did: 0 for did in homes}
    for cid in today_ids:
        if deck_of.get(cid) in wanted:
            wanted[deck_of[cid]] += 1
    written = dict(day.state.get("today_new") or {})
    for did, count in wanted.items():
        deck = col.decks.get(did)
        limit = deck.get("newLimitToday") or {}
        own_today = (limit.get("today") == day.today
                     and int(limit.get("limit", -1)) != int(written.get(str(did), -1)))
        if deck.get("newLimit") is not None or own_today:
            continue  # the learner's own limit for this deck
        if limit.get("today") != day.today or int(limit.get("limit", -1)) != count:
            plan.today_new[did] = count
            plan.today_names[did] = homes[did].split("::")[-1]
    plan.today_day = day.today


def _managed_decks(col) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """The decks the add-on manages, those left alone because they hold the learner's own cards, and
    those on a preset the learner chose (each {id: name}; settings.home_decks, learner_chosen)."""
    homes, mixed = home_decks(col)
    chosen = learner_chosen(col, homes)
    return {did: name for did, name in homes.items() if did not in chosen}, mixed, chosen


def _plan_presets(col, plan: SchedulingPlan, homes: dict[int, str], root: int | None) -> dict[str, dict]:
    """Which cardgen preset each home deck should use (a copy of its own when new), and the cardgen
    root's (``root``, settings.cardgen_root); returns each cardgen preset name with its current
    settings (or those of the preset it will copy)."""
    presets: dict[str, dict] = {}
    assigned = assigned_of(col)
    for did, name in sorted(homes.items(), key=lambda item: item[1]):
        preset = preset_of(col, did)
        plan.decks.append(name)
        # the add-on's preset, under the name the learner may have given it since
        if preset["name"].startswith(PRESET_PREFIX) or assigned.get(str(did)) == int(preset["id"]):
            presets.setdefault(preset["name"], preset)
            if str(did) not in assigned:  # given by a version that kept no record
                plan.record[did] = int(preset["id"])
            continue
        wanted = PRESET_PREFIX + preset["name"]
        existing = next((c for c in col.decks.all_config() if c["name"] == wanted), None)
        plan.assign[did] = wanted
        if existing is None:
            plan.sources.setdefault(wanted, int(preset["id"]))
        presets.setdefault(wanted, existing or preset)
    if root is not None and root in learner_chosen(col, [root]):
        plan.chosen.append(col.decks.name(root))
    elif root is not None:  # the root the learner studies from: the preset of its first section deck
        plan.root = root
        plan.decks.insert(0, col.decks.name(root))
        first = min(homes, key=lambda d: homes[d])
        wanted = plan.assign.get(first) or preset_of(col, first)["name"]
        if preset_of(col, root)["name"] != wanted:
            plan.assign[root] = wanted
        elif str(root) not in assigned:
            plan.record[root] = int(preset_of(col, root)["id"])
    return presets


def _read_day(col, config: dict, class_stats: ClassStats | None = None) -> _Day:
    """The learner's budget, due reviews, pace and recent results for the day's decisions;
    ``class_stats``: the class's record the deck carries, if it does (its ``repeats`` here)."""
    ids = _card_ids(col)
    today = col.sched.today
    budget = _budget(col, config, ids)
    minutes = budget.minutes
    days_left, _ = _target_date(col, config)
    review_s, new_s = _timings(col, ids)
    due = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND "
                        f"((queue = 2 AND due <= {today}) OR queue IN (1, 3))")
    new_left = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND queue = {NEW_QUEUE}")
    state = state_of(col)
    cutoff_ms, day_ms = col.sched.day_cutoff * 1000, DAY_SECONDS * 1000
    since = _fallback_since(state, cutoff_ms, today)
    fell_back = since is not None
    yesterday_s, timed = col.db.first(f"SELECT sum(time) / 1000.0, avg(time) >= {MIN_TIMED_ANSWER_MS} FROM revlog "
                                      f"WHERE cid IN ({ids}) AND ease > 0 AND id >= {cutoff_ms - 2 * day_ms} AND "
                                      f"id < {cutoff_ms - day_ms}")
    yesterday = yesterday_s / 60 if timed else None  # None: no answer, or answers logged without their time
    overdue = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND queue = 2 AND due < {today}")
    recent_ms = cutoff_ms - (RECENT_DAYS + 1) * day_ms  # the window of recent answers (policy.RECENT_DAYS)
    recent_reviews, recent_successes = col.db.first(
        f"SELECT count(), coalesce(sum(ease > 1), 0) FROM revlog WHERE cid IN ({ids}) AND type = 1 AND "
        f"id >= {recent_ms}")
    # a recent learning answer (type 0) whose card's previous answer was a failed learning step: a
    # learning answer, failed, and not the card's first answer (its first sight); only the logs of
    # cards with a recent learning answer are read
    repeat_answers, repeat_failures = col.db.first(
        _read(
            f"WITH answers AS (SELECT id, type, ease, row_number() OVER card AS n, lag(type) OVER card AS before_type, "
            f"lag(ease) OVER card AS before_ease FROM revlog WHERE cid IN ({ids}) AND cid IN "
            f"(SELECT cid FROM revlog WHERE id >= {recent_ms} AND type = 0) "
            f"WINDOW card AS (PARTITION BY cid ORDER BY id)) "
            f"SELECT count(), coalesce(sum(ease = 1), 0) FROM answers WHERE type = 0 AND n >= 3 AND "
            f"before_type = 0 AND before_ease = 1 AND id >= {recent_ms}"))
    quick_answers = quick_failures = held_answers = held_passes = 0  # not under the fallback: nothing to tell
    if fell_back:  # under the fallback: its quick repeats (policy.fallback_fails)
        quick_answers, quick_failures = col.db.first(
            _read(
                f"WITH answers AS (SELECT id, type, lag(ease) OVER card AS before_ease, id - lag(id) OVER card AS gap, "
                f"ease FROM revlog WHERE cid IN ({ids}) AND cid IN (SELECT cid FROM revlog WHERE id > {since}) "
                f"WINDOW card AS (PARTITION BY cid ORDER BY id)) "
                f"SELECT count(), coalesce(sum(ease = 1), 0) FROM answers WHERE type IN (0, 2) AND before_ease = 1 "
                f"AND gap < {QUICK_REPEAT_SECONDS * 1000} AND id > {since}"))
        # the cards introduced under the one step: their first answer after the session of their first sight
        held_answers, held_passes = col.db.first(
            _read(
                f"WITH firsts AS (SELECT cid, min(id) AS first FROM revlog WHERE cid IN ({ids}) AND type IN (0, 1, 2) "
                f"GROUP BY cid HAVING min(id) <= {since}), "
                f"later AS (SELECT r.cid, min(r.id) AS id FROM revlog r JOIN firsts f ON r.cid = f.cid "
                f"WHERE r.type IN (0, 1, 2) AND r.id > f.first + {QUICK_REPEAT_SECONDS * 1000} GROUP BY r.cid) "
                f"SELECT count(), coalesce(sum(r.ease > 1), 0) FROM later JOIN revlog r ON r.id = later.id"))
    first_answer, last_answer = col.db.first(f"SELECT min(id), coalesce(max(id), 0) FROM revlog WHERE cid IN ({ids})")
    days_studied = 0 if first_answer is None else max(0, (cutoff_ms - 1 - first_answer) // day_ms)
    overdue_days = overdue * review_s / (minutes * 60)
    kept_up = keeping_up(recent_reviews=recent_reviews, recent_successes=recent_successes,
                         overdue_days=overdue_days)
    pace = new_cards_today(minutes_per_day=minutes, due_reviews=due, review_seconds=review_s, new_seconds=new_s,
                           new_left=new_left, days_left=days_left, fell_back=fell_back, kept_up=kept_up,
                           days_studied=days_studied)
    held = one_step_held(held_answers=held_answers, held_passes=held_passes)
    overnight = fell_back and forgets_overnight(one_step_held=held, quick_answers=quick_answers,
                                                quick_failures=quick_failures)
    if reviews_first(days_left=days_left, new_left=new_left):
        mix = NEW_AFTER_REVIEWS
    elif new_cards_first(new_left=new_left, recent_reviews=recent_reviews, recent_successes=recent_successes,
                         today=today, forgets_overnight=overnight, overdue_days=overdue_days):
        mix = NEW_BEFORE_REVIEWS
    else:
        mix = MIX_WITH_REVIEWS
    review_cards = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND queue = 2")
    reviews = col.db.scalar(f"SELECT count() FROM revlog WHERE cid IN ({ids}) AND type IN (1, 2)")
    return _Day(ids=ids, today=today, state=state, minutes=minutes, budget_from=budget.source, due=due,
                new_left=new_left, pace=pace, days_left=days_left, fell_back=fell_back, yesterday=yesterday,
                overdue=overdue, overdue_days=overdue_days, kept_up=kept_up, recent_reviews=recent_reviews,
                recent_successes=recent_successes, repeat_answers=repeat_answers, repeat_failures=repeat_failures,
                class_repeats=tuple(class_stats.repeats) if class_stats else (0, 0),
                quick_answers=quick_answers, quick_failures=quick_failures, one_step_held=held,
                forgets_overnight=overnight,
                last_answer=last_answer, mix=mix,
                review_cards=review_cards, reviews=reviews)


def _card_ids(col) -> str:
    """The cardgen cards' ids, comma-separated, for the log and card queries."""
    return ",".join(str(int(c)) for c in col.find_cards(CARDGEN_SEARCH))


class _Budget(NamedTuple):
    """The learner's minutes a day and where they come from: ``"set"`` in the add-on's config, ``"read"``
    from the log (policy.minutes_from_log), ``"spare"`` (the log shows minutes to spare: the default),
    ``"early"`` (too few study days to tell: the default)."""

    minutes: float
    source: str
    stopped_days: int = 0  # of the study days read, those the learner stopped with a review still due
    study_days: int = 0
    untimed_days: int = 0  # days of answers logged without their time (policy.MIN_TIMED_ANSWER_MS), not read


def _budget(col, config: dict, ids: str) -> _Budget:
    """The learner's budget: their ``minutes_per_day`` when set (and a number of minutes in a day),
    otherwise read from their log of the last policy.BUDGET_READ_DAYS days."""
    minutes = minutes_in(config.get("minutes_per_day"))
    if minutes is not None:
        return _Budget(minutes, "set")
    stopped, study_days, untimed_days = _minutes_studied(col, ids)
    read = minutes_from_log(stopped, study_days)
    if read is not None:
        return _Budget(read, "read", len(stopped), study_days, untimed_days)
    return _Budget(DEFAULT_MINUTES, "early" if study_days < SPARE_DAYS else "spare", len(stopped), study_days,
                   untimed_days)


def _minutes_studied(col, ids: str) -> tuple[list[float], int, int]:
    """The learner's minutes of cardgen answers on each of the last policy.BUDGET_READ_DAYS days before
    today on which they stopped with a review still due, how many days they studied there, and on how
    many more days their answers were logged without their time.

    A review waited through day D when its card was scheduled (an answer's interval in days, from the
    Anki day of the answer) for D or before and its next answer came on a later day; a card never
    answered again waits still, when it is in review now (not suspended or buried). A card of a note
    answered that day does not count: Anki may have buried it as a sibling (the preset's bury options;
    an Image Occlusion note has a card per shape). A day whose answers were logged without their time
    (policy.MIN_TIMED_ANSWER_MS) does not tell the learner's minutes and is left out. (The waits are
    computed once, not per day: a sixth of the time on a log of 56,000 reviews.)"""
    if not ids:
        return [], 0, 0
    today, day_ms = col.sched.today, DAY_SECONDS * 1000
    cutoff_ms = col.sched.day_cutoff * 1000
    start_ms, today_ms = cutoff_ms - (BUDGET_READ_DAYS + 1) * day_ms, cutoff_ms - day_ms

    def day_of(column: str) -> str:  # the Anki day of a revlog id (ms)
        return f"({today} - ({cutoff_ms} - 1 - {column}) / {day_ms})"

    in_window = f"r.id >= {start_ms} AND r.id < {today_ms}"
    rows = col.db.all(
        _read(
            f"WITH answers AS (SELECT r.cid, c.nid, r.id, r.ivl, lead(r.id) OVER (PARTITION BY r.cid ORDER BY r.id) "
            f"AS next_id FROM revlog r JOIN cards c ON c.id = r.cid WHERE r.cid IN ({ids})), "
            f"waits AS MATERIALIZED (SELECT nid, {day_of('id')} + ivl AS due_day, "
            f"coalesce({day_of('next_id')}, {today}) AS answered_day "
            f"FROM answers WHERE ivl > 0 AND (next_id IS NOT NULL OR cid IN "
            f"(SELECT id FROM cards WHERE id IN ({ids}) AND queue = 2))), "
            f"studied AS MATERIALIZED (SELECT DISTINCT c.nid, {day_of('r.id')} AS day FROM revlog r "
            f"JOIN cards c ON c.id = r.cid WHERE r.cid IN ({ids}) AND r.ease > 0 AND {in_window}), "
            f"days AS (SELECT {day_of('r.id')} AS day, sum(r.time) AS ms, "
            f"avg(r.time) >= {MIN_TIMED_ANSWER_MS} AS timed "
            f"FROM revlog r WHERE r.cid IN ({ids}) AND r.ease > 0 AND {in_window} GROUP BY day) "
            f"SELECT days.ms, days.timed, EXISTS (SELECT 1 FROM waits w WHERE w.due_day <= days.day AND "
            f"w.answered_day > days.day AND NOT EXISTS (SELECT 1 FROM studied s WHERE s.nid = w.nid AND "
            f"s.day = days.day)) FROM days"))
    timed = [(ms, stopped) for ms, is_timed, stopped in rows if is_timed]
    return [ms / 60_000 for ms, stopped in timed if stopped], len(timed), len(rows) - len(timed)


def _plan_settings(col, plan: SchedulingPlan, name: str, preset: dict, mine: set[str], homes: dict[int, str],
                   day: _Day) -> None:
    """The day's values for the cardgen preset ``name``, but for the fields ``mine`` (the learner's)."""
    values, why = {}, {}
    # the root's limit caps the whole tree: the pace itself; otherwise a share per deck
    per_deck = day.pace if plan.root is not None else math.ceil(day.pace / max(1, len(homes)))
    if "new_per_day" not in mine and current_value(preset, "new_per_day") != per_deck:
        values["new_per_day"] = per_deck
        why["new_per_day"] = f"{day.minutes:g} min/day, {day.due} reviews due, {day.new_left} new left"
    if "fsrs_params" not in mine:
        _plan_params(col, plan, current_value(preset, "fsrs_params"), homes, day, values, why)
    if "learn_steps" not in mine:
        _plan_steps(plan, current_value(preset, "learn_steps"), day, values, why)
    if "new_mix" not in mine and current_value(preset, "new_mix") != day.mix:
        values["new_mix"] = day.mix
        why["new_mix"] = _order_reason(day)
    if "desired_retention" not in mine:
        current = current_value(preset, "desired_retention")
        # what the budget holds, once it is known: a retention raised for a default budget that the
        # learner's log then shows too large would never come down (policy.retention_today)
        simulated = {} if day.budget_from == "early" else _simulate_retentions(
            col, day, current, values.get("fsrs_params") or current_value(preset, "fsrs_params"),
            len(values.get("learn_steps") or current_value(preset, "learn_steps")))
        affordable = affordable_retention(simulated, minutes_per_day=day.minutes)
        dr = retention_today(current, minutes_per_day=day.minutes,
                             minutes_yesterday=day.yesterday, overdue=day.overdue, reviews=day.review_cards,
                             new_left=day.new_left, fell_back=day.fell_back, affordable=affordable,
                             kept_up=day.kept_up, reviews_fail=day.reviews_fail)
        if not same_value(current, dr):
            values["desired_retention"] = dr
            why["desired_retention"] = _retention_reason(day, dr, simulated if dr == affordable else {})
    if values:
        plan.settings[name] = values
        plan.reasons[name] = why


def _retention_reason(day: _Day, retention: float, simulated: dict) -> str:
    """Why the desired retention rises to ``retention`` (policy.retention_today, which never lowers it),
    in the learner's words; ``simulated``: Anki's simulation when it is the simulator's choice."""
    if day.fell_back and retention == FALLBACK_RETENTION:
        return "you forget a failed card before a day goes by: shorter intervals"
    if retention == DR_HIGH and day.kept_up and not day.new_left:
        return "every card is introduced and you keep up with your reviews: the most they can hold"
    if retention == DR_HIGH and day.reviews_fail:
        return (f"only {day.recent_successes} of {day.recent_reviews} recent reviews succeeded: you forget "
                "faster than FSRS expects, so your reviews come sooner")
    if retention in simulated:
        return f"Anki's simulator: it takes {simulated[retention][0]:.1f} of your {day.minutes:g} minutes a day"
    return f"{day.yesterday or 0:.0f} of {day.minutes:g} minutes used yesterday"


def _simulate_retentions(col, day: _Day, current: float, params: list[float],
                         learn_steps: int) -> dict[float, tuple[float, float]]:
    """Anki's own simulator run to the target date for each of policy.RETENTION_CHOICES above
    ``current`` with the learner's parameters (Anki's defaults when empty), today's pace, and the
    seconds per answer in their log: ``{retention: (minutes a day, knowledge at the date)}``. Empty when
    nothing is above ``current`` or Anki cannot simulate (policy.affordable_retention)."""
    from anki.scheduler_pb2 import SimulateFsrsReviewRequest

    days = day.days_left or NO_DATE_DAYS_LEFT
    simulated = {}
    for retention in (r for r in policy.RETENTION_CHOICES if r > current + 1e-9):
        request = SimulateFsrsReviewRequest(
            params=params, desired_retention=retention, deck_size=0, days_to_simulate=days,
            new_limit=day.pace, review_limit=9999, max_interval=36500, search=f"cid:{day.ids}",
            new_cards_ignore_review_limit=True, learning_step_count=learn_steps, relearning_step_count=1,
            historical_retention=0.9)
        try:
            result = col._backend.simulate_fsrs_review(request)
        except Exception:  # parameters Anki refuses: no simulated choice
            return {}
        if result.daily_time_cost and result.accumulated_knowledge_acquisition:
            simulated[retention] = (statistics.mean(result.daily_time_cost) / 60,
                                    result.accumulated_knowledge_acquisition[-1])
    return simulated


def _read(sql: str) -> str:
    """``sql``, a query that starts with ``WITH``, as Anki's database layer takes a read: it takes a
    statement that does not start with SELECT for a write, and clears the learner's undo history."""
    return f"SELECT * FROM ({sql})"


def _fallback_since(state: dict, cutoff_ms: int, today: int) -> int | None:
    """The revlog id after which the learner has been under the fallback to Anki's steps (None: not
    under it). A record from before the id was kept: the start of the fallback's day."""
    if "steps_fallback_day" not in state or "steps_fallback_end_day" in state:
        return None
    if "steps_fallback_after" in state:
        return int(state["steps_fallback_after"])
    today_start = cutoff_ms - DAY_SECONDS * 1000
    return today_start - (today - int(state["steps_fallback_day"])) * DAY_SECONDS * 1000


class _StepsToday(NamedTuple):
    """The day's learning steps and why (:func:`_steps_today`)."""

    steps: tuple[float, ...]
    reason: str  # in the learner's words: the plan's reason when they change, the status dialog's line
    falls_back: bool  # the fallback to Anki's steps starts today
    ends: bool  # the fallback ends today, for good


def _steps_today(day: _Day) -> _StepsToday:
    """The learning steps: the one step; Anki's once the learner's repeats fail, or while they are too
    few to tell, the class's (recorded, with the newest answer, so that only later answers judge it);
    the one step again for good when Anki's steps do not help either (policy.step_repeats_fail,
    policy.class_repeats_fail, policy.fallback_fails, policy.one_step_held)."""
    state = day.state
    ended = "steps_fallback_end_day" in state
    fell_back = day.fell_back
    own = step_repeats_fail(repeat_answers=day.repeat_answers, repeat_failures=day.repeat_failures)
    class_failures, class_answers = day.class_repeats
    # only while the learner has too few repeats of their own to tell, so never together with ``own``
    by_class = class_repeats_fail(class_answers=class_answers, class_failures=class_failures,
                                  repeat_answers=day.repeat_answers,
                                  minutes_per_day=None if day.budget_from == "early" else day.minutes)
    falls_back = not (fell_back or ended) and (own or by_class)
    ends = fell_back and fallback_fails(quick_answers=day.quick_answers, quick_failures=day.quick_failures,
                                        one_step_held=day.one_step_held)
    # quick repeats that would end it, where the one step had held few cards: the fallback stays
    stays = fell_back and not ends and fallback_fails(quick_answers=day.quick_answers,
                                                      quick_failures=day.quick_failures)
    quick = f"{day.quick_failures} of {day.quick_answers} cards failed again within the hour of seeing the answer"
    if ends:
        reason = f"{quick}: a shorter step does not help, so the one step comes back"
    elif ended:
        reason = f"Anki's steps did not help you either (since day {state['steps_fallback_end_day']})"
    elif stays:
        reason = (f"one step failed too often for you (since day {state['steps_fallback_day']}); {quick}, but "
                  "most cards the one step introduced failed their next session too: you learn a card by "
                  "answering it again, so Anki's steps stay")
    elif fell_back:
        reason = f"one step failed too often for you (since day {state['steps_fallback_day']})"
    elif falls_back and by_class:
        reason = (f"your class failed {class_failures} of {class_answers} cards again a day after "
                  "failing them twice in a row: the step comes back after the card is forgotten")
    elif falls_back:
        reason = (f"{day.repeat_failures} of {day.repeat_answers} cards that failed a learning step "
                  f"failed the next one too ({RECENT_DAYS} days): the step comes back after "
                  "the card is forgotten")
    else:
        reason = "a repeat a minute after the first answer costs a review's time and adds little"
    return _StepsToday(steps=learning_steps(fell_back=(fell_back or falls_back) and not ends), reason=reason,
                       falls_back=falls_back, ends=ends)


def _plan_steps(plan: SchedulingPlan, current: list[float], day: _Day, values: dict, why: dict) -> None:
    """The day's learning steps (:func:`_steps_today`), recorded when the fallback starts or ends."""
    today = _steps_today(day)
    if today.falls_back:
        plan.steps_fallback_day, plan.steps_fallback_after = day.today, day.last_answer
    if today.ends:
        plan.steps_fallback_end_day = day.today
    steps = list(today.steps)
    if same_value(current, steps):
        return
    values["learn_steps"] = steps
    why["learn_steps"] = today.reason


def _order_reason(day: _Day) -> str:
    """Why the day's new/review order is what it is (policy.reviews_first, policy.new_cards_first), in
    the learner's words."""
    succeeded = f"{day.recent_successes} of {day.recent_reviews} recent reviews succeeded"
    if not day.new_left:
        return "every card is introduced"
    if day.mix == NEW_AFTER_REVIEWS:
        return f"the last {policy.FINAL_REVIEW_DAYS} days to your target date: reviews before new cards"
    if day.mix == NEW_BEFORE_REVIEWS:
        return f"{succeeded}, {day.new_left} cards not introduced yet"
    if catch_up_day(day.today):
        return f"a catch-up day for overdue reviews (every {policy.CATCH_UP_EVERY} days); {succeeded}"
    if reviews_wait_too_long(forgets_overnight=day.forgets_overnight, overdue_days=day.overdue_days):
        return (f"{day.overdue} reviews overdue, {day.overdue_days:.1f} days of your minutes: "
                "you forget a card while it waits")
    return succeeded


def _plan_params(col, plan: SchedulingPlan, params: list[float], homes: dict[int, str], day: _Day, values: dict,
                 why: dict) -> None:
    """FSRS parameters: the class's on a cold start, the learner's own once they fit better."""
    cohort = _cohort_params(col, homes)
    if not params and cohort:
        values["fsrs_params"], why["fsrs_params"] = cohort, "the class's parameters (cold start)"
        params = cohort
    if day.reviews >= FIT_MIN_REVIEWS and day.today - int(day.state.get("fit_day", -REFIT_DAYS)) >= REFIT_DAYS:
        fitted = _fit(col, f"cid:{day.ids}", params)
        plan.fit_day = day.today
        if fitted:
            values["fsrs_params"], why["fsrs_params"] = fitted, f"your own fit on {day.reviews} reviews"


# ---------------------------------------------------------------- reading the collection

def _target_date(col, config: dict) -> tuple[int | None, str]:
    """Days from today to the learner's target date, today and that day included, and ``""``; or None
    and why, in the status dialog's words: ``"none"`` (no date set), ``"not a date"`` (not an ISO date
    such as 2027-06-01, nor an ISO date and time: a harness may pass ``datetime.isoformat()``) or
    ``"passed"`` (the exam is over: the pace is the no-date one, not every card left at once)."""
    target = config.get("target_date")
    if not target:
        return None, "none"
    text = str(target).strip()
    try:
        date = _dt.date.fromisoformat(text)
    except ValueError:
        try:
            date = _dt.datetime.fromisoformat(text).date()
        except ValueError:
            return None, "not a date"
    today = _dt.datetime.fromtimestamp(col.sched.day_cutoff - DAY_SECONDS).date()
    if date < today:
        return None, "passed"
    return (date - today).days + 1, ""


def _timings(col, search_ids: str) -> tuple[float, float]:
    """The learner's seconds per review and per new card (with its learning steps) from their log;
    the defaults where the log does not tell: too few answers, or answers logged without their time
    (policy.MIN_TIMED_ANSWER_MS: imported from elsewhere, or written by a harness that left
    ``milliseconds_taken`` unset)."""
    review, timed = col.db.first(f"SELECT avg(time) / 1000.0, avg(time) >= {MIN_TIMED_ANSWER_MS} FROM revlog "
                                 f"WHERE type = 1 AND cid IN ({search_ids})")
    learn = col.db.all(f"SELECT cid, sum(time) / 1000.0, avg(time) FROM revlog WHERE type = 0 "
                       f"AND cid IN ({search_ids}) GROUP BY cid")
    timed_new = len(learn) >= 5 and statistics.mean(ms for _, _, ms in learn) >= MIN_TIMED_ANSWER_MS
    new = statistics.mean(seconds for _, seconds, _ in learn) if timed_new else None
    return (review if timed else DEFAULT_REVIEW_SECONDS), (new or DEFAULT_NEW_SECONDS)


def _cohort_params(col, homes: dict[int, str]) -> list[float] | None:
    """The class's FSRS parameters a cardgen root deck's description carries, if any."""
    return _first_mark(col, homes, fsrs_params_in)  # <!-- cardgen:fsrs=... -->


def _first_mark(col, homes: dict[int, str], read):
    """What ``read`` finds first in the descriptions of the cardgen decks' roots and the decks themselves."""
    for name in sorted({n.split("::")[0] for n in homes.values()} | set(homes.values())):
        deck = col.decks.by_name(name)
        found = read((deck or {}).get("desc", "") or "")
        if found:
            return found
    return None


def _fit(col, search: str, current: list[float]) -> list[float] | None:
    """The learner's own parameters when Anki can fit them and they predict the learner's reviews
    better than ``current`` (Anki's own evaluation, log loss)."""
    try:
        fitted = list(col._backend.compute_fsrs_params(search=search, current_params=current,
                                                        ignore_revlogs_before_ms=0, num_of_relearning_steps=1,
                                                        health_check=False).params)
    except Exception:  # too few reviews: Anki cannot fit yet
        return None
    if not fitted or same_value(fitted, current):
        return None
    if current:
        try:
            old = col._backend.evaluate_params_legacy(params=current, search=search, ignore_revlogs_before_ms=0)
            new = col._backend.evaluate_params_legacy(params=fitted, search=search, ignore_revlogs_before_ms=0)
            if new.log_loss >= old.log_loss:
                return None
        except Exception:
            pass
    return fitted


# ---------------------------------------------------------------- the status dialog

def budget_read(col, config: dict | None = None) -> dict:
    """The learner's budget and target date as the add-on reads them from its ``config``: what the
    status dialog and the first-run question show, without planning anything."""
    config = dict(config or {})
    minutes = config.get("minutes_per_day")
    days_left, why_not = _target_date(col, config)
    ids = _card_ids(col)
    budget = _budget(col, config, ids)
    # a budget set that the learner's log contradicts: shown (never used; the setting is theirs)
    logged = _budget(col, {}, ids) if budget.source == "set" else budget
    differs = logged.source == "read" and abs(logged.minutes - budget.minutes) > LOG_DIFFERS * budget.minutes
    return {
        "minutes_per_day": budget.minutes,
        "minutes_from": budget.source,  # "set", "read" (from the log), "spare" or "early" (the default)
        "stopped_days": logged.stopped_days,  # the days the learner stopped with reviews due...
        "study_days": logged.study_days,  # ...of their study days in the window read
        "untimed_days": logged.untimed_days,  # days there whose answers were logged without their time
        "minutes_in_log": logged.minutes if budget.source == "set" and differs else None,
        # the learner's value when it is set but not a number of minutes in a day (read or the default instead)
        "minutes_unread": None if minutes is None or minutes_in(minutes) is not None else minutes,
        "target_date": config.get("target_date"),
        "target_days_left": days_left,
        "target_unused": why_not,  # "none", "not a date", "passed"; "" when the date paces the curriculum
    }


def status(col, config: dict | None = None) -> dict:
    """What the status dialog shows: budget (:func:`budget_read`), pace, desired retention, bands, why
    the learning steps are what they are, what was last done."""
    config = dict(config or {})
    homes, mixed_decks, chosen = _managed_decks(col)
    mixed = sorted(mixed_decks.values())
    presets = {(preset_of(col, d)["name"], preset_of(col, d)["id"]): preset_of(col, d) for d in homes}
    plan = plan_scheduling(col, config, day_work=False)
    steps_why = ""
    if homes:  # why the learning steps are what they are today: the plan says so only when they change
        class_stats = _first_mark(col, homes, class_stats_in)
        steps_why = _steps_today(_read_day(col, config, class_stats)).reason
    counts: dict[str, int] = defaultdict(int)
    for nid in col.find_notes(CARDGEN_SEARCH):
        band = tag_band(col.get_note(nid).tags, DIFFICULTY_PREFIX) or Difficulty.MEDIUM
        counts[band.value] += 1
    owned = owned_of(col)
    return {
        **budget_read(col, config),
        "presets": [{"name": name, "new_per_day": p["new"]["perDay"],
                     "desired_retention": round(float(p.get("desiredRetention", ANKI_DEFAULT_RETENTION)), 3),
                     "own_parameters": bool(p.get("fsrsParams6")),
                     "new_order": ORDER_NAMES.get(current_value(p, "new_mix"), "mixed"),
                     "learning_steps": current_value(p, "learn_steps"),
                     "yours": owned.get(str(pid), [])} for (name, pid), p in sorted(presets.items())],
        "bands": dict(counts),
        "decks": sorted(homes.values()),
        "left_alone": mixed,
        "chosen": sorted(chosen.values()),  # decks on a preset the learner chose: left alone
        "learning_steps_why": steps_why,  # why the cardgen presets' learning steps are what they are today
        "last": state_of(col).get("last", []),
        "pending": [] if plan.is_empty() else plan.describe(),
    }
