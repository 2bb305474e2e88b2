"""The identifying values a DICOM file carries, and a matcher that finds them in any text.

A value is identifying when it sits in an attribute of PS3.15 Table E.1-1 (see
:mod:`cardgen.deid.annex_e`), in a private attribute (Private Creators included), in the file
meta information's application entity titles, or in an overlay's description or label, at any
depth: a sequence that the profile names counts with everything inside it.

Values and text are compared as words (:mod:`cardgen.deid.text`): case, accents, punctuation,
markup, full-width forms and invisible characters do not hide a value. Each value is searched in
the forms people write it:

- person names (VR PN) by component: the family name alone, the given or middle name alone (each of
  at least :data:`MIN_NAME_PART` letters, or two ideographs), in either order, with initials
  ("J. Doe"), without middle name, prefix or suffix, and each of the alphabetic, ideographic and
  phonetic groups (``YAMADA^TARO=山田^太郎=やまだ^たろう``) on its own;
- dates in every common written form: 19790314, 1979-03-14, 14/03/1979, 14.03.1979, 03/14/1979,
  14/3/1979, 14/03/79, 14 March 1979, March 14th, 1979, 14 Mar 1979, ...;
- numbers and IDs with or without separators (``447-1902`` is ``4471902``);
- free text (descriptions, comments, private text, overlay text) is searched inside: the IDs
  (six digits or more), dates, DICOM-style names (``Doe^John``), "Family, Given" and runs of
  capitalised words ("Patient Sally Smith MRN 33445566" gives ``sally smith`` and ``33445566``) it
  holds; the whole value too when it is short and holds a digit, ``^``, ``@`` or a comma.

What is deliberately not searched, because a search for it would fail builds on ordinary words
and numbers (each rule is tested in tests/test_deid.py):

- values shorter than :data:`MIN_TEXT_LENGTH` characters (a sex ``M``); numbers shorter than
  :data:`MIN_NUMBER_LENGTH` digits (a weight ``70``, a time ``0930``) or with fewer than
  :data:`MIN_NONZERO_DIGITS` non-zero digits (``1.000000``, ``100000``); the generic words of
  :data:`GENERIC_WORDS` as name components (``Lastname^Firstname``, ``Patient^Test``).
- coded strings (VR CS: defined terms such as GPS references, sex, smoking status) and standard
  UIDs (SOP classes, transfer syntaxes).
- the teaching text of annotation objects (presentation states, SR documents, segmentations, RT
  structure sets): their labels ("Nodule 12 mm") are what the case shows; their person names,
  IDs, dates and UIDs are searched like any other file's.
- descriptions and single words of private text without anything identifying-looking ("whole
  body", "Axial", "WB BONE"): words the teaching text uses too.

The audit's shape patterns (UIDs, DICOM dates and names) and each case's allowlist remain.
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cardgen.deid.annex_e import is_identifying_tag
from cardgen.deid.text import is_unspaced, number_words, spanned_words, words
from cardgen.errors import InputError
from cardgen.imaging.sources import looks_like_dicom

MIN_TEXT_LENGTH = 4
MIN_NUMBER_LENGTH = 6
MIN_NONZERO_DIGITS = 3
MIN_NAME_PART = 3  # letters of a name component searched on its own ("Doe" yes, "Li" only with "Wei")
# Text of a value searched inside (the rest of a 27 KB private XML value holds no more names).
MAX_SEARCHED_INSIDE = 64 * 1024
# Longer values are searched inside only, never as one whole value.
MAX_WHOLE_VALUE = 64
# Values that mark "no value" and so identify nobody.
PLACEHOLDERS = frozenset({"none", "unknown", "anonymous", "anonymized", "anonymised", "n/a",
                          "null", "removed", "deidentified", "de-identified", "test", "phantom"})
# Words that name no one when they stand in a name field ("Lastname^Firstname", "Observer^Verifying",
# "Patient, The"), name particles and honorifics: never searched alone.
GENERIC_WORDS = PLACEHOLDERS | frozenset({
    "patient", "name", "names", "first", "last", "firstname", "lastname", "given", "family", "middle",
    "surname", "enter", "text", "operator", "observer", "verifying", "verifier", "user", "meduser",
    "doctor", "physician", "radiologist", "technologist", "nurse", "anon", "nobody", "unnamed",
    "the", "and", "for", "with", "van", "von", "der", "den", "del", "della", "dos", "das", "bin",
    "ibn", "mrs", "miss", "prof", "sir", "dame", "jnr", "snr", "esq", "phd", "sample", "samples",
    "compressedsamples", "mr", "ms", "dr", "jr", "sr"})
# Words before a name in free text ("Patient Sally Smith", "seen by Dr Zyqrab"), dropped from a run.
_NAME_CUES = frozenset({"patient", "pt", "name", "mr", "mrs", "ms", "miss", "dr", "prof", "seen",
                        "by", "referred", "dear", "for", "from", "to", "of", "the", "mrn", "id"})
# Value representations that hold binary data, not text a card could show.
_BINARY_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "OB or OW", "US or OW", "US or SS or OW"})
_LONG_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC", "UN"})  # text values searched inside
_NUMBER = re.compile(r"[0-9.+\-: \\]+")
_NOT_DIGIT = re.compile(r"\D+")
_LONG_NUMBER = re.compile(r"\d(?:[ \-./]{0,3}\d){5}")
_DISTINCTIVE = re.compile(r"\d|\^|@|[^\W\d_],\s?[^\W\d_]")
_DATE = re.compile(r"((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)")
_DICOM_NAME = re.compile(r"[^\W\d_][^\W\d_' -]{0,63}(?:\^[^\W\d_' -]{0,64}){1,4}")
_FAMILY_COMMA_GIVEN = re.compile(r"([^\W\d_][^\W\d_'-]{1,63}), ?([^\W\d_][^\W\d_'-]{1,63})")
# Runs of capitalised words ("Sally Smith"), at most eight words (bounded, linear).
_CAPITALISED_RUN = re.compile(r"(?<![\w])[A-Z\u00c0-\u00de][a-z\u00df-\u00ff'-]{1,40}"
                              r"(?:[ \t]{1,3}[A-Z\u00c0-\u00de][a-z\u00df-\u00ff'-]{1,40}){1,7}(?![\w])")
# Coded strings hold defined terms (MONOCHROME2, TEXT, M), never identifiers (PS3.15 E.1.1 note 9).
_CODED_VRS = frozenset({"CS"})
# Attributes beyond Table E.1-1 that may name a person, a place or a machine: the application
# entity titles of the file meta information (the sending workstation is often named after its
# user or room), and an overlay's description and label (60xx,0022), (60xx,1500).
_FILE_META_TITLES = frozenset({0x00020016, 0x00020017, 0x00020018})
_OVERLAY_TEXT_ELEMENTS = frozenset({0x0022, 0x1500, 0x4000})  # (and Overlay Comments, in the table)
# Attributes holding descriptions rather than identifiers: the rows Table E.1-1 marks for the
# Clean Descriptors Option (descriptions, comments, labels, notes, protocol names, ...), matched
# by keyword. Their text, like that of private attributes and of attributes nested in a removed
# sequence, is searched inside (see _inner_forms), and whole only when it looks identifying:
# "whole body" or "liver" in a Study Description are words the teaching text uses too.
_DESCRIPTOR_KEYWORD = re.compile(
    r"Description|Comment|Label|Notes|Narrative|History|Diagnos|Reason|Text|Protocol|Agent|"
    r"Allergies|Alerts|Occupation|Impressions|PatientState|SpecialNeeds|EntityName|PlanName|"
    r"StructureSetName|ROIName|TreatmentSite|MakerNote|PreMedication|Meaning")
# Keywords the pattern above would catch that name people, trials, devices or image text.
_IDENTIFIER_KEYWORDS = frozenset({
    "ClinicalTrialProtocolEthicsCommitteeApprovalNumber", "ClinicalTrialProtocolEthicsCommitteeName",
    "ClinicalTrialProtocolID", "ClinicalTrialProtocolName", "IdentifyingComments", "TextString",
    "TextComments", "LabelText", "DeviceLabel", "DeviceDescription", "XRayDetectorLabel"})
# Listed sequences that hold an object's teaching content (an SR or KOS content tree, the graphics
# and text of a presentation state): the annotation readers put their text on cards on purpose,
# so inside them only the listed attributes (person names, observer UIDs, ...) are collected.
_CONTENT_TREES = frozenset({0x0040A730, 0x00700001})  # ContentSequence, GraphicAnnotationSequence
# Annotation objects (PS3.4 storage SOP classes, by prefix): presentation states, structured
# reports, key object selections, segmentations, RT structure sets. Their free text is the
# annotations' teaching text.
_ANNOTATION_SOP_CLASS_PREFIXES = ("1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.88.",
                                  "1.2.840.10008.5.1.4.1.1.66.", "1.2.840.10008.5.1.4.1.1.481.3")
_ANNOTATION_MODALITIES = frozenset({"PR", "SR", "KO", "SEG", "RTSTRUCT"})
_MONTHS = [(calendar.month_name[m].lower(), calendar.month_abbr[m].lower()) for m in range(1, 13)]


@dataclass(frozen=True)
class IdentifyingValue:
    """One written form of a value to look for, and where it came from (for the audit's report)."""

    value: str  # the form's words (see cardgen.deid.text.words), joined by single spaces
    tag: str  # "(0010,0010) PatientName"
    source: str  # the file it was read from, or "" when not known

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.value.split(" "))


def identifying_values(ds) -> set[str]:
    """Every written form of every identifying value of a pydicom Dataset (and its file meta)."""
    return {item.value for item in identifying_items(ds)}


def identifying_items(ds, source: str = "") -> list[IdentifyingValue]:
    """Like :func:`identifying_values`, with the tag each value came from."""
    found: dict[str, IdentifyingValue] = {}
    meta = getattr(ds, "file_meta", None)
    annotation = is_annotation_object(ds)
    for dataset in ([meta] if meta is not None else []) + [ds]:
        for element in _walk(dataset, inside_identifying=False):
            if element.free_text and annotation:
                continue  # an annotation's own text: teaching text (its names and IDs are not free text)
            label = None
            for form in _forms(element):
                key = " ".join(form)
                if key not in found:  # the first element with a value names it
                    label = label or element.label
                    found[key] = IdentifyingValue(key, label, source)
    return sorted(found.values(), key=lambda item: (item.tag, item.value))


def is_annotation_object(ds) -> bool:
    """True for a presentation state, SR document, key object selection, segmentation or RT
    structure set: an object whose free text is annotation (teaching) text."""
    sop_class = str(ds.get("SOPClassUID", "") or "")
    if sop_class.startswith(_ANNOTATION_SOP_CLASS_PREFIXES):
        return True
    return str(ds.get("Modality", "") or "").strip().upper() in _ANNOTATION_MODALITIES


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
        import hashlib

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


@dataclass(frozen=True)
class _Found:
    element: object  # the pydicom DataElement
    vr: str
    text: str
    free_text: bool  # a description, comment or private note rather than an identifier
    private: bool = False

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
        overlay_text = tag >> 24 == 0x60 and tag & 0xFFFF in _OVERLAY_TEXT_ELEMENTS
        listed = is_identifying_tag(tag) or overlay_text or tag in _FILE_META_TITLES
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
        identifier = elem.VR == "PN" or (listed and not private and not descriptor and not overlay_text)
        for text in _texts(elem):
            if elem.VR == "UI" and _is_standard_uid(text):
                continue  # a SOP class or transfer syntax: the same in every hospital
            yield _Found(elem, elem.VR, text, free_text=not identifier, private=private)


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
        text = bytes(value[:MAX_SEARCHED_INSIDE]).rstrip(b"\x00 ").decode("latin-1")
        if text and all(ch.isprintable() or ch in "\t\r\n" for ch in text):
            yield from text.split("\\")
        return
    from pydicom.multival import MultiValue

    values = value if isinstance(value, (list, tuple, MultiValue)) else [value]
    for single in values:
        if single is not None:
            yield str(single)  # PersonName, DSfloat and IS keep the text the file holds


# --- the written forms of one value ------------------------------------------------------------

Form = tuple[str, ...]


def _forms(element: _Found) -> list[Form]:
    """The word sequences one value may take in a deck."""
    text = element.text[:MAX_SEARCHED_INSIDE]
    # Most values of a header are short numbers (settings, sizes, times): a quick look at the
    # characters decides for them without folding, before any pattern runs.
    if len(text) < 2 or (_NUMBER.fullmatch(text) and not _significant_number(text)):
        return []
    forms: list[Form] = []
    names: list[Form] = []
    if element.vr == "PN":
        names = name_forms(text)
        if names:
            return names
        forms += _whole_forms(text)  # a code in a name field ("JANCT000")
    elif element.free_text:
        if len(text) <= MAX_WHOLE_VALUE and _DISTINCTIVE.search(text):
            forms += _whole_forms(text)
        # Names in a run of capitalised words are looked for where people write notes about a
        # patient (comments, private and overlay text), not in histories and descriptions,
        # whose capitalised words are diseases ("Crohn Disease") more often than people.
        forms += _inner_forms(text, names=element.private or element.vr == "UN"
                              or "Comment" in str(getattr(element.element, "keyword", ""))
                              or int(element.element.tag) >> 24 == 0x60)
    else:
        if len(text) <= MAX_WHOLE_VALUE:
            forms += _whole_forms(text)
        if len(text) > MAX_WHOLE_VALUE or element.vr in _LONG_TEXT_VRS:
            forms += _inner_forms(text, names=False)
    stripped = text.strip()
    if element.vr in ("DA", "DT"):
        date = _DATE.match(stripped)
    else:
        date = _DATE.fullmatch(stripped) or _ISO_DATE.fullmatch(stripped) if len(stripped) in (8, 10) else None
    if date:
        names += date_forms(*(int(part) for part in date.groups()))  # valid as made, like names
    return [form for form in dict.fromkeys(forms) if _worth_searching(form)] + names


def _whole_forms(text: str) -> list[Form]:
    """The value as a whole: its words, and its words with numbers joined (``447-1902``)."""
    forms = [tuple(words(text))]
    joined = number_words(text)
    if joined:
        forms.append(tuple(joined))
    return forms


def _inner_forms(text: str, *, names: bool) -> list[Form]:
    """The identifiers free text holds: IDs, dates, DICOM-style and capitalised names."""
    forms: list[Form] = []
    if _LONG_NUMBER.search(text):  # six digits, maybe with separators: an ID or a date is possible
        for word in number_words(text) or words(text):
            if word.isdigit() and len(word) >= MIN_NUMBER_LENGTH:
                forms.append((word,))
                date = _DATE.fullmatch(word)
                if date:
                    forms += date_forms(*(int(part) for part in date.groups()))
        for date in _ISO_DATE.finditer(text):
            forms += date_forms(*(int(part) for part in date.groups()))
    if "^" in text:
        for name in _DICOM_NAME.finditer(text):
            forms += name_forms(name.group(0), parts=False)
    if "," in text:
        for family, given in _FAMILY_COMMA_GIVEN.findall(text):
            forms += name_forms(f"{family}^{given}", parts=False)
    # (name forms pass _worth_searching too: a name part of three letters found in free text is
    # searched only with the rest of its name)
    if names:
        for run in _CAPITALISED_RUN.finditer(text):
            parts = list(words(run.group(0)))
            while parts and parts[0] in _NAME_CUES:
                parts.pop(0)
            while parts and parts[-1] in _NAME_CUES:
                parts.pop()
            if len(parts) >= 2:
                forms.append(tuple(parts))
    return forms


def name_forms(text: str, *, parts: bool = True) -> list[Form]:
    """The forms of a person name (Family^Given^Middle^Prefix^Suffix, maybe with ``=`` groups);
    without ``parts``, only the whole name in either order (a name-like shape found in free text,
    "abdomen^liver", may not be a name: its words alone are not searched)."""
    forms: list[Form] = []
    for group in text.split("="):
        if "^" in group:
            components = [tuple(words(part)) for part in group.split("^")[:5]]
        elif "," in group:
            family, _, given = group.partition(",")
            components = [tuple(words(family)), tuple(words(given))]
        else:  # written freely: "John Quincy Doe"
            parts = tuple(words(group))
            components = [parts[-1:], parts[:1], parts[1:-1]] if len(parts) > 1 else [parts]
        components += [()] * (5 - len(components))
        family, given, middle = components[0], components[1], components[2]
        every = tuple(word for component in components for word in component)
        if not every:
            continue
        forms.append(every)
        if not parts:
            forms += [family + given, given + family] if family and given else []
            continue
        if family and given:
            forms += [family + given, given + family, family + given + middle, given + middle + family]
            if not is_unspaced(given[0]):  # initials: "J. Doe", "Doe J", "J. Q. Doe", "John Q. Doe"
                forms += [(given[0][0], *family), (*family, given[0][0])]
                if middle:
                    forms += [(given[0][0], middle[0][0], *family), given + (middle[0][0],) + family]
        for component in (family, given, middle):
            forms += _name_parts(component)
    return [form for form in dict.fromkeys(forms) if _worth_searching_name(form)]


def _worth_searching_name(form: Form) -> bool:
    if len(form) == 1 and form[0] in GENERIC_WORDS or " ".join(form) in PLACEHOLDERS:
        return False
    if all(is_unspaced(word) for word in form):
        return len(form) >= 2
    return len("".join(form)) >= (MIN_NAME_PART if all(word.isalpha() for word in form) else MIN_TEXT_LENGTH)


def _name_parts(component: Form) -> list[Form]:
    """A name component searched on its own, and its words (a compound family name)."""
    if not component or any(not word.isalpha() for word in component):
        return []  # "CT1", "JANCT000": a code, not a name
    if all(is_unspaced(word) for word in component):
        return [component] if len(component) >= 2 else []  # two ideographs at least: 山田
    parts = [component] if len("".join(component)) >= MIN_NAME_PART else []
    if len(component) > 1:
        parts += [(word,) for word in component if len(word) >= MIN_NAME_PART and not is_unspaced(word)]
    return [part for part in parts if not (len(part) == 1 and part[0] in GENERIC_WORDS)]


@lru_cache(maxsize=4096)
def date_forms(year: int, month: int, day: int) -> tuple[Form, ...]:
    """The written forms of a date: numeric in every order and separator, and with the month's name."""
    try:
        import datetime as dt

        dt.date(year, month, day)
    except ValueError:
        return ()
    yyyy, yy = f"{year:04d}", f"{year % 100:02d}"
    days = dict.fromkeys([f"{day:02d}", str(day)])
    months = dict.fromkeys([f"{month:02d}", str(month)])
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    forms: list[Form] = [(f"{yyyy}{month:02d}{day:02d}",)]
    for d in days:
        for m in months:
            forms += [(yyyy, m, d), (d, m, yyyy), (m, d, yyyy)]
    forms += [(f"{day:02d}", f"{month:02d}", yy), (f"{month:02d}", f"{day:02d}", yy)]
    for name in _MONTHS[month - 1]:
        for d in days:
            forms += [(d, name, yyyy), (d, suffix, name, yyyy), (d, suffix, "of", name, yyyy),
                      (name, d, yyyy), (name, d, suffix, yyyy), (yyyy, name, d)]
    return tuple(dict.fromkeys(forms))


def _significant_number(text: str) -> bool:
    """True for a number (digits with separators) long and varied enough to be searched."""
    digits = len(_NOT_DIGIT.sub("", text))
    return digits >= MIN_NUMBER_LENGTH and digits - text.count("0") >= MIN_NONZERO_DIGITS


def _worth_searching(form: Form) -> bool:
    if not form:
        return False
    text = "".join(form)
    if " ".join(form) in PLACEHOLDERS or (len(form) == 1 and form[0] in GENERIC_WORDS):
        return False
    if text.isdigit():
        # "1.000000" or "100000" is a setting, not an identifier: ask for some varied digits.
        return len(text) >= MIN_NUMBER_LENGTH and len(text) - text.count("0") >= MIN_NONZERO_DIGITS
    if not text.isascii() and all(is_unspaced(word) for word in form):
        return len(form) >= 2
    if all(word.isdigit() or len(word) <= 2 for word in form) and any(word.isdigit() for word in form):
        return len(text) >= MIN_NUMBER_LENGTH  # a written date ("14 3 79") or a coded number
    return len(text) >= MIN_TEXT_LENGTH


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

