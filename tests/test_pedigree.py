"""Pedigree rules: grouping, the proband and its workflow, parents, family ids."""

import pytest
from conftest import WORKFLOW_HEADER, trio_rows, workflow_row

from batchcase.pedigree import PedigreeOptions, group_families
from batchcase.sheet import read_sheet
from batchcase.validation import validate_sheet


def errors(path, options=None):
    validation = validate_sheet(path, options=options)
    return [(f.rule, f.line, f.column) for f in validation.findings if f.is_error]


def test_groups_do_not_depend_on_row_order(write_sheet):
    a, b = trio_rows("FAM-A", "A"), trio_rows("FAM-B", "B")
    rows = [
        b[1],
        a[0],
        b[0],
        a[2],
        workflow_row("C-P", "emedgene-create-case_1"),
        a[1],
        b[2],
    ]
    sheet = read_sheet(write_sheet(rows))

    families = group_families(sheet)

    assert [f.family_id for f in families] == ["FAM-B", "FAM-A", "C-P"]
    assert [(m.line, m.role) for m in families[1].members] == [
        (6, "proband"),
        (8, "father"),
        (10, "mother"),
    ]
    assert errors(write_sheet(rows)) == []


def test_family_id_column_names_the_case(write_sheet):
    header = WORKFLOW_HEADER + ",Family Id"
    rows = [r + ",LAB-FAM-9" for r in trio_rows()]
    families = group_families(read_sheet(write_sheet(rows, header=header)))
    assert [f.family_id for f in families] == ["LAB-FAM-9"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: r[:2], [("workflow-size", 5, "Analysis Workflow")]),
        (
            lambda r: [r[0].replace("case_3", "case_1")] + r[1:],
            [("workflow-size", 5, "Analysis Workflow")],
        ),
        (
            lambda r: [r[0].replace("emedgene-create-case_3", "")] + r[1:],
            [("workflow-missing", 5, "Analysis Workflow")],
        ),
        (
            lambda r: (
                [r[0].replace("emedgene-create-case", "emedgne-create-case")] + r[1:]
            ),
            [("workflow-name", 5, "Analysis Workflow")],
        ),
        (
            lambda r: [r[0], r[1].replace(",F,", ",M,"), r[2]],
            [("parent-sex", 6, "Sex")],
        ),
        (
            lambda r: [r[0], r[1], r[2].replace(",M,", ",F,")],
            [("parent-sex", 7, "Sex")],
        ),
        (
            lambda r: [
                r[0],
                r[1],
                r[2].replace("father", "mother").replace(",M,", ",F,"),
            ],
            [("trio-members", 5, "Relation"), ("mother-twice", 7, "Relation")],
        ),
        (
            lambda r: [r[0], r[1].replace("S-M,", "S-P,"), r[2]],
            [("biosample-two-roles", 6, "BioSample Name")],
        ),
        (
            lambda r: [r[0], r[1], r[2].replace(",FAM-1,", ",,")],
            [
                ("workflow-size", 5, "Analysis Workflow"),
                ("no-family", 7, "Analysis Group"),
            ],
        ),
        (
            lambda r: [r[0].replace(",proband,", ",mother,"), r[1], r[2]],
            [("proband-relation", 5, "Relation")],
        ),
        (
            lambda r: [r[0], r[1].replace(",mother,", ",,"), r[2]],
            [("trio-members", 5, "Relation"), ("relation-missing", 6, "Relation")],
        ),
    ],
    ids=[
        "trio-with-two-rows",
        "singleton-workflow-on-trio",
        "no-workflow",
        "workflow-typo",
        "mother-male",
        "father-female",
        "two-mothers",
        "biosample-twice",
        "row-without-group",
        "proband-called-mother",
        "relative-without-relation",
    ],
)
def test_trio_rules(write_sheet, change, expected):
    assert errors(write_sheet(change(trio_rows()))) == expected


def test_parent_with_unknown_sex_is_a_warning(write_sheet):
    rows = trio_rows()
    rows[2] = rows[2].replace(",M,", ",U,")
    validation = validate_sheet(write_sheet(rows))

    assert validation.valid
    assert [(f.rule, f.line) for f in validation.findings] == [
        ("parent-sex-unknown", 7)
    ]


def test_sizes_and_workflow_name_are_configurable(write_sheet):
    rows = trio_rows() + [workflow_row("S-B", "", "FAM-1", "sibling", "M")]
    rows[0] = rows[0].replace("emedgene-create-case_3", "lab-flow_4")

    assert errors(write_sheet(rows))[0][0] == "workflow-name"
    options = PedigreeOptions("lab-flow", (1, 3, 4))
    assert errors(write_sheet(rows), options) == []


def test_case_field_on_a_relative_that_differs_is_a_warning(write_sheet):
    rows = trio_rows()
    rows[1] = rows[1].replace(",,,,Proj", ",,,,Proj")  # unchanged
    cells = rows[1].split(",")
    cells[10] = "Whole Genome"
    rows[1] = ",".join(cells)
    validation = validate_sheet(write_sheet(rows))

    assert validation.valid
    assert [(f.rule, f.line, f.column) for f in validation.findings] == [
        ("case-field-differs", 6, "Case Type")
    ]


def test_family_id_shared_by_two_groups_is_an_error(write_sheet):
    header = WORKFLOW_HEADER + ",Family Id"
    rows = [r + ",SAME" for r in trio_rows("G1", "A") + trio_rows("G2", "B")]
    assert errors(write_sheet(rows, header=header)) == [
        ("family-id-shared", 8, "Family Id")
    ]


def test_mixed_fastq_and_vcf_in_one_case_is_an_error(write_sheet):
    rows = trio_rows()
    rows[2] = rows[2].replace(
        "/runs/r1/S-F_R1_001.fastq.gz;/runs/r1/S-F_R2_001.fastq.gz", "/runs/S-F.vcf.gz"
    )
    assert errors(write_sheet(rows)) == [("sample-type-mixed", 7, "Files Names")]


def test_biosample_names_are_unique_across_pedigrees_ignoring_case(write_sheet):
    rows = trio_rows("FAM-A", "A") + trio_rows("FAM-B", "B")
    rows[4] = rows[4].replace("B-M,", "a-m,", 1)  # FAM-B's mother, named like A-M

    assert errors(write_sheet(rows)) == [("biosample-duplicate", 9, "BioSample Name")]


def test_a_singleton_named_like_another_group_is_an_error(write_sheet):
    rows = [
        workflow_row("S-1", "emedgene-create-case_1", "S-2"),  # group named S-2
        workflow_row("S-2", "emedgene-create-case_1", ""),  # named by its biosample
    ]
    assert errors(write_sheet(rows)) == [("family-id-shared", 6, "Analysis Group")]


def test_family_ids_differing_only_in_letter_case_are_an_error(write_sheet):
    header = "Family Id,Case Type,Files Names,Storage Provider Id,BioSample Name,"
    header += "Relation,Sex,Phenotypes Id"
    rows = [
        "FAM-1,Exome,/r/a.fastq.gz,101,A,proband,F,HP:0000001",
        "fam-1,Exome,/r/b.fastq.gz,101,B,proband,M,HP:0000001",
    ]
    path = write_sheet(rows, header=header, preamble="[Data]\n")
    assert errors(path) == [("family-id-shared", 4, "Family Id")]


def test_a_trio_with_an_extra_row_is_told_to_remove_it(write_sheet):
    rows = trio_rows() + [workflow_row("S-B", "", "FAM-1", "sibling", "M")]
    validation = validate_sheet(write_sheet(rows))

    message = validation.errors[0].message
    assert "has 4 row(s)" in message
    assert "remove the extra row(s)" in message


def test_a_group_without_workflow_is_never_told_a_size_not_allowed(write_sheet):
    rows = trio_rows()[1:]  # mother and father, no proband row
    message = validate_sheet(write_sheet(rows)).errors[0].message

    assert "emedgene-create-case_2" not in message
    assert "sizes _1, _3; this group has 2" in message
