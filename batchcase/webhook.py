"""The webhook receiver: Emedgene's case status events, stored and applied.

Emedgene calls a lab's URL when a case's status changes, sends secret
values the lab chose as request headers, and may deliver an event again.
`make_app(config)` is a WSGI application, to serve with `batchcase listen`
or to mount in a lab's own server. For each request it:

- answers 405 to anything but POST, 401 unless the secret header matches,
  413 to a body over `max_body`, 400 unless the body is a JSON object;
- finds the case id and the new status by configured dotted field names;
- appends a `status` event to the submission record (for the cases the
  record holds), then the whole event to the events file, each fsynced,
  and only then answers 200;
- recognises a re-delivered event by its id field, else by the SHA-256 of
  its canonical JSON, and applies it only once;
- hands the action configured for the new status (`export`) to a worker
  thread, so the answer never waits for Emedgene.

One process at a time may serve an events file (it holds a lock on it);
threads are fine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from batchcase import filelock
from batchcase.errors import ConfigError
from batchcase.exports import ExportWorker
from batchcase.record import RECORD_SUFFIX, Record, read_record
from batchcase.webhook_fields import (  # noqa: F401 - part of this module's API
    ACTIONS,
    CASE_FIELDS,
    EVENT_ID_FIELDS,
    MAX_BODY,
    SECRET_ENV,
    SECRET_HEADER,
    STATUS_FIELDS,
)

log = logging.getLogger(__name__)

EVENTS_SUFFIX = ".batchcase-events.jsonl"
CHUNK = 64 * 1024


def events_path_for(record) -> Path:
    """Where the received events go by default: beside the record."""
    record = Path(record)
    base = record.name.removesuffix(RECORD_SUFFIX)
    return record.with_name(base + EVENTS_SUFFIX)


def read_secret(environ=None) -> str:
    """The shared secret from BATCHCASE_WEBHOOK_SECRET; ConfigError when unset."""
    secret = (os.environ if environ is None else environ).get(SECRET_ENV, "")
    if not secret.strip():
        raise ConfigError(
            f"set {SECRET_ENV} to the secret header value given to Emedgene's "
            "webhook; the listener never runs without one"
        )
    return secret.strip()


@dataclass(frozen=True)
class WebhookConfig:
    """Where events go, how a request proves it comes from Emedgene, how to read it.

    `actions` maps a status (any case) to an action of ACTIONS.
    """

    record: Path
    secret: str = field(repr=False)
    events: Path | None = None
    secret_header: str = SECRET_HEADER
    case_fields: tuple[str, ...] = CASE_FIELDS
    status_fields: tuple[str, ...] = STATUS_FIELDS
    event_id_fields: tuple[str, ...] = EVENT_ID_FIELDS
    max_body: int = MAX_BODY
    actions: Mapping[str, str] = field(default_factory=dict)

    @property
    def events_path(self) -> Path:
        return Path(self.events) if self.events else events_path_for(self.record)

    def action_for(self, status: str) -> str | None:
        wanted = status.casefold()
        found = [a for s, a in self.actions.items() if s.casefold() == wanted]
        return found[0] if found else None


def find_field(event: dict, paths) -> str | None:
    """The first dotted path of `paths` that leads to a text or a number."""
    for path in paths:
        value = event
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, str | int):
            continue
        text = str(value).strip()
        if text and text.isprintable():  # no line breaks into logs or file names
            return text
    return None


def event_key(event: dict, id_fields) -> str:
    """What identifies an event across deliveries: its id, else its content."""
    event_id = find_field(event, id_fields)
    if event_id:
        return f"id:{event_id}"
    canonical = json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class Received:
    """What became of one event."""

    key: str
    case_id: str | None
    status: str | None
    applied: bool = False
    duplicate: bool = False
    note: str = ""

    def answer(self) -> dict:
        return {
            "stored": True,
            "applied": self.applied,
            "duplicate": self.duplicate,
            "note": self.note,
        }


class EventStore:
    """The events file and the record, written in the order that loses nothing.

    The record's `status` line goes first and the event second: a crash in
    between leaves the event unanswered, so Emedgene sends it again and the
    record merely repeats a status.
    """

    def __init__(self, config: WebhookConfig):
        self.config = config
        self._lock = threading.Lock()
        self.events = Record(config.events_path)
        try:
            self._hold = _hold_exclusively(config.events_path)
        except ConfigError:
            self.events.close()
            raise
        self.record = Record(config.record)
        self.seen = read_event_keys(config.events_path)
        self.state = read_record(config.record)
        self._record_size = _size(config.record)

    def receive(self, event: dict) -> Received:
        """Store one event and apply it to the record, unless it came before."""
        config = self.config
        received = Received(
            event_key(event, config.event_id_fields),
            find_field(event, config.case_fields),
            find_field(event, config.status_fields),
        )
        with self._lock:
            if received.key in self.seen:
                received.duplicate, received.note = True, "delivered before"
                return received
            self._apply(received)
            self.events.write(
                "received",
                key=received.key,
                case_id=received.case_id,
                status=received.status,
                applied=received.applied,
                body=event,
            )
            self.seen.add(received.key)
        return received

    def _apply(self, received: Received) -> None:
        if not received.case_id or not received.status:
            received.note = "no case id or no status found; see --case-field"
            return
        if not self._known(received.case_id):
            received.note = "not a case of this record"
            return
        fields = {"case_id": received.case_id, "status": received.status}
        self.record.write("status", **fields, source="webhook")
        self.state.apply({"event": "status", **fields})
        received.applied = True

    def _known(self, case_id: str) -> bool:
        """A case of the record; re-read if it grew, as `submit` may have added it.

        Events about an account's other cases are common, so the record is
        read again only when its size changed, not for every such event.
        """
        if case_id in self.state.case_ids().values():
            return True
        size = _size(self.config.record)
        if size != self._record_size:
            self.state = read_record(self.config.record)
            self._record_size = size
        return case_id in self.state.case_ids().values()

    def due(self, case_id: str | None) -> str | None:
        """The action the case's current status calls for, unless already done."""
        with self._lock:
            status = self.state.statuses.get(case_id)
            if status is None or case_id in self.state.exports:
                return None
        return self.config.action_for(status)

    def pending(self) -> list[str]:
        """Cases whose current status calls for an action not yet done."""
        with self._lock:
            cases = set(self.state.case_ids().values()) & set(self.state.statuses)
        return sorted(c for c in cases if self.due(c))

    def export_saved(self, case_id: str, path: Path) -> None:
        with self._lock:
            self.record.write("export_saved", case_id=case_id, path=path.name)
            self.state.exports[case_id] = path.name

    def export_failed(self, case_id: str, message: str) -> None:
        with self._lock:
            self.record.write("export_failed", case_id=case_id, message=message)

    def close(self) -> None:
        self.record.close()
        self.events.close()
        os.close(self._hold)


def read_event_keys(path) -> set[str]:
    """The keys of the events stored so far; a torn last line is skipped."""
    keys = set()
    try:
        lines = Path(path).read_bytes().splitlines()
    except FileNotFoundError:
        return keys
    for line in lines:
        try:
            stored = json.loads(line)
        except ValueError:
            continue
        if isinstance(stored, dict) and stored.get("key"):
            keys.add(stored["key"])
    return keys


def _hold_exclusively(path: Path) -> int:
    """Lock the events file for this process; ConfigError if another holds it."""
    fd = filelock.hold(path)
    if fd is None:
        raise ConfigError(
            f"another listener is using {path}; run one listener process per "
            "events file (threads are fine), or pass --events"
        )
    return fd


class _Refusal(Exception):
    """A request answered with an error status; the message holds no secret."""

    def __init__(self, status: str, message: str, headers=()):
        super().__init__(message)
        self.status, self.headers = status, list(headers)


class WebhookApp:
    """The WSGI application; close() it to finish the exports under way."""

    def __init__(self, config: WebhookConfig, client=None):
        if not config.secret:
            raise ConfigError(f"no webhook secret; set {SECRET_ENV}")
        if config.actions and client is None:
            raise ConfigError("an action on a status needs an Emedgene client")
        self.config = config
        self._secret = config.secret.encode("utf-8")
        self._header = "HTTP_" + config.secret_header.upper().replace("-", "_")
        self.store = EventStore(config)
        self.worker = ExportWorker(client, self.store, config.record.parent)
        for case_id in self.store.pending():
            self.worker.queue(case_id)

    def __call__(self, environ, start_response):
        headers = [("Content-Type", "application/json")]
        try:
            status, answer = "200 OK", self.handle(environ).answer()
        except _Refusal as refusal:
            status, answer = refusal.status, {"error": str(refusal)}
            headers += refusal.headers
        payload = json.dumps(answer).encode("utf-8")
        start_response(status, [*headers, ("Content-Length", str(len(payload)))])
        return [payload]

    def handle(self, environ) -> Received:
        """Check, store and apply one request's event, or refuse it."""
        if environ.get("REQUEST_METHOD") != "POST":
            raise _Refusal("405 Method Not Allowed", "POST only", [("Allow", "POST")])
        if not self._secret_matches(environ):
            log.warning("refused an event without the right secret header")
            raise _Refusal("401 Unauthorized", "missing or wrong secret header")

        event = parse_event(read_body(environ, self.config.max_body))
        try:
            received = self.store.receive(event)
        except OSError as exc:
            log.error("could not store an event: %s", exc.strerror)
            raise _Refusal("503 Service Unavailable", "event not stored") from None

        _log_received(received)
        if received.applied or received.duplicate:
            self._act(received.case_id)
        return received

    def _secret_matches(self, environ) -> bool:
        given = environ.get(self._header, "").encode("latin-1", errors="replace")
        return hmac.compare_digest(given, self._secret)

    def _act(self, case_id: str | None) -> None:
        if self.store.due(case_id) == "export":
            self.worker.queue(case_id)

    def close(self) -> None:
        """Finish the export under way, drop queued ones (resumed at next start)."""
        self.worker.close()
        self.store.close()


def make_app(config: WebhookConfig, client=None) -> WebhookApp:
    """The WSGI application for `config`; `client` fetches exports, if any."""
    return WebhookApp(config, client)


@dataclass
class RecordedCase:
    """A created case as the record knows it: its last status and saved export."""

    family_id: str
    case_id: str
    status: str | None
    export: str | None


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def recorded_cases(record) -> list[RecordedCase]:
    """Every case the record holds, with its latest recorded status and export."""
    state = read_record(record)
    return [
        RecordedCase(
            family,
            case_id,
            state.statuses.get(case_id),
            state.exports.get(case_id),
        )
        for family, case_id in state.case_ids().items()
    ]


def read_body(environ, limit: int) -> bytes:
    """The request body, refused with 413 from its Content-Length or as it comes."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared and not declared.isdigit():
        raise _Refusal("400 Bad Request", "Content-Length is not a number")
    if declared and int(declared) > limit:
        raise _Refusal("413 Content Too Large", f"the body is over {limit} bytes")
    if not declared and not environ.get("wsgi.input_terminated"):
        return b""

    want = int(declared) if declared else limit + 1
    stream, chunks, size = environ["wsgi.input"], [], 0
    while size < want:
        chunk = stream.read(min(CHUNK, want - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise _Refusal("413 Content Too Large", f"the body is over {limit} bytes")
    return b"".join(chunks)


def parse_event(body: bytes) -> dict:
    """The event a body holds; 400 unless it is a JSON object."""
    try:
        event = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        # A lone surrogate (\ud800) decodes but can be neither stored nor hashed.
        json.dumps(event, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError):
        raise _Refusal("400 Bad Request", "the body is not JSON") from None
    if not isinstance(event, dict):
        raise _Refusal("400 Bad Request", "the body is not a JSON object")
    return event


def _no_constant(name: str):
    """NaN and Infinity are not JSON; refuse rather than store them."""
    raise ValueError(f"{name} is not JSON")


def _log_received(received: Received) -> None:
    if received.duplicate:
        log.info("case %s: a re-delivered event, not applied again", received.case_id)
    elif received.applied:
        log.info("case %s: %s", received.case_id, received.status)
    else:
        log.warning("stored an event not applied: %s", received.note)
