"""The scheduling policy the add-on applies to cardgen cards, as plain arithmetic (standard library only;
cardgen.addon.scheduling turns it into Anki collection operations).

What the add-on decides, and why (measured in benchmarks/fair.py: docs/addon-evaluation.md,
and the rounds before the current design in docs/addon-evaluation-history.md):

* **One preset for the cardgen decks**, copied from the preset those decks used (the learner's own FSRS
  parameters, desired retention, Easy Days and every other setting carry over), so Anki's optimizer sees
  all of the learner's cardgen reviews at once (a preset per band would leave each too few reviews
  to fit).
* **Pace from the learner's budget and date**: each day, new cards fill what the learner's minutes per
  day leave after the reviews due today (:func:`new_cards_today`), at least as many as reach the whole
  curriculum in the first :data:`INTRODUCE_BY` of the days to the target date (the rest consolidates):
  of the days from the learner's first study day while they keep up with their reviews
  (:func:`keeping_up`), a fixed day; of the days left otherwise, a day that recedes;
  without a date, as if it were always :data:`NO_DATE_DAYS_LEFT` days away. Under the fallback to
  Anki's steps (below) the floor reaches the curriculum only by :data:`INTRODUCE_BY_FALLBACK` of the
  days to a date (without one, as usual), and the desired retention is at least
  :data:`FALLBACK_RETENTION`: that learner's forgetting rewards consolidating.
* **The budget a learner did not set is read from their log** (:func:`minutes_from_log`): their
  minutes on the recent days they stopped with reviews still due; the default until it tells, without
  the retention those default minutes would hold (it is never lowered).
* **Desired retention from the budget**: raised on any day to what Anki's own simulator says the
  learner's minutes hold until the target date (:func:`affordable_retention`), and by a step on a day
  after the budget was not used up with the curriculum introduced (:func:`retention_today`); to the
  top once the curriculum is introduced and the learner keeps up (under the fallback too), and at once
  while the learner's recent reviews mostly fail (:func:`reviews_mostly_fail`: they forget faster than
  FSRS's model of them, and shorter intervals are what it can change); never lowered.
* **New cards before reviews** while the curriculum is not covered and the learner's recent reviews
  mostly succeed (:func:`new_cards_first`), but for a catch-up day every few days whose overdue
  reviews keep that evidence fresh; mixed in (Anki's default) otherwise. Under a tight budget this is
  what covers the curriculum: a card never introduced counts for nothing. Under the fallback to Anki's
  steps (below) for a learner who forgets a failed card overnight (:func:`forgets_overnight`), mixed
  as well once the overdue reviews would take more than :data:`BACKLOG_DAYS` days of the learner's
  minutes: that learner loses an overdue card day by day. On the last
  :data:`FINAL_REVIEW_DAYS` days to the target date, after the reviews (:func:`reviews_first`): the
  date is near, and what is learnt should hold at it and after it.
* **The FSRS parameters**: the class's (cohort) parameters when the deck carries them and the learner
  has none of their own; the learner's own fit once Anki can make one and it predicts their reviews
  better than the parameters in use (:data:`FIT_MIN_REVIEWS`, refitted weekly).
* **One learning step of 10 minutes** (:data:`LEARN_STEPS`), not Anki's default 1 and 10: FSRS
  schedules a new card from its answers, and a repeat within minutes adds little to what is
  remembered days later (FSRS-6's own fit on real reviews has a same-day Good raise stability by about
  5 %; in ACT-R's account of the spacing effect, a trace laid while the item is still active decays
  fast), while it costs the time of a review that a budget-bound learner needs for due reviews and new
  cards. With a session no longer than the step, the step comes back the next day. For a learner who
  forgets a failed card overnight, it then fails again and again, and the budget goes there; so when
  a card that failed its step fails it again most of the time, the preset falls back to Anki's 1
  and 10 minutes (:func:`step_repeats_fail`; docs/addon-evaluation-history.md, sixth and seventh
  runs), and back to the one step for good when the learner fails a card again within the hour of
  seeing its answer too often: then the failures are not forgetting, and the shorter step does not help
  (:func:`fallback_fails`, eighth run); but not where the one step had held few of the learner's cards
  to their next session: they learn a card by answering it again and again (:func:`one_step_held`).
  Where the deck carries the class's record and the learner has too few repeats of their own, the
  class's stands in (:func:`class_repeats_fail`): a class that
  failed a card again a day after failing it twice in a row nearly every time starts a learner whose
  session is no longer than the step under the fallback on the first day (fifteenth round;
  docs/addon-evaluation.md, twenty-fifth round, for a session as long as the step).
* **New cards in curriculum order, hard ones spread out** (:func:`spread_hard`).
* **The difficulty tags** (``cardgen::difficulty::``) say which cards *this learner* is likeliest to
  fail at their next review (cardgen.difficulty, the one definition the educator's side shares):
  FSRS's own predicted recall then (today for an overdue card), moved by a fit on the learner's past
  reviews (a bias, and a weight on how much more often than their mean the card failed); ``hard``
  when likelier to fail than their latest reviews failed on average, ``easy`` as safe as the safest
  30 % of those. Where the deck carries the class's failure counts, how often the class failed a card
  stands in for the educator's prior in that record. A card without reviews keeps the educator's prior.
"""

from __future__ import annotations

import math
import statistics

from cardgen.difficulty import Difficulty

PRESET_PREFIX = "cardgen: "  # + the name of the preset the decks used before
DEFAULT_MINUTES = 20.0  # minutes per day when the learner set none and their log does not tell
BUDGET_READ_DAYS = 14  # the days of the learner's log their minutes are read from when they set none
MIN_BUDGET_DAYS = 2  # study days in that window before the log tells the budget
SPARE_DAYS = 7  # study days there, most finished, before the log tells the learner has minutes to spare
LOG_DIFFERS = 0.25  # a budget set more than this share off the log's: the status dialog says so
MIN_TIMED_ANSWER_MS = 500  # answers averaging less were not timed as a person reads a card (0 ms: imported
# from another app, or logged by a program such as a harness): they tell nothing of the minutes
INTRODUCE_BY = 0.35  # share of the days to the target date by which the whole curriculum is introduced
INTRODUCE_BY_NO_DATE = 0.25  # the same without a date, of NO_DATE_DAYS_LEFT: a fifteenth of the cards left a day
INTRODUCE_BY_FALLBACK = 0.75  # the same under the fallback to Anki's steps: a last stretch to consolidate
KEEP_UP_OVERDUE_DAYS = 1.0  # overdue reviews taking less than this many days of the budget: keeping up
NO_DATE_DAYS_LEFT = 60  # without a target date: as if it were always this many days away
HEADROOM = 0.85  # share of the minutes left after today's reviews spent on new cards
DEFAULT_NEW_SECONDS = 45.0  # a new card with its learning steps, before the learner has history
DEFAULT_REVIEW_SECONDS = 10.0
MAX_NEW_PER_DAY = 50
FIT_MIN_REVIEWS = 100  # reviews of cardgen cards before the learner's own parameters are fitted
REFIT_DAYS = 7
MANAGED_FIELDS = ("new_per_day", "desired_retention", "fsrs_params", "new_mix", "learn_steps")
LEARN_STEPS: tuple[float, ...] = (10.0,)  # minutes: the learning steps of a new card in the cardgen preset
FALLBACK_LEARN_STEPS: tuple[float, ...] = (1.0, 10.0)  # Anki's default: a first right answer within the session
STEP_FAIL_LIMIT = 0.75  # a step answered after a failed step fails again more often than this: fall back
MIN_STEP_ANSWERS = 30  # such recent answers needed to tell
QUICK_REPEAT_SECONDS = 3600  # a step answered within this long after the card's failed answer: a quick repeat
QUICK_FAIL_LIMIT = 0.15  # under the fallback, quick repeats fail more often than this: back to the one step
MIN_QUICK_ANSWERS = 30  # quick repeats under the fallback needed to tell
HELD_LIMIT = 0.5  # new cards that passed their next session under the one step: at least this share, it held
MIN_HELD_ANSWERS = 20  # such cards needed to tell (fewer: as if it held)
CLASS_REPEAT_FAIL_LIMIT = 0.85  # the class failed a card again a day after two failures more often: fall back
MIN_CLASS_REPEATS = 100  # such answers of the class needed to tell
NEW_FIRST = True  # False: new cards always mixed with reviews (Anki's default; the ablation)
NEW_FIRST_SUCCESS = 0.7  # recent reviews succeed at least this often: the day's new cards come first
RECENT_DAYS = 14  # the window of reviews that success rate is measured on
MIN_RECENT_REVIEWS = 20  # fewer recent reviews than this: too few to tell
CATCH_UP_EVERY = 8  # every this many days (Anki's day number) new cards are mixed with reviews anyway
BACKLOG_DAYS = 2.0  # under the fallback: overdue reviews taking more than this many days' minutes: mixed (0: off)
MIX_WITH_REVIEWS, NEW_AFTER_REVIEWS, NEW_BEFORE_REVIEWS = 0, 1, 2  # Anki's new-card mix (DeckConfig.Config.ReviewMix)
ORDER_NAMES = {MIX_WITH_REVIEWS: "mixed", NEW_AFTER_REVIEWS: "reviews first", NEW_BEFORE_REVIEWS: "new cards first"}
FINAL_REVIEW_DAYS = 3  # the last days to the target date (the date included): reviews before new cards
DR_HIGH = 0.99
DR_UP = 0.01
# desired retentions offered to Anki's simulator (up to DR_HIGH)
RETENTION_CHOICES = (0.9, 0.92, 0.94, 0.96, 0.97, 0.98, 0.99)
SIMULATED_SHARE = 0.85  # a choice fits when the simulator's minutes a day are at most this share of the budget
FALLBACK_RETENTION = 0.95  # desired retention at least this under the fallback to Anki's steps
MOSTLY_FAILED = 0.3  # recent reviews succeed less often than this: the desired retention goes to DR_HIGH
SLACK = 0.9  # yesterday used less than this share of the budget with nothing overdue: room for more


def minutes_from_log(stopped_minutes: list[float], study_days: int) -> float | None:
    """The minutes a day a learner who set no budget gives cardgen cards, read from their log: the
    median of their minutes on the recent days they stopped with a review still due
    (``stopped_minutes``, of :data:`BUDGET_READ_DAYS` days), when those are at least half of their
    ``study_days`` there (at least :data:`MIN_BUDGET_DAYS`). On such a day their time, not the
    cards, ended the session. None otherwise: a learner who finishes their due cards on most days has
    minutes to spare, and :data:`DEFAULT_MINUTES` stands.

    Only reviews count: a review due that day waited for the learner all day, while a new card left
    may be only the day's limit and a learning step left may have come due after they closed Anki.
    The budget paces new cards and bounds the desired retention: a learner studying 4 minutes a day
    taken for 20 is given new cards for 20 and a retention the 20 hold, which the 4 do not
    (docs/addon-evaluation.md, thirtieth round)."""
    if study_days < MIN_BUDGET_DAYS or not stopped_minutes or 2 * len(stopped_minutes) < study_days:
        return None
    return max(0.1, round(statistics.median(stopped_minutes), 1))


def minutes_in(value: object) -> float | None:
    """``value`` (the add-on's config value ``minutes_per_day``) as a number of minutes in a day (more
    than 0, at most a day's), or None: then the budget is read from the learner's log
    (:func:`minutes_from_log`). A typo in Anki's config editor must not stop the add-on; the status
    dialog says the value was not read."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        minutes = float(value)
    except ValueError:
        return None
    return minutes if math.isfinite(minutes) and 0 < minutes <= 24 * 60 else None


def retention_today(current: float, *, minutes_per_day: float, minutes_yesterday: float | None, overdue: int,
                    reviews: int, new_left: int, fell_back: bool = False, affordable: float | None = None,
                    kept_up: bool = False, reviews_fail: bool = False) -> float:
    """Desired retention, only ever raised: overdue reviews under a tight budget cost less retention
    than a lower target does (docs/addon-evaluation-history.md, twenty-first round).

    At least ``affordable`` (:func:`affordable_retention`), what Anki's own simulator says the learner's
    budget holds: a budget with minutes to spare holds a high retention from the first day, while every
    card is still new, and a card that fails early costs answers later
    (docs/addon-evaluation-history.md, tenth round). Then by feedback on the learner's own time, which
    needs no model of memory to be right: once the whole curriculum is introduced, raised while the
    learner finishes their due cards with minutes of their budget left; and straight to
    :data:`DR_HIGH` once it is introduced while the learner keeps up with their reviews (``kept_up``,
    :func:`keeping_up`): no new card is left for the reviews to crowd out, and a high retention with
    some reviews left overdue keeps more of the curriculum than a lower one the budget holds
    (docs/addon-evaluation-history.md, eighteenth to twenty-second rounds; docs/addon-evaluation.md,
    twenty-third).

    Under the fallback to Anki's steps (``fell_back``, :func:`step_repeats_fail`) at least
    :data:`FALLBACK_RETENTION`: the learner forgets a failed card before a day-long gap ends, and a
    repeat within minutes works for them, so waiting longer between reviews buys them little (no
    spacing effect to reward it) and costs recall; shorter intervals keep what they learnt
    (docs/addon-evaluation-history.md, ninth round).

    Straight to :data:`DR_HIGH` while the learner's recent reviews mostly fail (``reviews_fail``,
    :func:`reviews_mostly_fail`): FSRS, their own fit included, then spaces their reviews past the
    point where most cards are forgotten, and shorter intervals are what it can change
    (docs/addon-evaluation.md, twenty-ninth round)."""
    floor = max(FALLBACK_RETENTION if fell_back else 0.0, min(affordable or 0.0, DR_HIGH))
    if (new_left == 0 and kept_up) or reviews_fail:
        floor = DR_HIGH
    if current < floor:
        return floor
    if (new_left == 0 and overdue == 0 and minutes_yesterday is not None
            and minutes_yesterday < SLACK * minutes_per_day and current < DR_HIGH):
        return round(min(DR_HIGH, current + DR_UP), 3)
    return current  # no reason to move: the learner's (or the last) value stays


def affordable_retention(simulated: dict[float, tuple[float, float]], *, minutes_per_day: float) -> float | None:
    """The desired retention the learner's budget holds, as Anki's own simulator
    (``simulate_fsrs_review``, with the learner's FSRS parameters, pace and seconds per answer) sees it:
    of the :data:`RETENTION_CHOICES` it simulated to the target date (``{retention: (minutes a day,
    knowledge at the date)}``), the one with the most knowledge whose minutes a day fit
    :data:`SIMULATED_SHARE` of ``minutes_per_day``; None when none fits. The choice a diligent learner
    makes in Anki's deck options; :func:`retention_today` only ever raises the desired retention to it.

    The share is a margin for the simulator's error: it is FSRS's model of the learner, and where their
    memory forgets faster than that model (exponentially), a choice that takes the whole budget left
    part of a 600-card curriculum new (docs/addon-evaluation-history.md, tenth round)."""
    fitting = [(knowledge, retention) for retention, (minutes, knowledge) in simulated.items()
               if minutes <= SIMULATED_SHARE * minutes_per_day]
    return max(fitting)[1] if fitting else None


def new_cards_today(*, minutes_per_day: float, due_reviews: int, review_seconds: float, new_seconds: float,
                    new_left: int, days_left: int | None, fell_back: bool = False, kept_up: bool = False,
                    days_studied: int = 0) -> int:
    """New cards for today: what the budget leaves after today's due reviews (with some headroom, since
    each new card brings reviews of its own later), and at least enough to introduce the rest of the
    curriculum within :data:`INTRODUCE_BY` of the days to the target date.

    While the learner keeps up with their reviews (``kept_up``, :func:`keeping_up`), of the days from
    their first study day (``days_studied`` ago): a fixed day, nearer each day. Otherwise of the days
    left: a day that recedes as the date nears, so the floor eases off for a learner falling behind.
    A receding floor alone left a learner whose reviews fill a 20-minute budget introducing the last
    cards in their fifth week, where one who set 20-30 new cards a day had them all in the first
    (docs/addon-evaluation.md, twenty-third round); a fixed one for a learner who falls behind
    crowded out the reviews of a memory that forgets faster than FSRS's model of it.

    Under the fallback to Anki's steps (``fell_back``) the floor is only what reaches the curriculum
    within :data:`INTRODUCE_BY_FALLBACK` of those days (fixed or receding as above), which leaves a
    last stretch to consolidate before the date: that learner forgets a failed card overnight, so
    each card needs more of their answers to hold, and an early floor spreads those answers thinner;
    a late one leaves the cards introduced in the last days too few answers to hold through the weeks
    after the date, most of all for a learner who skips days (docs/addon-evaluation-history.md, ninth
    and sixteenth rounds).

    With a date, :data:`INTRODUCE_BY` is about a third of the days (a quarter until the thirty-fifth
    round: that early floor left learners whose memory forgets faster than FSRS's model of it with a
    backlog of failing reviews; docs/addon-evaluation.md).

    Without a target date (``days_left`` None) the date is always :data:`NO_DATE_DAYS_LEFT` days
    away, and the floor :data:`INTRODUCE_BY_NO_DATE` of them: at least a fifteenth of the cards left
    each day. The budget alone is too timid a guide: once
    reviews fill most of it, it allows one new card a day, the learner finishes early with nothing
    new to study, and most of the curriculum is never reached (docs/addon-evaluation-history.md, third
    fresh run). Under the fallback too: its later floor leaves a stretch to consolidate before a date;
    without one, three quarters of a horizon that never comes nearer is a forty-fifth of the cards
    left a day, and half-life regression's learners without a date had 69-92 % of the curriculum
    introduced by the end in 5 of 6 cells, against 76-100 % with one (docs/addon-evaluation.md,
    twenty-fourth round)."""
    if new_left <= 0:
        return 0
    # the fallback's later floor leaves a stretch to consolidate before a date; without one, the usual
    if days_left is None:
        share, days_left = INTRODUCE_BY_NO_DATE, NO_DATE_DAYS_LEFT
    else:
        share = INTRODUCE_BY_FALLBACK if fell_back else INTRODUCE_BY
    free = minutes_per_day * 60 - due_reviews * review_seconds
    by_budget = max(0, math.floor(HEADROOM * free / max(new_seconds, 1.0)))
    if kept_up:
        days_to_go = math.floor(share * (days_left + days_studied)) - days_studied
    else:
        days_to_go = math.floor(share * days_left)
    by_date = math.ceil(new_left / max(1, days_to_go))
    return max(0, min(new_left, MAX_NEW_PER_DAY, max(by_budget, by_date, 1)))


def reviews_first(*, days_left: int | None, new_left: int) -> bool:
    """Whether the day's reviews come before its new cards (Anki's new/review order): on the last
    :data:`FINAL_REVIEW_DAYS` days to the target date (``days_left`` counts today and the date; None:
    no date) while cards are left to introduce. A card first seen then is barely held at the date and
    not a month after it; the reviews it would displace consolidate what is learnt, and new cards
    still come when they leave minutes. Where reviews fill the budget, as for a learner with days
    off whose reviews piled up, those days go to the reviews: half-life regression's learners who
    skip days kept 3.2-4.3 points more of the curriculum a month after the date for 0.3-0.5 points
    over days 51-60, on three seed sets; the other memories moved by at most 0.5 points either way
    (docs/addon-evaluation-history.md, seventeenth round)."""
    return new_left > 0 and days_left is not None and days_left <= FINAL_REVIEW_DAYS


def new_cards_first(*, new_left: int, recent_reviews: int, recent_successes: int, today: int,
                    forgets_overnight: bool = False, overdue_days: float = 0.0) -> bool:
    """Whether the day's new cards come before its reviews (Anki's new/review order) on Anki's day
    ``today``.

    While part of the curriculum is not introduced and the learner's recent reviews mostly succeed
    (:data:`NEW_FIRST_SUCCESS`), a review left for tomorrow costs little and a card never introduced
    counts for nothing: new cards first, so a tight budget still covers the curriculum. When reviews
    mostly fail, the learner forgets faster than the schedule assumes and new cards would crowd out
    the reviews holding what they learnt; with too few recent reviews to tell, there is no evidence
    either way. In both cases Anki's default stays: new cards mixed with reviews.

    Every :data:`CATCH_UP_EVERY` th day is a catch-up day, mixed even then. While new cards come
    first, a tight budget leaves almost no time for reviews, and the success rate would rest on
    reviews answered before the backlog grew. A catch-up day answers overdue reviews, and their
    results decide the next days: where forgetting slows with time (a power law, as FSRS and ACT-R
    have it, and as real forgetting curves look) the late reviews mostly succeed and new cards stay
    first; where it does not (exponential forgetting) they fail and new cards first stops
    (docs/addon-evaluation-history.md measures both).

    Under the fallback to Anki's steps (:func:`step_repeats_fail`) for a learner who forgets a failed
    card overnight (``forgets_overnight``: :func:`forgets_overnight`), mixed too while the overdue
    reviews would take more than :data:`BACKLOG_DAYS` days of the learner's budget
    (``overdue_days``). The fallback is the evidence that this learner forgets a card before a
    day-long gap ends, so an overdue card is lost a little more each day it waits; with new cards
    first, a backlog that size waits for days, most of all after days off. The reviews answered can
    still mostly succeed while it grows (54 of 63 recent reviews, with 128 due, in a run of half-life
    regression), so the success rate alone does not show it (docs/addon-evaluation-history.md,
    thirteenth and sixteenth rounds)."""
    if new_left <= 0 or not NEW_FIRST:
        return False
    if catch_up_day(today) or reviews_wait_too_long(forgets_overnight=forgets_overnight,
                                                    overdue_days=overdue_days):
        return False
    return reviews_mostly_succeed(recent_reviews=recent_reviews, recent_successes=recent_successes)


def reviews_mostly_succeed(*, recent_reviews: int, recent_successes: int) -> bool:
    """Whether at least :data:`NEW_FIRST_SUCCESS` of the learner's ``recent_reviews`` (of the last
    :data:`RECENT_DAYS` days, at least :data:`MIN_RECENT_REVIEWS` of them) succeeded."""
    return recent_reviews >= MIN_RECENT_REVIEWS and recent_successes / recent_reviews >= NEW_FIRST_SUCCESS


def reviews_mostly_fail(*, recent_reviews: int, recent_successes: int) -> bool:
    """Whether fewer than :data:`MOSTLY_FAILED` of the learner's ``recent_reviews`` (of the last
    :data:`RECENT_DAYS` days, at least :data:`MIN_RECENT_REVIEWS` of them) succeeded.

    At a desired retention of 0.9 FSRS expects about nine reviews in ten to succeed; a learner whose
    reviews succeed less than three times in ten forgets faster than FSRS's model of them, their
    own fit included (an item-response memory that forgets fast at first: 0.11-0.28 for the slow
    learner, at 4-6 and at 20 minutes a day). Pinned at 0.99 a plain learner kept 1.9-3.3 points more
    there at 20 minutes a day; the add-on, which raised its retention only with minutes to spare or
    every card introduced, gains 1.6-2.2 / 1.9-3.5 from this. A cut at half fired also where reviews
    succeed 0.3-0.6 of the time for other reasons (a backlog under a tight budget; all-or-none
    learning) and lost up to 2.7 points there (docs/addon-evaluation.md, twenty-ninth round)."""
    return recent_reviews >= MIN_RECENT_REVIEWS and recent_successes < MOSTLY_FAILED * recent_reviews


def keeping_up(*, recent_reviews: int, recent_successes: int, overdue_days: float) -> bool:
    """Whether the learner keeps up with their reviews: their recent reviews mostly succeed
    (:func:`reviews_mostly_succeed`) and the overdue ones would take less than
    :data:`KEEP_UP_OVERDUE_DAYS` of their budget (``overdue_days``).

    Then what they learnt holds and their reviews get done, so the pace can aim at a fixed day
    (:func:`new_cards_today`) and, once every card is introduced, the desired retention at the top
    (:func:`retention_today`). Success alone is not enough: with new cards first, reviews wait, and the
    few answered can still mostly succeed while a backlog grows; a learner whose memory forgets
    faster than FSRS's model of it then lost 8 points to new cards pushed in (docs/addon-evaluation.md,
    twenty-third round). Under the fallback to Anki's steps as well, at the fallback's own later day: a
    receding one left half-life regression's slow learner with minutes to spare and days off
    introducing the last cards in the last week, 4.9 / 4.0 points behind (b); the fixed day gained
    4.3 / 2.1 there on fresh seeds (docs/addon-evaluation.md, twenty-fourth and twenty-fifth rounds)."""
    return (overdue_days < KEEP_UP_OVERDUE_DAYS
            and reviews_mostly_succeed(recent_reviews=recent_reviews, recent_successes=recent_successes))


def learning_steps(*, fell_back: bool) -> tuple[float, ...]:
    """The learning steps of the cardgen preset: :data:`LEARN_STEPS`, or :data:`FALLBACK_LEARN_STEPS`
    while the learner is under the fallback (``fell_back``: their repeats failed,
    :func:`step_repeats_fail`, and Anki's steps have not been found not to help, :func:`fallback_fails`)."""
    return FALLBACK_LEARN_STEPS if fell_back else LEARN_STEPS


def step_repeats_fail(*, repeat_answers: int, repeat_failures: int) -> bool:
    """Whether the learner's ``repeat_answers`` (of the last :data:`RECENT_DAYS` days: learning-step
    answers right after a failed learning step of the same card) failed again more often than
    :data:`STEP_FAIL_LIMIT`, with at least :data:`MIN_STEP_ANSWERS` of them: the steps fall back.

    A learning step is there for a first right answer. A step longer than the learner's session comes
    back the next day. Failing it once is common and still teaches (seeing the answer again a day
    later is spaced practice). But when a card that failed its step fails the next one too, time
    after time, the learner forgets it before the step comes back and learns nothing from the
    repeats, while they eat the budget; a step within the session gets the right answer while the
    card is fresh. Measured on four simulated memories, repeats failed at most 0.67 of the time where
    the one step helps, and 0.68-1.0 where it loses most of the curriculum
    (docs/addon-evaluation-history.md, sixth and seventh runs)."""
    return repeat_answers >= MIN_STEP_ANSWERS and repeat_failures > STEP_FAIL_LIMIT * repeat_answers


def class_repeats_fail(*, class_answers: int, class_failures: int, repeat_answers: int = 0,
                       minutes_per_day: float | None = DEFAULT_MINUTES) -> bool:
    """Whether the class's record says the one step fails this deck's learners, for a learner with
    fewer than :data:`MIN_STEP_ANSWERS` repeats of their own (``repeat_answers``, as
    :func:`step_repeats_fail` counts them; with more, theirs decide) and a budget no longer than the
    step (``minutes_per_day``: their session ends before the step comes back, which then comes the
    next day): ``class_answers`` are the class's answers a day or more after two failed answers of
    the same card in a row (cardgen.learners.model.ClassStats ``repeats``), and more than
    :data:`CLASS_REPEAT_FAIL_LIMIT` of them failed, with at least :data:`MIN_CLASS_REPEATS` of them.

    A card failed twice and forgotten by the next day again is what makes the one step fail: the
    learner learns nothing from a failed answer overnight. The learner's own repeats need days to
    count (their first come on day 2, and 30 of them on days 5-19), and those days cost the learner
    whose memory works so 1-6 points (fourteenth round); the class's pooled record is there on day 0.
    Measured on the class the benchmark simulates (6 learners, 40 days, the interval doubling from a
    day), on 16 seed sets: 0.95-0.96 under half-life regression, where the one step loses, and
    0.39-0.74 under the four memories where it wins (docs/addon-evaluation-history.md, fifteenth and
    sixteenth rounds). The cut leaves a margin above the item-response memory's 0.67-0.74, whose learners fail
    repeats for another reason (a ceiling on recall) and lose when they fall back. With 20 minutes a
    day the step comes back within the session, the one step does not fail such a learner, and
    starting them on Anki's steps cost 0.2-1.1 points (fifteenth round). At exactly the step's 10
    minutes no step comes back within a session either: half-life regression's learners at 10 minutes
    kept as much or more (+0.5 / +1.3 with days off; no median below -0.0) for 5-10 % fewer minutes
    (docs/addon-evaluation.md, twenty-fifth round). A budget not known yet (``minutes_per_day`` None:
    the learner set none and their log is too short to tell) counts as no longer than the step: a
    wrong fallback costs the learner with long sessions 0.2-1.1 points, a missing one cost half-life
    regression's slow learner 3 points (docs/addon-evaluation.md, thirtieth round)."""
    return (repeat_answers < MIN_STEP_ANSWERS and bool(LEARN_STEPS)
            and (minutes_per_day is None or minutes_per_day <= LEARN_STEPS[-1])
            and class_answers >= MIN_CLASS_REPEATS and class_failures > CLASS_REPEAT_FAIL_LIMIT * class_answers)


def one_step_held(*, held_answers: int, held_passes: int) -> bool:
    """Whether the one step held most of the cards it introduced to their next session: of
    ``held_answers`` (cards introduced under it, their first answer more than
    :data:`QUICK_REPEAT_SECONDS` after their first sight) at least :data:`HELD_LIMIT` passed
    (``held_passes``), or too few of them to tell (fewer than :data:`MIN_HELD_ANSWERS`).

    Under the fallback this tells two learners apart whose failed repeats look alike. One whose new
    cards mostly held, while the cards that failed their step failed it again, forgets a failed card
    overnight (half-life regression: 0.62-0.89 held in the first week), or cannot reach some cards
    at any delay (the item-response memory's ceiling: 0.67-0.88). One whose new cards mostly failed
    their next session learns a card by answering it again and again (a memory that counts answers,
    after DASH: 0.14-0.43), and each repeat teaches (docs/addon-evaluation.md, twenty-eighth round)."""
    return held_answers < MIN_HELD_ANSWERS or held_passes >= HELD_LIMIT * held_answers


def fallback_fails(*, quick_answers: int, quick_failures: int, one_step_held: bool = True) -> bool:
    """Whether Anki's steps do not help this learner either, so the one step comes back for good:
    under the fallback, ``quick_answers`` (learning and relearning steps answered within
    :data:`QUICK_REPEAT_SECONDS` of the card's failed answer) failed more often than
    :data:`QUICK_FAIL_LIMIT`, with at least :data:`MIN_QUICK_ANSWERS` of them, and the one step had
    held most cards (``one_step_held``, :func:`one_step_held`).

    The fallback is a bet that the learner fails the step because it comes back after the card is
    forgotten. A learner who fails a card again a minute after seeing its answer does not know it
    yet, and forgetting is not the reason: a step within the session only spends the budget on
    massed repeats, which teach little where spacing matters. Measured on four simulated memories
    in their first 25 days, quick repeats failed at most 0.01 of the time where forgetting
    overnight is the cause (under half-life regression and FSRS-6), 0.02-0.14 under ACT-R, and
    0.20-0.41 for the slow learner of an item-response memory with a ceiling on recall, where the
    fallback cost 2-5 points (docs/addon-evaluation-history.md, eighth run). A learner who learns a
    card by answering it again and again fails quick repeats too (0.45-0.81 under the counting
    memory), but there each repeat teaches, and the one step had held few of their cards: Anki's
    steps stay (docs/addon-evaluation.md, twenty-eighth round: +0.5 to +9 points a run)."""
    return _quick_repeats_fail(quick_answers, quick_failures) is True and one_step_held


def forgets_overnight(*, one_step_held: bool, quick_answers: int, quick_failures: int) -> bool:
    """Under the fallback to Anki's steps, whether the learner forgets a failed card overnight, so an
    overdue review is lost a little more each day it waits (:func:`reviews_wait_too_long`), rather than
    learning a card by answering it again and again: the one step held most of their cards to their
    next session (:func:`one_step_held`), or they get a card right within the hour of seeing its
    answer (quick repeats: at most :data:`QUICK_FAIL_LIMIT` of them failed, with at least
    :data:`MIN_QUICK_ANSWERS` of them).

    A slow learner who forgets overnight fails most new cards at first sight, and those fail their
    next session too: the one step held few of their cards, as for a learner who learns by repeating.
    The hour after the answer tells the two apart: the first gets the card right then (half-life
    regression: at most 0.01 of quick repeats failed), the second does not (0.45-0.81 under the
    counting memory). Without a deck that carries the class's record, half-life regression's slow
    learner with days off was read as the second and left a backlog of reviews to wait behind new
    cards: -14.4 points at day 90 against (b) (docs/addon-evaluation.md, thirty-first round)."""
    return one_step_held or _quick_repeats_fail(quick_answers, quick_failures) is False


def _quick_repeats_fail(quick_answers: int, quick_failures: int) -> bool | None:
    """Whether more than :data:`QUICK_FAIL_LIMIT` of the learner's steps answered within the hour of
    a failed answer failed too; None with fewer than :data:`MIN_QUICK_ANSWERS` of them (too few to
    tell). The one reading of quick repeats that :func:`fallback_fails` and
    :func:`forgets_overnight` draw opposite conclusions from."""
    if quick_answers < MIN_QUICK_ANSWERS:
        return None
    return quick_failures > QUICK_FAIL_LIMIT * quick_answers


def catch_up_day(today: int) -> bool:
    """Whether Anki's day ``today`` is a catch-up day (:func:`new_cards_first`)."""
    return bool(CATCH_UP_EVERY) and today % CATCH_UP_EVERY == 0


def reviews_wait_too_long(*, forgets_overnight: bool, overdue_days: float) -> bool:
    """Whether, under the fallback to Anki's steps for a learner who forgets a failed card overnight
    (``forgets_overnight``, :func:`forgets_overnight`), the overdue reviews would take more than
    :data:`BACKLOG_DAYS` days of the learner's minutes (:func:`new_cards_first`).

    A learner under the fallback whose new cards mostly failed their next session learns by
    repeating, and the measure was made for forgetting: mixing new cards in for the backlog cost the
    counting memory's fast learners 1.3-1.8 points (docs/addon-evaluation.md, twenty-eighth round)."""
    return forgets_overnight and bool(BACKLOG_DAYS) and overdue_days > BACKLOG_DAYS


def spread_hard(ordered: list[tuple[int, Difficulty]], pace: int) -> list[int]:
    """New cards in curriculum order, with hard ones spread out: at most ``max(1, pace // 4)`` hard
    cards in any run of ``pace`` consecutive new cards (one day's worth), so no day is all hard cards.

    ``ordered``: (card id, band) in curriculum order. A hard card that would break the rule waits for
    the next place that keeps it; the order is otherwise kept, so a topic's cards stay together.
    """
    allowed = max(1, pace // 4)
    window = max(pace, 1)
    result: list[int] = []
    bands: list[Difficulty] = []
    waiting: list[int] = []

    def room() -> bool:
        return sum(b is Difficulty.HARD for b in bands[-(window - 1):] if window > 1) < allowed

    for card_id, band in ordered:
        if waiting and room():
            result.append(waiting.pop(0))
            bands.append(Difficulty.HARD)
        if band is Difficulty.HARD and (waiting or not room()):
            waiting.append(card_id)
            continue
        result.append(card_id)
        bands.append(band)
    result.extend(waiting)  # nothing left to spread them between
    return result
