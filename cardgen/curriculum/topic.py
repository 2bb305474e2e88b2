"""One curriculum topic: its fields, its ESR level, and the checks of its own values.

A topic has an ``id`` (unique across the whole tree), a ``title``, an optional ``level`` (ESR I, II
or III; a topic without one takes its parent's), ``objectives`` (what a learner should be able to
do), ``requires`` (ids of prerequisite topics), optional ``radlex`` term ids (``RID5352``) and a
parent. :func:`make_topic` checks the values as read from any file format (YAML or CSV), so both
readers give the same messages; checks that need the whole tree live in :mod:`.tree`.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import InputError

RADLEX_ID = re.compile(r"RID\d+")
TOPIC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


class Level(str, enum.Enum):
    """ESR European Training Curriculum levels."""

    I = "I"  # noqa: E741 - the curriculum's own name
    II = "II"
    III = "III"

    @property
    def rank(self) -> int:
        """0 for I, 1 for II, 2 for III: the order in which levels are taught."""
        return list(Level).index(self)


def level_rank(level: Level | None) -> int:
    """Teaching rank of a level; topics without a level come after level III."""
    return level.rank if level is not None else len(Level)


@dataclass(frozen=True)
class Topic:
    """One topic of the curriculum.

    ``where`` says where the topic was written (``[2].children[0]`` in YAML, ``row 7`` in CSV), so
    errors can point at it; it does not take part in comparisons.
    """

    id: str
    title: str
    level: Level | None = None
    parent: str | None = None
    order: int = 1  # 1-based position among its siblings
    objectives: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    radlex: tuple[str, ...] = ()
    where: str = field(default="", compare=False)


def field_at(where: str, name: str) -> str:
    """The field of an error about ``name`` of the topic written at ``where``: ``[0].children[2].id``
    in YAML, ``row 7, column id`` in CSV, just ``id`` for a topic made in code."""
    if where.startswith("["):
        return f"{where}.{name}"
    return f"{where}, column {name}" if where else name


def nearest_hint(word: str, choices: Iterable[str]) -> str:
    """A "did you mean a, b?" hint naming the closest ``choices``; empty when none is close."""
    near = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return f"did you mean {', '.join(near)}?" if near else ""


def make_topic(*, file: Path | None, where: str, parent: Topic | None, order: int, topic_id: object,
               title: object, level: object, objectives: list[object], requires: list[object],
               radlex: list[object]) -> Topic:
    """Check one topic's own values (whatever the file format) and turn them into a :class:`Topic`.

    ``where`` names the place in the file (``[0].children[2]`` or ``row 7``); a topic without a
    level takes its parent's.
    """
    def at(name: str) -> str:
        return field_at(where, name)

    if not isinstance(topic_id, str) or not TOPIC_ID.fullmatch(topic_id.strip()):
        raise InputError("a topic needs an id of letters, digits, '.', '_' or '-'", file=file,
                         field=at("id"), value=topic_id, hint="for example chest.pleura")
    topic_id = topic_id.strip()
    if not isinstance(title, str) or not title.strip():
        raise InputError("a topic needs a title (text)", file=file, field=at("title"), value=title)
    if level is None or (isinstance(level, str) and not level.strip()):
        parsed_level = parent.level if parent else None
    else:
        try:
            parsed_level = Level(str(level).strip().upper())
        except ValueError:
            raise InputError("unknown level", file=file, field=at("level"), value=level,
                             hint="use I, II or III") from None
    texts: list[str] = []
    for i, objective in enumerate(objectives):
        if not isinstance(objective, str) or not objective.strip():
            raise InputError("an objective is a line of text", file=file, field=f"{at('objectives')}[{i}]",
                             value=objective)
        texts.append(" ".join(objective.split()))
    required: list[str] = []
    for i, other in enumerate(requires):
        if not isinstance(other, str) or not other.strip():
            raise InputError("requires lists topic ids", file=file, field=f"{at('requires')}[{i}]",
                             value=other)
        if other.strip() not in required:
            required.append(other.strip())
    rids: list[str] = []
    for i, rid in enumerate(radlex):
        text = str(rid).strip()
        if not RADLEX_ID.fullmatch(text):
            raise InputError("not a RadLex id", file=file, field=f"{at('radlex')}[{i}]", value=rid,
                             hint="RadLex ids read RID followed by digits, e.g. RID1301")
        rids.append(text)
    return Topic(id=topic_id, title=" ".join(title.split()), level=parsed_level,
                 parent=parent.id if parent else None, order=order, objectives=tuple(texts),
                 requires=tuple(required), radlex=tuple(rids), where=where)
