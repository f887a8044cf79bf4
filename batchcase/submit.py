"""A batch submission: dry-run every case, then create them, recording each step.

The record (batchcase.record) is what makes a submission safe to re-run:
a family with a case in the record, or a Case Id in the sheet, is skipped;
a family whose creating POST may have reached Emedgene is looked up on the
server before anything is sent again.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from batchcase import atomic, filelock
from batchcase import columns as col
from batchcase.errors import (
    ApiError,
    AuthError,
    ExitCode,
    SubmissionError,
    UncertainError,
)
from batchcase.mapper import PlannedCase
from batchcase.record import Record, read_record

log = logging.getLogger(__name__)


@dataclass
class FamilyResult:
    """How one family ended: its case id, or why it has none.

    `state` is `created`, `adopted` (an uncertain POST's case found by a
    lookup), `skipped` (it had a case before this run), `failed`, or
    `uncertain` (a case may exist; re-running looks it up again).
    """

    family_id: str
    state: str
    case_id: str | None = None
    error: str | None = None


@dataclass
class SubmissionResult:
    """Every family's outcome, in the order of the batch."""

    families: dict[str, FamilyResult] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        with_case = sum(1 for r in self.families.values() if r.case_id)
        if with_case == len(self.families):
            return ExitCode.OK
        return ExitCode.PARTIAL if with_case else ExitCode.FAILED

    def case_ids(self) -> dict[str, str]:
        """Family → case id, for every family with a case."""
        return {f: r.case_id for f, r in self.families.items() if r.case_id}

    def errors(self) -> dict[str, str]:
        """Family → why it has no case, for every family without one."""
        return {f: r.error for f, r in self.families.items() if r.error}


def submit_batch(
    cases: list[PlannedCase],
    client,
    record_path,
    jobs: int = 4,
    progress: Callable[[FamilyResult], None] | None = None,
    settle: float = 2.0,
    allow_existing_cases: bool = False,
) -> SubmissionResult:
    """Create one case per family unless it has one; never create a case twice.

    Dry-runs every remaining case first and creates nothing unless all pass.
    `settle` is how long to wait before a second lookup for a case an
    uncertain POST may still be creating. A proband already in a case on the
    server stops the batch unless `allow_existing_cases`.
    """
    lock = filelock.hold(Path(record_path))
    if lock is None:
        raise SubmissionError(
            f"another batchcase submit is using the record {record_path}; wait "
            "for it to finish (two at once could create a case twice)"
        )
    try:
        return _submit_locked(
            cases, client, record_path, jobs, progress, settle, allow_existing_cases
        )
    finally:
        filelock.release(lock)


def _submit_locked(
    cases, client, record_path, jobs, progress, settle, allow_existing_cases
) -> SubmissionResult:
    state = read_record(record_path)
    _check_same_host(state, client.host, record_path)

    with Record(record_path) as record, ThreadPoolExecutor(jobs) as pool:
        run = _Submission(client, record, pool, progress, settle, allow_existing_cases)
        try:
            run.submit(cases, state)
        except KeyboardInterrupt:
            run.stopped = "interrupted"  # queued families are not sent
            raise
    return SubmissionResult({c.family_id: run.results[c.family_id] for c in cases})


def existing_case_ids(cases, state) -> dict[str, str]:
    """Family → case id for the families that have a case (sheet or record)."""
    recorded = state.case_ids()
    found = {}
    for case in cases:
        case_id = case.existing_case_id or recorded.get(case.family_id)
        if case_id:
            found[case.family_id] = case_id
    return found


def _check_same_host(state, host: str, record_path) -> None:
    """A record that sent a case to one host refuses another (cases or not)."""
    sent = state.case_ids() or any(f.pending for f in state.families.values())
    if sent and state.host and state.host != host:
        raise SubmissionError(
            f"the record {record_path} holds cases created on {state.host}, not "
            f"{host}; pass --record NEW_FILE to keep a separate record"
        )


class _Submission:
    """The state of one run: results so far, the lookups done, the stop signal."""

    def __init__(self, client, record, pool, progress, settle, allow_known=False):
        self.client, self.record, self.pool = client, record, pool
        self.progress, self.settle = progress, settle
        self.allow_known = allow_known
        self.results: dict[str, FamilyResult] = {}
        self.known_cases: dict[str, list[str] | None] = {}
        self.stopped: str | None = None
        self._lock = threading.Lock()

    def submit(self, cases, state) -> None:
        todo = self.skip_done(cases, state)
        if not todo:
            return
        self.client.ensure_login()  # up front: a wrong password fails one login
        self.record.write("started", host=self.client.host, families=len(todo))
        todo = self.resolve_pending(todo, state)
        if self.check_known(todo) and self.dry_run_all(todo):
            self.create_all(todo)

    def finish(self, result: FamilyResult) -> None:
        with self._lock:
            self.results[result.family_id] = result
        if self.progress:
            self.progress(result)

    def skip_done(self, cases, state) -> list[PlannedCase]:
        """Finish the families that have a case already; return the others."""
        done = existing_case_ids(cases, state)
        todo = []
        for case in cases:
            case_id = done.get(case.family_id)
            if case_id:
                self.finish(FamilyResult(case.family_id, "skipped", case_id))
            else:
                todo.append(case)
        return todo

    def resolve_pending(self, todo, state) -> list[PlannedCase]:
        """Settle the POSTs an interrupted run left unanswered; return what is left."""
        pending = [c for c in todo if _pending(state, c.family_id)]
        for case in pending:
            family = state.families[case.family_id]
            self.known_cases[case.family_id] = family.known_cases
        settled = set(self.pool.map(self.look_up, pending)) - {None}
        return [c for c in todo if c.family_id not in settled]

    def look_up(self, case: PlannedCase) -> str | None:
        """Adopt the case a POST made; the family if settled, None if no case exists.

        When the lookup itself fails, the family stays uncertain: nothing
        proves the case is absent, so nothing may be sent again.
        """
        try:
            case_id = self.find_new_case(case)
        except ApiError as exc:
            self.uncertain(case, f"a case may exist; looking it up failed ({exc})")
            return case.family_id
        if case_id is None:
            return None

        self.record.write("adopted", family=case.family_id, case_id=case_id)
        log.info("family %s: adopted case %s", case.family_id, case_id)
        self.finish(FamilyResult(case.family_id, "adopted", case_id))
        return case.family_id

    def find_new_case(self, case: PlannedCase) -> str | None:
        """A case holding the proband that was not there before our POST."""
        known = self.known_cases.get(case.family_id, [])
        for attempt in range(2):
            if attempt:
                time.sleep(self.settle)  # the server may still be creating it
            holding = cases_holding(self.client, case.proband)
            if holding is None or known is None:
                raise ApiError(
                    f"the sample search does not say which case holds "
                    f"{case.proband}; look for it in Emedgene before re-running"
                )
            new = [c for c in holding if c not in known]
            if new:
                return new[0]
        return None

    def check_known(self, todo) -> bool:
        """True unless a proband's sample is, or may be, in a case on the server.

        A record lost or started afresh (another folder, --record) must not
        lead to a second case for a family; nothing is created then. A search
        that finds the sample but cannot say which case holds it counts as
        "may be".
        """
        holdings = list(self.pool.map(self.holding, todo))
        taken = {c.family_id: h for c, h in zip(todo, holdings, strict=True) if h != []}
        if not taken or self.allow_known:
            return True

        for case in todo:
            error = (
                _known_error(case, taken)
                if case.family_id in taken
                else (
                    "not created: the batch stopped because another family's proband "
                    "is already in a case"
                )
            )
            self.fail(case, error, stage="check")
        return False

    def holding(self, case: PlannedCase) -> list[str] | None:
        """The cases that hold the proband now; None if the search cannot say."""
        if case.family_id not in self.known_cases:
            self.known_cases[case.family_id] = cases_holding(self.client, case.proband)
        return self.known_cases[case.family_id]

    # -- the dry run ----------------------------------------------------

    def dry_run_all(self, todo) -> bool:
        """Dry-run every case in parallel; True when all passed."""
        refusals = list(self.pool.map(self.dry_run, todo))
        if not any(refusals):
            return True

        for case, refusal in zip(todo, refusals, strict=True):
            error = refusal or "not created: another family failed its dry run"
            self.finish(FamilyResult(case.family_id, "failed", error=error))
        return False

    def dry_run(self, case: PlannedCase) -> str | None:
        """Dry-run one case; the server's refusal, if any."""
        try:
            self.client.create_case(case.body, dry_run=True)
        except ApiError as exc:
            self.record.write(
                "failed",
                family=case.family_id,
                stage="dry_run",
                message=str(exc),
                status=exc.status,
            )
            return str(exc)
        self.record.write("dry_run_passed", family=case.family_id)
        return None

    # -- creation -------------------------------------------------------

    def create_all(self, todo) -> None:
        for _ in self.pool.map(self.create, todo):
            pass

    def create(self, case: PlannedCase) -> None:
        """Create one case; on an uncertain answer, look it up before resending."""
        if self.stopped:
            return self.fail(case, f"not sent: {self.stopped}")
        try:
            case_id = self.post(case)
        except UncertainError as exc:
            self.record.write("uncertain", family=case.family_id, message=str(exc))
            return self.resolve(case, exc)
        except ApiError as exc:
            if isinstance(exc, AuthError):
                self.stopped = str(exc)
            return self.fail(case, str(exc), exc.status)
        self.finish(FamilyResult(case.family_id, "created", case_id))

    def post(self, case: PlannedCase) -> str:
        """Note who holds the proband, record the POST, send it, record the case.

        The lookup runs while other threads wait on their POSTs, so it costs
        little time; it lets a later lookup adopt only the case this POST made.
        """
        family = case.family_id
        if family not in self.known_cases:
            self.known_cases[family] = cases_holding(self.client, case.proband)
        known = self.known_cases[family]

        self.record.write(
            "post_sent", family=family, proband=case.proband, known_cases=known
        )
        case_id = self.client.create_case(case.body)
        self.record.write("created", family=family, case_id=case_id)
        return case_id

    def resolve(self, case: PlannedCase, why: UncertainError) -> None:
        """After an uncertain POST: adopt the case if it exists, else wait for a re-run.

        Never resent in the same run: a slow server may still be creating the
        case after both lookups. A re-run looks again, and sends only if
        there is still no case.
        """
        if self.look_up(case):
            return
        self.uncertain(
            case,
            f"{why}; no case found for {case.proband} yet (the server may "
            "still be creating it), so it was not sent again",
        )

    def uncertain(self, case, message) -> None:
        message += "; re-run to look the case up again"
        self.record.write("uncertain", family=case.family_id, message=message)
        self.finish(FamilyResult(case.family_id, "uncertain", error=message))

    def fail(self, case, message, status=None, stage="create") -> None:
        self.record.write(
            "failed",
            family=case.family_id,
            stage=stage,
            message=message,
            status=status,
        )
        self.finish(FamilyResult(case.family_id, "failed", error=message))


@dataclass
class CaseStatus:
    """A created case's current status on the server, or why it is unknown."""

    family_id: str
    case_id: str
    status: str | None = None
    error: str | None = None


def fetch_statuses(client, case_ids: dict[str, str], record_path=None, jobs=4):
    """Each case's current status; recorded in `record_path` when given."""
    record = Record(record_path) if record_path else None
    try:
        with ThreadPoolExecutor(jobs) as pool:
            items = case_ids.items()
            return list(pool.map(lambda i: _fetch_status(client, record, *i), items))
    finally:
        if record:
            record.close()


def _fetch_status(client, record, family_id: str, case_id: str) -> CaseStatus:
    try:
        case = client.get_case(case_id)
    except ApiError as exc:
        return CaseStatus(family_id, case_id, error=str(exc))

    status = case.get("status") or case.get("Status")
    if record and status:
        record.write("status", case_id=case_id, status=status)
    return CaseStatus(family_id, case_id, status)


def created_cases(record_path, results_csv=None) -> dict[str, str]:
    """Family → case id from a submission record, else from a results CSV."""
    found = read_record(record_path).case_ids()
    if found or results_csv is None or not Path(results_csv).exists():
        return found

    with open(results_csv, newline="", encoding="utf-8", errors="replace") as file:
        rows = [row for row in csv.reader(file) if row and row[0] != "[Data]"]
    if not rows or rows[0][0] != col.CASE_ID:
        return {}
    # The family's name: Family Id, else (workflow sheet) the Analysis
    # Group, else the proband's BioSample Name, as the pedigree names it.
    names = [col.FAMILY_ID, col.ANALYSIS_GROUP, col.BIOSAMPLE_NAME]
    at = [rows[0].index(name) for name in names if name in rows[0]]
    found = {}
    for row in rows[1:]:
        family = next((row[i] for i in at if i < len(row) and row[i]), None)
        if row[0] and family:
            found[family] = row[0]
    return found


def results_hold_cases(path) -> bool:
    """Whether a results CSV lists at least one case id in its first column."""
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as file:
            rows = [row for row in csv.reader(file) if row and row[0] != "[Data]"]
    except OSError:
        return False
    return bool(rows) and rows[0][0] == col.CASE_ID and any(r[0] for r in rows[1:])


def results_path_for(sheet) -> Path:
    """Where the results CSV of a sheet goes: beside it, like Emedgene's tool."""
    sheet = Path(sheet)
    return sheet.with_name(f"{sheet.stem}.results.csv")


def by_proband_line(cases, by_family: dict[str, str], table) -> dict[int, str]:
    """Spread family → value (case id, error) onto the file lines of probands."""
    names = table[col.BIOSAMPLE_NAME]
    by_line = {}
    for case in cases:
        lines = [n for n in case.lines if names.get(n) == case.proband]
        if case.family_id in by_family and lines:
            by_line[lines[0]] = by_family[case.family_id]
    return by_line


def write_results_csv(
    sheet_path, columns, table, by_line, out=None, heading=col.CASE_ID
) -> Path:
    """Write the sheet's rows behind a first column (`Case Id`), atomically.

    A `Case Id` column the sheet already has moves to the front; a row with
    no new case id keeps its old one. With `heading="Errors"` it is the file
    Emedgene's tool writes for a refused batch (a Case Id column stays put).
    """
    from batchcase.annotate import inert_cell

    out = Path(out) if out else results_path_for(sheet_path)
    moving = heading == col.CASE_ID and col.CASE_ID in table.columns
    # Headers as the lab wrote them; cells by position (the table's column
    # names are the canonical spellings of near-miss headers).
    kept = [
        i
        for i, name in enumerate(table.columns)
        if not (moving and name == col.CASE_ID)
    ]
    old = table[col.CASE_ID] if moving else None

    rows = [
        ["[Data]"] + [""] * (len(columns) - 1),
        [heading, *(columns[i] for i in kept)],
    ]
    cells_by_line = zip(
        table.index, table.iloc[:, kept].itertuples(index=False), strict=True
    )
    for line, cells in cells_by_line:
        previous = old[line] if old is not None else ""
        rows.append([inert_cell(by_line.get(int(line)) or previous), *cells])
    atomic.write_text(out, _csv_text(rows))
    return out


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _pending(state, family_id: str) -> bool:
    family = state.families.get(family_id)
    return family is not None and family.pending


def _known_error(case: PlannedCase, taken: dict) -> str:
    held = taken[case.family_id]
    where = (
        f"is already in case {', '.join(held)}"
        if held
        else "is already a sample on Emedgene, and the search does not say "
        "which case holds it"
    )
    return (
        f"proband {case.proband} {where}; if this family already has a case, "
        "put its id in the sheet's Case Id column; to create another case "
        "anyway pass --allow-existing-cases"
    )


def cases_holding(client, biosample: str) -> list[str] | None:
    """Names of the cases on the server that hold a sample of this name.

    None when the search finds the sample but does not say which cases hold
    it: then nothing proves a case is absent, and nothing is resent.
    """
    names = []
    for hit in client.find_samples(biosample):
        if "cases" not in hit and "case_name" not in hit:
            return None
        for case in hit.get("cases") or []:
            names.append(case.get("name") if isinstance(case, dict) else case)
        names.append(hit.get("case_name"))
    return [str(name) for name in names if name]
