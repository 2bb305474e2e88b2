"""The render function of one build process: the render cache first, else render and write the
media file at once (only its name and sizes are kept in memory)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cardgen.annotations.render import (RenderRequest, clean_request, display_from_clean, display_image, display_key,
                                        render)
from cardgen.atomic import write_atomically
from cardgen.build.cache import BuildCache
from cardgen.imaging.render import DisplayImage, RenderedImage


@dataclass
class RenderCounts:
    """How many renders a build made, and how many it found already made."""

    rendered: int = 0  # images decoded, drawn and encoded in this build
    reused: int = 0  # requests answered from the render cache or by an earlier identical request
    cases_unchanged: int = 0  # cases whose notes came whole from the cache

    def add(self, other: RenderCounts) -> None:
        self.rendered += other.rendered
        self.reused += other.reused
        self.cases_unchanged += other.cases_unchanged


class MediaRenderer:
    """The render function of one process: render cache first, then render and write the file.

    Within a case, requests that share a file, frame and window decode it once, and identical
    requests (a finding drawn alone that is also the whole annotated image) render once.
    """

    def __init__(self, media_dir: Path, cache: BuildCache | None) -> None:
        self.media_dir = media_dir
        self.cache = cache
        self.counts = RenderCounts()
        self._done: dict[str, RenderedImage] = {}
        self._displays: dict[tuple, DisplayImage] = {}

    def __call__(self, request: RenderRequest) -> RenderedImage:
        key = request.key()
        found = self._done.get(key) or (self.cache.renders.get(request) if self.cache is not None else None)
        if found is not None:
            self.counts.reused += 1
            self._done[key] = found
            return found
        shared = display_key(request)
        if shared not in self._displays:
            self._displays[shared] = self._display_from_clean(request) or display_image(request)
        rendered = render(request, self._displays[shared])
        target = self.media_dir / rendered.name
        if not target.is_file():  # media are named by content: an existing file is this file
            write_atomically(target, rendered.data)
        kept = replace(rendered, data=b"")  # the bytes are on disk; keep only the name and sizes
        if self.cache is not None:
            self.cache.renders.put(request, kept)
        self.counts.rendered += 1
        self._done[key] = kept
        return kept

    def _display_from_clean(self, request: RenderRequest) -> DisplayImage | None:
        """The display image read back from the clean render of the same picture, when that is
        made already (an annotation moved: the DICOM file is not decoded again)."""
        if not request.annotate:
            return None
        clean = clean_request(request)
        found = self._done.get(clean.key()) or (self.cache.renders.get(clean) if self.cache is not None else None)
        return display_from_clean(request, found, self.media_dir) if found is not None else None

    def end_case(self) -> RenderCounts:
        """Forget the case's decoded images; return and reset the counts since the last call."""
        self._done.clear()
        self._displays.clear()
        counts, self.counts = self.counts, RenderCounts()
        return counts
