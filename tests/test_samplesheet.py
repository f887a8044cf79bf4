"""The run's sample sheet: reading v1/v2, the cross-check, the upload command."""

import json
import shlex

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SHEETS, trio_rows

from batchcase.cli import main
from batchcase.samplesheet import read_sample_sheet

HEADER_V2 = (
    "[Header]\nFileFormatVersion,2\nRunName,Run 7\nInstrumentPlatform,NovaSeqXSeries\n"
)
BCL = "[BCLConvert_Data]\nSample_ID,Index,Index2\n"
CLOUD = "[Cloud_Data]\nSample_ID,ProjectName,LibraryName\n"


def v2(header=HEADER_V2, bcl=("S-P", "S-M", "S-F"), cloud=None):
    """A v2 sample sheet; `cloud` maps Sample_ID to ProjectName (None: local run)."""
    text = header + "\n" + BCL
    text += "".join(f"{name},ACGTACGTAC,TTGGCCAATT\n" for name in bcl)
    if cloud is not None:
        text += "\n" + CLOUD
        text += "".join(f"{name},{proj},{name}_L\n" for name, proj in cloud.items())
    return text


CLOUD_OK = {"S-P": "Proj-1", "S-M": "Proj-1", "S-F": "Proj-1"}


@pytest.fixture
def trio(write_sheet):
    return write_sheet(trio_rows())


@pytest.fixture
def write_run(tmp_path):
    def write(text, name="SampleSheet.csv"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def validate(*args, expect_exit):
    result = CliRunner().invoke(main, ["validate", *[str(a) for a in args]])
    assert result.exit_code == expect_exit, result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    return result


def findings_of(sheet, run):
    result = validate(sheet, "--sample-sheet", run, "--format", "json", expect_exit=1)
    return json.loads(result.output)["findings"]


def test_the_example_batch_matches_its_sample_sheet():
    result = validate(
        SAMPLE_SHEETS / "mixed_batch_workflow.csv",
        "--sample-sheet",
        SAMPLE_SHEETS / "mixed_batch_samplesheet.csv",
        expect_exit=0,
    )
    assert result.output.splitlines()[-1] == (
        "bs upload run -n RUN-2026-11-30 -t NovaSeqXSeries <run folder> "
        "--concurrency=high"
    )


def test_valid_run_ends_the_text_with_the_upload_command(trio, write_run):
    result = validate(
        trio, "--sample-sheet", write_run(v2(cloud=CLOUD_OK)), expect_exit=0
    )
    assert result.output.splitlines() == [
        "sheet.csv: valid: 0 errors, 0 warnings; 1 case, 3 samples",
        "Upload the run's data with this command, after replacing <run folder> "
        "with the run's output folder:",
        "bs upload run -n 'Run 7' -t NovaSeqXSeries <run folder> --concurrency=high",
    ]


def test_run_name_is_quoted_for_a_posix_shell(trio, write_run):
    header = HEADER_V2.replace("Run 7", "it's $(rm -rf ~) `x`; y")
    header = header.replace("NovaSeqXSeries", "Nova Seq;id")
    run = read_sample_sheet(write_run(v2(header=header)))

    words = shlex.split(run.upload_command)
    assert words[:7] == [
        "bs",
        "upload",
        "run",
        "-n",
        "it's $(rm -rf ~) `x`; y",
        "-t",
        "Nova Seq;id",
    ]
    assert words[-1] == "--concurrency=high"


def test_unknown_sample_id_names_the_sample_sheet_line(trio, write_run):
    run = write_run(v2(bcl=("S-P", "S-M", "S-F", "S-X")))
    [finding] = findings_of(trio, run)

    assert finding == {
        "file": str(run),
        "severity": "error",
        "line": 11,
        "column": "Sample_ID",
        "value": "S-X",
        "rule": "sample-id-unknown",
        "message": "Sample_ID 'S-X' is not a BioSample Name in sheet.csv; its data "
        "would attach to no case, so fix the Sample_ID or the biosample",
    }


def test_sample_id_differing_only_in_case_gets_a_hint(trio, write_run):
    run = write_run(v2(bcl=("S-P", "s-m", "S-F")))
    findings = findings_of(trio, run)

    unknown = [f for f in findings if f["rule"] == "sample-id-unknown"]
    assert [f["line"] for f in unknown] == [9]
    assert "(did you mean 'S-M'? they must match exactly)" in unknown[0]["message"]


def test_project_must_be_the_default_project_of_the_biosample(trio, write_run):
    cloud = dict(CLOUD_OK, **{"S-M": "Proj-2"})
    run = write_run(v2(cloud=cloud))
    [finding] = findings_of(trio, run)

    assert (finding["file"], finding["line"], finding["column"], finding["rule"]) == (
        str(run),
        15,
        "ProjectName",
        "sample-project",
    )
    assert finding["message"] == (
        "ProjectName 'Proj-2' differs from the Default Project 'Proj-1' of "
        "biosample 'S-M' (sheet.csv line 6); the data would land in another "
        "project, so make them the same"
    )


def test_project_error_is_listed_under_its_case_in_the_text(trio, write_run):
    run = write_run(v2(cloud=dict(CLOUD_OK, **{"S-M": "Proj-2"})))
    result = validate(trio, "--sample-sheet", run, expect_exit=1)

    lines = result.output.splitlines()
    assert lines[0] == "Case FAM-1"
    assert lines[1].startswith("  SampleSheet.csv:15: error: ProjectName: ")
    assert "bs upload run" not in result.output


def test_biosample_without_a_sample_row_is_a_warning(trio, write_run):
    run = write_run(v2(bcl=("S-P", "S-M")))
    result = validate(trio, "--sample-sheet", run, expect_exit=0)

    assert result.output.splitlines()[:3] == [
        "Case FAM-1",
        "  sheet.csv:7: warning: BioSample Name: biosample 'S-F' has no Sample_ID "
        "row in SampleSheet.csv; its case will wait until its data arrive from "
        "another run",
        "",
    ]
    assert result.output.splitlines()[-1].startswith("bs upload run -n 'Run 7' ")


@pytest.mark.parametrize(
    "header, line, rule, message",
    [
        pytest.param(
            HEADER_V2.replace("RunName,Run 7\n", ""),
            1,
            "run-name-missing",
            "[Header] has no RunName; write it as 'RunName,<value>' in the "
            "[Header] of the sample sheet: `bs upload run -n` needs it",
            id="no-run-name",
        ),
        pytest.param(
            HEADER_V2.replace("NovaSeqXSeries", ""),
            4,
            "instrument-platform-missing",
            "InstrumentPlatform is empty; write it as 'InstrumentPlatform,<value>' "
            "in the [Header] of the sample sheet: `bs upload run -t` needs it",
            id="empty-platform",
        ),
    ],
)
def test_run_name_and_platform_are_required(
    trio, write_run, header, line, rule, message
):
    run = write_run(v2(header=header))
    [finding] = findings_of(trio, run)
    assert (finding["file"], finding["line"], finding["rule"]) == (str(run), line, rule)
    assert finding["message"] == message


def test_v2_needs_file_format_version_2(trio, write_run):
    run = write_run(
        v2(header=HEADER_V2.replace("FileFormatVersion,2", "FileFormatVersion,3"))
    )
    [finding] = findings_of(trio, run)
    assert (finding["line"], finding["column"], finding["value"]) == (
        2,
        "FileFormatVersion",
        "3",
    )


@pytest.mark.parametrize(
    "cell, problem",
    [
        pytest.param(
            '"Proj,1"',
            "contains a comma, which splits it into two columns for BCL Convert",
            id="comma",
        ),
        pytest.param(
            "Proj‑1",
            "has the non-ASCII character NON-BREAKING HYPHEN at position 5",
            id="non-breaking-hyphen",
        ),
    ],
)
def test_values_are_ascii_without_commas(trio, write_run, cell, problem):
    run = write_run(v2(cloud=dict(CLOUD_OK, **{"S-F": cell})))
    rules = {f["rule"]: f for f in findings_of(trio, run)}

    value = rules["sample-sheet-value"]
    assert (value["line"], value["column"]) == (16, "ProjectName")
    assert value["message"] == (
        f"value {value['value']!r} {problem}; sample sheet values must be plain "
        "ASCII without commas, so retype it"
    )


def test_bytes_that_are_not_utf8_are_reported_as_non_ascii(trio, write_run):
    run = write_run(v2())
    run.write_bytes(run.read_bytes().replace(b"Run 7", b"Run \xe9"))
    [finding] = findings_of(trio, run)
    assert (finding["line"], finding["column"], finding["rule"]) == (
        3,
        "RunName",
        "sample-sheet-value",
    )
    assert "REPLACEMENT CHARACTER" in finding["message"]


def test_v1_sample_sheet_checks_sample_project(trio, write_run):
    text = (
        "[Header]\r\nIEMFileVersion,5\r\nRunName,R1\r\nInstrumentPlatform,MiSeq\r\n"
        "\r\n[Data],,,\r\nSample_ID,Sample_Name,Sample_Project,index\r\n"
        "S-P,S-P,Proj-1,AAAA\r\nS-M,S-M,Proj-9,CCCC\r\nS-F,S-F,Proj-1,GGGG\r\n"
    )
    run = write_run("\ufeff" + text)
    [finding] = findings_of(trio, run)

    assert (finding["line"], finding["column"], finding["value"]) == (
        9,
        "Sample_Project",
        "Proj-9",
    )
    assert read_sample_sheet(run).version == 1


def test_lanes_repeat_a_sample_id_without_complaint(trio, write_run):
    run = write_run(v2(bcl=("S-P", "S-P", "S-M", "S-M", "S-F", "S-F")))
    validate(trio, "--sample-sheet", run, expect_exit=0)


def test_a_file_that_is_not_a_sample_sheet_says_so(trio, write_run):
    run = write_run("Sample_ID,Index\nS-P,AAAA\n", name="notes.csv")
    findings = findings_of(trio, run)
    rules = [f["rule"] for f in findings]
    assert rules == [
        "sample-section-missing",
        "run-name-missing",
        "instrument-platform-missing",
    ]
    assert findings[0]["message"] == (
        "notes.csv has no [BCLConvert_Data] or [Cloud_Data] section (v2 sample "
        "sheet) nor a [Data] section (v1): is it the run's sample sheet?"
    )


def test_a_data_section_without_sample_id_names_its_header_line(trio, write_run):
    run = write_run(v2().replace("Sample_ID,Index,Index2", "SampleID,Index,Index2"))
    [finding] = findings_of(trio, run)
    assert (finding["line"], finding["rule"]) == (7, "sample-section")
    assert finding["message"] == (
        "[BCLConvert_Data] has no Sample_ID column; its first row must be the "
        "header with Sample_ID, then one row per sample"
    )


def test_an_empty_data_section_is_reported_at_its_marker(trio, write_run):
    run = write_run(HEADER_V2 + "\n[BCLConvert_Data],,\n\n[Cloud_Data]\n")
    findings = findings_of(trio, run)
    assert [(f["line"], f["rule"]) for f in findings] == [
        (6, "sample-section"),
        (8, "sample-section"),
    ]
    assert findings[0]["message"].startswith("[BCLConvert_Data] has no rows; ")


def test_json_names_the_sample_sheet_and_the_command(trio, write_run):
    run = write_run(v2(cloud=CLOUD_OK))
    result = validate(trio, "--sample-sheet", run, "--format", "json", expect_exit=0)

    data = json.loads(result.output)
    assert data["sample_sheet"] == str(run)
    assert data["upload_command"] == (
        "bs upload run -n 'Run 7' -t NovaSeqXSeries <run folder> --concurrency=high"
    )


def test_github_annotations_point_at_the_sample_sheet(trio, write_run):
    run = write_run(v2(bcl=("S-P", "S-M", "S-F", "S-X")))
    result = validate(trio, "--sample-sheet", run, "--format", "github", expect_exit=1)
    assert result.output.splitlines()[0].startswith(
        f"::error file={run},line=11,title=Sample_ID%3A sample-id-unknown::"
    )


def test_plan_records_the_upload_command(trio, write_run, tmp_path):
    run = write_run(v2(cloud=CLOUD_OK))
    out = tmp_path / "plan"
    args = ["plan", str(trio), "--sample-sheet", str(run), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output

    command = (
        "bs upload run -n 'Run 7' -t NovaSeqXSeries <run folder> --concurrency=high"
    )
    assert result.output.splitlines()[-1] == command
    assert json.loads((out / "report.json").read_text())["upload_command"] == command
    assert f"\n    {command}\n" in (out / "report.md").read_text()


def test_report_md_names_the_sample_sheet_of_a_finding(trio, write_run, tmp_path):
    run = write_run(v2(bcl=("S-P", "S-M", "S-F", "S-X")))
    out = tmp_path / "plan"
    args = ["plan", str(trio), "--sample-sheet", str(run), "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 1

    markdown = (out / "report.md").read_text()
    assert "| error | SampleSheet.csv:11 | Sample_ID | S-X |" in markdown


def test_plan_with_errors_has_no_upload_command(trio, write_run, tmp_path):
    from batchcase.plan import build_plan

    run = write_run(v2(bcl=("S-P", "S-M", "S-F", "S-X")))
    plan = build_plan(trio, sample_sheet=run)
    assert not plan.valid
    assert plan.upload_command is None


def test_a_finding_about_the_whole_sample_sheet_names_only_the_file(trio, write_run):
    run = write_run(HEADER_V2, name="notes.csv")
    result = validate(trio, "--sample-sheet", run, expect_exit=1)
    assert result.output.splitlines()[:2] == [
        "File notes.csv",
        "  notes.csv: error: notes.csv has no [BCLConvert_Data] or [Cloud_Data] "
        "section (v2 sample sheet) nor a [Data] section (v1): is it the run's "
        "sample sheet?",
    ]


def test_a_missing_sample_sheet_is_a_usage_error(trio, tmp_path):
    result = validate(trio, "--sample-sheet", tmp_path / "nope.csv", expect_exit=2)
    assert "does not exist" in result.output
