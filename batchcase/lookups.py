"""Finding a batch's BaseSpace files and existing samples on Emedgene.

Three kinds of Files Names need the server (see mapper): `auto` (the files
of a biosample in a BaseSpace project), BaseSpace file ids (paths without
an extension) and `existing` (a sample already in Emedgene). Rows that name
a storage provider also have it checked. ServerFileResolver asks Emedgene,
each storage provider, folder and sample once per run; resolve_plan makes
every lookup a batch needs before any dry run and turns each failure into a
finding on its row, so one refused lookup stops the whole batch.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from batchcase import columns as col
from batchcase.errors import ApiError, AuthError, BatchcaseError
from batchcase.findings import Finding, error, sort_key
from batchcase.mapper import EXISTING, file_pairs, needs_lookup, plan_case
from batchcase.plan import Plan

log = logging.getLogger(__name__)

BASESPACE = "basespace"
# Answers that say the sheet named something the server does not have; any
# other failure (5xx after retries, no connection, login) stops the batch.
_NOT_THE_SHEETS_FAULT = (401, 403, 407, 408, 429)
_AUTO_WHY = (
    "Files Names auto finds files in BaseSpace only: give a BaseSpace storage "
    "provider, or list the sample's files instead of auto"
)


class LookupProblem(BatchcaseError, LookupError):
    """A lookup found nothing usable; `column` is the cell a person must fix."""

    def __init__(self, rule: str, column: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.column = column


class ServerFileResolver:
    """A mapper.FileResolver that asks Emedgene, keeping every answer for the run.

    A failed lookup is kept too, so a wrong storage provider on fifty rows is
    asked about once. One thread at a time: the answers are not locked.
    """

    def __init__(self, client):
        self.client = client
        self._answers: dict[tuple, object] = {}

    def storage_scheme(self, storage_id: int) -> str:
        """The scheme of a storage provider: basespace, s3, ..."""
        return self._cached(("storage", storage_id), self._fetch_scheme, storage_id)

    def listing(self, storage_id: int, folder: str) -> list[dict]:
        """Every resource in a folder of a storage provider, all pages."""
        key = ("listing", storage_id, folder.strip("/"))
        return self._cached(key, self._fetch_listing, storage_id, folder)

    def existing_sample(self, biosample: str) -> str:
        """The id of the Emedgene FASTQ sample named exactly `biosample`."""
        return self._cached(("sample", biosample), self._fetch_sample, biosample)

    def auto_files(self, storage_id, project, biosample) -> list[tuple[str, str]]:
        """(path, filename) of each sequenced file of a biosample in a project."""
        self._require_basespace(storage_id, col.STORAGE_PROVIDER_ID, _AUTO_WHY)
        biosample_id = self._biosample_id(storage_id, project, biosample)

        datasets = f"{biosample_id}/datasets/"
        folders = [
            f"{datasets}{dataset['name']}/sequenced files/"
            for dataset in self.listing(storage_id, datasets)
        ]
        paths = [
            folder + item["name"]
            for folder in folders
            for item in self.listing(storage_id, folder)
        ]
        if not paths:
            raise _no_files(storage_id, project, biosample)
        return [(path, self.file_name(storage_id, path)) for path in paths]

    def file_name(self, storage_id: int, path: str) -> str:
        """The file name (BaseSpace alias) of a file given by its id path."""
        self._require_basespace(storage_id, col.FILES_NAMES, _file_id_why(path))
        folder, _, name = path.strip("/").rpartition("/")

        for item in self.listing(storage_id, folder):
            if item.get("name") == name and item.get("alias"):
                return str(item["alias"])
        raise LookupProblem(
            "file-id-unknown",
            col.FILES_NAMES,
            f"{path!r} has no extension, so it is read as a BaseSpace file id, "
            f"but folder {folder!r} of storage provider {storage_id} has no named "
            f"file {name!r}; check the id, or write the file's full name",
        )

    # -- fetching -------------------------------------------------------

    def _cached(self, key, fetch, *args):
        """fetch(*args) once per key; a LookupProblem is kept and raised again."""
        if key not in self._answers:
            log.debug("looking up %s", key)
            try:
                self._answers[key] = fetch(*args)
            except LookupProblem as problem:
                self._answers[key] = problem
        answer = self._answers[key]
        if isinstance(answer, LookupProblem):
            raise answer
        return answer

    def _fetch_scheme(self, storage_id) -> str:
        try:
            storage = self.client.storage(storage_id)
        except ApiError as exc:
            raise LookupProblem(
                "storage-unknown",
                col.STORAGE_PROVIDER_ID,
                f"Emedgene does not know storage provider {storage_id} "
                f"({_sheets_fault(exc)}); give the id of a storage provider set up "
                "on this Emedgene account",
            ) from None
        return str(storage.get("scheme") or "").casefold()

    def _fetch_listing(self, storage_id, folder) -> list[dict]:
        try:
            return self.client.fs_list(storage_id, folder)
        except ApiError as exc:
            raise LookupProblem(
                "listing-refused",
                col.FILES_NAMES,
                f"Emedgene cannot list {folder!r} on storage provider {storage_id} "
                f"({_sheets_fault(exc)}); check the paths in Files Names",
            ) from None

    def _fetch_sample(self, biosample) -> str:
        hits = self.client.find_samples(biosample)
        exact = [hit for hit in hits if hit.get("name", biosample) == biosample]
        if not exact:
            raise LookupProblem(
                "existing-unknown",
                col.BIOSAMPLE_NAME,
                f"BioSample Name {biosample!r} is not an existing sample: Emedgene "
                "has no FASTQ sample of that name; check the name, or list the "
                "sample's files instead of existing",
            )
        if not exact[0].get("id"):
            raise ApiError(f"the sample search found {biosample!r} without an id")
        return exact[0]["id"]

    def _require_basespace(self, storage_id, column: str, why: str) -> None:
        scheme = self.storage_scheme(storage_id)
        if scheme != BASESPACE:
            raise LookupProblem(
                "storage-not-basespace",
                column,
                f"storage provider {storage_id} is {scheme or 'unnamed'} storage, "
                f"not basespace; {why}",
            )

    def _biosample_id(self, storage_id, project, biosample) -> str:
        """The path of a biosample, found by project and biosample alias."""
        projects = self.listing(storage_id, "/projects")
        project_id = _named(projects, project)
        if project_id is None:
            raise _no_project(storage_id, project, [p.get("alias") for p in projects])

        biosamples = f"/projects/{project_id}/biosamples"
        biosample_id = _named(self.listing(storage_id, biosamples), biosample)
        if biosample_id is None:
            raise _no_biosample(storage_id, project, biosample)
        return f"{biosamples}/{biosample_id}"


def _named(items: list[dict], alias: str) -> str | None:
    """The name (id) of the resource whose alias is `alias`."""
    return next((str(i["name"]) for i in items if i.get("alias") == alias), None)


def _sheets_fault(exc: ApiError) -> str:
    """The server's answer when it blames what the sheet names; else re-raise.

    A 4xx other than a login or throttling answer says the storage provider
    or folder is wrong; anything else (5xx after retries, no connection, a
    refused login) is not the sheet's fault and stops the batch.
    """
    status = exc.status
    if isinstance(exc, AuthError) or status is None or not 400 <= status < 500:
        raise exc
    if status in _NOT_THE_SHEETS_FAULT:
        raise exc
    return f"HTTP {status}: {exc.response_message or exc}"


def _file_id_why(path: str) -> str:
    return (
        f"{path!r} has no extension, so it is read as a BaseSpace file id: write "
        "the file's full name (with .fastq.gz), or give a BaseSpace storage provider"
    )


def _no_project(storage_id, project, known) -> LookupProblem:
    return LookupProblem(
        "auto-project-unknown",
        col.DEFAULT_PROJECT,
        f"no sample files found: storage provider {storage_id} has no BaseSpace "
        f"project {project!r} (it has {_some(known)}); write Default Project as "
        "BaseSpace names it",
    )


def _no_biosample(storage_id, project, biosample) -> LookupProblem:
    return LookupProblem(
        "auto-biosample-unknown",
        col.BIOSAMPLE_NAME,
        f"no sample files found: BaseSpace project {project!r} (storage provider "
        f"{storage_id}) has no biosample {biosample!r}; check BioSample Name and "
        "Default Project as BaseSpace names them, or list the files instead of "
        "auto",
    )


def _no_files(storage_id, project, biosample) -> LookupProblem:
    return LookupProblem(
        "auto-no-files",
        col.BIOSAMPLE_NAME,
        f"no sample files found: biosample {biosample!r} of BaseSpace project "
        f"{project!r} (storage provider {storage_id}) has no sequenced files yet; "
        "wait for its run to finish, or list the files instead of auto",
    )


def _some(names: list[str], shown: int = 5) -> str:
    """A few names for a message: `'A', 'B' and 3 more`, or `none`."""
    if not names:
        return "none"
    listed = ", ".join(repr(str(name)) for name in names[:shown])
    more = len(names) - shown
    return f"{listed} and {more} more" if more > 0 else listed


# ---------------------------------------------------------------- the batch


def resolve_plan(plan: Plan, resolver, skip=()) -> Plan:
    """The plan with every lookup made: complete bodies, or a finding per failure.

    Families in `skip` (a case exists already), with a Case Id, or with
    errors already are not looked up; only bodies that held placeholders are
    rebuilt. When any lookup fails none is: the findings join the
    validation's, and `valid` is False.
    """
    families = [f for f in plan.validation.families if f.proband is not None]
    skip = set(skip) | plan.families_with_errors()
    todo = [
        n
        for n, case in enumerate(plan.cases)
        if case.family_id not in skip and case.existing_case_id is None
    ]
    findings = [f for n in todo for f in family_lookups(families[n], resolver)]
    if findings:
        merged = sorted(plan.validation.findings + findings, key=sort_key)
        return Plan(replace(plan.validation, findings=merged), plan.cases)

    cases = list(plan.cases)
    for n in todo:
        if needs_lookup(families[n]):
            cases[n] = plan_case(families[n], plan.sheet.columns, resolver)
    return Plan(plan.validation, cases)


def family_lookups(family, resolver) -> list[Finding]:
    """Make each lookup a family's rows need; a finding for each row that fails."""
    findings = []
    for member in family.members:
        try:
            look_up_row(member, resolver)
        except LookupProblem as problem:
            findings.append(
                error(
                    problem.rule,
                    str(problem),
                    line=member.line,
                    column=problem.column,
                    value=member.get(problem.column),
                    family=family.family_id,
                )
            )
    return findings


def look_up_row(member, resolver) -> None:
    """Check a row's storage provider, then find its files or existing sample."""
    storage = member.get(col.STORAGE_PROVIDER_ID).strip()
    storage_id = int(storage) if storage.isdigit() else storage
    if storage:
        resolver.storage_scheme(storage_id)

    if member.get(col.FILES_NAMES).strip().casefold() == EXISTING:
        resolver.existing_sample(member.biosample)
    else:
        file_pairs(member, storage_id, resolver)
