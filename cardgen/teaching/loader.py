"""Reading teaching cases: every ``case.yaml`` under a folder, parsed and validated.

Each case folder holds a ``case.yaml`` and the files it names. Everything read here is checked
and converted (strings to enums, window names to windows, file names to paths inside the case
folder); a problem becomes an :class:`InputError` that names the file, the field and the value.
This module finds the case files and reads each case as a whole; cardgen.teaching.fields reads
typed fields, cardgen.teaching.images an image entry, cardgen.teaching.findings the findings, their
shapes and the annotation files.
"""

from __future__ import annotations

import os

import unicodedata
from pathlib import Path
from typing import Callable

from cardgen.errors import InputError
from cardgen.tags import CASE_PREFIX, case_tag_word
from cardgen.teaching.case import Case, CaseId, Difficulty, OcclusionMode
from cardgen.teaching.fields import Fields, Problems, check_unique
from cardgen.teaching.findings import read_annotation_file, read_finding
from cardgen.teaching.images import read_image
from cardgen.teaching.paths import CASE_FILE
from cardgen.teaching.spec import CASE
from cardgen.yamlio import load_yaml_file
from cardgen.yamlspec import unknown_keys


def find_case_files(cases_dir: Path) -> list[Path]:
    """Every ``case.yaml`` under ``cases_dir``, at any depth, in a stable order."""
    if not cases_dir.is_dir():
        raise InputError("not a folder of cases", file=cases_dir,
                         hint="give the folder that holds one sub-folder per case")
    # a folder that cannot be listed would otherwise be skipped without a word, and its cases with it
    unreadable: list[OSError] = []
    for _ in os.walk(cases_dir, onerror=unreadable.append):
        pass
    if unreadable:
        error = unreadable[0]
        raise InputError(f"cannot read the folder: {error.strerror or error}", file=error.filename or cases_dir,
                         hint="make it readable (chmod u+rx), or move it out of the cases folder")
    found = sorted(cases_dir.rglob(CASE_FILE), key=lambda p: p.relative_to(cases_dir).as_posix())
    if not found:
        raise InputError(f"no {CASE_FILE} found", file=cases_dir,
                         hint=f"each case is a folder with a {CASE_FILE}")
    return found


def load_case(case_file: Path) -> Case:
    """Parse and validate one ``case.yaml``.

    Every problem of the file is found in one reading: unknown keys (with the nearest known key),
    then each field, image, finding and shape on its own. One problem raises an :class:`InputError`,
    several an :class:`InputErrors` listing each.
    """
    data = load_yaml_file(case_file)
    if data is None:
        raise InputError("the file is empty", file=case_file,
                         hint="a case needs at least 'id:', 'title:' and 'images:'")
    if not isinstance(data, dict):
        raise InputError("a case is a mapping of fields (id, title, images, ...)", file=case_file,
                         value=type(data).__name__)
    problems = Problems(unknown_keys(data, CASE, file=case_file))
    attempt = problems.attempt
    reader = Fields(data, case_file)
    folder = case_file.parent
    case_id = attempt(_case_id, reader, case_file)
    title = attempt(reader.text, "title", required=True)
    image_items = attempt(reader.list, "images") or []
    if not image_items and isinstance(data.get("images"), (list, type(None))):  # absent or empty, not mistyped
        # cardgen's cards are image cards; a case without one would build a card with nothing to read
        problems.errors.append(InputError("the case has no images", file=case_file, field="images",
                                hint="list the case's image files under 'images:' (a file name per line, "
                                     "e.g. '- ct.dcm'); text alone belongs to --objective-cards"))
    read_images = [attempt(read_image, item, f"images[{i}]", folder, case_file, case_burned_in=data.get("burned_in"))
                   for i, item in enumerate(image_items)]
    images = tuple(image for image in read_images if image is not None)
    attempt(check_unique, [img.id for img in images], "images", "id", case_file)
    # Names of images that could not be read count as known: a finding on one is not a second problem.
    image_ids = {img.id for img in images} | {img.path.name for img in images} | {
        str(name) for item, image in zip(image_items, read_images) if image is None
        for name in ((item.get("id"), item.get("file")) if isinstance(item, dict) else (item,)) if name}
    findings = tuple(finding for i, item in enumerate(attempt(reader.list, "findings") or [])
                     if (finding := attempt(read_finding, item, f"findings[{i}]", images, image_ids, case_file))
                     is not None)
    annotation_files = tuple(
        annotation for i, item in enumerate(attempt(reader.list, "annotations") or [])
        if (annotation := attempt(read_annotation_file, item, f"annotations[{i}]", folder, images, image_ids,
                                  case_file)) is not None)
    fields = {name: attempt(read) for name, read in (
        ("history", lambda: reader.text("history")),
        ("diagnosis", lambda: reader.text("diagnosis")),
        ("topics", lambda: tuple(_topic_ids(reader.text_list("topics"), case_file))),
        ("objectives", lambda: tuple(_objective_refs(data.get("objectives"), case_file))),
        ("difficulty", lambda: reader.enum("difficulty", Difficulty)),
        ("differential", lambda: tuple(reader.text_list("differential"))),
        ("teaching_points", lambda: tuple(reader.text_list("teaching_points"))),
        ("occlusion", lambda: reader.enum("occlusion", OcclusionMode)),
        ("author", lambda: reader.text("author")),
        ("references", lambda: tuple(reader.text_list("references"))),
        ("not_identifying", lambda: tuple(reader.text_list("not_identifying"))),
    )}
    problems.raise_any()
    known = {key.name for key in CASE.keys}
    return Case(
        id=CaseId(case_id),
        title=title,
        folder=folder,
        source=case_file,
        history=fields["history"],
        diagnosis=fields["diagnosis"],
        topics=fields["topics"],
        objectives=fields["objectives"],
        difficulty=fields["difficulty"],
        images=images,
        findings=findings,
        differential=fields["differential"],
        teaching_points=fields["teaching_points"],
        occlusion=fields["occlusion"],
        annotation_files=annotation_files,
        not_identifying=fields["not_identifying"],
        extra={k: v for k, v in data.items() if k not in known},
    )


def _case_id(reader: Fields, case_file: Path) -> str:
    case_id = reader.text("id", required=True)
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in case_id) or "::" in case_id:
        raise InputError("a case id may not contain spaces, invisible characters or '::'", file=case_file,
                         field="id", value=case_id, hint="use letters, digits, dots and dashes, e.g. chest-001")
    return case_id


def load_cases(cases_dir: Path, *, on_error: Callable[[InputError], None] | None = None,
               load: Callable[[Path], Case] = load_case, case_files: list[Path] | None = None) -> list[Case]:
    """Every case under ``cases_dir``; duplicate ids are an error naming both files.

    With ``on_error``, a broken case is passed to it and skipped; without, the first error is raised.
    ``load`` parses one case file (the build passes one that remembers unchanged cases);
    ``case_files`` is :func:`find_case_files` of ``cases_dir`` when the caller has it already.
    """
    cases: list[Case] = []
    first_seen: dict[str, tuple[Path, str]] = {}  # by the case tag word each id gives
    for case_file in case_files if case_files is not None else find_case_files(cases_dir):
        try:
            case = load(case_file)
            word = case_tag_word(case.id)
            if word in first_seen:
                other_file, other_id = first_seen[word]
                same = "duplicate case id" if other_id == case.id else (
                    f"case id gives the same tag {CASE_PREFIX}{word} as {other_id!r}")
                raise InputError(f"{same}, also used by {other_file}",
                                 file=case_file, field="id", value=case.id,
                                 hint="case ids are the notes' identity and tag (compared without letter "
                                 "case, other characters than letters, digits, '.', '-' and '_' count as '_'): "
                                 "give each case its own")
        except InputError as error:
            if on_error is None:
                raise
            on_error(error)
            continue
        first_seen[word] = (case_file, case.id)
        cases.append(case)
    return cases


def _objective_refs(value: object, file: Path) -> list[int | str]:
    """``objectives:``: numbers from 1 or texts (checked against the curriculum by the build and check)."""
    items = [] if value is None else value if isinstance(value, list) else [value]
    refs: list[int | str] = []
    for i, item in enumerate(items):
        if isinstance(item, int) and not isinstance(item, bool) and item >= 1:
            refs.append(item)
        elif isinstance(item, str) and item.strip():
            refs.append(item.strip())
        else:
            raise InputError("an objective is its number (from 1), 'topic.id#N' or its text", file=file,
                             field=f"objectives[{i}]", value=item, hint="e.g. objectives: [1, chest.pleura#2]")
    return refs


def _topic_ids(topics: list[str], file: Path) -> list[str]:
    """Topic ids become tags (``cardgen::topic::a::b``) and sub-deck names: no spaces."""
    for i, topic in enumerate(topics):
        if any(ch.isspace() for ch in topic) or "::" in topic or "" in topic.split("."):
            raise InputError("a topic id may not contain spaces, '::' or empty parts between dots", file=file,
                             field=f"topics[{i}]", value=topic, hint="topic ids are dotted words, e.g. chest.nodules")
    return topics
