"""Faults and smaller robustness fixes of issue 18 that are not bad case files: photos' EXIF
orientation, interrupted and killed builds, full and read-only disks, damaged build caches.

The images come from the pydicom wheel (CT_small.dcm, see tests.sample_cases) or are made with Pillow.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cardgen.imaging.raster import RasterSource


def test_jpeg_exif_orientation_is_honoured(tmp_path: Path) -> None:
    """A photo stored 40 x 20 with EXIF Orientation 6 (viewers turn it 90 degrees clockwise) is the
    20 x 40 image a viewer shows: its stored left half (white) on top."""
    stored = Image.new("L", (40, 20), 0)
    stored.paste(255, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    path = tmp_path / "photo.jpg"
    stored.save(path, format="JPEG", exif=exif.tobytes(), quality=95)
    source = RasterSource()
    facts = source.facts(path)
    assert (facts.width, facts.height) == (20, 40)
    shown = source.read(path, None, None)
    assert shown.size == (20, 40)
    assert shown.getpixel((10, 5)) > 200 and shown.getpixel((10, 35)) < 50


# --- process faults: Ctrl-C, kill -9 ------------------------------------------------------------

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from cardgen.cli import main
from tests.sample_cases import GOOD_CASE, REPO, write_case


def _cases(root: Path, count: int) -> Path:
    """``count`` copies of the good case (CT_small.dcm), ids c-0, c-1, ..."""
    cases = root / "cases"
    for index in range(count):
        write_case(cases, f"c{index}", GOOD_CASE.format(case_id=f"c-{index}"))
    return cases


def _stray(folder: Path) -> list[str]:
    """Temporary files a build might leave beside its output."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".partial", ".tmp")))


def _command(cases: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "cardgen", "build", str(cases), "-o", str(out), *extra]


def _environment(temporary: Path | None = None) -> dict[str, str]:
    """The child's environment; ``temporary``: its folder for temporary files (TMPDIR), so that what
    a build killed with SIGKILL cannot remove stays in the test's own folder, not in /tmp."""
    environment = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if temporary is not None:
        temporary.mkdir(exist_ok=True)
        environment["TMPDIR"] = str(temporary)
    return environment


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child before it starts: Ctrl-C's signal at its default, as a terminal's command has it.
    A suite started from a background job inherits it ignored, and no Ctrl-C would then arrive."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _whole_deck(path: Path) -> bool:
    """A complete package: every member's CRC checks, with the collection and media map in it."""
    import zipfile

    with zipfile.ZipFile(path) as package:
        return package.testzip() is None and {"collection.anki2", "media"} <= set(package.namelist())


def _build(cases: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["build", str(cases), "-o", str(out), *extra])


def test_ctrl_c_stops_a_build_promptly_and_quietly(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, as a terminal sends it, at many points of a two-job
    build (loading, rendering, packaging; with and without a cache): every build stops within
    seconds, prints no traceback (its workers ignore the signal: the main process stops them), and
    leaves the previous deck byte-identical with no temporary file beside it.

    Each delay counts from the build's first line ("Building N case(s)"), not from the launch: a
    Ctrl-C in the interpreter's own start-up, before any cardgen code runs, gets Python's "Fatal
    Python error" (as any Python program does), and on a loaded machine that start-up can last
    longer than a delay counted from the launch (the test failed so, now and then, under load)."""
    cases = _cases(tmp_path, 24)
    out = tmp_path / "out.apkg"
    first = subprocess.run(_command(cases, out, "--no-cache", "-j", "2"), env=_environment(), capture_output=True,
                           cwd=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    before = out.read_bytes()
    temporary = tmp_path / "tmp"
    interrupted = 0
    for run, delay in enumerate((0.0, 0.1, 0.25, 0.4, 0.6, 0.8)):
        (cases / "c0" / "case.yaml").touch()  # a change, so that every build writes the deck again
        caching = ("--cache-dir", str(tmp_path / "cache")) if run % 2 else ("--no-cache",)
        process = subprocess.Popen(_command(cases, out, "-j", "2", *caching), env=_environment(temporary),
                                   cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True, preexec_fn=_ctrl_c_as_in_a_terminal)
        first_line = process.stderr.readline()  # the cases are loaded; the build starts
        assert first_line.startswith(b"Building"), first_line
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"the build hung after Ctrl-C at {delay} s")
        text = (first_line + stderr).decode(errors="replace")
        noise = [line for line in text.splitlines() if line.strip() and not line.startswith(("Building", "Aborted!"))]
        assert noise == [], text
        if process.returncode != 0 and b"Wrote " not in stdout:  # (a Ctrl-C after the deck was written
            assert "Aborted!" in text                              # ends the process quietly too)
            # The deck is the previous one, byte for byte, unless the interrupt came after the new
            # package took its name (the build's commit point): then it is the new, whole deck.
            interrupted += out.read_bytes() == before
        assert _whole_deck(out)
        assert _stray(tmp_path) == []
        assert sorted(p.name for p in temporary.iterdir()) == []  # its rendered images' folder is gone too
        before = out.read_bytes()
    assert interrupted >= 3  # the test did interrupt builds, not only watch them finish
    assert _build(cases, out, "--no-cache").exit_code == 0


def test_kill_9_leaves_the_old_deck_and_the_next_build_removes_its_partial_file(tmp_path: Path) -> None:
    cases = _cases(tmp_path, 12)
    out = tmp_path / "out.apkg"
    assert _build(cases, out, "--no-cache").exit_code == 0
    before = out.read_bytes()
    for delay in (0.3, 0.6, 0.9):
        (cases / "c0" / "case.yaml").touch()
        process = subprocess.Popen(_command(cases, out, "--no-cache", "-j", "2"), env=_environment(tmp_path / "tmp"),
                                   cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
        # The old deck, or (killed after the rename) the whole new one: never a part of either.
        assert out.read_bytes() == before or _whole_deck(out)
        before = out.read_bytes()
    # What a build killed while packaging leaves (made by hand: the moment is short and varies).
    stale = tmp_path / ".out.apkg.k1ll3d.partial"
    stale.write_bytes(before[: len(before) // 2])
    result = _build(cases, out, "--no-cache")
    assert result.exit_code == 0, result.output
    assert _stray(tmp_path) == []


def test_the_next_build_removes_the_scratch_folders_of_a_killed_build(tmp_path: Path) -> None:
    """A build killed with SIGKILL cannot remove its scratch folders (the media folder can hold
    gigabytes). The next build removes those whose lock nobody holds, and leaves alone a running
    process's folder, a folder without a lock file (an older cardgen's) and a file."""
    temporary = tmp_path / "tmp"
    environment = _environment(temporary)
    holder = subprocess.Popen([sys.executable, "-c", "import time; from cardgen.scratch import scratch_folder; "
                               "folder = scratch_folder('media'); print(folder.name, flush=True); time.sleep(300)"],
                              env=environment, stdout=subprocess.PIPE, text=True)
    try:
        in_use = Path(holder.stdout.readline().strip())
        assert in_use.parent == temporary and in_use.is_dir()
        cases = _cases(tmp_path, 12)
        out = tmp_path / "out.apkg"
        killed = subprocess.Popen(_command(cases, out, "--no-cache", "-j", "2"), env=environment, cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        # the folder and then its lock file (made just after it): a kill between the two leaves a
        # folder without a lock, which the next build must take for an older cardgen's and keep
        while len(list(temporary.glob("cardgen-media-*/.cardgen-lock"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=20)
        abandoned = [p for p in temporary.glob("cardgen-media-*") if p != in_use]
        assert len(abandoned) == 1 and (abandoned[0] / ".cardgen-lock").exists(), abandoned
        not_ours = [temporary / "cardgen-media-older", temporary / "cardgen-media-file"]
        not_ours[0].mkdir()
        not_ours[1].write_text("a file, not a scratch folder\n")
        built = subprocess.run(_command(cases, out, "--no-cache"), env=environment, cwd=tmp_path,
                               capture_output=True, text=True, timeout=600)
        assert built.returncode == 0, built.stderr
        assert sorted(p.name for p in temporary.iterdir()) == sorted(p.name for p in [in_use, *not_ours])
    finally:
        holder.kill()
        holder.wait()


def test_a_partial_file_another_build_is_writing_is_left_alone(tmp_path: Path) -> None:
    import fcntl

    cases = _cases(tmp_path, 1)
    out = tmp_path / "out.apkg"
    other = tmp_path / ".out.apkg.running.partial"
    with open(other, "wb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a concurrent build holds its own
        assert _build(cases, out, "--no-cache").exit_code == 0
        assert other.exists()
    assert _build(cases, out, "--no-cache").exit_code == 0
    assert _stray(tmp_path) == []


# --- output faults: a file in the path, a full disk, a read-only file system ---------------------

def _one_line_error(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    error = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1, result.output
    for word in words:
        assert word in error[0], (word, result.output)
    assert "no deck written" in result.output


def test_output_path_under_a_regular_file(tmp_path: Path) -> None:
    cases = _cases(tmp_path, 1)
    blocker = tmp_path / "decks"
    blocker.write_text("a file where a folder should be\n")
    result = _build(cases, blocker / "out.apkg", "--no-cache")
    _one_line_error(result, str(blocker), "a part of the path is a file")
    assert blocker.read_text() == "a file where a folder should be\n"


def test_a_name_too_long_for_the_file_system_is_one_clear_error(tmp_path: Path) -> None:
    """ENAMETOOLONG (found by mutating the sample cases and the commands' paths) from a command's own
    path argument: one line naming the path, exit 1, no traceback, nothing written."""
    cases = _cases(tmp_path, 1)
    long_name = "z" * 300
    built = _build(tmp_path / long_name, tmp_path / "out.apkg", "--no-cache")
    _one_line_error(built, "File name too long", "check the path")
    assert not (tmp_path / "out.apkg").exists()
    for command in (["new", str(tmp_path / long_name), "--image", str(cases / "c0" / "ct.dcm")],
                    ["preview", str(cases), "-o", str(tmp_path / long_name)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        error = [line for line in result.output.splitlines() if line.startswith("Error: ")]
        assert len(error) == 1 and "File name too long" in error[0] and str(tmp_path)[:30] in error[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases"]


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 512 KiB tmpfs (needs root, as CI and this machine have; skipped elsewhere), unmounted after."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_full_and_read_only_keep_the_old_deck(tmp_path: Path, small_disk: Path) -> None:
    cases = _cases(tmp_path, 2)
    out = small_disk / "out.apkg"
    assert _build(cases, out, "--no-cache").exit_code == 0
    before = out.read_bytes()
    # Fill the disk to within a few kB of full: the new package cannot be written beside the old one.
    filler = small_disk / "filler"
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler.write_bytes(b"\0" * max(0, free - 8192))
    edited = cases / "c0" / "case.yaml"
    later = edited.stat().st_mtime + 60  # a newer case: the new deck differs from the old one
    os.utime(edited, (later, later))
    _one_line_error(_build(cases, out, "--no-cache"), str(out), "No space left on device", "free some disk space")
    assert out.read_bytes() == before and _stray(small_disk) == []
    filler.unlink()
    # Read-only: the same, with the file system's own word for it.
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        _one_line_error(_build(cases, out, "--no-cache"), str(out), "Read-only file system")
        assert out.read_bytes() == before
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    result = _build(cases, out, "--no-cache")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() != before and _stray(small_disk) == []


# --- a damaged build cache -----------------------------------------------------------------------

def _garbage(cache: Path) -> None:
    (cache / "entries.sqlite").write_bytes(os.urandom(20_000))
    for end in ("-wal", "-shm"):
        Path(f"{cache / 'entries.sqlite'}{end}").unlink(missing_ok=True)


def _checkpointed(cache: Path) -> None:
    """Every entry moved from the write-ahead log into the database file (as when the last
    connection closes), so that damage to the file is damage to the entries."""
    import sqlite3

    connection = sqlite3.connect(cache / "entries.sqlite")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _truncated(cache: Path) -> None:
    _checkpointed(cache)
    with open(cache / "entries.sqlite", "r+b") as database:
        database.truncate(3000)


def _half_overwritten(cache: Path) -> None:
    _checkpointed(cache)
    database = cache / "entries.sqlite"
    size = database.stat().st_size
    with open(database, "r+b") as stream:
        stream.seek(size // 2)
        stream.write(bytes(range(256)) * (size // 4 // 256 + 1))


def _folder_in_its_place(cache: Path) -> None:
    for path in cache.glob("entries.sqlite*"):
        path.unlink()
    (cache / "entries.sqlite").mkdir()
    (cache / "entries.sqlite" / "x").write_text("x")


def _media_truncated(cache: Path) -> None:
    for media in (cache / "media").iterdir():
        with open(media, "r+b") as stream:
            stream.truncate(media.stat().st_size // 2)


@pytest.mark.parametrize("damage", [_garbage, _truncated, _half_overwritten, _folder_in_its_place, _media_truncated],
                         ids=lambda damage: damage.__name__.strip("_"))
def test_damaged_cache_is_rebuilt_with_a_warning(tmp_path: Path, damage) -> None:
    """The cache (SQLite entries and media files) damaged between two builds: the next build
    succeeds, says so in one line, and writes the same deck a build without a cache writes; the one
    after that finds the cache whole again. The previous deck is untouched throughout."""
    cases = _cases(tmp_path, 6)
    cache = tmp_path / "cache"
    out, again, plain = tmp_path / "out.apkg", tmp_path / "again.apkg", tmp_path / "plain.apkg"
    assert _build(cases, out, "--cache-dir", str(cache), "-j", "2").exit_code == 0
    before = out.read_bytes()
    damage(cache)
    result = _build(cases, again, "--cache-dir", str(cache), "-j", "2")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "build cache was damaged" in warnings[0], result.output
    assert _build(cases, plain, "--no-cache").exit_code == 0
    assert again.read_bytes() == plain.read_bytes() == before
    assert out.read_bytes() == before
    result = _build(cases, again, "--cache-dir", str(cache), "-j", "2")
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    assert again.read_bytes() == before
    assert _stray(tmp_path) == [] and not (cache / "damaged.log").exists()


# --- files from outside the case folder, checked on the open file ---------------------------------

def test_a_file_swapped_for_an_outside_link_after_its_check_is_refused(tmp_path: Path) -> None:
    """What a swap between the path check and the reading does: the name now leads outside. The
    open file is checked, inside the case being built; outside a build nothing is confined."""
    from cardgen.confine import confined_to, open_confined
    from cardgen.errors import InputError

    case = tmp_path / "case"
    case.mkdir()
    inside = case / "ct.dcm"
    inside.write_bytes(b"inside")
    outside = tmp_path / "other-patient.dcm"
    outside.write_bytes(b"outside")
    link_in = case / "link-in.dcm"
    os.symlink(inside, link_in)
    with confined_to(case):
        with open_confined(inside) as stream:
            assert stream.read() == b"inside"
        with open_confined(link_in) as stream:  # a link that stays inside is fine
            assert stream.read() == b"inside"
        inside.unlink()
        os.symlink(outside, inside)  # the swap
        with pytest.raises(InputError, match="link that leads outside the case folder"):
            open_confined(inside)
    with open_confined(inside) as stream:
        assert stream.read() == b"outside"


def test_audit_of_a_deck_with_a_truncated_image_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    import zipfile

    cases = _cases(tmp_path, 1)
    deck, damaged = tmp_path / "deck.apkg", tmp_path / "damaged.apkg"
    assert _build(cases, deck, "--no-cache").exit_code == 0
    with zipfile.ZipFile(deck) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if data.startswith(b"\x89PNG") and info.filename not in ("collection.anki2", "media"):
                data = data[: len(data) // 3]
            target.writestr(info, data)
    result = CliRunner().invoke(main, ["audit", str(damaged)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "is a damaged image whose metadata cannot be checked" in result.output, result.output


@pytest.mark.parametrize("member", ["collection.anki2", "media", "an image"])
def test_audit_of_a_package_whose_member_bytes_changed_is_a_finding_not_a_traceback(tmp_path: Path,
                                                                                  member: str) -> None:
    # Found by mutating a built package's bytes: a member whose stored bytes no longer match its
    # CRC-32 raised zipfile.BadZipFile from the audit.
    import zipfile

    cases = _cases(tmp_path, 1)
    deck = tmp_path / "deck.apkg"
    assert _build(cases, deck, "--no-cache").exit_code == 0
    with zipfile.ZipFile(deck) as archive:
        names = [i.filename for i in archive.infolist()]
        infos = {i.filename: i for i in archive.infolist()}
    name = member if member != "an image" else next(n for n in names if n not in ("collection.anki2", "media"))
    data = bytearray(deck.read_bytes())
    info = infos[name]
    # the member's data starts after its local header (30 bytes, its name and its extra field)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    # in an image: its signature (a stored PNG whose chunks hold pixels only is checked in place)
    data[start + (1 if member == "an image" else info.compress_size // 2)] ^= 0xFF
    damaged = tmp_path / "damaged.apkg"
    damaged.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["audit", str(damaged)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert "cannot be read" in result.output, result.output


def test_read_only_cache_folder_is_one_clear_error(tmp_path: Path, small_disk: Path) -> None:
    cases = _cases(tmp_path, 1)
    cache = small_disk / "cache"
    # In a process of its own: this one would keep the cache database open (a busy mount).
    first = subprocess.run(_command(cases, tmp_path / "first.apkg", "--cache-dir", str(cache)), env=_environment(),
                           cwd=tmp_path, capture_output=True, timeout=120)
    assert first.returncode == 0, first.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        (cases / "c0" / "case.yaml").touch()
        _one_line_error(_build(cases, tmp_path / "out.apkg", "--cache-dir", str(cache), "-j", "2"),
                        str(cache), "--cache-dir", "Read-only file system", "--no-cache")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert not (tmp_path / "out.apkg").exists()


CTRL_C_IN_A_CALLBACK = """
import os, signal, sys, time, weakref
from cardgen.entry import run
sys.argv = ["cardgen", "--version"]
try:
    run()
except SystemExit:
    pass

class Held: pass
def on_release(reference):  # as the import system's module-lock callbacks are called
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(3): pass
held = Held(); reference = weakref.ref(held, on_release)
try:
    del held
    time.sleep(2)
    print("the Ctrl-C was lost")
except KeyboardInterrupt:
    print("the Ctrl-C stopped the work")
"""


def test_ctrl_c_landing_in_a_callback_still_stops_the_command() -> None:
    """A Ctrl-C whose handler runs inside a weak-reference callback (where Python cannot raise it:
    it prints "Exception ignored in" and goes on) is delivered again once the command is back in its
    own code: the command stops, and says nothing about it."""
    ran = subprocess.run([sys.executable, "-c", CTRL_C_IN_A_CALLBACK], env=_environment(), capture_output=True,
                         text=True, timeout=60, preexec_fn=_ctrl_c_as_in_a_terminal)
    assert ran.stdout.splitlines()[-1] == "the Ctrl-C stopped the work", ran.stdout + ran.stderr
    assert "Exception ignored" not in ran.stderr and "Traceback" not in ran.stderr, ran.stderr


# --- found by a sweep of environments, caches and paths -------------------------------------------

def _as_nobody_else(command: list[str], *, uid: int | None = None) -> list[str]:
    """``command`` run as a user without root's power to read anything (root's capabilities dropped;
    with ``uid``, as that user id): chmod means what it says again. Skipped where that needs root."""
    import shutil

    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop root's powers")
    ids = ["--reuid", str(uid), "--regid", str(uid), "--clear-groups"] if uid is not None else []
    return ["setpriv", *ids, "--bounding-set=-all", "--inh-caps=-all", *command]


def _shared_folder() -> Path:
    """A fresh folder every user may enter (pytest's own are the test runner's only)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="cardgen-shared-"))
    folder.chmod(0o777)
    return folder


def test_a_case_folder_that_cannot_be_read_is_named_not_skipped(tmp_path: Path) -> None:
    # os.walk and rglob skip a folder they cannot list without a word: its cases vanished from the deck
    cases = _cases(tmp_path, 2)
    (cases / "c1").chmod(0)
    try:
        for command in (["check", str(cases)], ["build", str(cases), "-o", str(tmp_path / "out.apkg"), "--no-cache"]):
            done = subprocess.run(_as_nobody_else([sys.executable, "-m", "cardgen", *command]),
                                  capture_output=True, text=True)
            assert done.returncode == 1, done.stdout + done.stderr
            assert f"{cases / 'c1'}: cannot read the folder: Permission denied" in done.stderr, done.stderr
            assert "Traceback" not in done.stderr
        assert not (tmp_path / "out.apkg").exists()
    finally:
        (cases / "c1").chmod(0o755)


def test_no_home_folder_for_the_cache_is_one_clear_error() -> None:
    # a container run as a bare uid: no HOME and no entry in /etc/passwd; Path.home() raised RuntimeError
    import shutil

    shared = _shared_folder()
    try:
        cases = _cases(shared, 1)
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "CARDGEN_CACHE_DIR")}
        done = subprocess.run(_as_nobody_else([sys.executable, "-m", "cardgen", "build", str(cases), "-o",
                                               str(shared / "out.apkg")], uid=54321),
                              capture_output=True, text=True, env=env, cwd=shared)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "no home folder to keep the build cache in" in done.stderr and "--no-cache" in done.stderr
        assert "Traceback" not in done.stderr and not (shared / "out.apkg").exists()
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_an_output_name_near_the_file_systems_limit_is_written(tmp_path: Path) -> None:
    # the temporary name beside it (".NAME.XXXX.partial") went past 255 bytes: "File name too long"
    _cases(tmp_path, 1)
    for name in ("d" * 245 + ".apkg", "\u80ba" * 81 + ".apkg"):  # 250 and 248 bytes
        out = tmp_path / name
        built = _build(tmp_path / "cases", out, "--no-cache")
        assert built.exit_code == 0, built.output
        assert out.stat().st_size > 0 and _stray(tmp_path) == []


def test_an_image_that_cannot_be_read_says_so_not_truncated(tmp_path: Path) -> None:
    cases = _cases(tmp_path, 1)
    (cases / "c0" / "ct.dcm").chmod(0)
    done = subprocess.run(_as_nobody_else([sys.executable, "-m", "cardgen", "check", str(cases)]),
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ct.dcm: cannot read the file: Permission denied; make it readable" in done.stdout + done.stderr
    assert "truncated" not in done.stdout + done.stderr


@pytest.mark.parametrize("damage", ["folder", "read-only"])
def test_a_package_record_that_cannot_be_written_leaves_the_deck_written_and_says_so(tmp_path: Path,
                                                                                    damage: str) -> None:
    # the record was written after the deck replaced the output: its failure said "no deck written",
    # exit 1, though the new deck was there; a folder in its place failed every later build
    cases = _cases(tmp_path, 2)
    cache, out = tmp_path / "cache", tmp_path / "out.apkg"
    assert _build(cases, out, "--cache-dir", str(cache), "--deck-name", "Old").exit_code == 0
    records = cache / "packages"
    if damage == "folder":
        [record] = [p for p in records.iterdir() if not p.suffix]
        record.unlink()
        record.mkdir()
        command = [sys.executable, "-m", "cardgen"]
    else:
        records.chmod(0o555)
        command = _as_nobody_else([sys.executable, "-m", "cardgen"])
    try:
        done = subprocess.run([*command, "build", str(cases), "-o", str(out), "--cache-dir", str(cache),
                               "--deck-name", "New"], capture_output=True, text=True)
    finally:
        records.chmod(0o755)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and f"Wrote {out}" in done.stdout
    if damage == "read-only":
        assert "warning: the build cache was damaged" in done.stderr and "cannot be written" in done.stderr
    import zipfile

    with zipfile.ZipFile(out) as package:
        assert package.testzip() is None
    plain = tmp_path / "plain.apkg"
    assert _build(cases, plain, "--no-cache", "--deck-name", "New").exit_code == 0
    assert out.read_bytes() == plain.read_bytes()  # the new deck, whole
    again = _build(cases, out, "--cache-dir", str(cache), "--deck-name", "New")
    assert again.exit_code == 0 and "warning" not in again.output, again.output


def test_a_full_disk_under_the_cache_names_the_file_it_could_not_write(tmp_path: Path, small_disk: Path) -> None:
    # a failed write names no file: the error said only "No space left on device"
    from tests.sample_cases import SAMPLE_CASES

    built = _build(SAMPLE_CASES, tmp_path / "out.apkg", "--cache-dir", str(small_disk / "cache"))  # 3 MB of images
    _one_line_error(built, "No space left on device", f"{small_disk / 'cache'}/")
    assert not (tmp_path / "out.apkg").exists()


@pytest.mark.parametrize("entry", ["media", "parsed"])
def test_a_folder_in_place_of_a_cache_file_is_made_again(tmp_path: Path, entry: str) -> None:
    # a folder where the cache keeps a file: the build used it as the file ("Is a directory; the output
    # is a folder: give a file name ending in .apkg") and failed, every build after it too
    cases = _cases(tmp_path, 2)
    cache, plain = tmp_path / "cache", tmp_path / "plain.apkg"
    assert _build(cases, tmp_path / "first.apkg", "--cache-dir", str(cache)).exit_code == 0
    [kept] = sorted((cache / entry).iterdir())[:1]
    kept.unlink()
    kept.mkdir()
    (kept / "x").write_text("x")
    assert _build(cases, plain, "--no-cache").exit_code == 0
    for out in (tmp_path / "second.apkg", tmp_path / "third.apkg"):
        built = _build(cases, out, "--cache-dir", str(cache))
        assert built.exit_code == 0, built.output
        assert out.read_bytes() == plain.read_bytes()
