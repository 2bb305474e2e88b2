"""The one root exception of cardgen, and the kinds of input error it reports.

Every error a user can cause is a :class:`CardgenError`; the CLI turns it into a one-line message
and a non-zero exit. Messages name the file, the field (or DICOM tag), the value and what to do.
"""

from __future__ import annotations

import difflib
import reprlib
from pathlib import Path
from typing import Iterable


class CardgenError(Exception):
    """Root of every error cardgen reports to a user (never a bug)."""


class InputError(CardgenError):
    """Bad input: a case, an image, a curriculum or an option.

    The message reads ``FILE:LINE:COLUMN: FIELD: PROBLEM (value VALUE); HINT`` with the parts that
    are known (the line and column, counted from 1, of the field in a YAML file: see cardgen.yamlmarks).
    """

    def __init__(
        self,
        problem: str,
        *,
        file: Path | str | None = None,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        self.file = Path(file) if file is not None else None
        self.field = field
        self.value = value
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
            parts.append(where)
        if self.field:
            parts.append(self.field)
        text = ": ".join(parts + [self.problem])
        if self.value is not None:
            shown = as_written(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            text += f" (value {shown})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def located(self, *, file: Path | str | None = None, field_prefix: str | None = None) -> "InputError":
        """Return a copy that also names the file, or a field path this error sits under."""
        field = self.field
        if field_prefix:
            field = f"{field_prefix}.{field}" if field else field_prefix
        return InputError(
            self.problem,
            file=self.file if self.file is not None else file,
            field=field,
            value=self.value,
            hint=self.hint,
            line=self.line,
            column=self.column,
        )

    def at(self, line: int, column: int | None = None) -> "InputError":
        """Return a copy that also names the line and column (from 1) of the field in its file."""
        return InputError(self.problem, file=self.file, field=self.field, value=self.value, hint=self.hint,
                          line=line, column=column)


class InputErrors(InputError):
    """Several problems of one input (every problem of a case file, found in one reading).

    It is an :class:`InputError` (code that stops at the first problem still can); ``errors`` holds
    each one, and the message lists them a line each.
    """

    def __init__(self, errors: list[InputError]) -> None:
        if not errors:
            raise ValueError("InputErrors needs at least one error")
        first = errors[0]
        super().__init__(first.problem, file=first.file, field=first.field, value=first.value,
                         hint=first.hint, line=first.line, column=first.column)
        self.errors = list(errors)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        return self.args[0]

    def located(self, *, file: Path | str | None = None, field_prefix: str | None = None) -> "InputErrors":
        return InputErrors([e.located(file=file, field_prefix=field_prefix) for e in self.errors])


def each_error(error: InputError) -> list[InputError]:
    """The single problems an error stands for (one, or each of an :class:`InputErrors`)."""
    return list(error.errors) if isinstance(error, InputErrors) else [error]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The known word nearest to a misspelt ``word`` (``histroy`` -> ``history``), if one is close."""
    near = difflib.get_close_matches(str(word).strip().lower(), sorted(set(choices)), n=1, cutoff=0.6)
    return near[0] if near else None


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 3, 8, 8, 8, 8
_REPR.maxlong = _REPR.maxother = 80
_REPR.maxstring = 60


def _short_repr(value: object) -> str:
    """A value's repr cut to its first 100 or so characters, made without ever building the whole
    repr (a YAML alias bomb is a small object graph whose full repr is gigabytes)."""
    if isinstance(value, str):
        return repr(value[:100])
    return _REPR.repr(value)


class BuildFailed(CardgenError):
    """Some cases could not be built; carries each case's error."""

    def __init__(self, errors: list[CardgenError]) -> None:
        self.errors = errors
        problems = [single for error in errors for single in each_error(error) if isinstance(error, InputError)] + \
            [error for error in errors if not isinstance(error, InputError)]
        lines = [f"{len(errors)} case(s) failed, {len(problems)} problem(s):"] + [f"  {e}" for e in problems]
        super().__init__("\n".join(lines))


def as_written(value: object, depth: int = 0) -> str:
    """A value the way a YAML file writes it, short: ``{kind: rect, x: 120, width: 0}``, ``'lungs'``.

    Mappings and lists in flow style with at most 8 items a level and 3 levels (a value may be an
    alias bomb's small graph: nothing larger than the shown text is ever built)."""
    if isinstance(value, dict):
        if depth >= 3:
            return "{...}"
        items = [f"{as_written(k, depth + 1)}: {as_written(v, depth + 1)}" for k, v in list(value.items())[:8]]
        return "{" + ", ".join(items + (["..."] if len(value) > 8 else [])) + "}"
    if isinstance(value, (list, tuple)):
        if depth >= 3:
            return "[...]"
        items = [as_written(v, depth + 1) for v in list(value[:8])]
        return "[" + ", ".join(items + (["..."] if len(value) > 8 else [])) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        text = value[:100]
        return repr(text) if depth == 0 or not text or any(c in text for c in ",:{}[]#'\"") else text
    if value is None:
        return "null"
    return repr(value)[:100]
