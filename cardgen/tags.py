"""Anki tag vocabulary shared by every part that writes or reads tags: the root, its kinds of tag,
and safe tag words.

Standard library only: the Anki add-on carries this module (see cardgen.addon.package).
"""

from __future__ import annotations

import re

TAG_ROOT = "cardgen"
CASE_PREFIX = f"{TAG_ROOT}::case::"
DIFFICULTY_PREFIX = f"{TAG_ROOT}::difficulty::"  # the educator's prior in a class deck, a learner's band in theirs
PRIOR_PREFIX = f"{TAG_ROOT}::prior::"  # always the educator's difficulty of the case
TOPIC_PREFIX = f"{TAG_ROOT}::topic::"
LEVEL_PREFIX = f"{TAG_ROOT}::level::"  # the ESR level of a curriculum topic: cardgen::level::II
TEXT_ONLY_TAG = f"{TAG_ROOT}::text_only"  # a curriculum objective's text-only card
# Every note cardgen writes carries a case tag or the text-only tag: how a collection's cardgen notes are found.
CARDGEN_SEARCH = f"(tag:{CASE_PREFIX}* OR tag:{TEXT_ONLY_TAG})"


def is_cardgen_tag(tag: str) -> bool:
    """Whether ``tag`` is one of cardgen's (Anki compares tags without case)."""
    return tag.lower().startswith(f"{TAG_ROOT}::")


def tag_word(text: str, *, empty: str = "unknown") -> str:
    """A value made safe for one level of an Anki tag: no spaces or '::'; ``empty`` if nothing is left."""
    return re.sub(r"[^0-9A-Za-z_.\-]+", "_", text.strip()).strip("_") or empty


def case_tag_word(case_id: str) -> str:
    """The word of a case's ``cardgen::case::`` tag as Anki compares it (without letter case): two
    cases whose ids give the same word would share one tag, and their learners' data would mix."""
    return tag_word(case_id).casefold()
