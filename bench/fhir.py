"""Benchmark: the FHIR connector against the local FHIR R4 server.

Starts the tests' server (``tests/fhir_server``, Medplum's router in memory,
on 127.0.0.1), fills it with the demo clinic at benchmark size (default
100,000 appointments and about 25,000 slots, with their services, staff and
schedules), then times through ``orchestrator_lib.load.load_fhir``:

1. a full load into a new database (every resource read, mapped, loaded);
2. an incremental load after 1 % of the appointments changed status on the
   server: only what changed since the full load is read and merged (services,
   staff and schedules, being few, are always read whole);

and prints resources per second for each (resources read from the server,
whole load included: HTTP, mapping, validation, pseudonymisation, commit).
The connector reads from 30 s before the previous load began, so the
script waits that long between filling the server and the full load.

    .venv/bin/python bench/fhir.py [--appointments N] [--changed PCT]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from orchestrator_lib.demo import write_demo_export
from orchestrator_lib.load import load_fhir
from orchestrator_lib.sources import fhir
from orchestrator_lib.sources.fhir_client import FhirClient

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fhir_launch", ROOT / "tests" / "fhir_server" / "launch.py")
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def read_count(result) -> int:
    """Resources read, from the load's own summary line."""
    return sum(int(part.rsplit(" ", 1)[1]) for part in result.read.split(" : ", 1)[1].rstrip(".").split(", "))


def change_appointments(base: str, share: float) -> int:
    """Change the status of ``share`` of the appointments, evenly spread, on the server."""
    client = FhirClient(base, page_size=5000)
    every = max(1, round(1 / share))
    changed = [
        {**a, "status": "noshow" if a.get("status") != "noshow" else "fulfilled"}
        for i, a in enumerate(client.search("Appointment"))
        if i % every == 0
    ]
    for start in range(0, len(changed), 5000):
        client.post_batch(changed[start : start + 5000])
    return len(changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument(
        "--changed", type=float, default=1.0, help="percent of appointments changed before the incremental load"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fhir-bench-") as work, launch.running_fhir_server() as base:
        work = Path(work)
        counts = write_demo_export(work / "export", appointments=args.appointments)
        seeded, seconds = timed(lambda: fhir.seed_server(base, work / "export", batch=10_000))
        print(
            f"server filled: {seeded:,} resources in {seconds:.1f} s ({counts['appointments']:,} appointments, "
            f"{counts['availabilities']:,} slots)"
        )
        time.sleep(fhir.INCREMENTAL_MARGIN.total_seconds() + 1)

        db = work / "bench.duckdb"
        full, seconds = timed(lambda: load_fhir(base, db))
        n = read_count(full)
        print(
            f"full load:        {n:>9,} resources in {seconds:6.2f} s = {n / seconds:>9,.0f} resources/s "
            f"({full.appointments:,} appointments, {full.availabilities:,} availabilities)"
        )

        changed = change_appointments(base, args.changed / 100)
        incremental, seconds = timed(lambda: load_fhir(base, db))
        n = read_count(incremental)
        print(
            f"incremental load: {n:>9,} resources in {seconds:6.2f} s = {n / seconds:>9,.0f} resources/s "
            f"({changed:,} appointments changed on the server; {incremental.read})"
        )
        ok = incremental.changed and incremental.appointments == full.appointments
    if not ok:
        print("MISMATCH: the incremental load did not merge the changes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
