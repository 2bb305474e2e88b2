"""A plain install works: the sdist and the wheel are built from a copy of this checkout, the wheel is
installed into a fresh virtual environment outside the checkout, and its ``cardgen`` runs every kind
of command from there (help, a deck build, an add-on build, a learners import).

Offline: the sdist and wheel are built with this interpreter's setuptools (PEP 517 hooks called
directly, no isolated build environment to download), the wheel goes in with ``--no-deps``, and the
fresh environment sees this interpreter's installed dependencies through a ``.pth`` line (a plain path
line: the editable cardgen's import hook in those folders is not run, so only the wheel's cardgen can
be imported; the test checks that it is the one that runs).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import cardgen

REPO = Path(__file__).resolve().parent.parent
_NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", "*.pyc",
                                      ".pytest_cache", ".hypothesis", "*.apkg", "*.colpkg", "*.ankiaddon")


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """What the copy of the checkout leaves out: setuptools' own ``build/`` and ``dist/`` at the top
    (``cardgen/build/`` is a package)."""
    top = {"build", "dist"} & set(names) if Path(folder) == REPO else set()
    return _NOT_SOURCES(folder, names) | top
# What a deck build, the reports and the add-on read at run time.
WHEEL_MUST_HOLD = ("cardgen/templates/anki/stack.js", "cardgen/templates/anki/style.css",
                   "cardgen/templates/anki/case_front.html", "cardgen/templates/fields/images.html.j2",
                   "cardgen/templates/coverage.html.j2", "cardgen/templates/fonts/DejaVuSans-cardgen.ttf", "cardgen/templates/learners_report.html.j2",
                   "cardgen/addon/files/entry.py", "cardgen/addon/files/config.json",
                   "cardgen/addon/files/config.md", "cardgen/resources.py")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build(hook: str, source: Path, out: Path) -> Path:
    """Call setuptools' PEP 517 hook ``hook`` in ``source``; the file it wrote in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    name = _run([sys.executable, "-c", f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"],
                cwd=source).strip().splitlines()[-1]
    return out / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(the fresh environment's bin folder, the environment to run it with, the built wheel)."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "checkout"
    shutil.copytree(REPO, source, ignore=_not_sources)
    sdist = _build("build_sdist", source, root / "dist")
    with tarfile.open(sdist) as archive:
        archive.extractall(root / "unpacked", filter="data")
    wheel = _build("build_wheel", next((root / "unpacked").iterdir()), root / "dist")

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
          "--no-index", "--quiet", "--disable-pip-version-check", str(wheel)], cwd=root)
    venv_site = Path(_run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          cwd=root).strip())
    (venv_site / "zz_test_dependencies.pth").write_text(
        "\n".join(p for p in site.getsitepackages() if Path(p).is_dir()) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["CARDGEN_CACHE_DIR"] = str(root / "cache")
    return venv / "bin", env, wheel


def test_wheel_holds_templates_and_addon_files(installed) -> None:
    _, _, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = archive.read(metadata).decode()
    missing = [name for name in WHEEL_MUST_HOLD if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert not any(name.startswith(("templates/", "tests/", "decks/")) for name in names)
    assert f"Version: {cardgen.__version__}\n" in meta  # the version from cardgen/__init__.py
    assert "Requires-Dist: anki" in meta  # learners import works from the default install


def test_installed_cardgen_runs_every_kind_of_command(installed, tmp_path: Path) -> None:
    from anki.collection import Collection
    from anki.scheduler.v3 import CardAnswer

    from tests.anki_helpers import answer_queued, import_package, open_collection

    bin_dir, env, _ = installed
    cardgen_cmd = str(bin_dir / "cardgen")
    where = _run([str(bin_dir / "python"), "-c", "import cardgen, cardgen.resources as r; "
                  "print(cardgen.__file__); print(r.TEMPLATES_DIR)"], cwd=tmp_path, env=env).split()
    assert all(Path(p).is_relative_to(bin_dir.parent) for p in where), where  # the wheel's copy, not the checkout

    assert "build" in _run([cardgen_cmd, "--help"], cwd=tmp_path, env=env)
    assert cardgen.__version__ in _run([cardgen_cmd, "--version"], cwd=tmp_path, env=env)
    deck = tmp_path / "sample.apkg"
    out = _run([cardgen_cmd, "build", str(REPO / "decks" / "sample" / "cases"), "-o", str(deck),
                "--curriculum", str(REPO / "decks" / "curricula" / "esr-level1.yaml"), "-j", "1"],
               cwd=tmp_path, env=env)
    assert f"Wrote {deck}" in out and deck.stat().st_size > 10_000

    addon = tmp_path / "cardgen.ankiaddon"
    _run([cardgen_cmd, "addon", "build", "-o", str(addon)], cwd=tmp_path, env=env)
    with zipfile.ZipFile(addon) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert {"config.json", "config.md", "__init__.py", "learners/model.py"} <= set(archive.namelist())
    assert manifest["human_version"] == cardgen.__version__ and manifest["homepage"] == cardgen.__homepage__

    # A learner studies the deck the installed cardgen built, exports, and is imported by it.
    col: Collection = open_collection(tmp_path / "learner")
    try:
        import_package(col, deck)
        # the deck the cards are in (the default deck is empty)
        answered = answer_queued(col, "cardgen", CardAnswer.GOOD, limit=5)
        assert answered == 5
        export = tmp_path / "learner.colpkg"
        col.export_collection_package(str(export), include_media=False, legacy=False)
    finally:
        col.close()
    out = _run([cardgen_cmd, "learners", "import", str(export), "--learner", "ana",
                "--learners-dir", str(tmp_path / "learners")], cwd=tmp_path, env=env)
    assert out.startswith(f"ana: {answered} new of {answered} reviews"), out


def test_learners_import_without_anki_names_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An install made without its dependencies (``--no-deps``) has no ``anki``: one line saying what to
    install, exit 1, no traceback."""
    from click.testing import CliRunner

    from cardgen.cli import main

    export = tmp_path / "learner.colpkg"
    export.write_bytes(b"not read: anki is missing first")
    for name in [n for n in sys.modules if n == "anki" or n.startswith("anki.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "anki", None)  # import anki now raises ImportError
    result = CliRunner().invoke(main, ["learners", "import", str(export), "--learner", "ana",
                                       "--learners-dir", str(tmp_path / "learners")])
    assert result.exit_code == 1, result.output
    assert "needs the 'anki' package" in result.output
    assert "pip install 'anki>=26.9.3,<27'" in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
