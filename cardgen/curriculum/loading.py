"""Loading a curriculum file: ``.yaml``/``.yml`` (nested ``children``) or ``.csv`` (one row per
topic, read by :mod:`.csvio`). Both give the same topics and the same :class:`Curriculum`.

The YAML reader refuses keys that :mod:`.spec` does not describe; errors name the file and the
place of the value (``[2].children[0].level``).
"""

from __future__ import annotations

from pathlib import Path

from cardgen.curriculum.csvio import read_csv_topics
from cardgen.curriculum.model import Curriculum
from cardgen.curriculum.spec import TOPIC
from cardgen.curriculum.topic import Topic, make_topic, nearest_hint
from cardgen.errors import InputError
from cardgen.yamlio import load_yaml_file

# The keys a topic may have in YAML: those of cardgen.curriculum.spec, the one description.
YAML_KEYS = frozenset(TOPIC.key_names())


def load_curriculum(path: Path) -> Curriculum:
    """Read and validate a curriculum: ``.yaml``/``.yml`` (nested topics) or ``.csv`` (one row each)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
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
        unknown = sorted(set(map(str, item)) - YAML_KEYS)
        if unknown:
            raise InputError(f"unknown topic key '{unknown[0]}'", file=path, field=f"{here}.{unknown[0]}",
                             value=item[unknown[0]] if isinstance(item[unknown[0]], (str, int, float)) else None,
                             hint=nearest_hint(unknown[0], YAML_KEYS) or f"use {', '.join(sorted(YAML_KEYS))}")
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
