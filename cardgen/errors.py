"""The one root exception of cardgen, and the kinds of input error it reports.

Every error a user can cause is a :class:`CardgenError`; the CLI turns it into a one-line message
and a non-zero exit. Messages name the file, the field (or DICOM tag), the value and what to do.
"""

from __future__ import annotations

import reprlib
from pathlib import Path


class CardgenError(Exception):
    """Root of every error cardgen reports to a user (never a bug)."""


class InputError(CardgenError):
    """Bad input: a case, an image, a curriculum or an option.

    The message reads ``FILE: FIELD: PROBLEM (value VALUE); HINT`` with the parts that are known.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: Path | str | None = None,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = Path(file) if file is not None else None
        self.field = field
        self.value = value
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.field:
            parts.append(self.field)
        text = ": ".join(parts + [self.problem])
        if self.value is not None:
            shown = _short_repr(self.value)
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
        )


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
        lines = [f"{len(errors)} case(s) failed:"] + [f"  {e}" for e in errors]
        super().__init__("\n".join(lines))
