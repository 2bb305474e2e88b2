"""``cardgen preview`` opened in headless Chromium (Debian ``chromium``; tools/install-system-libs.sh
installs it): every card of the sample deck is on a page and visible, the pixel grid toggles (the
screenshots with and without it differ, inside the image only), and the pages log no console error.
A case with a mistake shows the problem on its page. ``--watch`` writes a changed case's page again.
Image Occlusion cards show their masks where their shapes are, in the card's own colours."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from cardgen.preview import watch, write_preview
from tests.sample_cases import GOOD_CASE, SAMPLE_CASES, SAMPLE_CURRICULUM, write_case

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (tools/install-system-libs.sh)")


def _chromium(tmp_path: Path, url: str, *extra: str, window: str = "1200,900") -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
               f"--window-size={window}", "--run-all-compositor-stages-before-draw",
               # Let the page load its images and run its script before the DOM or screenshot is taken,
               # however busy the machine.
               "--virtual-time-budget=5000", *extra, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def sample_preview(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("preview")
    result = write_preview(SAMPLE_CASES, out, SAMPLE_CURRICULUM)
    return out, result.cards


def test_every_card_of_the_sample_deck_is_visible_without_console_errors(sample_preview, tmp_path: Path) -> None:
    from cardgen.build import BuildOptions, build_deck

    out, cards = sample_preview
    deck = build_deck(BuildOptions(cases_dir=SAMPLE_CASES, out=tmp_path / "sample.apkg", curriculum=SAMPLE_CURRICULUM))
    assert cards == deck.cards  # every card of the deck has a place on a page
    seen = 0
    for page in sorted(out.glob("*.html")):
        run = _chromium(tmp_path, page.as_uri(), "--dump-dom")
        assert run.returncode == 0, run.stderr[-2000:]
        assert not _console_errors(run.stderr), (page.name, _console_errors(run.stderr))
        dom = run.stdout
        if page.name == "index.html":
            continue
        assert 'data-ready="1"' in dom, page.name  # the page's script ran to the end
        sides = re.findall(r'class="side (?:question|answer) card" data-visible="(\d)"', dom)
        assert sides and set(sides) == {"1"}, (page.name, sides)
        shown = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
        assert "Error loading image occlusion" not in shown  # Anki's occlusion script found its stand-in
        seen += len(sides) // 2
    assert seen == cards


def test_grid_toggles_inside_the_image(sample_preview, tmp_path: Path) -> None:
    out, _ = sample_preview
    page = out / "gi__gi-001.html"
    shots = {}
    for state, suffix in (("off", ""), ("on", "#grid")):
        shot = tmp_path / f"{state}.png"
        # The window ends just below the image: the cards further down load their own images, which
        # a busy machine may not have drawn yet in one of the two screenshots.
        run = _chromium(tmp_path, page.as_uri() + suffix, f"--screenshot={shot}", window="1200,630")
        assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
        assert not _console_errors(run.stderr)
        shots[state] = Image.open(shot).convert("RGB")
    box = ImageChops.difference(shots["on"], shots["off"]).getbbox()
    assert box is not None, "the grid changed nothing on screen"
    # What changed is the 484 x 300 image (drawn at its own size) and the checkbox above it.
    left, top, right, bottom = box
    assert right - left <= 484 + 2 and bottom - top <= 300 + 100, box
    # With the grid on, many pixels of the image turn towards yellow (more red and green than blue).
    def yellowish(im: Image.Image) -> int:
        return sum(1 for r, g, b in im.crop(box).getdata() if r - b > 60 and g - b > 60)
    assert yellowish(shots["on"]) > yellowish(shots["off"]) + 1000, (yellowish(shots["on"]), yellowish(shots["off"]))


def test_problems_show_on_the_page_and_watch_rewrites_it(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    case_dir = write_case(cases, "a", GOOD_CASE.format(case_id="a-1").replace("history:", "histroy:"))
    out = tmp_path / "out"
    result = write_preview(cases, out)
    page = out / "a.html"
    assert result.problems == 1 and "did you mean &#x27;history&#x27;" in page.read_text(encoding="utf-8")
    run = _chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert 'id="problems"' in run.stdout and not _console_errors(run.stderr)

    changed: list[list[Path]] = []
    watcher = threading.Thread(target=watch, args=(cases, out, None, changed.append), kwargs={"interval": 0.2, "rounds": 15})
    watcher.start()
    time.sleep(0.5)
    (case_dir / "case.yaml").write_text(GOOD_CASE.format(case_id="a-1"), encoding="utf-8")
    watcher.join()
    assert changed and changed[0] == [case_dir / "case.yaml"]
    text = page.read_text(encoding="utf-8")
    assert 'id="problems"' not in text and "data-card=" in text


@pytest.mark.parametrize("where", ["cases", "cases/a", "cases/a/pages"])
def test_pages_are_never_written_among_the_cases(tmp_path: Path, where: str) -> None:
    """Written into a case folder, the pages were a change to the case for --watch, which wrote them
    again for ever (14 times in 20 s); in the cases folder, index.html replaced the educator's own."""
    from click.testing import CliRunner

    from cardgen.cli import main

    cases = tmp_path / "cases"
    write_case(cases, "a", GOOD_CASE.format(case_id="a-1"))
    (cases / "index.html").write_text("my own index", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["preview", str(cases), "-o", str(tmp_path / where)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / where}: the preview's output folder is the cases "
                                    "folder, a case folder or inside one; write the pages outside"), result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (cases / "index.html").read_text(encoding="utf-8") == "my own index"


OCCLUSION_CASE = """\
id: io-1
title: Masks
history: Test history.
diagnosis: Test
topics: [msk.spine]
difficulty: easy
images:
  - file: grey.png
    id: plain
    burned_in: reviewed
findings:
  - text: The rectangle
    image: plain
    shapes: [{kind: rect, x: 40, y: 40, width: 120, height: 80}]
  - text: The ellipse
    image: plain
    shapes: [{kind: ellipse, x: 220, y: 40, width: 140, height: 90}]
  - text: The polygon
    image: plain
    shapes: [{kind: polygon, points: [[420, 60], [600, 90], [560, 200], [450, 170]]}]
"""
ACTIVE, INACTIVE = (0xFF, 0x8E, 0x8E), (0xFF, 0xEB, 0xA2)  # Anki's stock mask colours (cardgen's CSS)


def test_occlusion_masks_are_drawn_over_their_shapes_in_the_cards_colours(tmp_path: Path) -> None:
    """The first occlusion card's question: the region it asks is covered in the active colour, the
    other two (the note hides all) in the inactive one, 2 px inside every shape; no mask colour lies
    more than 2 px outside them (the findings' number labels are white boxes, not masks). The
    shapes are those of tests/test_occlusion_desktop.py, where the real desktop draws them. Each
    answer marks the finding its card asked."""
    grey = 90
    image = tmp_path / "grey.png"
    Image.new("RGB", (640, 480), (grey, grey, grey)).save(image)
    write_case(tmp_path / "cases", "io", OCCLUSION_CASE, image=image, image_name="grey.png")
    out = tmp_path / "preview"
    assert write_preview(tmp_path / "cases", out).problems == 0
    page = out / "io.html"
    window = "1200,2400"
    dom = _chromium(tmp_path, page.as_uri(), "--dump-dom", window=window).stdout
    boxes = re.findall(r'<canvas id="image-occlusion-canvas"[^>]*data-drawn="(\d+)" data-box="([^"]+)"', dom)
    assert len(boxes) == 6, boxes  # three cards, question and answer
    assert boxes[0][0] == "6"  # the question of card 1: its own region, the two others, three number labels
    # Each answer marks its own finding in the numbered list: the template's script looks through
    # the whole page, as in Anki, where the page is one card side.
    lists = re.findall(r'<div class="cg-io-back">(.*?)</ol>', dom, flags=re.S)
    asked = [[bool(re.match(r'<li class="cg-asked"', item)) for item in re.findall(r"<li[^>]*>", body)] for body in lists]
    assert asked == [[True, False, False], [False, True, False], [False, False, True]], asked
    left, top, width, height = (float(v) for v in boxes[0][1].split(","))
    shot = tmp_path / "io.png"
    run = _chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", window=window)
    assert run.returncode == 0 and not _console_errors(run.stderr), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[0] >= top + height, "the screenshot ends above the card"

    def near(colour) -> np.ndarray:
        return np.abs(pixels - np.array(colour)).max(axis=-1) <= 24

    scale_x, scale_y = width / 640, height / 480

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * scale_x, top + y * scale_y

    regions = {
        "rectangle": ("rectangle", [at(40, 40), at(160, 120)]),
        "ellipse": ("ellipse", [at(220, 40), at(360, 130)]),
        "polygon": ("polygon", [at(420, 60), at(600, 90), at(560, 200), at(450, 170)]),
    }
    size = (pixels.shape[1], pixels.shape[0])
    near_any = np.zeros(pixels.shape[:2], bool)
    for name, (kind, geometry) in regions.items():
        drawn = Image.new("L", size, 0)
        getattr(ImageDraw.Draw(drawn), kind)(geometry, fill=255)
        inside = np.asarray(drawn.filter(ImageFilter.MinFilter(5))) > 0
        near_any |= np.asarray(drawn.filter(ImageFilter.MaxFilter(5))) > 0
        colour = ACTIVE if name == "rectangle" else INACTIVE
        assert inside.sum() > 500 and near(colour)[inside].all(), (name, int((~near(colour)[inside]).sum()))
    canvas = np.zeros(pixels.shape[:2], bool)
    canvas[int(top) + 1:int(top + height) - 1, int(left) + 1:int(left + width) - 1] = True
    stray = (near(ACTIVE) | near(INACTIVE)) & canvas & ~near_any
    assert not stray.any(), f"{stray.sum()} mask pixels away from every shape"
