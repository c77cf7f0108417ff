"""The dashboard's widgets driven in Python (the browser tests cover the page)."""

from __future__ import annotations

import pytest

from orchestrator_lib.load import load_export
from orchestrator_lib.ui.dashboard import DashboardView
from orchestrator_lib.wizard import EXCLUDE, INACTIVE

from conftest import DEMO


@pytest.fixture
def dashboard(db):
    load_export(DEMO, db)
    return DashboardView(db, as_of="2026-11-27T12:00")


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
