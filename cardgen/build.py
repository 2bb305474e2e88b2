"""The build: teaching cases (and a curriculum) in, one .apkg out.

``build_deck`` is the one call the CLI makes. It loads and validates every case, renders each
image once per window (clean and annotated), makes the notes, and writes the package atomically.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Protocol

from cardgen.cards.guids import note_guid
from cardgen.cards.notes import CaseContext, ImageView, NoteSpec, case_notes, occlusion_notes
from cardgen.cards.notetypes import NoteKind
from cardgen.curriculum.objectives import objective_cards, objective_fields
from cardgen.cards.templates import templates_mtime
from cardgen.confine import confined_to
from cardgen.curriculum import Curriculum, load_curriculum
from cardgen.deck.spool import EncodedNotes, NoteSpool, encode_notes
from cardgen.errors import BuildFailed, CardgenError, InputError, InputErrors, each_error
from cardgen.imaging.frames import frame_range_hint
from cardgen.imaging.batch import MediaRenderer, RenderCounts, Workers, build_cases, each_or_error, workers
from cardgen.imaging.cache import BuildCache
from cardgen.imaging.render import OutputOptions, RenderedImage, RenderRequest, file_hash
from cardgen.imaging.registry import source_for
from cardgen.imaging.sources import ImageFacts
from cardgen.deid.burned_in import BurnedInFacts, check_burned_in, check_overlays_reviewed
from cardgen.deid.audit import PackageAudit
from cardgen.deid.findings import AuditFailed
from cardgen.deid.values import identifying_items, values_from_files
from cardgen.imaging.windows import Window
from cardgen.teaching.case import Case, CaseImage, OcclusionMode
from cardgen.tags import TEXT_ONLY_TAG
from cardgen.teaching.loader import find_case_files, load_case, load_cases
from cardgen.yamlmarks import locate
from cardgen.yamlio import refuse_control_characters

DEFAULT_DECK_NAME = "cardgen"
LATEST_TIMESTAMP = 4_102_444_800  # 2100-01-01: Anki's and zip's dates stop not far beyond


class Progress(Protocol):
    """Where the build reports how far it has got (the CLI shows a bar)."""

    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, label: str) -> None:
        pass


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how."""

    cases_dir: Path
    out: Path
    curriculum: Path | None = None
    deck_name: str = DEFAULT_DECK_NAME
    keep_going: bool = False
    deck_depth: int | None = 1  # curriculum levels that become sub-decks; None: all
    objective_cards: bool = False  # a text-only card per objective of topics with no case
    occlusion: OcclusionMode = OcclusionMode.HIDE_ALL  # Image Occlusion default; a case may say otherwise
    output: OutputOptions = OutputOptions()  # media format, quality and size
    learner: str | None = None  # build this learner's deck: their difficulty tags and pace
    learners_dir: Path | None = None  # the learners database (cardgen learners import)
    jobs: int = 1  # processes that render cases (the CLI defaults to every core)
    cache_dir: Path | None = None  # the render cache; None: render everything (the CLI sets one)


@dataclass
class BuildResult:
    """What a build made, for the one-line summary."""

    cases: int = 0
    notes: int = 0
    cards: int = 0
    media: int = 0
    package_bytes: int = 0
    seconds: float = 0.0
    text_only: int = 0
    pace: int | None = None  # the learner's new cards per day, for a learner's deck
    renders: RenderCounts = field(default_factory=RenderCounts)
    failures: list[CardgenError] = field(default_factory=list)
    not_identifying: list[tuple[str, str]] = field(default_factory=list)  # (case id, word) allowed by a case
    warnings: list[str] = field(default_factory=list)  # one line each, shown before the summary

    def summary(self) -> str:
        """One line whose numbers add up: the deck's own counts, then how its images were made
        (images of the cases built now, rendered or reused; unchanged cases took their notes
        whole from the cache)."""
        text_only = f" ({self.text_only} text-only)" if self.text_only else ""
        per_image = f" ({self.package_bytes / self.media / 1024:.0f} KiB per image)" if self.media else ""
        text = (f"{self.cases} cases, {self.cards} cards{text_only}, {self.media} media files, "
                f"{self.package_bytes / 1024:.0f} KiB{per_image} in {self.seconds:.1f} s")
        built = self.cases - self.renders.cases_unchanged
        made = self.renders.rendered + self.renders.reused
        if self.renders.cases_unchanged:
            text += (f"; {self.renders.cases_unchanged} of {self.cases} cases unchanged since the last build, "
                     f"{built} built: {made} images ({self.renders.rendered} rendered, {self.renders.reused} reused)")
        elif made:
            text += f"; {made} images ({self.renders.rendered} rendered, {self.renders.reused} reused from the cache or another card)"
        if self.failures:
            text += f"; {len(self.failures)} case(s) failed and were skipped"
        if self.not_identifying:
            text += "; allowed as not identifying: " + ", ".join(
                f"{word!r} ({case_id})" for case_id, word in self.not_identifying)
        return text


def source_date_epoch() -> int | None:
    """The reproducible-builds override of every timestamp (``SOURCE_DATE_EPOCH``), if set."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        seconds = int(value) if len(value) <= 20 else -1
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= LATEST_TIMESTAMP:
        raise InputError("SOURCE_DATE_EPOCH must be whole seconds since 1970, before 2100",
                         field="SOURCE_DATE_EPOCH", value=value)
    return seconds


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
        result = _build_deck(options, progress)
    except BuildFailed as error:
        raise BuildFailed([locate(e) if isinstance(e, InputError) else e for e in error.errors]) from None
    except InputError as error:
        raise locate(error) from None
    result.failures = [locate(e) if isinstance(e, InputError) else e for e in result.failures]
    return result


def _build_deck(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    progress = progress or _Silent()
    started = time.perf_counter()
    refuse_control_characters(options.deck_name, field="--deck-name")
    curriculum = load_curriculum(options.curriculum) if options.curriculum else None
    failures: list[CardgenError] = []
    on_error = failures.append
    cache = BuildCache(options.cache_dir) if options.cache_dir is not None else None
    cache_damage = cache.repair() if cache is not None else []
    # Each case's notes go to the spool as they arrive: the main process holds none of them.
    with tempfile.TemporaryDirectory(prefix="cardgen-media-") as media_root, NoteSpool() as spool, \
            workers(options.jobs, cache.media_dir if cache is not None else Path(media_root), cache) as pool:
        cases = _in_teaching_order(_load_cases(options.cases_dir, cache, pool, on_error), curriculum)
        shared_mtime = max(templates_mtime(),
                           int(options.curriculum.stat().st_mtime) if options.curriculum else 0)
        fixed_time = source_date_epoch()
        result = BuildResult()
        progress.start(len(cases))
        media_dir = pool.media_dir
        contexts: list[CaseContext | InputError] = []
        for position, case in enumerate(cases, start=1):
            try:
                contexts.append(_case_context(case, curriculum, options, position, shared_mtime, fixed_time))
            except InputError as error:
                contexts.append(error)  # reported in the case's turn below
        if not options.keep_going and (failures or any(isinstance(c, InputError) for c in contexts)):
            raise BuildFailed(failures + [c for c in contexts if isinstance(c, InputError)])
        case_failures: list[tuple[int, InputError]] = []  # (position, error): reported in the cases' order

        def failed(position: int, error: InputError) -> None:
            if not options.keep_going:
                raise error
            case_failures.append((position, error))

        # A case whose topic is unknown fails before anything is rendered.
        for position, (case, context) in enumerate(zip(cases, contexts)):
            if isinstance(context, InputError):
                progress.advance(case.id)
                failed(position, context)
        positions = [position for position, context in enumerate(contexts) if not isinstance(context, InputError)]
        # Everything a case's notes depend on goes in its item: the render cache keys on it.
        runnable = [(cases[position], contexts[position], options.occlusion, options.output) for position in positions]
        # Outcomes come as they are ready (remembered cases while the workers render the
        # others); each case's notes take the case's place in the deck whatever the order.
        for index, outcome in build_cases(_build_case, runnable, files_of=_case_files, workers=pool,
                                          after=_read_identifying_values):
            position = positions[index]
            try:
                result.renders.add(outcome.counts)
                if outcome.error is not None:
                    raise outcome.error
                spool.add(outcome.result, position=position)
                result.cases += 1
            except InputError as error:
                failed(position, error)
            finally:
                progress.advance(cases[position].id)
        failures += [error for _, error in sorted(case_failures, key=lambda failure: failure[0])]
        if options.objective_cards and curriculum is not None:
            spool.add(objective_notes(curriculum, cases, options, shared_mtime, fixed_time), position=len(cases))
        sources = _identity_sources(cases)
        result.not_identifying = [(case.id, word) for case in cases for word in case.not_identifying]
        # The cases are not needed any more: freed here, their memory serves the package writing
        # and the audit, so that the two do not add up (~4 KB per case).
        del cases, contexts, runnable
        if not spool.count:
            raise BuildFailed(failures) if failures else InputError("no cards to write", file=options.cases_dir)
        description = ""
        notes = spool
        if options.learner is not None:
            notes, result.pace, description = _for_learner(spool, options)  # closes with ``spool``
        elif options.learners_dir is not None:
            description = _class_counts(spool, options.learners_dir)
        assert notes.latest_mod is not None  # there is a note
        timestamp = fixed_time if fixed_time is not None else notes.latest_mod

        memo = cache.audit_memo(options.out) if cache is not None else None
        # The de-identification audit of the package before it replaces the output: its collection
        # as soon as it is written (while the media are packed), then the rest of the package (with
        # a cache: only what the last audit of this output did not already find clean).
        audit = PackageAudit(lambda: values_from_files(sources) if cache is None
                             else cache.identifying_values_of_all(sources), memo,
                             allowed=[word for _, word in result.not_identifying])

        def refuse_identifiers(package: Path) -> None:
            hits = audit.package(package)
            if hits:
                raise AuditFailed(options.out, hits)

        def write(previous: Path | None) -> int:
            return _write_package(options.out, options.deck_name, notes, media_dir, timestamp,
                                  check=refuse_identifiers, description=description, previous=previous,
                                  check_collection=audit.collection)

        # The notes' digest stands for the notes: the same notes give the same fingerprint, any change another.
        result.package_bytes = (cache.write_package_once(options.out, [options.deck_name, timestamp, description,
                                                                       notes.digest()], write)
                                if cache is not None else write(None))
        if memo is not None and memo.used:
            cache.keep_audit_memo(options.out, memo)
        result.notes = notes.count
        result.cards = notes.cards
        result.text_only = notes.text_only
        result.media = notes.media_count
    result.failures = failures
    if cache is not None:
        cache_damage += cache.damage_report()
    if cache_damage:
        result.warnings.append(f"the build cache was damaged ({len(cache_damage)} part(s), first: {cache_damage[0]}); "
                               "what was damaged was made again")
    result.seconds = time.perf_counter() - started
    return result


def _load_cases(cases_dir: Path, cache: BuildCache | None, pool: Workers,
                on_error: Callable[[InputError], None] | None) -> list[Case]:
    """Every case under ``cases_dir``: the ones the cache remembers unchanged as they were, the
    others parsed across the workers (pure-Python YAML is the largest part of loading)."""
    case_files = find_case_files(cases_dir)
    parsed: dict[Path, Case | InputError] = {}

    def parsed_now(case_file: Path) -> Case:
        outcome = parsed[case_file]
        if isinstance(outcome, InputError):
            raise outcome
        return outcome

    remembered = cache.parsed_cases(cases_dir, parsed_now) if cache is not None else None
    to_parse = remembered.stale(case_files) if remembered is not None else case_files
    # A case file parses in ~2 ms: 16 to a chunk, or the round trips eat much of the second core's
    # gain (500 cases on two workers, median of 6 runs: 0.97 s in chunks of 2, 0.78 s in chunks of 16).
    parsed.update(zip(to_parse, each_or_error(pool, load_case, to_parse, most_per_chunk=16)))
    cases = load_cases(cases_dir, on_error=on_error, case_files=case_files,
                       load=remembered.load if remembered is not None else parsed_now)
    if remembered is not None:
        remembered.save()
    return cases


def _write_package(*arguments: object, **options: object) -> int:
    """:func:`cardgen.deck.package.write_package`, imported only when a package is written (it
    brings genanki, which a rebuild that changes nothing never needs)."""
    from cardgen.deck.package import write_package

    return write_package(*arguments, **options)


def _class_counts(notes: NoteSpool, learners_dir: Path) -> str:
    """The class deck's description with the class's counts, for the add-on's refresh of learners
    who study the class deck (see cardgen.learners.personal.class_description)."""
    from cardgen.learners.personal import class_description

    return class_description(notes, learners_dir)


def _for_learner(notes: NoteSpool, options: BuildOptions) -> tuple[NoteSpool, int, str]:
    """The learner's difficulty tags and pace (see cardgen.learners.personal)."""
    from cardgen.learners.personal import personalise

    if options.learners_dir is None:
        raise InputError("a learner's deck needs the learners database", field="--learners-dir",
                         hint="pass --learners-dir DIR with --learner")
    return personalise(notes, options.learner, options.learners_dir)


def _read_identifying_values(case: Case, *rest_and_cache: object) -> None:
    """Read the identifying values of a case's DICOM files into the cache (in the worker that
    built the case), so that the self-audit of the package finds them there."""
    cache = rest_and_cache[-1]
    assert isinstance(cache, BuildCache)
    for path in _identity_sources([case]):
        cache.identifying_values(path)


def _identity_sources(cases: list[Case]) -> list[Path]:
    """Every DICOM file and series folder the cases use: their identifying values must not reach the deck."""
    paths: list[Path] = []
    for case in cases:
        paths += [image.path for image in case.images if image.is_dicom]
        paths += [source.path for source in case.annotation_files]
    return paths


def _in_teaching_order(cases: list[Case], curriculum: Curriculum | None) -> list[Case]:
    """Cases in the curriculum's teaching order (prerequisites first, then level, then file
    order; a case under several topics comes with the latest of them), then by id.

    Cases with unknown topics sort last here and are reported when their notes are made.
    """
    if curriculum is None:
        return sorted(cases, key=lambda c: c.id)
    last = len(curriculum.topics) * 1000 + 1

    def key(case: Case) -> tuple[int, str]:
        known = [t for t in case.topics if t in curriculum.topics]
        return (curriculum.order_key_for(known) if known else last, case.id)

    return sorted(cases, key=key)


def _case_context(case: Case, curriculum: Curriculum | None, options: BuildOptions, position: int,
                  shared_mtime: int, fixed_time: int | None) -> CaseContext:
    """Sub-deck, topic tags and modification time of a case's notes."""
    deck: tuple[str, ...] = ()
    tags: list[str] = []
    lines: list[str] = []
    if curriculum is not None:
        check_topics(case, curriculum)
    for index, topic_id in enumerate(case.topics):
        if curriculum is None:
            parts = topic_id.split(".")
            tags.append("cardgen::topic::" + "::".join(parts))
            if index == 0:
                deck = tuple(parts if options.deck_depth is None else parts[:options.deck_depth])
            continue
        tags.append(curriculum.tag(topic_id))
        level_tag = curriculum.level_tag(topic_id)
        if level_tag:
            tags.append(level_tag)
        lines.append(" › ".join(t.title for t in curriculum.ancestors(topic_id)))
        if index == 0:
            deck = tuple(curriculum.deck_path(topic_id, options.deck_depth, numbered=True))
    inputs = [case.source] + [image.path for image in case.images]
    mod = fixed_time if fixed_time is not None else max([shared_mtime] + [int(p.stat().st_mtime) for p in inputs])
    order = (position if curriculum is None or not case.topics
             else curriculum.order_key_for(case.topics, within=min(position, 999)))
    return CaseContext(deck=deck, topic_tags=tuple(tags), curriculum_line="; ".join(lines),
                       mod=mod, order=order)


def check_topics(case: Case, curriculum: Curriculum) -> None:
    """Every topic a case names must be in the curriculum, and every objective it says it teaches
    must be one of those topics' (each problem is reported)."""
    errors: list[InputError] = []
    for index, topic_id in enumerate(case.topics):
        try:
            curriculum.topic(topic_id, file=case.source, field=f"topics[{index}]")
        except InputError as error:
            errors.append(error)
    if not errors:
        for index, ref in enumerate(case.objectives):
            try:
                curriculum.objective(ref, case.topics, file=case.source, field=f"objectives[{index}]")
            except InputError as error:
                errors.append(error)
    if errors:
        raise _one_or_all(errors)


def objective_notes(curriculum: Curriculum, cases: list[Case], options: BuildOptions,
                    shared_mtime: int, fixed_time: int | None) -> list[NoteSpec]:
    """Text-only notes, one per objective of each topic that no case (nor sub-topic's case) covers."""
    covered = {ancestor.id for case in cases for topic_id in case.topics if topic_id in curriculum.topics
               for ancestor in curriculum.ancestors(topic_id)}
    mod = fixed_time if fixed_time is not None else shared_mtime
    notes: list[NoteSpec] = []
    for card in objective_cards(curriculum, topics_with_cases=covered):
        fields = objective_fields(curriculum, card)
        tags = [curriculum.tag(card.topic_id), TEXT_ONLY_TAG]
        level_tag = curriculum.level_tag(card.topic_id)
        if level_tag:
            tags.append(level_tag)
        notes.append(NoteSpec(
            kind=NoteKind.OBJECTIVE, guid=note_guid(card.identity, NoteKind.OBJECTIVE),
            fields=(card.identity, fields["Front"], fields["Back"], fields["Kind"]),
            tags=tuple(sorted(tags)), deck=tuple(curriculum.deck_path(card.topic_id, options.deck_depth, numbered=True)),
            media=(), mod=mod, order=curriculum.order_key(card.topic_id, within=card.index)))
    return notes


def _check_shapes(case: Case, facts: dict[str, ImageFacts]) -> Case:
    """The case with each finding's shapes clipped to its image; every mask must lie on its image
    (a mask off the image would leave the burned-in text it was meant to hide), and a shape with
    nothing on its image is an error. Every problem is reported."""
    from cardgen.annotations.clip import clipped
    from cardgen.annotations.shapes import as_written, overhang

    hint = "coordinates are image pixels from the top-left corner (x to the right, y down)"
    errors: list[InputError] = []
    for i_index, image in enumerate(case.images):
        image_facts = facts[image.id]
        for m_index, mask in enumerate(image.masks):
            if not mask.bounds().within(image_facts.width, image_facts.height):
                written = {k: v for k, v in as_written(mask).items() if k != "kind"}
                errors.append(InputError(
                    f"mask lies outside the {image_facts.width}x{image_facts.height} image: "
                    + overhang(mask.bounds(), image_facts.width, image_facts.height),
                    file=case.source, field=f"images[{i_index}].mask[{m_index}]", value=written, hint=hint))
    findings = []
    for f_index, finding in enumerate(case.findings):
        image_facts = facts[finding.image_id]
        shapes = []
        for s_index, shape in enumerate(finding.shapes):
            on_image = clipped(shape, image_facts.width, image_facts.height)
            if on_image is None:
                errors.append(InputError(
                    f"shape lies outside the {image_facts.width}x{image_facts.height} image: "
                    + overhang(shape.bounds(), image_facts.width, image_facts.height),
                    file=case.source, field=f"findings[{f_index}].shapes[{s_index}]", value=as_written(shape),
                    hint=hint))
                continue
            shapes.append(on_image)
        findings.append(replace(finding, shapes=tuple(shapes)) if shapes != list(finding.shapes) else finding)
    if errors:
        raise _one_or_all(errors)
    return replace(case, findings=tuple(findings))


RenderFn = Callable[[RenderRequest], RenderedImage]  # cardgen.imaging.batch.MediaRenderer is the one in use


def _case_files(case: Case, *_options: object) -> list[Path]:
    """Every file :func:`_build_case` reads (what a cached case's notes depend on besides the case):
    the case file, its images (each slice of a series folder) and its annotation objects."""
    files = [case.source]
    for image in case.images:
        files += sorted(p for p in image.path.iterdir() if p.is_file()) if image.path.is_dir() else [image.path]
    return files + [source.path for source in case.annotation_files]


def check_case_images(case: Case, cache: BuildCache | None = None) -> tuple[dict, dict[str, ImageFacts], Case]:
    """Everything about a case's images that can be known without rendering them: each file opens
    as an image, frames exist, annotation files apply, shapes and masks lie on their image, burned-in
    text is reviewed. Every problem is reported (an :class:`InputErrors` for several); returns each
    image's resolved frames and facts, and the case with its annotation files' findings added.
    Shared by the build and by ``cardgen check``."""
    from cardgen.teaching.annotation_files import with_annotation_files
    from cardgen.teaching.stacks import resolve_image

    errors: list[InputError] = []
    resolved, facts = {}, {}
    for i, image in enumerate(case.images):
        try:
            resolved[image.id] = resolve_image(image, case.source, f"images[{i}]")
            facts[image.id] = _image_facts(resolved[image.id].key_path, cache)
        except InputError as error:
            errors += each_error(error)
    if errors:
        raise _one_or_all(errors)
    case = with_annotation_files(case, facts, {i: (r.key_path, r.key_frame) for i, r in resolved.items()})
    for i, image in enumerate(case.images):
        if image.stack is None and image.frame is not None and image.frame >= facts[image.id].frames:
            errors.append(InputError(f"frame {image.frame} does not exist; the file has {facts[image.id].frames}",
                                     file=case.source, field=f"images[{i}].frame", value=image.frame,
                                     hint=frame_range_hint(facts[image.id].frames)))
    try:
        case = _check_shapes(case, facts)
    except InputError as error:
        errors += each_error(error)
    for i, image in enumerate(case.images):
        key = resolved[image.id]
        for path in dict.fromkeys([key.key_path] + [p for p, _ in key.stack]):
            burned_in = _header(path, cache)[1] if image.is_dicom else BurnedInFacts.for_raster()
            try:
                check_burned_in(burned_in, reviewed=image.burned_in_reviewed, path=path,
                                field=f"images[{i}].burned_in")
            except InputError as error:
                errors += each_error(error)
        if image.overlays and not image.burned_in_reviewed:
            try:
                check_overlays_reviewed(path=case.source, field=f"images[{i}].overlays")
            except InputError as error:
                errors.append(error)
    try:
        _refuse_identifying_text(case, cache)
    except InputError as error:
        errors += each_error(error)
    if errors:
        raise _one_or_all(errors)
    return resolved, facts, case


def _one_or_all(errors: list[InputError]) -> InputError:
    return errors[0] if len(errors) == 1 else InputErrors(errors)


def _build_case(case: Case, context: CaseContext, default_occlusion: OcclusionMode, output: OutputOptions,
                render_to: RenderFn) -> EncodedNotes:
    """Render every image of one case and make its notes, reading only files inside its folder."""
    with confined_to(case.folder):
        return _build_confined_case(case, context, default_occlusion, output, render_to)


def _build_confined_case(case: Case, context: CaseContext, default_occlusion: OcclusionMode,
                         output: OutputOptions, render_to: RenderFn) -> EncodedNotes:
    # check_case_images imports its modules on use, not at the top (as _image_facts and _read_header
    # do): they bring numpy, Pillow and pydicom, which a rebuild with every case cached never needs.
    cache = render_to.cache if isinstance(render_to, MediaRenderer) else None
    resolved, facts, case = check_case_images(case, cache)
    hashes: dict[Path, str] = {}

    def request(path: Path, frame: int | None, window, shapes=(), annotate: bool = False,
                image: CaseImage | None = None) -> RenderRequest:
        if path not in hashes:
            hashes[path] = file_hash(path)
        return RenderRequest(path=path, content_hash=hashes[path], frame=frame, window=window,
                             shapes=tuple(shapes), annotate=annotate, masks=image.masks if image else (),
                             overlays=image.overlays if image else False, output=output)

    views: list[ImageView] = []
    for image in case.images:
        key = resolved[image.id]
        shapes = tuple(s for f in case.findings if f.image_id == image.id for s in f.shapes)
        clean, annotated, captions = [], [], []
        for window in image.windows:
            clean.append(render_to(request(key.key_path, key.key_frame, window, image=image)))
            annotated.append(render_to(request(key.key_path, key.key_frame, window, shapes, annotate=True,
                                               image=image)))
            captions.append(_caption(image, window))
        stack = tuple(render_to(request(path, frame, image.windows[0], image=image)) for path, frame in key.stack)
        key_index = key.stack.index((key.key_path, key.key_frame)) if key.stack else 0
        views.append(ImageView(image_id=image.id, facts=facts[image.id], clean=tuple(clean),
                               annotated=tuple(annotated), captions=tuple(captions), stack=stack,
                               stack_key_index=key_index))
    finding_images = []
    for finding in case.findings:
        image = case.image(finding.image_id)
        key = resolved[image.id]
        finding_images.append(render_to(request(key.key_path, key.key_frame, image.windows[0],
                                                finding.shapes, annotate=True, image=image)))
    # Encoded for the spool here, in the worker: the main process (and the cache) get them ready to add.
    return encode_notes(case_notes(case, views, finding_images, context)
                        + occlusion_notes(case, views, context, case.occlusion or default_occlusion))


def _refuse_identifying_text(case: Case, cache: BuildCache | None) -> None:
    """Refuse the case when its text (labels drawn into images included) holds an identifying
    value of its own DICOM files, naming the field where it was typed."""
    from cardgen.deid.case_text import refuse_identifying_text

    sources = _identity_sources([case])
    values = ([item for path in sources for item in cache.identifying_values(path)] if cache is not None
              else values_from_files(sources))
    refuse_identifying_text(case.texts(), values, allowed=case.not_identifying, file=case.source)


def _image_facts(path: Path, cache: BuildCache | None) -> ImageFacts:
    from cardgen.imaging.dicom import DicomSource

    source = source_for(path)
    if isinstance(source, DicomSource):
        facts = _header(path, cache)[0]
        if facts is not None:
            return facts
    return source.facts(path)  # a raster file, or a header without an image size (raises its error)


# A DICOM file up to this size is read whole when its header is needed: the render reads it
# next, and reading the dataset again costs more than the pixel bytes (see read_dataset).
WHOLE_FILE_BYTES = 16 * 1024 * 1024


def _header(path: Path, cache: BuildCache | None) -> tuple[ImageFacts | None, BurnedInFacts]:
    """The image facts (None when the header has no image size) and the burned-in-text facts of
    a DICOM file, from one reading of its header, remembered in the cache while the file is unchanged."""
    if cache is None:
        return _read_header(path, None)
    return cache.of_file("header", path, partial(_read_header, cache=cache))


def _read_header(path: Path, cache: BuildCache | None) -> tuple[ImageFacts | None, BurnedInFacts]:
    from cardgen.imaging.dicom import DicomSource, read_dataset

    whole = path.stat().st_size <= WHOLE_FILE_BYTES
    ds = read_dataset(path, pixels=whole)
    try:
        facts: ImageFacts | None = DicomSource().facts_of(ds, path)
    except InputError:
        facts = None  # reported by _image_facts if the file is used as an image
    if cache is not None and whole:
        # The self-audit's values of this file, from this reading (everything after the pixels too).
        items = identifying_items(ds, str(path))
        cache.of_file("values", path, lambda _path: items)
    return facts, BurnedInFacts.from_dataset(ds)


def _caption(image: CaseImage, window) -> str:
    if not image.is_dicom:
        return ""
    return f"{window.label} window" if isinstance(window, Window) else ""
