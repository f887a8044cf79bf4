"""The batchcase command line: parse options, call the core, render, exit.

Nothing here validates or talks HTTP; pandas and pandera are imported only
inside commands, so `batchcase --help` stays fast.
"""

from __future__ import annotations

import functools
import logging
import sys

import click

from batchcase import __version__
from batchcase.errors import BatchcaseError, ExitCode

log = logging.getLogger("batchcase")


class BatchcaseGroup(click.Group):
    """Turns a BatchcaseError into `Error: ...` and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BatchcaseError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
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


def sheet_options(command):
    """Options shared by every command that reads a sheet."""

    @click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="Read the sheet in this encoding, e.g. cp1252 for an old Excel export.",
    )
    @click.option(
        "--workflow-name",
        default="emedgene-create-case",
        show_default=True,
        help="The workflow name chosen when the Connect app was set up.",
    )
    @click.option(
        "--sizes",
        default="1,3",
        show_default=True,
        help="Allowed pedigree sizes, as in <workflow>_<size> (comma-separated).",
    )
    @functools.wraps(command)
    def wrapper(*args, encoding, workflow_name, sizes, **kwargs):
        from batchcase.pedigree import PedigreeOptions

        options = PedigreeOptions(workflow_name, _parse_sizes(sizes))
        return command(*args, encoding=encoding, options=options, **kwargs)

    return wrapper


def _parse_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: give whole numbers separated by commas, e.g. 1,3",
            param_hint="--sizes",
        ) from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter("sizes must be 1 or more", param_hint="--sizes")
    return sizes


SHEET = click.argument("sheet", type=click.Path(exists=True, dir_okay=False))


@main.command()
@SHEET
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, github for annotations in CI.",
)
@sheet_options
def validate(sheet, fmt, encoding, options):
    """Check SHEET and report every problem at once.

    Each finding names the file line, the column, the value and how to fix
    it. Exits 0 when the sheet has no errors (warnings allowed), 1 when it
    has errors.

    \b
    Examples:
      batchcase validate batch.csv
      batchcase validate batch.csv --format json > findings.json
      batchcase validate batch.csv --format github   # in a GitHub workflow
    """
    import json

    from batchcase import report
    from batchcase.validation import validate_sheet

    validation = validate_sheet(sheet, encoding, options)
    if fmt == "json":
        click.echo(json.dumps(report.validation_json(validation), indent=2))
    elif fmt == "github":
        click.echo(report.render_github(validation), nl=False)
    else:
        click.echo(report.render_text(validation), nl=False)
    sys.exit(ExitCode.OK if validation.valid else ExitCode.FAILED)


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
@sheet_options
def plan(sheet, out_dir, encoding, options):
    """Dry-run SHEET: write every case body that `submit` would post.

    Nothing is sent anywhere. The folder gets cases/<Family Id>.json (the
    exact body of each case), report.html to open in a browser (pedigree
    drawings, findings, every case), report.md to paste into a pull
    request, and report.json for scripts. Exits 1 when the sheet has
    errors (the files are still written, so you can see what is wrong).
    """
    from batchcase import report
    from batchcase.plan import build_plan, write_plan

    result = build_plan(sheet, encoding, options)
    write_plan(result, out_dir)
    if result.findings:
        click.echo(report.render_text(result.validation), nl=False)
    else:
        click.echo(report.summary_line(result.validation))
    click.echo(f"Wrote {len(result.cases)} case file(s) and the report to {out_dir}/")
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
    """Write an empty sheet with the right headers."""
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


def _register_http_commands() -> None:
    """submit, status and sandbox live in cli_submit.py (HTTP imports stay lazy)."""
    from batchcase.cli_submit import sandbox_command, status, submit

    for command in (submit, status, sandbox_command):
        main.add_command(command)


_register_http_commands()


def _register_webhook_commands() -> None:
    """listen and events live in cli_listen.py (waitress is imported to serve)."""
    from batchcase.cli_listen import events, listen

    for command in (listen, events):
        main.add_command(command)


_register_webhook_commands()
