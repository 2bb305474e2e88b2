"""Difficulty and pace to scheduling, as Anki collection operations (no Qt; the ``anki`` package only).

:func:`plan_scheduling` reads the collection and works out what the policy (cardgen.addon.policy)
asks for; :func:`apply_plan` carries it out as one undoable step ("cardgen: apply difficulty and
pace"), through Anki's own operations: deck creation, set_deck, update_deck_configs,
reposition_new_cards. Only cards of cardgen notes are moved or repositioned, only decks that hold
them (and the band sub-decks cardgen made) get cardgen presets. A plan of a collection the policy
already holds is empty, so applying twice changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from cardgen.addon.policy import (
    BAND_POLICIES,
    DEFAULT_PACE,
    PACE_PRESET_PREFIX,
    band_deck,
    home_deck,
    spread_hard,
)
from cardgen.difficulty import Difficulty
from cardgen.learners.deck_marks import band_from_tags, pace_in
from cardgen.tags import CARDGEN_SEARCH

UNDO_NAME = "cardgen: apply difficulty and pace"
NEW_QUEUE = 0


@dataclass(frozen=True)
class PresetValues:
    """The preset fields the policy sets; every other field of a preset is the learner's."""

    name: str
    new_per_day: int
    desired_retention: float | None = None
    interval_multiplier: float | None = None
    learn_steps: tuple[float, ...] | None = None
    relearn_steps: tuple[float, ...] | None = None


@dataclass
class SchedulingPlan:
    """What applying the policy would change."""

    decks_to_create: list[str] = field(default_factory=list)
    moves: dict[str, list[int]] = field(default_factory=dict)  # target deck name -> card ids
    presets: dict[str, PresetValues] = field(default_factory=dict)  # deck name -> preset it should use
    new_orders: dict[str, tuple[int, list[int]]] = field(default_factory=dict)  # root -> (first position, ids)
    paces: dict[str, int] = field(default_factory=dict)  # root deck -> new cards per day
    bands: dict[Difficulty, int] = field(default_factory=dict)  # cards per band

    def is_empty(self) -> bool:
        return not (self.decks_to_create or self.moves or self.presets or self.new_orders)


@dataclass(frozen=True)
class ApplyReport:
    """What :func:`apply_scheduling` changed."""

    cards_moved: int
    decks_created: int
    decks_preset: int
    new_cards_ordered: int
    paces: dict[str, int]
    bands: dict[Difficulty, int]

    def summary(self) -> str:
        """One line for the learner."""
        bands = ", ".join(f"{self.bands.get(b, 0)} {b.value}" for b in Difficulty)
        paces = ", ".join(f"{root}: {pace} new/day" for root, pace in sorted(self.paces.items()))
        return (f"{bands} cards; {self.cards_moved} moved to their band, {self.new_cards_ordered} new cards "
                f"ordered; pace {paces or 'none'}")


@dataclass(frozen=True)
class _Card:
    card_id: int
    deck: str
    queue: int
    due: int
    band: Difficulty


def _cardgen_cards(col, names: dict[int, str]) -> list[_Card]:
    """Cards of cardgen notes outside filtered decks (a filtered deck's cards go back home first);
    ``names``: every deck's name by id."""
    card_ids = list(col.find_cards(CARDGEN_SEARCH))
    if not card_ids:
        return []
    rows = col.db.all("SELECT c.id, c.did, c.odid, c.queue, c.due, n.tags FROM cards c JOIN notes n ON n.id = c.nid "
                      f"WHERE c.id IN ({','.join(str(int(c)) for c in card_ids)}) ORDER BY c.due, c.id")
    return [_Card(card_id, names[did], queue, due, band_from_tags(tags.split()))
            for card_id, did, odid, queue, due, tags in rows if not odid and did in names]


def _preset_differs(col, deck_name: str, wanted: PresetValues) -> bool:
    deck_id = col.decks.id_for_name(deck_name)
    if deck_id is None:
        return True
    config = col.decks.config_dict_for_deck_id(deck_id)
    if config.get("name") != wanted.name or config["new"]["perDay"] != wanted.new_per_day:
        return True
    if wanted.desired_retention is not None and abs(config.get("desiredRetention", 0) - wanted.desired_retention) > 1e-4:
        return True
    if wanted.interval_multiplier is not None and abs(config["rev"].get("ivlFct", 1) - wanted.interval_multiplier) > 1e-4:
        return True
    if wanted.learn_steps is not None and [float(s) for s in config["new"]["delays"]] != list(wanted.learn_steps):
        return True
    if wanted.relearn_steps is not None and [float(s) for s in config["lapse"]["delays"]] != list(wanted.relearn_steps):
        return True
    return False


def plan_scheduling(col, default_pace: int = DEFAULT_PACE) -> SchedulingPlan:
    """What the policy asks of ``col``: band sub-decks, presets, pace and new-card order."""
    plan = SchedulingPlan()
    names = {int(d.id): d.name for d in col.decks.all_names_and_ids()}
    cards = _cardgen_cards(col, names)
    by_root: dict[str, list[_Card]] = defaultdict(list)
    homes: set[str] = set()
    for card in cards:
        home = home_deck(card.deck)
        homes.add(home)
        target = band_deck(home, card.band)
        plan.bands[card.band] = plan.bands.get(card.band, 0) + 1
        if target != card.deck:
            plan.moves.setdefault(target, []).append(card.card_id)
        by_root[home.split("::")[0]].append(card)
    existing = set(names.values())
    plan.decks_to_create = sorted(target for target in plan.moves if target not in existing)

    for root, root_cards in sorted(by_root.items()):
        root_deck = col.decks.by_name(root)
        pace = pace_in(root_deck.get("desc", "") if root_deck else "") or default_pace
        plan.paces[root] = pace
        pace_preset = PresetValues(PACE_PRESET_PREFIX + root, new_per_day=pace)
        # The root and every topic deck between it and the cards: studying any of them gathers
        # new cards by position (the curriculum order) under the learner's pace.
        for home in {home_deck(c.deck) for c in root_cards}:
            parts = home.split("::")
            for depth in range(1, len(parts) + 1):
                name = "::".join(parts[:depth])
                if name not in plan.presets and _preset_differs(col, name, pace_preset):
                    plan.presets[name] = pace_preset
        new_cards = [c for c in root_cards if c.queue == NEW_QUEUE]
        ordered = spread_hard([(c.card_id, c.band) for c in new_cards], pace)
        if ordered != [c.card_id for c in new_cards]:
            plan.new_orders[root] = (min(c.due for c in new_cards), ordered)
    band_limit = max(plan.paces.values(), default=default_pace)
    for home in homes:
        for band, policy in BAND_POLICIES.items():
            name = band_deck(home, band)
            wanted = PresetValues(policy.preset_name, band_limit, policy.desired_retention,
                                  policy.interval_multiplier, policy.learn_steps, policy.relearn_steps)
            if (name in existing or name in plan.decks_to_create) and _preset_differs(col, name, wanted):
                plan.presets[name] = wanted
    return plan


class UndoStep:
    """One named undo step gathering several collection operations.

    Each operation is merged into the step as soon as it is done: Anki keeps only the last 30 undo
    entries, so merging once at the end would lose the step after 30 operations.
    """

    def __init__(self, col, name: str) -> None:
        self.col = col
        self.target = col.add_custom_undo_entry(name)

    def merge(self):
        """Fold the operations done since the last merge into the step; returns Anki's OpChanges."""
        return self.col.merge_undo_entries(self.target)


def apply_plan(col, plan: SchedulingPlan):
    """Carry out ``plan`` as one undoable step; returns Anki's OpChanges (for the GUI's CollectionOp)."""
    from anki.collection import OpChanges

    if plan.is_empty():
        return OpChanges()
    step = UndoStep(col, UNDO_NAME)
    for name in plan.decks_to_create:
        col.decks.add_normal_deck_with_name(name)
        step.merge()
    for target, card_ids in sorted(plan.moves.items()):
        col.set_deck(card_ids, col.decks.id_for_name(target))
        step.merge()
    preset_ids: dict[str, int] = {}
    for deck_name, wanted in sorted(plan.presets.items()):
        preset_ids[wanted.name] = _use_preset(col, deck_name, wanted, preset_ids.get(wanted.name))
        step.merge()
    for root, (first, card_ids) in sorted(plan.new_orders.items()):
        col.sched.reposition_new_cards(card_ids=card_ids, starting_from=first, step_size=1, randomize=False,
                                       shift_existing=False)
        step.merge()
    return step.merge()


def apply_scheduling(col, default_pace: int = DEFAULT_PACE) -> ApplyReport:
    """Plan and apply the policy to every cardgen card of ``col``."""
    plan = plan_scheduling(col, default_pace)
    apply_plan(col, plan)
    return report_of(plan)


def report_of(plan: SchedulingPlan) -> ApplyReport:
    """What carrying out ``plan`` changes."""
    return ApplyReport(cards_moved=sum(len(ids) for ids in plan.moves.values()),
                       decks_created=len(plan.decks_to_create), decks_preset=len(plan.presets),
                       new_cards_ordered=sum(len(ids) for _, ids in plan.new_orders.values()),
                       paces=dict(plan.paces), bands=dict(plan.bands))


def _use_preset(col, deck_name: str, wanted: PresetValues, known_id: int | None) -> int:
    """Give ``deck_name`` the preset ``wanted`` (created from the learner's default preset if new,
    so their other settings and FSRS parameters carry over); returns the preset's id."""
    from anki import deck_config_pb2

    deck_id = col.decks.id_for_name(deck_name)
    current = col.decks.get_deck_configs_for_update(deck_id)
    by_name = {c.config.name: c.config for c in current.all_config}
    by_id = {c.config.id: c.config for c in current.all_config}
    config = deck_config_pb2.DeckConfig()
    if known_id is not None and known_id in by_id:
        config.CopyFrom(by_id[known_id])
    elif wanted.name in by_name:
        config.CopyFrom(by_name[wanted.name])
    else:
        config.CopyFrom(by_id.get(1) or current.all_config[0].config)
        config.id = 0
        config.name = wanted.name
    settings = config.config
    settings.new_per_day = wanted.new_per_day
    settings.new_card_gather_priority = settings.NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION
    settings.new_card_sort_order = settings.NEW_CARD_SORT_ORDER_NO_SORT
    if wanted.desired_retention is not None:
        settings.desired_retention = wanted.desired_retention
    if wanted.interval_multiplier is not None:
        settings.interval_multiplier = wanted.interval_multiplier
    if wanted.learn_steps is not None:
        settings.learn_steps[:] = wanted.learn_steps
    if wanted.relearn_steps is not None:
        settings.relearn_steps[:] = wanted.relearn_steps
    col.decks.update_deck_configs(deck_config_pb2.UpdateDeckConfigsRequest(
        target_deck_id=deck_id, configs=[config], mode=deck_config_pb2.UPDATE_DECK_CONFIGS_MODE_NORMAL,
        card_state_customizer=current.card_state_customizer, limits=current.current_deck.limits,
        new_cards_ignore_review_limit=current.new_cards_ignore_review_limit, fsrs=current.fsrs,
        apply_all_parent_limits=current.apply_all_parent_limits, fsrs_reschedule=False,
        fsrs_health_check=current.fsrs_health_check))
    return int(col.decks.config_dict_for_deck_id(deck_id)["id"])

