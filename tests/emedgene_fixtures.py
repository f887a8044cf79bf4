"""Planned cases and sandboxes for the tests of the HTTP side."""

from __future__ import annotations

import json
from pathlib import Path

from batchcase.client import Credentials, EmedgeneClient, RetryPolicy
from batchcase.mapper import PlannedCase

TEMPLATE = (Path(__file__).parent / "data" / "trio_case.json").read_text()
PASSWORD = "pw-Zq8-never-shown"
TOKEN = "tok-Zq8-never-shown"
API_KEY = "key-Zq8-never-shown"
SECRETS = (PASSWORD, TOKEN, API_KEY)
FAST_RETRY = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05)


def planned_case(number: int, case_type: str | None = None) -> PlannedCase:
    """A trio case (the oracle's v02 body) renamed to family number `number`."""
    prefix = f"F{number:03d}-"
    body = json.loads(TEMPLATE.replace("ORC-T02", prefix))
    if case_type:
        body["test_data"]["type"] = case_type
    return PlannedCase(
        family_id=f"FAM-{number:03d}",
        body=body,
        proband=f"{prefix}P",
        lines=[3 * number + 2, 3 * number + 3, 3 * number + 4],
    )


def planned_cases(count: int) -> list[PlannedCase]:
    return [planned_case(n) for n in range(1, count + 1)]


def client_for(sandbox, timeout=5.0, **credentials) -> EmedgeneClient:
    """A client of the sandbox; by default it logs in with PASSWORD."""
    creds = Credentials(**credentials) if credentials else None
    creds = creds or Credentials("lab-user", password=PASSWORD)
    return EmedgeneClient(sandbox.url, creds, timeout=timeout, retry=FAST_RETRY)
