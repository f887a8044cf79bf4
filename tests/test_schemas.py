"""Row rules: each bad cell is one finding with its line, column and rule."""

import pytest
from conftest import WORKFLOW_HEADER, trio_rows, workflow_row

from batchcase.validation import validate_sheet

BATCH_HEADER = (
    "Family Id,Case Type,Files Names,Sample Type,BioSample Name,Visualization Files,"
    "Storage Provider Id,Default Project,Execute Now,Relation,Sex,Phenotypes,"
    "Phenotypes Id,Date Of Birth,Boost Genes,Gene List Id,Kit Id,Label Id,"
    "Clinical Notes,Due Date,Opt In"
)
GOOD = {
    "Family Id": "F1",
    "Case Type": "Exome",
    "Files Names": "/r/S1_R1.fastq.gz;/r/S1_R2.fastq.gz",
    "Sample Type": "",
    "BioSample Name": "S1",
    "Visualization Files": "",
    "Storage Provider Id": "101",
    "Default Project": "",
    "Execute Now": "",
    "Relation": "proband",
    "Sex": "F",
    "Phenotypes": "",
    "Phenotypes Id": "HP:0001250",
    "Date Of Birth": "",
    "Boost Genes": "",
    "Gene List Id": "",
    "Kit Id": "",
    "Label Id": "",
    "Clinical Notes": "",
    "Due Date": "",
    "Opt In": "",
}


def batch_row(**changes):
    cells = dict(GOOD, **{k.replace("_", " "): v for k, v in changes.items()})
    return ",".join(f'"{v}"' if "," in v else v for v in cells.values())


def findings(path):
    return [(f.rule, f.line, f.column) for f in validate_sheet(path).findings]


def test_a_good_batch_upload_row_has_no_findings(write_sheet):
    path = write_sheet([batch_row()], header=BATCH_HEADER, preamble="[Data]\n")
    assert findings(path) == []


@pytest.mark.parametrize(
    "column, value, rule",
    [
        ("Relation", "Proband", "relation"),
        ("Sex", "X", "sex"),
        ("Phenotypes Id", "0001250;HP:0001263", "hpo-id"),
        ("Phenotypes Id", "HP:123", "hpo-id"),
        ("Storage Provider Id", "abc", "digits"),
        ("Execute Now", "maybe", "boolean"),
        ("Boost Genes", "yes", "boolean"),
        ("Opt In", "no", "boolean"),
        ("Gene List Id", "GL-1", "digits"),
        ("Kit Id", "8.5", "digits"),
        ("Label Id", "3;abc", "digits"),
        ("Date Of Birth", "2015-02-30", "date"),
        ("Date Of Birth", "2015-13-01", "date"),
        ("Due Date", "3/4/2025", "excel-date"),
        ("BioSample Name", "S 1", "biosample-whitespace"),
        ("BioSample Name", "2.05E+11", "excel-scientific"),
        ("Family Id", "1.2E+05", "excel-scientific"),
        ("Sample Type", "BAM", "sample-type"),
        ("Files Names", "/r/S1.txt", "files-kind"),
        ("Files Names", "/r/S1.fastq.gz;/r/S1.vcf.gz", "files-kind"),
        ("Visualization Files", "/r/S1.png", "visualization-kind"),
        ("Clinical Notes", "x" * 4001, "notes-too-long"),
        (
            "Phenotypes Id",
            ";".join(f"HP:{n:07d}" for n in range(101)),
            "phenotypes-too-many",
        ),
    ],
    ids=lambda v: v if len(str(v)) < 30 else "long",
)
def test_bad_cell_is_one_error_on_its_line_and_column(write_sheet, column, value, rule):
    second = {"BioSample Name": "S2", "Relation": "sibling", column: value}
    path = write_sheet(
        [batch_row(), batch_row(**second)], header=BATCH_HEADER, preamble="[Data]\n"
    )

    # A changed Family Id also leaves its row a family without a proband.
    errors = [
        f
        for f in validate_sheet(path).findings
        if f.is_error and f.rule != "proband-missing"
    ]

    assert [(f.rule, f.line, f.column) for f in errors] == [(rule, 4, column)]
    assert errors[0].value == value


@pytest.mark.parametrize(
    "changes, rule, column",
    [
        ({"Storage Provider Id": ""}, "storage-required", "Storage Provider Id"),
        ({"BioSample Name": ""}, "biosample-required", "BioSample Name"),
        (
            {"Files Names": "auto", "Default Project": ""},
            "project-required",
            "Default Project",
        ),
        ({"Phenotypes Id": ""}, "phenotypes-missing", "Phenotypes"),
        ({"Files Names": "", "Sample Type": ""}, "proband-files", "Files Names"),
        ({"Case Type": ""}, "case-type-missing", "Case Type"),
    ],
    ids=[
        "storage",
        "biosample",
        "project-for-auto",
        "phenotypes",
        "files-or-type",
        "case-type",
    ],
)
def test_conditionally_required_fields(write_sheet, changes, rule, column):
    path = write_sheet([batch_row(**changes)], header=BATCH_HEADER, preamble="[Data]\n")
    assert findings(path) == [(rule, 3, column)]


def test_existing_files_need_no_storage_provider(write_sheet):
    row = batch_row(Files_Names="existing", Storage_Provider_Id="")
    path = write_sheet([row], header=BATCH_HEADER, preamble="[Data]\n")
    assert findings(path) == []


def test_visualization_takes_one_bam_or_cram(write_sheet):
    row = batch_row(
        Files_Names="/r/S1.vcf.gz", Visualization_Files="/r/a.bam;/r/a.cram"
    )
    path = write_sheet([row], header=BATCH_HEADER, preamble="[Data]\n")
    assert findings(path) == [("visualization-bam-twice", 3, "Visualization Files")]


def test_unknown_case_type_is_only_a_warning(write_sheet):
    path = write_sheet(
        [batch_row(Case_Type="Panel-X")], header=BATCH_HEADER, preamble="[Data]\n"
    )
    validation = validate_sheet(path)
    assert validation.valid
    assert findings(path) == [("case-type-unknown", 3, "Case Type")]


def test_all_problems_of_a_row_are_reported_at_once(write_sheet):
    row = batch_row(Sex="X", Relation="Proband", Kit_Id="kit7", Opt_In="no")
    path = write_sheet([row], header=BATCH_HEADER, preamble="[Data]\n")
    rules = {rule for rule, _, _ in findings(path)}
    assert {"sex", "relation", "digits", "boolean", "proband-missing"} <= rules


# ------------------------------------------------------------ columns A-J


@pytest.mark.parametrize(
    "changes, rule, column",
    [
        ({"project": ""}, "project-required", "Default Project"),
        ({"position": "Z99"}, "container-position", "Container Position"),
    ],
    ids=["no-project", "bad-well"],
)
def test_workflow_columns(write_sheet, changes, rule, column):
    rows = [workflow_row("S1", "emedgene-create-case_1", **changes)]
    assert findings(write_sheet(rows)) == [(rule, 5, column)]


def test_biosample_name_characters(write_sheet):
    rows = [workflow_row("S.1", "emedgene-create-case_1")]
    assert findings(write_sheet(rows)) == [("biosample-name", 5, "BioSample Name")]


def test_required_columns_missing(write_sheet):
    header = WORKFLOW_HEADER.replace(",Case Type", "").replace(",Sex", "")
    cells = workflow_row("S1", "emedgene-create-case_1").split(",")
    del cells[14], cells[10]  # the Sex and Case Type cells

    got = findings(write_sheet([",".join(cells)], header=header))

    assert ("column-missing", 4, "Case Type") in got
    assert ("column-missing", 4, "Sex (or Gender)") in got


def test_near_miss_header_says_did_you_mean_and_is_read_as_meant(write_sheet):
    header = WORKFLOW_HEADER.replace("Analysis Group", "Analysis\u00a0group")
    validation = validate_sheet(write_sheet(trio_rows(), header=header))

    assert [(f.rule, f.line) for f in validation.findings] == [("header-near-miss", 4)]
    assert "did you mean 'Analysis Group'" in validation.findings[0].message
    assert len(validation.families) == 1


@pytest.mark.parametrize(
    "written, meant",
    [("Files Name", "Files Names"), ("Phenotype Id", "Phenotypes Id")],
)
def test_a_header_a_letter_off_says_did_you_mean(write_sheet, written, meant):
    header = WORKFLOW_HEADER.replace(meant, written)
    validation = validate_sheet(write_sheet(trio_rows(), header=header))

    assert [(f.rule, f.line) for f in validation.findings] == [("header-near-miss", 4)]
    assert f"did you mean {meant!r}" in validation.findings[0].message
