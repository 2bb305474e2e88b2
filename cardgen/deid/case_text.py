"""Refuse a case whose own text holds an identifying value of its DICOM files.

The deck audit (:mod:`cardgen.deid.audit`) finds a value in a row of the finished package; this
check finds it where the author typed it, before anything is rendered: a shape's ``label:`` is
drawn into the answer image's pixels, where no audit of text could see it. Each value found is
one line naming the case file, the field (or the annotation object and item) and the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from cardgen.deid.matcher import IdentifyingValue, ValueMatcher
from cardgen.deid.text import words
from cardgen.errors import InputError, InputErrors

ALLOW_HINT = ("remove or reword it; if the word is not identifying here (\"white matter\" when the "
              "patient is called White), list it under 'not_identifying:' in case.yaml")
AUDIT_HINT = ("The deck was not written. Take each value out of where it was found (a case's text, the deck "
              "name, the curriculum); a word that identifies no one there (\"white\" in \"white matter\" when "
              "a patient is called White) goes under 'not_identifying:' in the case.yaml of each case whose "
              "DICOM file holds it (docs/de-identification.md).")


def identifier_error(file: Path, found: list[tuple[str, IdentifyingValue]]) -> InputError:
    """One line per (field, value) found (an :class:`InputErrors` for several); what to do is
    said once, after the last."""
    errors = [InputError(_describe(item), file=file, field=where,
                         hint=ALLOW_HINT if index == len(found) - 1 else None)
              for index, (where, item) in enumerate(found)]
    return errors[0] if len(errors) == 1 else InputErrors(errors)


def _describe(item: IdentifyingValue) -> str:
    source = f" of {Path(item.source).name}" if item.source else ""
    return f"holds {item.value!r}, the value of {item.tag}{source}: an identifier may not reach a deck"


def refuse_identifying_text(texts: Iterable[tuple[str, str]], values: Iterable[IdentifyingValue],
                            *, allowed: Iterable[str] = (), file: Path) -> None:
    """Raise an :class:`InputError` (see :func:`identifier_error`) when any text (as (field,
    text)) holds one of ``values`` that is not in ``allowed``."""
    matcher = ValueMatcher(values, allowed)
    if not matcher:
        return
    found: list[tuple[str, IdentifyingValue]] = []
    seen: set[str] = set()
    for where, text in texts:
        # The longest form found stands for the shorter ones inside it ("john doe", not also "doe").
        here = sorted(matcher.find(text), key=lambda item: -len(item.value))
        kept: list[IdentifyingValue] = []
        for item in here:
            if any(f" {item.value} " in f" {longer.value} " for longer in kept):
                continue
            kept.append(item)
            if item.value not in seen:  # one line per value, where it is first typed
                seen.add(item.value)
                found.append((where, item))
    if found:
        raise identifier_error(file, found)


def values_the_deck_must_not_hold(cases: Iterable[tuple[Sequence[str], Iterable[IdentifyingValue]]]
                                  ) -> list[IdentifyingValue]:
    """The identifying values the deck's audit searches for, given each case's (``not_identifying``
    words, identifying values of its own files): every case's values but the forms made exactly of
    the words that case lists.

    A case's word speaks for its own patient: "white" in "white matter" names no one when that
    case's patient is called White. Another case's patient called White is still searched for in the
    whole deck (its name, the curriculum, any case's text), and named as the file it comes from,
    until that case lists the word as well."""
    kept: list[IdentifyingValue] = []
    for allowed, values in cases:
        unwanted = {tuple(words(word)) for word in allowed}
        kept += [item for item in values if item.words not in unwanted]
    return kept
