"""Display windows (VOI): named CT presets, explicit centre/width pairs, and the file's own VOIs.

A case names its windows in ``case.yaml``; :func:`parse_windows` turns what it wrote into
:data:`WindowChoice` values, so the rest of cardgen never sees a window as a string:

- ``window: lung`` -- a preset (table below), case-insensitive, ``soft tissue`` and ``soft-tissue`` too;
- ``window: {center: 40, width: 400}`` (``level`` is accepted for ``center``; optional
  ``function: linear | linear_exact | sigmoid``);
- ``window: file`` or ``window: "file 2"`` -- the file's own first (or N-th, counted from 1) VOI:
  its Window Center/Width pairs first, then its VOI LUTs;
- ``window: [lung, mediastinum]`` -- several windows of the same slice on one card.

Presets (width / level in HU):

============  =====  =====  ==========================================================
preset        width  level  source
============  =====  =====  ==========================================================
soft_tissue     400     40  OHIF viewer default
lung           1500   -600  OHIF viewer default
mediastinum     350     50  common PACS preset
liver           150     90  OHIF viewer default
bone           2500    480  OHIF viewer default
brain            80     40  OHIF viewer default
subdural        200     75  common PACS preset
stroke            8     32  Lev et al., Radiology 1999 (narrow window for early ischaemia)
============  =====  =====  ==========================================================
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from cardgen.errors import InputError, did_you_mean


class VoiFunction(str, enum.Enum):
    """The VOI LUT Function (0028,1056): how a centre/width pair maps values to grey levels."""

    LINEAR = "LINEAR"  # PS3.3 C.11.2.1.2.1
    LINEAR_EXACT = "LINEAR_EXACT"  # PS3.3 C.11.2.1.3.2
    SIGMOID = "SIGMOID"  # PS3.3 C.11.2.1.3.1

    @classmethod
    def from_text(cls, text: str | None) -> "VoiFunction":
        """The function a file or case names; LINEAR when it names none (the standard's default)."""
        if text is None or not str(text).strip():
            return cls.LINEAR
        key = str(text).strip().upper().replace(" ", "_").replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            raise InputError(f"unknown VOI LUT function {text!r}", field="(0028,1056) VOI LUT Function",
                             value=str(text), hint="use LINEAR, LINEAR_EXACT or SIGMOID") from None


@dataclass(frozen=True)
class Window:
    """A VOI window in modality units (HU for CT). ``name`` is the preset's, if any."""

    center: float
    width: float
    name: str | None = None
    function: VoiFunction = VoiFunction.LINEAR

    @property
    def label(self) -> str:
        """How the window is shown to a learner: ``lung (W 1500 / L -600)``."""
        numbers = f"W {self.width:g} / L {self.center:g}"
        return f"{self.name} ({numbers})" if self.name else numbers


@dataclass(frozen=True)
class FileWindow:
    """The file's own VOI number ``index`` (0-based): Window Center/Width pairs first, then VOI LUTs."""

    index: int = 0

    @property
    def label(self) -> str:
        return "file window" if self.index == 0 else f"file window {self.index + 1}"


# None means the same as FileWindow(0): the file's first VOI, or its full range when it has none.
WindowChoice = Union[Window, FileWindow, None]


# Width/level in HU; sources in the module docstring.
PRESETS: dict[str, Window] = {
    "soft_tissue": Window(center=40, width=400, name="soft_tissue"),
    "lung": Window(center=-600, width=1500, name="lung"),
    "mediastinum": Window(center=50, width=350, name="mediastinum"),
    "liver": Window(center=90, width=150, name="liver"),
    "bone": Window(center=480, width=2500, name="bone"),
    "brain": Window(center=40, width=80, name="brain"),
    "subdural": Window(center=75, width=200, name="subdural"),
    "stroke": Window(center=32, width=8, name="stroke"),
}

# Spellings an educator is likely to type for the same preset.
ALIASES: dict[str, str] = {"soft tissue": "soft_tissue", "soft-tissue": "soft_tissue", "abdomen": "soft_tissue"}


# The presets that suit a CT of a body part, best first, by a word of its Body Part Examined
# (0018,0015): a new case's suggested window (``cardgen new``) is the first, a pulled key image's
# windows (``cardgen pull``) are all of them. The first word found in the body part decides, in
# this order (``CHESTABDOMEN`` is a chest); a body part that names none gets CT_DEFAULT_PRESETS.
CT_BODY_PART_PRESETS: dict[str, tuple[str, ...]] = {
    "CHEST": ("lung", "mediastinum"),
    "THORAX": ("lung", "mediastinum"),
    "LUNG": ("lung", "mediastinum"),
    "HEAD": ("brain", "subdural"),
    "BRAIN": ("brain", "subdural"),
    "SKULL": ("brain", "bone"),
    "SPINE": ("bone", "soft_tissue"),
    "BONE": ("bone", "soft_tissue"),
    "EXTREMITY": ("bone", "soft_tissue"),
    "KNEE": ("bone", "soft_tissue"),
    "HIP": ("bone", "soft_tissue"),
    "SHOULDER": ("bone", "soft_tissue"),
    "ANKLE": ("bone", "soft_tissue"),
    "WRIST": ("bone", "soft_tissue"),
    "ABDOMEN": ("soft_tissue", "liver"),
    "PELVIS": ("soft_tissue",),
    "NECK": ("soft_tissue",),
    "LIVER": ("liver", "soft_tissue"),
}
CT_DEFAULT_PRESETS: tuple[str, ...] = ("soft_tissue",)


def ct_presets(body_part: str | None) -> tuple[str, ...]:
    """The names of the presets that suit a CT of ``body_part`` (as Body Part Examined gives it,
    any case), best first: see :data:`CT_BODY_PART_PRESETS`."""
    words = (body_part or "").upper()
    for word, names in CT_BODY_PART_PRESETS.items():
        if word in words:
            return names
    return CT_DEFAULT_PRESETS


def preset(name: str) -> Window | None:
    """The preset called ``name`` (case-insensitive, with common aliases), or None."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    return PRESETS.get(key)


_FILE_WINDOW = re.compile(r"^file(?:[\s:#]+(\d{1,6}))?$", re.IGNORECASE)
MAX_WINDOW_VALUE = 1e9  # far beyond any modality's values (CT: -1024..3071; PET SUV counts: ~1e6)


def parse_window(value: object, *, file: Path | str | None = None, field: str = "window") -> WindowChoice:
    """One window as a case writes it (preset name, ``{center, width}``, ``file``/``file N``) -> a choice."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        found = preset(text)
        if found is not None:
            return found
        match = _FILE_WINDOW.match(text)
        if match:
            number = int(match.group(1) or 1)
            if number < 1:
                raise InputError("file windows are counted from 1", file=file, field=field, value=value,
                                 hint="write 'file' or 'file 2'")
            return FileWindow(number - 1)
        near = did_you_mean(text, list(PRESETS) + list(ALIASES) + ["file"])
        raise InputError(f"window {text!r} is not a preset", file=file, field=field, value=value,
                         hint=(f"did you mean '{near}'? " if near else "")
                         + f"use one of {', '.join(sorted(PRESETS))}, 'file', or {{center: C, width: W}}")
    if isinstance(value, dict):
        return _window_from_mapping(value, file=file, field=field)
    raise InputError("a window is a preset name or {center: C, width: W}", file=file, field=field,
                     value=value, hint="for example  window: lung  or  window: {center: 40, width: 400}")


def parse_windows(value: object, *, file: Path | str | None = None,
                  field: str = "window") -> tuple[WindowChoice, ...]:
    """A case's ``window:`` value, one window or a list (``[lung, mediastinum]``), -> choices in order."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise InputError("the list of windows is empty", file=file, field=field,
                             hint="leave the field out to use the file's own window")
        return tuple(parse_window(item, file=file, field=f"{field}[{i}]") for i, item in enumerate(value))
    return (parse_window(value, file=file, field=field),)


def _window_from_mapping(value: dict, *, file: Path | str | None, field: str) -> Window:
    keys = {str(k).strip().lower(): v for k, v in value.items()}
    unknown = set(keys) - {"center", "centre", "level", "width", "function", "name"}
    if unknown:
        first = sorted(unknown)[0]
        near = did_you_mean(first, ["center", "level", "width", "function", "name"])
        raise InputError(f"unknown window key(s) {', '.join(sorted(unknown))}", file=file,
                         field=f"{field}.{first}", value=value,
                         hint=(f"did you mean '{near}'? " if near else "")
                         + "a window has center (or level), width and optionally function and name")
    center = keys.get("center", keys.get("centre", keys.get("level")))
    width = keys.get("width")
    if center is None or width is None:
        raise InputError("a window needs both center (or level) and width", file=file, field=field,
                         value=value, hint="for example {center: 40, width: 400}")
    try:
        if isinstance(center, bool) or isinstance(width, bool):
            raise TypeError("true/false is not a number")
        center_f, width_f = float(center), float(width)
    except (TypeError, ValueError, OverflowError):
        raise InputError("window center and width must be numbers", file=file, field=field,
                         value=value) from None
    for key, number in (("center", center_f), ("width", width_f)):
        # NaN would pass every comparison below and draw a black image; inf a flat grey one.
        if not math.isfinite(number) or abs(number) > MAX_WINDOW_VALUE:
            raise InputError(f"window {key} must be a finite number within +-{MAX_WINDOW_VALUE:,.0f}",
                             file=file, field=f"{field}.{key}", value=value,
                             hint="values are in modality units (HU for CT), e.g. {center: 40, width: 400}")
    try:
        function = VoiFunction.from_text(keys.get("function"))
    except InputError as error:
        raise error.located(file=file, field_prefix=field) from None
    if not width_f > 0:
        # (A LINEAR width below 1, against the standard's letter, is drawn as LINEAR_EXACT: an RT
        # image's window in Gy, a parametric map's of 0..1.)
        raise InputError("window width must be above 0", file=file, field=f"{field}.width", value=width,
                         hint="widths are in modality units (HU for CT)")
    name = keys.get("name")
    return Window(center=center_f, width=width_f, name=str(name) if name else None, function=function)
