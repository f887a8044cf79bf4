"""The mapper against the bodies Emedgene's own batch tool was recorded posting."""

import json
from pathlib import Path

import jsonschema
import pytest

from batchcase.mapper import build_cases
from batchcase.pedigree import group_families
from batchcase.sheet import read_sheet

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ORACLE = SHARED / "oracle"
SCHEMA = ROOT / "schemas" / "case.schema.json"

pytestmark = pytest.mark.skipif(
    not ORACLE.is_dir(),
    reason=f"no oracle recordings at {ORACLE} (shared/ sits beside the work tree)",
)

SHEETS = sorted(ORACLE.glob("inputs/v*.csv")) if ORACLE.is_dir() else []


def recorded_requests(name: str) -> list[dict]:
    path = ORACLE / "requests" / f"{name}.requests.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def posted_bodies(requests, dry_run="false") -> list[dict]:
    """The case bodies the tool posted with the given dry_run, in order."""
    return [
        request["body"]
        for request in requests
        if request["path"].rstrip("/") == "/api/cases/v2/cases"
        and request["query"].get("dry_run") == [dry_run]
    ]


class RecordedServer:
    """A FileResolver answering from the stand-in's recorded responses."""

    def __init__(self, requests):
        self.aliases = {}  # (storage id, folder, name) -> alias or None
        self.samples = {}
        for request in requests:
            if request["path"].endswith("/fs/list"):
                self._add_listing(request)
            elif request["path"] == "/api/sample/":
                hits = request["response_body"]["hits"]
                if hits:
                    self.samples[request["query"]["query"][0]] = hits[0]["id"]

    def _add_listing(self, request):
        storage_id = int(request["path"].split("/")[3])
        folder = request["query"]["path"][0].strip("/")
        for item in request["response_body"]["resources"]:
            key = (storage_id, folder, item["name"])
            if item.get("alias") or key not in self.aliases:
                self.aliases[key] = item.get("alias")

    def _names(self, storage_id, folder):
        return [n for s, f, n in self.aliases if (s, f) == (storage_id, folder)]

    def _child(self, storage_id, folder, alias):
        names = self._names(storage_id, folder)
        return next(n for n in names if self.aliases[storage_id, folder, n] == alias)

    def auto_files(self, storage_id, project, biosample):
        project_id = self._child(storage_id, "projects", project)
        biosamples = f"projects/{project_id}/biosamples"
        datasets = f"{biosamples}/{self._child(storage_id, biosamples, biosample)}"
        datasets += "/datasets"
        files = []
        for dataset in self._names(storage_id, datasets):
            folder = f"{datasets}/{dataset}/sequenced files"
            for name in self._names(storage_id, folder):
                alias = self.aliases[storage_id, folder, name]
                files.append((f"/{folder}/{name}", alias))
        return files

    def file_name(self, storage_id, path):
        folder, name = path.strip("/").rsplit("/", 1)
        return self.aliases[storage_id, folder, name]

    def existing_sample(self, biosample):
        return self.samples[biosample]


def plan(sheet_path, resolver=None):
    sheet = read_sheet(sheet_path)
    return build_cases(sheet, group_families(sheet), resolver)


@pytest.mark.parametrize("sheet_path", SHEETS, ids=lambda path: path.stem)
def test_bodies_equal_the_recorded_posts(sheet_path):
    requests = recorded_requests(sheet_path.stem)
    cases = plan(sheet_path, RecordedServer(requests))

    to_post = [case.body for case in cases if case.existing_case_id is None]
    assert to_post == posted_bodies(requests)


@pytest.mark.parametrize("sheet_path", SHEETS, ids=lambda path: path.stem)
def test_bodies_keep_the_recorded_key_order(sheet_path):
    requests = recorded_requests(sheet_path.stem)
    cases = plan(sheet_path, RecordedServer(requests))

    to_post = [case.body for case in cases if case.existing_case_id is None]
    assert [json.dumps(body) for body in to_post] == [
        json.dumps(body) for body in posted_bodies(requests)
    ]


def test_family_with_a_case_id_is_planned_but_not_posted():
    cases = plan(ORACLE / "inputs" / "v15_case_id_column_skips_done_family.csv")

    assert [(c.family_id, c.existing_case_id) for c in cases] == [
        ("FAM-DONE-15", "EMG000000042"),
        ("FAM-NEW-15", None),
    ]


def test_dry_run_bodies_of_a_refused_batch_equal_the_recorded_ones():
    requests = recorded_requests("x10_server_rejects_dry_run")
    cases = plan(ORACLE / "inputs" / "x10_server_rejects_dry_run.csv")

    assert [case.body for case in cases] == posted_bodies(requests, dry_run="true")


@pytest.mark.parametrize(
    "name",
    ["v13_basespace_auto_and_file_ids", "v14_existing_sample"],
)
def test_offline_plan_marks_the_cases_resolved_at_submit(name):
    cases = plan(ORACLE / "inputs" / f"{name}.csv")

    assert cases
    assert all(case.needs_lookup for case in cases)
    assert all("resolved at submit" in json.dumps(case.body) for case in cases)


# ------------------------------------------------------------- the schema


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def all_recorded_bodies():
    for path in sorted((ORACLE / "requests").glob("*.requests.jsonl")):
        for n, body in enumerate(posted_bodies(recorded_requests(path.name[:-15]))):
            yield pytest.param(body, id=f"{path.name[:-15]}-{n}")


@pytest.mark.parametrize("body", list(all_recorded_bodies()) if SHEETS else [])
def test_schema_accepts_every_recorded_body(validator, body):
    assert list(validator.iter_errors(body)) == []


@pytest.mark.parametrize("sheet_path", SHEETS, ids=lambda path: path.stem)
@pytest.mark.parametrize("online", [True, False], ids=["resolved", "offline"])
def test_schema_accepts_every_built_body(validator, sheet_path, online):
    resolver = RecordedServer(recorded_requests(sheet_path.stem)) if online else None
    for case in plan(sheet_path, resolver):
        assert list(validator.iter_errors(case.body)) == []


def _v02_body():
    return posted_bodies(recorded_requests("v02_trio_genome_fastq"))[0]


def _set(path, value):
    def change(body):
        *parents, last = path
        target = body
        for key in parents:
            target = target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            _set(["test_data", "due_date"], None), id="null-instead-of-absent"
        ),
        pytest.param(
            _set(
                ["test_data", "patients", "proband", "phenotypes", 0], {"id": "0001250"}
            ),
            id="phenotype-id-without-prefix",
        ),
        pytest.param(
            _set(
                ["test_data", "patients", "proband", "phenotypes", 0, "related"], True
            ),
            id="proband-phenotype-marked-related",
        ),
        pytest.param(
            _set(["test_data", "patients", "mother", "phenotypes", 0, "related"], "no"),
            id="related-not-boolean",
        ),
        pytest.param(
            _set(["test_data", "samples", 0, "sampleFiles", 0, "storage_id"], "101"),
            id="storage-id-as-text",
        ),
        pytest.param(
            _set(["test_data", "patients", "father", "gender"], "M"), id="gender-letter"
        ),
        pytest.param(
            _set(["test_data", "gene_list"], {"id": 1, "type": "existing"}),
            id="gene-list-1-is-all",
        ),
    ],
)
def test_schema_rejects_a_body_emedgene_would_not_get(validator, change):
    body = _v02_body()
    change(body)

    assert list(validator.iter_errors(body)) != []
