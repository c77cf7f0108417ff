"""An `orchestrator sync` killed with SIGKILL at any moment leaves the catalogue
wholly before the run or wholly after it, never in between, and the history
always agrees with it: no run without its changes, no change without its run.

The clinic has 5,000 pending services so that the run lasts long enough to be
killed at many points: while the wizard reads, while it checks the decisions,
inside the write transaction, during the commit and during the checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from orchestrator_lib.load import load_export

from conftest import ORCHESTRATOR, snapshot, write_export

pytestmark = pytest.mark.slow  # real processes, servers or notebooks: left out of make test-fast

N = 5_000
AS_OF = "2026-11-27T12:00"
TYPES = ["urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier"]


def sid(i: int) -> str:
    return f"SRV-{i:05d}"


def services_csv() -> str:
    names = ["Vaccination", "Précédent rendez-vous", "Suivi régulier", "Sans rendez-vous", "Pédiatrie"]
    rows = [f"{sid(i)},{names[i % 5]} n° {i},active\n" for i in range(N)]
    return "service_id,name,emr_status\n" + "".join(rows)


def appointments_csv() -> str:
    """A future appointment for half the services kept inactive (automatic reactivation)."""
    rows = [f"APT-{i},{sid(i)},STF-1,2026-12-{1 + i % 28:02d}T09:00,booked\n" for i in range(1, N, 20)]
    return "appointment_id,service_id,staff_id,start,status\n" + "".join(rows)


def decisions() -> dict:
    """10 % excluded, 10 % kept inactive, 40 % typed, the rest left without a type."""
    return {
        "exclude": [sid(i) for i in range(0, N, 10)],
        "inactive": [sid(i) for i in range(1, N, 10)],
        "types": {
            sid(i): TYPES[: 1 + i % 3] for i in range(N) if i % 10 in (2, 3, 4, 5) or (i % 20 == 1 and i % 40 < 20)
        },
    }


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """The loaded clinic (nothing imported yet), its decisions file and its snapshot."""
    folder = tmp_path_factory.mktemp("crash")
    export = write_export(
        folder / "export",
        {
            "services": services_csv(),
            "appointments": appointments_csv(),
            "availabilities": "availability_id,service_id,staff_id,start,end\n",
        },
    )
    db = folder / "base.duckdb"
    load_export(export, db)
    path = folder / "decisions.json"
    path.write_text(json.dumps(decisions()), encoding="utf-8")
    return {"db": db, "decisions": path, "snapshot": snapshot(db)}


def copy_db(source: Path, target: Path) -> Path:
    for suffix in ("", ".wal", ".key"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


def start_sync(db: Path, path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            ORCHESTRATOR,
            "--db",
            str(db),
            "sync",
            "--decisions",
            str(path),
            "--as-of",
            AS_OF,
            "--user",
            "crash-test",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )


def wait_for(condition, process: subprocess.Popen, timeout: float = 60) -> bool:
    """Poll ``condition`` until it holds (True) or the process ends (False)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return condition()
        time.sleep(0.0005)
    raise AssertionError("the sync neither progressed nor ended")


def content(db: Path) -> dict:
    """The orchestrator side, without what differs between two equal runs (times)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "services": con.execute(
                "SELECT service_id, name, excluded, status, list_sort(types) FROM services ORDER BY service_id"
            ).fetchall(),
            "runs": con.execute(
                "SELECT run_id, number, kind, applied_by, as_of, undoes, undone_by FROM runs ORDER BY number"
            ).fetchall(),
            "run_changes": con.execute(
                "SELECT * EXCLUDE (before_types, after_types), list_sort(before_types), "
                "list_sort(after_types) FROM run_changes ORDER BY run_id, service_id"
            ).fetchall(),
            "disagreements": con.execute("""
                SELECT count(*) FROM run_changes c FULL JOIN services s USING (service_id)
                WHERE c.service_id IS NULL OR s.service_id IS NULL
                   OR c.after_excluded IS DISTINCT FROM s.excluded OR c.after_status IS DISTINCT FROM s.status
                   OR list_sort(c.after_types) IS DISTINCT FROM list_sort(s.types)""").fetchone()[0],
            "runs_without_changes": con.execute(
                "SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM run_changes c WHERE c.run_id = r.run_id)"
            ).fetchone()[0],
            "changes_without_run": con.execute(
                "SELECT count(*) FROM run_changes c WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = c.run_id)"
            ).fetchone()[0],
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(clinic, tmp_path_factory):
    """The same sync run to completion: its content, its summary and how long it
    took to reach its commit (the moment the write-ahead log appears)."""
    db = copy_db(clinic["db"], tmp_path_factory.mktemp("reference") / "clinic.duckdb")
    started = time.perf_counter()
    process = start_sync(db, clinic["decisions"])
    wait_for(lambda: Path(f"{db}.wal").exists(), process)
    to_commit = time.perf_counter() - started
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    summary = json.loads(stdout)
    after = content(db)
    assert len(after["services"]) == N and len(after["runs"]) == 1 and len(after["run_changes"]) == N
    assert after["disagreements"] == 0
    return {"content": after, "summary": summary, "to_commit": to_commit}


def test_the_reference_run_is_what_the_decisions_say(reference):
    summary = reference["summary"]
    assert len(summary["excluded"]) == N // 10
    kept = [sid(i) for i in range(1, N, 10)]
    reactivated = [s for s in kept if int(s[4:]) % 20 == 1 and int(s[4:]) % 40 < 20]
    assert summary["auto_reactivated"] == sorted(reactivated)
    assert set(summary["inactive"]) == set(kept) - set(reactivated) | set(summary["auto_deactivated"])
    assert len(summary["active"]) + len(summary["inactive"]) + len(summary["excluded"]) == N


# Kill moments: fixed delays after the start; delays before the moment the
# reference run committed (inside the write transaction); and moments taken
# from the write-ahead log of the killed run itself (during the commit, during
# the checkpoint, and once the checkpoint is over).
MOMENTS = [
    ("delay", 0.05),
    ("delay", 0.3),
    ("delay", 0.8),
    ("delay", 1.5),
    ("before_commit", 0.3),
    ("before_commit", 0.1),
    ("before_commit", 0.03),
    ("wal", 0.0),
    ("wal", 0.002),
    ("wal", 0.01),
    ("wal", 0.03),
    ("wal_gone", 0.0),
]


@pytest.mark.parametrize("moment, seconds", MOMENTS, ids=[f"{m}+{s}" for m, s in MOMENTS])
def test_a_killed_sync_is_all_or_nothing(clinic, reference, tmp_path, moment, seconds):
    db = copy_db(clinic["db"], tmp_path / "clinic.duckdb")
    wal = Path(f"{db}.wal")
    started = time.perf_counter()
    process = start_sync(db, clinic["decisions"])
    try:
        if moment == "delay":
            time.sleep(seconds)
        elif moment == "before_commit":
            time.sleep(max(0.0, reference["to_commit"] - seconds - (time.perf_counter() - started)))
        elif moment == "wal":
            wait_for(wal.exists, process)
            time.sleep(seconds)
        else:  # wal_gone: the commit is checkpointed into the database file
            wait_for(wal.exists, process)
            wait_for(lambda: not wal.exists(), process)
        process.send_signal(signal.SIGKILL)
    finally:
        process.communicate(timeout=120)
    killed = process.returncode == -signal.SIGKILL
    print(f"{moment}+{seconds}: killed={killed} after {time.perf_counter() - started:.2f}s")

    found = content(db)
    assert found["runs_without_changes"] == 0 and found["changes_without_run"] == 0
    if found["services"] == []:
        # Wholly before: the database is exactly as it was.
        assert found["runs"] == [] and found["run_changes"] == []
        assert snapshot(db) == clinic["snapshot"]
        outcome = "before"
    else:
        # Wholly after: exactly what the same run commits when not killed.
        assert found == reference["content"]
        outcome = "after"
    print(f"outcome: {outcome}")
    if moment == "delay" and seconds <= 0.05:
        assert killed and outcome == "before"
    if moment == "wal_gone":
        assert outcome == "after"
