"""Benchmark: cardgen build against the bare pipeline, on a generated corpus of CT cases.

Generates N cases, each a 512 x 512 16-bit CT slice made from pydicom's bundled ``CT_small.dcm``
(128 x 128, upscaled, with per-case noise and shift so that no two images are alike), and measures
in one run (each figure the median of ``--repeat`` runs):

(a) the bare pipeline: a plain loop of pydicom decode + window + Pillow PNG encode over the same
    images, on one core (Pillow's default PNG settings);
(b) ``cardgen build`` cold (empty render cache) with 1 job and with all jobs;
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
import resource
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


def cardgen_build(cases: Path, out: Path, cache: Path | None, jobs: int) -> tuple[float, int, str]:
    """Wall seconds, the process's max RSS in KiB, and the summary line of one fresh build."""
    command = [sys.executable, "-m", "cardgen", "build", str(cases), "-o", str(out), "--jobs", str(jobs)]
    command += ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1700000000"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stdout}\n{done.stderr}")
    # RUSAGE_CHILDREN keeps the largest child so far: only a growing figure is attributable, so
    # measure memory in increasing order of corpus size (N before 5N).
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return seconds, peak, done.stdout.strip()


def media_count(package: Path) -> int:
    with zipfile.ZipFile(package) as archive:
        return sum(1 for name in archive.namelist() if name.isdigit())
