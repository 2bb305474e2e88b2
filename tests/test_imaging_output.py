"""Overlays drawn on display images, and display images encoded as PNG, JPEG or WebP.

Test data: examples_overlay.dcm from the pydicom wheel (an MR with one 60xx overlay plane),
an overlay this test adds to CT_small.dcm (pydicom wheel), and images generated here.
The overlay bits are checked against pydicom's own ``Dataset.overlay_array``, an implementation
independent of cardgen's.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from cardgen.errors import InputError
from cardgen.imaging.display import render_frame
from cardgen.imaging.encode import OutputFormat, downscale, encode
from cardgen.imaging.overlays import draw_overlays, overlay_groups


def test_overlay_of_a_real_file_is_drawn_where_its_bits_are_set():
    ds = pydicom.dcmread(get_testdata_file("examples_overlay.dcm"))
    assert overlay_groups(ds) == (0x6000,)
    plain = render_frame(ds, 0)
    drawn = np.asarray(draw_overlays(plain, ds, 0))
    bits = ds.overlay_array(0x6000).astype(bool)  # origin (1, 1), same size as the image
    assert bits.sum() == 222
    assert (drawn[bits] == 255).all()
    assert np.array_equal(drawn[~bits], np.asarray(plain)[~bits])


def test_overlay_in_colour_at_its_origin():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    bitmap = np.zeros((8, 16), dtype=np.uint8)
    bitmap[0, 0] = bitmap[7, 15] = bitmap[3, 4] = 1
    packed = np.packbits(bitmap.ravel(), bitorder="little").tobytes()
    ds.add_new(0x60020010, "US", 8)
    ds.add_new(0x60020011, "US", 16)
    ds.add_new(0x60020040, "CS", "G")
    ds.add_new(0x60020050, "SS", [11, 21])  # 1-based: row 10, column 20 of the image
    ds.add_new(0x60020100, "US", 1)
    ds.add_new(0x60020102, "US", 0)
    ds.add_new(0x60023000, "OW", packed)
    drawn = np.asarray(draw_overlays(render_frame(ds, 0), ds, 0, colour=(255, 255, 0)))
    assert drawn.shape == (128, 128, 3)
    hits = {tuple(p) for p in np.argwhere((drawn == (255, 255, 0)).all(axis=2))}
    assert hits == {(10, 20), (17, 35), (13, 24)}
    with pytest.raises(InputError, match="no overlay 6004"):
        draw_overlays(render_frame(ds, 0), ds, 0, groups=(0x6004,))


def test_png_has_no_metadata_and_is_deterministic():
    image = Image.fromarray(np.arange(64 * 48, dtype=np.uint32).reshape(48, 64).astype(np.uint8), "L")
    image.info["comment"] = "Patient Name: Doe^Jane"
    first, second = encode(image), encode(image.copy())
    assert first == second
    assert b"tEXt" not in first and b"iTXt" not in first and b"zTXt" not in first and b"eXIf" not in first
    assert b"Doe" not in first
    decoded = Image.open(io.BytesIO(first))
    assert decoded.size == (64, 48) and np.array_equal(np.asarray(decoded), np.asarray(image))


@pytest.mark.parametrize("fmt, magic", [(OutputFormat.JPEG, b"\xff\xd8"), (OutputFormat.WEBP, b"RIFF")])
def test_lossy_formats_with_quality(fmt, magic):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    image = render_frame(ds, 0)
    low, high = encode(image, fmt, quality=20), encode(image, fmt, quality=95)
    assert low.startswith(magic) and high.startswith(magic)
    assert len(low) < len(high)
    assert encode(image, fmt, quality=95) == high
    decoded = np.asarray(Image.open(io.BytesIO(high)).convert("L")).astype(int)
    assert np.abs(decoded - np.asarray(image).astype(int)).mean() < 3
    assert b"Exif" not in high


def test_large_images_are_downscaled_to_the_longest_side():
    image = Image.new("RGB", (4000, 1000), (10, 20, 30))
    small = Image.open(io.BytesIO(encode(image, max_side=2000)))
    assert small.size == (2000, 500)
    assert downscale(image, None) is image and downscale(image, 5000) is image
    assert Image.open(io.BytesIO(encode(image, max_side=None))).size == (4000, 1000)


def test_output_format_from_text():
    assert OutputFormat.from_text("JPG") is OutputFormat.JPEG and OutputFormat.JPEG.suffix == ".jpg"
    with pytest.raises(InputError, match="use png, jpeg or webp"):
        OutputFormat.from_text("gif")
    with pytest.raises(InputError, match="quality"):
        encode(Image.new("L", (2, 2)), OutputFormat.JPEG, quality=0)
