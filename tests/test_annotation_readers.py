"""Readers of annotations stored in DICOM: each writes (or takes) a real object and checks that the
shapes read back land where they were drawn.

Test data: CT_small.dcm, rtstruct.dcm and examples_overlay.dcm ship inside the pydicom wheel
(pydicom.data.get_testdata_file); the GSPS (here) and the SR (tests/highdicom_sr.py) are written
with highdicom (0.28) against CT_small.dcm; the overlay dataset in
``test_overlay_regions_are_placed_with_the_overlay_origin`` is CT_small.dcm with an overlay plane
added here.
"""

from __future__ import annotations

import math
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from cardgen.annotations.readers import (
    ImageRef,
    ReadAnnotation,
    SliceGeometry,
    read_annotations,
    reader_for,
    registered_readers,
)
from cardgen.annotations.readers.overlay import connected_boxes
from cardgen.annotations.shapes import Arrow, Ellipse, Point, Polygon, Rect
from cardgen.errors import InputError
from tests.highdicom_sr import write_measurement_report

TOLERANCE = 1e-6  # the readers do arithmetic on the stored values only


@pytest.fixture(scope="module")
def ct() -> pydicom.Dataset:
    # pydicom wheel: a 128 x 128 axial CT slice.
    return pydicom.dcmread(get_testdata_file("CT_small.dcm"))


def _close(a, b, tolerance: float = TOLERANCE) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(np.ravel(a), np.ravel(b)))


def _box(shape) -> tuple[float, float, float, float]:
    return shape.x, shape.y, shape.width, shape.height


# --- GSPS -------------------------------------------------------------------------------------

def _write_gsps(ct: pydicom.Dataset, path: Path) -> None:
    """A GSPS on CT_small with every graphic type, both units, and a text object with an anchor."""
    pixel = hd.pr.AnnotationUnitsValues.PIXEL
    display = hd.pr.AnnotationUnitsValues.DISPLAY
    kind = hd.pr.GraphicTypeValues
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    lesion = hd.pr.GraphicAnnotation(
        referenced_images=[ct], graphic_layer=layer,
        graphic_objects=[
            hd.pr.GraphicObject(kind.CIRCLE, np.array([[40.0, 50.0], [50.0, 50.0]]), units=pixel),
        ],
        text_objects=[
            hd.pr.TextObject("nodule", units=pixel, bounding_box=(80.0, 10.0, 110.0, 20.0),
                             anchor_point=(45.0, 45.0), anchor_point_visible=True),
        ],
    )
    others = hd.pr.GraphicAnnotation(
        referenced_images=[ct], graphic_layer=layer,
        graphic_objects=[
            hd.pr.GraphicObject(kind.POINT, np.array([[10.5, 20.25]]), units=pixel),
            hd.pr.GraphicObject(kind.POLYLINE, np.array([[5.0, 5.0], [25.0, 5.0], [25.0, 15.0], [5.0, 5.0]]),
                                units=pixel),
            hd.pr.GraphicObject(kind.POLYLINE, np.array([[100.0, 100.0], [90.0, 80.0]]), units=pixel),
            hd.pr.GraphicObject(kind.INTERPOLATED, np.array([[60.0, 60.0], [70.0, 65.0], [62.0, 75.0]]),
                                units=pixel),
            hd.pr.GraphicObject(kind.ELLIPSE, np.array([[20.0, 100.0], [40.0, 100.0], [30.0, 95.0], [30.0, 105.0]]),
                                units=pixel),
            hd.pr.GraphicObject(kind.ELLIPSE, np.array([[60.0, 100.0], [80.0, 120.0], [74.0, 106.0], [66.0, 114.0]]),
                                units=pixel),
            hd.pr.GraphicObject(kind.POLYLINE, np.array([[0.25, 0.5], [0.75, 0.5], [0.5, 0.75]]), units=display),
        ],
    )
    gsps = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="TEACHING",
        graphic_layers=[layer], graphic_annotations=[lesion, others],
    )
    gsps.save_as(path)


def test_gsps_graphics_and_text_land_where_they_were_drawn(ct, tmp_path):
    path = tmp_path / "annotations-gsps.dcm"
    _write_gsps(ct, path)
    assert reader_for(path).name == "gsps"

    lesion, *others = read_annotations(path, ImageRef.from_dataset(ct))

    # Item 1: a circle and a text object whose visible anchor line becomes an arrow at the anchor.
    assert lesion.label == "nodule" and lesion.text == "nodule"
    assert lesion.referenced_sop_instance_uid == ct.SOPInstanceUID
    circle, pointer = lesion.shapes
    assert isinstance(circle, Ellipse) and _close(_box(circle), (30.0, 40.0, 20.0, 20.0))
    assert isinstance(pointer, Arrow)
    assert _close(pointer.end, (45.0, 45.0)) and _close(pointer.start, (95.0, 15.0))
    assert circle.label == "nodule"

    # Item 2: every other graphic type, in the order written; untracked, ungrouped and apart, each
    # is its own finding.
    assert all(len(a.shapes) == 1 and a.label is None for a in others)
    assert [a.item for a in others] == [f"GraphicAnnotationSequence[1].GraphicObjectSequence[{i}]" for i in range(7)]
    point, triangle, line, curve, ellipse, tilted, display = (a.shapes[0] for a in others)
    assert isinstance(point, Point) and _close(point.at, (10.5, 20.25))
    assert isinstance(triangle, Polygon) and _close(triangle.points, [(5, 5), (25, 5), (25, 15)])
    assert isinstance(line, Arrow) and _close(line.start, (100, 100)) and _close(line.end, (90, 80))
    assert isinstance(curve, Polygon) and _close(curve.points, [(60, 60), (70, 65), (62, 75)])
    assert isinstance(ellipse, Ellipse) and _close(_box(ellipse), (20.0, 95.0, 20.0, 10.0))
    # A tilted ellipse becomes a polygon on its outline: centre (70, 110), semi-axes 14.14 and 5.66.
    assert isinstance(tilted, Polygon)
    centre = np.mean(np.asarray(tilted.points), axis=0)
    radii = np.hypot(*(np.asarray(tilted.points) - centre).T)
    assert _close(centre, (70.0, 110.0), 1e-9)
    assert math.isclose(radii.max(), math.hypot(10, 10), rel_tol=1e-9)
    assert math.isclose(radii.min(), math.hypot(4, 4), rel_tol=1e-9)
    # DISPLAY units are fractions of the displayed area: here the whole 128 x 128 image.
    assert isinstance(display, Polygon) and _close(display.points, [(32, 64), (96, 64), (64, 96)])


def test_gsps_annotations_for_another_image_are_left_out(ct, tmp_path):
    path = tmp_path / "annotations-gsps.dcm"
    _write_gsps(ct, path)
    other_image = ImageRef(width=128, height=128, sop_instance_uid="1.2.3.4")
    assert read_annotations(path, other_image) == []


def test_gsps_text_anchored_into_a_drawing_without_a_line_adds_no_mark(ct, tmp_path):
    """A boxed text whose anchor lies in a drawing and is not shown (Anchor Point Visibility N, as
    highdicom writes with anchor_point_visible=False) names that drawing; a point marker was added
    at its anchor, a cross-hair the viewer never showed, inside the outline."""
    pixel = hd.pr.AnnotationUnitsValues.PIXEL
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    outline = np.array([[10.0, 100.0], [20.0, 110.0], [10.0, 120.0], [10.0, 100.0]])
    path = tmp_path / "gsps.dcm"
    hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests",
        software_versions="1", device_serial_number="1", content_label="TEACHING", graphic_layers=[layer],
        graphic_annotations=[hd.pr.GraphicAnnotation(
            referenced_images=[ct], graphic_layer=layer,
            graphic_objects=[hd.pr.GraphicObject(hd.pr.GraphicTypeValues.POLYLINE, outline, units=pixel)],
            text_objects=[hd.pr.TextObject("Rib 7", units=pixel, bounding_box=(30.0, 100.0, 60.0, 110.0),
                                           anchor_point=(13.0, 110.0), anchor_point_visible=False)])],
    ).save_as(path)

    [finding] = read_annotations(path, ImageRef.from_dataset(ct))
    assert finding.text == "Rib 7"
    [triangle] = finding.shapes
    assert isinstance(triangle, Polygon) and _close(triangle.points, [(10, 100), (20, 110), (10, 120)])


# --- SR TID 1500 ------------------------------------------------------------------------------

def test_sr_planar_rois_land_where_they_were_drawn(ct, tmp_path):
    path = tmp_path / "measurements.dcm"
    write_measurement_report(ct, path)
    assert reader_for(path).name == "sr"

    by_label = {a.label: a for a in read_annotations(path, ImageRef.from_dataset(ct))}

    assert sorted(by_label) == ["circle", "ellipse", "point", "polyline"]
    assert all(a.text == "Nodule" and a.referenced_sop_instance_uid == ct.SOPInstanceUID
               for a in by_label.values())
    (square,) = by_label["polyline"].shapes
    assert isinstance(square, Polygon) and _close(square.points, [(10, 10), (30, 10), (30, 30), (10, 30)])
    (circle,) = by_label["circle"].shapes
    assert isinstance(circle, Ellipse) and _close(_box(circle), (54.0, 54.0, 20.0, 20.0))
    # Major axis vertical (90,40)-(90,60), minor horizontal (85,50)-(95,50).
    (ellipse,) = by_label["ellipse"].shapes
    assert isinstance(ellipse, Ellipse) and _close(_box(ellipse), (85.0, 40.0, 10.0, 20.0))
    (point,) = by_label["point"].shapes
    assert isinstance(point, Point) and _close(point.at, (100.25, 12.75))
    assert all(shape.label == label for label, a in by_label.items() for shape in a.shapes)


def test_sr_that_is_not_a_measurement_report_is_refused():
    # pydicom wheel: test-SR.dcm, a Comprehensive SR that is not a TID 1500 measurement report
    # (highdicom already stops at its root content item).
    path = Path(get_testdata_file("test-SR.dcm"))
    assert reader_for(path).name == "sr"
    with pytest.raises(InputError, match="structured report") as caught:
        read_annotations(path, ImageRef(width=128, height=128))
    assert caught.value.file == path and "TID 1500" in caught.value.hint


# --- RTSTRUCT ---------------------------------------------------------------------------------

# pydicom's rtstruct.dcm has no image with it: its ROI "patient" has closed contours on the axial
# planes z = -200, -190 and -180 mm, and two isocentre points at (0, 0, 0), all in one frame of
# reference. The slice below is built to hold them: axial, first pixel centre at (-250, -250),
# columns 1 mm apart, rows 2 mm apart (unequal, so a swapped spacing shows), 5 mm thick.
RT_FRAME_OF_REFERENCE = "1.2.826.0.1.3680043.8.498.2010020400001.2"


def _slice(z: float, frame_of_reference: str = RT_FRAME_OF_REFERENCE) -> ImageRef:
    geometry = SliceGeometry(position=(-250.0, -250.0, z), row_direction=(1.0, 0.0, 0.0),
                             column_direction=(0.0, 1.0, 0.0), row_spacing=2.0, column_spacing=1.0,
                             thickness=5.0, frame_of_reference_uid=frame_of_reference)
    return ImageRef(width=500, height=250, geometry=geometry)


def _rt_pixel(x_mm: float, y_mm: float) -> tuple[float, float]:
    """Where a patient point falls on the test slice (pixel centres at index + 0.5)."""
    return (x_mm + 250.0) / 1.0 + 0.5, (y_mm + 250.0) / 2.0 + 0.5


def test_rtstruct_contours_on_the_slice_are_projected_onto_it():
    path = Path(get_testdata_file("rtstruct.dcm"))
    source = pydicom.dcmread(path, force=True)  # the file has no preamble
    assert reader_for(path).name == "rtstruct"

    (patient,) = read_annotations(path, _slice(-190.0))

    # Only the z = -190 contour: the others lie 10 mm away, beyond half the 5 mm thickness.
    assert patient.label == "patient"
    (outline,) = patient.shapes
    contour_mm = np.asarray(source.ROIContourSequence[0].ContourSequence[1].ContourData, dtype=float).reshape(-1, 3)
    assert isinstance(outline, Polygon)
    assert _close(outline.points, [_rt_pixel(x, y) for x, y, _ in contour_mm])
    assert _close(outline.points[0], (450.5, 125.5))  # (200, 0) mm


def test_rtstruct_points_and_slices_without_contours():
    path = Path(get_testdata_file("rtstruct.dcm"))
    on_isocentre = read_annotations(path, _slice(1.0))  # within 2.5 mm of z = 0
    assert [(a.label, a.shapes) for a in on_isocentre] == [
        ("Isocenter 1", (Point(_rt_pixel(0.0, 0.0), label="Isocenter 1"),)),
        ("Isocenter 2", (Point(_rt_pixel(0.0, 0.0), label="Isocenter 2"),)),
    ]
    assert read_annotations(path, _slice(-100.0)) == []


def test_rtstruct_needs_a_slice_in_its_frame_of_reference(ct):
    path = Path(get_testdata_file("rtstruct.dcm"))
    with pytest.raises(InputError, match="another frame of reference"):
        read_annotations(path, _slice(-190.0, frame_of_reference="1.2.3"))
    with pytest.raises(InputError, match="DICOM slice") as caught:
        read_annotations(path, ImageRef(width=500, height=250))
    assert caught.value.file == path


def test_slice_geometry_from_ct_small(ct):
    geometry = ImageRef.from_dataset(ct).geometry
    assert geometry is not None and geometry.thickness == 5.0
    # The first pixel's centre projects to (0.5, 0.5), the last one's to (127.5, 127.5).
    last = np.asarray(ct.ImagePositionPatient, dtype=float) + 127 * float(ct.PixelSpacing[0]) * np.array([1, 1, 0])
    pixels, distance = geometry.to_pixels(np.array([ct.ImagePositionPatient, last], dtype=float))
    assert _close(pixels, [(0.5, 0.5), (127.5, 127.5)], 1e-9) and _close(distance, [0.0, 0.0], 1e-9)


# --- overlays ---------------------------------------------------------------------------------

def test_overlay_regions_in_examples_overlay():
    # pydicom wheel: examples_overlay.dcm, a 484 x 300 image whose overlay 6000 holds a hand-drawn
    # outline, the word "Tra" and a small box at the bottom edge.
    path = Path(get_testdata_file("examples_overlay.dcm"))
    ds = pydicom.dcmread(path)
    (overlay,) = read_annotations(path, ImageRef.from_dataset(ds))
    boxes = sorted(_box(shape) for shape in overlay.shapes)
    assert (46.0, 139.0, 35.0, 35.0) in boxes  # the outline
    assert len(boxes) == 6
    assert overlay.label is None and overlay.referenced_sop_instance_uid == ds.SOPInstanceUID


def test_overlay_regions_are_placed_with_the_overlay_origin(ct, tmp_path):
    bitmap = np.zeros((20, 30), dtype=np.uint8)
    bitmap[2:6, 3:9] = 1      # a filled box
    bitmap[10:15, 20] = 1     # a vertical stroke
    bitmap[10, 21:25] = 1     # joined to it diagonally-adjacent: one region
    bitmap[18, 0] = 1         # a one-pixel speck: skipped
    ds = ct.copy()
    ds.add_new(0x60000010, "US", bitmap.shape[0])
    ds.add_new(0x60000011, "US", bitmap.shape[1])
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [11, 21])  # row 11, column 21 (from 1)
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", pydicom.pixels.pack_bits(bitmap))
    path = tmp_path / "with-overlay.dcm"
    ds.save_as(path)

    (overlay,) = read_annotations(path, ImageRef.from_dataset(ds))

    assert [_box(shape) for shape in overlay.shapes] == [(23.0, 12.0, 6.0, 4.0), (40.0, 20.0, 5.0, 5.0)]
    assert all(isinstance(shape, Rect) for shape in overlay.shapes)


def test_connected_boxes_joins_diagonal_neighbours():
    bitmap = np.eye(5, dtype=bool)
    assert connected_boxes(bitmap) == [(0, 0, 4, 4)]
    assert connected_boxes(bitmap, min_pixels=6) == []


# --- registry ---------------------------------------------------------------------------------

def test_every_reader_shares_the_interface():
    readers = registered_readers()
    assert [r.name for r in readers] == ["gsps", "sr", "seg", "rtstruct", "overlay"]
    for reader in readers:
        assert callable(reader.accepts) and callable(reader.read)


def test_a_file_no_reader_understands_is_an_input_error(ct):
    path = Path(get_testdata_file("CT_small.dcm"))  # an image without overlays
    with pytest.raises(InputError, match="no annotation reader") as caught:
        read_annotations(path, ImageRef.from_dataset(ct))
    assert caught.value.field == "(0008,0016) SOP Class UID"
    assert "gsps, sr, seg, rtstruct, overlay" in str(caught.value)


def test_unreferenced_annotations_apply_to_any_image_and_frames_must_match():
    anywhere = ReadAnnotation((Point((1.0, 1.0)),))
    on_frame = ReadAnnotation((Point((1.0, 1.0)),), referenced_sop_instance_uid="1.2", referenced_frame=2)
    assert anywhere.applies_to(ImageRef(10, 10, sop_instance_uid="9.9"))
    assert on_frame.applies_to(ImageRef(10, 10, sop_instance_uid="1.2", frame=2))
    assert not on_frame.applies_to(ImageRef(10, 10, sop_instance_uid="1.2", frame=0))
    assert not on_frame.applies_to(ImageRef(10, 10, sop_instance_uid="1.3", frame=2))
