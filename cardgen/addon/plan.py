"""What applying the scheduling policy would change, as plain data (no Qt; no ``anki`` import).

cardgen.addon.scheduling works a plan out from the collection; cardgen.addon.apply carries it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cardgen.addon.policy import ORDER_NAMES
from cardgen.difficulty import Difficulty, Fit
from cardgen.tags import DIFFICULTY_PREFIX


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
    today_new: dict[int, int] = field(default_factory=dict)  # deck id -> its new cards today (Anki day today_day)
    today_day: int = 0
    today_names: dict[int, str] = field(default_factory=dict)  # deck id -> name, for describe()
    retag: dict[Difficulty, list[int]] = field(default_factory=dict)  # band -> note ids to retag
    # bookkeeping for the add-on's record (not shown to the learner): Anki's day of today's parameter fit;
    # of the fall back to Anki's learning steps, with the newest answer then (a revlog id: the answers after
    # it judge the fallback), and of its end (policy.step_repeats_fail, policy.fallback_fails)
    fit_day: int | None = None
    steps_fallback_day: int | None = None
    steps_fallback_after: int | None = None
    steps_fallback_end_day: int | None = None
    fit: Fit = field(default_factory=Fit)  # how the learner departs from FSRS (cardgen.difficulty.fit_learner)
    failure_shift: dict[int, float] = field(default_factory=dict)  # note id -> logit shift on FSRS's failure
    class_notes: int = 0  # notes whose record starts from the class's failure rate (the deck's class counts)
    bands: dict[Difficulty, int] = field(default_factory=dict)
    left_alone: list[str] = field(default_factory=list)  # decks with cardgen cards the add-on does not touch
    chosen: list[str] = field(default_factory=list)  # decks the learner put on a preset of their choice
    record: dict[int, int] = field(default_factory=dict)  # deck id -> its cardgen preset id, not yet recorded
    give_back: dict[int, int] = field(default_factory=dict)  # deck id -> the preset it had before (not ours now)
    give_back_names: dict[int, tuple[str, str]] = field(default_factory=dict)  # deck id -> (deck, preset)
    decks: list[str] = field(default_factory=list)  # the decks under the cardgen preset(s)
    root: int | None = None  # the cardgen deck's own root (cardgen.addon.settings.cardgen_root), if managed

    def is_empty(self) -> bool:
        return not (self.enable_fsrs or self.assign or any(self.settings.values()) or self.new_order
                    or self.retag or self.owned or self.today_new or self.record or self.give_back
                    or self.fit_day is not None
                    or self.steps_fallback_day is not None or self.steps_fallback_end_day is not None)

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
                shown = (steps_text(value) if key == "learn_steps" else
                         f"{len(value)} parameters" if isinstance(value, list) else
                         ORDER_NAMES.get(value, "mixed") if key == "new_mix" else value)
                label = {"new_mix": "new/review order", "learn_steps": "learning steps"}.get(key, key.replace("_", " "))
                lines.append(f"'{name}': {label} -> {shown}{f' ({why})' if why else ''}")
        if self.fit_day is not None and not any("fsrs_params" in values for values in self.settings.values()):
            lines.append("Tried fitting FSRS parameters to your reviews: those in use stay (no fit yet, or none "
                         "that predicts your reviews better).")
        if self.new_order:
            lines.append(f"Order {len(self.new_order[1])} new cardgen cards along the curriculum, hard ones spread out.")
        if self.today_new:
            shares = ", ".join(f"{self.today_names.get(d, d)} {n}" for d, n in
                               sorted(self.today_new.items(), key=lambda item: self.today_names.get(item[0], ""))
                               if n)
            lines.append(f"Today's {sum(self.today_new.values())} new card(s) in curriculum order: {shares or 'none'}.")
        for band, ids in sorted(self.retag.items(), key=lambda item: item[0].value):
            lines.append(f"Tag {len(ids)} note(s) {DIFFICULTY_PREFIX}{band.value} (from your reviews).")
        for deck in self.left_alone:
            lines.append(f"Leave '{deck}' alone: it also holds cards of your own.")
        for deck in self.chosen:
            lines.append(f"Leave '{deck}' alone: you chose its preset.")
        for deck, preset in sorted(self.give_back_names.values()):
            lines.append(f"Give '{deck}' back its preset '{preset}': it now holds cards of your own.")
        return lines or ["Nothing to change."]


def steps_text(minutes: list[float]) -> str:
    """Learning steps as the learner reads them: "10m", "1m 10m", or "none"."""
    return " ".join(f"{m:g}m" for m in minutes) or "none"
