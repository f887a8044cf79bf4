"""The mapping rules: what a sheet's cells become in the case body."""

import csv
from pathlib import Path

import pytest

from batchcase.errors import SheetError
from batchcase.mapper import (
    AUTO_PLACEHOLDER,
    EXISTING_PLACEHOLDER,
    FILE_ID_PLACEHOLDER,
    build_cases,
)
from batchcase.pedigree import group_families
from batchcase.sheet import read_sheet

ORACLE = Path(__file__).resolve().parents[1].parent / "shared" / "oracle"

BATCH_HEADER = [
    "Family Id",
    "Case Type",
    "Files Names",
    "Sample Type",
    "BioSample Name",
    "Visualization Files",
    "Storage Provider Id",
    "Default Project",
    "Execute Now",
    "Relation",
    "Sex",
    "Phenotypes",
    "Phenotypes Id",
    "Date Of Birth",
    "Boost Genes",
    "Gene List Id",
    "Kit Id",
    "Intersect Bed Id",
    "Selected Preset",
    "Label Id",
    "Clinical Notes",
    "Due Date",
    "Opt In",
]


def fastq(biosample):
    return f"/runs/r1/{biosample}_R1.fastq.gz;/runs/r1/{biosample}_R2.fastq.gz"


PROBAND = {
    "Family Id": "FAM-1",
    "Case Type": "Exome",
    "Files Names": fastq("P1"),
    "BioSample Name": "P1",
    "Storage Provider Id": "101",
    "Relation": "proband",
    "Sex": "F",
    "Phenotypes Id": "HP:0001250",
}


def relative(relation, biosample, **cells):
    """A relative row of FAM-1 with files, unaffected unless told otherwise."""
    return {
        **PROBAND,
        "Files Names": fastq(biosample),
        "BioSample Name": biosample,
        "Relation": relation,
        "Sex": "M" if relation == "father" else "F",
        "Phenotypes Id": "",
        "Phenotypes": "unaffected",
        **cells,
    }


def plan(tmp_path, *rows, header=BATCH_HEADER, resolver=None):
    path = tmp_path / "sheet.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["[Data]"])
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])

    sheet = read_sheet(path)
    return build_cases(sheet, group_families(sheet), resolver)


def body(tmp_path, *rows, **options):
    return plan(tmp_path, *rows, **options)[0].body


def case_data(tmp_path, *rows, **options):
    return body(tmp_path, *rows, **options)["test_data"]


# ------------------------------------------------------------ case fields


@pytest.mark.parametrize(
    "execute_now, should_upload",
    [
        ("", False),
        ("true", False),
        ("TRUE", False),
        ("false", True),
        ("False", True),
    ],
    ids=["blank-runs-now", "true-runs-now", "TRUE-runs-now", "false-waits", "False"],
)
def test_execute_now_false_means_should_upload(tmp_path, execute_now, should_upload):
    row = {**PROBAND, "Execute Now": execute_now}

    assert body(tmp_path, row)["should_upload"] is should_upload


def test_execute_now_web_spelling_is_read_too(tmp_path):
    header = [name.replace("Execute Now", "Execute now") for name in BATCH_HEADER]
    row = {**PROBAND, "Execute now": "false"}

    assert body(tmp_path, row, header=header)["should_upload"] is True


@pytest.mark.parametrize(
    "opt_in, level",
    [("", 1), ("true", 1), ("false", 0), ("FALSE", 0)],
    ids=["blank-shares", "true-shares", "false-keeps-private", "FALSE"],
)
def test_opt_in_sets_sharing_level(tmp_path, opt_in, level):
    assert body(tmp_path, {**PROBAND, "Opt In": opt_in})["sharing_level"] == level


@pytest.mark.parametrize(
    "cells, expected",
    [
        ({}, {"boostGenes": False, "labels": [], "sequence_info": {}}),
        ({"Boost Genes": "True"}, {"boostGenes": True}),
        ({"Label Id": "3;7"}, {"labels": [3, 7]}),
        ({"Label Id": "3; 7"}, {"labels": [3, 7]}),
        ({"Kit Id": "77"}, {"sequence_info": {"kit_id": 77}}),
        (
            {"Kit Id": "77", "Intersect Bed Id": "0088"},
            {"sequence_info": {"kit_id": 77, "intersect_bed_id": 88}},
        ),
        ({"Gene List Id": ""}, {"gene_list": {"id": 1, "type": "all"}}),
        ({"Gene List Id": "1"}, {"gene_list": {"id": 1, "type": "all"}}),
        ({"Gene List Id": "12345"}, {"gene_list": {"id": 12345, "type": "existing"}}),
        ({"Selected Preset": "Default"}, {"selected_preset_set": "Default"}),
        ({"Clinical Notes": "referral, a, b"}, {"notes": "referral, a, b"}),
        ({"Due Date": "2031/12/01"}, {"due_date": "2031/12/01"}),
        ({"Case Type": "Whole Genome"}, {"type": "Whole Genome"}),
    ],
    ids=[
        "defaults",
        "boost-genes",
        "labels-as-numbers",
        "labels-spaces-stripped",
        "kit-only",
        "kit-and-bed-leading-zero",
        "gene-list-blank-all",
        "gene-list-1-all",
        "gene-list-existing",
        "preset",
        "notes-with-commas",
        "due-date-not-reformatted",
        "case-type",
    ],
)
def test_case_fields(tmp_path, cells, expected):
    data = case_data(tmp_path, {**PROBAND, **cells})

    assert {key: data.get(key) for key in expected} == expected


def test_blank_due_date_is_absent_not_null(tmp_path):
    assert "due_date" not in case_data(tmp_path, PROBAND)


def test_case_fields_come_from_the_proband_row(tmp_path):
    mother = relative("mother", "M1", **{"Kit Id": "99", "Opt In": "false"})
    case = body(tmp_path, PROBAND, mother)

    assert case["sharing_level"] == 1
    assert case["test_data"]["sequence_info"] == {}


# ---------------------------------------------------------------- patients


@pytest.mark.parametrize(
    "header_has_sex, sex, gender, expected",
    [
        (True, "m", "", "Male"),
        (True, "FEMALE", "", "Female"),
        (True, "u", "", "Unknown"),
        (True, "", "F", "Unknown"),
        (True, "X", "", "Unknown"),
        (False, "", "female", "Female"),
        (False, "", "", "Unknown"),
    ],
    ids=[
        "m-male",
        "FEMALE-female",
        "u-unknown",
        "blank-sex-wins-over-gender",
        "invalid-sex-unknown-no-crash",
        "gender-when-no-sex-column",
        "blank-gender-unknown",
    ],
)
def test_gender(tmp_path, header_has_sex, sex, gender, expected):
    header = BATCH_HEADER + ["Gender"]
    if not header_has_sex:
        header.remove("Sex")
    row = {**PROBAND, "Sex": sex, "Gender": gender}

    proband = case_data(tmp_path, row, header=header)["patients"]["proband"]
    assert proband["gender"] == expected


@pytest.mark.parametrize(
    "cells, expected",
    [
        (
            {"Phenotypes Id": "HP:0001250;HP:0001263"},
            [
                {"id": "phenotypes/EMG_PHENOTYPE_0001250"},
                {"id": "phenotypes/EMG_PHENOTYPE_0001263"},
            ],
        ),
        (
            {"Phenotypes Id": "HP:0001250; HP:0001263"},
            [
                {"id": "phenotypes/EMG_PHENOTYPE_0001250"},
                {"id": "phenotypes/EMG_PHENOTYPE_0001263"},
            ],
        ),
        (
            {"Phenotypes Id": "HP:0001250", "Phenotypes": "Seizure"},
            [{"id": "phenotypes/EMG_PHENOTYPE_0001250"}],
        ),
        (
            {"Phenotypes Id": "", "Phenotypes": "Seizure;Short stature"},
            [{"name": "Seizure"}, {"name": "Short stature"}],
        ),
        ({"Phenotypes Id": "", "Phenotypes": "no-hpo"}, [{"name": "no-hpo"}]),
        ({"Phenotypes Id": "", "Phenotypes": "UNAFFECTED"}, []),
    ],
    ids=[
        "hpo-ids",
        "hpo-ids-space-after-semicolon",
        "ids-win-over-names",
        "names",
        "free-text-is-a-name",
        "unaffected-any-case-is-none",
    ],
)
def test_proband_phenotypes(tmp_path, cells, expected):
    proband = case_data(tmp_path, {**PROBAND, **cells})["patients"]["proband"]

    assert proband["phenotypes"] == expected
    assert proband["healthy"] is (expected == [])


@pytest.mark.parametrize(
    "phenotypes_id, related, healthy",
    [
        ("HP:0001250", [True], False),
        ("HP:0000365", [False], True),
        ("HP:0000365;HP:0001250", [False, True], False),
    ],
    ids=["shares-proband-phenotype", "only-own-phenotype-healthy", "one-shared"],
)
def test_relative_related_and_healthy(tmp_path, phenotypes_id, related, healthy):
    mother = relative("mother", "M1", **{"Phenotypes Id": phenotypes_id})

    patient = case_data(tmp_path, PROBAND, mother)["patients"]["mother"]
    assert [entry["related"] for entry in patient["phenotypes"]] == related
    assert patient["healthy"] is healthy


def test_relative_shares_a_phenotype_by_name(tmp_path):
    proband = {**PROBAND, "Phenotypes Id": "", "Phenotypes": "Seizure;Ataxia"}
    sibling = relative("sibling", "S1", Phenotypes="Seizure")

    other = case_data(tmp_path, proband, sibling)["patients"]["other"]
    assert other[0]["phenotypes"] == [{"name": "Seizure", "related": True}]


def test_siblings_are_numbered_after_the_first(tmp_path):
    rows = [PROBAND] + [relative("sibling", f"S{n}") for n in range(3)]

    other = case_data(tmp_path, *rows)["patients"]["other"]
    assert [(p["id"], p["fastq_sample"]) for p in other] == [
        ("sibling", "S0"),
        ("sibling_1", "S1"),
        ("sibling_2", "S2"),
    ]


def test_proband_and_siblings_point_at_existing_parents_only(tmp_path):
    rows = [PROBAND, relative("sibling", "S1"), relative("father", "F1")]

    patients = case_data(tmp_path, *rows)["patients"]
    assert list(patients) == ["proband", "father", "other"]
    assert patients["proband"].get("father") == "father"
    assert "mother" not in patients["proband"]
    assert patients["other"][0].get("father") == "father"
    assert "mother" not in patients["father"] and "father" not in patients["father"]


def test_relationships(tmp_path):
    rows = [relative("father", "F1"), PROBAND, relative("mother", "M1")]

    patients = case_data(tmp_path, *rows)["patients"]
    assert {key: p["relationship"] for key, p in patients.items()} == {
        "proband": "Test Subject",
        "mother": "Mother",
        "father": "Father",
    }


def test_date_of_birth_copied_raw_and_absent_when_blank(tmp_path):
    mother = relative("mother", "M1", **{"Date Of Birth": "1985/02/03"})

    patients = case_data(tmp_path, PROBAND, mother)["patients"]
    assert patients["mother"]["date_of_birth"] == "1985/02/03"
    assert "date_of_birth" not in patients["proband"]


def test_blank_relation_means_proband(tmp_path):
    cases = plan(tmp_path, {**PROBAND, "Relation": ""})

    assert cases[0].body["test_data"]["patients"]["proband"]["fastq_sample"] == "P1"


# ----------------------------------------------------------------- samples


def test_samples_go_proband_mother_father_siblings_whatever_the_rows(tmp_path):
    rows = [
        relative("sibling", "S1"),
        relative("father", "F1"),
        PROBAND,
        relative("mother", "M1"),
    ]

    samples = case_data(tmp_path, *rows)["samples"]
    assert [s["fastq"] for s in samples] == ["P1", "M1", "F1", "S1"]


def test_sample_files_name_path_and_storage(tmp_path):
    sample = case_data(tmp_path, PROBAND)["samples"][0]

    assert sample["sampleFiles"][1] == {
        "path": "/runs/r1/P1_R2.fastq.gz",
        "filename": "P1_R2.fastq.gz",
        "size": 0,
        "status": "uploaded",
        "storage_id": 101,
    }


def test_pending_members(tmp_path):
    proband = {**PROBAND, "Files Names": "", "Sample Type": "VCF"}
    mother = relative("mother", "M1", **{"Files Names": ""})

    data = case_data(tmp_path, proband, mother)
    assert data["sample_type"] == "vcf"
    assert data["samples"] == [{"fastq": "P1", "status": "uploaded", "sampleFiles": []}]
    pending = [
        (p["fastq_sample"], p["pending_sample_name"]) for p in data["patients"].values()
    ]
    assert pending == [("", "P1"), ("", "M1")]


VCF_PROBAND = {
    **PROBAND,
    "Files Names": "/runs/r3/P1.hard-filtered.vcf.gz",
    "Storage Provider Id": "102",
    "Visualization Files": (
        "/runs/r3/P1.tn.bw;/runs/r3/P1.cram;/runs/r3/P1.metrics.tar.gz;/runs/r3/P1.txt"
    ),
}


def test_vcf_sample_gets_column_name_bam_location_and_tracks(tmp_path):
    data = case_data(tmp_path, VCF_PROBAND)
    sample = data["samples"][0]

    assert data["sample_type"] == "vcf"
    assert sample["sampleFiles"][0]["vcf_column_name"] == "P1"
    assert (sample["bam_location"], sample["storage_id"]) == ("/runs/r3/P1.cram", 102)
    assert [f["filename"] for f in sample["sampleFiles"]] == [
        "P1.hard-filtered.vcf.gz",
        "P1.tn.bw",
        "P1.metrics.tar.gz",
    ]
    assert list(sample["sampleFiles"][1]) == [
        "filename",
        "path",
        "size",
        "status",
        "storage_id",
    ]


def test_joint_vcf_carries_each_members_column_name(tmp_path):
    joint = "/runs/r3/trio.vcf.gz"
    proband = {**VCF_PROBAND, "Files Names": joint, "Visualization Files": ""}
    mother = relative("mother", "M1", **{"Files Names": joint})

    samples = case_data(tmp_path, proband, mother)["samples"]
    assert [s["sampleFiles"][0]["vcf_column_name"] for s in samples] == ["P1", "M1"]


def test_fastq_case_ignores_visualization_files(tmp_path):
    row = {**PROBAND, "Visualization Files": VCF_PROBAND["Visualization Files"]}

    sample = case_data(tmp_path, row)["samples"][0]
    assert "bam_location" not in sample
    assert len(sample["sampleFiles"]) == 2


# -------------------------------------------------------------- extra data


def test_extra_data_takes_filled_custom_columns_of_the_proband(tmp_path):
    header = BATCH_HEADER + ["Institution", "Referring_Lab", "Case Id"]
    mother = relative("mother", "M1", Institution="Other", Referring_Lab="Lab-Z")
    proband = {**PROBAND, "Institution": "Test Institute"}

    assert case_data(tmp_path, proband, mother, header=header)["extra_data"] == {
        "Institution": "Test Institute"
    }


# ------------------------------------------------------- server lookups


class FakeServer:
    """A FileResolver that answers every lookup and remembers what was asked."""

    def __init__(self):
        self.asked = []

    def auto_files(self, storage_id, project, biosample):
        self.asked.append(("auto", storage_id, project, biosample))
        return [(f"/projects/p/{biosample}/fid-1", f"{biosample}_R1.fastq.gz")]

    def file_name(self, storage_id, path):
        self.asked.append(("file", storage_id, path))
        return path.rsplit("/", 1)[-1] + ".fastq.gz"

    def existing_sample(self, biosample):
        self.asked.append(("existing", biosample))
        return f"smp-{biosample}"


AUTO_PROBAND = {
    **PROBAND,
    "Files Names": "auto",
    "Storage Provider Id": "9001",
    "Default Project": "ProjA",
}
EXISTING_PROBAND = {**PROBAND, "Files Names": "existing", "Storage Provider Id": ""}
FILE_ID_PROBAND = {
    **PROBAND,
    "Files Names": "/bs/run42/fileid-1",
    "Storage Provider Id": "9001",
}


@pytest.mark.parametrize(
    "row, sample",
    [
        (
            AUTO_PROBAND,
            {
                "fastq": "P1",
                "status": "uploaded",
                "sampleFiles": [
                    {
                        "path": AUTO_PLACEHOLDER,
                        "filename": AUTO_PLACEHOLDER,
                        "size": 0,
                        "status": "uploaded",
                        "storage_id": 9001,
                    }
                ],
            },
        ),
        (EXISTING_PROBAND, {"id": EXISTING_PLACEHOLDER, "fastq": "P1"}),
        (
            FILE_ID_PROBAND,
            {
                "fastq": "P1",
                "status": "uploaded",
                "sampleFiles": [
                    {
                        "path": "/bs/run42/fileid-1",
                        "filename": FILE_ID_PLACEHOLDER,
                        "size": 0,
                        "status": "uploaded",
                        "storage_id": 9001,
                    }
                ],
            },
        ),
    ],
    ids=["auto", "existing", "basespace-file-id"],
)
def test_offline_plan_marks_what_the_server_resolves(tmp_path, row, sample):
    case = plan(tmp_path, row)[0]

    assert case.needs_lookup is True
    assert case.body["test_data"]["samples"] == [sample]
    assert case.body["test_data"]["sample_type"] == "fastq"


@pytest.mark.parametrize(
    "row, asked, sample",
    [
        (
            AUTO_PROBAND,
            [("auto", 9001, "ProjA", "P1")],
            {"path": "/projects/p/P1/fid-1", "filename": "P1_R1.fastq.gz"},
        ),
        (EXISTING_PROBAND, [("existing", "P1")], {"id": "smp-P1"}),
        (
            FILE_ID_PROBAND,
            [("file", 9001, "/bs/run42/fileid-1")],
            {"path": "/bs/run42/fileid-1", "filename": "fileid-1.fastq.gz"},
        ),
    ],
    ids=["auto", "existing", "basespace-file-id"],
)
def test_resolver_fills_what_the_server_knows(tmp_path, row, asked, sample):
    server = FakeServer()
    case = plan(tmp_path, row, resolver=server)[0]

    built = case.body["test_data"]["samples"][0]
    built = built.get("sampleFiles", [built])[0]
    assert server.asked == asked
    assert {key: built[key] for key in sample} == sample
    assert case.needs_lookup is False


def test_plain_paths_need_no_lookup(tmp_path):
    server = FakeServer()
    case = plan(tmp_path, PROBAND, resolver=server)[0]

    assert server.asked == []
    assert case.needs_lookup is False


# ------------------------------------------------------------ build_cases


def test_build_cases_one_per_family_in_order_of_appearance(tmp_path):
    rows = [
        {**PROBAND, "Family Id": "FAM-B", "BioSample Name": "PB"},
        {**PROBAND, "Family Id": "FAM-A", "BioSample Name": "PA"},
        relative("mother", "MB", **{"Family Id": "FAM-B"}),
    ]

    cases = plan(tmp_path, *rows)
    assert [(c.family_id, c.proband, c.lines) for c in cases] == [
        ("FAM-B", "PB", [3, 5]),
        ("FAM-A", "PA", [4]),
    ]


def test_family_without_proband_is_skipped(tmp_path):
    orphan = relative("mother", "M9", **{"Family Id": "FAM-NOPROBAND"})

    assert [c.family_id for c in plan(tmp_path, orphan, PROBAND)] == ["FAM-1"]


def test_case_id_marks_the_family_done_without_lookups(tmp_path):
    header = BATCH_HEADER + ["Case Id"]
    server = FakeServer()
    row = {**AUTO_PROBAND, "Case Id": "EMG000000042"}

    case = plan(tmp_path, row, header=header, resolver=server)[0]
    assert case.existing_case_id == "EMG000000042"
    assert server.asked == []
    assert case.needs_lookup is False


def test_sheet_missing_columns_builds_without_crashing(tmp_path):
    header = ["Family Id", "Case Type", "Files Names"]
    row = {"Family Id": "FAM-1", "Case Type": "Exome", "Files Names": "/r/a.fastq.gz"}

    patient = case_data(tmp_path, row, header=header)["patients"]["proband"]
    assert (patient["gender"], patient["phenotypes"]) == ("Unknown", [])


@pytest.mark.skipif(not ORACLE.is_dir(), reason=f"no oracle recordings at {ORACLE}")
@pytest.mark.parametrize(
    "sheet_path",
    sorted(ORACLE.glob("inputs/x*.csv")),
    ids=lambda path: path.stem,
)
def test_refused_oracle_sheets_plan_without_a_traceback(sheet_path):
    try:
        sheet = read_sheet(sheet_path)
    except SheetError:
        return  # unreadable sheets are the reader's to refuse

    for case in build_cases(sheet, group_families(sheet)):
        assert case.body["test_data"]["patients"]["proband"]["id"] == "proband"


# ---------------------------------------------------------- workflow sheet

WORKFLOW_HEADER = [
    "BioSample Name",
    "Default Project",
    "Container Name",
    "Container Position",
    "Prep Request",
    "Required Yield Gbp",
    "Analysis Workflow",
    "Analysis Group",
    "Sample Label",
    "Delivery Mode",
    "Case Type",
    "Files Names",
    "Storage Provider Id",
    "Relation",
    "Sex",
    "Phenotypes Id",
    "Phenotypes",
    "Referring_Lab",
]


def workflow_row(biosample, group, relation, sex, workflow="", **cells):
    row = {
        "BioSample Name": biosample,
        "Default Project": "ProjA",
        "Container Name": "Plate-7",
        "Container Position": "A01",
        "Prep Request": "Unknown",
        "Required Yield Gbp": "100",
        "Analysis Workflow": workflow,
        "Analysis Group": group,
        "Sample Label": "label",
        "Delivery Mode": "standard",
        "Case Type": "Exome",
        "Files Names": "auto",
        "Storage Provider Id": "9001",
        "Relation": relation,
        "Sex": sex,
        "Phenotypes": "unaffected",
    }
    return {**row, **cells}


def workflow_rows():
    """A trio (GRP-TRIO) with a singleton (GRP-SOLO) between its rows."""
    return [
        workflow_row(
            "WF-P1",
            "GRP-TRIO",
            "proband",
            "M",
            "emedgene-create-case_3",
            **{"Phenotypes Id": "HP:0001250", "Referring_Lab": "Lab-A"},
        ),
        workflow_row("WF-M1", "GRP-TRIO", "mother", "F", Referring_Lab="Lab-M"),
        workflow_row(
            "WF-S1",
            "GRP-SOLO",
            "",
            "F",
            "emedgene-create-case_1",
            **{
                "Default Project": "ProjB",
                "Files Names": fastq("WF-S1"),
                "Storage Provider Id": "101",
                "Phenotypes": "Seizure",
            },
        ),
        workflow_row("WF-F1", "GRP-TRIO", "father", "M"),
    ]


@pytest.fixture
def workflow_sheet(tmp_path):
    rows = workflow_rows()
    path = tmp_path / "workflow.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerows([["[Header]"], ["FileVersion", "1"], ["[Data]"]])
        writer.writerow(WORKFLOW_HEADER)
        writer.writerows(
            [row.get(name, "") for name in WORKFLOW_HEADER] for row in rows
        )
    return read_sheet(path)


def test_workflow_sheet_groups_by_analysis_group(workflow_sheet):
    cases = build_cases(workflow_sheet, group_families(workflow_sheet), FakeServer())

    assert [(c.family_id, c.proband, c.lines) for c in cases] == [
        ("GRP-TRIO", "WF-P1", [5, 6, 8]),
        ("GRP-SOLO", "WF-S1", [7]),
    ]


def test_workflow_sheet_maps_columns_a_and_b(workflow_sheet):
    server = FakeServer()
    trio, solo = build_cases(workflow_sheet, group_families(workflow_sheet), server)

    assert server.asked == [
        ("auto", 9001, "ProjA", "WF-P1"),
        ("auto", 9001, "ProjA", "WF-M1"),
        ("auto", 9001, "ProjA", "WF-F1"),
    ]
    patients = trio.body["test_data"]["patients"]
    assert {p["id"]: p["fastq_sample"] for p in patients.values()} == {
        "proband": "WF-P1",
        "mother": "WF-M1",
        "father": "WF-F1",
    }
    assert [s["fastq"] for s in solo.body["test_data"]["samples"]] == ["WF-S1"]


def test_workflow_sheet_never_puts_columns_a_to_j_in_extra_data(workflow_sheet):
    trio, solo = build_cases(workflow_sheet, group_families(workflow_sheet))

    assert trio.body["test_data"]["extra_data"] == {"Referring_Lab": "Lab-A"}
    assert solo.body["test_data"]["extra_data"] == {}


def test_workflow_singleton_body(workflow_sheet):
    solo = build_cases(workflow_sheet, group_families(workflow_sheet))[1]
    data = solo.body["test_data"]

    assert solo.needs_lookup is False
    assert data["patients"]["proband"]["phenotypes"] == [{"name": "Seizure"}]
    assert [f["path"] for f in data["samples"][0]["sampleFiles"]] == fastq(
        "WF-S1"
    ).split(";")


def test_a_case_id_on_a_relatives_row_marks_the_family_as_done(write_sheet):
    from batchcase.plan import build_plan

    header = "Family Id,Case Type,Files Names,Storage Provider Id,BioSample Name,"
    header += "Relation,Sex,Phenotypes,Phenotypes Id,Case Id"
    rows = [
        "FAM-1,Exome,/r/p.fastq.gz,101,P1,proband,F,,HP:0000001,",
        "FAM-1,Exome,/r/m.fastq.gz,101,M1,mother,F,unaffected,,EMG000000042",
    ]
    plan = build_plan(write_sheet(rows, header=header, preamble="[Data]\n"))

    assert plan.cases[0].existing_case_id == "EMG000000042"
