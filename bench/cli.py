"""Benchmark: how fast the command line answers (a new Python process each time).

Times ``orchestrator --help`` (the commands' imports kept lazy) and
``orchestrator --db DEMO services --json`` on the demo clinic: the cost of a
start, paid by every script and papermill cell that calls the CLI.

Target: ``--help`` < 0.4 s (median of 7 runs). Exit status: 0 met, 1 missed.

    .venv/bin/python bench/cli.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORCHESTRATOR = str(Path(sys.executable).parent / "orchestrator")
MAX_HELP_SECONDS = 0.4
RUNS = 7


def median_seconds(*args: str) -> float:
    subprocess.run([ORCHESTRATOR, *args], capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([ORCHESTRATOR, *args], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        db = str(Path(work) / "demo.duckdb")
        subprocess.run(
            [ORCHESTRATOR, "--db", db, "load", str(ROOT / "data" / "demo"), "--json"], capture_output=True, check=True
        )
        help_seconds = median_seconds("--help")
        services_seconds = median_seconds("--db", db, "services", "--json")
    ok = help_seconds < MAX_HELP_SECONDS
    print("command line (median of 7 starts)")
    print(
        f"  orchestrator --help            {help_seconds:.2f} s (target < {MAX_HELP_SECONDS} s: "
        f"{'met' if ok else 'MISSED'})"
    )
    print(f"  orchestrator services --json   {services_seconds:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
