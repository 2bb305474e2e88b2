"""A curriculum kept as a spreadsheet: one CSV row per topic, with a ``parent`` column.

Columns (header row required, any order, names case-insensitive): ``id``, ``title``, ``parent``,
``level``, ``objectives``, ``requires``, ``radlex``; only ``id`` and ``title`` must be present.
``objectives`` holds several objectives separated by ``|`` or, when there is no ``|`` in the cell,
by ``;``. ``requires`` and ``radlex`` hold ids separated by ``;``, ``|``, ``,`` or spaces. An empty
``parent`` makes a top-level section; an empty ``level`` takes the parent's.

Siblings keep the order of their rows; a parent's row may come anywhere in the file.
Errors name the row as a spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from cardgen.curriculum.topic import Topic, make_topic, nearest_hint
from cardgen.curriculum.tree import TopicTree
from cardgen.errors import InputError
from cardgen.yamlio import MAX_DEPTH, refuse_control_characters

COLUMNS = ("id", "title", "parent", "level", "objectives", "requires", "radlex")
REQUIRED_COLUMNS = ("id", "title")
ID_SEPARATORS = re.compile(r"[;|,\s]+")


def split_objectives(cell: str) -> list[str]:
    """Objectives from one cell: ``|`` separates them if present, otherwise ``;``."""
    separator = "|" if "|" in cell else ";"
    return [part.strip() for part in cell.split(separator) if part.strip()]


def split_ids(cell: str) -> list[str]:
    """Topic or RadLex ids from one cell."""
    return [part for part in ID_SEPARATORS.split(cell.strip()) if part]


def read_csv_topics(path: Path) -> list[Topic]:
    """Read the rows of a curriculum CSV as topics in tree order (parents before children)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # spreadsheets like to write a BOM
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=path) from error
    except UnicodeDecodeError as error:
        raise InputError(f"the file is not UTF-8 text (byte {error.start})", file=path,
                         hint="export the spreadsheet as 'CSV UTF-8'") from error
    reader = _checked_rows(csv.reader(io.StringIO(text, newline="")), path)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the CSV file is empty", file=path,
                         hint=f"start with the header row {','.join(COLUMNS)}") from None
    names = [name.strip().lower() for name in header]
    for index, name in enumerate(names):
        if name and name not in COLUMNS:
            raise InputError("unknown column", file=path, field="row 1", value=name,
                             hint=nearest_hint(name, COLUMNS) or f"use {', '.join(COLUMNS)}")
        if name and name in names[:index]:  # the later column would silently win
            raise InputError(f"duplicate column, at columns {names.index(name) + 1} and {index + 1}", file=path,
                             field="row 1", value=name, hint="keep one of them")
    for name in REQUIRED_COLUMNS:
        if name not in names:
            raise InputError(f"the header has no {name!r} column", file=path, field="row 1",
                             hint=f"the header row reads {','.join(COLUMNS)}")

    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank spreadsheet lines
        if len(cells) > len(names):
            raise InputError(f"the row has {len(cells)} cells but the header {len(names)}", file=path,
                             field=f"row {number}", hint="quote cells that contain commas")
        rows.append((number, {name: cells[i].strip() if i < len(cells) else ""
                              for i, name in enumerate(names) if name}))

    # Where each id is first written, so a duplicate can name both rows.
    first_row: dict[str, int] = {}
    for number, row in rows:
        topic_id = row["id"]
        if not topic_id:
            raise InputError("a topic needs an id", file=path, field=f"row {number}, column id",
                             hint="for example chest.pleura")
        if topic_id in first_row:
            raise InputError(f"duplicate topic id, at row {first_row[topic_id]} and at row {number}",
                             file=path, field=f"row {number}, column id", value=topic_id,
                             hint="give each topic its own id")
        first_row[topic_id] = number

    children: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        parent = row.get("parent", "")
        if parent and parent not in first_row:
            raise InputError(f"topic {row['id']!r} names an unknown parent", file=path,
                             field=f"row {number}, column parent", value=parent,
                             hint=nearest_hint(parent, first_row) or "add a row for the parent or leave it empty")
        children.setdefault(parent, []).append((number, row))

    topics: list[Topic] = []
    visiting: set[str] = set()

    def add_level(parent: Topic | None, depth: int = 1) -> None:
        for order, (number, row) in enumerate(children.get(parent.id if parent else "", []), start=1):
            if depth > MAX_DEPTH:
                raise InputError(f"topics nested more than {MAX_DEPTH} levels deep", file=path,
                                 field=f"row {number}, column parent", value=row.get("parent"),
                                 hint="a curriculum has a few levels: section, topic, sub-topic")
            topic = make_topic(
                file=path, where=f"row {number}", parent=parent, order=order,
                topic_id=row["id"], title=row["title"], level=row.get("level"),
                objectives=split_objectives(row.get("objectives", "")),
                requires=split_ids(row.get("requires", "")),
                radlex=split_ids(row.get("radlex", "")),
            )
            visiting.add(topic.id)
            topics.append(topic)
            add_level(topic, depth + 1)

    add_level(None)
    if len(topics) < len(rows):
        stranded = [(n, r) for n, r in rows if r["id"] not in visiting]
        number, row = stranded[0]
        raise InputError(f"topic {row['id']!r} never reaches a top-level section: its parents loop",
                         file=path, field=f"row {number}, column parent", value=row.get("parent"),
                         hint="one topic in the loop needs an empty parent or another parent")
    return topics


def _checked_rows(reader, path: Path):
    """The CSV reader's rows; its errors (a NUL byte, a cell over the field size limit) and
    control characters in a cell become an :class:`InputError` naming the line."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(f"cannot read the CSV file: {error}", file=path, field=f"line {reader.line_num}",
                             hint="export the spreadsheet again as 'CSV UTF-8'") from None
        for cell in cells:
            refuse_control_characters(cell, file=path, field=f"line {reader.line_num}")
        yield cells


def curriculum_to_csv(curriculum: TopicTree) -> str:
    """The curriculum as CSV text, rows in tree order; reading it back gives the same topics."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for topic in curriculum.in_file_order():
        parent = curriculum.topics[topic.parent] if topic.parent else None
        # Write a level only where it differs from what the row would inherit.
        inherited = parent.level if parent else None
        level = topic.level.value if topic.level is not None and topic.level != inherited else ""
        writer.writerow([topic.id, topic.title, topic.parent or "", level,
                         _objectives_cell(topic.objectives), "; ".join(topic.requires),
                         "; ".join(topic.radlex)])
    return out.getvalue()


def _objectives_cell(objectives: tuple[str, ...]) -> str:
    """Objectives joined so :func:`split_objectives` gives them back: ``|`` once any holds a ``;``
    (with a trailing ``|`` for a single objective, so the cell still contains one)."""
    if not any(";" in text for text in objectives):
        return "; ".join(objectives)
    return " | ".join(objectives) + (" |" if len(objectives) == 1 else "")
