"""The policy (cardgen.addon.policy) as Anki collection operations (no Qt; the ``anki`` package only).

:func:`plan_scheduling` reads the collection and works out what the policy asks for; :func:`apply_plan`
carries it out as one undoable step ("cardgen: apply difficulty and pace") through Anki's own
operations (update_deck_configs, reposition_new_cards, tag operations, collection config).

What the add-on leaves alone:

* Only decks that hold cardgen cards and nothing else get the cardgen preset: never a parent deck the
  learner made (it holds their other decks), never a deck where the learner keeps cards of their own.
* The cardgen preset starts as a copy of the preset those decks used: the learner's FSRS parameters,
  desired retention, Easy Days and every other setting carry over.
* The add-on notes (collection config :data:`MANAGED_KEY`, which syncs) each value it wrote. A value
  found different later was changed by the learner (on any device): from then on it is theirs and the
  add-on never writes it again (:data:`OWNED_KEY`).
* The review log is only read.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from cardgen.addon.policy import (
    DEFAULT_MINUTES,
    DEFAULT_NEW_SECONDS,
    DEFAULT_REVIEW_SECONDS,
    FIT_MIN_REVIEWS,
    MANAGED_FIELDS,
    MIX_WITH_REVIEWS,
    NEW_BEFORE_REVIEWS,
    RECENT_DAYS,
    PRESET_PREFIX,
    REFIT_DAYS,
    LEARN_FAIL_WEIGHT,
    bands_of,
    failure_rate,
    new_cards_first,
    new_cards_today,
    predicted_failure,
    recall_after,
    retention_today,
    spread_hard,
)
from cardgen.difficulty import Difficulty
from cardgen.tags import CARDGEN_SEARCH, DIFFICULTY_PREFIX, PRIOR_PREFIX, after_prefix, has_prefix

UNDO_NAME = "cardgen: apply difficulty and pace"
MANAGED_KEY = "cardgenManaged"  # {preset id: {field: the value the add-on last wrote}}
OWNED_KEY = "cardgenLearnerOwned"  # {preset id: [fields the learner changed, never written again]}
STATE_KEY = "cardgenState"  # {"day": Anki day of the last day's work, "fit_day", "last": what was done}
COHORT_MARKER = re.compile(r"<!-- cardgen:fsrs=([0-9.,\-]+) -->")  # the class's FSRS parameters
NEW_QUEUE = 0
ANKI_DEFAULT_RETENTION = 0.9  # a preset's desired retention when Anki has stored none
DAY_SECONDS = 86_400
SPREAD = True  # new cards in curriculum order with hard ones spread out


@dataclass
class SchedulingPlan:
    """What applying the policy would change."""

    enable_fsrs: bool = False
    assign: dict[int, str] = field(default_factory=dict)  # deck id -> cardgen preset name it should use
    sources: dict[str, int] = field(default_factory=dict)  # cardgen preset name -> preset copied from
    settings: dict[str, dict] = field(default_factory=dict)  # cardgen preset name -> {field: value}
    reasons: dict[str, dict] = field(default_factory=dict)  # preset name -> {field: why}
    owned: dict[str, list[str]] = field(default_factory=dict)  # preset id -> fields found changed by the learner
    new_order: tuple[int, list[int]] | None = None  # (first position, card ids)
    retag: dict[Difficulty, list[int]] = field(default_factory=dict)  # band -> note ids to retag
    bands: dict[Difficulty, int] = field(default_factory=dict)
    left_alone: list[str] = field(default_factory=list)  # decks with cardgen cards the add-on does not touch
    decks: list[str] = field(default_factory=list)  # the decks under the cardgen preset(s)

    def is_empty(self) -> bool:
        return not (self.enable_fsrs or self.assign or any(self.settings.values()) or self.new_order
                    or self.retag or self.owned)

    def describe(self) -> list[str]:
        """What applying changes, one line each, for the first-run question and the status dialog."""
        lines = []
        if self.enable_fsrs:
            lines.append("Turn on FSRS (Anki's modern scheduler) for this collection.")
        for name, source in sorted(self.sources.items()):
            decks = [d for d, p in self.assign.items() if p == name]
            lines.append(f"Give {len(decks)} deck(s) holding only cardgen cards the preset '{name}', "
                         f"a copy of the preset they use now; other decks and presets are not touched.")
        for name, values in sorted(self.settings.items()):
            for key, value in sorted(values.items()):
                why = self.reasons.get(name, {}).get(key, "")
                shown = (f"{len(value)} parameters" if isinstance(value, list) else
                         ("new cards first" if value == NEW_BEFORE_REVIEWS else "mixed") if key == "new_mix" else value)
                label = "new/review order" if key == "new_mix" else key.replace("_", " ")
                lines.append(f"'{name}': {label} -> {shown}{f' ({why})' if why else ''}")
        if self.new_order:
            lines.append(f"Order {len(self.new_order[1])} new cardgen cards along the curriculum, hard ones spread out.")
        for band, ids in sorted(self.retag.items(), key=lambda item: item[0].value):
            lines.append(f"Tag {len(ids)} note(s) {DIFFICULTY_PREFIX}{band.value} (from your reviews).")
        for deck in self.left_alone:
            lines.append(f"Leave '{deck}' alone: it also holds cards of your own.")
        return lines or ["Nothing to change."]


class UndoStep:
    """One named undo step gathering several collection operations, merged as each one is done (Anki
    keeps only the last 30 undo entries)."""

    def __init__(self, col, name: str) -> None:
        self.col = col
        self.target = col.add_custom_undo_entry(name)

    def merge(self):
        return self.col.merge_undo_entries(self.target)


# ---------------------------------------------------------------- reading the collection

def _home_decks(col) -> tuple[dict[int, str], list[str]]:
    """Decks holding cardgen cards and nothing else ({id: name}), and those also holding other cards."""
    rows = col.db.all("SELECT did, count() FROM cards WHERE odid = 0 GROUP BY did")
    total = dict(rows)
    ids = list(col.find_cards(CARDGEN_SEARCH))
    if not ids:
        return {}, []
    ours = dict(col.db.all(f"SELECT did, count() FROM cards WHERE odid = 0 AND id IN ({','.join(map(str, ids))}) "
                           "GROUP BY did"))
    homes, mixed = {}, []
    for did, count in ours.items():
        name = col.decks.name(did)
        (homes.__setitem__(did, name) if total.get(did) == count else mixed.append(name))
    return homes, sorted(mixed)


def _preset(col, did: int) -> dict:
    return col.decks.config_dict_for_deck_id(did)


def _current(preset: dict, key: str):
    if key == "new_per_day":
        return int(preset["new"]["perDay"])
    if key == "new_mix":
        return int(preset.get("newMix", MIX_WITH_REVIEWS))
    if key == "desired_retention":
        return round(float(preset.get("desiredRetention", ANKI_DEFAULT_RETENTION)), 4)
    return [round(float(v), 4) for v in preset.get("fsrsParams6") or []]


def _same(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        a, b = list(a or []), list(b or [])
        return len(a) == len(b) and all(abs(x - y) <= 1e-3 * max(1.0, abs(x)) for x, y in zip(a, b))
    return abs(float(a) - float(b)) <= 1e-3


def _state(col) -> dict:
    return dict(col.get_config(STATE_KEY, None) or {})


def _target_days_left(col, config: dict) -> int | None:
    target = config.get("target_date")
    if not target:
        return None
    try:
        date = _dt.date.fromisoformat(str(target))
    except ValueError:
        return None
    today = _dt.datetime.fromtimestamp(col.sched.day_cutoff - DAY_SECONDS).date()
    return max(1, (date - today).days + 1)


def _timings(col, search_ids: str) -> tuple[float, float]:
    """The learner's seconds per review and per new card (with its learning steps) from their log."""
    review = col.db.scalar(f"SELECT avg(time) / 1000.0 FROM revlog WHERE type = 1 AND cid IN ({search_ids})")
    learn = col.db.all(f"SELECT cid, sum(time) / 1000.0 FROM revlog WHERE type = 0 AND cid IN ({search_ids}) "
                       "GROUP BY cid")
    new = statistics.mean(t for _, t in learn) if len(learn) >= 5 else None
    return (review if review else DEFAULT_REVIEW_SECONDS), (new or DEFAULT_NEW_SECONDS)


def _cohort_params(col, homes: dict[int, str]) -> list[float] | None:
    """The class's FSRS parameters a cardgen root deck's description carries, if any."""
    for name in sorted({n.split("::")[0] for n in homes.values()} | set(homes.values())):
        deck = col.decks.by_name(name)
        match = COHORT_MARKER.search((deck or {}).get("desc", "") or "")
        if match:
            try:
                params = [float(v) for v in match.group(1).split(",")]
            except ValueError:
                continue
            if len(params) in (19, 21):
                return params
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
    if not fitted or _same(fitted, current):
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


# ---------------------------------------------------------------- the plan

def plan_scheduling(col, config: dict | None = None, *, day_work: bool = True) -> SchedulingPlan:
    """What the policy asks of ``col``. ``day_work``: also the once-a-day decisions (pace, desired
    retention, parameters, order, tags); without it only the setup (which decks use which preset)."""
    config = dict(config or {})
    plan = SchedulingPlan()
    homes, plan.left_alone = _home_decks(col)
    if not homes:
        return plan
    plan.enable_fsrs = not col.get_config("fsrs", False)
    managed = col.get_config(MANAGED_KEY, None) or {}
    owned = {k: list(v) for k, v in (col.get_config(OWNED_KEY, None) or {}).items()}
    presets: dict[str, dict] = {}  # cardgen preset name -> its current settings (or the source's)
    for did, name in sorted(homes.items(), key=lambda item: item[1]):
        preset = _preset(col, did)
        plan.decks.append(name)
        if preset["name"].startswith(PRESET_PREFIX):
            presets.setdefault(preset["name"], preset)
            continue
        wanted = PRESET_PREFIX + preset["name"]
        existing = next((c for c in col.decks.all_config() if c["name"] == wanted), None)
        plan.assign[did] = wanted
        if existing is None:
            plan.sources.setdefault(wanted, int(preset["id"]))
        presets.setdefault(wanted, existing or preset)
    # values the learner changed since the add-on wrote them are theirs from now on
    for name, preset in presets.items():
        key = str(preset["id"])
        if not name == preset["name"]:
            continue
        for fld, written in (managed.get(key) or {}).items():
            if fld not in owned.get(key, []) and not _same(_current(preset, fld), written):
                plan.owned.setdefault(key, []).append(fld)
                owned.setdefault(key, []).append(fld)
    if not day_work:
        return plan

    ids = ",".join(str(int(c)) for c in col.find_cards(CARDGEN_SEARCH))
    today = col.sched.today
    minutes = float(config.get("minutes_per_day") or DEFAULT_MINUTES)
    days_left = _target_days_left(col, config)
    review_s, new_s = _timings(col, ids)
    due = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND "
                        f"((queue = 2 AND due <= {today}) OR queue IN (1, 3))")
    new_left = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND queue = {NEW_QUEUE}")
    pace = new_cards_today(minutes_per_day=minutes, due_reviews=due, review_seconds=review_s, new_seconds=new_s,
                           new_left=new_left, days_left=days_left)
    state = _state(col)
    cutoff_ms, day_ms = col.sched.day_cutoff * 1000, DAY_SECONDS * 1000
    yesterday_s = col.db.scalar(f"SELECT sum(time) / 1000.0 FROM revlog WHERE cid IN ({ids}) AND "
                                f"id >= {cutoff_ms - 2 * day_ms} AND id < {cutoff_ms - day_ms}")
    yesterday = None if yesterday_s is None else yesterday_s / 60
    overdue = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND queue = 2 AND due < {today}")
    recent_reviews, recent_successes = col.db.first(
        f"SELECT count(), coalesce(sum(ease > 1), 0) FROM revlog WHERE cid IN ({ids}) AND type = 1 AND "
        f"id >= {cutoff_ms - (RECENT_DAYS + 1) * DAY_SECONDS * 1000}")
    mix = NEW_BEFORE_REVIEWS if new_cards_first(new_left=new_left, recent_reviews=recent_reviews,
                                                recent_successes=recent_successes) else MIX_WITH_REVIEWS
    review_cards = col.db.scalar(f"SELECT count() FROM cards WHERE id IN ({ids}) AND queue = 2")
    reviews = col.db.scalar(f"SELECT count() FROM revlog WHERE cid IN ({ids}) AND type IN (1, 2)")
    n_decks = len(homes)
    for name, preset in presets.items():
        key = str(preset["id"]) if preset["name"] == name else None
        mine = set(owned.get(key, [])) if key else set()
        values, why = {}, {}
        per_deck = math.ceil(pace / max(1, n_decks))
        if "new_per_day" not in mine and _current(preset, "new_per_day") != per_deck:
            values["new_per_day"] = per_deck
            why["new_per_day"] = f"{minutes:g} min/day, {due} reviews due, {new_left} new left"
        params = _current(preset, "fsrs_params")
        if "fsrs_params" not in mine:
            cohort = _cohort_params(col, homes)
            if not params and cohort:
                values["fsrs_params"], why["fsrs_params"] = cohort, "the class's parameters (cold start)"
                params = cohort
            if reviews >= FIT_MIN_REVIEWS and today - int(state.get("fit_day", -REFIT_DAYS)) >= REFIT_DAYS:
                fitted = _fit(col, f"cid:{ids}", params)
                plan.settings.setdefault("__fit_day__", {})["day"] = today
                if fitted:
                    values["fsrs_params"], why["fsrs_params"] = fitted, f"your own fit on {reviews} reviews"
                    params = fitted
        if "new_mix" not in mine and _current(preset, "new_mix") != mix:
            values["new_mix"] = mix
            why["new_mix"] = (f"{recent_successes} of {recent_reviews} recent reviews succeeded, {new_left} cards "
                              f"not introduced yet" if mix == NEW_BEFORE_REVIEWS else
                              f"{recent_successes} of {recent_reviews} recent reviews succeeded" if new_left
                              else "every card is introduced")
        if "desired_retention" not in mine:
            dr = retention_today(_current(preset, "desired_retention"), minutes_per_day=minutes,
                                 minutes_yesterday=yesterday, overdue=overdue, reviews=review_cards, new_left=new_left)
            if not _same(_current(preset, "desired_retention"), dr):
                values["desired_retention"] = dr
                why["desired_retention"] = (f"{overdue} reviews overdue" if dr < _current(preset, "desired_retention")
                                            else f"{yesterday or 0:.0f} of {minutes:g} minutes used yesterday")
        if values:
            plan.settings[name] = values
            plan.reasons[name] = why

    # new cards in curriculum order with hard ones spread out; bands from the learner's reviews
    rows = col.db.all(f"SELECT c.id, c.nid, c.queue, c.due, n.tags, c.data FROM cards c JOIN notes n ON n.id = c.nid "
                      f"WHERE c.id IN ({ids}) ORDER BY c.due, c.id")
    log = col.db.all(f"SELECT c.nid, r.ease, r.type FROM revlog r JOIN cards c ON c.id = r.cid "
                     f"WHERE r.cid IN ({ids}) AND r.type IN (0, 1)")
    fails: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    review_fails = reviews_done = 0
    for nid, ease, kind in log:
        if kind == 1:
            counts[nid] += 1
            fails[nid] += ease == 1
            reviews_done += 1
            review_fails += ease == 1
        elif ease == 1:
            fails[nid] += LEARN_FAIL_WEIGHT
    mean_fail = review_fails / reviews_done if reviews_done else 0.1
    note_tags: dict[int, list[str]] = {}
    priors: dict[int, Difficulty] = {}
    for _, nid, _, _, tags, _ in rows:
        if nid not in note_tags:
            note_tags[nid] = words = tags.split()
            priors[nid] = _tag_band(words, PRIOR_PREFIX) or _tag_band(words, DIFFICULTY_PREFIX) or Difficulty.MEDIUM
    # each reviewed note's predicted failure at its next review: FSRS's own recall then, adjusted by how
    # much more (or less) often than the learner's mean the note failed (policy.predicted_failure)
    day_start = col.sched.day_cutoff - DAY_SECONDS
    predicted: dict[int, float] = {}
    for _, nid, queue, due_, _, data in rows:
        recall = _recall_at_next_review(queue, due_, data, today, day_start)
        if recall is None:
            continue
        rate = failure_rate(fails[nid], counts[nid], mean_fail, priors[nid])
        p = predicted_failure(recall, rate, mean_fail)
        predicted[nid] = max(p, predicted.get(nid, 0.0))  # a note is as hard as its hardest card
    note_band = dict(priors)  # a note without reviews: the educator's prior
    note_band.update(bands_of(predicted, statistics.mean(predicted.values()) if predicted else 0.0))
    for nid, band in note_band.items():
        words = note_tags[nid]
        plan.bands[band] = plan.bands.get(band, 0) + 1
        if _tag_band(words, DIFFICULTY_PREFIX) is not band or sum(
                has_prefix(t, DIFFICULTY_PREFIX) for t in words) != 1:
            plan.retag.setdefault(band, []).append(nid)
    new_cards = [(cid, note_band[nid], due_) for cid, nid, queue, due_, _, _ in rows if queue == NEW_QUEUE]
    if new_cards and SPREAD:
        ordered = spread_hard([(cid, band) for cid, band, _ in new_cards], max(pace, 1))
        if ordered != [cid for cid, _, _ in new_cards]:
            plan.new_order = (min(d for _, _, d in new_cards), ordered)
    plan._note_tags = note_tags  # type: ignore[attr-defined]
    return plan


def _recall_at_next_review(queue: int, due: int, data: str, today: int, day_start: float) -> float | None:
    """FSRS's predicted recall of a card at its next review (today when overdue), from the memory state
    Anki keeps in the card (stability, decay, last review time); None for a card without one."""
    if queue not in (1, 2, 3):
        return None
    try:
        state = json.loads(data or "{}")
        stability, last = float(state["s"]), float(state["lrt"])
    except (ValueError, KeyError, TypeError):
        return None
    decay = float(state.get("decay") or 0.5)
    days_until = max(0, due - today) if queue in (2, 3) else 0
    elapsed = max(0.0, (day_start - last) / DAY_SECONDS) + days_until
    return recall_after(elapsed, stability, decay)


def _tag_band(tags: list[str], prefix: str) -> Difficulty | None:
    for tag in tags:
        if has_prefix(tag, prefix):
            try:
                return Difficulty(after_prefix(tag, prefix).lower())
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------- carrying it out

def apply_plan(col, plan: SchedulingPlan):
    """Carry out ``plan`` as one undoable step; returns Anki's OpChanges (for the GUI's CollectionOp)."""
    from anki.collection import OpChanges

    if plan.is_empty():
        return OpChanges()
    step = UndoStep(col, UNDO_NAME)
    managed = {k: dict(v) for k, v in (col.get_config(MANAGED_KEY, None) or {}).items()}
    owned = {k: list(v) for k, v in (col.get_config(OWNED_KEY, None) or {}).items()}
    for key, fields in plan.owned.items():
        owned.setdefault(key, []).extend(f for f in fields if f not in owned.get(key, []))
        for f in fields:
            managed.get(key, {}).pop(f, None)
    settings = {k: v for k, v in plan.settings.items() if not k.startswith("__")}
    names = set(plan.assign.values()) | set(settings)
    done_ids: dict[str, int] = {}
    enable = plan.enable_fsrs
    for name in sorted(names):
        decks = sorted(d for d, p in plan.assign.items() if p == name)
        if not decks:  # the preset exists and is in use: change it through one of its decks
            decks = [next(d for d in _home_decks(col)[0] if _preset(col, d)["name"] == name)]
        values = settings.get(name, {})
        for did in decks:
            preset_id = _update_preset(col, did, name, plan.sources.get(name), done_ids.get(name), values, enable)
            enable = False
            done_ids[name] = preset_id
            step.merge()
        # what the preset holds now is what the add-on last left: a later difference is the learner's
        key = str(done_ids[name])
        record = managed.setdefault(key, {})
        now = col.decks.get_config(done_ids[name])
        for fld in MANAGED_FIELDS:
            if fld not in owned.get(key, []):
                record[fld] = _current(now, fld)
    if enable:  # FSRS only
        _update_preset(col, next(iter(_home_decks(col)[0])), None, None, None, {}, True)
        step.merge()
    if plan.new_order:
        first, card_ids = plan.new_order
        col.sched.reposition_new_cards(card_ids=card_ids, starting_from=first, step_size=1, randomize=False,
                                       shift_existing=False)
        step.merge()
    tags = getattr(plan, "_note_tags", {})
    for band, note_ids in sorted(plan.retag.items(), key=lambda item: item[0].value):
        old = sorted({t for n in note_ids for t in tags.get(n, []) if has_prefix(t, DIFFICULTY_PREFIX)})
        if old:
            col.tags.bulk_remove(note_ids, " ".join(old))
        col.tags.bulk_add(note_ids, DIFFICULTY_PREFIX + band.value)
        step.merge()
    state = _state(col)
    if "__fit_day__" in plan.settings:
        state["fit_day"] = plan.settings["__fit_day__"]["day"]
    state["last"] = plan.describe()
    col.set_config(MANAGED_KEY, managed, undoable=True)
    col.set_config(OWNED_KEY, owned, undoable=True)
    col.set_config(STATE_KEY, state, undoable=True)
    return step.merge()


def _update_preset(col, did: int, name: str | None, source_id: int | None, known_id: int | None, values: dict,
                   enable_fsrs: bool) -> int:
    """Give deck ``did`` the preset ``name`` (a copy of preset ``source_id`` when new) with ``values``."""
    from anki import deck_config_pb2

    current = col.decks.get_deck_configs_for_update(did)
    by_id = {c.config.id: c.config for c in current.all_config}
    by_name = {c.config.name: c.config for c in current.all_config}
    config = deck_config_pb2.DeckConfig()
    if name is None:
        config.CopyFrom(by_id[current.current_deck.config_id])
    elif known_id in by_id:
        config.CopyFrom(by_id[known_id])
    elif name in by_name:
        config.CopyFrom(by_name[name])
    else:
        config.CopyFrom(by_id.get(source_id) or by_id[current.current_deck.config_id])
        config.id = 0
        config.name = name
    inner = config.config
    if "new_per_day" in values:
        inner.new_per_day = int(values["new_per_day"])
    if "desired_retention" in values:
        inner.desired_retention = float(values["desired_retention"])
    if "fsrs_params" in values:
        inner.fsrs_params_6[:] = [float(v) for v in values["fsrs_params"]]
    if "new_mix" in values:
        inner.new_mix = int(values["new_mix"])
    if name is not None and config.id == 0:
        inner.new_card_gather_priority = inner.NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION
        inner.new_card_sort_order = inner.NEW_CARD_SORT_ORDER_NO_SORT
    col.decks.update_deck_configs(deck_config_pb2.UpdateDeckConfigsRequest(
        target_deck_id=did, configs=[config], mode=deck_config_pb2.UPDATE_DECK_CONFIGS_MODE_NORMAL,
        card_state_customizer=current.card_state_customizer, limits=current.current_deck.limits,
        new_cards_ignore_review_limit=current.new_cards_ignore_review_limit, fsrs=current.fsrs or enable_fsrs,
        apply_all_parent_limits=current.apply_all_parent_limits, fsrs_reschedule=False,
        fsrs_health_check=current.fsrs_health_check))
    return int(_preset(col, did)["id"])


def status(col, config: dict | None = None) -> dict:
    """What the status dialog shows: budget, pace, desired retention, bands, what was last done."""
    config = dict(config or {})
    homes, mixed = _home_decks(col)
    presets = {(_preset(col, d)["name"], _preset(col, d)["id"]): _preset(col, d) for d in homes}
    plan = plan_scheduling(col, config, day_work=False)
    counts: dict[str, int] = defaultdict(int)
    for nid in col.find_notes(CARDGEN_SEARCH):
        band = _tag_band(col.get_note(nid).tags, DIFFICULTY_PREFIX) or Difficulty.MEDIUM
        counts[band.value] += 1
    owned = col.get_config(OWNED_KEY, None) or {}
    return {
        "minutes_per_day": float(config.get("minutes_per_day") or DEFAULT_MINUTES),
        "target_date": config.get("target_date"),
        "presets": [{"name": name, "new_per_day": p["new"]["perDay"],
                     "desired_retention": round(float(p.get("desiredRetention", ANKI_DEFAULT_RETENTION)), 3),
                     "own_parameters": bool(p.get("fsrsParams6")),
                     "new_cards_first": _current(p, "new_mix") == NEW_BEFORE_REVIEWS,
                     "yours": owned.get(str(pid), [])} for (name, pid), p in sorted(presets.items())],
        "bands": dict(counts),
        "decks": sorted(homes.values()),
        "left_alone": mixed,
        "last": _state(col).get("last", []),
        "pending": [] if plan.is_empty() else plan.describe(),
    }
