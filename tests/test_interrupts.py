"""Ctrl-C held off where it must not cut a block in two (cardgen/interrupts.py), and the package
writer's media thread, which such a Ctrl-C once left writing into a zip being closed: a build
interrupted at that moment printed a ValueError traceback instead of "Aborted!"
(tests/test_robustness.py::test_ctrl_c_stops_a_build_promptly_and_quietly caught it once, in a
fresh clone's run of the suite; 60 builds interrupted just as packaging starts did not hit it
again, so the moment is tested here directly). Every signal here is a real SIGINT sent to this
process."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from cardgen.deck.package import _Background, write_package
from cardgen.interrupts import interrupts_held
from tests.test_speed_memory import ROOT, TIMESTAMP, _notes_by_case, _write_media


@pytest.fixture(autouse=True)
def ctrl_c_is_keyboard_interrupt():
    """Ctrl-C as a terminal gives it. A suite started in the background (``pytest &`` from a script)
    inherits SIGINT ignored, Python then installs no handler, and these tests' SIGINTs did nothing."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_ctrl_c_inside_the_block_is_noted_and_raised_by_no_one() -> None:
    calls: list[str] = []
    before = signal.getsignal(signal.SIGINT)
    with interrupts_held(lambda: calls.append("asked to stop")) as interrupted:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs at the next instruction; no KeyboardInterrupt comes
    assert interrupted == [signal.SIGINT] and calls == ["asked to stop"]
    assert signal.getsignal(signal.SIGINT) is before
    with pytest.raises(KeyboardInterrupt):  # outside the block, Ctrl-C is Ctrl-C again
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


def test_outside_the_main_thread_nothing_is_changed() -> None:
    seen: list[object] = []

    def elsewhere() -> None:
        with interrupts_held() as interrupted:
            seen.extend([interrupted, signal.getsignal(signal.SIGINT)])

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [[], signal.getsignal(signal.SIGINT)]


def test_a_ctrl_c_while_the_background_thread_runs_stops_it_before_it_is_raised() -> None:
    """The thread's own function sends the Ctrl-C (as a terminal would, at any moment) and then
    works until told to stop: the KeyboardInterrupt reaches the caller only once the thread has
    stopped, asked to by ``on_interrupt``, and well before its 5 seconds of work."""
    stop = threading.Event()
    finished: list[bool] = []

    def work() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        stop.wait(5)
        finished.append(stop.is_set())

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        media = _Background(work, on_interrupt=stop.set)
        media.wait()
    assert finished == [True]  # stopped, and done, when the caller got the interrupt
    assert time.monotonic() - started < 4
    assert not any(thread.name == "cardgen-pack-media" for thread in threading.enumerate())


def test_a_ctrl_c_while_the_collection_is_written_leaves_the_old_deck_and_no_thread(tmp_path: Path) -> None:
    notes = [note for case in _notes_by_case(6) for note in case]
    media = _write_media(tmp_path / "media", 6)
    out = tmp_path / "deck.apkg"
    write_package(out, ROOT, notes, media, TIMESTAMP)
    before = out.read_bytes()

    def ctrl_c(collection: Path) -> None:  # the audit of the collection, while the media are packed
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)

    with pytest.raises(KeyboardInterrupt):
        write_package(out, ROOT, notes[:-1], media, TIMESTAMP, check_collection=ctrl_c)
    assert out.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["deck.apkg", "media"]
    assert not any(thread.name == "cardgen-pack-media" for thread in threading.enumerate())
