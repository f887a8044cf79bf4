"""validate --annotate: the sheet as written, with each row's findings first."""

import csv
import dataclasses
import io
import os

import pytest
from click.testing import CliRunner
from conftest import WORKFLOW_HEADER, trio_rows

from batchcase.annotate import annotated_csv, inert_cell
from batchcase.cli import main
from batchcase.findings import error
from batchcase.validation import validate_sheet


def invoke(*args, expect_exit):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == expect_exit, result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    return result


def read_rows(path):
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def broken_trio(write_sheet):
    rows = trio_rows()
    rows[1] = rows[1].replace(",F,", ",M,")  # mother recorded as male: an error
    rows[2] = rows[2].replace(",M,", ",,")  # father's sex unknown: a warning
    return write_sheet(rows)


def test_every_line_is_kept_with_its_messages_first(broken_trio, tmp_path):
    out = tmp_path / "annotated.csv"
    invoke("validate", broken_trio, "--annotate", out, expect_exit=1)

    original = list(csv.reader(io.StringIO(broken_trio.read_text())))
    rows = read_rows(out)
    assert [row[1:] for row in rows] == original
    assert [row[0] for row in rows] == [
        "",
        "",
        "",
        "Errors",
        "",
        "Sex: the mother is recorded as male ('M'); set Sex to 'F' or fix the Relation",
        "warning: Sex: the father's sex is unknown; set Sex so Emedgene can use the "
        "inheritance model",
    ]


def test_errors_and_warnings_of_one_row_are_joined(write_sheet, tmp_path):
    rows = trio_rows()
    rows[1] = rows[1].replace(",F,", ",,").replace("PLATE-1,A01", "PLATE-1,A1O")
    out = tmp_path / "annotated.csv"
    invoke("validate", write_sheet(rows), "--annotate", out, expect_exit=1)

    cell = read_rows(out)[5][0]
    assert cell.startswith("Container Position: 'A1O' is not a well")
    assert "; warning: Sex: the mother's sex is unknown; set Sex so" in cell


def test_cells_are_copied_exactly_as_written(write_sheet, tmp_path):
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", '"PLATE, 1 ""north"""')
    rows[1] = rows[1].replace("PLATE-1", '"=HYPERLINK(""http://x"")"')
    sheet = write_sheet(rows)
    out = tmp_path / "annotated.csv"
    invoke("validate", sheet, "--annotate", out, expect_exit=0)

    annotated = read_rows(out)
    assert annotated[4][3] == 'PLATE, 1 "north"'
    assert annotated[5][3] == '=HYPERLINK("http://x")'  # the lab's own cell, kept
    assert [r[1:] for r in annotated] == list(
        csv.reader(io.StringIO(sheet.read_text()))
    )


def test_blank_lines_stay_blank_and_lines_stay_aligned(write_sheet, tmp_path):
    raw = (
        "[Header]\n\nFileVersion,1\n[Data]\n"
        + WORKFLOW_HEADER
        + "\n"
        + "\n".join(trio_rows())
        + "\n\n\n"
    )
    out = tmp_path / "annotated.csv"
    invoke("validate", write_sheet([], raw=raw), "--annotate", out, expect_exit=0)

    lines = out.read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1] == "" and lines[-3:] == ["", "", ""]
    assert lines[4].startswith("Errors,BioSample Name,")
    assert lines[5].startswith(",S-P,")


@pytest.mark.parametrize(
    "message",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"],
    ids=["equals", "plus", "minus", "at", "tab", "cr"],
)
def test_a_message_cell_never_becomes_a_formula(broken_trio, message):
    validation = validate_sheet(broken_trio)
    findings = [error("test", message, line=5)]
    text, _ = annotated_csv(dataclasses.replace(validation, findings=findings))

    row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[4]
    assert row[0] == "'" + message


@pytest.mark.parametrize("text", ["", "Sex: wrong", "'quoted'", "a=b"])
def test_ordinary_message_cells_are_left_alone(text):
    assert inert_cell(text) == text


def test_header_findings_are_left_to_the_report(write_sheet, tmp_path):
    header = WORKFLOW_HEADER.replace("Sample Label", "Sample label")
    out = tmp_path / "annotated.csv"
    result = invoke(
        "validate",
        write_sheet(trio_rows(), header=header),
        "--annotate",
        out,
        expect_exit=1,
    )

    assert read_rows(out)[3][0] == "Errors"
    assert result.stderr.splitlines() == [
        f"Wrote the annotated sheet to {out}",
        "1 finding(s) about the header or the whole sheet have no row there: "
        "they are only in the report above",
    ]


def test_a_cp1252_sheet_is_annotated_in_utf8(write_sheet, tmp_path):
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", "PLAQUE-é")
    out = tmp_path / "annotated.csv"
    sheet = write_sheet(rows, encoding="cp1252")
    invoke("validate", sheet, "--encoding", "cp1252", "--annotate", out, expect_exit=0)
    assert read_rows(out)[4][3] == "PLAQUE-é"


def test_writing_leaves_no_temporary_file(broken_trio, tmp_path):
    out = tmp_path / "out" / "annotated.csv"
    invoke("validate", broken_trio, "--annotate", out, expect_exit=1)
    assert os.listdir(out.parent) == ["annotated.csv"]


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink"])
def test_the_sheet_itself_is_never_overwritten(broken_trio, tmp_path, spelling):
    out = broken_trio
    if spelling == "dotted":
        out = tmp_path / "." / ".." / tmp_path.name / broken_trio.name
    elif spelling == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(broken_trio)
    before = broken_trio.read_bytes()

    result = invoke("validate", broken_trio, "--annotate", out, expect_exit=2)
    assert f"--annotate {out} would overwrite {broken_trio}" in result.output
    assert broken_trio.read_bytes() == before


def test_the_sample_sheet_is_never_overwritten(broken_trio, tmp_path):
    run = tmp_path / "SampleSheet.csv"
    run.write_text("[Header]\nRunName,R\n")
    invoke(
        "validate",
        broken_trio,
        "--sample-sheet",
        run,
        "--annotate",
        run,
        expect_exit=2,
    )
    assert run.read_text() == "[Header]\nRunName,R\n"


def test_annotate_takes_one_sheet(broken_trio, write_sheet, tmp_path):
    other = write_sheet(trio_rows(), name="other.csv")
    result = invoke(
        "validate", broken_trio, other, "--annotate", tmp_path / "a.csv", expect_exit=2
    )
    assert "--sample-sheet and --annotate take one SHEET" in result.output
