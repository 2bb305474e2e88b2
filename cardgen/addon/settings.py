"""What the add-on owns in a collection and what is the learner's (no Qt; the ``anki`` package only).

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

import os

from cardgen.addon.policy import MANAGED_FIELDS, MIX_WITH_REVIEWS
from cardgen.tags import CARDGEN_SEARCH

MANAGED_KEY = "cardgenManaged"  # {preset id: {field: the value the add-on last wrote}}
OWNED_KEY = "cardgenLearnerOwned"  # {preset id: [fields the learner changed, never written again]}
STATE_KEY = "cardgenState"  # {"fit_day", "steps_fallback_day", "last": what was done, ...}
# The Anki day of the last day's work, in a key of its own that no undo step writes: undoing a day's
# work restores the state the step wrote over, and a marker kept in it would go back with it, so the
# next hook would do the undone work again.
DAY_KEY = "cardgenDayDone"
ASSIGNED_KEY = "cardgenAssigned"  # {deck id: the preset id the add-on gave it}
ORIGINAL_KEY = "cardgenOriginal"  # {deck id: the preset id it used before}, given back when it is no longer ours
NEW_QUEUE = 0
ANKI_DEFAULT_RETENTION = 0.9  # a preset's desired retention when Anki has stored none
DAY_SECONDS = 86_400


# The deck a card belongs to: its own, or, while it sits in a filtered deck, the one it came from and
# goes back to (a learner's card borrowed by a "Cram" deck is still in their deck).
HOME_DECK = "(CASE WHEN odid != 0 THEN odid ELSE did END)"


def home_decks(col) -> tuple[dict[int, str], dict[int, str]]:
    """Decks holding cardgen cards and nothing else, below them included, and the decks holding
    cardgen cards that also hold, or have below them, cards of the learner's own (each {id: name}).
    A card in a filtered deck counts in its home deck."""
    ids = list(col.find_cards(CARDGEN_SEARCH))
    if not ids:
        return {}, {}
    total = dict(col.db.all(f"SELECT {HOME_DECK}, count() FROM cards GROUP BY {HOME_DECK}"))
    ours = dict(col.db.all(f"SELECT {HOME_DECK}, count() FROM cards WHERE id IN ({','.join(map(str, ids))}) "
                           f"GROUP BY {HOME_DECK}"))
    learners = {did for did, count in total.items() if count > ours.get(did, 0)}  # decks with their own cards
    homes, mixed = {}, {}
    for did in ours:
        # a deck with the learner's own deck below it: its preset caps that deck when studied from here
        ours_only = learners.isdisjoint(int(d) for d in col.decks.deck_and_child_ids(did))
        (homes if ours_only else mixed)[did] = col.decks.name(did)
    return homes, mixed


def assigned_of(col) -> dict[str, int]:
    """The preset the add-on gave each deck ({deck id: preset id}), as it recorded them."""
    return {str(k): int(v) for k, v in _stored_dict(col, ASSIGNED_KEY).items()
            if isinstance(v, int) and not isinstance(v, bool)}


def learner_chosen(col, dids) -> dict[int, str]:
    """Of the decks ``dids``, those the learner put on another preset than the one the add-on gave them
    (or whose preset they deleted, which puts a deck back on Default): their choice, never reverted
    ({id: name})."""
    assigned = assigned_of(col)
    return {int(did): col.decks.name(did) for did in dids
            if str(did) in assigned and int(preset_of(col, did)["id"]) != assigned[str(did)]}


def original_of(col) -> dict[str, int]:
    """The preset each deck the add-on gave a cardgen one used before ({deck id: preset id})."""
    return {str(k): int(v) for k, v in _stored_dict(col, ORIGINAL_KEY).items()
            if isinstance(v, int) and not isinstance(v, bool)}


def to_give_back(col, ours: set[int]) -> dict[int, int]:
    """Decks the add-on gave a cardgen preset that are no longer its own (``ours``: the decks it
    manages now), still on that preset, whose earlier preset still exists: {deck id: that preset id}.
    A deck that now holds, or has below it, cards of the learner's own goes back to the preset it
    had, so that the cardgen preset's pace and settings do not reach the learner's cards."""
    assigned, original = assigned_of(col), original_of(col)
    existing = {int(c["id"]) for c in col.decks.all_config()}
    back = {}
    for key, given in assigned.items():
        did = int(key)
        if did in ours or key not in original or original[key] not in existing or original[key] == given:
            continue
        deck = col.decks.get(did, default=False)
        if deck and not deck.get("dyn") and int(deck.get("conf", 0)) == given:
            back[did] = original[key]
    return back


def cardgen_root(col, homes: dict[int, str]) -> int | None:
    """The cardgen deck's own root, when its cards are in sub-decks (one per curriculum section): the
    deepest deck above every deck in ``homes`` that holds no card itself and nothing but cardgen cards
    below it. None when there is no such deck (one home deck, or the cardgen decks sit under a deck
    that also holds the learner's own). A deck the learner made above that root is never it: it is
    not the deepest.

    Anki takes the order of a study session (new cards before reviews or mixed, which cards are
    gathered first) from the preset of the deck the learner clicks, usually this root; and its new
    cards/day caps the whole tree."""
    if len(homes) < 2:
        return None
    common = os.path.commonprefix([name.split("::") for name in homes.values()])  # by whole deck names
    root = col.decks.by_name("::".join(common)) if common else None
    if root is None or int(root["id"]) in homes or root.get("dyn"):
        return None
    did = int(root["id"])
    tree = ",".join(str(int(d)) for d in col.decks.deck_and_child_ids(did))
    # a card in the tree outside the home decks (the root's own included) is the learner's
    others = col.db.scalar(f"SELECT count() FROM cards WHERE {HOME_DECK} IN ({tree}) AND {HOME_DECK} NOT IN "
                           f"({','.join(str(int(d)) for d in homes)})")
    return did if others == 0 else None


def preset_of(col, did: int) -> dict:
    return col.decks.config_dict_for_deck_id(did)


def current_value(preset: dict, key: str):
    """The value of one of :data:`MANAGED_FIELDS` that ``preset`` holds now."""
    if key == "new_per_day":
        return int(preset["new"]["perDay"])
    if key == "new_mix":
        return int(preset.get("newMix", MIX_WITH_REVIEWS))
    if key == "desired_retention":
        return round(float(preset.get("desiredRetention", ANKI_DEFAULT_RETENTION)), 4)
    if key == "learn_steps":
        return [round(float(v), 4) for v in preset["new"]["delays"]]
    return [round(float(v), 4) for v in preset.get("fsrsParams6") or []]


def same_value(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        a, b = list(a or []), list(b or [])
        return len(a) == len(b) and all(abs(x - y) <= 1e-3 * max(1.0, abs(x)) for x, y in zip(a, b))
    return abs(float(a) - float(b)) <= 1e-3


# The add-on's bookkeeping in the collection's config syncs, and another add-on, a sync from an older
# version or a hand edit can leave anything there: what is not of the shape written is read as absent
# (the add-on then starts afresh for that entry) rather than stopping the add-on at every profile open.

def _stored_dict(col, key: str) -> dict:
    value = col.get_config(key, None)
    return dict(value) if isinstance(value, dict) else {}


def state_of(col) -> dict:
    return _stored_dict(col, STATE_KEY)


def day_done(col) -> object:
    """The Anki day of the last day's work (from :data:`STATE_KEY` where an older version kept it)."""
    day = col.get_config(DAY_KEY, None)
    return state_of(col).get("day") if day is None else day


def mark_day_done(col, today: int) -> None:
    """Record today's work as done: bookkeeping outside any undo step (Anki's default for config)."""
    col.set_config(DAY_KEY, today)


def managed_of(col) -> dict[str, dict]:
    return {str(k): dict(v) for k, v in _stored_dict(col, MANAGED_KEY).items() if isinstance(v, dict)}


def owned_of(col) -> dict[str, list[str]]:
    return {str(k): [f for f in v if isinstance(f, str)] for k, v in _stored_dict(col, OWNED_KEY).items()
            if isinstance(v, list)}


def learner_changes(presets: dict[str, dict], managed: dict, owned: dict[str, list[str]]) -> dict[str, list[str]]:
    """The values the learner changed since the add-on wrote them ({preset id: [fields]}): theirs from
    now on. ``presets``: cardgen preset name -> its settings; ``owned`` gains the fields found."""
    changed: dict[str, list[str]] = {}
    for name, preset in presets.items():
        key = str(preset["id"])
        if not name == preset["name"]:
            continue
        for fld, written in (managed.get(key) or {}).items():
            if fld not in owned.get(key, []) and not same_value(current_value(preset, fld), written):
                changed.setdefault(key, []).append(fld)
                owned.setdefault(key, []).append(fld)
    return changed


def hand_over(changed: dict[str, list[str]], managed: dict, owned: dict[str, list[str]]) -> None:
    """Record the fields the learner ``changed`` as theirs: owned, and no longer managed."""
    for key, fields in changed.items():
        owned.setdefault(key, []).extend(f for f in fields if f not in owned.get(key, []))
        for f in fields:
            managed.get(key, {}).pop(f, None)


def record_written(col, preset_id: int, managed: dict, owned: dict[str, list[str]]) -> None:
    """What the preset holds now is what the add-on last left: a later difference is the learner's."""
    key = str(preset_id)
    record = managed.setdefault(key, {})
    now = col.decks.get_config(preset_id)
    for fld in MANAGED_FIELDS:
        if fld not in owned.get(key, []):
            record[fld] = current_value(now, fld)


def update_preset(col, did: int, name: str | None, source_id: int | None, known_id: int | None, values: dict,
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
    if "learn_steps" in values:
        inner.learn_steps[:] = [float(v) for v in values["learn_steps"]]
    if name is not None and config.id == 0:
        inner.new_card_gather_priority = inner.NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION
        inner.new_card_sort_order = inner.NEW_CARD_SORT_ORDER_NO_SORT
    col.decks.update_deck_configs(deck_config_pb2.UpdateDeckConfigsRequest(
        target_deck_id=did, configs=[config], mode=deck_config_pb2.UPDATE_DECK_CONFIGS_MODE_NORMAL,
        card_state_customizer=current.card_state_customizer, limits=current.current_deck.limits,
        new_cards_ignore_review_limit=current.new_cards_ignore_review_limit, fsrs=current.fsrs or enable_fsrs,
        apply_all_parent_limits=current.apply_all_parent_limits, fsrs_reschedule=False,
        fsrs_health_check=current.fsrs_health_check))
    return int(preset_of(col, did)["id"])
