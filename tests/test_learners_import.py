"""``cardgen learners import X.json``: the add-on's progress file, through the command line.

The files are written by cardgen.learners.progress.write_progress (what the add-on's export calls),
or hand-made below to be wrong in one way each.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.cli import main
from cardgen.learners.model import CardState, FsrsParams, Review
from cardgen.learners.progress import Progress, kind_of_notetype, read_progress, write_progress
from cardgen.learners.store import database_path, note_kinds, note_tags, open_store, reviews_of, states_of

DAY_MS = 86_400_000
START = 1_760_000_000_000  # 2025-10-09, a time in ms since 1970
CASE_GUID, FINDING_GUID = "Bq#1caseGuid", "Ab!2findGuid"


def _progress() -> Progress:
    """Two notes, five reviews (a learning step, then delayed reviews, one lapse), two states."""
    reviews = [
        Review(CASE_GUID, 0, START, 3, -600, 0, 0, 9000, 0),
        Review(CASE_GUID, 0, START + 1 * DAY_MS, 3, 3, 1, 2500, 6000, 1),
        Review(CASE_GUID, 0, START + 4 * DAY_MS, 1, -600, 3, 2300, 12000, 1),
        Review(FINDING_GUID, 0, START + 60_000, 3, 1, -600, 2500, 4000, 0),
        Review(FINDING_GUID, 0, START + 2 * DAY_MS, 4, 7, 1, 2650, 3000, 1),
    ]
    states = [CardState(CASE_GUID, 0, 1.25, 7.5, 0.1542, START + 4 * DAY_MS, FsrsParams.DEFAULT),
              CardState(FINDING_GUID, 0, 12.0, 3.25, 0.1542, START + 2 * DAY_MS, FsrsParams.DEFAULT)]
    return Progress(exported_at_ms=START + 5 * DAY_MS,
                    note_tags={CASE_GUID: "cardgen::case::rib-fracture cardgen::topic::msk::trauma",
                               FINDING_GUID: "cardgen::case::rib-fracture cardgen::topic::msk::trauma"},
                    reviews=reviews, states=states,
                    note_kinds={CASE_GUID: "case", FINDING_GUID: "finding"})


def _import(history: Path, learners_dir: Path, learner: str = "ana"):
    return CliRunner().invoke(main, ["learners", "import", str(history), "--learner", learner,
                                     "--learners-dir", str(learners_dir)])


def test_progress_file_round_trip(tmp_path: Path) -> None:
    progress = _progress()
    history = tmp_path / "ana-progress.json"
    write_progress(history, progress)
    assert read_progress(history) == progress

    learners_dir = tmp_path / "learners"
    first = _import(history, learners_dir)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "ana: 5 new of 5 reviews, 2 cards, FSRS parameters default"
    again = _import(history, learners_dir)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "ana: 0 new of 5 reviews, 2 cards, FSRS parameters default"

    with open_store(learners_dir) as connection:
        assert [r for _, r in reviews_of(connection, "ana")] == sorted(progress.reviews, key=lambda r: r.review_id)
        assert states_of(connection, "ana") == sorted(progress.states, key=lambda s: (s.note_guid, s.card_ord))
        assert note_tags(connection) == {g: tuple(t.split()) for g, t in progress.note_tags.items()}
        assert note_kinds(connection) == progress.note_kinds
    with sqlite3.connect(database_path(learners_dir)) as db:
        assert db.execute("SELECT count() FROM reviews").fetchone() == (5,)
        assert db.execute("SELECT count() FROM card_states").fetchone() == (2,)
        # the time the learner's history reached: the file's export time (their deck must be newer)
        assert db.execute("SELECT name, imported_at FROM learners").fetchall() == [("ana", START + 5 * DAY_MS)]


def test_progress_file_without_kinds_is_still_version_1(tmp_path: Path) -> None:
    # A file from an add-on that does not write the optional "kinds" yet.
    progress = _progress()
    history = tmp_path / "old.json"
    document = json.loads(_text_of(progress, tmp_path))
    del document["kinds"]
    history.write_text(json.dumps(document), encoding="utf-8")
    assert read_progress(history).note_kinds == {}
    assert _import(history, tmp_path / "learners").exit_code == 0
    with open_store(tmp_path / "learners") as connection:
        assert len(reviews_of(connection, "ana")) == 5 and note_kinds(connection) == {}


def test_notetype_names_give_the_kind() -> None:
    # The names cardgen.cards.notetypes and cardgen.cards.occlusion give cardgen's notetypes.
    from cardgen.cards.notetypes import NoteKind, notetype

    for kind in NoteKind:
        assert kind_of_notetype(notetype(kind).name) == kind.value
    assert kind_of_notetype("Basic") is None and kind_of_notetype("cardgen case (v1) copy") is None


def _text_of(progress: Progress, folder: Path) -> str:
    path = folder / "written.json"
    write_progress(path, progress)
    return path.read_text(encoding="utf-8")


def _edited(edit) -> str:
    """The progress file's text after ``edit`` changed its parsed document."""
    progress = _progress()
    from cardgen.learners.progress import progress_json

    document = json.loads(progress_json(progress))
    edit(document)
    return json.dumps(document)


def _set_review(index: int, column: int, value):
    def edit(document: dict) -> None:
        document["reviews"][index][column] = value
    return edit


BAD_FILES = {
    "not JSON": ("{not json", "not a readable progress file", None),
    "a deck, not progress": (json.dumps({"format": "cardgen-deck", "version": 1}), "not a cardgen progress file",
                             "format"),
    "a list": ("[1, 2]", "not a cardgen progress file", "format"),
    "unknown version": (_edited(lambda d: d.update(version=2)), "unknown version", "version"),
    "row too short": (_edited(lambda d: d["reviews"][1].pop()), "a row of 9 values", "reviews[1]"),
    "ease out of range": (_edited(_set_review(2, 3, 7)), "an answer button 0-4", "reviews[2].ease"),
    "text for a number": (_edited(_set_review(0, 2, "yesterday")), "the review's time", "reviews[0].review_id"),
    "fractional ordinal": (_edited(_set_review(0, 1, 0.5)), "a card ordinal", "reviews[0].card_ord"),
    "review of an unlisted note": (_edited(_set_review(4, 0, "elsewhere")), "a note listed in notes",
                                   "reviews[4].note_guid"),
    "reviews not a list": (_edited(lambda d: d.update(reviews={"a": 1})), "a list of rows", "reviews"),
    "state params": (_edited(lambda d: d["states"][0].__setitem__(6, "mine")), "fitted or default",
                     "states[0].params"),
    "state difficulty": (_edited(lambda d: d["states"][1].__setitem__(3, 42.0)), "difficulty 1-10",
                         "states[1].difficulty"),
    "a learner's own tag": (_edited(lambda d: d["notes"].__setitem__(CASE_GUID, "cardgen::case::x anatomy_exam")),
                            "cardgen:: tags only", f"notes.{CASE_GUID}"),
    "unknown kind": (_edited(lambda d: d.setdefault("kinds", {}).__setitem__(CASE_GUID, "cloze")), "one of case, finding",
                     f"kinds.{CASE_GUID}"),
    "no export time": (_edited(lambda d: d.pop("exported_at_ms")), "a time in ms", "exported_at_ms"),
    # Out-of-bounds values (issue 18): each a clear error, not a traceback or a silent NaN.
    "version true": (_edited(lambda d: d.update(version=True)), "unknown version", "version"),
    "stability Infinity": (_edited(lambda d: d["states"][0].__setitem__(2, float("inf"))),
                           "Infinity is not a number", None),
    "stability NaN": (_edited(lambda d: d["states"][0].__setitem__(2, float("nan"))), "NaN is not a number", None),
    "stability 1e300": (_edited(lambda d: d["states"][0].__setitem__(2, 1e300)), "a stability", "states[0].stability"),
    "review id 10**20": (_edited(_set_review(0, 2, 10**20)), "the review's time", "reviews[0].review_id"),
    "interval 10**20": (_edited(_set_review(1, 4, 10**20)), "an interval", "reviews[1].interval"),
    "factor -10**20": (_edited(_set_review(1, 6, -10**20)), "an ease factor", "reviews[1].factor"),
    "export time 10**20": (_edited(lambda d: d.update(exported_at_ms=10**20)), "a time in ms", "exported_at_ms"),
    "params a list": (_edited(lambda d: d["states"][0].__setitem__(6, ["default"])), "fitted or default",
                      "states[0].params"),
    "JSON 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply", None),
    "ease 3.0": (_edited(_set_review(2, 3, 3.0)), "an answer button 0-4 (value 3.0)", "reviews[2].ease"),
    # Times in the future (a clock ahead, an edit): they would stay the learner's newest for good.
    "review after the export": (_edited(_set_review(4, 2, START + 6 * DAY_MS)), "after the file's export time",
                                "reviews[4].review_id"),
    "state after the export": (_edited(lambda d: d["states"][1].__setitem__(5, START + 6 * DAY_MS)),
                               "after the file's export time", "states[1].last_review_ms"),
    "export time in 2096": (_edited(lambda d: d.update(exported_at_ms=4_000_000_000_000)),
                            "the export time is in the future (2096-10-02", "exported_at_ms"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_progress_file_is_refused_naming_file_and_field(tmp_path: Path, name: str) -> None:
    text, problem, field = BAD_FILES[name]
    history = tmp_path / "progress.json"
    history.write_text(text, encoding="utf-8")
    result = _import(history, tmp_path / "learners")
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())  # Click may wrap nothing, but be safe
    assert message.startswith(f"Error: {history}: ")
    assert problem in message
    if field is not None:
        assert f": {field}: " in message
    assert "; " in message.split(str(history), 1)[1]  # a hint: what to do
    assert not database_path(tmp_path / "learners").exists()  # nothing half-imported


def test_two_different_reviews_with_one_id_are_refused_naming_both(tmp_path: Path) -> None:
    # A fake Again placed before the learner's real answer, under its review id: one of them was
    # dropped in silence ("4 new of 5"), and the database kept the fake.
    def fake_first(document: dict) -> None:
        fake = list(document["reviews"][1])
        fake[3] = 1
        document["reviews"].insert(0, fake)
    history = tmp_path / "progress.json"
    history.write_text(_edited(fake_first), encoding="utf-8")
    result = _import(history, tmp_path / "learners")
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert message.startswith(f"Error: {history}: reviews[2].review_id: two different reviews with one review "
                              f'id: reviews[0] is ["{CASE_GUID}", 0, {START + DAY_MS}, 1, 3, 1, 2500, 6000, 1], '
                              f'reviews[2] is ["{CASE_GUID}", 0, {START + DAY_MS}, 3, 3, 1, 2500, 6000, 1] '
                              f"(value {START + DAY_MS}); ")
    assert not database_path(tmp_path / "learners").exists()

    # the same row twice is one review
    history.write_text(_edited(lambda d: d["reviews"].append(list(d["reviews"][1]))), encoding="utf-8")
    result = _import(history, tmp_path / "learners")
    assert result.exit_code == 0 and "ana: 5 new of 5 reviews" in result.output, result.output


def test_a_stored_review_that_differs_from_the_file_is_reported(tmp_path: Path) -> None:
    learners_dir = tmp_path / "learners"
    history = tmp_path / "progress.json"
    write_progress(history, _progress())
    assert _import(history, learners_dir).exit_code == 0
    history.write_text(_edited(_set_review(2, 3, 3)), encoding="utf-8")  # the lapse turned into a Good
    result = _import(history, learners_dir)
    assert result.exit_code == 0, result.output
    assert "ana: 0 new of 5 reviews" in result.output
    assert (f"warning: 1 review(s) of this file differ from those already stored for ana under the same review "
            f"id; the stored ones were kept (review id {START + 4 * DAY_MS}: stored note {CASE_GUID} card 1 ease 1 "
            f"type 1 interval -600, this file note {CASE_GUID} card 1 ease 3 type 1 interval -600)") \
        in " ".join(result.output.split())
    with open_store(learners_dir) as connection:
        assert [r.ease for _, r in reviews_of(connection, "ana") if r.review_id == START + 4 * DAY_MS] == [1]


def test_one_history_under_two_names_is_refused(tmp_path: Path) -> None:
    # Imported as anna, then as Anna (or ben): accepted, and every class figure counted it twice.
    learners_dir = tmp_path / "learners"
    history = tmp_path / "progress.json"
    write_progress(history, _progress())
    assert _import(history, learners_dir, "anna").exit_code == 0
    again = _import(history, learners_dir, "anna ")  # surrounding spaces are no part of a name
    assert again.exit_code == 0 and again.output.startswith("anna: 0 new of 5 reviews"), again.output
    case = _import(history, learners_dir, "Anna")
    assert case.exit_code == 1
    assert " ".join(case.output.split()) == (
        "Error: --learner: a learner 'anna' is already known, and names differing only in letter case or spaces "
        "are one learner (value 'Anna'); import it with --learner 'anna'")
    other = _import(history, learners_dir, "ben")
    assert other.exit_code == 1
    assert " ".join(other.output.split()) == (
        "Error: --learner: this history is already imported as 'anna': 5 of its 5 reviews are theirs (the same "
        "answers at the same times) (value 'ben'); if it is anna's, import it with --learner 'anna' (only new "
        "reviews are added); nothing was imported")
    # another learner who answered once at the very same millisecond is another learner
    own = _progress()
    mine = [Review(r.note_guid, r.card_ord, r.review_id + (0 if i == 0 else 7), *astuple(r)[3:])
            for i, r in enumerate(own.reviews)]
    write_progress(history, Progress(own.exported_at_ms, own.note_tags, mine, own.states))
    assert _import(history, learners_dir, "ben").exit_code == 0
    with open_store(learners_dir) as connection:
        assert [name for name, _ in reviews_of(connection)].count("ben") == 5
        assert [name for (name,) in connection.execute("SELECT name FROM learners ORDER BY name")] == ["anna", "ben"]


def test_an_older_export_does_not_rewind_the_memory_states(tmp_path: Path) -> None:
    # Anna's export of day 5, then one of day 2 of the same collection: "0 new", and the older states
    # replaced the newer ones (27 of 37 in the sweep, up to 22 days behind the card's newest review).
    learners_dir = tmp_path / "learners"
    newer = _progress()
    history = tmp_path / "progress.json"
    write_progress(history, newer)
    assert _import(history, learners_dir).exit_code == 0
    older = Progress(exported_at_ms=START + 2 * DAY_MS + 1, note_tags=newer.note_tags,
                     reviews=[r for r in newer.reviews if r.review_id <= START + 2 * DAY_MS],
                     states=[CardState(CASE_GUID, 0, 3.0, 5.0, 0.1542, START + DAY_MS, FsrsParams.DEFAULT),
                             newer.states[1]])
    write_progress(history, older)
    result = _import(history, learners_dir)
    assert result.exit_code == 0, result.output
    assert "ana: 0 new of 4 reviews" in result.output
    assert ("warning: 1 card(s) kept the memory state stored for ana, which is of a later review than this "
            "file's: the file is older than one imported before") in " ".join(result.output.split())
    with open_store(learners_dir) as connection:
        assert states_of(connection, "ana") == sorted(newer.states, key=lambda s: (s.note_guid, s.card_ord))
