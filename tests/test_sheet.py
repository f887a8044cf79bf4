"""Reading sheets as labs write them: encodings, line ends, padding, line numbers."""

import pytest
from conftest import WORKFLOW_HEADER, trio_rows, workflow_row

from batchcase.errors import SheetError
from batchcase.sheet import SheetKind, read_sheet

PREAMBLE = "[Header]\nFileVersion,1\n[Data]\n"


def rules(sheet):
    return [(f.rule, f.line, f.column) for f in sheet.findings]


def test_rows_keep_their_file_line_numbers(write_sheet):
    sheet = read_sheet(write_sheet(trio_rows()))

    assert sheet.kind is SheetKind.WORKFLOW
    assert sheet.header_line == 4
    assert list(sheet.table.index) == [5, 6, 7]
    assert sheet.table.loc[6, "Relation"] == "mother"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"], ids=["crlf", "cr-only", "lf"])
def test_line_endings_and_bom_are_accepted(write_sheet, newline):
    text = (PREAMBLE + WORKFLOW_HEADER + "\n" + "\n".join(trio_rows()) + "\n").replace(
        "\n", newline
    )
    sheet = read_sheet(write_sheet([], raw=b"\xef\xbb\xbf" + text.encode()))

    assert sheet.columns[0] == "BioSample Name"
    assert list(sheet.table.index) == [5, 6, 7]
    assert sheet.findings == []


def test_cp1252_file_is_refused_with_line_byte_and_hint(write_sheet):
    rows = trio_rows()
    rows[1] = rows[1].replace("PLATE-1", "PLAQUE-é")
    path = write_sheet(rows, encoding="cp1252")

    with pytest.raises(SheetError) as caught:
        read_sheet(path)

    message = str(caught.value)
    assert message.startswith("sheet.csv:6: byte 0xe9 (byte 19 of the line)")
    assert "--encoding cp1252" in message


def test_cp1252_file_reads_on_purpose_with_encoding(write_sheet):
    rows = trio_rows()
    rows[1] = rows[1].replace("PLATE-1", "PLAQUE-é")
    sheet = read_sheet(write_sheet(rows, encoding="cp1252"), encoding="cp1252")

    assert sheet.table.loc[6, "Container Name"] == "PLAQUE-é"


def test_semicolon_export_is_refused_with_reexport_advice(write_sheet):
    text = PREAMBLE + WORKFLOW_HEADER.replace(",", ";") + "\n"
    with pytest.raises(
        SheetError, match=r"^sheet.csv:4: .*separated by ';'.*Re-export"
    ):
        read_sheet(write_sheet([], raw=text))


def test_excel_padding_columns_and_rows_are_ignored(write_sheet):
    rows = [row + ",,,," for row in trio_rows()]
    text = PREAMBLE.replace("\n", ",,,\n") + WORKFLOW_HEADER + ",,,\n"
    text += "\n".join(rows) + "\n,,,,\n,,,\n\n"
    sheet = read_sheet(write_sheet([], raw=text))

    assert len(sheet.columns) == 17
    assert list(sheet.table.index) == [5, 6, 7]
    assert sheet.findings == []


def test_blank_row_inside_data_is_an_error_on_that_line(write_sheet):
    rows = trio_rows()
    rows.insert(2, ",,,")
    sheet = read_sheet(write_sheet(rows))

    assert rules(sheet) == [("blank-row-inside-data", 7, None)]
    assert list(sheet.table.index) == [5, 6, 8]


def test_spaces_around_cells_are_stripped_with_a_warning(write_sheet):
    rows = trio_rows()
    rows[0] = rows[0].replace("S-P,", " S-P ,", 1)
    sheet = read_sheet(write_sheet(rows))

    assert rules(sheet) == [("cell-spaces", 5, "BioSample Name")]
    assert sheet.findings[0].value == " S-P "
    assert sheet.table.loc[5, "BioSample Name"] == "S-P"


def test_ids_with_leading_zeros_stay_as_written(write_sheet):
    rows = [workflow_row("007", "emedgene-create-case_1", "0042", storage="0101")]
    sheet = read_sheet(write_sheet(rows))

    assert sheet.table.loc[5, "BioSample Name"] == "007"
    assert sheet.table.loc[5, "Analysis Group"] == "0042"
    assert sheet.table.loc[5, "Storage Provider Id"] == "0101"


def test_more_values_than_headers_is_an_error(write_sheet):
    rows = trio_rows()
    rows[2] += ",,stray"
    sheet = read_sheet(write_sheet(rows))

    assert rules(sheet) == [("row-too-long", 7, None)]
    assert sheet.findings[0].value == "stray"


def test_quoted_cell_spanning_lines_keeps_later_line_numbers(write_sheet):
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", '"PLATE\n1"', 1)
    sheet = read_sheet(write_sheet(rows))

    assert list(sheet.table.index) == [5, 7, 8]
    assert sheet.table.loc[5, "Container Name"] == "PLATE\n1"


def test_workflow_sheet_without_preamble_uses_first_row_as_header(write_sheet):
    sheet = read_sheet(write_sheet(trio_rows(), preamble=""))

    assert sheet.kind is SheetKind.WORKFLOW
    assert list(sheet.table.index) == [2, 3, 4]
    assert sheet.findings == []


def test_batch_upload_without_data_line_is_an_error_on_the_header(write_sheet):
    header = "Family Id,Case Type,Files Names,Relation,Sex,Phenotypes Id"
    sheet = read_sheet(
        write_sheet(["F1,Exome,a.vcf,proband,F,HP:0000001"], header=header, preamble="")
    )

    assert sheet.kind is SheetKind.BATCH_UPLOAD
    assert rules(sheet) == [("data-section-missing", 1, None)]


@pytest.mark.parametrize(
    "raw", ["", "\n\n", ",,,\n"], ids=["empty", "blank-lines", "only-commas"]
)
def test_empty_sheet_is_refused(write_sheet, raw):
    with pytest.raises(SheetError, match="is empty|no header row"):
        read_sheet(write_sheet([], raw=raw))


def test_missing_file_is_a_sheet_error(tmp_path):
    with pytest.raises(SheetError, match="cannot read"):
        read_sheet(tmp_path / "nope.csv")


def test_header_with_spaces_and_repeated_biosample_column(write_sheet):
    header = WORKFLOW_HEADER.replace("Sex", " Sex ") + ",BioSample Name"
    rows = [r + ",again" for r in trio_rows()]
    sheet = read_sheet(write_sheet(rows, header=header))

    assert ("header-spaces", 4, "Sex") in rules(sheet)
    assert ("column-repeated", 4, "BioSample Name") in rules(sheet)
    assert sheet.table.loc[5, "Sex"] == "F"


def test_a_quote_that_never_closes_is_an_error_on_its_row(write_sheet):
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", '"PLATE-1', 1)
    sheet = read_sheet(write_sheet(rows))

    assert rules(sheet) == [("unclosed-quote", 5, "Container Name")]


def test_a_lone_inch_mark_inside_a_cell_is_read_as_written(write_sheet):
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", 'PLATE 5"', 1)
    sheet = read_sheet(write_sheet(rows))

    assert sheet.table.loc[5, "Container Name"] == 'PLATE 5"'
    assert sheet.findings == []


def test_a_control_character_in_a_cell_is_an_error(write_sheet):
    rows = trio_rows()
    rows[1] = rows[1].replace("PLATE-1", "PLATE\x00-1", 1)
    sheet = read_sheet(write_sheet(rows))

    assert rules(sheet) == [("control-character", 6, "Container Name")]


def test_a_header_without_samples_is_an_error(write_sheet):
    sheet = read_sheet(write_sheet([]))
    assert rules(sheet) == [("no-samples", 4, None)]


def test_an_unclosed_quote_is_listed_before_what_it_broke(write_sheet):
    from batchcase.validation import validate_sheet

    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", '"PLATE-1', 1)
    findings = validate_sheet(write_sheet(rows)).findings

    assert findings[0].rule == "unclosed-quote"
    assert len(findings) > 1  # the trio that lost its rows is reported after


def test_a_header_cell_spanning_two_lines_keeps_data_line_numbers(write_sheet):
    header = WORKFLOW_HEADER.replace("Phenotypes Id", '"Phenotypes\nId"')
    sheet = read_sheet(write_sheet(trio_rows(), header=header))

    assert sheet.header_line == 4
    assert list(sheet.table.index) == [6, 7, 8]
