"""The parts of a curriculum on their own: the teaching order as one computed object, and the Anki
names of topics (with and without a curriculum). The curriculum written here is made up."""

from __future__ import annotations

import dataclasses

import pytest

from cardgen.curriculum import ORDER_STRIDE, Curriculum, Level, TeachingOrder, Topic
from cardgen.curriculum.names import dotted_deck_path, dotted_topic_tag, topic_tags

TOPICS = [
    Topic(id="a", title="A", level=Level.I),
    Topic(id="a.one", title="One", parent="a", level=Level.I, requires=("z",)),
    Topic(id="z", title="Z::Zed", order=2),
]


def test_order_is_computed_once_and_frozen() -> None:
    curriculum = Curriculum(TOPICS)
    order = curriculum.order
    assert curriculum.order is order
    assert order == TeachingOrder.of(curriculum)
    assert order.topics == ("a", "z", "a.one")  # z is required by a.one, though it has no level
    assert [order.position(t) for t in order.topics] == [1, 2, 3]
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.topics = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        order.positions["a"] = 9  # type: ignore[index]


def test_keys_of_notes_and_cases() -> None:
    order = Curriculum(TOPICS).order
    assert order.key("z", within=3) == 2 * ORDER_STRIDE + 3
    assert order.key_for(["a", "a.one"]) == 3 * ORDER_STRIDE
    # A case is placed with the latest topic the curriculum knows; with none known, after all.
    assert order.case_key(["a", "unknown"]) == ORDER_STRIDE
    assert order.case_key(["unknown"]) == order.case_key([]) == 3 * ORDER_STRIDE + 1
    with pytest.raises(ValueError):
        order.key_for([])


def test_names() -> None:
    curriculum = Curriculum(TOPICS)
    assert curriculum.tags("a.one") == ["cardgen::topic::01_a::01_one", "cardgen::level::I"]
    assert topic_tags(curriculum, "z") == ["cardgen::topic::02_z"]  # no level: no level tag
    assert curriculum.deck_path("z", numbered=True) == ["02 Z:Zed"]  # '::' would make a sub-deck
    assert dotted_topic_tag("chest.pleura") == "cardgen::topic::chest::pleura"
    assert dotted_deck_path("chest.pleura.ptx", 2) == ["chest", "pleura"]
    assert dotted_deck_path("chest.pleura.ptx") == ["chest", "pleura", "ptx"]
