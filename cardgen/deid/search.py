"""The search of one piece of a package (a text, a number, a JSON document, a database cell) for
identifying values and identifier shapes, collecting what it finds as :class:`AuditHit`.

Anki's own numbers (note and card IDs, timestamps, JSON numbers in the configuration) are only
compared with numeric source values as whole numbers, so they cannot raise false alarms from the
shape patterns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from cardgen.deid.findings import AuditHit
from cardgen.deid.matcher import ValueMatcher
from cardgen.deid.patterns import identifier_shapes
from cardgen.imaging.render import MEDIA_NAME_PATTERN


@dataclass(frozen=True)
class FileFormat:
    """Words a file format writes whatever the content: its JSON keys (``keys``), and the keys whose
    values are its fixed text (``fixed_value_keys``). A patient called Graves or Bury is not found in
    Anki's ``graves`` table or its ``bury`` setting; a value the build wrote is searched wherever it
    stands."""

    keys: frozenset[str] = frozenset()
    fixed_value_keys: frozenset[str] = frozenset()
    notetypes: bool = False  # the document holds notetypes: a value that is one of the writer's own is not searched


NO_FORMAT = FileFormat()


class Search:
    """The hits found so far with one :class:`ValueMatcher`; :attr:`found` counts every hit added,
    repeats included, so a part of the package that adds none is known to be clean."""

    def __init__(self, matcher: ValueMatcher, boilerplate: Iterable[str] = ()) -> None:
        self.matcher = matcher
        # texts the deck's writer puts in every deck (its notetypes' names, fields, templates and
        # style): not searched where a notetype document (FileFormat.notetypes) holds exactly one
        self.boilerplate = frozenset(boilerplate)
        self.hits: set[AuditHit] = set()
        self.found = 0

    def add(self, where: str, value: str, reason: str) -> None:
        self.hits.add(AuditHit(where, value, reason))
        self.found += 1

    def text(self, where: str, text: str, *, shapes: bool = True) -> None:
        """Look for source values, and (``shapes``) identifier shapes, in one piece of text. The names
        of the build's media files are digests of their pixels: passed over, as their hex digits can
        hold a run that reads as a date (cardgen-...19110408... stopped a build)."""
        text = MEDIA_NAME_PATTERN.sub(" ", text)
        for item in self.matcher.find(text):
            origin = f" in {item.source}" if item.source else ""
            self.add(where, item.value, f"value of {item.tag}{origin}")
        if shapes:
            for found, reason in identifier_shapes(text):
                self.add(where, found, reason)

    def number(self, where: str, value: int | float) -> None:
        # Anki's own IDs and timestamps: only compared with numeric source values.
        for item in self.matcher.find(str(value)):
            self.add(where, item.value, f"value of {item.tag}")

    def json_value(self, where: str, value: object, form: FileFormat = NO_FORMAT) -> None:
        """Strings (keys too) of a JSON document; its numbers are Anki's own settings. ``form``: the
        keys (and the values under keys) that are the file format's own words, not searched."""
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in form.fixed_value_keys:
                    continue
                if key not in form.keys:
                    self.text(where, str(key))
                self.json_value(f"{where}.{key}", inner, form)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                self.json_value(f"{where}[{index}]", inner, form)
        elif isinstance(value, str):
            if not (form.notetypes and value in self.boilerplate):
                self.text(where, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.number(where, value)

    def cell(self, where: str, value: object, *, shapes: bool = True, form: FileFormat = NO_FORMAT) -> None:
        """One database cell: a number, text (read as JSON when it is a JSON document, whose keys in
        ``form`` are not searched) or bytes."""
        if value is None:
            return
        if isinstance(value, (int, float)):
            self.number(where, value)
            return
        if isinstance(value, bytes):
            self.text(where, value.decode("utf-8", errors="replace"), shapes=shapes)
            return
        text = str(value)
        if not shapes:
            self.text(where, text, shapes=False)
            return
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                pass
            else:
                self.json_value(where, document, form)
                return
        self.text(where, text)
