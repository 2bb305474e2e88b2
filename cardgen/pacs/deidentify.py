"""De-identification of pulled objects, in memory, before anything is written to disk.

Two layers, then a check:

1. dicognito (a well-kept, seedable de-identifier) replaces person names, IDs, addresses and UIDs
   with pseudonyms and shifts every date by one offset. Its output is a function of the seed and
   the original value only, so with the seed kept in the cases folder's state file the same
   patient gets the same pseudonym and the same UID maps to the same new UID in every pull:
   several cases of one patient stay linked, and the KOS, GSPS and SR still reference the images.
   A pseudonym that happens to hold an identifying value of the case (dicognito draws from lists
   of common names) is drawn again, under seeds made from the secret (:meth:`Deidentifier.deidentify`).
2. The PS3.15 Annex E Basic Profile table (:mod:`cardgen.deid.annex_e`) then removes or empties
   every listed attribute dicognito left (descriptions, comments, institution, device serial
   numbers, ...), every private attribute and overlay, with these options of Annex E:
   Retain Patient Characteristics (age, sex, size, weight: teaching needs them), Clean Structured
   Content (the SR/KOS content tree and the GSPS graphics are kept, their text cleaned), Retain
   UIDs replaced consistently, and dates either shifted (dicognito's offset) or removed.
   Free text that survives (the KOS description, SR text, labels) is cleaned of every identifying
   value the originals held: names in every order, IDs, dates.
3. :func:`audit_dataset` is the second check: it searches every value of the result for the
   originals' identifying values and UIDs. A pull writes nothing for a case that fails it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator

from cardgen.deid.annex_e import basic_profile
from cardgen.deid.matcher import IdentifyingValue, ValueMatcher
from cardgen.deid.values import identifying_items
from cardgen.imaging.elements import element_values

REDACTED = "[removed]"
_TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC",
                       "UR", "UT"})
_DATE_VRS = frozenset({"DA", "DT", "TM"})
# Sequences the Basic Profile lists that hold what a teaching file is made of (the content tree of
# a KOS or SR, the graphics of a GSPS, references to the images): kept and cleaned inside.
_KEPT_SEQUENCES = frozenset({"ContentSequence", "GraphicAnnotationSequence", "ReferencedImageSequence",
                             "SourceImageSequence"})
# Retain Patient Characteristics Option, and the pseudonyms dicognito writes for the patient.
_PATIENT_CHARACTERISTICS = frozenset({"PatientAge", "PatientSex", "PatientSize", "PatientWeight"})
_KEPT_KEYWORDS = _PATIENT_CHARACTERISTICS | {"PatientName", "PatientID"}


class DateHandling(str, enum.Enum):
    """What happens to dates and times: shifted by the cases folder's offset, or removed."""

    SHIFT = "shift"
    REMOVE = "remove"


class Deidentifier:
    """De-identifies datasets consistently for one cases folder (its ``secret`` is the seed)."""

    def __init__(self, secret: str, dates: DateHandling = DateHandling.SHIFT) -> None:
        from dicognito.anonymizer import Anonymizer

        self._secret = secret
        self._anonymizer = Anonymizer(id_prefix="CG", seed=secret)
        self._redraws: list = []  # anonymizers seeded from the secret, for pseudonyms drawn again
        self.dates = dates
        self._profile = {row.tag: row.action for row in basic_profile()}

    def deidentify(self, datasets: list, matcher: ValueMatcher) -> list:
        """De-identify ``datasets`` (pydicom datasets) in place, and return them.

        ``matcher`` holds the identifying values of every original of the case (made with
        :func:`matcher_for` before this call), so that free text in one object is cleaned of the
        names another object carries. In place, because nothing needs the originals afterwards and
        copying the pixel data of every key image is a large share of a pull's time (docs/pacs.md).
        """
        results = []
        for ds in datasets:
            names = {id(elem): (elem, elem.value) for elem in ds.iterall() if elem.VR == "PN" and elem.value}
            self._anonymizer.anonymize(ds)
            ds.remove_private_tags()
            self._apply_profile(ds, matcher)
            self._redraw_colliding_names(ds, names, matcher)
            ds.PatientIdentityRemoved = "YES"
            ds.DeidentificationMethod = f"cardgen: dicognito, PS3.15 Basic Profile, dates {self.dates.value}"
            results.append(ds)
        return results

    def _redraw_colliding_names(self, ds, originals: dict, matcher: ValueMatcher) -> None:
        """Draw a pseudonym again where dicognito's holds an identifying value of the originals.

        dicognito picks names from lists of common ones, so a patient's pseudonym is sometimes the
        operator's own given name ("Otis"), or another person's of the case. The audit cannot tell
        such a coincidence from a leak and would refuse the case. The name is drawn again from the
        same original with anonymizers seeded from the secret and the attempt's number: still a
        function of the seed and the case's originals, so pulls stay reproducible (``originals``:
        each PN element and its value before dicognito, by the element's id)."""
        for elem in ds.iterall():
            held, original = originals.get(id(elem), (None, None))
            if held is not elem or not elem.value or not _names_hit(elem.value, matcher):
                continue
            for attempt in range(1, _REDRAWS + 1):
                candidate = self._pseudonym(original, ds.get("PatientSex"), attempt)
                if not _names_hit(candidate, matcher):
                    elem.value = candidate
                    break
            # (after every attempt still a hit: left as it is, and the audit refuses the case)

    def _pseudonym(self, original, sex, attempt: int):
        """dicognito's pseudonym of the PN value ``original`` under the ``attempt`` th seed."""
        from dicognito.anonymizer import Anonymizer
        from pydicom.dataset import Dataset, FileMetaDataset

        while len(self._redraws) < attempt:
            self._redraws.append(Anonymizer(id_prefix="CG", seed=f"{self._secret}\nname {len(self._redraws) + 1}"))
        scratch = Dataset()
        scratch.file_meta = FileMetaDataset()
        if sex:
            scratch.PatientSex = sex
        scratch.PatientName = original
        self._redraws[attempt - 1].anonymize(scratch)
        return scratch.PatientName if not isinstance(original, (list, tuple)) else list(scratch.PatientName)

    def _apply_profile(self, ds, matcher: ValueMatcher) -> None:
        for elem in list(ds):
            tag = int(elem.tag)
            keyword = elem.keyword or ""
            action = self._profile.get(tag) or _repeating_group_action(tag)
            if elem.VR == "SQ":
                if action is None or keyword in _KEPT_SEQUENCES:
                    for item in elem.value or ():
                        self._apply_profile(item, matcher)
                elif action.startswith("Z"):
                    elem.value = []
                else:
                    del ds[elem.tag]
                continue
            if keyword in _KEPT_KEYWORDS:
                continue
            if keyword == "PatientBirthDate" or (elem.VR in _DATE_VRS and self.dates is DateHandling.REMOVE):
                elem.value = ""
                continue
            if action is not None and not (elem.VR == "UI" or elem.VR in _DATE_VRS):
                if action.startswith("X"):
                    del ds[elem.tag]
                    continue
                if not (action.startswith("D") and elem.VR == "PN"):  # Z: empty; D: dicognito's dummy name
                    elem.value = "" if elem.VR in _TEXT_VRS or elem.VR == "UI" else None
                    continue
            if elem.VR in _TEXT_VRS and elem.value not in (None, ""):
                cleaned = _cleaned(elem.value, matcher)
                if cleaned is not elem.value:
                    # A date or time the shift left as it was (a time, when the offset is whole days)
                    # is emptied: "[removed]" is no valid DA/TM.
                    elem.value = "" if elem.VR in _DATE_VRS else cleaned


_REDRAWS = 20  # pseudonyms drawn again at most, per name that holds an identifying value


def _names_hit(value, matcher: ValueMatcher) -> bool:
    return any(next(matcher.find(str(v)), None) is not None for v in element_values(value))


def _repeating_group_action(tag: int) -> str | None:
    group, element = tag >> 16, tag & 0xFFFF
    if group & 0xFF00 == 0x5000 or (group & 0xFF00 == 0x6000 and element in (0x3000, 0x4000)):
        return "X"
    return None


def _cleaned(value, matcher: ValueMatcher):
    from pydicom.multival import MultiValue

    if isinstance(value, (list, tuple, MultiValue)):
        return [_cleaned(v, matcher) for v in value]
    text = str(value)
    cleaned = matcher.redact(text, REDACTED)
    return value if cleaned == text else cleaned


def matcher_for(originals: Iterable) -> ValueMatcher:
    """The identifying values of the originals (and every UID they carry), for cleaning and audit."""
    return ValueMatcher(_identifying(originals))


def _identifying(originals: Iterable) -> Iterator[IdentifyingValue]:
    """The identifying values the audit knows (:func:`cardgen.deid.values.identifying_items`: every
    Annex E attribute, private values, person names inside content trees but not their teaching
    text), less the patient characteristics the pull keeps; and every UID the originals carry."""
    kept = tuple(f") {keyword}" for keyword in _PATIENT_CHARACTERISTICS)
    for ds in originals:
        for item in identifying_items(ds, "pulled object"):
            if not item.tag.endswith(kept):
                yield item
        for uid in _uids(ds):
            yield IdentifyingValue(uid.lower(), "UID", "pulled object")


def _uids(ds) -> Iterator[str]:
    from pydicom.uid import UID

    for elem in ds.iterall():
        if elem.VR == "UI" and elem.value:
            values = list(elem.value) if elem.VM > 1 else [elem.value]
            for value in values:
                uid = UID(str(value))
                if uid.name == str(uid):  # not a standard UID (a SOP class, a transfer syntax)
                    yield str(uid)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        yield from (str(v) for k, v in ((e.keyword, e.value) for e in meta)
                    if k == "MediaStorageSOPInstanceUID" and v)


def audit_dataset(ds, matcher: ValueMatcher) -> list[str]:
    """Every identifying value of the originals still found in ``ds``, as "(tag) keyword: value"."""
    hits: list[str] = []
    meta = getattr(ds, "file_meta", None)
    for dataset in ([meta] if meta is not None else []) + [ds]:
        for elem in dataset.iterall():
            if elem.VR in ("SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN") or elem.value in (None, ""):
                continue
            values = list(elem.value) if elem.VM > 1 else [elem.value]
            for value in values:
                for found in matcher.find(str(value)):
                    hits.append(f"{elem.tag} {elem.keyword or elem.name}: {found.tag} value")
    return hits
