"""Rendering findings and plans for people (text, Markdown) and machines (JSON, CI)."""

from __future__ import annotations

from collections import defaultdict
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
        f"{_count(len(validation.families), 'case')}, "
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
        "cases": len(validation.families),
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


def md_cell(value) -> str:
    """A sheet value made inert inside a Markdown table cell."""
    text = "" if value is None else str(value)
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(raw, safe)
    return text.replace("`", "'").replace("\n", " ")


def plan_markdown(plan) -> str:
    """report.md: summary, findings, and each case's members, short enough for a PR."""
    validation = plan.validation
    lines = [f"# batchcase plan: {md_cell(validation.sheet.name)}", ""]
    lines += [summary_line(validation), ""]
    lines += _upload_markdown(plan)
    lines += _findings_table(validation)
    for case in plan.cases:
        lines += _case_markdown(case, plan)
    return "\n".join(lines) + "\n"


def _upload_markdown(plan) -> list[str]:
    """The upload command as an indented code block: no value can end it early."""
    if not plan.upload_command:
        return []
    return [
        "## Upload the run",
        "",
        "Replace `<run folder>` with the run's output folder, then run:",
        "",
        f"    {plan.upload_command}",
        "",
    ]


def _findings_table(validation) -> list[str]:
    if not validation.findings:
        return ["No findings.", ""]
    rows = [
        "## Findings",
        "",
        "| | line | column | value | message |",
        "|---|---|---|---|---|",
    ]
    for f in validation.findings:
        mark = "error" if f.is_error else "warning"
        line = f.line or ""
        if f.file:  # a line of another file, e.g. the sample sheet
            line = f"{PurePath(f.file).name}:{line}" if line else PurePath(f.file).name
        rows.append(
            f"| {mark} | {md_cell(line)} | {md_cell(f.column)} | {md_cell(f.value)} "
            f"| {md_cell(f.message)} |"
        )
    return rows + [""]


def _case_markdown(case, plan) -> list[str]:
    test = case.body.get("test_data", {})
    state = " (has errors)" if case.family_id in plan.families_with_errors() else ""
    if case.existing_case_id:
        state = f" (already created: {md_cell(case.existing_case_id)}; skipped)"
    lines = [
        f"## Case {md_cell(case.family_id)}{state}",
        "",
        f"{md_cell(test.get('type'))}, {md_cell(test.get('sample_type'))}; "
        f"lines {', '.join(str(n) for n in case.lines)}",
        "",
        "| member | biosample | sex | affected | phenotypes |",
        "|---|---|---|---|---|",
    ]
    for patient in _patients(test.get("patients", {})):
        name = patient.get("fastq_sample") or patient.get("pending_sample_name")
        phenotypes = "; ".join(
            p.get("name") or p.get("id", "").rsplit("_", 1)[-1]
            for p in patient.get("phenotypes", [])
        )
        lines.append(
            f"| {md_cell(patient.get('relationship'))} | {md_cell(name)} "
            f"| {md_cell(patient.get('gender'))} "
            f"| {'no' if patient.get('healthy') else 'yes'} | {md_cell(phenotypes)} |"
        )
    return lines + [""]


def _patients(patients: dict) -> list[dict]:
    ordered = [patients[k] for k in ("proband", "mother", "father") if k in patients]
    return ordered + list(patients.get("other", []))
