"""Burned-in text: which images are refused without review, and masking rectangles black."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from cardgen.annotations.shapes import Rect
from cardgen.errors import InputError
from cardgen.deid.burned_in import BurnedInAnnotation, BurnedInFacts, burned_in_reason, check_burned_in
from cardgen.imaging.masks import mask_rectangles

# Files inside the pydicom wheel (pydicom/data/test_files); none of them has (0028,0301).
# (file, modality, refused without review?)
PYDICOM_FILES = [
    ("CT_small.dcm", "CT", False),
    ("MR_small.dcm", "MR", False),
    ("examples_palette.dcm", "US", True),         # Ultrasound Image Storage
    ("examples_ybr_color.dcm", "US", True),       # Ultrasound Multi-frame Image Storage
    ("SC_rgb_rle.dcm", "OT", True),               # Secondary Capture, modality OT
    ("JPEG2000.dcm", "NM", True),                 # Secondary Capture SOP class, modality NM
    ("GDCMJ2K_TextGBR.dcm", None, True),          # Secondary Capture, no modality at all
    ("rtdose.dcm", "RTDOSE", False),
]


def header(name: str):
    return pydicom.dcmread(get_testdata_file(name), stop_before_pixels=True)


@pytest.mark.parametrize(("name", "modality", "refused"), PYDICOM_FILES)
def test_pydicom_test_files(name: str, modality: str | None, refused: bool) -> None:
    ds = header(name)
    assert "BurnedInAnnotation" not in ds
    assert ds.get("Modality") == modality
    path = Path(name)
    if refused:
        with pytest.raises(InputError) as caught:
            check_burned_in(ds, reviewed=False, path=path)
        message = str(caught.value)
        assert message.count("(0028,0301) Burned In Annotation") == 1
        assert "burned_in: reviewed" in message
        assert name in message
        assert (modality in message) if modality in {"US", "OT"} else ("Secondary Capture" in message)
    else:
        check_burned_in(ds, reviewed=False, path=path)
    # A person's review lets every one of them through.
    check_burned_in(ds, reviewed=True, path=path)


@pytest.mark.parametrize(("value", "modality", "refused"), [
    ("YES", "CT", True),
    ("YES", "MR", True),
    ("NO", "US", False),
    ("NO", "OT", False),
    ("", "US", True),
    ("", "CT", False),
    ("MAYBE", "CT", True),     # not a defined term: treated like YES
])
def test_generated_headers(value: str, modality: str, refused: bool) -> None:
    ds = header("CT_small.dcm")  # a real header, then changed here
    ds.Modality = modality
    ds.BurnedInAnnotation = value
    if refused:
        with pytest.raises(InputError, match=r"\(0028,0301\) Burned In Annotation"):
            check_burned_in(ds, reviewed=False, path=Path("img.dcm"))
    else:
        check_burned_in(ds, reviewed=False, path=Path("img.dcm"))


def test_yes_is_reported_with_its_value() -> None:
    ds = header("CT_small.dcm")
    ds.BurnedInAnnotation = "YES"
    with pytest.raises(InputError) as caught:
        check_burned_in(ds, reviewed=False, path=Path("case/img.dcm"))
    assert caught.value.value == "YES"
    assert caught.value.field == "(0028,0301) Burned In Annotation"
    assert "is YES" in caught.value.problem
    assert str(caught.value).count("(0028,0301)") == 1


def test_conversion_type_marks_a_secondary_capture() -> None:
    facts = BurnedInFacts(modality="CT", conversion_type="WSD")
    assert "secondary capture" in burned_in_reason(facts)


def test_raster_exports_need_review() -> None:
    facts = BurnedInFacts.for_raster()
    with pytest.raises(InputError) as caught:
        check_burned_in(facts, reviewed=False, path=Path("case/screen.png"), field="images[1]")
    assert caught.value.field == "images[1]" and "PNG/JPEG" in caught.value.problem
    check_burned_in(facts, reviewed=True, path=Path("case/screen.png"))


def test_facts_from_dataset() -> None:
    ds = header("JPEG2000.dcm")
    facts = BurnedInFacts.from_dataset(ds)
    assert facts == BurnedInFacts(BurnedInAnnotation.ABSENT, "NM", "1.2.840.10008.5.1.4.1.1.7", "WSD")


# --- masking ---------------------------------------------------------------------------------

def test_mask_grayscale_exact_pixels() -> None:
    image = Image.fromarray(np.full((10, 20), 200, dtype=np.uint8), mode="L")
    masked = mask_rectangles(image, [Rect(x=2, y=3, width=4, height=2)])
    pixels = np.asarray(masked)
    assert (pixels[3:5, 2:6] == 0).all()
    assert pixels.sum() == 200 * (200 - 8)  # exactly 8 pixels blacked out
    assert np.asarray(image).min() == 200  # the original is untouched


def test_mask_rgb_rounds_outwards_and_clips() -> None:
    image = Image.new("RGB", (8, 8), (255, 128, 0))
    masked = mask_rectangles(image, [Rect(x=5.5, y=-2, width=10, height=3.2)])
    pixels = np.asarray(masked)
    assert (pixels[0:2, 5:8] == 0).all()      # y -2..1.2 -> rows 0..1, x 5.5.. -> cols 5..7
    assert (pixels[2:, :] == (255, 128, 0)).all()
    assert (pixels[:, :5] == (255, 128, 0)).all()


def test_mask_outside_the_image_is_an_error() -> None:
    image = Image.new("L", (8, 8), 255)
    with pytest.raises(InputError, match="covers no pixel") as caught:
        mask_rectangles(image, [Rect(x=1, y=1, width=2, height=2), Rect(x=20, y=20, width=5, height=5)])
    assert caught.value.field == "mask[1]"


def test_mask_on_a_real_ultrasound_frame() -> None:
    from cardgen.imaging.dicom import DicomSource

    path = Path(get_testdata_file("examples_palette.dcm"))  # pydicom wheel, US palette colour
    image = DicomSource().read(path, None, None)
    masked = mask_rectangles(image, [Rect(x=0, y=0, width=image.width, height=20)])
    top = np.asarray(masked)[:20]
    assert top.max() == 0
    assert np.asarray(masked)[20:].max() > 0
