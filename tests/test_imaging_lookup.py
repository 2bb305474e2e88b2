"""The greyscale chain through a lookup table gives the pixel-by-pixel result to the bit.

:func:`monochrome_to_display` maps an integer frame through a table computed once per distinct
stored value (a speed-up); :func:`_grey_levels` is the chain applied to every pixel. Random frames
and every kind of transform the chain knows are drawn here (hypothesis); the datasets are built in
memory, no file needed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cardgen.imaging.display import _grey_levels, monochrome_to_display
from cardgen.imaging.windows import FileWindow, VoiFunction, Window

DTYPES = {"uint8": (np.uint8, 0, 255), "int16": (np.int16, -2048, 3071), "uint16": (np.uint16, 0, 4095),
          "int32": (np.int32, -5000, 5000)}


@st.composite
def frames_and_attributes(draw):
    dtype, low, high = DTYPES[draw(st.sampled_from(sorted(DTYPES)))]
    side = draw(st.integers(1, 48))
    seed = draw(st.integers(0, 2**32 - 1))
    spread = draw(st.one_of(st.integers(0, 64), st.integers(0, high - low)))  # narrow: the table path
    start = draw(st.integers(low, high - spread))
    stored = np.random.default_rng(seed).integers(start, start + spread + 1, size=(side, side)).astype(dtype)
    attrs = Dataset()
    modality = draw(st.sampled_from(["none", "rescale", "lut"]))
    if modality == "rescale":
        attrs.RescaleSlope = draw(st.sampled_from(["1", "0.5", "2", "-1", "0.00123"]))
        attrs.RescaleIntercept = draw(st.sampled_from(["0", "-1024", "17.5"]))
    elif modality == "lut":
        item = Dataset()
        entries = draw(st.integers(2, 300))
        item.LUTDescriptor = [entries, start, 16]
        item.ModalityLUTType = "US"
        item.add_new(0x00283006, "US", [(7 * i) % 65536 for i in range(entries)])
        attrs.ModalityLUTSequence = Sequence([item])
    voi = draw(st.sampled_from(["none", "pair", "lut"]))
    if voi == "pair":
        attrs.WindowCenter = str(draw(st.integers(-1000, 3000)))
        attrs.WindowWidth = str(draw(st.integers(1, 4000)))
        attrs.VOILUTFunction = draw(st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]))
    elif voi == "lut":
        item = Dataset()
        item.LUTDescriptor = [256, draw(st.integers(-500, 500)), 8]
        item.add_new(0x00283006, "US", list(range(255, -1, -1)))
        attrs.VOILUTSequence = Sequence([item])
    if draw(st.booleans()):
        attrs.PixelPaddingValue = int(stored.flat[0])
        if draw(st.booleans()):
            attrs.PixelPaddingRangeLimit = int(stored.flat[0]) + draw(st.integers(0, 50))
    window = draw(st.one_of(st.none(), st.just(FileWindow(0)),
                            st.builds(Window, center=st.floats(-2000, 4000), width=st.floats(1, 5000),
                                      function=st.sampled_from(list(VoiFunction)))))
    photometric = draw(st.sampled_from(["MONOCHROME1", "MONOCHROME2"]))
    return stored, attrs, photometric, window


@settings(max_examples=300, deadline=None)
@given(frames_and_attributes())
def test_lookup_table_equals_pixel_by_pixel(case) -> None:
    stored, attrs, photometric, window = case
    if window == FileWindow(0) and "WindowCenter" not in attrs and "VOILUTSequence" not in attrs:
        window = None  # the file's first VOI when it has none: the full range (FileWindow(0) too)
    expected = _grey_levels(stored, attrs, photometric, window, None)
    assert expected.dtype == np.uint8 and expected.shape == stored.shape
    assert np.array_equal(monochrome_to_display(stored, attrs, photometric, window), expected)


def test_a_ct_slice_goes_through_the_table_and_matches() -> None:
    # A 512 x 512 slice of 12-bit CT values (a few thousand distinct values): the table path.
    stored = np.random.default_rng(7).normal(1064, 300, size=(512, 512)).round().clip(-1024, 3071).astype(np.int16)
    attrs = Dataset()
    attrs.RescaleSlope, attrs.RescaleIntercept = "1", "-1024"
    window = Window(center=40, width=400)
    expected = _grey_levels(stored, attrs, "MONOCHROME2", window, None)
    assert len(np.unique(expected)) > 200  # a real spread of grey levels, not a constant image
    assert np.array_equal(monochrome_to_display(stored, attrs, "MONOCHROME2", window), expected)
