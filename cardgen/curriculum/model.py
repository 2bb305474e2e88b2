"""The curriculum topic tree: loading, lookup, and the deck paths and tags it gives.

A curriculum file is a YAML list of topics, each ``{id, title, level, children}``; ids are unique
across the whole tree. The order of topics in the file is the teaching order.
"""

from __future__ import annotations

import difflib
import enum
import re
from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import InputError
from cardgen.yamlio import load_yaml_file

TAG_ROOT = "cardgen"


class Level(str, enum.Enum):
    """ESR European Training Curriculum levels."""

    I = "I"  # noqa: E741 - the curriculum's own name
    II = "II"
    III = "III"


@dataclass(frozen=True)
class Topic:
    """One topic of the curriculum."""

    id: str
    title: str
    level: Level | None = None
    parent: str | None = None
    order: int = 1  # 1-based position among its siblings
    objectives: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


class Curriculum:
    """A validated topic tree; topics keep the file's order."""

    def __init__(self, topics: list[Topic], source: Path | None = None) -> None:
        self.source = source
        self.topics: dict[str, Topic] = {t.id: t for t in topics}

    def topic(self, topic_id: str, *, file: Path | None = None, field: str = "topics") -> Topic:
        """The topic with this id; an unknown id is an error that suggests the nearest ids."""
        try:
            return self.topics[topic_id]
        except KeyError:
            near = difflib.get_close_matches(topic_id, list(self.topics), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(near)}?" if near else "add the topic to the curriculum"
            raise InputError("unknown curriculum topic", file=file, field=field, value=topic_id,
                             hint=hint) from None

    def ancestors(self, topic_id: str) -> list[Topic]:
        """The topic's path from the root section down to the topic itself."""
        path: list[Topic] = []
        current: str | None = topic_id
        while current is not None:
            topic = self.topics[current]
            path.append(topic)
            current = topic.parent
        return list(reversed(path))

    def deck_path(self, topic_id: str, depth: int | None = None) -> list[str]:
        """Sub-deck names for a topic: its ancestors' titles, cut to ``depth`` levels."""
        titles = [t.title.replace("::", ":") for t in self.ancestors(topic_id)]
        return titles if depth is None else titles[:depth]

    def tag(self, topic_id: str) -> str:
        """``cardgen::topic::01_chest::02_pleura``: zero-padded so tags sort in curriculum order."""
        parts = [f"{t.order:02d}_{tag_word(t.id.split('.')[-1])}" for t in self.ancestors(topic_id)]
        return "::".join([TAG_ROOT, "topic", *parts])

    def level_tag(self, topic_id: str) -> str | None:
        """``cardgen::level::I`` from the nearest topic (or ancestor) with a level."""
        for topic in reversed(self.ancestors(topic_id)):
            if topic.level is not None:
                return f"{TAG_ROOT}::level::{topic.level.value}"
        return None


def tag_word(text: str) -> str:
    """Anki tags cannot hold spaces; keep letters, digits, dashes, underscores."""
    return re.sub(r"[^0-9A-Za-z_\-]+", "_", text.strip()).strip("_") or "topic"


def load_curriculum(path: Path) -> Curriculum:
    """Read and validate a YAML curriculum file."""
    data = load_yaml_file(path)
    if not isinstance(data, list):
        raise InputError("a curriculum is a list of topics", file=path, value=type(data).__name__,
                         hint="start the file with '- id: ...'")
    topics: list[Topic] = []
    seen: dict[str, str] = {}
    _read_topics(data, parent=None, path=path, where="", out=topics, seen=seen)
    return Curriculum(topics, source=path)


def _read_topics(items: list, *, parent: Topic | None, path: Path, where: str,
                 out: list[Topic], seen: dict[str, str]) -> None:
    for index, item in enumerate(items):
        field = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise InputError("a topic is a mapping with id and title", file=path, field=field, value=item)
        topic_id = item.get("id")
        title = item.get("title")
        if not isinstance(topic_id, str) or not topic_id.strip():
            raise InputError("a topic needs an id (text)", file=path, field=f"{field}.id", value=topic_id)
        if not isinstance(title, str) or not title.strip():
            raise InputError("a topic needs a title (text)", file=path, field=f"{field}.title", value=title)
        if topic_id in seen:
            raise InputError(f"duplicate topic id, first at {seen[topic_id]}", file=path,
                             field=f"{field}.id", value=topic_id, hint="give each topic its own id")
        seen[topic_id] = field
        level = item.get("level", parent.level if parent else None)
        if level is not None and not isinstance(level, Level):
            try:
                level = Level(str(level).strip().upper())
            except ValueError:
                raise InputError("unknown level", file=path, field=f"{field}.level", value=level,
                                 hint="use I, II or III") from None
        topic = Topic(id=topic_id, title=title.strip(), level=level,
                      parent=parent.id if parent else None, order=index + 1)
        out.append(topic)
        children = item.get("children") or []
        if not isinstance(children, list):
            raise InputError("children is a list of topics", file=path, field=f"{field}.children", value=children)
        _read_topics(children, parent=topic, path=path, where=f"{field}.children", out=out, seen=seen)
