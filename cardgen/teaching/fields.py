"""Reading the fields of a ``case.yaml``: typed values whose errors name the file, the field and the
value; files named by the case (inside its folder); the problems of one file, gathered so that one
reading reports them all.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, TypeVar

from cardgen.errors import InputError, InputErrors, did_you_mean, each_error
from cardgen.teaching.paths import FileKind, resolve_case_file
from cardgen.yamlspec import drop_consequences

T = TypeVar("T")


class Problems:
    """The problems found so far in one file; ``attempt`` runs one check and keeps its error."""

    def __init__(self, found: list[InputError] | None = None) -> None:
        self.errors: list[InputError] = list(found or [])

    def attempt(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except InputError as error:
            self.errors += each_error(error)
            return None

    def raise_any(self) -> None:
        self.errors = drop_consequences(self.errors)
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InputErrors(self.errors)


class Fields:
    """Typed access to a YAML mapping, with errors that name the field."""

    def __init__(self, data: dict[str, Any], file: Path, prefix: str = "") -> None:
        self.data = data
        self.file = file
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise InputError("missing required field", file=self.file, field=self._name(key),
                                 hint=f"add '{key}: ...' to the case")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError("expected text", file=self.file, field=self._name(key), value=value)
        text = str(value).strip()
        if required and not text:
            raise InputError("may not be empty", file=self.file, field=self._name(key),
                             hint=f"write the {key} (a new case marks it TODO)")
        return text

    def optional_text(self, key: str) -> str | None:
        return self.text(key) or None

    def list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError("expected a list", file=self.file, field=self._name(key), value=value,
                             hint=f"write '{key}:' followed by '- ...' items")
        return value

    def text_list(self, key: str) -> list[str]:
        value = self.data.get(key)
        if isinstance(value, str):
            value = [value]
        items = self.list(key) if not isinstance(value, list) else value
        out: list[str] = []
        for i, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise InputError("expected text", file=self.file, field=f"{self._name(key)}[{i}]", value=item)
            if str(item).strip():
                out.append(str(item).strip())
        return out

    def enum(self, key: str, kind: type[T]) -> T | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return kind(str(value).strip().lower())  # type: ignore[call-arg]
        except ValueError:
            values = [m.value for m in kind]  # type: ignore[attr-defined]
            near = did_you_mean(str(value), values)
            raise InputError("unknown value", file=self.file, field=self._name(key), value=value,
                             hint=(f"did you mean '{near}'? " if near else "") + f"use one of {' | '.join(values)}") from None

    def number(self, key: str, *, required: bool = True) -> float | None:
        value = self.data.get(key)
        if value is None:
            if not required:
                return None
            raise InputError("missing required field", file=self.file, field=self._name(key),
                             hint=f"add '{key}: <number>'")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError("expected a number", file=self.file, field=self._name(key), value=value)
        if not is_finite(value):
            raise InputError("expected a finite number", file=self.file, field=self._name(key), value=value)
        return float(value)


def is_finite(value: int | float) -> bool:
    """False for YAML's .nan and .inf (every comparison with NaN is false, so bounds checks would
    pass it) and for integers too large for a float."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def mapping(item: object, field: str, file: Path) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InputError("expected a mapping", file=file, field=field, value=item)
    return item


def check_unique(values: list[str], where: str, key: str, file: Path) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise InputError("duplicate id", file=file, field=f"{where}[{i}].{key}", value=value,
                             hint="give each one its own id")
        seen.add(value)


def case_path(folder: Path, name: str, file: Path, field: str, *, allow_folder: bool = False) -> Path:
    """A file (or, where allowed, a folder) named by the case, which must lie inside the case folder."""
    kind = FileKind.FILE_OR_DIRECTORY if allow_folder else FileKind.FILE
    return resolve_case_file(folder, name, case_file=file, field=field, kind=kind)
