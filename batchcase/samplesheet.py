"""The run's Illumina sample sheet, and its cross-check with the workflow sheet.

Sequencing data attach to a biosample only when the sample sheet's Sample_ID
is its BioSample Name and, for a cloud run, the ProjectName its Default
Project. This module reads a v2 sample sheet (`[BCLConvert_Data]`,
`[Cloud_Data]`) or a v1 one (`[Data]`), checks what batchcase relies on, and
builds the `bs upload run` command from the `[Header]`.
"""

from __future__ import annotations

import shlex
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from batchcase import columns as col
from batchcase.errors import SheetError
from batchcase.findings import Finding, error, warning
from batchcase.sheet import csv_records

SAMPLE_ID = "Sample_ID"
RUN_NAME = "RunName"
INSTRUMENT_PLATFORM = "InstrumentPlatform"
RUN_FOLDER = "<run folder>"

# Data section (lower case) -> the column naming the sample's project, if any.
DATA_SECTIONS = {
    "bclconvert_data": None,
    "cloud_data": "ProjectName",
    "data": "Sample_Project",
}


@dataclass(frozen=True)
class SampleRow:
    """One sample row: its file line, section, Sample_ID and project."""

    line: int
    section: str
    sample_id: str
    project_column: str | None = None
    project: str = ""


@dataclass
class Section:
    """A `[Name]` section: the line of its marker and its non-blank records."""

    name: str
    line: int
    records: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass
class SampleSheet:
    """A sample sheet as read: its `[Header]`, its sample rows, its findings."""

    path: Path
    version: int | None
    header: dict[str, tuple[int, str]]  # key -> (file line, value)
    samples: list[SampleRow]
    findings: list[Finding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def header_value(self, key: str) -> str:
        return self.header.get(key, (0, ""))[1]

    @property
    def upload_command(self) -> str | None:
        """`bs upload run ...` for this run, or None without RunName or platform."""
        run = self.header_value(RUN_NAME)
        platform = self.header_value(INSTRUMENT_PLATFORM)
        if not run or not platform:
            return None
        return upload_command(run, platform)


def upload_command(run_name: str, platform: str) -> str:
    """The ready-to-paste upload; the user replaces the `<run folder>` placeholder."""
    return (
        f"bs upload run -n {shlex.quote(run_name)} -t {shlex.quote(platform)} "
        f"{RUN_FOLDER} --concurrency=high"
    )


# ---------------------------------------------------------------- reading


def read_sample_sheet(path) -> SampleSheet:
    """Read a v1 or v2 sample sheet; raise SheetError only if it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"cannot read {path}: {exc.strerror or exc}") from None

    # Undecodable bytes become U+FFFD, which the ASCII rule then reports by line.
    text = data.decode("utf-8-sig", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sections = _sections(text, path)
    return _sample_sheet(path, sections)


def _sections(text: str, path: Path) -> list[Section]:
    """Split the file into sections; records before the first marker are dropped."""
    sections: list[Section] = []
    for line, cells in csv_records(text, path.name):
        cells = _trimmed(cells)
        if not cells:
            continue
        first = cells[0].strip()
        if first.startswith("[") and first.endswith("]") and len(cells) == 1:
            sections.append(Section(first[1:-1].strip(), line))
        elif sections:
            sections[-1].records.append((line, cells))
    return sections


def _trimmed(cells: list[str]) -> list[str]:
    """Drop the empty cells Excel pads a row with."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _sample_sheet(path: Path, sections: list[Section]) -> SampleSheet:
    by_key = {}
    for section in sections:
        by_key.setdefault(section.key, section)
    header = _header(by_key.get("header"))
    version = _version(header, by_key)

    findings = _check_values(path, sections)
    if not any(key in by_key for key in _data_keys(version)):
        findings.append(_no_samples(path))  # first: maybe not a sample sheet
    findings += _check_header(path, header, version, by_key.get("header"))
    samples: list[SampleRow] = []
    for key in _data_keys(version):
        if key in by_key:
            samples += _samples(path, by_key[key], findings)
    return SampleSheet(path, version, header, samples, findings)


def _header(section: Section | None) -> dict[str, tuple[int, str]]:
    header: dict[str, tuple[int, str]] = {}
    for line, cells in section.records if section else []:
        value = cells[1].strip() if len(cells) > 1 else ""
        header.setdefault(cells[0].strip(), (line, value))
    return header


def _version(header, by_key) -> int | None:
    """2 or 1 from the header's version key, else from the data sections."""
    if "FileFormatVersion" in header or "bclconvert_data" in by_key:
        return 2
    if "IEMFileVersion" in header or "data" in by_key:
        return 1
    return None


def _data_keys(version: int | None) -> tuple[str, ...]:
    return ("data",) if version == 1 else ("bclconvert_data", "cloud_data")


def _samples(path: Path, section: Section, findings: list[Finding]):
    """The sample rows of one data section; its first record is the header."""
    if not section.records:
        findings.append(_sample_error(path, section, section.line, "has no rows"))
        return []
    header_line, names = section.records[0]
    names = [name.strip() for name in names]
    if SAMPLE_ID not in names:
        findings.append(
            _sample_error(path, section, header_line, "has no Sample_ID column")
        )
        return []

    project_column = DATA_SECTIONS[section.key]
    position = names.index(SAMPLE_ID)
    project_at = names.index(project_column) if project_column in names else None
    rows = []
    for line, cells in section.records[1:]:
        sample_id = _cell(cells, position)
        project = _cell(cells, project_at) if project_at is not None else ""
        column = project_column if project_at is not None else None
        rows.append(SampleRow(line, section.name, sample_id, column, project))
    return rows


def _cell(cells: list[str], position: int) -> str:
    return cells[position].strip() if position < len(cells) else ""


def _sample_error(path, section, line, problem) -> Finding:
    return error(
        "sample-section",
        f"[{section.name}] {problem}; its first row must be the header with "
        "Sample_ID, then one row per sample",
        line=line,
        file=str(path),
    )


def _no_samples(path: Path) -> Finding:
    return error(
        "sample-section-missing",
        f"{path.name} has no [BCLConvert_Data] or [Cloud_Data] section (v2 sample "
        "sheet) nor a [Data] section (v1): is it the run's sample sheet?",
        file=str(path),
    )


# ------------------------------------------------------------------ rules


def _check_header(path, header, version, section) -> list[Finding]:
    """FileFormatVersion 2 on a v2 sheet; RunName and InstrumentPlatform set."""
    findings = []
    where = section.line if section else None
    found = header.get("FileFormatVersion")
    if version == 2 and found and found[1] != "2":
        findings.append(
            error(
                "file-format-version",
                f"FileFormatVersion is {found[1]!r}; a v2 sample sheet has "
                "FileFormatVersion 2",
                line=found[0],
                column="FileFormatVersion",
                value=found[1],
                file=str(path),
            )
        )
    for key, rule, use in (
        (RUN_NAME, "run-name-missing", "-n"),
        (INSTRUMENT_PLATFORM, "instrument-platform-missing", "-t"),
    ):
        line, value = header.get(key, (where, None))
        if not value:
            findings.append(_header_missing(path, key, rule, use, line, value))
    return findings


def _header_missing(path, key, rule, use, line, value) -> Finding:
    problem = f"[Header] has no {key}" if value is None else f"{key} is empty"
    return error(
        rule,
        f"{problem}; write it as '{key},<value>' in the [Header] of the sample "
        f"sheet: `bs upload run {use}` needs it",
        line=line,
        column=key,
        file=str(path),
    )


def _check_values(path: Path, sections: list[Section]) -> list[Finding]:
    """Every value ASCII without control characters, and without commas."""
    findings = []
    for section in sections:
        for line, cells, names in _named_records(section):
            for position, cell in enumerate(cells):
                problem = _value_problem(cell)
                if problem:
                    column = names[position] if position < len(names) else None
                    findings.append(_value_error(path, line, column, cell, problem))
    return findings


def _named_records(section: Section):
    """Each record with the column name of its cells: data header, or setting key."""
    records = section.records
    if not records:
        return
    if section.key == "data" or section.key.endswith("_data"):
        header = [name.strip() or None for name in records[0][1]]
        yield records[0][0], records[0][1], []
        for line, cells in records[1:]:
            yield line, cells, header
        return
    for line, cells in records:
        yield line, cells, [None] + [cells[0].strip() or None] * (len(cells) - 1)


def _value_problem(cell: str) -> str | None:
    if "," in cell:
        return "contains a comma, which splits it into two columns for BCL Convert"
    bad = next((c for c in cell if not c.isascii() or not c.isprintable()), None)
    if bad is None:
        return None
    what = unicodedata.name(bad, f"U+{ord(bad):04X}")
    kind = "non-ASCII character" if not bad.isascii() else "control character"
    return f"has the {kind} {what} at position {cell.index(bad) + 1}"


def _value_error(path, line, column, cell, problem) -> Finding:
    return error(
        "sample-sheet-value",
        f"value {cell!r} {problem}; sample sheet values must be plain ASCII "
        "without commas, so retype it",
        line=line,
        column=column,
        value=cell,
        file=str(path),
    )


# ------------------------------------------------------------ cross-check


def cross_check(sample_sheet: SampleSheet, sheet, families) -> list[Finding]:
    """Sample rows against biosamples, and biosamples without a sample row."""
    table = sheet.table
    if col.BIOSAMPLE_NAME not in table.columns:
        return [_no_biosamples(sample_sheet, sheet)]

    biosamples = _biosamples(table)
    family_of = {m.line: f.family_id for f in families for m in f.members}
    findings = []
    for row in sample_sheet.samples:
        findings += _check_sample(sample_sheet, sheet, row, biosamples, family_of)
    if sample_sheet.samples:
        findings += _biosamples_without_data(sample_sheet, biosamples)
    return findings


def _biosamples(table) -> dict[str, tuple[int, str]]:
    """BioSample Name -> (file line, Default Project); the first row wins."""
    names = table[col.BIOSAMPLE_NAME].tolist()
    if col.DEFAULT_PROJECT in table.columns:
        projects = table[col.DEFAULT_PROJECT].tolist()
    else:
        projects = [""] * len(names)
    biosamples: dict[str, tuple[int, str]] = {}
    for line, name, project in zip(table.index, names, projects, strict=True):
        if name:
            biosamples.setdefault(name, (int(line), project))
    return biosamples


def _check_sample(sample_sheet, sheet, row, biosamples, family_of):
    where = dict(line=row.line, file=str(sample_sheet.path))
    if not row.sample_id:
        return [
            error(
                "sample-id-missing",
                f"this [{row.section}] row has no Sample_ID; give it the BioSample "
                "Name of its sample",
                column=SAMPLE_ID,
                **where,
            )
        ]
    if row.sample_id not in biosamples:
        return [_unknown_sample(sheet, row, biosamples, where)]

    line, project = biosamples[row.sample_id]
    if row.project_column is None or not project or row.project == project:
        return []
    return [_wrong_project(sheet, row, line, project, family_of.get(line), where)]


def _wrong_project(sheet, row, line, project, family, where) -> Finding:
    return error(
        "sample-project",
        f"{row.project_column} {row.project!r} differs from the Default Project "
        f"{project!r} of biosample {row.sample_id!r} ({sheet.name} line {line}); "
        "the data would land in another project, so make them the same",
        column=row.project_column,
        value=row.project,
        family=family,
        **where,
    )


def _unknown_sample(sheet, row, biosamples, where) -> Finding:
    folded = {name.casefold(): name for name in biosamples}
    near = folded.get(row.sample_id.casefold())
    hint = f" (did you mean {near!r}? they must match exactly)" if near else ""
    return error(
        "sample-id-unknown",
        f"Sample_ID {row.sample_id!r} is not a BioSample Name in {sheet.name}{hint}; "
        "its data would attach to no case, so fix the Sample_ID or the biosample",
        column=SAMPLE_ID,
        value=row.sample_id,
        **where,
    )


def _biosamples_without_data(sample_sheet, biosamples) -> list[Finding]:
    """A biosample no sample row names: its case waits for data from elsewhere."""
    sequenced = {row.sample_id for row in sample_sheet.samples}
    return [
        warning(
            "biosample-not-in-run",
            f"biosample {name!r} has no Sample_ID row in {sample_sheet.name}; its "
            "case will wait until its data arrive from another run",
            line=line,
            column=col.BIOSAMPLE_NAME,
            value=name,
        )
        for name, (line, _) in biosamples.items()
        if name not in sequenced
    ]


def _no_biosamples(sample_sheet, sheet) -> Finding:
    return error(
        "sample-sheet-needs-biosamples",
        f"{sheet.name} has no BioSample Name column, so the Sample_IDs of "
        f"{sample_sheet.name} cannot be matched; add the column or drop "
        "--sample-sheet",
    )
