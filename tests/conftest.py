"""Shared fixtures: sheets written to tmp_path, the example and oracle folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SHEETS = ROOT / "sample_sheets"
SHARED = ROOT.parent / "shared"
ORACLE = SHARED / "oracle"

WORKFLOW_HEADER = (
    "BioSample Name,Default Project,Container Name,Container Position,Prep Request,"
    "Required Yield Gbp,Analysis Workflow,Analysis Group,Sample Label,Delivery Mode,"
    "Case Type,Files Names,Storage Provider Id,Relation,Sex,Phenotypes,Phenotypes Id"
)


def fastq(name: str) -> str:
    return f"/runs/r1/{name}_R1_001.fastq.gz;/runs/r1/{name}_R2_001.fastq.gz"


def workflow_row(name, workflow="", group="", relation="proband", sex="F", **extra):
    """One workflow-sheet row in WORKFLOW_HEADER order."""
    cells = [
        name,
        extra.get("project", "Proj-1"),
        "PLATE-1",
        extra.get("position", "A01"),
        "Unknown",
        "100",
        workflow,
        group,
        "",
        "",
        extra.get("case_type", "Exome" if workflow else ""),
        extra.get("files", fastq(name)),
        extra.get("storage", "101"),
        relation,
        sex,
        extra.get("phenotypes", ""),
        extra.get("hpo", "HP:0001250"),
    ]
    return ",".join(cells)


def trio_rows(group="FAM-1", prefix="S", **proband):
    return [
        workflow_row(f"{prefix}-P", "emedgene-create-case_3", group, **proband),
        workflow_row(
            f"{prefix}-M", "", group, "mother", "F", hpo="", phenotypes="unaffected"
        ),
        workflow_row(
            f"{prefix}-F", "", group, "father", "M", hpo="", phenotypes="unaffected"
        ),
    ]


@pytest.fixture
def write_sheet(tmp_path):
    """Write a workflow sheet (preamble, header, rows) and return its path."""

    def write(
        rows,
        header=WORKFLOW_HEADER,
        preamble="[Header]\nFileVersion,1\n[Data]\n",
        name="sheet.csv",
        raw=None,
        encoding="utf-8",
    ):
        path = tmp_path / name
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode(encoding)
        else:
            data = (preamble + header + "\n" + "\n".join(rows) + "\n").encode(encoding)
        path.write_bytes(data)
        return path

    return write


def oracle_inputs(prefix: str) -> list[Path]:
    return sorted((ORACLE / "inputs").glob(f"{prefix}*.csv"))


needs_oracle = pytest.mark.skipif(
    not ORACLE.is_dir(), reason="../shared/oracle is not beside the repository"
)
