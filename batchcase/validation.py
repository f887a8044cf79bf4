"""Validating a sheet: reading, column and row rules, pedigree rules, at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from batchcase import family_ids, pedigree, samplesheet, schemas
from batchcase.findings import Finding, has_errors, sort_key
from batchcase.pedigree import Family, PedigreeOptions
from batchcase.samplesheet import SampleSheet
from batchcase.sheet import Sheet, read_sheet

# Findings that mean some family has no proband: only then can a Family Id
# (or Analysis Group) be a typo that split a pedigree in two.
NO_PROBAND_RULES = {"proband-missing", "workflow-missing"}


@dataclass
class Validation:
    """A sheet, every finding about it (sorted by line), and its case count.

    `sample_sheet` is the run's sample sheet the sheet was checked against,
    if one was given; its findings name it in their `file`.
    """

    sheet: Sheet
    findings: list[Finding] = field(default_factory=list)
    case_count: int = 0
    options: PedigreeOptions | None = None
    sample_sheet: SampleSheet | None = None

    @property
    def valid(self) -> bool:
        return not has_errors(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @cached_property
    def families(self) -> list[Family]:
        """Every family, built on first use (validation alone rarely needs them)."""
        return pedigree.group_families(self.sheet, self.options)

    @property
    def upload_command(self) -> str | None:
        """The `bs upload run` line, once a sample sheet checked out clean."""
        if self.sample_sheet is None or not self.valid:
            return None
        return self.sample_sheet.upload_command


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
    keys = pedigree.family_keys(sheet)
    validation = Validation(sheet, [], int(keys.nunique()), options)

    findings = list(sheet.findings)
    findings += schemas.check_columns(sheet)
    findings += schemas.check_rows(sheet)
    findings += schemas.check_unique_biosamples(sheet, keys)
    findings += pedigree.check_pedigrees(sheet, options, keys)
    if any(f.rule in NO_PROBAND_RULES for f in findings):
        findings += family_ids.check_typos(validation.families)

    if sample_sheet is not None:
        run = samplesheet.read_sample_sheet(sample_sheet)
        validation.sample_sheet = run
        findings += run.findings
        findings += samplesheet.cross_check(run, sheet, validation.families)

    findings = _with_families(findings, sheet, keys)
    findings.sort(key=sort_key)
    validation.findings = findings
    return validation


def _with_families(findings, sheet, keys):
    """Name the case each row finding belongs to, for reports grouped by case."""
    lines = {
        f.line
        for f in findings
        if f.family is None and f.file is None and f.line in keys.index
    }
    names = pedigree.family_names(sheet, keys, lines)
    return [
        replace(f, family=names[f.line])
        if f.family is None and f.file is None and f.line in names
        else f
        for f in findings
    ]
