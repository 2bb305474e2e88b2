"""The decoders chosen by measurement give the same pixels as pydicom's own choice.

Files: compressed DICOM test files inside the pydicom wheel (RLE and JPEG-LS, lossless and near-lossless).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels import get_decoder

from cardgen.imaging.decode import PREFERRED_DECODERS
from cardgen.imaging.dicom import decoded_pixels, read_dataset

FILES = ["MR_small_RLE.dcm", "SC_rgb_rle_16bit.dcm", "MR_small_jpeg_ls_lossless.dcm", "JPEGLSNearLossless_16.dcm"]


@pytest.mark.parametrize("name", FILES)
def test_preferred_decoder_gives_pydicoms_pixels(name: str) -> None:
    path = Path(get_testdata_file(name))
    ds = read_dataset(path)
    syntax = str(ds.file_meta.TransferSyntaxUID)
    assert syntax in PREFERRED_DECODERS  # each file exercises a preference
    assert PREFERRED_DECODERS[syntax] in get_decoder(syntax).available_plugins
    ours = decoded_pixels(ds, path)
    reference = pydicom.dcmread(path).pixel_array  # pydicom's default plugin order
    assert ours.dtype == reference.dtype
    np.testing.assert_array_equal(ours, reference)
    assert ours.std() > 0  # a real image, not a blank
