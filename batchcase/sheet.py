"""Reading a sheet the way labs write it: every cell text, every row its line.

Sheets come out of Excel and LIMS exports: a byte-order mark, CRLF or CR
line endings, a `[Header]` preamble, comma padding after the last column and
empty rows after the last sample. This module turns such a file into a table
of text cells indexed by file line number, plus findings about what it had
to tolerate. It never guesses a type: `007` stays `007`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from batchcase import columns as col
from batchcase.errors import SheetError
from batchcase.findings import Finding, error, warning

csv.field_size_limit(64 * 1024 * 1024)

_SURROUNDING_SPACE = re.compile(r'[ \t](?:[,"\n]|$)|(?:^|[,"\n])[ \t]')


class SheetKind(StrEnum):
    WORKFLOW = "workflow"  # BioSample Workflow sheet: A-J, then Batch Upload
    BATCH_UPLOAD = "batch_upload"  # plain Emedgene Batch Upload CSV


@dataclass
class Sheet:
    """A sheet as read: its header, its rows as text, and reading findings.

    `table` has one row per data row, every cell a `str` (empty when blank),
    its index the file line of that row (named "line").
    """

    path: Path
    kind: SheetKind
    columns: list[str]
    header_line: int
    table: object  # pandas.DataFrame; typed loosely to keep pandas lazy
    findings: list[Finding] = field(default_factory=list)
    has_data_marker: bool = True

    @property
    def name(self) -> str:
        return self.path.name


def read_sheet(path, encoding: str = "utf-8") -> Sheet:
    """Read a workflow sheet or Batch Upload CSV; raise SheetError if unreadable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"cannot read {path}: {exc.strerror or exc}") from None

    text = decode(data, path.name, encoding)
    if not text.strip():
        raise SheetError(f"{path.name} is empty: it needs a header row and samples")
    return parse_sheet(text, path)


def decode(data: bytes, name: str, encoding: str = "utf-8") -> str:
    """Bytes to text with `\\n` line ends, or a SheetError naming the bad byte."""
    if encoding.replace("-", "").lower() in ("utf8", "utf8sig"):
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SheetError(_not_utf8_message(data, exc, name)) from None
    except LookupError:
        raise SheetError(
            f"unknown encoding {encoding!r}; try utf-8 or cp1252"
        ) from None

    return text.replace("\r\n", "\n").replace("\r", "\n")


def _not_utf8_message(data: bytes, exc: UnicodeDecodeError, name: str) -> str:
    before = data[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    byte_in_line = len(before) - (before.rfind(b"\n") + 1) + 1
    bad = data[exc.start : exc.start + 1].hex()
    return (
        f"{name}:{line}: byte 0x{bad} (byte {byte_in_line} of the line) is not "
        "UTF-8. Save the sheet as 'CSV UTF-8' in Excel, or pass --encoding cp1252 "
        "to read a Windows/Latin-1 file on purpose."
    )


def parse_sheet(text: str, path: Path) -> Sheet:
    """Parse decoded text; see read_sheet."""
    records = _records(text, path.name)
    findings: list[Finding] = []

    header_line, header, saw_data = _find_header(records, path.name)
    header = _clean_header(header, header_line, findings)
    kind = _kind_of(header)
    if kind is SheetKind.BATCH_UPLOAD and not saw_data:
        findings.append(
            error(
                "data-section-missing",
                "the Batch Upload CSV has no [Data] line; add a line '[Data]' "
                "directly above the header row",
                line=header_line,
            )
        )

    lines, rows = _data_rows(records, len(header), findings)
    table = _table(header, lines, rows)
    _strip_cells(table, text, findings)
    return Sheet(path, kind, header, header_line, table, findings, saw_data)


def _records(text: str, name: str):
    """Yield (first file line, cells) for each CSV record."""
    reader = csv.reader(io.StringIO(text))
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SheetError(
                f"{name}:{reader.line_num}: not valid CSV ({exc})"
            ) from None
        yield last + 1, cells
        last = reader.line_num


def _is_blank(cells) -> bool:
    return not any(cell.strip() for cell in cells)


def _is_section(cells) -> bool:
    first = cells[0].strip() if cells else ""
    return first.startswith("[") and first.endswith("]")


def _looks_like_header(cells) -> bool:
    first = col.normalise_header(cells[0]) if cells else ""
    return first in ("biosamplename", "familyid")


def _find_header(records, name):
    """Skip the preamble; return (line, cells, whether [Data] was seen)."""
    section = None
    for line, cells in records:
        if _is_blank(cells):
            continue
        if _is_section(cells):
            section = cells[0].strip().lower()
            continue
        if section in (None, "[data]") or _looks_like_header(cells):
            return line, cells, section == "[data]"
    raise SheetError(
        f"{name}: no header row found. The sheet needs a '[Data]' line, then the "
        "header row (BioSample Name, Default Project, ... or Family Id, Case Type, "
        "...), then one row per sample."
    )


def _clean_header(cells, line, findings) -> list[str]:
    """Drop trailing padding, strip names, report blanks and duplicates."""
    while cells and not cells[-1].strip():
        cells = cells[:-1]

    if len(cells) == 1 and ";" in cells[0]:
        raise SheetError(
            f"line {line}: the header is one column separated by ';' "
            "(an Excel export in a ';' locale). Re-export the sheet as "
            "'CSV (Comma delimited)' so columns are separated by commas."
        )

    header = []
    for position, raw in enumerate(cells, start=1):
        name = raw.strip()
        if name != raw:
            findings.append(
                warning(
                    "header-spaces",
                    f"header {raw!r} has spaces around it; read as {name!r} "
                    "(remove the spaces so other tools match it too)",
                    line=line,
                    column=name,
                    value=raw,
                )
            )
        if not name:
            name = f"(column {position})"
            findings.append(
                error(
                    "header-blank",
                    f"column {position} has no header; name it or delete the column",
                    line=line,
                    column=name,
                )
            )
        elif name in header:
            findings.append(
                error(
                    "header-duplicate",
                    f"header {name!r} appears twice; keep one column {name!r}",
                    line=line,
                    column=name,
                )
            )
            name = f"{name} (column {position})"
        header.append(name)
    return header


def _kind_of(header) -> SheetKind:
    normal = {col.normalise_header(name) for name in header}
    workflow_marks = {
        col.normalise_header(col.ANALYSIS_GROUP),
        col.normalise_header(col.ANALYSIS_WORKFLOW),
    }
    if normal & workflow_marks:
        return SheetKind.WORKFLOW
    return SheetKind.BATCH_UPLOAD


def _data_rows(records, width, findings):
    """Collect data rows up to padding; report gaps and overlong rows."""
    lines, rows = [], []
    blank_since = None
    for line, cells in records:
        if _is_blank(cells):
            blank_since = blank_since or line
            continue
        if blank_since is not None:
            findings.append(
                error(
                    "blank-row-inside-data",
                    f"line {blank_since} is blank but samples follow it; Emedgene "
                    "stops reading at a blank row, so delete the blank row",
                    line=blank_since,
                )
            )
            blank_since = None

        if len(cells) > width:
            _report_overflow(cells, width, line, findings)
            cells = cells[:width]
        elif len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        lines.append(line)
        rows.append(cells)
    return lines, rows


def _report_overflow(cells, width, line, findings):
    extra = [(i, c) for i, c in enumerate(cells[width:], start=width + 1) if c.strip()]
    if not extra:
        return
    position, value = extra[0]
    findings.append(
        error(
            "row-too-long",
            f"this row has {width + len(extra)} or more values but the header has "
            f"{width} columns; value {value!r} in column {position} has no header. "
            "Remove it, or quote a value that contains a comma",
            line=line,
            value=value,
        )
    )


def _table(header, lines, rows):
    import pandas as pd

    index = pd.Index(lines, name="line", dtype="int64")
    if not rows:
        return pd.DataFrame(
            {name: pd.Series([], dtype=object) for name in header}, index=index
        )
    data = dict(zip(header, zip(*rows, strict=True), strict=True))
    return pd.DataFrame(
        {name: list(values) for name, values in data.items()},
        index=index,
        dtype=object,
    )


def _strip_cells(table, text, findings):
    """Strip spaces around cells in place, one warning per changed cell."""
    if not _SURROUNDING_SPACE.search(text):
        return
    for name in table.columns:
        values = table[name]
        stripped = values.str.strip()
        changed = stripped != values
        if not changed.any():
            continue
        for line, raw in values[changed].items():
            findings.append(
                warning(
                    "cell-spaces",
                    f"spaces around {raw!r} were removed; delete them in the sheet",
                    line=int(line),
                    column=name,
                    value=raw,
                )
            )
        table[name] = stripped
