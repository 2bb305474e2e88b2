"""Text-only cards for curriculum objectives, so topics without a case still teach something.

One card per objective of each topic that has no case (``--objective-cards``). This module chooses
the objectives; their card text is made in cardgen.cards.objectives.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from cardgen.curriculum.model import Curriculum


@dataclass(frozen=True)
class ObjectiveCard:
    """One objective of one topic, to become a text-only note."""

    topic_id: str
    index: int  # 1-based position of the objective within its topic
    text: str

    @property
    def identity(self) -> str:
        """Stable identity for the note GUID: the topic and the objective's number, not its wording,
        so fixing a typo updates the note instead of replacing it (and keeps its reviews)."""
        return f"objective:{self.topic_id}#{self.index}"


def objective_cards(curriculum: Curriculum, topics_with_cases: Collection[str] = ()) -> list[ObjectiveCard]:
    """Objective cards for every topic not in ``topics_with_cases``, in teaching order.

    Pass the ids of topics that have at least one case: those teach through their images instead.
    """
    cards: list[ObjectiveCard] = []
    for topic_id in curriculum.order.topics:
        if topic_id in topics_with_cases:
            continue
        for index, text in enumerate(curriculum.topics[topic_id].objectives, start=1):
            cards.append(ObjectiveCard(topic_id, index, text))
    return cards
