"""The command line's conventions: an example in every command's help, -o/--output for every file
written, learners report in its group (report kept as a hidden alias), honest progress and summaries,
and honest learner reports (what counts as a review; a deck is not a learner's history)."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cardgen.cli import main
from cardgen.cli_support import Progress
from tests.sample_cases import GOOD_CASE, write_case
from tests.test_cli import _commands


@pytest.mark.parametrize("command", _commands(main), ids=lambda c: " ".join(c) or "cardgen")
def test_every_command_shows_examples(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    examples = result.output.split("Examples:", 1)
    assert len(examples) == 2, f"cardgen {' '.join(command)} --help has no Examples: block"
    assert re.search(r"^\s+cardgen \S+", examples[1], re.MULTILINE)


def _options_of(command: click.Command) -> set[str]:
    return {name for param in command.params for name in getattr(param, "opts", [])}


def test_every_file_written_is_named_by_output() -> None:
    writers = {("build",), ("coverage",), ("learners", "report"), ("addon", "build")}
    for path in writers:
        command = main
        for name in path:
            command = command.commands[name]
        assert {"-o", "--output"} <= _options_of(command), path
    hidden = main.commands["report"]
    assert hidden.hidden and hidden.callback is main.commands["learners"].commands["report"].callback


def _built_deck(tmp_path: Path) -> Path:
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1"))
    deck = tmp_path / "deck.apkg"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(deck), "--no-cache"])
    assert result.exit_code == 0, result.output
    return deck


def test_summary_numbers_add_up(tmp_path: Path) -> None:
    write_case(tmp_path / "cases", "a", GOOD_CASE.format(case_id="a-1"))
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "d.apkg"), "--no-cache"])
    line = next(line for line in result.output.splitlines() if line.startswith("Wrote"))
    made, rendered, reused = map(int, re.search(r"; (\d+) images \((\d+) rendered, (\d+) reused", line).groups())
    assert made == rendered + reused and rendered > 0, line


def test_progress_without_a_terminal_prints_plain_lines() -> None:
    stream = io.StringIO()
    progress = Progress(stream=stream)
    progress.start(120)
    for index in range(120):
        progress.advance(f"case-{index}")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Building 120 case(s)"
    assert lines[1:] == [f"Building: {n}/120 cases ({100 * n // 120}%)" for n in range(12, 121, 12)]
    assert "ETA" not in stream.getvalue()


def test_a_deck_is_not_a_learner_history(tmp_path: Path) -> None:
    deck = _built_deck(tmp_path)
    learners = tmp_path / "learners"
    result = CliRunner().invoke(main, ["learners", "import", str(deck), "--learner", "ana", "--learners-dir", str(learners)])
    assert result.exit_code == 1
    assert "holds no learner history" in result.output and "Include scheduling information" in result.output
    assert "Traceback" not in result.output
    if (learners / "learners.sqlite").exists():  # nothing was added
        with sqlite3.connect(learners / "learners.sqlite") as db:
            assert db.execute("SELECT count() FROM reviews").fetchone()[0] == 0


def test_report_says_same_day_answers_are_not_delayed_reviews(tmp_path: Path) -> None:
    from anki.scheduler.v3 import CardAnswer

    from tests.anki_helpers import answer_queued, import_package, open_collection

    deck = _built_deck(tmp_path)
    col = open_collection(tmp_path / "learner")
    try:
        import_package(col, deck)
        # the deck the cards are in (the default deck is empty)
        answered = answer_queued(col, "cardgen", CardAnswer.AGAIN, limit=6)
        assert answered == 6
        export = tmp_path / "ana.colpkg"
        col.export_collection_package(str(export), include_media=False, legacy=False)
    finally:
        col.close()
    learners = tmp_path / "learners"
    runner = CliRunner()
    imported = runner.invoke(main, ["learners", "import", str(export), "--learner", "ana", "--learners-dir", str(learners)])
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(main, ["learners", "show", "--learners-dir", str(learners)])
    assert f"ana: {answered} reviews (0 delayed), retention n/a (no delayed review yet)" in shown.output
    for command in (["learners", "report"], ["report"]):  # the hidden alias writes the same page
        page = tmp_path / f"{command[-1]}-{len(command)}.html"
        result = runner.invoke(main, [*command, "--learners-dir", str(learners), "-o", str(page)])
        assert result.exit_code == 0, result.output
        html = page.read_text(encoding="utf-8")
        assert f"{answered} reviews of cardgen cards,\n0 of them delayed" in html
        assert "Only delayed reviews test recall" in html
        assert "there has been no delayed review" in html
