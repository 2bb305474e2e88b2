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

This module runs a pull; cardgen.pacs.discovery finds what to retrieve, cardgen.pacs.writing writes
the case folders and cardgen.pacs.state keeps the pull state.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import InputError
from cardgen.pacs.deidentify import DateHandling, Deidentifier, audit_dataset, matcher_for
from cardgen.pacs.discovery import annotation_candidates, annotations_of, instance_ref, series_of
from cardgen.pacs.kos import InstanceRef, referenced_instances, selected_images, title_matches
from cardgen.pacs.server import KOS_SOP_CLASS, Connection, MissingInstance, PullError, Server
from cardgen.pacs.skeleton import SkeletonAnnotation
from cardgen.pacs.state import PullState
from cardgen.pacs.writing import CaseRefused, case_files, later_snippet, remove_partials, write_beside, write_case

DEFAULT_KOS_TITLE = "For Teaching"


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


_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def _check_filters(options: PullOptions) -> None:
    """Refuse a study UID or KOS title the search cannot match, before asking the server (whose
    library otherwise blames the server's answer for the person's typo)."""
    if options.study is not None and (len(options.study) > 64 or not _UID.fullmatch(options.study)):
        raise PullError(f"--study {options.study!r}: not a Study Instance UID (digits and dots, at most 64, "
                        "e.g. 1.2.840.113619.2.55.3); copy it from the study's DICOM header or the PACS")
    if not options.kos_title.strip():
        raise PullError("--kos-title is empty: give the KOS document title that flags a teaching file "
                        f"(default {DEFAULT_KOS_TITLE!r})")


def pull_teaching_files(options: PullOptions) -> PullReport:
    """Find the teaching-file KOS documents on the server and pull each new one into a case folder."""
    cases_dir = options.cases_dir
    if cases_dir.exists() and not cases_dir.is_dir():
        raise InputError("not a folder", file=cases_dir, hint="give the folder that holds the cases")
    _check_filters(options)
    state = PullState.load(cases_dir)
    server = Server(options.connection)
    filters = {"SOPClassUID": KOS_SOP_CLASS}
    if options.since is not None:
        filters["StudyDate"] = f"{options.since:%Y%m%d}-"
    found = server.search_instances(filters, study=options.study)
    documents = sorted({instance_ref(result) for result in found}, key=lambda r: (r.study, r.series, r.instance))
    deidentifier = Deidentifier(state.secret, options.dates)
    report = PullReport()
    if not options.dry_run:
        cases_dir.mkdir(parents=True, exist_ok=True)
        remove_partials(cases_dir)
    for document in documents:
        case_id = state.case_id(document.instance)
        if (cases_dir / case_id).exists():
            report.present.append(case_id)
            try:
                added = _add_new_material(server, document, case_id, cases_dir, deidentifier, state,
                                          dry_run=options.dry_run)
            except (CaseRefused, MissingInstance) as error:
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
            if isinstance(error, PullError) and not isinstance(error, CaseRefused):
                raise  # the server or the connection: no later case would fare better
            report.failures.append(f"{case_id}: {error}")
            continue
        report.pulled.append(planned)
        if not options.dry_run:
            state.pulled.add(case_id)
            state.seen[case_id] = {state.digest(uid) for uid in seen}
            state.save()
    return report


def _pull_case(server: Server, kos, case_id: str, cases_dir: Path, deidentifier: Deidentifier, *,
               dry_run: bool) -> tuple[PlannedCase, set[str]]:
    """Pull one KOS into a new case folder; returns what it holds and the SOP Instance UIDs of every
    annotation object of its studies that was looked at (so that a later pull only looks at new ones)."""
    refs = selected_images(kos)
    if not refs:
        raise CaseRefused("the KOS selects no image; flag the key images in the viewer again")
    images = []
    for ref in refs:
        series = ref.series or series_of(server, ref)
        images.append(server.retrieve(ref.study, series, ref.instance, what="key image"))
    key_uids = [ref.instance for ref in refs]
    candidates = annotation_candidates(server, sorted({ref.study for ref in refs}))
    annotations = annotations_of(server, candidates, set(key_uids))
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
    files, case_yaml = case_files(case_id, clean, len(images), [kind for kind, _ds in annotations])

    hits = [f"{name}: {hit}" for name, ds in files.items() for hit in audit_dataset(ds, matcher)]
    hits += [f"case.yaml: {found.tag} value" for found in matcher.find(case_yaml)]
    if hits:
        raise CaseRefused("the de-identification check found identifying values left "
                          f"({'; '.join(hits[:5])}); nothing was written for this case")
    write_case(cases_dir, case_id, files, case_yaml)
    return planned, seen


def _add_new_material(server: Server, document: InstanceRef, case_id: str, cases_dir: Path,
                      deidentifier: Deidentifier, state: PullState, *, dry_run: bool) -> str | None:
    """Annotations made on a case's key images since it was pulled, written beside it.

    The case's files and its case.yaml are never touched: new objects get new file names and a
    ``pulled-later*.yaml`` lists the ``annotations:`` lines to move into case.yaml. Returns what was
    added (None when nothing was). Only annotation objects not looked at before are retrieved, so a
    pull with nothing new costs one search per case.
    """
    candidates = annotation_candidates(server, [document.study])
    seen = state.seen.get(case_id)
    if seen is None:  # a state from before this was recorded: take what is there as seen
        state.seen[case_id] = {state.digest(ref.instance) for ref, _kind in candidates}
        return None
    new = [(ref, kind) for ref, kind in candidates if state.digest(ref.instance) not in seen]
    if not new:
        return None
    kos = server.retrieve(document.study, document.series, document.instance, what="KOS")
    key_uids = [ref.instance for ref in selected_images(kos)]
    found = annotations_of(server, new, set(key_uids))
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
        snippet = later_snippet(notes)
        hits = [f"{name}: {hit}" for name, ds in zip(names, clean) for hit in audit_dataset(ds, matcher)]
        hits += [f"snippet: {found.tag} value" for found in matcher.find(snippet)]
        if hits:
            raise CaseRefused("the de-identification check found identifying values left "
                              f"({'; '.join(hits[:5])}); nothing was written")
        write_beside(cases_dir, case_id, names, clean, snippet, taken)
    if not dry_run:
        state.seen[case_id] = seen | {state.digest(ref.instance) for ref, _kind in new}
    if not found:
        return None
    return f"{case_id}: {', '.join(names)}" + ("" if dry_run else " (see pulled-later*.yaml)")
