"""The generated documentation: the CLI reference (``docs/cli.md``) from every command's ``--help``,
and the JSON Schemas of case.yaml and the curriculum (``docs/schema/``) from their one description.

    python -m cardgen.docs           # write them again (after changing a command or a case key)
    python -m cardgen.docs --check   # exit 1 when one is out of date (a test runs this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cardgen.cli import main as cardgen_command
from cardgen.curriculum.spec import curriculum_schema
from cardgen.resources import SCHEMA_BASE_URL
from cardgen.teaching.spec import case_schema

REPO = Path(__file__).resolve().parent.parent
REGENERATE = "python -m cardgen.docs"
HELP_WIDTH = 100


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        found.append((prefix + (name,), command))
        if isinstance(command, click.Group):
            found += _commands(command, prefix + (name,))
    return found


def _root_context(root: click.Group) -> click.Context:
    settings = {**root.context_settings, "terminal_width": HELP_WIDTH, "max_content_width": HELP_WIDTH}
    return click.Context(root, info_name="cardgen", **settings)


def _help(path: tuple[str, ...], root: click.Group) -> str:
    context = _root_context(root)
    command: click.Command = root
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        context = click.Context(command, info_name=name, parent=context, terminal_width=HELP_WIDTH,
                                max_content_width=HELP_WIDTH)
    return command.get_help(context)


def cli_reference() -> str:
    """docs/cli.md: every command's --help, in command order."""
    root_context = _root_context(cardgen_command)
    parts = ["# CLI reference", "",
             f"Generated from each command's `--help` by `{REGENERATE}`; a test fails when it is out of date.", "",
             "```text", cardgen_command.get_help(root_context), "```", ""]
    for path, _command in _commands(cardgen_command):
        parts += [f"## `cardgen {' '.join(path)}`", "", "```text", _help(path, cardgen_command), "```", ""]
    return "\n".join(parts)


def schemas() -> dict[str, str]:
    """The published JSON Schemas by file name under docs/schema/."""
    return {name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n" for name, schema in (
        ("case.schema.json", case_schema(SCHEMA_BASE_URL + "case.schema.json")),
        ("curriculum.schema.json", curriculum_schema(SCHEMA_BASE_URL + "curriculum.schema.json")),
    )}


def generated() -> dict[Path, str]:
    """Every generated file (path under the repository -> its text)."""
    files = {Path("docs") / "cli.md": cli_reference()}
    files.update({Path("docs") / "schema" / name: text for name, text in schemas().items()})
    return files


def stale(root: Path = REPO) -> list[Path]:
    """The generated files under ``root`` that differ from what the code gives now."""
    out = []
    for relative, text in generated().items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(relative)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        out_of_date = stale()
        for path in out_of_date:
            print(f"{path} is out of date: run {REGENERATE}", file=sys.stderr)
        return 1 if out_of_date else 0
    if args:
        print(__doc__, file=sys.stderr)
        return 2
    for relative, text in generated().items():
        path = REPO / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
