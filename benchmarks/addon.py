"""Does the add-on help? A fast and a slow simulated learner study a cardgen class deck for 60 days in
real Anki collections, with and without the add-on; the benchmark prints each learner's retention at
day 60 and their reviews.

The simulation:

* **The deck**: a class deck built by cardgen from generated cases (pydicom's bundled ``CT_small.dcm``
  in each, topics of the bundled ESR curriculum, priors easy / medium / hard in turn), imported into a
  fresh collection per run. FSRS is on in every run (the add-on's policy is written for it).
* **The learners' memory** (the ground truth the scheduler never sees): FSRS-6's own model with
  per-learner parameters: FSRS-6's defaults changed in initial stability, stability growth after a
  success and stability after a lapse (:data:`LEARNERS`). Each card has a true difficulty that follows
  its case's prior with noise (easy 2.5, medium 5, hard 7.5, sd 1.2; the same cards for every learner
  and arm). A review recalls with FSRS-6's probability ``R(elapsed, S)``; the learner answers Good when
  they recall, Again when not; a new card's first answer is Again with a chance that grows with its
  difficulty. Each card draws its own random numbers, so both arms see the same luck per card and review.
* **Anki's scheduler decides everything else**: each day the learner studies every card Anki queues
  (``get_queued_cards``, ``answer_card``), each answer taking 20 s, waiting for learning steps within a
  12-hour day; then the collection is moved a day on (review log, due dates, note times shifted back,
  as tests/test_learners.py does, plus each card's last-review time, which FSRS reads). Anki's next
  day starts 16-17 hours after the run starts, and reviews are taken in the order cards were added,
  so a rerun prints the same figures. Anki schedules with its default FSRS-6 parameters in both arms
  (a learner rarely optimizes them in the first two months).
* **Without the add-on**: Anki's default preset (desired retention 0.90, learning steps 1m 10m,
  relearning 10m, 20 new cards a day): what a learner who imports the class deck gets.
* **With the add-on**: ``apply_scheduling`` on day 0 (bands from the priors, the class deck's pace of
  15 new cards a day, curriculum order with hard cards spread out), then on days 7, 14, ..., 56
  ``refresh_difficulty`` (the bands from the learner's own reviews) and ``apply_scheduling``.
* **Figures**, per learner and arm, the median (and range) over seeds: retention at day 60 (the true
  recall probability averaged over every introduced card on the morning of day 60), the pass rate of
  review-queue reviews in days 53-59, total answers (learning steps included), new cards introduced.

Run from the repository root: ``python -m benchmarks.addon [--seeds 3] [--quick]``. To measure
alternatives in this process only (cardgen/addon/ unchanged): ``--policy hard=0.95,easy=0.80``
overrides the band presets' desired retention; ``--bands fsrs-difficulty`` bands reviewed notes by
Anki's FSRS difficulty instead of the model's 7-day failure chance.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CURRICULUM = REPO / "decks" / "curricula" / "esr-level1.yaml"
ROOT_DECK = "Course"
DAY_S = 86_400
ANSWER_S = 20  # seconds a learner spends per answer
STUDY_WINDOW_S = 12 * 3600  # a learner comes back for learning steps within 12 hours of starting the day
TOPICS = ("chest.lungs", "gi.liver-lesions", "msk.spine", "neuro.haemorrhage", "cardiovascular.aorta")
PRIORS = ("hard", "medium", "easy")
TRUE_DIFFICULTY = {"easy": 2.5, "medium": 5.0, "hard": 7.5}  # FSRS's D scale, 1-10
DIFFICULTY_NOISE = 1.2
REFRESH_EVERY = 7  # days
QUICK = {"cases": 3, "days": 10, "seeds": 1}  # --quick: a smoke run of a few seconds (the test runs it)
AGAIN, GOOD = 1, 3
DEFAULT_PRESET_ID = 1
REVIEW_ORDER_ADDED = 9  # DeckConfig.Config.ReviewCardOrder.REVIEW_CARD_ORDER_ADDED
CASE_FILE_TIME = 1_700_000_000  # the generated cases' file times (seconds): the same ids every run

# FSRS-6's default parameters (py-fsrs 6 / fsrs-rs; Anki's defaults, which schedule every run here).
FSRS6 = (0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835, 0.0614,
         0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542)

CASE_YAML = """\
id: {case_id}
title: Vertebral body {index}
history: Generated benchmark case.
diagnosis: Normal vertebra
topics: [{topic}]
difficulty: {prior}
images:
  - file: ct.dcm
    id: axial
    window: bone
findings:
  - text: Vertebral body
    image: axial
    shapes:
      - {{kind: ellipse, x: 42, y: 4, width: 40, height: 38}}
"""


@dataclass(frozen=True)
class Learner:
    """A simulated learner: how FSRS-6's defaults change for them (their true memory)."""

    name: str
    initial_scale: float  # x the initial stabilities w0-w3
    growth_shift: float  # + w8: how much a success grows stability (e^w8)
    lapse_scale: float  # x w11: stability after a lapse
    first_again_scale: float  # x the chance a new card's first answer is Again

    def params(self) -> list[float]:
        w = list(FSRS6)
        w[0:4] = [x * self.initial_scale for x in w[0:4]]
        w[8] += self.growth_shift
        w[11] *= self.lapse_scale
        return w


LEARNERS = (
    Learner("fast", initial_scale=2.0, growth_shift=+0.3, lapse_scale=1.5, first_again_scale=0.6),
    Learner("slow", initial_scale=0.5, growth_shift=-0.4, lapse_scale=0.6, first_again_scale=1.5),
)


def retrievability(elapsed_days: float, stability: float, w: list[float]) -> float:
    """FSRS-6's forgetting curve: the chance of recall after ``elapsed_days``."""
    decay = w[20]
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return (1.0 + factor * max(elapsed_days, 0.0) / stability) ** (-decay)


@dataclass
class TrueCard:
    """One card's true memory for one learner."""

    difficulty: float
    rng: random.Random  # the card's own draws: the same per review in both arms
    stability: float = 0.0
    last_s: float | None = None  # simulated time of the last answer, seconds


@dataclass
class Memory:
    """A learner's true memory of every card: FSRS-6 with the learner's parameters."""

    learner: Learner
    true_difficulty: dict[int, float]  # card id -> D (1-10)
    seed: int
    cards: dict[int, TrueCard] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.w = self.learner.params()

    def answer(self, card_id: int, now_s: float) -> tuple[int, float | None]:
        """The learner's answer to ``card_id`` at ``now_s`` and the recall chance it was drawn from
        (None for a card seen the first time); updates the true memory."""
        w = self.w
        card = self.cards.get(card_id)
        if card is None:
            card = self.cards[card_id] = TrueCard(self.true_difficulty[card_id],
                                                  random.Random(self.seed * 1_000_003 + card_id))
        draw = card.rng.random()
        if card.last_s is None:  # first sight: nothing to recall yet; a harder card is likelier Again
            p_again = min(0.9, (0.05 + 0.06 * (card.difficulty - 1)) * self.learner.first_again_scale)
            grade = AGAIN if draw < p_again else GOOD
            card.stability = w[grade - 1]
            card.last_s = now_s
            return grade, None
        elapsed = (now_s - card.last_s) / DAY_S
        p = retrievability(elapsed, card.stability, w)
        grade = GOOD if draw < p else AGAIN
        s, d = card.stability, card.difficulty
        if elapsed < 1.0:  # same day: FSRS-6's short-term stability
            change = math.exp(w[17] * (grade - 3 + w[18])) * s ** (-w[19])
            card.stability = s * (max(change, 1.0) if grade >= GOOD else change)
        elif grade >= GOOD:
            card.stability = s * (1 + math.exp(w[8]) * (11 - d) * s ** (-w[9]) * (math.exp(w[10] * (1 - p)) - 1))
        else:
            after = w[11] * d ** (-w[12]) * ((s + 1) ** w[13] - 1) * math.exp(w[14] * (1 - p))
            card.stability = min(after, s)
        card.stability = max(card.stability, 0.01)
        # Difficulty: FSRS-6's update, reverting to the card's own difficulty rather than FSRS's D0(Easy).
        d += -w[6] * (grade - 3) * (10 - d) / 9
        card.difficulty = min(max(w[7] * self.true_difficulty[card_id] + (1 - w[7]) * d, 1.0), 10.0)
        card.last_s = now_s
        return grade, p

    def mean_recall(self, now_s: float) -> float:
        """The true recall chance averaged over every card seen so far."""
        seen = [c for c in self.cards.values() if c.last_s is not None]
        return statistics.fmean(retrievability((now_s - c.last_s) / DAY_S, c.stability, self.w) for c in seen)


def build_class_deck(folder: Path, cases: int) -> Path:
    """A class deck of ``cases`` generated cases (pydicom's bundled CT_small.dcm in each)."""
    from pydicom.data import get_testdata_file

    from cardgen.build import BuildOptions, build_deck

    ct_small = Path(get_testdata_file("CT_small.dcm"))  # a 128 x 128 axial CT slice, in pydicom's wheel
    for index in range(cases):
        case_dir = folder / "cases" / f"c{index:03d}"
        case_dir.mkdir(parents=True)
        (case_dir / "case.yaml").write_text(CASE_YAML.format(
            case_id=f"bench-{index:03d}", index=index, topic=TOPICS[index % len(TOPICS)],
            prior=PRIORS[index % len(PRIORS)]), encoding="utf-8")
        shutil.copyfile(ct_small, case_dir / "ct.dcm")
        for written in case_dir.iterdir():  # note and card ids follow the files' times: pin them
            os.utime(written, (CASE_FILE_TIME, CASE_FILE_TIME))
    out = folder / "class.apkg"
    build_deck(BuildOptions(cases_dir=folder / "cases", out=out, curriculum=CURRICULUM, deck_name=ROOT_DECK))
    return out


def _shift(col, seconds: int, days: int = 0) -> None:
    """Move the collection ``seconds`` (and ``days`` on the day-numbered due dates) into the future:
    everything that happened gets that much older (review-log ids are times in ms; SQLite shifts them in
    ascending order, so they never collide)."""
    if seconds:
        col.db.execute("UPDATE revlog SET id = id - ?", seconds * 1000)
        col.db.execute("UPDATE notes SET mod = mod - ?", seconds)
        col.db.execute("UPDATE cards SET due = due - ? WHERE queue IN (1, 4)", seconds)
        # FSRS reads a card's elapsed time from its last review time ("lrt", seconds) in the card's data:
        # left alone, every review would look like the same day's and stability would never grow.
        col.db.execute("UPDATE cards SET data = json_set(data, '$.lrt', json_extract(data, '$.lrt') - ?) "
                       "WHERE json_valid(data) AND json_extract(data, '$.lrt') IS NOT NULL", seconds)
    if days:
        col.db.execute("UPDATE cards SET due = due - ? WHERE queue IN (2, 3)", days)


def _day_ends_in_16_hours(col) -> None:
    """Set Anki's next-day hour 16-17 hours after now, so a day's study (at most 12 hours of it) never
    crosses into Anki's next day, whatever the time of day the benchmark runs at."""
    preferences = col.get_preferences()
    preferences.scheduling.rollover = (time.localtime().tm_hour + 17) % 24
    col.set_preferences(preferences)


def _new_day(col) -> None:
    """Reset the decks' daily counts (a new day's limits)."""
    for deck in col.decks.all():
        for key in ("newToday", "revToday", "lrnToday", "timeToday"):
            if key in deck:
                deck[key] = [col.sched.today, 0]
        col.decks.save(deck)


@dataclass
class RunResult:
    """One learner's 60 days in one arm."""

    retention: float  # true recall, mean over introduced cards, morning after the last day
    pass_rate_last_week: float | None  # review-queue reviews recalled, last 7 days
    answers: int  # every answer, learning steps included
    review_answers: int  # answers to review-queue cards
    new_cards: int
    bands_at_end: dict[str, int]
    undo_merge_failures: int = 0  # see _apply


def simulate(package: Path, folder: Path, learner: Learner, with_addon: bool, days: int, seed: int) -> RunResult:
    """``learner`` studies the class deck for ``days`` days in a fresh collection."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.scheduler.v3 import CardAnswer

    from cardgen.addon.learner_side import refresh_difficulty
    from cardgen.learners.deck_marks import band_from_tags
    from cardgen.tags import CARDGEN_SEARCH

    folder.mkdir(parents=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        col.set_config("fsrs", True)
        _day_ends_in_16_hours(col)
        # Anki's default review order ("due date, then random") hashes card modification times, which
        # are real time: repeated runs would differ. Reviews in the order cards were added instead (in
        # both arms; the add-on's presets start from this one). Nothing here hits a review limit, so the
        # order moves reviews by minutes within a day, no more.
        default = col.decks.get_config(DEFAULT_PRESET_ID)
        default["reviewOrder"] = REVIEW_ORDER_ADDED
        col.decks.update_config(default)
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False)))
        card_ids = list(col.find_cards(CARDGEN_SEARCH))
        prior_of = {cid: _prior(col.get_card(cid).note().tags) for cid in card_ids}
        noise = random.Random(seed)  # the cards' true difficulty: the same for every learner and arm
        true_difficulty = {cid: min(max(TRUE_DIFFICULTY[prior_of[cid]] + noise.gauss(0, DIFFICULTY_NOISE), 1.0), 10.0)
                           for cid in sorted(card_ids)}
        memory = Memory(learner, true_difficulty, seed)
        last_week: list[bool] = []
        answers = review_answers = undo_merge_failures = 0
        for day in range(days):
            if with_addon and day % REFRESH_EVERY == 0:
                if day:
                    refresh_difficulty(col)
                undo_merge_failures += _apply(col)
            _new_day(col)
            col.decks.select(col.decks.id_for_name(ROOT_DECK))
            clock = 0  # seconds since the day's study began (the learner's time)
            shifted = 0  # of which the collection has been moved on so far
            while True:
                while (queued := col.sched.get_queued_cards(fetch_limit=1)).cards:
                    top = queued.cards[0]
                    card = col.get_card(top.card.id)
                    was_review = card.queue == 2
                    grade, _ = memory.answer(card.id, day * DAY_S + clock)
                    card.start_timer()
                    rating = CardAnswer.GOOD if grade >= GOOD else CardAnswer.AGAIN  # Anki's enum: 0 Again .. 3 Easy
                    col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating))
                    answers += 1
                    review_answers += was_review
                    if was_review and day >= days - 7:
                        last_week.append(grade >= GOOD)
                    clock += ANSWER_S
                # Learning steps due later today: the learner comes back for them within the study window.
                next_due = col.db.scalar("SELECT min(due) FROM cards WHERE queue = 1")
                wait = (next_due - int(time.time()) + 1) if next_due else None
                if wait is None or clock + wait > STUDY_WINDOW_S:
                    break
                wait = max(wait, 1)
                _shift(col, wait)
                clock += wait
                shifted += wait
            _shift(col, DAY_S - shifted, days=1)
        retention = memory.mean_recall(days * DAY_S)
        bands: dict[str, int] = {}
        for cid in card_ids:
            band = band_from_tags(col.get_card(cid).note().tags).value
            bands[band] = bands.get(band, 0) + 1
        return RunResult(retention, statistics.fmean(last_week) if last_week else None, answers, review_answers,
                         len(memory.cards), bands, undo_merge_failures)
    finally:
        col.close()


def _apply(col) -> int:
    """``apply_scheduling(col)``; returns 1 when it failed only in merging its undo steps into one.

    With more than Anki's 30 undo steps in one apply (many topic decks: a move and a preset per band
    deck), the first step has left the undo queue by the time apply_plan merges them, and Anki raises
    "target undo op not found" after every change was made. The benchmark measures scheduling, not
    undo, so it carries on, but only after checking that the policy holds (an empty plan), and it
    prints how often this happened.
    """
    from anki.errors import InvalidInput

    from cardgen.addon.scheduling import apply_scheduling, plan_scheduling

    try:
        apply_scheduling(col)
        return 0
    except InvalidInput as error:
        if "undo" not in str(error) or not plan_scheduling(col).is_empty():
            raise
        return 1


def _prior(tags: list[str]) -> str:
    for tag in tags:
        if tag.lower().startswith("cardgen::prior::"):
            return tag.split("::")[-1].lower()
    raise ValueError(f"a class-deck note without a cardgen::prior:: tag: {tags}")


def override_policy(spec: str) -> None:
    """Change the band presets' desired retention in this process only: ``hard=0.95,easy=0.80``."""
    from cardgen.addon.policy import BAND_POLICIES
    from cardgen.difficulty import Difficulty

    for item in filter(None, spec.split(",")):
        band, _, value = item.partition("=")
        key = Difficulty(band.strip().lower())
        BAND_POLICIES[key] = dataclasses.replace(BAND_POLICIES[key], desired_retention=float(value))


def bands_from_fsrs_difficulty() -> None:
    """An alternative note-band rule, in this process only: a reviewed note's band from the mean FSRS
    difficulty of its reviewed cards alone (hard from 7, easy below 3), ignoring its unseen cards.
    (The learners model now bands reviewed cards by D too, averaging over all of a note's cards.)"""
    import cardgen.addon.learner_side as learner_side
    from cardgen.difficulty import Difficulty
    from cardgen.learners import model

    def note_bands(learner, notes, states, stats):
        states = list(states)
        bands = model.note_bands(learner, notes, states, stats)
        by_note: dict[str, list[float]] = {}
        for state in states:
            by_note.setdefault(state.note_guid, []).append(state.difficulty)
        for guid, ds in by_note.items():
            d = statistics.fmean(ds)
            bands[guid] = Difficulty.HARD if d >= 7 else Difficulty.EASY if d < 3 else Difficulty.MEDIUM
        return bands

    learner_side.note_bands = note_bands


def _median_range(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.median(values), fmt)} [{format(min(values), fmt)}..{format(max(values), fmt)}]"


def run(cases: int, days: int, seeds: int, out=print, band_rule: str = "model") -> dict[str, dict[str, list[RunResult]]]:
    """Every learner in both arms for every seed; prints the table and returns the results."""
    started = time.perf_counter()
    results: dict[str, dict[str, list[RunResult]]] = {l.name: {"without": [], "with": []} for l in LEARNERS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        package = build_class_deck(root / "deck", cases)
        for seed in range(1, seeds + 1):
            for learner in LEARNERS:
                for arm in ("without", "with"):
                    results[learner.name][arm].append(simulate(
                        package, root / f"{learner.name}-{arm}-{seed}", learner, arm == "with", days, seed))
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from cardgen.addon.policy import BAND_POLICIES

    policy = ", ".join(f"{b.value} {p.desired_retention:.2f}" for b, p in BAND_POLICIES.items())
    out(f"class deck: {cases} cases, {_cards(results)} cards; {days} days; {seeds} seed(s); FSRS on; "
        f"add-on desired retention {policy}; bands by {band_rule}")
    out("learner  arm      retention@day{0}  pass rate last week  answers  review answers  new cards".format(days))
    for name, arms in results.items():
        for arm, runs in arms.items():
            out(f"{name:<8} {arm:<8} {_median_range([r.retention for r in runs], '.3f'):>16}  "
                f"{_median_range([r.pass_rate_last_week or 0.0 for r in runs], '.3f'):>19}  "
                f"{_median_range([r.answers for r in runs], '.0f'):>7}  "
                f"{_median_range([r.review_answers for r in runs], '.0f'):>14}  "
                f"{_median_range([r.new_cards for r in runs], '.0f'):>9}")
    for name, arms in results.items():
        d_ret = [(w.retention - o.retention) * 100 for o, w in zip(arms["without"], arms["with"])]
        d_ans = [(w.answers / o.answers - 1) * 100 for o, w in zip(arms["without"], arms["with"])]
        bands = arms["with"][0].bands_at_end
        out(f"change {name}: retention {_median_range(d_ret, '+.1f')} points, answers {_median_range(d_ans, '+.1f')} %"
            f" (bands at the end, seed 1: {', '.join(f'{v} {k}' for k, v in sorted(bands.items()))})")
    failures = sum(r.undo_merge_failures for arms in results.values() for r in arms["with"])
    if failures:
        out(f"note: apply_scheduling made its changes but could not merge its undo steps {failures} time(s) "
            "(more than Anki's 30 undo steps in one apply); see _apply")
    out(f"run time {elapsed:.1f} s, peak RSS {peak_mib:.0f} MiB")
    return results


def _cards(results: dict[str, dict[str, list[RunResult]]]) -> int:
    first = next(iter(results.values()))["without"][0]
    return sum(first.bands_at_end.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40, help="generated cases (3 cards each)")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 cases, 10 days, 1 seed")
    parser.add_argument("--policy", default="", help="override desired retention per band, e.g. hard=0.95,easy=0.80")
    parser.add_argument("--bands", choices=("model", "fsrs-difficulty"), default="model",
                        help="how the refresh bands reviewed notes: cardgen's model (the add-on) or, to "
                             "measure an alternative, Anki's FSRS difficulty")
    args = parser.parse_args()
    if args.policy:
        override_policy(args.policy)
    if args.bands == "fsrs-difficulty":
        bands_from_fsrs_difficulty()
    if args.quick:
        args.cases, args.days, args.seeds = QUICK["cases"], QUICK["days"], QUICK["seeds"]
    run(args.cases, args.days, args.seeds, band_rule=args.bands)


if __name__ == "__main__":
    main()
