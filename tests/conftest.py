"""Shared fixtures: a fresh database path, small exports, and a content snapshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

# The dashboard's browser fixtures (Voilà server, Chromium) live in their own module.
pytest_plugins = ["browser_fixtures", "fake_fhir", "fhir_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
ORCHESTRATOR = str(Path(sys.executable).parent / "orchestrator")

# A tiny export in SPEC §1 format: every test that needs a valid export starts here.
SMALL_EXPORT = {
    "services": "service_id,name,emr_status,created_at\n"
                "SRV-1,Vaccination,active,2025-01-10\n"
                "SRV-2,Pause,active,2025-01-10\n"
                "SRV-3,Précédent rendez-vous,active,2025-02-01\n"
                "SRV-4,Ancien service,inactive,2024-05-01\n",
    "staff": "staff_id,name,status,license,role,specialty,responsible\n"
             "STF-1,Dre Émilie Tremblay,active,12345,medecin,Médecine familiale,true\n"
             "STF-2,Marc Gagnon IPS,active,,ips,Soins de première ligne,false\n"
             "STF-3,Dr Jean Roy,inactive,23456,medecin,Médecine familiale,false\n",
    "appointments": "appointment_id,service_id,staff_id,start,end,status,patient_ref\n"
                    "APT-1,SRV-1,STF-1,2026-07-02T09:00:00,2026-07-02T09:15:00,fulfilled,TREM52031512\n"
                    "APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,noshow,GAGM60010199\n"
                    "APT-3,SRV-9,STF-1,2026-09-30T23:30:00,,cancelled,\n"
                    "APT-4,SRV-3,STF-9,2026-10-01T03:30:00+00:00,,booked,TREM52031512\n",
    "availabilities": "availability_id,service_id,staff_id,start,end,published_at,reason,clientele,mode,referral_source,location\n"
                      "AV-1,SRV-1,STF-1,2026-07-02T08:00:00,2026-07-02T12:00:00,2026-06-20T10:00:00,urgent,any,in_person,gap,Clinique Saint-Laurent\n"
                      "AV-2,SRV-3,STF-2,2026-07-03T13:00:00,2026-07-03T16:00:00,,suivi_regulier,,video,,\n",
}


def write_export(folder: Path, tables: dict[str, str] | None = None, *, encoding: str = "utf-8",
                 delimiter: str = ",", suffix: str = ".csv") -> Path:
    """Write ``tables`` (default: the small export) as CSV files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**SMALL_EXPORT, **(tables or {})}.items():
        if delimiter != ",":
            text = text.replace(",", delimiter)
        (folder / f"{name}{suffix}").write_bytes(text.encode(encoding))
    return folder


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's database, key, language or EMR source."""
    for name in ("ORCHESTRATOR_DB", "ORCHESTRATOR_PATIENT_KEY", "ORCHESTRATOR_LANG", "ORCHESTRATOR_FAILPOINT",
                 "ORCHESTRATOR_FHIR_URL", "ORCHESTRATOR_FHIR_TOKEN", "ORCHESTRATOR_FHIR_TIMEOUT",
                 "ORCHESTRATOR_EXPORT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORCHESTRATOR_LOCK_TIMEOUT", "20")


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "clinic.duckdb"


@pytest.fixture
def small_export(tmp_path) -> Path:
    return write_export(tmp_path / "export")


@pytest.fixture
def demo_export(tmp_path) -> Path:
    """A private copy of the committed demo export."""
    return Path(shutil.copytree(DEMO, tmp_path / "demo"))


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of one read-only query on ``db``."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean equal content."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
    finally:
        con.close()


def states(db: Path) -> dict[str, tuple]:
    """service_id -> (excluded, status, sorted types) as the database holds them."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {sid: (excluded, status, sorted(types)) for sid, excluded, status, types in con.execute(
            "SELECT service_id, excluded, status, types FROM services").fetchall()}
    finally:
        con.close()


def run_cli(*args: str, env: dict | None = None, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed ``orchestrator`` console script."""
    result = subprocess.run([ORCHESTRATOR, *args], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"orchestrator {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result
