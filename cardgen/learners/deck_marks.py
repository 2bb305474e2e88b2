"""What a learner's deck tells the add-on, in its root deck's description and its notes' tags.

* ``<!-- cardgen:pace=N learner=NAME -->``: the learner's pace, new cards per day; NAME is
  percent-encoded (:func:`learner_mark`), so no name can leave the comment.
* ``<!-- cardgen:class=DATA -->``: the class's failure counts (cardgen.learners.model.ClassStats,
  learners' own counts left out), as base64 of zlib-compressed JSON (so no ``-->`` can appear). The
  add-on (cardgen.addon.scheduling) starts a reviewed note's record from the class's rate, and its
  learning steps from the class's answers after two failures of a card (``repeats``).
* ``<!-- cardgen:fsrs=W0,W1,... -->``: the class's FSRS parameters (cardgen.learners.class_fit), fixed-point
  decimals; the add-on (cardgen.addon.scheduling) gives them to a cardgen preset that has none (cold start).
* Each note's ``cardgen::prior::<easy|medium|hard>`` tag: the educator's difficulty of its case; the
  ``cardgen::difficulty::`` tag is the learner's band (equal to the prior in the class deck).

Anki shows nothing of an HTML comment. Standard library only: the add-on carries this module.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from urllib.parse import quote

from cardgen.difficulty import Difficulty
from cardgen.learners.model import ClassStats, NoteFacts
from cardgen.tags import DIFFICULTY_PREFIX, PRIOR_PREFIX, TOPIC_PREFIX, after_prefix, has_prefix
PACE_MARKER = "<!-- cardgen:pace={pace} learner={learner} -->"
CLASS_MARKER = "<!-- cardgen:class={data} -->"
_PACE_PATTERN = re.compile(r"<!-- cardgen:pace=(\d+) ")
FSRS_MARKER = "<!-- cardgen:fsrs={params} -->"
_CLASS_PATTERN = re.compile(r"<!-- cardgen:class=([A-Za-z0-9+/=]*) -->")
_FSRS_PATTERN = re.compile(r"<!-- cardgen:fsrs=([0-9.,\-]+) -->")
FSRS_PARAM_COUNTS = (19, 21)  # FSRS-5 and FSRS-6


def deck_description(pace: int, learner: str, stats: ClassStats | None,
                     fsrs: list[float] | None = None) -> str:
    """The root deck description of a learner's deck."""
    text = PACE_MARKER.format(pace=int(pace), learner=learner_mark(learner))
    if stats is not None:
        text += "\n" + class_description_text(stats)
    if fsrs:
        text += "\n" + fsrs_mark(fsrs)
    return text


def fsrs_mark(params: list[float]) -> str:
    """The class's FSRS parameters as a deck description carries them: fixed-point decimals (six
    places, no exponent), so :func:`fsrs_params_in` reads them back."""
    return FSRS_MARKER.format(params=",".join(_decimal(v) for v in params))


def _decimal(value: float) -> str:
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def fsrs_params_in(description: str) -> list[float] | None:
    """The class's FSRS parameters a deck description carries, if any (None when unreadable or of
    a length no FSRS version has)."""
    match = _FSRS_PATTERN.search(description or "")
    if not match:
        return None
    try:
        params = [float(v) for v in match.group(1).split(",")]
    except ValueError:
        return None
    return params if len(params) in FSRS_PARAM_COUNTS else None


def learner_mark(learner: str) -> str:
    """A learner's name as the pace marker carries it: percent-encoded UTF-8, so the value holds
    only letters, digits and ``%-._~`` and can never close the comment (``-->``, ``--!>``) or open
    a tag, whatever the name (Anki's deck overview shows a description as HTML)."""
    return quote(learner, safe="")


def class_description_text(stats: ClassStats) -> str:
    """The class's counts as a deck description carries them."""
    packed = zlib.compress(json.dumps(stats.to_json(), sort_keys=True, separators=(",", ":")).encode(), 9)
    return CLASS_MARKER.format(data=base64.b64encode(packed).decode("ascii"))


def pace_in(description: str) -> int | None:
    """The pace a deck description carries, if any."""
    match = _PACE_PATTERN.search(description or "")
    return int(match.group(1)) if match else None


def class_stats_in(description: str) -> ClassStats | None:
    """The class counts a deck description carries, if any (None also when they are unreadable)."""
    match = _CLASS_PATTERN.search(description or "")
    if not match:
        return None
    try:
        return ClassStats.from_json(json.loads(zlib.decompress(base64.b64decode(match.group(1)))))
    except (ValueError, zlib.error, TypeError, KeyError):
        return None  # an edited description: the model falls back to the priors


def note_facts_from_tags(guid: str, tags: list[str] | tuple[str, ...], cards: int) -> NoteFacts:
    """The model's view of a note, from its cardgen tags: topics, and the prior (or, lacking a prior
    tag, the difficulty tag, which is the prior in a class deck)."""
    prior = difficulty = None
    for tag in tags:
        if has_prefix(tag, PRIOR_PREFIX):
            prior = _difficulty(after_prefix(tag, PRIOR_PREFIX))
        elif has_prefix(tag, DIFFICULTY_PREFIX):
            difficulty = _difficulty(after_prefix(tag, DIFFICULTY_PREFIX))
    return NoteFacts(guid=guid, topics=tuple(sorted(t for t in tags if has_prefix(t, TOPIC_PREFIX))),
                     cards=cards, prior=prior or difficulty or Difficulty.MEDIUM)


def band_from_tags(tags: list[str] | tuple[str, ...]) -> Difficulty:
    """A note's band: its ``cardgen::difficulty::`` tag (medium without one)."""
    for tag in tags:
        if has_prefix(tag, DIFFICULTY_PREFIX):
            band = _difficulty(after_prefix(tag, DIFFICULTY_PREFIX))
            if band is not None:
                return band
    return Difficulty.MEDIUM


def _difficulty(word: str) -> Difficulty | None:
    try:
        return Difficulty(word.lower())
    except ValueError:
        return None
