"""Every bad input of the corpus in :mod:`tests.bad_inputs`, through the command line.

Each must stop the build with exit code 1, a message naming the file, the field or tag, the value
and the problem, no traceback, and no output file (nor a temporary one left behind).
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.cli import main
from tests.anki_helpers import import_package
from tests.bad_inputs import BAD_INPUTS, BadInput, good
from tests.sample_cases import CT_SMALL, write_case


def build(cases: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    """``cardgen build CASES -o OUT`` through Click's runner (stderr mixed into the output)."""
    return CliRunner().invoke(main, ["build", str(cases), "-o", str(out), *extra], env=env)


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
    result = build(cases, out, *(arg.replace("{tmp}", str(tmp_path)) for arg in bad.args), env=dict(bad.env))
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") or "\nError: " in result.output, result.output
    assert "no deck written" in result.output
    for word in bad.words:
        assert word in result.output, (word, result.output)
    assert not out.exists()
    assert leftovers(tmp_path) == []


# --- HTML and script in every text field: the deck builds, and no card carries live markup -------

# Each payload says "alert(" so a live copy is easy to find; together they try a script tag, event
# handlers, javascript: URLs (as HTML and as a Markdown link), breaking out of an attribute, and
# Anki's own field and cloze syntax.
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '<a href="javascript:alert(3)">link</a>',
    "[link](javascript:alert(4))",
    '"><svg onload=alert(5)>',
    "</div><iframe src=javascript:alert(6)></iframe>",
    "<b onmouseover=alert(7)>bold</b> {{c1::alert(8)}} {{Front}}",
)
ALL = " ".join(PAYLOADS)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hostile_case() -> str:
    """The good case with every text field (and image id, labels and topic) full of payloads."""
    q = _quoted(ALL)
    return f"""\
id: x-1
title: {q}
history: {q}
diagnosis: {q}
topics: [{_quoted("chest.<script>alert(9)</script>")}]
images:
  - file: ct.dcm
    id: {_quoted("<img src=x onerror=alert(10)>")}
    window: bone
findings:
  - text: {q}
    label: {q}
    shapes:
      - {{kind: ellipse, x: 42, y: 4, width: 40, height: 38, label: {q}}}
      - {{kind: arrow, from: [10, 100], to: [40, 80], label: {_quoted('"><script>alert(11)</script>')}}}
differential: [{q}, {_quoted("<script>alert(12)</script>")}]
teaching_points: [{q}]
"""


class _LiveMarkup(HTMLParser):
    """Collects what a browser would run: scripts, on* handlers and javascript: URLs, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str, str | None]] = []
        self.js_urls: list[tuple[str, str, str | None]] = []
        self.tags: set[str] = set()
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if value and value.strip().lower().replace(" ", "").startswith("javascript:"):
                self.js_urls.append((tag, name, value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def test_html_in_every_text_field_builds_but_never_runs(tmp_path: Path, collection) -> None:
    write_case(tmp_path / "cases", "x", hostile_case())
    out = tmp_path / "x.apkg"
    result = build(tmp_path / "cases", out)
    assert result.exit_code == 0, result.output
    import_package(collection, out)
    cards = [card for note_id in collection.find_notes("") for card in collection.get_note(note_id).cards()]
    assert len(cards) >= 3  # case card, finding card, occlusion card
    seen_text = ""
    for card in cards:
        page = _LiveMarkup()
        page.feed(card.question() + card.answer())
        page.close()
        # The templates' own scripts (the occlusion reviewer, the stack viewer) may run; no payload may.
        assert not [s for s in page.scripts if "alert(" in s], page.scripts
        assert page.handlers == [], page.handlers
        assert page.js_urls == [], page.js_urls
        assert not page.tags & {"iframe", "svg"}, page.tags
        seen_text += " ".join(page.text)
    # The payloads did reach the cards, as visible text: the test is not passing on empty cards.
    for payload in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "alert(12)"):
        assert payload in seen_text, payload


# --- --keep-going ---------------------------------------------------------------------------------

def test_keep_going_reports_each_broken_case_and_builds_the_rest(tmp_path: Path, collection) -> None:
    cases = tmp_path / "cases"
    write_case(cases, "good", good("good-1"))
    write_case(cases, "bad-yaml", good("bad-1").replace("x: 42", "x: forty"))  # fails while loading
    write_case(cases, "bad-shape", good("bad-2").replace("x: 42", "x: 130"))  # fails while building
    folder = write_case(cases, "bad-dicom", good("bad-3"), image=None)  # fails while decoding
    (folder / "ct.dcm").write_bytes(CT_SMALL.read_bytes()[:25_000])
    out = tmp_path / "out.apkg"
    result = build(cases, out, "--keep-going")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == 3, result.output
    expected = {
        "bad-yaml": ("findings[0].shapes[0].x", "expected a number", "'forty'"),
        "bad-shape": ("findings[0].shapes[0]", "outside the 128x128 image"),
        "bad-dicom": ("ct.dcm", "export it again"),
    }
    for folder_name, words in expected.items():
        line = next(line for line in skipped if f"{folder_name}{os.sep}" in line)
        for word in words:
            assert word in line, (word, line)
    assert "1 cases, 3 cards" in result.output and "3 case(s) failed and were skipped" in result.output
    import_package(collection, out)
    tags = {tag for note_id in collection.find_notes("") for tag in collection.get_note(note_id).tags}
    assert "cardgen::case::good-1" in tags
    assert not any(tag.startswith("cardgen::case::bad") for tag in tags)


def test_keep_going_with_only_broken_cases_writes_nothing(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    write_case(cases, "a", good("a-1").replace("x: 42", "x: 130"))
    write_case(cases, "b", good("b-1").replace("file: ct.dcm", "file: ../ct.dcm"))
    out = tmp_path / "out.apkg"
    result = build(cases, out, "--keep-going")
    assert result.exit_code == 1, result.output
    assert "2 case(s) failed" in result.output and "no deck written" in result.output
    assert "outside the 128x128 image" in result.output and "'..' would leave the case folder" in result.output
    assert not out.exists() and leftovers(tmp_path) == []


# --- a learner's name in the deck description ---------------------------------------------------

HOSTILE_LEARNERS = ("---><img src=x onerror=alert(1)>", "--!><script>alert(2)</script>", "a -- b ->c <!-- d")


@pytest.mark.parametrize("name", HOSTILE_LEARNERS)
def test_learner_name_stays_inside_its_comment(tmp_path: Path, collection, name: str) -> None:
    """Anki's deck overview shows the root deck's description as HTML: whatever the learner's name,
    the description is one HTML comment (the add-on's marks), with nothing a browser would show or run."""
    from cardgen.learners.deck_marks import pace_in
    from cardgen.learners.progress import write_progress
    from tests.test_learners_import import _progress

    history = tmp_path / "progress.json"
    write_progress(history, _progress())
    learners_dir = tmp_path / "learners"
    imported = CliRunner().invoke(main, ["learners", "import", str(history), "--learner", name,
                                         "--learners-dir", str(learners_dir)])
    assert imported.exit_code == 0, imported.output
    write_case(tmp_path / "cases", "a", good())
    out = tmp_path / "learner.apkg"
    result = build(tmp_path / "cases", out, "--learner", name, "--learners-dir", str(learners_dir))
    assert result.exit_code == 0, result.output
    import_package(collection, out)
    root = collection.decks.by_name("cardgen")
    description = root["desc"]
    page = _LiveMarkup()
    page.feed(description)
    page.close()
    assert page.tags == set() and page.handlers == [] and page.scripts == []
    assert "".join(page.text).strip() == "", page.text  # nothing outside the comments
    assert description.startswith("<!-- cardgen:pace=") and description.count("-->") == 2, description
    assert pace_in(description) is not None
