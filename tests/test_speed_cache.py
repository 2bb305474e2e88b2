"""Parallel and cached builds give the same deck as a plain build, and render only what changed.

Renders are counted through the build's own counters (``BuildResult.renders``), never timed.
Images: pydicom's bundled CT_small.dcm (128 x 128 axial CT), copied into the cases the tests write,
each with a different bright corner (so that no two cases share a render), altered again where a
test changes an image.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pydicom
import pytest
from click.testing import CliRunner

from cardgen.build import BuildOptions, BuildResult, build_deck
from cardgen.cli import main
from cardgen.errors import InputError
from cardgen.build.cache import CACHE_ENV, BuildCache, default_cache_dir
from tests.anki_helpers import import_package, media_names_in
from tests.sample_cases import GOOD_CASE, write_case

TWO_WINDOWS = GOOD_CASE.replace("window: bone", "window: [bone, soft_tissue]")
TWO_FINDINGS = GOOD_CASE + """\
  - text: Spinal canal
    image: axial
    shapes:
      - {{kind: point, at: [64, 60]}}
"""
# Unique renders per case: clean + annotated per window, + each finding drawn alone when it is not
# the whole annotated image (a single finding is: its render is the annotated one).
UNIQUE_RENDERS = {"a": 2, "b": 4, "c": 4}


def _mark_corner(image: Path, value: int) -> None:
    """Set a 16 x 16 corner of the DICOM file's pixels to ``value``."""
    ds = pydicom.dcmread(image)
    pixels = ds.pixel_array.copy()
    pixels[:16, :16] = value
    ds.PixelData = pixels.tobytes()
    ds.save_as(image)


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    root = tmp_path / "cases"
    for value, (folder, text) in enumerate([("a", GOOD_CASE), ("b", TWO_WINDOWS), ("c", TWO_FINDINGS)]):
        write_case(root, folder, text.format(case_id=f"case-{folder}"))
        _mark_corner(root / folder / "ct.dcm", 1500 + 100 * value)
    return root


def _build(cases: Path, out: Path, *, jobs: int = 1, cache: Path | None = None,
           keep_going: bool = False) -> BuildResult:
    return build_deck(BuildOptions(cases_dir=cases, out=out, jobs=jobs, cache_dir=cache, keep_going=keep_going))


def test_parallel_build_is_byte_identical_and_imports(cases: Path, tmp_path: Path, collection) -> None:
    serial = _build(cases, tmp_path / "serial.apkg", jobs=1)
    parallel = _build(cases, tmp_path / "parallel.apkg", jobs=2)
    cached = _build(cases, tmp_path / "cached.apkg", jobs=2, cache=tmp_path / "cache")
    reference = (tmp_path / "serial.apkg").read_bytes()
    assert (tmp_path / "parallel.apkg").read_bytes() == reference
    assert (tmp_path / "cached.apkg").read_bytes() == reference
    expected = sum(UNIQUE_RENDERS.values())
    assert serial.renders.rendered == parallel.renders.rendered == cached.renders.rendered == expected
    assert serial.media == expected
    # Cases a and b have one finding each: its render is the annotated image of the first window.
    assert serial.renders.reused == parallel.renders.reused == 2

    import_package(collection, tmp_path / "parallel.apkg")
    # A case note per case, a finding note per finding, an Image Occlusion note per annotated image.
    assert collection.note_count() == 3 + 4 + 3
    media_dir = Path(collection.media.dir())
    shown = {name for note_id in collection.find_notes("") for card in collection.get_note(note_id).cards()
             for name in media_names_in(card.question() + card.answer())}
    assert len(shown) == expected
    assert all((media_dir / name).is_file() for name in shown)


def test_media_are_stored_and_the_collection_deflated(cases: Path, tmp_path: Path) -> None:
    _build(cases, tmp_path / "deck.apkg")
    with zipfile.ZipFile(tmp_path / "deck.apkg") as package:
        entries = {info.filename: info for info in package.infolist()}
        assert entries["collection.anki2"].compress_type == zipfile.ZIP_DEFLATED
        assert entries["collection.anki2"].compress_size < entries["collection.anki2"].file_size / 2
        media = [info for name, info in entries.items() if name.isdigit()]
        assert len(media) == sum(UNIQUE_RENDERS.values())
        assert all(info.compress_type == zipfile.ZIP_STORED for info in media)
        assert all(package.read(info.filename).startswith(b"\x89PNG") for info in media)


def test_second_build_renders_nothing(cases: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _build(cases, tmp_path / "1.apkg", jobs=2, cache=cache)
    assert first.renders.rendered == sum(UNIQUE_RENDERS.values())
    again = _build(cases, tmp_path / "1.apkg", jobs=2, cache=cache)
    assert again.renders.rendered == 0
    assert again.renders.cases_unchanged == 3
    elsewhere = _build(cases, tmp_path / "2.apkg", jobs=1, cache=cache)  # a new package path is written
    assert elsewhere.renders.rendered == 0
    assert (tmp_path / "2.apkg").read_bytes() == (tmp_path / "1.apkg").read_bytes()


def test_changed_case_renders_only_its_changed_requests(cases: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _build(cases, tmp_path / "deck.apkg", cache=cache)
    case_file = cases / "a" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("x: 42, y: 4", "x: 40, y: 6"), encoding="utf-8")
    rebuilt = _build(cases, tmp_path / "deck.apkg", cache=cache)
    # Only case a runs: its annotated image is new; its clean image comes from the render cache and
    # its finding's image is the annotated one.
    assert rebuilt.renders.cases_unchanged == 2
    assert (rebuilt.renders.rendered, rebuilt.renders.reused) == (1, 2)
    fresh = _build(cases, tmp_path / "fresh.apkg")  # and the result is what a build from nothing gives
    assert (tmp_path / "fresh.apkg").read_bytes() == (tmp_path / "deck.apkg").read_bytes()
    assert fresh.renders.rendered == sum(UNIQUE_RENDERS.values())


def test_changed_image_bytes_render_again(cases: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _build(cases, tmp_path / "deck.apkg", cache=cache)
    _mark_corner(cases / "b" / "ct.dcm", 2100)
    rebuilt = _build(cases, tmp_path / "deck.apkg", cache=cache)
    assert rebuilt.renders.cases_unchanged == 2
    assert rebuilt.renders.rendered == UNIQUE_RENDERS["b"]


def test_damaged_cache_entries_are_made_again(cases: Path, tmp_path: Path) -> None:
    # The cache's small entries are rows of one SQLite database; a row whose value cannot be read
    # (a case's notes, a render's line) counts as missing: the case is built and rendered again.
    import sqlite3

    cache = tmp_path / "cache"
    _build(cases, tmp_path / "deck.apkg", cache=cache)
    with sqlite3.connect(cache / "entries.sqlite") as database:
        kinds = dict(database.execute("SELECT kind, count(*) FROM entries GROUP BY kind"))
        database.execute("UPDATE entries SET value = x'8003' WHERE kind IN ('case', 'render')")
    database.close()
    assert kinds["case"] == 3 and kinds["render"] >= sum(UNIQUE_RENDERS.values())
    rebuilt = _build(cases, tmp_path / "again.apkg", cache=cache)
    assert (rebuilt.renders.cases_unchanged, rebuilt.renders.rendered) == (0, sum(UNIQUE_RENDERS.values()))
    assert (tmp_path / "again.apkg").read_bytes() == (tmp_path / "deck.apkg").read_bytes()


def _remember_cases(root: Path, tag: str) -> None:
    cache = BuildCache(root)
    for number in range(150):
        cache.cases.put(f"{tag}-{number}", (tag, number))


def test_cache_entries_written_by_two_processes_at_once_are_all_kept(tmp_path: Path) -> None:
    # A build's workers (and builds run side by side) write to the one database at the same time.
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_remember_cases, args=(tmp_path / "cache", tag)) for tag in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [writer.exitcode for writer in writers] == [0, 0]
    cache = BuildCache(tmp_path / "cache")
    assert all(cache.cases.get(f"{tag}-{number}") == (tag, number) for tag in "ab" for number in range(150))
    assert not cache.cases.has("c-0")


@pytest.mark.parametrize("jobs", [1, 2])
def test_deleted_cache_media_are_rendered_again(cases: Path, tmp_path: Path, collection, jobs: int) -> None:
    cache = tmp_path / "cache"
    _build(cases, tmp_path / "deck.apkg", cache=cache, jobs=jobs)
    for media in (cache / "media").iterdir():
        media.unlink()
    rebuilt = _build(cases, tmp_path / "deck.apkg", cache=cache, jobs=jobs)
    assert rebuilt.renders.rendered == sum(UNIQUE_RENDERS.values())
    import_package(collection, tmp_path / "deck.apkg")
    assert len(list(Path(collection.media.dir()).iterdir())) == sum(UNIQUE_RENDERS.values())


def test_errors_from_workers_name_file_and_field(cases: Path, tmp_path: Path) -> None:
    bad = cases / "b" / "case.yaml"
    bad.write_text(bad.read_text().replace("x: 42, y: 4", "x: 130, y: 4"), encoding="utf-8")
    messages = []
    for jobs in (1, 2):
        result = _build(cases, tmp_path / f"{jobs}.apkg", jobs=jobs, keep_going=True)
        (error,) = result.failures
        assert result.cases == 2
        assert isinstance(error, InputError)
        assert error.file == bad and error.field == "findings[0].shapes[0]"
        messages.append(str(error))
        assert (tmp_path / f"{jobs}.apkg").exists()  # the good cases were written
    assert messages[0] == messages[1]


def test_cli_caches_in_the_documented_place_and_no_cache_skips_it(cases: Path, tmp_path: Path,
                                                                   monkeypatch) -> None:
    cache = tmp_path / "env-cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    result = CliRunner().invoke(main, ["build", str(cases), "-o", str(tmp_path / "a.apkg"), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert f"{sum(UNIQUE_RENDERS.values())} rendered" in result.output
    assert len(list((cache / "media").iterdir())) == sum(UNIQUE_RENDERS.values())

    other = tmp_path / "flag-cache"
    result = CliRunner().invoke(main, ["build", str(cases), "-o", str(tmp_path / "b.apkg"), "--no-cache",
                                       "--cache-dir", str(other)])
    assert result.exit_code == 0, result.output
    assert f"{sum(UNIQUE_RENDERS.values())} rendered" in result.output
    assert not other.exists()

    result = CliRunner().invoke(main, ["build", str(cases), "-o", str(tmp_path / "c.apkg"), "--cache-dir", str(other)])
    assert result.exit_code == 0, result.output
    assert (other / "media").is_dir()
    assert (tmp_path / "a.apkg").read_bytes() == (tmp_path / "b.apkg").read_bytes() == (tmp_path / "c.apkg").read_bytes()


def test_default_cache_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_dir() == tmp_path / "xdg" / "cardgen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "cardgen"


def test_first_error_stops_a_parallel_build_and_writes_nothing(cases: Path, tmp_path: Path) -> None:
    bad = cases / "c" / "case.yaml"
    bad.write_text(bad.read_text().replace("at: [64, 60]", "at: [64, 600]"), encoding="utf-8")
    out = tmp_path / "deck.apkg"
    with pytest.raises(InputError) as raised:
        _build(cases, out, jobs=2, cache=tmp_path / "cache")
    assert raised.value.file == bad and raised.value.field == "findings[1].shapes[0]"
    assert "outside the 128x128 image" in str(raised.value)
    assert not out.exists()


def test_unusable_cache_folder_is_an_input_error(cases: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(cases), "-o", str(tmp_path / "deck.apkg"),
                                       "--cache-dir", str(blocker / "cache")])
    assert result.exit_code == 1
    assert "--cache-dir" in result.output and "cannot use the cache folder" in result.output
    assert "--no-cache" in result.output and "Traceback" not in result.output


def test_cases_parsed_across_jobs_report_errors_as_one_process_does(cases: Path, tmp_path: Path) -> None:
    # Case files are parsed across the workers: a broken one comes back with its file and field
    # intact, in the same order, and the good ones give the same deck as a one-process build.
    write_case(cases, "d", "id: case-d\ntitle: [unclosed\n")
    write_case(cases, "e", GOOD_CASE.format(case_id="case-e").replace("title: Vertebral body\n", ""))
    serial = _build(cases, tmp_path / "serial.apkg", jobs=1, keep_going=True)
    parallel = _build(cases, tmp_path / "parallel.apkg", jobs=2, cache=tmp_path / "cache", keep_going=True)
    described = [(failure.file, failure.field, failure.problem, failure.line) for failure in parallel.failures]
    assert described == [(failure.file, failure.field, failure.problem, failure.line) for failure in serial.failures]
    assert [(file.parent.name, field, line) for file, field, _, line in described] == [("d", None, 3), ("e", "title", 1)]
    assert (tmp_path / "parallel.apkg").read_bytes() == (tmp_path / "serial.apkg").read_bytes()
    assert parallel.cases == serial.cases == 3


def test_rebuild_with_nothing_changed_loads_no_imaging_or_deck_library(cases: Path, tmp_path: Path) -> None:
    # A rebuild that changes nothing only reads the cache: Python's start with numpy, Pillow,
    # pydicom, genanki and Jinja2 would be most of its time. A fresh interpreter runs the CLI
    # (the first build fills the cache) and says which of them the build's main process loaded.
    # The imaging libraries are the workers' alone: the main process of a build whose renders are
    # all done elsewhere (the first, on two workers; one after an edit of a case's text) loads none.
    import ast
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from cardgen.cli import main\n"
        "args = ['build', sys.argv[1], '-o', sys.argv[2], '--cache-dir', sys.argv[3], '--jobs', '2']\n"
        "try:\n"
        "    main(args)\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted(m for m in ('numpy', 'PIL', 'pydicom', 'genanki', 'jinja2') if m in sys.modules))\n")
    command = [sys.executable, "-c", script, str(cases), str(tmp_path / "deck.apkg"), str(tmp_path / "cache")]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    imaging = {"numpy", "PIL", "pydicom"}
    first_loaded = set(ast.literal_eval(first.stdout.strip().splitlines()[-1]))
    assert "genanki" in first_loaded and not first_loaded & imaging, first.stdout  # it writes the deck
    again = subprocess.run(command, capture_output=True, text=True, check=True)
    assert again.stdout.strip().splitlines()[-1] == "[]", again.stdout + again.stderr
    case_file = cases / "a" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("title: Vertebral body", "title: Vertebral body, again"))
    edited = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "2 of 3 cases unchanged since the last build, 1 built: 3 images (0 rendered, 3 reused)" in edited.stdout, \
        edited.stdout
    edited_loaded = set(ast.literal_eval(edited.stdout.strip().splitlines()[-1]))
    assert "genanki" in edited_loaded and not edited_loaded & imaging, edited.stdout + edited.stderr


@pytest.mark.parametrize("source", ["CT_small.dcm", "SC_rgb_rle.dcm"])  # pydicom: 128x128 CT; RGB, RLE
def test_annotation_drawn_on_the_cached_clean_picture_equals_one_drawn_on_the_decoded_file(
        source: str, tmp_path: Path) -> None:
    # A rebuild after an annotation moved reads the display image back from the clean render (a
    # lossless PNG) instead of decoding the DICOM file. Proof that it does: the file is gone by
    # then. The annotated picture must be the one a render from the file gives, to the byte.
    from pydicom.data import get_testdata_file

    from cardgen.annotations.shapes import Ellipse
    from cardgen.build.renderer import MediaRenderer
    from cardgen.build.cache import BuildCache
    from cardgen.annotations.render import RenderRequest
    from cardgen.imaging.render import file_hash
    from cardgen.annotations.shapes import Rect

    image = tmp_path / source
    image.write_bytes(Path(get_testdata_file(source)).read_bytes())
    window = None
    clean = RenderRequest(path=image, content_hash=file_hash(image), window=window, masks=(Rect(0, 0, 20, 10),))
    annotated = RenderRequest(path=image, content_hash=clean.content_hash, window=window, masks=clean.masks,
                              shapes=(Ellipse(30, 30, 40, 30, label="lesion"),), annotate=True)
    from_file = MediaRenderer(tmp_path / "direct", None)
    (tmp_path / "direct").mkdir()
    expected = from_file(annotated)

    cache = BuildCache(tmp_path / "cache")
    MediaRenderer(cache.media_dir, cache)(clean)
    image.unlink()  # from here on, only the clean render can give the display image
    drawn = MediaRenderer(cache.media_dir, cache)(annotated)
    assert drawn.name == expected.name  # media are named by the hash of their bytes
    assert (cache.media_dir / drawn.name).read_bytes() == (tmp_path / "direct" / expected.name).read_bytes()
