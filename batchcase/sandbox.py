"""A local stand-in for Emedgene on 127.0.0.1, with faults to inject on demand.

It answers the calls batchcase makes the way the stand-in behind the oracle
requests did, keeps the cases it creates in memory for tests to inspect, and
can misbehave in the ways a real host does (see Faults).

A case's export (`GET /api/test/<id>/export/`) is JSON holding its name,
status and test data, and answers 409 until the case is `Finalized` (the
real export's content is not published; batchcase saves whatever comes).
`POST /sandbox/cases/<id>/status` with `{"status": ...}` moves a case on
without a token: a sandbox-only route, to try the webhook receiver by hand.

Sample search (`GET /api/sample/`) answers `{"total", "has_more", "hits"}`.
A hit is `{"id", "name", "note", "cases"}`: `cases` lists the names of the
cases created here that hold a sample of that name (empty for the built-in
`EXIST*` samples, which belong to no case). Emedgene's real hit shape is not
published; batchcase reads `cases` (or a single `case_name`) from a hit, and
treats a hit with neither as "cannot tell" (see submit.cases_holding).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

REJECT_TYPE = "SIMULATE_SERVER_REJECT"
BASESPACE_STORAGE = "9001"
BIOSAMPLES = ("BS-AUTO-P1", "BS-AUTO-M1", "BS-AUTO-F1")


@dataclass
class Faults:
    """What to get wrong, and how often; counts apply to the first N occurrences."""

    latency: float = 0.0  # seconds before answering each case-creating POST
    token_ttl: int = 0  # a token works for this many requests (0: forever)
    throttle: int = 0  # the first N case POSTs answer 429
    retry_after: float = 1.0  # the Retry-After those 429s carry, in seconds
    server_errors: int = 0  # the first N case-creating POSTs answer 500, create nothing
    slow_after_create: int = 0  # create, then answer only after slow_seconds
    slow_seconds: float = 5.0
    drop_after_create: int = 0  # create, then close the connection unanswered
    hide_cases: bool = False  # sample search hits do not name their cases
    page_size: int = 0  # listings answer at most N items a page (0: as asked)


def _basespace_tree() -> dict[str, list[dict]]:
    """The small BaseSpace project the oracle's stand-in served, by path."""
    tree = {
        "projects": [{"name": "proj-001", "alias": "OracleProject"}],
        "projects/proj-001/biosamples": [
            {"name": f"bs-{b}", "alias": b} for b in BIOSAMPLES
        ],
        "bsfiles/run42": [
            {"name": "fileid-0001", "alias": "BSID-P1_S1_L001_R1_001.fastq.gz"},
            {"name": "fileid-0002", "alias": "BSID-P1_S1_L001_R2_001.fastq.gz"},
        ],
    }
    for b in BIOSAMPLES:
        datasets = f"projects/proj-001/biosamples/bs-{b}/datasets"
        tree[datasets] = [{"name": f"ds-{b}"}]
        tree[f"{datasets}/ds-{b}/sequenced files"] = [
            {"name": f"fid-{b}-R{r}", "alias": f"{b}_S1_L001_R{r}_001.fastq.gz"}
            for r in (1, 2)
        ]
    return tree


class Sandbox:
    """The stand-in server: start it, point a client at `url`, inspect `cases`.

    Any non-empty username and password (or `password` when given) logs in,
    and so does any non-empty API key; `tokens` are ready tokens it accepts.
    """

    def __init__(self, faults=None, port=0, password=None, tokens=()):
        self.faults = faults or Faults()
        self.port = port
        self.password = password
        self._lock = threading.Lock()
        self._tokens = {token: None for token in tokens}
        self._cases: dict[str, dict] = {}
        self._holders: dict[str, list[str]] = {}  # sample name → case names
        self._counts: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path?query)
        self.tree = _basespace_tree()
        self._server = None
        self._thread = None

    # -- running --------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def bind(self) -> None:
        """Listen on 127.0.0.1 (only); port 0 picks a free one."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def __enter__(self) -> Sandbox:
        self.bind()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what tests look at ---------------------------------------------

    @property
    def cases(self) -> list[dict]:
        """The created cases, oldest first: {"name", "status", "body"}."""
        with self._lock:
            return [dict(case) for case in self._cases.values()]

    @property
    def case_count(self) -> int:
        with self._lock:
            return len(self._cases)

    @property
    def bodies(self) -> list[dict]:
        return [case["body"] for case in self.cases]

    @property
    def issued_tokens(self) -> list[str]:
        """Every token this sandbox handed out, for tests that hunt for leaks."""
        with self._lock:
            return [t for t in self._tokens if t.startswith("sbx-")]

    def set_status(self, case_id: str, status: str) -> None:
        with self._lock:
            self._cases[case_id]["status"] = status

    # -- state the handler changes ----------------------------------------

    def _nth(self, what: str) -> int:
        """How many times `what` happened, this one included."""
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + 1
            return self._counts[what]

    def _issue_token(self) -> str:
        token = "sbx-" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = self.faults.token_ttl or None
        return token

    def _token_ok(self, token: str) -> bool:
        """Spend one use of a token; False when unknown or used up."""
        with self._lock:
            if token not in self._tokens:
                return False
            left = self._tokens[token]
            if left is not None:
                if left <= 0:
                    return False
                self._tokens[token] = left - 1
            return True

    def _create(self, body: dict) -> str:
        samples = (body.get("test_data") or {}).get("samples") or []
        with self._lock:
            name = f"EMG{100000001 + len(self._cases):09d}"
            self._cases[name] = {"name": name, "status": "In progress", "body": body}
            for sample in samples:
                self._holders.setdefault(sample.get("fastq"), []).append(name)
        return name

    def _case(self, name: str) -> dict | None:
        with self._lock:
            case = self._cases.get(name)
            return dict(case) if case else None

    def _sample_hits(self, name: str) -> list[dict]:
        hits = []
        if name.upper().startswith("EXIST"):
            hit = {"id": f"smp-{name.lower()}", "name": name, "note": "", "cases": []}
            hits.append(hit)
        with self._lock:
            holders = list(self._holders.get(name, []))
        for case_name in holders:
            sample_id = f"smp-{case_name.lower()}-{name.lower()}"
            hits.append(
                {"id": sample_id, "name": name, "note": "", "cases": [case_name]}
            )
        if self.faults.hide_cases:
            hits = [{k: v for k, v in hit.items() if k != "cases"} for hit in hits]
        return hits


def _page(items: list, query: dict, key: str, cap: int = 0) -> dict:
    """One page of a listing; `cap` shrinks the size asked for, as a server may."""
    start = int(query.get("from", ["0"])[0])
    size = int(query.get("size", ["100"])[0])
    size = min(size, cap) if cap > 0 else size
    chunk = items[start : start + size]
    return {key: chunk, "total": len(items), "has_more": start + size < len(items)}


def _handler(sandbox: Sandbox):
    """The request handler class bound to one sandbox."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle's algorithm
        # and the client's delayed ACK each answer would wait ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format, *args):
            log.debug("sandbox: " + format, *args)

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

        def _dispatch(self, method):
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            with sandbox._lock:
                sandbox.requests.append((method, self.path))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._answer(400, {"message": "the body is not JSON"})

            if match := re.fullmatch(r"/sandbox/cases/(\w+)/status", path):
                return self._set_status(method, match[1], body)
            if method == "POST" and path == "/api/auth/v2/api_login/":
                return self._login(body, ("username", "password"))
            if method == "POST" and path == "/api/auth/v2/api_key_login/":
                return self._login(body, ("api_key",))
            if not self._authorized():
                return self._answer(401, {"message": "token missing or expired"})
            if method == "POST" and path.rstrip("/") == "/api/cases/v2/cases":
                return self._case_post(body, query.get("dry_run", ["false"])[0])
            if method == "GET":
                return self._lookup(path, query)
            return self._answer(404, {"message": f"no route {method} {path}"})

        def _set_status(self, method, case_id, body):
            """Sandbox only, no token: move a case on, as a lab's staff would."""
            status = (body or {}).get("status")
            if method != "POST" or not isinstance(status, str):
                return self._answer(400, {"message": 'POST {"status": ...}'})
            if sandbox._case(case_id) is None:
                return self._answer(404, {"message": f"case {case_id} not found"})
            sandbox.set_status(case_id, status)
            self._answer(200, {"name": case_id, "status": status})

        def _login(self, body, fields):
            values = [(body or {}).get(name) for name in fields]
            wrong = sandbox.password is not None and fields[-1] == "password"
            if not all(values) or (wrong and values[-1] != sandbox.password):
                return self._answer(401, {"message": "wrong credentials"})
            token = sandbox._issue_token()
            self._answer(200, {"access_token": token, "token_type": "bearer"})

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization") or self.headers.get(
                "Emgauthorization", ""
            )
            words = header.split()
            return len(words) == 2 and sandbox._token_ok(words[1])

        def _case_post(self, body, dry_run):
            faults = sandbox.faults
            if sandbox._nth("case post") <= faults.throttle:
                retry_after = {"Retry-After": f"{faults.retry_after:g}"}
                return self._answer(429, {"message": "slow down"}, retry_after)
            test_data = (body or {}).get("test_data")
            if not isinstance(test_data, dict):
                return self._answer(400, {"message": "test_data is required"})
            if test_data.get("type") == REJECT_TYPE:
                message = "sandbox: simulated rejection of this case"
                return self._answer(400, {"message": message})
            if dry_run == "true":
                return self._answer(200, {})
            self._create(body)

        def _create(self, body):
            faults = sandbox.faults
            time.sleep(faults.latency)
            if sandbox._nth("create") <= faults.server_errors:
                return self._answer(500, {"message": "sandbox: internal error"})
            name = sandbox._create(body)

            if sandbox._nth("created") <= faults.drop_after_create:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if sandbox._nth("answered") <= faults.slow_after_create:
                time.sleep(faults.slow_seconds)
            self._answer(201, {"name": name, "Status": "Created"})

        def _lookup(self, path, query):
            if match := re.fullmatch(r"/api/storage/(\d+)/?", path):
                return self._storage(match[1])
            if match := re.fullmatch(r"/api/storage/(\d+)/fs/list/?", path):
                return self._fs_list(match[1], query)
            if path.rstrip("/") == "/api/sample":
                hits = sandbox._sample_hits(query.get("query", [""])[0])
                page = _page(hits, query, "hits", sandbox.faults.page_size)
                return self._answer(200, page)
            if match := re.fullmatch(r"/api/test/(\w+)/?", path):
                return self._case(match[1])
            if match := re.fullmatch(r"/api/test/(\w+)/export/?", path):
                return self._export(match[1])
            return self._answer(404, {"message": f"no route GET {path}"})

        def _case(self, case_id):
            case = sandbox._case(case_id)
            if case is None:
                return self._answer(404, {"message": f"case {case_id} not found"})
            self._answer(200, {"name": case_id, "status": case["status"]})

        def _export(self, case_id):
            case = sandbox._case(case_id)
            if case is None:
                return self._answer(404, {"message": f"case {case_id} not found"})
            if case["status"] != "Finalized":
                message = f"case {case_id} is not finalized"
                return self._answer(409, {"message": message})
            test_data = case["body"].get("test_data")
            export = {"name": case_id, "status": "Finalized", "test_data": test_data}
            self._answer(200, export)

        def _storage(self, storage_id):
            if storage_id == "404":
                return self._answer(404, {"message": "sandbox: storage 404 not found"})
            scheme = "basespace" if storage_id == BASESPACE_STORAGE else "s3"
            self._answer(200, {"id": int(storage_id), "scheme": scheme})

        def _fs_list(self, storage_id, query):
            if storage_id != BASESPACE_STORAGE:
                return self._answer(200, {"resources": [], "has_more": False})
            where = query.get("path", [""])[0].strip("/")
            items = sandbox.tree.get(where, [])
            page = _page(items, query, "resources", sandbox.faults.page_size)
            self._answer(200, page)

        def _answer(self, status, data, headers=None):
            payload = json.dumps(data).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True  # the client gave up waiting

    return Handler
