"""A family → the v2 case JSON Emedgene's batch tool would post for it.

The body follows the requests recorded from Emedgene's own batch tool
(shared/oracle): same keys, same values, and the same key order, so a planned
body diffs cleanly against a recorded one. Case fields come from the proband
row; custom columns of the proband row become `extra_data`.

Three kinds of Files Names need the server: `auto` (files found in BaseSpace
from BioSample Name and Default Project), `existing` (a sample already in
Emedgene) and BaseSpace file ids (a path without an extension). A
`FileResolver` answers those; without one the body keeps a visible
placeholder and the planned case says `needs_lookup`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from batchcase import columns as col
from batchcase.pedigree import FATHER, MOTHER, PROBAND, SIBLING, Family, Member, sex_of

FASTQ, VCF = "fastq", "vcf"
AUTO, EXISTING = "auto", "existing"

AUTO_PLACEHOLDER = "<auto: resolved at submit>"
FILE_ID_PLACEHOLDER = "<file id: resolved at submit>"
EXISTING_PLACEHOLDER = "<existing: resolved at submit>"

VCF_SUFFIXES = (".vcf", ".vcf.gz", ".gvcf", ".gvcf.gz")
ALIGNMENT_SUFFIXES = (".bam", ".cram")
# Visualization files appended to sampleFiles. The recorded tool showed the
# first four; `.metrics.tar.gz` is a documented kind it was never given, and
# is sent the same way so it reaches Emedgene (the server's dry run would
# refuse it before anything is created if Emedgene did not want it).
TRACK_SUFFIXES = (
    ".tn.bw",
    ".roh.bed",
    ".baf.bw",
    ".target.counts.bw",
    ".metrics.tar.gz",
)

RELATIONSHIPS = {
    PROBAND: "Test Subject",
    MOTHER: "Mother",
    FATHER: "Father",
    SIBLING: "Sibling",
}

_DIGITS = re.compile(r"[0-9]+")


class FileResolver(Protocol):
    """The server lookups some Files Names need; errors raised pass through."""

    def auto_files(
        self, storage_id: int, project: str, biosample: str
    ) -> list[tuple[str, str]]:
        """(path, filename) of each file of a biosample in a BaseSpace project."""

    def file_name(self, storage_id: int, path: str) -> str:
        """The file name (BaseSpace alias) of a file given by its id path."""

    def existing_sample(self, biosample: str) -> str:
        """The id of the Emedgene sample whose name is `biosample`."""


@dataclass
class PlannedCase:
    """One case to create: its family, the exact body to post, where it came from.

    `proband` is the proband's BioSample Name (what a lookup on the server
    finds the case by); `lines` are the file lines of its members.
    `existing_case_id` is set when the sheet already records a case id for
    the family (a `Case Id` column written by an earlier run): nothing is
    posted for it. `needs_lookup` means the body still holds placeholders
    that are resolved on the server at submit.
    """

    family_id: str
    body: dict
    proband: str
    lines: list[int] = field(default_factory=list)
    existing_case_id: str | None = None
    needs_lookup: bool = False


# ------------------------------------------------------------------ cases


def build_cases(sheet, families, resolver: FileResolver | None = None):
    """One planned case per family that has a proband, in order of appearance.

    A family without a proband is skipped: validation reports it, and no
    case can be built around it.
    """
    return [
        plan_case(family, sheet.columns, resolver)
        for family in families
        if family.proband is not None
    ]


def plan_case(family: Family, sheet_columns, resolver=None) -> PlannedCase:
    """The planned case of one family.

    A family with a Case Id on any of its rows is already a case: submit
    skips it, so nothing is looked up for it and it never says `needs_lookup`.
    """
    proband = family.proband
    given = [m.get(col.CASE_ID) for m in family.members if m.get(col.CASE_ID)]
    case_id = proband.get(col.CASE_ID) or (given[0] if given else None)
    if case_id:
        resolver = None

    return PlannedCase(
        family_id=family.family_id,
        body=case_body(family, sheet_columns, resolver),
        proband=proband.biosample,
        lines=family.lines,
        existing_case_id=case_id,
        needs_lookup=not case_id and resolver is None and needs_lookup(family),
    )


def needs_lookup(family: Family) -> bool:
    """Whether any member's files can only be found on the server."""
    for member in family.members:
        files = member.get(col.FILES_NAMES).strip()
        if files.casefold() in (AUTO, EXISTING):
            return True
        if any(_is_file_id(path) for path in _split(files)):
            return True
    return False


def case_body(family: Family, sheet_columns, resolver=None) -> dict:
    """The v2 case body of a family, keys in the order Emedgene's tool sends.

    Raises ValueError for a family without a proband (build_cases skips those).
    """
    proband = family.proband
    if proband is None:
        raise ValueError(f"family {family.family_id!r} has no proband")

    execute_now = proband.get(col.EXECUTE_NOW) or proband.get(col.EXECUTE_NOW_WEB)
    return {
        "should_upload": execute_now.casefold() == "false",
        "test_data": _test_data(family, list(sheet_columns), resolver),
        "sharing_level": 0 if proband.get(col.OPT_IN).casefold() == "false" else 1,
    }


def _test_data(family: Family, sheet_columns, resolver=None) -> dict:
    """The `test_data` object: case fields, patients, samples, extra data."""
    proband = family.proband
    sample_type = sample_type_of(proband)

    data = {
        "boostGenes": proband.get(col.BOOST_GENES).casefold() == "true",
        "labels": [_number(label) for label in _split(proband.get(col.LABEL_ID))],
        "sample_type": sample_type,
        "selected_preset_set": proband.get(col.SELECTED_PRESET),
        "type": proband.get(col.CASE_TYPE),
    }
    if proband.get(col.DUE_DATE):
        data["due_date"] = proband.get(col.DUE_DATE)

    data["sequence_info"] = sequence_info(proband)
    data["gene_list"] = gene_list(proband.get(col.GENE_LIST_ID))
    data["patients"] = patients(family, col.SEX in sheet_columns)
    data["samples"] = samples(family, sample_type, resolver)
    data["notes"] = proband.get(col.CLINICAL_NOTES)
    data["extra_data"] = extra_data(proband, sheet_columns)
    return data


# ------------------------------------------------------------ case fields


def sample_type_of(proband: Member) -> str:
    """vcf or fastq from the proband's files; Sample Type for a pending proband.

    Only the sheet is read: auto, existing and BaseSpace file ids count as
    fastq, as in Emedgene's tool.
    """
    files = _split(proband.get(col.FILES_NAMES))
    if not files:
        return proband.get(col.SAMPLE_TYPE).lower()
    if any(path.casefold().endswith(VCF_SUFFIXES) for path in files):
        return VCF
    return FASTQ


def sequence_info(proband: Member) -> dict:
    """Kit and intersect BED ids; blank ones are left out."""
    info = {}
    for key, name in (
        ("kit_id", col.KIT_ID),
        ("intersect_bed_id", col.INTERSECT_BED_ID),
    ):
        if proband.get(name):
            info[key] = _number(proband.get(name))
    return info


def gene_list(value: str) -> dict:
    """Blank or 1 means all genes; another id names an existing gene list."""
    number = _number(value)
    if not value or number == 1:
        return {"id": 1, "type": "all"}
    return {"id": number, "type": "existing"}


def extra_data(proband: Member, sheet_columns) -> dict:
    """Custom (non-template) columns of the proband row that have a value."""
    return {
        name: proband.get(name)
        for name in sheet_columns
        if name not in col.KNOWN_COLUMNS and proband.get(name)
    }


# --------------------------------------------------------------- patients


def pedigree_order(family: Family) -> list[Member]:
    """Proband, mother, father, then siblings in sheet order (first of each)."""
    ordered = [family.proband]
    for role in (MOTHER, FATHER):
        ordered += family.with_role(role)[:1]
    return ordered + family.with_role(SIBLING)


def patients(family: Family, has_sex_column: bool) -> dict:
    """The `patients` object: proband, mother, father and `other` (siblings)."""
    parents = [role for role in (MOTHER, FATHER) if family.with_role(role)]
    proband = family.proband
    shared = phenotypes(proband)

    result = {PROBAND: patient(proband, PROBAND, shared, has_sex_column, parents)}
    for role in parents:
        relative = family.with_role(role)[0]
        entries = relative_phenotypes(relative, shared)
        result[role] = patient(relative, role, entries, has_sex_column)

    others = []
    for n, sibling in enumerate(family.with_role(SIBLING)):
        sibling_id = SIBLING if n == 0 else f"{SIBLING}_{n}"
        entries = relative_phenotypes(sibling, shared)
        others.append(patient(sibling, sibling_id, entries, has_sex_column, parents))
    if others:
        result["other"] = others
    return result


def patient(member, patient_id, entries, has_sex_column, parents=()) -> dict:
    """One patient; `parents` are the parent roles this member points at."""
    has_files = bool(member.get(col.FILES_NAMES))
    if member.role == PROBAND:
        healthy = not entries
    else:
        healthy = not any(entry["related"] for entry in entries)

    result = {
        "id": patient_id,
        "fastq_sample": member.biosample if has_files else "",
        "pending_sample_name": "" if has_files else member.biosample,
        "gender": sex_of(member.cells, has_sex_column) or "Unknown",
        "relationship": RELATIONSHIPS[member.role],
        "healthy": healthy,
        "phenotypes": entries,
    }
    if member.get(col.DATE_OF_BIRTH):
        result["date_of_birth"] = member.get(col.DATE_OF_BIRTH)
    for role in parents:
        result[role] = role
    return result


def phenotypes(member: Member) -> list[dict]:
    """HPO ids when Phenotypes Id is filled, else names; `unaffected` is none."""
    ids = member.get(col.PHENOTYPES_ID)
    if ids:
        values, key = _split(ids), "id"
    else:
        values, key = _split(member.get(col.PHENOTYPES)), "name"

    values = [value for value in values if value.casefold() != "unaffected"]
    if key == "id":
        return [{"id": phenotype_id(value)} for value in values]
    return [{"name": value} for value in values]


def phenotype_id(hpo_id: str) -> str:
    """`HP:0001250` → `phenotypes/EMG_PHENOTYPE_0001250`."""
    return "phenotypes/EMG_PHENOTYPE_" + hpo_id.removeprefix("HP:")


def relative_phenotypes(member: Member, proband_entries) -> list[dict]:
    """A relative's phenotypes, each `related` when the proband has it too."""
    shared = {_phenotype_value(entry) for entry in proband_entries}
    return [
        {**entry, "related": _phenotype_value(entry) in shared}
        for entry in phenotypes(member)
    ]


def _phenotype_value(entry: dict) -> str:
    return entry.get("id") or entry.get("name", "")


# ---------------------------------------------------------------- samples


def samples(family: Family, sample_type: str, resolver=None) -> list[dict]:
    """Proband (even pending), then mother, father, siblings that have files."""
    return [
        sample(member, sample_type, resolver)
        for member in pedigree_order(family)
        if member.role == PROBAND or member.get(col.FILES_NAMES)
    ]


def sample(member: Member, sample_type: str, resolver=None) -> dict:
    """One member's sample: an existing one by id, or its files on a storage."""
    files = member.get(col.FILES_NAMES).strip()
    if files.casefold() == EXISTING:
        sample_id = EXISTING_PLACEHOLDER
        if resolver is not None:
            sample_id = resolver.existing_sample(member.biosample)
        return {"id": sample_id, "fastq": member.biosample}

    storage_id = _number(member.get(col.STORAGE_PROVIDER_ID))
    result = {
        "fastq": member.biosample,
        "status": "uploaded",
        "sampleFiles": sample_files(member, storage_id, sample_type, resolver),
    }
    if sample_type == VCF:
        add_visualization(result, member, storage_id)
    return result


def sample_files(member, storage_id, sample_type, resolver=None) -> list[dict]:
    """The sampleFiles of a member, each with the storage it lives on."""
    entries = [
        {
            "path": path,
            "filename": name,
            "size": 0,
            "status": "uploaded",
            "storage_id": storage_id,
        }
        for path, name in file_pairs(member, storage_id, resolver)
    ]
    if sample_type == VCF:
        for entry in entries:
            entry["vcf_column_name"] = member.biosample
    return entries


def file_pairs(member, storage_id, resolver=None) -> list[tuple[str, str]]:
    """(path, filename) of a member's files: its paths, or BaseSpace's for auto."""
    files = member.get(col.FILES_NAMES).strip()
    if files.casefold() != AUTO:
        return [(path, file_name(path, storage_id, resolver)) for path in _split(files)]

    if resolver is None:
        return [(AUTO_PLACEHOLDER, AUTO_PLACEHOLDER)]
    project = member.get(col.DEFAULT_PROJECT)
    return resolver.auto_files(storage_id, project, member.biosample)


def file_name(path: str, storage_id, resolver=None) -> str:
    """The file name of a path: its last part, or the alias of a file id."""
    if not _is_file_id(path):
        return _basename(path)
    if resolver is None:
        return FILE_ID_PLACEHOLDER
    return resolver.file_name(storage_id, path)


def add_visualization(sample: dict, member: Member, storage_id) -> None:
    """Put a VCF sample's BAM/CRAM in bam_location and append its tracks."""
    for path in _split(member.get(col.VISUALIZATION_FILES)):
        kind = path.casefold()
        if kind.endswith(ALIGNMENT_SUFFIXES) and "bam_location" not in sample:
            sample["bam_location"] = path
            sample["storage_id"] = storage_id
        elif kind.endswith(TRACK_SUFFIXES):
            sample["sampleFiles"].append(
                {
                    "filename": _basename(path),
                    "path": path,
                    "size": 0,
                    "status": "uploaded",
                    "storage_id": storage_id,
                }
            )


# ------------------------------------------------------------------ cells


def _split(cell: str) -> list[str]:
    """The `;`-separated values of a cell, stripped, empty ones dropped."""
    return [value.strip() for value in cell.split(";") if value.strip()]


def _number(text: str):
    """An id cell as an integer; text that is not digits is kept as written."""
    text = text.strip()
    return int(text) if _DIGITS.fullmatch(text) else text


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _is_file_id(path: str) -> bool:
    """A path without an extension names a BaseSpace file by its id (v13)."""
    return "." not in _basename(path)
