"""Lookups on the server: auto files, BaseSpace file ids, existing samples.

Everything runs over HTTP against the sandbox on 127.0.0.1, and the batches
through the real `batchcase submit`; the oracle sheets and what Emedgene's
own tool posted for them are in ../shared/oracle.
"""

import csv
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from conftest import ORACLE, needs_oracle
from emedgene_fixtures import PASSWORD, client_for
from test_oracle import posted_bodies, recorded_requests

from batchcase.cli import main
from batchcase.errors import ApiError
from batchcase.lookups import LookupProblem, ServerFileResolver
from batchcase.sandbox import Faults, Sandbox

ENV = {
    "EMEDGENE_USERNAME": "lab-user",
    "EMEDGENE_PASSWORD": PASSWORD,
    "EMEDGENE_TOKEN": None,
    "EMEDGENE_API_KEY": None,
    "EMEDGENE_HOST": None,
}
HEADER = (
    "Family Id,Case Type,Files Names,BioSample Name,Storage Provider Id,"
    "Default Project,Relation,Sex,Phenotypes Id,Clinical Notes"
)


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        yield running


def oracle_sheet(name, tmp_path):
    return Path(shutil.copy(ORACLE / "inputs" / f"{name}.csv", tmp_path))


def submit(sheet, sandbox, *options, expect_exit):
    args = ["submit", str(sheet), "--host", sandbox.url, "--yes", *options]
    result = CliRunner().invoke(main, args, env=ENV)
    assert result.exit_code == expect_exit, result.output
    assert "Traceback" not in result.output
    return result


def gets(sandbox) -> list[tuple[str, dict]]:
    """The sandbox's GET requests as (path, query)."""
    parts = [urlsplit(target) for method, target in sandbox.requests if method == "GET"]
    return [(part.path, parse_qs(part.query)) for part in parts]


def case_posts(sandbox) -> int:
    return sum(1 for method, target in sandbox.requests if "/cases" in target)


# ------------------------------------------------------- the oracle's sheets


@needs_oracle
@pytest.mark.parametrize(
    "name", ["v13_basespace_auto_and_file_ids", "v14_existing_sample"]
)
def test_submit_posts_the_bodies_emedgenes_tool_posted(name, tmp_path, sandbox):
    sheet = oracle_sheet(name, tmp_path)

    submit(sheet, sandbox, "--jobs", "1", expect_exit=0)  # create in sheet order

    assert sandbox.bodies == posted_bodies(recorded_requests(name))
    results = (tmp_path / f"{name}.results.csv").read_text()
    assert results == (ORACLE / "results" / f"{name}.results.csv").read_text()


@needs_oracle
def test_fs_list_pages_are_followed_to_the_end(tmp_path):
    name = "v13_basespace_auto_and_file_ids"
    with Sandbox(Faults(page_size=1)) as sandbox:
        submit(oracle_sheet(name, tmp_path), sandbox, "--jobs", "1", expect_exit=0)

    assert sandbox.bodies == posted_bodies(recorded_requests(name))
    biosamples = [
        query["from"]
        for path, query in gets(sandbox)
        if query.get("path") == ["/projects/proj-001/biosamples"]
    ]
    assert biosamples == [["0"], ["1"], ["2"]]


def test_the_last_biosample_of_a_paged_listing_is_found():
    with Sandbox(Faults(page_size=1)) as sandbox, client_for(sandbox) as client:
        files = ServerFileResolver(client).auto_files(
            9001, "OracleProject", "BS-AUTO-F1"
        )

    folder = "/projects/proj-001/biosamples/bs-BS-AUTO-F1/datasets/ds-BS-AUTO-F1"
    assert files == [
        (
            f"{folder}/sequenced files/fid-BS-AUTO-F1-R1",
            "BS-AUTO-F1_S1_L001_R1_001.fastq.gz",
        ),
        (
            f"{folder}/sequenced files/fid-BS-AUTO-F1-R2",
            "BS-AUTO-F1_S1_L001_R2_001.fastq.gz",
        ),
    ]


# ------------------------------------------------------------ refused sheets

X11_MESSAGE = (
    "BioSample Name 'NOPE-X11' is not an existing sample: Emedgene has no FASTQ "
    "sample of that name; check the name, or list the sample's files instead of "
    "existing"
)
X12_MESSAGE = (
    "Emedgene does not know storage provider 404 (HTTP 404: sandbox: storage 404 "
    "not found); give the id of a storage provider set up on this Emedgene account"
)
X14A_MESSAGE = (
    "storage provider 101 is s3 storage, not basespace; Files Names auto finds "
    "files in BaseSpace only: give a BaseSpace storage provider, or list the "
    "sample's files instead of auto"
)
X14C_MESSAGE = (
    "no sample files found: BaseSpace project 'OracleProject' (storage provider "
    "9001) has no biosample 'NOT-IN-PROJECT'; check BioSample Name and Default "
    "Project as BaseSpace names them, or list the files instead of auto"
)


def without_line(path, line):
    """Drop one file line from a sheet (x14's B row is refused before lookups)."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: line - 1] + lines[line:]))
    return path


@needs_oracle
@pytest.mark.parametrize(
    "name, drop, expected",
    [
        pytest.param(
            "x11_existing_sample_not_found",
            None,
            [(3, "BioSample Name", X11_MESSAGE)],
            id="x11-existing-unknown",
        ),
        pytest.param(
            "x12_storage_not_found_on_server",
            None,
            [(3, "Storage Provider Id", X12_MESSAGE)],
            id="x12-storage-404",
        ),
        pytest.param(
            "x14_auto_files_problems",
            4,
            [
                (3, "Storage Provider Id", X14A_MESSAGE),
                (4, "BioSample Name", X14C_MESSAGE),
            ],
            id="x14-A-and-C",
        ),
    ],
)
def test_failed_lookups_refuse_the_batch_on_the_right_line(
    name, drop, expected, tmp_path, sandbox
):
    sheet = oracle_sheet(name, tmp_path)
    if drop:
        without_line(sheet, drop)

    result = submit(sheet, sandbox, expect_exit=1)  # expected failure: refused

    for line, column, message in expected:
        assert f"{name}.csv:{line}: error: {column}: {message}\n" in result.stderr
    assert result.stderr.endswith(
        f"Error: {name}.csv has {len(expected)} error(s); nothing created "
        f"(see {tmp_path / name}.results.csv)\n"
    )
    assert sandbox.case_count == 0 and case_posts(sandbox) == 0

    with open(tmp_path / f"{name}.results.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[1][:2] == ["Errors", "Family Id"]
    for line, column, message in expected:
        assert rows[line - 1][0] == f"{column}: {message}"


@needs_oracle
def test_x14_is_refused_before_anything_is_sent(tmp_path, sandbox):
    sheet = oracle_sheet("x14_auto_files_problems", tmp_path)

    result = submit(sheet, sandbox, expect_exit=1)  # expected failure: B row

    assert "x14_auto_files_problems.csv:4: error: Default Project:" in result.stderr
    assert "nothing sent" in result.stderr
    assert sandbox.requests == []


def write_sheet(tmp_path, *rows, name="batch.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(
        ("[Data]\n" + HEADER + "\n" + "\n".join(rows) + "\n").encode(encoding)
    )
    return path


@pytest.mark.parametrize(
    "files, storage, column, message",
    [
        pytest.param(
            "/bsfiles/run42/fileid-0009",
            "9001",
            "Files Names",
            "'/bsfiles/run42/fileid-0009' has no extension, so it is read as a "
            "BaseSpace file id, but folder 'bsfiles/run42' of storage provider 9001 "
            "has no named file 'fileid-0009'; check the id, or write the file's "
            "full name",
            id="file-id-unknown",
        ),
        pytest.param(
            "/bsfiles/run42/fileid-0001",
            "101",
            "Files Names",
            "storage provider 101 is s3 storage, not basespace; "
            "'/bsfiles/run42/fileid-0001' has no extension, so it is read as a "
            "BaseSpace file id: write the file's full name (with .fastq.gz), or "
            "give a BaseSpace storage provider",
            id="file-id-not-on-basespace",
        ),
    ],
)
def test_a_bad_basespace_file_id_is_a_finding_on_its_row(
    files, storage, column, message, tmp_path, sandbox
):
    sheet = write_sheet(
        tmp_path,
        "FAM-1,Exome,auto,BS-AUTO-P1,9001,OracleProject,proband,F,HP:0001250,",
        f"FAM-2,Exome,{files},BSID-P1,{storage},,proband,M,HP:0001263,",
    )

    result = submit(sheet, sandbox, expect_exit=1)  # expected failure: bad id

    assert f"batch.csv:4: error: {column}: {message}\n" in result.stderr
    assert "batch.csv:3:" not in result.stderr
    assert sandbox.case_count == 0


# ---------------------------------------------------------------- caching


def test_each_storage_folder_and_sample_is_asked_for_once(tmp_path, sandbox):
    sheet = write_sheet(
        tmp_path,
        "FAM-1,Exome,auto,BS-AUTO-P1,9001,OracleProject,proband,F,HP:0001250,",
        "FAM-1,Exome,existing,EXIST-M1,,,mother,F,,",
        "FAM-2,Exome,auto,BS-AUTO-M1,9001,OracleProject,proband,F,HP:0001250,",
        "FAM-2,Exome,existing,EXIST-M1,,,mother,F,,",
        "FAM-3,Exome,auto,BS-AUTO-F1,9001,OracleProject,proband,M,HP:0001250,",
        "FAM-4,Exome,/bsfiles/run42/fileid-0001,BSID-P1,9001,,proband,M,HP:0001250,",
    )

    submit(sheet, sandbox, expect_exit=0)

    asked = Counter(
        (path, tuple(query.get("path", query.get("query", []))))
        for path, query in gets(sandbox)
    )
    assert asked[("/api/storage/9001", ())] == 1
    assert asked[("/api/sample/", ("EXIST-M1",))] == 1
    assert asked[("/api/storage/9001/fs/list", ("/projects",))] == 1
    assert max(asked.values()) == 1
    assert sandbox.case_count == 4


@needs_oracle
def test_a_rerun_looks_nothing_up_for_families_with_a_case(tmp_path, sandbox):
    sheet = oracle_sheet("v14_existing_sample", tmp_path)
    submit(sheet, sandbox, expect_exit=0)
    sent = len(sandbox.requests)

    submit(sheet, sandbox, expect_exit=0)

    assert len(sandbox.requests) == sent
    assert sandbox.case_count == 1


def test_a_failed_lookup_is_asked_once_and_raised_each_time(sandbox):
    with client_for(sandbox) as client:
        resolver = ServerFileResolver(client)
        for _ in range(3):
            with pytest.raises(LookupProblem, match="storage provider 404"):
                resolver.storage_scheme(404)

    assert [path for path, _ in gets(sandbox)] == ["/api/storage/404"]


def test_a_server_that_cannot_answer_stops_the_batch_rather_than_blame_a_row():
    with Sandbox() as stopped:
        pass
    with client_for(stopped, token="ready") as client:
        resolver = ServerFileResolver(client)
        with pytest.raises(ApiError, match="cannot reach") as raised:
            resolver.storage_scheme(9001)

    assert not isinstance(raised.value, LookupProblem)


# --------------------------------------------------- options and secrets


def test_submit_reads_the_sheet_in_the_encoding_given(tmp_path, sandbox):
    sheet = write_sheet(
        tmp_path,
        "FAM-1,Exome,existing,EXIST-P1,,,proband,F,HP:0001250,Café au lait spots",
        encoding="cp1252",
    )

    submit(sheet, sandbox, "--encoding", "cp1252", expect_exit=0)

    assert sandbox.bodies[0]["test_data"]["notes"] == "Café au lait spots"
    assert sandbox.bodies[0]["test_data"]["samples"] == [
        {"id": "smp-exist-p1", "fastq": "EXIST-P1"}
    ]


@needs_oracle
def test_no_password_or_token_in_output_results_or_record(tmp_path, sandbox):
    sheet = oracle_sheet("v13_basespace_auto_and_file_ids", tmp_path)
    result = submit(sheet, sandbox, expect_exit=0)
    refused = oracle_sheet("x11_existing_sample_not_found", tmp_path)
    refusal = submit(refused, sandbox, expect_exit=1)  # expected failure

    written = [path.read_text() for path in tmp_path.iterdir() if path.is_file()]
    for text in [result.output, refusal.output, *written]:
        assert PASSWORD not in text
        assert "sbx-" not in text  # the sandbox's tokens all start so
