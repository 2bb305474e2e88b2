"""Anki tag vocabulary shared by every part that writes or reads tags: the root, its kinds of tag,
safe tag words, and how tags compare.

Anki treats tags that differ only in letter case as one tag (a collection may show a tag in
whichever case it first met), so every comparison here ignores case: :func:`tag_key` is the one
place that says how.

Standard library only: the Anki add-on carries this module (see cardgen.addon.package).
"""

from __future__ import annotations

import re
import unicodedata

TAG_ROOT = "cardgen"
CASE_PREFIX = f"{TAG_ROOT}::case::"
DIFFICULTY_PREFIX = f"{TAG_ROOT}::difficulty::"  # the educator's prior in a class deck, a learner's band in theirs
PRIOR_PREFIX = f"{TAG_ROOT}::prior::"  # always the educator's difficulty of the case
TOPIC_PREFIX = f"{TAG_ROOT}::topic::"
LEVEL_PREFIX = f"{TAG_ROOT}::level::"  # the ESR level of a curriculum topic: cardgen::level::II
MODALITY_PREFIX = f"{TAG_ROOT}::modality::"  # the DICOM modality of a case's images (CT, MR, ...)
TEXT_ONLY_TAG = f"{TAG_ROOT}::text_only"  # a curriculum objective's text-only card
# Every note cardgen writes carries a case tag or the text-only tag: how a collection's cardgen notes are found.
CARDGEN_SEARCH = f"(tag:{CASE_PREFIX}* OR tag:{TEXT_ONLY_TAG})"


def tag_key(tag: str) -> str:
    """The form in which two tags are compared: without letter case, as Anki compares them."""
    return tag.casefold()


def same_tag(tag: str, other: str) -> bool:
    """Whether Anki takes ``tag`` and ``other`` for one tag."""
    return tag_key(tag) == tag_key(other)


def has_prefix(tag: str, prefix: str) -> bool:
    """Whether ``tag`` is of the kind ``prefix`` names (``cardgen::difficulty::``, ...), in any letter case."""
    return tag_key(tag[:len(prefix)]) == tag_key(prefix)


def after_prefix(tag: str, prefix: str) -> str | None:
    """The rest of ``tag`` after ``prefix`` (as written), or None when ``tag`` is not of that kind."""
    return tag[len(prefix):] if has_prefix(tag, prefix) else None


OWN_PREFIXES = (CASE_PREFIX, DIFFICULTY_PREFIX, PRIOR_PREFIX, TOPIC_PREFIX, LEVEL_PREFIX, MODALITY_PREFIX)


def tag_content(tag: str) -> str:
    """What a tag says beyond cardgen's own words: ``chest-001`` of ``cardgen::case::chest-001``,
    nothing of ``cardgen::text_only``; any other tag whole."""
    if same_tag(tag, TEXT_ONLY_TAG):
        return ""
    for prefix in OWN_PREFIXES:
        rest = after_prefix(tag, prefix)
        if rest is not None:
            return rest
    return tag


def is_cardgen_tag(tag: str) -> bool:
    """Whether ``tag`` is one of cardgen's."""
    return has_prefix(tag, f"{TAG_ROOT}::")


def tag_word(text: str, *, empty: str = "unknown") -> str:
    """A value made safe for one level of an Anki tag: letters and digits of any script (composed, so
    that an accent typed as a separate mark stays with its letter), '.', '-' and '_'; any other run of
    characters (spaces, '::', a search's '*' or quotes) becomes one '_'; ``empty`` if nothing is left."""
    return re.sub(r"[^\w.\-]+", "_", unicodedata.normalize("NFC", text).strip()).strip("_") or empty


def case_tag_word(case_id: str) -> str:
    """The word of a case's ``cardgen::case::`` tag as Anki compares it (without letter case): two
    cases whose ids give the same word would share one tag, and their learners' data would mix."""
    return tag_key(tag_word(case_id))


def case_tag(case_id: str) -> str:
    """``cardgen::case::<id>``: every note of a case carries it."""
    return CASE_PREFIX + tag_word(case_id)


def modality_tag(modality: str) -> str:
    """``cardgen::modality::CT``: a modality of the case's images."""
    return MODALITY_PREFIX + tag_word(modality)
