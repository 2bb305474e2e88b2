"""De-identification: a PHI test set, a clean deck that passes the audit, and planted leaks it finds.

The PHI file is made here from pydicom's CT_small.dcm (inside the pydicom wheel): a distinct value
is planted in every PS3.15 Table E.1-1 attribute that pydicom's dictionary knows, in both pattern
rows (curves, overlays) and in private attributes (plain, nested in a sequence, and of unknown VR).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import genanki
import pydicom
import pytest
from PIL import Image, PngImagePlugin
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.sequence import Sequence

from cardgen.deid import AuditFailed, audit_package, identifying_values, require_clean_package
from cardgen.deid.annex_e import basic_profile, is_identifying_tag
from cardgen.deid.text import words
from cardgen.deid.values import values_from_files
from cardgen.errors import InputError
from cardgen.imaging.dicom import DicomSource
from tests.anki_helpers import import_package, media_names_in

TIMESTAMP = 1_700_000_000.0  # a fixed package timestamp: the same input gives the same deck
# Value representations that cannot hold a searchable planted value: binary data; US, whose
# largest value (65535) is shorter than the shortest number the audit searches for; and CS, which
# holds defined terms (PS3.15 E.1.1 note 9: GPS references, sex, smoking status), except the one
# CS identifier, (0020,3401) Modifying Device ID; AS, an age ("077Y": three digits and a unit).
UNSEARCHABLE_VRS = {"OB", "OW", "US", "CS", "AS"}


@dataclass(frozen=True)
class Planted:
    tag: int
    vr: str
    value: str  # as a card could show it (the str() of the DICOM value)


def _value_for(vr: str, n: int) -> object:
    """A distinct, VR-conformant value number ``n``."""
    day = dt.date(1930, 1, 1) + dt.timedelta(days=n * 37)
    if vr == "PN":
        return f"Famz{n:04d}^Givz{n:04d}"
    if vr == "DA":
        return day.strftime("%Y%m%d")
    if vr == "DT":
        return (day + dt.timedelta(days=20000)).strftime("%Y%m%d") + f"1{n % 10}{n % 60:02d}59"
    if vr == "TM":
        return f"{n % 24:02d}{n % 60:02d}{(n * 7) % 60:02d}.{n:03d}731"
    if vr == "UI":
        return f"1.2.826.0.1.3680043.10.999.{n}.7"
    if vr == "DS":
        return f"7{n:04d}.59"
    if vr == "IS":
        return f"8{n:03d}77"
    if vr == "AS":
        return "077Y"
    if vr == "US":
        return 60000 + n
    if vr in ("OB", "OW"):
        return f"BIN{n:05d}".encode()
    if vr in ("SH", "AE", "CS"):
        return f"PHIZ{n:04d}Q"  # 9 characters: fits SH/AE/CS (16), upper case for CS
    return f"Phi value z{n:04d} q"  # LO, ST, LT, UT, UC


CONTENT_TREES = (0x0040A730, 0x00700001)  # Content Sequence, Graphic Annotation Sequence


def _sequence_for(n: int) -> Sequence:
    item = Dataset()
    item.CodeValue = f"C{n:05d}"
    item.CodingSchemeDesignator = "99PHI"
    item.CodeMeaning = f"Seq meaning z{n:04d} q"
    item.PersonName = f"Seqfam{n:04d}^Seqgiv{n:04d}"
    return Sequence([item])


def make_phi_file(path: Path) -> list[Planted]:
    """Write the PHI test file; return every planted value that sits in a single element."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    planted: list[Planted] = []
    n = 0
    for row in basic_profile():
        if not row.keyword:
            continue
        n += 1
        if row.tag >> 16 == 0x0000:
            continue  # command set elements live in DIMSE messages, never in files: tested apart
        vr = dictionary_VR(row.tag)
        vr = vr.split(" or ")[0]
        if vr == "SQ":
            ds.add_new(row.tag, "SQ", _sequence_for(n))
            planted.append(Planted(row.tag, "LO", f"Seq meaning z{n:04d} q"))
            continue
        value = _value_for(vr, n)
        if row.tag >> 16 == 0x0002:
            # pydicom writes (0002,0003) from the SOP Instance UID, itself planted with its own value.
            continue
        ds.add_new(row.tag, vr, value)
        planted.append(Planted(row.tag, vr, value if isinstance(value, str) else str(value)))
    # The pattern rows: curve data (50xx,xxxx) and overlay comments (60xx,4000).
    ds.add_new(0x50002500, "LO", "Curve label z9001 q")
    ds.add_new(0x60004000, "LT", "Overlay comment z9002 q")
    planted += [Planted(0x50002500, "LO", "Curve label z9001 q"),
                Planted(0x60004000, "LT", "Overlay comment z9002 q")]
    # Private attributes: plain, nested in a private sequence, and of unknown VR.
    block = ds.private_block(0x0099, "CARDGEN PHI TEST", create=True)
    block.add_new(0x01, "LO", "Private value z9101 q")
    block.add_new(0x02, "PN", "Privfam9102^Privgiv9102")
    inner = Dataset()
    inner.add_new(0x00990010, "LO", "CARDGEN PHI TEST")
    inner.add_new(0x00991003, "SH", "PRIVZ9103Q")
    block.add_new(0x04, "SQ", Sequence([inner]))
    block.add_new(0x05, "UN", b"PRIVUNKNOWNZ9105 ")
    planted += [Planted(0x00991001, "LO", "Private value z9101 q"),
                Planted(0x00991002, "PN", "Privfam9102^Privgiv9102"),
                Planted(0x00991003, "SH", "PRIVZ9103Q"),
                Planted(0x00991005, "UN", "PRIVUNKNOWNZ9105")]
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return planted


def normalised(value: str) -> str:
    """A value as the collector keeps it: its words (see cardgen.deid.text), joined by spaces."""
    return " ".join(words(value))


@pytest.fixture(scope="module")
def phi_case(tmp_path_factory) -> tuple[Path, list[Planted]]:
    folder = tmp_path_factory.mktemp("cases") / "case_phi"
    planted = make_phi_file(folder / "phi.dcm")
    return folder, planted


# --- the PHI set itself ----------------------------------------------------------------------

def test_every_known_profile_attribute_is_planted(phi_case) -> None:
    folder, planted = phi_case
    ds = pydicom.dcmread(folder / "phi.dcm")
    known = [row for row in basic_profile() if row.keyword]
    assert len(known) == len(basic_profile()) >= 450  # Table E.1-1 has several hundred rows
    present = {int(e.tag) for e in ds.iterall()} | {int(e.tag) for e in ds.file_meta}
    in_files = {row.tag for row in known if row.tag >> 16 != 0x0000}
    assert in_files <= present and len(in_files) == len(known) - 2
    assert 0x00020003 in present
    assert len({p.value for p in planted}) == len(planted)  # every value distinct


def test_collector_finds_every_searchable_planted_value(phi_case) -> None:
    folder, planted = phi_case
    values = identifying_values(pydicom.dcmread(folder / "phi.dcm"))
    searchable = [p for p in planted if (p.vr not in UNSEARCHABLE_VRS or p.tag == 0x00203401)
                  and p.tag not in CONTENT_TREES]
    missing = [p for p in searchable if normalised(p.value) not in values]
    assert missing == []
    # An SR/KOS content tree and a GSPS's graphics are teaching content (concept names, finding
    # text, labels that the readers put on cards): inside them only listed attributes count, such as
    # the person name planted in every sequence item.
    for tag in CONTENT_TREES:
        assert normalised(_planted(planted, tag)) not in values
        n = re.search(r"z(\d{4})", _planted(planted, tag)).group(1)
        assert f"seqfam {n} seqgiv {n}" in values
    meta_uid = pydicom.dcmread(folder / "phi.dcm").file_meta.MediaStorageSOPInstanceUID
    assert meta_uid == _planted(planted, 0x00080018) and normalised(meta_uid) in values
    assert len(searchable) >= 428  # every row but the command set, the binary VRs and the content trees
    # Person names are also searched in the orders people write them, by component and with initials.
    family, given = map(normalised, _planted(planted, 0x00100010).split("^"))
    assert {f"{family} {given}", f"{given} {family}", f"{given[0]} {family}"} <= values
    assert family not in values  # a component holding digits is a code, not searched alone
    assert "privfam 9102 privgiv 9102" in values and "privgiv 9102 privfam 9102" in values
    # Dates are also searched as people write them.
    date = [p.value for p in planted if p.vr == "DA"][0]
    year, month, day = date[:4], date[4:6], date[6:]
    assert {f"{year} {month} {day}", f"{day} {month} {year}", f"{month} {day} {year}"} <= values


def test_allowlisted_and_non_profile_values_are_not_collected(phi_case) -> None:
    folder, _ = phi_case
    values = identifying_values(pydicom.dcmread(folder / "phi.dcm"))
    # Modality, body part and rows/columns are not Annex E attributes: a card may show them.
    assert "ct" not in values and "512" not in values
    assert not is_identifying_tag(0x00080060)  # Modality
    assert is_identifying_tag(0x00100010) and is_identifying_tag(0x00990010)
    assert is_identifying_tag(0x60024000) and is_identifying_tag(0x50100010)
    assert not is_identifying_tag(0x60020010)  # Overlay Rows: not identifying


def test_command_set_uids_are_collected() -> None:
    # (0000,1000) and (0000,1001) appear in network messages only; pydicom will not write them
    # to a file, so they are checked on a dataset in memory.
    ds = Dataset()
    ds.AffectedSOPInstanceUID = "1.2.826.0.1.3680043.10.999.1.8"
    ds.RequestedSOPInstanceUID = "1.2.826.0.1.3680043.10.999.2.8"
    # Each UID as its words, and as one number (its digits written with the dots left out).
    assert identifying_values(ds) == {"1 2 826 0 1 3680043 10 999 1 8", "128260136800431099918",
                                      "1 2 826 0 1 3680043 10 999 2 8", "128260136800431099928"}


def test_short_and_generic_values_are_skipped() -> None:
    ds = Dataset()
    ds.PatientSex = "M"
    ds.PatientWeight = "70"
    ds.PatientName = "Anonymous"
    ds.StudyTime = "093000"  # six digits but only two non-zero: a setting-like number
    ds.OtherPatientIDs = "100200"
    ds.PatientID = "MRN-48213"
    assert identifying_values(ds) == {"mrn 48213"}


def test_a_research_pseudonym_in_the_name_is_searched_whole_not_by_its_words() -> None:
    """TCIA's de-identified files name the patient 'PANCREAS_0001' (pydicom-data's explicit_VR-UN.dcm):
    the word 'pancreas' became a name to search, and cardgen's own facts line ('CT · pancreas ·
    axial', from Body Part Examined) refused the deck."""
    ds = Dataset()
    ds.PatientName = "PANCREAS_0001"
    ds.OtherPatientNames = "ACRIN-FLT-Breast_029"
    ds.ReferringPhysicianName = "Zyqrab^John"
    assert identifying_values(ds) >= {"pancreas 0001", "acrin flt breast 029", "zyqrab"}
    assert not {"pancreas", "breast", "acrin"} & identifying_values(ds)


def test_descriptions_are_searched_only_when_they_look_identifying() -> None:
    ds = Dataset()
    ds.StudyDescription = "Whole Body Bone"  # clinical words a teaching text uses too
    ds.SeriesDescription = "abdomen^liver"  # "^" outside a person name: not split into words
    ds.ImageComments = "Scan for J. Smith, 12 Elm St"  # holds a number: searched
    ds.InstitutionName = "Memorial"  # an identifier attribute: always searched
    block = ds.private_block(0x0009, "GEMS_IDEN_01", create=True)
    block.add_new(0x20, "LO", "whole body")  # private free text without anything identifying
    block.add_new(0x40, "LO", "Patient, The")  # private text shaped like "Family, Given"
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage: in every file
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.10.999.5.5"
    ds.ReferencedImageSequence = Sequence([ref])
    # Whole values as their words; names found in free text only whole, in either order; runs
    # of capitalised words in comments; private creators like any private text.
    assert identifying_values(ds) == {"abdomen liver", "liver abdomen", "scan for j smith 12 elm st",
                                      "memorial", "patient the", "the patient", "elm st", "gems iden 01",
                                      "1 2 826 0 1 3680043 10 999 5 5", "12826013680043109995 5".replace(" ", "")}


def test_every_person_name_and_date_is_collected_wherever_it_stands() -> None:
    # Found by an attack sweep (D6): person names and dates in attributes outside Table E.1-1 (here,
    # and inside a sequence the table does not name) were not collected, and reached decks.
    ds = Dataset()
    ds.add_new(0x00140104, "PN", "Pellworthy^Anselm")  # Secondary Reviewer Name
    ds.add_new(0x00142006, "PN", "Quenby^Idris")  # Evaluator Name
    selector = Dataset()
    selector.add_new(0x0072006A, "PN", "Tollard^Wenna")  # Selector PN Value
    ds.add_new(0x00720022, "SQ", Sequence([selector]))  # Image Set Selector Sequence
    ds.InstanceCreationDate = "20230522"
    ds.add_new(0x00181012, "DA", "20230523")  # Date of Secondary Capture
    ds.add_new(0x0040A120, "DT", "20230524101010")  # Observation DateTime (an SR content item's)
    ds.Rows = 512  # and still not what a card may show
    values = identifying_values(ds)
    assert {"pellworthy", "anselm pellworthy", "a pellworthy", "quenby", "idris quenby", "tollard",
            "wenna tollard"} <= values
    assert {"2023 05 22", "22 05 2023", "23 may 2023", "may 24 2023"} <= values
    assert "512" not in values


def test_every_pydicom_test_file_can_be_collected() -> None:
    folder = Path(get_testdata_file("CT_small.dcm")).parent  # the pydicom wheel's test files
    items = values_from_files([folder])
    sources = {item.source for item in items}
    assert len(sources) >= 60
    assert any(item.value == "compressedsamples^mr1" for item in items) or \
        any(item.tag.startswith("(0010,0010)") for item in items)


# --- a deck that carries only allowlisted values ------------------------------------------------

MODEL = genanki.Model(
    1_700_000_001, "cardgen PHI test",
    fields=[{"name": "Question"}, {"name": "Image"}, {"name": "Answer"}],
    templates=[{"name": "Card 1", "qfmt": "{{Question}}<br>{{Image}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}"}])


def png_bytes(image: Image.Image, text_chunks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    info = None
    if text_chunks:
        info = PngImagePlugin.PngInfo()
        for key, value in text_chunks.items():
            info.add_text(key, value)
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def build_deck(folder: Path, out: Path, *, question: str = "Which modality is this?",
               answer: str = "CT", tags: tuple[str, ...] = ("cardgen::modality::CT",),
               deck_name: str = "cardgen::PHI test", media_name: str | None = None,
               text_chunks: dict[str, str] | None = None) -> Path:
    """A deck made the way cardgen makes one: rendered pixels, a content-hash name, allowlisted text."""
    source = DicomSource()
    facts = source.facts(folder / "phi.dcm")
    assert facts.modality == "CT"
    data = png_bytes(source.read(folder / "phi.dcm", None, None), text_chunks)
    name = media_name or hashlib.sha256(data).hexdigest()[:16] + ".png"
    media = out.parent / "media" / name
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_bytes(data)
    deck = genanki.Deck(1_700_000_002, deck_name)
    deck.add_note(genanki.Note(model=MODEL, fields=[question, f'<img src="{name}">', answer],
                               tags=list(tags), guid=genanki.guid_for("phi-case", "modality")))
    genanki.Package(deck, media_files=[str(media)]).write_to_file(str(out), timestamp=TIMESTAMP)
    return out


def test_clean_deck_passes_the_audit_and_imports_into_anki(phi_case, tmp_path, collection) -> None:
    folder, _ = phi_case
    deck = build_deck(folder, tmp_path / "clean.apkg")
    assert audit_package(deck) == []
    assert audit_package(deck, against=[folder.parent]) == []
    # Nor does it match any of the ~1,200 values in every test file of the pydicom wheel.
    assert audit_package(deck, against=[Path(get_testdata_file("CT_small.dcm")).parent]) == []
    require_clean_package(deck, against=[folder / "phi.dcm"])  # does not raise
    # The deck is a real Anki package: the backend imports the note and its image.
    import_package(collection, deck)
    note_ids = collection.find_notes("")
    assert len(note_ids) == 1
    note = collection.get_note(note_ids[0])
    assert note["Answer"] == "CT"
    (image_name,) = media_names_in(note["Image"])
    assert (Path(collection.media.dir()) / image_name).is_file()


def test_plain_genanki_deck_has_no_hits(tmp_path) -> None:
    deck = genanki.Deck(2_059_400_110, "Radiology::Chest")
    deck.add_note(genanki.Note(model=MODEL, fields=["Q 1.5 and 2.5", "", "A"], tags=["chest"]))
    out = tmp_path / "plain.apkg"
    genanki.Package(deck).write_to_file(str(out), timestamp=TIMESTAMP)
    assert audit_package(out) == []


# --- leaks planted on purpose: the audit must find each one -------------------------------------

def _planted(planted: list[Planted], tag: int) -> str:
    return next(p.value for p in planted if p.tag == tag)


def _assert_found(hits, value: str, tag_text: str, where: str) -> None:
    matching = [h for h in hits if h.value == normalised(value) and tag_text in h.reason]
    assert matching, (value, hits)
    assert any(where in h.where for h in matching), (where, matching)


def test_patient_name_in_a_note_field_is_found(phi_case, tmp_path) -> None:
    folder, planted = phi_case
    family, given = _planted(planted, 0x00100010).split("^")
    # Written the way a person would: given name first, in HTML.
    deck = build_deck(folder, tmp_path / "leak.apkg", answer=f"<b>{given} {family}</b>, CT")
    hits = audit_package(deck, against=[folder])
    _assert_found(hits, f"{given} {family}", "(0010,0010) PatientName", "notes row 0 column flds")
    with pytest.raises(AuditFailed) as caught:
        require_clean_package(deck, against=[folder])
    assert "PatientName" in str(caught.value) and str(deck) in str(caught.value)


def test_uid_in_a_media_file_name_is_found(phi_case, tmp_path) -> None:
    folder, planted = phi_case
    uid = _planted(planted, 0x0020000E)  # Series Instance UID
    deck = build_deck(folder, tmp_path / "leak.apkg", media_name=f"{uid}_slice.png")
    hits = audit_package(deck, against=[folder])
    _assert_found(hits, uid, "(0020,000E) SeriesInstanceUID", "media file name")
    # Even without the source, the name has the shape of a UID.
    assert any(h.value == uid and "DICOM UID" in h.reason for h in audit_package(deck))


def test_png_text_chunk_is_found(phi_case, tmp_path) -> None:
    folder, planted = phi_case
    patient_id = _planted(planted, 0x00100020)
    deck = build_deck(folder, tmp_path / "leak.apkg", text_chunks={"Comment": f"id {patient_id}"})
    hits = audit_package(deck, against=[folder])
    _assert_found(hits, patient_id, "(0010,0020) PatientID", "metadata PNG text chunk 'Comment'")
    # Any metadata at all is a hit, identifying or not.
    harmless = build_deck(folder, tmp_path / "meta.apkg", text_chunks={"Software": "cardgen"})
    assert [h.reason for h in audit_package(harmless)] == [
        "carries image metadata (PNG text chunk 'Software'); media files must hold pixels only"]


def test_study_date_in_a_tag_and_private_value_in_a_deck_name_are_found(phi_case, tmp_path) -> None:
    folder, planted = phi_case
    study_date = _planted(planted, 0x00080020)
    deck = build_deck(folder, tmp_path / "leak.apkg", tags=("cardgen::CT", f"scan_{study_date}"),
                      deck_name="cardgen::Private value z9101 q")
    hits = audit_package(deck, against=[folder])
    _assert_found(hits, study_date, "(0008,0020) StudyDate", "notes row 0 column tags")
    _assert_found(hits, "Private value z9101 q", "(0099,1001)", "col row 0 column decks")
    assert any(h.value == study_date and "DICOM form" in h.reason for h in audit_package(deck))


def test_private_sequence_and_unknown_vr_values_are_found(phi_case, tmp_path) -> None:
    folder, planted = phi_case
    in_sequence = next(p.value for p in planted if p.value.startswith("Seq meaning"))
    deck = build_deck(folder, tmp_path / "leak.apkg",
                      question=f"PRIVZ9103Q and privunknownz9105 and {in_sequence}")
    hits = audit_package(deck, against=[folder])
    found = {h.value for h in hits}
    assert {"privz 9103 q", "privunknownz 9105", normalised(in_sequence)} <= found


def test_escaped_html_does_not_hide_a_value(phi_case, tmp_path) -> None:
    folder, planted = phi_case
    institution = _planted(planted, 0x00080080)  # Institution Name
    deck = build_deck(folder, tmp_path / "leak.apkg",
                      answer=html.escape(institution).replace(" ", "&nbsp;"))
    _assert_found(audit_package(deck, against=[folder]), institution, "InstitutionName", "flds")


# --- identifier shapes, with no source files --------------------------------------------------

@pytest.mark.parametrize(("text", "value", "reason"), [
    ("see 1.2.840.113619.2.55.3.604688119 for details", "1.2.840.113619.2.55.3.604688119", "UID"),
    ("uid 2.25.329800735698586629295641978511506172918", "2.25.329800735698586629295641978511506172918",
     "UID"),
    ("scanned 20190312 at night", "20190312", "DICOM form (YYYYMMDD)"),
    ("patient DOE^JOHN", "DOE^JOHN", "Family^Given"),
])
def test_identifier_shapes_are_found_without_a_source(phi_case, tmp_path, text, value, reason) -> None:
    folder, _ = phi_case
    hits = audit_package(build_deck(folder, tmp_path / "shape.apkg", answer=text))
    # The note is named by its first field, where a person can find it.
    assert [(h.value, h.where) for h in hits] == [
        (value, "collection.anki2: notes row 0 column flds (note 'Which modality is this?')")]
    assert reason in hits[0].reason


@pytest.mark.parametrize("text", ["version 2.1.66", "IP 192.168.0.1", "ratio 1.2.3", "T2* 3.0T",
                                  "12345678901234", "room 2019031", "x^2 + y^2", "1,2,3,4,5"])
def test_ordinary_text_is_not_flagged(phi_case, tmp_path, text) -> None:
    folder, _ = phi_case
    assert audit_package(build_deck(folder, tmp_path / "ok.apkg", answer=text)) == []


def test_a_media_name_whose_digest_reads_as_a_date_is_not_flagged(phi_case, tmp_path) -> None:
    """A media file is named by the SHA-256 of its pixels; 24 hex digits hold eight decimal digits
    that read as a date about once in 1,400 names, and such a name (cardgen-...19110408...) stopped
    the sample deck's build. A date written beside it is still found."""
    folder, _ = phi_case
    name = "cardgen-0123456789abcdef19110408.png"
    deck = build_deck(folder, tmp_path / "hash.apkg", media_name=name, answer=f'<img src="{name}">')
    assert audit_package(deck) == []
    dated = build_deck(folder, tmp_path / "dated.apkg", media_name=name, answer=f'<img src="{name}"> 19110408')
    assert [h.value for h in audit_package(dated)] == ["19110408"]


# --- what cannot be audited fails --------------------------------------------------------------

def test_compressed_collection_fails_closed(phi_case, tmp_path) -> None:
    folder, _ = phi_case
    clean = build_deck(folder, tmp_path / "clean.apkg")
    newer = tmp_path / "newer.apkg"
    with zipfile.ZipFile(clean) as source, zipfile.ZipFile(newer, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("collection.anki21b", b"\x28\xb5\x2f\xfd not really zstd")
    reasons = " ".join(h.reason for h in audit_package(newer))
    assert "collection.anki21b" in " ".join(h.where for h in audit_package(newer))
    assert "zstandard" in reasons or "cannot" in reasons


def test_unreadable_media_map_fails_closed(tmp_path) -> None:
    package = tmp_path / "odd.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("collection.anki2", b"not sqlite")
        archive.writestr("media", b"\x00\x01binary")
    hits = audit_package(package)
    assert any(h.where == "media map" for h in hits)
    # without a collection at all it is no Anki package: an input error, not a patient identifier
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("media", b"\x00\x01binary")
    with pytest.raises(InputError, match="not an Anki package: it holds no collection database"):
        audit_package(package)


def test_not_a_package_is_an_input_error(tmp_path) -> None:
    bogus = tmp_path / "deck.apkg"
    bogus.write_text("not a zip")
    with pytest.raises(InputError, match="cannot open the deck package"):
        audit_package(bogus)


def test_against_a_missing_folder_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        values_from_files([tmp_path / "nope"])


def test_against_skips_non_dicom_files(tmp_path) -> None:
    (tmp_path / "case.yaml").write_text("title: x\n")
    (tmp_path / "image.png").write_bytes(png_bytes(Image.new("L", (4, 4))))
    assert values_from_files([tmp_path]) == []


def test_media_map_json_is_what_genanki_writes(phi_case, tmp_path) -> None:
    folder, _ = phi_case
    deck = build_deck(folder, tmp_path / "clean.apkg")
    with zipfile.ZipFile(deck) as archive:
        mapping = json.loads(archive.read("media"))
        assert set(archive.namelist()) == {"collection.anki2", "media", *mapping}
    assert keyword_for_tag(0x00100010) == "PatientName"
