"""File names in a case.yaml, turned into paths that stay inside the case's own folder.

A case is a folder another person made; its case.yaml names its images. A name must not reach
outside that folder: not by ``..``, not as an absolute path, and not through a symbolic link that
points elsewhere (a shared case could otherwise pull any readable file on the machine into a deck).
"""

from __future__ import annotations

import enum
from pathlib import Path, PurePosixPath, PureWindowsPath

from cardgen.errors import InputError, did_you_mean

CASE_FILE = "case.yaml"  # the file that makes a folder a case


class FileKind(str, enum.Enum):
    """What a case field names: one file, or a folder (a series of DICOM slices)."""

    FILE = "file"
    DIRECTORY = "directory"
    FILE_OR_DIRECTORY = "file or directory"


def resolve_case_file(case_folder: Path, name: object, *, case_file: Path, field: str,
                      kind: FileKind = FileKind.FILE) -> Path:
    """The path a case field names, checked to lie inside ``case_folder``.

    ``name`` is the raw YAML value; ``case_file`` (the case.yaml) and ``field`` (e.g.
    ``images[0].file``) go into the error. Refused, with an :class:`InputError` each: values that
    are not strings, empty names, absolute paths (POSIX, Windows drive or UNC), names with a
    ``..`` part, names whose target (after following links) lies outside the case folder, missing
    files, and a folder where a file is wanted (or the other way round, per ``kind``).

    Returns the path as written under the case folder (``case_folder / name``), not the link's
    target, so that messages and content hashes show the name the author chose.
    """

    def refuse(problem: str, hint: str) -> InputError:
        return InputError(problem, file=case_file, field=field, value=name, hint=hint)

    if not isinstance(name, str):
        raise refuse(f"a file name must be text, not {_yaml_type(name)}",
                     "write the file name relative to the case folder, e.g. image1.dcm")
    text = name.strip()
    if not text:
        raise refuse("the file name is empty", "name a file inside the case folder")
    if "\x00" in text:
        raise refuse("the file name contains a NUL character", "rename the file")
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or text.startswith(("\\", "/")):
        raise refuse("absolute paths are not allowed",
                     "copy the file into the case folder and give its name relative to it")
    parts = windows.parts  # splits on both "/" and "\\"
    if ".." in parts:
        raise refuse("'..' would leave the case folder",
                     "copy the file into the case folder and give its name relative to it")
    folder = case_folder.resolve()
    candidate = case_folder / Path(*parts)
    try:
        target = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop on older Pythons
        raise refuse(f"the path cannot be resolved: {error}", "check the file and its links") from error
    if not target.is_relative_to(folder):
        raise refuse("the file is a link that leads outside the case folder",
                     "copy the file itself into the case folder instead of linking to it")
    try:  # a name too long for the file system raises here (ENAMETOOLONG), not in resolve()
        exists, is_dir = candidate.exists(), target.is_dir()
    except OSError as error:
        raise refuse(f"the file cannot be looked up: {error.strerror or error}",
                     "give the name of a file inside the case folder") from error
    if not exists:
        raise refuse("the file does not exist", _missing_hint(candidate))
    if kind is FileKind.FILE and is_dir:
        raise refuse("this names a folder, but a file is needed",
                     "name one image file, or use a series entry for a folder of slices")
    if kind is FileKind.DIRECTORY and not is_dir:
        raise refuse("this names a file, but a folder of images is needed",
                     "name the folder that holds the series")
    if not is_dir and not target.is_file():
        raise refuse("this is not a regular file", "name an image file")
    return candidate


def _missing_hint(candidate: Path) -> str:
    """Point at a file whose name differs only in letter case, the usual cause."""
    parent = candidate.parent
    if parent.is_dir():
        wanted = candidate.name.lower()
        for sibling in sorted(parent.iterdir()):
            if sibling.name.lower() == wanted and sibling.name != candidate.name:
                return f"did you mean {sibling.name!r}? names are case-sensitive"
        there = sorted(p.name + ("/" if p.is_dir() else "") for p in parent.iterdir()
                       if p.name != CASE_FILE and not p.name.startswith("."))
        if there:
            near = did_you_mean(candidate.name, [name.rstrip("/") for name in there])
            shown = ", ".join(there[:12]) + (f" and {len(there) - 12} more" if len(there) > 12 else "")
            return (f"did you mean {near!r}? " if near else "") + f"the folder {parent.name}/ holds: {shown}"
        return f"the folder {parent.name}/ holds no other file: copy the image there"
    return "check the spelling; names are relative to the case folder"


def _yaml_type(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list",
             dict: "a mapping", type(None): "empty"}
    return names.get(type(value), type(value).__name__)
