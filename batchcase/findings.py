"""A finding about a sheet, and the collection the stages add to."""

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where it is (file line, column), what it is, how to fix it.

    `line` is the file line as an editor counts it (1-based), or None for a
    problem with the whole sheet. `family` names the case it belongs to, when
    it belongs to one, so reports can group findings by case. `file` is None
    for a finding about the sheet being validated, or the path of the other
    file it is about (the run's sample sheet); `line` then counts in that file.
    """

    severity: Severity
    line: int | None
    column: str | None
    value: str | None
    rule: str
    message: str
    family: str | None = None
    file: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


def error(rule, message, line=None, column=None, value=None, family=None, file=None):
    return Finding(Severity.ERROR, line, column, value, rule, message, family, file)


def warning(rule, message, line=None, column=None, value=None, family=None, file=None):
    return Finding(Severity.WARNING, line, column, value, rule, message, family, file)


def sort_key(finding: Finding):
    """Order findings by file (the sheet first), by line, errors before warnings.

    Sorting is stable: on one line, findings keep the order they were made
    in (reading, then columns, rows and pedigrees), so a cause such as an
    unclosed quote comes before what it broke.
    """
    return (
        finding.file is not None,
        finding.file or "",
        finding.line if finding.line is not None else 0,
        finding.severity is not Severity.ERROR,
    )


def has_errors(findings) -> bool:
    return any(f.is_error for f in findings)
