"""Reading one ``images:`` entry of a case: its file or folder of slices, windows, frames, masks and
burned-in review.
"""

from __future__ import annotations

from pathlib import Path

from cardgen.annotations.shapes import Rect
from cardgen.errors import InputError
from cardgen.imaging.frames import parse_frames
from cardgen.imaging.windows import parse_windows
from cardgen.teaching.case import CaseImage
from cardgen.teaching.fields import Fields, case_path, mapping
from cardgen.teaching.findings import read_shape


def read_image(item: object, field: str, folder: Path, file: Path, *,
                case_burned_in: object = None) -> CaseImage:
    if isinstance(item, str):
        item = {"file": item}
    data = mapping(item, field, file)
    if case_burned_in is not None and "burned_in" not in data:
        data = {**data, "burned_in": case_burned_in}
    reader = Fields(data, file, prefix=f"{field}.")
    name = reader.text("file", required=True)
    path = case_path(folder, name, file, f"{field}.file", allow_folder=True)
    windows = parse_windows(data.get("window"), file=file, field=f"{field}.window") or (None,)
    frame = data.get("frame")
    if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 0):
        raise InputError("frame is a whole number from 0", file=file, field=f"{field}.frame", value=frame)
    stack = None
    if data.get("frames") is not None or path.is_dir():
        stack = parse_frames(None, data.get("frames", "all"), file=file, field_prefix=field)
    burned_in = data.get("burned_in")
    if burned_in is not None and burned_in != "reviewed":
        raise InputError("burned_in may only say 'reviewed'", file=file, field=f"{field}.burned_in",
                         value=burned_in, hint="write 'burned_in: reviewed' once a person has checked "
                         "the pixels for names, dates and IDs (or masked them with 'mask:')")
    masks = tuple(_read_mask(m, f"{field}.mask[{i}]", file) for i, m in enumerate(reader.list("mask")))
    overlays = data.get("overlays", False)
    if not isinstance(overlays, bool):
        raise InputError("overlays is true or false", file=file, field=f"{field}.overlays", value=overlays)
    return CaseImage(path=path, id=reader.text("id") or name, windows=windows, frame=frame, stack=stack,
                     burned_in_reviewed=burned_in == "reviewed", masks=masks, overlays=overlays)


def _read_mask(item: object, field: str, file: Path) -> Rect:
    """A rectangle to black out (burned-in text), in image pixels."""
    data = mapping(item, field, file)
    shape = read_shape({"kind": "rect", **data}, field, file)
    if not isinstance(shape, Rect):
        raise InputError("a mask is a rectangle {x, y, width, height}", file=file, field=field, value=item)
    return shape
