"""The sheet as the lab wrote it, with a first column holding each row's findings.

Lab scientists fix sheets in Excel: the annotated copy puts every message on
the row it is about. Original cells are copied as they were written (they
are the lab's own data and the copy may be saved back as the sheet); only the
message cells batchcase writes are kept from turning into Excel formulas.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from batchcase import atomic
from batchcase.sheet import csv_records, decode

ERRORS_HEADER = "Errors"
# A cell starting with one of these is a formula (or may become one) in Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(text: str) -> str:
    """A cell batchcase writes, prefixed with `'` if Excel would run it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row_messages(findings) -> dict[int, list[str]]:
    """The messages of each sheet line, errors first, warnings marked as such."""
    messages: dict[int, list[str]] = defaultdict(list)
    for finding in findings:
        if finding.file is None and finding.line is not None:
            prefix = "" if finding.is_error else "warning: "
            messages[finding.line].append(prefix + _located(finding))
    return messages


def _located(finding) -> str:
    return f"{finding.column}: {finding.message}" if finding.column else finding.message


def annotated_csv(validation, encoding: str = "utf-8") -> tuple[str, int]:
    """The annotated sheet as CSV text, and how many findings found no row.

    Findings about the whole sheet or about its header row have no row to
    sit on; the report printed beside the file lists them.
    """
    path = validation.sheet.path
    text = decode(path.read_bytes(), path.name, encoding)
    messages = row_messages(validation.findings)
    header_line = validation.sheet.header_line

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    placed = set()
    for line, cells in csv_records(text, path.name):
        note = "; ".join(messages.get(line, []))
        if line == header_line:
            writer.writerow([ERRORS_HEADER, *cells])
        elif cells or note:
            writer.writerow([inert_cell(note), *cells])
            placed.add(line)
        else:
            out.write("\r\n")

    unplaced = sum(len(m) for line, m in messages.items() if line not in placed)
    unplaced += sum(1 for f in validation.findings if f.file is None and not f.line)
    return "\ufeff" + out.getvalue(), unplaced


def write_annotated(validation, out, encoding: str = "utf-8") -> int:
    """Write the annotated sheet atomically; return the findings it could not place."""
    text, unplaced = annotated_csv(validation, encoding)
    atomic.write_text(Path(out), text)
    return unplaced
