"""`cardgen pull` against a real Orthanc (Debian orthanc + orthanc-dicomweb), one per module.

Test data: every object is made in tests/pacs_data.py (synthetic CT slices with planted identifiers;
GSPS, TID 1500 SR and KOS "For Teaching" documents written with highdicom) and loaded through
Orthanc's REST API (POST /instances). The tests run in file order: later ones add studies to the
server and count cases relative to what was there.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

import pydicom
import pytest
import yaml
from click.testing import CliRunner

from cardgen.build import BuildOptions, build_deck
from cardgen.cli import main
from cardgen.deid.audit import audit_package
from cardgen.pacs import Connection, DateHandling, PullOptions, TransferCut, pull_teaching_files
from cardgen.teaching.loader import find_case_files, load_case
from tests.anki_helpers import import_package, open_collection
from tests.orthanc import CuttingProxy, ForwardProxy, Orthanc, free_port, require_orthanc, start_orthanc
from tests.pacs_data import (DOE, ROE, TeachingStudy, key_object_selection, presentation_state, segmentation,
                             teaching_study, to_bytes, unique_strings)


@pytest.fixture(scope="module")
def pacs(tmp_path_factory: pytest.TempPathFactory):
    """Orthanc holding two teaching studies (one per patient), and the originals as the PACS has them."""
    require_orthanc()
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    server.studies = []  # type: ignore[attr-defined]
    server.originals = tmp_path_factory.mktemp("originals")  # type: ignore[attr-defined]
    try:
        for study in (teaching_study(DOE, finding="nodule"), teaching_study(ROE, finding="mass")):
            _load(server, study)
        yield server
    finally:
        server.stop()


def _load(server: Orthanc, study: TeachingStudy) -> None:
    for ds in study.all():
        data = to_bytes(ds)
        server.upload(data)
        (server.originals / f"{ds.SOPInstanceUID}.dcm").write_bytes(data)  # type: ignore[attr-defined]
    server.studies.append(study)  # type: ignore[attr-defined]


def _pull(server_url: str, cases: Path, **options) -> object:
    return pull_teaching_files(PullOptions(Connection(server_url), cases, **options))


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def pulled(pacs: Orthanc, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cases = tmp_path_factory.mktemp("pulled") / "cases"
    report = _pull(pacs.dicomweb, cases)
    assert len(report.pulled) == 2 and not report.failures, report
    return cases


@pytest.fixture(scope="module")
def deck(pulled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deck") / "pacs.apkg"
    build_deck(BuildOptions(cases_dir=pulled, out=out, deck_name="From the PACS"))
    return out


def _case_of(cases: Path, study: TeachingStudy) -> Path:
    """The pulled case folder whose KOS description names this study's finding."""
    found = [p.parent for p in find_case_files(cases) if f"pulmonary {study.finding} " in p.read_text()]
    assert len(found) == 1, found
    return found[0]


def test_two_teaching_files_become_two_cases_in_kos_order(pacs: Orthanc, pulled: Path) -> None:
    case_files = find_case_files(pulled)
    assert len(case_files) == 2
    for study in pacs.studies[:2]:
        folder = _case_of(pulled, study)
        case = load_case(folder / "case.yaml")
        assert [img.id for img in case.images] == ["key-01", "key-02"]
        # KOS order: slice 2 then slice 3 of the series (Instance Number survives de-identification).
        numbers = [pydicom.dcmread(img.path).InstanceNumber for img in case.images]
        assert numbers == [int(ds.InstanceNumber) for ds in study.key_images] == [2, 3]
        # The GSPS window the radiologist used; chest CT presets where there was none.
        assert case.images[0].windows[0].center == 50 and case.images[0].windows[0].width == 350
        assert [w.name for w in case.images[1].windows] == ["lung", "mediastinum"]
        assert [(a.path.name, a.image_id) for a in case.annotation_files] == [("gsps-01.dcm", "key-01"),
                                                                            ("sr-01.dcm", "key-02")]
        # The KOS description starts the history, cleaned of the name and MRN written into it.
        assert case.history == f"[removed] ([removed]): 63F, smoker. Solitary pulmonary {study.finding} on staging CT."
        text = (folder / "case.yaml").read_text()
        for field in ("title", "diagnosis", "topics", "teaching_points"):
            assert re.search(rf"^{field}: .*# TODO", text, re.MULTILINE), field
        # The references between the de-identified objects still resolve.
        key_uids = [str(pydicom.dcmread(img.path).SOPInstanceUID) for img in case.images]
        kos = pydicom.dcmread(folder / "kos.dcm")
        assert [str(i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID) for i in kos.ContentSequence
                if i.ValueType == "IMAGE"] == key_uids
        gsps = pydicom.dcmread(folder / "gsps-01.dcm")
        assert gsps.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedSOPInstanceUID == key_uids[0]


def test_pulled_cases_build_and_every_finding_reaches_anki(deck: Path, tmp_path: Path) -> None:
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, deck)
        fields = " ".join(" ".join(col.get_note(nid).fields) for nid in col.find_notes(""))
        # GSPS text objects ("nodule", "mass") and the SR's finding (SCT Mass, tracking id "lesion 1").
        for text in ("nodule", "mass", "Mass", "lesion 1"):
            assert text in fields, text
        occlusion = col.find_notes('"note:Image Occlusion (cardgen v1)"')
        assert len(occlusion) == 4  # one per annotated key image: 2 cases x (GSPS image + SR image)
    finally:
        col.close()


def test_no_planted_identifier_in_any_pulled_file_case_or_deck(pacs: Orthanc, pulled: Path, deck: Path) -> None:
    planted = [value.lower() for patient in (DOE, ROE) for value in patient.planted()]
    uids = {uid for study in pacs.studies[:2] for uid in unique_strings(study)}
    files = {p: p.read_bytes() for p in pulled.rglob("*") if p.is_file()}
    assert sum(p.suffix == ".dcm" for p in files) == 2 * 5
    for path, data in files.items():
        text = data.decode("latin-1").lower()
        for value in planted:
            assert value not in text, (path, value)
        for uid in uids:
            assert uid not in text, (path, uid)
    with zipfile.ZipFile(deck) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("latin-1").lower()
            for value in planted:
                assert value not in text, (name, value)
    # And the audit, against the originals as the PACS holds them (every Annex E value, every UID shape).
    assert audit_package(deck, against=[pacs.originals]) == []


def test_the_same_patient_keeps_one_pseudonym(pacs: Orthanc, pulled: Path) -> None:
    doe, roe = (_case_of(pulled, study) for study in pacs.studies[:2])
    names = {folder: {str(pydicom.dcmread(p).PatientName) for p in folder.glob("*.dcm")} for folder in (doe, roe)}
    assert len(names[doe]) == 1 and len(names[roe]) == 1 and names[doe] != names[roe]
    ids = {str(pydicom.dcmread(p).PatientID) for p in doe.glob("*.dcm")}
    assert len(ids) == 1 and DOE.patient_id not in ids


def test_a_second_pull_changes_nothing_and_keeps_edits(pacs: Orthanc, pulled: Path) -> None:
    case_file = _case_of(pulled, pacs.studies[0]) / "case.yaml"
    case_file.write_text(case_file.read_text().replace('diagnosis: ""', "diagnosis: Hamartoma"))
    before = _tree(pulled)
    report = _pull(pacs.dicomweb, pulled)
    assert report.pulled == [] and len(report.present) == 2
    assert _tree(pulled) == before
    assert load_case(case_file).diagnosis == "Hamartoma"


def test_annotations_made_later_go_beside_the_case_never_over_it(pacs: Orthanc, pulled: Path) -> None:
    from cardgen.annotations.readers import ImageRef, read_annotations

    study = pacs.studies[0]
    folder = _case_of(pulled, study)
    before = _tree(folder)
    later = presentation_state(study.key_images[1], "calcification", DOE, series_number=95, window=None)
    pacs.upload(to_bytes(later))
    report = _pull(pacs.dicomweb, pulled)
    assert report.pulled == [] and len(report.added) == 1, report
    after = _tree(folder)
    assert {k: v for k, v in after.items() if k in before} == before  # case.yaml and every file as they were
    assert sorted(set(after) - set(before)) == ["gsps-02.dcm", "pulled-later.yaml"]
    snippet = (folder / "pulled-later.yaml").read_text()
    assert "- {file: gsps-02.dcm, image: key-02}" in snippet
    # The new GSPS references the key image already in the folder (UIDs remapped the same way).
    (note,) = read_annotations(folder / "gsps-02.dcm", ImageRef.from_file(folder / "key-02.dcm", None))
    assert note.text == "calcification"
    # Nothing more on the next pull.
    whole = _tree(pulled)
    report = _pull(pacs.dicomweb, pulled)
    assert report.added == [] and _tree(pulled) == whole


def test_one_more_kos_adds_exactly_one_case_with_the_same_pseudonym(pacs: Orthanc, pulled: Path) -> None:
    before = _tree(pulled)
    _load(pacs, teaching_study(DOE, study_date="20250301", finding="granuloma"))
    report = _pull(pacs.dicomweb, pulled)
    assert len(report.pulled) == 1 and len(report.present) == 2
    after = _tree(pulled)
    cases_before = {k: v for k, v in before.items() if not k.startswith(".cardgen-pull/")}
    assert {k: v for k, v in after.items() if k in cases_before} == cases_before  # no case touched
    new_folders = {k.split("/")[0] for k in after if k not in before and not k.startswith(".")}
    assert len(new_folders) == 1
    new = pulled / new_folders.pop()
    old = _case_of(pulled, pacs.studies[0])
    assert pydicom.dcmread(new / "key-01.dcm").PatientName == pydicom.dcmread(old / "key-01.dcm").PatientName
    assert len(find_case_files(pulled)) == 3


def test_a_cut_transfer_leaves_no_partial_case_and_the_next_pull_completes_it(pacs: Orthanc, pulled: Path) -> None:
    _load(pacs, teaching_study(ROE, study_date="20250402", finding="cavity"))
    before = _tree(pulled)
    port = int(pacs.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, limit=60_000)  # past the searches and the KOS, inside the first key image
    try:
        with pytest.raises(TransferCut, match="run the pull again"):
            _pull(f"http://127.0.0.1:{proxy.port}/dicom-web", pulled)
        assert proxy.cuts >= 1
    finally:
        proxy.close()
    visible = {k: v for k, v in _tree(pulled).items() if not k.startswith(".cardgen-pull/partial-")}
    assert visible == before  # no case folder, no changed state
    assert len(find_case_files(pulled)) == 3
    report = _pull(pacs.dicomweb, pulled)
    assert len(report.pulled) == 1
    assert len(find_case_files(pulled)) == 4
    assert not list((pulled / ".cardgen-pull").glob("partial-*"))
    assert "pulmonary cavity" in _case_of_text(pulled, "cavity")


def _case_of_text(cases: Path, word: str) -> str:
    (found,) = [p.read_text() for p in find_case_files(cases) if word in p.read_text()]
    return found


def test_dry_run_lists_and_writes_nothing(pacs: Orthanc, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    result = CliRunner().invoke(main, ["pull", "--server", pacs.dicomweb, "-o", str(cases), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.count("would pull pacs-") == len(pacs.studies)
    assert "2 key image(s), 1 GSPS, 1 SR" in result.output
    assert not cases.exists()
    # --since filters on the study date the PACS holds (QIDO range matching).
    dated = [s for s in pacs.studies if str(s.kos.StudyDate) >= "20250301"]
    assert 0 < len(dated) < len(pacs.studies)
    result = CliRunner().invoke(main, ["pull", "--server", pacs.dicomweb, "-o", str(cases), "--dry-run",
                                       "--since", "2025-03-01"])
    assert result.exit_code == 0 and result.output.count("would pull pacs-") == len(dated), result.output


def test_study_filter_and_removed_dates(pacs: Orthanc, tmp_path: Path) -> None:
    study = pacs.studies[1]
    cases = tmp_path / "cases"
    report = _pull(pacs.dicomweb, cases, study=str(study.kos.StudyInstanceUID), dates=DateHandling.REMOVE)
    assert len(report.pulled) == 1
    (folder,) = [p.parent for p in find_case_files(cases)]
    for path in folder.glob("*.dcm"):
        ds = pydicom.dcmread(path)
        assert all(elem.value in ("", None) for elem in ds.iterall() if elem.VR in ("DA", "DT")), path


def test_a_kos_not_for_teaching_is_left_alone(pacs: Orthanc, tmp_path: Path) -> None:
    from pydicom.sr.codedict import codes

    study = pacs.studies[1]
    other = key_object_selection(study.key_images, description="for the tumour board",
                                 title=codes.DCM.OfInterest, series_number=98)
    pacs.upload(to_bytes(other))
    report = _pull(pacs.dicomweb, tmp_path / "cases", study=str(study.kos.StudyInstanceUID))
    assert len(report.pulled) == 1  # the "For Teaching" one only
    report = _pull(pacs.dicomweb, tmp_path / "all", study=str(study.kos.StudyInstanceUID),
                   kos_title="Of Interest")
    assert len(report.pulled) == 1 and "tumour board" in _case_of_text(tmp_path / "all", "tumour")


def test_a_kos_that_references_a_missing_image_fails_alone(pacs: Orthanc, tmp_path: Path) -> None:
    study = teaching_study(DOE, study_date="20250510", finding="effusion")
    for ds in study.all():
        if ds is not study.key_images[1]:
            pacs.upload(to_bytes(ds))
    cases = tmp_path / "cases"
    result = CliRunner().invoke(main, ["pull", "--server", pacs.dicomweb, "-o", str(cases)])
    assert result.exit_code == 1
    assert "references an object the server does not have" in result.output
    assert "Traceback" not in result.output
    assert len(find_case_files(cases)) == len(pacs.studies)  # every other KOS was pulled
    assert not any("effusion" in p.read_text() for p in find_case_files(cases))


# --- connection errors: one line a person can act on --------------------------------------------

def _cli_pull(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["pull", *args], env=env)


def test_unreachable_server(tmp_path: Path) -> None:
    from tests.orthanc import free_port

    result = _cli_pull("--server", f"http://127.0.0.1:{free_port()}/dicom-web", "-o", str(tmp_path / "c"))
    assert result.exit_code == 1
    assert "cannot reach the server" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("option", "url", "why"), [
    ("--server", "ftp://pacs/dicom-web", "must be a URL with a host, starting http:// or https://"),
    ("--server", "localhost:8042/dicom-web", "must be a URL with a host"),  # no scheme
    ("--server", "http://", "must be a URL with a host"),
    ("--server", " http://localhost:8042/dicom-web", "must be a URL with a host"),  # pasted with a space
    ("--server", "http://[::1/dicom-web", "Invalid IPv6 URL"),
    ("--server", "http://localhost:99999/dicom-web", "Port out of range"),
    ("--proxy", "proxy.example.org:3128", "starting http:// or https:// or socks5://"),
])
def test_an_address_that_is_not_a_url_is_one_line_naming_it(tmp_path: Path, option: str, url: str,
                                                             why: str) -> None:
    """dicomweb-client raised ValueError("Malformed URL") for these, a traceback."""
    server = url if option == "--server" else f"http://127.0.0.1:{free_port()}/dicom-web"
    extra = ["--proxy", url] if option == "--proxy" else []
    result = _cli_pull("--server", server, "-o", str(tmp_path / "c"), *extra)
    assert result.exit_code == 1
    line, = result.output.strip().splitlines()
    assert line.startswith(f"Error: {url!r}: ") and why in line and f"give {option} as" in line, line
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["--study", "1.2.x"], "Error: --study '1.2.x': not a Study Instance UID"),
    (["--study", ""], "Error: --study '': not a Study Instance UID"),
    (["--study", "1.2.3 "], "Error: --study '1.2.3 ': not a Study Instance UID"),
    (["--kos-title", " "], "Error: --kos-title is empty"),
    (["--timeout", "nan"], "Error: Invalid value for '--timeout'"),
])
def test_a_filter_no_study_can_match_is_refused_before_asking_the_server(tmp_path: Path, args: list[str],
                                                                         expected: str) -> None:
    """These reached the server; its library then blamed the server's answer for the typo."""
    result = _cli_pull("--server", f"http://127.0.0.1:{free_port()}/dicom-web", "-o", str(tmp_path / "c"), *args)
    assert result.exit_code in (1, 2) and result.output.strip().splitlines()[-1].startswith(expected), result.output
    assert not (tmp_path / "c").exists()


def test_a_pull_goes_through_the_proxy_given_and_not_the_environments(pacs: Orthanc, tmp_path: Path) -> None:
    """``--proxy``: every request reaches the PACS through that proxy (a real forward proxy on
    loopback), and an explicit proxy wins over HTTP_PROXY; a proxy that cannot be reached is one
    line naming it, with nothing written."""
    study = str(pacs.studies[0].kos.StudyInstanceUID)
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    proxy = ForwardProxy()
    try:
        cases = tmp_path / "cases"
        result = _cli_pull("--server", pacs.dicomweb, "-o", str(cases), "--study", study, "--proxy", proxy.url,
                           env={"HTTP_PROXY": dead_proxy, "http_proxy": dead_proxy, "NO_PROXY": "", "no_proxy": ""})
        assert result.exit_code == 0, result.output
        assert "pulled 1 case(s)" in result.output, result.output
        assert len(find_case_files(cases)) == 1
        assert proxy.requests and all(url.startswith(pacs.url + "/dicom-web/") for _, url in proxy.requests)
        assert any("/instances/" in url for _, url in proxy.requests)  # the retrievals too, not only searches
    finally:
        proxy.close()
    refused = _cli_pull("--server", pacs.dicomweb, "-o", str(tmp_path / "none"), "--proxy", dead_proxy)
    assert refused.exit_code == 1
    assert refused.output.strip() == (f"Error: {dead_proxy}: the proxy refused or could not be reached; "
                                      "check --proxy"), refused.output
    assert not (tmp_path / "none").exists()


def test_wrong_dicomweb_root_is_a_404(pacs: Orthanc, tmp_path: Path) -> None:
    result = _cli_pull("--server", f"{pacs.url}/not-dicom-web", "-o", str(tmp_path / "c"))
    assert result.exit_code == 1 and "404" in result.output and "DICOMweb root" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_basic_auth_from_a_file_or_the_environment_and_401(tmp_path: Path) -> None:
    require_orthanc()
    server = start_orthanc(tmp_path / "secured", extra_config={
        "AuthenticationEnabled": True, "RegisteredUsers": {"teacher": "s3cret-Pa55"}})
    try:
        server_url = server.dicomweb
        wrong = _cli_pull("--server", server_url, "-o", str(tmp_path / "c"), "--user", "teacher",
                          env={"CARDGEN_PACS_PASSWORD": "nope"})
        assert wrong.exit_code == 1 and "401" in wrong.output and "nope" not in wrong.output
        ok = _cli_pull("--server", server_url, "-o", str(tmp_path / "c"), "--user", "teacher",
                       env={"CARDGEN_PACS_PASSWORD": "s3cret-Pa55"})
        assert ok.exit_code == 0, ok.output
        assert "pulled 0 case(s)" in ok.output and "s3cret" not in ok.output
        secret_file = tmp_path / "password"
        secret_file.write_text("s3cret-Pa55\n")
        ok = _cli_pull("--server", server_url, "-o", str(tmp_path / "c"), "--user", "teacher",
                       "--password-file", str(secret_file))
        assert ok.exit_code == 0, ok.output
        unset = _cli_pull("--server", server_url, "-o", str(tmp_path / "c"), "--user", "teacher",
                          "--password-env", "CARDGEN_TEST_UNSET_VARIABLE")
        assert unset.exit_code == 1 and "CARDGEN_TEST_UNSET_VARIABLE" in unset.output
    finally:
        server.stop()


def test_a_bearer_token_is_sent_and_never_written(pacs: Orthanc, tmp_path: Path) -> None:
    from cardgen.pacs.server import Server, credentials_from_options

    token_file = tmp_path / "token"
    token_file.write_text("tok-7f3a9c-teaching\n")
    server = Server(Connection(pacs.dicomweb, credentials_from_options(None, None, None, None, token_file)))
    assert server._client._session.headers["Authorization"] == "Bearer tok-7f3a9c-teaching"
    cases = tmp_path / "cases"
    result = _cli_pull("--server", pacs.dicomweb, "-o", str(cases), "--token-file", str(token_file),
                       "--study", str(pacs.studies[0].kos.StudyInstanceUID))
    assert result.exit_code == 0, result.output
    assert "tok-7f3a9c" not in result.output
    assert all(b"tok-7f3a9c" not in data for data in _tree(cases).values())
    state = (cases / ".cardgen-pull" / "state.json")
    assert state.stat().st_mode & 0o077 == 0  # the pseudonym secret is readable by its owner only


def test_a_segmentation_is_pulled_and_its_segment_becomes_a_card(pacs: Orthanc, tmp_path: Path) -> None:
    study = teaching_study(ROE, study_date="20250611", finding="opacity")
    study.extra.append(segmentation(study.key_images[0], "ground-glass opacity"))
    for ds in study.all():
        pacs.upload(to_bytes(ds))
    cases = tmp_path / "cases"
    report = _pull(pacs.dicomweb, cases, study=str(study.kos.StudyInstanceUID))
    assert [p.annotations for p in report.pulled] == [{"gsps": 1, "seg": 1, "sr": 1}]
    (case_file,) = find_case_files(cases)
    case = load_case(case_file)
    assert [(a.path.name, a.image_id) for a in case.annotation_files] == [
        ("gsps-01.dcm", "key-01"), ("sr-01.dcm", "key-02"), ("seg-01.dcm", "key-01")]
    out = tmp_path / "seg.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=out))
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, out)
        fields = " ".join(" ".join(col.get_note(nid).fields) for nid in col.find_notes(""))
        assert "ground-glass opacity" in fields and "opacity" in fields
    finally:
        col.close()


def test_a_pseudonym_that_is_another_persons_name_is_drawn_again() -> None:
    """dicognito picks pseudonyms from lists of common names, so a patient's is now and then a name
    the case's originals hold (the operator's given name, say): the audit, which cannot tell that
    from a leak, refused the case (the PACS tests failed so now and then). Here the operator is
    named exactly as dicognito names the patient under the folder's secret: the patient gets
    another pseudonym, the same in every object of the study and in a second pull, and the audit
    finds nothing. (No Orthanc: the study's objects as tests/pacs_data.py writes them.)"""
    from dataclasses import replace

    from dicognito.anonymizer import Anonymizer

    from cardgen.pacs.deidentify import Deidentifier, audit_dataset, matcher_for

    secret = "a cases folder's secret"
    sex = teaching_study(DOE).slices[0].PatientSex
    scratch = pydicom.Dataset()
    scratch.file_meta = pydicom.dataset.FileMetaDataset()
    scratch.PatientSex, scratch.PatientName = sex, DOE.name
    Anonymizer(id_prefix="CG", seed=secret).anonymize(scratch)
    first_draw = str(scratch.PatientName)
    operator = replace(DOE, operator=first_draw)

    def as_retrieved(patient) -> list[pydicom.Dataset]:  # as the pull reads them: from their bytes
        return [pydicom.dcmread(io.BytesIO(to_bytes(ds))) for ds in teaching_study(patient).all()]

    def pulled_names() -> list[str]:
        originals = as_retrieved(operator)
        matcher = matcher_for(originals)
        clean = Deidentifier(secret).deidentify(originals, matcher)
        assert [hit for ds in clean for hit in audit_dataset(ds, matcher)] == []
        return [str(ds.PatientName) for ds in clean]

    names = pulled_names()
    assert len(set(names)) == 1 and names[0] not in ("", first_draw)
    assert not set(names[0].upper().split("^")) & set(first_draw.upper().split("^")) - {""}
    assert pulled_names() == names
    # An operator named otherwise leaves dicognito's first draw as it was.
    originals = as_retrieved(DOE)
    assert {str(ds.PatientName) for ds in Deidentifier(secret).deidentify(originals, matcher_for(originals))} \
        == {first_draw}
