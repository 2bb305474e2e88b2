"""DICOM files as an image source: reading, frame choice, and the display chain of :mod:`.display`.

The order follows DICOM PS3.3 C.11. Only the allowlisted facts of the header leave this module.
"""

from __future__ import annotations

import math
import os
import re
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from cardgen.confine import open_confined
from cardgen.errors import InputError
from cardgen.filestamp import file_stamp
from cardgen.imaging.decode import check_dicom_pixel_budget, decode_frame, frame_count
from cardgen.imaging.display import WindowVoi, check_display_attributes, file_vois, frame_attributes, render_frame
from cardgen.imaging.elements import fixed_numbers
from cardgen.imaging.sources import ImageFacts, looks_like_dicom, refuse_empty_file
from cardgen.imaging.windows import Window, WindowChoice

__all__ = ["DicomSource", "decoded_pixels", "file_window", "frame_count", "read_dataset", "select_frame",
           "to_display"]


# The last dataset this process read: its file's stamp (cardgen.filestamp), whether its pixels were
# read, the dataset. A build reads a file's header, then its pixels once per window;
# checking every element (below) costs more than decoding a CT slice, so it is done once.
_last_read: list[tuple[tuple, bool, object]] = []


def read_dataset(path: Path, *, pixels: bool = True):
    """Read a DICOM file; a file that is not DICOM, or is damaged, becomes an :class:`InputError`.

    The dataset of the file read last is given again while the file is unchanged (callers do not
    modify datasets)."""
    refuse_empty_file(path)
    identity = file_stamp(path)
    if _last_read and _last_read[0][0] == identity and (_last_read[0][1] or not pixels):
        return _last_read[0][2]
    ds = _read_checked(path, pixels)
    _last_read[:] = [(identity, pixels, ds)]
    return ds


def _without_preamble(ds):
    """``ds``, read from a file without the 128-byte preamble and "DICM" (older writers, files taken
    from a DICOMDIR or a network dump), if it is an image: it has a size and a SOP Class or Modality,
    which a text or other file read by force never has; else None. A file without the File Meta
    group gets the transfer syntax its elements were read in."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    try:
        looks_like_image = (int(ds.get("Rows") or 0) > 0 and int(ds.get("Columns") or 0) > 0
                            and bool(ds.get("SOPClassUID") or ds.get("Modality")))
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    if not looks_like_image:
        return None
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        implicit = getattr(ds, "original_encoding", (True, True))[0]
        ds.file_meta = getattr(ds, "file_meta", None) or FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    return ds


def _read_checked(path: Path, pixels: bool):
    import pydicom
    from pydicom.errors import BytesLengthException, InvalidDicomError

    try:
        with open_confined(path) as stream:
            size = os.fstat(stream.fileno()).st_size
            try:
                ds = pydicom.dcmread(stream, stop_before_pixels=not pixels)
            except InvalidDicomError as error:
                stream.seek(0)
                try:
                    forced = pydicom.dcmread(stream, stop_before_pixels=not pixels, force=True)
                except (OSError, EOFError, ValueError, KeyError, TypeError, struct.error, RecursionError):
                    forced = None
                ds = _without_preamble(forced) if forced is not None else None
                if ds is None:
                    raise InputError("not a DICOM file (no DICM preamble)", file=path,
                                     hint="give a .dcm file, or a PNG/JPEG export") from error
    except PermissionError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=path,
                         hint="make it readable (chmod u+r), or copy it into the case again") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, struct.error) as error:
        # struct.error: an element cut off inside its length field (a truncated file)
        raise InputError(f"cannot read the DICOM file: {_why(error)}",
                         file=path, hint="the file may be truncated; export it again") from error
    except RecursionError:
        raise _nested_too_deep(path) from None
    _refuse_cut_short(ds, size, path)
    try:
        # pydicom converts each element when it is first used; convert all of them here so that
        # an unknown VR or a value of the wrong length is reported now, naming the file and the
        # tag, instead of escaping later from whatever code first touches the element.
        # (Problems are collected, not raised in the callback: pydicom's walk re-creates any
        # exception raised there with a traceback in its message.)
        bad_numbers: list = []
        ds.walk(lambda _dataset, element: bad_numbers.extend(_bad_number_strings(element)))
    except RecursionError:
        raise _nested_too_deep(path) from None
    except (OSError, EOFError, struct.error) as error:
        # a sequence item cut off (read when the walk converts it)
        raise InputError(f"cannot read the DICOM file: {_why(error)}", file=path,
                         hint="the file may be truncated; export it again") from None
    except (NotImplementedError, BytesLengthException, ValueError, KeyError, TypeError) as error:
        # pydicom says "With tag (gggg,eeee) got exception: <why>" and may add advice about its own
        # settings; keep the tag (as the field) and the why.
        message = str(error).splitlines()[0]
        tagged = re.match(r"With tag (\([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\)) got exception: (.*)", message)
        tag, why = (tagged.group(1), tagged.group(2)) if tagged else (None, message)
        why = why.split(" To replace this error")[0]
        raise InputError(f"damaged DICOM header: {why}", file=path, field=tag,
                         hint="the element's value does not fit its VR; fix or re-export the file "
                              "(e.g. dciodvfy shows the problem, dcmconv rewrites the file)") from error
    if bad_numbers:
        element, value = bad_numbers[0]
        raise InputError(f"{element.VR} value is not a finite number", file=path,
                         field=f"{element.tag} {element.name}", value=value,
                         hint="fix the element in the file, or remove it")
    return ds


DEFLATED = "1.2.840.10008.1.2.1.99"  # Deflated Explicit VR Little Endian: offsets are in the inflated stream


def _refuse_cut_short(ds, size: int, path: Path) -> None:
    """An element whose value the header says runs past the end of the file: the file was cut short.
    pydicom reads what is there without a word (a structured report cut in half kept its first
    findings and silently lost the rest), so the lengths of the top-level elements are checked
    against the file's size; a sequence's length covers everything nested in it."""
    if str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "")) == DEFLATED:
        return
    for tag in ds.keys():
        raw = ds._dict.get(tag)  # the element as read, before pydicom converts it (no value parsed)
        start, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
        if start is None or length is None or length == 0xFFFFFFFF:  # unknown, or up to a delimiter
            continue
        if start + length > size + 1:  # a writer that left out an odd value's padding byte is let be
            raise InputError(f"the file is cut short: {tag} needs {start + length - size:,} bytes more than the "
                             f"file holds ({size:,} bytes)", file=path, field=str(tag),
                             hint="the file is truncated (a copy or download interrupted); export it again")


def _why(error: BaseException) -> str:
    """What pydicom's ``error`` says went wrong, in one line: its first (pydicom quotes the traceback
    of every sequence item it was in, each behind "With tag (gggg,eeee) got exception: "), and a
    KeyError's message without the quotes str() adds."""
    text = str(error.args[0] if isinstance(error, KeyError) and error.args else error)
    if not text:
        return repr(error)
    return re.sub(r"^(With tag \([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\) got exception: )+", "", text.splitlines()[0])


def _nested_too_deep(path: Path) -> InputError:
    """A file whose sequences nest deeper than Python's reader can follow (hundreds of levels; real
    images, presentation states and reports use fewer than ten)."""
    return InputError("the file's sequences are nested hundreds of levels deep", file=path,
                      hint="no image or annotation object needs this; export the file again")


# Numbers the display chain, the series sorting and the annotation readers compute with: the image
# plane (0020,xxxx), the pixel and presentation modules (0028,xxxx), slice thickness and spacing.
# Elsewhere a malformed number (a weight written "75kg") is common and harmless, so it is left alone.
_NUMBER_GROUPS = frozenset({0x0020, 0x0028})
_NUMBER_TAGS = frozenset({0x00180050, 0x00180088})


def _bad_number_strings(element) -> list[tuple[object, str]]:
    """Values of a Decimal or Integer String (DS, IS) cardgen uses that are not finite numbers:
    pydicom keeps a value it cannot parse as text, and the display chain would then fail on it far
    from here."""
    if element.VR not in ("DS", "IS") or element.value is None:
        return []
    if element.tag.group not in _NUMBER_GROUPS and int(element.tag) not in _NUMBER_TAGS:
        return []
    values = element.value if element.VM > 1 else [element.value]
    return [(element, str(value)) for value in values
            if isinstance(value, str) and value.strip()
            or not isinstance(value, str) and not math.isfinite(float(value))]


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


class DicomSource:
    """DICOM files (any suffix)."""

    name = "dicom"

    def accepts(self, path: Path) -> bool:
        return looks_like_dicom(path)

    def facts(self, path: Path) -> ImageFacts:
        return self.facts_of(read_dataset(path, pixels=False), path)

    def facts_of(self, ds, path: Path) -> ImageFacts:
        """:meth:`facts` of a dataset already read from ``path``."""
        missing = [name for name in ("Rows", "Columns") if not ds.get(name)]
        if missing:
            tags = {"Rows": "(0028,0010) Rows", "Columns": "(0028,0011) Columns"}
            raise InputError("the DICOM file has no image size", file=path,
                             field=", ".join(tags[name] for name in missing),
                             hint="the file may be truncated, or it is not an image (a report, "
                                  "plan or structure set); export the image again")
        frames = frame_count(ds, path)
        check_dicom_pixel_budget(ds, path, frames)
        check_display_attributes(ds, path)
        return ImageFacts(
            modality=_clean(ds.get("Modality")),
            body_part=_clean(ds.get("BodyPartExamined")),
            plane=_plane(ds),
            frames=frames,
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
    """Axial, coronal or sagittal from Image Orientation (Patient), if the file has a usable one."""
    orientation = fixed_numbers(ds.get("ImageOrientationPatient"), 6)
    if orientation is None:
        return None
    normal = np.abs(np.cross(np.array(orientation[:3]), np.array(orientation[3:])))
    if not normal.any():
        return None
    return ("sagittal", "coronal", "axial")[int(np.argmax(normal))]
