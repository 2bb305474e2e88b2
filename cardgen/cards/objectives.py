"""The fields of a text-only objective note: it asks the learner to recall an objective from its
topic, carries no image and says so (the objectives are chosen in cardgen.curriculum.objectives)."""

from __future__ import annotations

import html

from cardgen.curriculum.model import Curriculum
from cardgen.curriculum.objectives import ObjectiveCard


def objective_fields(curriculum: Curriculum, card: ObjectiveCard) -> dict[str, str]:
    """Proposed note fields (escaped HTML): ``Front`` asks, ``Back`` gives the objective, and
    ``Kind`` marks the note as text-only so templates and searches can tell it from image cards."""
    topic = curriculum.topics[card.topic_id]
    path = " › ".join(html.escape(t.title) for t in curriculum.ancestors(card.topic_id))
    count = len(topic.objectives)
    front = (f'<div class="cardgen-text-only">Text-only card: no image case yet</div>'
             f'<div class="cardgen-topic">{path}</div>'
             f"<div>Learning objective {card.index} of {count}: what should you be able to do?</div>")
    back = f'<div class="cardgen-objective">{html.escape(card.text)}</div>'
    return {"Front": front, "Back": back, "Kind": "text-only objective"}
