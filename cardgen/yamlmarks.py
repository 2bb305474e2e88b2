"""Where each value of a YAML file is written: line and column by field path.

Errors name a field by its path (``findings[0].shapes[1].x``, or ``[2].children[0].id`` in a
curriculum); :func:`locate` adds the line and column of that field, read from the nodes PyYAML's
composer marks, so that an editor (or a terminal that links ``file:line:column``) opens it there.
The file is composed again only for an error, so loading stays as fast as before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from cardgen.errors import InputError, InputErrors, each_error

Position = tuple[int, int]  # line, column, from 1
_SYNTAX_POSITION = re.compile(r"line (\d+), column (\d+)")
_PART = re.compile(r"\[\d+\]|[^.\[]+")


def field_positions(text: str) -> dict[str, Position]:
    """The position of every key (and list item) of a YAML document, by field path.

    For ``key: value`` the key's position; for a list item the item's. Each node is visited once
    (a node reached again through an alias keeps its first path), so an alias bomb costs no more
    than its text.
    """
    positions: dict[str, Position] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return positions
    seen: set[int] = set()
    if root is not None:  # where a key missing at the top level belongs
        positions[""] = (root.start_mark.line + 1, root.start_mark.column + 1)
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                where = f"{path}.{name}" if path else name
                positions.setdefault(where, (key.start_mark.line + 1, key.start_mark.column + 1))
                stack.append((value, where))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                where = f"{path}[{index}]"
                positions.setdefault(where, (item.start_mark.line + 1, item.start_mark.column + 1))
                stack.append((item, where))
    return positions


@lru_cache(maxsize=64)
def _positions_of(path: Path, size: int, mtime_ns: int) -> dict[str, Position]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    return field_positions(text)


def position(file: Path, field: str) -> Position | None:
    """The position of ``field`` in ``file``, or of the nearest enclosing field that is written
    (a missing required key is reported where its mapping starts)."""
    try:
        stat = file.stat()
    except OSError:
        return None
    positions = _positions_of(file, stat.st_size, stat.st_mtime_ns)
    parts = _PART.findall(field.split(" ")[0])
    while parts:
        path = "".join(p if p.startswith("[") or i == 0 else "." + p for i, p in enumerate(parts))
        if path in positions:
            return positions[path]
        parts.pop()
    return positions.get("")


def locate(error: InputError) -> InputError:
    """``error`` with the line and column of its field, when it names a field of a YAML file
    (each problem of an :class:`InputErrors`, which come back ordered by file and line)."""
    if isinstance(error, InputErrors):
        located = [locate(e) for e in error.errors]
        located.sort(key=lambda e: (str(e.file), e.line or 0, e.column or 0))
        return InputErrors(located)
    if error.line is not None or error.file is None or not error.field:
        return error
    written = _SYNTAX_POSITION.fullmatch(error.field)
    if written:  # a YAML syntax error names its own position
        return InputError(error.problem, file=error.file, value=error.value, hint=error.hint,
                          line=int(written.group(1)), column=int(written.group(2)))
    if error.file.suffix.lower() not in (".yaml", ".yml"):
        return error
    found = position(error.file, error.field)
    return error.at(*found) if found is not None else error


def locate_all(errors: list[InputError]) -> list[InputError]:
    """Every single problem of ``errors``, located."""
    return [located for error in errors for located in each_error(locate(error))]
