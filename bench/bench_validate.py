"""Validation speed and memory on a 100,000-row workflow sheet (~33,000 trios).

The baseline, measured in the same run on the same file, is
`pandas.read_csv(path, dtype=str)`: the least any pandas-based tool must
spend reading the sheet. Also times `batchcase --help` against
`python -c "import click"`. Run: python bench/bench_validate.py [--rows N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "BioSample Name,Default Project,Container Name,Container Position,Prep Request,"
    "Required Yield Gbp,Analysis Workflow,Analysis Group,Sample Label,Delivery Mode,"
    "Case Type,Files Names,Storage Provider Id,Relation,Sex,Phenotypes,Phenotypes Id,"
    "Date Of Birth,Due Date"
)


def write_sheet(path: Path, rows: int) -> None:
    """A valid workflow sheet of trios (and one singleton to round up)."""
    lines = ["[Header]", "FileVersion,1", "[Data]", HEADER]
    trios, rest = divmod(rows, 3)
    for n in range(trios):
        group = f"FAM-{n:06d}"
        for role, sex, wf, pheno in (
            ("proband", "F", "emedgene-create-case_3", ",HP:0001250;HP:0001263"),
            ("mother", "F", "", "unaffected,"),
            ("father", "M", "", "unaffected,"),
        ):
            name = f"S{n:06d}-{role[0].upper()}"
            files = f"/runs/r1/{name}_R1_001.fastq.gz;/runs/r1/{name}_R2_001.fastq.gz"
            lines.append(
                f"{name},Proj-1,PLATE-{n // 96:04d},A01,Unknown,100,{wf},{group},,,"
                f"{'Exome' if wf else ''},{files},101,{role},{sex},{pheno},"
                f"2019-01-01,"
            )
    for n in range(rest):
        name = f"SGL-{n:06d}"
        files = f"/runs/r1/{name}_R1_001.fastq.gz"
        lines.append(
            f"{name},Proj-1,PLATE-X,A01,Unknown,100,emedgene-create-case_1,,,,"
            f"Exome,{files},101,proband,F,,HP:0001250,2019-01-01,"
        )
    path.write_text("\n".join(lines) + "\n")


def timed(function, repeat: int) -> float:
    """The median wall time of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_mb(code: str) -> float:
    """Peak resident memory of a fresh interpreter running `code`.

    Read from VmHWM, which starts afresh at exec (ru_maxrss would carry over
    this process's own peak into the child).
    """
    script = (
        f"{code}\n"
        "status = open('/proc/self/status').read()\n"
        "print(next(l.split()[1] for l in status.splitlines()"
        " if l.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1]) / 1024


def command_time(args: list[str], repeat: int) -> float:
    return timed(lambda: subprocess.run(args, capture_output=True, check=True), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from batchcase.validation import validate_sheet

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_sheet(path, args.rows)

        # Warm both paths once (imports, caches) so neither pays it in the timing.
        validation = validate_sheet(path)
        assert validation.valid, validation.findings[:3]
        pd.read_csv(path, dtype=str, skiprows=3)

        read = timed(lambda: pd.read_csv(path, dtype=str, skiprows=3), args.repeat)
        check = timed(lambda: validate_sheet(path), args.repeat)
        memory = peak_memory_mb(
            "from batchcase.validation import validate_sheet\n"
            f"validate_sheet({str(path)!r})"
        )
        baseline_memory = peak_memory_mb(
            f"import pandas as pd\npd.read_csv({str(path)!r}, dtype=str, skiprows=3)"
        )

    click_import = command_time([sys.executable, "-c", "import click"], 5)
    help_time = command_time([sys.executable, "-m", "batchcase", "--help"], 5)

    print(f"rows: {args.rows}, cases: {len(validation.families)}")
    print(f"pandas.read_csv(dtype=str): {read:.3f} s")
    print(
        f"batchcase validate:         {check:.3f} s  ratio {check / read:.2f}x"
        " (target <= 2.5x)"
    )
    print(
        f"peak memory validate:       {memory:.0f} MB (target < 400 MB;"
        f" read_csv alone {baseline_memory:.0f} MB)"
    )
    print(f"python -c 'import click':   {click_import:.3f} s")
    print(
        f"batchcase --help:           {help_time:.3f} s  ratio"
        f" {help_time / click_import:.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
