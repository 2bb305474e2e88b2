"""Teaching files as a PACS holds them, made here for the Orthanc tests.

Every object is written in this file: synthetic CT slices (pydicom, a bright disc on a soft-tissue
background) that carry planted identifiers in the places PS3.15 Annex E names (and a private tag,
and the free-text descriptions), then, with highdicom, a GSPS with a circle, an arrow-like polyline
and a text label on one key image, a TID 1500 SR with a planar ROI on another, and a Key Object
Selection document titled "For Teaching" (DCM 113004) that selects the key images and says in its
description what the radiologist wanted taught (with the patient's name in it, as people write).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sr.codedict import codes
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

IMAGE_SIDE = 256  # 128 KiB of pixels per slice: large enough that a cut transfer cuts inside one


@dataclass(frozen=True)
class Patient:
    """The identifiers planted in one patient's study; every one must be gone after a pull."""

    name: str  # DICOM PN, Family^Given
    patient_id: str
    birth_date: str
    accession: str
    institution: str
    referring: str
    operator: str
    address: str
    phone: str

    def planted(self) -> list[str]:
        """Every planted value as it could be written anywhere (names in both orders too)."""
        family, given = self.name.split("^")
        return [self.name, f"{given} {family}", family, self.patient_id, self.birth_date,
                f"{self.birth_date[:4]}-{self.birth_date[4:6]}-{self.birth_date[6:]}", self.accession,
                self.institution, self.referring.split("^")[0], self.operator.split("^")[0],
                self.address, self.phone]


DOE = Patient(name="Quillfeather^Janetta", patient_id="MRN-4417-2093", birth_date="19610317",
              accession="ACC7731904", institution="Saint Elsewhere General Hospital",
              referring="Hawthornely^Gregor", operator="Tremaynor^Bess",
              address="17 Larkspur Lane, Brindlemoor", phone="555-0142-889")
ROE = Patient(name="Vantongeren^Rikard", patient_id="MRN-9902-1187", birth_date="19770629",
              accession="ACC5520417", institution="Saint Elsewhere General Hospital",
              referring="Hawthornely^Gregor", operator="Pellingham^Otis",
              address="4 Quarry Row, Ashcombe", phone="555-0199-314")


@dataclass
class TeachingStudy:
    """One study: its slices, the annotation objects and the KOS, as pydicom datasets."""

    slices: list[Dataset]
    gsps: Dataset
    sr: Dataset
    kos: Dataset
    key_images: list[Dataset]  # in the KOS's order
    finding: str = ""  # what the GSPS label and the KOS description name
    extra: list[Dataset] = field(default_factory=list)

    def all(self) -> list[Dataset]:
        return [*self.slices, self.gsps, self.sr, self.kos, *self.extra]


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def ct_slice(patient: Patient, study_uid: str, series_uid: str, frame_of_reference: str, index: int,
             study_date: str, *, disc_at: tuple[int, int] = (96, 128)) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.FrameOfReferenceUID = frame_of_reference
    ds.Modality, ds.BodyPartExamined = "CT", "CHEST"
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = patient.name, patient.patient_id, patient.birth_date
    ds.PatientSex, ds.PatientAge = "F", "063Y"
    ds.PatientAddress, ds.PatientTelephoneNumbers = patient.address, patient.phone
    ds.OtherPatientIDs = patient.patient_id.replace("MRN", "OLD")
    ds.AccessionNumber, ds.StudyID = patient.accession, "77120"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = study_date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "101502"
    ds.InstitutionName, ds.InstitutionAddress = patient.institution, patient.address
    ds.ReferringPhysicianName, ds.OperatorsName = patient.referring, patient.operator
    ds.StationName = "CTELSEWHERE4"
    ds.StudyDescription = f"CT chest for {patient.name.replace('^', ' ')}"
    ds.SeriesDescription = "Axial 5mm"
    ds.ImageComments = f"Requested by {patient.referring}; MRN {patient.patient_id}"
    ds.Manufacturer, ds.ManufacturerModelName = "cardgen tests", "synthetic"
    ds.SeriesNumber, ds.InstanceNumber = 2, index + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.ImagePositionPatient = [-128.0, -128.0, float(-5 * index)]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing, ds.SliceThickness = [1.0, 1.0], 5.0
    ds.Rows = ds.Columns = IMAGE_SIDE
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.BurnedInAnnotation = "NO"
    yy, xx = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE]
    hu = np.full((IMAGE_SIDE, IMAGE_SIDE), 40, dtype=np.int16)
    hu[(xx - disc_at[0]) ** 2 + (yy - disc_at[1]) ** 2 < (12 + index) ** 2] = 300
    hu += (np.arange(IMAGE_SIDE, dtype=np.int16) % 7)[None, :]  # some texture: not a flat file
    ds.PixelData = (hu + 1024).astype(np.int16).tobytes()
    private = ds.private_block(0x0011, "SAINT ELSEWHERE PACS", create=True)
    private.add_new(0x01, "LO", f"{patient.name} {patient.patient_id}")
    return ds


def _device_observer() -> hd.sr.ObserverContext:
    return hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(uid=hd.UID()))


def teaching_study(patient: Patient, *, slices: int = 4, study_date: str = "20240212",
                   description: str = "", finding: str = "nodule") -> TeachingStudy:
    """A CT study with a GSPS on slice 1, an SR on slice 2 and a KOS selecting slices 1, 2 (that order)."""
    study_uid, series_uid, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    images = [ct_slice(patient, study_uid, series_uid, frame_of_reference, i, study_date) for i in range(slices)]
    first, second = images[1], images[2]

    gsps = presentation_state(first, finding, patient)

    source = hd.sr.SourceImageForRegion.from_source_image(second)
    group = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="lesion 1"),
        referenced_region=hd.sr.ImageRegion(graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                                            graphic_data=np.array([[80.0, 112.0], [116.0, 112.0],
                                                                   [116.0, 146.0], [80.0, 146.0],
                                                                   [80.0, 112.0]]),
                                            source_image=source),
        finding_type=codes.SCT.Mass,
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=None,
                                                     observer_device_context=_device_observer()),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion, imaging_measurements=[group])
    sr = hd.sr.Comprehensive3DSR(
        evidence=[second], content=report[0], series_instance_uid=hd.UID(), series_number=91,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
        institution_name=patient.institution)

    family, given = patient.name.split("^")
    kos = key_object_selection(
        [first, second],
        description=description or f"{given} {family} ({patient.patient_id}): 63F, smoker. "
                                   f"Solitary pulmonary {finding} on staging CT.")
    return TeachingStudy(slices=images, gsps=gsps, sr=sr, kos=kos, key_images=[first, second], finding=finding)


def presentation_state(image: Dataset, finding: str, patient: Patient, *, series_number: int = 90,
                       window: tuple[float, float] | None = (50.0, 350.0)) -> Dataset:
    """A GSPS on ``image``: a circle round the disc and a text label ``finding`` anchored on it."""
    pixel = hd.pr.AnnotationUnitsValues.PIXEL
    layer = hd.pr.GraphicLayer(layer_name="TEACHING", order=1)
    annotation = hd.pr.GraphicAnnotation(
        referenced_images=[image], graphic_layer=layer,
        graphic_objects=[hd.pr.GraphicObject(hd.pr.GraphicTypeValues.CIRCLE,
                                             np.array([[96.0, 128.0], [110.0, 128.0]]), units=pixel)],
        text_objects=[hd.pr.TextObject(finding, units=pixel, bounding_box=(130.0, 100.0, 200.0, 115.0),
                                       anchor_point=(108.0, 124.0), anchor_point_visible=True)],
    )
    voi = [hd.pr.SoftcopyVOILUTTransformation(window_center=window[0], window_width=window[1])] if window else None
    return hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[image], series_instance_uid=hd.UID(), series_number=series_number,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
        manufacturer_model_name="viewer", software_versions="1", device_serial_number="SN-ELSEWHERE-1",
        content_label="TEACHING", graphic_layers=[layer], graphic_annotations=[annotation],
        voi_lut_transformations=voi, content_creator_name=patient.referring,
        institution_name=patient.institution,
    )


def segmentation(image: Dataset, label: str, *, series_number: int = 92) -> Dataset:
    """A binary SEG on ``image`` with one segment, ``label``, over the bright disc."""
    from pydicom.sr.codedict import codes as sr_codes

    side = int(image.Rows)
    yy, xx = np.mgrid[0:side, 0:side]
    mask = ((xx - 96) ** 2 + (yy - 128) ** 2 < 12 ** 2).astype(np.uint8)
    segment = hd.seg.SegmentDescription(
        segment_number=1, segment_label=label, segmented_property_category=sr_codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=sr_codes.SCT.Nodule, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
    return hd.seg.Segmentation(
        source_images=[image], pixel_array=mask, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[segment], series_instance_uid=hd.UID(), series_number=series_number,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
        manufacturer_model_name="segmenter", software_versions="1", device_serial_number="SN-ELSEWHERE-2")


def key_object_selection(key_images: list[Dataset], *, description: str,
                         title=codes.DCM.ForTeaching, series_number: int = 99) -> Dataset:
    """A KOS document titled ``title`` selecting ``key_images`` in this order."""
    content = hd.ko.KeyObjectSelection(document_title=title, referenced_objects=key_images,
                                       observer_device_context=_device_observer(), description=description)
    return hd.ko.KeyObjectSelectionDocument(
        evidence=key_images, content=content, series_instance_uid=hd.UID(), series_number=series_number,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="cardgen tests",
        institution_name=key_images[0].get("InstitutionName"))


def unique_strings(study: TeachingStudy) -> set[str]:
    """Every UID of the study's objects: none may survive de-identification."""
    uids: set[str] = set()

    def collect(ds: Dataset) -> None:
        for elem in ds:
            if elem.VR == "SQ":
                for item in elem.value:
                    collect(item)
            elif elem.VR == "UI" and elem.value:
                for value in (elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue))
                              else [elem.value]):
                    if not pydicom.uid.UID(value).is_valid or pydicom.uid.UID(value).name == value:
                        uids.add(str(value))
    for ds in study.all():
        collect(ds)
    return uids
