"""Output options and overlays through `cardgen build`, checked in the real Anki backend."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from cardgen.build import BuildOptions, build_deck
from cardgen.build.workers import workers
from cardgen.imaging.encode import OutputFormat
from cardgen.imaging.render import OutputOptions
from tests.anki_helpers import import_package, media_names_in
from tests.sample_cases import GOOD_CASE, write_case

# pydicom's examples_overlay.dcm: a 484 x 300 MR slice with a 60xx overlay.
OVERLAY_MR = Path(get_testdata_file("examples_overlay.dcm"))

OVERLAY_CASE = """\
id: overlay-{overlays}
title: Overlay
images:
  - file: mr.dcm
    overlays: {overlays}
    burned_in: reviewed
"""


def _images_of(collection, search: str, field: str) -> list[Image.Image]:
    note = collection.get_note(collection.find_notes(search)[0])
    media = Path(collection.media.dir())
    return [Image.open(media / name) for name in media_names_in(note[field])]


def test_overlays_are_drawn_when_asked(tmp_path: Path, collection) -> None:
    for flag in ("false", "true"):
        write_case(tmp_path / f"cases-{flag}", "c", OVERLAY_CASE.format(overlays=flag), image=OVERLAY_MR,
                   image_name="mr.dcm")
        build_deck(BuildOptions(cases_dir=tmp_path / f"cases-{flag}", out=tmp_path / f"{flag}.apkg",
                                deck_name=f"overlays {flag}"))
        import_package(collection, tmp_path / f"{flag}.apkg")
    plain, drawn = (np.asarray(_images_of(collection, f"CaseId:overlay-{flag}", "Images")[0]
                               .convert("L"), dtype=int) for flag in ("false", "true"))
    overlay = pydicom.dcmread(OVERLAY_MR).overlay_array(0x6000).astype(bool)
    # Rendered at twice the source size (bicubic): overlay pixels turn bright, pixels a few pixels
    # away from any overlay pixel stay exactly as they were.
    enlarged = np.kron(overlay, np.ones((2, 2), dtype=bool))
    near = enlarged.copy()
    for dy in range(-4, 5):
        for dx in range(-4, 5):
            near |= np.roll(np.roll(enlarged, dy, axis=0), dx, axis=1)
    assert drawn[enlarged].mean() - plain[enlarged].mean() > 60
    assert np.array_equal(drawn[~near], plain[~near])


@pytest.mark.parametrize("fmt", [OutputFormat.JPEG, OutputFormat.WEBP])
def test_jpeg_and_webp_output_with_a_size_limit(tmp_path: Path, collection, fmt: OutputFormat) -> None:
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1"))
    out = tmp_path / "out.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out,
                            output=OutputOptions(format=fmt, quality=80, max_side=256)))
    import_package(collection, out)
    images = _images_of(collection, "CaseId:a-1", "Images") + _images_of(collection, "CaseId:a-1", "AnnotatedImages")
    assert images
    for image in images:
        assert image.format == ("JPEG" if fmt is OutputFormat.JPEG else "WEBP")
        assert max(image.size) == 256  # CT_small (128) enlarged only up to the limit
        assert not image.info.get("exif") and not image.info.get("icc_profile")


def _process_id(_item: int) -> int:
    return os.getpid()


def test_jobs_beyond_the_cases_start_no_more_processes_than_cases(tmp_path: Path) -> None:
    """``--jobs 5000`` on a folder of 3 cases forked 5000 workers (8 minutes on 2 cores)."""
    with workers(5000, tmp_path, None) as pool:
        pool.limit(3)
        used = set(pool.map(_process_id, list(range(30))))
        assert len(multiprocessing.active_children()) == 3
    assert len(used) <= 3 and os.getpid() not in used
