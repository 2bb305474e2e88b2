"""DICOM images through the display chain: Modality LUT -> VOI window -> MONOCHROME1 inversion.

The order follows DICOM PS3.3 C.11. Only the allowlisted facts of the header leave this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cardgen.errors import InputError
from cardgen.imaging.sources import ImageFacts
from cardgen.imaging.windows import Window


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


def frame_count(ds) -> int:
    """Number of frames in the dataset (1 for single-frame images)."""
    return int(getattr(ds, "NumberOfFrames", 1) or 1)


# Decoder plugins chosen by measurement where pydicom's own order is not the fastest (README "Speed"):
# pyjpegls decodes JPEG-LS ~3x faster than pylibjpeg (which pydicom tries first); pylibjpeg-rle
# decodes RLE faster than pydicom's native decoder. Used when installed; otherwise pydicom chooses.
PREFERRED_DECODERS = {
    "1.2.840.10008.1.2.4.80": "pyjpegls",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pyjpegls",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.5": "pylibjpeg",  # RLE Lossless
}


def _prefer_decoder(ds) -> None:
    from pydicom.pixels import get_decoder

    syntax = ds.file_meta.get("TransferSyntaxUID")
    plugin = PREFERRED_DECODERS.get(str(syntax))
    if plugin is not None and plugin in get_decoder(syntax).available_plugins:
        ds.pixel_array_options(decoding_plugin=plugin)


def decoded_pixels(ds, path: Path) -> np.ndarray:
    """The stored pixel values, decoded; a missing decoder names the transfer syntax and package."""
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise InputError("the DICOM file has no pixel data (7FE0,0010)", file=path,
                         hint="point the case at an image, not a report or structure set")
    try:
        _prefer_decoder(ds)
        return ds.pixel_array
    except (RuntimeError, NotImplementedError) as error:
        syntax = ds.file_meta.get("TransferSyntaxUID", "unknown")
        name = getattr(syntax, "name", str(syntax))
        raise InputError(
            f"cannot decode transfer syntax {name} ({syntax}): {str(error).splitlines()[0]}",
            file=path, field="(0002,0010) Transfer Syntax UID",
            hint="install the pylibjpeg plugins (pip install pylibjpeg pylibjpeg-libjpeg "
                 "pylibjpeg-openjpeg pylibjpeg-rle)") from error
    except (ValueError, AttributeError, KeyError) as error:
        raise InputError(f"cannot decode the pixel data: {error}", file=path,
                         hint="the file may be truncated or damaged") from error


def select_frame(pixels: np.ndarray, ds, frame: int | None, path: Path) -> np.ndarray:
    """The one frame asked for (default: the first)."""
    count = frame_count(ds)
    index = 0 if frame is None else frame
    if not 0 <= index < count:
        raise InputError(f"frame {index} does not exist; the file has {count} frame(s)",
                         file=path, field="frame", value=frame,
                         hint=f"use a frame from 0 to {count - 1}")
    return pixels[index] if count > 1 else pixels


def apply_linear_window(values: np.ndarray, window: Window) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2.1 LINEAR window to 0..255 (float)."""
    center, width = float(window.center), max(float(window.width), 1.0)
    low = center - 0.5 - (width - 1.0) / 2.0
    high = center - 0.5 + (width - 1.0) / 2.0
    if width > 1:
        # The linear segment is 0 at ``low`` and 255 at ``high``, so clipping it is the piecewise
        # function of the standard; computed in place, without temporary arrays (a render's hot path).
        scaled = values - (center - 0.5)
        scaled *= 255.0 / (width - 1.0)
        scaled += 127.5
        return np.clip(scaled, 0.0, 255.0, out=scaled)
    scaled = (values > center - 0.5) * 255.0
    scaled = np.where(values <= low, 0.0, np.where(values > high, 255.0, scaled))
    return np.clip(scaled, 0.0, 255.0)


def file_window(ds) -> Window | None:
    """The first Window Center/Width pair the file carries, if any."""
    center = ds.get("WindowCenter")
    width = ds.get("WindowWidth")
    if center is None or width is None:
        return None
    first = lambda v: float(v[0]) if hasattr(v, "__len__") and not isinstance(v, str) else float(v)  # noqa: E731
    return Window(center=first(center), width=first(width))


def to_display(ds, frame_pixels: np.ndarray, window: Window | None) -> Image.Image:
    """Modality LUT, VOI window and MONOCHROME1 inversion, to an 8-bit image."""
    from pydicom.pixels import apply_modality_lut

    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if frame_pixels.ndim == 3:
        # Colour: decoders already return RGB; VOI does not apply.
        return Image.fromarray(np.asarray(frame_pixels, dtype=np.uint8), mode="RGB")
    values = np.asarray(apply_modality_lut(frame_pixels, ds), dtype=np.float64)
    chosen = window or file_window(ds)
    if chosen is None:
        low, high = float(values.min()), float(values.max())
        chosen = Window(center=(low + high) / 2.0 + 0.5, width=max(high - low, 1.0) + 1.0)
    display = apply_linear_window(values, chosen)
    if photometric == "MONOCHROME1":
        display = 255.0 - display
    return Image.fromarray(np.round(display).astype(np.uint8), mode="L")


class DicomSource:
    """DICOM files (any suffix)."""

    name = "dicom"

    def accepts(self, path: Path) -> bool:
        if path.suffix.lower() in {".dcm", ".dicom"}:
            return True
        try:
            with open(path, "rb") as handle:
                return handle.read(132)[128:132] == b"DICM"
        except OSError:
            return False

    def facts(self, path: Path) -> ImageFacts:
        ds = read_dataset(path, pixels=False)
        return ImageFacts(
            modality=_clean(ds.get("Modality")),
            body_part=_clean(ds.get("BodyPartExamined")),
            plane=_plane(ds),
            frames=frame_count(ds),
            width=int(ds.get("Columns", 0) or 0),
            height=int(ds.get("Rows", 0) or 0),
        )

    def read(self, path: Path, frame: int | None, window: Window | None) -> Image.Image:
        ds = read_dataset(path)
        pixels = decoded_pixels(ds, path)
        return to_display(ds, select_frame(pixels, ds, frame, path), window)


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
