"""Rendering findings and plans for people (text, Markdown) and machines (JSON, CI)."""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import PurePath

from batchcase.findings import Finding, sort_key


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(validation) -> str:
    """One line: the sheet, whether it is valid, and what it holds."""
    sheet = validation.sheet
    state = "valid" if validation.valid else "NOT valid"
    return (
        f"{sheet.name}: {state}: {_count(len(validation.errors), 'error')}, "
        f"{_count(len(validation.warnings), 'warning')}; "
        f"{_count(validation.case_count, 'case')}, "
        f"{_count(len(sheet.table), 'sample')}"
    )


def format_finding(finding: Finding, sheet_name: str) -> str:
    """`sheet.csv:12: error: Relation: message`, as editors and people read it."""
    name = PurePath(finding.file).name if finding.file else sheet_name
    where = f"{name}:{finding.line}" if finding.line else name
    column = f"{finding.column}: " if finding.column else ""
    return f"{where}: {finding.severity}: {column}{finding.message}"


def render_text(validation) -> str:
    """Findings grouped by case, or by the other file they name; then the summary."""
    name = validation.sheet.name
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in validation.findings:
        groups[_heading(finding)].append(finding)

    lines = []
    for heading, findings in sorted(groups.items(), key=lambda kv: sort_key(kv[1][0])):
        lines.append(heading)
        lines += [f"  {format_finding(f, name)}" for f in findings]
        lines.append("")
    lines.append(summary_line(validation))
    return "\n".join(lines) + "\n"


def _heading(finding: Finding) -> str:
    if finding.family is not None:
        return f"Case {finding.family}"
    if finding.file:
        return f"File {PurePath(finding.file).name}"
    return "Whole sheet"


def upload_text(validation) -> str:
    """The `bs upload run` lines that end the text output; empty until ready."""
    command = validation.upload_command
    if not command:
        return ""
    return (
        "Upload the run's data with this command, after replacing <run folder> "
        "with the run's output folder:\n"
        f"{command}\n"
    )


def validation_json(validation) -> dict:
    """The `validate --format json` object; its keys are a stable contract."""
    data = {
        "sheet": str(validation.sheet.path),
        "valid": validation.valid,
        "cases": validation.case_count,
        "errors": len(validation.errors),
        "warnings": len(validation.warnings),
    }
    if validation.sample_sheet is not None:
        data["sample_sheet"] = str(validation.sample_sheet.path)
        data["upload_command"] = validation.upload_command
    data["findings"] = [_finding_json(f) for f in validation.findings]
    return data


def _finding_json(finding: Finding) -> dict:
    keys = ("severity", "line", "column", "value", "rule", "message")
    data = finding.as_dict()
    if finding.file:  # only findings about another file, e.g. the sample sheet
        keys = ("file", *keys)
    return {key: data[key] for key in keys}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(validation) -> str:
    """One GitHub Actions workflow command per finding, shown on its line."""
    path = str(validation.sheet.path)
    out = []
    for f in validation.findings:
        level = "error" if f.is_error else "warning"
        props = [f"file={_escape_property(f.file or path)}"]
        if f.line:
            props.append(f"line={f.line}")
        title = f"{f.column}: {f.rule}" if f.column else f.rule
        props.append(f"title={_escape_property(title)}")
        out.append(f"::{level} {','.join(props)}::{_escape_data(f.message)}")
    out.append(summary_line(validation))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------- plans


def plan_json(plan) -> dict:
    """report.json: the validation object plus one entry per case."""
    from batchcase.plan import case_file_names

    data = validation_json(plan.validation)
    bad = plan.families_with_errors()
    data["case_plans"] = [
        {
            "family_id": case.family_id,
            "file": f"cases/{name}",
            "proband": case.proband,
            "lines": case.lines,
            "has_errors": case.family_id in bad,
            "existing_case_id": case.existing_case_id,
            "needs_lookup": getattr(case, "needs_lookup", False),
            "body": case.body,
        }
        for case, name in zip(plan.cases, case_file_names(plan.cases), strict=True)
    ]
    return data


_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "`": "'"}
_MD_ESCAPES |= {c: "\\" + c for c in "\\*[]~"}
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


class CodeLine(str):
    """Text for a Markdown indented code block: shown as written, on one line."""


def md_cell(value) -> str:
    """A sheet value made inert in Markdown: no HTML, links, emphasis or cells."""
    if isinstance(value, CodeLine):  # inside a code block nothing is markup
        return " ".join(value.splitlines())
    text = "" if value is None else str(value)
    text = "".join(_MD_ESCAPES.get(char, char) for char in text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)  # LAB_01 stays; _emphasis_ does not
    return " ".join(text.splitlines())


def plan_markdown(plan, generated: datetime | None = None) -> str:
    """report.md: summary, findings, each case's pedigree as a table; PR-sized."""
    template = _environment("markdown").get_template("report.md.j2")
    return template.render(_report_context(plan, generated))


def plan_html(plan, generated: datetime | None = None) -> str:
    """report.html: one self-contained page, pedigrees drawn, values escaped."""
    template = _environment("html").get_template("report.html.j2")
    return template.render(_report_context(plan, generated))


@functools.cache
def _environment(kind: str):
    """The Jinja environment of a report kind; every value is escaped for it."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    loader = PackageLoader("batchcase", "templates")
    options = {"trim_blocks": True, "lstrip_blocks": True, "undefined": StrictUndefined}
    if kind == "markdown":
        return Environment(loader=loader, autoescape=False, finalize=md_cell, **options)
    return Environment(loader=loader, autoescape=True, **options)


def _report_context(plan, generated: datetime | None) -> dict:
    """What both reports show: the summary, the findings and one view per case."""
    from batchcase.plan import case_file_names

    validation = plan.validation
    generated = generated or datetime.now(UTC)
    names = case_file_names(plan.cases)
    cases = [
        case_view(n, case, name, plan)
        for n, (case, name) in enumerate(zip(plan.cases, names, strict=True), 1)
    ]
    anchors = {case["family_id"]: case["anchor"] for case in cases}
    return {
        "summary": _summary(plan, generated),
        "findings": [_finding_view(f, anchors) for f in validation.findings],
        "cases": cases,
    }


def _summary(plan, generated: datetime) -> dict:
    validation = plan.validation
    return {
        "sheet": validation.sheet.name,
        "path": str(validation.sheet.path),
        "date": generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "valid": validation.valid,
        "line": summary_line(validation),
        "cases": len(plan.cases),
        "families": len(validation.families),
        "samples": len(validation.sheet.table),
        "errors": len(validation.errors),
        "warnings": len(validation.warnings),
        "upload_command": CodeLine(plan.upload_command)
        if plan.upload_command
        else None,
    }


def _finding_view(finding: Finding, anchors: dict) -> dict:
    line = finding.line
    if finding.file:  # a line of another file, such as the sample sheet
        name = PurePath(finding.file).name
        line = f"{name}:{line}" if line else name
    return {
        "severity": str(finding.severity),
        "line": line,
        "column": finding.column,
        "value": finding.value,
        "rule": finding.rule,
        "message": finding.message,
        "family": finding.family,
        "anchor": anchors.get(finding.family),
    }


# -------------------------------------------------------------- case views


def case_view(number: int, case, file_name: str, plan) -> dict:
    """One case as both reports show it: fields, members, pedigree, findings."""
    from batchcase.pedigree_drawing import pedigree_svg

    test = case.body.get("test_data", {})
    patients = test.get("patients", {})
    findings = [f for f in plan.findings if f.family == case.family_id]
    lines_of = _lines_by_biosample(plan, case.family_id)
    members = [
        member_view(patient, test.get("samples", []), lines_of)
        for patient in _patients(patients)
    ]
    return {
        "anchor": f"case-{number}",
        "family_id": case.family_id,
        "file": f"cases/{file_name}",
        "lines": case.lines,
        "has_errors": any(f.is_error for f in findings),
        "findings": [_finding_view(f, {}) for f in findings],
        "existing_case_id": case.existing_case_id,
        "needs_lookup": case.needs_lookup,
        "fields": case_fields(test),
        "members": members,
        "svg": pedigree_svg(patients, findings, lines_of, case.family_id),
        "body": json.dumps(case.body, indent=2, ensure_ascii=False),
    }


def case_fields(test: dict) -> list[tuple[str, str]]:
    """The case-level fields a reviewer checks, then the custom columns."""
    genes = test.get("gene_list", {})
    gene_list = "all genes" if genes.get("type") == "all" else f"list {genes.get('id')}"
    fields = [
        ("Case type", test.get("type")),
        ("Sample type", test.get("sample_type")),
        ("Gene list", gene_list),
        ("Preset", test.get("selected_preset_set")),
        ("Labels", ", ".join(str(label) for label in test.get("labels", []))),
        ("Due date", test.get("due_date")),
        ("Clinical notes", test.get("notes")),
    ]
    fields += [(name, value) for name, value in test.get("extra_data", {}).items()]
    return [(name, "" if value is None else str(value)) for name, value in fields]


def member_view(patient: dict, samples: list[dict], lines_of: dict) -> dict:
    """One member: who it is, its biosample, files and phenotypes."""
    name = patient.get("fastq_sample") or patient.get("pending_sample_name") or ""
    sex = str(patient.get("gender", "Unknown"))
    affected = not patient.get("healthy", False)
    proband = patient.get("relationship") == "Test Subject"
    return {
        "relationship": "Proband" if proband else patient.get("relationship"),
        "symbol": _MD_SYMBOLS[sex.casefold(), affected] + ("↗" if proband else ""),
        "biosample": name,
        "pending": not patient.get("fastq_sample"),
        "sex": sex,
        "affected": affected,
        "date_of_birth": patient.get("date_of_birth", ""),
        "phenotypes": [_phenotype_text(p) for p in patient.get("phenotypes", [])],
        "files": _files_of(name, samples),
        "lines": lines_of.get(name, []),
    }


_MD_SYMBOLS = {
    ("male", True): "■",
    ("male", False): "□",
    ("female", True): "●",
    ("female", False): "○",
    ("unknown", True): "◆",
    ("unknown", False): "◇",
}


def _phenotype_text(entry: dict) -> str:
    """`HP:0001250` for an id entry, the name for a named one."""
    if entry.get("id"):
        return "HP:" + str(entry["id"]).rsplit("_", 1)[-1]
    return str(entry.get("name", ""))


def _files_of(biosample: str, samples: list[dict]) -> list[str]:
    """The file names a member's sample sends, or the existing sample it reuses."""
    for sample in samples:
        if sample.get("fastq") != biosample:
            continue
        if "sampleFiles" not in sample:
            return [f"existing sample {sample.get('id')}"]
        files = [str(entry.get("filename")) for entry in sample["sampleFiles"]]
        if sample.get("bam_location"):
            files.append(str(sample["bam_location"]).rsplit("/", 1)[-1])
        return files
    return []


def _lines_by_biosample(plan, family_id: str) -> dict[str, list[int]]:
    lines: dict[str, list[int]] = defaultdict(list)
    for family in plan.validation.families:
        if family.family_id == family_id:
            for member in family.members:
                lines[member.biosample].append(member.line)
    return lines


def _patients(patients: dict) -> list[dict]:
    ordered = [patients[k] for k in ("proband", "mother", "father") if k in patients]
    return ordered + list(patients.get("other", []))
