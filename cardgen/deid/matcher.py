"""A value to look for (:class:`IdentifyingValue`), and :class:`ValueMatcher`, which finds such
values in any text, compared word by word after folding (:mod:`cardgen.deid.text`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cardgen.deid.text import number_words, spanned_words, words


@dataclass(frozen=True)
class IdentifyingValue:
    """One written form of a value to look for, and where it came from (for the audit's report)."""

    value: str  # the form's words (see cardgen.deid.text.words), joined by single spaces
    tag: str  # "(0010,0010) PatientName"
    source: str  # the file it was read from, or "" when not known

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.value.split(" "))



class ValueMatcher:
    """Finds any of a set of identifying values in text, compared word by word after folding
    (:mod:`cardgen.deid.text`): a value matches where its words stand in a row, and a number
    also where its digits stand with separators between them.

    ``allowed`` lists words or phrases a person has declared not identifying in their context
    ("white" when the patient is called White and the text says "white matter"): a form made of
    exactly those words is not searched.
    """

    def __init__(self, items: Iterable[IdentifyingValue], allowed: Iterable[str] = ()) -> None:
        unwanted = {tuple(words(phrase)) for phrase in allowed}
        self.by_value: dict[str, IdentifyingValue] = {}
        self._by_first: dict[str, list[tuple[tuple[str, ...], IdentifyingValue]]] = {}
        for item in items:
            form = item.words
            if item.value in self.by_value or form in unwanted or not item.value:
                continue
            self.by_value[item.value] = item
            self._by_first.setdefault(form[0], []).append((form, item))
        self._firsts = frozenset(self._by_first)
        self.fingerprint = hashlib.sha256("\0".join(sorted(self.by_value)).encode(
            "utf-8", "surrogatepass")).hexdigest()
        # Text of digits alone holds a value only when it is that value.
        self._whole_numbers = frozenset(v for v in self.by_value if v.isdigit())

    def __bool__(self) -> bool:
        return bool(self.by_value)

    def may_hold(self, number: int) -> bool:
        """False when a whole non-negative number can hold no value: most cells of a collection
        are ids and times."""
        return number < 0 or str(number) in self._whole_numbers

    def find(self, text: str) -> Iterator[IdentifyingValue]:
        """Each identifying value found in ``text`` (once each)."""
        if not self.by_value or not text:
            return
        if text.isascii() and text.isdigit():  # an id or a time: most cells of a collection
            if text in self._whole_numbers:
                yield self.by_value[text]
            return
        seen: set[str] = set()
        for found in (words(text), number_words(text)):
            if not found or self._firsts.isdisjoint(found):
                continue
            for index, word in enumerate(found):
                for form, item in self._by_first.get(word, ()):
                    if item.value not in seen and (len(form) == 1 or tuple(found[index:index + len(form)]) == form):
                        seen.add(item.value)
                        yield item

    def redact(self, text: str, replacement: str) -> str:
        """``text`` with every identifying value in it replaced (de-identifying free text): each
        place a value matches, from its first word to its last, becomes one ``replacement``."""
        if not self.by_value or not text:
            return text
        places: list[tuple[int, int]] = []
        for found in (spanned_words(text), spanned_words(text, join_numbers=True)):
            plain = [word for word, _, _ in found]
            if self._firsts.isdisjoint(plain):
                continue
            for index, word in enumerate(plain):
                for form, _item in self._by_first.get(word, ()):
                    if tuple(plain[index:index + len(form)]) == form:
                        places.append((found[index][1], found[index + len(form) - 1][2]))
        if not places:
            return text
        merged: list[list[int]] = []
        for start, end in sorted(places):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in reversed(merged):
            text = text[:start] + replacement + text[end:]
        return text
