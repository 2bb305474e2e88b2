"""``cardgen check``: every problem of every case at once, each with file, line and column, field,
value and what to do; and ``cardgen build`` refuses the same cases before writing anything.

The cases are tests.sample_cases.GOOD_CASE (pydicom's CT_small.dcm, 128 x 128) with one mistake
each: misspelled keys (as a new educator typed them), keys put in the wrong mapping, and values of
the wrong type.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.check import check_cases
from cardgen.cli import main
from tests.sample_cases import GOOD_CASE, SAMPLE_CASES, SAMPLE_CURRICULUM, write_case

GOOD = GOOD_CASE.format(case_id="a-1")

# name: (edit of the good case, line of the problem, field, words the message must hold)
MISTAKES = {
    # misspelled
    "histroy": (("history:", "histroy:"), 3, "histroy", ["did you mean 'history'"]),
    "diagnoses": (("diagnosis:", "diagnoses:"), 4, "diagnoses", ["did you mean 'diagnosis'"]),
    "topic": (("topics:", "topic:"), 5, "topic", ["did you mean 'topics'"]),
    "windw": (("    window: bone", "    windw: bone"), 10, "images[0].windw", ["did you mean 'window'", "'bone'"]),
    "lable": (("    image: axial\n", "    image: axial\n    lable: VB\n"), 14, "findings[0].lable",
              ["did you mean 'label'"]),
    "teaching_point": (("findings:", "teaching_point: Look at the pedicles\nfindings:"), 11, "teaching_point",
                       ["did you mean 'teaching_points'"]),
    "hieght": (("height: 38", "hieght: 38"), 15, "findings[0].shapes[0].hieght", ["did you mean 'height'"]),
    "window preset": (("window: bone", "window: lungs"), 10, "images[0].window", ["did you mean 'lung'"]),
    "difficulty value": (("difficulty: easy", "difficulty: hardd"), 6, "difficulty", ["did you mean 'hard'"]),
    "shape kind": (("kind: ellipse", "kind: elipse"), 15, "findings[0].shapes[0].kind", ["did you mean 'ellipse'"]),
    # misplaced
    "window at the case level": (("images:", "window: lung\nimages:"), 7, "window",
                                 ["belongs in an image", "move it there"]),
    "shapes at the case level": (("findings:", "shapes: []\nfindings:"), 11, "shapes", ["belongs in a finding"]),
    "radius on an ellipse": (("height: 38}", "height: 38, at: [3, 4]}"), 15, "findings[0].shapes[0].at",
                             ["'at' belongs to a point, not a ellipse"]),
    # mistyped
    "frame as text": (("id: axial\n", "id: axial\n    frame: two\n"), 10, "images[0].frame", ["whole number", "'two'"]),
    "x as text": (("x: 42", "x: left"), 15, "findings[0].shapes[0].x", ["expected a number", "'left'"]),
    "title as a list": (("title: Vertebral body", "title: [Vertebral, body]"), 2, "title", ["expected text"]),
    "findings as text": (("findings:", "findings: none\nx-findings:"), 11, "findings", ["expected a list", "'none'"]),
    "missing image": (("file: ct.dcm", "file: CT_small.dcm"), 8, "images[0].file",
                      ["does not exist", "did you mean 'ct.dcm'", "holds: ct.dcm"]),
    "frame out of range": (("id: axial\n", "id: axial\n    frame: 3\n"), 10, "images[0].frame",
                           ["the file has 1", "single frame"]),
    "shape off the image": (("x: 42, y: 4", "x: 130, y: 4"), 15, "findings[0].shapes[0]",
                            ["outside the 128x128 image", "{kind: ellipse, x: 130, y: 4, width: 40, height: 38}",
                             "right of the image (x 130 to 170; the image ends at x 128)"]),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_check_reports_each_mistake_with_file_line_and_field(tmp_path: Path, name: str) -> None:
    (old, new), line, field, words = MISTAKES[name]
    assert old in GOOD
    write_case(tmp_path / "cases", "a", GOOD.replace(old, new, 1))
    report = check_cases(tmp_path / "cases")
    messages = [str(p) for p in report.problems]
    assert len(messages) == 1, messages
    case_file = tmp_path / "cases" / "a" / "case.yaml"
    assert re.match(rf"{re.escape(str(case_file))}:{line}:\d+: {re.escape(field)}: ", messages[0]), messages[0]
    for word in words:
        assert word in messages[0], (word, messages[0])
    assert report.good == 0

    # The build refuses it too, before writing anything, with the same message.
    out = tmp_path / "deck.apkg"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(out), "--no-cache"])
    assert result.exit_code == 1 and not out.exists(), result.output
    assert messages[0] in result.output


def test_check_finds_every_problem_of_every_case_at_once(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    text = GOOD
    for name in ("histroy", "windw", "hieght", "x as text", "difficulty value"):
        (old, new), *_ = MISTAKES[name]
        text = text.replace(old, new, 1)
    write_case(cases, "a", text)
    write_case(cases, "b", GOOD.replace("a-1", "b-1").replace("topics:", "topic:"))
    write_case(cases, "c", GOOD.replace("a-1", "c-1"))
    result = CliRunner().invoke(main, ["check", str(cases)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "case.yaml:" in line]
    assert len(lines) == 6, result.output
    assert [int(line.split(":")[1]) for line in lines[:5]] == sorted(int(line.split(":")[1]) for line in lines[:5])
    assert "3 case(s) checked: 1 good, 2 with problems; 6 problem(s)" in result.output
    assert not list(tmp_path.rglob("*.apkg"))

    # build without --keep-going lists the same six problems and writes nothing
    out = tmp_path / "deck.apkg"
    result = CliRunner().invoke(main, ["build", str(cases), "-o", str(out), "--no-cache"])
    assert result.exit_code == 1 and not out.exists()
    assert "2 case(s) failed, 6 problem(s)" in result.output
    assert all(line in result.output for line in lines)


def test_sample_deck_and_curriculum_pass_the_check() -> None:
    report = check_cases(SAMPLE_CASES, SAMPLE_CURRICULUM)
    assert report.problems == [] and report.good == report.case_files > 5


def test_unknown_topic_is_found_with_its_line(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "a", GOOD.replace("topics: [msk.spine]", "topics:\n  - chest.lungs\n  - chest.lung"))
    report = check_cases(tmp_path / "cases", SAMPLE_CURRICULUM)
    messages = [str(p) for p in report.problems]
    assert len(messages) == 1 and ":7:" in messages[0] and "topics[1]" in messages[0], messages
    assert "chest.lungs" in messages[0]  # the nearest known topic


def test_author_keys_with_x_prefix_are_allowed(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "a", GOOD + "x-source: teaching file 2019/12\nauthor: Dr. A\nreferences: [Radiopaedia]\n")
    assert check_cases(tmp_path / "cases").problems == []


def test_objectives_a_case_names_are_checked_against_its_topics(tmp_path: Path) -> None:
    text = GOOD.replace("topics: [msk.spine]", "topics: [msk.spine]\nobjectives: [1, 3, msk.spine#1, Read it as a ring]")
    write_case(tmp_path / "cases", "a", text)
    messages = [str(p) for p in check_cases(tmp_path / "cases", SAMPLE_CURRICULUM).problems]
    assert len(messages) == 2, messages
    assert ":6:" in messages[0] and "objectives[1]" in messages[0] and "has no objective 3" in messages[0]
    assert "objectives[3]" in messages[1] and "no objective of this case's topics has this text" in messages[1]


# Inputs that are not the cases (options of the build) are left out.
def _check_bad_inputs():
    from tests.bad_inputs import BAD_INPUTS

    return [bad for bad in BAD_INPUTS if not bad.args and not bad.env]


@pytest.mark.parametrize("bad", _check_bad_inputs(), ids=lambda bad: bad.name)
def test_check_finds_what_the_build_refuses(tmp_path: Path, bad) -> None:
    # `cardgen check` says it runs the build's checks: a case it passes must not fail the build
    # (a robustness sweep found window, rescale, header and pixel data problems it passed)
    cases = tmp_path / "cases"
    cases.mkdir()
    bad.make(cases)
    result = CliRunner().invoke(main, ["check", str(cases)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
