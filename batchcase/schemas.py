"""The pandera schemas of both sheets: every rule about a single row.

Each rule is a vectorised check over one column (it may look at other
columns of the same row). A schema is built for the columns a sheet has and
validated lazily, so every failing cell is reported at once; failure cases
become findings with the file line, column, value and a fix. Rules that need
a whole family live in pedigree.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from batchcase import columns as col
from batchcase.findings import Finding, Severity, error, warning
from batchcase.sheet import Sheet, SheetKind

RELATION_VALUES = ("proband", "mother", "father", "sibling")
SEX_VALUES = ("m", "f", "u", "male", "female", "unknown")
CASE_TYPES = ("Exome", "Whole Genome", "Custom Panel", "Array")
MAX_PHENOTYPES = 100
MAX_NOTES = 4000

FASTQ_ENDINGS = (".fastq.gz", ".fq.gz", ".bam", ".cram")
VCF_ENDINGS = (".vcf", ".vcf.gz", ".gvcf", ".gvcf.gz")

HPO_ID = re.compile(r"HP:\d{7}")
SCIENTIFIC = r"\d+(?:\.\d+)?[eE][+-]?\d+"
EXCEL_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
ISO_DATE = r"\d{4}[-/]\d{2}[-/]\d{2}"
BOOLEAN_COLUMNS = (col.EXECUTE_NOW, col.EXECUTE_NOW_WEB, col.BOOST_GENES, col.OPT_IN)
NUMBER_COLUMNS = (col.GENE_LIST_ID, col.KIT_ID, col.INTERSECT_BED_ID)
DATE_COLUMNS = (col.DATE_OF_BIRTH, col.DUE_DATE)
ID_COLUMNS = (
    col.BIOSAMPLE_NAME,
    col.FAMILY_ID,
    col.ANALYSIS_GROUP,
    col.STORAGE_PROVIDER_ID,
    col.GENE_LIST_ID,
    col.KIT_ID,
    col.INTERSECT_BED_ID,
    col.LABEL_ID,
)


@dataclass(frozen=True)
class Rule:
    """A check over one column: ok(series, table) is True where a cell passes."""

    name: str
    column: str
    ok: Callable
    message: Callable[[str], str]
    severity: Severity = Severity.ERROR


# ------------------------------------------------------------ cell helpers
#
# A column of 100,000 cells is checked in one regex scan over its text when
# every cell passes (the usual case); only a failing column is looked at
# cell by cell, to say which cells fail.


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def list_of(item: str) -> str:
    """A pattern for ';'-separated items (spaces and empty items tolerated)."""
    one = rf"(?:(?:{item})[ \t]*)?"
    return rf"[ \t]*{one}(?:;[ \t]*{one})*"


def _joined(series) -> str | None:
    """The column as one text, a line per cell; None if a cell spans lines."""
    text = "\n".join(series.tolist())
    return text if text.count("\n") == len(series) - 1 else None


@functools.cache
def _line_failing(pattern: str, flags: int) -> re.Pattern:
    return re.compile(rf"^(?!(?:{pattern})$)", flags | re.MULTILINE)


@functools.cache
def _line_matching(pattern: str, flags: int) -> re.Pattern:
    return re.compile(rf"^(?:{pattern})$", flags | re.MULTILINE)


def matching(series, pattern: str, flags: int = 0):
    """True where a cell fully matches `pattern` (True alone if all do)."""
    text = _joined(series)
    if text is not None and not _line_failing(pattern, flags).search(text):
        return True
    compiled = re.compile(pattern, flags)
    return series.map(lambda v: compiled.fullmatch(v) is not None)


def not_matching(series, pattern: str, flags: int = 0, needs: str = ""):
    """True where a cell does not fully match `pattern` (True alone if none do).

    `needs`: characters a match must contain one of; a column without any of
    them cannot match, which a plain `in` test settles quickly.
    """
    text = _joined(series)
    if text is not None and needs and not any(c in text for c in needs):
        return True
    if text is not None and not _line_matching(pattern, flags).search(text):
        return True
    compiled = re.compile(pattern, flags)
    return series.map(lambda v: compiled.fullmatch(v) is None)


def by_value(series, predicate):
    """`predicate` applied once per distinct value (True alone if all pass)."""
    import pandas as pd

    results = {value: bool(predicate(value)) for value in pd.unique(series)}
    if all(results.values()):
        return True
    return series.map(results)


FASTQ_ITEM = r"[^;\n]*\.(?:fastq\.gz|fq\.gz|bam|cram)"
VCF_ITEM = r"[^;\n]*\.(?:vcf|vcf\.gz|gvcf|gvcf\.gz)"
FILE_ID_ITEM = r"(?:[^;\n]*/)?[^;\n/.]*[^;\n/. \t]"  # no extension: BaseSpace id
FILES_CELL = (
    rf"auto|existing|{list_of(FASTQ_ITEM + '|' + FILE_ID_ITEM)}"
    rf"|{list_of(VCF_ITEM + '|' + FILE_ID_ITEM)}"
)
VIZ_ITEM = (
    r"[^;\n]*\.(?:bam|cram|tn\.bw|baf\.bw|roh\.bed|target\.counts\.bw"
    r"|metrics\.tar\.gz)"
)
TWO_BAMS = r".*\.(?:bam|cram)[ \t]*;.*\.(?:bam|cram)[ \t]*(?:;.*)?"
SAFE_DATE = r"\d{4}([-/])(?:0[1-9]|1[0-2])\1(?:0[1-9]|1\d|2[0-8])"


def file_kind(path: str) -> str | None:
    """'fastq' or 'vcf' by extension; '' for an extension-less id; None if unknown."""
    lower = path.lower()
    if lower.endswith(FASTQ_ENDINGS):
        return "fastq"
    if lower.endswith(VCF_ENDINGS):
        return "vcf"
    if "." not in lower.rsplit("/", 1)[-1]:
        return ""  # a BaseSpace file id: its kind is known after a lookup
    return None


def files_kind(value: str) -> str | None:
    """The kind of a Files Names cell, '' when undecided, None when invalid."""
    if value.lower() in ("auto", "existing"):
        return "fastq"
    kinds = {file_kind(item) for item in _items(value)}
    kinds.discard("")
    if None in kinds or len(kinds) > 1:
        return None
    return kinds.pop() if kinds else ""


def _real_date(value: str) -> bool:
    from datetime import date

    if not re.fullmatch(ISO_DATE, value) or value[4] != value[7]:
        return False
    try:
        date(int(value[:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def _column(table, name):
    if name in table.columns:
        return table[name]
    import pandas as pd

    return pd.Series("", index=table.index, dtype=object)


def _one_kind_of_file(text: str) -> bool:
    """Every listed file is FASTQ, or every one is VCF (plain paths only).

    Counted with str.count, which runs at memory speed: each path ends at a
    ';' or a line end, so the paths with a known ending must be all of them.
    """
    paths = text.count(";") + text.count("\n") + 1
    ends = text + "\n"
    for endings in (FASTQ_ENDINGS, VCF_ENDINGS):
        found = 0
        for ending in endings:  # the commonest first: most sheets stop early
            found += ends.count(ending + ";") + ends.count(ending + "\n")
            if found == paths:
                return True
    return False


def _at_most(series, limit: int):
    if max(map(len, series.tolist()), default=0) <= limit:
        return True
    return series.str.len() <= limit


@functools.cache
def spellings(word: str) -> frozenset:
    """Every upper/lower-case spelling of `word`, for a case-blind `isin`."""
    import itertools

    pairs = [(c.lower(), c.upper()) for c in word]
    return frozenset("".join(p) for p in itertools.product(*pairs))


def _few_items(series):
    """At most MAX_PHENOTYPES items; a cell too short to hold more is fine."""
    if _at_most(series, 2 * MAX_PHENOTYPES - 2) is True:
        return True
    return series.map(lambda v: len(_items(v)) <= MAX_PHENOTYPES)


def _positive(value: str) -> bool:
    try:
        return value == "" or float(value) > 0
    except ValueError:
        return False


def _excel_date(value: str) -> bool:
    return re.fullmatch(EXCEL_DATE, value) is not None


# -------------------------------------------------------------- the rules


def _text_rules() -> list[Rule]:
    return [
        Rule(
            "relation",
            col.RELATION,
            lambda s, t: s.isin(RELATION_VALUES + ("",)),
            lambda v: (
                f"{v!r} is not a relation; use one of proband, mother, "
                "father, sibling (lower case; blank means proband)"
            ),
        ),
        Rule(
            "case-type-unknown",
            col.CASE_TYPE,
            lambda s, t: s.isin(CASE_TYPES + ("",)),
            lambda v: (
                f"{v!r} is not a Case Type batchcase knows (Exome, Whole "
                "Genome, Custom Panel, Array); Emedgene decides whether it accepts it"
            ),
            Severity.WARNING,
        ),
        Rule(
            "sample-type",
            col.SAMPLE_TYPE,
            lambda s, t: matching(s, "fastq|vcf|", re.IGNORECASE),
            lambda v: f"{v!r} is not a Sample Type; use FASTQ or VCF",
        ),
        Rule(
            "notes-too-long",
            col.CLINICAL_NOTES,
            lambda s, t: _at_most(s, MAX_NOTES),
            lambda v: (
                f"Clinical Notes has {len(v)} characters; Emedgene accepts "
                f"at most {MAX_NOTES}, so shorten it"
            ),
        ),
        Rule(
            "biosample-whitespace",
            col.BIOSAMPLE_NAME,
            lambda s, t: matching(s, r"\S*"),
            lambda v: (
                f"{v!r} contains whitespace; use letters, digits, '-' and '_' only"
            ),
        ),
    ]


def _sex_rules(table) -> list[Rule]:
    name = col.SEX if col.SEX in table.columns else col.GENDER
    return [
        Rule(
            "sex",
            name,
            lambda s, t: matching(s, "|".join(SEX_VALUES + ("",)), re.I),
            lambda v: f"{v!r} is not a sex; use M, F or U (or male, female, unknown)",
        )
    ]


def _phenotype_rules() -> list[Rule]:
    def bad_ids(value):
        return ", ".join(repr(i) for i in _items(value) if not HPO_ID.fullmatch(i))

    def neither(s, t):
        return s.ne("") | _column(t, col.PHENOTYPES_ID).ne("")

    return [
        Rule(
            "hpo-id",
            col.PHENOTYPES_ID,
            lambda s, t: matching(s, list_of(HPO_ID.pattern)),
            lambda v: (
                f"{bad_ids(v)} is not an HPO id; write each as 'HP:' and "
                "7 digits, e.g. HP:0001250, separated by ';'"
            ),
        ),
        Rule(
            "phenotypes-too-many",
            col.PHENOTYPES_ID,
            lambda s, t: _few_items(s),
            lambda v: (
                f"{len(_items(v))} phenotype ids; Emedgene accepts at most "
                f"{MAX_PHENOTYPES} per member"
            ),
        ),
        Rule(
            "phenotypes-too-many",
            col.PHENOTYPES,
            lambda s, t: _few_items(s),
            lambda v: (
                f"{len(_items(v))} phenotypes; Emedgene accepts at most "
                f"{MAX_PHENOTYPES} per member"
            ),
        ),
        Rule(
            "phenotypes-missing",
            col.PHENOTYPES,
            neither,
            lambda v: (
                "neither Phenotypes nor Phenotypes Id is filled; give HPO ids, "
                "phenotype names, or 'unaffected' for a healthy member"
            ),
        ),
    ]


def _format_rules() -> list[Rule]:
    rules = []
    for name in BOOLEAN_COLUMNS:
        rules.append(
            Rule(
                "boolean",
                name,
                lambda s, t: matching(s, "true|false|", re.IGNORECASE),
                lambda v: f"{v!r} is not a boolean; write true or false",
            )
        )
    for name in ID_COLUMNS:
        rules.append(
            Rule(
                "excel-scientific",
                name,
                lambda s, t: not_matching(s, SCIENTIFIC, needs="eE"),
                lambda v: (
                    f"{v!r} looks like an id Excel turned into a number in "
                    "scientific notation; format the column as Text and re-type the id"
                ),
            )
        )
    for name in NUMBER_COLUMNS + (col.STORAGE_PROVIDER_ID,):
        rules.append(
            Rule(
                "digits",
                name,
                lambda s, t: matching(s, rf"\d*|{SCIENTIFIC}"),
                lambda v: f"{v!r} is not a numeric id; use digits only",
            )
        )
    rules.append(
        Rule(
            "digits",
            col.LABEL_ID,
            lambda s, t: matching(s, list_of(r"\d+")),
            lambda v: f"{v!r}: label ids must be digits separated by ';'",
        )
    )
    for name in DATE_COLUMNS:
        rules += _date_rules(name)
    return rules


def _date_rules(name) -> list[Rule]:
    def excel(s, t):
        return not_matching(s, EXCEL_DATE)

    def real(s, t):
        if matching(s, rf"|{SAFE_DATE}|{EXCEL_DATE}") is True:
            return True
        return by_value(s, lambda v: not v or _real_date(v) or _excel_date(v))

    return [
        Rule(
            "excel-date",
            name,
            excel,
            lambda v: (
                f"{v!r} looks like a date Excel reformatted; write it as "
                "YYYY-MM-DD (format the column as Text so Excel keeps it)"
            ),
        ),
        Rule(
            "date",
            name,
            real,
            lambda v: (
                f"{v!r} is not a real date in the form YYYY-MM-DD (or YYYY/MM/DD)"
            ),
        ),
    ]


def _files_rules() -> list[Rule]:
    def kinds_ok(s, t):
        text = _joined(s)
        if text is not None and _one_kind_of_file(text):
            return True
        return matching(s, FILES_CELL, re.IGNORECASE)

    def files(t):
        return _column(t, col.FILES_NAMES)

    def storage_given(s, t):
        needs = files(t).ne("") & ~files(t).isin(spellings("existing"))
        return ~needs | s.ne("")

    def biosample_given(s, t):
        return files(t).eq("") | s.ne("")

    def project_given(s, t):
        return ~files(t).isin(spellings("auto")) | s.ne("")

    def viz_ok(s, t):
        return matching(s, list_of(VIZ_ITEM), re.IGNORECASE)

    def one_bam(s, t):
        return not_matching(s, TWO_BAMS, re.IGNORECASE)

    return [
        Rule(
            "files-kind",
            col.FILES_NAMES,
            kinds_ok,
            lambda v: (
                f"{_bad_files(v)}; Files Names takes .fastq.gz, .fq.gz, .bam "
                "or .cram files, or .vcf/.vcf.gz/.gvcf/.gvcf.gz files (not both), or "
                "the single word auto or existing"
            ),
        ),
        Rule(
            "storage-required",
            col.STORAGE_PROVIDER_ID,
            storage_given,
            lambda v: (
                "Storage Provider Id is empty but Files Names lists files; "
                "give the numeric id of the storage provider that holds them"
            ),
        ),
        Rule(
            "biosample-required",
            col.BIOSAMPLE_NAME,
            biosample_given,
            lambda v: (
                "BioSample Name is empty but Files Names lists files; give the "
                "sample's name"
            ),
        ),
        Rule(
            "project-required",
            col.DEFAULT_PROJECT,
            project_given,
            lambda v: (
                "Default Project is empty but Files Names is auto; give the "
                "BaseSpace project that holds the sample's files"
            ),
        ),
        Rule(
            "visualization-kind",
            col.VISUALIZATION_FILES,
            viz_ok,
            lambda v: (
                f"{v!r} has a file Emedgene cannot show; Visualization Files "
                "take .bam/.cram, .tn.bw, .baf.bw, .roh.bed, .target.counts.bw and "
                ".metrics.tar.gz"
            ),
        ),
        Rule(
            "visualization-bam-twice",
            col.VISUALIZATION_FILES,
            one_bam,
            lambda v: "Visualization Files lists more than one .bam/.cram; keep one",
        ),
    ]


def _bad_files(value: str) -> str:
    if value in ("auto", "existing"):
        return repr(value)
    kinds = {file_kind(i) for i in _items(value)}
    unknown = [i for i in _items(value) if file_kind(i) is None]
    if unknown:
        return f"{unknown[0]!r} is not a sequencing file"
    if {"fastq", "vcf"} <= kinds:
        return "this cell mixes FASTQ and VCF files"
    return f"{value!r} is not a list of files"


def _workflow_rules() -> list[Rule]:
    """Columns A-J of the BioSample Workflow sheet."""

    def well(s, t):
        return matching(s, r"(?:[A-Pa-p]\d{1,2})?")

    def positive(s, t):
        return by_value(s, _positive)

    def position_alone(s, t):
        return s.eq("") | _column(t, col.CONTAINER_NAME).ne("")

    return [
        Rule(
            "biosample-name",
            col.BIOSAMPLE_NAME,
            lambda s, t: matching(s, rf"[A-Za-z0-9_-]{{1,99}}|{SCIENTIFIC}"),
            lambda v: (
                "BioSample Name is empty; every row needs one"
                if not v
                else f"{v!r} may only use letters, digits, '-' and "
                "'_', under 100 characters"
            ),
        ),
        Rule(
            "project-required",
            col.DEFAULT_PROJECT,
            lambda s, t: s.ne(""),
            lambda v: (
                "Default Project is empty; name the BaseSpace project that "
                "receives this biosample's data"
            ),
        ),
        Rule(
            "container-position",
            col.CONTAINER_POSITION,
            well,
            lambda v: f"{v!r} is not a well position; write it like A01",
        ),
        Rule(
            "position-without-container",
            col.CONTAINER_POSITION,
            position_alone,
            lambda v: (
                "a Container Position without a Container Name; name the plate or rack"
            ),
            Severity.WARNING,
        ),
        Rule(
            "required-yield",
            col.REQUIRED_YIELD,
            positive,
            lambda v: f"{v!r} is not a positive number of gigabases",
        ),
    ]


def rules_for(sheet: Sheet) -> list[Rule]:
    """Every row rule that applies to the columns this sheet has."""
    rules = _text_rules() + _sex_rules(sheet.table) + _phenotype_rules()
    rules += _format_rules() + _files_rules()
    if sheet.kind is SheetKind.WORKFLOW:
        rules += _workflow_rules()
    if sheet.kind is SheetKind.WORKFLOW:
        # Column A has its own, stricter rule and is never empty.
        skip = {"biosample-whitespace", "biosample-required"}
        rules = [r for r in rules if r.name not in skip]
    present = set(sheet.table.columns)
    return [r for r in rules if r.column in present]


# ----------------------------------------------------------------- columns


def check_columns(sheet: Sheet) -> list[Finding]:
    """Header rules: required columns, near misses, custom column names."""
    header = sheet.columns
    line = sheet.header_line
    findings = [
        error(
            "header-near-miss",
            f"header {name!r} is not a column Emedgene knows; did you mean "
            f"{col.near_miss(name)!r}? Header names are matched exactly",
            line=line,
            column=name,
            value=name,
        )
        for name in header
        if col.near_miss(name)
    ]
    findings += _missing_columns(sheet)
    findings += _custom_columns(sheet)
    return findings


def _missing_columns(sheet: Sheet) -> list[Finding]:
    present = set(sheet.table.columns)
    if sheet.kind is SheetKind.WORKFLOW:
        required = list(col.REQUIRED_WORKFLOW) + [col.CASE_TYPE, col.FILES_NAMES]
    else:
        required = list(col.REQUIRED_BATCH_UPLOAD)
    missing = [name for name in required if name not in present]
    if not present & {col.SEX, col.GENDER}:
        missing.append("Sex (or Gender)")
    if not present & {col.PHENOTYPES, col.PHENOTYPES_ID}:
        missing.append("Phenotypes (or Phenotypes Id)")
    return [
        error(
            "column-missing",
            f"required column {name!r} is missing; add it to the header row",
            line=sheet.header_line,
            column=name,
        )
        for name in missing
    ]


def _custom_columns(sheet: Sheet) -> list[Finding]:
    findings = []
    for name in sheet.columns:
        if name in col.KNOWN_COLUMNS or col.near_miss(name) or "(column " in name:
            continue
        if " " in name:
            findings.append(
                warning(
                    "custom-column-name",
                    f"custom column {name!r} has spaces; Emedgene expects custom "
                    f"column names without spaces, e.g. {name.replace(' ', '_')!r}",
                    line=sheet.header_line,
                    column=name,
                )
            )
    return findings


# ------------------------------------------------------------- uniqueness


def check_unique_biosamples(sheet: Sheet, keys) -> list[Finding]:
    """Workflow sheet: a BioSample Name appears once, whatever its case.

    BaseSpace compares names case-insensitively. A name repeated inside one
    pedigree is reported by the pedigree rules ("two roles"), so only
    repeats across pedigrees are reported here.
    """
    table = sheet.table
    if sheet.kind is not SheetKind.WORKFLOW or col.BIOSAMPLE_NAME not in table:
        return []
    names = table[col.BIOSAMPLE_NAME]
    folded = names.map(str.casefold)
    repeated = folded.duplicated(keep=False) & names.ne("")
    if not repeated.any():
        return []

    first: dict[str, tuple[int, object]] = {}
    findings = []
    for line, name, key in zip(
        names.index[repeated], names[repeated], keys[repeated], strict=True
    ):
        seen = first.setdefault(name.casefold(), (int(line), key))
        if seen[0] != line and seen[1] != key:
            findings.append(
                error(
                    "biosample-duplicate",
                    f"BioSample Name {name!r} is already on line {seen[0]} (BaseSpace "
                    "ignores letter case); give each biosample its own name",
                    line=int(line),
                    column=col.BIOSAMPLE_NAME,
                    value=name,
                )
            )
    return findings


# -------------------------------------------------------------- validation


def check_rows(sheet: Sheet) -> list[Finding]:
    """Validate every row rule with pandera, lazily; return the findings."""
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    rules = rules_for(sheet)
    table = sheet.table
    by_name = {}
    checks: dict[str, list] = {}
    for number, rule in enumerate(rules):
        key = f"{rule.name}#{number}"
        by_name[key] = rule
        check = pa.Check(lambda s, r=rule: r.ok(s, table), name=key)
        checks.setdefault(rule.column, []).append(check)

    schema = pa.DataFrameSchema(
        {
            name: pa.Column(checks=found, required=False, nullable=True)
            for name, found in checks.items()
        }
    )
    try:
        schema.validate(table, lazy=True)
    except SchemaErrors as exc:
        return _findings(exc.failure_cases, by_name, table)
    return []


def _findings(failures, by_name, table) -> list[Finding]:
    findings = []
    for key, line, column in zip(
        failures["check"], failures["index"], failures["column"], strict=True
    ):
        rule = by_name.get(key)
        if rule is None or line is None:
            continue
        value = table.at[int(line), column]
        make = error if rule.severity is Severity.ERROR else warning
        findings.append(
            make(
                rule.name,
                rule.message(value),
                line=int(line),
                column=column,
                value=value,
            )
        )
    return findings
