"""The build as its stages: load the cases, give each its place in the deck, run the case jobs,
personalise, then write the package and audit it.

``build_deck`` is the one call the CLI makes. Every case is loaded and checked first; each image is
rendered once per window (clean and annotated) by the workers; the notes go to a note spool on disk
as they arrive; the package is written atomically after its de-identification audit.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from cardgen.atomic import refuse_special_output
from cardgen.build.cache import BuildCache
from cardgen.build.contexts import NoteTimes, case_context, in_teaching_order, objective_notes
from cardgen.build.headers import identifying_values, identity_sources
from cardgen.build.job import CaseJob
from cardgen.build.options import BuildOptions, BuildResult, Progress, Silent
from cardgen.build.run import run_cases
from cardgen.build.workers import Workers, each_or_error, workers
from cardgen.cards.notes import CaseContext
from cardgen.cards.notetypes import notetype_texts
from cardgen.curriculum import Curriculum, load_curriculum
from cardgen.deck.spool import NoteSpool
from cardgen.deid.audit import PackageAudit, audit_package
from cardgen.deid.case_text import AUDIT_HINT, values_the_deck_must_not_hold
from cardgen.deid.findings import AuditFailed, AuditHit
from cardgen.deid.matcher import IdentifyingValue
from cardgen.deid.values import values_from_files
from cardgen.errors import BuildFailed, InputError
from cardgen.learners.personal import class_description, personalise
from cardgen.scratch import scratch_folder
from cardgen.teaching.case import Case
from cardgen.teaching.loader import find_case_files, load_case, load_cases
from cardgen.yamlio import refuse_control_characters
from cardgen.yamlmarks import locate


def build_deck(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the deck described by ``options``.

    Every case is read and checked first (the checks of ``cardgen check`` that need no image):
    without ``keep_going`` any problem raises :class:`BuildFailed` listing every problem of every
    case, before anything is rendered or written; an image problem found while rendering raises its
    :class:`InputError`. With ``keep_going``, broken cases are skipped and :class:`BuildFailed`
    is raised after writing the rest (or without writing, if no case was good). Errors carry the
    line and column of their field (cardgen.yamlmarks).
    """
    try:
        result = _build_deck(options, progress or Silent())
    except BuildFailed as error:
        raise BuildFailed([locate(e) if isinstance(e, InputError) else e for e in error.errors]) from None
    except InputError as error:
        raise locate(error) from None
    result.failures = [locate(e) if isinstance(e, InputError) else e for e in result.failures]
    return result


def _build_deck(options: BuildOptions, progress: Progress) -> BuildResult:
    started = time.perf_counter()
    refuse_special_output(options.out)  # before the work, not after it
    refuse_control_characters(options.deck_name, field="--deck-name")
    if not options.deck_name.strip():
        raise InputError("the deck name is empty", field="--deck-name", value=options.deck_name,
                         hint='give the name learners see in Anki, e.g. --deck-name "Chest"')
    if any(not level.strip() for level in options.deck_name.split("::")):
        # Anki names each empty level of a deck path "blank": '::' would give blank::blank decks.
        raise InputError("the deck name has an empty level between '::'", field="--deck-name",
                         value=options.deck_name, hint='give a name to every level, e.g. --deck-name "Radiology::Chest"')
    curriculum = load_curriculum(options.curriculum) if options.curriculum else None
    result = BuildResult()
    cache = BuildCache(options.cache_dir) if options.cache_dir is not None else None
    cache_damage = cache.repair() if cache is not None else []
    # Each case's notes go to the spool as they arrive: the main process holds none of them.
    with scratch_folder("media") as media_root, NoteSpool() as spool, \
            workers(options.jobs, cache.media_dir if cache is not None else Path(media_root), cache) as pool:
        cases = in_teaching_order(load_cases_of(options.cases_dir, cache, pool, result.failures.append),
                                  curriculum)
        times = NoteTimes.of(options.curriculum)
        contexts = case_contexts(cases, curriculum, options, times)
        if not options.keep_going and (result.failures or any(isinstance(c, InputError) for c in contexts)):
            raise BuildFailed(result.failures + [c for c in contexts if isinstance(c, InputError)])
        run_case_jobs(cases, contexts, options, pool, spool, result, progress)
        if options.objective_cards and curriculum is not None:
            spool.add(objective_notes(curriculum, cases, options, times), position=len(cases))
        sources = identity_sources(cases)
        result.not_identifying = [(case.id, word) for case in cases for word in case.not_identifying]
        allowing = [(case.not_identifying, identity_sources([case])) for case in cases] if result.not_identifying else []
        # The cases are not needed any more: freed here, their memory serves the package writing
        # and the audit, so that the two do not add up.
        del cases, contexts
        if not spool.count:
            raise BuildFailed(result.failures) if result.failures else InputError("no cards to write",
                                                                                  file=options.cases_dir)
        notes, description = personalise_notes(spool, options, result, times)
        write_and_audit(notes, description, options, times, sources, allowing, cache, pool.media_dir, result)
    if cache is not None:
        cache_damage += cache.damage_report()
    if cache_damage:
        result.warnings.append(_damage_warning(cache_damage))
    result.seconds = time.perf_counter() - started
    return result


def load_cases_of(cases_dir: Path, cache: BuildCache | None, pool: Workers,
                  on_error: Callable[[InputError], None] | None) -> list[Case]:
    """Stage 1, load the cases: every case under ``cases_dir``, the ones the cache remembers
    unchanged as they were, the others parsed across the workers (pure-Python YAML is the largest
    part of loading)."""
    case_files = find_case_files(cases_dir)
    pool.limit(len(case_files))  # each later map has a case, or one of its parts, per item
    parsed: dict[Path, Case | InputError] = {}

    def parsed_now(case_file: Path) -> Case:
        outcome = parsed[case_file]
        if isinstance(outcome, InputError):
            raise outcome
        return outcome

    remembered = cache.parsed_cases(cases_dir, parsed_now) if cache is not None else None
    to_parse = remembered.stale(case_files) if remembered is not None else case_files
    # A case file parses quickly: 16 to a chunk, or the round trips eat much of a second core's
    # gain (see docs/performance.md).
    parsed.update(zip(to_parse, each_or_error(pool, load_case, to_parse, most_per_chunk=16)))
    cases = load_cases(cases_dir, on_error=on_error, case_files=case_files,
                       load=remembered.load if remembered is not None else parsed_now)
    if remembered is not None:
        remembered.save()
    return cases


def case_contexts(cases: list[Case], curriculum: Curriculum | None, options: BuildOptions,
                  times: NoteTimes) -> list[CaseContext | InputError]:
    """Stage 2, the contexts: each case's place in the deck, or the error of its topics (reported
    in the case's turn)."""
    contexts: list[CaseContext | InputError] = []
    for position, case in enumerate(cases, start=1):
        try:
            contexts.append(case_context(case, curriculum, options, position, times))
        except InputError as error:
            contexts.append(error)
    return contexts


def run_case_jobs(cases: list[Case], contexts: list[CaseContext | InputError], options: BuildOptions,
                  pool: Workers, spool: NoteSpool, result: BuildResult, progress: Progress) -> None:
    """Stage 3, run the cases: each case's notes into the spool at the case's place in the deck
    (whatever order they come in); without ``keep_going`` a case's error stops the build, with it
    the case's error joins ``result.failures`` (in the cases' order)."""
    progress.start(len(cases))
    case_failures: list[tuple[int, InputError]] = []  # (position, error): reported in the cases' order

    def failed(position: int, error: InputError) -> None:
        if not options.keep_going:
            raise error
        case_failures.append((position, error))

    positions: list[int] = []
    jobs: list[CaseJob] = []
    for position, (case, context) in enumerate(zip(cases, contexts)):
        if isinstance(context, InputError):  # a case whose topic is unknown fails before anything is rendered
            progress.advance(case.id)
            failed(position, context)
        else:
            positions.append(position)
            jobs.append(CaseJob(case, context, options.occlusion, options.output))
    # Outcomes come as they are ready (remembered cases while the workers render the others).
    for index, outcome in run_cases(jobs, pool):
        position = positions[index]
        try:
            result.renders.add(outcome.counts)
            if outcome.error is not None:
                raise outcome.error
            spool.add(outcome.notes, position=position)
            result.cases += 1
        except InputError as error:
            failed(position, error)
        finally:
            progress.advance(cases[position].id)
    result.failures += [error for _, error in sorted(case_failures, key=lambda failure: failure[0])]


def personalise_notes(spool: NoteSpool, options: BuildOptions, result: BuildResult,
                      times: NoteTimes) -> tuple[NoteSpool, str]:
    """Stage 4, personalise: a learner's deck gets the learner's difficulty tags and pace; a class
    deck built with the learners database carries the class's counts in its description (see
    cardgen.learners.deck_marks; nothing in the add-on reads them since its refresh was removed).
    Returns the notes to write (a learner's close with ``spool``) and the deck's description."""
    if options.learner is not None:
        if options.learners_dir is None:
            raise InputError("a learner's deck needs the learners database", field="--learners-dir",
                             hint="pass --learners-dir DIR with --learner")
        notes, result.pace, description = personalise(spool, options.learner, options.learners_dir,
                                                      build_time=times.fixed)
        return notes, description
    if options.learners_dir is not None:
        return spool, class_description(spool, options.learners_dir)
    return spool, ""


def write_and_audit(notes: NoteSpool, description: str, options: BuildOptions, times: NoteTimes,
                    sources: list[Path], allowing: list[tuple[tuple[str, ...], list[Path]]],
                    cache: BuildCache | None, media_dir: Path, result: BuildResult) -> None:
    """Stage 5, write and audit: the package, audited for the identifying values of ``sources``
    before it replaces the output (not written again when the cache says the same package is
    there, untouched). ``allowing`` holds each case's ``not_identifying`` words and its own files
    when any case lists a word: the word is not searched for among that case's values only
    (:func:`cardgen.deid.case_text.values_the_deck_must_not_hold`)."""
    assert notes.latest_mod is not None  # there is a note
    timestamp = times.fixed if times.fixed is not None else notes.latest_mod
    memo = cache.packages.audit_memo(options.out) if cache is not None else None

    def values() -> list[IdentifyingValue]:
        if allowing:
            return values_the_deck_must_not_hold((words, identifying_values(files, cache)) for words, files in allowing)
        return values_from_files(sources) if cache is None else cache.readings.identifying_values_of_all(sources)

    # The de-identification audit of the package before it replaces the output: its collection
    # as soon as it is written (while the media are packed), then the rest of the package (with
    # a cache: only what the last audit of this output did not already find clean).
    audit = PackageAudit(values, memo, boilerplate=notetype_texts())

    def refuse_identifiers(package: Path) -> None:
        hits = audit.package(package)
        if hits:
            raise AuditFailed(options.out, hits, hint=AUDIT_HINT)

    def write(previous: Path | None) -> int:
        return _write_package(options.out, options.deck_name, notes, media_dir, timestamp,
                              check=refuse_identifiers, description=description, previous=previous,
                              check_collection=audit.collection)

    # The notes' digest stands for the notes: the same notes give the same fingerprint, any change another.
    result.package_bytes = (cache.packages.write_once(options.out, [options.deck_name, timestamp, description,
                                                                    notes.digest()], write)
                            if cache is not None else write(None))
    if memo is not None and memo.used:
        cache.packages.keep_audit_memo(options.out, memo)
    result.notes = notes.count
    result.cards = notes.cards
    result.text_only = notes.text_only
    result.media = notes.media_count


def _damage_warning(damage: list[str]) -> str:
    return (f"the build cache was damaged ({len(damage)} part(s), first: {damage[0]}); "
            "what was damaged was made again")


def _write_package(*arguments: object, **options: object) -> int:
    """:func:`cardgen.deck.package.write_package`, imported only when a package is written (it
    brings genanki, which a rebuild that changes nothing never needs)."""
    from cardgen.deck.package import write_package

    return write_package(*arguments, **options)


def audit_deck(deck: Path, against: list[Path] | None = None) -> list[AuditHit]:
    """``cardgen audit``: every possible identifier in ``deck`` (and, ``against`` DICOM files or
    folders, their identifying values), as the build's own audit searches: cardgen's notetype texts,
    which every deck it writes holds, are not searched."""
    return audit_package(deck, against=against, boilerplate=notetype_texts())
