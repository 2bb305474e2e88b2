"""PNG and JPEG images exported from a viewer: shown as they are."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from cardgen.confine import open_confined
from cardgen.errors import InputError
from cardgen.imaging.sources import MAX_PIXELS, ImageFacts, check_pixel_budget, refuse_empty_file
from cardgen.imaging.windows import Window

RASTER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})



class RasterSource:
    """PNG/JPEG files. Windows do not apply: the pixels are already display values."""

    name = "raster"

    def accepts(self, path: Path) -> bool:
        return path.suffix.lower() in RASTER_SUFFIXES

    def _open(self, path: Path) -> Image.Image:
        refuse_empty_file(path)
        try:
            stream = open_confined(path)
        except OSError as error:
            raise InputError(f"cannot read the image: {error.strerror}", file=path) from error
        with stream:
            return self._decoded(stream, path)

    def _decoded(self, stream, path: Path) -> Image.Image:
        try:
            image = Image.open(stream)
        except Image.DecompressionBombError as error:
            # Pillow refuses images over twice its own limit before we see their size.
            raise InputError(f"image is over the limit of {MAX_PIXELS:,} pixels ({error})", file=path,
                             hint="downscale the image before adding it to the case") from error
        except (UnidentifiedImageError, OSError) as error:
            raise InputError(f"cannot read the image: {error}", file=path,
                             hint="export it again as PNG or JPEG") from error
        try:
            check_pixel_budget(image.width, image.height, path=path)
            image.load()
            # A camera's photo (or a phone's screenshot) is stored sideways with an EXIF
            # Orientation that viewers honour: shapes are drawn on the image as a viewer shows it.
            image = ImageOps.exif_transpose(image)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
            raise InputError(f"cannot read the image: {error}", file=path,
                             hint="export it again as PNG or JPEG") from error
        return image

    def facts(self, path: Path) -> ImageFacts:
        image = self._open(path)
        return ImageFacts(width=image.width, height=image.height)

    def read(self, path: Path, frame: int | None, window: Window | None) -> Image.Image:
        image = self._open(path)
        # Only the pixels go on: converting drops EXIF, text chunks and ICC data with the file.
        if image.mode in ("L", "RGB"):
            return image.copy()
        if image.mode in ("I;16", "I;16B", "I"):
            return _stretch_to_8bit(image)
        return image.convert("RGB")


def _stretch_to_8bit(image: Image.Image) -> Image.Image:
    import numpy as np

    array = np.asarray(image, dtype=np.float64)
    low, high = float(array.min()), float(array.max())
    scaled = np.zeros_like(array) if high == low else (array - low) / (high - low) * 255.0
    return Image.fromarray(np.round(scaled).astype(np.uint8), mode="L")
