"""Speed of the learners import, on simulated classes (no real learner data).

Time and peak memory to import and analyse 30 learners x 5,000 reviews: each learner's history is a
real Anki collection (notes tagged like cardgen's, review log written with the Anki backend's
database) exported as a .colpkg and read back by ``cardgen learners import``.

This file used to score the learners model's log loss on held-out first reviews too. That check could
not fail: its reviews were generated with the model's own structure (a logit of prior + topic +
ability, no forgetting) and cards were held out at random, not by time, so a learner's ability was
estimated from reviews made after the ones predicted. It was removed rather than kept as evidence;
whether the difficulty signals predict failure is checked by ``benchmarks/fair.py`` instead, on a
time-ordered split, with two memory models (one not FSRS) the model does not share.

Run: ``python -m benchmarks.learners [--learners 30 --reviews 5000]``.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from cardgen.learners.model import PRIOR_FAIL, ClassStats, NoteFacts, note_bands
from cardgen.learners.model import FsrsParams, Review
from cardgen.learners.store import open_store, reviews_of, states_of
from cardgen.teaching.case import Difficulty

TOPICS = [f"cardgen::topic::area{t}::topic{t}" for t in range(10)]
DAY_MS = 86_400_000
MAX_INTERVAL = 60  # days: a course's review intervals stay within its year


def _class(cards: int, rng: random.Random) -> list[tuple[NoteFacts, float]]:
    """Cards with a prior (the case's difficulty) and a true failure rate the prior only hints at."""
    topic_shift = [rng.gauss(0, 0.5) for _ in TOPICS]
    made = []
    for index in range(cards):
        prior = rng.choice(list(Difficulty))
        topic = index % len(TOPICS)
        logit = math.log(PRIOR_FAIL[prior] / (1 - PRIOR_FAIL[prior])) + topic_shift[topic] + rng.gauss(0, 0.5)
        made.append((NoteFacts(f"bench{index:05d}", (TOPICS[topic],), 1, prior), logit))
    return made


def _history(cards: list[tuple[NoteFacts, float]], ability: float, reviews: int,
             rng: random.Random) -> list[Review]:
    """A learner's reviews, spaced by their intervals: doubling on success up to ``MAX_INTERVAL`` days,
    back to a day on a lapse (so 20 reviews of a card span months, not the 2**20 days that unbounded
    doubling gave: review times before 1970 that Anki's FSRS optimizer rightly ignored)."""
    made: list[Review] = []
    start = 1_700_000_000_000
    per_card = max(1, reviews // len(cards))
    for index, (note, logit) in enumerate(cards):
        interval, day = 1, index % 30  # new cards start over the first month
        for step in range(per_card):
            failed = rng.random() < 1 / (1 + math.exp(-(logit + ability)))
            review_id = start + day * DAY_MS + rng.randrange(DAY_MS // 2)
            made.append(Review(note.guid, 0, review_id, 1 if failed else 3, 1 if failed else interval * 2,
                               interval, 2500, 8000, 0 if step == 0 else 1))  # a card's first review is a learning step
            interval = 1 if failed else min(interval * 2, MAX_INTERVAL)
            day += interval
    made.sort(key=lambda r: r.review_id)
    return made[:reviews]


def _write_colpkg(path: Path, cards: list[tuple[NoteFacts, float]], history: list[Review]) -> None:
    """A real Anki collection holding the cards and the review log, exported as a .colpkg."""
    from anki.collection import Collection

    col = Collection(str(path.with_suffix(".anki2")))
    basic = col.models.by_name("Basic")
    card_ids = {}
    for note_facts, _ in cards:
        note = col.new_note(basic)
        note["Front"], note["Back"] = note_facts.guid, "answer"
        note.guid = note_facts.guid
        note.tags = [*note_facts.topics, f"cardgen::case::{note_facts.guid}",
                     f"cardgen::difficulty::{note_facts.prior.value}"]
        col.add_note(note, col.decks.id("cardgen"))
        card_ids[note_facts.guid] = note.cards()[0].id
    now_ms = int(time.time() * 1000)
    shift = now_ms - 2 * DAY_MS - max(r.review_id for r in history)  # the history ends two days ago
    for r in history:
        col.db.execute("INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)", r.review_id + shift,
                       card_ids[r.note_guid], r.ease, r.interval, r.last_interval, r.factor, r.time_ms, r.type)
    col.export_collection_package(str(path), include_media=False, legacy=False)
    col.close()


def import_and_analyse(learners: int, reviews: int, seed: int = 11) -> dict[str, float]:
    """Seconds to import every learner, seconds to analyse them all, and peak memory (MiB)."""
    from cardgen.learners.importer import import_history
    from cardgen.learners.report import class_report

    rng = random.Random(seed)
    cards = _class(250, rng)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        packages = []
        for n in range(learners):
            package = root / f"learner{n:02d}.colpkg"
            _write_colpkg(package, cards, _history(cards, rng.gauss(0, 0.8), reviews, rng))
            packages.append(package)
        started = time.perf_counter()
        fitted = 0
        for n, package in enumerate(packages):
            fitted += import_history(package, f"learner{n:02d}", root / "learners").params is FsrsParams.FITTED
        imported = time.perf_counter() - started
        started = time.perf_counter()
        notes = [note for note, _ in cards]
        with open_store(root / "learners") as db:
            stats = ClassStats.from_reviews(reviews_of(db), {note.guid: note.topics for note in notes})  # once
            for n in range(learners):
                note_bands(f"learner{n:02d}", notes, states_of(db, f"learner{n:02d}"), stats)
        class_report(root / "learners")
        analysed = time.perf_counter() - started
        with sqlite3.connect(root / "learners" / "learners.sqlite") as db:
            stored = db.execute("SELECT count() FROM reviews").fetchone()[0]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"import_s": imported, "analyse_s": analysed, "peak_rss_mib": peak_mib, "reviews_stored": stored,
            "fitted": fitted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--reviews", type=int, default=5000)
    args = parser.parse_args()
    numbers = import_and_analyse(args.learners, args.reviews)
    print(f"{args.learners} learners x {args.reviews} reviews: import {numbers['import_s']:.1f} s, "
          f"analyse {numbers['analyse_s']:.1f} s, peak RSS {numbers['peak_rss_mib']:.0f} MiB, "
          f"{numbers['reviews_stored']} reviews stored, FSRS fitted for {numbers['fitted']} learners")


if __name__ == "__main__":
    main()
