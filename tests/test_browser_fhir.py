"""The dashboard's *Synchroniser* button on a clinic whose EMR is a FHIR R4
server (the suite's real one, holding the demo clinic), in Chromium: the
configured server is read, the result and the wizard's pending services show."""

from __future__ import annotations

from playwright.sync_api import expect

from orchestrator_lib.load import load_export
from orchestrator_lib.sources.fhir import seed_server

from conftest import DEMO, query, write_export
from fhir_server.launch import reset_fhir_server

WIDGET_TIMEOUT = 60_000


def test_synchroniser_reads_the_fhir_server(page, dashboard_factory, fhir_server, kit, screenshots, tmp_path):
    reset_fhir_server(fhir_server)
    seed_server(fhir_server, DEMO)
    db = tmp_path / "clinic.duckdb"
    # The clinic's first load (the dashboard serves only an existing database): a small export,
    # whose three pending services the wizard lists before Synchroniser reads the server.
    load_export(write_export(tmp_path / "first"), db)
    server = dashboard_factory(
        db, env=kit.clean_env(ORCHESTRATOR_FHIR_URL=fhir_server, ORCHESTRATOR_EXPORT_DIR=str(tmp_path / "not-used"))
    )
    try:
        kit.open_dashboard(page, server.url)
        page.locator(".dashboard-tabs > .lm-TabBar").get_by_role("tab", name="Synchronisation", exact=True).click()
        expect(page.locator(".wizard-counts")).to_contain_text("Étape 1 : 3 services", timeout=WIDGET_TIMEOUT)
        page.locator(".sync-load").click()
        result = page.locator(".sync-loaded")
        expect(result).to_contain_text(fhir_server, timeout=WIDGET_TIMEOUT)
        expect(result).to_contain_text("17\u00a0500 rendez-vous")
        pending = query(db, "SELECT count(*) FROM pending_services")[0][0]
        assert pending > 0
        expect(page.locator(".wizard-counts")).to_contain_text(f"Étape 1 : {pending} services", timeout=WIDGET_TIMEOUT)
        expect(page.locator("[role=alert]")).to_have_count(0)
        kit.full_screenshot(page, screenshots / "fhir-synchroniser.png")
    finally:
        server.stop()
        reset_fhir_server(fhir_server)
