"""Safe YAML reading with errors that name the file and line.

A case file comes from another person, so it is read within bounds before any value is used:
nesting depth, the size of the document once aliases are expanded (a 1 KB "billion laughs" file
would otherwise stand for billions of values), the length of integers, and no control characters
in any text (Anki separates a note's fields with U+001F; a stray one would split a field in two).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import yaml

from cardgen.errors import InputError

MAX_DEPTH = 64  # nested mappings and lists; real case and curriculum files use fewer than 10
MAX_NODES = 200_000  # values in the document with every alias expanded
MAX_INT_DIGITS = 15  # no count or coordinate in a case comes near 10**15
ALLOWED_CONTROLS = frozenset("\t\n\r")
# Left-to-right and right-to-left override: the characters after one are shown in reverse order, so
# "Dr \u202ebarqyZ" reads "Dr Zyqrab" on a card while the identifier checks see "barqyZ".
BIDI_OVERRIDES = frozenset("\u202d\u202e")
INT_TAG = "tag:yaml.org,2002:int"


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (tab and line breaks allowed), or bidirectional
    override, if any."""
    for ch in text:
        if (ch not in ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc") or ch in BIDI_OVERRIDES:
            return ch
    return None


def control_refusal(ch: str) -> tuple[str, str]:
    """The message and the hint that refuse ``ch`` (a :func:`control_character`)."""
    if ch in BIDI_OVERRIDES:
        return (f"direction override U+{ord(ch):04X} in the text",
                "remove it: it shows the text after it reversed, which can hide a name, an ID or a date "
                "from the identifier checks")
    return f"control character U+{ord(ch):04X} in the text", "remove it (Anki separates a note's fields with U+001F)"


def refuse_control_characters(text: str, *, file: Path | str | None = None, field: str | None = None) -> None:
    """Raise an :class:`InputError` naming the first control character of ``text``, if any."""
    ch = control_character(text)
    if ch is not None:
        message, hint = control_refusal(ch)
        raise InputError(message, file=file, field=field, value=_around(text, text.index(ch)), hint=hint)


def _around(text: str, at: int) -> str:
    return text[max(0, at - 20): at + 20]


class _BoundedLoader(yaml.SafeLoader):
    """The pure-Python safe loader with a depth limit on its (recursive) composer."""

    depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Refused(Exception):
    def __init__(self, problem: str, mark: yaml.Mark | None, hint: str = "simplify the file") -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark
        self.hint = hint


def _check_nodes(root: yaml.Node) -> None:
    """Count the document's values with aliases expanded (each distinct node once, memoised),
    refuse cycles, long integers and control characters in text."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_NODES:
                raise _Refused(f"more than {MAX_NODES:,} values once its aliases (*name) are expanded",
                               node.start_mark)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _Refused("an alias refers to a value that contains it", node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node)
            sizes[key] = 1
            continue
        if isinstance(node, yaml.MappingNode):
            _refuse_duplicate_keys(node)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


MERGE_TAG = "tag:yaml.org,2002:merge"


def _refuse_duplicate_keys(node: yaml.MappingNode) -> None:
    """A key written twice in one mapping: YAML keeps the last and silently drops the first (a second
    ``findings:`` would drop every finding above it). Merged keys (``<<: *defaults``) may be overridden."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE_TAG:
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            raise _Refused(f"the key {key.value!r} is written twice in one place (first on line "
                           f"{first.start_mark.line + 1})", key.start_mark,
                           "keep one of them: YAML would silently use only the last")


def _check_scalar(node: yaml.ScalarNode) -> None:
    value = node.value
    ch = control_character(value)
    if ch is not None:
        message, hint = control_refusal(ch)
        raise _Refused(message, node.start_mark, hint)
    if node.tag == INT_TAG and sum(c.isdigit() for c in value) > MAX_INT_DIGITS:
        raise _Refused(f"a number with more than {MAX_INT_DIGITS} digits", node.start_mark,
                       "no value in a case is this large; check the number")


def load_yaml_file(path: Path) -> object:
    """Parse a YAML file with the safe loader (no object construction), within the bounds above,
    and with clear errors."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=path) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"the file is not UTF-8 text (byte {error.start})", file=path,
                         hint="save it as UTF-8") from error
    # The pure-Python safe loader, not libyaml: the two read some text differently (NEL line
    # breaks), and a case must mean the same on every machine.
    try:
        # the reader refuses characters YAML does not allow (a raw control character) as it starts
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as error:
        raise _reader_refusal(path, text, error) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node)
        return loader.construct_document(node)
    except _Refused as error:
        raise InputError(error.problem, file=path, field=_where(error.mark), hint=error.hint) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise InputError(f"invalid YAML: {error.problem or error}", file=path, field=_where(mark),
                         hint="check the indentation and quoting there") from error
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", file=path) from error
    except (ValueError, OverflowError) as error:  # a value the constructor cannot make (a bad date)
        raise InputError(f"invalid value: {error}", file=path) from None
    finally:
        loader.dispose()


def _reader_refusal(path: Path, text: str, error: yaml.reader.ReaderError) -> InputError:
    """A character YAML does not allow in a file, named with its line and column."""
    before = text[:error.position]
    line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
    character = chr(error.character) if isinstance(error.character, int) else str(error.character)
    return InputError(f"character U+{ord(character[:1] or ' '):04X} is not allowed in a YAML file", file=path,
                      field=f"line {line}, column {column}", value=_around(text, error.position),
                      hint="remove it (Anki separates a note's fields with U+001F; YAML allows no "
                           "control characters but tab and line breaks)")


def _where(mark: yaml.Mark | None) -> str | None:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
