"""The sample deck, built and imported into the real Anki backend."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pydicom
import pytest

from cardgen.build import BuildOptions, build_deck
from cardgen.teaching.loader import find_case_files, load_case
from tests.anki_helpers import import_package, media_names_in, open_collection
from tests.sample_cases import SAMPLE_CASES, SAMPLE_CURRICULUM


@pytest.fixture(scope="module")
def sample_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deck") / "sample.apkg"
    build_deck(BuildOptions(cases_dir=SAMPLE_CASES, out=out, curriculum=SAMPLE_CURRICULUM,
                            deck_name="Radiology"))
    return out


@pytest.fixture(scope="module")
def imported(sample_deck: Path, tmp_path_factory: pytest.TempPathFactory):
    col = open_collection(tmp_path_factory.mktemp("anki"))
    import_package(col, sample_deck)
    yield col
    col.close()


def _sample_cases():
    return [load_case(p) for p in find_case_files(SAMPLE_CASES)]


def test_note_and_card_counts(imported) -> None:
    cases = _sample_cases()
    images_with_findings = sum(len({f.image_id for f in c.findings if f.shapes}) for c in cases)
    findings = sum(len(c.findings) for c in cases)
    assert len(cases) >= 6
    # A case note, a note per finding, and an Image Occlusion note per annotated image.
    assert imported.note_count() == len(cases) + findings + images_with_findings
    # Case and finding notes make one card each; occlusion notes one per finding.
    assert imported.card_count() == len(cases) + 2 * findings
    assert len(imported.find_notes("note:cardgen*case*")) == len(cases)
    assert len(imported.find_notes('"note:Image Occlusion (cardgen v1)"')) == images_with_findings


def test_every_image_resolves_to_media(imported) -> None:
    media_dir = Path(imported.media.dir())
    seen = 0
    for note_id in imported.find_notes(""):
        note = imported.get_note(note_id)
        for card in note.cards():
            html = card.question() + card.answer()
            names = media_names_in(html)
            assert names, f"card of note {note['Title'] if 'Title' in note else note.fields[0]} shows no image"
            for name in names:
                assert (media_dir / name).is_file(), name
                seen += 1
    assert seen > 0


def test_subdecks_follow_curriculum(imported) -> None:
    names = {d.name for d in imported.decks.all_names_and_ids()}
    for section in ["02 Cardiac and vascular imaging", "03 Chest imaging",
                    "04 Gastrointestinal and abdominal imaging", "08 Musculoskeletal imaging",
                    "09 Neuroradiology", "12 Nuclear medicine"]:
        assert f"Radiology::{section}" in names, names
    deck_of_case = {}
    for note_id in imported.find_notes("note:cardgen*case*"):
        note = imported.get_note(note_id)
        deck_of_case[note["CaseId"]] = imported.decks.name(note.cards()[0].did)
    assert deck_of_case["chest-001"] == "Radiology::03 Chest imaging"
    assert deck_of_case["gi-001"] == "Radiology::04 Gastrointestinal and abdominal imaging"
    assert deck_of_case["nm-001"] == "Radiology::12 Nuclear medicine"


def test_tags(imported) -> None:
    note = imported.get_note(imported.find_notes("CaseId:gi-001")[0])
    tags = set(note.tags)
    assert "cardgen::case::gi-001" in tags
    assert "cardgen::difficulty::hard" in tags
    assert "cardgen::modality::MR" in tags
    assert "cardgen::level::II" in tags  # liver lesions are a level II topic
    assert "cardgen::topic::04_gi::04_liver-lesions" in tags
    every = {t for nid in imported.find_notes("") for t in imported.get_note(nid).tags}
    assert {"cardgen::modality::CT", "cardgen::modality::NM", "cardgen::difficulty::easy",
            "cardgen::level::I"} <= every


def test_answer_side_differs_from_question(imported) -> None:
    note = imported.get_note(imported.find_notes("CaseId:msk-001")[0])
    card = note.cards()[0]
    clean = set(media_names_in(card.question()))
    annotated = set(media_names_in(card.answer())) - clean
    assert clean and annotated, "the answer shows annotated images the question does not"
    assert "Normal thoracic vertebra" in card.answer()


def test_no_patient_identifiers_in_package(sample_deck: Path) -> None:
    """Names, IDs, dates and UIDs of the sample DICOM headers appear nowhere in the package."""
    identifying: set[str] = set()
    for path in SAMPLE_CASES.rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "StudyDate", "StudyInstanceUID",
                        "SeriesInstanceUID", "SOPInstanceUID", "InstitutionName", "ReferringPhysicianName",
                        "AccessionNumber"):
            value = str(ds.get(keyword, "") or "").strip()
            if len(value) >= 4:
                identifying.add(value)
    assert identifying
    with zipfile.ZipFile(sample_deck) as package:
        blobs = {name: package.read(name) for name in package.namelist()}
    media_map = json.loads(blobs["media"])
    for value in identifying:
        needle = value.encode()
        for name, data in blobs.items():
            assert needle not in data, f"{value!r} found in {name}"
        assert all(value not in m for m in media_map.values())
    # PNG media carry no text chunks.
    for index in media_map:
        data = blobs[index]
        assert b"tEXt" not in data and b"iTXt" not in data and b"zTXt" not in data


def test_case_text_is_escaped(tmp_path: Path, collection) -> None:
    from tests.sample_cases import GOOD_CASE, write_case

    text = GOOD_CASE.format(case_id="x-1").replace(
        "Test history.", "'<script>alert(1)</script><img src=x onerror=alert(2)>'")
    write_case(tmp_path / "cases", "x", text)
    out = tmp_path / "x.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)
    for note_id in collection.find_notes(""):
        for card in collection.get_note(note_id).cards():
            html = card.question() + card.answer()
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "&lt;script&gt;" in html and "&lt;img src=x" in html


ANKI_MARKUP = "[sound:evil.mp3] [anki:tts lang=en_US]spoken[/anki:tts] [$]x^2[/$] [latex]y[/latex] \\(z^2\\) \\[w\\]"


def test_ankis_own_markup_in_teaching_text_does_nothing(tmp_path: Path, collection) -> None:
    """HTML escaping leaves [ ] and \\ alone: a history or an id holding [sound:x.mp3] played a sound
    (the backend's av tags), [latex] made a LaTeX image, \\( \\) was left for MathJax. The card
    shows the characters; Anki acts on none of them."""
    import html as html_module

    from tests.sample_cases import GOOD_CASE, write_case

    text = (GOOD_CASE.format(case_id="x-[sound:id.mp3]").replace("Test history.", repr(ANKI_MARKUP))
            .replace("text: Vertebral body", f"text: {ANKI_MARKUP!r}"))
    write_case(tmp_path / "cases", "x", text + f"teaching_points: [{ANKI_MARKUP!r}]\n")
    out = tmp_path / "x.apkg"
    build_deck(BuildOptions(cases_dir=tmp_path / "cases", out=out))
    import_package(collection, out)
    cards = [card for note_id in collection.find_notes("") for card in collection.get_note(note_id).cards()]
    assert len(cards) >= 3
    for card in cards:
        output = card.render_output()
        page = output.question_text + output.answer_text
        assert output.question_av_tags == [] and output.answer_av_tags == [], card.note().note_type()["name"]
        assert "class=latex" not in page and "latex-" not in page
        seen = html_module.unescape(page)  # the page's text, as MathJax reads it
        assert "\\(" not in seen and "\\[" not in seen
    history = [card for card in cards if card.note().note_type()["name"].startswith("cardgen case")][0]
    assert "[sound:evil.mp3]" in html_module.unescape(history.question()).replace("\u2060", "")
    finding = collection.get_note(collection.find_notes("note:cardgen*finding*")[0])
    assert html_module.unescape(finding["Key"]) == "x-[sound:id.mp3]#1"


def test_objective_cards_and_new_card_order_follow_the_curriculum(tmp_path: Path, collection) -> None:
    """Text-only objective cards fill uncovered topics, and Anki's own queue serves every
    prerequisite before the topics that need it (read from the scheduler, not from our data)."""
    from cardgen.curriculum import load_curriculum

    out = tmp_path / "objectives.apkg"
    result = build_deck(BuildOptions(cases_dir=SAMPLE_CASES, out=out, curriculum=SAMPLE_CURRICULUM,
                                     deck_name="Radiology", objective_cards=True))
    assert result.text_only > 0
    import_package(collection, out)
    text_only = collection.find_notes("tag:cardgen::text_only")
    assert len(text_only) == result.text_only
    front = collection.get_note(text_only[0]).cards()[0].question()
    assert "Text-only card" in front and "<img" not in front

    curriculum = load_curriculum(SAMPLE_CURRICULUM)
    topics_of_case = {c.id: c.topics for c in _sample_cases()}
    collection.decks.select(collection.decks.id("Radiology"))
    collection.set_config("newLimit", 9999)
    config = collection.decks.config_dict_for_deck_id(collection.decks.id("Radiology"))
    config["new"]["perDay"] = 9999
    collection.decks.save(config)
    queued = collection.sched.get_queued_cards(fetch_limit=5000).cards
    assert len(queued) == collection.card_count()
    first_seen: dict[str, int] = {}
    for position, entry in enumerate(queued):
        note = collection.get_note(entry.card.note_id)
        if note.note_type()["name"].startswith("cardgen objective"):
            topics = [note["Key"].split(":", 1)[1].split("#")[0]]
        else:  # case, finding and occlusion notes all carry their case's tag
            [case_tag] = [t for t in note.tags if t.startswith("cardgen::case::")]
            topics = list(topics_of_case[case_tag.split("::")[-1]])
        for topic in topics:
            first_seen.setdefault(topic, position)
    checked = 0
    for topic, position in first_seen.items():
        for required in curriculum.prerequisites(topic):
            if required in first_seen:
                assert first_seen[required] < position, f"{required} served after {topic}"
                checked += 1
    assert checked >= 3


def test_finding_question_names_or_marks_the_finding_asked(imported) -> None:
    """Each finding card's question says which finding it asks: its label, or a box around it."""
    import re

    cases = {c.id: c for c in _sample_cases()}
    seen = {"named": 0, "marked": 0}
    for note_id in imported.find_notes('"note:cardgen finding (v1)"'):
        note = imported.get_note(note_id)
        case_id, number = note["Key"].rsplit("#", 1)
        case = cases[case_id]
        finding = case.findings[int(number) - 1]
        question = note.cards()[0].question()
        boxes = re.findall(r'class="cg-mark" style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;'
                           r'height:([\d.]+)%"', question)
        if finding.label:
            assert f"({finding.label})" in question and not boxes
            seen["named"] += 1
            continue
        assert "dashed box" in question and len(boxes) == 1, question
        # The box holds every shape of the finding, in percent of the rendered image's size.
        image = case.image(finding.image_id)
        if image.path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(image.path) as png:
                width, height = png.size
        else:
            with pydicom.dcmread(image.path, stop_before_pixels=True) as ds:
                width, height = int(ds.Columns), int(ds.Rows)
        left, top, box_w, box_h = (float(v) for v in boxes[0])
        for shape in finding.shapes:
            b = shape.bounds()
            assert left <= 100 * b.left / width and 100 * b.right / width <= left + box_w + 0.01
            assert top <= 100 * b.top / height and 100 * b.bottom / height <= top + box_h + 0.01
        # ... and not the whole image: it says which region, not "somewhere here".
        assert box_w * box_h < 100 * 100 * 0.5
        seen["marked"] += 1
    assert seen["named"] and seen["marked"], seen


def test_case_answer_draws_finding_numbers_with_a_toggle(imported) -> None:
    """The case answer numbers the findings list and draws the same numbers over its images (HTML,
    not pixels), next to each finding's shapes, with a checkbox that hides them."""
    import re

    cases = {c.id: c for c in _sample_cases()}
    checked = 0
    for note_id in imported.find_notes('"note:cardgen case (v1)"'):
        note = imported.get_note(note_id)
        case = cases[note["CaseId"]]
        answer = note.cards()[0].answer()
        if not any(f.shapes for f in case.findings):
            continue
        assert "<ol>" in note["Findings"] and note["Findings"].count("<li>") == len(case.findings)
        assert 'type="checkbox" id="cg-numbers"' in answer
        drawn = {int(n): (float(x), float(y)) for x, y, n in re.findall(
            r'class="cg-num" style="left:([\d.]+)%;top:([\d.]+)%">(\d+)</span>', answer)}
        expected = {i for i, f in enumerate(case.findings, start=1) if f.shapes}
        assert set(drawn) == expected, (case.id, drawn)
        for number in expected:
            x, y = drawn[number]
            assert 0 < x < 100 and 0 < y < 100
        checked += 1
    assert checked >= 3
