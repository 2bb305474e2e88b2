"""The identifying values a DICOM file carries, and a matcher that finds them in any text.

A value is identifying when it sits in an attribute of PS3.15 Table E.1-1 (see
:mod:`cardgen.deid.annex_e`) or in a private attribute, at any depth: a sequence that the profile
names counts with everything inside it. Person names are searched in the orders people write
them (Family Given, Given Family, "Family, Given", Family^Given), dates also in ISO form.

What is deliberately not searched, because a search for it would fail builds on ordinary words
and numbers (each rule is tested in tests/test_deid.py):

- text shorter than :data:`MIN_TEXT_LENGTH` characters (a sex ``M``); numbers shorter than
  :data:`MIN_NUMBER_LENGTH` characters (a weight ``70``, a time ``0930``) or with fewer than
  :data:`MIN_NONZERO_DIGITS` non-zero digits (``1.000000``, ``100000``); the placeholder words in
  :data:`PLACEHOLDERS`. So a patient ID such as ``100200`` is not searched for.
- the parts of a person name on their own (a patient called White would flag "white matter").
- coded strings (VR CS: defined terms such as GPS references, sex, smoking status), standard
  UIDs (SOP classes, transfer syntaxes) and Private Creator elements (vendor block names).
- descriptions, comments and private text that hold nothing identifying-looking: they are
  searched only when they hold a digit, a ``^``, an ``@`` or a "Family, Given" shape.

The audit's shape patterns (UIDs, DICOM dates and names) and the build's allowlist remain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cardgen.deid.annex_e import is_identifying_tag
from cardgen.errors import InputError
from cardgen.imaging.sources import looks_like_dicom

MIN_TEXT_LENGTH = 4
MIN_NUMBER_LENGTH = 6
MIN_NONZERO_DIGITS = 3
# Values that mark "no value" and so identify nobody.
PLACEHOLDERS = frozenset({"none", "unknown", "anonymous", "anonymized", "anonymised", "n/a",
                          "null", "removed", "deidentified", "de-identified", "test", "phantom"})
# Value representations that hold binary data, not text a card could show.
_BINARY_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "OB or OW", "US or OW", "US or SS or OW"})
_NUMBER = re.compile(r"^[0-9.+\-: ]+$")
# Compiled once: a CT header has ~200 values to look at, and re's cache lookup per call added up.
_DISTINCTIVE = re.compile(r"\d|\^|@|[^\W\d_],\s?[^\W\d_]")
_CARETS = re.compile(r"\^+")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{6}(\.\d+)?)?([+-]\d{4})?")
_SPACES = re.compile(r"\s+")
# Coded strings hold defined terms (MONOCHROME2, TEXT, M), never identifiers (PS3.15 E.1.1 note 9).
_CODED_VRS = frozenset({"CS"})
# Attributes holding descriptions rather than identifiers: the rows Table E.1-1 marks for the
# Clean Descriptors Option (descriptions, comments, labels, notes, protocol names, ...), matched
# by keyword. Their text, like that of private attributes and of attributes nested in a removed
# sequence, is searched only when it looks identifying (see _distinctive): "whole body" or
# "liver" in a Study Description are words the teaching text uses too.
_DESCRIPTOR_KEYWORD = re.compile(
    r"Description|Comment|Label|Notes|Narrative|History|Diagnos|Reason|Text|Protocol|Agent|"
    r"Allergies|Alerts|Occupation|Impressions|PatientState|SpecialNeeds|EntityName|PlanName|"
    r"StructureSetName|ROIName|TreatmentSite|MakerNote|PreMedication|Meaning")
# Keywords the pattern above would catch that name people, trials, devices or image text.
_IDENTIFIER_KEYWORDS = frozenset({
    "ClinicalTrialProtocolEthicsCommitteeApprovalNumber", "ClinicalTrialProtocolEthicsCommitteeName",
    "ClinicalTrialProtocolID", "ClinicalTrialProtocolName", "IdentifyingComments", "TextString",
    "TextComments", "LabelText", "DeviceLabel", "DeviceDescription", "XRayDetectorLabel"})
# Longer text values are searched as plain substrings; shorter ones only as whole words.
_SUBSTRING_LENGTH = 8
# Listed sequences that hold an object's teaching content (an SR or KOS content tree, the graphics
# and text of a presentation state): the annotation readers put their text on cards on purpose,
# so inside them only the listed attributes (person names, observer UIDs, ...) are collected.
_CONTENT_TREES = frozenset({0x0040A730, 0x00700001})  # ContentSequence, GraphicAnnotationSequence


@dataclass(frozen=True)
class IdentifyingValue:
    """One value to look for, and where it came from (for the audit's report)."""

    value: str  # normalised: lower case, single spaces
    tag: str  # "(0010,0010) PatientName"
    source: str  # the file it was read from, or "" when not known


def identifying_values(ds) -> set[str]:
    """Every identifying value of a pydicom Dataset (and its file meta), normalised."""
    return {item.value for item in identifying_items(ds)}


def identifying_items(ds, source: str = "") -> list[IdentifyingValue]:
    """Like :func:`identifying_values`, with the tag each value came from."""
    found: dict[str, IdentifyingValue] = {}
    meta = getattr(ds, "file_meta", None)
    for dataset in ([meta] if meta is not None else []) + [ds]:
        for element in _walk(dataset, inside_identifying=False):
            if element.free_text and not _distinctive(element.text):
                continue
            for form in _forms(element.text, person_name=element.vr == "PN"):
                if form not in found:  # the first element with a value names it
                    found[form] = IdentifyingValue(form, element.label, source)
    return sorted(found.values(), key=lambda item: (item.tag, item.value))


def values_from_files(paths: Iterable[Path]) -> list[IdentifyingValue]:
    """Identifying values of every DICOM file in ``paths`` (files, or folders searched deeply).

    Files that are not DICOM (case.yaml, PNG exports) are skipped; a DICOM file that cannot be
    read is an error, since its values could not be checked.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    items: list[IdentifyingValue] = []
    for path in _dicom_files(paths):
        try:
            # Large values (pixel data) are read only when asked for, which this never does.
            # A .dcm file without the DICM preamble (older exports) is read anyway: its values
            # still count, even if the build would refuse the file.
            try:
                ds = pydicom.dcmread(path, defer_size="64 KB")
            except InvalidDicomError:
                ds = pydicom.dcmread(path, defer_size="64 KB", force=True)
            ds.keys()
        except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"cannot read the DICOM file to collect its identifying values: {error}",
                             file=path, hint="repair or remove the file, then audit again") from error
        items.extend(identifying_items(ds, str(path)))
    return items


class ValueMatcher:
    """Finds any of a set of identifying values in text (case-insensitive).

    Numbers match only as whole numbers (a date never matches inside a longer ID); short text only
    as a whole word; text of eight characters or more anywhere.
    """

    def __init__(self, items: Iterable[IdentifyingValue]) -> None:
        self.by_value: dict[str, IdentifyingValue] = {}
        for item in items:
            self.by_value.setdefault(item.value, item)
        pieces = []
        for value in sorted(self.by_value, key=lambda v: (-len(v), v)):
            escaped = re.escape(value)
            if _NUMBER.match(value):
                pieces.append(rf"(?<![0-9]){escaped}(?![0-9])")
            elif len(value) < _SUBSTRING_LENGTH:
                pieces.append(rf"(?<![^\W_]){escaped}(?![^\W_])")
            else:
                pieces.append(escaped)
        self._pattern = re.compile("|".join(pieces), re.IGNORECASE) if pieces else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def find(self, text: str) -> Iterator[IdentifyingValue]:
        """Each identifying value found in ``text``, as written and HTML-unescaped."""
        if self._pattern is None or not text:
            return
        seen: set[str] = set()
        for variant in _haystack_variants(text):
            for match in self._pattern.finditer(variant):
                key = _normalise(match.group(0))
                item = self.by_value.get(key)
                if item is not None and key not in seen:
                    seen.add(key)
                    yield item

    def redact(self, text: str, replacement: str) -> str:
        """``text`` with every identifying value in it replaced (de-identifying free text)."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(replacement, text)


def _haystack_variants(text: str) -> list[str]:
    import html

    variants = [text]
    unescaped = _normalise_spaces(html.unescape(text))
    if unescaped != text:
        variants.append(unescaped)
    return variants


@dataclass(frozen=True)
class _Found:
    element: object  # the pydicom DataElement
    vr: str
    text: str
    free_text: bool  # a description, comment or private note rather than an identifier

    @property
    def label(self) -> str:
        """"(gggg,eeee) Keyword", or the private dictionary's name. Asked for only when a value is
        kept: most of a CT header's elements are private, most of their values are short numbers
        that are not searched, and looking up a private name took ~2 ms per file."""
        tag = int(self.element.tag)
        return f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {self.element.keyword or self.element.name}"


def _walk(dataset, *, inside_identifying: bool) -> Iterator[_Found]:
    """Every value to collect in ``dataset``, with what kind of attribute holds it."""
    for elem in dataset:
        tag = int(elem.tag)
        if elem.tag.is_private_creator:
            continue  # a vendor's block name ("GEMS_IDEN_01"), not a person's data
        listed = is_identifying_tag(tag)
        if elem.VR == "SQ":
            for item in elem.value or ():
                yield from _walk(item, inside_identifying=inside_identifying
                                 or (listed and tag not in _CONTENT_TREES))
            continue
        if not (listed or inside_identifying):
            continue
        private = elem.tag.is_private
        keyword = "" if private else elem.keyword or ""  # a private tag has none (no dictionary lookup)
        if elem.VR in _CODED_VRS and not keyword.endswith("ID"):  # (0020,3401) Modifying Device ID
            continue
        descriptor = bool(_DESCRIPTOR_KEYWORD.search(keyword)) and keyword not in _IDENTIFIER_KEYWORDS
        identifier = elem.VR == "PN" or (listed and not private and not descriptor)
        for text in _texts(elem):
            if elem.VR == "UI" and _is_standard_uid(text):
                continue  # a SOP class or transfer syntax: the same in every hospital
            yield _Found(elem, elem.VR, text, free_text=not identifier)


def _distinctive(text: str) -> bool:
    """Free text worth searching: it holds a number, a DICOM name, an e-mail or "Family, Given"."""
    return bool(_DISTINCTIVE.search(text))


def _is_standard_uid(text: str) -> bool:
    from pydicom.uid import UID

    uid = UID(text.strip())
    return uid.name != str(uid)


def _texts(elem) -> Iterator[str]:
    """The value of one element as text; binary values only when they are plainly text."""
    value = elem.value
    if value is None or value == "":
        return
    if elem.VR in _BINARY_VRS:
        return
    if elem.VR == "UN" or isinstance(value, (bytes, bytearray)):
        # Private attributes of unknown VR arrive as bytes; keep them when they are text.
        text = bytes(value).rstrip(b"\x00 ").decode("latin-1")
        if text and all(ch.isprintable() or ch in "\t\r\n" for ch in text):
            yield from text.split("\\")
        return
    from pydicom.multival import MultiValue

    values = value if isinstance(value, (list, tuple, MultiValue)) else [value]
    for single in values:
        if single is not None:
            yield str(single)  # PersonName, DSfloat and IS keep the text the file holds


def _forms(text: str, *, person_name: bool) -> list[str]:
    """The normalised forms a value may take in a deck (names reordered, dates in ISO form)."""
    value = _normalise(text)
    forms: list[str] = []
    if person_name:
        # A person name: Family^Given^Middle^Prefix^Suffix, maybe with = ideographic groups.
        for group in value.split("="):
            parts = [part.strip() for part in group.split("^") if part.strip()]
            if not parts:
                continue
            forms.append("^".join(parts))
            forms.append(" ".join(parts))
            if len(parts) >= 2:
                forms.append(" ".join(parts[1:] + parts[:1]))  # Given Family
                forms.append(f"{parts[0]}, {' '.join(parts[1:])}")  # Family, Given
            # The parts alone are not searched: a patient called White or Young would make
            # "white matter" or "young adult" fail every build. The shape patterns remain.
    else:
        if len(value) < MIN_TEXT_LENGTH:
            return []  # too short to search, and so is every form made from it (most values of a header)
        forms.append(value)
        if "^" in value:
            forms.append(_CARETS.sub(" ", value))
        date = _DATE.fullmatch(value)
        if date:
            forms.append(f"{date.group(1)}{date.group(2)}{date.group(3)}")
            forms.append(f"{date.group(1)}-{date.group(2)}-{date.group(3)}")
    return [form for form in dict.fromkeys(forms) if _worth_searching(form)]


def _normalise(text: str) -> str:
    return _normalise_spaces(text).strip(" ^=").lower()


def _normalise_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _worth_searching(value: str) -> bool:
    if value in PLACEHOLDERS:
        return False
    if _NUMBER.match(value):
        # "1.000000" or "100000" is a setting, not an identifier: ask for some varied digits.
        significant = sum(ch in "123456789" for ch in value)
        return len(value) >= MIN_NUMBER_LENGTH and significant >= MIN_NONZERO_DIGITS
    return len(value) >= MIN_TEXT_LENGTH


def _dicom_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and looks_like_dicom(child):
                    yield child
        elif path.is_file():
            if looks_like_dicom(path):
                yield path
        else:
            raise InputError("no such file or folder to audit against", file=path,
                             hint="give the cases folder the deck was built from")

