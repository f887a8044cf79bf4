"""Submit 500 cases to the sandbox with 50 ms per creation; compare with the ideal.

    python bench/bench_submit.py [--cases 500] [--latency 0.05] [--jobs 8]

The ideal is cases × latency ÷ jobs: perfect parallelism with zero overhead.
The sandbox runs in its own process, as a real server would, so it does not
share the submitter's interpreter lock. Two ratios are printed: the whole
submission (login, a dry run and a lookup per case, then the creations,
every step fsynced to the record) and the creation phase alone (first
POST to last 201, from the record's timestamps).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from emedgene_fixtures import planned_cases  # noqa: E402

from batchcase.client import Credentials, EmedgeneClient  # noqa: E402
from batchcase.submit import submit_batch  # noqa: E402

SERVER = """
import sys
from batchcase.sandbox import Faults, Sandbox
box = Sandbox(Faults(latency=float(sys.argv[1])))
box.bind()
print(box.url, flush=True)
box.serve_forever()
"""


def start_sandbox(latency: float):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    return server, server.stdout.readline().strip()


def creation_seconds(record: Path) -> float:
    """From the first creating POST to the last 201, by the record's clock."""
    events = [json.loads(line) for line in record.read_text().splitlines()]
    times = [
        datetime.fromisoformat(e["time"])
        for e in events
        if e["event"] in ("post_sent", "created")
    ]
    return (max(times) - min(times)).total_seconds()


def bench(count: int, latency: float, jobs: int) -> None:
    server, url = start_sandbox(latency)
    try:
        credentials = Credentials("bench", password="bench")
        client = EmedgeneClient(url, credentials, pool_size=jobs)
        record = Path(tempfile.mkdtemp()) / "bench.batchcase-record.jsonl"
        cases = planned_cases(count)

        start = time.perf_counter()
        result = submit_batch(cases, client, record, jobs=jobs)
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()

    assert len(result.case_ids()) == count, result.exit_code
    ideal = count * latency / jobs
    create = creation_seconds(record)
    print(f"{count} cases, {latency * 1000:.0f} ms per creation, --jobs {jobs}")
    print(f"ideal (cases x latency / jobs): {ideal:.2f} s")
    print(f"creation phase: {create:.2f} s  ratio {create / ideal:.2f}x")
    print(f"whole submission: {wall:.2f} s  ratio {wall / ideal:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=8)
    options = parser.parse_args()
    bench(options.cases, options.latency, options.jobs)
