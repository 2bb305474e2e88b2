"""The order in which a curriculum's topics are taught, and where Anki's deck order could break it.

Teaching order: go through the topics by level (I, II, III, then none) and, within a level, in file
order; before placing a topic, place everything it requires (recursively, in the same order). That
is a depth-first topological order: every prerequisite comes before the topics that need it, and a
prerequisite comes just before its first use rather than wherever the file happens to put it.

How Anki serves new cards (checked against the ``anki`` backend 26.9.3): with the default deck
preset it gathers new cards deck by deck (a deck's own cards, then its sub-decks sorted by name),
and by due position inside each deck; then it sorts the gathered cards by card type (template
index), keeping the gathered order within a type. Two consequences:

- Sub-deck names must sort in curriculum order (``Curriculum.deck_path(..., numbered=True)``).
- A prerequisite that lives in a sub-deck listed *after* the topic's own sub-deck is served late.
  :func:`deck_order_conflicts` lists those; with the preset options "gather: ascending position" and
  "sort: order gathered" Anki follows the due positions across decks and the conflicts disappear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cardgen.curriculum.model import level_rank

if TYPE_CHECKING:
    from cardgen.curriculum.model import Curriculum


def teaching_order(curriculum: Curriculum) -> list[str]:
    """Every topic id, prerequisites first, then by level, then in file order.

    The curriculum is already free of prerequisite cycles (checked when it was built).
    """
    file_order = {topic.id: i for i, topic in enumerate(curriculum.in_file_order())}

    def priority(topic_id: str) -> tuple[int, int]:
        return level_rank(curriculum.topics[topic_id].level), file_order[topic_id]

    placed: list[str] = []
    done: set[str] = set()

    def place(topic_id: str) -> None:
        # Recursion depth is bounded by the longest prerequisite chain, a handful in practice.
        if topic_id in done:
            return
        done.add(topic_id)
        for required in sorted(curriculum.prerequisites(topic_id), key=priority):
            place(required)
        placed.append(topic_id)

    for topic_id in sorted(file_order, key=priority):
        place(topic_id)
    return placed


@dataclass(frozen=True)
class DeckOrderConflict:
    """``topic`` needs ``required``, but Anki's default order serves ``required``'s deck later."""

    topic: str
    required: str
    topic_deck: tuple[str, ...]
    required_deck: tuple[str, ...]

    def __str__(self) -> str:
        return (f"{self.topic} (deck {'::'.join(self.topic_deck)}) requires {self.required}, whose deck "
                f"{'::'.join(self.required_deck)} Anki's default preset serves later")


def deck_order_conflicts(curriculum: Curriculum, depth: int | None = None) -> list[DeckOrderConflict]:
    """Prerequisites that Anki's default new-card order would serve after the topic needing them.

    With sub-decks cut at ``depth`` and named with :meth:`Curriculum.deck_path` (``numbered=True``),
    Anki gathers decks in tree order (a parent's own cards before its sub-decks). A requirement in
    the same deck is safe (due positions follow :func:`teaching_order`); one in a deck earlier in tree
    order is safe; one in a later deck is a conflict.
    """
    def deck_key(topic_id: str) -> tuple[int, ...]:
        path = curriculum.ancestors(topic_id)
        return tuple(t.order for t in (path if depth is None else path[:depth]))

    conflicts: list[DeckOrderConflict] = []
    for topic in curriculum.in_file_order():
        for required in curriculum.prerequisites(topic.id):
            if deck_key(required) > deck_key(topic.id):
                conflicts.append(DeckOrderConflict(
                    topic.id, required,
                    tuple(curriculum.deck_path(topic.id, depth, numbered=True)),
                    tuple(curriculum.deck_path(required, depth, numbered=True))))
    return conflicts
