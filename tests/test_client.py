"""The Emedgene client against real HTTP servers on 127.0.0.1."""

import json
import socket

import pytest
from emedgene_fixtures import (
    API_KEY,
    FAST_RETRY,
    PASSWORD,
    TOKEN,
    client_for,
    planned_case,
)
from werkzeug import Response

from batchcase.client import (
    Credentials,
    EmedgeneClient,
    RetryPolicy,
    _retry_after_seconds,
)
from batchcase.errors import ApiError, AuthError, ConfigError, UncertainError
from batchcase.sandbox import Faults, Sandbox

LOGIN = "/api/auth/v2/api_login/"
CASES = "/api/cases/v2/cases"
BODY = {"test_data": {"type": "Exome", "samples": []}}


def http_client(httpserver, credentials=None, **options):
    credentials = credentials or Credentials(token=TOKEN)
    options.setdefault("retry", FAST_RETRY)
    return EmedgeneClient(httpserver.url_for("/"), credentials, **options)


def test_password_login_sends_the_token_type_and_token(httpserver):
    httpserver.expect_request(
        LOGIN, method="POST", json={"username": "lab-user", "password": PASSWORD}
    ).respond_with_json({"access_token": "abc123", "token_type": "bearer"})
    httpserver.expect_request(
        "/api/storage/101", headers={"Authorization": "bearer abc123"}
    ).respond_with_json({"id": 101, "scheme": "s3"})
    client = http_client(httpserver, Credentials("lab-user", password=PASSWORD))

    assert client.storage(101) == {"id": 101, "scheme": "s3"}


def test_a_ready_token_is_sent_as_bearer_without_a_login(httpserver):
    httpserver.expect_request(
        "/api/storage/101", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"id": 101, "scheme": "s3"})

    assert http_client(httpserver).storage(101)["scheme"] == "s3"
    assert [r.path for r, _ in httpserver.log] == ["/api/storage/101"]


@pytest.mark.parametrize(
    "path, expected",
    [(None, "/api/auth/v2/api_key_login/"), ("/custom/key/", "/custom/key/")],
    ids=["default-path", "configured-path"],
)
def test_an_api_key_is_exchanged_for_a_token(httpserver, path, expected):
    httpserver.expect_request(
        expected, method="POST", json={"api_key": API_KEY}
    ).respond_with_json({"access_token": "k-token", "token_type": "Bearer"})
    httpserver.expect_request(
        "/api/test/EMG1/", headers={"Authorization": "Bearer k-token"}
    ).respond_with_json({"name": "EMG1", "status": "Delivered"})
    options = {"api_key_path": path} if path else {}
    client = http_client(httpserver, Credentials(api_key=API_KEY), **options)

    assert client.get_case("EMG1")["status"] == "Delivered"


@pytest.mark.parametrize(
    "host",
    ["ftp://emg.example", "file:///etc/passwd", "emg.example", "http://", ""],
    ids=["ftp", "file", "no-scheme", "no-host", "empty"],
)
def test_a_host_that_is_not_http_is_refused(host):
    with pytest.raises(ConfigError) as caught:
        EmedgeneClient(host, Credentials(token=TOKEN))
    assert str(caught.value) == (
        f"--host {host!r} is not an http:// or https:// URL; "
        "give it like https://<hostname>.emedgene.com"
    )


def test_a_host_with_credentials_in_it_is_refused():
    with pytest.raises(ConfigError, match="must not hold a username or password"):
        EmedgeneClient(f"https://u:{PASSWORD}@emg.example", Credentials(token=TOKEN))


def test_secrets_stay_out_of_reprs():
    credentials = Credentials("lab-user", password=PASSWORD, api_key=API_KEY)
    client = EmedgeneClient("https://emg.example", Credentials(token=TOKEN))

    for text in (repr(credentials), repr(client)):
        assert PASSWORD not in text and API_KEY not in text and TOKEN not in text
    assert repr(client) == "EmedgeneClient(host='https://emg.example', auth='token')"


def test_a_wrong_password_is_an_auth_error_without_the_password(httpserver):
    httpserver.expect_request(LOGIN).respond_with_json(
        {"message": "bad credentials"}, status=401
    )
    client = http_client(httpserver, Credentials("lab-user", password=PASSWORD))

    with pytest.raises(AuthError) as caught:
        client.storage(101)
    assert str(caught.value) == (
        "Emedgene refused the username and password (HTTP 401: bad credentials)"
    )


def test_a_refused_token_logs_in_again_once_and_resends():
    with Sandbox(Faults(token_ttl=2)) as sandbox:
        client = client_for(sandbox)
        for _ in range(3):
            client.storage(101)

    logins = [p for m, p in sandbox.requests if p == LOGIN]
    lookups = [p for m, p in sandbox.requests if p == "/api/storage/101"]
    assert (len(logins), len(lookups)) == (2, 4)  # one refused lookup, resent


def test_a_second_refusal_after_a_fresh_login_is_an_auth_error(httpserver):
    httpserver.expect_request(LOGIN).respond_with_json(
        {"access_token": "abc", "token_type": "bearer"}
    )
    httpserver.expect_request("/api/storage/7").respond_with_json(
        {"message": "forbidden"}, status=403
    )
    client = http_client(httpserver, Credentials("lab-user", password=PASSWORD))

    with pytest.raises(AuthError) as caught:
        client.storage(7)
    assert str(caught.value) == (
        "Emedgene refused GET /api/storage/7 twice (HTTP 403: forbidden), even "
        "after a fresh login; check the account's permissions"
    )
    assert [r.path for r, _ in httpserver.log].count(LOGIN) == 2


def test_a_refused_ready_token_asks_for_a_new_one(httpserver):
    httpserver.expect_request("/api/storage/7").respond_with_json({}, status=401)

    with pytest.raises(AuthError, match="set a fresh one in EMEDGENE_TOKEN"):
        http_client(httpserver).storage(7)


def test_a_lookup_is_retried_after_a_server_error(httpserver):
    httpserver.expect_oneshot_request("/api/storage/7").respond_with_json(
        {"message": "busy"}, status=503
    )
    httpserver.expect_request("/api/storage/7").respond_with_json({"id": 7})

    assert http_client(httpserver).storage(7) == {"id": 7}


def test_a_lookup_gives_up_after_the_attempts_with_the_server_message(httpserver):
    httpserver.expect_request("/api/storage/7").respond_with_json(
        {"message": "down for maintenance"}, status=503
    )

    with pytest.raises(ApiError) as caught:
        http_client(httpserver).storage(7)
    assert str(caught.value) == "storage lookup failed (HTTP 503): down for maintenance"
    assert len(httpserver.log) == FAST_RETRY.attempts


def test_a_case_refused_by_the_server_carries_its_message(httpserver):
    httpserver.expect_request(CASES, method="POST").respond_with_json(
        {"message": "unknown gene list 77"}, status=400
    )

    with pytest.raises(ApiError) as caught:
        http_client(httpserver).create_case(BODY, dry_run=True)
    assert type(caught.value) is ApiError
    assert caught.value.response_message == "unknown gene list 77"


@pytest.mark.parametrize("status", [500, 502, 504], ids=str)
def test_a_case_post_answered_5xx_is_uncertain_and_not_resent(httpserver, status):
    httpserver.expect_request(CASES, method="POST").respond_with_json({}, status)

    with pytest.raises(UncertainError):
        http_client(httpserver).create_case(BODY)
    assert len(httpserver.log) == 1


def test_a_case_post_with_no_answer_in_time_is_uncertain_and_not_resent():
    faults = Faults(slow_after_create=1, slow_seconds=1.0)
    with Sandbox(faults) as sandbox:
        client = client_for(sandbox, timeout=0.3)
        with pytest.raises(UncertainError, match="read timeout"):
            client.create_case(BODY)
        assert sandbox.case_count == 1


def test_a_case_post_whose_connection_broke_is_uncertain_and_not_resent():
    with Sandbox(Faults(drop_after_create=1)) as sandbox:
        with pytest.raises(UncertainError, match="connection broke"):
            client_for(sandbox).create_case(BODY)
        assert sandbox.case_count == 1


def test_a_429_is_retried_after_the_time_the_server_asks_for():
    with Sandbox(Faults(throttle=2, retry_after=0.1)) as sandbox:
        assert client_for(sandbox).create_case(BODY) == "EMG100000001"
        assert sandbox.case_count == 1
    case_posts = [p for m, p in sandbox.requests if p.startswith(CASES)]
    assert len(case_posts) == 3


@pytest.mark.parametrize(
    "value, seconds",
    [("3", 3.0), ("0.5", 0.5), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("", None)],
    ids=["seconds", "fraction", "date-in-the-past", "absent"],
)
def test_retry_after_is_read_as_seconds_or_a_date(value, seconds):
    assert _retry_after_seconds(value) == seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_case_post_that_never_connected_is_a_plain_error_not_uncertain():
    client = EmedgeneClient(
        f"http://127.0.0.1:{free_port()}",
        Credentials(token=TOKEN),
        retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01),
    )
    with pytest.raises(ApiError) as caught:
        client.create_case(BODY)
    assert type(caught.value) is ApiError
    assert "cannot reach http://127.0.0.1:" in str(caught.value)


def test_listing_follows_pages_until_has_more_is_false():
    with Sandbox() as sandbox:
        sandbox.tree["big"] = [{"name": f"f{n}"} for n in range(250)]
        names = [r["name"] for r in client_for(sandbox).fs_list(9001, "/big")]

    assert names == [f"f{n}" for n in range(250)]
    pages = [p for m, p in sandbox.requests if "fs/list" in p]
    assert len(pages) == 3


def test_listing_stops_on_an_empty_page_even_if_has_more_says_otherwise(httpserver):
    def page(request):
        start = int(request.args["from"])
        items = [{"name": "only"}] if start == 0 else []
        return Response(json.dumps({"resources": items, "has_more": True}))

    httpserver.expect_request("/api/storage/1/fs/list").respond_with_handler(page)

    assert http_client(httpserver).fs_list(1, "/projects") == [{"name": "only"}]
    assert len(httpserver.log) == 2


def test_sample_search_pages_by_total_when_has_more_is_absent(httpserver):
    def page(request):
        start = int(request.args["from"])
        hits = [{"id": f"s{start}", "name": "X"}] if start < 2 else []
        return Response(json.dumps({"total": 2, "hits": hits}))

    httpserver.expect_request("/api/sample/").respond_with_handler(page)

    hits = http_client(httpserver).find_samples("X")
    assert [h["id"] for h in hits] == ["s0", "s1"]


def test_a_login_the_server_fails_is_not_called_a_wrong_password(httpserver):
    httpserver.expect_request(LOGIN).respond_with_json({"message": "oops"}, 500)
    client = http_client(httpserver, Credentials("lab-user", password=PASSWORD))

    with pytest.raises(ApiError) as caught:
        client.login()
    assert type(caught.value) is ApiError
    assert str(caught.value) == "login failed (HTTP 500): oops"


def test_a_case_export_comes_back_as_bytes_with_its_content_type():
    with Sandbox() as sandbox, client_for(sandbox) as client:
        case_id = client.create_case(planned_case(1).body)
        with pytest.raises(ApiError) as caught:
            client.export_case(case_id)
        sandbox.set_status(case_id, "Finalized")
        data, content_type = client.export_case(case_id)

    assert str(caught.value) == (
        f"export of case {case_id} failed (HTTP 409): case {case_id} is not finalized"
    )
    assert content_type == "application/json"
    assert json.loads(data)["name"] == case_id


def test_plain_http_to_a_remote_host_is_refused():
    with pytest.raises(ConfigError, match="would send the password unencrypted"):
        EmedgeneClient("http://lab.emedgene.example", Credentials(token=TOKEN))


def test_a_credential_with_a_line_break_names_the_variable_not_the_value():
    secret = "tok-with-newline-Zq8"
    with pytest.raises(ConfigError) as caught:
        Credentials.from_env({"EMEDGENE_TOKEN": secret + "\nmore"})
    assert "EMEDGENE_TOKEN holds a line break" in str(caught.value)
    assert secret not in str(caught.value)


def test_a_credential_pasted_with_a_trailing_newline_is_trimmed():
    credentials = Credentials.from_env({"EMEDGENE_TOKEN": TOKEN + "\n"})
    assert credentials == Credentials(token=TOKEN)
