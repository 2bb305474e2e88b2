"""The display chain on files this test writes: LUT sequences, bit depths, enhanced multi-frame.

Test data: datasets built here with pydicom (written to tmp_path and read back, so value
representations are what a reader sees), and files from pydicom's bundled test data (in the wheel).
Expected grey levels come from the standard's formulas written out in the test (PS3.3 C.11).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cardgen.errors import InputError
from cardgen.imaging.dicom import (DicomSource, decoded_pixels, file_window, read_dataset, select_frame,
                                   to_display)
from cardgen.imaging.display import render_frame, voi_label
from cardgen.imaging.windows import FileWindow, VoiFunction, Window, preset
from tests.sample_cases import CT_SMALL
from tests.test_imaging_testdata import linear  # the standard's LINEAR formula, written once


def grey(y: float) -> int:
    return int(math.floor(y + 0.5))


def write_image(path: Path, pixels: np.ndarray, *, bits_stored: int | None = None,
                sop_class: str = "1.2.840.10008.5.1.4.1.1.2", frames: int = 1, **attributes) -> Path:
    """A minimal greyscale image file (CT by default), written and ready to read back."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def ramp(rows: int, cols: int, low: int, high: int, dtype) -> np.ndarray:
    return np.linspace(low, high, rows * cols).round().astype(dtype).reshape(rows, cols)


def test_enhanced_multiframe_uses_each_frames_rescale_and_window(tmp_path):
    # Enhanced CT: rescale in the shared functional groups for frames without their own, and a
    # different rescale and window in each frame's Pixel Value Transformation / Frame VOI LUT.
    stored = np.stack([ramp(8, 8, 0, 3000, np.int16) for _ in range(3)])
    per_frame = [(-1024.0, 1.0, 40.0, 400.0), (-1000.0, 2.0, -600.0, 1500.0), (0.0, 0.5, 300.0, 600.0)]
    groups = []
    for intercept, slope, center, width in per_frame:
        group = Dataset()
        transform = Dataset()
        transform.RescaleIntercept, transform.RescaleSlope, transform.RescaleType = intercept, slope, "HU"
        group.PixelValueTransformationSequence = Sequence([transform])
        voi = Dataset()
        voi.WindowCenter, voi.WindowWidth = center, width
        group.FrameVOILUTSequence = Sequence([voi])
        groups.append(group)
    path = write_image(tmp_path / "enhanced.dcm", stored, frames=3, sop_class="1.2.840.10008.5.1.4.1.1.2.1",
                       PerFrameFunctionalGroupsSequence=Sequence(groups),
                       SharedFunctionalGroupsSequence=Sequence([Dataset()]))
    ds = read_dataset(path)
    for frame, (intercept, slope, center, width) in enumerate(per_frame):
        image = np.asarray(render_frame(ds, frame))
        for r, c in [(0, 0), (2, 3), (4, 4), (5, 1), (7, 7)]:
            value = int(stored[frame, r, c]) * slope + intercept
            assert image[r, c] == grey(linear(value, center, width)), (frame, r, c)
        assert voi_label(ds, frame, None) == f"W {width:g} / L {center:g}"
    # A preset replaces the file's windows but keeps each frame's own rescale.
    lung = np.asarray(render_frame(ds, 1, preset("lung")))
    assert lung[4, 4] == grey(linear(int(stored[1, 4, 4]) * 2.0 - 1000.0, -600.0, 1500.0))


def test_shared_functional_group_rescale_applies_to_every_frame(tmp_path):
    stored = np.stack([ramp(4, 4, 0, 2000, np.int16), ramp(4, 4, 2000, 0, np.int16)])
    shared = Dataset()
    transform = Dataset()
    transform.RescaleIntercept, transform.RescaleSlope = -1024.0, 1.0
    shared.PixelValueTransformationSequence = Sequence([transform])
    path = write_image(tmp_path / "shared.dcm", stored, frames=2, sop_class="1.2.840.10008.5.1.4.1.1.2.1",
                       SharedFunctionalGroupsSequence=Sequence([shared]),
                       PerFrameFunctionalGroupsSequence=Sequence([Dataset(), Dataset()]))
    ds = read_dataset(path)
    for frame in (0, 1):
        image = np.asarray(render_frame(ds, frame, Window(center=0, width=1000)))
        for r, c in [(0, 0), (1, 2), (3, 3)]:
            assert image[r, c] == grey(linear(int(stored[frame, r, c]) - 1024.0, 0.0, 1000.0))


def test_voi_lut_sequence(tmp_path):
    # A VOI LUT of 1000 entries (12-bit output) starting at stored value 100: the output is
    # LUT[clamp(x - 100, 0, 999)], scaled from 0..4095 to 0..255 (PS3.3 C.11.2.1.1).
    stored = ramp(10, 10, 0, 1300, np.uint16)
    table = [(i * 37) % 4096 for i in range(1000)]
    item = Dataset()
    item.LUTDescriptor = [1000, 100, 12]
    item.add_new(0x00283006, "US", table)  # LUT Data as US (it may be US or OW)
    item.LUTExplanation = "NONLINEAR"
    path = write_image(tmp_path / "voilut.dcm", stored, VOILUTSequence=Sequence([item]))
    ds = read_dataset(path)
    image = np.asarray(render_frame(ds, 0))
    for r in range(10):
        for c in range(0, 10, 3):
            entry = table[min(max(int(stored[r, c]) - 100, 0), 999)]
            assert image[r, c] == grey(entry * 255 / 4095), (r, c)
    assert voi_label(ds, 0, None) == "NONLINEAR"


def test_window_pairs_come_before_the_voi_lut(tmp_path):
    stored = ramp(4, 4, 0, 200, np.uint16)
    item = Dataset()
    item.LUTDescriptor = [256, 0, 8]
    item.add_new(0x00283006, "US", list(range(255, -1, -1)))  # an inverting LUT
    path = write_image(tmp_path / "both.dcm", stored, VOILUTSequence=Sequence([item]),
                       WindowCenter=100, WindowWidth=201)
    ds = read_dataset(path)
    by_window = np.asarray(render_frame(ds, 0, FileWindow(0)))
    by_lut = np.asarray(render_frame(ds, 0, FileWindow(1)))
    assert by_window[3, 3] == grey(linear(200, 100, 201))
    assert by_lut[3, 3] == 255 - 200 and by_lut[0, 0] == 255
    with pytest.raises(InputError, match="no window 3; it carries 2"):
        render_frame(ds, 0, FileWindow(2))


def test_modality_lut_sequence(tmp_path):
    # Modality LUT: value = LUT[clamp(x - 0, 0, 255)]; here LUT[i] = 4 * i.
    stored = ramp(8, 8, 0, 300, np.uint16)
    item = Dataset()
    item.LUTDescriptor = [256, 0, 16]
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", [4 * i for i in range(256)])
    path = write_image(tmp_path / "mlut.dcm", stored, ModalityLUTSequence=Sequence([item]))
    ds = read_dataset(path)
    image = np.asarray(render_frame(ds, 0, Window(center=500, width=800)))
    for r, c in [(0, 0), (2, 2), (4, 5), (6, 1), (7, 7)]:
        value = 4 * min(int(stored[r, c]), 255)
        assert image[r, c] == grey(linear(value, 500, 800)), (r, c)


@pytest.mark.parametrize("dtype, bits_stored, low, high", [
    (np.int8, 8, -128, 127), (np.uint8, 8, 0, 255), (np.int16, 12, -2048, 2047),
    (np.uint16, 12, 0, 4095), (np.int16, 16, -32768, 32767), (np.uint16, 16, 0, 65535)])
def test_signed_and_unsigned_8_to_16_bit(tmp_path, dtype, bits_stored, low, high):
    stored = ramp(6, 6, low, high, dtype)
    center, width = (low + high) / 2, (high - low) / 2
    path = write_image(tmp_path / "bits.dcm", stored, bits_stored=bits_stored)
    image = np.asarray(render_frame(read_dataset(path), 0, Window(center=center, width=width)))
    for r in range(6):
        for c in range(6):
            assert image[r, c] == grey(linear(int(stored[r, c]), center, width)), (r, c)


def test_sigmoid_window_of_a_case():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    image = np.asarray(render_frame(ds, 0, Window(center=40, width=400, function=VoiFunction.SIGMOID)))
    stored = ds.pixel_array
    for r, c in [(10, 10), (64, 64), (100, 40)]:
        hu = int(stored[r, c]) - 1024
        assert image[r, c] == grey(255 / (1 + math.exp(-4 * (hu - 40) / 400)))


@pytest.mark.parametrize("uid, words", [
    ("1.2.840.10008.1.2.4.112", "JPEG XL (1.2.840.10008.1.2.4.112)"),
    ("1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100"),
    ("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed"),
    ("1.2.3.4.5", "1.2.3.4.5")])
def test_an_undecodable_syntax_is_named(uid, words):
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.file_meta.TransferSyntaxUID = uid
    with pytest.raises(InputError) as caught:
        render_frame(ds, 0, path=Path("case/mr.dcm"))
    message = str(caught.value)
    assert words in message and "(0002,0010)" in message and "case/mr.dcm" in message


def test_a_window_on_a_colour_image_is_refused():
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_rle.dcm"))
    with pytest.raises(InputError, match="greyscale images only"):
        render_frame(ds, 0, preset("lung"))


def test_public_names_of_the_dicom_module():
    path = Path(get_testdata_file("rtdose.dcm"))  # 15 frames of 10x10, 32-bit
    ds = read_dataset(path)
    reference = pydicom.dcmread(path).pixel_array
    assert np.array_equal(decoded_pixels(ds, path, frame=7), reference[7])
    assert select_frame(ds, 14, path) == 14
    with pytest.raises(InputError, match="frame 15 does not exist; the file has 15"):
        select_frame(ds, 15, path)
    source = DicomSource()
    facts = source.facts(path)
    assert (facts.frames, facts.width, facts.height) == (15, 10, 10)
    first, last = source.read(path, 0, None), source.read(path, 14, None)
    assert not np.array_equal(np.asarray(first), np.asarray(last))
    assert np.array_equal(np.asarray(to_display(ds, 14)), np.asarray(last))
    mr = read_dataset(Path(get_testdata_file("MR_small.dcm")))
    assert file_window(mr) == Window(center=600, width=1600)
    with pytest.raises(InputError, match="not a DICOM file"):
        read_dataset(Path(get_testdata_file("README.txt")))


def test_one_value_on_padding_is_shown_white_not_black(tmp_path):
    """No window and every real pixel one value (a segment's label on a label map's frame; found in
    highdicom's test data): it was drawn black, the same as the padding, and the frame looked empty."""
    stored = np.zeros((8, 8), np.uint16)
    stored[2:6, 2:6] = 19
    ds = read_dataset(write_image(tmp_path / "label.dcm", stored, PixelPaddingValue=0))
    image = np.asarray(render_frame(ds, 0))
    assert (image[2:6, 2:6] == 255).all() and image.sum() == 16 * 255
    uniform = read_dataset(write_image(tmp_path / "uniform.dcm", np.full((4, 4), 7, np.uint16)))
    assert (np.asarray(render_frame(uniform, 0)) == 255).all()


def test_a_linear_window_narrower_than_1_is_drawn_exact(tmp_path):
    """An RT image's own window in Gy (width 0.21, found in fo-dicom's test data) was refused as
    'below the minimum', and so was the same window written in case.yaml; LINEAR requires a width of
    at least 1, and the writer meant LINEAR_EXACT."""
    stored = ramp(4, 8, 0, 40000, np.uint16)
    ds = read_dataset(write_image(tmp_path / "dose.dcm", stored, RescaleSlope=5.6e-6, RescaleIntercept=0,
                                  WindowCenter=0.1077, WindowWidth=0.2147))
    dose = stored.astype(np.float64) * 5.6e-6
    expected = np.clip(np.floor(((dose - 0.1077) / 0.2147 + 0.5) * 255 + 0.5), 0, 255)
    assert (np.asarray(render_frame(ds, 0)) == expected).all()
    assert (np.asarray(render_frame(ds, 0, Window(center=0.1077, width=0.2147))) == expected).all()
    assert 0 < expected.mean() < 255


def test_float_pixel_data_is_windowed_exactly(tmp_path):
    """A parametric map of 0..0.94 in Float Pixel Data with its window (center 0.5, width 1, LINEAR),
    as in pydicom-data: the LINEAR formula's half steps made every value above 0 white."""
    values = np.linspace(0.0, 0.94, 32, dtype=np.float32).reshape(4, 8)
    path = write_image(tmp_path / "map.dcm", np.zeros((4, 8), np.uint8), WindowCenter=0.5, WindowWidth=1.0)
    ds = pydicom.dcmread(path)
    del ds.PixelData, ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    ds.BitsAllocated = 32
    ds.FloatPixelData = values.tobytes()
    ds.save_as(path)
    image = np.asarray(render_frame(read_dataset(path), 0))
    assert (image == np.clip(np.floor(values.astype(np.float64) * 255 + 0.5), 0, 255)).all()


@pytest.mark.parametrize("meta", [True, False])
def test_a_file_without_the_preamble_is_read_and_a_text_file_is_not(tmp_path, meta):
    """Files without the 128-byte preamble and DICM (five in pydicom-data; DCMTK shows them) were
    refused as 'not a DICOM file'; with the File Meta group or without it (implicit VR)."""
    ds = pydicom.dcmread(CT_SMALL)
    expected = np.asarray(render_frame(ds, 0))
    ds.preamble = None
    if not meta:
        del ds.file_meta
    path = tmp_path / "bare.dcm"
    ds.save_as(path, enforce_file_format=False, implicit_vr=not meta or None, little_endian=True)
    assert path.read_bytes()[128:132] != b"DICM"
    assert (np.asarray(render_frame(read_dataset(path), 0)) == expected).all()
    text = tmp_path / "notes.dcm"
    text.write_text("Rows: 512\nColumns: 512\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a DICOM file"):
        read_dataset(text)


def test_empty_pixel_data_is_named(tmp_path):
    """fo-dicom's GH1146.dcm: an empty Pixel Data gave "object of type 'NoneType' has no len(); the
    file is truncated" (it is not)."""
    path = write_image(tmp_path / "empty.dcm", np.zeros((4, 4), np.uint16))
    ds = pydicom.dcmread(path)
    ds.PixelData = b""
    ds.save_as(path)
    with pytest.raises(InputError, match="the pixel data is empty") as caught:
        render_frame(read_dataset(path), 0, path=path)
    assert caught.value.field == "(7FE0,0010) Pixel Data"


def test_a_window_of_width_0_is_passed_over_unless_named(tmp_path):
    """A Window Width of 0 breaks PS3.3 C.11.2.1.2 and draws nothing. A case that names no window was
    refused with it; a viewer passes over it to the file's next window or its full range, and so
    does cardgen now. A case that names it (``window: file``) is still told the value."""
    stored = ramp(4, 8, 0, 1000, np.uint16)
    bare = read_dataset(write_image(tmp_path / "bare.dcm", stored))
    only_zero = read_dataset(write_image(tmp_path / "zero.dcm", stored, WindowCenter=500, WindowWidth=0))
    assert (np.asarray(render_frame(only_zero, 0)) == np.asarray(render_frame(bare, 0))).all()
    assert voi_label(only_zero, 0, None) == "full range"
    second = read_dataset(write_image(tmp_path / "second.dcm", stored, WindowCenter=[500, 250],
                                      WindowWidth=[0, 200]))
    expected = np.clip(np.floor(np.vectorize(linear)(stored.astype(np.float64), 250, 200) + 0.5), 0, 255)
    assert (np.asarray(render_frame(second, 0)) == expected).all()
    assert voi_label(second, 0, None) == "W 200 / L 250"
    with pytest.raises(InputError, match="not above 0") as named:
        render_frame(only_zero, 0, FileWindow(0))
    assert named.value.field == "(0028,1051) Window Width"
