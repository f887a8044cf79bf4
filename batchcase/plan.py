"""The dry-run plan: a validated sheet and the exact case bodies it would post."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from batchcase import atomic, report
from batchcase.mapper import PlannedCase, build_cases
from batchcase.pedigree import PedigreeOptions
from batchcase.validation import Validation, validate_sheet


@dataclass
class Plan:
    """A validation and one planned case per family."""

    validation: Validation
    cases: list[PlannedCase]

    @property
    def sheet(self):
        return self.validation.sheet

    @property
    def findings(self):
        return self.validation.findings

    @property
    def valid(self) -> bool:
        return self.validation.valid

    @property
    def upload_command(self) -> str | None:
        """`bs upload run ...` when a sample sheet was given and nothing is wrong."""
        return self.validation.upload_command

    def families_with_errors(self) -> set[str]:
        return {f.family for f in self.validation.errors if f.family}


def build_plan(
    path,
    encoding: str = "utf-8",
    options: PedigreeOptions | None = None,
    resolver=None,
    sample_sheet=None,
) -> Plan:
    """Validate a sheet (and its run's sample sheet) and map each family."""
    validation = validate_sheet(path, encoding, options, sample_sheet)
    cases = build_cases(validation.sheet, validation.families, resolver)
    return Plan(validation, cases)


def write_plan(plan: Plan, out_dir) -> list[Path]:
    """Write cases/<Family Id>.json, report.json, report.md and report.html."""
    out_dir = Path(out_dir)
    names = case_file_names(plan.cases)
    for stale in _earlier_case_files(out_dir):
        if stale.name not in names:  # a case of an earlier plan in this folder
            stale.unlink(missing_ok=True)

    written = []
    for case, name in zip(plan.cases, names, strict=True):
        body = json.dumps(case.body, indent=2, ensure_ascii=False) + "\n"
        written.append(atomic.write_text(out_dir / "cases" / name, body))

    data = json.dumps(report.plan_json(plan), indent=2, ensure_ascii=False) + "\n"
    written.append(atomic.write_text(out_dir / "report.json", data))
    written.append(atomic.write_text(out_dir / "report.md", report.plan_markdown(plan)))
    written.append(atomic.write_text(out_dir / "report.html", report.plan_html(plan)))
    return written


def _earlier_case_files(out_dir: Path) -> list[Path]:
    """The case files an earlier plan wrote here, as its report.json lists them.

    Only those: a file someone else put in cases/ is never deleted.
    """
    try:
        earlier = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
        files = [entry["file"] for entry in earlier.get("case_plans", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []
    cases = out_dir / "cases"
    return [cases / Path(f).name for f in files if isinstance(f, str)]


def case_file_names(cases) -> list[str]:
    """A safe, unique file name per case: the Family Id, never a path."""
    names, seen = [], set()
    for case in cases:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", case.family_id).lstrip(".") or "case"
        name, n = f"{stem}.json", 2
        while name.lower() in seen:
            name, n = f"{stem}-{n}.json", n + 1
        seen.add(name.lower())
        names.append(name)
    return names
