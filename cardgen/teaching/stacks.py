"""Stacks: which file and frame a case image stands for, and which frames it scrolls through.

A case image is one frame of a file, a range of frames of a multi-frame file, or a folder of
single-frame slices (a series). Shapes and the static images always refer to the key frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import InputError
from cardgen.imaging.frames import frame_range_hint
from cardgen.imaging.series import series_files
from cardgen.imaging.registry import source_for
from cardgen.teaching.case import CaseImage


@dataclass(frozen=True)
class ResolvedImage:
    """The key frame of a case image, and the frames of its stack (empty for a single image)."""

    key_path: Path
    key_frame: int | None
    stack: tuple[tuple[Path, int | None], ...] = ()


def resolve_image(image: CaseImage, case_file: Path, field: str) -> ResolvedImage:
    """The concrete files and frames behind a case image."""
    if image.path.is_dir():
        slices = series_files(image.path)
        indices = (image.stack.resolve(len(slices), file=case_file, field=f"{field}.frames")
                   if image.stack else tuple(range(len(slices))))
        key = _key(image, indices, len(slices), case_file, field, "slice")
        return ResolvedImage(slices[key], None, tuple((slices[i], None) for i in indices))
    if image.stack is None:
        return ResolvedImage(image.path, image.frame)
    count = source_for(image.path).facts(image.path).frames
    indices = image.stack.resolve(count, file=case_file, field=f"{field}.frames")
    key = _key(image, indices, count, case_file, field, "frame")
    return ResolvedImage(image.path, key, tuple((image.path, i) for i in indices))


def _key(image: CaseImage, indices: tuple[int, ...], count: int, case_file: Path, field: str,
         what: str) -> int:
    """The key frame: the case's ``frame``, or the middle of the stack."""
    if image.frame is None:
        return indices[len(indices) // 2]
    if image.frame >= count:
        raise InputError(f"{what} {image.frame} does not exist; there are {count}", file=case_file,
                         field=f"{field}.frame", value=image.frame, hint=frame_range_hint(count, what))
    return image.frame
