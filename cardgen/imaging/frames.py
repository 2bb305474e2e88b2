"""Which frames of a multi-frame file (or slices of a series) a case shows.

A case writes one of:

- ``frame: 3`` -- one frame;
- ``frames: "0-9"`` -- a range, both ends included; ranges and single frames may be mixed:
  ``"0-4, 8, 10-12"``;
- ``frames: [2, 5]`` -- key frames, in the order given;
- ``frames: all`` -- every frame (a scrollable stack).

Frames are counted from 0, like the rest of cardgen (DICOM's own frame numbers start at 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import InputError

_RANGE = re.compile(r"^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?$")
# Frames one image of a case may show; checked before a range is expanded ("0-999999999").
MAX_FRAMES = 10_000


@dataclass(frozen=True)
class FrameSelection:
    """Frames a case asked for, before the file's frame count is known. ``indices`` None means all."""

    indices: tuple[int, ...] | None

    @property
    def is_all(self) -> bool:
        return self.indices is None

    def resolve(self, count: int, *, file: Path | str | None = None, field: str = "frames") -> tuple[int, ...]:
        """The 0-based frame indices, checked against a file (or series) of ``count`` frames."""
        if self.indices is None:
            return tuple(range(count))
        outside = [i for i in self.indices if i >= count]
        if outside:
            raise InputError(f"frame {outside[0]} does not exist; there are {count} frame(s)", file=file,
                             field=field, value=outside[0], hint=frame_range_hint(count))
        return self.indices


FIRST_FRAME = FrameSelection((0,))


def frame_range_hint(count: int, what: str = "frame") -> str:
    """What to write instead of a frame (or slice) that does not exist, among ``count``."""
    if count <= 1:
        return f"the file has a single {what}: leave 'frame:' out, or write frame: 0"
    return f"{what}s count from 0: use 0 to {count - 1}"


def parse_frames(frame: object = None, frames: object = None, *, file: Path | str | None = None,
                 field_prefix: str | None = None) -> FrameSelection:
    """The case's ``frame:`` or ``frames:`` value -> a :class:`FrameSelection` (default: frame 0)."""
    frame_field = f"{field_prefix}.frame" if field_prefix else "frame"
    frames_field = f"{field_prefix}.frames" if field_prefix else "frames"
    if frame is not None and frames is not None:
        raise InputError("give either frame or frames, not both", file=file, field=frames_field,
                         hint="frame: 3 for one frame; frames: \"0-9\" or [2, 5] for several")
    if frame is not None:
        return FrameSelection((_index(frame, file, frame_field),))
    if frames is None:
        return FIRST_FRAME
    if isinstance(frames, str) and frames.strip().lower() == "all":
        return FrameSelection(None)
    if isinstance(frames, bool):
        raise InputError("frames must be a number, a range or a list", file=file, field=frames_field,
                         value=frames)
    if isinstance(frames, int):
        return FrameSelection((_index(frames, file, frames_field),))
    if isinstance(frames, (list, tuple)):
        if not frames:
            raise InputError("the list of frames is empty", file=file, field=frames_field,
                             hint="leave it out to show frame 0")
        if len(frames) > MAX_FRAMES:
            raise InputError(f"more than {MAX_FRAMES:,} frames", file=file, field=frames_field,
                             value=len(frames), hint="choose the frames a learner needs to scroll through")
        indices = tuple(_index(item, file, f"{frames_field}[{i}]") for i, item in enumerate(frames))
        return FrameSelection(_unique(indices, file, frames_field))
    if isinstance(frames, str):
        indices: list[int] = []
        for part in frames.split(","):
            match = _RANGE.match(part)
            if not match:
                raise InputError(f"cannot read {part.strip()!r} as a frame or a range", file=file,
                                 field=frames_field, value=frames,
                                 hint='write "0-9", "2, 5, 7" or "0-4, 8"; frames count from 0')
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) is not None else first
            if last < first:
                raise InputError(f"the range {first}-{last} runs backwards", file=file, field=frames_field,
                                 value=frames, hint=f"write {last}-{first}")
            if len(indices) + last - first + 1 > MAX_FRAMES:
                raise InputError(f"more than {MAX_FRAMES:,} frames", file=file, field=frames_field,
                                 value=frames, hint="choose the frames a learner needs to scroll through")
            indices.extend(range(first, last + 1))
        return FrameSelection(_unique(tuple(indices), file, frames_field))
    raise InputError("frames must be a number, a range like \"0-9\", a list or all", file=file,
                     field=frames_field, value=frames)


def _index(value: object, file: Path | str | None, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
            return int(value.strip())
        raise InputError("a frame is a whole number counted from 0", file=file, field=field, value=value)
    if value < 0:
        raise InputError("frames are counted from 0; negative frames do not exist", file=file,
                         field=field, value=value)
    return value


def _unique(indices: tuple[int, ...], file: Path | str | None, field: str) -> tuple[int, ...]:
    seen: set[int] = set()
    for index in indices:
        if index in seen:
            raise InputError(f"frame {index} is listed twice", file=file, field=field, value=index)
        seen.add(index)
    return indices
