"""Validating a sheet: reading, column and row rules, pedigree rules, at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from batchcase import family_ids, pedigree, samplesheet, schemas
from batchcase.findings import Finding, has_errors, sort_key
from batchcase.pedigree import Family, PedigreeOptions
from batchcase.samplesheet import SampleSheet
from batchcase.sheet import Sheet, read_sheet


@dataclass
class Validation:
    """A sheet with its families and every finding about it, sorted by line.

    `sample_sheet` is the run's sample sheet the sheet was checked against,
    if one was given; its findings name it in their `file`.
    """

    sheet: Sheet
    families: list[Family]
    findings: list[Finding] = field(default_factory=list)
    sample_sheet: SampleSheet | None = None

    @property
    def valid(self) -> bool:
        return not has_errors(self.findings)

    @property
    def upload_command(self) -> str | None:
        """`bs upload run ...` once the sheet and the sample sheet have no error."""
        if self.sample_sheet is None or not self.valid:
            return None
        return self.sample_sheet.upload_command

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]


def validate_sheet(
    path,
    encoding: str = "utf-8",
    options: PedigreeOptions | None = None,
    sample_sheet=None,
) -> Validation:
    """Read and validate a sheet, and cross-check it with a sample sheet if given.

    Raises SheetError only if the sheet or the sample sheet cannot be read.
    """
    sheet = read_sheet(Path(path), encoding)
    families = pedigree.group_families(sheet, options)

    findings = list(sheet.findings)
    findings += schemas.check_columns(sheet)
    findings += schemas.check_rows(sheet)
    findings += pedigree.check_pedigrees(sheet, families, options)
    findings += family_ids.check_typos(families)

    run = None
    if sample_sheet is not None:
        run = samplesheet.read_sample_sheet(sample_sheet)
        findings += run.findings
        findings += samplesheet.cross_check(run, sheet, families)

    findings = _with_families(findings, families)
    findings.sort(key=sort_key)
    return Validation(sheet, families, findings, run)


def _with_families(findings, families):
    """Name the case each row finding belongs to, for reports grouped by case."""
    family_of = {m.line: f.family_id for f in families for m in f.members}
    return [
        f
        if f.family or f.file or f.line not in family_of
        else replace(f, family=family_of[f.line])
        for f in findings
    ]
