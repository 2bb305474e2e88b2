"""Pull teaching files from a PACS: one case folder per "For Teaching" KOS, de-identified on the way in.

For each KOS the search finds (QIDO-RS), the pull retrieves (WADO-RS, into memory) the KOS, the key
images it selects and every GSPS, SR and SEG of their studies that references one of them;
de-identifies all of them together (:mod:`cardgen.pacs.deidentify`); checks the result with the
audit; writes the files and a case.yaml skeleton into a folder under the cases folder's hidden
``.cardgen-pull/`` and renames it into place only when all of it is written. So a case folder is
either complete or absent: a cut transfer or a failed check leaves nothing, and the next pull
starts that case again.

Idempotence: a case's folder name is an HMAC of the KOS's SOP Instance UID under the cases folder's
own secret (kept in ``.cardgen-pull/state.json``, never in a case). A case that exists is never
written again, so what the educator edited stays; a case they deleted is remembered in the state
and not pulled back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import CardgenError, InputError
from cardgen.pacs.deidentify import DateHandling, Deidentifier, audit_dataset, matcher_for
from cardgen.pacs.kos import ANNOTATION_CLASSES, InstanceRef, description, referenced_instances, selected_images, title_matches
from cardgen.pacs.server import KOS_SOP_CLASS, Connection, MissingInstance, PullError, Server
from cardgen.pacs.skeleton import Skeleton, SkeletonAnnotation, SkeletonImage
from cardgen.teaching.loader import load_case
from cardgen.teaching.paths import CASE_FILE

STATE_DIR = ".cardgen-pull"
STATE_FILE = "state.json"
STATE_FORMAT = 1
DEFAULT_KOS_TITLE = "For Teaching"

# DICOM JSON tags of a QIDO-RS instance result.
_STUDY, _SERIES, _INSTANCE, _SOP_CLASS = "0020000D", "0020000E", "00080018", "00080016"
_SERIES_NUMBER, _INSTANCE_NUMBER = "00200011", "00200013"

# Windows for a CT key image without a presentation state, by Body Part Examined.
_CT_WINDOWS = {"CHEST": ["lung", "mediastinum"], "LUNG": ["lung", "mediastinum"], "THORAX": ["lung", "mediastinum"],
               "HEAD": ["brain", "subdural"], "BRAIN": ["brain", "subdural"], "SKULL": ["brain", "bone"],
               "ABDOMEN": ["soft_tissue", "liver"], "LIVER": ["liver", "soft_tissue"],
               "SPINE": ["bone", "soft_tissue"], "EXTREMITY": ["bone", "soft_tissue"]}


@dataclass(frozen=True)
class PullOptions:
    connection: Connection
    cases_dir: Path
    study: str | None = None
    since: dt.date | None = None
    kos_title: str = DEFAULT_KOS_TITLE
    dates: DateHandling = DateHandling.SHIFT
    dry_run: bool = False


@dataclass(frozen=True)
class PlannedCase:
    """One KOS found: the case it makes (what a dry run lists)."""

    case_id: str
    key_images: int
    annotations: dict[str, int]  # "gsps" -> count

    def __str__(self) -> str:
        notes = ", ".join(f"{n} {kind.upper()}" for kind, n in sorted(self.annotations.items())) or "no annotations"
        return f"{self.case_id}: {self.key_images} key image(s), {notes}"


@dataclass
class PullReport:
    pulled: list[PlannedCase] = field(default_factory=list)  # written now (or, in a dry run, would be)
    present: list[str] = field(default_factory=list)  # already in the cases folder: left as they are
    removed: list[str] = field(default_factory=list)  # pulled once, deleted by the educator: not pulled back
    added: list[str] = field(default_factory=list)  # new annotations written beside a case already there
    failures: list[str] = field(default_factory=list)  # cases that could not be pulled, with why

    def summary(self, dry_run: bool = False) -> str:
        verb = "would pull" if dry_run else "pulled"
        text = f"{verb} {len(self.pulled)} case(s); {len(self.present)} already present"
        if self.added:
            text += f"; new annotations beside {len(self.added)} of them"
        if self.removed:
            text += f"; {len(self.removed)} deleted here earlier, not pulled again"
        if self.failures:
            text += f"; {len(self.failures)} failed"
        return text


def pull_teaching_files(options: PullOptions) -> PullReport:
    """Find the teaching-file KOS documents on the server and pull each new one into a case folder."""
    cases_dir = options.cases_dir
    if cases_dir.exists() and not cases_dir.is_dir():
        raise InputError("not a folder", file=cases_dir, hint="give the folder that holds the cases")
    state = _State.load(cases_dir)
    server = Server(options.connection)
    filters = {"SOPClassUID": KOS_SOP_CLASS}
    if options.since is not None:
        filters["StudyDate"] = f"{options.since:%Y%m%d}-"
    found = server.search_instances(filters, study=options.study)
    documents = sorted({_ref(result) for result in found}, key=lambda r: (r.study, r.series, r.instance))
    deidentifier = Deidentifier(state.secret, options.dates)
    report = PullReport()
    if not options.dry_run:
        cases_dir.mkdir(parents=True, exist_ok=True)
        _remove_partials(cases_dir)
    for document in documents:
        case_id = state.case_id(document.instance)
        if (cases_dir / case_id).exists():
            report.present.append(case_id)
            try:
                added = _add_new_material(server, document, case_id, cases_dir, deidentifier, state,
                                          dry_run=options.dry_run)
            except (_CaseRefused, MissingInstance) as error:
                report.failures.append(f"{case_id}: new annotations not added: {error}")
                continue
            if added:
                report.added.append(added)
            if not options.dry_run:
                state.save()
            continue
        if case_id in state.pulled:
            report.removed.append(case_id)
            continue
        kos = server.retrieve(document.study, document.series, document.instance, what="KOS")
        if not title_matches(kos, options.kos_title):
            continue
        try:
            planned, seen = _pull_case(server, kos, case_id, cases_dir, deidentifier, dry_run=options.dry_run)
        except MissingInstance as error:
            report.failures.append(f"{case_id}: the KOS references an object the server does not have "
                                   f"({error}); restore it on the PACS, or fix the KOS")
            continue
        except (PullError, InputError) as error:
            if isinstance(error, PullError) and not isinstance(error, _CaseRefused):
                raise  # the server or the connection: no later case would fare better
            report.failures.append(f"{case_id}: {error}")
            continue
        report.pulled.append(planned)
        if not options.dry_run:
            state.pulled.add(case_id)
            state.seen[case_id] = {state.digest(uid) for uid in seen}
            state.save()
    return report


class _CaseRefused(PullError):
    """This case cannot be written (the de-identification check failed); others may still be."""


def _ref(result: dict) -> InstanceRef:
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


def _pull_case(server: Server, kos, case_id: str, cases_dir: Path, deidentifier: Deidentifier, *,
               dry_run: bool) -> tuple[PlannedCase, set[str]]:
    """Pull one KOS into a new case folder; returns what it holds and the SOP Instance UIDs of every
    annotation object of its studies that was looked at (so that a later pull only looks at new ones)."""
    refs = selected_images(kos)
    if not refs:
        raise _CaseRefused("the KOS selects no image; flag the key images in the viewer again")
    images = []
    for ref in refs:
        series = ref.series or _series_of(server, ref)
        images.append(server.retrieve(ref.study, series, ref.instance, what="key image"))
    key_uids = [ref.instance for ref in refs]
    candidates = _annotation_candidates(server, sorted({ref.study for ref in refs}))
    annotations = _annotations_of(server, candidates, set(key_uids))
    seen = {ref.instance for ref, _kind in candidates}
    counts: dict[str, int] = {}
    for kind, _ds in annotations:
        counts[kind] = counts.get(kind, 0) + 1
    planned = PlannedCase(case_id, len(images), counts)
    if dry_run:
        return planned, seen

    originals = [kos, *images, *(ds for _kind, ds in annotations)]
    matcher = matcher_for(originals)
    clean = deidentifier.deidentify(originals, matcher)
    files: dict[str, object] = {"kos.dcm": clean[0]}
    image_ids: dict[str, str] = {}  # de-identified SOP Instance UID -> image id
    skeleton_images = []
    for index, ds in enumerate(clean[1:1 + len(images)], start=1):
        image_id = f"key-{index:02d}"
        files[f"{image_id}.dcm"] = ds
        image_ids[str(ds.SOPInstanceUID)] = image_id
        skeleton_images.append(SkeletonImage(f"{image_id}.dcm", image_id))
    numbering: dict[str, int] = {}
    skeleton_notes = []
    windows: dict[str, object] = {}
    for (kind, _original), ds in zip(annotations, clean[1 + len(images):]):
        numbering[kind] = numbering.get(kind, 0) + 1
        name = f"{kind}-{numbering[kind]:02d}.dcm"
        files[name] = ds
        refs_here = referenced_instances(ds)
        for uid, image_id in image_ids.items():
            if uid in refs_here:
                skeleton_notes.append(SkeletonAnnotation(name, image_id))
                if kind == "gsps" and image_id not in windows:
                    window = _gsps_window(ds, uid)
                    if window is not None:
                        windows[image_id] = window
    skeleton_images = [SkeletonImage(img.file, img.id, windows.get(img.id) or _default_window(files[img.file]))
                       for img in skeleton_images]
    skeleton = Skeleton(case_id=case_id, history=description(clean[0]), images=skeleton_images,
                        annotations=skeleton_notes)
    case_yaml = skeleton.to_yaml()

    hits = [f"{name}: {hit}" for name, ds in files.items() for hit in audit_dataset(ds, matcher)]
    hits += [f"case.yaml: {found.tag} value" for found in matcher.find(case_yaml)]
    if hits:
        raise _CaseRefused("the de-identification check found identifying values left "
                           f"({'; '.join(hits[:5])}); nothing was written for this case")
    _write_case(cases_dir, case_id, files, case_yaml)
    return planned, seen


def _series_of(server: Server, ref: InstanceRef) -> str:
    found = server.search_instances({"SOPInstanceUID": ref.instance}, study=ref.study)
    if not found:
        raise MissingInstance("key image", (ref.study, "?", ref.instance))
    return _ref(found[0]).series


def _annotation_candidates(server: Server, studies: list[str]) -> list[tuple[InstanceRef, str]]:
    """Every GSPS, SR and SEG in the studies (QIDO-RS), in series/instance number order."""
    candidates = []
    for study in studies:
        for result in server.search_instances({}, study=study):
            kind = ANNOTATION_CLASSES.get(str((result.get(_SOP_CLASS) or {}).get("Value", [""])[0]))
            if kind is not None:
                candidates.append((_number(result, _SERIES_NUMBER), _number(result, _INSTANCE_NUMBER),
                                   _ref(result), kind))
    return [(ref, kind) for _s, _i, ref, kind in sorted(candidates, key=lambda c: (c[0], c[1], c[2].instance))]


def _annotations_of(server: Server, candidates: list[tuple[InstanceRef, str]],
                    key_uids: set[str]) -> list[tuple[str, object]]:
    """The candidates that reference a key image, retrieved (WADO-RS)."""
    found = []
    for ref, kind in candidates:
        ds = server.retrieve(ref.study, ref.series, ref.instance, what=kind.upper())
        if referenced_instances(ds) & key_uids:
            found.append((kind, ds))
    return found


def _add_new_material(server: Server, document: InstanceRef, case_id: str, cases_dir: Path,
                      deidentifier: Deidentifier, state: _State, *, dry_run: bool) -> str | None:
    """Annotations made on a case's key images since it was pulled, written beside it.

    The case's files and its case.yaml are never touched: new objects get new file names and a
    ``pulled-later*.yaml`` lists the ``annotations:`` lines to move into case.yaml. Returns what was
    added (None when nothing was). Only annotation objects not looked at before are retrieved, so a
    pull with nothing new costs one search per case.
    """
    candidates = _annotation_candidates(server, [document.study])
    seen = state.seen.get(case_id)
    if seen is None:  # a state from before this was recorded: take what is there as seen
        state.seen[case_id] = {state.digest(ref.instance) for ref, _kind in candidates}
        return None
    new = [(ref, kind) for ref, kind in candidates if state.digest(ref.instance) not in seen]
    if not new:
        return None
    kos = server.retrieve(document.study, document.series, document.instance, what="KOS")
    key_uids = [ref.instance for ref in selected_images(kos)]
    found = _annotations_of(server, new, set(key_uids))
    image_ids = [[f"key-{i:02d}" for i, uid in enumerate(key_uids, start=1) if uid in referenced_instances(ds)]
                 for _kind, ds in found]
    folder = cases_dir / case_id
    names: list[str] = []
    taken = {p.name for p in folder.iterdir()}
    for kind, _ds in found:
        number = 1
        while f"{kind}-{number:02d}.dcm" in taken:
            number += 1
        taken.add(f"{kind}-{number:02d}.dcm")
        names.append(f"{kind}-{number:02d}.dcm")
    if found and not dry_run:
        originals = [kos, *(ds for _kind, ds in found)]
        matcher = matcher_for(originals)
        clean = deidentifier.deidentify(originals, matcher)[1:]
        notes = [SkeletonAnnotation(name, image_id) for name, ids in zip(names, image_ids) for image_id in ids]
        snippet = _later_snippet(notes)
        hits = [f"{name}: {hit}" for name, ds in zip(names, clean) for hit in audit_dataset(ds, matcher)]
        hits += [f"snippet: {found.tag} value" for found in matcher.find(snippet)]
        if hits:
            raise _CaseRefused("the de-identification check found identifying values left "
                               f"({'; '.join(hits[:5])}); nothing was written")
        snippet_name = next(n for n in (f"pulled-later{'' if i == 1 else f'-{i}'}.yaml" for i in range(1, 10_000))
                            if n not in taken)
        partial = cases_dir / STATE_DIR / f"partial-{case_id}"
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        for name, ds in zip(names, clean):
            ds.save_as(partial / name, enforce_file_format=True)
        (partial / snippet_name).write_text(snippet, encoding="utf-8")
        for name in [*names, snippet_name]:  # each rename is atomic; none replaces a file of the case
            os.replace(partial / name, folder / name)
        partial.rmdir()
    if not dry_run:
        state.seen[case_id] = seen | {state.digest(ref.instance) for ref, _kind in new}
    if not found:
        return None
    return f"{case_id}: {', '.join(names)}" + ("" if dry_run else " (see pulled-later*.yaml)")


def _later_snippet(notes: list[SkeletonAnnotation]) -> str:
    lines = ["# Annotations made in the PACS after this case was pulled. `cardgen pull` never edits",
             "# case.yaml: move these lines under its `annotations:` to use them, then delete this file.",
             "annotations:"]
    lines += [f"  - {{file: {note.file}, image: {note.image}}}" for note in notes]
    return "\n".join(lines) + "\n"


def _gsps_window(ds, image_uid: str) -> dict | None:
    """The window the presentation state shows ``image_uid`` with, if it sets one."""
    for item in ds.get("SoftcopyVOILUTSequence") or []:
        refs = {str(r.ReferencedSOPInstanceUID) for r in item.get("ReferencedImageSequence") or []}
        if refs and image_uid not in refs:
            continue
        if "WindowCenter" in item and "WindowWidth" in item:
            center, width = item.WindowCenter, item.WindowWidth
            center = center[0] if item["WindowCenter"].VM > 1 else center
            width = width[0] if item["WindowWidth"].VM > 1 else width
            return {"center": float(center), "width": float(width)}
    return None


def _default_window(ds) -> object:
    """Presets by body part for CT; otherwise the file's own window if it has one, else automatic."""
    if str(ds.get("Modality", "")) == "CT":
        return _CT_WINDOWS.get(str(ds.get("BodyPartExamined", "")).upper(), ["soft_tissue"])
    if "WindowCenter" in ds and "WindowWidth" in ds:
        return "file"
    return None


def _write_case(cases_dir: Path, case_id: str, files: dict[str, object], case_yaml: str) -> None:
    """Write the case into a hidden folder, check that it loads, then rename it into place."""
    partial = cases_dir / STATE_DIR / f"partial-{case_id}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    for name, ds in files.items():
        ds.save_as(partial / name, enforce_file_format=True)
    (partial / CASE_FILE).write_text(case_yaml, encoding="utf-8")
    try:
        load_case(partial / CASE_FILE)
    except CardgenError as error:
        shutil.rmtree(partial)
        raise _CaseRefused(f"the case.yaml written for it does not load ({error}); please report this") from None
    os.replace(partial, cases_dir / case_id)


def _remove_partials(cases_dir: Path) -> None:
    """Folders a cut pull left half-written: their cases are pulled again from the start."""
    state_dir = cases_dir / STATE_DIR
    if state_dir.is_dir():
        for partial in state_dir.glob("partial-*"):
            shutil.rmtree(partial)


@dataclass
class _State:
    """The cases folder's pull state: the de-identification secret and the cases pulled so far."""

    path: Path
    secret: str
    pulled: set[str]
    seen: dict[str, set[str]] = field(default_factory=dict)  # case -> digests of annotation objects looked at

    @classmethod
    def load(cls, cases_dir: Path) -> _State:
        path = cases_dir / STATE_DIR / STATE_FILE
        if not path.exists():
            return cls(path, secrets.token_hex(32), set())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, str(data["secret"]), set(data.get("pulled", [])),
                       {case: set(digests) for case, digests in data.get("seen", {}).items()})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"cannot read the pull state ({error})", file=path,
                             hint="restore it from a backup: it holds the seed of every pseudonym; without "
                                  "it the same patients would get new pseudonyms") from None

    def digest(self, uid: str) -> str:
        """A UID as the state may keep it: an HMAC under the secret, never the UID itself."""
        return hmac.new(self.secret.encode(), uid.encode(), hashlib.sha256).hexdigest()[:20]

    def case_id(self, kos_uid: str) -> str:
        return f"pacs-{self.digest(kos_uid)[:10]}"

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": STATE_FORMAT, "secret": self.secret, "pulled": sorted(self.pulled),
                           "seen": {case: sorted(digests) for case, digests in sorted(self.seen.items())}},
                          indent=1) + "\n"
        if self.path.exists() and self.path.read_text(encoding="utf-8") == text:
            return
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, self.path)
