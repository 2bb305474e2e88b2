from __future__ import annotations

from pathlib import Path

import pytest

from tests.anki_helpers import open_collection


@pytest.fixture
def collection(tmp_path: Path):
    """A fresh real Anki collection, closed after the test."""
    col = open_collection(tmp_path / "anki")
    yield col
    col.close()
