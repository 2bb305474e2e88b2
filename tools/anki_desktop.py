"""Starting the real Anki desktop headless for the screenshot tools (`pip install "aqt[qt]"`)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PROFILE = "learner"


def fresh_profile() -> Path:
    """A new Anki base folder holding one profile, ``PROFILE``, made beforehand so that Anki starts
    without its first-run language dialog; Qt set to run without a screen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    base = Path(tempfile.mkdtemp(prefix="cardgen-anki-"))

    from aqt.profiles import ProfileManager

    profiles = ProfileManager(base)
    profiles.setupMeta()
    profiles.setLang("en")
    profiles.meta["firstRun"] = False
    profiles.create(PROFILE)
    profiles.load(PROFILE)
    profiles.save()
    return base


def run_anki(base: Path) -> None:
    """Run the Anki desktop on ``base``'s profile (returns when Anki exits)."""
    import aqt

    sys.argv = ["anki", "-b", str(base), "-p", PROFILE, "-l", "en"]
    aqt.run()
