"""Identifiers written another way than the header: none may reach a deck.

Each planted case copies pydicom's CT_small.dcm (inside the pydicom wheel) with identifying values
planted in its header, and writes one of them in its own text the way a person might: a name part
alone, an initial, Markdown inside, invisible characters, full-width letters, an ideographic name,
a date in another format, an ID with separators; in every text field, in a shape label (drawn
into the image's pixels) and through an overlay. One build with ``--keep-going`` holds them all
beside one clean case: every planted case must fail, naming its case file and field, and the deck
written from the clean case must carry none of the planted values, in the package's bytes or in
the collection and media after import into the real Anki backend.

The real ultrasound file is pydicom's ``examples_ybr_color.dcm`` (a 27 KB private XML value).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from click.testing import CliRunner
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from cardgen.cli import main
from cardgen.deid.database import ANKI_COLLECTION
from cardgen.deid.text import words
from cardgen.deid.matcher import ValueMatcher
from cardgen.deid.values import identifying_items, identifying_values
from tests.anki_helpers import import_package
from tests.sample_cases import CT_SMALL, GOOD_CASE

ULTRASOUND = Path(get_testdata_file("examples_ybr_color.dcm"))

# The header every planted case starts from (besides CT_small's own values).
HEADER = {
    "PatientName": "Zyqrab^Johnathan^Quincy^Dr^Jr",
    "PatientID": "4471902",
    "PatientBirthDate": "19790314",
    "StudyDate": "20240301",
    "AccessionNumber": "ACC7781234",
    "ReferringPhysicianName": "Qwelt^Marla",
    "OtherPatientIDs": "AB-55123",
    "ImageComments": "Patient Sally Smith MRN 33445566",
}


@dataclass(frozen=True)
class Plant:
    """One planted identifier: where it is typed, what is typed, and header changes."""

    name: str
    field: str  # history, title, diagnosis, finding, label, shape_label, differential, teaching_point
    text: str
    header: tuple[tuple[str, object], ...] = ()
    shown: str = ""  # the field as the error names it (defaults from ``field``)


def _private(ds: Dataset, creator: str, value: str) -> None:
    ds.private_block(0x0011, creator, create=True).add_new(0x01, "LO", value)


PLANTS = [
    # --- names, by component and however written ---------------------------------------------
    Plant("family name alone", "history", "Seen by Zyqrab last week."),
    Plant("given family, middle and prefix dropped", "title", "Johnathan Zyqrab"),
    Plant("initial and family", "diagnosis", "J. Zyqrab"),
    Plant("family comma given", "finding", "ZYQRAB, JOHNATHAN"),
    Plant("Markdown inside", "teaching_point", "**Johnathan** Zyqrab"),
    Plant("HTML inside a word", "differential", "Zyq<b>rab</b>"),
    Plant("soft hyphen inside", "history", "Patient Zyq\u00adrab"),
    Plant("zero-width space inside", "title", "Zy\u200bqrab"),
    Plant("zero-width joiner inside", "diagnosis", "Zyq\u200drab"),
    Plant("full-width letters", "finding", "\uff3a\uff39\uff31\uff32\uff21\uff22"),
    Plant("accent added", "history", "Zyqr\u00e1b"),
    Plant("given name alone", "teaching_point", "Johnathan was scanned"),
    Plant("middle name alone", "differential", "Quincy"),
    Plant("upper case", "history", "ZYQRAB"),
    Plant("name in a shape label (drawn into pixels)", "shape_label", "Zyqrab"),
    Plant("name in a finding label", "label", "J Zyqrab"),
    Plant("referring physician alone", "history", "Referred by Dr Qwelt."),
    Plant("ideographic name joined", "history", "\u5c71\u7530\u592a\u90ce",
          (("PatientName", "YAMADA^TARO=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046"),)),
    Plant("ideographic family name", "title", "\u5c71\u7530\u3055\u3093",
          (("PatientName", "YAMADA^TARO=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046"),)),
    Plant("phonetic name", "diagnosis", "\u3084\u307e\u3060 \u305f\u308d\u3046",
          (("PatientName", "YAMADA^TARO=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046"),)),
    Plant("alphabetic group of a multi-group name", "finding", "Taro Yamada",
          (("PatientName", "YAMADA^TARO=\u5c71\u7530^\u592a\u90ce"),)),
    # --- IDs with separators ------------------------------------------------------------------
    Plant("ID with a dash", "history", "MRN 447-1902"),
    Plant("ID with spaces", "title", "447 1902"),
    Plant("ID glued to letters", "diagnosis", "MRN4471902"),
    Plant("ID in a shape label", "shape_label", "#4471902"),
    Plant("other ID without its dash", "finding", "ab55123"),
    Plant("accession number split", "teaching_point", "ACC 7781234"),
    # --- dates in every common written form ---------------------------------------------------
    Plant("birth date dd/mm/yyyy", "history", "born 14/03/1979"),
    Plant("birth date dd.mm.yyyy", "title", "14.03.1979"),
    Plant("birth date mm/dd/yyyy", "diagnosis", "03/14/1979"),
    Plant("birth date ISO", "finding", "1979-03-14"),
    Plant("birth date d Month yyyy", "teaching_point", "14 March 1979"),
    Plant("birth date Month dth, yyyy", "differential", "March 14th, 1979"),
    Plant("birth date dd-Mon-yyyy", "label", "14-Mar-1979"),
    Plant("birth date d/m/yyyy", "history", "14/3/1979"),
    Plant("birth date dd/mm/yy", "history", "14/03/79"),
    Plant("study date d Month yyyy", "history", "scanned 1 March 2024"),
    Plant("study date mm/dd/yyyy", "title", "03/01/2024"),
    Plant("study date yyyy/mm/dd", "shape_label", "2024/03/01"),
    Plant("study date first of March", "history", "on the 1st of March 2024"),
    # --- values that were never searched ------------------------------------------------------
    Plant("name inside a long free-text value", "history", "Sally Smith"),
    Plant("MRN inside a long free-text value", "finding", "MRN 33445566"),
    Plant("private value without a digit", "history", "Seen with Marlo Quibbs",
          (("private", ("CARDGEN TEST", "Marlo Quibbs")),)),
    Plant("private creator value", "title", "Dorrit Vexley",
          (("private", ("Dorrit Vexley", "x")),)),
    Plant("overlay comments", "history", "Brant Oxley",
          (("element", (0x60004000, "LT", "Seen for Brant Oxley")),)),
    Plant("overlay description", "diagnosis", "55667788",
          (("element", (0x60000022, "LO", "Oxley 55667788")),)),
    Plant("file meta Source AE Title", "history", "sent from QWELTPC1",
          (("meta", ("SourceApplicationEntityTitle", "QWELTPC1")),)),
]


def _case_yaml(case_id: str, plant: Plant) -> str:
    text = GOOD_CASE.format(case_id=case_id)
    quoted = '"' + plant.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if plant.field == "history":
        return text.replace("history: Test history.", f"history: {quoted}")
    if plant.field == "title":
        return text.replace("title: Vertebral body", f"title: {quoted}")
    if plant.field == "diagnosis":
        return text.replace("diagnosis: Normal vertebra", f"diagnosis: {quoted}")
    if plant.field == "finding":
        return text.replace("  - text: Vertebral body", f"  - text: {quoted}")
    if plant.field == "label":
        return text.replace("    image: axial\n    shapes:", f"    image: axial\n    label: {quoted}\n    shapes:")
    if plant.field == "shape_label":
        return text.replace("height: 38}", f"height: 38, label: {quoted}}}")
    if plant.field == "differential":
        return text + f"differential: [{quoted}]\n"
    if plant.field == "teaching_point":
        return text + f"teaching_points: [{quoted}]\n"
    raise AssertionError(plant.field)


FIELD_NAMES = {"history": "history", "title": "title", "diagnosis": "diagnosis", "finding": "findings[0].text",
               "label": "findings[0].label", "shape_label": "findings[0].shapes[0].label",
               "differential": "differential[0]", "teaching_point": "teaching_points[0]"}


def _planted_file(path: Path, plant: Plant) -> None:
    ds = pydicom.dcmread(CT_SMALL)
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: ideographic and phonetic names
    for keyword, value in HEADER.items():
        setattr(ds, keyword, value)
    for kind, value in plant.header:
        if kind == "private":
            _private(ds, *value)
        elif kind == "element":
            ds.add_new(*value)
        elif kind == "meta":
            setattr(ds.file_meta, *value)
        else:
            setattr(ds, kind, value)
    ds.save_as(path, enforce_file_format=True)


def _write_planted_cases(cases: Path) -> None:
    for index, plant in enumerate(PLANTS):
        folder = cases / f"p{index:02d}"
        folder.mkdir(parents=True)
        (folder / "case.yaml").write_text(_case_yaml(f"planted-{index:02d}", plant), encoding="utf-8")
        _planted_file(folder / "ct.dcm", plant)
    clean = cases / "clean"
    clean.mkdir()
    (clean / "case.yaml").write_text(GOOD_CASE.format(case_id="clean"), encoding="utf-8")
    _planted_file(clean / "ct.dcm", Plant("clean", "history", ""))


def test_there_are_at_least_forty_written_variants() -> None:
    assert len(PLANTS) >= 40
    assert {plant.field for plant in PLANTS} == set(FIELD_NAMES)
    assert len({plant.name for plant in PLANTS}) == len(PLANTS)


@pytest.fixture(scope="module")
def planted_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    cases = root / "cases"
    _write_planted_cases(cases)
    out = root / "out.apkg"
    result = CliRunner().invoke(main, ["build", str(cases), "-o", str(out), "--keep-going", "--no-cache", "-j", "1"])
    return root, out, result


def test_every_planted_case_fails_naming_its_file_and_field(planted_build) -> None:
    root, _out, result = planted_build
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    missing = []
    for index, plant in enumerate(PLANTS):
        case_file = str(root / "cases" / f"p{index:02d}" / "case.yaml")
        field = FIELD_NAMES[plant.field]
        if not [line for line in lines if case_file in line and f": {field}: holds " in line]:
            missing.append((plant.name, case_file, field))
    assert missing == [], result.output
    assert f"{len(PLANTS)} case(s) failed" in result.output


def test_the_deck_of_the_clean_case_carries_no_planted_value(planted_build, collection) -> None:
    _root, out, _result = planted_build
    assert out.exists()
    texts = [plant.text for plant in PLANTS] + [str(v) for v in HEADER.values()]
    plain = [t for t in texts if len(t) >= 5]
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, data in members.items():
        for text in plain:
            assert text.encode("utf-8") not in data, (name, text)
    import_package(collection, out)
    notes = [collection.get_note(nid) for nid in collection.find_notes("")]
    assert notes  # the clean case's cards
    everything = " ".join(" ".join(note.fields) + " " + " ".join(note.tags) for note in notes)
    matcher = ValueMatcher(identifying_items(pydicom.dcmread(Path(_root) / "cases" / "clean" / "ct.dcm")))
    assert list(matcher.find(everything)) == []
    media = Path(collection.media.dir())
    for file in media.iterdir():
        data = file.read_bytes()
        for text in plain:
            assert text.encode("utf-8") not in data, (file.name, text)


# --- the opposite error: teaching text is not an identifier -----------------------------------

ANNOTATION_TEXTS = ["Nodule 12 mm", "Nodule 1", "LungNodule0001", "Lesion 2 of 3, 14 x 9 mm",
                    "white matter", "Segment 7"]


@pytest.mark.parametrize("text", ANNOTATION_TEXTS)
def test_annotation_text_with_digits_is_teaching_text(text: str) -> None:
    # The text of an annotation object (here a GSPS text object) is not collected: only the
    # object's names, IDs, dates and UIDs are.
    gsps = Dataset()
    gsps.SOPClassUID = "1.2.840.10008.5.1.4.1.1.11.1"
    gsps.Modality = "PR"
    gsps.PatientName = "Zyqrab^Johnathan"
    gsps.PatientID = "4471902"
    gsps.ContentLabel = "LESION1"
    annotation = Dataset()
    text_object = Dataset()
    text_object.UnformattedTextValue = text
    annotation.TextObjectSequence = [text_object]
    gsps.GraphicAnnotationSequence = [annotation]
    gsps.ContentDescription = text
    matcher = ValueMatcher(identifying_items(gsps))
    assert list(matcher.find(f"<b>{text}</b>")) == []
    assert {item.value for item in matcher.find("J. Zyqrab, 447-1902")} == {"j zyqrab", "zyqrab", "4471902"}


def test_an_annotation_objects_own_patient_text_is_collected_but_not_its_teaching_text() -> None:
    # Found by an attack sweep (D7): every free-text value of an annotation object was skipped, its
    # Patient Comments and private attributes too, so their MRN reached a deck through the object's
    # own text object. Only the text inside the sequences the readers take findings from is exempt.
    def annotation_object(sop_class: str, modality: str) -> Dataset:
        ds = Dataset()
        ds.SOPClassUID = sop_class
        ds.Modality = modality
        ds.PatientComments = "Wilbur Crane, MRN 77120934"
        ds.SeriesDescription = "Follow-up 19790314"
        block = ds.private_block(0x0029, "ACME PR", create=True)
        block.add_new(0x11, "LO", "Patient Wilbur Crane MRN 77120934")
        return ds

    gsps = annotation_object("1.2.840.10008.5.1.4.1.1.11.1", "PR")
    text_object = Dataset()
    text_object.UnformattedTextValue = "Nodule 12 mm 4471902"
    annotation = Dataset()
    annotation.TextObjectSequence = [text_object]
    gsps.GraphicAnnotationSequence = [annotation]
    group = Dataset()
    group.GraphicGroupLabel = "Lesion 2 of 3"
    gsps.GraphicGroupSequence = [group]
    sr = annotation_object("1.2.840.10008.5.1.4.1.1.88.22", "SR")
    item = Dataset()
    item.ValueType = "TEXT"
    item.TextValue = "LungNodule0001 grew 4 mm"
    sr.ContentSequence = [item]
    seg = annotation_object("1.2.840.10008.5.1.4.1.1.66.4", "SEG")
    segment = Dataset()
    segment.SegmentLabel = "Segment 7"
    segment.SegmentDescription = "Nodule 12 mm 4471902"
    seg.SegmentSequence = [segment]
    rtstruct = annotation_object("1.2.840.10008.5.1.4.1.1.481.3", "RTSTRUCT")
    roi, observation = Dataset(), Dataset()
    roi.ROIName = "Nodule 12 mm 4471902"
    observation.ROIObservationLabel = "Nodule 4471902"  # (SH: 16 characters)
    rtstruct.StructureSetROISequence = [roi]
    rtstruct.RTROIObservationsSequence = [observation]
    for ds in (gsps, sr, seg, rtstruct):
        matcher = ValueMatcher(identifying_items(ds))
        found = {item.value for item in matcher.find("Wilbur Crane 77120934, 14/03/1979")}
        assert {"wilbur crane", "77120934", "14 03 1979"} <= found, ds.Modality
        for text in ("Nodule 12 mm 4471902", "Nodule 4471902", "Lesion 2 of 3", "LungNodule0001 grew 4 mm",
                     "Segment 7"):
            assert list(matcher.find(text)) == [], (ds.Modality, text)


def test_an_annotation_objects_patient_comments_stop_its_text_object(tmp_path: Path) -> None:
    import highdicom as hd
    import numpy as np

    ct = pydicom.dcmread(CT_SMALL, stop_before_pixels=True)
    units = hd.pr.AnnotationUnitsValues.PIXEL
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    annotation = hd.pr.GraphicAnnotation(
        referenced_images=[ct], graphic_layer=layer,
        graphic_objects=[hd.pr.GraphicObject(hd.pr.GraphicTypeValues.CIRCLE, np.array([[40.0, 50.0], [50.0, 50.0]]),
                                             units=units)],
        text_objects=[hd.pr.TextObject("Crane 77120934", units=units, bounding_box=(80.0, 10.0, 110.0, 20.0))])
    gsps = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ct], series_instance_uid=hd.UID(), series_number=100, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests", software_versions="1",
        device_serial_number="1", content_label="TEACHING", graphic_layers=[layer], graphic_annotations=[annotation])
    gsps.PatientComments = "Wilbur Crane, MRN 77120934"
    case = _write(tmp_path / "cases", "a", "id: a-1\ntitle: T\nimages:\n  - file: ct.dcm\nannotations:\n  - file: gsps.dcm\n")
    gsps.save_as(case / "gsps.dcm")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])
    assert result.exit_code == 1, result.output
    assert ("annotations[0] (gsps.dcm) item 1.text: holds '77120934', the value of (0010,4000) PatientComments"
            in result.output)
    assert not (tmp_path / "o.apkg").exists()


def _write(cases: Path, folder: str, yaml: str, image: Path = CT_SMALL, edit=None) -> Path:
    case_dir = cases / folder
    case_dir.mkdir(parents=True)
    (case_dir / "case.yaml").write_text(yaml, encoding="utf-8")
    ds = pydicom.dcmread(image)
    if edit is not None:
        edit(ds)
    ds.save_as(case_dir / "ct.dcm", enforce_file_format=True)
    return case_dir


def test_case_text_with_digits_builds(tmp_path: Path, collection) -> None:
    yaml = GOOD_CASE.format(case_id="n-1").replace("  - text: Vertebral body", "  - text: Nodule 12 mm") \
        .replace("height: 38}", "height: 38, label: LungNodule0001}") + "teaching_points: [Nodule 1, 'Lesion 2 of 3']\n"
    _write(tmp_path / "cases", "a", yaml)
    out = tmp_path / "out.apkg"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    import_package(collection, out)
    fields = " ".join(" ".join(collection.get_note(n).fields) for n in collection.find_notes(""))
    assert "Nodule 12 mm" in fields and "Nodule 1<" in fields  # (the label is drawn into the image)


def test_allowlisted_word_builds_and_is_named_in_the_summary(tmp_path: Path, collection) -> None:
    def white(ds):
        ds.PatientName = "White^Walter"

    yaml = GOOD_CASE.format(case_id="w-1").replace("history: Test history.", "history: Normal white matter.")
    _write(tmp_path / "refused", "a", yaml, edit=white)
    refused = CliRunner().invoke(main, ["build", str(tmp_path / "refused"), "-o", str(tmp_path / "r.apkg"), "--no-cache"])
    assert refused.exit_code == 1
    assert "history: holds 'white', the value of (0010,0010) PatientName" in refused.output
    assert "not_identifying" in refused.output
    assert not (tmp_path / "r.apkg").exists()

    _write(tmp_path / "allowed", "a", yaml + "not_identifying: [white]\n", edit=white)
    out = tmp_path / "ok.apkg"
    allowed = CliRunner().invoke(main, ["build", str(tmp_path / "allowed"), "-o", str(out), "--no-cache"])
    assert allowed.exit_code == 0, allowed.output
    assert "allowed as not identifying: 'white' (w-1)" in allowed.output
    import_package(collection, out)
    fields = " ".join(" ".join(collection.get_note(n).fields) for n in collection.find_notes(""))
    assert "white matter" in fields and "Walter" not in fields


def test_a_word_one_case_allows_is_still_searched_for_another_case_whose_patient_it_names(tmp_path: Path,
                                                                                          collection) -> None:
    # Case a's patient is White, and its text says "white matter": it lists white as not identifying.
    # Case b's patient is White too, and b lists nothing: the deck's name (checked by the package
    # audit alone) must not carry b's patient's name on the strength of a's word.
    def white(ds):
        ds.PatientName = "White^Walter"

    def also_white(ds):
        ds.PatientName = "White^Zyqrab"

    allowing = (GOOD_CASE.format(case_id="w-a").replace("history: Test history.", "history: Normal white matter.")
                + "not_identifying: [white]\n")
    _write(tmp_path / "cases", "a", allowing, edit=white)
    _write(tmp_path / "cases", "b", GOOD_CASE.format(case_id="w-b"), edit=also_white)
    build = ["build", str(tmp_path / "cases"), "--deck-name", "Cases from Dr White", "--no-cache"]
    refused = CliRunner().invoke(main, build + ["-o", str(tmp_path / "r.apkg")])
    assert refused.exit_code == 1, refused.output
    assert "'white'" in refused.output and "PatientName" in refused.output
    assert f"{tmp_path / 'cases' / 'b' / 'ct.dcm'}" in refused.output  # the file whose value it is
    assert "not_identifying" in refused.output  # and what to do
    assert not (tmp_path / "r.apkg").exists()

    # Once b lists the word too, every case whose patient it names has said so: the deck builds.
    _write(tmp_path / "agreed", "a", allowing, edit=white)
    _write(tmp_path / "agreed", "b", GOOD_CASE.format(case_id="w-b") + "not_identifying: [white]\n", edit=also_white)
    built = CliRunner().invoke(main, ["build", str(tmp_path / "agreed"), "--deck-name", "Cases from Dr White",
                                      "--no-cache", "-o", str(tmp_path / "ok.apkg")])
    assert built.exit_code == 0, built.output
    assert "allowed as not identifying: 'white' (w-a), 'white' (w-b)" in built.output
    import_package(collection, tmp_path / "ok.apkg")
    fields = " ".join(" ".join(collection.get_note(n).fields) for n in collection.find_notes(""))
    assert "white matter" in fields and "Walter" not in fields and "Zyqrab" not in fields


def _build_with_history(tmp_path: Path, history: str, edit):
    """Build (to ``tmp_path``/o.apkg) one case of CT_small with its header changed by ``edit`` and
    ``history`` (a YAML scalar, quoted as written) as its history."""
    yaml = GOOD_CASE.format(case_id="h-1").replace("history: Test history.", f"history: {history}")
    _write(tmp_path / "cases", "a", yaml, edit=edit)
    return CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])


@pytest.mark.parametrize("patient, written", [
    ("Müller^Zoë", "Mr Mueller"),  # umlaut as two letters
    ("Ångström^Björn", "Dr Aangstroem"),
    ("Øster^Ida", "Mrs Oster"),  # a letter with no separable accent, typed without it
    ("Łukasz^Anna", "Dr Lukasz"),
    ("Đặng^Minh", "Mr Dang"),
    ("van der Berg^Jean", "seen by vanderBerg"),  # a family name of several words written as one
    ("O'Brien^Mary", "Mrs OBrien"),
    ("Le Blanc^Paul", "LeBlanc's"),
    ("Zyqrab^Anne-Marie", "Annemarie"),  # a given name of two parts written as one
    # one part of a hyphenated family name, written without its apostrophe or spaces (attack sweep D8)
    ("Whitfield-O'Hara^Sean", "Mr OHara, 45"),
    ("van der Berg-O'Neil^José", "Mrs ONeil"),
    ("van der Berg-O'Neil^José", "J.VANDERBERG"),
])
def test_a_name_spelt_as_people_type_it_is_refused(tmp_path: Path, patient: str, written: str) -> None:
    # Found by writing names in a case's history the ways people type them: each of these built.
    def named(ds):
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = patient

    result = _build_with_history(tmp_path, f"\"{written}, today.\"", named)
    assert result.exit_code == 1, result.output
    assert "history: holds" in result.output and "(0010,0010) PatientName" in result.output
    assert not (tmp_path / "o.apkg").exists()


def test_a_private_value_of_unknown_vr_with_a_non_ascii_letter_is_collected(tmp_path: Path) -> None:
    # Found by an attack sweep (D4): in an implicit-VR file a private value arrives as UN bytes; read as
    # latin-1, the second byte of the UTF-8 "Ł" is a control character, and the whole value (its
    # name and MRN) was dropped. Binary data of unknown VR is still not read as text.
    from pydicom.uid import ImplicitVRLittleEndian

    def planted(ds):
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.SpecificCharacterSet = "ISO_IR 192"
        block = ds.private_block(0x0011, "ACME 1.0", create=True)  # (0011,11xx): CT_small has (0011,10xx)
        block.add_new(0x11, "LO", "Patient Tamsin Quarrell MRN 33445566 aus Łódź")
        block.add_new(0x12, "OB", bytes(range(256)) * 4)

    result = _build_with_history(tmp_path, "'Tamsin Quarrell, MRN 33445566, today.'", planted)
    assert result.exit_code == 1, result.output
    assert "history: holds 'tamsin quarrell', the value of (0011,1111)" in result.output
    assert "history: holds '33445566', the value of (0011,1111)" in result.output
    ds = pydicom.dcmread(tmp_path / "cases" / "a" / "ct.dcm")
    assert ds[0x00111111].VR == "UN" and ds[0x00111112].VR == "UN"
    values = {item.value for item in identifying_items(ds) if item.tag.startswith("(0011,1111)")}
    assert {"tamsin quarrell", "33445566", "patient tamsin quarrell mrn 33445566 aus lodz"} <= values
    assert not [item for item in identifying_items(ds) if item.tag.startswith("(0011,1112)")]


@pytest.mark.parametrize("written", ["Jürgen Möller", "Dr Moeller", "J. Möller"])
def test_a_utf8_name_in_a_file_without_a_character_set_is_read_as_utf8(tmp_path: Path, written: str) -> None:
    # Found by an attack sweep (D5): with no Specific Character Set, pydicom reads UTF-8 "Möller" as
    # "MÃ¶ller"; only that reading was collected, and the patient's name as written passed.
    from pydicom.dataelem import DataElement

    def planted(ds):
        if "SpecificCharacterSet" in ds:
            del ds.SpecificCharacterSet
        ds[0x00100010] = DataElement(0x00100010, "PN", "Möller^Jürgen".encode("utf-8"))

    result = _build_with_history(tmp_path, f"'Referred by {written}, today.'", planted)
    assert result.exit_code == 1, result.output
    assert "history: holds" in result.output and "(0010,0010) PatientName" in result.output
    ds = pydicom.dcmread(tmp_path / "cases" / "a" / "ct.dcm")
    assert str(ds.PatientName) == "MÃ¶ller^JÃ¼rgen"  # the declared (default) reading, also collected
    assert {"jurgen moller", "moeller", "j moller", "ma ller"} <= identifying_values(ds)  # ("Ã¶" folds to "a")


@pytest.mark.parametrize("written", ["14-Mar-79", "3/14/79", "14/3/79", "14031979", "790314", "14 mars 1979",
                                     "14. März 1979", "14 de marzo de 1979", "14 III 1979",
                                     # found by an attack sweep (D11): each built
                                     "Mar 14, ''79", "14th Mar 79", "March 14th 79", "1979年3月14日",
                                     "1979年03月14日", "79年3月14日", "1979年3月14号", "1979년 3월 14일",
                                     "1979. 3. 14.", "昭和54年3月14日", "S54.3.14"])
def test_a_birth_date_written_another_way_is_refused(tmp_path: Path, written: str) -> None:
    # Found by writing a planted birth date in a case's history in 25 forms: each of these built.
    def born(ds):
        ds.PatientBirthDate = "19790314"

    result = _build_with_history(tmp_path, f"'Born {written}.'", born)
    assert result.exit_code == 1, result.output
    assert "history: holds" in result.output and "(0010,0030) PatientBirthDate" in result.output


@pytest.mark.parametrize("keyword, value, written", [
    ("PatientID", "MRN0098765", "0098765"),  # the digits of a code with letters
    ("OtherPatientIDs", "XZ-778812", "778812"),
    ("PatientAddress", "12 Evergreen Terrace, Springfield", "lives at 12 Evergreen Terrace"),  # a part
    ("PatientAddress", "12 Evergreen Terrace, Springfield", "on Evergreen Terrace"),
    ("PatientAddress", "12 Evergreen Terrace^Springfield^OR 97403", "lives at 12 Evergreen Terrace"),  # ^ parts
    ("PatientTelephoneNumbers", "+1 555 0100 223", "call 555-0100-223"),  # without the country code
    # found by an attack sweep (D9): each built
    ("PatientAddress", "12 Quillmoor Lane, Brackleton, BX4 9QT", "lives in Brackleton"),  # a one-word town
    ("InstitutionAddress", "1 Infirmary Road, Pemberwick", "referred from Pemberwick"),
    ("PatientAddress", "12 Quillmoor Lane, Brackleton, BX4 9QT", "postcode BX49QT"),  # without its space
    ("PatientTelephoneNumbers", "+44 20 7946 0381", "call 020 7946 0381"),  # the national form
    ("PatientTelephoneNumbers", "+44 20 7946 0381", "call (020) 7946-0381"),
    ("PatientTelephoneNumbers", "+44 20 7946 0381", "call 0044 20 7946 0381"),
    # person names and dates outside Table E.1-1 (D6): each built
    ("SecondaryReviewerName", "Pellworthy^Anselm", "second read by Anselm Pellworthy"),
    ("InstanceCreationDate", "20230522", "imaged 22/05/2023"),
])
def test_part_of_an_identifier_is_refused(tmp_path: Path, keyword: str, value: str, written: str) -> None:
    # Found by planting identifiers and writing parts of them in a case's history: each of these built.
    def planted(ds):
        setattr(ds, keyword, value)

    result = _build_with_history(tmp_path, f"'{written}, today.'", planted)
    assert result.exit_code == 1, result.output
    assert "history: holds" in result.output and keyword in result.output


@pytest.mark.parametrize("written", ["MRN \u0660\u0660\u0669\u0668\u0667\u0666\u0665",  # Arabic-Indic
                                     "MRN \u06f0\u06f0\u06f9\u06f8\u06f7\u06f6\u06f5",  # Persian
                                     "MRN \u0966\u0966\u096f\u096e\u096d\u096c\u096b"])  # Devanagari
def test_an_id_in_the_digits_of_another_script_is_refused(tmp_path: Path, written: str) -> None:
    # Found by an attack sweep (D10): NFKC folds full-width digits, not these; each built.
    def planted(ds):
        ds.PatientID = "MRN0098765"

    result = _build_with_history(tmp_path, f"'{written}, today.'", planted)
    assert result.exit_code == 1, result.output
    assert "history: holds 'mrn 0098765', the value of (0010,0020) PatientID" in result.output
    assert not (tmp_path / "o.apkg").exists()


def test_a_short_town_or_a_part_of_another_value_is_not_searched_alone() -> None:
    # A one-word part of an address is a town only in an address, and only from five letters: Bath,
    # Hull, Deal and Sale are also words of teaching text. The rest of each value is still searched.
    ds = Dataset()
    ds.PatientAddress = "12 Quillmoor Lane, Bath, BA1 1AA"
    ds.InstitutionName = "Royal Infirmary, Radiology"
    ds.InstitutionalDepartmentName = "Imaging, Neuroradiology"
    matcher = ValueMatcher(identifying_items(ds))
    assert list(matcher.find("Warm bath, then radiology and neuroradiology; imaging of the hull")) == []
    assert {item.value for item in matcher.find("Quillmoor Lane, BA11AA; Royal Infirmary")} == {
        "quillmoor lane", "ba 11 aa", "royal infirmary"}


def test_a_short_or_particle_part_of_a_hyphenated_family_name_is_not_a_name_alone() -> None:
    # Each part of a hyphenated family name is searched as a family name (Whitfield-O'Hara gives
    # "S. OHara"), but not a part of one or two letters nor one of particles: "K Li" or "J van" in
    # teaching text are not this patient.
    ds = Dataset()
    ds.PatientName = "Li-Wu^Kim"
    ds.OtherPatientNames = "Van-Dyke^Jan"
    values = identifying_values(ds)
    assert {"li wu", "kim li wu", "k li wu", "dyke", "j dyke", "vandyke", "j vandyke"} <= values
    assert not {"k li", "li k", "kim li", "k wu", "j van", "van jan", "van"} & values


def _config_keys(package: Path) -> set[str]:
    """Every key of the JSON documents in the package's ``col`` row, but deck and notetype ids."""
    import json
    import sqlite3

    keys: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            keys.update(k for k in value if not k.isdigit())
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    with zipfile.ZipFile(package) as archive:
        database = package.parent / "collection-of-package.anki2"
        database.write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(database)
    try:
        for value in connection.execute("SELECT * FROM col").fetchone():
            if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
                walk(json.loads(value))
    finally:
        connection.close()
    return keys


@pytest.mark.parametrize("name", ["Graves^Bury", "Ord^Begin Special", "Case^Mark", "Max^Numbers"])
def test_a_patient_named_like_ankis_own_words_builds_and_is_still_found_in_text(tmp_path: Path, collection,
                                                                               name: str) -> None:
    """Anki's collection has a table called ``graves`` and settings called ``bury`` and ``ord``; its
    LaTeX preamble says ``\\begin`` and ``\\special``; cardgen's notetypes have a field ``Case``, a
    style sheet that styles ``mark`` and numbers, and every note a ``cardgen::case::`` tag. Those are
    the format's words, not the patient's: the deck builds, and ``cardgen audit`` finds it clean.
    Written in the case's text, the same name is refused as before."""
    family = name.split("^")[0]

    def named(ds):
        ds.PatientName = name

    _write(tmp_path / "cases", "a", GOOD_CASE.format(case_id="f-1"), edit=named)
    out = tmp_path / "ok.apkg"
    built = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(out), "--no-cache"])
    assert built.exit_code == 0, built.output
    import_package(collection, out)
    fields = " ".join(" ".join(collection.get_note(n).fields) for n in collection.find_notes(""))
    assert family not in fields and "Vertebral body" in fields
    assert _config_keys(out) <= ANKI_COLLECTION.keys  # the list of the format's words is whole
    audited = CliRunner().invoke(main, ["audit", str(out), "--against", str(tmp_path / "cases")])
    assert audited.exit_code == 0 and "no identifiers found" in audited.output, audited.output

    yaml = GOOD_CASE.format(case_id="f-2").replace("history: Test history.", f"history: Seen by {family}.")
    _write(tmp_path / "refused", "a", yaml, edit=named)
    refused = CliRunner().invoke(main, ["build", str(tmp_path / "refused"), "-o", str(tmp_path / "r.apkg"),
                                        "--no-cache"])
    assert refused.exit_code == 1
    assert f"history: holds '{family.lower()}', the value of (0010,0010) PatientName" in refused.output
    assert not (tmp_path / "r.apkg").exists()


def test_only_the_notetypes_exact_texts_are_left_out(tmp_path: Path) -> None:
    """A notetype whose style sheet is cardgen's with a patient's name added, or a deck named like one
    of cardgen's fields, is searched: only a notetype text exactly as cardgen writes it is not."""
    import genanki

    from cardgen.cards.notetypes import NoteKind, notetype, notetype_texts
    from cardgen.deid.audit import audit_package
    from cardgen.deid.matcher import IdentifyingValue

    case = notetype(NoteKind.CASE)
    patient = [IdentifyingValue("case", "(0010,0010) PatientName", ""),
               IdentifyingValue("zyqrab", "(0010,0010) PatientName", "")]

    def package(css: str, deck_name: str) -> Path:
        model = genanki.Model(case.model_id, case.name, fields=[{"name": f.name} for f in case.fields],
                              templates=[{"name": t.name, "qfmt": t.front, "afmt": t.back} for t in case.templates],
                              css=css)
        deck = genanki.Deck(1_700_000_005, deck_name)
        deck.add_note(genanki.Note(model=model, fields=["c-1"] + [""] * (len(case.fields) - 1), guid="g1"))
        out = tmp_path / f"{len(css)}-{deck_name}.apkg"
        genanki.Package(deck).write_to_file(str(out), timestamp=1_700_000_000)
        return out

    assert audit_package(package(case.css, "Teaching"), values=patient, boilerplate=notetype_texts()) == []
    changed = audit_package(package(case.css + "\n/* Zyqrab */", "Teaching"), values=patient,
                            boilerplate=notetype_texts())
    assert {(h.value, h.where.rsplit(".", 1)[-1]) for h in changed} == {("zyqrab", "css"), ("case", "css")}
    named = audit_package(package(case.css, "Case"), values=patient, boilerplate=notetype_texts())
    assert {h.value for h in named} == {"case"} and all("decks" in h.where for h in named), named


def test_the_allowlist_names_a_word_not_the_whole_name(tmp_path: Path) -> None:
    def white(ds):
        ds.PatientName = "White^Walter"

    yaml = (GOOD_CASE.format(case_id="w-2").replace("history: Test history.", "history: Walter White, white matter.")
            + "not_identifying: [white]\n")
    _write(tmp_path / "cases", "a", yaml, edit=white)
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])
    assert result.exit_code == 1
    assert "holds 'walter white'" in result.output


def test_a_window_name_is_checked_like_any_text(tmp_path: Path) -> None:
    def named(ds):
        ds.PatientName = "Zyqrab^Johnathan"

    yaml = GOOD_CASE.format(case_id="wn-1").replace("window: bone", "window: {center: 40, width: 400, name: Zyqrab}")
    _write(tmp_path / "cases", "a", yaml, edit=named)
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])
    assert result.exit_code == 1
    assert "images[0].window: holds 'zyqrab'" in result.output


def test_a_case_id_is_checked_like_any_text(tmp_path: Path) -> None:
    # The case id is a field and a tag of every note of the case.
    def named(ds):
        ds.PatientName = "Zyqrab^Johnathan"

    _write(tmp_path / "cases", "a", GOOD_CASE.format(case_id="zyqrab-001"), edit=named)
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])
    assert result.exit_code == 1
    assert "id: holds 'zyqrab'" in result.output


def test_overlays_need_the_burned_in_review(tmp_path: Path) -> None:
    yaml = "id: ov-1\ntitle: Overlay\nimages:\n  - file: ct.dcm\n    overlays: true\n"
    _write(tmp_path / "cases", "a", yaml, image=Path(get_testdata_file("examples_overlay.dcm")))
    result = CliRunner().invoke(main, ["build", str(tmp_path / "cases"), "-o", str(tmp_path / "o.apkg"), "--no-cache"])
    assert result.exit_code == 1
    assert "images[0].overlays: refused: overlays are bitmaps" in result.output
    assert "burned_in: reviewed" in result.output
    assert not (tmp_path / "o.apkg").exists()


# --- bounded patterns: a real ultrasound file and long values ----------------------------------

ULTRASOUND_CASE = """\
id: us-1
title: Liver ultrasound
history: Test history.
images:
  - file: us.dcm
    burned_in: reviewed
"""


def test_real_ultrasound_file_builds_and_audits(tmp_path: Path) -> None:
    # examples_ybr_color.dcm holds a 27 KB private XML value: it once made every build and audit
    # die with RecursionError.
    cases = tmp_path / "cases"
    (cases / "us").mkdir(parents=True)
    (cases / "us" / "case.yaml").write_text(ULTRASOUND_CASE, encoding="utf-8")
    (cases / "us" / "us.dcm").write_bytes(ULTRASOUND.read_bytes())
    out = tmp_path / "us.apkg"
    built = CliRunner().invoke(main, ["build", str(cases), "-o", str(out), "--no-cache"])
    assert built.exit_code == 0, built.output
    audited = CliRunner().invoke(main, ["audit", str(out), "--against", str(cases)])
    assert audited.exit_code == 0, audited.output
    assert "no identifiers found" in audited.output
    # The long value is searched inside: its numbers are collected, not the whole 27 KB.
    values = identifying_values(pydicom.dcmread(ULTRASOUND))
    assert max(len(value) for value in values) < 200
    assert "sonopps 0002171" in values  # Performed Procedure Step ID


@pytest.mark.parametrize("length", [1_400, 20_000, 200_000])
def test_long_text_values_with_digits_are_searched_in_linear_time(length: int) -> None:
    import time

    ds = Dataset()
    ds.PatientName = "Zyqrab^Johnathan"
    block = ds.private_block(0x0011, "CARDGEN TEST", create=True)
    text = ("Seen 12345678 by Dr Qwelt, 1979-03-14; " * (length // 38 + 1))[:length]
    block.add_new(0x01, "UT", text)
    ds.ImageComments = text[:10_000]
    started = time.perf_counter()
    items = identifying_items(ds)
    matcher = ValueMatcher(items)
    found = {item.value for item in matcher.find(text)}
    assert time.perf_counter() - started < 10  # a bound, not a benchmark: once RecursionError
    assert {"12345678", "1979 03 14"} <= found


def test_folding_is_what_a_reader_sees() -> None:
    assert words("**John**\u00a0Do\u00ade") == ["john", "doe"]
    assert words("J<b>oh</b>n<br>Doe") == ["john", "doe"]
    assert words("\uff2a\uff4f\uff48\uff4e &amp; Jos\u00e9") == ["john", "jose"]
    assert words("MRN33445566") == ["mrn", "33445566"]
    assert words("\u5c71\u7530\u592a\u90ce") == ["\u5c71", "\u7530", "\u592a", "\u90ce"]
    assert words("S\u0130MON \u017fmith") == ["simon", "smith"]
    assert words("\u0660\u0669\u0668-\u0e51\u0e52 \uff11") == ["098", "12", "1"]  # Arabic-Indic, Thai, full-width


def test_audit_findings_are_one_line_per_value() -> None:
    from cardgen.deid.findings import AuditHit, grouped

    reason = "value of (0010,0010) PatientName in ct.dcm"
    hits = [AuditHit(f"collection.anki2: notes row {n} column flds (note 'case-{n}')", "jane doe", reason)
            for n in range(3)] + [AuditHit("media file 'a.png'", "4471902", "value of (0010,0020) PatientID")]
    assert sorted(grouped(hits)) == [
        "value of (0010,0010) PatientName in ct.dcm: 'jane doe' at collection.anki2: notes row 0 column flds "
        "(note 'case-0') (and 2 more place(s))",
        "value of (0010,0020) PatientID: '4471902' at media file 'a.png'"]
