"""Atomic file output (cardgen.atomic): whole files or none, and a module light enough for reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cardgen.atomic import _exchange, atomic_output


def test_importing_atomic_output_loads_no_genanki() -> None:
    # The learners' and coverage reports write through it; loading genanki there would tie them to the deck writer.
    code = "import sys, cardgen.atomic; print('genanki' in sys.modules, 'cardgen.deck' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_replacing_a_package_leaves_the_new_one_only_and_an_error_leaves_the_old(tmp_path: Path) -> None:
    # The replaced package's last reference is dropped by a short-lived child process; whoever
    # reads the folder afterwards sees the new package and nothing else.
    out = tmp_path / "deck.apkg"
    out.write_bytes(b"old package")
    with atomic_output(out) as temp:
        temp.write_bytes(b"new package")
    assert out.read_bytes() == b"new package"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.apkg"]
    with pytest.raises(RuntimeError):
        with atomic_output(out) as temp:
            temp.write_bytes(b"half a package")
            raise RuntimeError("stopped half-way")
    assert out.read_bytes() == b"new package"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.apkg"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_exchange_swaps_two_names_in_one_step_or_says_it_cannot(tmp_path: Path) -> None:
    new, old = tmp_path / "new", tmp_path / "old"
    new.write_text("new package")
    old.write_text("old package")
    assert _exchange(new, old)
    assert (old.read_text(), new.read_text()) == ("new package", "old package")
    assert not _exchange(new, tmp_path / "missing")  # nothing to swap with: the caller renames
    assert new.read_text() == "old package"
