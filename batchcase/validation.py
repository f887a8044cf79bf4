"""Validating a sheet: reading, column and row rules, pedigree rules, at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from batchcase import pedigree, schemas
from batchcase.findings import Finding, has_errors, sort_key
from batchcase.pedigree import Family, PedigreeOptions
from batchcase.sheet import Sheet, read_sheet


@dataclass
class Validation:
    """A sheet with its families and every finding about it, sorted by line."""

    sheet: Sheet
    families: list[Family]
    findings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not has_errors(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]


def validate_sheet(
    path, encoding: str = "utf-8", options: PedigreeOptions | None = None
) -> Validation:
    """Read and validate a sheet; raise SheetError only if it cannot be read."""
    sheet = read_sheet(Path(path), encoding)
    families = pedigree.group_families(sheet, options)

    findings = list(sheet.findings)
    findings += schemas.check_columns(sheet)
    findings += schemas.check_rows(sheet)
    findings += pedigree.check_pedigrees(sheet, families, options)

    findings = _with_families(findings, families)
    findings.sort(key=sort_key)
    return Validation(sheet, families, findings)


def _with_families(findings, families):
    """Name the case each row finding belongs to, for reports grouped by case."""
    family_of = {m.line: f.family_id for f in families for m in f.members}
    return [
        f
        if f.family or f.line not in family_of
        else replace(f, family=family_of[f.line])
        for f in findings
    ]
