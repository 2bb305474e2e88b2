"""Burned-in text: images whose pixels may show who the patient is.

Burned In Annotation (0028,0301) says whether an image carries identifying text in its pixels.
A header cannot de-identify pixels, so such an image is refused until a person has looked at it
and the case records ``burned_in: reviewed``; rectangles the case names are blacked out
(:func:`cardgen.imaging.masks.mask_rectangles`).

When the attribute is absent, the image is trusted only if it comes from a kind of acquisition
that rarely draws text into the pixels. Ultrasound, secondary captures (screenshots, scanned
film, converted documents), documents, photographs and endoscopy video usually do, so for them
a missing value counts as "maybe".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import InputError

TAG = "(0028,0301) Burned In Annotation"
REVIEWED_HINT = ("look at every pixel of the image; if it shows no name, ID or date (or the case "
                 "masks them), add 'burned_in: reviewed' to the image in case.yaml")

# Modalities whose images usually carry text in the pixels (DICOM PS3.3 C.7.3.1.1.1 terms).
# US: scanners print the patient's name and date on the frame. OT: "other", mostly screenshots.
# SC: not a standard term, but written by secondary-capture tools. DOC: scanned documents.
# XC: external-camera photographs. ES: endoscopy video overlays. GM, SM: microscopy with labels.
TEXT_PRONE_MODALITIES = frozenset({"US", "OT", "SC", "DOC", "XC", "ES", "GM", "SM"})

# Secondary Capture storage SOP classes (PS3.4 B.5): screenshots and converted images.
SECONDARY_CAPTURE_SOP_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.7",    # Secondary Capture Image Storage
    "1.2.840.10008.5.1.4.1.1.7.1",  # Multi-frame Single Bit Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.2",  # Multi-frame Grayscale Byte Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.3",  # Multi-frame Grayscale Word Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.4",  # Multi-frame True Color Secondary Capture
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF (a document)
})


class BurnedInAnnotation(str, enum.Enum):
    """The value of (0028,0301), with ``ABSENT`` for a missing or empty one."""

    YES = "YES"
    NO = "NO"
    ABSENT = ""


@dataclass(frozen=True)
class BurnedInFacts:
    """The header facts that decide whether an image may carry burned-in text."""

    annotation: BurnedInAnnotation = BurnedInAnnotation.ABSENT
    modality: str | None = None
    sop_class_uid: str | None = None
    conversion_type: str | None = None  # (0008,0064): present only in secondary captures
    exported_raster: bool = False  # a PNG/JPEG export: a screenshot with no header at all
    written: str = ""  # (0028,0301) as the file writes it, when that is neither YES nor NO (read as YES)

    @classmethod
    def from_dataset(cls, ds) -> "BurnedInFacts":
        """Read the facts from a pydicom Dataset (pixels need not be loaded)."""
        raw = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
        written = ""
        try:
            annotation = BurnedInAnnotation(raw)
        except ValueError:
            # Any value other than YES/NO is non-conformant; treat it like YES, the safe side.
            annotation, written = BurnedInAnnotation.YES, raw[:64]
        return cls(
            annotation=annotation,
            written=written,
            modality=_text(ds.get("Modality")),
            sop_class_uid=_text(ds.get("SOPClassUID")),
            conversion_type=_text(ds.get("ConversionType")),
        )

    @classmethod
    def for_raster(cls) -> "BurnedInFacts":
        """A PNG/JPEG exported from a viewer: nothing says its pixels are free of text."""
        return cls(exported_raster=True)


def burned_in_reason(facts: BurnedInFacts) -> str | None:
    """Why the image may show identifying text in its pixels, or None when it is trusted."""
    if facts.annotation is BurnedInAnnotation.YES and facts.written:
        return (f"{TAG} is {facts.written!r}, neither YES nor NO: taken as YES, the pixels may carry "
                "text that identifies the patient")
    if facts.annotation is BurnedInAnnotation.YES:
        return f"{TAG} is YES: the pixels carry text that may identify the patient"
    if facts.annotation is BurnedInAnnotation.NO:
        return None
    if facts.exported_raster:
        return ("a PNG/JPEG export (often a screenshot) may show the patient's name or ID in its "
                "pixels, and has no " + TAG.split(" ", 1)[1] + " to say otherwise")
    modality = (facts.modality or "").upper()
    if modality in TEXT_PRONE_MODALITIES:
        return (f"{TAG} is absent, and {modality} images usually carry text in their pixels")
    if facts.sop_class_uid in SECONDARY_CAPTURE_SOP_CLASSES or facts.conversion_type:
        what = _sop_class_name(facts.sop_class_uid) or "a secondary capture"
        return (f"{TAG} is absent, and the image is {what} "
                f"(a screenshot or converted image, which usually carries text in its pixels)")
    return None


def check_burned_in(source, *, reviewed: bool, path: Path, field: str = "burned_in") -> None:
    """Refuse an image that may show identifying text, unless a person has reviewed it.

    ``source`` is a pydicom Dataset or :class:`BurnedInFacts`; ``reviewed`` is True when the case
    records ``burned_in: reviewed`` for this image; ``path`` names the image in the error. The
    error names the DICOM tag; for a PNG/JPEG export, which has none, it names ``field``.
    """
    if reviewed:
        return
    facts = source if isinstance(source, BurnedInFacts) else BurnedInFacts.from_dataset(source)
    reason = burned_in_reason(facts)
    if reason is None:
        return
    named = field if facts.exported_raster else TAG
    if reason.startswith(TAG + " "):  # the field already names the tag: say it once
        reason = "its value " + reason[len(TAG) + 1:]
    raise InputError(f"refused: {reason}", file=path, field=named,
                     value=facts.written or facts.annotation.value or None, hint=REVIEWED_HINT)


def check_overlays_reviewed(*, path: Path, field: str) -> None:
    """Refuse to draw a file's overlay planes (``overlays: true``) before a person has reviewed
    them: an overlay is a bitmap drawn into the image, and may spell a name, an ID or a date
    (graphics annotations from the scanner, a technologist's note) that no text search can see."""
    raise InputError("refused: overlays are bitmaps drawn into the image and may spell a name, ID "
                     "or date", file=path, field=field, value=True,
                     hint="look at the image with its overlays; if they show no name, ID or date, add "
                     "'burned_in: reviewed' to the image in case.yaml (or set overlays: false)")


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _sop_class_name(uid: str | None) -> str | None:
    if not uid:
        return None
    from pydicom.uid import UID

    name = UID(uid).name
    return name if name != uid else None
