"""Curriculum: the topic tree cases are filed against, and what it means for the deck.

- :mod:`.topic`: one topic, its ESR level, the checks of its own values
- :mod:`.tree`: the topic tree, lookup, prerequisites, the checks that need the whole tree
- :mod:`.names`: a topic's sub-deck path and tags in Anki (from :mod:`cardgen.tags`)
- :mod:`.ordering`: the teaching order (computed once) and where Anki's deck order could break it
- :mod:`.model`: :class:`Curriculum`, the tree with its order and names, as callers hold it
- :mod:`.loading`, :mod:`.csvio`: reading a curriculum from YAML or CSV (and writing CSV)
- :mod:`.spec`: what a curriculum YAML file may say (the JSON Schema comes from it)
- :mod:`.objectives`: text-only cards for objectives of topics without a case
- :mod:`.coverage`, :mod:`.report`: which topics and objectives the cases cover (table, HTML page)

Imports inside the package run one way: topic <- tree <- names <- ordering <- model <- loading.
"""

from cardgen.curriculum.loading import load_curriculum
from cardgen.curriculum.model import Curriculum
from cardgen.curriculum.ordering import ORDER_STRIDE, TeachingOrder
from cardgen.curriculum.topic import Level, Topic

__all__ = ["ORDER_STRIDE", "Curriculum", "Level", "TeachingOrder", "Topic", "load_curriculum"]
