"""The batchcase command line: parse options, call the core, render, exit.

Nothing here validates or talks HTTP; pandas and pandera are imported only
inside commands, so `batchcase --help` stays fast.
"""

from __future__ import annotations

import sys

import click

from batchcase import __version__
from batchcase.cli_options import sheet_options
from batchcase.errors import BatchcaseError, ExitCode

# Commands whose modules load HTTP or server code: imported only when run.
# The short help shown by `batchcase --help` is kept here so listing them
# imports nothing; tests/test_cli.py checks it matches each command's own.
LAZY_COMMANDS = {
    "submit": (
        "batchcase.cli_submit:submit",
        "Create one Emedgene case per family of SHEET; safe to re-run.",
    ),
    "status": (
        "batchcase.cli_submit:status",
        "Show the current status of each case a submission of SHEET created.",
    ),
    "sandbox": (
        "batchcase.cli_submit:sandbox_command",
        "Run a local Emedgene stand-in on 127.0.0.1 to try submit safely.",
    ),
    "listen": (
        "batchcase.cli_listen:listen",
        "Receive Emedgene's case status webhook and keep the record up to date.",
    ),
    "events": (
        "batchcase.cli_listen:events",
        "Show each case's latest status as the record holds it (Emedgene not...",
    ),
}


class BatchcaseGroup(click.Group):
    """Turns a BatchcaseError into `Error: ...` and its exit code.

    It also loads the LAZY_COMMANDS on first use, so `--help` stays quick.
    """

    def list_commands(self, ctx):
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attribute = LAZY_COMMANDS[name][0].split(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS and name not in self.commands:
                rows.append((name, LAZY_COMMANDS[name][1]))
            else:
                rows.append((name, self.commands[name].get_short_help_str(70)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            if ctx.params.get("log_file"):
                arguments = [*getattr(ctx, "_protected_args", []), *ctx.args]
                _refuse_log_over_input(ctx.params["log_file"], arguments)
            return super().invoke(ctx)
        except BatchcaseError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as exc:  # a file or folder batchcase cannot write or read
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"Error: cannot use{where}: {exc.strerror or exc}", err=True)
            ctx.exit(ExitCode.FAILED)
        except Exception as exc:
            if ctx.meta.get("batchcase.traceback"):
                raise
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {exc}. Re-run with "
                "--traceback and report it.",
                err=True,
            )
            ctx.exit(ExitCode.FAILED)


def _configure_logging(verbose: int, quiet: bool, log_file: str | None) -> None:
    import logging

    level = logging.WARNING if quiet else logging.INFO
    if verbose:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handlers: list[logging.Handler] = [handler]
    if log_file:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    root = logging.getLogger("batchcase")
    root.handlers[:] = handlers
    root.setLevel(logging.DEBUG if log_file else level)
    handler.setLevel(level)
    root.propagate = False


@click.group(
    cls=BatchcaseGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="batchcase")
@click.option("-v", "--verbose", count=True, help="Show debug messages on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors.")
@click.option(
    "--log-file", type=click.Path(dir_okay=False), help="Also write a full log here."
)
@click.option(
    "--traceback",
    is_flag=True,
    help="Show the Python traceback of an unexpected error.",
)
@click.pass_context
def main(ctx, verbose, quiet, log_file, traceback):
    """Turn a lab's BioSample Workflow sheet into Emedgene cases.

    \b
    A typical session:
      batchcase template -o batch.csv        # an empty sheet with the headers
      batchcase validate batch.csv           # every problem, with its line
      batchcase plan batch.csv --out plan/   # the exact cases, as files
      batchcase submit batch.csv --host https://LAB.emedgene.com

    Exit codes: 0 success, 1 the sheet or the submission failed, 2 a usage
    error, 3 some cases were created and some were not.
    """
    ctx.meta["batchcase.traceback"] = traceback
    _configure_logging(verbose, quiet, log_file)


def _refuse_log_over_input(log_file: str, arguments) -> None:
    """Refuse a --log-file that is an input of the command (it would grow)."""
    import os

    for argument in arguments:
        for candidate in (argument, argument.partition("=")[2]):
            try:
                same = candidate and os.path.samefile(log_file, candidate)
            except OSError:
                same = False
            if same:
                raise click.BadParameter(
                    f"{log_file} is also an input of the command; "
                    "choose another file for the log",
                    param_hint="--log-file",
                )


SHEET = click.argument("sheet", type=click.Path(exists=True, dir_okay=False))
SAMPLE_SHEET = click.option(
    "--sample-sheet",
    type=click.Path(exists=True, dir_okay=False),
    help="The run's Illumina sample sheet (v1 or v2): check that every Sample_ID "
    "is a biosample of the sheet, in its Default Project, and print the "
    "`bs upload run` command.",
)


@main.command()
@click.argument(
    "sheets",
    metavar="SHEET...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False),  # a missing one is reported, the rest checked
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts (one object per line for several "
    "sheets), github for annotations in CI.",
)
@SAMPLE_SHEET
@click.option(
    "--annotate",
    "annotate_to",
    type=click.Path(dir_okay=False),
    metavar="OUT.csv",
    help="Also write a copy of the sheet with a first Errors column holding "
    "each row's findings (one SHEET only; never the sheet itself).",
)
@sheet_options
def validate(sheets, fmt, sample_sheet, annotate_to, encoding, options):
    """Check each SHEET and report every problem at once.

    Each finding names the file line, the column, the value and how to fix
    it. Exits 0 when no sheet has errors (warnings allowed), 1 when one has.

    \b
    Examples:
      batchcase validate batch.csv
      batchcase validate batch.csv --sample-sheet SampleSheet.csv
      batchcase validate batch.csv --annotate batch.errors.csv
      batchcase validate batch.csv --format json > findings.json
      batchcase validate batch.csv --format github   # in a GitHub workflow
      batchcase validate batches/*.csv               # e.g. from pre-commit
    """
    from batchcase.validation import validate_sheet

    _check_one_sheet_options(sheets, sample_sheet, annotate_to)
    failed, shown = False, 0
    for sheet in sheets:
        try:
            validation = validate_sheet(sheet, encoding, options, sample_sheet)
        except BatchcaseError as exc:  # one unreadable sheet must not hide the rest
            click.echo(f"Error: {exc}", err=True)
            failed = True
            continue

        _echo_validation(validation, fmt, several=len(sheets) > 1, first=not shown)
        shown += 1
        if annotate_to:
            _annotate(validation, annotate_to, encoding)
        failed = failed or not validation.valid
    sys.exit(ExitCode.FAILED if failed else ExitCode.OK)


def _check_one_sheet_options(sheets, sample_sheet, annotate_to) -> None:
    """--sample-sheet and --annotate need one sheet; --annotate never overwrites."""
    if len(sheets) > 1 and (sample_sheet or annotate_to):
        raise click.UsageError(
            "--sample-sheet and --annotate take one SHEET; validate the sheets "
            "one at a time"
        )
    if annotate_to:
        for kept in (sheets[0], sample_sheet):
            if kept and _same_file(annotate_to, kept):
                raise click.UsageError(
                    f"--annotate {annotate_to} would overwrite {kept}; write the "
                    "annotated copy to another file"
                )


def _same_file(a, b) -> bool:
    from pathlib import Path

    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return a.samefile(b)
    return a.resolve() == b.resolve()


def _echo_validation(validation, fmt, several: bool, first: bool) -> None:
    """Print one sheet's validation; several sheets in JSON are one line each."""
    import json

    from batchcase import report

    if fmt == "json":
        data = report.validation_json(validation)
        click.echo(json.dumps(data) if several else json.dumps(data, indent=2))
    elif fmt == "github":
        click.echo(report.render_github(validation), nl=False)
    else:
        separator = "" if first else "\n"
        text = report.render_text(validation) + report.upload_text(validation)
        click.echo(separator + text, nl=False)


def _annotate(validation, out, encoding) -> None:
    from batchcase.annotate import write_annotated

    unplaced = write_annotated(validation, out, encoding)
    click.echo(f"Wrote the annotated sheet to {out}", err=True)
    if unplaced:
        click.echo(
            f"{unplaced} finding(s) about the header or the whole sheet have no "
            "row there: they are only in the report above",
            err=True,
        )


@main.command()
@SHEET
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="plan-report",
    show_default=True,
    help="Folder for cases/<Family Id>.json, report.html, report.md, report.json.",
)
@SAMPLE_SHEET
@sheet_options
def plan(sheet, out_dir, sample_sheet, encoding, options):
    """Dry-run SHEET: write every case body that `submit` would post.

    Nothing is sent anywhere. The folder gets cases/<Family Id>.json (the
    exact body of each case), report.html to open in a browser (pedigree
    drawings, findings, every case), report.md to paste into a pull
    request, and report.json for scripts. Exits 1 when the sheet has
    errors (the files are still written, so you can see what is wrong).
    With --sample-sheet the run's `bs upload run` command is printed too.

    \b
    Examples:
      batchcase plan batch.csv --out plan/      # then open plan/report.html
      batchcase plan batch.csv --sample-sheet SampleSheet.csv
    """
    from batchcase import report
    from batchcase.plan import build_plan, write_plan

    result = build_plan(sheet, encoding, options, sample_sheet=sample_sheet)
    write_plan(result, out_dir)
    if result.findings:
        click.echo(report.render_text(result.validation), nl=False)
    else:
        click.echo(report.summary_line(result.validation))
    click.echo(f"Wrote {len(result.cases)} case file(s) and the report to {out_dir}/")
    click.echo(report.upload_text(result.validation), nl=False)
    sys.exit(ExitCode.OK if result.valid else ExitCode.FAILED)


@main.command()
@click.option(
    "--kind",
    type=click.Choice(["workflow", "batch-upload"]),
    default="workflow",
    show_default=True,
    help="workflow: the BioSample Workflow sheet (A-J, then Batch Upload fields); "
    "batch-upload: Emedgene's plain Batch Upload CSV.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write here instead of standard output; an existing file is kept.",
)
def template(kind, output):
    """Write an empty sheet with the right headers.

    \b
    Examples:
      batchcase template -o batch.csv                # a BioSample Workflow sheet
      batchcase template --kind batch-upload > upload.csv
    """
    from batchcase.template import sheet_template

    text = sheet_template(kind)
    if not output:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    from batchcase import atomic

    if Path(output).exists():
        raise click.UsageError(f"{output} exists; choose another name or delete it")
    atomic.write_text(output, text)
    click.echo(f"Wrote an empty {kind} sheet to {output}", err=True)
