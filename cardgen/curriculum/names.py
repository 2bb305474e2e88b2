"""What a topic is called in Anki: its sub-deck path and its tags, built from the tag vocabulary of
:mod:`cardgen.tags`.

Anki lists and gathers sub-decks by name and sorts tags as text, so names carry the topic's
zero-padded position among its siblings (``03 Chest``, ``cardgen::topic::03_chest::02_pleura``):
sorted by name, decks and tags follow the curriculum's order. Cases built without a curriculum are
named from the dotted parts of their topic ids instead (:func:`dotted_deck_path`).
"""

from __future__ import annotations

from cardgen.curriculum.tree import TopicTree
from cardgen.tags import LEVEL_PREFIX, TOPIC_PREFIX, tag_word


def deck_path(tree: TopicTree, topic_id: str, depth: int | None = None, *,
              numbered: bool = False) -> list[str]:
    """Sub-deck names for a topic: its ancestors' titles, cut to ``depth`` levels.

    ``numbered`` puts the zero-padded position among siblings in front (``03 Chest``), so that
    Anki, which lists and gathers sub-decks by name, follows the curriculum's order.
    """
    names = []
    for topic in tree.ancestors(topic_id):
        title = topic.title.replace("::", ":")
        if numbered:
            title = f"{topic.order:0{_pad(tree, topic.parent)}d} {title}"
        names.append(title)
    return names if depth is None else names[:depth]


def topic_tag(tree: TopicTree, topic_id: str) -> str:
    """``cardgen::topic::03_chest::02_pleura``: zero-padded so tags sort in curriculum order."""
    parts = [f"{t.order:0{_pad(tree, t.parent)}d}_{tag_word(t.id.split('.')[-1], empty='topic')}"
             for t in tree.ancestors(topic_id)]
    return TOPIC_PREFIX + "::".join(parts)


def level_tag(tree: TopicTree, topic_id: str) -> str | None:
    """``cardgen::level::I`` from the nearest topic (or ancestor) with a level."""
    for topic in reversed(tree.ancestors(topic_id)):
        if topic.level is not None:
            return LEVEL_PREFIX + topic.level.value
    return None


def topic_tags(tree: TopicTree, topic_id: str) -> list[str]:
    """The tags of a note filed under a topic: its topic tag, then its level tag if it has a level."""
    level = level_tag(tree, topic_id)
    return [topic_tag(tree, topic_id)] + ([level] if level else [])


def dotted_deck_path(topic_id: str, depth: int | None = None) -> list[str]:
    """Sub-deck names for a topic id without a curriculum: its dotted parts, cut to ``depth``."""
    parts = topic_id.split(".")
    return parts if depth is None else parts[:depth]


def dotted_topic_tag(topic_id: str) -> str:
    """The topic tag of a topic id without a curriculum: ``chest.pleura`` -> ``cardgen::topic::chest::pleura``."""
    return TOPIC_PREFIX + "::".join(topic_id.split("."))


def _pad(tree: TopicTree, parent: str | None) -> int:
    """Digits for sibling numbers under ``parent``: at least two, more for 100+ siblings."""
    return max(2, len(str(tree.sibling_count(parent))))
