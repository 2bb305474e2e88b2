"""The DICOM display chain, as a PACS shows an image (DICOM PS3.3 C.11 and PS3.4 N.2).

Greyscale: stored value -> Modality LUT (Rescale Slope/Intercept, or a Modality LUT Sequence)
-> VOI (a VOI LUT Sequence, or Window Center/Width with LINEAR, LINEAR_EXACT or SIGMOID)
-> MONOCHROME1 inversion (after VOI) -> 8 bits. Pixel Padding (0028,0120)/(0028,0121) is left out
of the automatic window and shown black.

Colour: PALETTE COLOR through its Red/Green/Blue LUTs; YBR_FULL, YBR_FULL_422, YBR_RCT and YBR_ICT
to RGB; RGB of 8 to 32 bits scaled to 8 bits. VOI does not apply to colour.

Enhanced multi-frame objects keep their rescale and windows in functional groups (Pixel Value
Transformation, Frame VOI LUT), shared or per frame; :func:`frame_attributes` folds the ones for a
frame into the attributes the chain reads, so every frame gets its own transforms.

Everything here is a pure function of (dataset, frame index, window choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cardgen.errors import InputError
from cardgen.imaging.decode import decode_frame
from cardgen.imaging.elements import element_values
from cardgen.imaging.windows import FileWindow, VoiFunction, Window, WindowChoice

# Attributes the chain reads: copied into a frame's view, then overridden by its functional groups.
_DISPLAY_KEYWORDS = (
    "PhotometricInterpretation", "SamplesPerPixel", "Rows", "Columns", "BitsAllocated", "BitsStored",
    "HighBit", "PixelRepresentation", "Modality",
    "RescaleSlope", "RescaleIntercept", "RescaleType", "ModalityLUTSequence",
    "WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "VOILUTFunction", "VOILUTSequence",
    "PixelPaddingValue", "PixelPaddingRangeLimit",
)
# Functional group macros that carry display transforms (PS3.3 C.7.6.16.2.9 and .10).
_FRAME_MACROS = ("PixelValueTransformationSequence", "FrameVOILUTSequence")

MONOCHROME = frozenset({"MONOCHROME1", "MONOCHROME2"})
_YBR_TO_CONVERT = frozenset({"YBR_FULL", "YBR_FULL_422"})
SUPPORTED_PHOTOMETRIC = frozenset({"MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL",
                                   "YBR_FULL_422", "YBR_RCT", "YBR_ICT"})
PHOTOMETRIC_FIELD = "(0028,0004) Photometric Interpretation"


@dataclass(frozen=True)
class WindowVoi:
    """A Window Center/Width pair the file carries."""

    center: float
    width: float
    function: VoiFunction
    explanation: str | None = None


@dataclass(frozen=True)
class LutVoi:
    """Item ``item`` of the file's VOI LUT Sequence, whose entries have ``bits`` bits."""

    item: int
    bits: int
    explanation: str | None = None


FileVoi = WindowVoi | LutVoi


def frame_attributes(ds, index: int):
    """The attributes that drive the display chain for frame ``index`` (0-based).

    For enhanced multi-frame objects the Pixel Value Transformation and Frame VOI LUT functional
    groups, shared or per frame, take the place of the top-level rescale and window attributes.
    """
    from pydicom.dataset import Dataset

    view = Dataset()
    if hasattr(ds, "file_meta"):
        view.file_meta = ds.file_meta  # apply_voi reads OW LUT data with the file's byte order
    for keyword in _DISPLAY_KEYWORDS:
        if keyword in ds:
            view[keyword] = ds[keyword]
    groups = []
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and index < len(per_frame):
        groups.append(per_frame[index])
    for group in groups:
        for macro in _FRAME_MACROS:
            items = group.get(macro)
            if items:
                for element in items[0]:
                    view[element.tag] = element
    return view


_SAMPLES = {"MONOCHROME1": 1, "MONOCHROME2": 1, "PALETTE COLOR": 1}  # the others: 3 (PS3.3 C.7.6.3.1.1)
_FIELDS = {"RescaleSlope": "(0028,1053) Rescale Slope", "RescaleIntercept": "(0028,1052) Rescale Intercept",
           "WindowCenter": "(0028,1050) Window Center", "WindowWidth": "(0028,1051) Window Width"}


def check_display_attributes(ds, path: Path | None = None) -> None:
    """What the display chain needs of a file's header, checked before any pixel is decoded (``cardgen
    check`` opens no pixels): a supported photometric interpretation with its number of samples, Bits
    Stored within Bits Allocated, one rescale slope and intercept. An :class:`InputError` names the tag
    and the value. The file's windows are checked where one is used (:func:`check_window`): a case
    that shows the image in a preset needs none of them."""
    declared = str(ds.get("PhotometricInterpretation", "")).strip()
    if declared and declared not in SUPPORTED_PHOTOMETRIC:
        raise _unsupported_photometric(declared, path)
    samples = ds.get("SamplesPerPixel")
    if declared and isinstance(samples, int) and samples != _SAMPLES.get(declared, 3):
        raise InputError(f"{samples} sample(s) per pixel do not fit the photometric interpretation {declared!r}, "
                         f"which has {_SAMPLES.get(declared, 3)}", file=path,
                         field="(0028,0002) Samples per Pixel", value=samples,
                         hint="the header contradicts itself; export the image again")
    allocated, stored = ds.get("BitsAllocated"), ds.get("BitsStored")
    if isinstance(allocated, int) and isinstance(stored, int) and not 0 < stored <= allocated:
        raise InputError(f"Bits Stored {stored} does not fit in Bits Allocated {allocated}", file=path,
                         field="(0028,0101) Bits Stored", value=stored,
                         hint="the header contradicts itself; export the image again")
    _rescale_values(frame_attributes(ds, 0), path)


def _rescale_values(attrs, path: Path | None) -> None:
    """The Modality LUT's slope and intercept, where present, are one number each (pydicom's
    ``apply_modality_lut`` would broadcast two across the pixels, or multiply by None)."""
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        if keyword not in attrs:
            continue
        values = element_values(attrs.get(keyword))
        if len(values) != 1:
            raise InputError(f"{keyword} holds {len(values)} values; the standard allows exactly one", file=path,
                             field=_FIELDS[keyword], value="\\".join(map(str, values)) or "(empty)",
                             hint="fix the element in the file (one number), or remove it")


def file_vois(attrs) -> list[FileVoi]:
    """The VOIs the file offers for a frame: its Window Center/Width pairs, then its VOI LUTs."""
    vois: list[FileVoi] = []
    centers = element_values(attrs.get("WindowCenter"))
    widths = element_values(attrs.get("WindowWidth"))
    for keyword, values in (("WindowCenter", centers), ("WindowWidth", widths)):
        if any(value is None or str(value).strip() == "" for value in values):
            raise InputError(f"{keyword} has an empty value among its {len(values)}", field=_FIELDS[keyword],
                             value="\\".join("" if v is None else str(v) for v in values),
                             hint="fix the element in the file (a number in each place), or remove it")
    explanations = element_values(attrs.get("WindowCenterWidthExplanation"))
    if centers and widths:
        function = VoiFunction.from_text(attrs.get("VOILUTFunction"))
        for i, (center, width) in enumerate(zip(centers, widths)):
            explanation = str(explanations[i]) if i < len(explanations) else None
            vois.append(WindowVoi(float(center), float(width), function, explanation))
    for i, item in enumerate(attrs.get("VOILUTSequence") or []):
        descriptor = item.get("LUTDescriptor")
        bits = int(descriptor[2]) if descriptor and len(descriptor) == 3 else 16
        explanation = item.get("LUTExplanation")
        vois.append(LutVoi(i, bits, str(explanation) if explanation else None))
    return vois


def default_voi_index(vois: list[FileVoi]) -> int | None:
    """The file VOI a case that names no window is shown with: the first that can be drawn, None for
    none (then the full range). A Window Width of 0 or less breaks PS3.3 C.11.2.1.2 (at least 1 for
    LINEAR, above 0 for the others) and draws nothing; a viewer passes over such a window, and so
    does cardgen, unless the case names it (``window: file``), which is refused with the value."""
    return next((i for i, voi in enumerate(vois) if not isinstance(voi, WindowVoi) or voi.width > 0), None)


def default_window_name(vois: list[FileVoi]) -> str | None:
    """How a case.yaml names the VOI :func:`default_voi_index` picks (``file``, ``file 2``), None
    when none can be drawn: what ``cardgen new`` and ``cardgen pull`` write for a file's windows."""
    index = default_voi_index(vois)
    return None if index is None else "file" if index == 0 else f"file {index + 1}"


def _function(window: Window | WindowVoi, whole_steps: bool) -> VoiFunction:
    """The VOI function to draw ``window`` with. LINEAR's half-step offsets (PS3.3 C.11.2.1.2.1) are
    for stored values in whole steps, and it requires a width of at least 1: float pixel data (a
    parametric map of 0..1 with width 1) and windows narrower than 1 (an RT image in Gy, width 0.21)
    are what their writers meant by LINEAR_EXACT, and would otherwise be all black or all white."""
    if window.function is VoiFunction.LINEAR and (not whole_steps or window.width < 1):
        return VoiFunction.LINEAR_EXACT
    return window.function


def apply_window(values: np.ndarray, center: float, width: float, function: VoiFunction) -> np.ndarray:
    """A Window Center/Width pair to grey levels 0..255 (float), by the formulas of PS3.3 C.11.2.1."""
    values = np.asarray(values, dtype=np.float64)
    if function is VoiFunction.SIGMOID:  # C.11.2.1.3.1
        return 255.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function is VoiFunction.LINEAR_EXACT:  # C.11.2.1.3.2
        low, high = center - width / 2.0, center + width / 2.0
        inside = ((values - center) / width + 0.5) * 255.0
    else:  # LINEAR, C.11.2.1.2.1; the standard requires width >= 1
        width = max(width, 1.0)
        low = center - 0.5 - (width - 1.0) / 2.0
        high = center - 0.5 + (width - 1.0) / 2.0
        inside = ((values - (center - 0.5)) / max(width - 1.0, 1e-12) + 0.5) * 255.0
    return np.where(values <= low, 0.0, np.where(values > high, 255.0, np.clip(inside, 0.0, 255.0)))


def padding_mask(stored: np.ndarray, attrs) -> np.ndarray | None:
    """Where the stored values are Pixel Padding (a value, or a range up to the Range Limit)."""
    value = attrs.get("PixelPaddingValue")
    if value is None or isinstance(value, bytes):
        return None
    limit = attrs.get("PixelPaddingRangeLimit")
    if limit is None or isinstance(limit, bytes):
        return stored == int(value)
    low, high = sorted((int(value), int(limit)))
    return (stored >= low) & (stored <= high)


def render_frame(ds, frame: int = 0, window: WindowChoice = None, *, path: Path | None = None) -> Image.Image:
    """Frame ``frame`` (0-based) of a DICOM dataset through the display chain, as 8-bit ``L`` or ``RGB``.

    ``window``: a :class:`Window` (preset or explicit), a :class:`FileWindow` (the file's own N-th
    VOI), or None (the file's first VOI, or its full range when it has none).
    """
    declared = str(ds.get("PhotometricInterpretation", "")).strip()
    if declared and declared not in SUPPORTED_PHOTOMETRIC:
        # Checked before decoding: the decoder would misread the layout (YBR_PARTIAL_422 is subsampled).
        raise _unsupported_photometric(declared, path)
    stored, photometric = decode_frame(ds, frame, path)
    attrs = frame_attributes(ds, frame)
    if photometric in MONOCHROME and stored.ndim == 2:
        grey = monochrome_to_display(stored, attrs, photometric, window, path=path)
        return Image.fromarray(grey, mode="L")
    _refuse_window_on_colour(window, photometric, path)
    return Image.fromarray(colour_to_display(stored, ds, photometric, path=path), mode="RGB")


# Integer frames whose values span at most this many steps go through a lookup table.
_LOOKUP_MAX_SPAN = 1 << 17


def monochrome_to_display(stored: np.ndarray, attrs, photometric: str, window: WindowChoice,
                          *, path: Path | None = None) -> np.ndarray:
    """Stored greyscale values -> uint8 grey levels: Modality LUT, VOI, MONOCHROME1, padding.

    An integer frame goes through the chain once per distinct stored value it holds, then through
    that table: a 512 x 512 CT slice holds a few thousand distinct values among 262,144 pixels
    (docs/performance.md, "The display chain"). The result is the same to the bit: every step is a
    function of the stored value alone, and the one statistic (the lowest and highest real value,
    for a file without a window) is the same over the distinct values as over the pixels.
    """
    if stored.dtype.kind in "iu" and stored.size:
        low, high = int(stored.min()), int(stored.max())
        span = high - low + 1
        if span <= min(_LOOKUP_MAX_SPAN, stored.size):
            offsets = np.subtract(stored, low, dtype=np.int64) if low else stored.astype(np.int64)
            present = np.flatnonzero(np.bincount(offsets.ravel(), minlength=span))
            table = np.zeros(span, dtype=np.uint8)
            table[present] = _grey_levels((present + low).astype(stored.dtype), attrs, photometric, window, path)
            return table[offsets]
    return _grey_levels(stored, attrs, photometric, window, path)


def _grey_levels(stored: np.ndarray, attrs, photometric: str, window: WindowChoice,
                 path: Path | None) -> np.ndarray:
    """The greyscale chain applied to each value of ``stored`` (any shape)."""
    from pydicom.pixels import apply_modality_lut

    _rescale_values(attrs, path)
    padding = padding_mask(stored, attrs)
    modality = np.asarray(apply_modality_lut(stored, attrs), dtype=np.float64)
    grey = _voi(modality, attrs, window, padding, path, whole_steps=stored.dtype.kind in "iu")
    if photometric == "MONOCHROME1":
        grey = 255.0 - grey  # inverted after VOI (PS3.3 C.7.6.3.1.2)
    if padding is not None:
        grey = np.where(padding, 0.0, grey)
    return _to_uint8(grey)


def colour_to_display(stored: np.ndarray, ds, photometric: str, *, path: Path | None = None) -> np.ndarray:
    """Decoded colour or palette pixels -> uint8 RGB (rows, columns, 3)."""
    from pydicom.pixels import apply_color_lut, convert_color_space

    if photometric == "PALETTE COLOR":
        try:
            rgb = apply_color_lut(stored, ds)
        except (ValueError, AttributeError, KeyError) as error:
            raise InputError(f"cannot apply the palette: {error}", file=path,
                             field="(0028,1201) Red Palette Color Lookup Table Data",
                             hint="the palette is missing or damaged; export the image again") from error
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        # Some writers declare 16-bit entries but store 8-bit values; dcmtk reads them as 8-bit too.
        if bits == 16 and int(rgb.max()) <= 255:
            bits = 8
        return _to_uint8(rgb.astype(np.float64) * 255.0 / (2**bits - 1))
    if photometric in _YBR_TO_CONVERT:
        stored = convert_color_space(stored, photometric, "RGB")
        photometric = "RGB"
    if photometric != "RGB" or stored.ndim != 3 or stored.shape[-1] != 3:
        raise _unsupported_photometric(photometric, path)
    if stored.dtype == np.uint8:
        return np.ascontiguousarray(stored)
    bits = int(ds.get("BitsStored", stored.dtype.itemsize * 8))
    return _to_uint8(stored.astype(np.float64) * 255.0 / (2**bits - 1))


def voi_label(ds, frame: int, window: WindowChoice) -> str:
    """How a learner is told which window a picture shows: ``lung (W 1500 / L -600)``."""
    if isinstance(window, Window):
        return window.label
    vois = file_vois(frame_attributes(ds, frame))
    index = window.index if isinstance(window, FileWindow) else default_voi_index(vois)
    if index is None or index >= len(vois):
        return "full range"
    chosen = vois[index]
    if isinstance(chosen, WindowVoi):
        numbers = f"W {chosen.width:g} / L {chosen.center:g}"
        return f"{chosen.explanation} ({numbers})" if chosen.explanation else numbers
    return chosen.explanation or f"VOI LUT {chosen.item + 1}"


def check_window(ds, frame: int, window: WindowChoice, path: Path | None = None) -> None:
    """The error rendering frame ``frame`` with ``window`` would give for the choice of window (a file
    window the file does not carry, a width below the minimum), found from the header alone."""
    if isinstance(window, Window) or str(ds.get("PhotometricInterpretation", "")).strip() not in MONOCHROME:
        return  # a preset is always there; colour images are checked for windows as they render
    _chosen_voi(frame_attributes(ds, frame), window, path)


def _chosen_voi(attrs, window: FileWindow | None, path: Path | None) -> FileVoi | None:
    """The file's VOI ``window`` picks (None: the first that can be drawn, :func:`default_voi_index`),
    or None for the file's full range when it carries none; an :class:`InputError` when it has no such
    VOI or the one named has a width below the minimum."""
    try:
        vois = file_vois(attrs)
    except InputError as error:
        raise error.located(file=path) from None
    if not isinstance(window, FileWindow):
        index = default_voi_index(vois)
        return None if index is None else vois[index]
    index = window.index
    if not vois:
        if index > 0:
            raise InputError(f"the file has no window {index + 1}: it carries no window at all", file=path,
                             field="window", hint="use a preset (lung, bone, ...) or {center, width}")
        return None
    if index >= len(vois):
        raise InputError(f"the file has no window {index + 1}; it carries {len(vois)}", file=path,
                         field="window", value=f"file {index + 1}",
                         hint=f"use file 1 to file {len(vois)}, or a preset")
    chosen = vois[index]
    if isinstance(chosen, WindowVoi) and not chosen.width > 0:
        raise InputError("the file's Window Width is not above 0", file=path,
                         field="(0028,1051) Window Width", value=chosen.width,
                         hint="use a preset or an explicit {center, width}")
    return chosen


def _voi(modality: np.ndarray, attrs, window: WindowChoice, padding: np.ndarray | None,
         path: Path | None, *, whole_steps: bool = True) -> np.ndarray:
    if isinstance(window, Window):
        return apply_window(modality, window.center, window.width, _function(window, whole_steps))
    chosen = _chosen_voi(attrs, window, path)
    if chosen is None:
        return _full_range(modality, padding)
    if isinstance(chosen, WindowVoi):
        return apply_window(modality, chosen.center, chosen.width, _function(chosen, whole_steps))
    from pydicom.pixels import apply_voi

    # A VOI LUT is indexed by integer modality values (PS3.3 C.11.2.1.1).
    looked_up = apply_voi(np.floor(modality + 0.5).astype(np.int64), attrs, index=chosen.item)
    return np.asarray(looked_up, dtype=np.float64) * 255.0 / (2**chosen.bits - 1)


def _full_range(modality: np.ndarray, padding: np.ndarray | None) -> np.ndarray:
    """No window in the file: stretch the lowest to the highest real (non-padding) value."""
    real = modality[~padding] if padding is not None else modality
    real = real[np.isfinite(real)]
    if real.size == 0:
        return np.zeros_like(modality)
    low, high = float(real.min()), float(real.max())
    if high <= low:
        # One value in every real pixel (a segment's label, a uniform map): shown white, so that it
        # stands out from the padding (black) rather than vanishing into it.
        level = np.full(modality.shape, 255.0)
        if padding is not None:
            level[padding] = 0.0
        return level
    return apply_window(modality, (low + high) / 2.0, high - low, VoiFunction.LINEAR_EXACT)


def _unsupported_photometric(photometric: str, path: Path | None) -> InputError:
    return InputError(f"photometric interpretation {photometric!r} is not supported", file=path,
                      field=PHOTOMETRIC_FIELD, value=photometric,
                      hint=f"supported: {', '.join(sorted(SUPPORTED_PHOTOMETRIC))}; export the image as PNG")


def _refuse_window_on_colour(window: WindowChoice, photometric: str, path: Path | None) -> None:
    if isinstance(window, Window) or (isinstance(window, FileWindow) and window.index > 0):
        raise InputError(f"windows apply to greyscale images only; this one is {photometric}", file=path,
                         field="window", value=getattr(window, "label", None),
                         hint="leave the window out for colour images")


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Round half up to whole grey levels 0..255."""
    return np.clip(np.floor(values + 0.5), 0, 255).astype(np.uint8)
