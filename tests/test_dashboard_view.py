"""The dashboard's widgets driven in Python (the browser tests cover the page)."""

from __future__ import annotations

import pytest

from orchestrator_lib.load import load_export
from orchestrator_lib.ui.dashboard import DashboardView
from orchestrator_lib.wizard import EXCLUDE, INACTIVE

from conftest import DEMO


@pytest.fixture
def dashboard(loaded_demo):
    return DashboardView(loaded_demo, as_of="2026-11-27T12:00")


def _wizard(dashboard):
    dashboard.tabs.selected_index = 2
    return dashboard.sync.wizard_box.children[0]


def test_every_tab_draws_without_error(dashboard):
    for index in range(len(dashboard.tabs.children)):
        dashboard.tabs.selected_index = index
        panel = dashboard.panel(index)
        assert panel is dashboard.tabs.children[index]
        assert panel.error.value == "", panel.error.value
    assert "data-coverage" in dashboard.overview.coverage.value


def test_the_wizard_is_made_while_the_overview_is_read_and_shown_on_the_click(dashboard, monkeypatch):
    from orchestrator_lib.ui import dashboard as module

    monkeypatch.setattr(module, "PREPARE_AFTER_SECONDS", 0)
    placeholder = dashboard.tabs.children[module.SYNC]
    dashboard.refresh_soon().join(timeout=60)
    prepared = dashboard.panels[module.SYNC]
    assert prepared is not None and prepared.wizard is not None  # built and drawn, from the thread
    assert dashboard.tabs.children[module.SYNC] is placeholder  # the page's tabs untouched by the thread
    dashboard.go(module.SYNC)
    assert dashboard.tabs.children[module.SYNC] is prepared and prepared.error.value == ""


def test_the_first_refresh_leaves_a_tab_clicked_before_it_alone(dashboard, monkeypatch):
    """The manager clicks Synchronisation before refresh_soon's thread has run: the thread reads
    the tab the page opened on, and never redraws the wizard being ticked."""
    import threading
    import types

    from orchestrator_lib.ui import dashboard as module

    class Held(threading.Thread):
        def start(self):  # run by the test, after the click
            pass

    monkeypatch.setattr(module, "threading", types.SimpleNamespace(Thread=Held, RLock=threading.RLock))
    monkeypatch.setattr(module, "PREPARE_AFTER_SECONDS", 0)
    read = []
    monkeypatch.setattr(module.OverviewPanel, "draw", lambda panel: read.append("overview"))
    thread = dashboard.refresh_soon()  # the page is served on the overview
    dashboard.go(module.SYNC)
    view = dashboard.sync.wizard
    monkeypatch.setattr(view, "reload", lambda: read.append("wizard"))
    thread.run()
    assert read == ["overview"]


def test_a_wizard_in_progress_survives_a_trip_to_another_tab(dashboard):
    view = _wizard(dashboard)
    pause = view.wizard.search(EXCLUDE, "pause")[0].service_id
    view.wizard.set_excluded(pause)
    view.next_button.click()
    dashboard.tabs.selected_index = 1
    assert _wizard(dashboard) is view
    assert view.wizard.step == INACTIVE and pause in view.wizard.excluded


def test_history_is_redrawn_after_apply_and_undo(dashboard):
    view = _wizard(dashboard)
    for _ in range(3):
        view.next_button.click()
    view.apply_button.click()
    assert view.last_run_id and view.last_run_id in dashboard.sync.history.value
    view.undo_button.click()
    assert "run-0002" in dashboard.sync.history.value


def test_language_switch_rebuilds_in_english(dashboard):
    dashboard.language.value = "en"
    try:
        assert dashboard.tabs.titles[0] == "Overview"
    finally:
        dashboard.language.value = "fr"
    assert dashboard.tabs.titles[0] == "Vue d'ensemble"


def test_synchroniser_reads_the_configured_fhir_server(fake_fhir, db, tmp_path, monkeypatch):
    from orchestrator_lib.sources.fhir import export_resources

    from conftest import SMALL_EXPORT, write_export

    tables = dict(SMALL_EXPORT, appointments=SMALL_EXPORT["appointments"].replace(",noshow,", ",arrived-late,"))
    fake_fhir.serve(export_resources(write_export(tmp_path / "served", tables)))
    monkeypatch.setenv("ORCHESTRATOR_EXPORT_DIR", str(DEMO))  # the FHIR server wins over a folder
    monkeypatch.setenv("ORCHESTRATOR_FHIR_URL", fake_fhir.base)
    view = DashboardView(db, as_of="2026-11-27T12:00")
    view.tabs.selected_index = 2
    sync = view.sync
    assert not sync.load_button.disabled
    sync.load_button.click()
    assert sync.error.value == "", sync.error.value
    assert fake_fhir.base in sync.loaded.value and "4 rendez-vous" in sync.loaded.value
    assert "arrived-late" in sync.loaded.value  # the unmapped status is reported, not hidden
    assert fake_fhir.calls("Appointment") == 1


def test_overview_and_audit_tab_speak_of_owed_items_and_never_offer_a_future_quarter(dashboard):
    coverage = dashboard.overview.coverage.value
    assert "dus" in coverage and "Données vues" in coverage  # counted of owed, and what data was seen
    dashboard.tabs.selected_index = 4
    audit = dashboard.audit
    codes = [code for _label, code in audit.quarter.options]
    assert (
        audit.quarter.options[0] == ("T4 2026 (en cours)", "2026Q4") and "2027Q1" not in codes
    )  # demo data runs to 2027
    audit.quarter.value = "2026Q3"
    audit._run()
    assert audit.error.value == ""
    first_screen = audit.first_screen.value.split('class="audit-first-screen"')[1].split("</div>")[0]
    assert "Couverture" in first_screen and "dus" in first_screen


def test_a_quarter_with_nothing_owed_shows_no_coverage_not_100(tmp_path):
    from conftest import write_export

    db = tmp_path / "empty.duckdb"
    load_export(
        write_export(
            tmp_path / "export",
            {
                "appointments": "appointment_id,service_id,staff_id,start\n",
                "availabilities": "availability_id,service_id,staff_id,start,end\n",
            },
        ),
        db,
    )
    view = DashboardView(db, as_of="2026-11-27T12:00")
    coverage = view.overview.coverage.value
    assert "aucune" in coverage and "100" not in coverage and 'data-coverage=""' in coverage


def test_the_services_look_up_ignores_case_and_knows_staff(dashboard):
    dashboard.tabs.selected_index = 1
    panel = dashboard.services
    panel.service_id.value = "srv-006"
    panel._detail()
    assert panel.error.value == "" and panel.service_id.value == "SRV-006" and "SRV-006" in panel.detail.value
    panel.service_id.value = "stf-006"
    panel._detail()
    assert "Lévesque" in panel.detail.value and "Personnel médical" in panel.detail.value


def test_ids_and_licence_numbers_never_break_across_lines(dashboard):
    import re

    dashboard.tabs.selected_index = 3
    html = dashboard.panel(3).tabs.children[0].value
    first_row = re.search(r"<tr><td[^>]*>STF-001</td>.*?</tr>", html).group(0)
    cells = re.findall(r'<td style="([^"]*)">([^<]*)</td>', first_row)
    nowrap = [text for style, text in cells if "white-space:nowrap" in style]
    assert nowrap == ["STF-001", "1-65535"], cells
