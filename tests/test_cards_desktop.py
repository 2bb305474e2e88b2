"""Case and finding cards where a learner sees them: the real Anki desktop's reviewer, headless.

Anki's reviewer stylesheet caps every image at 95 % of the window's height. With cardgen's images at
a fixed width, a tall image (a portrait radiograph, a sagittal spine) was drawn squashed: a 300 x 900
image at 640 x 647 in a 1000 x 800 window, a round lesion flat. One Anki run shows the finding question
and the case answer of three cases (tall, portrait, square; images made here with Pillow, and
pydicom's CT_small.dcm) and reports each image's box on the page and the boxes of its marks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from cardgen.build import BuildOptions, build_deck
from tests.desktop import run_desktop
from tests.sample_cases import GOOD_CASE, write_case

CHECKS = Path(__file__).with_name("desktop_checks.py")
WINDOW = (1000, 800)

PICTURE_CASE = """\
id: {case_id}
title: Shape {case_id}
history: Test history.
diagnosis: Test
topics: [msk.spine]
difficulty: easy
images:
  - file: picture.png
    burned_in: reviewed
findings:
  - text: The region of {case_id}
    shapes: [{{kind: ellipse, x: {x}, y: {y}, width: {size}, height: {size}}}]
"""
PICTURES = {"tall": (300, 900), "portrait": (2000, 2500)}  # the portrait one is rendered 819 x 1024


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("cards-desktop")
    cases = root / "cases"
    for case_id, (width, height) in PICTURES.items():
        picture = root / f"{case_id}.png"
        Image.new("L", (width, height), 70).save(picture)
        write_case(cases, case_id, PICTURE_CASE.format(case_id=case_id, x=width // 6, y=height // 2,
                                                       size=width // 3), image=picture, image_name="picture.png")
    write_case(cases, "square", GOOD_CASE.format(case_id="square"))
    deck = root / "deck.apkg"
    build_deck(BuildOptions(cases_dir=cases, out=deck, cache_dir=None))
    cards = []
    for case_id, title in (("tall", "Shape tall"), ("portrait", "Shape portrait"), ("square", "Vertebral body")):
        cards.append([f"{case_id} finding question", f"Key:{case_id}#1", "Finding 1 of 1", "question"])
        cards.append([f"{case_id} case answer", f"CaseId:{case_id}", title, "answer"])
    run = run_desktop(root / "anki", checks=CHECKS, check="card_images",
                      params={"cards": cards, "size": list(WINDOW)}, deck=deck)
    return run.result["cards"]


def test_every_image_keeps_its_shape_and_fits_the_window(shown: dict) -> None:
    assert len(shown) == 6
    for name, page in shown.items():
        viewport_height = page["viewport"][1]
        for image in page["images"]:
            natural_width, natural_height = image["natural"]
            _, _, width, height = image["box"]
            assert width / height == pytest.approx(natural_width / natural_height, rel=0.015), \
                f"{name}: a {natural_width} x {natural_height} image drawn {width:.0f} x {height:.0f}"
            assert height <= 0.95 * viewport_height + 1, f"{name}: {height:.0f} px tall in a {viewport_height} px window"
    tall = shown["tall finding question"]
    assert tall["images"][0]["natural"] == [300, 900]
    assert tall["images"][0]["box"][3] == pytest.approx(0.95 * tall["viewport"][1], abs=2)  # as tall as allowed


def test_each_mark_is_where_cardgen_put_it_on_the_image_drawn(shown: dict) -> None:
    marked = 0
    for name, page in shown.items():
        for image in page["images"]:
            left, top, width, height = image["box"]
            for mark in image["marks"]:
                percent = dict((key, float(value)) for key, value in
                               re.findall(r"(left|top|width|height):([\d.]+)%", mark["style"]))
                expected = [left + width * percent["left"] / 100, top + height * percent["top"] / 100,
                            width * percent["width"] / 100, height * percent["height"] / 100]
                assert mark["box"] == pytest.approx(expected, abs=1.5), f"{name}: {mark} on {image['box']}"
                marked += 1
    assert marked >= 3  # each finding question marks its finding
