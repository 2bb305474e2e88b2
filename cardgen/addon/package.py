"""Build the add-on archive (``cardgen addon build -o cardgen.ankiaddon``).

The archive is a zip with no top folder: Anki installs it as the package ``cardgen`` in
``addons21/cardgen/``. So the modules it carries keep their own names and imports: the learners model
the add-on runs is cardgen/learners/model.py itself, packed at build time, never a hand copy. The
archive's ``__init__.py`` is cardgen/addon/files/entry.py: one setup call.

A learner's Anki has its own Python with no cardgen, pydicom or genanki: :func:`check_self_contained`
refuses to build an archive whose modules import anything but the standard library, ``anki``,
``aqt`` and the modules packed beside them.
"""

from __future__ import annotations

import ast
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cardgen import __homepage__, __version__
from cardgen.atomic import atomic_output
from cardgen.errors import CardgenError, InputError
from cardgen.weburl import web_address_problem
from cardgen.zipmember import ZIP_DATE

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the cardgen package folder
ADDON_PACKAGE = "cardgen"  # the add-on's folder in addons21/, and the name its modules import by
# Every module the add-on carries, as paths inside the cardgen package; their imports are checked.
PACKED_MODULES = (
    "__init__.py",  # written from files/entry.py
    "difficulty.py",
    "errors.py",
    "tags.py",
    "learners/__init__.py",
    "learners/model.py",
    "learners/progress.py",
    "learners/from_collection.py",
    "learners/deck_marks.py",  # the deck description marks, written by the build, read by the add-on
    "addon/__init__.py",
    "addon/policy.py",
    "addon/settings.py",
    "addon/plan.py",
    "addon/bands.py",
    "addon/scheduling.py",
    "addon/apply.py",
    "addon/moments.py",
    "addon/learner_side.py",
    "addon/gui.py",
)
ANKI_PROVIDES = {"anki", "aqt"}  # what a learner's Anki has besides the standard library
MIN_POINT_VERSION = 250200  # Anki 25.02: FSRS-6 presets (tested with 26.9.3)


class AddonBuildError(CardgenError):
    """The add-on's sources would not run inside a learner's Anki."""


@dataclass(frozen=True)
class AddonArchive:
    """What :func:`build_addon` wrote."""

    path: Path
    files: tuple[str, ...]
    version: str


def manifest(version: str, homepage: str) -> dict[str, object]:
    """The add-on's manifest.json."""
    return {"package": ADDON_PACKAGE, "name": "cardgen: radiology decks at your own pace",
            "min_point_version": MIN_POINT_VERSION, "human_version": version, "homepage": homepage}


def _source(member: str) -> str:
    path = PACKAGE_ROOT / "addon" / "files" / "entry.py" if member == "__init__.py" else PACKAGE_ROOT / member
    return path.read_text(encoding="utf-8")


def check_self_contained(sources: dict[str, str]) -> None:
    """Refuse modules that import what a learner's Anki does not have."""
    packed = {_module_name(member) for member in sources}
    problems = []
    for member, text in sorted(sources.items()):
        for node in ast.walk(ast.parse(text, filename=member)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside the packed package
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == ADDON_PACKAGE:
                    if name not in packed and not any(p.startswith(name + ".") for p in packed):
                        problems.append(f"{member}:{node.lineno} imports {name}, which the add-on does not carry")
                elif top not in ANKI_PROVIDES and top not in sys.stdlib_module_names and top != "__future__":
                    problems.append(f"{member}:{node.lineno} imports {name}, which a learner's Anki does not have")
    if problems:
        raise AddonBuildError("the add-on would not load in Anki: " + "; ".join(problems)
                              + " (add the module to PACKED_MODULES in cardgen/addon/package.py or drop the import)")


def _module_name(member: str) -> str:
    parts = [ADDON_PACKAGE, *member[:-3].split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _check_homepage(homepage: str) -> None:
    """Anki's add-on manager opens the homepage in the learner's browser ("View Add-on Page"): only
    a web page may be given, not a file: or javascript: URL."""
    problem = web_address_problem(homepage, ("https", "http"))
    if problem is not None:
        raise InputError(f"the add-on's homepage {problem}", field="--homepage", value=homepage,
                         hint="e.g. --homepage https://example.org/radiology")


def build_addon(out: Path, homepage: str | None = None) -> AddonArchive:
    """Write the .ankiaddon archive to ``out`` (whole or not at all)."""
    if homepage is not None:
        _check_homepage(homepage)
    version = __version__
    sources = {member: _source(member) for member in PACKED_MODULES}
    check_self_contained(sources)
    files_dir = PACKAGE_ROOT / "addon" / "files"
    members = {**sources,
               "manifest.json": json.dumps(manifest(version, homepage or __homepage__), indent=2) + "\n",
               "config.json": (files_dir / "config.json").read_text(encoding="utf-8"),
               "config.md": (files_dir / "config.md").read_text(encoding="utf-8")}
    with atomic_output(out) as temp:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, members[name])
    return AddonArchive(path=out, files=tuple(sorted(members)), version=version)
