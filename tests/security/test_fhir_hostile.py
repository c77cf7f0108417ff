"""The FHIR client against a hostile or broken server (all on 127.0.0.1): a
trickling answer is stopped by its deadline, a huge one by its size limit,
endless paging by the page cap, a redirect leaves nothing to another origin,
and the token never shows, even when the server echoes it."""

from __future__ import annotations

import time

import pytest
from werkzeug import Response

from orchestrator_lib.load import load_export, load_fhir
from orchestrator_lib.sources import fhir_client
from orchestrator_lib.sources.fhir import export_resources

from conftest import write_export
from fake_fhir import fails_cleanly, fhir_response, outcome


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    monkeypatch.setattr(fhir_client, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(fhir_client, "ATTEMPTS", 2)


@pytest.fixture
def server(fake_fhir, tmp_path):
    return fake_fhir.serve(export_resources(write_export(tmp_path / "served")))


@pytest.fixture
def loaded_db(small_export, db):
    load_export(small_export, db)
    return db


@pytest.mark.slow
def test_a_trickling_server_is_stopped_by_the_overall_deadline(server, loaded_db, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TIMEOUT", "2")

    def trickle(_request):
        def body():
            for _ in range(60):  # one byte a second: each read is quick, the whole answer is not
                time.sleep(1)
                yield b" "

        return Response(body(), content_type="application/fhir+json")

    server.fail("HealthcareService", trickle, trickle)
    started = time.monotonic()
    fails_cleanly(server, loaded_db, "fhir_timeout")
    assert time.monotonic() - started < 15  # two attempts of about 2 s, not a minute each


def test_an_answer_over_the_size_limit_is_refused(server, loaded_db, monkeypatch):
    monkeypatch.setattr(fhir_client, "MAX_RESPONSE_BYTES", 1 << 20)
    huge = {"resourceType": "Bundle", "type": "searchset", "entry": [], "padding": "x" * (2 << 20)}
    server.fail("HealthcareService", fhir_response(huge))
    fails_cleanly(server, loaded_db, "fhir_too_large")


def test_endless_paging_is_stopped_by_the_page_cap(server, loaded_db, monkeypatch):
    monkeypatch.setattr(fhir_client, "MAX_PAGES", 3)
    endless = [
        fhir_response(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [],
                "link": [{"relation": "next", "url": f"{server.base}/HealthcareService?page={n}"}],
            }
        )
        for n in range(10)
    ]
    server.fail("HealthcareService", *endless)
    fails_cleanly(server, loaded_db, "fhir_too_many_pages")


def test_a_redirect_to_another_origin_is_refused(server, loaded_db):
    server.fail("HealthcareService", Response("", status=302, headers={"Location": "http://127.0.0.2:1/steal"}))
    error = fails_cleanly(server, loaded_db, "fhir_redirect_elsewhere")
    assert "127.0.0.2" in str(error)


def test_a_redirect_within_the_server_is_followed(server, loaded_db):
    page = server.base + "/HealthcareService?_count=1000"
    server.fail("HealthcareService", Response("", status=307, headers={"Location": page}))
    assert load_fhir(server.base, loaded_db).services == 4


def test_the_token_is_redacted_when_the_server_echoes_it(server, loaded_db, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_FHIR_TOKEN", "s3cr3t-token-value")
    server.fail("HealthcareService", fhir_response(outcome("bad token s3cr3t-token-value for this tenant"), 400))
    error = fails_cleanly(server, loaded_db, "fhir_outcome")
    assert "s3cr3t-token-value" not in str(error) and "***" in str(error)
    server.fail(
        "Practitioner",
        *[Response("<html><title>Denied s3cr3t-token-value</title></html>", status=503, content_type="text/html")] * 2,
    )
    error = fails_cleanly(server, loaded_db, "fhir_unavailable")
    assert "s3cr3t-token-value" not in str(error)
