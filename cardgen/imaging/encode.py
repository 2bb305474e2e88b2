"""Display images to file bytes: PNG (default), JPEG or WebP, downscaled to a longest side.

Only pixels are written: no text chunks, EXIF, ICC profile or timestamps, so no header value of
the source can ride along, and the same image always gives the same bytes.
"""

from __future__ import annotations

import enum
import io

from PIL import Image

from cardgen.errors import InputError

# Longest side of a picture on a card. Phone and laptop screens show about 2000 pixels; a 4300 x
# 3500 radiograph shown larger only costs space in the deck.
DEFAULT_MAX_SIDE = 2048
DEFAULT_QUALITY = 90


# zlib level and strategy of the PNG encoder per image mode, chosen by measurement (512 x 512 CT
# slices, see README "Speed"). Grey: run-length strategy, ~6 ms and the smallest file of all the
# settings tried (10 ms at Pillow's default). Colour (annotated): level 1, ~14 ms against ~52 ms at
# level 6, for a file ~12 % larger; run-length would be as fast but ~70 % larger. PNG is lossless
# whatever the setting: these trade only time against size.
Z_DEFAULT_STRATEGY, Z_RLE = 0, 3
PNG_SETTINGS = {"L": (1, Z_RLE), "RGB": (1, Z_DEFAULT_STRATEGY)}
PNG_FALLBACK = (6, Z_DEFAULT_STRATEGY)


class OutputFormat(str, enum.Enum):
    """How card pictures are stored."""

    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"

    @property
    def suffix(self) -> str:
        """File name suffix, with the dot."""
        return {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}[self.value]

    @classmethod
    def from_text(cls, text: str, *, field: str = "image_format") -> "OutputFormat":
        """``png``, ``jpeg``/``jpg`` or ``webp`` (any case) -> the format; anything else is an error."""
        key = text.strip().lower()
        key = "jpeg" if key == "jpg" else key
        try:
            return cls(key)
        except ValueError:
            raise InputError(f"unknown image format {text!r}", field=field, value=text,
                             hint="use png, jpeg or webp") from None


def downscale(image: Image.Image, max_side: int | None) -> Image.Image:
    """``image`` shrunk (never enlarged) so its longest side is at most ``max_side``; aspect kept."""
    if max_side is None or max(image.size) <= max_side:
        return image
    if max_side < 1:
        raise InputError("the longest side must be at least 1 pixel", field="max_side", value=max_side)
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encode(image: Image.Image, fmt: OutputFormat = OutputFormat.PNG, quality: int = DEFAULT_QUALITY,
           max_side: int | None = DEFAULT_MAX_SIDE) -> bytes:
    """The image as file bytes; ``quality`` (1-100) applies to JPEG and WebP."""
    if image.mode not in ("L", "RGB"):
        raise ValueError(f"display images are L or RGB, not {image.mode}")  # a bug, not bad input
    if not 1 <= quality <= 100:
        raise InputError("quality must be from 1 to 100", field="quality", value=quality)
    # A fresh image from the raw pixels carries no info dict (text, EXIF, ICC, DPI) from its source.
    image = downscale(image, max_side)
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fmt is OutputFormat.PNG:
        level, strategy = PNG_SETTINGS.get(bare.mode, PNG_FALLBACK)
        bare.save(out, format="PNG", compress_level=level, compress_type=strategy)
    elif fmt is OutputFormat.JPEG:
        bare.save(out, format="JPEG", quality=quality, optimize=True, subsampling=0 if quality >= 90 else 2)
    else:
        bare.save(out, format="WEBP", quality=quality, method=4, exact=True)
    return out.getvalue()
