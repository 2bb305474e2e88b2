"""Series folders, frame selection and window choices as a case writes them.

Test data: the dicomdirtests folders inside the pydicom wheel (real small CT/MR series: one whose
Instance Numbers run against the slice position, one that mixes two series, one radial localizer
with seven orientations), and 3-slice series this test writes from CT_small.dcm (pydicom wheel).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.data import get_testdata_file

from cardgen.errors import InputError
from cardgen.imaging.frames import FrameSelection, parse_frames
from cardgen.imaging.series import series_files
from cardgen.imaging.windows import FileWindow, VoiFunction, Window, parse_window, parse_windows, PRESETS

DICOMDIR_TESTS = Path(pydicom.data.__file__).parent / "test_files" / "dicomdirtests"


def test_series_is_ordered_along_the_normal_not_by_instance_number():
    # CT5N: axial (normal +z), Instance Numbers 6..10 run from z = 8.76 down to z = -1.24.
    folder = DICOMDIR_TESTS / "98892001" / "CT5N"
    order = [p.name for p in series_files(folder)]
    assert order == ["3353", "3023", "2693", "2392", "2062"]
    positions = [float(pydicom.dcmread(folder / name).ImagePositionPatient[2]) for name in order]
    assert positions == sorted(positions)


def test_a_folder_with_two_series_is_refused():
    with pytest.raises(InputError) as caught:
        series_files(DICOMDIR_TESTS / "98892003" / "MR2")
    message = str(caught.value)
    # Three Series Instance UIDs, all with Series Number 2: the files tell them apart.
    assert "mixes 3 series" in message and "15970; Series Number 2: 4950, 4981, 5011;" in message
    assert "1.3.6.1" not in message  # UIDs are identifiers: never in messages


def test_a_folder_with_several_orientations_is_refused():
    with pytest.raises(InputError, match="different orientations"):
        series_files(DICOMDIR_TESTS / "98892003" / "MR700")


def _slice(folder: Path, name: str, z: float, instance: int, **changes) -> None:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.ImagePositionPatient = [0.0, 0.0, z]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.InstanceNumber = instance
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    ds.save_as(folder / name)


def test_three_slice_series_with_ties_broken_by_instance_number(tmp_path):
    # File names, instance numbers and positions deliberately disagree.
    _slice(tmp_path, "a.dcm", z=10.0, instance=1)
    _slice(tmp_path, "b.dcm", z=-5.0, instance=3)
    _slice(tmp_path, "c.dcm", z=-5.0, instance=2)
    (tmp_path / ".DS_Store").write_bytes(b"hidden files are skipped")
    assert [p.name for p in series_files(tmp_path)] == ["c.dcm", "b.dcm", "a.dcm"]


def test_series_without_geometry_is_ordered_by_instance_number(tmp_path):
    for name, instance in [("x.dcm", 3), ("y.dcm", 1), ("z.dcm", 2)]:
        _slice(tmp_path, name, z=0.0, instance=instance)
        ds = pydicom.dcmread(tmp_path / name)
        del ds.ImagePositionPatient
        ds.save_as(tmp_path / name)
    assert [p.name for p in series_files(tmp_path)] == ["y.dcm", "z.dcm", "x.dcm"]


def test_series_folder_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="holds no files"):
        series_files(tmp_path)
    _slice(tmp_path, "a.dcm", z=0.0, instance=1)
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(InputError, match="notes.txt: not a DICOM file"):
        series_files(tmp_path)
    (tmp_path / "notes.txt").unlink()
    shutil.copy(get_testdata_file("rtdose.dcm"), tmp_path / "dose.dcm")
    with pytest.raises(InputError, match="dose.dcm: a series folder holds single-frame slices"):
        series_files(tmp_path)
    (tmp_path / "dose.dcm").unlink()
    shutil.copy(get_testdata_file("rtplan.dcm"), tmp_path / "plan.dcm")
    with pytest.raises(InputError, match="plan.dcm: the file in a series folder is not an image"):
        series_files(tmp_path)


def test_slices_of_different_sizes_are_refused(tmp_path):
    _slice(tmp_path, "a.dcm", z=0.0, instance=1)
    _slice(tmp_path, "b.dcm", z=1.0, instance=2, Rows=64)
    with pytest.raises(InputError, match="different sizes"):
        series_files(tmp_path)


# --- frames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("frame, frames, expected", [
    (None, None, (0,)), (3, None, (3,)), (None, "0-9", tuple(range(10))), (None, [2, 5], (2, 5)),
    (None, "0-2, 7, 9-10", (0, 1, 2, 7, 9, 10)), (None, 4, (4,)), (None, ["1", 0], (1, 0)),
])
def test_frame_selections(frame, frames, expected):
    assert parse_frames(frame, frames).resolve(20) == expected


def test_all_frames():
    selection = parse_frames(None, "all")
    assert selection == FrameSelection(None) and selection.resolve(4) == (0, 1, 2, 3)


@pytest.mark.parametrize("frame, frames, words", [
    (1, "0-2", "either frame or frames"), (None, "5-2", "runs backwards"), (None, "a-b", "cannot read 'a-b'"),
    (-1, None, "negative"), (None, [], "empty"), (None, [1, 1], "listed twice"), (2.5, None, "whole number"),
    (None, True, "frames must be"),
])
def test_bad_frame_values(frame, frames, words):
    with pytest.raises(InputError, match=words):
        parse_frames(frame, frames, file="case.yaml", field_prefix="images[0]")


def test_frames_beyond_the_file():
    with pytest.raises(InputError, match="frame 10 does not exist; there are 10"):
        parse_frames(None, "8-12").resolve(10, file="ct.dcm")


# --- windows --------------------------------------------------------------------------------------


def test_window_list_of_presets():
    assert parse_windows(["lung", "Mediastinum"]) == (PRESETS["lung"], PRESETS["mediastinum"])
    assert parse_windows("soft tissue") == (PRESETS["soft_tissue"],)
    assert parse_windows(None) == (None,)


@pytest.mark.parametrize("value, expected", [
    ({"center": 40, "width": 400}, Window(40, 400)),
    ({"level": -600, "width": 1500, "function": "sigmoid"}, Window(-600, 1500, function=VoiFunction.SIGMOID)),
    ("file", FileWindow(0)), ("file 2", FileWindow(1)), ("FILE:3", FileWindow(2)),
])
def test_window_values(value, expected):
    assert parse_window(value) == expected


@pytest.mark.parametrize("value, words", [
    ("lungs", "'lungs' is not a preset .*did you mean 'lung'\\? use one of bone, brain"), ({"center": 40}, "needs both"),
    ({"center": "x", "width": 4}, "must be numbers"), ({"center": 4, "width": 0}, "above 0"),
    ({"center": 4, "width": 4, "gamma": 2}, "unknown window key"), ([], "empty"), ("file 0", "from 1"),
    ({"center": 4, "width": 4, "function": "cubic"}, "unknown VOI LUT function"), (7, "preset name"),
])
def test_bad_window_values(value, words):
    with pytest.raises(InputError, match=words) as caught:
        parse_windows(value, file="case.yaml", field="images[0].window")
    assert "case.yaml" in str(caught.value)


def test_preset_numbers_are_the_documented_ones():
    numbers = {name: (w.width, w.center) for name, w in PRESETS.items()}
    assert numbers == {"soft_tissue": (400, 40), "lung": (1500, -600), "mediastinum": (350, 50),
                       "liver": (150, 90), "bone": (2500, 480), "brain": (80, 40),
                       "subdural": (200, 75), "stroke": (8, 32)}
    assert PRESETS["lung"].label == "lung (W 1500 / L -600)"


def test_geometry_written_with_another_number_of_values_is_unknown_not_an_error(tmp_path, collection):
    """Found by mutating the sample cases' DICOM headers: Image Orientation (Patient) written with one
    value (pydicom then gives a number, not a list) was a TypeError traceback in `check` and `build`.
    Geometry with the wrong number of values, or a value that is no finite number, is unknown; the
    image still builds. Test data: CT_small.dcm (pydicom wheel) with its geometry rewritten."""
    from click.testing import CliRunner

    from cardgen.cli import main
    from cardgen.imaging.elements import fixed_numbers
    from tests.anki_helpers import import_package
    from tests.sample_cases import GOOD_CASE

    assert fixed_numbers(pydicom.valuerep.DSfloat("1e-300"), 6) is None
    assert fixed_numbers(pydicom.valuerep.DSfloat("2.5"), 1) == (2.5,)
    assert fixed_numbers(["1", "0", "0", "0", "1", "0"], 6) == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    assert fixed_numbers([1.0, float("nan")], 2) is None and fixed_numbers("abc", 1) is None

    for index, (orientation, spacing, position) in enumerate([("1e-300", "0.5", ["0", "0"]),
                                                              ([0, 0, 0, 0, 0, 0], ["0.5", "0.5"], [0, 0, 0])]):
        case_dir = tmp_path / "cases" / f"g{index}"
        case_dir.mkdir(parents=True)
        (case_dir / "case.yaml").write_text(GOOD_CASE.format(case_id=f"g-{index}"), encoding="utf-8")
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.ImageOrientationPatient, ds.PixelSpacing, ds.ImagePositionPatient = orientation, spacing, position
        ds.save_as(case_dir / "ct.dcm", enforce_file_format=True)
    checked = CliRunner().invoke(main, ["check", str(tmp_path / "cases")])
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "g.apkg"
    built = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(out), "--no-cache"])
    assert built.exit_code == 0, built.output
    import_package(collection, out)
    assert len(collection.find_notes("tag:cardgen::case::g-0")) and len(collection.find_notes("tag:cardgen::case::g-1"))
