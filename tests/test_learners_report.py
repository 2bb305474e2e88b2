"""The class report and ``learners show``: which card the class failed, curriculum titles, and the
messages for an unknown learner or a learners database cardgen cannot read.

Histories come from progress files (cardgen.learners.progress.write_progress, what the add-on's
export calls) whose GUIDs are the ones cardgen gives its notes (cardgen.cards.guids.note_guid).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.cards.guids import note_guid
from cardgen.cards.notetypes import NoteKind
from cardgen.cli import main
from cardgen.curriculum import load_curriculum
from cardgen.learners.model import Review
from cardgen.learners.progress import Progress, write_progress
from cardgen.learners.report import class_report
from cardgen.learners.store import database_path

DAY_MS = 86_400_000
START = 1_760_000_000_000

CURRICULUM = """\
- id: chest
  title: Chest imaging
  children:
    - id: chest.nodules
      title: Pulmonary nodules
      objectives: [Measure a nodule, Know the follow-up rules]
- id: msk
  title: Musculoskeletal imaging
  children:
    - id: msk.trauma
      title: Skeletal trauma
"""


def _write_curriculum(folder: Path) -> Path:
    path = folder / "curriculum.yaml"
    path.write_text(CURRICULUM, encoding="utf-8")
    return path


def _lapses(guid: str, card_ord: int, count: int, start: int) -> list[Review]:
    """A learning step, then ``count`` failed delayed reviews a day apart."""
    reviews = [Review(guid, card_ord, start, 3, 1, -600, 2500, 5000, 0)]
    reviews += [Review(guid, card_ord, start + (n + 1) * DAY_MS, 1, -600, 1, 2300, 9000, 1) for n in range(count)]
    return reviews


def _class_history(folder: Path) -> tuple[Path, dict[str, str]]:
    """A learners folder with one learner who failed six cards, each a different kind of card."""
    curriculum = load_curriculum(_write_curriculum(folder))
    nodules, trauma = curriculum.tag("chest.nodules"), curriculum.tag("msk.trauma")
    case_tags = f"cardgen::case::rib-fracture cardgen::prior::hard {trauma}"
    guids = {
        "case": note_guid("rib-fracture", NoteKind.CASE),
        "finding 2": note_guid("rib-fracture", NoteKind.FINDING, 1),
        "occlusion": note_guid("rib-fracture", NoteKind.OCCLUSION, 0),
        "objective": note_guid("objective:chest.nodules#2", NoteKind.OBJECTIVE),
        "finding, kind not stored": note_guid("rib-fracture", NoteKind.FINDING, 0),
        "unknown": "Zz9unknown",
    }
    tags = {guids["objective"]: f"cardgen::text_only {nodules}"}
    tags.update({guid: case_tags for key, guid in guids.items() if key != "objective"})
    kinds = {guids["case"]: "case", guids["finding 2"]: "finding", guids["occlusion"]: "occlusion",
             guids["objective"]: "objective"}
    reviews = (_lapses(guids["case"], 0, 6, START) + _lapses(guids["finding 2"], 0, 5, START + 1000)
               + _lapses(guids["occlusion"], 2, 4, START + 2000) + _lapses(guids["objective"], 0, 3, START + 3000)
               + _lapses(guids["finding, kind not stored"], 0, 2, START + 4000)
               + _lapses(guids["unknown"], 3, 1, START + 5000))
    history = folder / "ana.json"
    write_progress(history, Progress(exported_at_ms=START + 10 * DAY_MS, note_tags=tags,
                                     reviews=sorted(reviews, key=lambda r: r.review_id), states=[],
                                     note_kinds=kinds))
    learners_dir = folder / "learners"
    imported = CliRunner().invoke(main, ["learners", "import", str(history), "--learner", "ana",
                                         "--learners-dir", str(learners_dir)])
    assert imported.exit_code == 0, imported.output
    return learners_dir, guids


def test_cards_failed_most_say_which_card(tmp_path: Path) -> None:
    learners_dir, guids = _class_history(tmp_path)
    failed = class_report(learners_dir).failed_most
    assert [(card.case, card.card, card.lapses) for card in failed] == [
        ("rib-fracture", "case question", 6),
        ("rib-fracture", "finding 2", 5),
        ("rib-fracture", "occlusion region 3", 4),  # the third region: card ordinal 2
        ("01_chest › 01_nodules", "objective", 3),  # its topic's tag path, as no curriculum was given
        ("rib-fracture", "finding 1", 2),  # from the GUID alone
        ("rib-fracture", "card 4", 1),  # neither kind nor GUID known: the card's number
    ]
    assert failed[0].note_guid == guids["case"] and failed[0].learners == 1


def test_report_shows_curriculum_titles(tmp_path: Path) -> None:
    learners_dir, _ = _class_history(tmp_path)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--learners-dir", str(learners_dir), "--curriculum",
                                       str(_write_curriculum(tmp_path)), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Wrote {page}: 1 learners, 2 topics"
    html = page.read_text(encoding="utf-8")
    topics = html.split("<h2>Per topic</h2>")[1].split("<h2>")[0]
    assert "<td>Skeletal trauma</td>" in topics and "<td>Pulmonary nodules</td>" in topics
    assert "msk" not in topics and "chest" not in topics.replace("Chest", "")  # titles, not tag paths
    learner_row = html.split("<h2>Per learner</h2>")[1].split("<h2>")[0]
    assert "<td>Pulmonary nodules, Skeletal trauma</td>" in learner_row  # hardest: every lapse rate 100 %
    failed = html.split("<h2>Cards failed most</h2>")[1]
    assert "<td>rib-fracture</td><td>finding 2</td>" in failed
    assert "<td>Pulmonary nodules</td><td>objective</td>" in failed


def test_unknown_learner_is_named(tmp_path: Path) -> None:
    learners_dir, _ = _class_history(tmp_path)
    result = CliRunner().invoke(main, ["learners", "show", "--learners-dir", str(learners_dir),
                                       "--learner", "nobody"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --learner: no such learner (value 'nobody'); known learners: ana"


def test_database_of_unknown_schema_version_is_refused_untouched(tmp_path: Path) -> None:
    learners_dir, _ = _class_history(tmp_path)
    with sqlite3.connect(database_path(learners_dir)) as db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        db.execute("DROP TABLE note_kinds")  # a table a version 2 might not have
    for command in (["learners", "show"], ["report", "-o", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(main, [*command, "--learners-dir", str(learners_dir)])
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"Error: {database_path(learners_dir)}: meta.schema_version: learners database has an unknown "
            "schema version (value '2'); this cardgen reads version 1; use a matching cardgen")
    with sqlite3.connect(database_path(learners_dir)) as db:  # nothing was created in it
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'note_kinds'").fetchall()
    assert not (tmp_path / "r.html").exists()


def test_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    learners_dir = tmp_path / "learners"
    learners_dir.mkdir()
    database_path(learners_dir).write_text("not sqlite", encoding="utf-8")
    result = CliRunner().invoke(main, ["learners", "show", "--learners-dir", str(learners_dir)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {database_path(learners_dir)}: not a learners database")


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    # Found by pointing --learners-dir at sqlite files cardgen did not make: tables were added to
    # another program's database, and one with a table of cardgen's name was a traceback.
    learners_dir = tmp_path / "learners"
    learners_dir.mkdir()
    with sqlite3.connect(database_path(learners_dir)) as db:
        db.execute("CREATE TABLE bookmarks (url TEXT)")
    result = CliRunner().invoke(main, ["learners", "show", "--learners-dir", str(learners_dir)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "not a learners database (it holds other tables: bookmarks)" in result.output
    with sqlite3.connect(database_path(learners_dir)) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("bookmarks",)]


def test_a_learners_database_whose_table_changed_is_one_clear_error(tmp_path: Path) -> None:
    learners_dir = tmp_path / "learners"
    learners_dir.mkdir()
    with sqlite3.connect(database_path(learners_dir)) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        db.execute("CREATE TABLE reviews (something TEXT)")  # not the table cardgen made
    for command in (["learners", "show", "--learners-dir", str(learners_dir)],
                    ["learners", "report", "--learners-dir", str(learners_dir), "-o", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "the learners database is damaged" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


def test_a_folder_or_a_dangling_link_named_like_the_database_is_one_clear_error(tmp_path: Path) -> None:
    # Found by a robustness sweep: sqlite's "unable to open database file" escaped as a traceback.
    import pytest

    from cardgen.errors import InputError
    from cardgen.learners.store import open_store

    folder = tmp_path / "folder"
    database_path(folder).mkdir(parents=True)
    for command in (["learners", "show", "--learners-dir", str(folder)],
                    ["learners", "report", "--learners-dir", str(folder), "-o", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert f"{database_path(folder)}: not a learners database: a folder" in result.output, result.output
    link = tmp_path / "link"
    link.mkdir()
    database_path(link).symlink_to(tmp_path / "nowhere.sqlite")
    with pytest.raises(InputError, match="not a learners database: a link to nothing"):
        with open_store(link, create=True):  # as an import opens it
            pass


def test_a_learners_name_is_one_line(tmp_path: Path) -> None:
    history = tmp_path / "history.colpkg"
    history.write_bytes(b"")
    result = CliRunner().invoke(main, ["learners", "import", str(history), "--learner", "ann\nrm -rf",
                                       "--learners-dir", str(tmp_path / "learners")])
    assert result.exit_code == 1, result.output
    assert "a learner's name is one line" in result.output
    assert not (tmp_path / "learners").exists()


@pytest.mark.parametrize("lock", ["BEGIN EXCLUSIVE", "BEGIN IMMEDIATE"])
def test_a_database_in_use_is_named_in_use_not_damaged(tmp_path: Path, lock: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Another import, a build or a database browser holds learners.sqlite. It was called "damaged", with
    # the advice to move it away: following it threw a sound database out.
    from cardgen.learners import store

    learners_dir, _ = _class_history(tmp_path)
    history = tmp_path / "again.json"
    write_progress(history, Progress(exported_at_ms=START + 40 * DAY_MS, note_tags={"g": "cardgen::case::x"},
                                     reviews=[Review("g", 0, START + 39 * DAY_MS, 3, 1, 0, 0, 1000, 0)], states=[]))
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.2)  # the wait, shortened: 30 s in use
    holder = sqlite3.connect(database_path(learners_dir), isolation_level=None)
    try:
        holder.execute(lock)
        runner = CliRunner()
        commands = [["learners", "import", str(history), "--learner", "zed"]]
        if lock == "BEGIN EXCLUSIVE":  # one that only writes blocks the writers
            commands += [["learners", "show"], ["learners", "report", "-o", str(tmp_path / "r.html")]]
        for command in commands:
            result = runner.invoke(main, command + ["--learners-dir", str(learners_dir)])
            message = " ".join(result.output.split())
            assert result.exit_code == 1, (command, result.output)
            assert (f"{database_path(learners_dir)}: the learners database is in use by another program (another "
                    "cardgen learners import or build, or a database browser): still locked after 0.2 s; try again "
                    "when that program has finished; nothing was changed") in message, (command, message)
            assert "damaged" not in message and "move" not in message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    result = CliRunner().invoke(main, ["learners", "import", str(history), "--learner", "zed",
                                       "--learners-dir", str(learners_dir)])
    assert result.exit_code == 0, result.output


def test_topics_do_not_depend_on_the_order_of_imports(tmp_path: Path) -> None:
    # Ben still has the deck from before a topic was renamed (or renamed a tag himself). The last import
    # relabelled everyone's reviews: anna then ben gave 'trauma-old' for all, ben then anna 'trauma'.
    # Each review now counts under the topics of its learner's own deck.
    guid = note_guid("rib-fracture", NoteKind.CASE)
    histories = {}
    for name, topic, band, start, lapses, exported in (("anna", "msk::trauma", "hard", START, 4, 10),
                                                       ("ben", "msk::trauma-old", "easy", START + 1000, 2, 20)):
        histories[name] = tmp_path / f"{name}.json"
        write_progress(histories[name], Progress(
            exported_at_ms=START + exported * DAY_MS, reviews=_lapses(guid, 0, lapses, start), states=[],
            note_tags={guid: f"cardgen::case::rib-fracture cardgen::topic::{topic} cardgen::difficulty::{band}"}))
    seen = []
    for order in (("anna", "ben"), ("ben", "anna")):
        learners_dir = tmp_path / "-".join(order)
        for name in order:
            result = CliRunner().invoke(main, ["learners", "import", str(histories[name]), "--learner", name,
                                               "--learners-dir", str(learners_dir)])
            assert result.exit_code == 0, result.output
        report = class_report(learners_dir)
        seen.append(([(t.topic, t.reviews, t.lapses) for t in report.topics],
                     [(s.name, s.hardest_topics) for s in report.learners]))
        with sqlite3.connect(database_path(learners_dir)) as db:  # no learner's band is a note's tag
            assert db.execute("SELECT tags FROM notes").fetchall() == [
                ("cardgen::case::rib-fracture cardgen::topic::msk::trauma-old",)]  # ben's: the newest export
    assert seen[0] == seen[1] == ([("msk::trauma", 4, 4), ("msk::trauma-old", 2, 2)],
                                  [("anna", ("msk::trauma",)), ("ben", ("msk::trauma-old",))])


def test_cards_failed_most_count_the_learners_who_failed_them(tmp_path: Path) -> None:
    # Ana failed the case question 6 times; bo reviewed it twice and recalled it. The row read
    # "lapses 6, learners 2": the column counted every learner who reviewed the card.
    learners_dir, guids = _class_history(tmp_path)
    guid = guids["case"]
    history = tmp_path / "bo.json"
    write_progress(history, Progress(
        exported_at_ms=START + 40 * DAY_MS, note_tags={guid: "cardgen::case::rib-fracture"}, states=[],
        reviews=[Review(guid, 0, START + 30 * DAY_MS + n * DAY_MS, 3, 1, 0, 2500, 4000, 1 if n else 0)
                 for n in range(3)]))
    result = CliRunner().invoke(main, ["learners", "import", str(history), "--learner", "bo",
                                       "--learners-dir", str(learners_dir)])
    assert result.exit_code == 0, result.output
    failed = class_report(learners_dir).failed_most
    assert (failed[0].note_guid, failed[0].lapses, failed[0].learners) == (guid, 6, 1)
    page = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["learners", "report", "--learners-dir", str(learners_dir),
                                     "-o", str(page)]).exit_code == 0
    assert "<th>Learners who failed it</th>" in page.read_text(encoding="utf-8")
