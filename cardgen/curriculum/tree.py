"""The curriculum topic tree: lookup, prerequisites, and the checks that need the whole tree.

A curriculum is a tree of topics (:class:`~cardgen.curriculum.topic.Topic`). The order of topics in
the file is the curriculum's own order. Requiring a topic means requiring it and everything under it;
a topic also inherits the requirements of its ancestors (a chest topic needs whatever the chest
section needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cardgen.curriculum.topic import Topic, field_at, nearest_hint
from cardgen.errors import InputError


class TopicTree:
    """A validated topic tree; topics keep the file's order (parents before their children).

    Construction validates: unique ids, known parents without loops, known ``requires`` ids, no
    prerequisite cycles. A topic's own values (id form, level, RadLex ids) are checked when it is
    read (:func:`~cardgen.curriculum.topic.make_topic`).
    """

    def __init__(self, topics: list[Topic], source: Path | None = None) -> None:
        self.source = source
        _check_unique(topics, source)
        self.topics: dict[str, Topic] = {t.id: t for t in topics}
        self._children: dict[str | None, list[str]] = {}
        for topic in topics:
            self._children.setdefault(topic.parent, []).append(topic.id)
        self._check_parents()
        self._check_requires()

    # -- lookup ---------------------------------------------------------------------------------

    def topic(self, topic_id: str, *, file: Path | None = None, field: str = "topics") -> Topic:
        """The topic with this id; an unknown id is an error that suggests the nearest ids."""
        try:
            return self.topics[topic_id]
        except KeyError:
            hint = nearest_hint(topic_id, self.topics) or "add the topic to the curriculum"
            raise InputError("unknown curriculum topic", file=file, field=field, value=topic_id,
                             hint=hint) from None

    def objective(self, ref: object, case_topics: Iterable[str], *, file: Path | None = None,
                  field: str = "objectives") -> tuple[str, int]:
        """The objective a case names as taught: ``(topic id, index from 0)``.

        ``ref`` is a number (from 1) among the objectives of the case's first topic,
        ``topic.id#N`` for another topic of the case (or one of their parents), or an objective's text.
        """
        topics = [t for t in case_topics if t in self.topics]
        allowed = list(dict.fromkeys(a.id for t in topics for a in reversed(self.ancestors(t))))
        if not topics:
            raise InputError("a case names objectives but none of its topics is in the curriculum", file=file,
                             field=field, value=ref, hint="add 'topics:' with curriculum topic ids first")

        def numbered(topic_id: str, number: object) -> tuple[str, int]:
            objectives = self.topics[topic_id].objectives
            if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(objectives):
                listed = "; ".join(f"{i}: {text}" for i, text in enumerate(objectives, start=1)) or "none"
                raise InputError(f"topic {topic_id} has no objective {number}", file=file, field=field, value=ref,
                                 hint=f"its objectives are {listed}")
            return topic_id, number - 1

        if isinstance(ref, int) and not isinstance(ref, bool):
            return numbered(topics[0], ref)
        text = str(ref).strip()
        if "#" in text:
            topic_id, _, number = text.rpartition("#")
            if topic_id not in allowed:
                raise InputError(f"{topic_id!r} is not one of this case's topics or their parents", file=file,
                                 field=field, value=ref, hint=f"use one of {', '.join(allowed)}")
            return numbered(topic_id, int(number) if number.strip().isdigit() else number)
        for topic_id in allowed:
            for index, objective in enumerate(self.topics[topic_id].objectives):
                if " ".join(objective.split()).lower() == " ".join(text.split()).lower():
                    return topic_id, index
        known = [o for t in allowed for o in self.topics[t].objectives]
        raise InputError("no objective of this case's topics has this text", file=file, field=field, value=ref,
                         hint=nearest_hint(text, known) or "write its number (from 1) or 'topic.id#N'")

    def children(self, topic_id: str | None) -> list[Topic]:
        """The topic's children in file order (``None``: the top-level sections)."""
        return [self.topics[i] for i in self._children.get(topic_id, [])]

    def sibling_count(self, parent: str | None) -> int:
        """How many topics sit directly under ``parent`` (``None``: the top-level sections)."""
        return len(self._children.get(parent, []))

    def sections(self) -> list[Topic]:
        """The top-level topics, in file order."""
        return self.children(None)

    def section_of(self, topic_id: str) -> Topic:
        """The top-level topic a topic sits under (itself for a section)."""
        return self.ancestors(topic_id)[0]

    def descendants(self, topic_id: str) -> list[Topic]:
        """Everything under the topic, depth first in file order (the topic itself not included)."""
        out: list[Topic] = []
        for child in self.children(topic_id):
            out.append(child)
            out.extend(self.descendants(child.id))
        return out

    def in_file_order(self) -> list[Topic]:
        """Every topic, parents before children, siblings in file order (as the YAML reads)."""
        out: list[Topic] = []
        for section in self.sections():
            out.append(section)
            out.extend(self.descendants(section.id))
        return out

    def ancestors(self, topic_id: str) -> list[Topic]:
        """The topic's path from the root section down to the topic itself."""
        path: list[Topic] = []
        current: str | None = topic_id
        while current is not None:
            topic = self.topics[current]
            path.append(topic)
            current = topic.parent
        return list(reversed(path))

    def depth(self, topic_id: str) -> int:
        """1 for a section, 2 for a topic under it, and so on."""
        return len(self.ancestors(topic_id))

    # -- prerequisites -------------------------------------------------------------------------

    def prerequisites(self, topic_id: str) -> list[str]:
        """Every topic that must be taught before this one: its own and its ancestors' ``requires``,
        each with everything under it. File order, no repeats."""
        return [edge.required for edge in self._requirement_edges(topic_id)]

    # -- validation -----------------------------------------------------------------------------

    def _locate(self, topic_id: str) -> str:
        where = self.topics[topic_id].where
        return f"{topic_id} ({where})" if where else topic_id

    def _check_parents(self) -> None:
        for topic in self.topics.values():
            if topic.parent is not None and topic.parent not in self.topics:
                hint = nearest_hint(topic.parent, self.topics) or "add the parent topic or leave parent empty"
                raise InputError(f"topic {topic.id!r} names an unknown parent", file=self.source,
                                 field=_field(topic, "parent"), value=topic.parent, hint=hint)
        for topic in self.topics.values():
            seen = [topic.id]
            current = topic.parent
            while current is not None:
                if current in seen:
                    loop = " -> ".join(self._locate(i) for i in [*seen, current])
                    raise InputError(f"topics are each other's parents: {loop}", file=self.source,
                                     field=_field(topic, "parent"), value=topic.parent,
                                     hint="a topic tree cannot loop; fix one of these parents")
                seen.append(current)
                current = self.topics[current].parent

    def _check_requires(self) -> None:
        for topic in self.topics.values():
            for required in topic.requires:
                if required not in self.topics:
                    hint = nearest_hint(required, self.topics) or "add that topic or remove the requirement"
                    raise InputError(f"topic {topic.id!r} requires an unknown topic", file=self.source,
                                     field=_field(topic, "requires"), value=required, hint=hint)
                family = {t.id for t in self.ancestors(topic.id)} | {t.id for t in self.descendants(topic.id)}
                if required in family:
                    raise InputError(
                        f"topic {self._locate(topic.id)} requires its own ancestor or descendant "
                        f"{self._locate(required)}", file=self.source, field=_field(topic, "requires"),
                        value=required, hint="a topic and its sub-topics are taught together; "
                        "require a topic outside this branch")
        cycle = self._find_cycle()
        if cycle:
            steps = []
            for edge in cycle:
                via = ""
                if edge.declared_by != edge.topic:
                    via += f" (inherited from {edge.declared_by!r})"
                if edge.declared_target != edge.required:
                    via += f" (part of {edge.declared_target!r})"
                steps.append(f"{self._locate(edge.topic)} requires {self._locate(edge.required)}{via}")
            first = self.topics[cycle[0].declared_by]
            raise InputError("prerequisite cycle: " + "; ".join(steps), file=self.source,
                             field=_field(first, "requires"),
                             hint="remove one of these requirements so the topics can be ordered")

    def _requirement_edges(self, topic_id: str) -> list[_Edge]:
        edges: list[_Edge] = []
        seen: set[str] = set()
        for holder in self.ancestors(topic_id):
            for declared in holder.requires:
                for required in [declared, *(t.id for t in self.descendants(declared))]:
                    if required not in seen:
                        seen.add(required)
                        edges.append(_Edge(topic_id, required, holder.id, declared))
        return edges

    def _find_cycle(self) -> list[_Edge] | None:
        """A prerequisite cycle as the list of its edges, or None (iterative depth-first search)."""
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        for start in self.topics:
            if start in state:
                continue
            state[start] = 1
            # each frame: a topic, its remaining requirement edges, the edge that led to it
            stack: list[tuple[str, Iterator[_Edge], _Edge | None]] = [
                (start, iter(self._requirement_edges(start)), None)]
            while stack:
                node, edges, _ = stack[-1]
                edge = next(edges, None)
                if edge is None:
                    state[node] = 2
                    stack.pop()
                    continue
                if state.get(edge.required) == 1:
                    begin = next(i for i, frame in enumerate(stack) if frame[0] == edge.required)
                    return [frame[2] for frame in stack[begin + 1:] if frame[2]] + [edge]
                if edge.required not in state:
                    state[edge.required] = 1
                    stack.append((edge.required, iter(self._requirement_edges(edge.required)), edge))
        return None


@dataclass(frozen=True)
class _Edge:
    """``topic`` must come after ``required``, because ``declared_by`` lists ``declared_target``."""

    topic: str
    required: str
    declared_by: str
    declared_target: str


def _field(topic: Topic, name: str) -> str:
    return field_at(topic.where, name)


def _check_unique(topics: list[Topic], source: Path | None) -> None:
    first: dict[str, Topic] = {}
    for topic in topics:
        if topic.id in first:
            earlier = first[topic.id].where or "an earlier topic"
            raise InputError(f"duplicate topic id, at {earlier} and at {topic.where or 'a later topic'}",
                             file=source, field=_field(topic, "id"), value=topic.id,
                             hint="give each topic its own id")
        first[topic.id] = topic
