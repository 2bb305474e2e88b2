"""What the commands share: option decorators (one definition of ``-o/--output``, ``--curriculum``,
``--learners-dir``), the error Click shows, and the build's progress display."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, TextIO

import click

from cardgen.errors import CardgenError

# After this share of the cases and this many seconds, the time left is estimated: before that the
# first cases (worker start-up, a cold cache) say little about the rest.
ETA_AFTER_SHARE = 0.2
ETA_AFTER_SECONDS = 3.0


class InputFailure(click.ClickException):
    """A cardgen error as Click shows it: ``Error: <message>``, exit code 1."""

    exit_code = 1


@contextmanager
def as_click_error(then: str = "") -> Iterator[None]:
    """Show a cardgen error raised in the block as Click does (``Error: <message>``, exit code 1),
    and a file system's refusal (a name too long, no permission, a full disk) the same way, naming
    the path; ``then`` is a line added after the message."""
    after = f"\n{then}" if then else ""
    try:
        yield
    except CardgenError as error:
        raise InputFailure(f"{error}{after}") from error
    except OSError as error:
        raise InputFailure(f"{file_system_refusal(error)}{after}") from error


def file_system_refusal(error: OSError) -> str:
    """``PATH: what the system said; what to do`` for an :class:`OSError` (the path shortened)."""
    path = str(error.filename) if error.filename is not None else ""
    if len(path) > 120:
        path = path[:60] + "..." + path[-40:]
    what = error.strerror or str(error)
    return (f"{path}: " if path else "") + f"{what}; check the path (its length, the folders in it, " \
        "their permissions) and the free disk space"


def output_option(help: str, *, suffixes: tuple[str, ...], required: bool = False,
                  default: Path | None = None) -> Callable:
    """``-o/--output FILE``: every file a command writes is named by this option, and its name must
    end in one of ``suffixes`` (what opens it: Anki imports a deck by its ``.apkg``). The suffix also
    keeps a slip of the keyboard from replacing an input (``-o cases/chest/case.yaml`` or the
    curriculum) with the output."""

    def ends_right(_context: click.Context, _parameter: click.Parameter, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in suffixes:
            raise click.BadParameter(f"{str(value)!r} does not end in {' or '.join(suffixes)}; "
                                     f"name the file to write, e.g. -o out{suffixes[0]}")
        return value

    return click.option("-o", "--output", "out", required=required, default=default,
                        show_default=default is not None, callback=ends_right,
                        type=click.Path(path_type=Path, dir_okay=False), help=help)


def curriculum_option(help: str = "Curriculum file (YAML or CSV).", *, required: bool = False) -> Callable:
    return click.option("--curriculum", required=required,
                        type=click.Path(path_type=Path, dir_okay=False, exists=True), help=help)


def learners_dir_option(help: str = "Folder of the learners database (learners.sqlite).", *,
                        required: bool = True) -> Callable:
    return click.option("--learners-dir", required=required, type=click.Path(path_type=Path, file_okay=False),
                        help=help)


def cases_dir_argument() -> Callable:
    return click.argument("cases_dir", type=click.Path(path_type=Path, file_okay=False))


class Progress:
    """The build's progress on stderr.

    On a terminal, a bar whose time left appears only once it means something (a fifth of the cases
    and a few seconds in). Elsewhere (CI logs, a pipe) a plain line every tenth of the cases (at most
    every 50), and one at the end.
    """

    def __init__(self, label: str = "Building", stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._bar = None
        self._total = 0
        self._done = 0
        self._every = 1
        self._started = 0.0

    @property
    def on_terminal(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def start(self, total: int) -> None:
        self._total, self._done, self._started = total, 0, time.monotonic()
        if self.on_terminal:
            self._bar = click.progressbar(length=total, label=self.label, file=self.stream, show_eta=False,
                                          item_show_func=lambda item: item, show_pos=True)
            self._bar.__enter__()
        else:
            self._every = max(1, min(50, -(-total // 10)))
            click.echo(f"{self.label} {total} case(s)", file=self.stream)

    def advance(self, label: str) -> None:
        self._done += 1
        if self._bar is not None:
            elapsed = time.monotonic() - self._started
            self._bar.show_eta = (self._done >= ETA_AFTER_SHARE * self._total and elapsed >= ETA_AFTER_SECONDS)
            self._bar.update(1, label)
        elif self._done % self._every == 0 or self._done == self._total:
            share = f" ({100 * self._done // self._total}%)" if self._total else ""
            click.echo(f"{self.label}: {self._done}/{self._total} cases{share}", file=self.stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
