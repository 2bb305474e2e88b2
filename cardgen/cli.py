"""The command line. Each command parses its arguments, makes one call into the library and turns
cardgen's own errors into a one-line message with exit code 1 (Click uses 2 for usage errors)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from cardgen import __version__
from cardgen.build import BuildOptions, audit_deck, build_deck
from cardgen.build.cache import default_cache_dir
from cardgen.build.options import DEFAULT_DECK_DEPTH, DEFAULT_DECK_NAME, DEFAULT_OCCLUSION, DEFAULT_OUTPUT
from cardgen.build.workers import available_cores
from cardgen.check import check_cases
from cardgen.cli_support import (InputFailure, Progress, as_click_error, cases_dir_argument, curriculum_option,
                                 learners_dir_option, output_option)
from cardgen.curriculum.report import coverage_report
from cardgen.deid.findings import grouped
from cardgen.errors import InputError, each_error
from cardgen.imaging.encode import OutputFormat
from cardgen.imaging.render import OutputOptions
from cardgen.learners.importer import import_history
from cardgen.learners.report import learner_summaries, write_class_report
from cardgen.teaching.case import OcclusionMode


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cardgen")
def main() -> None:
    """Turn annotated radiology teaching files into image-based Anki decks.

    \b
    Examples:
      cardgen check decks/sample/cases
      cardgen build decks/sample/cases -o sample.apkg --curriculum decks/curricula/esr-level1.yaml
      cardgen COMMAND --help
    """


@main.command()
@cases_dir_argument()
@output_option("The .apkg file to write (replaced atomically).", suffixes=(".apkg",), required=True)
@curriculum_option("Curriculum YAML or CSV: topics become sub-decks and tags.")
@click.option("--deck-name", default=DEFAULT_DECK_NAME, show_default=True,
              help="Name of the top-level deck.")
@click.option("--deck-depth", type=click.IntRange(min=0), default=DEFAULT_DECK_DEPTH, show_default=True,
              help="How many curriculum levels become sub-decks (0: none).")
@click.option("--objective-cards", is_flag=True,
              help="Add a text-only card per objective of curriculum topics that have no case.")
@click.option("--occlusion", type=click.Choice([m.value for m in OcclusionMode]), default=DEFAULT_OCCLUSION.value,
              show_default=True, help="Image Occlusion cards: hide every region, or only the one asked "
              "(a case's own 'occlusion:' wins).")
@click.option("--image-format", type=click.Choice([f.value for f in OutputFormat]),
              default=DEFAULT_OUTPUT.format.value,
              show_default=True, help="Media format: PNG is lossless; JPEG and WebP are smaller.")
@click.option("--quality", type=click.IntRange(1, 100), default=DEFAULT_OUTPUT.quality, show_default=True,
              help="JPEG/WebP quality.")
@click.option("--max-side", type=click.IntRange(min=64), default=DEFAULT_OUTPUT.max_side, show_default=True,
              help="Longest side of a media image in pixels; larger images are reduced.")
@click.option("--keep-going", is_flag=True,
              help="Skip broken cases, build the rest, and exit 1 listing the failures.")
@click.option("--learner", help="Build this learner's deck: their difficulty tags and pace (needs --learners-dir).")
@learners_dir_option("Folder of the learners database (see cardgen learners import); without --learner, the "
                     "class deck carries the class's counts for the add-on.", required=False)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes that render images  [default: every core]")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Render cache folder, safe to delete  [default: $CARDGEN_CACHE_DIR, else "
                   "$XDG_CACHE_HOME/cardgen, else ~/.cache/cardgen]")
@click.option("--no-cache", is_flag=True, help="Render every image again; do not read or write the cache.")
def build(cases_dir: Path, out: Path, curriculum: Path | None, deck_name: str, deck_depth: int,
          objective_cards: bool, occlusion: str, image_format: str, quality: int, max_side: int,
          keep_going: bool, learner: str | None, learners_dir: Path | None, jobs: int | None,
          cache_dir: Path | None, no_cache: bool) -> None:
    """Build an Anki deck from the cases under CASES_DIR (each folder with a case.yaml).

    Every case is checked first (as `cardgen check` does); without --keep-going any problem stops the
    build before anything is written, listing every problem.

    \b
    Examples:
      cardgen build decks/sample/cases -o sample.apkg
      cardgen build cases -o chest.apkg --curriculum curriculum.yaml --deck-name "Chest" --image-format webp
      cardgen build cases -o anna.apkg --learner anna --learners-dir learners
    """
    bar = Progress()
    try:
        with as_click_error(then="no deck written"):
            result = build_deck(BuildOptions(cases_dir=cases_dir, out=out, curriculum=curriculum,
                                             deck_name=deck_name, keep_going=keep_going,
                                             deck_depth=deck_depth, objective_cards=objective_cards,
                                             occlusion=OcclusionMode(occlusion),
                                             output=OutputOptions(OutputFormat(image_format), quality, max_side),
                                             learner=learner, learners_dir=learners_dir,
                                             jobs=jobs or available_cores(),
                                             cache_dir=None if no_cache else cache_dir or default_cache_dir()),
                                 progress=bar)
    finally:
        bar.close()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for failure in result.failures:
        for problem in each_error(failure) if isinstance(failure, InputError) else [failure]:
            click.echo(f"skipped: {problem}", err=True)
    click.echo(f"Wrote {out}: {result.summary()}")
    if result.pace is not None:
        click.echo(f"{learner}: pace {result.pace} new cards/day")
    if result.failures:
        raise click.exceptions.Exit(1)


@main.command()
@cases_dir_argument()
@curriculum_option("Curriculum YAML or CSV: also check that every topic a case names is in it.")
@click.option("--no-images", is_flag=True, help="Check the case files only, without opening the images.")
def check(cases_dir: Path, curriculum: Path | None, no_images: bool) -> None:
    """Check every case under CASES_DIR and list every problem at once; writes nothing.

    Each problem names the file, line and column, the field, the value and what to do; exit 1 when
    there is any. `cardgen build` runs the same checks first.

    \b
    Examples:
      cardgen check decks/sample/cases
      cardgen check my-cases --curriculum decks/curricula/esr-level1.yaml
    """
    with as_click_error():
        report = check_cases(cases_dir, curriculum, images=not no_images)
    for problem in report.problems:
        click.echo(str(problem))
    if report.problems:
        raise InputFailure(report.summary())
    click.echo(report.summary())


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--image", required=True, type=click.Path(path_type=Path, exists=True),
              help="The case's image: a DICOM file, a PNG/JPEG, or a folder of DICOM slices (copied in).")
def new(case_dir: Path, image: Path) -> None:
    """Start a case: CASE_DIR with a copy of the image and a case.yaml filled from it.

    The skeleton says what the image says (modality, size, frames, its own windows, a suggested
    preset) and comments every field; what only you know is marked TODO, and `cardgen check` points
    at each TODO left.

    \b
    Examples:
      cardgen new cases/chest-003 --image ~/exports/IM-0001.dcm
      cardgen new cases/neuro-007 --image ~/exports/series-3/
    """
    from cardgen.teaching.skeleton import new_case

    with as_click_error():
        case_file = new_case(case_dir, image)
    click.echo(f"Wrote {case_file}: fill in the TODO lines, then run cardgen check {case_dir.parent}")


@main.command()
@cases_dir_argument()
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the pages to (one per case, and index.html).")
@curriculum_option("Curriculum YAML or CSV: sub-decks and topic checks as in the build.")
@click.option("--watch", is_flag=True, help="Keep running: write a case's page again when a file of its folder changes.")
def preview(cases_dir: Path, out: Path, curriculum: Path | None, watch: bool) -> None:
    """Write an HTML page per case: every card as Anki renders it, the images with a pixel grid and
    the coordinates under the pointer, and the problems `cardgen check` finds.

    \b
    Examples:
      cardgen preview decks/sample/cases -o preview
      cardgen preview my-cases -o preview --watch
    """
    from cardgen.preview import watch as watch_cases, write_preview

    with as_click_error():
        result = write_preview(cases_dir, out, curriculum)
    click.echo(f"Wrote {out / 'index.html'}: {len(result.pages)} case page(s), {result.cards} cards, "
               f"{result.problems} problem(s)")
    if watch:
        click.echo("Watching for changes (Ctrl-C to stop)", err=True)
        with as_click_error(), contextlib.suppress(KeyboardInterrupt):
            watch_cases(cases_dir, out, curriculum,
                        lambda changed: click.echo(f"Wrote again: {', '.join(str(f.parent) for f in changed)}"))


@main.command()
@cases_dir_argument()
@curriculum_option("Curriculum YAML or CSV to measure against.", required=True)
@output_option("Also write an HTML page with a bar chart per section.", suffixes=(".html", ".htm"))
@click.option("--html", "html_out", hidden=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Old name of --output.")
@click.option("--objective-cards", is_flag=True,
              help="Count objectives of uncovered topics as taught by text-only cards.")
def coverage(cases_dir: Path, curriculum: Path, out: Path | None, html_out: Path | None,
             objective_cards: bool) -> None:
    """Show which curriculum topics and objectives have cases and cards, and which have none.

    \b
    Examples:
      cardgen coverage decks/sample/cases --curriculum decks/curricula/esr-level1.yaml
      cardgen coverage cases --curriculum curriculum.csv -o coverage.html
    """
    out = out or html_out
    with as_click_error():
        report = coverage_report(cases_dir, curriculum, out, objective_cards=objective_cards)
    click.echo(report.table)
    if out is not None:
        click.echo(f"Wrote {out}")


@main.command()
@click.argument("deck", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--against", "against", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Cases folder (or DICOM files) the deck was built from: look for every identifying "
              "value of their headers too. May be given more than once.")
def audit(deck: Path, against: tuple[Path, ...]) -> None:
    """Scan a built deck for patient identifiers; exit 1 on any hit.

    Looks in card text, tags, deck names, media names, image metadata and every table of the
    package for names, IDs, dates and UIDs (and, with --against, for the values in the source
    DICOM headers: the PS3.15 Annex E Basic Profile attributes and private tags).

    \b
    Examples:
      cardgen audit sample.apkg
      cardgen audit chest.apkg --against cases
    """
    with as_click_error():
        hits = audit_deck(deck, against=list(against) if against else None)
    for line in grouped(hits):  # one line per value, not per note
        click.echo(line)
    if hits:
        raise InputFailure(f"{deck}: {len(hits)} possible identifier(s) or part(s) that cannot be audited; "
                           "do not share this deck")
    click.echo(f"{deck}: no identifiers found")


@main.command()
@click.option("--server", required=True, metavar="URL",
              help="The PACS's DICOMweb root, e.g. https://pacs.example.org/dicom-web (Orthanc: http://host:8042/dicom-web).")
@click.option("-o", "--output", "cases_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Cases folder: each teaching file becomes a sub-folder with a case.yaml.")
@click.option("--study", metavar="UID", help="Only teaching files in this study (Study Instance UID).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only studies from this date on (YYYY-MM-DD).")
@click.option("--kos-title", default="For Teaching", show_default=True,
              help="The KOS document title (code meaning or value) that flags a teaching file.")
@click.option("--dates", type=click.Choice(["shift", "remove"]), default="shift", show_default=True,
              help="Shift every date by the cases folder's secret offset, or remove dates.")
@click.option("--user", help="HTTP basic user; the password comes from --password-env or --password-file.")
@click.option("--password-env", default="CARDGEN_PACS_PASSWORD", show_default=True, metavar="VAR",
              help="Environment variable holding the basic-auth password.")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False), help="File holding the password.")
@click.option("--token-env", metavar="VAR", help="Environment variable holding a bearer token.")
@click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False), help="File holding a bearer token.")
@click.option("--ca-bundle", type=click.Path(path_type=Path, dir_okay=False),
              help="PEM file of the CA that signed the server's TLS certificate.")
@click.option("--no-verify-tls", is_flag=True, help="Do not check the TLS certificate (test servers only).")
@click.option("--proxy", metavar="URL", help="HTTP(S) proxy to reach the server through.")
@click.option("--timeout", type=click.IntRange(min=1, max=3600), default=60, show_default=True,
              help="Seconds to wait for the server before giving up.")
@click.option("--dry-run", is_flag=True, help="List what would be pulled; write nothing.")
def pull(server: str, cases_dir: Path, study: str | None, since, kos_title: str, dates: str,
         user: str | None, password_env: str, password_file: Path | None, token_env: str | None,
         token_file: Path | None, ca_bundle: Path | None, no_verify_tls: bool, proxy: str | None,
         timeout: int, dry_run: bool) -> None:
    """Pull teaching files flagged in a PACS (KOS "For Teaching") over DICOMweb into case folders.

    Each Key Object Selection becomes one de-identified case folder: the key images in the KOS's
    order, the GSPS/SR/SEG that annotate them, and a case.yaml with TODO lines to fill in. Cases
    already pulled are left as they are. See docs/pacs.md.

    \b
    Examples:
      cardgen pull --server http://localhost:8042/dicom-web -o cases --dry-run
      CARDGEN_PACS_PASSWORD=... cardgen pull --server https://pacs/dicom-web --user teacher -o cases --since 2025-01-01
    """
    from cardgen.pacs import Connection, DateHandling, PullOptions, pull_teaching_files
    from cardgen.pacs.server import credentials_from_options

    with as_click_error():
        credentials = credentials_from_options(user, password_env, password_file, token_env, token_file)
        connection = Connection(server, credentials, ca_bundle=ca_bundle, verify_tls=not no_verify_tls,
                                proxy=proxy, connect_timeout=min(timeout, 10.0), read_timeout=timeout)
        report = pull_teaching_files(PullOptions(connection, cases_dir, study=study,
                                                 since=since.date() if since else None, kos_title=kos_title,
                                                 dates=DateHandling(dates), dry_run=dry_run))
    for case in report.pulled:
        click.echo(f"{'would pull' if dry_run else 'pulled'} {case}")
    for failure in report.failures:
        click.echo(f"failed: {failure}", err=True)
    click.echo(f"{cases_dir}: {report.summary(dry_run)}")
    if report.failures:
        raise click.exceptions.Exit(1)


@main.group()
def learners() -> None:
    """Learners' review histories: import them, and see how each learner is doing.

    \b
    Examples:
      cardgen learners import anna.colpkg --learner anna --learners-dir learners
      cardgen learners show --learners-dir learners
      cardgen learners report --learners-dir learners -o class.html
    """


@learners.command("import")
@click.argument("history", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--learner", required=True, help="The learner's name (or pseudonym).")
@learners_dir_option()
def learners_import(history: Path, learner: str, learners_dir: Path) -> None:
    """Add the reviews of cardgen cards in HISTORY: a .colpkg, an .apkg exported with scheduling, or the
    add-on's progress file (.json, Tools > cardgen > Export progress).

    A file with no review of a cardgen card (a deck as built, an export without scheduling) is
    refused: it holds no learner history.

    \b
    Examples:
      cardgen learners import anna.colpkg --learner anna --learners-dir learners
      cardgen learners import ben-progress.json --learner ben --learners-dir learners
    """
    with as_click_error():
        result = import_history(history, learner, learners_dir)
    click.echo(f"{result.learner}: {result.reviews_added} new of {result.reviews_found} reviews, "
               f"{result.cards} cards, FSRS parameters {result.params.value}")
    for notice in result.notices:
        click.echo(f"warning: {notice}", err=True)


@learners.command("show")
@learners_dir_option()
@click.option("--learner", help="Only this learner.")
def learners_show(learners_dir: Path, learner: str | None) -> None:
    """Per learner: reviews, retention, recommended pace and hardest topics.

    \b
    Examples:
      cardgen learners show --learners-dir learners
      cardgen learners show --learners-dir learners --learner anna
    """
    with as_click_error():
        summaries = learner_summaries(learners_dir, learner)
    for summary in summaries:
        click.echo(summary.line())


@learners.command("report")
@learners_dir_option()
@curriculum_option("Curriculum YAML or CSV: show topic titles.")
@output_option("The HTML page to write.", suffixes=(".html", ".htm"), required=True)
def learners_report(learners_dir: Path, curriculum: Path | None, out: Path) -> None:
    """The class report: per topic lapse rate, retention and difficulty; per learner pace; cards failed most.

    \b
    Examples:
      cardgen learners report --learners-dir learners -o class.html
      cardgen learners report --learners-dir learners --curriculum curriculum.yaml -o class.html
    """
    with as_click_error():
        result = write_class_report(learners_dir, out, curriculum)
    click.echo(f"Wrote {out}: {len(result.learners)} learners, {len(result.topics)} topics")


# The class report's old place (before it joined its group): kept so that scripts keep working.
main.add_command(click.Command("report", callback=learners_report.callback, params=learners_report.params,
                               help=learners_report.help, hidden=True))


@main.group()
def addon() -> None:
    """The cardgen Anki add-on, for learners' Anki desktop.

    \b
    Examples:
      cardgen addon build -o cardgen.ankiaddon
    """


@addon.command("build")
@output_option("The .ankiaddon file to write.", suffixes=(".ankiaddon",), default=Path("cardgen.ankiaddon"))
@click.option("--homepage", help="The add-on's homepage in its manifest  [default: cardgen's homepage]")
def addon_build(out: Path, homepage: str | None) -> None:
    """Build the add-on archive; learners install it with Tools > Add-ons > Install from file.

    \b
    Examples:
      cardgen addon build -o cardgen.ankiaddon
      cardgen addon build -o dist/cardgen.ankiaddon --homepage https://example.org/radiology
    """
    from cardgen.addon.package import build_addon

    with as_click_error():
        archive = build_addon(out, homepage)
    click.echo(f"Wrote {out}: cardgen add-on {archive.version}, {len(archive.files)} files")
