"""Benchmark: ``orchestrator audit`` against the FLOOR of any audit over the same database.

Generates the demo clinic's EMR export at benchmark size (default 5,000,000
appointments, 1,250,000 availabilities), then:

1. loads it with ``orchestrator --db <work>/audit.duckdb load <export> --json``
   (timed, once: ``bench/load.py`` studies the load);
2. imports a realistic catalogue (not timed): administrative services (Pause,
   Vacances…) excluded, the EMR's placeholder « Précédent rendez-vous annulé »
   included but inactive, the two newest services left pending, every other
   clinical service active with the type of its reason;
3. times ``orchestrator audit --quarter 2026Q3 --json`` (best of R);
3b. times the FLOOR (best of R): a fresh Python process that imports duckdb,
   opens the same database read-only and runs one grouped count of the
   quarter's items (the ``remuneration_items`` view), nothing else;
4. times the BASELINE, for reference and as an independent check of the
   counts: the same counting rule of docs/rules.mds written the way an analyst
   would in pandas, from the four CSV files to the answer (``pd.read_csv``,
   parsed dates, the orchestrator's service states read once from the
   database, merges, ``np.select`` in the order of docs/rules.md, quarter filter, group
   counts), in a fresh child (best of R of its own CSV-to-answer time);
5. checks both give the SAME counts, and prints a loud MISMATCH otherwise;
6. times the full report of the demo clinic (``data/demo``):
   ``orchestrator audit --quarter 2026Q3 --out <tmp>`` (papermill + nbconvert);
7. times ``audit --out`` with its evidence pack (items.parquet, items.csv,
   manifest.json) at ``--pack-appointments`` (default 1,000,000), with the peak
   memory of the whole process tree (the command and the notebook's kernel,
   sampled every 20 ms), and ``audit --verify`` on that pack.

Targets: audit within 2 × the floor; the demo clinic's report < 8 s.
Exit status: 0 targets met and counts equal, 1 a target missed or counts
differ, 2 something could not run.

    .venv/bin/python bench/audit.py [--appointments N] [--keep DIR] [--repeat R]
                                    [--pack-appointments N] [--pack-only]

``--keep DIR`` works in DIR and leaves the export and database there; an
export already in DIR for the same N (also one kept by ``bench/load.py``) is
reused, not regenerated.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The export and its reuse are bench/load.py's (run from this folder, it is importable).
from load import export, fresh, verdict

from orchestrator_lib import store
from orchestrator_lib.demo import SERVICES

TABLES = ("services", "staff", "appointments", "availabilities")
QUARTER = "2026Q3"
QUARTER_START, QUARTER_END = "2026-07-01", "2026-10-01"  # local dates, end exclusive
MAX_FLOOR_RATIO = 2.0
MAX_REPORT_SECONDS = 8.0
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NEWEST = ("Infiltration articulaire", "Cours prénatal de groupe")  # created weeks before the export: still pending

# ---------------------------------------------------------------------------------------------
# BASELINE (not the product): the counting rule of docs/rules.mds in plain vectorised pandas,
# run in a fresh child. It prints one JSON document: the counts and its own
# time from the first read_csv to the answer.
BASELINE = r"""
import json, sys, time
import duckdb
import numpy as np
import pandas as pd

folder, db, start, end = sys.argv[1:5]
REASONS = ["service_not_imported", "service_excluded", "service_inactive", "staff_missing", "staff_inactive",
           "staff_not_volunteer"]

# The orchestrator's decisions live only in its database: read them once (before the clock starts).
con = duckdb.connect(db, read_only=True)
decided = con.execute("SELECT service_id, excluded, status AS service_status FROM services").df()
con.close()

started = time.perf_counter()
services = pd.read_csv(f"{folder}/services.csv", dtype=str)
staff = pd.read_csv(f"{folder}/staff.csv", dtype=str)
# The Volontaire box: without the column everyone is a volunteer; with it, only "true" (as the demo writes it).
staff["volunteer"] = staff["volunteer"].str.lower() == "true" if "volunteer" in staff else True
staff = staff[["staff_id", "status", "volunteer"]]
appointments = pd.read_csv(f"{folder}/appointments.csv", dtype=str,
                           usecols=["appointment_id", "service_id", "staff_id", "start", "status"])
availabilities = pd.read_csv(f"{folder}/availabilities.csv", dtype=str,
                             usecols=["availability_id", "service_id", "staff_id", "start"])

def local(text):
    # ISO 8601; without an offset it is already Montreal time, with one it is converted.
    offset = text.str.len() > 19
    moments = pd.to_datetime(text.where(~offset), format="%Y-%m-%dT%H:%M:%S")
    if offset.any():
        moments[offset] = (pd.to_datetime(text[offset], format="ISO8601", utc=True)
                           .dt.tz_convert("America/Montreal").dt.tz_localize(None))
    return moments

appointments = appointments[appointments["status"].fillna("booked").str.lower() != "cancelled"]
items = pd.concat([appointments[["service_id", "staff_id", "start"]].assign(kind="appointments"),
                   availabilities[["service_id", "staff_id", "start"]].assign(kind="availabilities")],
                  ignore_index=True)
items["start"] = local(items["start"])
items = items[(items["start"] >= pd.Timestamp(start)) & (items["start"] < pd.Timestamp(end))]
items = items.merge(decided, on="service_id", how="left")
items = items.merge(staff.rename(columns={"status": "staff_status"}), on="staff_id", how="left")
reason = np.select(
    [items["service_status"].isna(), items["excluded"].fillna(False).astype(bool),
     items["service_status"] != "active", items["staff_status"].isna(), items["staff_status"] != "active",
     (items["kind"] == "availabilities") & ~items["volunteer"].fillna(True).astype(bool)],
    REASONS, default="counted")
counts = pd.Series(reason).groupby([items["kind"].to_numpy(), reason]).size()
answer = {}
for kind in ("appointments", "availabilities"):
    found = counts.get(kind, pd.Series(dtype=int))
    not_counted = {r: int(found.get(r, 0)) for r in REASONS}
    answer[kind] = {"total": int(found.sum()), "owed": int(found.sum()) - not_counted["service_excluded"],
                    "counted": int(found.get("counted", 0)), "not_counted": not_counted}
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "counts": answer}))
"""
# ---------------------------------------------------------------------------------------------

# FLOOR: what any audit of this database pays at the least, in a process of its own.
FLOOR = r"""
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT kind, reason, count(*) FROM remuneration_items "
            "WHERE start >= TIMESTAMP '2026-07-01' AND start < TIMESTAMP '2026-10-01' GROUP BY ALL").fetchall()
con.close()
"""


def orchestrator() -> str:
    return str(Path(sys.executable).parent / "orchestrator")


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, result


def import_catalogue(db: Path) -> dict[str, int]:
    """The services as a clinic's sync leaves them (written straight into the
    orchestrator's table: the wizard's per-service checks are not what is
    measured here, and at 12,000 services they take minutes)."""
    with store.writing(db) as con:
        emr = con.execute("SELECT service_id, name FROM emr_services WHERE emr_status = 'active'").fetchall()
        con.execute("DELETE FROM services")
        rows, tally = [], {"active": 0, "inactive": 0, "excluded": 0, "pending": 0}
        for service_id, name in emr:
            spec = SERVICES[(int(service_id.split("-")[1]) - 1) % len(SERVICES)]
            if spec.name in NEWEST:
                tally["pending"] += 1
            elif spec.admin:
                rows.append((service_id, name, True, "inactive", []))
                tally["excluded"] += 1
            elif spec.name.startswith("Précédent"):
                rows.append((service_id, name, False, "inactive", []))
                tally["inactive"] += 1
            else:
                rows.append((service_id, name, False, "active", [spec.reason]))
                tally["active"] += 1
        con.executemany("INSERT INTO services (service_id, name, excluded, status, types) VALUES (?, ?, ?, ?, ?)", rows)
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appointments", type=int, default=5_000_000, metavar="N")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep the export and database there")
    parser.add_argument(
        "--repeat", type=int, default=3, metavar="R", help="time the audit, the floor and the baseline R times"
    )
    parser.add_argument("--pack-appointments", type=int, default=1_000_000, metavar="N", help="size of step 7")
    parser.add_argument("--pack-only", action="store_true", help="step 7 only")
    args = parser.parse_args()
    if args.pack_only:
        with tempfile.TemporaryDirectory(prefix="orchestrator-pack-bench-") as tmp:
            return 0 if pack_at_scale(Path(args.keep or tmp).resolve(), args.pack_appointments) else 2
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return bench(
            args.keep.resolve(),
            args.appointments,
            reuse=True,
            repeat=max(1, args.repeat),
            pack_appointments=args.pack_appointments,
        )
    with tempfile.TemporaryDirectory(prefix="orchestrator-audit-bench-") as tmp:
        return bench(
            Path(tmp),
            args.appointments,
            reuse=False,
            repeat=max(1, args.repeat),
            pack_appointments=args.pack_appointments,
        )


def bench(work: Path, n: int, reuse: bool, repeat: int, pack_appointments: int = 1_000_000) -> int:
    folder = work / "export"
    counts, generation = export(folder, n, reuse)
    db = fresh(work / "audit.duckdb")
    print("orchestrator audit benchmark")
    print(
        f"  appointments N      {n:,} (availabilities {counts['availabilities']:,}, "
        f"services {counts['services']:,}, staff {counts['staff']:,})"
        + (f", export generated in {generation:.1f} s" if generation is not None else ", export reused")
    )

    load_seconds, loaded = timed([orchestrator(), "--db", str(db), "load", str(folder), "--json"])
    if loaded.returncode != 0:
        print(f"  load                FAILED (exit {loaded.returncode}):\n{loaded.stderr[-2000:]}", file=sys.stderr)
        return 2
    print(f"  load                {load_seconds:.2f} s")
    tally = import_catalogue(db)
    print(
        f"  catalogue           {tally['active']:,} active, {tally['inactive']:,} inactive, "
        f"{tally['excluded']:,} excluded, {tally['pending']:,} left pending (not timed)"
    )

    audits = []
    for _ in range(repeat):
        seconds, audited = timed([orchestrator(), "--db", str(db), "audit", "--quarter", QUARTER, "--json"])
        if audited.returncode != 0:
            print(
                f"  audit               FAILED (exit {audited.returncode}):\n{audited.stderr[-2000:]}", file=sys.stderr
            )
            return 2
        audits.append(seconds)
    document = json.loads(audited.stdout)
    audit_seconds = min(audits)
    print(
        f"  audit               {audit_seconds:.2f} s (best of {', '.join(f'{s:.2f}' for s in audits)}); "
        f"coverage {document['coverage_pct']} %, {len(document['issues']):,} issues"
    )
    floors = []
    for _ in range(repeat):
        seconds, floored = timed([sys.executable, "-c", FLOOR, str(db)])
        if floored.returncode != 0:
            print(f"  FLOOR               FAILED:\n{floored.stderr[-2000:]}", file=sys.stderr)
            return 2
        floors.append(seconds)
    floor_seconds = min(floors)
    print(
        f"  FLOOR               {floor_seconds:.2f} s (best of {', '.join(f'{s:.2f}' for s in floors)}): "
        "python + import duckdb + open read-only + one grouped count of the quarter"
    )

    baselines, walls, answer = [], [], None
    for _ in range(repeat):
        wall, run = timed([sys.executable, "-c", BASELINE, str(folder), str(db), QUARTER_START, QUARTER_END])
        if run.returncode != 0:
            print(f"  BASELINE pandas     FAILED (exit {run.returncode}):\n{run.stderr[-2000:]}", file=sys.stderr)
            return 2
        answer = json.loads(run.stdout)
        baselines.append(answer["seconds"])
        walls.append(wall)
    baseline_seconds = min(baselines)
    print(
        f"  BASELINE pandas     {baseline_seconds:.2f} s from CSV to answer (best of "
        f"{', '.join(f'{s:.2f}' for s in baselines)}; {min(walls):.2f} s with interpreter and imports)"
    )

    ours = {side: document[side] for side in ("appointments", "availabilities")}
    same = ours == answer["counts"]
    if same:
        print("  counts              same in both implementations")
    else:
        print("  !!!!!!!!!! COUNTS MISMATCH between orchestrator audit and the pandas baseline !!!!!!!!!!")
        for side in ours:
            print(f"    {side:<15} audit    {json.dumps(ours[side])}")
            print(f"    {'':<15} baseline {json.dumps(answer['counts'][side])}")

    report_seconds = report_of_the_demo_clinic(work)
    if report_seconds is None:
        return 2

    if not pack_at_scale(work, pack_appointments):
        return 2

    ratio = audit_seconds / floor_seconds
    audit_ok, report_ok = ratio <= MAX_FLOOR_RATIO, report_seconds < MAX_REPORT_SECONDS
    print(f"  audit / floor       {ratio:.2f} (target <= {MAX_FLOOR_RATIO:.0f}: {verdict(audit_ok)})")
    print(f"  load + audit        {load_seconds + audit_seconds:.2f} s vs pandas {baseline_seconds:.2f} s (reference)")
    print(f"  demo report         {report_seconds:.2f} s (target < {MAX_REPORT_SECONDS:.0f} s: {verdict(report_ok)})")
    return 0 if audit_ok and report_ok and same else 1


def report_of_the_demo_clinic(work: Path) -> float | None:
    """``orchestrator audit --out`` on the committed demo clinic, catalogue imported."""
    db, out = fresh(work / "demo.duckdb"), work / "demo-report"
    shutil.rmtree(out, ignore_errors=True)
    _, loaded = timed([orchestrator(), "--db", str(db), "load", str(DEMO), "--json"])
    if loaded.returncode != 0:
        print(f"  demo load FAILED:\n{loaded.stderr[-2000:]}", file=sys.stderr)
        return None
    import_catalogue(db)
    seconds, reported = timed([orchestrator(), "--db", str(db), "audit", "--quarter", QUARTER, "--out", str(out)])
    if reported.returncode != 0:
        print(f"  demo report FAILED (exit {reported.returncode}):\n{reported.stderr[-2000:]}", file=sys.stderr)
        return None
    return seconds


def peak_memory(command: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run ``command``: its seconds, the peak resident memory of its whole process tree (the
    command and every process it starts, summed, sampled every 20 ms) and its result."""
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    return seconds, peak, subprocess.CompletedProcess(command, child.returncode, out, err)


def pack_at_scale(work: Path, n: int) -> bool:
    """Step 7: ``audit --out`` with its evidence pack at ``n`` appointments, and ``--verify``."""
    work = work / f"pack-{n}"  # its own folder: bench/load.py's export marker is per folder
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "export"
    counts, _generation = export(folder, n, reuse=True)
    db, out = fresh(work / "audit.duckdb"), work / "report"
    shutil.rmtree(out, ignore_errors=True)
    _, loaded = timed([orchestrator(), "--db", str(db), "load", str(folder), "--json"])
    if loaded.returncode != 0:
        print(f"  pack load FAILED:\n{loaded.stderr[-2000:]}", file=sys.stderr)
        return False
    import_catalogue(db)
    seconds, peak, reported = peak_memory(
        [orchestrator(), "--db", str(db), "audit", "--quarter", QUARTER, "--out", str(out)]
    )
    if reported.returncode != 0:
        print(f"  pack report FAILED (exit {reported.returncode}):\n{reported.stderr[-2000:]}", file=sys.stderr)
        return False
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    sizes = ", ".join(
        f"{name} {(out / name).stat().st_size / 2**20:,.1f} MiB" for name in ("items.parquet", "items.csv")
    )
    items = manifest["items"]
    print(
        f"  audit --out + pack  {seconds:.2f} s at {n:,} appointments ({counts['availabilities']:,} availabilities; "
        f"quarter items {items['appointments']:,} + {items['availabilities']:,}; {sizes}); "
        f"peak memory {peak / 2**20:,.0f} MiB (process tree)"
    )
    verify_seconds, verified = timed([orchestrator(), "--db", str(db), "audit", "--verify", str(out), "--json"])
    matches = verified.returncode == 0 and json.loads(verified.stdout)["matches"]
    print(f"  audit --verify      {verify_seconds:.2f} s: {'matches' if matches else 'DOES NOT MATCH'}")
    return matches


if __name__ == "__main__":
    sys.exit(main())
