"""Grouping sheet rows into families, and the pedigree rules.

In a BioSample Workflow sheet the Analysis Group is the pedigree: the row
that names the workflow is the proband, the rest are relatives by their
Relation. In a plain Batch Upload CSV the Family Id is the pedigree and a
blank Relation means proband. Grouping never depends on row order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from batchcase import columns as col
from batchcase.findings import Finding, error, warning
from batchcase.sheet import Sheet, SheetKind

PROBAND, MOTHER, FATHER, SIBLING = "proband", "mother", "father", "sibling"
RELATIONS = (PROBAND, MOTHER, FATHER, SIBLING)
DEFAULT_WORKFLOW = "emedgene-create-case"
DEFAULT_SIZES = (1, 3)
MAX_WEB_CASES = 50
LINE_KEY = "\x00line:"  # the key of a singleton row without an Analysis Group
SIZE_NAMES = {1: "singleton", 2: "duo", 3: "trio", 4: "quad"}

SEXES = {  # a Sex or Gender cell, lower-cased → Emedgene's gender
    "m": "Male",
    "male": "Male",
    "f": "Female",
    "female": "Female",
    "u": "Unknown",
    "unknown": "Unknown",
    "": "Unknown",
}


@dataclass(frozen=True)
class Member:
    """One row of a family: its file line, its role, and its cells by header."""

    line: int
    role: str
    cells: dict

    @property
    def biosample(self) -> str:
        return self.cells.get(col.BIOSAMPLE_NAME, "")

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass
class Family:
    """The rows of one pedigree, in sheet order; becomes one case."""

    family_id: str
    members: list[Member] = field(default_factory=list)

    @property
    def proband(self) -> Member | None:
        return next((m for m in self.members if m.role == PROBAND), None)

    def with_role(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    @property
    def lines(self) -> list[int]:
        return [m.line for m in self.members]


@dataclass(frozen=True)
class PedigreeOptions:
    """What counts as a valid workflow: its base name and allowed sizes."""

    workflow_name: str = DEFAULT_WORKFLOW
    sizes: tuple[int, ...] = DEFAULT_SIZES


def sex_of(cells: dict, has_sex_column: bool) -> str | None:
    """Male/Female/Unknown from Sex (which wins) or Gender; None if invalid."""
    raw = cells.get(col.SEX, "") if has_sex_column else cells.get(col.GENDER, "")
    return SEXES.get(raw.strip().lower())


def role_of(relation: str, is_workflow_proband: bool | None) -> str:
    """The role a row plays; an invalid Relation is kept as written."""
    if is_workflow_proband:
        return PROBAND
    if is_workflow_proband is None:
        return relation or PROBAND
    # Workflow sheet: only the row naming the workflow is the proband.
    return "" if relation == PROBAND else relation


# ---------------------------------------------------------------- grouping


def group_families(sheet: Sheet, options=None, keys=None, only=None):
    """Families in order of first appearance (rows of one may be scattered).

    `keys` (from family_keys) saves recomputing them; `only`, a set of keys,
    builds just those families.
    """
    table = sheet.table
    keys = family_keys(sheet) if keys is None else keys
    if only is not None:
        keep = keys.isin(only)
        table, keys = table[keep], keys[keep]

    names = list(table.columns)
    rows = zip(*(table[name].tolist() for name in names), strict=True)
    is_workflow = sheet.kind is SheetKind.WORKFLOW
    families: dict[str, Family] = {}
    for line, key, values in zip(table.index, keys.tolist(), rows, strict=True):
        if key is None:
            continue
        cells = dict(zip(names, values, strict=True))
        flag = bool(cells.get(col.ANALYSIS_WORKFLOW)) if is_workflow else None
        role = role_of(cells.get(col.RELATION, ""), flag)
        family = families.get(key)
        if family is None:
            family = families[key] = Family(_family_id(sheet, key, cells))
        family.members.append(Member(int(line), role, cells))
    return list(families.values())


def family_keys(sheet: Sheet):
    """The grouping key of each row, a Series by file line (None: no case)."""
    import pandas as pd

    table = sheet.table
    if sheet.kind is SheetKind.BATCH_UPLOAD:
        ids = column_or_blank(table, col.FAMILY_ID)
        return ids.where(ids.ne(""), None)

    # A group's key is its Analysis Group; a singleton without one is keyed
    # by its line, behind a NUL no typed group name starts with.
    groups = column_or_blank(table, col.ANALYSIS_GROUP)
    keys = groups.to_numpy(dtype=object, copy=True)
    alone = (
        groups.eq("") & column_or_blank(table, col.ANALYSIS_WORKFLOW).ne("")
    ).to_numpy()
    keys[alone] = [f"{LINE_KEY}{line}" for line in table.index[alone]]
    keys[groups.eq("").to_numpy() & ~alone] = None
    return pd.Series(keys, index=table.index, dtype=object)


def family_names(sheet: Sheet, keys, lines) -> dict:
    """The Family Id that names the case of each of `lines` (None: no case)."""
    firsts = keys.dropna().drop_duplicates()
    first_line = dict(zip(firsts.tolist(), firsts.index.tolist(), strict=True))
    names = {}
    for line in lines:
        key = keys.get(line)
        if key is None:
            names[line] = None
            continue
        cells = sheet.table.loc[first_line[key]].to_dict()
        names[line] = _family_id(sheet, key, cells)
    return names


def _family_id(sheet: Sheet, key: str, cells: dict) -> str:
    if sheet.kind is SheetKind.BATCH_UPLOAD:
        return key
    if cells.get(col.FAMILY_ID):
        return cells[col.FAMILY_ID]
    if not key.startswith(LINE_KEY):
        return key  # the Analysis Group
    return cells.get(col.BIOSAMPLE_NAME) or key.removeprefix(LINE_KEY)


def column_or_blank(table, name):
    """A column of the table, or blanks where the sheet has no such column."""
    import pandas as pd

    if name in table.columns:
        return table[name]
    return pd.Series("", index=table.index, dtype=object)


# ------------------------------------------------------------------ rules


def check_pedigrees(
    sheet: Sheet, options: PedigreeOptions | None = None, keys=None, screen=True
):
    """Every pedigree rule of spec/sheets.md §1, as findings.

    A vectorised screen finds the families that could break a rule; only
    those are built and checked rule by rule, so a clean 33,000-family sheet
    costs a few table operations.
    """
    from batchcase.pedigree_screen import suspicious_keys

    options = options or PedigreeOptions()
    keys = family_keys(sheet) if keys is None else keys
    findings: list[Finding] = _rows_without_family(sheet, keys)
    suspects = suspicious_keys(sheet, keys, options) if screen else None
    families = group_families(sheet, options, keys, only=suspects)
    has_sex = col.SEX in sheet.table.columns

    for family in families:
        findings += check_family(family, sheet.kind, options, has_sex)
    findings += _check_family_ids(sheet, families)
    findings += _many_cases(keys)
    return findings


def check_family(family: Family, kind, options, has_sex: bool) -> list[Finding]:
    """The rules one family must satisfy on its own."""
    if kind is SheetKind.WORKFLOW:
        findings = _check_workflow(family, options)
    else:
        findings = _check_relations(family)
    findings += _check_parents(family, has_sex)
    findings += _check_biosamples(family)
    findings += _check_case_fields(family)
    findings += _check_proband_fields(family)
    findings += _check_sample_types(family)
    return findings


def _many_cases(keys) -> list[Finding]:
    count = keys.nunique()
    if count <= MAX_WEB_CASES:
        return []
    return [
        warning(
            "many-cases",
            f"{count} cases in one sheet; Emedgene's web upload takes at most "
            f"{MAX_WEB_CASES} (batchcase has no limit, so this is only a note if "
            "you also upload it on the web page)",
        )
    ]


def _check_proband_fields(family: Family):
    """The proband row carries the Case Type and has files or a Sample Type."""
    proband = family.proband
    if proband is None:
        return []
    findings = []
    where = dict(line=proband.line, family=family.family_id)
    if col.CASE_TYPE in proband.cells and not proband.get(col.CASE_TYPE):
        findings.append(
            error(
                "case-type-missing",
                "the proband row has no Case Type; set Exome, Whole Genome, Custom "
                "Panel or Array",
                column=col.CASE_TYPE,
                **where,
            )
        )
    if not proband.get(col.FILES_NAMES) and not proband.get(col.SAMPLE_TYPE):
        findings.append(
            error(
                "proband-files",
                "the proband has neither Files Names nor a Sample Type; list its "
                "files, or set Sample Type (FASTQ or VCF) for a case that waits for "
                "data",
                column=col.FILES_NAMES,
                **where,
            )
        )
    return findings


def _check_sample_types(family: Family):
    """All members of one case resolve to the same sample type."""
    from batchcase.schemas import files_kind

    kinds = {}
    for member in family.members:
        kind = (
            files_kind(member.get(col.FILES_NAMES))
            or member.get(col.SAMPLE_TYPE).lower()
        )
        if kind in ("fastq", "vcf"):
            kinds.setdefault(kind, member)
    if len(kinds) < 2:
        return []
    fastq, vcf = kinds["fastq"], kinds["vcf"]
    later = max(fastq, vcf, key=lambda m: m.line)
    return [
        error(
            "sample-type-mixed",
            f"one case mixes FASTQ (line {fastq.line}) and VCF (line {vcf.line}) "
            "members; Emedgene needs one sample type per case",
            line=later.line,
            column=col.FILES_NAMES,
            value=later.get(col.FILES_NAMES),
            family=family.family_id,
        )
    ]


def _rows_without_family(sheet: Sheet, keys):
    findings = []
    for line in keys.index[keys.isna()]:
        if sheet.kind is SheetKind.BATCH_UPLOAD:
            message = "Family Id is empty; give every row the Family Id of its case"
            column = col.FAMILY_ID
        else:
            message = (
                "this row has neither an Analysis Group nor an Analysis Workflow, "
                "so it belongs to no case; give it the Analysis Group of its family"
            )
            column = col.ANALYSIS_GROUP
        findings.append(error("no-family", message, line=int(line), column=column))
    return findings


def _check_workflow(family: Family, options: PedigreeOptions):
    """One workflow per group, on the proband row, whose size fits the group."""
    named = [m for m in family.members if m.get(col.ANALYSIS_WORKFLOW)]
    fid = family.family_id
    if not named:
        return [
            error(
                "workflow-missing",
                f"Analysis Group {fid!r} has no row with an Analysis Workflow; set "
                f"{_workflow_hint(options, len(family.members))} on the proband row",
                line=family.members[0].line,
                column=col.ANALYSIS_WORKFLOW,
                family=fid,
            )
        ]

    findings = [
        error(
            "workflow-twice",
            f"Analysis Group {fid!r} names a workflow on more than one row; keep it "
            f"only on the proband row (line {named[0].line})",
            line=m.line,
            column=col.ANALYSIS_WORKFLOW,
            value=m.get(col.ANALYSIS_WORKFLOW),
            family=fid,
        )
        for m in named[1:]
    ]
    proband = named[0]
    findings += _check_workflow_value(family, proband, options)
    findings += _check_relatives(family)
    if col.RELATION in proband.cells and proband.get(col.RELATION) not in ("", PROBAND):
        findings.append(
            error(
                "proband-relation",
                f"this row names the workflow, so it is the proband, but its Relation "
                f"is {proband.get(col.RELATION)!r}; set Relation to 'proband' or move "
                "the workflow to the proband's row",
                line=proband.line,
                column=col.RELATION,
                value=proband.get(col.RELATION),
                family=fid,
            )
        )
    return findings


def _workflow_hint(options: PedigreeOptions, size: int) -> str:
    """The workflow to name for a group of `size` rows, if that size is allowed."""
    if size in options.sizes:
        return repr(f"{options.workflow_name}_{size}")
    sizes = ", ".join(f"_{n}" for n in options.sizes)
    return f"'{options.workflow_name}_<size>' (sizes {sizes}; this group has {size})"


def _check_workflow_value(family, proband, options):
    value = proband.get(col.ANALYSIS_WORKFLOW)
    size = len(family.members)
    expected = f"{options.workflow_name}_{size}"
    match = re.fullmatch(re.escape(options.workflow_name) + r"_(\d+)", value)
    base = dict(
        line=proband.line,
        column=col.ANALYSIS_WORKFLOW,
        value=value,
        family=family.family_id,
    )
    if match is None:
        return [
            error(
                "workflow-name",
                f"{value!r} is not a workflow of this Connect app; expected "
                f"'{options.workflow_name}_<size>', here {expected!r}",
                **base,
            )
        ]

    declared = int(match.group(1))
    allowed = ", ".join(f"_{n}" for n in options.sizes)
    if declared not in options.sizes:
        return [
            error(
                "workflow-size",
                f"{value!r} asks for a pedigree of {declared}; the allowed sizes are "
                f"{allowed} (change the workflow, or pass --sizes)",
                **base,
            )
        ]
    if declared != size:
        kind = SIZE_NAMES.get(declared, f"{declared}-member")
        if size in options.sizes:
            fix = f"use {expected!r} or fix the group"
        elif size < declared:
            fix = f"add the missing member(s) to the group ({declared} rows)"
        else:
            fix = "remove the extra row(s) or move them to their own group"
        return [
            error(
                "workflow-size",
                f"{value!r} is a {kind} workflow but Analysis Group "
                f"{family.family_id!r} has {size} row(s) (lines "
                f"{_lines(family)}); {fix}",
                **base,
            )
        ]
    if declared == 3:
        return _check_trio(family, proband)
    return []


def _check_trio(family, proband):
    roles = Counter(m.role for m in family.members if m is not proband)
    if roles == Counter({MOTHER: 1, FATHER: 1}):
        return []
    found = ", ".join(sorted(r or "blank" for r in roles.elements()))
    return [
        error(
            "trio-members",
            f"a trio is the proband, a mother and a father, but the other rows of "
            f"{family.family_id!r} are: {found}; fix their Relation",
            line=proband.line,
            column=col.RELATION,
            family=family.family_id,
        )
    ]


def _check_relatives(family):
    """In a workflow sheet each non-proband row needs a valid Relation."""
    findings = []
    for member in family.members:
        if member.role == "":
            said = member.get(col.RELATION)
            findings.append(
                error(
                    "relation-missing",
                    f"this row's Relation is {said!r} but it has no Analysis "
                    "Workflow; set mother, father or sibling (only the row with "
                    "the Analysis Workflow is the proband)",
                    line=member.line,
                    column=col.RELATION,
                    family=family.family_id,
                )
            )
    return findings


def _check_relations(family: Family):
    """A Batch Upload family: exactly one proband."""
    probands = family.with_role(PROBAND)
    if len(probands) == 1:
        return []
    if not probands:
        return [
            error(
                "proband-missing",
                f"family {family.family_id!r} has no proband; set Relation 'proband' "
                "(or leave it blank) on the proband's row",
                line=family.members[0].line,
                column=col.RELATION,
                family=family.family_id,
            )
        ]
    return [
        error(
            "proband-twice",
            f"family {family.family_id!r} has {len(probands)} probands (lines "
            f"{', '.join(str(m.line) for m in probands)}); a blank Relation means "
            "proband, so set the relatives' Relation",
            line=m.line,
            column=col.RELATION,
            value=m.get(col.RELATION),
            family=family.family_id,
        )
        for m in probands[1:]
    ]


def _check_parents(family: Family, has_sex: bool):
    findings = []
    sex_column = col.SEX if has_sex else col.GENDER
    for role, wrong in ((MOTHER, "Male"), (FATHER, "Female")):
        members = family.with_role(role)
        for extra in members[1:]:
            findings.append(
                error(
                    f"{role}-twice",
                    f"family {family.family_id!r} has more than one {role} (first on "
                    f"line {members[0].line}); a case has at most one {role}",
                    line=extra.line,
                    column=col.RELATION,
                    value=extra.get(col.RELATION),
                    family=family.family_id,
                )
            )
        for member in members:
            findings += _parent_sex(family, member, role, wrong, has_sex, sex_column)
    return findings


def _parent_sex(family, member, role, wrong, has_sex, sex_column):
    sex = sex_of(member.cells, has_sex)
    value = member.get(sex_column)
    where = dict(line=member.line, column=sex_column, value=value)
    if sex == wrong:
        right = "F" if role == MOTHER else "M"
        return [
            error(
                "parent-sex",
                f"the {role} is recorded as {wrong.lower()} ({value!r}); "
                f"set {sex_column} to {right!r} or fix the Relation",
                family=family.family_id,
                **where,
            )
        ]
    if sex == "Unknown":
        return [
            warning(
                "parent-sex-unknown",
                f"the {role}'s sex is unknown; set {sex_column} so Emedgene can use "
                "the inheritance model",
                family=family.family_id,
                **where,
            )
        ]
    return []


def _check_biosamples(family: Family):
    seen: dict[str, Member] = {}
    findings = []
    for member in family.members:
        name = member.biosample.casefold()
        if not name:
            continue
        if name in seen:
            first = seen[name]
            findings.append(
                error(
                    "biosample-two-roles",
                    f"BioSample {member.biosample!r} is already on line {first.line}; "
                    "one biosample cannot fill two roles in a pedigree",
                    line=member.line,
                    column=col.BIOSAMPLE_NAME,
                    value=member.biosample,
                    family=family.family_id,
                )
            )
        else:
            seen[name] = member
    return findings


def _check_case_fields(family: Family):
    """Case-level fields come from the proband; a relative that differs is warned."""
    proband = family.proband
    if proband is None:
        return []
    findings = []
    for member in family.members:
        if member is proband:
            continue
        for name in col.CASE_LEVEL_FIELDS:
            value = member.get(name)
            if value and value != proband.get(name):
                findings.append(
                    warning(
                        "case-field-differs",
                        f"{name} is a case field taken from the proband row (line "
                        f"{proband.line}: {proband.get(name)!r}); this row's value "
                        "is ignored, so clear it or copy the proband's",
                        line=member.line,
                        column=name,
                        value=value,
                        family=family.family_id,
                    )
                )
    return findings


def _check_family_ids(sheet: Sheet, families):
    """One Family Id per group; no name on two cases, whatever its letter case.

    The record, the results and the case files are keyed by that name, so
    two cases named alike would overwrite each other's.
    """
    findings = []
    if sheet.kind is SheetKind.WORKFLOW and col.FAMILY_ID in sheet.table:
        for family in families:
            findings += _split_family_id(family)

    column = col.FAMILY_ID if col.FAMILY_ID in sheet.table else col.ANALYSIS_GROUP
    owner: dict[str, Family] = {}
    for family in families:
        first = owner.setdefault(family.family_id.casefold(), family)
        if first is not family:
            findings.append(
                error(
                    "family-id-shared",
                    f"{family.family_id!r} also names the case on line "
                    f"{first.members[0].line} ({first.family_id!r}; letter case "
                    "is ignored); give each case its own Family Id",
                    line=family.members[0].line,
                    column=column,
                    value=family.family_id,
                    family=family.family_id,
                )
            )
    return findings


def _split_family_id(family: Family):
    """Rows of one Analysis Group that disagree on the Family Id."""
    first = family.members[0]
    return [
        error(
            "family-id-differs",
            "rows of one Analysis Group must share one Family Id; "
            f"line {first.line} has {first.get(col.FAMILY_ID)!r}",
            line=member.line,
            column=col.FAMILY_ID,
            value=member.get(col.FAMILY_ID),
            family=family.family_id,
        )
        for member in family.members[1:]
        if member.get(col.FAMILY_ID) != first.get(col.FAMILY_ID)
    ]


def _lines(family: Family) -> str:
    return ", ".join(str(line) for line in family.lines)
