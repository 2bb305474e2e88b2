"""The scheduling policy the add-on applies to cardgen cards: one deck preset per difficulty band,
the learner's pace as the daily new-card limit, new cards in curriculum order with hard ones spread out.

Why presets and band sub-decks: Anki schedules by deck preset (desired retention, learning steps,
limits), and presets and decks sync, so the policy holds wherever the learner reviews: desktop,
AnkiMobile, AnkiDroid. (Per-card custom data with Anki's custom-scheduling JavaScript would keep cards
in their topic decks, but cannot be shown here to run on a phone.) So each card of a cardgen note sits
in a sub-deck of its topic deck named after its band, and that sub-deck uses the band's preset.

* hard: desired retention 0.95 (FSRS), interval multiplier 0.80 (SM-2), learning steps 1m 10m,
  relearning steps 10m: a card this learner keeps failing is seen sooner. (An extra 1-hour learning
  step cost answers without raising retention in benchmarks/addon.py; 0.93 raised it too little.)
* medium: 0.90 / 1.00, 1m 10m / 10m: Anki's defaults.
* easy: 0.85 / 1.20, 10m / 10m: a card this learner keeps anyway costs fewer reviews.

Standard library only; cardgen.addon.scheduling turns it into Anki collection operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from cardgen.difficulty import Difficulty


@dataclass(frozen=True)
class BandPolicy:
    """How the cards of one band are scheduled."""

    band: Difficulty
    deck_name: str  # the band's sub-deck under each topic deck
    preset_name: str
    desired_retention: float  # FSRS
    interval_multiplier: float  # SM-2 (FSRS ignores it)
    learn_steps: tuple[float, ...]  # minutes
    relearn_steps: tuple[float, ...]  # minutes


BAND_POLICIES: dict[Difficulty, BandPolicy] = {
    Difficulty.HARD: BandPolicy(Difficulty.HARD, "Hard", "cardgen: hard cards", 0.95, 0.80, (1, 10), (10,)),
    Difficulty.MEDIUM: BandPolicy(Difficulty.MEDIUM, "Medium", "cardgen: medium cards", 0.90, 1.00, (1, 10), (10,)),
    Difficulty.EASY: BandPolicy(Difficulty.EASY, "Easy", "cardgen: easy cards", 0.85, 1.20, (10,), (10,)),
}
BAND_DECK_NAMES = {policy.deck_name: band for band, policy in BAND_POLICIES.items()}
PACE_PRESET_PREFIX = "cardgen: pace of "  # + the root deck's name; used by the root and topic decks
DEFAULT_PACE = 15  # new cards per day when a deck carries no pace (a class deck)


def home_deck(deck_name: str) -> str:
    """The topic deck a card belongs to: its deck without a band sub-deck at the end."""
    parent, _, last = deck_name.rpartition("::")
    return parent if parent and last in BAND_DECK_NAMES else deck_name


def band_deck(home: str, band: Difficulty) -> str:
    """The band sub-deck of a topic deck."""
    return f"{home}::{BAND_POLICIES[band].deck_name}"


def spread_hard(ordered: list[tuple[int, Difficulty]], pace: int) -> list[int]:
    """New cards in curriculum order, with hard ones spread out: at most ``max(1, pace // 4)`` hard
    cards in any run of ``pace`` consecutive new cards (one day's worth), so no day is all hard cards.

    ``ordered``: (card id, band) in curriculum order. A hard card that would break the rule waits for
    the next place that keeps it; the order is otherwise kept, so a topic's cards stay together.
    """
    allowed = max(1, pace // 4)
    window = max(pace, 1)
    result: list[int] = []
    bands: list[Difficulty] = []
    waiting: list[int] = []

    def room() -> bool:
        return sum(b is Difficulty.HARD for b in bands[-(window - 1):] if window > 1) < allowed

    for card_id, band in ordered:
        if waiting and room():
            result.append(waiting.pop(0))
            bands.append(Difficulty.HARD)
        if band is Difficulty.HARD and (waiting or not room()):
            waiting.append(card_id)
            continue
        result.append(card_id)
        bands.append(band)
    result.extend(waiting)  # nothing left to spread them between
    return result
