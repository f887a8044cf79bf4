"""A family → the v2 case JSON Emedgene's batch tool would post for it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlannedCase:
    """One case to create: its family, the exact body to post, where it came from.

    `proband` is the proband's BioSample Name (what a lookup on the server
    finds the case by); `lines` are the file lines of its members.
    `existing_case_id` is set when the sheet already records a case id for
    the family (a `Case Id` column written by an earlier run): nothing is
    posted for it.
    """

    family_id: str
    body: dict
    proband: str
    lines: list[int] = field(default_factory=list)
    existing_case_id: str | None = None
