"""The `listen` and `events` commands, for cli.py to register.

`listen` serves the webhook receiver (batchcase.webhook) with waitress;
`events` shows what the record says of each case, without asking Emedgene.
"""

from __future__ import annotations

import contextlib
import ipaddress
import signal
from pathlib import Path

import click

from batchcase.cli_submit import (
    api_key_path_option,
    make_client,
    record_option,
    reports_errors,
    timeout_option,
)
from batchcase.errors import ConfigError, ExitCode
from batchcase.webhook_fields import (
    ACTIONS,
    CASE_FIELDS,
    EVENT_ID_FIELDS,
    MAX_BODY,
    SECRET_HEADER,
    STATUS_FIELDS,
)

sheet_argument = click.argument(
    "sheet", required=False, type=click.Path(dir_okay=False, path_type=Path)
)


def field_option(name, defaults, what):
    return click.option(
        name,
        multiple=True,
        default=defaults,
        show_default=True,
        help=f"Dotted path to the {what} in an event, tried in order (repeat).",
    )


def parse_actions(_ctx, _param, values) -> dict[str, str]:
    """STATUS=ACTION pairs, as given to --on."""
    actions = {}
    for value in values:
        status, _, action = value.rpartition("=")
        if not status.strip() or action.strip() not in ACTIONS:
            raise click.BadParameter(
                f"{value!r}: give STATUS=ACTION, ACTION one of {', '.join(ACTIONS)} "
                "(e.g. Finalized=export)"
            )
        actions[status.strip()] = action.strip()
    return actions


def record_for(sheet, record) -> Path:
    from batchcase.record import record_path_for

    if record:
        return record
    if not sheet:
        raise click.UsageError("give the SHEET that was submitted, or --record FILE")
    path = record_path_for(sheet)
    if not Path(sheet).exists() and not path.exists():
        raise click.UsageError(
            f"{sheet} does not exist and has no record beside it; give the SHEET "
            "that was submitted (or --record FILE)"
        )
    return path


@click.command()
@sheet_argument
@record_option
@click.option(
    "--events",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where received events are kept [default: beside the record, "
    "*.batchcase-events.jsonl].",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free one, shown at start).",
)
@click.option(
    "--bind",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; Emedgene must reach it through an HTTPS proxy.",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requests served at once.",
)
@click.option(
    "--secret-header",
    default=SECRET_HEADER,
    show_default=True,
    help="The header whose value must equal $BATCHCASE_WEBHOOK_SECRET.",
)
@field_option("--case-field", CASE_FIELDS, "case id")
@field_option("--status-field", STATUS_FIELDS, "new status")
@field_option("--event-id-field", EVENT_ID_FIELDS, "event id")
@click.option(
    "--max-body",
    default=MAX_BODY,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest event accepted, in bytes (413 above).",
)
@click.option(
    "--on",
    "actions",
    multiple=True,
    callback=parse_actions,
    metavar="STATUS=ACTION",
    help="Act when a case reaches STATUS: export saves its export beside the "
    "record (repeat; e.g. --on Finalized=export).",
)
@click.option(
    "--host",
    envvar="EMEDGENE_HOST",
    help="Emedgene URL for exports [default: the record's host; env: EMEDGENE_HOST].",
)
@timeout_option
@api_key_path_option
@reports_errors
def listen(sheet, record, events, port, bind, threads, secret_header, **options):
    """Receive Emedgene's case status webhook and keep the record up to date.

    Emedgene must send the header --secret-header with the value of
    $BATCHCASE_WEBHOOK_SECRET (never given as an option). Each event is
    stored in the events file and its status appended to the record before
    the answer, so `batchcase events` shows it at once.

    \b
    Example:
      export BATCHCASE_WEBHOOK_SECRET=...    # the value given to Emedgene
      batchcase listen batch.csv --port 8080 --on Finalized=export
    """
    from batchcase.listener import Listener

    record = record_for(sheet, record)
    app = build_app(record, events, secret_header, options)
    try:
        listener = Listener(app, bind, port, threads)
    except OSError as exc:
        app.close()
        raise ConfigError(
            f"cannot listen on {bind}:{port} ({exc.strerror}); try another --port"
        ) from None

    announce(listener, bind, record, app.config.events_path)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        listener.serve_forever()
    return ExitCode.OK


def build_app(record, events, secret_header, options):
    """The webhook app of the options; a client only when an action needs one."""
    from batchcase.record import read_record
    from batchcase.webhook import WebhookConfig, make_app, read_secret

    config = WebhookConfig(
        record=record,
        secret=read_secret(),
        events=events,
        secret_header=secret_header,
        case_fields=options["case_field"],
        status_fields=options["status_field"],
        event_id_fields=options["event_id_field"],
        max_body=options["max_body"],
        actions=options["actions"],
    )
    if not config.actions:
        return make_app(config)

    host = options["host"] or read_record(record).host
    if not host:
        raise ConfigError(f"{record} names no host; pass --host for the exports")
    client = make_client(host, options["timeout"], options["api_key_path"])
    return make_app(config, client)


def announce(listener, bind, record, events) -> None:
    click.echo(f"Listening on {listener.url}; Ctrl-C stops it", err=True)
    click.echo(f"Record: {record}\nEvents: {events}", err=True)
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(bind).is_loopback:
            return
    click.echo(
        "Warning: this is plain HTTP; let Emedgene reach it only through an "
        "HTTPS reverse proxy, or the secret travels in clear.",
        err=True,
    )


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


@click.command()
@sheet_argument
@record_option
@reports_errors
def events(sheet, record):
    """Show each case's latest status as the record holds it (Emedgene not asked).

    Statuses come from the webhook receiver (`batchcase listen`) and from
    `batchcase status`; an export saved by the listener is shown beside.

    \b
    Example:
      batchcase events batch.csv
    """
    record = record_for(sheet, record)
    return show_recorded(record)


def show_recorded(record) -> ExitCode:
    """Print family, case, recorded status and saved export; 1 if no case."""
    from batchcase.errors import SubmissionError
    from batchcase.webhook import recorded_cases

    cases = recorded_cases(record)
    if not cases:
        raise SubmissionError(f"no created case in {record}; run batchcase submit")
    for case in cases:
        shown = case.status or "no status recorded yet"
        export = f"  export: {case.export}" if case.export else ""
        click.echo(f"{case.family_id}  {case.case_id}  {shown}{export}")
    return ExitCode.OK
