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


@pytest.fixture(autouse=True)
def _private_render_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cardgen build` caches renders in the user's cache folder by default: tests use their own."""
    monkeypatch.setenv("CARDGEN_CACHE_DIR", str(tmp_path_factory.mktemp("render-cache")))
