"""``cardgen check``: every problem of every case at once, nothing written.

The checks are the build's own: each case file is read by the same loader (unknown keys with the
nearest known key, every field, image, finding and shape), its topics are looked up in the
curriculum, and its images are opened as the build opens them (files, frames, annotation objects,
shapes and masks on the image, burned-in text, windows) and each DICOM image's key frame decoded,
without rendering anything. Each problem names the file, line and column, field, value and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cardgen.build.checks import check_case_images, check_case_display, check_topics
from cardgen.confine import confined_to
from cardgen.curriculum import Curriculum, load_curriculum
from cardgen.errors import InputError, each_error
from cardgen.teaching.loader import find_case_files, load_cases
from cardgen.yamlmarks import locate_all


@dataclass
class CheckReport:
    """What :func:`check_cases` found: how many case files, how many are good, and each problem
    (ordered by file, line and column)."""

    case_files: int = 0
    good: int = 0
    problems: list[InputError] = field(default_factory=list)

    @property
    def files_with_problems(self) -> int:
        return len({str(problem.file) for problem in self.problems if problem.file is not None})

    def summary(self) -> str:
        if not self.problems:
            return f"{self.case_files} case(s) checked: no problems"
        bad = self.case_files - self.good
        return (f"{self.case_files} case(s) checked: {self.good} good, {bad} with problems; "
                f"{len(self.problems)} problem(s)")


def check_cases(cases_dir: Path, curriculum_path: Path | None = None, *, images: bool = True) -> CheckReport:
    """Check every case under ``cases_dir`` (and the curriculum, if given) and report every problem.

    ``images=False`` skips opening the images (only the case files and topics are checked).
    Raises :class:`InputError` only when there is nothing to check (no such folder, no case file).
    """
    case_files = find_case_files(cases_dir)
    report = CheckReport(case_files=len(case_files))
    problems: list[InputError] = []
    curriculum: Curriculum | None = None
    if curriculum_path is not None:
        try:
            curriculum = load_curriculum(curriculum_path)
        except InputError as error:
            problems += each_error(error)
    cases = load_cases(cases_dir, on_error=problems.append, case_files=case_files)
    for case in cases:
        case_problems: list[InputError] = []
        if curriculum is not None:
            try:
                check_topics(case, curriculum)
            except InputError as error:
                case_problems += each_error(error)
        if images:
            try:
                with confined_to(case.folder):  # as the build reads them: a link out of the folder is refused
                    check_case_display(check_case_images(case))
            except InputError as error:
                case_problems += each_error(error)
        if not case_problems:
            report.good += 1
        problems += case_problems
    located = locate_all(problems)
    located.sort(key=lambda e: (str(e.file) if e.file else "", e.line or 0, e.column or 0))
    report.problems = located
    return report
