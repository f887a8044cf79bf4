"""The local Emedgene stand-in, spoken to over plain HTTP."""

import pytest
import requests
from emedgene_fixtures import TOKEN, planned_case

from batchcase.sandbox import Faults, Sandbox

CASES = "/api/cases/v2/cases"


@pytest.fixture
def sandbox():
    with Sandbox(tokens=[TOKEN]) as running:
        yield running


def call(sandbox, method, path, token=TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method, sandbox.url + path, headers=headers, timeout=5, **kwargs
    )


def test_it_listens_on_localhost_only(sandbox):
    assert sandbox.url.startswith("http://127.0.0.1:")


def test_every_call_but_login_needs_a_valid_token(sandbox):
    assert call(sandbox, "GET", "/api/storage/101", token=None).status_code == 401
    assert call(sandbox, "GET", "/api/storage/101", token="forged").status_code == 401
    assert call(sandbox, "GET", "/api/storage/101").status_code == 200


def test_login_gives_a_bearer_token_that_works(sandbox):
    answer = call(
        sandbox,
        "POST",
        "/api/auth/v2/api_login/",
        token=None,
        json={"username": "u", "password": "p"},
    ).json()

    assert answer["token_type"] == "bearer"
    status = call(sandbox, "GET", "/api/storage/1", token=answer["access_token"])
    assert status.status_code == 200


def test_a_configured_password_is_the_only_one_accepted():
    with Sandbox(password="right") as sandbox:
        login = "/api/auth/v2/api_login/"
        wrong = {"username": "u", "password": "wrong"}
        right = {"username": "u", "password": "right"}
        assert call(sandbox, "POST", login, token=None, json=wrong).status_code == 401
        assert call(sandbox, "POST", login, token=None, json=right).status_code == 200


def test_a_token_expires_after_its_requests():
    with Sandbox(Faults(token_ttl=2), tokens=[]) as sandbox:
        key = {"api_key": "k"}
        login = call(sandbox, "POST", "/api/auth/v2/api_key_login/", None, json=key)
        token = login.json()["access_token"]
        codes = [
            call(sandbox, "GET", "/api/storage/1", token).status_code for _ in "abc"
        ]
    assert codes == [200, 200, 401]


def test_a_dry_run_creates_nothing_and_a_post_creates_numbered_cases(sandbox):
    body = planned_case(1).body
    dry = call(sandbox, "POST", CASES, params={"dry_run": "true"}, json=body)
    first = call(sandbox, "POST", CASES, params={"dry_run": "false"}, json=body)
    second = call(sandbox, "POST", CASES, params={"dry_run": "false"}, json=body)

    assert (dry.status_code, dry.json()) == (200, {})
    assert first.status_code == 201
    assert [first.json()["name"], second.json()["name"]] == [
        "EMG100000001",
        "EMG100000002",
    ]
    assert sandbox.case_count == 2 and sandbox.bodies == [body, body]


def test_the_reject_case_type_is_refused_with_a_message(sandbox):
    body = planned_case(1, case_type="SIMULATE_SERVER_REJECT").body
    answer = call(sandbox, "POST", CASES, params={"dry_run": "true"}, json=body)

    assert answer.status_code == 400
    assert answer.json() == {"message": "sandbox: simulated rejection of this case"}


@pytest.mark.parametrize(
    "storage, status, answer",
    [
        ("101", 200, {"id": 101, "scheme": "s3"}),
        ("9001", 200, {"id": 9001, "scheme": "basespace"}),
        ("404", 404, {"message": "sandbox: storage 404 not found"}),
    ],
    ids=["s3", "basespace", "missing"],
)
def test_storage_providers(sandbox, storage, status, answer):
    response = call(sandbox, "GET", f"/api/storage/{storage}")
    assert (response.status_code, response.json()) == (status, answer)


def test_the_basespace_tree_resolves_a_biosample_to_its_fastqs(sandbox):
    path = (
        "/projects/proj-001/biosamples/bs-BS-AUTO-M1/datasets/ds-BS-AUTO-M1"
        "/sequenced files/"
    )
    answer = call(sandbox, "GET", "/api/storage/9001/fs/list", params={"path": path})

    aliases = [r["alias"] for r in answer.json()["resources"]]
    assert aliases == [
        "BS-AUTO-M1_S1_L001_R1_001.fastq.gz",
        "BS-AUTO-M1_S1_L001_R2_001.fastq.gz",
    ]


def test_listing_is_paged(sandbox):
    query = {"path": "/projects/proj-001/biosamples", "from": 1, "size": 1}
    answer = call(sandbox, "GET", "/api/storage/9001/fs/list", params=query).json()

    assert answer["resources"] == [{"name": "bs-BS-AUTO-M1", "alias": "BS-AUTO-M1"}]
    assert answer["has_more"] is True


def test_sample_search_finds_existing_samples_and_created_cases(sandbox):
    call(sandbox, "POST", CASES, params={"dry_run": "false"}, json=planned_case(4).body)

    def search(name):
        return call(sandbox, "GET", "/api/sample/", params={"query": name}).json()

    assert search("EXIST-P1")["hits"] == [
        {"id": "smp-exist-p1", "name": "EXIST-P1", "note": "", "cases": []}
    ]
    assert search("F004-P")["hits"][0]["cases"] == ["EMG100000001"]
    assert search("UNKNOWN") == {"hits": [], "total": 0, "has_more": False}


def test_a_created_case_has_a_status_tests_can_change(sandbox):
    call(sandbox, "POST", CASES, params={"dry_run": "false"}, json=planned_case(1).body)
    sandbox.set_status("EMG100000001", "Delivered")

    answer = call(sandbox, "GET", "/api/test/EMG100000001/")
    assert answer.json() == {"name": "EMG100000001", "status": "Delivered"}
    assert call(sandbox, "GET", "/api/test/EMG999/").status_code == 404


def test_a_dropped_connection_still_creates_the_case():
    with Sandbox(Faults(drop_after_create=1), tokens=[TOKEN]) as sandbox:
        with pytest.raises(requests.ConnectionError):
            call(sandbox, "POST", CASES, json=planned_case(1).body)
        assert sandbox.case_count == 1


def test_server_errors_create_nothing():
    with Sandbox(Faults(server_errors=1), tokens=[TOKEN]) as sandbox:
        answer = call(sandbox, "POST", CASES, json=planned_case(1).body)
        assert answer.status_code == 500 and sandbox.case_count == 0


def test_throttling_answers_429_with_retry_after():
    with Sandbox(Faults(throttle=1, retry_after=7), tokens=[TOKEN]) as sandbox:
        answer = call(sandbox, "POST", CASES, json=planned_case(1).body)
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "7")
        assert sandbox.case_count == 0


def test_a_page_size_cap_makes_listings_page():
    with Sandbox(Faults(page_size=2), tokens=[TOKEN]) as sandbox:
        path = "/api/storage/9001/fs/list"
        query = {"path": "/projects/proj-001/biosamples", "size": 100}
        first = call(sandbox, "GET", path, params={**query, "from": 0}).json()
        last = call(sandbox, "GET", path, params={**query, "from": 2}).json()

    assert [r["alias"] for r in first["resources"]] == ["BS-AUTO-P1", "BS-AUTO-M1"]
    assert first["has_more"] is True
    assert [r["alias"] for r in last["resources"]] == ["BS-AUTO-F1"]
    assert last["has_more"] is False


def test_a_case_is_moved_on_by_hand_through_the_sandbox_only_route(sandbox):
    name = call(sandbox, "POST", CASES, json=planned_case(1).body).json()["name"]
    route = f"/sandbox/cases/{name}/status"

    moved = call(sandbox, "POST", route, token=None, json={"status": "Finalized"})
    assert moved.json() == {"name": name, "status": "Finalized"}
    assert call(sandbox, "GET", f"/api/test/{name}/").json()["status"] == "Finalized"
    assert (
        call(sandbox, "POST", "/sandbox/cases/EMG9/status", json={}).status_code == 400
    )
    missing = call(sandbox, "POST", "/sandbox/cases/EMG9/status", json={"status": "x"})
    assert missing.status_code == 404
