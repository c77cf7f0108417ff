"""The shared store under real processes: three clinics written at once (one of them by two
processes), a regional audit looping and readers, then processes killed with SIGKILL in the
middle of a load and of an apply. Afterwards every clinic holds exactly what its committed
runs say, no process saw another clinic's rows, and a killed write left nothing half done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_lake import demo_decisions

from orchestrator_lib import store

from conftest import DEMO, ORCHESTRATOR, run_cli

pytestmark = pytest.mark.slow  # real processes for tens of seconds: left out of make test-fast

WORKER = Path(__file__).with_name("lake_worker.py")
SECONDS = float(os.environ.get("ORCHESTRATOR_CONCURRENCY_SECONDS", "8"))
CLINICS = ("est", "nord", "ouest")


def clinic_export(folder: Path, clinic: str) -> Path:
    """The demo clinic whose service ids carry the clinic's name: a row of one clinic is
    recognised wherever it shows up."""
    folder.mkdir(parents=True)
    for source in DEMO.glob("*.csv"):
        (folder / source.name).write_text(
            source.read_text(encoding="utf-8").replace("SRV-", f"{clinic}-SRV-"), encoding="utf-8"
        )
    return folder


def pending(db: store.Location) -> list[str]:
    with store.reading(db) as con:
        return [r[0] for r in con.execute("SELECT service_id FROM pending_services ORDER BY 1").fetchall()]


def loaded_and_synced(lake: str, tmp_path: Path, clinic: str) -> store.Location:
    db = store.Location(lake, clinic)
    run_cli("--db", lake, "--clinic", clinic, "load", str(clinic_export(tmp_path / clinic, clinic)), check=True)
    decisions = demo_decisions(tmp_path / clinic, pending(db))
    run_cli("--db", lake, "--clinic", clinic, "sync", "--decisions", str(decisions), check=True)
    return db


def start(role: str, lake: str, clinic: str, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), role, lake, clinic, str(SECONDS), str(out), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def state_from_runs(db: store.Location) -> dict[str, tuple]:
    """Each service as the last committed run that touched it left it."""
    with store.reading(db) as con:
        rows = con.execute(
            "SELECT c.service_id, c.after_excluded, c.after_status, c.after_types FROM run_changes c "
            "JOIN runs r USING (run_id) WHERE c.after_exists "
            "QUALIFY row_number() OVER (PARTITION BY c.service_id ORDER BY r.number DESC) = 1"
        ).fetchall()
    return {sid: (excluded, status, sorted(types)) for sid, excluded, status, types in rows}


def state_now(db: store.Location) -> dict[str, tuple]:
    with store.reading(db) as con:
        rows = con.execute("SELECT service_id, excluded, status, types FROM services").fetchall()
    return {sid: (excluded, status, sorted(types)) for sid, excluded, status, types in rows}


def test_three_clinics_written_at_once_with_a_regional_audit_and_readers(lake, tmp_path):
    dbs = {clinic: loaded_and_synced(lake, tmp_path, clinic) for clinic in CLINICS}
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = {
        "est-writer-a": start("writer", lake, "est", logs / "est-writer-a", "0/2"),
        "est-writer-b": start("writer", lake, "est", logs / "est-writer-b", "1/2"),
        "nord-writer": start("writer", lake, "nord", logs / "nord-writer"),
        "ouest-writer": start("writer", lake, "ouest", logs / "ouest-writer"),
        "region": start("region", lake, "main", logs / "region"),
        "ouest-reader": start("reader", lake, "ouest", logs / "ouest-reader"),
    }
    for name, process in processes.items():
        _out, err = process.communicate(timeout=SECONDS + 120)
        assert process.returncode == 0, f"{name}: {err}"
    seen = {name: entries(logs / name) for name in processes}
    errors = {name: [e for e in log if "error" in e] for name, log in seen.items()}
    assert errors == {name: [] for name in processes}, json.dumps(errors, indent=1)[:3000]
    # Every process worked all along (each makes at least lake_worker.MIN_ACTIONS).
    assert all(len(log) >= 3 for log in seen.values()), {name: len(log) for name, log in seen.items()}
    assert all(e["clinics"] == list(CLINICS) for e in seen["region"])
    assert any(e["action"] == "undo" for name in ("nord-writer", "ouest-writer") for e in seen[name])
    for clinic, db in dbs.items():
        made = {e["run_id"] for name, log in seen.items() if name.startswith(clinic) for e in log if e.get("run_id")}
        with store.reading(db) as con:
            runs = con.execute("SELECT run_id, number FROM runs ORDER BY number").fetchall()
        assert [number for _id, number in runs] == list(range(1, len(runs) + 1))  # no number twice
        assert {run_id for run_id, _n in runs} == made | {"run-0001"}  # the sync, then exactly the runs applied
        assert state_now(db) == state_from_runs(db), clinic
    retried = max(e["conflicts"] for e in seen["est-writer-a"] + seen["est-writer-b"])
    print(f"est's two writers: {len(seen['est-writer-a']) + len(seen['est-writer-b'])} runs, commits retried {retried}")


def snapshot(db: store.Location) -> dict[str, list]:
    with store.reading(db) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = current_schema() ORDER BY 1"
            ).fetchall()
        ]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def orchestrator(lake: str, *args: str, failpoint: str | None = None) -> subprocess.Popen:
    env = {**os.environ, **({"ORCHESTRATOR_FAILPOINT": failpoint} if failpoint else {})}
    return subprocess.Popen(
        [ORCHESTRATOR, "--db", lake, "--clinic", "est", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def second_export(tmp_path) -> Path:
    """The demo whose no-shows were held after all: a load that changes the appointments."""
    folder = clinic_export(tmp_path / "second", "est")
    appointments = folder / "appointments.csv"
    appointments.write_text(
        appointments.read_text(encoding="utf-8").replace(",noshow,", ",fulfilled,"), encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize("moment", ["before_commit", "after_commit", 0.8])
def test_a_load_killed_on_the_shared_store_is_all_or_nothing(lake, tmp_path, second_export, moment):
    db = loaded_and_synced(lake, tmp_path, "est")
    before = snapshot(db)
    point = moment if isinstance(moment, str) else None
    load = orchestrator(lake, "load", str(second_export), failpoint=point)
    if point is None:
        time.sleep(moment)
        load.send_signal(signal.SIGKILL)
    load.wait(timeout=120)
    after = snapshot(db)
    if after != before:  # the load committed before the kill: then wholly the new export
        assert load.returncode in (0, -signal.SIGKILL) and point in (None, "after_commit")
        assert len(after["emr_loads"]) == len(before["emr_loads"]) + 1
        assert len(after["emr_appointments"]) == len(before["emr_appointments"])
        assert not [r for r in after["emr_appointments"] if "'noshow'" in r]
        assert {k: v for k, v in after.items() if not k.startswith("emr_")} == {
            k: v for k, v in before.items() if not k.startswith("emr_") and k != "write_turns"
        } | {"write_turns": after["write_turns"]}
    else:
        assert load.returncode == -signal.SIGKILL and point != "after_commit"


@pytest.mark.parametrize("moment", ["apply_before_commit", 0.5])
def test_an_apply_killed_on_the_shared_store_is_all_or_nothing(lake, tmp_path, moment):
    db = store.Location(lake, "est")
    run_cli("--db", lake, "--clinic", "est", "load", str(clinic_export(tmp_path / "est", "est")), check=True)
    decisions = demo_decisions(tmp_path / "est", pending(db))
    before = snapshot(db)
    point = moment if isinstance(moment, str) else None
    sync = orchestrator(lake, "sync", "--decisions", str(decisions), failpoint=point)
    if point is None:
        time.sleep(moment)
        sync.send_signal(signal.SIGKILL)
    sync.wait(timeout=120)
    after = snapshot(db)
    if after == before:
        assert sync.returncode == -signal.SIGKILL
        return
    assert point is None  # committed before the kill: exactly what the same sync commits
    assert [r.split(",")[0] for r in after["runs"]] == ["('run-0001'"]
    assert state_now(db) == state_from_runs(db) and len(state_now(db)) == len(pending_before(before))


def pending_before(before: dict[str, list]) -> list[str]:
    return [r for r in before["emr_services"] if "'active'" in r]


def test_two_processes_making_the_same_new_clinic_at_once_both_succeed(lake, tmp_path):
    """Racing DDL (the clinic's schema and its migrations) conflicts at commit: the second is
    run again, finds the clinic made, and loads into it."""
    export = clinic_export(tmp_path / "est", "est")
    loads = [orchestrator(lake, "load", str(export), "--json") for _ in range(2)]
    for load in loads:
        _out, err = load.communicate(timeout=120)
        assert load.returncode == 0, err.decode()
    with store.reading(store.Location(lake, "est")) as con:
        versions = [
            r[0] for r in con.execute("SELECT version FROM schema_migrations WHERE version > 0 ORDER BY 1").fetchall()
        ]
        assert versions == list(range(1, store.latest_version() + 1))  # each migration once
        assert store.scalar(con, "SELECT count(*) FROM emr_appointments") == 17_500
        assert store.scalar(con, "SELECT count(DISTINCT load_id) FROM emr_loads") == store.scalar(
            con, "SELECT count(*) FROM emr_loads"
        )
