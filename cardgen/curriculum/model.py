"""The curriculum as the rest of cardgen holds it: one object for the validated topic tree, its
teaching order and the names its topics get in Anki.

Each part lives in its own module and changes for its own reason: the tree and its checks in
:mod:`.tree`, the order in :mod:`.ordering`, deck names and tags in :mod:`.names`.
:class:`Curriculum` only puts them together, so that the build, the reports and the checks pass one
object around; the loaders (:mod:`.loading`, :mod:`.csvio`) make it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import cardgen.curriculum.names as names
from cardgen.curriculum.ordering import TeachingOrder
from cardgen.curriculum.tree import TopicTree


class Curriculum(TopicTree):
    """A validated topic tree with its teaching order and its Anki names.

    An unknown topic id is an :class:`~cardgen.errors.InputError` that suggests the nearest ids.
    """

    @cached_property
    def order(self) -> TeachingOrder:
        """The teaching order, computed on first use (a curriculum does not change once built)."""
        return TeachingOrder.of(self)

    def teaching_order(self) -> list[str]:
        """All topic ids in the order new cards should come: prerequisites first, then level, then
        the order in the file. Deterministic for a given curriculum."""
        return list(self.order.topics)

    def position(self, topic_id: str) -> int:
        """1-based place of the topic in :meth:`teaching_order`."""
        return self.order.position(self.topic(topic_id).id)

    def order_key(self, topic_id: str, within: int = 0) -> int:
        """The due position for a new note about this topic (:meth:`TeachingOrder.key`)."""
        return self.order.key(self.topic(topic_id).id, within)

    def order_key_for(self, topic_ids: Iterable[str], within: int = 0) -> int:
        """The due position for a note filed under several topics: with the latest of them
        (:meth:`TeachingOrder.key_for`)."""
        return self.order.key_for([self.topic(topic_id).id for topic_id in topic_ids], within)

    def deck_path(self, topic_id: str, depth: int | None = None, *, numbered: bool = False) -> list[str]:
        """Sub-deck names for a topic, cut to ``depth`` levels (:func:`.names.deck_path`)."""
        return names.deck_path(self, topic_id, depth, numbered=numbered)

    def tag(self, topic_id: str) -> str:
        """The topic's tag, ``cardgen::topic::03_chest::02_pleura`` (:func:`.names.topic_tag`)."""
        return names.topic_tag(self, topic_id)

    def level_tag(self, topic_id: str) -> str | None:
        """``cardgen::level::I`` from the nearest topic (or ancestor) with a level."""
        return names.level_tag(self, topic_id)

    def tags(self, topic_id: str) -> list[str]:
        """The tags of a note filed under the topic: its topic tag, then its level tag if any."""
        return names.topic_tags(self, topic_id)
