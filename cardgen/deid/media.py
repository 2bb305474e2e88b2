"""The audit of a media file: cards need pixels only, so any metadata a media file carries (PNG text
chunks, EXIF, XMP, JPEG comments) is reported, and its text searched like card text.

A PNG made only of the chunks that hold the image's structure and pixels carries no metadata; it is
recognised from its chunk headers (for a member stored uncompressed, read straight from the package
file), without decoding. Any other file goes to Pillow, which reports what it holds.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

from cardgen.deid.search import Search
from cardgen.zipmember import stored_data_offset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG chunks that hold nothing but the image's structure and pixels. A PNG made of these alone
# carries no metadata; any other chunk sends the file to Pillow, which reports what it holds.
PIXEL_ONLY_PNG_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def search_media_file(search: Search, where: str, data: bytes) -> None:
    """Report any metadata of the media file ``data`` (named ``where``) and search its text; a file
    that is not an image (a script, a style sheet, a font) has its text searched, if it has any."""
    if pixel_only_png(data):
        return  # nothing but pixels: no metadata to report (Pillow would decode it all to say so)
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        image = None
    if image is None:
        try:
            search.text(where, data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
        return
    with image:
        try:
            metadata = list(image_metadata(image))
        except (OSError, ValueError, SyntaxError) as error:  # Pillow's words for a damaged file
            search.add(where, _shorten(str(error)), "is a damaged image whose metadata cannot be "
                       "checked; build the deck again")
            return
        for label, value in metadata:
            search.add(where, _shorten(value), f"carries image metadata ({label}); media files "
                       "must hold pixels only")
            search.text(f"{where} metadata {label}", value)


def stored_pixel_only_png(raw: BinaryIO, info: zipfile.ZipInfo) -> bool:
    """:func:`pixel_only_png` of a member stored uncompressed (as cardgen stores media), read chunk
    header by chunk header straight from the package file ``raw`` (a few small reads instead of the
    whole file: a PNG's chunks are known from their headers alone). False whenever that cannot
    tell (a compressed member, another kind of file, any oddity): the caller reads the member whole."""
    start = stored_data_offset(raw, info)
    if start is None:
        return False

    def read(offset: int, size: int) -> bytes:
        raw.seek(start + offset)
        return raw.read(size)

    return pixel_only_chunks(read, info.compress_size)


def pixel_only_png(data: bytes) -> bool:
    """True for a well-formed PNG whose chunks are all in :data:`PIXEL_ONLY_PNG_CHUNKS`, ending
    with IEND at the end of the data; anything else (other chunks, trailing bytes, a damaged
    chunk length) is left to Pillow."""
    return pixel_only_chunks(lambda offset, size: data[offset:offset + size], len(data))


def pixel_only_chunks(read: Callable[[int, int], bytes], size: int) -> bool:
    """The PNG check of :func:`pixel_only_png` over ``size`` bytes that ``read(offset, count)``
    gives: only the signature and each chunk's length and type are read."""
    if read(0, len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        return False
    position = len(PNG_SIGNATURE)
    while position + 12 <= size:
        header = read(position, 8)
        if len(header) != 8:
            return False
        length, kind = struct.unpack(">I4s", header)
        if kind not in PIXEL_ONLY_PNG_CHUNKS:
            return False
        position += 12 + length
        if kind == b"IEND":
            return position == size
    return False


def image_metadata(image) -> Iterator[tuple[str, str]]:
    """Every text a media image carries besides its pixels: PNG text chunks, EXIF, XMP, comments."""
    try:
        texts = dict(getattr(image, "text", {}) or {})  # PNG tEXt/zTXt/iTXt (reads to the end)
    except (OSError, ValueError, SyntaxError):
        texts = {}
        yield "PNG text chunks", "unreadable"
    for key, value in texts.items():
        yield f"PNG text chunk {key!r}", f"{key}: {value}"
    info = image.info
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
        if key in info and key not in texts:
            raw = info[key]
            yield key, raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    exif = image.getexif()
    if exif and "exif" not in info:
        yield "EXIF", "; ".join(f"{tag}={value}" for tag, value in exif.items())


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
