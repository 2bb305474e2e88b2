"""Rendering many cases: across cores, through the build cache, media streamed to disk.

The build hands :func:`build_cases` its per-case function (``build_one(case, context, render_to)``)
and the cases. Each worker process runs whole cases with its own :class:`MediaRenderer`, which
looks a request up in the render cache, renders it otherwise, and writes the media file to disk at
once. Only the cases' notes travel back, in the cases' order, so the package is the same whatever
the number of jobs, and memory does not grow with the images rendered. A case whose inputs are
unchanged since a cached build gives its remembered notes without being run at all.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar

from cardgen.annotations.render import (RenderRequest, clean_request, display_from_clean, display_image, display_key,
                                        render)
from cardgen.errors import InputError, InputErrors, each_error
from cardgen.imaging.cache import BuildCache, write_atomically
from cardgen.imaging.render import DisplayImage, RenderedImage

Result = TypeVar("Result")
T = TypeVar("T")
U = TypeVar("U")


def available_cores() -> int:
    """The cores this process may run on (what ``--jobs`` defaults to)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


@dataclass
class RenderCounts:
    """How many renders a build made, and how many it found already made."""

    rendered: int = 0  # images decoded, drawn and encoded in this build
    reused: int = 0  # requests answered from the render cache or by an earlier identical request
    cases_unchanged: int = 0  # cases whose notes came whole from the cache

    def add(self, other: RenderCounts) -> None:
        self.rendered += other.rendered
        self.reused += other.reused
        self.cases_unchanged += other.cases_unchanged


class MediaRenderer:
    """The render function of one process: render cache first, then render and write the file.

    Within a case, requests that share a file, frame and window decode it once, and identical
    requests (a finding drawn alone that is also the whole annotated image) render once.
    """

    def __init__(self, media_dir: Path, cache: BuildCache | None) -> None:
        self.media_dir = media_dir
        self.cache = cache
        self.counts = RenderCounts()
        self._done: dict[str, RenderedImage] = {}
        self._displays: dict[tuple, DisplayImage] = {}

    def __call__(self, request: RenderRequest) -> RenderedImage:
        key = request.key()
        found = self._done.get(key) or (self.cache.get(request) if self.cache is not None else None)
        if found is not None:
            self.counts.reused += 1
            self._done[key] = found
            return found
        shared = display_key(request)
        if shared not in self._displays:
            self._displays[shared] = self._display_from_clean(request) or display_image(request)
        rendered = render(request, self._displays[shared])
        target = self.media_dir / rendered.name
        if not target.exists():  # media are named by content: an existing file is this file
            write_atomically(target, rendered.data)
        kept = replace(rendered, data=b"")  # the bytes are on disk; keep only the name and sizes
        if self.cache is not None:
            self.cache.put(request, kept)
        self.counts.rendered += 1
        self._done[key] = kept
        return kept

    def _display_from_clean(self, request: RenderRequest) -> DisplayImage | None:
        """The display image read back from the clean render of the same picture, when that is
        made already (an annotation moved: the DICOM file is not decoded again)."""
        if not request.annotate:
            return None
        clean = clean_request(request)
        found = self._done.get(clean.key()) or (self.cache.get(clean) if self.cache is not None else None)
        return display_from_clean(request, found, self.media_dir) if found is not None else None

    def end_case(self) -> RenderCounts:
        """Forget the case's decoded images; return and reset the counts since the last call."""
        self._done.clear()
        self._displays.clear()
        counts, self.counts = self.counts, RenderCounts()
        return counts


@dataclass(frozen=True)
class _Failure:
    """An :class:`InputError` (or each problem of an :class:`InputErrors`) in a form that crosses
    process boundaries intact."""

    parts: tuple[tuple, ...]  # (problem, file, field, value, hint, line, column) of each problem

    @classmethod
    def of(cls, error: InputError) -> _Failure:
        return cls(tuple((e.problem, e.file, e.field, e.value, e.hint, e.line, e.column) for e in each_error(error)))

    def error(self) -> InputError:
        errors = [InputError(problem, file=file, field=field, value=value, hint=hint, line=line, column=column)
                  for problem, file, field, value, hint, line, column in self.parts]
        return errors[0] if len(errors) == 1 else InputErrors(errors)


@dataclass(frozen=True)
class Outcome(Generic[Result]):
    """What one case gave: its result, or the input error that stopped it."""

    result: Result | None
    error: InputError | None
    counts: RenderCounts


_worker_renderer: MediaRenderer | None = None


def _start_worker(media_dir: Path, cache_root: Path | None) -> None:
    global _worker_renderer
    # Ctrl-C is the main process's to handle: it stops the pool. A worker interrupted as well
    # printed a traceback, and one interrupted while waiting for work died holding the task
    # queue's lock, so that stopping the pool waited for it forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_freed_memory()
    _worker_renderer = MediaRenderer(media_dir, BuildCache(cache_root) if cache_root is not None else None)


def _keep_freed_memory() -> None:
    """Have glibc's malloc keep the memory of a freed image for the next one (Linux with glibc).

    A worker allocates and frees arrays of a few MB per image. glibc's defaults hand such blocks
    back to the kernel and map them anew, zero-filled page by page: measured, a 500-case build on
    two workers took 760,000 page faults (25,000 on one job in one process) and ~1 s more of its
    18. With blocks up to 32 MiB from the heap and the heap kept, a worker stays at the size of
    its largest image's work, which it reaches anyway.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # another C library (musl, macOS): its own ways
    trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD and M_MMAP_THRESHOLD from <malloc.h>
    mallopt(mmap_threshold, 32 << 20)  # glibc's largest allowed value on 64-bit systems
    mallopt(trim_threshold, 256 << 20)


def _run_one(build_one: Callable[..., Result], after: Callable[..., None] | None,
             task: tuple[tuple, str | None]) -> tuple[Result | None, _Failure | None, RenderCounts]:
    """Build one item; remember its result under ``key`` (when there is a cache)."""
    item, key = task
    renderer = _worker_renderer
    assert renderer is not None, "worker started without _start_worker"
    try:
        result = build_one(*item, renderer)
        if after is not None and renderer.cache is not None:
            after(*item, renderer.cache)
    except InputError as error:
        return None, _Failure.of(error), renderer.end_case()
    if key is not None and renderer.cache is not None:
        renderer.cache.remember_case(key, result)  # failures are not remembered: they are reported every time
    return result, None, renderer.end_case()


def _media_present(result: object, cache: BuildCache) -> bool:
    """True when every media file a remembered result names is still in the cache, whole."""
    return all(cache.media_intact(name) for name in dict.fromkeys(result.media))


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork starts workers fastest (they inherit the imported modules); a process that runs other
    threads (an embedding application) gets forkserver, which does not copy them half-way."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def build_cases(build_one: Callable[..., Result], items: Sequence[tuple], *,
                files_of: Callable[..., list[Path]], workers: Workers,
                after: Callable[..., None] | None = None) -> Iterator[tuple[int, Outcome[Result]]]:
    """Run ``build_one(*item, render_to)`` for every item, on the ``workers`` (started at once).

    Returns an iterator of ``(index in items, outcome)``: first the items whose results are
    remembered, read in turn while the workers build the others, then the others, in the items'
    order. ``build_one`` returns a result whose ``media`` names every media file it made. With a
    cache, an item whose ``repr``, files (``files_of(*item)``: every file ``build_one`` reads) and
    cardgen's code are unchanged gives its remembered result without running. ``build_one`` and
    ``files_of`` must be module-level functions and the items picklable; media files land in the
    workers' media folder (the cache's media folder when there is a cache). ``after(*item, cache)``, when given,
    runs in the worker after each item built (with a cache): work the main process would otherwise
    do alone later, such as reading what the self-audit needs into the cache.
    """
    # Remembered results are only looked for here and read in their turn: holding every case's
    # notes until then would grow the main process with the number of cases.
    cache = workers.cache
    run_one = partial(_run_one, build_one, after)
    known: list[tuple[int, tuple, str]] = []
    tasks: list[tuple[tuple, str | None]] = []
    task_indexes: list[int] = []
    for index, item in enumerate(items):
        key = cache.case_key(*item, files=files_of(*item)) if cache is not None else None
        if key is not None and cache is not None and cache.has_case(key):
            known.append((index, item, key))
        else:
            tasks.append((item, key))
            task_indexes.append(index)

    def remembered_outcome(item: tuple, key: str) -> Outcome[Result]:
        assert cache is not None
        result = cache.case_result(key)
        if result is None or not _media_present(result, cache):
            # A damaged entry, or media files deleted from the cache since: build the case now.
            return _outcome(next(workers.map(run_one, [(item, key)])))
        return Outcome(result=result, error=None, counts=RenderCounts(cases_unchanged=1))

    # The workers start on the changed cases at once (even on one, when there are remembered ones
    # to read meanwhile: a rebuild after one edit overlaps that case's imports and render with them).
    built = workers.map(run_one, tasks, background=bool(known))

    def outcomes() -> Iterator[tuple[int, Outcome[Result]]]:
        for index, item, key in known:
            yield index, remembered_outcome(item, key)
        for index, raw in zip(task_indexes, built):
            yield index, _outcome(raw)

    return outcomes()


class Workers:
    """The processes a build runs its per-case work on: up to ``jobs`` of them, started when
    first asked to map more than one item, or one in the background (a rebuild with nothing to do
    starts none), each with its own :class:`MediaRenderer`. With one job everything runs in this
    process.
    """

    def __init__(self, jobs: int, media_dir: Path, cache: BuildCache | None) -> None:
        self.jobs = max(1, jobs)
        self.media_dir = media_dir
        self.cache = cache
        self._pool: multiprocessing.pool.Pool | None = None
        self._local: MediaRenderer | None = None

    def map(self, function: Callable[[T], U], items: Sequence[T], *, background: bool = False,
            most_per_chunk: int = 2) -> Iterator[U]:
        """``function`` of each item, in the items' order; ``function`` must be picklable (a
        module-level function or a partial of one) when the work is spread across processes.
        With ``background``, even one item goes to a worker process (when there are jobs to
        spare), so that the caller can do other work until it asks for the result. A worker takes
        up to ``most_per_chunk`` items at a time (more for quick items: each chunk costs a round trip)."""
        if self.jobs == 1 or not items or (len(items) == 1 and not background):
            self._in_this_process()
            return map(function, items)
        if self._pool is None:
            # Forked workers are born with a Ctrl-C that only notes itself (their initializer then
            # ignores it); a Ctrl-C in that moment is raised here once the pool is ours to stop.
            with _interrupts_held() as interrupted:
                self._pool = _pool_context().Pool(self.jobs, initializer=_start_worker,
                                                  initargs=(self.media_dir, self.cache.root if self.cache else None))
            if interrupted:
                raise KeyboardInterrupt
        # Small chunks keep the cores busy to the end: two cases to render are ~0.1 s of work.
        chunk = max(1, min(most_per_chunk, len(items) // (self.jobs * 4)))
        return self._pool.imap(function, items, chunksize=chunk)

    def _in_this_process(self) -> None:
        global _worker_renderer
        if self._local is None:
            self._local = MediaRenderer(self.media_dir, self.cache)
        _worker_renderer = self._local

    def close(self) -> None:
        """Stop the worker processes (if any were started)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


@contextmanager
def _interrupts_held() -> Iterator[list[int]]:
    """Ctrl-C noted (in the list the block gets) instead of raised, for the block's duration."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: noted.append(number))
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def each_or_error(workers: Workers, function: Callable[[T], U], items: Sequence[T], *,
                  most_per_chunk: int = 2) -> Iterator[U | InputError]:
    """``function`` of each item on the ``workers``, in order (see :meth:`Workers.map`); an
    :class:`InputError` it raises comes back as that item's value (intact, across processes)."""
    for result, failure in workers.map(partial(_guarded, function), items, most_per_chunk=most_per_chunk):
        yield failure.error() if failure is not None else result


def _guarded(function: Callable[[T], U], item: T) -> tuple[U | None, _Failure | None]:
    try:
        return function(item), None
    except InputError as error:
        return None, _Failure.of(error)


@contextmanager
def workers(jobs: int, media_dir: Path, cache: BuildCache | None) -> Iterator[Workers]:
    """:class:`Workers` for the block; leaving it stops them."""
    pool = Workers(jobs, media_dir, cache)
    try:
        yield pool
    finally:
        pool.close()


def _outcome(raw: tuple) -> Outcome:
    result, failure, counts = raw
    return Outcome(result=result, error=failure.error() if failure is not None else None, counts=counts)
