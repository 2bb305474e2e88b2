"""Running the case jobs: remembered cases from the cache, the others on the workers.

Only the cases' notes travel back (media files are written by the workers), and each outcome
carries its index among the jobs, so the deck is the same whatever the number of jobs and however
the cases finish, and memory does not grow with the images rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cardgen.build.cache import BuildCache
from cardgen.build.job import CaseJob, build_case, read_identifying_values
from cardgen.build.renderer import RenderCounts
from cardgen.build.workers import Failure, Workers, this_process_renderer
from cardgen.deck.spool import EncodedNotes
from cardgen.errors import InputError


@dataclass(frozen=True)
class Outcome:
    """What one case gave: its notes, or the input error that stopped it (as a :class:`Failure`,
    which crosses process boundaries intact), and the renders it made."""

    notes: EncodedNotes | None
    failure: Failure | None
    counts: RenderCounts

    @property
    def error(self) -> InputError | None:
        return self.failure.error() if self.failure is not None else None


@dataclass(frozen=True)
class _Task:
    """A job for a worker, with the key its notes are remembered under (None: no cache)."""

    job: CaseJob
    key: str | None


def run_cases(jobs: Sequence[CaseJob], workers: Workers) -> Iterator[tuple[int, Outcome]]:
    """Every job's outcome with its index in ``jobs``, the workers started at once.

    First come the jobs whose notes are remembered (a job whose ``repr``, files and cardgen's code
    are unchanged), read in turn while the workers build the others; then the others, in the jobs'
    order. Media files land in the workers' media folder (the cache's, when there is a cache).
    """
    # Remembered notes are only looked for here and read in their turn: holding every case's
    # notes until then would grow the main process with the number of cases.
    cache = workers.cache
    known: list[tuple[int, _Task]] = []
    tasks: list[_Task] = []
    task_indexes: list[int] = []
    for index, job in enumerate(jobs):
        task = _Task(job, cache.cases.key(job, files=job.files()) if cache is not None else None)
        if cache is not None and task.key is not None and cache.cases.has(task.key):
            known.append((index, task))
        else:
            tasks.append(task)
            task_indexes.append(index)

    def remembered(task: _Task) -> Outcome:
        assert cache is not None and task.key is not None
        notes = cache.cases.get(task.key)
        if notes is None or not _media_present(notes, cache):
            # A damaged entry, or media files deleted from the cache since: build the case now.
            return next(workers.map(_run_one, [task]))
        return Outcome(notes=notes, failure=None, counts=RenderCounts(cases_unchanged=1))

    # The workers start on the changed cases at once (even on one, when there are remembered ones
    # to read meanwhile: a rebuild after one edit overlaps that case's imports and render with them).
    built = workers.map(_run_one, tasks, background=bool(known))

    def outcomes() -> Iterator[tuple[int, Outcome]]:
        for index, task in known:
            yield index, remembered(task)
        yield from zip(task_indexes, built)

    return outcomes()


def _run_one(task: _Task) -> Outcome:
    """Build one case in this process; remember its notes under the task's key (with a cache)."""
    renderer = this_process_renderer()
    try:
        notes = build_case(task.job, renderer)
        if renderer.cache is not None:
            read_identifying_values(task.job, renderer.cache)
    except InputError as error:
        return Outcome(notes=None, failure=Failure.of(error), counts=renderer.end_case())
    if task.key is not None and renderer.cache is not None:
        renderer.cache.cases.put(task.key, notes)  # failures are not remembered: they are reported every time
    return Outcome(notes=notes, failure=None, counts=renderer.end_case())


def _media_present(notes: EncodedNotes, cache: BuildCache) -> bool:
    """True when every media file remembered notes name is still in the cache, whole."""
    return all(cache.media.intact(name) for name in dict.fromkeys(notes.media))
