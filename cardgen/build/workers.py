"""The worker processes of one build: up to ``--jobs`` of them, each with its own
:class:`~cardgen.build.renderer.MediaRenderer`, mapping picklable work in order.

An :class:`~cardgen.errors.InputError` raised in a worker comes back intact (see :class:`Failure`),
so a problem is reported the same whatever the number of jobs.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from cardgen.build.cache import BuildCache
from cardgen.build.renderer import MediaRenderer
from cardgen.errors import InputError, InputErrors, each_error
from cardgen.interrupts import interrupts_held

T = TypeVar("T")
U = TypeVar("U")


def available_cores() -> int:
    """The cores this process may run on (what ``--jobs`` defaults to)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Failure:
    """An :class:`InputError` (or each problem of an :class:`InputErrors`) in a form that crosses
    process boundaries intact."""

    parts: tuple[tuple, ...]  # (problem, file, field, value, hint, line, column) of each problem

    @classmethod
    def of(cls, error: InputError) -> Failure:
        return cls(tuple((e.problem, e.file, e.field, e.value, e.hint, e.line, e.column) for e in each_error(error)))

    def error(self) -> InputError:
        errors = [InputError(problem, file=file, field=field, value=value, hint=hint, line=line, column=column)
                  for problem, file, field, value, hint, line, column in self.parts]
        return errors[0] if len(errors) == 1 else InputErrors(errors)


_worker_renderer: MediaRenderer | None = None


def this_process_renderer() -> MediaRenderer:
    """The :class:`MediaRenderer` of the process this runs in (a worker's, or this process's)."""
    assert _worker_renderer is not None, "worker started without _start_worker"
    return _worker_renderer


def _start_worker(media_dir: Path, cache_root: Path | None) -> None:
    global _worker_renderer
    # Ctrl-C is the main process's to handle: it stops the pool. A worker interrupted as well
    # would print a traceback, and one interrupted while waiting for work would die holding the
    # task queue's lock, so that stopping the pool would wait for it forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_freed_memory()
    _worker_renderer = MediaRenderer(media_dir, BuildCache(cache_root) if cache_root is not None else None)


def _keep_freed_memory() -> None:
    """Have glibc's malloc keep the memory of a freed image for the next one (Linux with glibc).

    A worker allocates and frees arrays of a few MB per image. glibc's defaults hand such blocks
    back to the kernel and map them anew, zero-filled page by page (see docs/performance.md for
    what that cost). With blocks up to 32 MiB from the heap and the heap kept, a worker stays at
    the size of its largest image's work, which it reaches anyway.
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


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork starts workers fastest (they inherit the imported modules); a process that runs other
    threads (an embedding application) gets forkserver, which does not copy them half-way."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


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

    def limit(self, most_items: int) -> None:
        """No more processes than the ``most_items`` any map will be given: ``--jobs 5000`` on a
        folder of 12 cases starts 12, not 5000 (forking them took minutes). Before the first map."""
        if self._pool is None:
            self.jobs = max(1, min(self.jobs, most_items))

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
            with interrupts_held() as interrupted:
                self._pool = _pool_context().Pool(self.jobs, initializer=_start_worker,
                                                  initargs=(self.media_dir, self.cache.root if self.cache else None))
            if interrupted:
                raise KeyboardInterrupt
        # Small chunks keep the cores busy to the end (a case to render is short work).
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


def each_or_error(workers: Workers, function: Callable[[T], U], items: Sequence[T], *,
                  most_per_chunk: int = 2) -> Iterator[U | InputError]:
    """``function`` of each item on the ``workers``, in order (see :meth:`Workers.map`); an
    :class:`InputError` it raises comes back as that item's value (intact, across processes)."""
    for result, failure in workers.map(partial(_guarded, function), items, most_per_chunk=most_per_chunk):
        yield failure.error() if failure is not None else result


def _guarded(function: Callable[[T], U], item: T) -> tuple[U | None, Failure | None]:
    try:
        return function(item), None
    except InputError as error:
        return None, Failure.of(error)


@contextmanager
def workers(jobs: int, media_dir: Path, cache: BuildCache | None) -> Iterator[Workers]:
    """:class:`Workers` for the block; leaving it stops them."""
    pool = Workers(jobs, media_dir, cache)
    try:
        yield pool
    finally:
        pool.close()
