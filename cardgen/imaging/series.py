"""A case image may be a folder of single-frame slices: one series, put in anatomical order.

Order (as PACS stack a series): position along the slice normal, that is Image Position (Patient)
(0020,0032) projected on the cross product of the two Image Orientation (Patient) (0020,0037)
direction cosines, lowest first (axial: feet to head); then Instance Number (0020,0013); then the
file name, so the order never depends on the file system. Slices without position or orientation
are ordered by Instance Number alone.

A folder that mixes series, orientations, image sizes, or holds anything other than single-frame
images is refused with an error that names the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardgen.errors import InputError
from cardgen.imaging.decode import frame_count
from cardgen.imaging.dicom import read_dataset
from cardgen.imaging.elements import fixed_numbers

# Direction cosines of one series agree to this many decimals (they are written as text, DS).
_ORIENTATION_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Slice:
    """One file of a series and the header values that order it."""

    path: Path
    series: str
    series_number: str
    size: tuple[int, int]
    orientation: tuple[float, ...] | None
    position: tuple[float, float, float] | None
    instance: int | None


def is_series_folder(path: Path) -> bool:
    """True when a case image names a folder (a series of slices) rather than a file."""
    return path.is_dir()


def series_files(folder: Path) -> list[Path]:
    """The slices of the series in ``folder``, in display order (see the module docstring)."""
    slices = read_slices(folder)
    _check_one_series(slices, folder)
    return [s.path for s in sorted(slices, key=_order_key(slices, folder))]


def read_slices(folder: Path) -> list[Slice]:
    """The header facts of every (non-hidden) file in ``folder``; any non-image file is an error."""
    if not folder.is_dir():
        raise InputError("the series folder does not exist", file=folder,
                         hint="a case image is a file or a folder of DICOM slices")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError("the series folder holds no files", file=folder,
                         hint="put the DICOM slices of one series in it")
    slices = []
    for path in files:
        ds = read_dataset(path, pixels=False)
        if "Rows" not in ds or "Columns" not in ds:
            raise InputError("the file in a series folder is not an image", file=path,
                             hint="a series folder holds the image slices of one series only; move it out")
        if frame_count(ds, path) > 1:
            raise InputError("a series folder holds single-frame slices; this file has "
                             f"{frame_count(ds, path)} frames", file=path,
                             hint="name the multi-frame file itself as the case image")
        slices.append(Slice(
            path=path,
            series=str(ds.get("SeriesInstanceUID", "")),
            series_number=str(ds.get("SeriesNumber", "") or "?"),
            size=(int(ds.Rows), int(ds.Columns)),
            orientation=fixed_numbers(ds.get("ImageOrientationPatient"), 6),
            position=fixed_numbers(ds.get("ImagePositionPatient"), 3),
            instance=_int_or_none(ds.get("InstanceNumber")),
        ))
    return slices


def _check_one_series(slices: list[Slice], folder: Path) -> None:
    by_series: dict[str, list[Slice]] = {}
    for s in slices:
        by_series.setdefault(s.series, []).append(s)
    if len(by_series) > 1:
        # Series are told apart by number and files: the UIDs are identifiers and stay out of messages.
        listed = "; ".join(f"Series Number {group[0].series_number}: {_names(group)}"
                           for group in by_series.values())
        raise InputError(f"the folder mixes {len(by_series)} series ({listed})", file=folder,
                         hint="keep one series per folder")
    sizes = {s.size for s in slices}
    if len(sizes) > 1:
        listed = "; ".join(f"{r}x{c}: {_names([s for s in slices if s.size == (r, c)])}"
                           for r, c in sorted(sizes))
        raise InputError(f"the slices have different sizes ({listed})", file=folder,
                         hint="a stack shows slices of one size; split the folder")
    oriented = [s for s in slices if s.orientation is not None]
    if oriented:
        first = np.array(oriented[0].orientation)
        odd = [s for s in oriented if np.max(np.abs(np.array(s.orientation) - first)) > _ORIENTATION_TOLERANCE]
        if odd:
            raise InputError("the slices have different orientations (Image Orientation (Patient) "
                             f"differs from {oriented[0].path.name} in {_names(odd)})", file=folder,
                             field="(0020,0037) Image Orientation (Patient)",
                             hint="a stack is one plane: keep slices of one orientation per folder")


def _order_key(slices: list[Slice], folder: Path):
    geometric = all(s.orientation is not None and s.position is not None for s in slices)
    if geometric:
        row, col = np.array(slices[0].orientation[:3]), np.array(slices[0].orientation[3:])
        normal = np.cross(row, col)

    def key(s: Slice) -> tuple:
        along = round(float(np.dot(normal, s.position)), 4) if geometric else 0.0
        instance = s.instance if s.instance is not None else 2**31
        return (along, instance, s.path.name)

    return key


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _names(group: list[Slice]) -> str:
    names = [s.path.name for s in group]
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
