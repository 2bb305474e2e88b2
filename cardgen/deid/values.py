"""The identifying values a DICOM file carries, in every written form (:mod:`cardgen.deid.forms`).

A value is identifying when it sits in an attribute of PS3.15 Table E.1-1 (see
:mod:`cardgen.deid.annex_e`), in a private attribute (Private Creators included), in the file
meta information's application entity titles, in an overlay's description or label, or in any
attribute of VR PN, DA or DT, at any depth: a sequence that the profile names counts with
everything inside it.

What is deliberately not collected, because a search for it would fail builds on ordinary words
(each rule is tested in tests/test_deid.py):

- coded strings (VR CS: defined terms such as GPS references, sex, smoking status) and standard
  UIDs (SOP classes, transfer syntaxes).
- the teaching text of annotation objects (presentation states, SR documents, segmentations, RT
  structure sets): the free text inside the sequences the annotation readers take findings from
  (:data:`_TEACHING_TREES`: "Nodule 12 mm" is what the case shows). Their person names, IDs,
  dates and UIDs there, and everything else they hold (Patient Comments, descriptions, private
  attributes), are collected like any other file's.

The audit's shape patterns (UIDs, DICOM dates and names) and each case's allowlist remain.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cardgen.deid.annex_e import is_identifying_tag
from cardgen.deid.forms import MAX_SEARCHED_INSIDE, Form, value_forms
from cardgen.deid.matcher import IdentifyingValue
from cardgen.errors import InputError
from cardgen.imaging.sources import looks_like_dicom

# Value representations that hold binary data, not text a card could show.
_BINARY_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "OB or OW", "US or OW", "US or SS or OW"})
# Coded strings hold defined terms (MONOCHROME2, TEXT, M), never identifiers (PS3.15 E.1.1 note 9).
_CODED_VRS = frozenset({"CS"})
# Attributes beyond Table E.1-1 that may name a person, a place or a machine: the application
# entity titles of the file meta information (the sending workstation is often named after its
# user or room), and an overlay's description and label (60xx,0022), (60xx,1500).
_FILE_META_TITLES = frozenset({0x00020016, 0x00020017, 0x00020018})
_OVERLAY_TEXT_ELEMENTS = frozenset({0x0022, 0x1500, 0x4000})  # (and Overlay Comments, in the table)
# Value representations whose every value is collected, wherever it stands: a person name names a
# person (Secondary Reviewer Name, Evaluator Name, Selector PN Value are not in Table E.1-1), and a
# date or date-time dates the patient's study or the file made from it (Instance Creation Date,
# Date of Secondary Capture, Date of Last Calibration).
_IDENTIFYING_VRS = frozenset({"PN", "DA", "DT"})
# Attributes holding descriptions rather than identifiers: the rows Table E.1-1 marks for the
# Clean Descriptors Option (descriptions, comments, labels, notes, protocol names, ...), matched
# by keyword. Their text, like that of private attributes and of attributes nested in a removed
# sequence, is searched inside (see :func:`cardgen.deid.forms.value_forms`), and whole only when it looks identifying:
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
# The sequences of an annotation object whose free text is teaching text: what the annotation
# readers (cardgen.annotations.readers) put on cards: an SR or KOS content tree, a presentation
# state's graphic annotations (text objects) and graphic groups (labels), a segmentation's segments
# (labels, property meanings), an RT structure set's ROIs (names) and ROI observations (their
# labels, often the ROI's name). Only there is an annotation object's free text not collected.
_TEACHING_TREES = frozenset({0x0040A730, 0x00700001, 0x00700234, 0x00620002, 0x30060020, 0x30060080})
# Annotation objects (PS3.4 storage SOP classes, by prefix): presentation states, structured
# reports, key object selections, segmentations, RT structure sets.
_ANNOTATION_SOP_CLASS_PREFIXES = ("1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.88.",
                                  "1.2.840.10008.5.1.4.1.1.66.", "1.2.840.10008.5.1.4.1.1.481.3")
_ANNOTATION_MODALITIES = frozenset({"PR", "SR", "KO", "SEG", "RTSTRUCT"})


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
            if element.free_text and element.teaching and annotation:
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
    structure set: an object whose free text inside :data:`_TEACHING_TREES` is annotation
    (teaching) text."""
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
    for path in dicom_files(paths):
        try:
            # Large values (pixel data) are read only when asked for, which this never does.
            # A .dcm file without the DICM preamble (older exports) is read anyway: its values
            # still count, even if the build would refuse the file.
            try:
                ds = pydicom.dcmread(path, defer_size="64 KB")
            except InvalidDicomError:
                ds = pydicom.dcmread(path, defer_size="64 KB", force=True)
            ds.keys()
        except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError, struct.error) as error:
            raise InputError(f"cannot read the DICOM file to collect its identifying values: {error}",
                             file=path, hint="repair or remove the file, then audit again") from error
        items.extend(identifying_items(ds, str(path)))
    return items


@dataclass(frozen=True)
class _Found:
    element: object  # the pydicom DataElement
    vr: str
    text: str
    free_text: bool  # a description, comment or private note rather than an identifier
    names_inside: bool = False  # free text where people write notes about a patient (see value_forms)
    address: bool = False  # an address: its one-word parts (a town) are searched too
    teaching: bool = False  # inside one of _TEACHING_TREES

    @property
    def label(self) -> str:
        """"(gggg,eeee) Keyword", or the private dictionary's name. Asked for only when a value is
        kept: most of a CT header's elements are private, most of their values are short numbers
        that are not searched, and looking up a private name is slow."""
        tag = int(self.element.tag)
        return f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {self.element.keyword or self.element.name}"


def _walk(dataset, *, inside_identifying: bool, encodings: list[str] | None = None,
          teaching: bool = False) -> Iterator[_Found]:
    """Every value to collect in ``dataset``, with what kind of attribute holds it. ``encodings``:
    the character sets (Python codecs) the enclosing dataset declares; ``teaching``: ``dataset`` is
    inside one of :data:`_TEACHING_TREES`."""
    encodings = _encodings(dataset, encodings)
    for elem in dataset:
        tag = int(elem.tag)
        overlay_text = tag >> 24 == 0x60 and tag & 0xFFFF in _OVERLAY_TEXT_ELEMENTS
        listed = (is_identifying_tag(tag) or overlay_text or tag in _FILE_META_TITLES
                  or elem.VR in _IDENTIFYING_VRS)
        if elem.VR == "SQ":
            for item in elem.value or ():
                yield from _walk(item, inside_identifying=inside_identifying
                                 or (listed and tag not in _CONTENT_TREES), encodings=encodings,
                                 teaching=teaching or tag in _TEACHING_TREES)
            continue
        if not (listed or inside_identifying):
            continue
        private = elem.tag.is_private
        keyword = "" if private else elem.keyword or ""  # a private tag has none (no dictionary lookup)
        if elem.VR in _CODED_VRS and not keyword.endswith("ID"):  # (0020,3401) Modifying Device ID
            continue
        descriptor = bool(_DESCRIPTOR_KEYWORD.search(keyword)) and keyword not in _IDENTIFIER_KEYWORDS
        identifier = elem.VR == "PN" or (listed and not private and not descriptor and not overlay_text)
        # Comments, private and overlay text: where people write notes about a patient.
        names_inside = not identifier and (private or elem.VR == "UN" or "Comment" in keyword
                                           or tag >> 24 == 0x60)
        for text in _texts(elem, encodings):
            if elem.VR == "UI" and _is_standard_uid(text):
                continue  # a SOP class or transfer syntax: the same in every hospital
            yield _Found(elem, elem.VR, text, free_text=not identifier, names_inside=names_inside,
                         address="Address" in keyword, teaching=teaching)


def _is_standard_uid(text: str) -> bool:
    from pydicom.uid import UID

    uid = UID(text.strip())
    return uid.name != str(uid)


def _encodings(dataset, inherited: list[str] | None) -> list[str]:
    """The Python codecs of ``dataset``'s Specific Character Set, or ``inherited`` (a sequence item
    without one uses its parent's), or the default repertoire."""
    from pydicom.charset import convert_encodings

    declared = dataset.get("SpecificCharacterSet") if "SpecificCharacterSet" in dataset else None
    if declared:
        return convert_encodings(declared)
    return inherited or convert_encodings(None)


# What a text decoded from bytes may not hold: control characters (C0 but tab and line breaks, C1,
# which is where latin-1 puts the second byte of many UTF-8 letters) and U+FFFD for undecodable bytes.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def _texts(elem, encodings: list[str]) -> Iterator[str]:
    """The value of one element as text, in every reading of its bytes that is text; binary values
    only when they are plainly text."""
    value = elem.value
    if value is None or value == "":
        return
    if elem.VR in _BINARY_VRS:
        return
    if elem.VR == "UN" or isinstance(value, (bytes, bytearray)):
        # Private attributes of unknown VR arrive as bytes.
        for text in _readings(bytes(value[:MAX_SEARCHED_INSIDE]).rstrip(b"\x00 "), encodings):
            yield from text.split("\\")
        return
    from pydicom.multival import MultiValue

    values = value if isinstance(value, (list, tuple, MultiValue)) else [value]
    for single in values:
        if single is not None:
            text = str(single)  # PersonName, DSfloat and IS keep the text the file holds
            yield text
            if not text.isascii():
                utf8 = _utf8_reading(text)
                if utf8 is not None:
                    yield utf8


def _readings(raw: bytes, encodings: list[str]) -> list[str]:
    """The texts ``raw`` bytes (a value of unknown VR) may hold: their UTF-8 reading when they are
    valid UTF-8, and their reading in the declared character set (latin-1 for the default one, or
    when the bytes are not valid in the declared one), each with any control character turned into
    a space. A reading with more than one such character in twenty is binary data, not text
    ("Patient Tamsin Quarrell aus Łódź" read as latin-1 has one control character, the second byte
    of Ł; a Siemens CSA header has hundreds)."""
    readings: list[str] = []
    try:
        readings.append(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    declared = None
    for codec in dict.fromkeys(encodings):  # Python's ISO 2022 codecs follow the escape sequences
        if codec not in ("iso8859", "UTF8"):
            try:
                declared = raw.decode(codec)
                break
            except (UnicodeDecodeError, LookupError):
                continue
    readings.append(raw.decode("latin-1") if declared is None else declared)
    texts: list[str] = []
    for reading in dict.fromkeys(readings):
        text, unreadable = _NOT_TEXT.subn(" ", reading)
        if text.strip() and unreadable * 20 <= len(text):
            texts.append(text)
    return texts


def _utf8_reading(text: str) -> str | None:
    """The UTF-8 reading of a value decoded in a single-byte character set, when its bytes are valid
    UTF-8: a file without Specific Character Set whose PatientName is UTF-8 "Möller" is read by
    pydicom as "MÃ¶ller" (the default repertoire, which pydicom reads as latin-1), or a file that
    declares latin-1 (ISO_IR 100) and holds UTF-8."""
    try:
        reading = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return reading if reading != text else None


def _forms(element: _Found) -> list[Form]:
    """The word sequences one collected value may take in a deck."""
    return value_forms(element.text, element.vr, free_text=element.free_text,
                       names_inside=element.names_inside, address=element.address)


def dicom_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The DICOM files among ``paths`` (files, or folders searched deeply, in name order); a path
    that does not exist is an error."""
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

