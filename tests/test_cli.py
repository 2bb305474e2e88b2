"""The command line through Click's runner: help texts and clear errors."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cardgen.cli import main
from tests.sample_cases import GOOD_CASE, REPO, write_case


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, prefix + (name,))
        else:
            found.append(prefix + (name,))
    return found


@pytest.mark.parametrize("command", _commands(main), ids=lambda c: " ".join(c) or "cardgen")
def test_every_command_has_help_and_is_documented(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3
    if command and not main.commands[command[0]].hidden:  # in the generated CLI reference (python -m cardgen.docs)
        reference = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
        assert f"## `cardgen {' '.join(command)}`" in reference, "run: python -m cardgen.docs"


def _build(cases: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["build", str(cases), "-o", str(out), *extra])


def test_build_writes_a_deck_and_a_summary(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1"))
    result = _build(tmp_path / "cases", tmp_path / "out.apkg")
    assert result.exit_code == 0, result.output
    assert "1 cases, 3 cards" in result.output
    assert (tmp_path / "out.apkg").stat().st_size > 0


# (what to change in the good case, words the error must contain)
BAD_INPUTS = {
    "missing image file": (lambda t: t.replace("file: ct.dcm", "file: missing.dcm"),
                           ["case.yaml", "images[0].file", "missing.dcm", "does not exist"]),
    "unknown window preset": (lambda t: t.replace("window: bone", "window: lungs"),
                              ["case.yaml", "images[0].window", "'lungs'", "is not a preset", "lung, mediastinum"]),
    "shape outside the image": (lambda t: t.replace("x: 42, y: 4", "x: 130, y: 4"),
                                ["case.yaml", "findings[0].shapes[0]", "outside the 128x128 image"]),
    "invalid YAML": (lambda t: t.replace("title: Vertebral body", "title: [unclosed"),
                     ["case.yaml:", "invalid YAML"]),
    "unknown difficulty": (lambda t: t.replace("difficulty: easy", "difficulty: tricky"),
                           ["case.yaml", "difficulty", "'tricky'", "easy | medium | hard"]),
    "missing title": (lambda t: t.replace("title: Vertebral body\n", ""),
                      ["case.yaml", "title", "missing required field"]),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_gives_a_clear_error_and_no_output(tmp_path: Path, name: str) -> None:
    change, words = BAD_INPUTS[name]
    write_case(tmp_path / "cases", "a", change(GOOD_CASE.format(case_id="a-1")))
    out = tmp_path / "out.apkg"
    result = _build(tmp_path / "cases", out)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output, (word, result.output)
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_duplicate_case_id_names_both_files(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="same"))
    write_case(tmp_path / "cases", "b", GOOD_CASE.format(case_id="same"))
    out = tmp_path / "out.apkg"
    result = _build(tmp_path / "cases", out)
    assert result.exit_code == 1
    assert "duplicate case id" in result.output
    assert str(Path("a") / "case.yaml") in result.output and str(Path("b") / "case.yaml") in result.output
    assert not out.exists()


def test_unknown_topic_suggests_the_nearest(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1").replace("msk.spine", "msk.spin"))
    result = _build(tmp_path / "cases", tmp_path / "out.apkg", "--curriculum",
                    str(REPO / "decks" / "curricula" / "esr-level1.yaml"))
    assert result.exit_code == 1
    assert "unknown curriculum topic" in result.output and "msk.spine" in result.output


def test_keep_going_builds_the_rest_and_exits_1(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "good", GOOD_CASE.format(case_id="good-1"))
    write_case(tmp_path / "cases", "bad", GOOD_CASE.format(case_id="bad-1").replace("window: bone", "window: nope"))
    out = tmp_path / "out.apkg"
    result = _build(tmp_path / "cases", out, "--keep-going")
    assert result.exit_code == 1
    assert "skipped:" in result.output and "'nope'" in result.output
    assert "1 cases, 3 cards" in result.output
    assert out.exists()


def test_existing_deck_survives_a_failed_build(tmp_path: Path) -> None:
    out = tmp_path / "out.apkg"
    out.write_bytes(b"previous deck")
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1").replace("window: bone", "window: nope"))
    result = _build(tmp_path / "cases", out)
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous deck"


def test_audit_passes_a_clean_deck_and_build_refuses_a_leaking_one(tmp_path: Path) -> None:
    import pydicom

    from tests.sample_cases import CT_SMALL

    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1"))
    out = tmp_path / "out.apkg"
    assert _build(tmp_path / "cases", out).exit_code == 0
    clean = CliRunner().invoke(main, ["audit", str(out), "--against", str(tmp_path / "cases")])
    assert clean.exit_code == 0, clean.output
    assert "no identifiers found" in clean.output

    # An educator pastes the patient's name from the header into the history.
    name = str(pydicom.dcmread(CT_SMALL).PatientName)
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1").replace("Test history.", f"'{name}'"))
    refused = _build(tmp_path / "cases", out)
    assert refused.exit_code == 1
    # Refused before anything is rendered, naming where the value was typed.
    assert "history: holds 'compressedsamples ct 1', the value of (0010,0010) PatientName" \
        in refused.output and "no deck written" in refused.output
    assert out.exists()  # the earlier, clean deck is left as it was
    assert CliRunner().invoke(main, ["audit", str(out)]).exit_code == 0


def test_ctrl_c_while_the_command_loads_is_quiet() -> None:
    """The installed script and ``python -m cardgen`` start in ``cardgen.entry``: a Ctrl-C that comes
    while ``cardgen.cli`` is still being imported says "Aborted!" like Click, exit 1, no traceback.
    The interrupt is raised by an import hook at the moment ``cardgen.cli`` is imported."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'cardgen.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['cardgen', '--help']\n"
        "from cardgen.entry import run\n"
        "run()\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "Aborted!"
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command, name", [
    (("build", "{cases}"), "{cases}/a/case.yaml"),  # a slip that used to replace the case with the deck
    (("build", "{cases}"), "{cases}/a/ct.dcm"),
    (("build", "{cases}", "--curriculum", "{curriculum}"), "{curriculum}"),
    (("build", "{cases}"), "{tmp}/deck.zip"),
    (("coverage", "{cases}", "--curriculum", "{curriculum}"), "{curriculum}"),
    (("learners", "report", "--learners-dir", "{tmp}/learners"), "{tmp}/report.txt"),
    (("addon", "build"), "{tmp}/cardgen.zip"),
])
def test_an_output_must_end_in_its_own_suffix_so_no_input_is_replaced(tmp_path: Path, command: tuple[str, ...],
                                                                       name: str) -> None:
    cases = tmp_path / "cases"
    write_case(cases, "a", GOOD_CASE.format(case_id="a-1"))
    curriculum = tmp_path / "curriculum.yaml"
    curriculum.write_bytes((REPO / "decks" / "curricula" / "esr-level1.yaml").read_bytes())
    before = {path: path.read_bytes() for path in [*cases.rglob("*.*"), curriculum]}
    fill = {"cases": str(cases), "curriculum": str(curriculum), "tmp": str(tmp_path)}
    out = name.format(**fill)
    result = CliRunner().invoke(main, [*(part.format(**fill) for part in command), "-o", out],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert f"'{out}' does not end in ." in result.output
    assert {path: path.read_bytes() for path in before} == before  # every input as it was


@pytest.mark.parametrize("kind", ["pipe", "folder", "device"])
def test_an_output_that_is_not_a_regular_file_is_refused_before_any_work(tmp_path: Path, kind: str) -> None:
    import os

    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1"))
    if kind == "pipe":  # opening it to keep the old deck used to wait for a writer for ever
        out = tmp_path / "deck.apkg"
        os.mkfifo(out)
    elif kind == "folder":
        out = tmp_path / "deck.apkg"
        out.mkdir()
    else:  # renaming the deck over /dev/null would replace the device for every program (as root)
        out = tmp_path / "null.apkg"
        out.symlink_to("/dev/null")
    result = _build(tmp_path / "cases", out)
    if kind == "folder":  # Click's own check of -o
        assert result.exit_code == 2 and "is a directory" in result.output, result.output
    else:
        assert result.exit_code == 1, result.output
        assert f"{out}: not a regular file (a device, pipe or socket)" in result.output
        assert "no deck written" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cases", out.name])  # no .partial left
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_audit_of_a_zip_that_is_not_an_anki_package_says_so(tmp_path: Path) -> None:
    # it was reported as "1 possible identifier(s)": an input problem worded as a patient identifier
    import zipfile

    package = tmp_path / "plain.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("hello.txt", "hello")
    result = CliRunner().invoke(main, ["audit", str(package)])
    assert result.exit_code == 1, result.output
    assert f"Error: {package}: not an Anki package: it holds no collection database" in result.output
    assert "identifier" not in result.output
