"""The `submit`, `status` and `sandbox` commands, for cli.py to register.

Each command parses its options, calls into batchcase.submit (or the
sandbox), renders the outcome and turns a BatchcaseError into one
`Error: ...` line and its exit code. HTTP modules are imported inside the
commands so `batchcase --help` stays quick.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from pathlib import Path

import click

from batchcase.cli_options import sheet_options
from batchcase.errors import BatchcaseError, ConfigError, ExitCode

NO_CREDENTIALS = (
    "no Emedgene credentials: set EMEDGENE_USERNAME and EMEDGENE_PASSWORD, "
    "EMEDGENE_TOKEN, or EMEDGENE_API_KEY, or run in a terminal to be asked"
)

host_option = click.option(
    "--host",
    required=True,
    envvar="EMEDGENE_HOST",
    help="Emedgene URL, like https://<hostname>.emedgene.com [env: EMEDGENE_HOST]",
)
record_option = click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The submission record [default: SHEET.batchcase-record.jsonl].",
)
timeout_option = click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for each answer from Emedgene.",
)
api_key_path_option = click.option(
    "--api-key-path",
    envvar="EMEDGENE_API_KEY_PATH",
    default="/api/auth/v2/api_key_login/",
    show_default=True,
    help="Where an Illumina API key is exchanged for a token (not documented "
    "publicly; change it if your host differs) [env: EMEDGENE_API_KEY_PATH].",
)


def reports_errors(command):
    """Turn a BatchcaseError into `Error: ...` on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            code = command(*args, **kwargs)
        except BatchcaseError as exc:
            click.echo(f"Error: {exc}", err=True)
            code = exc.exit_code
        click.get_current_context().exit(int(code or ExitCode.OK))

    return wrapper


def ask_credentials():
    """Credentials from the environment, else asked for (the password hidden)."""
    from batchcase.client import Credentials

    credentials = Credentials.from_env()
    if credentials:
        return credentials
    try:
        username = click.prompt("Emedgene username", err=True)
        password = click.prompt("Emedgene password", hide_input=True, err=True)
    except click.Abort:  # no terminal to ask on, or Ctrl-C
        raise ConfigError(NO_CREDENTIALS) from None
    return Credentials(username, password=password)


def make_client(host, timeout, api_key_path, jobs=4):
    from batchcase.client import EmedgeneClient, check_base_url

    check_base_url(host)  # before asking for a password
    return EmedgeneClient(
        host,
        ask_credentials(),
        timeout=timeout,
        api_key_path=api_key_path,
        pool_size=max(jobs, 4),
    )


@click.command()
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@host_option
@click.option("--yes", is_flag=True, help="Create the cases without asking first.")
@click.option(
    "--jobs",
    default=4,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Cases to send at once.",
)
@click.option(
    "--allow-existing-cases",
    is_flag=True,
    help="Create a case even when its proband's sample is already in one "
    "(a re-analysis); by default that stops the batch.",
)
@record_option
@timeout_option
@api_key_path_option
@sheet_options
@reports_errors
def submit(
    sheet,
    host,
    yes,
    jobs,
    allow_existing_cases,
    record,
    timeout,
    api_key_path,
    encoding,
    options,
):
    """Create one Emedgene case per family of SHEET; safe to re-run.

    Files given as auto, BaseSpace file ids and existing samples are looked
    up first, then every case is dry-run on the server; nothing is created
    unless all pass. Created cases are recorded, so a re-run never
    duplicates one; a proband already in a case on the server stops the
    batch too (a lost record, another folder).

    \b
    Examples:
      batchcase sandbox --port 8765 &        # rehearse on 127.0.0.1 first
      EMEDGENE_USERNAME=me EMEDGENE_PASSWORD=... \\
        batchcase submit batch.csv --host http://127.0.0.1:8765
      batchcase submit batch.csv --host https://LAB.emedgene.com --jobs 8
    """
    from batchcase.client import check_base_url
    from batchcase.lookups import ServerFileResolver, resolve_plan
    from batchcase.plan import build_plan
    from batchcase.record import read_record, record_path_for
    from batchcase.submit import existing_case_ids

    check_base_url(host)  # before anything is asked
    plan = build_plan(sheet, encoding, options)
    refuse_if_invalid(plan, sheet, "nothing sent")

    record = record or record_path_for(sheet)
    done = existing_case_ids(plan.cases, read_record(record))
    show_plan(plan.cases, done, host)
    if len(done) < len(plan.cases) and not yes:
        click.confirm("Create these cases?", abort=True, err=True)

    with make_client(host, timeout, api_key_path, jobs) as client:
        plan = resolve_plan(plan, ServerFileResolver(client), skip=done)
        refuse_if_invalid(plan, sheet, "nothing created")
        return run_submission(plan, client, record, jobs, sheet, allow_existing_cases)


def refuse_if_invalid(plan, sheet, outcome: str) -> None:
    """Print a refused sheet's findings, write them in an Errors column, stop."""
    from batchcase import report

    if plan.valid:
        return
    click.echo(report.render_text(plan.validation), nl=False, err=True)
    out = write_errors(plan, sheet)
    errors = len(plan.validation.errors)
    raise BatchcaseError(f"{sheet.name} has {errors} error(s); {outcome} (see {out})")


def write_errors(plan, sheet) -> Path:
    """The results CSV of a refused sheet: each row's errors, as Emedgene's tool."""
    from batchcase.submit import write_results_csv

    by_line: dict[int, list[str]] = {}
    for finding in plan.validation.errors:
        where = f"{finding.column}: " if finding.column else ""
        by_line.setdefault(finding.line, []).append(where + finding.message)

    cells = {line: "; ".join(messages) for line, messages in by_line.items()}
    columns, table = plan.sheet.columns, plan.sheet.table
    return write_results_csv(
        sheet, columns, table, cells, out=errors_path(sheet), heading="Errors"
    )


def errors_path(sheet) -> Path | None:
    """Where a refusal's Errors CSV goes: the results CSV, unless that holds cases.

    Case ids of an earlier run are what a lab must not lose, so then the
    errors go beside it as SHEET.errors.csv.
    """
    from batchcase.submit import results_hold_cases, results_path_for

    results = results_path_for(sheet)
    if results_hold_cases(results):
        return results.with_name(f"{Path(sheet).stem}.errors.csv")
    return None


def show_plan(cases, done, host) -> None:
    click.echo(f"{len(cases) - len(done)} case(s) to create on {host}:")
    for case in cases:
        members = len(case.lines)
        where = f"already case {done[case.family_id]}" if case.family_id in done else ""
        click.echo(
            f"  {case.family_id}: proband {case.proband}, {members} row(s) {where}"
        )


def run_submission(plan, client, record, jobs, sheet, allow_existing=False) -> ExitCode:
    """Submit with a progress bar, write the results CSV, print the outcome."""
    from batchcase.submit import submit_batch

    lock = threading.Lock()
    bar = click.progressbar(length=len(plan.cases), label="Cases", file=sys.stderr)
    with bar:

        def advance(_result):
            with lock:
                bar.update(1)

        try:
            result = submit_batch(
                plan.cases,
                client,
                record,
                jobs,
                progress=advance,
                allow_existing_cases=allow_existing,
            )
        except KeyboardInterrupt:
            result = interrupted(plan, record)

    out = write_results(plan, result, sheet)
    show_outcome(result)
    click.echo(f"Results: {out}\nRecord: {record}")
    return result.exit_code


def interrupted(plan, record):
    """After Ctrl-C: what the record says exists, so results and exit code tell."""
    from batchcase.record import read_record
    from batchcase.submit import FamilyResult, SubmissionResult, existing_case_ids

    click.echo("\nInterrupted: families not yet sent were not sent.", err=True)
    found = existing_case_ids(plan.cases, read_record(record))
    families = {}
    for case in plan.cases:
        case_id = found.get(case.family_id)
        state, error = ("created", None) if case_id else ("failed", "interrupted")
        families[case.family_id] = FamilyResult(case.family_id, state, case_id, error)
    return SubmissionResult(families)


def write_results(plan, result, sheet) -> Path:
    """The results CSV: case ids, or Errors when no case exists (as Emedgene's tool)."""
    from batchcase.submit import by_proband_line, write_results_csv

    columns, table = plan.sheet.columns, plan.sheet.table
    if result.case_ids():
        by_line = by_proband_line(plan.cases, result.case_ids(), table)
        return write_results_csv(sheet, columns, table, by_line)
    by_line = by_proband_line(plan.cases, result.errors(), table)
    return write_results_csv(
        sheet, columns, table, by_line, out=errors_path(sheet), heading="Errors"
    )


def show_outcome(result) -> None:
    width = max([len("Family"), *map(len, result.families)])
    click.echo(f"{'Family':<{width}}  Case")
    for family, outcome in result.families.items():
        shown = outcome.case_id or f"{outcome.state}: {outcome.error}"
        click.echo(f"{family:<{width}}  {shown}")


@click.command()
@click.argument("sheet", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--host",
    envvar="EMEDGENE_HOST",
    help="Emedgene URL, like https://<hostname>.emedgene.com [env: EMEDGENE_HOST]; "
    "not needed with --offline.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Show the statuses the record holds (kept current by `batchcase "
    "listen`); ask Emedgene nothing.",
)
@record_option
@timeout_option
@api_key_path_option
@reports_errors
def status(sheet, host, offline, record, timeout, api_key_path):
    """Show the current status of each case a submission of SHEET created.

    \b
    Examples:
      batchcase status batch.csv --host https://LAB.emedgene.com
      batchcase status batch.csv --offline    # what webhooks have reported
    """
    from batchcase.errors import SubmissionError
    from batchcase.record import record_path_for
    from batchcase.submit import created_cases, fetch_statuses, results_path_for

    record = record or record_path_for(sheet)
    if offline:
        from batchcase.cli_listen import show_recorded

        return show_recorded(record)
    if not host:
        raise click.UsageError("give --host (or EMEDGENE_HOST), or pass --offline")
    case_ids = created_cases(record, results_path_for(sheet))
    if not case_ids:
        raise SubmissionError(
            f"no created case in {record} or {results_path_for(sheet)}; "
            "run batchcase submit first, or pass --record"
        )
    with make_client(host, timeout, api_key_path) as client:
        statuses = fetch_statuses(client, case_ids, record if record.exists() else None)

    for item in statuses:
        shown = item.status or f"unknown ({item.error})"
        click.echo(f"{item.family_id}  {item.case_id}  {shown}")
    return ExitCode.FAILED if any(s.error for s in statuses) else ExitCode.OK


@click.command("sandbox")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--password", help="The only password accepted [default: any].")
@click.option(
    "--latency",
    default=0.0,
    show_default=True,
    help="Seconds before answering a creation.",
)
@click.option(
    "--token-ttl",
    default=0,
    show_default=True,
    help="Requests a token lasts (0: forever).",
)
@click.option(
    "--throttle",
    default=0,
    show_default=True,
    help="Answer the first N case POSTs 429.",
)
@click.option(
    "--retry-after", default=1.0, show_default=True, help="Retry-After of those 429s."
)
@click.option(
    "--server-errors",
    default=0,
    show_default=True,
    help="Answer the first N creations 500.",
)
@click.option(
    "--slow-after-create", default=0, help="Create, then answer late (N times)."
)
@click.option(
    "--slow-seconds",
    default=5.0,
    show_default=True,
    help="How late those answers come.",
)
@click.option(
    "--drop-after-create",
    default=0,
    show_default=True,
    help="Create, then hang up (N times).",
)
@click.option(
    "--hide-cases", is_flag=True, help="Sample search hits do not name cases."
)
@click.option(
    "--page-size", default=0, help="Listings answer at most N items a page (0: any)."
)
@reports_errors
def sandbox_command(port, password, **faults):
    """Run a local Emedgene stand-in on 127.0.0.1 to try submit safely.

    It answers like Emedgene's API (login, dry runs, 201 with an EMG case
    id, lookups) and keeps the cases in memory; the options inject faults.

    \b
    Examples:
      batchcase sandbox --port 8765
      batchcase sandbox --port 8765 --latency 0.5 --drop-after-create 2
    """
    from batchcase.sandbox import Faults, Sandbox

    server = Sandbox(Faults(**faults), port=port, password=password)
    try:
        server.bind()
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try another --port"
        ) from None
    click.echo(f"Emedgene sandbox on {server.url}; Ctrl-C stops it", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return ExitCode.OK
