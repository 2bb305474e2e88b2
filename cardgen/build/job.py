"""The per-case job: render every image of one case and make its notes, in a worker process.

A :class:`CaseJob` holds everything a case's notes depend on besides its files (the render cache
keys a case's notes on its ``repr`` and on :meth:`CaseJob.files`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cardgen.annotations.render import RenderRequest
from cardgen.build.cache import BuildCache
from cardgen.build.checks import check_case_images
from cardgen.build.headers import identity_sources
from cardgen.build.renderer import MediaRenderer
from cardgen.cards.notes import CaseContext, ImageView, case_notes, occlusion_notes
from cardgen.confine import confined_to
from cardgen.deck.spool import EncodedNotes, encode_notes
from cardgen.imaging.render import OutputOptions, file_hash
from cardgen.imaging.windows import Window
from cardgen.teaching.case import Case, CaseImage, OcclusionMode


@dataclass(frozen=True)
class CaseJob:
    """One case to build: the case, its place in the deck, and the build's defaults for it."""

    case: Case
    context: CaseContext
    default_occlusion: OcclusionMode
    output: OutputOptions

    def files(self) -> list[Path]:
        """Every file :func:`build_case` reads (what a cached case's notes depend on besides the
        job): the case file, its images (each slice of a series folder) and its annotation objects."""
        case = self.case
        files = [case.source]
        for image in case.images:
            files += sorted(p for p in image.path.iterdir() if p.is_file()) if image.path.is_dir() else [image.path]
        return files + [source.path for source in case.annotation_files]


def build_case(job: CaseJob, render_to: MediaRenderer) -> EncodedNotes:
    """Render every image of one case and make its notes, reading only files inside its folder."""
    with confined_to(job.case.folder):
        return _build_confined_case(job, render_to)


def read_identifying_values(job: CaseJob, cache: BuildCache) -> None:
    """Read the identifying values of a case's DICOM files into the cache (in the worker that
    built the case), so that the self-audit of the package finds them there."""
    for path in identity_sources([job.case]):
        cache.readings.identifying_values(path)


def _build_confined_case(job: CaseJob, render_to: MediaRenderer) -> EncodedNotes:
    checked = check_case_images(job.case, render_to.cache)
    case, resolved, facts = checked.case, checked.resolved, checked.facts
    output = job.output
    hashes: dict[Path, str] = {}

    def request(path: Path, frame: int | None, window, shapes=(), annotate: bool = False,
                image: CaseImage | None = None) -> RenderRequest:
        if path not in hashes:
            hashes[path] = file_hash(path)
        return RenderRequest(path=path, content_hash=hashes[path], frame=frame, window=window,
                             shapes=tuple(shapes), annotate=annotate, masks=image.masks if image else (),
                             overlays=image.overlays if image else False, output=output)

    views: list[ImageView] = []
    for image in case.images:
        key = resolved[image.id]
        shapes = tuple(s for f in case.findings if f.image_id == image.id for s in f.shapes)
        clean, annotated, captions = [], [], []
        for window in image.windows:
            clean.append(render_to(request(key.key_path, key.key_frame, window, image=image)))
            annotated.append(render_to(request(key.key_path, key.key_frame, window, shapes, annotate=True,
                                               image=image)))
            captions.append(_caption(image, window))
        stack = tuple(render_to(request(path, frame, image.windows[0], image=image)) for path, frame in key.stack)
        key_index = key.stack.index((key.key_path, key.key_frame)) if key.stack else 0
        views.append(ImageView(image_id=image.id, facts=facts[image.id], clean=tuple(clean),
                               annotated=tuple(annotated), captions=tuple(captions), stack=stack,
                               stack_key_index=key_index))
    finding_images = []
    for finding in case.findings:
        image = case.image(finding.image_id)
        key = resolved[image.id]
        finding_images.append(render_to(request(key.key_path, key.key_frame, image.windows[0],
                                                finding.shapes, annotate=True, image=image)))
    # Encoded for the spool here, in the worker: the main process (and the cache) get them ready to add.
    return encode_notes(case_notes(case, views, finding_images, job.context)
                        + occlusion_notes(case, views, job.context, case.occlusion or job.default_occlusion))


def _caption(image: CaseImage, window) -> str:
    if not image.is_dicom:
        return ""
    return f"{window.label} window" if isinstance(window, Window) else ""
