"""The order in which a curriculum's topics are taught, and where Anki's deck order could break it.

Teaching order: go through the topics by level (I, II, III, then none) and, within a level, in file
order; before placing a topic, place everything it requires (recursively, in the same order). That
is a depth-first topological order: every prerequisite comes before the topics that need it, and a
prerequisite comes just before its first use rather than wherever the file happens to put it.
:class:`TeachingOrder` holds it, computed once per curriculum, with the due positions it gives notes.

How Anki serves new cards (checked against the ``anki`` backend 26.9.3): with the default deck
preset it gathers new cards deck by deck (a deck's own cards, then its sub-decks sorted by name),
and by due position inside each deck; then it sorts the gathered cards by card type (template
index), keeping the gathered order within a type. Two consequences:

- Sub-deck names must sort in curriculum order (:func:`~cardgen.curriculum.names.deck_path` with
  ``numbered=True``).
- A prerequisite that lives in a sub-deck listed *after* the topic's own sub-deck is served late.
  :func:`deck_order_conflicts` lists those; with the preset options "gather: ascending position" and
  "sort: order gathered" Anki follows the due positions across decks and the conflicts disappear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cardgen.curriculum.names import deck_path
from cardgen.curriculum.topic import level_rank
from cardgen.curriculum.tree import TopicTree

# Notes of one topic share a block of due positions, so the build can order a topic's own cases.
ORDER_STRIDE = 1000


@dataclass(frozen=True)
class TeachingOrder:
    """Every topic id of a curriculum in teaching order, and the due positions that follow from it.

    Make it with :meth:`of`; the tree is already free of prerequisite cycles (checked when it was
    built), so every topic has a place.
    """

    topics: tuple[str, ...]
    positions: Mapping[str, int] = field(repr=False)  # topic id -> 1-based place in ``topics``

    @classmethod
    def of(cls, tree: TopicTree) -> TeachingOrder:
        """The teaching order of ``tree``: prerequisites first, then by level, then in file order."""
        topics = tuple(_place_all(tree))
        return cls(topics, MappingProxyType({topic_id: i for i, topic_id in enumerate(topics, start=1)}))

    def position(self, topic_id: str) -> int:
        """1-based place of the topic in :attr:`topics`."""
        return self.positions[topic_id]

    def key(self, topic_id: str, within: int = 0) -> int:
        """The due position for a new note about this topic.

        Topics get blocks of :data:`ORDER_STRIDE` positions; ``within`` (0 to ORDER_STRIDE-1) orders
        the notes of one topic. Anki shows new cards with the smaller due first.
        """
        if not 0 <= within < ORDER_STRIDE:
            raise ValueError(f"within must lie in 0..{ORDER_STRIDE - 1}, not {within}")
        return self.position(topic_id) * ORDER_STRIDE + within

    def key_for(self, topic_ids: Iterable[str], within: int = 0) -> int:
        """The due position for a note filed under several topics: it comes once all of them have
        been reached, i.e. with the latest of its topics."""
        ids = list(topic_ids)
        if not ids:
            raise ValueError("a note needs at least one topic to be placed in the curriculum")
        return max(self.key(topic_id, within) for topic_id in ids)

    def case_key(self, topic_ids: Iterable[str]) -> int:
        """Where a case filed under ``topic_ids`` is taught: with the latest of its topics that the
        curriculum knows; a case with none of them comes after every topic."""
        known = [topic_id for topic_id in topic_ids if topic_id in self.positions]
        return self.key_for(known) if known else len(self.topics) * ORDER_STRIDE + 1


def _place_all(tree: TopicTree) -> list[str]:
    """Every topic id, each placed after everything it requires (depth first)."""
    file_order = {topic.id: i for i, topic in enumerate(tree.in_file_order())}

    def priority(topic_id: str) -> tuple[int, int]:
        return level_rank(tree.topics[topic_id].level), file_order[topic_id]

    placed: list[str] = []
    done: set[str] = set()

    def place(topic_id: str) -> None:
        # Recursion depth is bounded by the longest prerequisite chain, a handful in practice.
        if topic_id in done:
            return
        done.add(topic_id)
        for required in sorted(tree.prerequisites(topic_id), key=priority):
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


def deck_order_conflicts(tree: TopicTree, depth: int | None = None) -> list[DeckOrderConflict]:
    """Prerequisites that Anki's default new-card order would serve after the topic needing them.

    With sub-decks cut at ``depth`` and named with :func:`~cardgen.curriculum.names.deck_path`
    (``numbered=True``), Anki gathers decks in tree order (a parent's own cards before its
    sub-decks). A requirement in the same deck is safe (due positions follow the
    :class:`TeachingOrder`); one in a deck earlier in tree order is safe; one in a later deck is a
    conflict.
    """
    def deck_key(topic_id: str) -> tuple[int, ...]:
        path = tree.ancestors(topic_id)
        return tuple(t.order for t in (path if depth is None else path[:depth]))

    conflicts: list[DeckOrderConflict] = []
    for topic in tree.in_file_order():
        for required in tree.prerequisites(topic.id):
            if deck_key(required) > deck_key(topic.id):
                conflicts.append(DeckOrderConflict(
                    topic.id, required,
                    tuple(deck_path(tree, topic.id, depth, numbered=True)),
                    tuple(deck_path(tree, required, depth, numbered=True))))
    return conflicts
