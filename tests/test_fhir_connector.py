"""The FHIR connector against a real FHIR R4 server (Medplum's router, in memory,
started by the suite on 127.0.0.1): the demo clinic pushed as FHIR resources and
loaded back gives the wizard and the audit the same answers as the export folder;
incremental refreshes read only what changed."""

from __future__ import annotations

import json
import time

import pytest
import requests

from orchestrator_lib.load import load_export, load_fhir
from orchestrator_lib.sources import fhir
from orchestrator_lib.sources.fhir_client import FhirClient

from conftest import DEMO, SMALL_EXPORT, query, run_cli, snapshot, write_export
from fhir_server.launch import reset_fhir_server

EMR_TABLES = ("emr_services", "emr_staff", "emr_appointments", "emr_availabilities")
ADMINISTRATIVE = ("pause", "vacances", "réunion", "formation", "administr")


@pytest.fixture(scope="module")
def demo_server(fhir_server):
    reset_fhir_server(fhir_server)
    fhir.seed_server(fhir_server, DEMO)
    yield fhir_server
    reset_fhir_server(fhir_server)


@pytest.fixture
def same_key(monkeypatch):
    """Both databases pseudonymise patients with one key, so their rows compare."""
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "one clinic, one key")


def one_json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def demo_decisions(db, pending: list[str]) -> dict:
    """What an analyst would decide: administrative services excluded, the rest typed."""
    names = dict(query(db, "SELECT service_id, name FROM emr_services"))
    excluded = [s for s in pending if any(word in names[s].lower() for word in ADMINISTRATIVE)]
    return {"exclude": excluded, "types": {s: ["suivi_regulier"] for s in pending if s not in excluded}}


def test_the_demo_clinic_through_fhir_gives_the_same_answers(demo_server, same_key, tmp_path):
    by_fhir, by_folder = tmp_path / "fhir.duckdb", tmp_path / "folder.duckdb"
    loaded = one_json(run_cli("--db", str(by_fhir), "load", "--fhir", demo_server, "--json"))
    assert loaded == one_json(run_cli("--db", str(by_folder), "load", str(DEMO), "--json"))
    assert loaded["appointments"] == 17500 and loaded["availabilities"] == 4375
    assert {t: snapshot(by_fhir)[t] for t in EMR_TABLES} == {t: snapshot(by_folder)[t] for t in EMR_TABLES}

    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps(demo_decisions(by_folder, loaded["pending"])))
    answers = []
    for db in (by_fhir, by_folder):
        sync = one_json(
            run_cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", "2026-09-01T00:00", "--json")
        )
        audit = one_json(run_cli("--db", str(db), "audit", "--quarter", "2026Q3", "--json"))
        assert audit.pop("data")["last_load"]["source"]  # where the data came from differs, and says so
        answers.append(({k: v for k, v in sync.items() if k != "run_id"}, audit))
    assert answers[0] == answers[1]
    assert answers[0][0]["active"] and answers[0][0]["excluded"]
    assert answers[0][1]["appointments"]["total"] > 0


def test_the_terminal_shows_what_was_read(demo_server, db):
    shown = run_cli("--db", str(db), "load", "--fhir", demo_server)
    assert shown.returncode == 0, shown.stderr
    assert "lecture complète" in shown.stdout and "Appointment 17\u00a0500" in shown.stdout


# --- incremental refresh ------------------------------------------------------------


@pytest.fixture
def small_server(fhir_server, tmp_path, monkeypatch):
    """The small export on a fresh server; no safety margin, so a test can tell
    an incremental read from a full one within seconds."""
    monkeypatch.setattr(fhir, "INCREMENTAL_MARGIN", fhir.dt.timedelta(0))
    reset_fhir_server(fhir_server)
    fhir.seed_server(fhir_server, write_export(tmp_path / "small"))
    time.sleep(1.1)  # the server's clock (Date header) counts whole seconds
    yield fhir_server
    reset_fhir_server(fhir_server)


def put(base: str, resource: dict) -> None:
    FhirClient(base).post_batch([resource])


def get(base: str, reference: str) -> dict:
    return requests.get(f"{base}/{reference}", timeout=10).json()


def test_an_incremental_refresh_reads_and_merges_only_what_changed(small_server, db):
    first = load_fhir(small_server, db)
    assert "lecture complète" in str(first.read) and first.appointments == 4
    time.sleep(1.1)
    put(small_server, {**get(small_server, "Appointment/APT-1"), "status": "cancelled"})
    put(
        small_server,
        {
            **get(small_server, "Slot/AV-1"),
            "id": "AV-3",
            "start": "2026-07-09T08:00:00-04:00",
            "end": "2026-07-09T09:00:00-04:00",
        },
    )
    put(small_server, {**get(small_server, "Slot/AV-1"), "status": "entered-in-error"})  # no longer an availability
    # A schedule handed to another practitioner: its slots change staff without changing themselves.
    schedule = get(small_server, "Schedule/STF-2.SRV-3")
    put(
        small_server,
        {**schedule, "actor": [{"reference": "Practitioner/STF-1"}, {"reference": "HealthcareService/SRV-3"}]},
    )

    time.sleep(1.1)  # the changes are then strictly older than the second load's start
    second = load_fhir(small_server + "/", db)  # the same server, written another way
    assert "changements depuis" in str(second.read)
    assert "Appointment 1" in str(second.read) and "Slot 3" in str(second.read), second.read
    assert (second.appointments, second.availabilities) == (4, 2)
    assert query(db, "SELECT status FROM emr_appointments WHERE appointment_id = 'APT-1'") == [("cancelled",)]
    assert query(db, "SELECT availability_id, staff_id FROM emr_availabilities ORDER BY 1") == [
        ("AV-2", "STF-1"),
        ("AV-3", "STF-1"),
    ]
    assert query(db, "SELECT count(*), count(high_water) FROM emr_loads") == [(2, 2)]

    # Nothing changed since the second load began: nothing read, nothing recorded.
    third = load_fhir(small_server, db)
    assert not third.changed and "Appointment" not in str(third.read) and "Slot" not in str(third.read), third.read


def test_deletions_are_seen_by_a_full_read(small_server, db):
    load_fhir(small_server, db)
    requests.delete(f"{small_server}/Appointment/APT-2", timeout=10).raise_for_status()
    time.sleep(1.1)
    assert load_fhir(small_server, db).appointments == 4  # a search never returns deleted resources
    assert load_fhir(small_server, db, full=True).appointments == 3


def test_a_load_from_another_source_makes_the_next_read_full(small_server, db, tmp_path):
    load_fhir(small_server, db)
    other = dict(SMALL_EXPORT, services=SMALL_EXPORT["services"] + "SRV-5,Prélèvements,active,\n")
    load_export(write_export(tmp_path / "other", other), db)
    assert "lecture complète" in str(load_fhir(small_server, db).read)


def test_the_token_is_sent_and_a_wrong_one_refused(fhir_server_with_token, db, tmp_path, monkeypatch):
    base, token = fhir_server_with_token
    reset_fhir_server(base, token)
    fhir.seed_server(base, write_export(tmp_path / "small"), token=token)
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TOKEN", "not-" + token)
    refused = run_cli("--db", str(db), "load", "--fhir", base)
    assert refused.returncode == 2 and "401" in refused.stderr and token not in refused.stderr
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TOKEN", token)
    assert load_fhir(base, db).services == 4


def test_the_connector_refreshes_a_clinic_of_the_shared_store_incrementally(small_server, lake, db):
    from orchestrator_lib import store

    clinic = store.Location(lake, "est")
    first = load_fhir(small_server, clinic)
    assert "lecture complète" in str(first.read) and first.appointments == 4
    time.sleep(1.1)
    put(small_server, {**get(small_server, "Appointment/APT-1"), "status": "cancelled"})
    time.sleep(1.1)
    second = load_fhir(small_server, clinic)
    assert "changements depuis" in str(second.read) and "Appointment 1" in str(second.read)
    load_fhir(small_server, db)  # the same server into a DuckDB file: the same rows
    with store.reading(clinic) as con:
        on_lake = con.execute("SELECT appointment_id, status FROM emr_appointments ORDER BY 1").fetchall()
    assert on_lake == query(db, "SELECT appointment_id, status FROM emr_appointments ORDER BY 1")
    assert ("APT-1", "cancelled") in on_lake
