"""Curriculum: the topic tree cases are filed against, and what it means for the deck."""

from cardgen.curriculum.model import Curriculum, Level, Topic, load_curriculum

__all__ = ["Curriculum", "Level", "Topic", "load_curriculum"]
