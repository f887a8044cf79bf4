"""Validating a sheet: reading, column and row rules, pedigree rules, at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from batchcase import pedigree, schemas
from batchcase.findings import Finding, has_errors, sort_key
from batchcase.pedigree import Family, PedigreeOptions
from batchcase.sheet import Sheet, read_sheet


@dataclass
class Validation:
    """A sheet, every finding about it (sorted by line), and its case count."""

    sheet: Sheet
    findings: list[Finding] = field(default_factory=list)
    case_count: int = 0
    options: PedigreeOptions | None = None

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
        """Every family, built on first use (validation alone never needs them)."""
        return pedigree.group_families(self.sheet, self.options)


def validate_sheet(
    path, encoding: str = "utf-8", options: PedigreeOptions | None = None
) -> Validation:
    """Read and validate a sheet; raise SheetError only if it cannot be read."""
    sheet = read_sheet(Path(path), encoding)
    keys = pedigree.family_keys(sheet)

    findings = list(sheet.findings)
    findings += schemas.check_columns(sheet)
    findings += schemas.check_rows(sheet)
    findings += schemas.check_unique_biosamples(sheet, keys)
    findings += pedigree.check_pedigrees(sheet, options, keys)

    findings = _with_families(findings, sheet, keys)
    findings.sort(key=sort_key)
    return Validation(sheet, findings, int(keys.nunique()), options)


def _with_families(findings, sheet, keys):
    """Name the case each row finding belongs to, for reports grouped by case."""
    lines = {f.line for f in findings if f.family is None and f.line in keys.index}
    names = pedigree.family_names(sheet, keys, lines)
    return [
        replace(f, family=names[f.line]) if f.line in names else f for f in findings
    ]
