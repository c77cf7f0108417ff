"""Benchmark: the shared store (DuckLake, catalogue in PostgreSQL) against a DuckDB file.

Starts Debian's PostgreSQL in a temporary folder (as the tests do), writes the demo clinic's
export at 250,000 appointments, then measures:

(a) one clinic's load, sync (every pending service typed) and audit, on DuckLake and on a
    DuckDB file, in this process (medians of the audit's repeats), and their ratios;
(b) the loads of the other clinics into the same store (20 clinics by default);
(c) the regional audit of all of them (``orchestrator region``'s work), median of 3;
(d) one small write transaction (a clinic's amounts changed), median of 30, on both stores;
(e) the data path before and after ``orchestrator maintain``.

    .venv/bin/python bench/region.py [--clinics 20] [--appointments 250000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from postgres_server import PostgresServer  # noqa: E402  (the tests' server, started the same way)

from orchestrator_lib import rates, store  # noqa: E402
from orchestrator_lib.audit import run_audit  # noqa: E402
from orchestrator_lib.demo import write_demo_export  # noqa: E402
from orchestrator_lib.load import load_export  # noqa: E402
from orchestrator_lib.moves import maintain_store  # noqa: E402
from orchestrator_lib.region import run_region  # noqa: E402
from orchestrator_lib.wizard import sync  # noqa: E402

QUARTER = "2026Q3"
AS_OF = "2026-10-15T12:00"


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def median_of(times: int, work) -> float:
    return statistics.median(timed(work)[0] for _ in range(times))


def one_clinic(db: store.Location, export: Path, folder: Path) -> dict[str, float]:
    """Load, sync and audit one clinic; seconds of each."""
    figures = {"load": timed(lambda: load_export(export, db))[0]}
    with store.reading(db) as con:
        pending = [r[0] for r in con.execute("SELECT service_id FROM pending_services ORDER BY 1").fetchall()]
    decisions = folder / f"decisions-{db.clinic}.json"
    decisions.write_text(json.dumps({"types": {sid: ["suivi_regulier"] for sid in pending}}), encoding="utf-8")
    figures["sync"] = timed(lambda: sync(db, decisions, as_of=AS_OF))[0]
    figures["audit"] = median_of(3, lambda: run_audit(db, QUARTER, as_of=AS_OF))
    return figures


def small_transactions(db: store.Location) -> float:
    amounts = iter(range(1, 10_000))
    return median_of(30, lambda: rates.set_rates(db, availability=next(amounts)))


def data_path_files(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--appointments", type=int, default=250_000)
    args = parser.parse_args()
    server = PostgresServer()
    with tempfile.TemporaryDirectory(prefix="bench-region-") as temporary:
        folder = Path(temporary)
        os.environ.update(
            {
                "ORCHESTRATOR_DATA_PATH": str(folder / "lake-data"),
                "ORCHESTRATOR_KEY_DIR": str(folder / "keys"),
                "ORCHESTRATOR_PATIENT_KEY": "bench " * 8,
            }
        )
        try:
            export = folder / "export"
            counts = write_demo_export(export, appointments=args.appointments)
            print(f"export: {counts['appointments']:,} appointments, {counts['availabilities']:,} availabilities")
            lake = f"ducklake:postgres:{server.dsn}"
            on_file = one_clinic(store.Location(str(folder / "clinic.duckdb")), export, folder)
            on_lake = one_clinic(store.Location(lake, "clinic-01"), export, folder)
            print(f"{'one clinic':<12}{'DuckDB file':>14}{'DuckLake':>12}{'ratio':>8}")
            for step in ("load", "sync", "audit"):
                print(f"{step:<12}{on_file[step]:>13.2f}s{on_lake[step]:>11.2f}s{on_lake[step] / on_file[step]:>8.2f}")
            loads = []
            for number in range(2, args.clinics + 1):
                loads.append(timed(lambda n=number: load_export(export, store.Location(lake, f"clinic-{n:02d}")))[0])
            if loads:
                print(
                    f"loads of clinics 2..{args.clinics}: median {statistics.median(loads):.2f} s, max {max(loads):.2f} s"
                )
            seconds = median_of(3, lambda: run_region(store.Location(lake), QUARTER, as_of=AS_OF))
            result = run_region(store.Location(lake), QUARTER, as_of=AS_OF)
            print(
                f"regional audit of {len(result.clinics)} clinics ({result.owed:,} items owed): {seconds:.2f} s "
                f"(median of 3)"
            )
            small_file = small_transactions(store.Location(str(folder / "clinic.duckdb")))
            small_lake = small_transactions(store.Location(lake, "clinic-01"))
            print(
                f"one small write transaction: DuckDB file {small_file * 1000:.0f} ms, DuckLake "
                f"{small_lake * 1000:.0f} ms (medians of 30)"
            )
            before = data_path_files(folder / "lake-data")
            upkeep, done = timed(lambda: maintain_store(store.Location(lake)))
            after = data_path_files(folder / "lake-data")
            print(
                f"data path: {before[0]} files, {before[1] / 2**20:.0f} MiB; after maintain ({upkeep:.1f} s, {done}): "
                f"{after[0]} files, {after[1] / 2**20:.0f} MiB"
            )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
