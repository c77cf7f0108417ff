"""The FHIR connector against a misbehaving server: every fault gives the right
retry or a clear message, and a failed load leaves the database as it was."""

from __future__ import annotations

import time

import pytest
from werkzeug import Response

from orchestrator_lib.errors import OrchestratorError
from orchestrator_lib.load import load_export, load_fhir
from orchestrator_lib.sources import fhir_client
from orchestrator_lib.sources.fhir import export_resources

from conftest import SMALL_EXPORT, run_cli, snapshot, write_export
from fake_fhir import fails_cleanly, fhir_response, outcome


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    monkeypatch.setattr(fhir_client, "BACKOFF_SECONDS", 0.01)


@pytest.fixture
def server(fake_fhir, tmp_path):
    """The small export, served as FHIR resources."""
    return fake_fhir.serve(export_resources(write_export(tmp_path / "served")))


@pytest.fixture
def loaded_db(db, tmp_path):
    """A database holding a load from a folder, whose content a failed FHIR load must keep."""
    tables = dict(SMALL_EXPORT, services=SMALL_EXPORT["services"] + "SRV-5,Prélèvements,active,\n")
    load_export(write_export(tmp_path / "before", tables), db)
    return db


def test_a_well_behaved_server_loads_like_the_folder(server, db, tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "one key for both databases")
    result = load_fhir(server.base, db)
    assert (result.services, result.staff, result.appointments, result.availabilities) == (4, 3, 4, 2)
    from_folder = tmp_path / "folder.duckdb"
    load_export(write_export(tmp_path / "same"), from_folder)
    emr = ("emr_services", "emr_staff", "emr_appointments", "emr_availabilities")
    assert {t: snapshot(db)[t] for t in emr} == {t: snapshot(from_folder)[t] for t in emr}


def test_pages_are_followed_through_next_links(server, db, monkeypatch):
    monkeypatch.setattr(
        fhir_client.FhirClient.__init__,
        "__kwdefaults__",
        {**fhir_client.FhirClient.__init__.__kwdefaults__, "page_size": 1},
    )
    result = load_fhir(server.base, db)
    assert result.appointments == 4
    assert server.calls("Appointment") == 4  # one resource a page, no page twice


@pytest.mark.slow
def test_429_waits_as_long_as_retry_after_says(server, db):
    server.fail("Appointment", fhir_response(outcome("slow down"), 429, **{"Retry-After": "1"}))
    started = time.monotonic()
    result = load_fhir(server.base, db)
    assert time.monotonic() - started >= 1.0
    assert result.appointments == 4
    assert server.calls("Appointment") == 2


def test_503_then_success_is_retried(server, db):
    server.fail("Slot", Response("busy", status=503), Response("busy", status=503))
    assert load_fhir(server.base, db).availabilities == 2
    assert server.calls("Slot") == 3


def test_a_server_that_stays_unavailable_gets_bounded_retries(server, loaded_db):
    server.fail(
        "Practitioner",
        *[Response("<html><title>502 Bad Gateway</title></html>", status=502, content_type="text/html")] * 10,
    )
    error = fails_cleanly(server, loaded_db, "fhir_unavailable")
    assert server.calls("Practitioner") == 5
    assert "502 Bad Gateway" in str(error)


def test_a_retry_after_too_long_stops_at_once(server, loaded_db):
    server.fail("Appointment", fhir_response(outcome("maintenance"), 503, **{"Retry-After": "3600"}))
    error = fails_cleanly(server, loaded_db, "fhir_retry_too_long")
    assert error.values["seconds"] == 3600 and "3\u00a0600 s" in str(error) and server.calls("Appointment") == 1


def _slow(seconds: float):
    def respond(request):
        time.sleep(seconds)
        return fhir_response(outcome("late"), 200)

    return respond


def test_a_timeout_is_retried(server, db, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TIMEOUT", "0.3")
    server.fail("HealthcareService", _slow(1.0))
    assert load_fhir(server.base, db).services == 4
    assert server.calls("HealthcareService") == 2


@pytest.mark.slow
def test_a_server_that_never_answers_in_time_fails_cleanly(server, loaded_db, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TIMEOUT", "0.2")
    server.fail("Schedule", *[_slow(0.6)] * 5)
    error = fails_cleanly(server, loaded_db, "fhir_timeout")
    assert "0,2 s" in str(error)


def _truncated(request):
    body = b'{"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Appo'
    return Response(body, content_type="application/fhir+json")


def test_truncated_json_is_retried_then_succeeds(server, db):
    server.fail("Appointment", _truncated)
    assert load_fhir(server.base, db).appointments == 4
    assert server.calls("Appointment") == 2


def test_json_that_stays_truncated_fails_cleanly(server, loaded_db):
    server.fail("Appointment", *[_truncated] * 5)
    error = fails_cleanly(server, loaded_db, "fhir_bad_json")
    assert "/fhir/Appointment" in str(error)


def test_a_next_link_that_loops_is_not_followed_forever(server, loaded_db):
    looping = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [],
        "link": [{"relation": "next", "url": server.base + "/Appointment?_count=1000"}],
    }
    server.fail("Appointment", *[fhir_response(looping)] * 3)
    error = fails_cleanly(server, loaded_db, "fhir_paging_loop")
    assert "Appointment" in str(error) and server.calls("Appointment") == 1  # the repeated page is not asked


def test_a_next_link_to_another_server_is_refused(server, loaded_db):
    elsewhere = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [],
        "link": [{"relation": "next", "url": "https://elsewhere.example/fhir/Appointment?page=2"}],
    }
    server.fail("Appointment", fhir_response(elsewhere))
    fails_cleanly(server, loaded_db, "fhir_next_elsewhere")


def test_401_without_a_token_says_where_the_token_goes(server, loaded_db):
    server.token = "s3cr3t-token"
    error = fails_cleanly(server, loaded_db, "fhir_token_missing")
    assert "ORCHESTRATOR_FHIR_TOKEN" in str(error)


def test_the_token_comes_from_the_environment_and_is_never_shown(server, loaded_db, monkeypatch):
    server.token = "s3cr3t-token"
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TOKEN", "wrong-token")
    error = fails_cleanly(server, loaded_db, "fhir_unauthorized")
    assert "wrong-token" not in str(error)
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TOKEN", "s3cr3t-token")
    assert load_fhir(server.base, loaded_db).services == 4
    assert {auth for _, _, auth in server.requests[-3:]} == {"Bearer s3cr3t-token"}


def test_an_html_page_is_not_taken_for_fhir(server, loaded_db):
    login = "<html><head><title>Portail du DMÉ — connexion</title></head><body>…</body></html>"
    server.fail("HealthcareService", Response(login, content_type="text/html"))
    error = fails_cleanly(server, loaded_db, "fhir_not_fhir")
    assert "Portail du DMÉ — connexion" in str(error) and "text/html" in str(error)


def test_an_operation_outcome_is_shown(server, loaded_db):
    server.fail("Slot", fhir_response(outcome("Unknown search parameter 'schedule'", "not-supported"), 400))
    error = fails_cleanly(server, loaded_db, "fhir_outcome")
    assert "Unknown search parameter 'schedule'" in str(error)


def test_a_half_read_failure_leaves_the_database_as_it_was(server, loaded_db):
    """Services, staff and appointments were read; slots fail: nothing is written."""
    server.fail("Slot", *[Response("down", status=503)] * 5)
    fails_cleanly(server, loaded_db, "fhir_unavailable")
    assert server.calls("Appointment") == 1


def test_the_cli_exit_codes_and_messages(server, loaded_db):
    server.token = "s3cr3t-token"
    refused = run_cli(
        "--db",
        str(loaded_db),
        "load",
        "--fhir",
        server.base,
        "--json",
        env={"ORCHESTRATOR_FHIR_TOKEN": "expired-token"},
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert "401" in refused.stderr and "expired-token" not in refused.stderr and "Traceback" not in refused.stderr
    server.token = None
    server.fail("Appointment", *[Response("down", status=503)] * 5)
    unavailable = run_cli("--db", str(loaded_db), "load", "--fhir", server.base)
    assert unavailable.returncode == 1 and "503" in unavailable.stderr
    both = run_cli("--db", str(loaded_db), "load", "some/folder", "--fhir", server.base)
    assert both.returncode == 2


@pytest.mark.slow
def test_retry_after_may_be_an_http_date(server, db):
    import email.utils

    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    server.fail("Slot", fhir_response(outcome("slow down"), 429, **{"Retry-After": when}))
    started = time.monotonic()
    assert load_fhir(server.base, db).availabilities == 2
    assert time.monotonic() - started >= 0.9 and server.calls("Slot") == 2


@pytest.mark.parametrize("failpoint", ["after_appointments", "before_commit"])
def test_a_load_killed_while_writing_leaves_the_database_whole(server, loaded_db, failpoint):
    before = snapshot(loaded_db)
    killed = run_cli("--db", str(loaded_db), "load", "--fhir", server.base, env={"ORCHESTRATOR_FAILPOINT": failpoint})
    assert killed.returncode == -9
    assert snapshot(loaded_db) == before
    assert run_cli("--db", str(loaded_db), "load", "--fhir", server.base).returncode == 0
    assert snapshot(loaded_db) != before


def test_json_that_is_not_fhir_is_described_without_its_content(server, loaded_db):
    server.fail("Appointment", Response('{"patients": ["TREM52031512"], "page": 1}', content_type="application/json"))
    error = fails_cleanly(server, loaded_db, "fhir_not_fhir")
    assert "patients, page" in str(error) and "TREM52031512" not in str(error)


def test_a_server_that_is_down_gets_bounded_retries_and_a_clear_message(loaded_db):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    down = run_cli("--db", str(loaded_db), "load", "--fhir", f"http://user:pw@127.0.0.1:{port}/fhir/R4")
    assert down.returncode == 1 and "connexion au serveur FHIR impossible" in down.stderr
    assert "pw@" not in down.stderr  # credentials in an address are never shown
    before = snapshot(loaded_db)
    with pytest.raises(OrchestratorError) as caught:
        load_fhir(f"http://127.0.0.1:{port}/fhir/R4", loaded_db)
    assert caught.value.key == "fhir_connection" and snapshot(loaded_db) == before


def test_an_address_that_is_not_http_is_refused_before_anything(loaded_db):
    refused = run_cli("--db", str(loaded_db), "load", "--fhir", "dme.example/fhir/R4")
    assert refused.returncode == 2 and "Adresse de serveur FHIR invalide" in refused.stderr
