"""Anki tag vocabulary shared by every part that writes tags: the root and safe tag words."""

from __future__ import annotations

import re

TAG_ROOT = "cardgen"


def tag_word(text: str, *, empty: str = "unknown") -> str:
    """A value made safe for one level of an Anki tag: no spaces or '::'; ``empty`` if nothing is left."""
    return re.sub(r"[^0-9A-Za-z_.\-]+", "_", text.strip()).strip("_") or empty
