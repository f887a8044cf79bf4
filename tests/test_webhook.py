"""The webhook receiver over real HTTP on 127.0.0.1, served by waitress."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from emedgene_fixtures import client_for, planned_case

from batchcase.cli_listen import events, listen
from batchcase.errors import ConfigError
from batchcase.listener import Listener
from batchcase.record import Record, read_record
from batchcase.sandbox import Sandbox
from batchcase.webhook import WebhookConfig, event_key, make_app

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec-Zq8-never-shown"
HEADER = "X-Emedgene-Secret"
CASES = ("EMG100000001", "EMG100000002", "EMG100000003")


def write_record(path: Path, cases=CASES, host="http://127.0.0.1:9") -> Path:
    """A record of a submission that created `cases`, one family each."""
    with Record(path) as record:
        record.write("started", host=host, families=len(cases))
        for number, case_id in enumerate(cases, start=1):
            record.write("created", family=f"FAM-{number:03d}", case_id=case_id)
    return path


@pytest.fixture
def record(tmp_path) -> Path:
    return write_record(tmp_path / "batch.csv.batchcase-record.jsonl")


def serve(record: Path, client=None, **options) -> Listener:
    config = WebhookConfig(record=record, secret=SECRET, **options)
    return Listener(make_app(config, client), port=0, threads=8)


@pytest.fixture
def listener(record):
    with serve(record) as running:
        yield running


def post(url, event=None, secret=SECRET, data=None, session=requests, **headers):
    if secret is not None:
        headers[HEADER] = secret
    if data is None:
        data = json.dumps(event).encode()
    return session.post(url, data=data, headers=headers, timeout=10)


def stored(record: Path) -> list[dict]:
    path = record.with_name("batch.csv.batchcase-events.jsonl")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def status_lines(record: Path) -> list[dict]:
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    return [line for line in lines if line["event"] == "status"]


def test_a_good_event_is_stored_as_sent_and_applied_to_the_record(listener, record):
    event = {"caseId": CASES[0], "status": "Delivered", "extra": {"by": "x"}}
    answer = post(listener.url, event)

    assert answer.status_code == 200
    assert answer.json() == {
        "stored": True,
        "applied": True,
        "duplicate": False,
        "note": "",
    }
    [line] = stored(record)
    assert line["body"] == event
    assert (line["case_id"], line["status"], line["applied"]) == (
        CASES[0],
        "Delivered",
        True,
    )
    assert read_record(record).statuses == {CASES[0]: "Delivered"}
    assert status_lines(record)[0]["source"] == "webhook"


@pytest.mark.parametrize(
    "event, case_id, status",
    [
        ({"case": {"id": CASES[1], "status": "Uploading"}}, CASES[1], "Uploading"),
        ({"test_id": CASES[2], "new_status": "In progress"}, CASES[2], "In progress"),
        ({"name": CASES[0], "status": "Lab review"}, CASES[0], "Lab review"),
    ],
    ids=["nested-case", "test-id-new-status", "name-custom-status"],
)
def test_the_case_and_status_are_found_by_the_default_fields(
    listener, record, event, case_id, status
):
    assert post(listener.url, event).json()["applied"] is True
    assert read_record(record).statuses == {case_id: status}


def test_configured_fields_are_tried_in_their_order(record):
    fields = {"case_fields": ("data.case",), "status_fields": ("data.state",)}
    with serve(record, **fields) as listener:
        event = {"case_id": "WRONG", "data": {"case": CASES[1], "state": "Finalized"}}
        assert post(listener.url, event).json()["applied"] is True

    assert read_record(record).statuses == {CASES[1]: "Finalized"}


@pytest.mark.parametrize(
    "event, note",
    [
        ({"caseId": "EMG999", "status": "Delivered"}, "not a case of this record"),
        ({"ping": True}, "no case id or no status found; see --case-field"),
        (
            {"caseId": CASES[0] + "\nINFO: forged", "status": "Delivered"},
            "no case id or no status found; see --case-field",
        ),
    ],
    ids=["other-case", "no-case-id", "line-break-in-case-id"],
)
def test_an_event_that_cannot_be_applied_is_kept_but_changes_no_case(
    listener, record, event, note
):
    answer = post(listener.url, event)

    assert answer.status_code == 200
    assert answer.json()["note"] == note
    assert [line["body"] for line in stored(record)] == [event]
    assert status_lines(record) == []


def raw_request(url: str, head: str, body: bytes = b"") -> bytes:
    """Send a hand-made request; the first line of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        return sock.makefile("rb").readline()


GOOD = {"caseId": CASES[0], "status": "Delivered"}


@pytest.mark.parametrize(
    "send, expected",
    [
        (lambda url: post(url, GOOD, secret="whsec-Zq8-never-showN"), 401),
        (lambda url: post(url, GOOD, secret=None), 401),
        (lambda url: post(url, GOOD, secret=""), 401),
        (lambda url: post(url, data=b"{not json"), 400),
        (lambda url: post(url, data=b"\xff\xfe"), 400),
        (lambda url: post(url, ["caseId", CASES[0]]), 400),
        (lambda url: post(url, data=b""), 400),
        (lambda url: post(url, data=b"[" * 30000 + b"]" * 30000), 400),
        (lambda url: post(url, data=b'{"caseId": "EMG1", "status": "\\ud800"}'), 400),
        (lambda url: post(url, data=b'{"caseId": "EMG1", "x": NaN}'), 400),
        (lambda url: post(url, data=b" " * (64 * 1024 + 1)), 413),
        (lambda url: post(url, data=iter([b" " * 40_000] * 2)), 413),
        (lambda url: requests.get(url, headers={HEADER: SECRET}, timeout=5), 405),
        (lambda url: requests.put(url, json=GOOD, timeout=5), 405),
    ],
    ids=[
        "forged-secret",
        "no-secret",
        "empty-secret",
        "bad-json",
        "not-utf8",
        "json-list",
        "empty-body",
        "deeply-nested",
        "lone-surrogate",
        "nan",
        "over-the-limit",
        "over-the-limit-chunked",
        "get",
        "put",
    ],
)
def test_a_bad_request_is_refused_and_stores_nothing(listener, record, send, expected):
    answer = send(listener.url)

    assert answer.status_code == expected  # expected refusal
    assert stored(record) == [] and status_lines(record) == []
    assert SECRET not in answer.text


def test_a_huge_declared_body_is_refused_before_it_is_sent(listener, record):
    head = (
        f"POST / HTTP/1.1\r\nHost: x\r\n{HEADER}: {SECRET}\r\n"
        "Content-Length: 10000000000"
    )
    assert raw_request(listener.url, head).startswith(b"HTTP/1.1 413")
    assert stored(record) == []


def test_the_app_refuses_a_body_over_its_limit_whatever_the_server(record):
    """Mounted in another server, the app checks Content-Length and what it reads."""
    app = make_app(WebhookConfig(record=record, secret=SECRET, max_body=10))
    answers = []

    def call(length, body):
        environ = {
            "REQUEST_METHOD": "POST",
            "HTTP_X_EMEDGENE_SECRET": SECRET,
            "CONTENT_LENGTH": length,
            "wsgi.input": __import__("io").BytesIO(body),
            "wsgi.input_terminated": True,
        }
        app(environ, lambda status, headers: answers.append(status))

    call("11", b"{}")
    call("", b'{"a": "more than ten"}')
    call("", b"{}")
    app.close()
    assert answers == ["413 Content Too Large"] * 2 + ["200 OK"]


def test_a_redelivered_event_changes_nothing(listener, record):
    first = {"caseId": CASES[0], "status": "Delivered", "at": "2026-12-04T10:00"}
    assert post(listener.url, first).json()["duplicate"] is False
    again = post(listener.url, dict(reversed(first.items())))

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert len(stored(record)) == 1 and len(status_lines(record)) == 1


def test_an_event_id_recognises_a_redelivery_whose_body_differs(listener, record):
    event = {"event_id": "ev-1", "caseId": CASES[0], "status": "Delivered"}
    post(listener.url, {**event, "attempt": 1})
    assert post(listener.url, {**event, "attempt": 2}).json()["duplicate"] is True

    assert len(stored(record)) == 1
    assert stored(record)[0]["key"] == "id:ev-1"
    assert event_key({"a": 1, "b": 2}, ()) == event_key({"b": 2, "a": 1}, ())


def test_concurrent_events_are_each_stored_exactly_once(listener, record):
    """200 distinct events, each sent twice, from 8 threads at once."""
    statuses = [f"Custom {n:03d}" for n in range(200)]
    events_sent = [
        {"event_id": f"ev-{n}", "caseId": CASES[n % 3], "status": status}
        for n, status in enumerate(statuses)
    ]
    local = threading.local()

    def send(event):
        local.session = getattr(local, "session", None) or requests.Session()
        return post(listener.url, event, session=local.session).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, events_sent * 2))

    assert codes == [200] * 400
    keys = [line["key"] for line in stored(record)]
    assert sorted(keys) == sorted(f"id:ev-{n}" for n in range(200))
    assert len(status_lines(record)) == 200


def wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        yield running


def created_in(sandbox, tmp_path, count=1) -> tuple[Path, list[str]]:
    """Cases created on the sandbox, and a record that holds them."""
    with client_for(sandbox) as client:
        cases = [client.create_case(planned_case(n).body) for n in range(count)]
    path = tmp_path / "batch.csv.batchcase-record.jsonl"
    return write_record(path, cases, host=sandbox.url), cases


def record_events(record: Path, kind: str) -> list[dict]:
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    return [line for line in lines if line["event"] == kind]


def test_finalized_saves_the_export_atomically_in_the_background(sandbox, tmp_path):
    record, [case_id] = created_in(sandbox, tmp_path)
    sandbox.set_status(case_id, "Finalized")
    export = tmp_path / f"{case_id}.export.json"
    seen = []

    def whole_when_present():
        if export.exists():
            seen.append(json.loads(export.read_bytes()))
        return bool(record_events(record, "export_saved"))

    with (
        client_for(sandbox) as client,
        serve(record, client, actions={"Finalized": "export"}) as listener,
    ):
        event = {"caseId": case_id, "status": "finalized"}
        assert post(listener.url, event).status_code == 200
        assert wait_for(whole_when_present)

    assert json.loads(export.read_bytes())["name"] == case_id
    assert all(item["name"] == case_id for item in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [record.name, "batch.csv.batchcase-events.jsonl", export.name]
    )
    assert record_events(record, "export_saved")[0]["path"] == export.name
    assert read_record(record).exports == {case_id: export.name}


def test_a_failed_export_is_recorded_and_retried_on_redelivery(sandbox, tmp_path):
    record, [case_id] = created_in(sandbox, tmp_path)
    event = {"caseId": case_id, "status": "Finalized"}

    with (
        client_for(sandbox) as client,
        serve(record, client, actions={"Finalized": "export"}) as listener,
    ):
        post(listener.url, event)  # the sandbox says 409: not finalized yet
        assert wait_for(lambda: record_events(record, "export_failed"))
        sandbox.set_status(case_id, "Finalized")
        assert post(listener.url, event).json()["duplicate"] is True
        assert wait_for(lambda: record_events(record, "export_saved"))

    [failure] = record_events(record, "export_failed")
    assert failure["message"] == (
        f"export of case {case_id} failed (HTTP 409): case {case_id} is not finalized"
    )
    assert (tmp_path / f"{case_id}.export.json").exists()


def test_a_finalized_case_without_its_export_is_exported_at_start(sandbox, tmp_path):
    record, [done, todo] = created_in(sandbox, tmp_path, count=2)
    with Record(record) as writing:
        for case_id in (done, todo):
            sandbox.set_status(case_id, "Finalized")
            writing.write("status", case_id=case_id, status="Finalized")
        writing.write("export_saved", case_id=done, path=f"{done}.export.json")

    with (
        client_for(sandbox) as client,
        serve(record, client, actions={"Finalized": "export"}),
    ):
        assert wait_for(lambda: record_events(record, "export_saved")[1:])

    exports = [path for _, path in sandbox.requests if path.endswith("/export/")]
    assert exports == [f"/api/test/{todo}/export/"]


def test_a_second_listener_on_the_same_events_file_is_refused(listener, record):
    with pytest.raises(ConfigError) as caught:
        make_app(WebhookConfig(record=record, secret=SECRET))
    assert str(caught.value).startswith("another listener is using ")


def test_events_shows_the_recorded_statuses_and_exports(record):
    with Record(record) as writing:
        writing.write("status", case_id=CASES[0], status="Finalized")
        writing.write("export_saved", case_id=CASES[0], path="EMG1.export.json")
        writing.write("status", case_id=CASES[1], status="Delivered")

    result = CliRunner().invoke(events, ["--record", str(record)])

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"FAM-001  {CASES[0]}  Finalized  export: EMG1.export.json\n"
        f"FAM-002  {CASES[1]}  Delivered\n"
        f"FAM-003  {CASES[2]}  no status recorded yet\n"
    )


@pytest.mark.parametrize(
    "args, env, code, message",
    [
        (
            [],
            {"BATCHCASE_WEBHOOK_SECRET": "  "},
            1,
            "Error: set BATCHCASE_WEBHOOK_SECRET",
        ),
        (["--on", "Finalized=delete"], {}, 2, "'Finalized=delete': give STATUS=ACTION"),
        (
            ["--on", "Finalized=export"],
            {"EMEDGENE_HOST": "ftp://x"},
            1,
            "Error: --host",
        ),
    ],
    ids=["no-secret", "unknown-action", "bad-host"],
)
def test_listen_refuses_to_start_misconfigured(record, args, env, code, message):
    env = {"BATCHCASE_WEBHOOK_SECRET": SECRET, "EMEDGENE_TOKEN": "t", **env}
    result = CliRunner().invoke(listen, ["--record", str(record), *args], env=env)

    assert result.exit_code == code  # expected failure: nothing is served
    assert message in result.output
    assert SECRET not in result.output


# -- the command, in a process of its own --------------------------------------


def start_listener(record: Path, *options: str, env=None) -> tuple:
    """`batchcase listen` in a subprocess; the process and the URL it serves."""
    command = [sys.executable, "-m", "batchcase", "-v"]
    command += ["--log-file", str(record.with_name("listen.log"))]
    command += ["listen", "--record", str(record), "--port", "0", *options]
    environment = {**os.environ, "BATCHCASE_WEBHOOK_SECRET": SECRET, **(env or {})}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ready, _, _ = select.select([process.stderr], [], [], 10)
    line = process.stderr.readline().decode() if ready else ""
    if "Listening on " not in line:
        process.kill()
        pytest.fail(f"the listener did not start: {line!r}")
    return process, line.split("Listening on ")[1].split(";")[0]


def test_killing_the_listener_loses_no_event_it_answered(record):
    process, url = start_listener(record)
    answered, stop = [], threading.Event()

    def keep_sending(worker):
        with requests.Session() as session:
            for n in range(200):
                event = {"event_id": f"w{worker}-{n}", "caseId": CASES[worker % 3]}
                event["status"] = f"Step {worker}-{n}"
                try:
                    if post(url, event, session=session).status_code == 200:
                        answered.append(event["event_id"])
                except requests.RequestException:  # killed mid-answer
                    return
                if stop.is_set():
                    return

    threads = [threading.Thread(target=keep_sending, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    assert wait_for(lambda: len(answered) >= 40)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=5)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)

    kept = {line["key"] for line in stored(record)}
    assert {f"id:{event_id}" for event_id in answered} <= kept
    applied = {(s["case_id"], s["status"]) for s in status_lines(record)}
    assert len(applied) >= len(answered)  # each answered status is in the record
    process.stdout.close()
    process.stderr.close()


def test_the_secret_never_reaches_logs_output_or_files(sandbox, tmp_path):
    record, [case_id] = created_in(sandbox, tmp_path)
    credentials = {"EMEDGENE_USERNAME": "lab", "EMEDGENE_PASSWORD": "pw"}
    process, url = start_listener(record, "--on", "Finalized=export", env=credentials)
    post(url, {"caseId": case_id, "status": "Finalized"})  # export fails: 409
    post(url, {"caseId": case_id, "status": SECRET}, secret=SECRET[:-1])
    post(url, {"caseId": case_id, "status": "x"}, secret=None)
    post(url, data=SECRET.encode())
    assert wait_for(lambda: record_events(record, "export_failed"))

    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"listen.log", "batch.csv.batchcase-events.jsonl"}
    assert b"refused an event without the right secret header" in stderr
    for output in [stdout, stderr, *(p.read_bytes() for p in files)]:
        assert SECRET.encode() not in output
        assert SECRET[:-1].encode() not in output


def test_listen_on_a_sheet_that_does_not_exist_is_refused(tmp_path):
    env = {"BATCHCASE_WEBHOOK_SECRET": SECRET}
    result = CliRunner().invoke(listen, [str(tmp_path / "typo.csv")], env=env)

    assert result.exit_code == 2  # expected failure: nothing is served
    assert "typo.csv does not exist and has no record beside it" in result.output
    assert list(tmp_path.iterdir()) == []
