"""Learners end to end: two simulated learners study the class deck for 30 days in real Anki
collections, export, are imported, and get their own decks with their own difficulty tags."""

from __future__ import annotations

import math
import random
import re
import sqlite3
from pathlib import Path

import pytest
from anki.collection import Collection, ExportAnkiPackageOptions
from anki.scheduler.v3 import CardAnswer

from click.testing import CliRunner

from cardgen.build import BuildOptions, build_deck
from cardgen.cli import main
from cardgen.errors import InputError
from cardgen.learners.importer import import_history
from cardgen.difficulty import Difficulty
from cardgen.learners.model import CardState, ClassStats, FsrsParams, NoteFacts, Review, learner_history, note_bands
from cardgen.learners.deck_marks import class_description_text, class_stats_in, pace_in
from cardgen.learners.store import SCHEMA_VERSION, database_path
from tests.anki_helpers import import_package, open_collection
from tests.sample_cases import write_cases_with_priors

DAY_MS = 86_400_000


def _pass_a_day(col: Collection) -> None:
    """Move the collection one day on: everything that happened is now a day older.

    Review-log ids are the review times, note modification times the times of edits; review cards are due on a day number, learning cards
    at a time in seconds. Shifting all of them back by a day is what a night's sleep does.
    """
    col.db.execute("UPDATE revlog SET id = id - ?", DAY_MS)
    col.db.execute("UPDATE notes SET mod = mod - 86400")  # e.g. Anki's "leech" tag, added at a review
    col.db.execute("UPDATE cards SET due = due - 86400 WHERE queue IN (1, 4)")
    col.db.execute("UPDATE cards SET due = due - 1 WHERE queue IN (2, 3)")
    for deck in col.decks.all():  # a new day's limits
        for key in ("newToday", "revToday", "lrnToday", "timeToday"):
            if key in deck:
                deck[key] = [col.sched.today, 0]
        col.decks.save(deck)


def _study(col: Collection, days: int, forgetting: float, seed: int) -> int:
    """Study ``days`` days through the real scheduler, answering from a recall model.

    Each card has a true memory strength (days) that grows on success and halves on failure;
    the chance of recall after ``d`` days is ``exp(-d * forgetting / strength)``: a learner with a
    larger ``forgetting`` forgets faster.
    """
    rng = random.Random(seed)
    strength: dict[int, float] = {}
    last_day: dict[int, int] = {}
    answered = 0
    col.decks.select(col.decks.id("cardgen"))
    for day in range(days):
        while (queued := col.sched.get_queued_cards(fetch_limit=1)).cards:
            top = queued.cards[0]
            card = col.get_card(top.card.id)
            elapsed = day - last_day.get(card.id, day)
            s = strength.setdefault(card.id, 1.5)
            p_recall = 0.85 if elapsed == 0 else math.exp(-elapsed * forgetting / s)
            recalled = rng.random() < p_recall
            if elapsed > 0:
                strength[card.id] = s * 2.5 if recalled else max(0.5, s / 2)
            last_day[card.id] = day
            card.start_timer()
            rating = CardAnswer.GOOD if recalled else CardAnswer.AGAIN
            col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating))
            answered += 1
        _pass_a_day(col)
    return answered


def _tags_by_guid(col: Collection) -> dict[str, set[str]]:
    return {col.get_note(nid).guid: set(col.get_note(nid).tags) for nid in col.find_notes("")}


def _hard(tags: dict[str, set[str]]) -> int:
    return sum("cardgen::difficulty::hard" in t for t in tags.values())


def test_two_learners_end_to_end(tmp_path: Path) -> None:
    cases = write_cases_with_priors(tmp_path)
    class_deck = tmp_path / "class.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=class_deck))
    learners_dir = tmp_path / "learners"

    collections = {}
    exports = {}
    for name, forgetting, seed, suffix in (("steady", 0.2, 1, ".colpkg"), ("forgetful", 3.0, 2, ".apkg")):
        col = open_collection(tmp_path / name)
        import_package(col, class_deck)
        answered = _study(col, days=30, forgetting=forgetting, seed=seed)
        assert answered == col.db.scalar("SELECT count() FROM revlog")
        export = tmp_path / f"{name}{suffix}"
        if suffix == ".colpkg":
            col.export_collection_package(str(export), include_media=False, legacy=False)
            col.reopen()
        else:
            col.export_anki_package(out_path=str(export), limit=None, options=ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=False, with_media=False, legacy=False))
        collections[name], exports[name] = col, export

    try:
        for name, export in exports.items():
            first = import_history(export, name, learners_dir)
            assert first.reviews_found == collections[name].db.scalar("SELECT count() FROM revlog")
            assert first.reviews_added == first.reviews_found
            again = import_history(export, name, learners_dir)  # the same history twice adds nothing
            assert again.reviews_added == 0
        with sqlite3.connect(database_path(learners_dir)) as db:
            assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
            for name, col in collections.items():
                assert db.execute("SELECT count() FROM reviews WHERE learner = ?", (name,)).fetchone()[0] == \
                    col.db.scalar("SELECT count() FROM revlog")
            # Each note's kind of card, from the names of the notetypes cardgen gave them.
            assert sorted(db.execute("SELECT kind, count() FROM note_kinds GROUP BY kind").fetchall()) == \
                [("case", 3), ("finding", 3), ("occlusion", 3)]
            # Nothing but cardgen tags is stored.
            assert all(tag.startswith("cardgen::") for (tags,) in db.execute("SELECT tags FROM notes")
                       for tag in tags.split())

        decks = {}
        for name in collections:
            decks[name] = tmp_path / f"{name}-deck.apkg"
            result = build_deck(BuildOptions(cases_dir=cases, out=decks[name], learner=name,
                                             learners_dir=learners_dir))
            assert result.pace is not None
        fresh = {name: open_collection(tmp_path / f"fresh-{name}") for name in decks}
        for name, deck in decks.items():
            import_package(fresh[name], deck)
        steady_tags, forgetful_tags = _tags_by_guid(fresh["steady"]), _tags_by_guid(fresh["forgetful"])
        assert steady_tags.keys() == forgetful_tags.keys() == _tags_by_guid(collections["steady"]).keys()
        assert _hard(forgetful_tags) > _hard(steady_tags)
        personal_tags = {"steady": steady_tags, "forgetful": forgetful_tags}
        paces = {n: pace_in(fresh[n].decks.by_name("cardgen")["desc"]) for n in fresh}
        assert paces["forgetful"] < paces["steady"]
        delayed = {n: c.db.scalar("SELECT count() FROM revlog WHERE type IN (1, 2)") for n, c in collections.items()}
        for name, col in fresh.items():  # the class's counts in a learner's deck leave their own reviews out
            stats = class_stats_in(col.decks.by_name("cardgen")["desc"])
            assert stats is not None and stats.total[1] == sum(delayed.values()) - delayed[name] > 0
        for col in fresh.values():
            col.close()

        for name, col in collections.items():
            before_tags = _tags_by_guid(col)
            counts = (col.note_count(), col.card_count(), col.db.scalar("SELECT count() FROM revlog"))
            import_package(col, decks[name])
            after_tags = _tags_by_guid(col)
            assert after_tags != before_tags, f"{name}'s tags did not change"
            # The learner's own tags (Anki's "leech", say) stay; cardgen's are the personal deck's.
            assert {g: {t for t in tags if t.startswith("cardgen::")} for g, tags in after_tags.items()} == \
                personal_tags[name]
            assert (col.note_count(), col.card_count(), col.db.scalar("SELECT count() FROM revlog")) == counts

        # The same through the command line.
        runner = CliRunner()
        again = runner.invoke(main, ["learners", "import", str(exports["steady"]), "--learner", "steady",
                                     "--learners-dir", str(learners_dir)])
        assert again.exit_code == 0, again.output
        assert "steady: 0 new of" in again.output
        shown = runner.invoke(main, ["learners", "show", "--learners-dir", str(learners_dir)])
        assert shown.exit_code == 0, shown.output
        lines = dict(line.split(":", 1) for line in shown.output.splitlines())
        assert lines.keys() == {"steady", "forgetful"}
        assert f"pace {paces['forgetful']} new cards/day" in lines["forgetful"]
        assert "hardest topics: msk::spine" in lines["forgetful"]
        page = tmp_path / "report.html"
        reported = runner.invoke(main, ["report", "--learners-dir", str(learners_dir), "-o", str(page)])
        assert reported.exit_code == 0, reported.output
        html = page.read_text(encoding="utf-8")
        assert "msk › spine" in html and "forgetful" in html and "<svg" in html
        failed = html.split("Cards failed most")[1]
        assert "case-" in failed
        labels = re.findall(r"<td>case-\d</td><td>([^<]+)</td>", failed)
        assert labels and set(labels) <= {"case question", "finding 1", "occlusion region 1"}, labels
        assert "<script" not in html and "http" not in html.replace('lang="en"', "")
    finally:
        for col in collections.values():
            col.close()


def test_a_past_review_is_scored_by_the_forgetting_curve_of_its_interval() -> None:
    # The review log keeps no memory state: FSRS's recall at a review is 0.9 at the scheduled interval,
    # lower when the review came late; learning steps are answers, not tests of recall.
    day = DAY_MS
    reviews = [Review("g", 0, 0, 3, -600, 0, 0, 5000, 0),  # learnt: Good
               Review("g", 0, 4 * day, 1, 1, 4, 0, 5000, 1),  # on time after 4 days: Again
               Review("g", 0, 5 * day, 3, 2, 1, 0, 5000, 1),  # a day on, interval 1: on time
               Review("g", 0, 15 * day, 3, 9, 2, 0, 5000, 1)]  # 10 days for a 2-day interval: late
    state = CardState("g", 0, stability=9.0, difficulty=6.0, decay=0.5, last_review_ms=15 * day,
                      params=FsrsParams.DEFAULT)
    history = learner_history(reviews, [state], [NoteFacts("g", (), 1, Difficulty.MEDIUM)])
    assert [round(t.recall, 3) for t in history.tests[:2]] == [0.9, 0.9]
    assert history.tests[2].recall < 0.8 and [t.failed for t in history.tests] == [True, False, False]
    assert history.tests[1].excess > history.tests[0].excess  # the lapse counts from the next review on


def test_the_class_counts_answers_a_day_after_two_failures_in_a_row() -> None:
    """ClassStats.repeats: a card's answer on a later day (12 hours or more) after the same learner
    failed it twice in a row, whatever the order the reviews arrive in; a quick repeat, another
    learner's answer, or one after a single failure does not count. The deck mark carries them, and a
    deck written before they existed reads as none."""
    hour = DAY_MS // 24
    a = lambda t, ease, kind=1: Review("g", 0, t, ease, 1, 1, 0, 5000, kind)
    reviews = [("ann", a(0, 1, 0)), ("ann", a(10 * 60_000, 1, 0)), ("ann", a(DAY_MS, 1, 0)),  # counts, failed
               ("ann", a(DAY_MS + 60_000, 3, 0)),  # a minute after two failures: a quick repeat
               ("ann", a(3 * DAY_MS, 1)), ("ann", a(4 * DAY_MS, 3)),  # one failure only before it
               ("bob", a(0, 1, 0)), ("bob", a(12 * hour, 1, 0)), ("bob", a(24 * hour, 3, 0)),  # counts, passed
               ("cat", a(0, 1, 0)), ("dan", a(DAY_MS, 1, 0)), ("eve", a(2 * DAY_MS, 1, 0))]  # one answer each
    for order in (reviews, reviews[::-1]):
        stats = ClassStats.from_reviews(order, {})
        assert stats.repeats == [1, 2]
    marked = class_stats_in(class_description_text(stats))
    assert marked is not None and marked.repeats == [1, 2] and marked.total == stats.total
    old = {k: v for k, v in stats.to_json().items() if k != "repeats"}
    assert ClassStats.from_json(old).repeats == [0, 0]
    stats.repeats = [1, 2, 3]  # an edited mark: none
    assert class_stats_in(class_description_text(stats)) is None


def test_a_learner_with_few_reviews_gets_the_first_cuts() -> None:
    day = DAY_MS
    notes = [NoteFacts(g, (), 1, Difficulty.MEDIUM) for g in "abc"]
    reviews = [Review(g, 0, t * day, 3, i, 0, 0, 5000, 1 if t else 0) for g, t, i in
               (("a", 0, 1), ("b", 0, 1), ("c", 0, 1), ("a", 1, 30), ("b", 1, 2), ("c", 1, 1))]
    states = [CardState(g, 0, s, 5.0, 0.5, day, FsrsParams.DEFAULT) for g, s in (("a", 30.0), ("b", 1.0), ("c", 0.2))]
    bands = note_bands("me", notes, states, ClassStats(), reviews)
    # too few reviews for cuts of their own: the first cuts (10 %, 25 %). a is due when FSRS expects 90 %
    # recall; b (stability 1 day, due after 2) fails 17 % of the time; c (0.2 days, due after 1) 32 %
    assert bands == {"a": Difficulty.EASY, "b": Difficulty.MEDIUM, "c": Difficulty.HARD}


def test_unknown_history_is_refused(tmp_path: Path) -> None:
    history = tmp_path / "history.txt"
    history.write_text("not anki")
    with pytest.raises(InputError, match=r"history.txt.*\.colpkg"):
        import_history(history, "x", tmp_path / "learners")
