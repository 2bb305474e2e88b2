"""``cardgen new``: a case skeleton filled from its image, every field commented, that ``cardgen check``
refuses until the TODO lines are filled and accepts once they are (then it builds).

Images: pydicom's CT_small.dcm (CT, 128 x 128, one frame), examples_ybr_color.dcm (US, 320 x 240, 30
frames), and a PNG written by Pillow here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pydicom.data import get_testdata_file

from cardgen.check import check_cases
from cardgen.cli import main
from cardgen.teaching.spec import CASE, FINDING, IMAGE

FILLED = {
    "title: \"\"": "title: Vertebral body",
    "history: \"\"": "history: 50-year-old, back pain.",
    "diagnosis: \"\"": "diagnosis: Normal vertebra",
    "- text: \"\"": "- text: Vertebral body",
    "label: \"\"": "label: VB",
}


def _fill(text: str, *, reviewed: bool = False) -> str:
    for old, new in FILLED.items():
        text = re.sub(re.escape(old) + r"  # TODO.*", new, text)
    if reviewed:
        text = re.sub(r"# burned_in: reviewed  # TODO.*", "burned_in: reviewed", text)
    return text


def _new(tmp_path: Path, image: Path, name: str = "case-a") -> Path:
    result = CliRunner().invoke(main, ["new", str(tmp_path / "cases" / name), "--image", str(image)])
    assert result.exit_code == 0, result.output
    return tmp_path / "cases" / name / "case.yaml"


def test_skeleton_from_a_ct_is_filled_from_the_image_and_commented(tmp_path: Path) -> None:
    case_file = _new(tmp_path, Path(get_testdata_file("CT_small.dcm")), "chest 1")
    text = case_file.read_text(encoding="utf-8")
    assert (case_file.parent / "CT_small.dcm").is_file()
    assert "id: chest-1\n" in text  # a valid id from the folder's name
    assert "CT, 128 x 128 pixels, 1 frame" in text
    assert "window: soft_tissue  # suggested for CT" in text
    assert "# burned_in: reviewed\n" in text  # a CT that says NO burned-in text: nothing to review
    assert "yaml-language-server: $schema=" in text.splitlines()[0]
    for mapping, names in ((CASE, ["id", "title", "history", "diagnosis", "topics", "difficulty", "images",
                                   "findings", "differential", "teaching_points"]),
                           (IMAGE, ["file", "id", "window", "burned_in"]), (FINDING, ["text", "image", "label", "shapes"])):
        for name in names:
            assert f"# {mapping.key(name).doc.split()[0]}" in text, name

    # Unfilled, check points at each TODO that matters, by line.
    report = check_cases(tmp_path / "cases")
    problems = [str(p) for p in report.problems]
    assert [p.split(": ")[1] for p in problems] == ["title", "findings[0].text"], problems
    assert all(re.search(r"case.yaml:\d+:\d+: ", p) and "may not be empty" in p for p in problems)

    # Filled, it passes the check and builds.
    case_file.write_text(_fill(text), encoding="utf-8")
    assert check_cases(tmp_path / "cases").problems == []
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "d.apkg"), "--no-cache"])
    assert result.exit_code == 0 and "1 cases, 3 cards" in result.output, result.output


def test_multiframe_skeleton_names_the_frames(tmp_path: Path) -> None:
    case_file = _new(tmp_path, Path(get_testdata_file("examples_ybr_color.dcm")))
    text = case_file.read_text(encoding="utf-8")
    assert "US, 320 x 240 pixels, 30 frames" in text and "frame: 15  # TODO" in text and '# frames: "0-29"' in text
    # this ultrasound has no Window Center/Width: the skeleton says what 'file' then shows
    assert "window: file  # the file has no window of its own: its full range of values" in text
    assert "# burned_in: reviewed  # TODO" in text  # ultrasound: text is often burned in
    case_file.write_text(_fill(text, reviewed=True), encoding="utf-8")
    assert check_cases(tmp_path / "cases").problems == []


def test_png_skeleton_asks_for_the_burned_in_review(tmp_path: Path) -> None:
    png = tmp_path / "export.png"
    Image.new("L", (200, 100), 80).save(png)
    case_file = _new(tmp_path, png)
    text = case_file.read_text(encoding="utf-8")
    assert "200 x 100 pixels" in text and "window:" not in text.split("images:")[1].split("findings:")[0].replace("# ", "")
    case_file.write_text(_fill(text), encoding="utf-8")
    problems = [str(p) for p in check_cases(tmp_path / "cases").problems]
    assert len(problems) == 1 and "burned_in" in problems[0], problems
    case_file.write_text(_fill(text, reviewed=True), encoding="utf-8")
    assert check_cases(tmp_path / "cases").problems == []


def test_new_refuses_an_existing_case(tmp_path: Path) -> None:
    _new(tmp_path, Path(get_testdata_file("CT_small.dcm")))
    result = CliRunner().invoke(main, ["new", str(tmp_path / "cases" / "case-a"), "--image",
                                       get_testdata_file("CT_small.dcm")])
    assert result.exit_code == 1 and "already has a case.yaml" in result.output


def test_a_non_ct_skeleton_starts_from_the_files_own_window(tmp_path: Path) -> None:
    """pydicom's MR_small.dcm carries Window Center/Width 600/1600: an MR has no presets (they are in
    HU), so the skeleton starts from the file's own window and shows its numbers."""
    text = _new(tmp_path, Path(get_testdata_file("MR_small.dcm"))).read_text(encoding="utf-8")
    assert "window: file  # the file's own window; change it" in text
    assert "this file's own: 'file' = C 600 / W 1600." in text


@pytest.mark.parametrize("widths, line, pulled", [
    ((0.0,), "# No window: the file's own have a width of 0", None),
    ((0.0, 1600.0), "window: file 2  # the file's first window that can be drawn", "file 2"),
])
def test_a_skeleton_passes_over_a_window_of_width_0(tmp_path: Path, widths, line, pulled) -> None:
    """MR_small.dcm with its Window Width set to 0 (as a GSPS writer in pydicom's issue tracker did,
    GH1261): the skeleton wrote ``window: file``, and the build refused the case it had written; so
    did a case ``cardgen pull`` wrote (its window: ``pulled``)."""
    import pydicom

    from cardgen.pacs.writing import default_window

    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.WindowCenter, ds.WindowWidth = [600.0] * len(widths), list(widths)
    ds.save_as(tmp_path / "mr.dcm")
    assert default_window(pydicom.dcmread(tmp_path / "mr.dcm")) == pulled
    case_file = _new(tmp_path, tmp_path / "mr.dcm")
    text = case_file.read_text(encoding="utf-8")
    assert line in text
    assert "window: file  #" not in text
    case_file.write_text(_fill(text), encoding="utf-8")
    assert check_cases(tmp_path / "cases").problems == []
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "d.apkg"), "--no-cache"])
    assert result.exit_code == 0 and "1 cases, 3 cards" in result.output, result.output


def test_new_never_replaces_a_file_already_in_the_folder(tmp_path: Path) -> None:
    # a file of the image's name in the folder was silently replaced by the copy
    case = tmp_path / "case"
    case.mkdir()
    mine = case / "CT_small.dcm"
    mine.write_text("the educator's own file")
    result = CliRunner().invoke(main, ["new", str(case), "--image", get_testdata_file("CT_small.dcm")])
    assert result.exit_code == 1 and "already has a file of the image's name" in result.output, result.output
    assert mine.read_text() == "the educator's own file" and not (case / "case.yaml").exists()
