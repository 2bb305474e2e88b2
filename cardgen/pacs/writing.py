"""Writing pulled cases: a new case's files and case.yaml skeleton, written into a hidden folder and
renamed into place whole (or not at all); annotation objects found later, written beside a case.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cardgen.errors import CardgenError, InputError
from cardgen.imaging.display import default_window_name, file_vois, frame_attributes
from cardgen.imaging.windows import ct_presets
from cardgen.pacs.kos import description, referenced_instances
from cardgen.pacs.server import PullError
from cardgen.pacs.skeleton import Skeleton, SkeletonAnnotation, SkeletonImage
from cardgen.pacs.state import STATE_DIR
from cardgen.teaching.loader import load_case
from cardgen.teaching.paths import CASE_FILE


class CaseRefused(PullError):
    """This case cannot be written (the de-identification check failed); others may still be."""


def case_files(case_id: str, clean: list, n_images: int, kinds: list[str]) -> tuple[dict[str, object], str]:
    """The files of a new case ({file name: dataset}) and its case.yaml, from its de-identified KOS,
    ``n_images`` key images and annotation objects of ``kinds`` (in that order in ``clean``)."""
    files: dict[str, object] = {"kos.dcm": clean[0]}
    image_ids: dict[str, str] = {}  # de-identified SOP Instance UID -> image id
    skeleton_images = []
    for index, ds in enumerate(clean[1:1 + n_images], start=1):
        image_id = f"key-{index:02d}"
        files[f"{image_id}.dcm"] = ds
        image_ids[str(ds.SOPInstanceUID)] = image_id
        skeleton_images.append(SkeletonImage(f"{image_id}.dcm", image_id))
    numbering: dict[str, int] = {}
    skeleton_notes = []
    windows: dict[str, object] = {}
    for kind, ds in zip(kinds, clean[1 + n_images:]):
        numbering[kind] = numbering.get(kind, 0) + 1
        name = f"{kind}-{numbering[kind]:02d}.dcm"
        files[name] = ds
        refs_here = referenced_instances(ds)
        for uid, image_id in image_ids.items():
            if uid in refs_here:
                skeleton_notes.append(SkeletonAnnotation(name, image_id))
                if kind == "gsps" and image_id not in windows:
                    window = gsps_window(ds, uid)
                    if window is not None:
                        windows[image_id] = window
    skeleton_images = [SkeletonImage(img.file, img.id, windows.get(img.id) or default_window(files[img.file]))
                       for img in skeleton_images]
    skeleton = Skeleton(case_id=case_id, history=description(clean[0]), images=skeleton_images,
                        annotations=skeleton_notes)
    case_yaml = skeleton.to_yaml()
    return files, case_yaml


def gsps_window(ds, image_uid: str) -> dict | None:
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


def default_window(ds) -> object:
    """Presets by body part for CT; otherwise the file's first window that can be drawn, if it has one
    (a width of 0 draws nothing: :func:`cardgen.imaging.display.default_window_name`), else automatic."""
    if str(ds.get("Modality", "")) == "CT":
        return list(ct_presets(str(ds.get("BodyPartExamined", ""))))
    if "WindowCenter" in ds and "WindowWidth" in ds:
        try:
            return default_window_name(file_vois(frame_attributes(ds, 0)))
        except InputError:
            return "file"  # the build says what is wrong with it
    return None


def write_case(cases_dir: Path, case_id: str, files: dict[str, object], case_yaml: str) -> None:
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
        raise CaseRefused(f"the case.yaml written for it does not load ({error}); please report this") from None
    os.replace(partial, cases_dir / case_id)


def remove_partials(cases_dir: Path) -> None:
    """Folders a cut pull left half-written: their cases are pulled again from the start."""
    state_dir = cases_dir / STATE_DIR
    if state_dir.is_dir():
        for partial in state_dir.glob("partial-*"):
            shutil.rmtree(partial)


def later_snippet(notes: list[SkeletonAnnotation]) -> str:
    lines = ["# Annotations made in the PACS after this case was pulled. `cardgen pull` never edits",
             "# case.yaml: move these lines under its `annotations:` to use them, then delete this file.",
             "annotations:"]
    lines += [f"  - {{file: {note.file}, image: {note.image}}}" for note in notes]
    return "\n".join(lines) + "\n"


def write_beside(cases_dir: Path, case_id: str, names: list[str], clean: list, snippet: str,
                 taken: set[str]) -> None:
    """Write annotation objects found later (``names``: their new file names) and the snippet that lists
    them beside the case: into a hidden folder first, then each renamed in; no file of the case is
    replaced (``taken``: the names in the case folder)."""
    folder = cases_dir / case_id
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
