"""Reading a sheet the way labs write it: every cell text, every row its line.

Sheets come out of Excel and LIMS exports: a byte-order mark, CRLF or CR
line endings, a `[Header]` preamble, comma padding after the last column and
empty rows after the last sample. This module turns such a file into a table
of text cells indexed by file line number, plus findings about what it had
to tolerate. It never guesses a type: `007` stays `007`.
"""

from __future__ import annotations

import codecs
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

# Where a cell may start or end with a space; plain `in` tests are fast.
_SPACE_MARKS = (" ,", ", ", ' "', '" ', " \n", "\n ", "\t")


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
    if not text or text.isspace():
        raise SheetError(f"{path.name} is empty: it needs a header row and samples")

    # UTF-8 without CRs can go to the C parser as bytes, skipping a text copy.
    plain = text.replace("\ufeff", "", 1) is text and b"\r" not in data
    utf8 = data.removeprefix(codecs.BOM_UTF8) if _is_utf8(encoding) and plain else None
    return parse_sheet(text, path, utf8)


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig")


def decode(data: bytes, name: str, encoding: str = "utf-8") -> str:
    """Bytes to text with `\\n` line ends, or a SheetError naming the bad byte."""
    if _is_utf8(encoding):
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


def parse_sheet(text: str, path: Path, utf8: bytes | None = None) -> Sheet:
    """Parse decoded text; see read_sheet. `utf8`: the same text as bytes."""
    findings: list[Finding] = []
    header_line, last_line, cells, saw_data, offset = _find_header(text, path.name)
    try:
        header = _clean_header(cells, header_line, findings)
    except SheetError as exc:
        raise SheetError(f"{path.name}:{exc}") from None
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

    data = text[offset:]
    data_bytes = utf8[len(text[:offset].encode()) :] if utf8 is not None else None
    raw = _raw_rows(data, last_line + 1, path.name, data_bytes)
    table = _fit_width(raw, header, findings)
    _strip_cells(table, data, findings)
    table = _drop_blank_rows(table, findings)
    findings += _unreadable_cells(table, data, data_bytes)
    if table.empty:
        findings.append(
            error(
                "no-samples",
                "the sheet has a header but no sample rows; add one row per "
                "family member under the header",
                line=header_line,
            )
        )
    return Sheet(path, kind, header, header_line, table, findings, saw_data)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PRINTED = bytes(range(32, 127)) + bytes(range(128, 256)) + b"\t\n\r"


def _has_control_character(data: bytes) -> bool:
    """Whether any byte is a control character (deleting the rest is fast)."""
    return bool(data.translate(None, _PRINTED))


def _unreadable_cells(table, data: str, data_bytes=None) -> list[Finding]:
    """Control characters in cells, and a quote that never closes."""
    findings = []
    if _has_control_character(data_bytes or data.encode("utf-8", "replace")):
        for name in table.columns:
            bad = table[name].map(lambda v: _CONTROL.search(v) is not None)
            for line, value in table[name][bad].items():
                findings.append(
                    error(
                        "control-character",
                        f"{value!r} holds an invisible control character; delete "
                        "it (retype the cell)",
                        line=int(line),
                        column=name,
                        value=value,
                    )
                )
    if data.count('"') % 2:
        findings += _unclosed_quote(table)
    return findings


def _unclosed_quote(table) -> list[Finding]:
    """Where a quote opened and swallowed the lines after it, if one did."""
    for name in table.columns:
        spanning = table[name].str.contains("\n", regex=False)
        if spanning.any():
            line = int(table.index[spanning.to_numpy().nonzero()[0][-1]])
            message = (
                f"a quote opens in this row's {name} and never closes, so every "
                "line after it was read into this one cell; close the quote"
            )
            return [error("unclosed-quote", message, line=line, column=name)]
    return []  # a lone '"' inside a cell, read as written


def _physical_records(text: str):
    """Yield (first line, last line, cells, offset after it) for each record."""
    position, line = 0, 0
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end == -1 else end
        first = line + 1
        # A quoted cell may span lines: extend until the quotes balance.
        while text.count('"', position, end) % 2 and end < len(text):
            end = text.find("\n", end + 1)
            end = len(text) if end == -1 else end
            line += 1
        line += 1
        record = text[position:end]
        cells = next(csv.reader([record]), []) if record else []
        yield first, line, cells, end + 1
        position = end + 1


def csv_records(text: str, name: str, first_line: int = 1):
    """Yield (first file line, cells) for each CSV record, quotes and all."""
    reader = csv.reader(io.StringIO(text))
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = first_line + reader.line_num - 1
            raise SheetError(f"{name}:{line}: not valid CSV ({exc})") from None
        yield first_line + last, cells
        last = reader.line_num


def _is_blank(cells) -> bool:
    return not any(cell.strip() for cell in cells)


def _is_section(cells) -> bool:
    first = cells[0].strip() if cells else ""
    return first.startswith("[") and first.endswith("]")


def _looks_like_header(cells) -> bool:
    first = col.normalise_header(cells[0]) if cells else ""
    return first in ("biosamplename", "familyid")


def _find_header(text, name):
    """Skip the preamble: (header's first line, last line, cells, [Data], offset)."""
    section = None
    try:
        for line, last, cells, offset in _physical_records(text):
            if _is_blank(cells):
                continue
            if _is_section(cells):
                section = cells[0].strip().lower()
                continue
            if section in (None, "[data]") or _looks_like_header(cells):
                return line, last, cells, section == "[data]", offset
    except csv.Error as exc:
        raise SheetError(f"{name}: the header is not valid CSV ({exc})") from None
    raise SheetError(
        f"{name}: no header row found. The sheet needs a '[Data]' line, then the "
        "header row (BioSample Name, Default Project, ... or Family Id, Case Type, "
        "...), then one row per sample."
    )


def _raw_rows(data: str, first_line: int, name: str, data_bytes=None):
    """The data rows as a frame of text, index = file line, columns 0..n-1.

    The C parser reads a well-formed sheet fast; a ragged one, or one whose
    quoted cells span lines (which would shift line numbers), goes through
    the csv module record by record.
    """
    import pandas as pd

    if not data or data.isspace():
        return pd.DataFrame(index=pd.RangeIndex(first_line, first_line, name="line"))
    source = io.BytesIO(data_bytes) if data_bytes is not None else io.StringIO(data)
    try:
        raw = pd.read_csv(
            source,
            header=None,
            dtype=object,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        return _raw_rows_slow(data, first_line, name)
    if '"' in data and _any_cell_spans_lines(raw):
        return _raw_rows_slow(data, first_line, name)

    raw.index = pd.RangeIndex(first_line, first_line + len(raw), name="line")
    return raw


def _any_cell_spans_lines(raw) -> bool:
    return any(raw[c].str.contains("\n", regex=False).any() for c in raw.columns)


def _raw_rows_slow(data: str, first_line: int, name: str):
    import pandas as pd

    lines, rows = [], []
    for line, cells in csv_records(data, name, first_line):
        lines.append(line)
        rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, index=pd.Index(lines, name="line"), dtype=object)


def _clean_header(cells, line, findings) -> list[str]:
    """Drop trailing padding, strip names, report blanks and duplicates."""
    while cells and not cells[-1].strip():
        cells = cells[:-1]

    if len(cells) == 1 and ";" in cells[0]:
        raise SheetError(
            f"{line}: the header is one column separated by ';' "
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
        elif name in header and name in (col.BIOSAMPLE_NAME, col.DEFAULT_PROJECT):
            findings.append(
                error(
                    "column-repeated",
                    f"{name!r} is already one of columns A-J of the workflow "
                    f"sheet; delete the repeated column {position}",
                    line=line,
                    column=name,
                )
            )
            name = f"{name} (column {position})"
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


def _canonical(header) -> list[str]:
    """Table columns: a near-miss header (reported as an error) read as meant."""
    names = []
    for name in header:
        meant = col.near_miss(name)
        names.append(meant if meant and meant not in header else name)
    return names


def _kind_of(header) -> SheetKind:
    normal = {col.normalise_header(name) for name in header}
    workflow_marks = {
        col.normalise_header(col.ANALYSIS_GROUP),
        col.normalise_header(col.ANALYSIS_WORKFLOW),
    }
    if normal & workflow_marks:
        return SheetKind.WORKFLOW
    return SheetKind.BATCH_UPLOAD


def _fit_width(raw, header, findings):
    """Give the frame the header's columns: pad short rows, report long ones."""
    width = len(header)
    if raw.shape[1] > width:
        extra = raw.iloc[:, width:].apply(lambda c: c.str.strip())
        for line in raw.index[extra.ne("").any(axis=1)]:
            _report_overflow(extra.loc[line].tolist(), width, int(line), findings)
        raw = raw.iloc[:, :width]
    raw = raw.copy() if raw.shape[1] < width else raw
    for position in range(raw.shape[1], width):
        raw[position] = ""
    raw.columns = _canonical(header)
    return raw


def _report_overflow(extra, width, line, findings):
    position, value = next((i, v) for i, v in enumerate(extra, width + 1) if v)
    findings.append(
        error(
            "row-too-long",
            f"this row has more values than the header's {width} columns; value "
            f"{value!r} in column {position} has no header. Remove it, or quote a "
            "value that contains a comma",
            line=line,
            value=value,
        )
    )


def _drop_blank_rows(table, findings):
    """Drop empty rows; one inside the data (samples follow it) is an error."""
    if table.empty or not table.iloc[:, 0].eq("").any():
        return table
    blank = table.eq("").all(axis=1).to_numpy()
    if not blank.any():
        return table

    last_data = len(blank) - 1 - blank[::-1].argmin() if not blank.all() else -1
    for position in range(last_data):
        if blank[position] and (position == 0 or not blank[position - 1]):
            line = int(table.index[position])
            findings.append(
                error(
                    "blank-row-inside-data",
                    f"line {line} is blank but samples follow it; Emedgene "
                    "stops reading at a blank row, so delete the blank row",
                    line=line,
                )
            )
    return table[~blank]


def _strip_cells(table, text, findings):
    """Strip spaces around cells in place, one warning per changed cell."""
    if " " not in text and "\t" not in text:
        return  # one fast scan settles the usual case
    edges = text[:1] + text.rstrip("\n")[-1:]
    if " " not in edges and not any(mark in text for mark in _SPACE_MARKS):
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
