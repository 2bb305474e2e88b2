"""What a build is asked to make (:class:`BuildOptions`, whose defaults the CLI shows) and what it
reports back (:class:`BuildResult`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cardgen.build.renderer import RenderCounts
from cardgen.errors import CardgenError, InputError
from cardgen.imaging.render import OutputOptions
from cardgen.teaching.case import OcclusionMode

DEFAULT_DECK_NAME = "cardgen"
DEFAULT_DECK_DEPTH = 1  # curriculum levels that become sub-decks
DEFAULT_OCCLUSION = OcclusionMode.HIDE_ALL
DEFAULT_OUTPUT = OutputOptions()  # media format, quality and longest side
LATEST_TIMESTAMP = 4_102_444_800  # 2100-01-01: Anki's and zip's dates stop not far beyond


class Progress(Protocol):
    """Where the build reports how far it has got (the CLI shows a bar)."""

    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...


class Silent:
    """A :class:`Progress` that shows nothing."""

    def start(self, total: int) -> None:
        pass

    def advance(self, label: str) -> None:
        pass


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how."""

    cases_dir: Path
    out: Path
    curriculum: Path | None = None
    deck_name: str = DEFAULT_DECK_NAME
    keep_going: bool = False
    deck_depth: int | None = DEFAULT_DECK_DEPTH  # curriculum levels that become sub-decks; None: all
    objective_cards: bool = False  # a text-only card per objective of topics with no case
    occlusion: OcclusionMode = DEFAULT_OCCLUSION  # Image Occlusion default; a case may say otherwise
    output: OutputOptions = DEFAULT_OUTPUT  # media format, quality and size
    learner: str | None = None  # build this learner's deck: their difficulty tags and pace
    learners_dir: Path | None = None  # the learners database (cardgen learners import)
    jobs: int = 1  # processes that render cases (the CLI defaults to every core)
    cache_dir: Path | None = None  # the render cache; None: render everything (the CLI sets one)


@dataclass
class BuildResult:
    """What a build made, for the one-line summary."""

    cases: int = 0
    notes: int = 0
    cards: int = 0
    media: int = 0
    package_bytes: int = 0
    seconds: float = 0.0
    text_only: int = 0
    pace: int | None = None  # the learner's new cards per day, for a learner's deck
    renders: RenderCounts = field(default_factory=RenderCounts)
    failures: list[CardgenError] = field(default_factory=list)
    not_identifying: list[tuple[str, str]] = field(default_factory=list)  # (case id, word) allowed by a case
    warnings: list[str] = field(default_factory=list)  # one line each, shown before the summary

    def summary(self) -> str:
        """One line whose numbers add up: the deck's own counts, then how its images were made
        (images of the cases built now, rendered or reused; unchanged cases took their notes
        whole from the cache)."""
        text_only = f" ({self.text_only} text-only)" if self.text_only else ""
        per_image = f" ({self.package_bytes / self.media / 1024:.0f} KiB per image)" if self.media else ""
        text = (f"{self.cases} cases, {self.cards} cards{text_only}, {self.media} media files, "
                f"{self.package_bytes / 1024:.0f} KiB{per_image} in {self.seconds:.1f} s")
        built = self.cases - self.renders.cases_unchanged
        made = self.renders.rendered + self.renders.reused
        if self.renders.cases_unchanged:
            text += (f"; {self.renders.cases_unchanged} of {self.cases} cases unchanged since the last build, "
                     f"{built} built: {made} images ({self.renders.rendered} rendered, {self.renders.reused} reused)")
        elif made:
            text += f"; {made} images ({self.renders.rendered} rendered, {self.renders.reused} reused from the cache or another card)"
        if self.failures:
            text += f"; {len(self.failures)} case(s) failed and were skipped"
        if self.not_identifying:
            text += "; allowed as not identifying: " + ", ".join(
                f"{word!r} ({case_id})" for case_id, word in self.not_identifying)
        return text


def source_date_epoch() -> int | None:
    """The reproducible-builds override of every timestamp (``SOURCE_DATE_EPOCH``), if set."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        seconds = int(value) if len(value) <= 20 else -1
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= LATEST_TIMESTAMP:
        raise InputError("SOURCE_DATE_EPOCH must be whole seconds since 1970, before 2100",
                         field="SOURCE_DATE_EPOCH", value=value)
    return seconds
