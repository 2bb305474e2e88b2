"""Series folders and multi-frame files become scrollable stacks in the deck."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cardgen.build import BuildOptions, build_deck
from tests.anki_helpers import import_package, media_names_in
from tests.sample_cases import CT_SMALL, write_case


def _write_series(folder: Path) -> None:
    """Three single-frame slices made from pydicom's CT_small.dcm: positions 5 mm apart, written in
    reverse file-name order so sorting by position matters, each with distinct pixels."""
    folder.mkdir(parents=True)
    source = pydicom.dcmread(CT_SMALL)
    series_uid = generate_uid()
    for index, z in enumerate([10.0, 0.0, 5.0]):
        ds = copy.deepcopy(source)
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.ImagePositionPatient = [-150.0, -150.0, z]
        ds.InstanceNumber = index + 1
        pixels = source.pixel_array.astype(np.int16) + int(z) * 20
        ds.PixelData = pixels.tobytes()
        ds.save_as(folder / f"slice-{index}.dcm")


def _write_multiframe(path: Path, frames: int = 4) -> None:
    """A multi-frame CT from CT_small.dcm: the same slice brightened frame by frame."""
    ds = pydicom.dcmread(CT_SMALL)
    stack = np.stack([ds.pixel_array.astype(np.int16) + 40 * i for i in range(frames)])
    ds.NumberOfFrames = frames
    ds.PixelData = stack.tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)


CASE = """\
id: stacks-1
title: Stacks
history: Scroll through the images.
images:
  - file: series
    id: series
    window: bone
  - file: cine.dcm
    id: cine
    frames: "0-3"
    frame: 1
    window: soft_tissue
findings:
  - text: Vertebral body on the key slice
    image: series
    shapes: [{kind: ellipse, x: 42, y: 4, width: 40, height: 38}]
"""


def _imported_stacks_note(tmp_path: Path, collection):
    """The case note of the stacks case, built and imported into ``collection``."""
    case_dir = write_case(tmp_path / "cases", "stacks", CASE, image=None)
    _write_series(case_dir / "series")
    _write_multiframe(case_dir / "cine.dcm")
    out = tmp_path / "stacks.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)
    return collection.get_note(collection.find_notes("CaseId:stacks-1")[0])


def test_series_and_multiframe_stacks_reach_the_collection(tmp_path: Path, collection) -> None:
    note = _imported_stacks_note(tmp_path, collection)
    question = note.cards()[0].question()
    media_dir = Path(collection.media.dir())
    frame_names = [n for n in media_names_in(note["Images"])]
    # Each stack: a key image (the fallback without scripts) and one image per frame.
    assert note["Images"].count('class="cg-figure cg-stack"') == 2
    assert note["Images"].count("cg-stack-key") == 2
    assert note["Images"].count('class="cg-stack-frame"') == 3 + 4
    assert all((media_dir / name).is_file() for name in frame_names)
    # Every slice and every frame is a different picture, so a different media file.
    assert len(set(frame_names)) == 3 + 4
    assert "cg-stack-frame" in question and "<script>" in question
    assert "7 images" not in question and "3 images" in question and "4 images" in question


def test_series_slices_are_ordered_by_position(tmp_path: Path, collection) -> None:
    """The middle slice by position (z = 5) is the key image, not the middle file name."""
    html = _imported_stacks_note(tmp_path, collection)["Images"]
    first_stack = html.split("</figure>")[0]
    names = media_names_in(first_stack)
    key, frames = names[0], names[1:]
    assert frames.index(key) == 1  # positions 0, 5, 10: the key (middle) is second
    frame_tags = re.findall(r"<img [^>]*cg-stack-frame[^>]*>", first_stack)
    assert [('data-key="1"' in tag) for tag in frame_tags] == [False, True, False]
    assert f'src="{key}"' in frame_tags[1]
