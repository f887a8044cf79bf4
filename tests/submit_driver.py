"""Run submit_batch in its own process, as the CLI would, without a sheet.

    python tests/submit_driver.py CASES.json RECORD HOST [JOBS] [TIMEOUT] [RESULTS]

CASES.json holds a list of PlannedCase fields; credentials come from the
EMEDGENE_* variables. Logs go to stderr at DEBUG; the outcome, as JSON, to
stdout. With RESULTS, a results CSV of the probands is written there.
"""

import json
import logging
import sys
from dataclasses import asdict

import pandas as pd

from batchcase.client import Credentials, EmedgeneClient, RetryPolicy
from batchcase.mapper import PlannedCase
from batchcase.submit import by_proband_line, submit_batch, write_results_csv


def main(cases_path, record, host, jobs="4", timeout="5", results=None):
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    with open(cases_path) as file:
        cases = [PlannedCase(**fields) for fields in json.load(file)]
    retry = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05)
    client = EmedgeneClient(
        host, Credentials.from_env(), timeout=float(timeout), retry=retry
    )

    result = submit_batch(cases, client, record, jobs=int(jobs), settle=0.2)
    if results:
        write_proband_results(cases, result, results)
    outcome = {f: asdict(r) for f, r in result.families.items()}
    print(json.dumps(outcome))
    return int(result.exit_code)


def write_proband_results(cases, result, path):
    lines = [case.lines[0] for case in cases]
    table = pd.DataFrame(
        {
            "Family Id": [case.family_id for case in cases],
            "BioSample Name": [case.proband for case in cases],
        },
        index=pd.Index(lines, name="line"),
        dtype=object,
    )
    by_line = by_proband_line(cases, result.case_ids(), table)
    write_results_csv(path, list(table.columns), table, by_line, out=path)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
