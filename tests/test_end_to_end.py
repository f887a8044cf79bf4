"""The whole job through the real CLI: sheet → validation → cases → HTTP 201.

The sandbox (batchcase's own Emedgene stand-in) runs on 127.0.0.1; every
command is the one a lab types.
"""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SHEETS

from batchcase.cli import main
from batchcase.plan import build_plan
from batchcase.sandbox import Sandbox

PASSWORD = "e2e-pw-Qx7-never-shown"
ENV = {
    "EMEDGENE_USERNAME": "lab@example.invalid",
    "EMEDGENE_PASSWORD": PASSWORD,
    "EMEDGENE_TOKEN": None,
    "EMEDGENE_API_KEY": None,
    "EMEDGENE_HOST": None,
}


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        yield running


def copy(name, tmp_path):
    return shutil.copy(SAMPLE_SHEETS / name, tmp_path / name.split("/")[-1])


def batchcase(*args, expect_exit):
    result = CliRunner().invoke(main, [str(a) for a in args], env=ENV)
    assert result.exit_code == expect_exit, result.output
    assert "Traceback" not in result.output
    return result


def test_mixed_batch_creates_one_case_per_pedigree(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)

    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)

    planned = {case.proband: case.body for case in build_plan(sheet).cases}
    created = {
        case["body"]["test_data"]["patients"]["proband"]["fastq_sample"]: case["body"]
        for case in sandbox.cases
    }
    assert created == planned
    assert len(created) == 4
    assert all(case["name"].startswith("EMG") for case in sandbox.cases)


def test_results_csv_holds_each_case_id_on_its_proband_row(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)

    results = (tmp_path / "mixed_batch_workflow.results.csv").read_text()
    rows = [line.split(",") for line in results.splitlines()[2:]]
    with_ids = {row[1]: row[0] for row in rows if row[0]}
    names = {
        case["body"]["test_data"]["patients"]["proband"]["fastq_sample"]: case["name"]
        for case in sandbox.cases
    }
    assert with_ids == names


def test_rerun_creates_nothing_twice(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)

    assert sandbox.case_count == 4


def test_a_sheet_with_an_error_creates_nothing(tmp_path, sandbox):
    sheet = copy("invalid/parent_sex_and_missing_member.csv", tmp_path)

    result = batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=1)

    assert sandbox.case_count == 0
    assert not [r for r in sandbox.requests if r[0] == "POST" and "cases" in r[1]]
    assert "the mother is recorded as male" in result.output
    assert "nothing sent" in result.output


def test_no_password_in_output_log_record_or_results(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    log = tmp_path / "run.log"

    result = batchcase(
        "-v",
        "--log-file",
        log,
        "submit",
        sheet,
        "--host",
        sandbox.url,
        "--yes",
        expect_exit=0,
    )
    batchcase(
        "-v", "--log-file", log, "status", sheet, "--host", sandbox.url, expect_exit=0
    )

    written = [p for p in tmp_path.iterdir() if p.is_file() and p.suffix != ".csv"]
    written += [tmp_path / "mixed_batch_workflow.results.csv"]
    assert log.read_text()  # the log really was written
    assert sandbox.issued_tokens  # it logged in, so there is a token to leak
    for text in [result.output] + [p.read_text() for p in written]:
        assert PASSWORD not in text
        for token in sandbox.issued_tokens:
            assert token not in text


def test_one_submission_logs_in_once(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)

    logins = [r for r in sandbox.requests if r[1].startswith("/api/auth/")]
    assert len(logins) == 1


def test_refused_sheet_with_a_misspelt_header_keeps_it_in_the_results(
    tmp_path, sandbox
):
    sheet = copy("invalid/header_near_miss.csv", tmp_path)

    result = batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=1)

    assert "did you mean 'Analysis Group'" in result.output
    header = (tmp_path / "header_near_miss.results.csv").read_text().splitlines()[1]
    assert header.startswith("Errors,BioSample Name,")
    assert ",Analysis group," in header  # as the lab wrote it
    assert sandbox.case_count == 0


def test_a_fresh_record_on_the_same_server_creates_no_second_case(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)

    result = batchcase(
        "submit",
        sheet,
        "--host",
        sandbox.url,
        "--yes",
        "--record",
        tmp_path / "another.jsonl",
        expect_exit=1,
    )

    assert sandbox.case_count == 4
    assert "proband LAB-0301 is already in case EMG" in result.output
    assert "Case Id column" in result.output


def test_allow_existing_cases_creates_the_second_case_on_purpose(tmp_path, sandbox):
    sheet = copy("singleton_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)

    batchcase(
        "submit",
        sheet,
        "--host",
        sandbox.url,
        "--yes",
        "--allow-existing-cases",
        "--record",
        tmp_path / "reanalysis.jsonl",
        expect_exit=0,
    )

    assert sandbox.case_count == 2


def test_a_host_that_is_not_a_url_is_refused_before_anything_is_asked(tmp_path):
    sheet = copy("trio_workflow.csv", tmp_path)
    result = batchcase("submit", sheet, "--host", "http://[::1", expect_exit=1)
    assert result.output == (
        "Error: --host 'http://[::1' is not a valid URL (Invalid IPv6 URL)\n"
    )


def test_status_offline_reads_the_record_without_asking_the_server(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)
    asked = len(sandbox.requests)

    result = batchcase("status", sheet, "--offline", expect_exit=0)

    assert len(sandbox.requests) == asked
    for case in sandbox.cases:
        assert case["name"] in result.output


def test_a_refused_rerun_keeps_the_case_ids_of_the_first(tmp_path, sandbox):
    sheet = copy("singleton_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)
    results = tmp_path / "singleton_workflow.results.csv"
    kept = results.read_text()

    path = Path(sheet)
    path.write_text(path.read_text().replace(",proband,F,", ",proband,X,"))
    result = batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=1)

    assert results.read_text() == kept
    errors = (tmp_path / "singleton_workflow.errors.csv").read_text()
    assert "'X' is not a sex" in errors
    assert "singleton_workflow.errors.csv" in result.output


def test_ctrl_c_midway_reports_the_cases_made_and_exits_3(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from batchcase.sandbox import Faults

    sheet = Path(copy("mixed_batch_workflow.csv", tmp_path))
    record = tmp_path / "mixed_batch_workflow.csv.batchcase-record.jsonl"
    env = {**os.environ, **{k: v for k, v in ENV.items() if v}}
    with Sandbox(Faults(latency=0.4)) as sandbox:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "batchcase",
                "submit",
                str(sheet),
                "--host",
                sandbox.url,
                "--yes",
                "--jobs",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        while '"created"' not in (record.read_text() if record.exists() else ""):
            assert time.monotonic() < deadline, "no case was created"
            time.sleep(0.02)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=30)
        made = sandbox.case_count

    assert run.returncode == 3, output
    assert "Interrupted" in output and "Traceback" not in output
    results = (tmp_path / "mixed_batch_workflow.results.csv").read_text()
    assert sum(line.startswith("EMG") for line in results.splitlines()) == made
    assert 1 <= made < 4


def test_status_without_the_record_reads_a_workflow_sheets_results(tmp_path, sandbox):
    sheet = copy("mixed_batch_workflow.csv", tmp_path)
    batchcase("submit", sheet, "--host", sandbox.url, "--yes", expect_exit=0)
    (tmp_path / "mixed_batch_workflow.csv.batchcase-record.jsonl").unlink()

    result = batchcase("status", sheet, "--host", sandbox.url, expect_exit=0)

    for case in sandbox.cases:
        assert case["name"] in result.output
    assert "FAM-0301" in result.output and "LAB-0331" in result.output
