"""Image sources: one small interface for every kind of image file, and the checks they share.

A source turns a file (and a frame and window) into display-ready 8-bit pixels, and tells the
few header facts that may reach a card (through an allowlist: never names, IDs, dates or UIDs).
The sources are registered in :mod:`cardgen.imaging.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cardgen.errors import InputError
from cardgen.imaging.windows import Window

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class ImageFacts:
    """Header facts that may be shown to learners: the allowlist, and nothing else."""

    modality: str | None = None
    body_part: str | None = None
    plane: str | None = None
    frames: int = 1
    width: int = 0
    height: int = 0


class ImageSource(Protocol):
    """What every image source provides."""

    name: str

    def accepts(self, path: Path) -> bool:
        """True when this source reads the file at ``path``."""
        ...

    def facts(self, path: Path) -> ImageFacts:
        """The allowlisted header facts of the file."""
        ...

    def read(self, path: Path, frame: int | None, window: Window | None) -> Image.Image:
        """The frame as a display-ready 8-bit image (mode ``L`` or ``RGB``)."""
        ...


def looks_like_dicom(path: Path) -> bool:
    """True for a ``.dcm``/``.dicom`` name or a file with the DICM preamble (any name).

    Here, with the interface, rather than in :mod:`cardgen.imaging.dicom`: the audit asks it of
    every source file, and that module brings numpy and Pillow.
    """
    if path.suffix.lower() in {".dcm", ".dicom"}:
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(132)[128:132] == b"DICM"
    except OSError:
        return False


# The pixel budget of every decoded image, checked from its header before anything is decoded:
# a few kB of compressed data (a PNG bomb, an RLE or deflated DICOM) can stand for gigabytes. The
# largest real radiographs are about 4300 x 3500 (15 megapixels); whole-slide images are not for cards.
MAX_PIXELS = 64_000_000  # one frame, samples counted (an RGB pixel is three)
MAX_STACK_PIXELS = 2_000_000_000  # every frame of a multi-frame file, samples counted
MAX_SIDE = 30_000  # either side; a 1 x 100,000 strip has few pixels but no sensible card image
MAX_ASPECT = 100  # long side over short side


def check_pixel_budget(width: int, height: int, *, frames: int = 1, samples: int = 1,
                       path: Path | None = None, field: str | None = None) -> None:
    """Raise an :class:`InputError` for an image too large to decode or too thin to show."""
    hint = "downscale or crop the image before adding it to the case"
    if width < 1 or height < 1:
        raise InputError(f"image size {width}x{height} has no pixels", file=path, field=field,
                         hint="the header is damaged; export the image again")
    if width * height * samples > MAX_PIXELS:
        raise InputError(f"image is {width}x{height} pixels ({samples} sample(s) each), over the limit of "
                         f"{MAX_PIXELS:,}", file=path, field=field, hint=hint)
    if width * height * samples * frames > MAX_STACK_PIXELS:
        raise InputError(f"{frames:,} frames of {width}x{height} pixels are over the limit of "
                         f"{MAX_STACK_PIXELS:,} pixels in one file", file=path, field=field,
                         hint="split the file, or export the frames a case needs")
    if max(width, height) > MAX_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
        raise InputError(f"image is {width}x{height} pixels: a side over {MAX_SIDE:,} or one side over "
                         f"{MAX_ASPECT} times the other", file=path, field=field, hint=hint)


def refuse_empty_file(path: Path) -> None:
    """Raise an :class:`InputError` for an empty image file (an interrupted copy), which every
    reader would otherwise report as an unknown format."""
    try:
        empty = path.stat().st_size == 0
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=path) from error
    if empty:
        raise InputError("the file is empty (0 bytes)", file=path, hint="copy or export the image again")
