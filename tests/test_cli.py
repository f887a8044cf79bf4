"""The command line as users script against it: exit codes, formats, help."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SHEETS, trio_rows

from batchcase.cli import main


def run(*args, expect_exit=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == expect_exit, result.output
    assert "Traceback" not in result.output
    return result


def test_every_command_has_help_text():
    import click

    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert {"validate", "plan", "submit", "status", "listen"} <= set(names)
    for name in names:
        result = run(name, "--help")
        assert main.get_command(ctx, name).help, f"{name} has no help text"
        assert "Usage:" in result.output


def test_help_does_not_import_pandas_or_pandera():
    code = (
        "import sys; from click.testing import CliRunner; "
        "from batchcase.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
        "heavy = ('pandas', 'pandera', 'requests'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_validate_a_valid_example_exits_0():
    result = run("validate", SAMPLE_SHEETS / "mixed_batch_workflow.csv")
    assert result.output == (
        "mixed_batch_workflow.csv: valid: 0 errors, 0 warnings; 4 cases, 8 samples\n"
    )


def test_validate_text_groups_findings_by_case(write_sheet):
    rows = trio_rows()
    rows[1] = rows[1].replace(",F,", ",M,")
    result = run("validate", write_sheet(rows), expect_exit=1)

    assert result.output.splitlines() == [
        "Case FAM-1",
        "  sheet.csv:6: error: Sex: the mother is recorded as male ('M'); set Sex "
        "to 'F' or fix the Relation",
        "",
        "sheet.csv: NOT valid: 1 error, 0 warnings; 1 case, 3 samples",
    ]


def test_validate_json_has_the_documented_shape(write_sheet):
    rows = trio_rows()
    rows[2] = rows[2].replace(",M,", ",X,")
    path = write_sheet(rows)
    result = run("validate", path, "--format", "json", expect_exit=1)

    data = json.loads(result.output)
    assert data["sheet"] == str(path)
    assert (data["valid"], data["cases"], data["errors"], data["warnings"]) == (
        False,
        1,
        1,
        0,
    )
    assert data["findings"][0] == {
        "severity": "error",
        "line": 7,
        "column": "Sex",
        "value": "X",
        "rule": "sex",
        "message": "'X' is not a sex; use M, F or U (or male, female, unknown)",
    }


def test_validate_github_format_annotates_lines(write_sheet):
    rows = trio_rows()
    rows[0] = rows[0].replace("HP:0001250", "0001250")
    path = write_sheet(rows)
    result = run("validate", path, "--format", "github", expect_exit=1)

    first = result.output.splitlines()[0]
    assert first.startswith(
        f"::error file={path},line=5,title=Phenotypes Id%3A hpo-id::"
    )
    assert "'0001250' is not an HPO id" in first


def test_unreadable_sheet_is_one_error_line_and_exit_1(write_sheet):
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", "PLAQUE-é")
    result = run("validate", write_sheet(rows, encoding="cp1252"), expect_exit=1)
    assert result.output.startswith("Error: sheet.csv:5: byte 0xe9")


def test_a_missing_sheet_is_reported_and_the_others_still_checked(tmp_path):
    missing = tmp_path / "nope.csv"
    result = run(
        "validate", missing, SAMPLE_SHEETS / "trio_workflow.csv", expect_exit=1
    )
    assert f"Error: cannot read {missing}: No such file or directory" in result.output
    assert "trio_workflow.csv: valid" in result.output


def test_bad_sizes_option_is_a_usage_error():
    result = run(
        "validate", SAMPLE_SHEETS / "trio_workflow.csv", "--sizes", "one", expect_exit=2
    )
    assert "give whole numbers separated by commas" in result.output


def test_quad_validates_with_size_4_allowed():
    sheet = SAMPLE_SHEETS / "quad_workflow.csv"
    run("validate", sheet, expect_exit=1)
    run("validate", sheet, "--sizes", "1,3,4")


@pytest.mark.parametrize("kind", ["workflow", "batch-upload"])
def test_template_writes_an_empty_sheet_that_reads_back(tmp_path, kind):
    out = tmp_path / "new.csv"
    run("template", "--kind", kind, "-o", out)

    result = run("validate", out, "--format", "json", expect_exit=1)
    findings = json.loads(result.output)["findings"]
    assert [f["rule"] for f in findings] == ["no-samples"]


def test_template_never_overwrites(tmp_path):
    out = tmp_path / "kept.csv"
    out.write_text("precious")
    run("template", "-o", out, expect_exit=2)
    assert out.read_text() == "precious"


def test_plan_into_a_used_folder_leaves_no_case_of_the_earlier_sheet(tmp_path):
    out = tmp_path / "plan"
    run("plan", SAMPLE_SHEETS / "mixed_batch_workflow.csv", "--out", out)
    run("plan", SAMPLE_SHEETS / "trio_workflow.csv", "--out", out)

    assert sorted(p.name for p in (out / "cases").iterdir()) == ["FAM-0201.json"]


def test_lazy_commands_are_listed_with_their_own_short_help():
    import click

    from batchcase.cli import LAZY_COMMANDS

    ctx = click.Context(main)
    for name, (_, listed) in LAZY_COMMANDS.items():
        assert main.get_command(ctx, name).get_short_help_str(70) == listed, name


def test_plan_never_deletes_a_file_it_did_not_write(tmp_path):
    out = tmp_path / "plan"
    (out / "cases").mkdir(parents=True)
    (out / "cases" / "mine.json").write_text("{}")
    run("plan", SAMPLE_SHEETS / "trio_workflow.csv", "--out", out)

    assert (out / "cases" / "mine.json").read_text() == "{}"
