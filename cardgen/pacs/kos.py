"""Key Object Selection documents: which are teaching files, what they select, what they say.

IHE TCE: a radiologist flags a teaching file by storing a KOS (SOP Class 1.2.840.10008.5.1.4.1.1.88.59)
whose document title (Concept Name Code Sequence, CID 7010) is (113004, DCM, "For Teaching"). Its
content tree lists the key images in the order the radiologist chose them (IMAGE items); the
Current Requested Procedure Evidence Sequence says in which study and series each one lives; an
optional TEXT item (113012, DCM, "Key Object Description") says what the case is about.
"""

from __future__ import annotations

from dataclasses import dataclass

FOR_TEACHING = ("113004", "DCM", "For Teaching")
KEY_OBJECT_DESCRIPTION = "113012"

# Objects that annotate images, fetched with the key images when they reference one of them.
GSPS_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.11.1": "gsps",  # Grayscale Softcopy Presentation State
    "1.2.840.10008.5.1.4.1.1.11.2": "gsps",  # Color Softcopy Presentation State
    "1.2.840.10008.5.1.4.1.1.11.3": "gsps",  # Pseudo-Color Softcopy Presentation State
}
SR_CLASSES = {uid: "sr" for uid in (
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
)}
SEG_CLASSES = {"1.2.840.10008.5.1.4.1.1.66.4": "seg",  # Segmentation
               "1.2.840.10008.5.1.4.1.1.66.7": "seg"}  # Label Map Segmentation
ANNOTATION_CLASSES = {**GSPS_CLASSES, **SR_CLASSES, **SEG_CLASSES}


@dataclass(frozen=True)
class InstanceRef:
    """Where one instance lives (original UIDs, as the server knows them)."""

    study: str
    series: str
    instance: str


def title_matches(ds, wanted: str) -> bool:
    """True when the KOS's document title is ``wanted`` (its code meaning or code value)."""
    items = ds.get("ConceptNameCodeSequence") or []
    if not items:
        return False
    code = items[0]
    wanted = wanted.strip().lower()
    return wanted in {str(code.get("CodeMeaning", "")).strip().lower(), str(code.get("CodeValue", "")).strip().lower()}


def selected_images(ds) -> list[InstanceRef]:
    """The instances a KOS selects, in its content order (duplicates once)."""
    where: dict[str, tuple[str, str]] = {}
    for study_item in ds.get("CurrentRequestedProcedureEvidenceSequence") or []:
        for series_item in study_item.get("ReferencedSeriesSequence") or []:
            for sop in series_item.get("ReferencedSOPSequence") or []:
                where[str(sop.ReferencedSOPInstanceUID)] = (str(study_item.StudyInstanceUID),
                                                           str(series_item.SeriesInstanceUID))
    ordered: list[str] = []
    for item in ds.get("ContentSequence") or []:
        if str(item.get("ValueType", "")) in ("IMAGE", "COMPOSITE"):
            for sop in item.get("ReferencedSOPSequence") or []:
                uid = str(sop.ReferencedSOPInstanceUID)
                if uid not in ordered:
                    ordered.append(uid)
    ordered += [uid for uid in where if uid not in ordered]  # evidence the content tree forgot
    return [InstanceRef(*where[uid], uid) if uid in where else InstanceRef(str(ds.StudyInstanceUID), "", uid)
            for uid in ordered]


def description(ds) -> str:
    """The KOS's Key Object Description text(s), joined; empty when it has none."""
    texts = []
    for item in ds.get("ContentSequence") or []:
        names = item.get("ConceptNameCodeSequence") or []
        if str(item.get("ValueType", "")) == "TEXT" and names and str(names[0].CodeValue) == KEY_OBJECT_DESCRIPTION:
            texts.append(str(item.get("TextValue", "")).strip())
    return "\n".join(t for t in texts if t)


def referenced_instances(ds) -> set[str]:
    """Every SOP Instance UID an object references anywhere (GSPS, SR, SEG alike)."""
    found: set[str] = set()
    for elem in ds.iterall():
        if elem.keyword == "ReferencedSOPInstanceUID" and elem.value:
            found.update(str(v) for v in (elem.value if elem.VM > 1 else [elem.value]))
    return found
