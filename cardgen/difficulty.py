"""How hard a card is: the educator's prior for a case, and each learner's band.

Standard library only: the Anki add-on carries this module (see cardgen.addon.package).
"""

from __future__ import annotations

import enum


class Difficulty(str, enum.Enum):
    """The educator's prior of how hard a case is, and the band the learners model gives a card."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
