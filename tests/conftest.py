from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.anki_helpers import open_collection

# On CI (.ci/run sets CI) every property test's examples are derandomized, so that whether a commit
# lands never depends on a random draw; a developer's run draws new ones, and what they find becomes
# an @example (tests/test_properties.py has two).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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
