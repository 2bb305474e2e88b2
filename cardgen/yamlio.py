"""Safe YAML reading with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import yaml

from cardgen.errors import InputError


def load_yaml_file(path: Path) -> object:
    """Parse a YAML file with the safe loader (no object construction) and clear errors."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=path) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"the file is not UTF-8 text (byte {error.start})", file=path,
                         hint="save it as UTF-8") from error
    try:
        # The pure-Python safe loader, not libyaml: the two read some text differently (NEL line
        # breaks), and a case must mean the same on every machine.
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(f"invalid YAML: {error.problem or error}", file=path, field=where,
                         hint="check the indentation and quoting there") from error
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", file=path) from error
