"""Curriculum: the topic tree cases are filed against, and what it means for the deck.

- :mod:`.model`: topics, loading (YAML or CSV), validation, tags, sub-deck paths, teaching order
- :mod:`.csvio`: the spreadsheet form (one row per topic, a parent column)
- :mod:`.ordering`: the teaching order and where Anki's deck order could break it
- :mod:`.objectives`: text-only cards for objectives of topics without a case
- :mod:`.coverage`: which topics and objectives the cases cover (terminal table, HTML page)
"""

from cardgen.curriculum.model import ORDER_STRIDE, Curriculum, Level, Topic, load_curriculum

__all__ = ["ORDER_STRIDE", "Curriculum", "Level", "Topic", "load_curriculum"]
