"""Mangled sheets never crash `validate`: each gets findings or one `Error:` line.

Sheets arrive from Excel, LIMS exports and e-mail attachments; whatever is
in them, a user must see what is wrong, never a traceback.
"""

import re

import pytest
from click.testing import CliRunner
from conftest import WORKFLOW_HEADER, trio_rows, workflow_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchcase.cli import main

BASE = (
    "[Header]\nFileVersion,1\n[Data]\n"
    + WORKFLOW_HEADER
    + "\n"
    + "\n".join(trio_rows() + [workflow_row("S-1", "emedgene-create-case_1")])
    + "\n"
)
SAMPLE_SHEET = (
    "[Header]\nFileFormatVersion,2\nRunName,Run 7\nInstrumentPlatform,NovaSeqXSeries\n"
    "\n[BCLConvert_Data]\nLane,Sample_ID,Index,Index2\n"
    + "".join(f"1,{name},ACGTACGTAC,TTGGCCAATT\n" for name in ("S-P", "S-M", "S-F"))
    + "\n[Cloud_Data]\nSample_ID,ProjectName,LibraryName\n"
    + "".join(f"{name},Proj-1,{name}_L\n" for name in ("S-P", "S-M", "S-F", "S-1"))
)
NASTY = [
    '"',
    ",",
    "\r",
    "\n",
    "\r\n",
    "\ufeff",
    "\x00",
    ";",
    " ",
    "\t",
    "é",
    "=",
    "[Data]",
]
FINDING_ERROR = re.compile(r"^  \S+: error: |^\S+: error: ", re.MULTILINE)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@st.composite
def mangled_text(draw, base=BASE):
    """The base sheet after a few of the things that happen to sheets."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(MANGLERS))(draw, text)
    return text


def truncate(draw, text):
    return text[: draw(st.integers(0, len(text)))]


def cut_slice(draw, text):
    start = draw(st.integers(0, len(text)))
    return text[:start] + text[start + draw(st.integers(0, 200)) :]


def insert_nasty(draw, text):
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.sampled_from(NASTY)) + text[at:]


def huge_cell(draw, text):
    at = draw(st.integers(0, len(text)))
    return text[:at] + "A" * draw(st.integers(1_000, 200_000)) + text[at:]


def shuffle_columns(draw, text):
    lines = [line.split(",") for line in text.split("\n")]
    width = max(len(cells) for cells in lines)
    order = draw(st.permutations(range(width)))
    shuffled = [
        [cells[i] for i in order] if len(cells) == width else cells for cells in lines
    ]
    return "\n".join(",".join(cells) for cells in shuffled)


def line_endings(draw, text):
    return text.replace("\n", draw(st.sampled_from(["\r", "\r\n", "\n\n"])))


def bom(draw, text):
    return "\ufeff" + text


MANGLERS = [
    truncate,
    cut_slice,
    insert_nasty,
    huge_cell,
    shuffle_columns,
    line_endings,
    bom,
]


def sheet_bytes(base=BASE):
    """Mostly mangled UTF-8 sheets; now and then UTF-16 or plain random bytes."""
    utf8 = mangled_text(base).map(lambda t: t.encode("utf-8"))
    other = st.one_of(
        mangled_text(base).map(lambda t: t.encode("utf-16")), st.binary(max_size=3_000)
    )
    return st.integers(0, 4).flatmap(lambda n: other if n == 0 else utf8)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("mangled")


def validate(*args):
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "unexpected" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 1:
        assert FINDING_ERROR.search(result.stdout) or result.stderr.startswith(
            "Error: "
        ), output
    else:
        assert result.exit_code == 0, output
    return result


@SETTINGS
@given(data=sheet_bytes())
def test_a_mangled_sheet_gets_findings_not_a_traceback(folder, data):
    sheet = folder / "sheet.csv"
    sheet.write_bytes(data)
    validate(sheet)


@SETTINGS
@given(data=sheet_bytes())
def test_a_mangled_sheet_can_be_annotated(folder, data):
    sheet, out = folder / "sheet.csv", folder / "annotated.csv"
    sheet.write_bytes(data)
    out.unlink(missing_ok=True)

    result = validate(sheet, "--annotate", out)
    assert out.exists() == (not result.stderr.startswith("Error: "))


@SETTINGS
@given(data=sheet_bytes(SAMPLE_SHEET))
def test_a_mangled_sample_sheet_gets_findings_not_a_traceback(folder, data):
    sheet, run = folder / "sheet.csv", folder / "SampleSheet.csv"
    sheet.write_text(BASE)
    run.write_bytes(data)
    validate(sheet, "--sample-sheet", run)
