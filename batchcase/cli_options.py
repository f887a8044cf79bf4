"""Options shared by the commands of cli.py and cli_submit.py.

They live here, not in cli.py, because cli.py imports cli_submit.py to
register its commands: cli_submit importing cli.py back would fail whenever
cli_submit is imported first.
"""

from __future__ import annotations

import functools

import click


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
