"""cardgen's own PNG writer: lossless, valid, and nothing in the file but pixels.

Images: generated here (seeded random pixels, odd sizes) and one slice of pydicom's bundled
CT_small.dcm through the display chain.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from cardgen.imaging.encode import PNG_SIGNATURE, encode_png
from cardgen.imaging.registry import source_for
from cardgen.imaging.windows import preset


def _chunks(data: bytes) -> list[bytes]:
    assert data.startswith(PNG_SIGNATURE)
    kinds, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        kinds.append(kind)
        offset += 12 + length
    return kinds


@pytest.mark.parametrize("mode", ["L", "RGB"])
@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 1), (33, 17), (512, 512)])
def test_random_pixels_round_trip_exactly(mode: str, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(size))
    shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    data = encode_png(Image.fromarray(pixels, mode=mode))
    assert _chunks(data) == [b"IHDR", b"IDAT", b"IEND"]  # no text, time or ICC chunks
    decoded = Image.open(io.BytesIO(data))
    assert decoded.mode == mode and decoded.size == size
    np.testing.assert_array_equal(np.asarray(decoded), pixels)


def test_ct_slice_round_trips_and_compresses() -> None:
    path = Path(get_testdata_file("CT_small.dcm"))
    image = source_for(path).read(path, None, preset("soft_tissue"))
    for shown in (image, image.convert("RGB")):
        data = encode_png(shown)
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(shown))
        assert len(data) < len(shown.tobytes()) * 0.9  # it does compress


def test_other_modes_become_rgb() -> None:
    rgba = Image.new("RGBA", (4, 3), (10, 20, 30, 255))
    decoded = Image.open(io.BytesIO(encode_png(rgba)))
    assert decoded.mode == "RGB" and decoded.getpixel((3, 2)) == (10, 20, 30)
