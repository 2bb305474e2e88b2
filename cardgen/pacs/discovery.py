"""Finding what to pull (QIDO-RS, WADO-RS): instance references from search results, the series of
a key image, and the GSPS, SR and SEG of a study that reference the key images.
"""

from __future__ import annotations

from cardgen.pacs.kos import ANNOTATION_CLASSES, InstanceRef, referenced_instances
from cardgen.pacs.server import MissingInstance, PullError, Server

# DICOM JSON tags of a QIDO-RS instance result.
_STUDY, _SERIES, _INSTANCE, _SOP_CLASS = "0020000D", "0020000E", "00080018", "00080016"
_SERIES_NUMBER, _INSTANCE_NUMBER = "00200011", "00200013"


def instance_ref(result: dict) -> InstanceRef:
    """The study, series and instance UIDs of a QIDO-RS instance result."""
    def value(tag: str) -> str:
        try:
            return str(result[tag]["Value"][0])
        except (KeyError, IndexError, TypeError):
            raise PullError(f"the server's search result lacks ({tag[:4]},{tag[4:]}); it is not a "
                            "conformant QIDO-RS answer") from None
    return InstanceRef(value(_STUDY), value(_SERIES), value(_INSTANCE))


def _number(result: dict, tag: str) -> int:
    try:
        return int(result[tag]["Value"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return 0


def series_of(server: Server, ref: InstanceRef) -> str:
    """The series of a key image the KOS names without it (one QIDO-RS search)."""
    found = server.search_instances({"SOPInstanceUID": ref.instance}, study=ref.study)
    if not found:
        raise MissingInstance("key image", (ref.study, "?", ref.instance))
    return instance_ref(found[0]).series


def annotation_candidates(server: Server, studies: list[str]) -> list[tuple[InstanceRef, str]]:
    """Every GSPS, SR and SEG in the studies (QIDO-RS), in series/instance number order."""
    candidates = []
    for study in studies:
        for result in server.search_instances({}, study=study):
            kind = ANNOTATION_CLASSES.get(str((result.get(_SOP_CLASS) or {}).get("Value", [""])[0]))
            if kind is not None:
                candidates.append((_number(result, _SERIES_NUMBER), _number(result, _INSTANCE_NUMBER),
                                   instance_ref(result), kind))
    return [(ref, kind) for _s, _i, ref, kind in sorted(candidates, key=lambda c: (c[0], c[1], c[2].instance))]


def annotations_of(server: Server, candidates: list[tuple[InstanceRef, str]],
                    key_uids: set[str]) -> list[tuple[str, object]]:
    """The candidates that reference a key image, retrieved (WADO-RS)."""
    found = []
    for ref, kind in candidates:
        ds = server.retrieve(ref.study, ref.series, ref.instance, what=kind.upper())
        if referenced_instances(ds) & key_uids:
            found.append((kind, ds))
    return found
