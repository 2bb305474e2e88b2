"""Every bad input of the corpus in :mod:`tests.bad_inputs`, through the command line.

Each must stop the build with exit code 1, a message naming the file, the field or tag, the value
and the problem, no traceback, and no output file (nor a temporary one left behind).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.cli import main
from tests.bad_inputs import BAD_INPUTS, BadInput


def build(cases: Path, out: Path, *extra: str):
    """``cardgen build CASES -o OUT`` through Click's runner (stderr mixed into the output)."""
    return CliRunner().invoke(main, ["build", str(cases), "-o", str(out), *extra])


def leftovers(folder: Path) -> list[Path]:
    """Files a failed build might leave beside its output."""
    return [p for p in folder.iterdir() if p.suffix in (".apkg", ".partial") or ".partial" in p.name
            or p.name.startswith(".out.apkg")]


def test_the_corpus_is_big_enough() -> None:
    assert len(BAD_INPUTS) >= 30
    assert len({bad.name for bad in BAD_INPUTS}) == len(BAD_INPUTS)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_bad_input_stops_the_build_with_a_clear_error(tmp_path: Path, bad: BadInput) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    bad.make(cases)
    out = tmp_path / "out.apkg"
    result = build(cases, out, *bad.args)
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") or "\nError: " in result.output, result.output
    assert "no deck written" in result.output
    for word in bad.words:
        assert word in result.output, (word, result.output)
    assert not out.exists()
    assert leftovers(tmp_path) == []
