"""Benchmark: cardgen build against the bare pipeline, on a generated corpus of CT cases.

Generates N cases, each a 512 x 512 16-bit CT slice made from pydicom's bundled ``CT_small.dcm``
(128 x 128, upscaled, with per-case noise and shift so that no two images are alike), and measures
in one run (each figure the median of ``--repeat`` runs):

(a) the bare pipeline: a plain loop of pydicom decode + window + Pillow PNG encode over the same
    images, on one core (Pillow's default PNG settings);
(b) ``cardgen build`` cold (empty render cache) with 1 job and with all jobs, beside the bare
    pipeline run on as many processes (each a share of the images): what this machine's cores
    give a loop with no overhead at all, the ceiling for the build's own gain;
(c) a rebuild with nothing changed;
(d) a rebuild after one case changed;
(e) peak memory (max RSS of the build process) at N and at 5N cases;
(f) dicom2jpg over the same files, where it is installed.

Every build is a fresh ``python -m cardgen build`` process. Run from the repository root::

    python benchmarks/build.py --cases 500
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CASE_YAML = """\
id: bench-{index:05d}
title: Benchmark case {index}
history: Generated benchmark case.
diagnosis: Normal vertebra
topics: [msk.spine]
images:
  - file: ct.dcm
    id: axial
    window: {window}
findings:
{findings}"""
FINDING = """\
  - text: Finding {number}
    image: axial
    shapes:
      - {{kind: ellipse, x: {x}, y: {y}, width: 120, height: 110}}
"""
SIDE = 512


def base_slice() -> tuple[object, np.ndarray]:
    """pydicom's CT_small.dcm (a 128 x 128 axial CT slice) and its pixels upscaled to 512 x 512."""
    import pydicom
    from PIL import Image
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    small = ds.pixel_array.astype(np.float32)
    upscaled = np.asarray(Image.fromarray(small, mode="F").resize((SIDE, SIDE), Image.Resampling.BICUBIC))
    return ds, upscaled


def write_slice(ds, pixels: np.ndarray, index: int, path: Path) -> None:
    """One 512 x 512 slice: the base pixels, shifted and with noise seeded by ``index``."""
    rng = np.random.default_rng(index)
    shifted = np.roll(pixels, shift=(index % 17 - 8, index % 13 - 6), axis=(0, 1))
    noisy = shifted + rng.normal(0.0, 12.0, shifted.shape)
    values = np.clip(np.round(noisy), -2000, 4000).astype(np.int16)
    copy = ds.copy()
    copy.Rows, copy.Columns = SIDE, SIDE
    copy.PixelData = values.tobytes()
    copy.InstanceNumber = index
    copy.save_as(path, enforce_file_format=True)


def make_corpus(root: Path, count: int, start: int = 0) -> list[Path]:
    """``count`` case folders under ``root`` (one slice and one or two findings each)."""
    ds, pixels = base_slice()
    files = []
    for index in range(start, start + count):
        folder = root / f"case-{index:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        write_slice(ds, pixels, index, folder / "ct.dcm")
        findings = "".join(FINDING.format(number=n + 1, x=160 + 60 * n, y=20 + 40 * n)
                           for n in range(1 + index % 2))
        window = "[soft_tissue, bone]" if index % 4 == 0 else "soft_tissue"
        (folder / "case.yaml").write_text(CASE_YAML.format(index=index, window=window, findings=findings),
                                          encoding="utf-8")
        files.append(folder / "ct.dcm")
    return files


def bare_pipeline(files: list[Path]) -> float:
    """Seconds for a plain loop: pydicom decode, soft-tissue window, Pillow PNG encode (one core)."""
    import pydicom
    from PIL import Image

    started = time.perf_counter()
    for path in files:
        ds = pydicom.dcmread(path)
        values = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        display = np.clip((values - (40 - 200)) / 400 * 255.0, 0, 255).astype(np.uint8)
        Image.fromarray(display, mode="L").save(io.BytesIO(), format="PNG")
    return time.perf_counter() - started


def bare_pipeline_parallel(files: list[Path], jobs: int) -> float:
    """Wall seconds for :func:`bare_pipeline` on ``jobs`` processes at once, each over every
    ``jobs``-th image (process start included)."""
    import multiprocessing

    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pool.map(bare_pipeline, [files[start::jobs] for start in range(jobs)])
    return time.perf_counter() - started


# Runs the build, then prints its output, its wall time (the wrapper's own start left out: ~0.05 s,
# a few percent of a rebuild) and the peak RSS of its processes.
PEAK_WRAPPER = ("import resource, subprocess, sys, time; started = time.perf_counter(); "
                "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
                "seconds = time.perf_counter() - started; sys.stderr.write(done.stderr); print(done.stdout.strip()); "
                "print(seconds); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")


LOADS: list[float] = []  # the 1-minute load average before each build: other work on the machine


# The builds run as an installed cardgen runs: Python keeps each module's compiled bytecode
# (pip writes it at install time). An environment that turns that off (PYTHONDONTWRITEBYTECODE, as
# some containers do) would compile cardgen's ~60 modules at every build, ~0.1-0.2 s of a rebuild.
BUILD_ENVIRONMENT = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                     "PYTHONPATH": str(REPO)}


def cardgen_build(cases: Path, out: Path, cache: Path | None, jobs: int) -> tuple[float, int, str]:
    """Wall seconds (Python's start included), peak RSS in KiB (the largest process: the build or
    one of its workers), and the summary line, of one fresh ``python -m cardgen build`` process."""
    LOADS.append(os.getloadavg()[0])
    command = [sys.executable, "-m", "cardgen", "build", str(cases), "-o", str(out), "--jobs", str(jobs)]
    command += ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    # A wrapper process per build, so that each peak is that build's own (RUSAGE_CHILDREN keeps a maximum).
    done = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *command], cwd=REPO, capture_output=True,
                          text=True, env=BUILD_ENVIRONMENT)
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stdout}\n{done.stderr}")
    *summary, seconds, peak = done.stdout.strip().splitlines()
    return float(seconds), int(peak), "\n".join(summary)


def rendered_count(summary: str) -> int:
    return int(re.search(r"\((\d+) rendered", summary).group(1))


def package_sizes(package: Path) -> tuple[int, int, int]:
    """Media count, the package's bytes, and the bytes genanki's default writer (every entry
    stored, nothing compressed) would give for the same entries."""
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
        stored = sum(30 + 46 + 2 * len(i.filename) + i.file_size for i in infos) + 22  # headers + data
        return sum(1 for i in infos if i.filename.isdigit()), package.stat().st_size, stored


def change_one_case(cases: Path, round_: int) -> None:
    """Move the first finding's ellipse of the first case by one pixel per round."""
    case_file = sorted(cases.glob("*/case.yaml"))[0]
    text = case_file.read_text(encoding="utf-8")
    case_file.write_text(re.sub(r"x: \d+, y: 20,", f"x: {160 + round_ + 1}, y: 20,", text, count=1),
                         encoding="utf-8")


def median(values: list[float]) -> float:
    return statistics.median(values)


def run(count: int, repeat: int, jobs: int, memory_scale: int, work: Path) -> None:
    cases, cache, out = work / "cases", work / "cache", work / "deck.apkg"
    print(f"corpus: {count} cases under {cases} (512x512 16-bit CT); jobs: {jobs}; load: {os.getloadavg()[0]:.2f}")
    files = make_corpus(cases, count)

    # The bare loop and the cold builds take turns in each round, so that a change in the machine's
    # load (other processes) falls on both alike.
    bare: list[float] = []
    bare_parallel: list[float] = []
    cold: dict[int, list[float]] = {1: [], jobs: []}
    rendered = 0
    for _ in range(repeat):
        bare.append(bare_pipeline(files))
        bare_parallel.append(bare_pipeline_parallel(files, jobs))
        for job_count in cold:
            shutil.rmtree(cache, ignore_errors=True)
            seconds, _, summary = cardgen_build(cases, out, cache, job_count)
            cold[job_count].append(seconds)
            rendered = rendered_count(summary)
    bare_per_image = median(bare) / len(files)
    print(f"(a) bare pipeline, 1 core: {median(bare):.2f} s, {bare_per_image * 1000:.1f} ms per image")
    one, many = median(cold[1]), median(cold[jobs])
    print(f"(b) cold build: 1 job {one:.2f} s ({one / rendered * 1000:.1f} ms per rendered image, "
          f"{rendered} images) = {one / rendered / bare_per_image:.2f}x the bare pipeline per image; "
          f"{jobs} jobs {many:.2f} s = {one / many:.2f}x faster than 1 job")
    print(f"    the bare pipeline on {jobs} processes: {median(bare_parallel):.2f} s = "
          f"{median(bare) / median(bare_parallel):.2f}x faster than on one (this machine's ceiling)")

    unchanged = [cardgen_build(cases, out, cache, jobs)[0] for _ in range(repeat)]
    print(f"(c) rebuild, nothing changed: {median(unchanged):.2f} s = {median(unchanged) / many:.1%} of the cold build")
    changed = []
    for round_ in range(repeat):
        change_one_case(cases, round_)
        seconds, _, summary = cardgen_build(cases, out, cache, jobs)
        changed.append(seconds)
    print(f"(d) rebuild, one case changed: {median(changed):.2f} s = {median(changed) / many:.1%} of the cold build"
          f"  [{summary.splitlines()[-1]}]")

    media, package_bytes, stored_bytes = package_sizes(out)
    print(f"    deck: {package_bytes / media / 1024:.1f} KiB per image; genanki's default (stored) layout of the "
          f"same entries: {stored_bytes / media / 1024:.1f} KiB per image ({package_bytes / stored_bytes:.3f}x)")

    if memory_scale:
        # Cold: the largest process is a render worker. Warm (every case cached, a new package path):
        # the main process alone, which holds the notes and writes the package.
        cold_peaks, warm_peaks = [], []
        for scale in (1, memory_scale):
            corpus = cases if scale == 1 else work / f"cases-x{scale}"
            if scale != 1:
                make_corpus(corpus, count * scale)
            shutil.rmtree(cache, ignore_errors=True)
            cold_peaks.append(cardgen_build(corpus, work / f"deck-x{scale}.apkg", cache, jobs)[1])
            warm_peaks.append(cardgen_build(corpus, work / f"deck-x{scale}-again.apkg", cache, jobs)[1])
        print(f"(e) peak memory, cold build (largest process): {cold_peaks[0] / 1024:.0f} MiB at N={count}, "
              f"{cold_peaks[1] / 1024:.0f} MiB at {memory_scale}N = {cold_peaks[1] / cold_peaks[0]:.2f}x; "
              f"main process alone (cached rebuild to a new file): {warm_peaks[0] / 1024:.0f} MiB, "
              f"{warm_peaks[1] / 1024:.0f} MiB = {warm_peaks[1] / warm_peaks[0]:.2f}x")

    print(f"    load average (1 min) before each build: {min(LOADS):.2f}-{max(LOADS):.2f}, "
          f"median {median(LOADS):.2f} ({os.cpu_count()} cores)")

    try:
        import dicom2jpg  # noqa: F401
    except ImportError:
        print("(f) dicom2jpg: not installed (pip install dicom2jpg to compare)")
    else:
        seconds = []
        for _ in range(repeat):
            target = work / "dicom2jpg"
            shutil.rmtree(target, ignore_errors=True)
            started = time.perf_counter()
            dicom2jpg.dicom2png(str(cases), target_root=str(target), multiprocessing=False)  # one core, as (a)
            seconds.append(time.perf_counter() - started)
        print(f"(f) dicom2jpg (PNG): {median(seconds):.2f} s, {median(seconds) / len(files) * 1000:.1f} ms per image")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="corpus size N (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is shown")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="jobs of the parallel build")
    parser.add_argument("--memory-scale", type=int, default=5, help="measure memory at N and this times N (0: skip)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed after)")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args.cases, args.repeat, args.jobs, args.memory_scale, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="cardgen-bench-") as work:
            run(args.cases, args.repeat, args.jobs, args.memory_scale, Path(work))


if __name__ == "__main__":
    main()
