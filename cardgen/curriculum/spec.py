"""What a curriculum YAML file may say: every key of a topic, its value and its meaning, written once.

The YAML reader (cardgen.curriculum.loading) refuses keys this does not know; the published JSON Schema
(``docs/schema/curriculum.schema.json``, ``cardgen schema curriculum``) is made from it.
"""

from __future__ import annotations

from cardgen.curriculum.topic import RADLEX_ID, TOPIC_ID, Level
from cardgen.yamlspec import TEXT, Key, ListOf, Mapping, Ref, Scalar, choice, json_schema

TOPIC_ID_VALUE = Scalar({"type": "string", "pattern": f"^{TOPIC_ID.pattern}$"}, "a topic id")
TOPIC = Mapping("topic", "A topic", (
    Key("id", TOPIC_ID_VALUE, "Unique id across the whole tree (letters, digits, '.', '_', '-'), e.g. chest.pleura; "
        "cases name it under topics:.", required=True),
    Key("title", TEXT, "The topic's title: its sub-deck's name.", required=True),
    Key("level", choice([level.value for level in Level], "I, II or III"),
        "ESR level (I: years 1-3, II: years 4-5, III: subspecialty); default: the parent's."),
    Key("objectives", ListOf(TEXT, also_single=True), "What a learner should be able to do, one line each."),
    Key("requires", ListOf(TOPIC_ID_VALUE, also_single=True), "Ids of topics taught first (requiring a topic "
        "requires its sub-topics too)."),
    Key("radlex", ListOf(Scalar({"type": "string", "pattern": f"^{RADLEX_ID.pattern}$"}, "a RadLex id"),
                         also_single=True), "RadLex term ids, RID followed by digits (e.g. RID5352)."),
    Key("children", ListOf(Ref("topic")), "Sub-topics."),
))
CURRICULUM = ListOf(TOPIC)
DEFINITIONS = {"topic": TOPIC}


def curriculum_schema(schema_id: str | None = None) -> dict:
    """The JSON Schema of a curriculum YAML file."""
    return json_schema(CURRICULUM, title="cardgen curriculum",
                       description="A curriculum for cardgen: a list of topics, each with sub-topics under "
                                   "children.", schema_id=schema_id)
