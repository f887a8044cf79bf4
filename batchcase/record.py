"""The submission record: one JSON line per event, on disk before the next step.

Each line is an object with `event` and `time` (ISO 8601, UTC) and:

| event          | fields                         | written when                     |
| -------------- | ------------------------------ | -------------------------------- |
| started        | host, families                 | a submission begins              |
| dry_run_passed | family                         | the server accepted a dry run    |
| failed         | family, stage, message, status | a dry run or a creation failed   |
| post_sent      | family, proband, known_cases   | just before a creating POST      |
| created        | family, case_id                | Emedgene answered 201            |
| uncertain      | family, message                | the POST may have made a case    |
| adopted        | family, case_id                | a lookup found that case         |
| status         | case_id, status (source)       | a case's status was learnt       |
| export_saved   | case_id, path                  | a case's export was saved        |
| export_failed  | case_id, message               | fetching or saving it failed     |

`stage` is `check` (a proband already in a case), `dry_run` or `create`;
`status` on `failed` is the HTTP
status or null. `known_cases` are the cases that already held the proband's
sample before the POST, so a later lookup adopts only a case the POST made
(null when the server's sample search did not say).
`status` events also come from the webhook receiver, with `source: "webhook"`.
An export counts for the status it was fetched in: a change of status
forgets it.

Every line is flushed and fsynced before the caller goes on, so after a crash
the record is true up to its last complete line; a torn last line is ignored
when read, and the next writer starts on a fresh line.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from batchcase.errors import SubmissionError

log = logging.getLogger(__name__)

RECORD_SUFFIX = ".batchcase-record.jsonl"
OUTCOMES = ("created", "adopted")


def record_path_for(sheet) -> Path:
    """Where the record of a sheet's submission lives by default: beside it."""
    sheet = Path(sheet)
    return sheet.with_name(sheet.name + RECORD_SUFFIX)


@dataclass
class FamilyRecord:
    """What the record says about one family: its case, or its last state."""

    state: str
    case_id: str | None = None
    message: str | None = None
    known_cases: list[str] | None = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """A creating POST went out and nothing says whether it made a case."""
        return self.case_id is None and self.state in ("post_sent", "uncertain")


@dataclass
class RecordState:
    """A record as read: the host, each family's state, each case's status."""

    host: str | None = None
    families: dict[str, FamilyRecord] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)

    def case_ids(self) -> dict[str, str]:
        """Family → case id, for every family with a case."""
        return {f: r.case_id for f, r in self.families.items() if r.case_id}

    def apply(self, event: dict) -> None:
        """Fold one event into the state."""
        kind = event.get("event")
        if kind == "started":
            self.host = event.get("host")
        elif kind == "status":
            self._apply_status(event["case_id"], event["status"])
        elif kind == "export_saved":
            self.exports[event["case_id"]] = event["path"]
        elif "family" in event:
            self._apply_family(kind, event)

    def _apply_status(self, case_id: str, status: str) -> None:
        if self.statuses.get(case_id) != status:
            self.exports.pop(case_id, None)
        self.statuses[case_id] = status

    def _apply_family(self, kind: str, event: dict) -> None:
        family = self.families.setdefault(event["family"], FamilyRecord(kind))
        if family.case_id:
            return  # a family with a case keeps it; later noise changes nothing
        family.state = kind
        family.message = event.get("message")
        if kind == "post_sent":
            family.known_cases = event.get("known_cases", [])
        if kind in OUTCOMES:
            family.case_id = event["case_id"]


def read_record(path) -> RecordState:
    """The state a record describes; an absent file is an empty record."""
    state = RecordState()
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return state
    except IsADirectoryError:
        raise SubmissionError(f"the record {path} is a folder; give a file") from None

    for number, line in enumerate(text.splitlines(), start=1):
        try:
            event = json.loads(line)
        except ValueError:
            log.warning("%s:%s: skipping a torn record line", path, number)
            continue
        if isinstance(event, dict):
            state.apply(event)
    return state


class Record:
    """Appends events to a record file, each synced to disk; safe across threads."""

    def __init__(self, path):
        self.path = Path(path)
        self._lock = threading.Lock()
        created = not self.path.exists()
        self._file = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        if created:
            _fsync_directory(self.path.parent)
        elif _ends_torn(self.path):
            self._sync(b"\n")

    def write(self, event: str, **fields) -> None:
        """Append one event and return only once it is on disk."""
        time = datetime.now(UTC).isoformat(timespec="milliseconds")
        line = json.dumps({"event": event, "time": time, **fields}) + "\n"
        self._sync(line.encode("utf-8"))

    def _sync(self, data: bytes) -> None:
        with self._lock:
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Record:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _ends_torn(path: Path) -> bool:
    """True when the file's last line has no newline (a crash mid-write)."""
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        if file.tell() == 0:
            return False
        file.seek(-1, os.SEEK_END)
        return file.read(1) != b"\n"


def _fsync_directory(directory: Path) -> None:
    """Make a new file's name durable too (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
