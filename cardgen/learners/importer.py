"""Import a learner's review history from an Anki export, through the real ``anki`` backend.

A history is a collection package (``.colpkg``, File > Export > Anki Collection Package), a deck
package exported with scheduling information (``.apkg``), or the add-on's progress file (``.json``,
read without Anki: see cardgen.learners.progress). It is opened in a temporary folder, only
the cards of cardgen notes are read (a note is cardgen's when it carries a ``cardgen::case::`` or
``cardgen::text_only`` tag, which every note cardgen writes has; its GUID is what matches it to
the class deck), and the temporary copy is deleted.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import InputError
from cardgen.scratch import scratch_folder
from cardgen.tags import CARDGEN_SEARCH
from cardgen.learners.from_collection import cardgen_history, note_kinds
from cardgen.learners.model import CardState, FsrsParams, Review
from cardgen.learners.progress import CLOCK_ALLOWANCE_MS, read_progress, utc_text
from cardgen.learners.store import Stored, add_history, open_store
from cardgen.yamlio import refuse_control_characters

ANKI_REQUIREMENT = "anki>=26.9.3,<27"  # as in setup.cfg: the Anki backend cardgen is tested with
# Fewer training items than this: Anki's default parameters (see _fit_params for why).
MIN_REVIEWS_TO_FIT = 400


class HistoryKind(str, enum.Enum):
    """The kinds of export cardgen reads."""

    COLLECTION = ".colpkg"
    DECK = ".apkg"
    PROGRESS = ".json"  # the add-on's progress export (cardgen.learners.progress)


@dataclass(frozen=True)
class ImportResult:
    """What one import found and stored."""

    learner: str
    reviews_found: int
    reviews_added: int
    cards: int
    params: FsrsParams
    notices: tuple[str, ...] = ()  # what the import kept as it was, and why: the CLI shows them as warnings


def history_kind(path: Path) -> HistoryKind:
    """The kind of export ``path`` is, from its extension."""
    try:
        return HistoryKind(path.suffix.lower())
    except ValueError:
        raise InputError("not an Anki export cardgen can read", file=path, value=path.suffix,
                         hint="export a .colpkg (collection), an .apkg with scheduling information, "
                              "or a progress file (.json) with the add-on's Tools > cardgen > Export progress") from None


def import_history(history: Path, learner: str, learners_dir: Path) -> ImportResult:
    """Read the cardgen reviews of ``history`` and add them to the learners database of ``learners_dir``."""
    learner = learner.strip()  # "anna " is anna
    if not learner:
        raise InputError("a learner needs a name", field="--learner", value=learner)
    refuse_control_characters(learner, field="--learner")
    if any(ch in learner for ch in "\t\n\r"):  # allowed in a case's text, not in a name shown on one line
        raise InputError("a learner's name is one line: no tab or line break", field="--learner", value=learner,
                         hint="give the name (or pseudonym) without them")
    if not history.is_file():
        raise InputError("history file not found", file=history)
    kind = history_kind(history)
    now_ms = int(time.time() * 1000)
    if kind is HistoryKind.PROGRESS:
        progress = read_progress(history, now_ms)
        tags, reviews, states, kinds = progress.note_tags, progress.reviews, progress.states, progress.note_kinds
        params = FsrsParams.FITTED if any(s.params is FsrsParams.FITTED for s in states) else FsrsParams.DEFAULT
        as_of_ms = progress.exported_at_ms
    else:
        with scratch_folder("history") as scratch:
            col = _open_history(history, kind, Path(scratch))
            try:
                tags, reviews, states, params, edited_ms = _read_cardgen_reviews(col)
                kinds = note_kinds(col)
            finally:
                col.close()
        _refuse_future_reviews(history, reviews, tags, now_ms)
        # what the learner's copy of the notes reached: their newest review or edit of a cardgen note
        # (a mark, a tag, the add-on's retagging), never past the clock
        as_of_ms = min(max([edited_ms] + [r.review_id for r in reviews]), now_ms)
    if not reviews:
        # A deck as built, or an export without scheduling: importing it would add a learner with no history.
        what = "no cardgen card" if not tags else f"{len(tags)} cardgen notes but no review of them"
        raise InputError(f"this file holds no learner history ({what})", file=history,
                         hint="import what a learner exported after studying: their collection (.colpkg), the "
                              "deck exported with 'Include scheduling information' (.apkg), or the add-on's "
                              "progress file (.json); nothing was added")
    with open_store(learners_dir, create=True) as connection:
        stored = add_history(connection, learner, tags, reviews, states, kinds, as_of_ms=as_of_ms)
    return ImportResult(learner=learner, reviews_found=len(reviews), reviews_added=stored.reviews_added,
                        cards=len(states), params=params, notices=_notices(learner, stored))


def _notices(learner: str, stored: Stored) -> tuple[str, ...]:
    notices = []
    if stored.differing:
        shown = "; ".join(f"review id {new.review_id}: stored {_review_text(old)}, this file {_review_text(new)}"
                          for old, new in stored.differing_examples)
        notices.append(f"{stored.differing} review(s) of this file differ from those already stored for "
                       f"{learner} under the same review id; the stored ones were kept ({shown}). A file edited "
                       f"by hand, or another learner's history under this name? Import it under the learner's "
                       f"own --learner")
    if stored.states_kept:
        notices.append(f"{stored.states_kept} card(s) kept the memory state stored for {learner}, which is of a "
                       f"later review than this file's: the file is older than one imported before")
    return tuple(notices)


def _review_text(review: Review) -> str:
    return (f"note {review.note_guid} card {review.card_ord + 1} ease {review.ease} type {review.type} "
            f"interval {review.interval}")


def _refuse_future_reviews(history: Path, reviews: list[Review], tags: dict[str, str], now_ms: int) -> None:
    """Refuse a package whose review log holds an answer later than now (a learner's clock ahead, an
    edited collection): it would stay the learner's newest review (see read_progress)."""
    future = [r for r in reviews if r.review_id > now_ms + CLOCK_ALLOWANCE_MS]
    if future:
        first = future[0]
        case = next((t for t in tags.get(first.note_guid, "").split() if t.startswith("cardgen::case::")), "")
        raise InputError(f"{len(future)} review(s) dated in the future, the first {utc_text(first.review_id)} "
                         f"(now {utc_text(now_ms)}), of note {first.note_guid} {case} card {first.card_ord + 1}",
                         file=history, field="revlog.id", value=first.review_id,
                         hint="the learner's clock was wrong when they answered; export again once the dates "
                              "are right (Anki's Browse > Card Info shows them); nothing was imported")


def _open_history(history: Path, kind: HistoryKind, scratch: Path):
    """A temporary real Anki collection holding the export's contents."""
    try:
        from anki._backend import RustBackend
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
        from anki.errors import AnkiException
    except ImportError as error:  # a default install has it; an install made with --no-deps may not
        raise InputError(f"reading a {kind.value} export needs the 'anki' package, which is not installed "
                         f"({error})", file=history,
                         hint=f"install it beside cardgen: pip install '{ANKI_REQUIREMENT}' "
                              f"(pipx: pipx inject cardgen '{ANKI_REQUIREMENT}'), or import the add-on's "
                              "progress file (.json), which needs no Anki") from None

    col_path = scratch / "collection.anki2"
    try:
        if kind is HistoryKind.COLLECTION:
            RustBackend().import_collection_package(col_path=str(col_path), backup_path=str(history),
                                                    media_folder=str(scratch / "media"),
                                                    media_db=str(scratch / "media.db"))
            return Collection(str(col_path))
        col = Collection(str(col_path))
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(history),
            options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False)))
        return col
    except AnkiException as error:
        raise InputError(f"Anki could not open this export: {error}", file=history,
                         hint="export it again from Anki (with scheduling information for an .apkg)") from error


def _read_cardgen_reviews(col) -> tuple[dict[str, str], list[Review], list[CardState], FsrsParams, int]:
    """Tags, reviews and FSRS memory states of the cardgen cards of ``col``, with FSRS fitted to them
    first when there are enough (cardgen.learners.from_collection reads them, as the add-on does),
    and the newest edit of a cardgen note (ms; 0 without one)."""
    card_ids = list(col.find_cards(CARDGEN_SEARCH))
    if not card_ids:
        return {}, [], [], FsrsParams.DEFAULT, 0
    ids = ",".join(str(int(c)) for c in card_ids)
    review_count = col.db.scalar(f"SELECT count() FROM revlog WHERE cid IN ({ids})")
    edited_ms = 1000 * (col.db.scalar(f"SELECT max(n.mod) FROM notes n JOIN cards c ON c.nid = n.id "
                                      f"WHERE c.id IN ({ids})") or 0)
    params = _fit_params(col, review_count)
    tags, reviews, states = cardgen_history(col, params_label=params)
    return tags, reviews, states, params, edited_ms


def _fit_params(col, review_count: int) -> FsrsParams:
    """Fit FSRS to this learner's cardgen reviews when there are enough; Anki's defaults otherwise.

    Anki's optimizer (``compute_fsrs_params``, rslib ``scheduler/fsrs/params.rs``) trains only on
    cards whose history starts with a learning step (``type`` 0) after ``ignore_revlogs_before_ms``,
    and turns each later review a day or more after the previous one into one training item; it
    reports their count as ``fsrs_items``. It returns no parameters when it found no item, or when
    the fitted ones predict this history no better than the defaults (the ``current_params`` we pass
    are empty, i.e. the defaults). Parameters count as fitted only with ``MIN_REVIEWS_TO_FIT`` items
    or more (current Anki desktop sets no minimum; its old one was 1,000 items): below 64 the optimizer itself only adjusts the initial stabilities (fsrs-rs
    ``compute_parameters``). The fitted parameters go into the temporary collection's deck options,
    where ``compute_memory_state`` reads them.
    """
    if review_count < MIN_REVIEWS_TO_FIT:
        return FsrsParams.DEFAULT  # fewer items than reviews: no need to ask
    response = col._backend.compute_fsrs_params(search=CARDGEN_SEARCH, current_params=[],
                                                ignore_revlogs_before_ms=0, num_of_relearning_steps=1,
                                                health_check=False)
    params = list(response.params)
    if response.fsrs_items < MIN_REVIEWS_TO_FIT or not params:
        return FsrsParams.DEFAULT
    for config in col.decks.all_config():
        config["fsrsParams6"] = params
        col.decks.update_config(config)
    return FsrsParams.FITTED
