"""The submit, status and sandbox commands, run with click's CliRunner."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from emedgene_fixtures import PASSWORD

from batchcase import plan
from batchcase.cli_submit import sandbox_command, status, submit
from batchcase.sandbox import Sandbox

DATA = Path(__file__).parent / "data"
SHEET = "v02_trio_genome_fastq"
CREDENTIALS = {"EMEDGENE_USERNAME": "lab-user", "EMEDGENE_PASSWORD": PASSWORD}


@pytest.fixture
def sheet(tmp_path, monkeypatch):
    """A copy of the oracle's v02 sheet (its case body is data/trio_case.json)."""
    path = Path(shutil.copy(DATA / f"{SHEET}.csv", tmp_path))
    for name in ("EMEDGENE_TOKEN", "EMEDGENE_API_KEY", "EMEDGENE_HOST"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        yield running


def run(command, args, env=CREDENTIALS, input=None):
    return CliRunner().invoke(command, args, env=env, input=input)


def test_submit_creates_the_case_and_writes_results_like_emedgenes_tool(sheet, sandbox):
    result = run(submit, [str(sheet), "--host", sandbox.url, "--yes"])

    assert result.exit_code == 0, result.output
    assert "1 case(s) to create on" in result.stdout
    assert "FAM-TRIO-02  EMG100000001" in result.stdout
    assert sandbox.bodies == [json.loads((DATA / "trio_case.json").read_text())]
    results = sheet.with_name(f"{SHEET}.results.csv")
    assert results.read_text() == (DATA / f"{SHEET}.results.csv").read_text()
    assert PASSWORD not in result.output


def test_a_refused_dry_run_writes_the_servers_message_in_an_errors_column(
    sheet, sandbox, monkeypatch
):
    build_plan = plan.build_plan

    def rejected_plan(*args, **kwargs):
        built = build_plan(*args, **kwargs)
        built.cases[0].body["test_data"]["type"] = "SIMULATE_SERVER_REJECT"
        return built

    monkeypatch.setattr(plan, "build_plan", rejected_plan)
    result = run(submit, [str(sheet), "--host", sandbox.url, "--yes"])

    assert result.exit_code == 1  # expected failure: the server refused the case
    rows = sheet.with_name(f"{SHEET}.results.csv").read_text().splitlines()
    assert rows[1].startswith("Errors,Family Id,Case Type,")
    assert rows[2].startswith(
        "Emedgene refused the case (HTTP 400): sandbox: simulated rejection "
        "of this case,FAM-TRIO-02,"
    )
    assert rows[3].startswith(",FAM-TRIO-02,") and sandbox.case_count == 0


def test_a_second_submit_creates_nothing_and_asks_nothing(sheet, sandbox):
    run(submit, [str(sheet), "--host", sandbox.url, "--yes"])
    again = run(submit, [str(sheet), "--host", sandbox.url])

    assert again.exit_code == 0, again.output
    assert "0 case(s) to create" in again.stdout
    assert "already case EMG100000001" in again.stdout
    assert sandbox.case_count == 1


def test_declining_the_confirmation_sends_nothing(sheet, sandbox):
    result = run(submit, [str(sheet), "--host", sandbox.url], input="n\n")

    assert result.exit_code == 1  # expected failure: the user said no
    assert "Create these cases? [y/N]" in result.stderr
    assert sandbox.requests == []


def test_credentials_are_asked_for_with_the_password_hidden(sheet, sandbox):
    args = [str(sheet), "--host", sandbox.url, "--yes"]
    result = run(submit, args, env={}, input=f"lab-user\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Emedgene password:" in result.stderr
    assert PASSWORD not in result.output


def test_without_credentials_or_a_terminal_submit_says_what_to_set(sheet, sandbox):
    result = run(submit, [str(sheet), "--host", sandbox.url, "--yes"], env={})

    assert result.exit_code == 1  # expected failure: nothing to log in with
    assert result.stderr.endswith(
        "Error: no Emedgene credentials: set EMEDGENE_USERNAME and "
        "EMEDGENE_PASSWORD, EMEDGENE_TOKEN, or EMEDGENE_API_KEY, or run in a "
        "terminal to be asked\n"
    )
    assert sandbox.requests == []


def test_a_host_that_is_not_a_url_is_an_error_before_any_prompt(sheet):
    result = run(submit, [str(sheet), "--host", "emg.example", "--yes"], env={})

    assert result.exit_code == 1  # expected failure: bad --host
    assert result.stderr == (
        "Error: --host 'emg.example' is not an http:// or https:// URL; "
        "give it like https://<hostname>.emedgene.com\n"
    )


def test_status_shows_each_created_case(sheet, sandbox):
    run(submit, [str(sheet), "--host", sandbox.url, "--yes"])
    sandbox.set_status("EMG100000001", "Delivered")

    result = run(status, [str(sheet), "--host", sandbox.url])

    assert result.exit_code == 0, result.output
    assert result.stdout == "FAM-TRIO-02  EMG100000001  Delivered\n"


def test_status_before_any_submission_says_to_submit_first(sheet, sandbox):
    result = run(status, [str(sheet), "--host", sandbox.url])

    assert result.exit_code == 1  # expected failure: nothing was submitted
    assert "run batchcase submit first, or pass --record" in result.stderr


def test_the_sandbox_reports_a_port_in_use(sandbox):
    port = sandbox.url.rsplit(":", 1)[1]
    result = run(sandbox_command, ["--port", port])

    assert result.exit_code == 1  # expected failure: the port is taken
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(
    "command", [submit, status, sandbox_command], ids=lambda c: c.name
)
def test_every_command_has_help(command):
    result = run(command, ["--help"])
    assert result.exit_code == 0
    assert command.help and command.help.splitlines()[0] in result.stdout
