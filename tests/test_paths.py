"""Case file names stay inside the case folder: every way out is refused with a clear message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cardgen.errors import InputError
from cardgen.teaching.paths import FileKind, resolve_case_file


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A case folder with an image, a series folder and a file outside it (all made here)."""
    folder = tmp_path / "cases" / "case1"
    (folder / "series").mkdir(parents=True)
    (folder / "image1.png").write_bytes(b"png")
    (folder / "series" / "slice1.dcm").write_bytes(b"dcm")
    (folder / "case.yaml").write_text("title: x\n")
    (tmp_path / "secret.txt").write_text("outside")
    (tmp_path / "cases" / "other").mkdir()
    (tmp_path / "cases" / "other" / "img.png").write_bytes(b"png")
    return folder


def resolve(case: Path, name: object, kind: FileKind = FileKind.FILE) -> Path:
    return resolve_case_file(case, name, case_file=case / "case.yaml", field="images[0].file", kind=kind)


def refused(case: Path, name: object, kind: FileKind = FileKind.FILE) -> InputError:
    with pytest.raises(InputError) as caught:
        resolve(case, name, kind)
    error = caught.value
    # Every refusal names the case.yaml, the field and the value, and says what to do.
    assert error.file == case / "case.yaml"
    assert error.field == "images[0].file"
    assert error.value == name
    assert error.hint
    assert str(case / "case.yaml") in str(error) and "images[0].file" in str(error)
    return error


def test_plain_names_resolve_inside_the_folder(case: Path) -> None:
    assert resolve(case, "image1.png") == case / "image1.png"
    assert resolve(case, "series/slice1.dcm") == case / "series" / "slice1.dcm"
    assert resolve(case, "./image1.png") == case / "image1.png"
    assert resolve(case, "  image1.png ") == case / "image1.png"


def test_a_folder_for_a_series(case: Path) -> None:
    assert resolve(case, "series", FileKind.DIRECTORY) == case / "series"
    assert resolve(case, "series", FileKind.FILE_OR_DIRECTORY) == case / "series"
    assert resolve(case, "image1.png", FileKind.FILE_OR_DIRECTORY) == case / "image1.png"
    assert "a file is needed" in refused(case, "series").problem
    assert "a folder of images is needed" in refused(case, "image1.png", FileKind.DIRECTORY).problem


@pytest.mark.parametrize("name", [None, 3, 2.5, True, ["image1.png"], {"file": "image1.png"}])
def test_non_strings_are_refused(case: Path, name: object) -> None:
    assert "must be text" in refused(case, name).problem


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_names_are_refused(case: Path, name: str) -> None:
    assert "empty" in refused(case, name).problem


@pytest.mark.parametrize("name", ["/etc/passwd", "C:\\Windows\\win.ini", "c:/x.png",
                                  "\\\\server\\share\\x.png", "\\x.png"])
def test_absolute_paths_are_refused(case: Path, name: str) -> None:
    assert "absolute" in refused(case, name).problem


def test_absolute_path_to_a_file_inside_is_still_refused(case: Path) -> None:
    assert "absolute" in refused(case, str(case / "image1.png")).problem


@pytest.mark.parametrize("name", ["../secret.txt", "../../secret.txt", "series/../../other/img.png",
                                  "..\\..\\secret.txt", "series/../image1.png", ".."])
def test_dot_dot_is_refused(case: Path, name: str) -> None:
    # Even a ".." that would come back inside is refused: the rule is simple to state and check.
    assert "'..'" in refused(case, name).problem


def test_symlink_out_of_the_folder_is_refused(case: Path, tmp_path: Path) -> None:
    (case / "link.png").symlink_to(tmp_path / "secret.txt")
    assert "leads outside" in refused(case, "link.png").problem


def test_symlinked_folder_out_is_refused(case: Path, tmp_path: Path) -> None:
    (case / "elsewhere").symlink_to(tmp_path / "cases" / "other", target_is_directory=True)
    assert "leads outside" in refused(case, "elsewhere/img.png").problem
    assert "leads outside" in refused(case, "elsewhere", FileKind.DIRECTORY).problem


def test_dangling_symlink_out_is_refused_as_leading_out(case: Path, tmp_path: Path) -> None:
    (case / "gone.png").symlink_to(tmp_path / "does-not-exist.png")
    assert "leads outside" in refused(case, "gone.png").problem


def test_symlink_inside_the_folder_is_allowed(case: Path) -> None:
    (case / "alias.png").symlink_to(case / "image1.png")
    assert resolve(case, "alias.png") == case / "alias.png"


def test_symlink_loop_is_refused(case: Path) -> None:
    (case / "loop_a").symlink_to(case / "loop_b")
    (case / "loop_b").symlink_to(case / "loop_a")
    error = refused(case, "loop_a")
    assert "cannot be resolved" in error.problem or "does not exist" in error.problem


def test_case_folder_reached_through_a_link_still_works(case: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked_case"
    linked.symlink_to(case, target_is_directory=True)
    assert resolve_case_file(linked, "image1.png", case_file=linked / "case.yaml",
                             field="images[0].file") == linked / "image1.png"


def test_missing_file_suggests_a_case_mismatch(case: Path) -> None:
    error = refused(case, "IMAGE1.PNG")
    assert "does not exist" in error.problem
    assert "'image1.png'" in error.hint


def test_missing_file_in_missing_folder(case: Path) -> None:
    error = refused(case, "nowhere/image.png")
    assert "does not exist" in error.problem and "spelling" in error.hint


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_special_files_are_refused(case: Path) -> None:
    os.mkfifo(case / "pipe.png")
    assert "not a regular file" in refused(case, "pipe.png").problem


def test_nul_character_is_refused(case: Path) -> None:
    assert "NUL" in refused(case, "image1.png\x00.txt").problem


@pytest.mark.parametrize("name", ["x" * 300, "series/" + "y" * 4000])
def test_a_name_too_long_for_the_file_system_is_refused(case: Path, name: str) -> None:
    # Found by mutating the sample cases' YAML: a 300-character name was a traceback (ENAMETOOLONG).
    assert "cannot be looked up" in refused(case, name).problem
