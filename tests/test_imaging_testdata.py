"""Every DICOM file with pixel data in pydicom's bundled test data, through the display chain.

Test data: the files inside the pydicom wheel (``pydicom/data/test_files``, found on disk next to
``pydicom.data``); nothing is fetched from the network.

1. A table: every file renders, or fails with the :class:`InputError` named in ``EXPECTED_ERRORS``.
2. Files that hold the same picture in different transfer syntaxes render to the same pixels.
3. Pixel values at known points, computed here from the standard's formulas (PS3.3 C.11) written
   out in plain Python, not with the code under test: rescale, windowing (with a choice among the
   file's window pairs), MONOCHROME1, palette, pixel padding, YBR_FULL_422.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest

from cardgen.errors import InputError
from cardgen.imaging.decode import decode_frame, frame_count, has_pixel_data
from cardgen.imaging.display import render_frame
from cardgen.imaging.windows import FileWindow, Window, preset

TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"


def _read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # several files are deliberately non-conformant
        return pydicom.dcmread(path, force=True)


def _files_with_pixel_data() -> list[Path]:
    found = []
    for path in sorted(TEST_FILES.rglob("*")):
        if not path.is_file() or path.suffix in {".json", ".dump", ".txt", ".gz", ".icc"}:
            continue
        try:
            ds = _read(path)
        except Exception:  # noqa: BLE001 - a file pydicom cannot parse at all has no pixels to test
            continue
        if has_pixel_data(ds):
            found.append(path)
    return found


PIXEL_FILES = _files_with_pixel_data()

# The files that cannot be shown, and words their error must contain (transfer syntax and package
# for undecodable streams; the damaged attribute otherwise).
EXPECTED_ERRORS: dict[str, tuple[str, ...]] = {
    # A sequence delimiter inside the JPEG 2000 fragments: the openjpeg plugin cannot read the header.
    "JPEG2000-embedded-sequence-delimiter.dcm": ("JPEG 2000", "1.2.840.10008.1.2.4.91", "python-gdcm"),
    "MR_truncated.dcm": ("truncated",),
    "badVR.dcm": ("(0028,0008) Number of Frames", "1A"),
    "meta_missing_tsyntax.dcm": ("(0002,0010)", "no transfer syntax"),
    "nested_priv_SQ.dcm": ("Bits Allocated",),
}


def test_the_table_covers_the_bundled_files():
    # pydicom 3.0 bundles 97 files with pixel data (dicomdirtests included); a much smaller number
    # would mean the files were not found and the table below tests nothing.
    assert len(PIXEL_FILES) >= 90
    names = {p.name for p in PIXEL_FILES}
    assert set(EXPECTED_ERRORS) <= names


@pytest.mark.parametrize("path", PIXEL_FILES, ids=lambda p: str(p.relative_to(TEST_FILES)))
def test_every_file_renders_or_names_its_problem(path: Path):
    ds = _read(path)
    expected = EXPECTED_ERRORS.get(path.name)
    if expected:
        with pytest.raises(InputError) as caught:
            render_frame(ds, 0, path=path)
        message = str(caught.value)
        assert path.name in message
        for words in expected:
            assert words in message
        return
    count = frame_count(ds)
    for frame in sorted({0, count - 1}):
        image = render_frame(ds, frame, path=path)
        assert image.size == (int(ds.Columns), int(ds.Rows))
        colour = int(ds.get("SamplesPerPixel", 1)) == 3 or ds.PhotometricInterpretation == "PALETTE COLOR"
        assert image.mode == ("RGB" if colour else "L")
        pixels = np.asarray(image)
        assert pixels.dtype == np.uint8


# Groups of files that hold one picture in several encodings; lossless ones must render identically.
SAME_PICTURE = {
    "MR_small": ["MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm",
                 "MR_small_implicit.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
                 "MR_small_padded.dcm"],
    "rtdose": ["rtdose.dcm", "rtdose_expb.dcm", "rtdose_rle.dcm"],
    "liver": ["liver_1frame.dcm", "liver_expb_1frame.dcm"],
    # 8, 16 and 32 bits per sample and RLE/JPEG lossless/JPEG 2000 (RGB and YBR_RCT)/uncompressed YBR_FULL_422.
    "SC_rgb": ["SC_rgb_rle.dcm", "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_32bit.dcm", "SC_rgb_jpeg_gdcm.dcm",
               "SC_rgb_gdcm_KY.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_16bit_2frame.dcm",
               "SC_rgb_rle_32bit_2frame.dcm"],
    "SC_rgb_small_odd": ["SC_rgb_small_odd.dcm", "SC_rgb_small_odd_big_endian.dcm"],
}


@pytest.mark.parametrize("group", sorted(SAME_PICTURE))
def test_lossless_encodings_of_one_picture_render_identically(group: str):
    names = SAME_PICTURE[group]
    rendered = [np.asarray(render_frame(_read(TEST_FILES / n), 0)) for n in names]
    for name, pixels in zip(names[1:], rendered[1:]):
        assert np.array_equal(pixels, rendered[0]), name
    assert rendered[0].std() > 10  # a real picture, not a blank


# Lossy JPEG and JPEG-LS copies of SC_rgb: close to the lossless one, not equal.
@pytest.mark.parametrize("name", ["SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_dcmtk_+eb+cy+n1.dcm",
                                  "SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_jls_lossy_line.dcm",
                                  "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_lossy_gdcm.dcm",
                                  "SC_ybr_full_422_uncompressed.dcm"])
def test_lossy_and_ybr_copies_are_close_to_the_lossless_picture(name: str):
    reference = np.asarray(render_frame(_read(TEST_FILES / "SC_rgb_rle.dcm"), 0)).astype(int)
    pixels = np.asarray(render_frame(_read(TEST_FILES / name), 0)).astype(int)
    assert np.abs(pixels - reference).mean() < 3.0


# --- pixel values from the standard's formulas --------------------------------------------------


def linear(x: float, c: float, w: float) -> float:
    """PS3.3 C.11.2.1.2.1 with ymin 0 and ymax 255."""
    if x <= c - 0.5 - (w - 1) / 2:
        return 0.0
    if x > c - 0.5 + (w - 1) / 2:
        return 255.0
    return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0


def linear_exact(x: float, c: float, w: float) -> float:
    """PS3.3 C.11.2.1.3.2."""
    if x <= c - w / 2:
        return 0.0
    if x > c + w / 2:
        return 255.0
    return ((x - c) / w + 0.5) * 255.0


def sigmoid(x: float, c: float, w: float) -> float:
    """PS3.3 C.11.2.1.3.1."""
    return 255.0 / (1.0 + math.exp(-4.0 * (x - c) / w))


def grey(y: float) -> int:
    """A grey level rounded half up."""
    return int(math.floor(y + 0.5))


def stored_values(path: Path) -> np.ndarray:
    """Stored values straight from the Pixel Data bytes of an uncompressed little-endian file."""
    ds = _read(path)
    assert ds.file_meta.TransferSyntaxUID in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")
    dtype = {(16, 0): "<u2", (16, 1): "<i2", (8, 0): "u1"}[(ds.BitsAllocated, ds.PixelRepresentation)]
    raw = np.frombuffer(ds.PixelData, dtype=dtype)[: ds.Rows * ds.Columns].reshape(ds.Rows, ds.Columns)
    if ds.BitsStored < ds.BitsAllocated and ds.PixelRepresentation == 0:
        raw = raw & ((1 << ds.BitsStored) - 1)
    return raw


def sample_points(stored: np.ndarray, modality, inside) -> list[tuple[int, int]]:
    """Corners, centre, and the first pixels (raster order) whose modality value is inside the window."""
    rows, cols = stored.shape
    points = [(0, 0), (rows - 1, cols - 1), (rows // 2, cols // 2), (rows // 3, 2 * cols // 3)]
    chosen = 0
    for r in range(0, rows, 3):
        for c in range(0, cols, 5):
            if inside(modality(int(stored[r, c]))) and chosen < 12:
                points.append((r, c))
                chosen += 1
    assert chosen >= 5, "the sample must include pixels on the slope of the window"
    return points


def test_ct_rescale_and_lung_window_match_the_formula():
    # CT_small.dcm: rescale slope 1, intercept -1024 (HU); lung preset W 1500 / L -600.
    path = TEST_FILES / "CT_small.dcm"
    stored = stored_values(path)
    slope, intercept, c, w = 1.0, -1024.0, -600.0, 1500.0
    image = np.asarray(render_frame(_read(path), 0, preset("lung")))
    hu = lambda s: s * slope + intercept  # noqa: E731
    for r, col in sample_points(stored, hu, lambda x: c - w / 2 < x < c + w / 2):
        assert image[r, col] == grey(linear(hu(int(stored[r, col])), c, w)), (r, col)


def test_ct_explicit_soft_tissue_window_matches_the_formula():
    path = TEST_FILES / "CT_small.dcm"
    stored = stored_values(path)
    c, w = 40.0, 400.0
    image = np.asarray(render_frame(_read(path), 0, Window(center=c, width=w)))
    hu = lambda s: s - 1024.0  # noqa: E731
    for r, col in sample_points(stored, hu, lambda x: c - w / 2 < x < c + w / 2):
        assert image[r, col] == grey(linear(hu(int(stored[r, col])), c, w)), (r, col)


@pytest.mark.parametrize("index, center, width", [(0, 450.0, 790.0), (1, 200.0, 443.0)])
def test_choice_among_the_files_window_pairs(index, center, width):
    # examples_overlay.dcm carries two pairs: Window Center [450, 200], Window Width [790, 443];
    # 12 bits stored in 16, unsigned, no rescale.
    path = TEST_FILES / "examples_overlay.dcm"
    stored = stored_values(path)
    image = np.asarray(render_frame(_read(path), 0, FileWindow(index)))
    for r, col in sample_points(stored, float, lambda x: center - width / 2 < x < center + width / 2):
        assert image[r, col] == grey(linear(float(stored[r, col]), center, width)), (r, col)


def test_default_is_the_files_first_window():
    path = TEST_FILES / "MR_small.dcm"  # Window Center 600, Width 1600, no rescale
    stored = stored_values(path)
    image = np.asarray(render_frame(_read(path), 0))
    for r, col in sample_points(stored, float, lambda x: -200 < x < 1400):
        assert image[r, col] == grey(linear(float(stored[r, col]), 600.0, 1600.0)), (r, col)


@pytest.mark.parametrize("function, formula", [("LINEAR_EXACT", linear_exact), ("SIGMOID", sigmoid)])
def test_voi_lut_function_of_the_file(function, formula):
    # MR_small.dcm with its VOI LUT Function (0028,1056) set here; the pixels are the file's own.
    path = TEST_FILES / "MR_small.dcm"
    stored = stored_values(path)
    ds = _read(path)
    ds.VOILUTFunction = function
    image = np.asarray(render_frame(ds, 0))
    for r, col in sample_points(stored, float, lambda x: -200 < x < 1400):
        assert image[r, col] == grey(formula(float(stored[r, col]), 600.0, 1600.0)), (r, col)


def test_monochrome1_is_inverted_after_rescale_and_window():
    # dicomdirtests/77654033/CR1/6154: MONOCHROME1, 12 bits, Rescale Slope 0.684, Intercept 200,
    # Window Center 1600, Width 2800.
    path = TEST_FILES / "dicomdirtests" / "77654033" / "CR1" / "6154"
    stored = stored_values(path)
    image = np.asarray(render_frame(_read(path), 0))
    value = lambda s: s * 0.684 + 200.0  # noqa: E731
    for r, col in sample_points(stored, value, lambda x: 200 < x < 3000):
        assert image[r, col] == grey(255.0 - linear(value(int(stored[r, col])), 1600.0, 2800.0)), (r, col)


def test_palette_colour_from_the_lut_bytes():
    # examples_palette.dcm: 8-bit indices, three 256-entry LUTs of 16 bits (OW, little endian),
    # first mapped value 0. Output = LUT[index] scaled from 0..65535 to 0..255.
    path = TEST_FILES / "examples_palette.dcm"
    ds = _read(path)
    stored = stored_values(path)
    luts = [np.frombuffer(ds[f"{c}PaletteColorLookupTableData"].value, dtype="<u2")
            for c in ("Red", "Green", "Blue")]
    image = np.asarray(render_frame(ds, 0))
    points = [(r, c) for r in range(0, ds.Rows, 37) for c in range(0, ds.Columns, 41)]
    assert len({int(stored[p]) for p in points}) > 10  # many palette entries are exercised
    for r, c in points:
        index = min(int(stored[r, c]), 255)
        expected = [grey(int(lut[index]) * 255 / 65535) for lut in luts]
        assert list(image[r, c]) == expected, (r, c)


def test_pixel_padding_is_black_and_left_out_of_the_automatic_window():
    # 693_J2KI.dcm: CT, Pixel Padding Value -2000 (494 pixels), rescale 1/-1024. The stored values
    # come from pydicom's decoder; the display values from the formula here.
    path = TEST_FILES / "693_J2KI.dcm"
    ds = _read(path)
    stored = ds.pixel_array.astype(int)
    padded = stored == -2000
    assert padded.sum() == 494
    ds.PhotometricInterpretation = "MONOCHROME1"  # inverted, padding would show white if not handled
    image = np.asarray(render_frame(ds, 0, preset("bone")))
    assert (image[padded] == 0).all()
    r, c = np.argwhere(~padded & (stored - 1024 < 480 + 1250) & (stored - 1024 > 480 - 1250))[0]
    assert image[r, c] == grey(255.0 - linear(stored[r, c] - 1024.0, 480.0, 2500.0))
    # No window: the full range runs from the lowest real (non-padding) value to the highest.
    del ds.WindowCenter, ds.WindowWidth
    ds.PhotometricInterpretation = "MONOCHROME2"
    auto = np.asarray(render_frame(ds, 0))
    low, high = stored[~padded].min() - 1024.0, stored[~padded].max() - 1024.0
    for r, c in [(256, 256), (100, 300), (400, 120)]:
        assert auto[r, c] == grey(linear_exact(stored[r, c] - 1024.0, (low + high) / 2, high - low))
    assert auto[~padded].min() == 0 and auto[~padded].max() == 255


def test_ybr_full_422_from_the_raw_bytes():
    # SC_ybr_full_422_uncompressed.dcm: each pair of pixels is stored Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2);
    # YBR_FULL to RGB by the equations of PS3.3 C.7.6.3.1.2 (ITU-R BT.601 full range).
    path = TEST_FILES / "SC_ybr_full_422_uncompressed.dcm"
    ds = _read(path)
    raw = np.frombuffer(ds.PixelData, dtype=np.uint8)
    image = np.asarray(render_frame(ds, 0)).astype(int)
    for r, c in [(0, 0), (5, 51), (50, 50), (77, 20), (99, 99)]:
        pair = (r * ds.Columns + c) // 2
        y1, y2, cb, cr = (int(v) for v in raw[pair * 4: pair * 4 + 4])
        y = y1 if c % 2 == 0 else y2
        expected = [y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                    y + 1.772 * (cb - 128)]
        for got, want in zip(image[r, c], expected):
            assert abs(got - min(max(want, 0), 255)) <= 1, (r, c)


def test_a_jpeg_whose_scan_header_ends_at_0_is_decoded_as_dcmtk_does():
    """JPEG-lossy.dcm (and NEMA WG04's 12-bit lossy set): the scan header's spectral selection ends
    at 0, not 63, and libjpeg refused it; DCMTK's dcmdjpeg warns and decodes it. Values read here
    from dcmdjpeg's output (DCMTK 3.6, December 2026), within the IDCT's rounding."""
    ds = _read(TEST_FILES / "JPEG-lossy.dcm")
    stored, photometric = decode_frame(ds, 0)
    assert stored.shape == (1024, 256) and photometric == "MONOCHROME2"
    for (row, column), dcmtk in {(421, 143): 264, (423, 143): 255, (420, 142): 249, (500, 128): 10,
                                 (100, 100): 1, (800, 50): 1}.items():
        assert abs(int(stored[row, column]) - dcmtk) <= 2, (row, column)
    assert float(stored.mean()) == pytest.approx(14.37, abs=0.05)
