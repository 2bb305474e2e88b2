"""What a rebuild skips is re-done whenever its input changed: parsed cases, header facts, and the
self-audit's memo of what it found clean.

Images: pydicom's bundled CT_small.dcm (128 x 128 axial CT), copied into the cases the tests write
(with another Patient's Name where a test says so).
Media for the audit tests are PNGs these tests encode with Pillow (with and without a text chunk).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from cardgen.build import BuildOptions, build_deck
from cardgen.deid.audit import PackageAudit, audit_package
from cardgen.deid.matcher import IdentifyingValue, ValueMatcher
from cardgen.deid.memo import AuditMemo
from cardgen.deid.patterns import SHAPE_HINT, SHAPE_PATTERNS
from cardgen.errors import InputError
from cardgen.build.cache import BuildCache
from cardgen.teaching.loader import load_case
from tests.anki_helpers import import_package
from tests.sample_cases import CT_SMALL, GOOD_CASE, write_case


def _counting_load(calls: list[Path]):
    def load(case_file: Path):
        calls.append(case_file)
        return load_case(case_file)
    return load


def test_unchanged_case_file_is_not_parsed_again_and_a_changed_one_is(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    case_dir = write_case(cases, "a", GOOD_CASE.format(case_id="case-a"))
    case_file = case_dir / "case.yaml"
    cache = BuildCache(tmp_path / "cache")

    calls: list[Path] = []
    parsed = cache.parsed_cases(cases, _counting_load(calls))
    assert parsed.stale([case_file]) == [case_file]
    assert parsed.load(case_file).title == "Vertebral body"
    parsed.save()
    assert calls == [case_file]

    calls.clear()
    parsed = cache.parsed_cases(cases, _counting_load(calls))
    assert parsed.stale([case_file]) == []
    assert parsed.load(case_file).title == "Vertebral body"
    assert calls == []  # remembered: no YAML read

    # Same size, new content and time: must be parsed again.
    case_file.write_text(GOOD_CASE.format(case_id="case-a").replace("Vertebral body", "Vertebral bodx", 1),
                         encoding="utf-8")
    stat = case_file.stat()
    os.utime(case_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    parsed = cache.parsed_cases(cases, _counting_load(calls))
    assert parsed.stale([case_file]) == [case_file]
    assert parsed.load(case_file).title == "Vertebral bodx"
    assert calls == [case_file]


def test_parsed_case_is_not_reused_when_its_image_is_gone(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    case_dir = write_case(cases, "a", GOOD_CASE.format(case_id="case-a"))
    options = BuildOptions(cases_dir=cases, out=tmp_path / "deck.apkg", cache_dir=tmp_path / "cache")
    build_deck(options)
    (case_dir / "ct.dcm").unlink()
    with pytest.raises(Exception) as caught:
        build_deck(options)
    # The parse runs again and names the missing file and the field, as a first build would.
    assert "does not exist" in str(caught.value) and "images[0].file" in str(caught.value)


def test_edited_case_reaches_the_deck_through_the_caches(tmp_path: Path, collection) -> None:
    cases = tmp_path / "cases"
    case_dir = write_case(cases, "a", GOOD_CASE.format(case_id="case-a"))
    options = BuildOptions(cases_dir=cases, out=tmp_path / "deck.apkg", cache_dir=tmp_path / "cache")
    build_deck(options)
    (case_dir / "case.yaml").write_text(GOOD_CASE.format(case_id="case-a").replace(
        "Test history.", "Back pain after a fall."), encoding="utf-8")
    again = build_deck(options)
    assert again.renders.cases_unchanged == 0
    fresh = build_deck(BuildOptions(cases_dir=cases, out=tmp_path / "fresh.apkg"))
    assert (tmp_path / "deck.apkg").read_bytes() == (tmp_path / "fresh.apkg").read_bytes()
    import_package(collection, tmp_path / "deck.apkg")
    fields = " ".join(collection.get_note(n).joined_fields() for n in collection.find_notes(""))
    assert "Back pain after a fall." in fields and "Test history." not in fields
    assert fresh.notes == again.notes


# --- the self-audit's memo ------------------------------------------------------------------------

def _png(text: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if text is not None:
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("L", (8, 8), 90).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _package(path: Path, flds: str, media: bytes) -> Path:
    """A minimal package: a collection with one notes row holding ``flds``, one media file."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "collection.anki2"
        with sqlite3.connect(database) as connection:
            connection.execute("CREATE TABLE notes (id INTEGER, guid TEXT, flds TEXT)")
            connection.execute("INSERT INTO notes VALUES (1700000000000, 'abc', ?)", (flds,))
        connection.close()
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(database, "collection.anki2")
            archive.writestr("media", '{"0": "image.png"}')
            archive.writestr("0", media)
    return path


PATIENT = IdentifyingValue("jane doe", "(0010,0010) PatientName", "source.dcm")


def test_audit_memo_skips_only_what_is_unchanged(tmp_path: Path) -> None:
    memo = AuditMemo()
    clean = _package(tmp_path / "clean.apkg", "Vertebral body", _png())
    assert audit_package(clean, values=[PATIENT], memo=memo) == []
    assert len(memo.used) == 2  # the notes row and the media file
    remembered = AuditMemo.load(_saved(tmp_path, memo))
    assert remembered.known == memo.used

    # A changed row and a media file of the same name with a text chunk: both found despite the memo.
    leaky = _package(tmp_path / "leaky.apkg", "Seen by Jane Doe", _png("Jane Doe 19700101"))
    hits = audit_package(leaky, values=[PATIENT], memo=remembered)
    where = {hit.where.split(" (note ")[0] for hit in hits}
    assert "collection.anki2: notes row 0 column flds" in where
    assert "media file 'image.png'" in where
    assert any(hit.value == "jane doe" and "PatientName" in hit.reason for hit in hits)

    # The unchanged clean package again: everything known, nothing searched, nothing found.
    again = AuditMemo.load(_saved(tmp_path, memo))
    assert audit_package(clean, values=[PATIENT], memo=again) == []
    assert again.used == again.known


def test_audit_memo_does_not_carry_over_to_other_values(tmp_path: Path) -> None:
    package = _package(tmp_path / "deck.apkg", "Seen by Jane Doe", _png())
    memo = AuditMemo()
    assert audit_package(package, values=[], memo=memo) == []  # nothing to look for yet
    hits = audit_package(package, values=[PATIENT], memo=AuditMemo.load(_saved(tmp_path, memo)))
    assert [hit.value for hit in hits] == ["jane doe"]


def _collection_of(package: Path, folder: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        return Path(archive.extract("collection.anki2", folder))


def test_audit_in_two_steps_reports_the_collection_searched_before_packing(tmp_path: Path) -> None:
    # The build searches its collection database as soon as genanki has written it, while the
    # media are still being packed; the finished package's collection (the same bytes) is not
    # searched again, and what the first step found is reported with the rest.
    leaky = _package(tmp_path / "leaky.apkg", "Seen by Jane Doe", _png("Jane Doe"))
    audit = PackageAudit(lambda: [PATIENT])
    audit.collection(_collection_of(leaky, tmp_path / "before-packing"))
    found = {(hit.where.split(" (note ")[0], hit.value) for hit in audit.package(leaky)}
    assert ("collection.anki2: notes row 0 column flds", "jane doe") in found  # found before packing
    assert ("media file 'image.png' metadata PNG text chunk 'Comment'", "jane doe") in found  # and in the package


def test_audit_in_two_steps_searches_a_packed_collection_other_than_the_one_searched(tmp_path: Path) -> None:
    # Only the very bytes searched before (same size and CRC-32) are skipped in the package.
    clean = _package(tmp_path / "clean.apkg", "Vertebral body", _png())
    leaky = _package(tmp_path / "leaky.apkg", "Seen by Jane Doe", _png())
    audit = PackageAudit(lambda: [PATIENT])
    audit.collection(_collection_of(clean, tmp_path / "before-packing"))
    assert audit.package(clean) == []
    assert [(hit.where.split(" (note ")[0], hit.value) for hit in audit.package(leaky)] == [
        ("collection.anki2: notes row 0 column flds", "jane doe")]


def _saved(tmp_path: Path, memo: AuditMemo) -> Path:
    path = tmp_path / "memo.audit"
    path.write_bytes(memo.to_bytes())
    return path


@pytest.mark.parametrize(("text", "found"), [
    ("Jane Doe", ["jane doe"]), ("JANE   DOE", ["jane doe"]), ("jane&nbsp;doe", ["jane doe"]),
    ("<b>Jane</b> Doe", ["jane doe"]), ("Jane Doe-Smith", ["jane doe", "smith"]), ("x123456y", ["123456"]),
    ("123456", ["123456"]), ("id 1234567", []), ("0123456", []), ("ſmith", ["smith"]), ("SMİTH", ["smith"]),
    ("Café 2.25.123456789", ["cafe", "2 25 123456789"]), ("", []), ("plain teaching text", []),
])
def test_matcher_finds_values_however_written(text: str, found: list[str]) -> None:
    items = [IdentifyingValue(v, "(0010,0010) PatientName", "") for v in
             ("jane doe", "123456", "smith", "cafe", "2 25 123456789")]
    assert [item.value for item in ValueMatcher(items).find(text)] == found


SHAPE_PIECES = ["1.2.840.113619.2.55", "2.25.1234567", "19991231", "20240229", "Doe^Jane", "^", ".", "0", "1",
                "2", "9", "a", "Z", " ", "é", "<br>", "-", "\\"]


@given(st.lists(st.sampled_from(SHAPE_PIECES) | st.text(max_size=3), max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_shape_hint_is_in_every_shape_match(text: str) -> None:
    # The audit skips the three shape patterns on text the hint does not find: that must never
    # skip a match (hypothesis mixes real UIDs, dates and names with loose digits, dots and carets).
    matches = [m.group(0) for pattern, _ in SHAPE_PATTERNS for m in pattern.finditer(text)]
    if SHAPE_HINT.search(text) is None:
        assert matches == []
    for match in matches:
        assert SHAPE_HINT.search(match)


# --- what is read from a DICOM file is read again when the file changes ---------------------------

def _set_patient_name(image: Path, name: str) -> None:
    """Rewrite the DICOM file with another Patient's Name, and a modification time 1 s later
    (so that a rewrite within the file system's clock tick still counts as a change)."""
    ds = pydicom.dcmread(image)
    ds.PatientName = name
    before = image.stat().st_mtime_ns
    ds.save_as(image)
    os.utime(image, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_changed_dicom_file_is_read_again(tmp_path: Path) -> None:
    from cardgen.imaging.dicom import read_dataset

    image = tmp_path / "ct.dcm"
    shutil.copyfile(CT_SMALL, image)
    _set_patient_name(image, "Smith^Alice")
    assert str(read_dataset(image).PatientName) == "Smith^Alice"
    _set_patient_name(image, "Doe^Jane")
    assert str(read_dataset(image, pixels=False).PatientName) == "Doe^Jane"


def test_audit_sees_identifying_values_of_a_changed_source(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    case_dir = write_case(cases, "a", GOOD_CASE.format(case_id="case-a").replace(
        "Test history.", "Referred by Dr Jane Doe."))
    _set_patient_name(case_dir / "ct.dcm", "Smith^Alice")
    options = BuildOptions(cases_dir=cases, out=tmp_path / "deck.apkg", cache_dir=tmp_path / "cache")
    build_deck(options)  # "Jane Doe" identifies nobody in these files
    _set_patient_name(case_dir / "ct.dcm", "Doe^Jane")
    with pytest.raises(InputError) as caught:  # the case's text check, before anything is rendered
        build_deck(options)
    assert "history: holds 'jane doe', the value of (0010,0010) PatientName" in str(caught.value)


def test_identifying_values_follow_a_source_that_now_leads_to_another_file(tmp_path: Path) -> None:
    # The remembered values of all sources are keyed by each file's path, device, inode, size and
    # time: a link swapped to another file of the same size and time is read again.
    first, second = tmp_path / "first.dcm", tmp_path / "second.dcm"
    for image, name in ((first, "Smith^Alice"), (second, "Jones^Bobby")):  # the same length: the same size
        shutil.copyfile(CT_SMALL, image)
        _set_patient_name(image, name)
    os.utime(second, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns))
    assert (first.stat().st_size, first.stat().st_mtime_ns) == (second.stat().st_size, second.stat().st_mtime_ns)
    source = tmp_path / "ct.dcm"
    source.symlink_to(first)
    cache = BuildCache(tmp_path / "cache")
    assert any("alice" in item.value for item in cache.readings.identifying_values_of_all([source]))
    source.unlink()
    source.symlink_to(second)
    values = cache.readings.identifying_values_of_all([source])
    assert any("bobby" in item.value for item in values) and not any("alice" in item.value for item in values)


def test_stored_png_check_reads_headers_as_the_whole_file_check_does(tmp_path: Path) -> None:
    # Media members the audit checks chunk header by chunk header must be judged as the check of
    # the whole file judges them; a compressed member is left to the whole-file check.
    from cardgen.deid.media import pixel_only_png, stored_pixel_only_png

    clean = io.BytesIO()
    Image.new("L", (8, 8), 7).save(clean, format="PNG")
    texted = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Patient", "Doe^Jane")
    Image.new("L", (8, 8), 7).save(texted, format="PNG", pnginfo=info)
    members = {"0": clean.getvalue(), "1": texted.getvalue(), "2": clean.getvalue() + b"tail",
               "3": clean.getvalue()[:-6], "4": b"GIF89a not a png"}
    package = tmp_path / "deck.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        archive.writestr("5", clean.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(package) as archive, open(package, "rb", buffering=0) as raw:
        judged = {info.filename: stored_pixel_only_png(raw, info) for info in archive.infolist()}
    assert judged == {"0": True, "1": False, "2": False, "3": False, "4": False, "5": False}
    assert {name: pixel_only_png(data) for name, data in members.items()} == {
        name: judged[name] for name in members}


def test_case_file_edited_while_being_parsed_is_parsed_again_next_time(tmp_path: Path) -> None:
    # The build parses the stale files after stale() looked at them; an edit in between must not
    # be remembered as parsed (the file's size and time are the ones from before the parse).
    cases = tmp_path / "cases"
    case_file = write_case(cases, "a", GOOD_CASE.format(case_id="case-a")) / "case.yaml"
    cache = BuildCache(tmp_path / "cache")

    parsed_meanwhile: dict[Path, object] = {}
    parsed = cache.parsed_cases(cases, lambda file: parsed_meanwhile[file])  # as the build's parsed_now
    assert parsed.stale([case_file]) == [case_file]
    parsed_meanwhile[case_file] = load_case(case_file)  # the parse, as the workers do it
    case_file.write_text(GOOD_CASE.format(case_id="case-a").replace("Vertebral body", "Edited meanwhile", 1),
                         encoding="utf-8")
    stat = case_file.stat()
    os.utime(case_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert parsed.load(case_file).title == "Vertebral body"
    parsed.save()

    again = cache.parsed_cases(cases, load_case)
    assert again.stale([case_file]) == [case_file]
    assert again.load(case_file).title == "Edited meanwhile"
