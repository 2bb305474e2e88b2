"""Small cases written by tests, from DICOM files inside the pydicom wheel."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydicom.data import get_testdata_file

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CASES = REPO / "decks" / "sample" / "cases"
SAMPLE_CURRICULUM = REPO / "decks" / "curricula" / "esr-level1.yaml"

# pydicom's CT_small.dcm: a 128 x 128 axial CT slice through a thoracic vertebra.
CT_SMALL = Path(get_testdata_file("CT_small.dcm"))

GOOD_CASE = """\
id: {case_id}
title: Vertebral body
history: Test history.
diagnosis: Normal vertebra
topics: [msk.spine]
difficulty: easy
images:
  - file: ct.dcm
    id: axial
    window: bone
findings:
  - text: Vertebral body
    image: axial
    shapes:
      - {{kind: ellipse, x: 42, y: 4, width: 40, height: 38}}
"""


def write_case(root: Path, folder: str, text: str, *, image: Path | None = CT_SMALL,
               image_name: str = "ct.dcm") -> Path:
    """A case folder under ``root`` with ``case.yaml`` = ``text`` and one image copied in."""
    case_dir = root / folder
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / "case.yaml").write_text(text, encoding="utf-8")
    if image is not None:
        shutil.copyfile(image, case_dir / image_name)
    return case_dir


PRIORS = ("hard", "medium", "easy")


def case_with_prior(case_id: str, prior: str) -> str:
    """GOOD_CASE with id ``case_id`` and ``difficulty: prior``."""
    return GOOD_CASE.format(case_id=case_id).replace("difficulty: easy", f"difficulty: {prior}")


def write_cases_with_priors(root: Path, count: int = 3) -> Path:
    """``count`` cases in ``root/cases`` (folders c0, c1, ..., ids case-0, case-1, ...) whose priors are
    hard, medium, easy in turn; returns the cases folder."""
    cases = root / "cases"
    for index in range(count):
        write_case(cases, f"c{index}", case_with_prior(f"case-{index}", PRIORS[index % len(PRIORS)]))
    return cases
