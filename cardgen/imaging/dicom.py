"""DICOM files as an image source: reading, frame choice, and the display chain of :mod:`.display`.

The order follows DICOM PS3.3 C.11. Only the allowlisted facts of the header leave this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cardgen.errors import InputError
from cardgen.imaging.decode import decode_frame, frame_count
from cardgen.imaging.display import WindowVoi, file_vois, frame_attributes, render_frame
from cardgen.imaging.sources import ImageFacts
from cardgen.imaging.windows import Window, WindowChoice

__all__ = ["DicomSource", "decoded_pixels", "file_window", "frame_count", "read_dataset", "select_frame",
           "to_display"]


def read_dataset(path: Path, *, pixels: bool = True):
    """Read a DICOM file; a file that is not DICOM, or is damaged, becomes an :class:`InputError`."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=not pixels)
    except InvalidDicomError as error:
        raise InputError("not a DICOM file (no DICM preamble)", file=path,
                         hint="give a .dcm file, or a PNG/JPEG export") from error
    except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"cannot read the DICOM file: {error}", file=path,
                         hint="the file may be truncated; export it again") from error


def decoded_pixels(ds, path: Path, frame: int | None = None) -> np.ndarray:
    """The stored values of one frame (default: the first), decoded.

    A missing or failing decoder gives an :class:`InputError` naming the transfer syntax and the
    package that decodes it (see :mod:`cardgen.imaging.decode`).
    """
    array, _photometric = decode_frame(ds, 0 if frame is None else frame, path)
    return array


def select_frame(ds, frame: int | None, path: Path) -> int:
    """The 0-based index of the frame asked for (default: the first), checked against the file."""
    count = frame_count(ds, path)
    index = 0 if frame is None else frame
    if not 0 <= index < count:
        raise InputError(f"frame {index} does not exist; the file has {count} frame(s)",
                         file=path, field="frame", value=frame,
                         hint=f"use a frame from 0 to {count - 1}")
    return index


def file_window(ds, frame: int = 0) -> Window | None:
    """The file's first Window Center/Width pair for ``frame`` (per-frame groups count), if any."""
    for voi in file_vois(frame_attributes(ds, frame)):
        if isinstance(voi, WindowVoi):
            return Window(center=voi.center, width=voi.width, function=voi.function)
    return None


def to_display(ds, frame: int | None = None, window: WindowChoice = None, *,
               path: Path | None = None) -> Image.Image:
    """Frame ``frame`` of ``ds`` through the whole display chain (see :mod:`cardgen.imaging.display`)."""
    return render_frame(ds, 0 if frame is None else frame, window, path=path)


def looks_like_dicom(path: Path) -> bool:
    """True for a ``.dcm``/``.dicom`` name or a file with the DICM preamble (any name)."""
    if path.suffix.lower() in {".dcm", ".dicom"}:
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(132)[128:132] == b"DICM"
    except OSError:
        return False


class DicomSource:
    """DICOM files (any suffix)."""

    name = "dicom"

    def accepts(self, path: Path) -> bool:
        return looks_like_dicom(path)

    def facts(self, path: Path) -> ImageFacts:
        ds = read_dataset(path, pixels=False)
        return ImageFacts(
            modality=_clean(ds.get("Modality")),
            body_part=_clean(ds.get("BodyPartExamined")),
            plane=_plane(ds),
            frames=frame_count(ds, path),
            width=int(ds.get("Columns", 0) or 0),
            height=int(ds.get("Rows", 0) or 0),
        )

    def read(self, path: Path, frame: int | None, window: WindowChoice) -> Image.Image:
        ds = read_dataset(path)
        return render_frame(ds, select_frame(ds, frame, path), window, path=path)


def _clean(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _plane(ds) -> str | None:
    """Axial, coronal or sagittal from Image Orientation (Patient), if the file has one."""
    orientation = ds.get("ImageOrientationPatient")
    if orientation is None or len(orientation) != 6:
        return None
    row = np.array([float(v) for v in orientation[:3]])
    col = np.array([float(v) for v in orientation[3:]])
    normal = np.abs(np.cross(row, col))
    return ("sagittal", "coronal", "axial")[int(np.argmax(normal))]
