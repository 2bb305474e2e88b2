"""Ctrl-C held off for a moment: a block the interrupt must not cut in two.

A Ctrl-C raises KeyboardInterrupt in the main thread at the next instruction of Python code, and
some moments cannot take one: a pool of worker processes half started, or a thread half started
that will write into a file the main thread is about to close. Inside :func:`interrupts_held` the
signal is only noted; the caller raises it once the block has left things whole.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def interrupts_held(on_interrupt: Callable[[], None] | None = None) -> Iterator[list[int]]:
    """Ctrl-C noted (in the list the block gets) instead of raised, for the block's duration;
    ``on_interrupt`` is called when one comes (to ask other threads to stop, say). Outside the
    main thread, where Python raises no KeyboardInterrupt, nothing is changed."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def note(number: int, frame: object) -> None:
        noted.append(number)
        if on_interrupt is not None:
            on_interrupt()

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)
