"""Which window presets suit a CT of which body part: one table (cardgen.imaging.windows), two callers.

``cardgen new`` suggests the first preset in a new case.yaml (:func:`cardgen.teaching.skeleton.summarise`);
``cardgen pull`` writes all of them for a key image without a presentation state
(:func:`cardgen.pacs.writing.default_window`). The table below pins both for every body part either
caller listed before they shared the table, so changing one caller and not the other fails here.

Images: pydicom's CT_small.dcm (CT, 128 x 128), its Body Part Examined set here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

from cardgen.imaging.windows import CT_BODY_PART_PRESETS, PRESETS
from cardgen.pacs.writing import default_window
from cardgen.teaching.skeleton import summarise

# Body Part Examined -> the presets a pulled key image gets; a new case suggests the first.
EXPECTED = {
    "CHEST": ["lung", "mediastinum"], "THORAX": ["lung", "mediastinum"], "LUNG": ["lung", "mediastinum"],
    "HEAD": ["brain", "subdural"], "BRAIN": ["brain", "subdural"], "SKULL": ["brain", "bone"],
    "SPINE": ["bone", "soft_tissue"], "BONE": ["bone", "soft_tissue"], "EXTREMITY": ["bone", "soft_tissue"],
    "KNEE": ["bone", "soft_tissue"], "HIP": ["bone", "soft_tissue"], "SHOULDER": ["bone", "soft_tissue"],
    "ANKLE": ["bone", "soft_tissue"], "WRIST": ["bone", "soft_tissue"],
    "ABDOMEN": ["soft_tissue", "liver"], "PELVIS": ["soft_tissue"], "NECK": ["soft_tissue"],
    "LIVER": ["liver", "soft_tissue"],  # before: pull wrote these, new suggested soft_tissue
    # not in the table: words that contain one of it, and words that contain none
    "TSPINE": ["bone", "soft_tissue"], "CHESTABDOMEN": ["lung", "mediastinum"], "HEADNECK": ["brain", "subdural"],
    "FOOT": ["soft_tissue"], "": ["soft_tissue"],
}


def _ct(tmp_path: Path, body_part: str | None) -> tuple[object, Path]:
    ds = dcmread(get_testdata_file("CT_small.dcm"))
    assert ds.Modality == "CT"
    ds.pop("BodyPartExamined", None)  # CT_small.dcm has none
    if body_part is not None:
        ds.BodyPartExamined = body_part
    path = tmp_path / f"ct-{body_part or 'none'}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return dcmread(path), path


@pytest.mark.parametrize("body_part", sorted(EXPECTED))
def test_pull_and_new_choose_the_same_presets(tmp_path: Path, body_part: str) -> None:
    ds, path = _ct(tmp_path, body_part)
    assert default_window(ds) == EXPECTED[body_part]
    assert summarise(path).suggested == EXPECTED[body_part][0]


def test_a_ct_without_a_body_part_gets_soft_tissue(tmp_path: Path) -> None:
    ds, path = _ct(tmp_path, None)
    assert default_window(ds) == ["soft_tissue"]
    assert summarise(path).suggested == "soft_tissue"


def test_every_body_part_of_the_table_is_pinned_and_names_presets() -> None:
    assert set(CT_BODY_PART_PRESETS) <= set(EXPECTED)
    for names in CT_BODY_PART_PRESETS.values():
        assert names and set(names) <= set(PRESETS), names
