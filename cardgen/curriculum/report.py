"""The coverage report over a folder of cases: which topics and objectives are taught, which not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cardgen.atomic import atomic_output
from cardgen.curriculum.coverage import Coverage, compute_coverage, format_table, render_html
from cardgen.curriculum.loading import load_curriculum
from cardgen.teaching.loader import load_cases


@dataclass(frozen=True)
class CoverageReport:
    """The computed coverage and its terminal table."""

    coverage: Coverage
    table: str


def coverage_report(cases_dir: Path, curriculum_path: Path, html_out: Path | None = None,
                    *, objective_cards: bool = False) -> CoverageReport:
    """Coverage of ``curriculum_path`` by the cases under ``cases_dir``; optionally an HTML page."""
    curriculum = load_curriculum(curriculum_path)
    cases = load_cases(cases_dir)
    coverage = compute_coverage(
        curriculum,
        {case.id: list(case.topics) for case in cases},
        # The case card, a card per finding, and an Image Occlusion card per finding with shapes.
        {case.id: 1 + len(case.findings) + sum(1 for f in case.findings if f.shapes) for case in cases},
        objective_cards=objective_cards,
        source=cases_dir,
        cases_objectives={case.id: [curriculum.objective(ref, case.topics, file=case.source, field=f"objectives[{i}]")
                                    for i, ref in enumerate(case.objectives)] for case in cases},
    )
    if html_out is not None:
        with atomic_output(html_out) as temp:
            temp.write_text(render_html(coverage), encoding="utf-8")
    return CoverageReport(coverage=coverage, table=format_table(coverage))
