"""Batch submission against the sandbox: faults, re-runs, crashes and secrets."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from emedgene_fixtures import (
    API_KEY,
    PASSWORD,
    SECRETS,
    TOKEN,
    client_for,
    planned_case,
    planned_cases,
)

from batchcase.errors import ExitCode, SubmissionError
from batchcase.record import read_record
from batchcase.sandbox import Faults, Sandbox
from batchcase.sheet import read_sheet
from batchcase.submit import (
    created_cases,
    fetch_statuses,
    submit_batch,
    write_results_csv,
)

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
DRIVER = Path(__file__).parent / "submit_driver.py"
CASES = "/api/cases/v2/cases"


def proband_of(case: dict) -> str:
    return case["body"]["test_data"]["patients"]["proband"]["fastq_sample"]


def assert_one_case_per_family(sandbox, cases, case_ids):
    """Exactly one case per family on the server, and it is the one reported."""
    holders = Counter(proband_of(case) for case in sandbox.cases)
    assert sandbox.case_count == len(cases)
    assert holders == Counter(case.proband for case in cases)

    by_name = {case["name"]: proband_of(case) for case in sandbox.cases}
    assert {c.family_id: by_name[case_ids[c.family_id]] for c in cases} == {
        c.family_id: c.proband for c in cases
    }


def test_every_case_is_dry_run_before_any_is_created(tmp_path):
    cases = planned_cases(5)
    with Sandbox() as sandbox:
        result = submit_batch(cases, client_for(sandbox), tmp_path / "r.jsonl", jobs=3)

    assert result.exit_code is ExitCode.OK
    posts = [p for m, p in sandbox.requests if p.startswith(CASES)]
    dry = [i for i, p in enumerate(posts) if "dry_run=true" in p]
    real = [i for i, p in enumerate(posts) if "dry_run=false" in p]
    assert len(dry) == len(real) == 5 and max(dry) < min(real)
    assert sorted(map(proband_of, sandbox.cases)) == [c.proband for c in cases]
    assert [case["body"] for case in sandbox.cases if proband_of(case) == "F001-P"] == [
        cases[0].body
    ]


def test_a_case_refused_on_dry_run_means_nothing_is_created(tmp_path):
    cases = planned_cases(3) + [planned_case(4, case_type="SIMULATE_SERVER_REJECT")]
    with Sandbox() as sandbox:
        result = submit_batch(cases, client_for(sandbox), tmp_path / "r.jsonl")
        assert sandbox.case_count == 0

    assert result.exit_code is ExitCode.FAILED
    assert result.families["FAM-004"].error == (
        "Emedgene refused the case (HTTP 400): "
        "sandbox: simulated rejection of this case"
    )
    assert result.families["FAM-001"].error == (
        "not created: another family failed its dry run"
    )


FAULTS = {
    "latency": (Faults(latency=0.05), Counter()),
    "token-expiry": (Faults(token_ttl=4), Counter({"logins": 2})),
    "429-retry-after": (Faults(throttle=3, retry_after=0.1), Counter({"429": 3})),
    "500": (Faults(server_errors=2), Counter({"uncertain": 2})),
    "answer-after-timeout": (
        Faults(slow_after_create=2, slow_seconds=1.0),
        Counter({"uncertain": 2, "adopted": 2}),
    ),
    "connection-closed-after-read": (
        Faults(drop_after_create=2),
        Counter({"uncertain": 2, "adopted": 2}),
    ),
}


@pytest.mark.parametrize("faults, evidence", FAULTS.values(), ids=FAULTS.keys())
def test_each_fault_still_gives_exactly_one_case_per_family(
    tmp_path, caplog, faults, evidence
):
    caplog.set_level(logging.DEBUG)
    cases, record = planned_cases(6), tmp_path / "r.jsonl"
    with Sandbox(faults) as sandbox:
        client = client_for(sandbox, timeout=0.4)
        # An uncertain POST is never resent in its own run: re-running the
        # same command is what finishes the job, as a lab would.
        for _ in range(3):
            result = submit_batch(cases, client, record, jobs=3, settle=0.1)
            if result.exit_code is ExitCode.OK:
                break
        assert_one_case_per_family(sandbox, cases, result.case_ids())

    assert result.exit_code is ExitCode.OK
    events = Counter(json.loads(line)["event"] for line in record.open())
    events["logins"] = [p for m, p in sandbox.requests].count("/api/auth/v2/api_login/")
    events["429"] = len([p for m, p in sandbox.requests if p.startswith(CASES)]) - 12
    assert all(events[name] >= count for name, count in evidence.items()), events
    assert not any(s in caplog.text or s in record.read_text() for s in SECRETS)


def test_a_rerun_after_a_partial_run_creates_nothing_twice(tmp_path):
    cases, record = planned_cases(3), tmp_path / "r.jsonl"
    with Sandbox(Faults(server_errors=2)) as sandbox:
        client = client_for(sandbox)
        first = submit_batch(cases, client, record, jobs=1, settle=0.05)
        second = submit_batch(cases, client, record, jobs=1, settle=0.05)
        third = submit_batch(cases, client, record, jobs=1, settle=0.05)
        assert_one_case_per_family(sandbox, cases, third.case_ids())

    assert first.exit_code is ExitCode.PARTIAL
    assert first.families["FAM-001"].state == "uncertain"
    assert second.exit_code is ExitCode.OK
    assert [r.state for r in second.families.values()] == [
        "created",
        "created",
        "skipped",
    ]
    assert {r.state for r in third.families.values()} == {"skipped"}


def test_a_family_with_a_case_id_in_the_sheet_is_not_posted(tmp_path):
    done = replace(planned_case(1), existing_case_id="EMG000000042")
    with Sandbox() as sandbox:
        result = submit_batch(
            [done, planned_case(2)], client_for(sandbox), tmp_path / "r.jsonl"
        )
        assert [proband_of(case) for case in sandbox.cases] == ["F002-P"]

    assert result.families["FAM-001"].case_id == "EMG000000042"
    assert result.families["FAM-001"].state == "skipped"


def test_an_older_case_of_the_same_proband_is_never_adopted(tmp_path):
    case = planned_case(1)
    with Sandbox(Faults(drop_after_create=2)) as sandbox:
        client = client_for(sandbox)
        with pytest.raises(Exception, match="connection broke"):
            client.create_case(case.body)  # an older case holding the proband
        result = submit_batch(
            [case], client, tmp_path / "r.jsonl", settle=0.05, allow_existing_cases=True
        )
        assert sandbox.case_count == 2

    assert result.families["FAM-001"].state == "adopted"
    assert result.families["FAM-001"].case_id == "EMG100000002"


def test_a_search_that_names_no_cases_leaves_an_uncertain_post_unsent(tmp_path):
    faults = Faults(drop_after_create=1, hide_cases=True)
    with Sandbox(faults) as sandbox:
        client = client_for(sandbox)
        result = submit_batch([planned_case(1)], client, tmp_path / "r.jsonl")
        assert sandbox.case_count == 1

    outcome = result.families["FAM-001"]
    assert (outcome.state, result.exit_code) == ("uncertain", ExitCode.FAILED)
    assert "look for it in Emedgene before re-running" in outcome.error


def test_a_record_of_another_host_is_refused(tmp_path):
    record = tmp_path / "r.jsonl"
    with Sandbox() as sandbox:
        submit_batch([planned_case(1)], client_for(sandbox), record)
    with Sandbox() as other, pytest.raises(SubmissionError) as caught:
        submit_batch([planned_case(2)], client_for(other), record)
    assert str(caught.value) == (
        f"the record {record} holds cases created on {sandbox.url}, not "
        f"{other.url}; pass --record NEW_FILE to keep a separate record"
    )


def test_statuses_of_created_cases_are_fetched_and_recorded(tmp_path):
    record = tmp_path / "r.jsonl"
    with Sandbox() as sandbox:
        client = client_for(sandbox)
        submit_batch(planned_cases(2), client, record, jobs=1)
        sandbox.set_status("EMG100000002", "Delivered")
        statuses = fetch_statuses(client, created_cases(record), record)

    assert sorted((s.family_id, s.case_id, s.status) for s in statuses) == [
        ("FAM-001", "EMG100000001", "In progress"),
        ("FAM-002", "EMG100000002", "Delivered"),
    ]
    assert read_record(record).statuses["EMG100000002"] == "Delivered"


@pytest.mark.parametrize(
    "sheet, case_ids",
    [
        ("v02_trio_genome_fastq", {3: "EMG100000001"}),
        ("v15_case_id_column_skips_done_family", {4: "EMG100000001"}),
    ],
    ids=["new-case-id-column", "existing-case-id-column-moves-first"],
)
def test_the_results_csv_matches_emedgenes_tool(tmp_path, sheet, case_ids):
    source = shutil.copy(DATA / f"{sheet}.csv", tmp_path)
    read = read_sheet(source)

    out = write_results_csv(source, read.columns, read.table, case_ids)

    assert out == tmp_path / f"{sheet}.results.csv"
    assert out.read_text() == (DATA / f"{sheet}.results.csv").read_text()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_an_errors_csv_leaves_an_existing_case_id_column_in_place(tmp_path):
    source = shutil.copy(DATA / "v15_case_id_column_skips_done_family.csv", tmp_path)
    read = read_sheet(source)

    out = write_results_csv(source, read.columns, read.table, {4: "no"}, None, "Errors")

    rows = out.read_text().splitlines()
    assert rows[1].startswith("Errors,Family Id,") and rows[1].endswith(",Case Id")
    assert rows[2].startswith(",FAM-DONE-15,") and rows[2].endswith(",EMG000000042")
    assert rows[3].startswith("no,FAM-NEW-15,")


def test_case_ids_come_from_the_results_csv_when_there_is_no_record(tmp_path):
    results = DATA / "v15_case_id_column_skips_done_family.results.csv"
    assert created_cases(tmp_path / "none.jsonl", results) == {
        "FAM-DONE-15": "EMG000000042",
        "FAM-NEW-15": "EMG100000001",
    }


# -- in separate processes ----------------------------------------------------


def start_driver(tmp_path, cases, record, host, env, *args):
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps([asdict(case) for case in cases]))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMEDGENE_")}
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(cases_file), str(record), host, *args],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, process, deadline=60.0):
    """Poll until `condition()`; fail if the process ends or time runs out."""
    end = time.monotonic() + deadline
    while not condition():
        assert process.poll() is None, "the submission finished before the kill"
        assert time.monotonic() < end, "the submission made no progress"
        time.sleep(0.01)


def test_a_submission_killed_midway_and_rerun_creates_each_case_once(tmp_path):
    cases, record = planned_cases(30), tmp_path / "r.jsonl"
    env = {"EMEDGENE_USERNAME": "lab-user", "EMEDGENE_PASSWORD": PASSWORD}
    with Sandbox(Faults(latency=0.05)) as sandbox:
        killed = start_driver(tmp_path, cases, record, sandbox.url, env)
        wait_for(lambda: sandbox.case_count >= 10, killed)
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
        assert sandbox.case_count < 30

        rerun = start_driver(tmp_path, cases, record, sandbox.url, env)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err[-2000:]
        outcome = json.loads(out)
        case_ids = {family: r["case_id"] for family, r in outcome.items()}
        assert_one_case_per_family(sandbox, cases, case_ids)

    assert read_record(record).case_ids() == case_ids


@pytest.mark.parametrize(
    "env",
    [
        {"EMEDGENE_USERNAME": "lab-user", "EMEDGENE_PASSWORD": PASSWORD},
        {"EMEDGENE_TOKEN": TOKEN},
        {"EMEDGENE_API_KEY": API_KEY},
    ],
    ids=["password", "token", "api-key"],
)
def test_no_secret_reaches_output_logs_record_or_results(tmp_path, env):
    faults = Faults(token_ttl=5, drop_after_create=1, server_errors=1)
    record, results = tmp_path / "r.jsonl", tmp_path / "batch.results.csv"
    with Sandbox(faults, tokens=[TOKEN]) as sandbox:
        out = err = ""
        for _ in range(2):  # the first run leaves uncertain POSTs to a re-run
            run = start_driver(
                tmp_path, planned_cases(4), record, sandbox.url, env, "2", "5", results
            )
            more_out, more_err = run.communicate(timeout=120)
            out, err = out + more_out, err + more_err
        issued = sandbox.issued_tokens

    assert run.returncode == 0, err[-2000:]
    assert "DEBUG" in err and "EMG100000001" in results.read_text()
    written = out + err + record.read_text() + results.read_text()
    leaked = [s for s in (*SECRETS, *issued) if s in written]
    assert leaked == []


def test_a_server_slower_than_the_timeout_gets_no_second_post(tmp_path):
    cases, record = planned_cases(2), tmp_path / "r.jsonl"
    with Sandbox(Faults(latency=0.6)) as sandbox:
        client = client_for(sandbox, timeout=0.2)
        first = submit_batch(cases, client, record, jobs=2, settle=0.05)
        time.sleep(0.8)  # the server finishes the cases it was creating
        second = submit_batch(cases, client, record, jobs=2, settle=0.05)
        assert_one_case_per_family(sandbox, cases, second.case_ids())

    assert {r.state for r in first.families.values()} == {"uncertain"}
    assert {r.state for r in second.families.values()} == {"adopted"}


def test_a_second_submission_on_the_same_record_waits_its_turn(tmp_path):
    import threading

    from batchcase.errors import SubmissionError

    cases, record = planned_cases(4), tmp_path / "r.jsonl"
    with Sandbox(Faults(latency=0.3)) as sandbox:
        first = threading.Thread(
            target=submit_batch, args=(cases, client_for(sandbox), record)
        )
        first.start()
        while not record.exists() or "dry_run_passed" not in record.read_text():
            time.sleep(0.01)  # the first run is under way
        with pytest.raises(SubmissionError, match="another batchcase submit"):
            submit_batch(cases, client_for(sandbox), record)
        first.join()
        assert sandbox.case_count == 4


def test_a_search_that_cannot_name_cases_still_stops_a_second_case(tmp_path):
    cases = planned_cases(2)
    with Sandbox(Faults(hide_cases=True)) as sandbox:
        first = submit_batch(cases, client_for(sandbox), tmp_path / "a.jsonl")
        second = submit_batch(cases, client_for(sandbox), tmp_path / "b.jsonl")
        assert sandbox.case_count == 2

    assert first.exit_code is ExitCode.OK
    assert second.exit_code is ExitCode.FAILED
    assert "the search does not say which case holds it" in (
        second.families["FAM-001"].error
    )
