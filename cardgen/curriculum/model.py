"""The curriculum topic tree: loading, validation, lookup, and the deck paths and tags it gives.

A curriculum is a tree of topics. Each topic has an ``id`` (unique across the whole tree), a
``title``, an optional ``level`` (ESR I, II or III; a topic without one takes its parent's),
``objectives`` (what a learner should be able to do), ``requires`` (ids of prerequisite topics),
optional ``radlex`` term ids (``RID5352``) and ``children``. The same tree can be kept as YAML
(nested ``children``) or as CSV, one row per topic with a ``parent`` column (see
:mod:`cardgen.curriculum.csvio`). The order of topics in the file is the curriculum's own order.

Requiring a topic means requiring it and everything under it; a topic also inherits the
requirements of its ancestors (a chest topic needs whatever the chest section needs).
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import InputError
from cardgen.tags import TAG_ROOT, TOPIC_PREFIX, tag_word
from cardgen.yamlio import load_yaml_file

RADLEX_ID = re.compile(r"RID\d+")
TOPIC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
# Notes of one topic share a block of due positions, so the build can order a topic's own cases.
ORDER_STRIDE = 1000


def yaml_keys() -> frozenset[str]:
    """The keys a topic may have in YAML: those of cardgen.curriculum.spec, the one description."""
    from cardgen.curriculum.spec import TOPIC  # it imports this module's Level and patterns

    return frozenset(TOPIC.key_names())


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


def nearest_hint(word: str, choices: Iterable[str]) -> str:
    """A "did you mean a, b?" hint naming the closest ``choices``; empty when none is close."""
    near = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return f"did you mean {', '.join(near)}?" if near else ""


class Curriculum:
    """A validated topic tree; topics keep the file's order (parents before their children).

    Construction validates: unique ids, known parents without loops, known ``requires`` ids, no
    prerequisite cycles, RadLex ids of the form ``RID<digits>``.
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
        self._order: list[str] | None = None
        self._position: dict[str, int] = {}

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

    # -- prerequisites and order ---------------------------------------------------------------

    def prerequisites(self, topic_id: str) -> list[str]:
        """Every topic that must be taught before this one: its own and its ancestors' ``requires``,
        each with everything under it. File order, no repeats."""
        return [edge.required for edge in self._requirement_edges(topic_id)]

    def teaching_order(self) -> list[str]:
        """All topic ids in the order new cards should come: prerequisites first, then level, then
        the order in the file. Deterministic for a given curriculum."""
        if self._order is None:
            from cardgen.curriculum.ordering import teaching_order

            self._order = teaching_order(self)
            self._position = {topic_id: i for i, topic_id in enumerate(self._order, start=1)}
        return list(self._order)

    def position(self, topic_id: str) -> int:
        """1-based place of the topic in :meth:`teaching_order`."""
        self.teaching_order()
        self.topic(topic_id)
        return self._position[topic_id]

    def order_key(self, topic_id: str, within: int = 0) -> int:
        """The due position for a new note about this topic.

        Topics get blocks of :data:`ORDER_STRIDE` positions; ``within`` (0 to ORDER_STRIDE-1) orders
        the notes of one topic. Anki shows new cards with the smaller due first.
        """
        if not 0 <= within < ORDER_STRIDE:
            raise ValueError(f"within must lie in 0..{ORDER_STRIDE - 1}, not {within}")
        return self.position(topic_id) * ORDER_STRIDE + within

    def order_key_for(self, topic_ids: Iterable[str], within: int = 0) -> int:
        """The due position for a note filed under several topics: it comes once all of them have
        been reached, i.e. with the latest of its topics."""
        ids = list(topic_ids)
        if not ids:
            raise ValueError("a note needs at least one topic to be placed in the curriculum")
        return max(self.order_key(topic_id, within) for topic_id in ids)

    # -- deck structure -------------------------------------------------------------------------

    def deck_path(self, topic_id: str, depth: int | None = None, *, numbered: bool = False) -> list[str]:
        """Sub-deck names for a topic: its ancestors' titles, cut to ``depth`` levels.

        ``numbered`` puts the zero-padded position among siblings in front (``03 Chest``), so that
        Anki, which lists and gathers sub-decks by name, follows the curriculum's order.
        """
        names = []
        for topic in self.ancestors(topic_id):
            title = topic.title.replace("::", ":")
            if numbered:
                title = f"{topic.order:0{self._pad(topic.parent)}d} {title}"
            names.append(title)
        return names if depth is None else names[:depth]

    def tag(self, topic_id: str) -> str:
        """``cardgen::topic::03_chest::02_pleura``: zero-padded so tags sort in curriculum order."""
        parts = [f"{t.order:0{self._pad(t.parent)}d}_{tag_word(t.id.split('.')[-1], empty='topic')}"
                 for t in self.ancestors(topic_id)]
        return TOPIC_PREFIX + "::".join(parts)

    def level_tag(self, topic_id: str) -> str | None:
        """``cardgen::level::I`` from the nearest topic (or ancestor) with a level."""
        for topic in reversed(self.ancestors(topic_id)):
            if topic.level is not None:
                return f"{TAG_ROOT}::level::{topic.level.value}"
        return None

    def _pad(self, parent: str | None) -> int:
        """Digits for sibling numbers under ``parent``: at least two, more for 100+ siblings."""
        return max(2, len(str(len(self._children.get(parent, [])))))

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
    return f"{topic.where}.{name}" if topic.where.startswith("[") else \
        (f"{topic.where}, column {name}" if topic.where else name)


def _check_unique(topics: list[Topic], source: Path | None) -> None:
    first: dict[str, Topic] = {}
    for topic in topics:
        if topic.id in first:
            earlier = first[topic.id].where or "an earlier topic"
            raise InputError(f"duplicate topic id, at {earlier} and at {topic.where or 'a later topic'}",
                             file=source, field=_field(topic, "id"), value=topic.id,
                             hint="give each topic its own id")
        first[topic.id] = topic


def load_curriculum(path: Path) -> Curriculum:
    """Read and validate a curriculum: ``.yaml``/``.yml`` (nested topics) or ``.csv`` (one row each)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from cardgen.curriculum.csvio import read_csv_topics

        return Curriculum(read_csv_topics(path), source=path)
    if suffix in (".yaml", ".yml"):
        return Curriculum(_read_yaml_topics(path), source=path)
    raise InputError("unknown curriculum file type", file=path, value=path.suffix,
                     hint="use a .yaml, .yml or .csv file")


def _read_yaml_topics(path: Path) -> list[Topic]:
    data = load_yaml_file(path)
    if not isinstance(data, list):
        raise InputError("a curriculum is a list of topics", file=path, value=type(data).__name__,
                         hint="start the file with '- id: ...'")
    topics: list[Topic] = []
    _read_yaml_level(data, parent=None, path=path, where="", out=topics)
    return topics


def _read_yaml_level(items: list, *, parent: Topic | None, path: Path, where: str,
                     out: list[Topic]) -> None:
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise InputError("a topic is a mapping with id and title", file=path, field=here, value=item)
        keys = yaml_keys()
        unknown = sorted(set(map(str, item)) - keys)
        if unknown:
            raise InputError(f"unknown topic key '{unknown[0]}'", file=path, field=f"{here}.{unknown[0]}",
                             value=item[unknown[0]] if isinstance(item[unknown[0]], (str, int, float)) else None,
                             hint=nearest_hint(unknown[0], keys) or f"use {', '.join(sorted(keys))}")
        topic = make_topic(
            file=path, where=here, parent=parent, order=index + 1,
            topic_id=item.get("id"), title=item.get("title"), level=item.get("level"),
            objectives=_as_list(item.get("objectives"), path, f"{here}.objectives"),
            requires=_as_list(item.get("requires"), path, f"{here}.requires"),
            radlex=_as_list(item.get("radlex"), path, f"{here}.radlex"),
        )
        out.append(topic)
        children = item.get("children") or []
        if not isinstance(children, list):
            raise InputError("children is a list of topics", file=path, field=f"{here}.children",
                             value=children)
        _read_yaml_level(children, parent=topic, path=path, where=f"{here}.children", out=out)


def _as_list(value: object, path: Path, field_name: str) -> list[object]:
    """A YAML value that should be a list; a single string counts as a one-item list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    raise InputError("expected a list", file=path, field=field_name, value=value)


def make_topic(*, file: Path | None, where: str, parent: Topic | None, order: int, topic_id: object,
               title: object, level: object, objectives: list[object], requires: list[object],
               radlex: list[object]) -> Topic:
    """Check one topic's own values (whatever the file format) and turn them into a :class:`Topic`.

    ``where`` names the place in the file (``[0].children[2]`` or ``row 7``); a topic without a
    level takes its parent's.
    """
    def at(name: str) -> str:
        return f"{where}.{name}" if where.startswith("[") else f"{where}, column {name}"

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
