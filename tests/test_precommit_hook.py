"""The pre-commit hook: `batchcase validate` on every staged sheet at once."""

import json
import re
import tomllib

import pytest
from click.testing import CliRunner
from conftest import ROOT, trio_rows

from batchcase.cli import main


def hook() -> dict:
    """The one hook of .pre-commit-hooks.yaml, read as plain `key: value` lines."""
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    items = re.findall(r"^(?:- |  )(\w+): (.*)$", text, re.MULTILINE)
    return {key: value.strip("'\"") for key, value in items}


def run_hook(*files, expect_exit):
    """Run the hook's entry the way pre-commit does: entry words, then file names."""
    words = hook()["entry"].split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert scripts["scripts"][words[0]] == "batchcase.cli:main"

    result = CliRunner().invoke(main, [*words[1:], *[str(f) for f in files]])
    assert result.exit_code == expect_exit, result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    return result


@pytest.fixture
def good_and_bad(write_sheet):
    bad = trio_rows(prefix="B")
    bad[1] = bad[1].replace(",F,", ",M,")
    return write_sheet(trio_rows(), name="good.csv"), write_sheet(bad, name="bad.csv")


def test_the_hook_is_declared_for_pre_commit():
    declared = hook()
    assert declared["id"] == "batchcase-validate"
    assert declared["language"] == "python"
    assert declared["pass_filenames"] == "true"
    files = re.compile(declared["files"])
    assert files.search("batches/2026-12/batch.csv")
    assert not files.search("README.md")


def test_several_good_sheets_pass(good_and_bad, write_sheet):
    good, _ = good_and_bad
    other = write_sheet(trio_rows(prefix="O"), name="other.csv")
    result = run_hook(good, other, expect_exit=0)
    assert result.output.splitlines() == [
        "good.csv: valid: 0 errors, 0 warnings; 1 case, 3 samples",
        "",
        "other.csv: valid: 0 errors, 0 warnings; 1 case, 3 samples",
    ]


def test_one_bad_sheet_fails_the_commit_and_both_are_reported(good_and_bad):
    result = run_hook(*good_and_bad, expect_exit=1)
    assert result.output.splitlines() == [
        "good.csv: valid: 0 errors, 0 warnings; 1 case, 3 samples",
        "",
        "Case FAM-1",
        "  bad.csv:6: error: Sex: the mother is recorded as male ('M'); set Sex "
        "to 'F' or fix the Relation",
        "",
        "bad.csv: NOT valid: 1 error, 0 warnings; 1 case, 3 samples",
    ]


def test_an_unreadable_sheet_does_not_hide_the_others(good_and_bad, write_sheet):
    good, _ = good_and_bad
    rows = trio_rows()
    rows[0] = rows[0].replace("PLATE-1", "PLAQUE-é")
    latin1 = write_sheet(rows, encoding="cp1252", name="latin1.csv")

    result = run_hook(latin1, good, expect_exit=1)
    assert result.stderr.startswith("Error: latin1.csv:5: byte 0xe9")
    assert result.stdout == "good.csv: valid: 0 errors, 0 warnings; 1 case, 3 samples\n"


def test_json_for_several_sheets_is_one_object_per_line(good_and_bad):
    good, bad = good_and_bad
    result = CliRunner().invoke(
        main, ["validate", str(good), str(bad), "--format", "json"]
    )
    assert result.exit_code == 1

    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [(o["sheet"], o["valid"], o["errors"]) for o in objects] == [
        (str(good), True, 0),
        (str(bad), False, 1),
    ]


def test_sample_sheet_takes_one_sheet(good_and_bad, tmp_path):
    run = tmp_path / "SampleSheet.csv"
    run.write_text("[Header]\n")
    args = ["validate", *map(str, good_and_bad), "--sample-sheet", str(run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--sample-sheet and --annotate take one SHEET" in result.output
